/* Folders the console writes into (snapshots, renders, prints): made with
 * their parents, and flushed so a rename in them reaches the disk. */
#ifndef DUBSTAGE_CONTROL_FOLDER_H
#define DUBSTAGE_CONTROL_FOLDER_H

#include <stddef.h>

/* mkdir -p; 0, or -1 with "cannot create PATH: reason" in err. */
int folder_make(const char *dir, char *err, size_t errlen);
/* fsync of the folder itself (after a rename into it); errors are ignored. */
void folder_sync(const char *dir);

#endif
