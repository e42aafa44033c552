#include "engine/worker.h"

#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "engine/rt_guard.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define cpu_relax() _mm_pause()
#else
#define cpu_relax() ((void)0)
#endif

/* The task slot's states. IDLE -> POSTED (fork) -> RUNNING (the worker
 * claimed it) -> DONE -> IDLE (join); or POSTED -> TAKEN (the process thread
 * claimed it at the join) -> IDLE. A claim is one compare-and-swap, so a
 * task runs exactly once whoever wins. */
enum { SLOT_IDLE, SLOT_POSTED, SLOT_RUNNING, SLOT_DONE, SLOT_TAKEN, SLOT_QUIT };

/* Spins of the join before it sleeps: a block's task takes tens of
 * microseconds, a futex sleep and wake costs about as much again. */
#define JOIN_SPINS 20000
/* The graph's deepest frames are a few KiB; a small stack keeps what
 * mlockall(MCL_FUTURE) pins down small (the default is 8 MiB). */
#define WORKER_STACK_BYTES (512 * 1024)

struct worker {
	_Alignas(64) _Atomic uint32_t state;  /* the futex word */
	_Atomic uint32_t joiner_sleeps;       /* the process thread sleeps in the join */
	_Atomic uint32_t worker_sleeps;       /* the worker sleeps waiting for a task */
	worker_task_fn fn;
	void *arg;
	_Alignas(64) _Atomic uint64_t run, taken_back;
	pthread_t thread;
};

static long futex(_Atomic uint32_t *word, int op, uint32_t value)
{
	return syscall(SYS_futex, (uint32_t *)word, op, value, NULL, NULL, 0);
}

RT static void wake(_Atomic uint32_t *word)
{
	futex(word, FUTEX_WAKE_PRIVATE, 1);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	for (;;) {
		uint32_t s = atomic_load_explicit(&w->state, memory_order_acquire);
		if (s == SLOT_QUIT)
			return NULL;
		if (s == SLOT_POSTED &&
		    atomic_compare_exchange_strong_explicit(&w->state, &s, SLOT_RUNNING, memory_order_acq_rel,
		                                            memory_order_acquire)) {
			rt_guard_enter();
			rt_flush_denormals();
			w->fn(w->arg);
			atomic_fetch_add_explicit(&w->run, 1, memory_order_relaxed);
			atomic_store_explicit(&w->state, SLOT_DONE, memory_order_seq_cst);
			if (atomic_load_explicit(&w->joiner_sleeps, memory_order_seq_cst))
				wake(&w->state);
			rt_guard_leave();
			continue;
		}
		/* Sleeps until the word moves on from s (a fork, or the quit);
		 * returns at once if it already has. */
		atomic_store_explicit(&w->worker_sleeps, 1, memory_order_seq_cst);
		if (atomic_load_explicit(&w->state, memory_order_seq_cst) == s)
			futex(&w->state, FUTEX_WAIT_PRIVATE, s);
		atomic_store_explicit(&w->worker_sleeps, 0, memory_order_relaxed);
	}
}

struct worker *worker_start(int rt_priority, char *err, size_t errlen)
{
	struct worker *w = aligned_alloc(64, sizeof *w);
	if (!w) {
		snprintf(err, errlen, "out of memory starting the worker thread");
		return NULL;
	}
	memset(w, 0, sizeof *w);
	atomic_init(&w->state, SLOT_IDLE);
	pthread_attr_t attr, plain;
	pthread_attr_init(&attr);
	pthread_attr_init(&plain);
	pthread_attr_setstacksize(&attr, WORKER_STACK_BYTES);
	pthread_attr_setstacksize(&plain, WORKER_STACK_BYTES);
	int rc = EPERM;
	if (rt_priority > 0) {
		struct sched_param sp = {.sched_priority = rt_priority};
		pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
		pthread_attr_setschedpolicy(&attr, SCHED_FIFO);
		pthread_attr_setschedparam(&attr, &sp);
		rc = pthread_create(&w->thread, &attr, worker_main, w);
	}
	if (rc != 0) {
		if (rt_priority > 0)
			snprintf(err, errlen, "worker thread at normal priority: SCHED_FIFO %d refused (%s)", rt_priority,
			         strerror(rc));
		rc = pthread_create(&w->thread, &plain, worker_main, w);
	}
	pthread_attr_destroy(&attr);
	pthread_attr_destroy(&plain);
	if (rc != 0) {
		snprintf(err, errlen, "cannot start the worker thread: %s", strerror(rc));
		free(w);
		return NULL;
	}
	pthread_setname_np(w->thread, "dubstage-worker");
	return w;
}

void worker_stop(struct worker *w)
{
	if (!w)
		return;
	atomic_store_explicit(&w->state, SLOT_QUIT, memory_order_seq_cst);
	wake(&w->state);
	pthread_join(w->thread, NULL);
	free(w);
}

RT void worker_fork_rt(struct worker *w, worker_task_fn fn, void *arg)
{
	w->fn = fn;
	w->arg = arg;
	atomic_store_explicit(&w->state, SLOT_POSTED, memory_order_seq_cst);
	if (atomic_load_explicit(&w->worker_sleeps, memory_order_seq_cst))
		wake(&w->state);
}

RT void worker_join_rt(struct worker *w)
{
	uint32_t s = SLOT_POSTED;
	if (atomic_compare_exchange_strong_explicit(&w->state, &s, SLOT_TAKEN, memory_order_acq_rel,
	                                            memory_order_acquire)) {
		w->fn(w->arg);
		atomic_fetch_add_explicit(&w->taken_back, 1, memory_order_relaxed);
	} else {
		for (unsigned spins = 0; atomic_load_explicit(&w->state, memory_order_acquire) != SLOT_DONE; spins++) {
			if (spins < JOIN_SPINS) {
				cpu_relax();
				continue;
			}
			/* The worker was preempted mid-task: sleep until it is done. */
			atomic_store_explicit(&w->joiner_sleeps, 1, memory_order_seq_cst);
			const uint32_t now = atomic_load_explicit(&w->state, memory_order_seq_cst);
			if (now != SLOT_DONE)
				futex(&w->state, FUTEX_WAIT_PRIVATE, now);
			atomic_store_explicit(&w->joiner_sleeps, 0, memory_order_relaxed);
		}
	}
	atomic_store_explicit(&w->state, SLOT_IDLE, memory_order_release);
}

uint64_t worker_tasks_run(const struct worker *w)
{
	return atomic_load_explicit(&((struct worker *)w)->run, memory_order_relaxed);
}

uint64_t worker_tasks_taken_back(const struct worker *w)
{
	return atomic_load_explicit(&((struct worker *)w)->taken_back, memory_order_relaxed);
}
