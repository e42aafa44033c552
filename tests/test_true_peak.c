/* dsp/true_peak: the Annex 2 interpolator, its bound and its vectorised span. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "dsp/true_peak.h"
#include "tests/check_main.h"
#include "tests/signal_util.h"

/* TRUE_PEAK_BOUND is the largest sum of |taps| of a phase of the table, so
 * that skipping a block under m / bound never misses a value above m. */
START_TEST(bound_is_the_largest_phase_sum)
{
	double most = 0;
	for (int p = 0; p < TRUE_PEAK_PHASES; p++) {
		double sum = 0;
		for (int k = 0; k < TRUE_PEAK_TAPS; k++)
			sum += fabs(true_peak_annex2[p][k]);
		most = fmax(most, sum);
	}
	ck_assert_double_eq(TRUE_PEAK_BOUND, most);
	/* and it is reached: samples of the phase's tap signs, at full scale */
	float w[TRUE_PEAK_TAPS];
	for (int k = 0; k < TRUE_PEAK_TAPS; k++)
		w[TRUE_PEAK_TAPS - 1 - k] = true_peak_annex2[1][k] >= 0 ? 1.0f : -1.0f;
	ck_assert_float_eq_tol(true_peak_window(&w[TRUE_PEAK_TAPS - 1]), TRUE_PEAK_BOUND, 1e-6f);
}
END_TEST

enum { WINDOW_FRAMES = 200 };

/* The history and WINDOW_FRAMES frames of noise in [-1, 1] (seeded), every
 * 37th sample times `spike`. */
static void noise_window(float w[TRUE_PEAK_HISTORY + WINDOW_FRAMES], unsigned seed, float spike)
{
	srand(seed);
	for (int i = 0; i < TRUE_PEAK_HISTORY + WINDOW_FRAMES; i++)
		w[i] = ((float)rand() / (float)RAND_MAX * 2.0f - 1.0f) * (i % 37 == 0 ? spike : 1.0f);
}

/* The span (16 frames at a time with AVX-512, 8 with AVX2, then one by
 * one) gives what the per-frame window gives, for every length and offset,
 * on noise in [-1, 1], within 2e-6 (1.7e-5 dB at 0 dBTP): it folds the
 * phases in pairs (phases 3 and 2 are 0 and 1 reversed), so its sums round
 * differently: at most a dozen half-ulps of sums below 2.03. */
START_TEST(span_equals_the_per_frame_window)
{
	enum { N = WINDOW_FRAMES };
	float w[TRUE_PEAK_HISTORY + N];
	noise_window(w, 7, 1.0f);
	for (uint32_t start = 0; start < 9; start++)
		for (uint32_t n = 1; n + start <= N; n += 7) {
			float want = 0.0f;
			for (uint32_t i = 0; i < n; i++)
				want = fmaxf(want, true_peak_window(&w[TRUE_PEAK_HISTORY + start + i]));
			ck_assert_float_eq_tol(true_peak_span_rt(&w[start], n), want, 2e-6f);
		}
}
END_TEST

/* The limiter's detector: each frame's true peak, bit for bit
 * true_peak_window's (its gains shape the audio, which must not depend on
 * the machine's vector unit), kept where an earlier channel's is larger. */
START_TEST(frames_equal_the_per_frame_window_exactly)
{
	enum { N = WINDOW_FRAMES };
	float w[TRUE_PEAK_HISTORY + N];
	noise_window(w, 9, 1.5f);
	for (uint32_t start = 0; start < 9; start++)
		for (uint32_t n = 1; n + start <= N; n += 5) {
			float most[N], kept[N];
			for (uint32_t i = 0; i < n; i++) /* an earlier channel's: larger at every third frame */
				most[i] = kept[i] = i % 3 == 0 ? 2.5f : 0.0f;
			true_peak_frames_rt(&w[start], n, most);
			for (uint32_t i = 0; i < n; i++) {
				const float v = true_peak_window(&w[TRUE_PEAK_HISTORY + start + i]);
				const float want = v > kept[i] ? v : kept[i];
				ck_assert_msg(most[i] == want, "start %u n %u frame %u: %.9g, want %.9g", start, n, i, most[i],
				              want);
			}
		}
}
END_TEST

/* Signals like EBU Tech 3341's true-peak cases: sines of amplitude 0.5
 * (-6.02 dBTP) at fs/4, fs/6 and fs/8 whose peaks lie midway between two
 * samples (sampled 45, 60 and 67.5 degrees off). Tech 3341 expects
 * -6.0 dBTP (+0.2 / -0.4 dB) though the samples peak at -9.03, -7.27 and
 * -6.71 dBFS (measured: -5.98, -6.32, -6.03 dBTP; the fs/6 one lowest as
 * the Annex 2 filter is 0.22 dB down there). */
START_TEST(sines_peaking_between_their_samples)
{
	const struct {
		double period, phase_deg, sample_peak_db;
	} cases[] = {{4, 45, -9.03}, {6, 60, -7.27}, {8, 67.5, -6.71}};
	for (int k = 0; k < 3; k++) {
		enum { N = 4800 };
		float x[TRUE_PEAK_HISTORY + N]; /* the sine from the history on: no onset to ring */
		for (int i = 0; i < TRUE_PEAK_HISTORY + N; i++)
			x[i] = (float)(0.5 * sin(2 * M_PI * i / cases[k].period + cases[k].phase_deg * M_PI / 180));
		const double tp = 20 * log10(true_peak_span_rt(x, N));
		const double sp = 20 * log10(peak_abs(x, TRUE_PEAK_HISTORY + N));
		fprintf(stderr, "true_peak: fs/%.0f sine %.1f degrees off: sample peak %.2f dBFS, true peak %.3f dBTP\n",
		        cases[k].period, cases[k].phase_deg, sp, tp);
		ck_assert_double_eq_tol(sp, cases[k].sample_peak_db, 0.01);
		ck_assert_double_ge(tp, -6.0 - 0.4);
		ck_assert_double_le(tp, -6.0 + 0.2);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("true_peak");
	TCase *t = tcase_create("core");
	tcase_add_test(t, bound_is_the_largest_phase_sum);
	tcase_add_test(t, span_equals_the_per_frame_window);
	tcase_add_test(t, frames_equal_the_per_frame_window_exactly);
	tcase_add_test(t, sines_peaking_between_their_samples);
	suite_add_tcase(s, t);
	return run_suite(s);
}
