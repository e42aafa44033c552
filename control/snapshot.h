/* Snapshots: the mix (strips, buses, sends, VCAs, mute groups; not solo, the
 * monitor or the recall safes, which only the live state keeps) saved as a human-readable, diff-friendly JSON
 * file, one setting per line, keyed by the OSC names of control/param; and
 * recalled by name, with a crossfade of every continuous setting.
 *
 * Saving is atomic: a temporary file in the same folder, flushed to disk, then
 * renamed over the old one; a crash mid-save leaves the old snapshot (and
 * perhaps a hidden temporary file, which listing ignores).
 * Control thread only. */
#ifndef DUBSTAGE_CONTROL_SNAPSHOT_H
#define DUBSTAGE_CONTROL_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control/param.h"

#define SNAPSHOT_FORMAT 1
#define SNAPSHOT_NAME_MAX 64

/* 1-63 of A-Z a-z 0-9 _ - . and space, not starting with '.' */
bool snapshot_name_ok(const char *name);

int snapshot_save(struct console *c, const char *dir, const char *name, char *err, size_t errlen);
/* The snapshot file's text (malloc'd, NULL when out of memory). `live`: the
 * whole live state the autosave keeps: solo, the recall safes and the
 * monitor section (source and speaker set by name, level, dim, mute, mono,
 * each loudspeaker's mute, solo, calibration and delay) too. */
char *snapshot_text(struct console *c, bool live);
int snapshot_delete(const char *dir, const char *name, char *err, size_t errlen);
/* The names in dir, sorted; *names is one malloc'd block (free it). */
int snapshot_list(const char *dir, char (**names)[SNAPSHOT_NAME_MAX], uint32_t *n, char *err, size_t errlen);

/* One setting a recall changes. */
struct snapshot_change {
	struct param row;        /* a send row already moved to its aux */
	uint32_t target;
	float from, to;
	bool continuous;         /* crossfaded; the others switch at the start */
};

struct snapshot_recall {
	struct snapshot_change *changes;
	uint32_t n_changes;
	uint32_t n_matched;      /* settings found in the console (changed or already equal) */
	uint32_t n_unmatched;
	char unmatched[1024];    /* "strip GHOST, strips.A.eq/9/gain, ..." (truncated) */
	double fade_s, start;
	bool started;
	uint32_t cursor;         /* the next change of a pass left part-way (snapshot_recall_step_some) */
	float pass_t;            /* the fraction of the fade that pass applies */
	bool pass_first;         /* it is the first: the switches go too */
	int monitor_source;      /* the live state's: a bus index (n_buses: solo), or -1 */
	int monitor_speakers;    /* the live state's speaker set (enum layout_id), or -1 */
};

/* Reads dir/name.json against c: what matches becomes changes (safes
 * respected); what does not is counted and listed. NULL with a message when
 * the file is missing, is not JSON, or is not a dubstage snapshot. */
struct snapshot_recall *snapshot_read(struct console *c, const char *dir, const char *name, double fade_s,
                                      char *err, size_t errlen);
/* The same for a live state (snapshot_text(c, true)): safes, solo and the
 * monitor section read too, and every setting put back, safes or not. */
struct snapshot_recall *snapshot_read_live(struct console *c, const char *dir, const char *name, char *err,
                                           size_t errlen);
/* Applies the recall as of `now` (seconds, any monotonic clock): at the
 * first call the switches, then the continuous settings along the fade (in
 * linear gain for dB settings, the short way round for angles). `settled`
 * is called for each setting as it reaches its final value. Returns true
 * when the recall is complete. */
bool snapshot_recall_step(struct snapshot_recall *r, struct engine *e, struct console *c, double now,
                          void (*settled)(void *ctx, const struct param *row, uint32_t target), void *ctx);
/* The same in slices: at most `most` changes a call, the rest of the pass
 * (at the same fraction of the fade) at the next calls; true once a pass
 * that reached the end of the fade is complete. A control loop applies a
 * recall of thousands of settings between its other work this way. */
bool snapshot_recall_step_some(struct snapshot_recall *r, struct engine *e, struct console *c, double now,
                               uint32_t most, void (*settled)(void *ctx, const struct param *row, uint32_t target),
                               void *ctx);
/* The recall's final values into the model only (a graph not built yet:
 * the offline render). */
void snapshot_recall_apply_model(const struct snapshot_recall *r, struct console *c);
void snapshot_recall_free(struct snapshot_recall *r);

#endif
