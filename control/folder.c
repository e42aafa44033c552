#include "control/folder.h"

#include <errno.h>
#include <stdbool.h>
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

int folder_write_file(const char *dir, const char *name, const void *data, size_t n, const char *previous, char *err,
                      size_t errlen)
{
	char tmp[4200], final[4200];
	snprintf(final, sizeof final, "%s/%s", dir, name);
	snprintf(tmp, sizeof tmp, "%s/.%s.tmp-%d", dir, name, (int)getpid());
	const int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0) {
		snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
		return -1;
	}
	const char *at = data;
	size_t left = n;
	bool ok = true;
	while (ok && left > 0) {
		const ssize_t w = write(fd, at, left);
		ok = w > 0 || (w < 0 && errno == EINTR);
		if (w > 0)
			at += w, left -= (size_t)w;
	}
	const int write_errno = ok ? 0 : (errno ? errno : ENOSPC);
	ok = ok && fsync(fd) == 0;
	const int sync_errno = errno;
	if (close(fd) != 0 && ok) {
		ok = false;
	}
	if (!ok) {
		unlink(tmp);
		snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(write_errno ? write_errno : sync_errno));
		return -1;
	}
	if (previous) { /* the current file, if any, as the last good copy */
		char prev[4200], prev_tmp[4300];
		snprintf(prev, sizeof prev, "%s/%s", dir, previous);
		snprintf(prev_tmp, sizeof prev_tmp, "%s/.%s.tmp-%d", dir, previous, (int)getpid());
		unlink(prev_tmp);
		if (link(final, prev_tmp) == 0 && rename(prev_tmp, prev) != 0)
			unlink(prev_tmp);
	}
	if (rename(tmp, final) != 0) {
		const int e = errno;
		unlink(tmp);
		snprintf(err, errlen, "cannot rename %s to %s: %s", tmp, final, strerror(e));
		return -1;
	}
	folder_sync(dir); /* the renames themselves reach the disk */
	return 0;
}
