#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dsp/gain.h"
#include "tests/check_main.h"
#include "tests/signal_util.h"

START_TEST(db_conversion)
{
	ck_assert_float_eq_tol(gain_from_db(0.0f), 1.0f, 1e-7);
	ck_assert_float_eq_tol(gain_from_db(-6.0206f), 0.5f, 1e-5);
	ck_assert_float_eq_tol(gain_from_db(10.0f), 3.1622777f, 1e-5);
	ck_assert_float_eq(gain_from_db(-144.0f), 0.0f);
	ck_assert_float_eq(gain_from_db(-INFINITY), 0.0f);
	ck_assert_float_eq(gain_from_db(NAN), 0.0f);
	ck_assert_float_eq_tol(gain_to_db(0.5f), -6.0206f, 1e-4);
	ck_assert(isinf(gain_to_db(0.0f)) && gain_to_db(0.0f) < 0);
}
END_TEST

START_TEST(ramp_is_linear_and_lands_exactly)
{
	struct gain_ramp r;
	float g[512];
	gain_ramp_init(&r, 0.0f);
	gain_ramp_set(&r, 1.0f, 480);
	gain_ramp_fill_rt(&r, g, 64);
	ck_assert_float_eq_tol(g[0], 1.0f / 480, 1e-7);
	ck_assert_float_eq_tol(g[63], 64.0f / 480, 1e-6);
	ck_assert_uint_eq(r.remaining, 480 - 64);
	gain_ramp_fill_rt(&r, g, 512);
	ck_assert_float_eq_tol(g[480 - 64 - 2], 479.0f / 480, 1e-5);
	ck_assert_float_eq(g[480 - 64 - 1], 1.0f); /* the last ramp frame is the target itself */
	ck_assert_float_eq(g[511], 1.0f);
	ck_assert_uint_eq(r.remaining, 0);
	ck_assert_float_eq(r.current, 1.0f);
}
END_TEST

START_TEST(retarget_mid_ramp_is_continuous)
{
	struct gain_ramp r;
	float g[64];
	gain_ramp_init(&r, 1.0f);
	gain_ramp_set(&r, 0.0f, 480);
	gain_ramp_fill_rt(&r, g, 64);
	const float before = g[63];
	gain_ramp_set(&r, 2.0f, 480);
	gain_ramp_fill_rt(&r, g, 64);
	/* The next frame moves by one step of the new ramp, not a jump. */
	ck_assert_float_eq_tol(g[0] - before, (2.0f - before) / 480, 1e-6);
}
END_TEST

/* A 40 dB jump on a 1 kHz sine: with the ramp, no sample-to-sample step is
 * larger than the sine's own largest step at the louder level (0.1 %
 * tolerance); without it, the jump is a step many times larger (a click). */
START_TEST(forty_db_jump_makes_no_click)
{
	enum { N = 4800 };
	float x[N], g[N], y[N];
	const double a = 0.5, f = 1000, rate = 48000;
	sine(x, N, a, f, rate, 0);
	for (int dir = 0; dir < 2; dir++) {
		const float lo = 0.01f, hi = 1.0f; /* -40 dB and 0 dB */
		struct gain_ramp r;
		gain_ramp_init(&r, dir ? hi : lo);
		for (int i = 0; i < N; i += 64) {
			if (i == 1024) /* 1024 mod 48: the change lands mid-cycle */
				gain_ramp_set(&r, dir ? lo : hi, 480);
			gain_ramp_fill_rt(&r, g + i, 64);
		}
		gain_apply_sanitized_rt(x, g, y, N);
		const double own = sine_max_step(a * hi, f, rate);
		ck_assert_double_le(max_step(y, N), own * 1.001);

		struct gain_ramp jump;
		gain_ramp_init(&jump, dir ? hi : lo);
		for (int i = 0; i < N; i += 64) {
			if (i == 1024)
				gain_ramp_set(&jump, dir ? lo : hi, 0);
			gain_ramp_fill_rt(&jump, g + i, 64);
		}
		gain_apply_sanitized_rt(x, g, y, N);
		ck_assert_double_gt(max_step(y, N), own * 1.5);
	}
}
END_TEST

START_TEST(sanitizer_drops_non_finite_and_absurd)
{
	const float in[6] = {0.5f, NAN, INFINITY, -INFINITY, 1e6f, -999.0f};
	const float g[6] = {1, 1, 1, 1, 1, 1};
	float out[6];
	gain_apply_sanitized_rt(in, g, out, 6);
	ck_assert_float_eq(out[0], 0.5f);
	for (int i = 1; i < 5; i++)
		ck_assert_float_eq(out[i], 0.0f);
	ck_assert_float_eq(out[5], -999.0f);
}
END_TEST

START_TEST(mix_adds_with_ramp)
{
	float in[64], out[64];
	for (int i = 0; i < 64; i++) {
		in[i] = 1.0f;
		out[i] = 0.25f;
	}
	struct gain_ramp r;
	gain_ramp_init(&r, 0.0f);
	gain_ramp_set(&r, 0.5f, 32);
	gain_ramp_mix_rt(&r, in, out, 64);
	ck_assert_float_eq_tol(out[0], 0.25f + 0.5f / 32, 1e-7);
	ck_assert_float_eq(out[31], 0.75f);
	ck_assert_float_eq(out[63], 0.75f);
}
END_TEST


/* The scalar reference: one product per sample, non-finite or absurd
 * products replaced by 0. */
SCALAR_REFERENCE static bool scalar_apply(const float *in, const float *g, float *out, uint32_t n)
{
	bool replaced = false;
	for (uint32_t i = 0; i < n; i++) {
		const float v = in[i] * g[i];
		const bool sane = fabsf(v) <= GAIN_SANE_LIMIT;
		out[i] = sane ? v : 0.0f;
		replaced |= !sane;
	}
	return replaced;
}

SCALAR_REFERENCE static void scalar_mix(const float *in, float g, float *out, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		out[i] += in[i] * g;
}

/* Issue 8: the vector loops (the AVX2 clone on a CPU that has it, the
 * baseline's SSE otherwise; the no-clone builds of scripts/test.sh run the
 * baseline) give bit for bit the scalar reference, on random gains and
 * signals with NaN, infinities and absurd values sprinkled in, for every
 * length from 1 to 300 and every misalignment. */
START_TEST(vector_loops_equal_the_scalar_reference)
{
	enum { N = 300 + 16 };
	static float in[N], g[N], want[N], got[N];
	unsigned seed = 3;
	for (int trial = 0; trial < 40; trial++) {
		for (int i = 0; i < N; i++) {
			in[i] = ((float)rand_r(&seed) / (float)RAND_MAX - 0.5f) * 4.0f;
			g[i] = (float)rand_r(&seed) / (float)RAND_MAX * 2.0f;
			const int r = rand_r(&seed) % 97;
			in[i] = r == 0 ? NAN : r == 1 ? INFINITY : r == 2 ? -INFINITY : r == 3 ? 3e5f : in[i];
		}
		const uint32_t off = (uint32_t)trial % 16;
		for (uint32_t n = 1 + (uint32_t)trial % 7; n <= 300; n += 7) {
			bool a = scalar_apply(in + off, g + off, want, n);
			bool b = gain_apply_sanitized_rt(in + off, g + off, got, n);
			ck_assert_int_eq(a, b);
			ck_assert_msg(memcmp(want, got, n * sizeof(float)) == 0, "apply: n %u off %u", n, off);
			const float k = g[n];
			float kk[N];
			for (uint32_t i = 0; i < n; i++)
				kk[i] = k;
			a = scalar_apply(in + off, kk, want, n);
			b = gain_scale_sanitized_rt(in + off, k, got, n);
			ck_assert_int_eq(a, b);
			ck_assert_msg(memcmp(want, got, n * sizeof(float)) == 0, "scale: n %u off %u", n, off);
			for (uint32_t i = 0; i < n; i++) /* mix: finite inputs, as the graph gives it */
				want[i] = got[i] = g[i + 1] - 1.0f;
			scalar_mix(g + off, k, want, n);
			gain_mix_constant_rt(g + off, k, got, n);
			ck_assert_msg(memcmp(want, got, n * sizeof(float)) == 0, "mix: n %u off %u", n, off);
		}
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("gain");
	TCase *t = tcase_create("core");
	tcase_add_test(t, db_conversion);
	tcase_add_test(t, ramp_is_linear_and_lands_exactly);
	tcase_add_test(t, retarget_mid_ramp_is_continuous);
	tcase_add_test(t, forty_db_jump_makes_no_click);
	tcase_add_test(t, sanitizer_drops_non_finite_and_absurd);
	tcase_add_test(t, mix_adds_with_ramp);
	tcase_add_test(t, vector_loops_equal_the_scalar_reference);
	suite_add_tcase(s, t);
	return run_suite(s);
}
