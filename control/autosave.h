/* The live state on disk, so that a crash or a power cut never loses the
 * mix: the whole mix (what a snapshot keeps, and solo) is saved when it has
 * changed, checked every AUTOSAVE_CHECK_S, so a save is at most that plus
 * its own writing behind; each save is folder_write_file (temporary file,
 * fsync, rename, folder fsync) onto <name>.live.json, the file it replaces
 * kept as <name>.live.prev.json. On start the newest valid of the two is put
 * back into the console before its graph is built.
 * Control thread only. */
#ifndef DUBSTAGE_CONTROL_AUTOSAVE_H
#define DUBSTAGE_CONTROL_AUTOSAVE_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/console.h"

#define AUTOSAVE_CHECK_S 0.25

struct autosave;

/* The live state of the console read from `config_path`, in dir. NULL when
 * out of memory. */
struct autosave *autosave_create(const char *dir, const char *config_path);
void autosave_destroy(struct autosave *a);

/* The newest valid saved state into c's model. 1: restored (what: from
 * which file, and what did not match this console); 0: none saved yet;
 * -1: what is there cannot be read (what: why; c is unchanged). */
int autosave_restore(struct autosave *a, struct console *c, char *what, size_t len);

/* Saves c when AUTOSAVE_CHECK_S has passed since the last check (now:
 * monotonic seconds) and its state differs from what was saved last.
 * -1 (err) when the save failed and the one before had not: a failure is
 * reported once, and the next check tries again. */
int autosave_tick(struct autosave *a, struct console *c, double now, char *err, size_t errlen);
/* Saves c now if it changed (a clean stop). 0, or -1 with err. */
int autosave_now(struct autosave *a, struct console *c, char *err, size_t errlen);
/* The file the state goes to. */
const char *autosave_path(const struct autosave *a);

#endif
