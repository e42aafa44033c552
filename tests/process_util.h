/* Starting and stopping the processes a test owns, by PID only. Children get
 * PR_SET_PDEATHSIG, so they die with the test even if it is killed. */
#ifndef DUBSTAGE_TESTS_PROCESS_UTIL_H
#define DUBSTAGE_TESTS_PROCESS_UTIL_H

#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Starts argv[0] with stdout and stderr appended to log_path (or /dev/null),
 * with `env` (NAME=VALUE strings, NULL-terminated, may be NULL) added. */
static inline pid_t spawn_logged(char *const argv[], const char *log_path, const char *const env[])
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	int fd = open(log_path ? log_path : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
	}
	for (const char *const *e = env; e && *e; e++)
		putenv((char *)*e);
	execvp(argv[0], argv);
	fprintf(stderr, "exec %s failed\n", argv[0]);
	_exit(127);
}

static inline void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* Waits up to timeout_ms for pid to exit; returns true with its wait status. */
static inline bool wait_exit(pid_t pid, int timeout_ms, int *status)
{
	for (int t = 0; t <= timeout_ms; t += 10) {
		if (waitpid(pid, status, WNOHANG) == pid)
			return true;
		sleep_ms(10);
	}
	return false;
}

/* SIGTERM, then SIGKILL after timeout_ms. Returns the wait status. */
static inline int stop_process(pid_t pid, int timeout_ms)
{
	int status = 0;
	if (pid <= 0)
		return 0;
	kill(pid, SIGTERM);
	if (!wait_exit(pid, timeout_ms, &status)) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	return status;
}

/* Reads a whole (small) file into a static buffer. */
static inline const char *slurp(const char *path)
{
	static char buf[1 << 16];
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = '\0';
	return buf;
}

/* The last (at most 3,000) bytes of a log: what fits a test's failure
 * message (Check refuses longer ones). */
static inline const char *slurp_tail(const char *path)
{
	const char *all = slurp(path);
	const size_t n = strlen(all);
	return n > 3000 ? all + n - 3000 : all;
}

#endif
