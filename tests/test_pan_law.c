#include <math.h>

#include "dsp/pan_law.h"
#include "tests/check_main.h"

static const float k = 0.70710678f; /* cos(pi/4): the constant-power midpoint */

static int ch(enum layout_id id, const char *name)
{
	return layout_channel_index(layout_get(id), name);
}

START_TEST(at_a_speaker_only_that_speaker)
{
	float g[LAYOUT_MAX_CHANNELS];
	const enum layout_id ids[] = {LAYOUT_2_0, LAYOUT_5_1, LAYOUT_7_1, LAYOUT_7_1_4};
	for (size_t i = 0; i < 4; i++) {
		const struct layout *l = layout_get(ids[i]);
		for (unsigned c = 0; c < l->channels; c++) {
			if (l->speakers[c].is_lfe || l->speakers[c].elevation_deg != 0)
				continue;
			pan_law_pairwise(l, l->speakers[c].azimuth_deg, g);
			for (unsigned o = 0; o < l->channels; o++)
				ck_assert_float_eq(g[o], o == c ? 1.0f : 0.0f); /* exactly */
		}
	}
}
END_TEST

/* Midway between adjacent speakers, both get cos(pi/4) (-3.01 dB). */
START_TEST(midpoints_are_minus_3_db)
{
	float g[LAYOUT_MAX_CHANNELS];
	pan_law_pairwise(layout_get(LAYOUT_5_1), 15.0f, g);
	ck_assert_float_eq_tol(g[ch(LAYOUT_5_1, "L")], k, 1e-6);
	ck_assert_float_eq_tol(g[ch(LAYOUT_5_1, "C")], k, 1e-6);
	pan_law_pairwise(layout_get(LAYOUT_5_1), 70.0f, g); /* L 30 .. Ls 110 */
	ck_assert_float_eq_tol(g[ch(LAYOUT_5_1, "L")], k, 1e-6);
	ck_assert_float_eq_tol(g[ch(LAYOUT_5_1, "Ls")], k, 1e-6);
	pan_law_pairwise(layout_get(LAYOUT_5_1), 180.0f, g); /* Ls 110 .. Rs -110 through the back */
	ck_assert_float_eq_tol(g[ch(LAYOUT_5_1, "Ls")], k, 1e-6);
	ck_assert_float_eq_tol(g[ch(LAYOUT_5_1, "Rs")], k, 1e-6);
	/* a third of the way from C (0) to L (30): cos/sin of pi/6 */
	pan_law_pairwise(layout_get(LAYOUT_7_1), 10.0f, g);
	ck_assert_float_eq_tol(g[ch(LAYOUT_7_1, "C")], cosf((float)M_PI / 6), 1e-6);
	ck_assert_float_eq_tol(g[ch(LAYOUT_7_1, "L")], sinf((float)M_PI / 6), 1e-6);
}
END_TEST

START_TEST(constant_power_and_no_lfe_or_height)
{
	float g[LAYOUT_MAX_CHANNELS];
	for (int id = 0; id < LAYOUT_COUNT; id++) {
		const struct layout *l = layout_get((enum layout_id)id);
		for (float az = -360.0f; az <= 360.0f; az += 0.5f) {
			pan_law_pairwise(l, az, g);
			double p = 0;
			for (unsigned c = 0; c < l->channels; c++) {
				p += (double)g[c] * g[c];
				if (l->speakers[c].is_lfe || l->speakers[c].elevation_deg != 0)
					ck_assert_float_eq(g[c], 0.0f);
			}
			ck_assert_double_eq_tol(p, 1.0, 1e-6);
		}
	}
}
END_TEST

/* No jump anywhere on the circle, including 2.0's wide back gap and +-180. */
START_TEST(continuous_everywhere)
{
	float a[LAYOUT_MAX_CHANNELS], b[LAYOUT_MAX_CHANNELS];
	for (int id = 0; id < LAYOUT_COUNT; id++) {
		const struct layout *l = layout_get((enum layout_id)id);
		for (float az = -180.0f; az < 180.0f; az += 0.05f) {
			pan_law_pairwise(l, az, a);
			pan_law_pairwise(l, az + 0.05f, b);
			for (unsigned c = 0; c < l->channels; c++)
				ck_assert_float_le(fabsf(a[c] - b[c]), 0.01f);
		}
	}
}
END_TEST

START_TEST(stereo_behind_the_listener)
{
	float g[LAYOUT_MAX_CHANNELS];
	const struct layout *l = layout_get(LAYOUT_2_0);
	pan_law_pairwise(l, 90.0f, g);   /* hard left stays left */
	ck_assert_float_eq_tol(g[0], 1.0f, 1e-6);
	pan_law_pairwise(l, 180.0f, g);  /* straight behind folds to the phantom centre */
	ck_assert_float_eq_tol(g[0], k, 1e-6);
	ck_assert_float_eq_tol(g[1], k, 1e-6);
	pan_law_pairwise(l, -170.0f, g); /* behind, a little to the right */
	ck_assert_float_gt(g[1], g[0]);
}
END_TEST

START_TEST(wrap)
{
	ck_assert_float_eq_tol(pan_law_wrap_deg(190.0f), -170.0f, 1e-5);
	ck_assert_float_eq_tol(pan_law_wrap_deg(-180.0f), 180.0f, 1e-5);
	ck_assert_float_eq_tol(pan_law_wrap_deg(720.0f + 30.0f), 30.0f, 1e-4);
	ck_assert_float_eq(pan_law_wrap_deg(NAN), 0.0f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pan_law");
	TCase *t = tcase_create("core");
	tcase_add_test(t, at_a_speaker_only_that_speaker);
	tcase_add_test(t, midpoints_are_minus_3_db);
	tcase_add_test(t, constant_power_and_no_lfe_or_height);
	tcase_add_test(t, continuous_everywhere);
	tcase_add_test(t, stereo_behind_the_listener);
	tcase_add_test(t, wrap);
	suite_add_tcase(s, t);
	return run_suite(s);
}
