#include <math.h>
#include <stdlib.h>

#include "dsp/panner.h"
#include "tests/check_main.h"

static struct panner panners[LAYOUT_COUNT];
static struct panner *pan[LAYOUT_COUNT];

static void setup(void)
{
	for (int id = 0; id < LAYOUT_COUNT; id++) {
		pan[id] = &panners[id];
		ck_assert_msg(panner_init(pan[id], layout_get((enum layout_id)id)) == 0, "no panner for %s",
		              layout_get((enum layout_id)id)->name);
	}
}

static void teardown(void) {}

/* A uniformly distributed direction on the sphere. */
static void random_direction(float *az, float *el)
{
	*az = (float)(rand() / (double)RAND_MAX * 360.0 - 180.0);
	*el = (float)(asin(rand() / (double)RAND_MAX * 2.0 - 1.0) * 180.0 / M_PI);
}

START_TEST(a_source_on_a_loudspeaker_plays_only_it)
{
	float g[LAYOUT_MAX_CHANNELS];
	for (int id = 0; id < LAYOUT_COUNT; id++) {
		const struct layout *l = layout_get((enum layout_id)id);
		for (unsigned c = 0; c < l->channels; c++) {
			if (l->speakers[c].is_lfe)
				continue;
			panner_gains(pan[id], l->speakers[c].azimuth_deg, l->speakers[c].elevation_deg, g);
			for (unsigned o = 0; o < l->channels; o++)
				ck_assert_msg(fabsf(g[o] - (o == c ? 1.0f : 0.0f)) <= 1e-6f, "%s at %s: %s = %g",
				              l->name, l->speakers[c].name, l->speakers[o].name, g[o]);
		}
	}
}
END_TEST

/* 10,000 random directions per layout: power sum 1 within 1e-6, no negative
 * gain, nothing into LFE. */
START_TEST(energy_preserving_everywhere)
{
	float g[LAYOUT_MAX_CHANNELS];
	srand(2027);
	for (int id = 0; id < LAYOUT_COUNT; id++) {
		const struct layout *l = layout_get((enum layout_id)id);
		for (int i = 0; i < 10000; i++) {
			float az, el;
			random_direction(&az, &el);
			panner_gains(pan[id], az, el, g);
			double p = 0;
			for (unsigned o = 0; o < l->channels; o++) {
				ck_assert_float_ge(g[o], 0.0f);
				if (l->speakers[o].is_lfe)
					ck_assert_float_eq(g[o], 0.0f);
				p += (double)g[o] * g[o];
			}
			ck_assert_msg(fabs(p - 1.0) <= 1e-6, "%s (%g, %g): power %.9f", l->name, az, el, p);
		}
	}
}
END_TEST

/* Continuity: for a 0.1 degree step in azimuth or elevation anywhere, no
 * gain moves more than 0.02 (the measured worst case is 0.009, at the
 * narrowest triangles; a jump between triangles would be of order 0.5). */
START_TEST(continuous_on_the_sphere)
{
	float a[LAYOUT_MAX_CHANNELS], b[LAYOUT_MAX_CHANNELS];
	srand(7);
	for (int id = 0; id < LAYOUT_COUNT; id++) {
		const struct layout *l = layout_get((enum layout_id)id);
		for (int i = 0; i < 10000; i++) {
			float az, el;
			random_direction(&az, &el);
			panner_gains(pan[id], az, el, a);
			panner_gains(pan[id], az + 0.1f, el, b);
			for (unsigned o = 0; o < l->channels; o++)
				ck_assert_msg(fabsf(a[o] - b[o]) <= 0.02f, "%s az %g el %g", l->name, az, el);
			panner_gains(pan[id], az, el + 0.1f, b);
			for (unsigned o = 0; o < l->channels; o++)
				ck_assert_msg(fabsf(a[o] - b[o]) <= 0.02f, "%s az %g el %g", l->name, az, el);
		}
	}
}
END_TEST

static int mirror_of(const struct layout *l, unsigned c)
{
	for (unsigned m = 0; m < l->channels; m++)
		if (l->speakers[m].azimuth_deg == -l->speakers[c].azimuth_deg &&
		    l->speakers[m].elevation_deg == l->speakers[c].elevation_deg &&
		    l->speakers[m].is_lfe == l->speakers[c].is_lfe)
			return (int)m;
	return -1;
}

START_TEST(mirror_positions_give_mirrored_gains)
{
	float g[LAYOUT_MAX_CHANNELS], h[LAYOUT_MAX_CHANNELS];
	srand(11);
	for (int id = 0; id < LAYOUT_COUNT; id++) {
		const struct layout *l = layout_get((enum layout_id)id);
		for (int i = 0; i < 2000; i++) {
			float az, el;
			random_direction(&az, &el);
			panner_gains(pan[id], az, el, g);
			panner_gains(pan[id], -az, el, h);
			for (unsigned o = 0; o < l->channels; o++)
				ck_assert_float_eq_tol(g[o], h[mirror_of(l, o)], 1e-6);
		}
	}
}
END_TEST

/* A source in the ear plane never feeds a height loudspeaker. */
START_TEST(ear_level_stays_in_the_ear_layer)
{
	float g[LAYOUT_MAX_CHANNELS];
	for (int id = 0; id < LAYOUT_COUNT; id++) {
		const struct layout *l = layout_get((enum layout_id)id);
		for (float az = -180.0f; az < 180.0f; az += 0.25f) {
			panner_gains(pan[id], az, 0.0f, g);
			for (unsigned o = 0; o < l->channels; o++)
				if (l->speakers[o].elevation_deg != 0.0f)
					ck_assert_msg(g[o] == 0.0f, "%s az %g feeds %s", l->name, az, l->speakers[o].name);
		}
	}
}
END_TEST

/* Known points: midway between two ear loudspeakers both get cos(pi/4);
 * straight up in 7.1.4 all four heights share equally; 2.0 behind the
 * listener is the phantom centre. */
START_TEST(known_points)
{
	float g[LAYOUT_MAX_CHANNELS];
	const float k = 0.70710678f;
	panner_gains(pan[LAYOUT_5_1], 0.0f, 0.0f, g);
	ck_assert_float_eq_tol(g[2], 1.0f, 1e-6);
	panner_gains(pan[LAYOUT_5_1], 180.0f, 0.0f, g);
	ck_assert_float_eq_tol(g[4], k, 1e-6);
	ck_assert_float_eq_tol(g[5], k, 1e-6);
	panner_gains(pan[LAYOUT_7_1_4], 0.0f, 90.0f, g);
	for (int c = 8; c < 12; c++)
		ck_assert_float_eq_tol(g[c], 0.5f, 1e-6);
	panner_gains(pan[LAYOUT_2_0], 180.0f, 0.0f, g);
	ck_assert_float_eq_tol(g[0], k, 1e-6);
	ck_assert_float_eq_tol(g[1], k, 1e-6);
	panner_gains(pan[LAYOUT_2_0], 90.0f, 0.0f, g);
	ck_assert_float_eq_tol(g[0], 1.0f, 1e-6);
	panner_gains(pan[LAYOUT_MONO], 123.0f, 45.0f, g);
	ck_assert_float_eq(g[0], 1.0f);
	/* the triangle counts docs/layouts.md quotes (fan triangles included) */
	const unsigned tris[LAYOUT_COUNT] = {
		[LAYOUT_MONO] = 0, [LAYOUT_2_0] = 10, [LAYOUT_5_1] = 10, [LAYOUT_7_1] = 14, [LAYOUT_7_1_4] = 24,
		[LAYOUT_5_1_2] = 14, [LAYOUT_5_1_4] = 24, [LAYOUT_7_1_2] = 18, [LAYOUT_9_1_6] = 32};
	for (int id = 0; id < LAYOUT_COUNT; id++)
		ck_assert_uint_eq(panner_triangle_count(pan[id]), tris[id]);
	/* below the horizon: folded onto the ear layer, never silent */
	panner_gains(pan[LAYOUT_7_1_4], 0.0f, -90.0f, g);
	for (int c = 8; c < 12; c++)
		ck_assert_float_eq(g[c], 0.0f);
	ck_assert_float_gt(g[2], 0.0f);
}
END_TEST

/* Size: 0 is the point source; any size keeps the power; 1 spreads over
 * every loudspeaker; growing size moves energy away from the point. */
START_TEST(size_spreads_and_keeps_power)
{
	float g0[LAYOUT_MAX_CHANNELS], g[LAYOUT_MAX_CHANNELS];
	const struct layout *l = layout_get(LAYOUT_7_1_4);
	panner_gains(pan[LAYOUT_7_1_4], 30.0f, 0.0f, g0);
	panner_gains_sized(pan[LAYOUT_7_1_4], 30.0f, 0.0f, 0.0f, g);
	ck_assert_mem_eq(g, g0, sizeof g);
	float prev_l = 1.0f;
	for (float size = 0.1f; size <= 1.0f; size += 0.1f) {
		panner_gains_sized(pan[LAYOUT_7_1_4], 30.0f, 0.0f, size, g);
		double p = 0;
		for (unsigned c = 0; c < l->channels; c++)
			p += (double)g[c] * g[c];
		ck_assert_double_eq_tol(p, 1.0, 1e-6);
		ck_assert_float_le(g[0], prev_l + 1e-6f); /* L gives energy away as the source grows */
		prev_l = g[0];
	}
	/* size 1 is an even spread, 1/sqrt(N) on each of N positioned
	 * loudspeakers, wherever the source was */
	for (int id = LAYOUT_2_0; id < LAYOUT_COUNT; id++) {
		const struct layout *li = layout_get((enum layout_id)id);
		unsigned positioned = 0;
		for (unsigned c = 0; c < li->channels; c++)
			positioned += !li->speakers[c].is_lfe;
		const double even = 1.0 / sqrt((double)positioned);
		for (float az = -170.0f; az < 180.0f; az += 85.0f) {
			panner_gains_sized(pan[id], az, 20.0f, 1.0f, g);
			for (unsigned c = 0; c < li->channels; c++)
				ck_assert_msg(fabs(g[c] - (li->speakers[c].is_lfe ? 0.0 : even)) < 1e-6,
				              "%s size 1 at %g: %s = %g (even is %g)", li->name, az,
				              li->speakers[c].name, g[c], even);
		}
	}
	/* continuous in size: no gain jumps for a 0.001 step */
	for (float size = 0.0f; size < 1.0f; size += 0.001f) {
		float a[LAYOUT_MAX_CHANNELS], b[LAYOUT_MAX_CHANNELS];
		panner_gains_sized(pan[LAYOUT_7_1_4], 70.0f, 10.0f, size, a);
		panner_gains_sized(pan[LAYOUT_7_1_4], 70.0f, 10.0f, size + 0.001f, b);
		for (unsigned c = 0; c < l->channels; c++)
			ck_assert_msg(fabsf(a[c] - b[c]) <= 0.02f, "size %g %s: %g -> %g", size, l->speakers[c].name,
			              a[c], b[c]);
	}
	/* continuous in position at a medium size */
	float a[LAYOUT_MAX_CHANNELS], b[LAYOUT_MAX_CHANNELS];
	for (float az = -180.0f; az < 180.0f; az += 1.0f) {
		panner_gains_sized(pan[LAYOUT_7_1_4], az, 10.0f, 0.4f, a);
		panner_gains_sized(pan[LAYOUT_7_1_4], az + 0.1f, 10.0f, 0.4f, b);
		for (unsigned c = 0; c < l->channels; c++)
			ck_assert_msg(fabsf(a[c] - b[c]) <= 0.02f, "az %g %s", az, l->speakers[c].name);
	}
}
END_TEST

/* Divergence 1 on a centre source: no C, equal L and R, constant power. */
START_TEST(divergence_moves_centre_into_left_right)
{
	float g[LAYOUT_MAX_CHANNELS];
	const struct layout *l = layout_get(LAYOUT_7_1_4);
	panner_gains(pan[LAYOUT_7_1_4], 0.0f, 0.0f, g);
	panner_diverge(l, 1.0f, g);
	ck_assert_float_eq(g[2], 0.0f);
	ck_assert_float_eq_tol(g[0], 0.70710678f, 1e-6);
	ck_assert_float_eq_tol(g[1], 0.70710678f, 1e-6);
	panner_gains(pan[LAYOUT_7_1_4], 0.0f, 0.0f, g);
	panner_diverge(l, 0.5f, g);
	ck_assert_float_eq_tol(g[2] * g[2], 0.5f, 1e-6);
	ck_assert_float_eq_tol(g[0] * g[0] + g[1] * g[1] + g[2] * g[2], 1.0f, 1e-6);
	/* nothing to do without a C */
	float h[LAYOUT_MAX_CHANNELS] = {0.6f, 0.8f};
	panner_diverge(layout_get(LAYOUT_2_0), 1.0f, h);
	ck_assert_float_eq(h[0], 0.6f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("panner");
	TCase *t = tcase_create("core");
	tcase_set_timeout(t, 60);
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, a_source_on_a_loudspeaker_plays_only_it);
	tcase_add_test(t, energy_preserving_everywhere);
	tcase_add_test(t, continuous_on_the_sphere);
	tcase_add_test(t, mirror_positions_give_mirrored_gains);
	tcase_add_test(t, ear_level_stays_in_the_ear_layer);
	tcase_add_test(t, known_points);
	tcase_add_test(t, size_spreads_and_keeps_power);
	tcase_add_test(t, divergence_moves_centre_into_left_right);
	suite_add_tcase(s, t);
	return run_suite(s);
}
