/* WAV files of a bus: WAVE_FORMAT_EXTENSIBLE with the standard channel mask
 * where the layout has one (5.1, 7.1, 7.1.4: channels in mask-bit order, so
 * 7.1 and 7.1.4 carry the rears before the sides), 24-bit PCM or float,
 * clipping rather than wrapping. Used by the offline render and the print
 * recorder. Control or disk thread. */
#ifndef DUBSTAGE_CONTROL_WAVFILE_H
#define DUBSTAGE_CONTROL_WAVFILE_H

#include <sndfile.h>
#include <stdbool.h>
#include <stddef.h>

#include "dsp/layout.h"

/* order[f]: the console channel written as file channel f. */
void wavfile_order(enum layout_id id, unsigned order[LAYOUT_MAX_CHANNELS]);

/* A new file for `channels` channels of layout id (all of them, or 1 for a
 * split channel). NULL with a message in err. */
SNDFILE *wavfile_create(const char *path, enum layout_id id, unsigned channels, unsigned rate, bool float_out,
                        char *err, size_t errlen);

#endif
