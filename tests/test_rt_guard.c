#include <string.h>

#include "tests/check_main.h"
#include "tests/process_util.h"

static const char *const with_guard[] = {"LD_PRELOAD=" RT_GUARD_LIB, NULL};

static int run(const char *prog, const char *arg, const char *const *env, const char *log)
{
	unlink(log);
	char *argv[] = {(char *)prog, (char *)arg, NULL};
	pid_t pid = spawn_logged(argv, log, env);
	int status;
	ck_assert(wait_exit(pid, 20000, &status));
	return status;
}

/* The guard can fail: each forbidden call inside the region aborts the
 * process with a message naming the call. */
START_TEST(forbidden_calls_abort)
{
	const char *calls[][2] = {{"malloc", "malloc"}, {"mutex", "pthread_mutex_lock"},
	                          {"sleep", "nanosleep"}, {"print", "printf"}, {"free", "free"},
	                          {"worker", "malloc"}};
	for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
		int st = run(PROBE, calls[i][0], with_guard, "/tmp/dubstage-rtguard-probe.log");
		ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT, "%s did not abort", calls[i][0]);
		char want[128];
		snprintf(want, sizeof want, "RT guard: %s called on the RT thread", calls[i][1]);
		ck_assert_msg(strstr(slurp("/tmp/dubstage-rtguard-probe.log"), want), "no \"%s\"", want);
	}
}
END_TEST

START_TEST(allowed_calls_pass)
{
	int st = run(PROBE, "outside", with_guard, "/tmp/dubstage-rtguard-probe.log");
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* without the shim the hooks are NULL and nothing is checked */
	st = run(PROBE, "malloc", NULL, "/tmp/dubstage-rtguard-probe.log");
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}
END_TEST

/* The real process path (the bench drives engine_begin_rt/engine_end_rt on
 * a 256-strip console) makes no forbidden call: on the process thread alone,
 * and with the worker taking chunks of the strips (each of its tasks is a
 * guarded region of its own); every 50th period takes over a rebuilt graph
 * (graph_adopt_rt, and the strips taken over where they are processed). */
START_TEST(engine_process_path_is_clean)
{
	for (int threads = 1; threads <= 2; threads++) {
		char *argv[] = {DUBSTAGE, "bench", SOURCE_ROOT "/configs/bench-256.json", "--seconds", "1",
		                "--threads", threads == 1 ? "1" : "2", "--rebuild", "50", NULL};
		const char *log = "/tmp/dubstage-rtguard-bench.log";
		unlink(log);
		pid_t pid = spawn_logged(argv, log, with_guard);
		int st;
		ck_assert(wait_exit(pid, 60000, &st));
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "bench under the RT guard failed: %s", slurp(log));
		const char *out = slurp(log);
		unsigned long long periods = 0, tasks = 0, regions = 0;
		const char *b = strstr(out, "bench: ");
		ck_assert_msg(b && sscanf(b, "bench: %*u strips, %*u frames at %*u Hz, %llu periods", &periods) == 1,
		              "no bench report: %s", out);
		const char *r = strstr(out, "RT guard: ");
		ck_assert_msg(r && sscanf(r, "RT guard: %llu guarded", &regions) == 1, "no guard report: %s", out);
		if (threads == 2) {
			const char *w = strstr(out, "worker tasks: ");
			ck_assert_msg(w && sscanf(w, "worker tasks: %llu run by the worker", &tasks) == 1, "no worker report: %s",
			              out);
			ck_assert_uint_gt(tasks, 0);
		}
		ck_assert_uint_ge(periods, 750); /* 1 s at 64 frames */
		unsigned long long rebuilds = 0;
		const char *rb = strstr(out, "periods taking a rebuilt graph over (");
		ck_assert_msg(rb && sscanf(rb, "periods taking a rebuilt graph over (%llu", &rebuilds) == 1, "%s", out);
		ck_assert_uint_eq(rebuilds, periods / 50);
		ck_assert_uint_eq(regions, periods + tasks); /* one per period, one per task the worker ran */
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("rt_guard");
	TCase *t = tcase_create("core");
	tcase_set_timeout(t, 120);
	tcase_add_test(t, forbidden_calls_abort);
	tcase_add_test(t, allowed_calls_pass);
	tcase_add_test(t, engine_process_path_is_clean);
	suite_add_tcase(s, t);
	return run_suite(s);
}
