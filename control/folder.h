/* Folders the console writes into (snapshots, renders, prints): made with
 * their parents, and flushed so a rename in them reaches the disk. */
#ifndef DUBSTAGE_CONTROL_FOLDER_H
#define DUBSTAGE_CONTROL_FOLDER_H

#include <stddef.h>

/* mkdir -p; 0, or -1 with "cannot create PATH: reason" in err. */
int folder_make(const char *dir, char *err, size_t errlen);
/* fsync of the folder itself (after a rename into it); errors are ignored. */
void folder_sync(const char *dir);

/* dir/name holds data[0 .. n) or, after any failure or crash, what it held
 * before: a hidden temporary file in dir is written and fsync'd, renamed
 * over dir/name, and dir fsync'd. With `previous` (a name in dir), the file
 * being replaced is kept under that name first (the last good copy; a hard
 * link, so dir/name never goes missing). 0, or -1 with a reason in err; the
 * temporary file is removed on failure. */
int folder_write_file(const char *dir, const char *name, const void *data, size_t n, const char *previous, char *err,
                      size_t errlen);

#endif
