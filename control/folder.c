#include "control/folder.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int folder_make(const char *dir, char *err, size_t errlen)
{
	char path[4096];
	if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path) {
		snprintf(err, errlen, "folder name too long: %.64s...", dir);
		return -1;
	}
	for (char *p = path + 1;; p++) {
		const char was = *p;
		if (was != '/' && was != '\0')
			continue;
		*p = '\0';
		if (mkdir(path, 0777) < 0 && errno != EEXIST) {
			snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
			return -1;
		}
		*p = was;
		if (was == '\0')
			return 0;
	}
}

void folder_sync(const char *dir)
{
	const int d = open(dir, O_RDONLY | O_DIRECTORY);
	if (d >= 0) {
		fsync(d);
		close(d);
	}
}
