#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "engine/worker.h"
#include "tests/check_main.h"

struct job {
	_Atomic unsigned runs;   /* how many times this task ran */
	pthread_t ran_on;
	unsigned spin;           /* busy work, so that some tasks are still running at the join */
	volatile double sink;
};

static void run_job(void *arg)
{
	struct job *j = arg;
	double x = 1.0;
	for (unsigned i = 0; i < j->spin; i++)
		x = x * 1.0000001 + 1e-9;
	j->sink = x;
	j->ran_on = pthread_self();
	atomic_fetch_add(&j->runs, 1);
}

/* Every forked task runs exactly once, on the worker or (taken back at the
 * join) here, and is finished when the join returns; the counts add up. */
START_TEST(every_task_runs_once_and_is_done_at_the_join)
{
	enum { TASKS = 20000 };
	char err[128];
	struct worker *w = worker_start(0, err, sizeof err);
	ck_assert_msg(w != NULL, "%s", err);
	static struct job jobs[TASKS];
	memset(jobs, 0, sizeof jobs);
	unsigned here = 0;
	for (unsigned k = 0; k < TASKS; k++) {
		jobs[k].spin = (k * 7919u) % 3000; /* from nothing to a few microseconds */
		worker_fork_rt(w, run_job, &jobs[k]);
		if (k % 3 == 0) { /* work of our own meanwhile, as the process thread does */
			static struct job own = {.spin = 2000};
			run_job(&own);
		}
		worker_join_rt(w);
		ck_assert_uint_eq(atomic_load(&jobs[k].runs), 1);
		here += pthread_equal(jobs[k].ran_on, pthread_self()) != 0;
	}
	const uint64_t run = worker_tasks_run(w), back = worker_tasks_taken_back(w);
	worker_stop(w);
	ck_assert_uint_eq(run + back, TASKS);
	ck_assert_uint_eq(back, here);
	ck_assert_uint_gt(run, 0);
}
END_TEST

/* Forked and joined at once, 50,000 times (the join finds the task not yet
 * claimed, just claimed, or done, in every interleaving the scheduler
 * gives): no task is lost or run twice; and stopping a worker asleep on its
 * futex returns. */
START_TEST(an_immediate_join_never_loses_the_task)
{
	char err[128];
	struct worker *w = worker_start(0, err, sizeof err);
	ck_assert_msg(w != NULL, "%s", err);
	struct job j;
	memset(&j, 0, sizeof j);
	for (unsigned k = 0; k < 50000; k++) {
		worker_fork_rt(w, run_job, &j);
		worker_join_rt(w);
		ck_assert_uint_eq(atomic_load(&j.runs), k + 1);
	}
	ck_assert_uint_eq(worker_tasks_run(w) + worker_tasks_taken_back(w), 50000);
	nanosleep(&(struct timespec){0, 20000000}, NULL); /* the worker asleep on its futex */
	worker_stop(w);
}
END_TEST

/* An RT priority the system refuses (an unprivileged test, or a priority out
 * of range) still gives a worker, at normal priority, with the reason. */
START_TEST(a_refused_priority_still_gives_a_worker)
{
	char err[160] = "";
	struct worker *w = worker_start(1000, err, sizeof err);
	ck_assert(w != NULL);
	ck_assert_msg(strstr(err, "normal priority") != NULL, "no warning: \"%s\"", err);
	struct job j;
	memset(&j, 0, sizeof j);
	worker_fork_rt(w, run_job, &j);
	worker_join_rt(w);
	ck_assert_uint_eq(atomic_load(&j.runs), 1);
	worker_stop(w);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("worker");
	TCase *t = tcase_create("core");
	tcase_set_timeout(t, 60);
	tcase_add_test(t, every_task_runs_once_and_is_done_at_the_join);
	tcase_add_test(t, an_immediate_join_never_loses_the_task);
	tcase_add_test(t, a_refused_priority_still_gives_a_worker);
	suite_add_tcase(s, t);
	return run_suite(s);
}
