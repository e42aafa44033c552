/* engine/bench: the offline benchmark reports what it ran, including the
 * periods that take a rebuilt graph over (--rebuild), on one thread and
 * with the worker; under the sanitizers this also shows that nothing it
 * reads after a takeover belongs to a graph already freed. */
#include "control/config.h"
#include "engine/bench.h"
#include "tests/check_main.h"

#ifndef SOURCE_ROOT
#error SOURCE_ROOT must name the source tree
#endif

START_TEST(rebuilds_are_counted_on_one_and_two_threads)
{
	char err[512];
	struct console *c = config_load_file(SOURCE_ROOT "/configs/bench-256.json", err, sizeof err);
	ck_assert_msg(c != NULL, "%s", err);
	for (unsigned threads = 1; threads <= 2; threads++) {
		const struct bench_options o = {.period = 64, .rate = 48000, .seconds = 0.5, .threads = threads,
		                                .rebuild_every = 7};
		struct bench_result r;
		ck_assert_msg(bench_run(c, &o, &r, err, sizeof err) == 0, "%s", err);
		ck_assert_uint_eq(r.periods, 376); /* 0.5 s of 64-frame periods, and the one begun */
		ck_assert_uint_eq(r.rebuilds, r.periods / 7);
		ck_assert_uint_eq(r.strips, 256);
		ck_assert_uint_gt(r.chunks, 1);
		ck_assert(r.rebuild_median_ns > 0.0 && r.rebuild_median_ns <= r.rebuild_worst_ns &&
		          r.rebuild_worst_ns <= r.worst_ns);
		ck_assert(r.median_ns > 0.0 && r.median_ns <= r.p99_ns && r.p99_ns <= r.worst_ns);
	}
	console_free(c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("bench");
	TCase *t = tcase_create("core");
	tcase_set_timeout(t, 60);
	tcase_add_test(t, rebuilds_are_counted_on_one_and_two_threads);
	suite_add_tcase(s, t);
	return run_suite(s);
}
