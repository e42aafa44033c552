/* The surface fader law against the table in ../shared/reference/standards.md
 * ("Fader law for 0...1 surface positions"). */
#include <math.h>

#include "control/fader_law.h"
#include "tests/check_main.h"

START_TEST(published_points)
{
	/* segment ends and the standard's named points */
	const float pos[] = {1.0f, 0.75f, 0.5f, 0.25f, 0.0625f, 0.03125f};
	const float db[] = {10.0f, 0.0f, -10.0f, -30.0f, -60.0f, -75.0f};
	for (int i = 0; i < 6; i++) {
		ck_assert_float_eq_tol(fader_law_db(pos[i]), db[i], 1e-5f);
		ck_assert_float_eq_tol(fader_law_position(db[i]), pos[i], 1e-6f);
	}
	/* each segment's own formula, inside it */
	ck_assert_float_eq_tol(fader_law_db(0.6f), 40.0f * 0.6f - 30.0f, 1e-5f);
	ck_assert_float_eq_tol(fader_law_db(0.3f), 80.0f * 0.3f - 50.0f, 1e-5f);
	ck_assert_float_eq_tol(fader_law_db(0.1f), 160.0f * 0.1f - 70.0f, 1e-5f);
	ck_assert_float_eq_tol(fader_law_db(0.01f), 480.0f * 0.01f - 90.0f, 1e-5f);
}
END_TEST

START_TEST(ends_and_off)
{
	ck_assert(isinf(fader_law_db(0.0f)) && fader_law_db(0.0f) < 0);
	ck_assert(isinf(fader_law_db(-0.5f)));
	ck_assert(isinf(fader_law_db(NAN)));
	ck_assert_float_eq(fader_law_db(1.5f), 10.0f);
	ck_assert_float_eq(fader_law_position(-INFINITY), 0.0f);
	ck_assert_float_eq(fader_law_position(-90.0f), 0.0f);
	ck_assert_float_eq(fader_law_position(NAN), 0.0f);
	ck_assert_float_eq(fader_law_position(20.0f), 1.0f);
}
END_TEST

START_TEST(inverse_round_trips_and_is_monotonic)
{
	float last = -INFINITY;
	for (int i = 1; i <= 10000; i++) {
		const float f = (float)i / 10000.0f;
		const float db = fader_law_db(f);
		ck_assert_msg(db > last, "not increasing at %g", f);
		last = db;
		ck_assert_float_eq_tol(fader_law_position(db), f, 2e-6f);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fader_law");
	TCase *t = tcase_create("core");
	tcase_add_test(t, published_points);
	tcase_add_test(t, ends_and_off);
	tcase_add_test(t, inverse_round_trips_and_is_monotonic);
	suite_add_tcase(s, t);
	return run_suite(s);
}
