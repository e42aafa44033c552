/* Helper for test_rt_guard: does one forbidden (or allowed) thing inside or
 * outside the guarded region, so the test can see that the guard fires. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/rt_guard.h"
#include "engine/worker.h"

static void allocate(void *arg)
{
	*(void *volatile *)arg = malloc(64);
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	const char *mode = argv[1];
	static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	void *volatile keep = NULL;
	if (strcmp(mode, "outside") == 0) {
		keep = malloc(64); /* before enter: allowed */
		rt_guard_enter();
		rt_guard_leave();
		free(keep);
		return 0;
	}
	if (strcmp(mode, "worker") == 0) {
		/* The task runs on the worker thread (this thread never joins, so
		 * it cannot take the task back): the guard must stop it there. */
		char err[128];
		struct worker *w = worker_start(0, err, sizeof err);
		if (!w)
			return 3;
		worker_fork_rt(w, allocate, (void *)&keep);
		for (int i = 0; i < 5000 && worker_tasks_run(w) == 0; i++)
			nanosleep(&(struct timespec){0, 1000000}, NULL);
		return 0; /* the worker allocated unchecked */
	}
	rt_guard_enter();
	if (strcmp(mode, "malloc") == 0)
		keep = malloc(64);
	else if (strcmp(mode, "free") == 0)
		free(keep);
	else if (strcmp(mode, "mutex") == 0)
		pthread_mutex_lock(&m);
	else if (strcmp(mode, "sleep") == 0)
		nanosleep(&(struct timespec){0, 1000}, NULL);
	else if (strcmp(mode, "print") == 0)
		printf("hello %d\n", 1);
	rt_guard_leave();
	free(keep);
	return 0;
}
