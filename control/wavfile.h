/* WAV files of a bus: WAVE_FORMAT_EXTENSIBLE with the standard channel mask
 * where the layout has one (5.1, 7.1, 7.1.4: channels in mask-bit order, so
 * 7.1 and 7.1.4 carry the rears before the sides), 24-bit PCM or float,
 * clipping rather than wrapping. Used by the offline render and the print
 * recorder. Control or disk thread.
 *
 * libsndfile writes the header and the chunks; the audio itself is packed
 * here, straight from the console's channel buffers into a large buffer that
 * goes to the file in one write: libsndfile's own path (interleaved floats,
 * converted 8 KiB at a time, a write each) cost a render more than its graph
 * (docs/performance.md "Render"). */
#ifndef DUBSTAGE_CONTROL_WAVFILE_H
#define DUBSTAGE_CONTROL_WAVFILE_H

#include <sndfile.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dsp/layout.h"

#define WAVFILE_PCM_MAX 8388607 /* 24-bit full scale: a float x is written as round(x * 2^23), clipped */

struct wavfile;

/* order[f]: the console channel written as file channel f. */
void wavfile_order(enum layout_id id, unsigned order[LAYOUT_MAX_CHANNELS]);

/* A new file for `channels` channels of layout id (all of them, or 1 for a
 * split channel). NULL with a message in err. */
struct wavfile *wavfile_create(const char *path, enum layout_id id, unsigned channels, unsigned rate,
                               bool float_out, char *err, size_t errlen);

/* The libsndfile handle, for chunks that go before the audio (bext). */
SNDFILE *wavfile_sndfile(struct wavfile *w);
/* Frames handed to the file without an error (what wavfile_write keeps in
 * its buffer is not counted until it is written). */
uint64_t wavfile_frames_written(const struct wavfile *w);

/* Appends `frames` frames: file channel c from channel[c] (the caller's
 * planar buffers, in file order). *peak (when not NULL) is raised to the
 * largest |sample| written. Returns 0, or -1 with a message in err when the
 * file cannot be written. */
int wavfile_write(struct wavfile *w, const float *const channel[], uint32_t frames, float *peak, char *err,
                  size_t errlen);

/* Everything appended so far into the file, and its header made to say so:
 * a reader (or a crash) finds a whole file up to here. */
int wavfile_sync(struct wavfile *w, char *err, size_t errlen);

/* Writes what is buffered, finishes the header and closes. -1 (err) when any
 * of it failed; w is freed either way. NULL is a no-op. */
int wavfile_close(struct wavfile *w, char *err, size_t errlen);

/* x[0..n) as 24-bit sample values: round(x * 2^23) to nearest, clipped to
 * -2^23 ... WAVFILE_PCM_MAX; NaN is 0. Exposed for its test. */
void wavfile_to_pcm24(const float *x, uint32_t n, int32_t *out);

/* n 24-bit little-endian samples (3 bytes each) as floats, v / 2^23: what
 * libsndfile reads, bit for bit, without its byte-at-a-time loop (a render
 * reads every strip's file). */
void wavfile_pcm24_to_float(const unsigned char *in, size_t n, float *out);

#endif
