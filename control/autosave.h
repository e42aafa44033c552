/* The live state on disk, so that a crash or a power cut never loses the
 * mix: the whole mix (what a snapshot keeps, and solo) is saved when it has
 * changed, checked every AUTOSAVE_CHECK_S, so a save is at most that plus
 * its own writing behind; each save is folder_write_file (temporary file,
 * fsync, rename, folder fsync) onto <name>.live.json, the file it replaces
 * kept as <name>.live.prev.json. The writing is done by the object's own
 * thread (dubstage-save): the control thread only builds the text and hands
 * it over, and never waits on the disk but in autosave_now. On start the
 * newest valid of the two is put back into the console before its graph is
 * built.
 * Control thread only (the writer thread is internal). */
#ifndef DUBSTAGE_CONTROL_AUTOSAVE_H
#define DUBSTAGE_CONTROL_AUTOSAVE_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/console.h"

#define AUTOSAVE_CHECK_S 0.25

struct autosave;

/* The live state of the console read from `config_path`, in dir, and its
 * writer thread started. NULL when out of memory or the thread cannot be
 * started. autosave_destroy writes what was handed over, then stops it. */
struct autosave *autosave_create(const char *dir, const char *config_path);
void autosave_destroy(struct autosave *a);

/* The newest valid saved state into c's model. 1: restored (what: from
 * which file, and what did not match this console); 0: none saved yet;
 * -1: what is there cannot be read (what: why; c is unchanged). */
int autosave_restore(struct autosave *a, struct console *c, char *what, size_t len);

/* Hands c's state to the writer when AUTOSAVE_CHECK_S has passed since the
 * last check (now: monotonic seconds) and it differs from what was handed
 * over last. -1 (err) when a write finished since the last check failed
 * (or the state could not be built) and none was failing before: a failure
 * is reported once, at the first check after it, and the next check hands
 * the state over again. */
int autosave_tick(struct autosave *a, struct console *c, double now, char *err, size_t errlen);
/* Waits until the writer has written everything handed over (what it
 * found is reported by the next check). */
void autosave_wait(struct autosave *a);
/* Saves c now if it changed and waits until everything handed over is on
 * disk (a clean stop). 0, or -1 with err: the last write failed. */
int autosave_now(struct autosave *a, struct console *c, char *err, size_t errlen);
/* The file the state goes to. */
const char *autosave_path(const struct autosave *a);

#endif
