/* Printing while mixing: the stems and masters recorded to WAV files while
 * the console runs. The process callback feeds a bus tap (engine/bus_tap:
 * the RT thread never touches the disk, never waits); a disk thread writes
 * one Broadcast WAV per bus into <prints>/<take>/, stamped (bext) with the
 * JACK frame time of its first frame so prints line up in a DAW, and brings
 * the files' headers up to date every second of audio, so a print survives a
 * crash or kill -9 readable up to the last second. Frames the disk could not
 * keep up with are counted, never waited for. Control thread, except the
 * disk thread inside. */
#ifndef DUBSTAGE_CONTROL_PRINT_H
#define DUBSTAGE_CONTROL_PRINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/console.h"
#include "engine/engine.h"

struct print_recorder;

struct print_summary {
	char take[64];
	char folder[4200];
	uint64_t frames;       /* written to every file */
	uint64_t lost_frames;  /* dropped because the disk fell behind */
	uint32_t files;
};

struct print_recorder *print_create(struct engine *e, uint32_t sample_rate);
void print_destroy(struct print_recorder *p); /* stops a print that runs */

/* Starts a take (NULL or "": "take-YYYYMMDD-HHMMSS") in dir: the stems and
 * masters named in buses[0 .. n_buses), or all of them when n_buses is 0
 * (an unknown name or an aux bus is an error, and nothing is made). */
int print_start(struct print_recorder *p, const struct console *c, const char *dir, const char *take,
                const char *const *buses, uint32_t n_buses, char *err, size_t errlen);
/* Stops the take: the RT thread lets go, the disk catches up, the files are
 * closed. -1 (err) when the disk failed during the take: it is stopped all
 * the same, *out says what the files hold. */
int print_stop(struct print_recorder *p, struct print_summary *out, char *err, size_t errlen);
bool print_running(const struct print_recorder *p);
/* Waits until the disk thread has written everything fed so far (tests). */
void print_drain(struct print_recorder *p);
void print_status(struct print_recorder *p, struct print_summary *out);

#endif
