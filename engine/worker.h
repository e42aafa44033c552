/* A second RT thread for the process graph: each block the process thread
 * hands it one task (fork), does its own share meanwhile, and waits for the
 * task to be done (join), the way Ardour runs its graph on several threads.
 * worker_start/worker_stop: control thread. *_rt: the process thread only.
 *
 * A task nobody has begun when the process thread joins is run by the
 * process thread itself, so a worker that the system wakes late (or never)
 * costs time, never a lost task. The process thread's only system call here
 * is the futex wake in worker_fork_rt, and only while the worker sleeps. */
#ifndef DUBSTAGE_ENGINE_WORKER_H
#define DUBSTAGE_ENGINE_WORKER_H

#include <stddef.h>
#include <stdint.h>

#include "dsp/rt.h"

typedef void (*worker_task_fn)(void *arg);

struct worker;

/* Starts the thread: SCHED_FIFO at rt_priority when rt_priority > 0 and the
 * system allows it (else at normal priority, said in err as a warning with
 * the worker still returned). NULL with a message in err on failure. */
struct worker *worker_start(int rt_priority, char *err, size_t errlen);
/* Joins the thread. No worker_fork_rt may be running or follow. */
void worker_stop(struct worker *w);

/* Hands fn(arg) to the worker. One task at a time: join before the next. */
RT void worker_fork_rt(struct worker *w, worker_task_fn fn, void *arg);
/* Returns once the task is done, having run it here if the worker had not
 * begun it. */
RT void worker_join_rt(struct worker *w);

/* Tasks the worker thread ran, and tasks the process thread took back
 * because the worker had not begun them at the join. Any thread. */
uint64_t worker_tasks_run(const struct worker *w);
uint64_t worker_tasks_taken_back(const struct worker *w);

#endif
