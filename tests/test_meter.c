#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dsp/meter.h"
#include "dsp/peak.h"
#include "tests/check_main.h"
#include "tests/signal_util.h"

/* A 1 kHz sine of peak -20 dBFS: sample peak -20 dBFS, RMS -23.01 dBFS
 * (20 log10(1/sqrt 2) = -3.01 dB below peak). */
START_TEST(sine_peak_and_rms)
{
	enum { BLOCK = 64 };
	float x[BLOCK];
	struct meter m = {0};
	const float kc = meter_block_coefficient(48000, 300, BLOCK);
	for (size_t i = 0; i < 48000 * 3; i += BLOCK) {
		sine(x, BLOCK, 0.1, 1000, 48000, i);
		meter_process_rt(&m, x, BLOCK, kc);
	}
	ck_assert_double_eq_tol(20 * log10(m.peak), -20.0, 0.01);
	ck_assert_double_eq_tol(10 * log10(m.mean_square), -23.0103, 0.05);
}
END_TEST

/* First-order integration: after one time constant, 1 - 1/e of a step. */
START_TEST(time_constant)
{
	enum { BLOCK = 48 };
	float x[BLOCK];
	for (int i = 0; i < BLOCK; i++)
		x[i] = (i & 1) ? -1.0f : 1.0f; /* mean square 1 */
	struct meter m = {0};
	const float kc = meter_block_coefficient(48000, 300, BLOCK);
	for (int i = 0; i < 48000 * 3 / 10; i += BLOCK)
		meter_process_rt(&m, x, BLOCK, kc);
	ck_assert_double_eq_tol(m.mean_square, 1.0 - exp(-1.0), 0.005);
	ck_assert_float_eq(m.peak, 1.0f);
}
END_TEST

START_TEST(peak_counts_negative_samples_and_odd_lengths)
{
	float x[13] = {0.1f, -0.2f, 0.05f, 0, 0, 0, 0, 0, 0, 0, 0, 0, -0.7f};
	struct meter m = {0};
	meter_process_rt(&m, x, 13, 0.5f);
	ck_assert_float_eq(m.peak, 0.7f);
	ck_assert_double_eq_tol(m.mean_square, 0.5 * (0.01 + 0.04 + 0.0025 + 0.49) / 13, 1e-7);
	/* peak holds until reset by the caller */
	float quiet[8] = {0.01f};
	meter_process_rt(&m, quiet, 8, 0.5f);
	ck_assert_float_eq(m.peak, 0.7f);
}
END_TEST

/* True peak per block: an fs/4 sine of amplitude 0.5 sampled 45 degrees off
 * its peaks has sample peak -9.03 dBFS and true peak -6.02 dBTP (Tech 3341
 * tolerance +0.2 / -0.4 dB); the true peak is never under the sample peak. */
START_TEST(true_peak_between_samples)
{
	enum { BLOCK = 64 };
	float x[BLOCK];
	struct meter m = {0};
	for (int b = 0; b < 20; b++) {
		for (int i = 0; i < BLOCK; i++)
			x[i] = (float)(0.5 * sin(M_PI / 2 * (b * BLOCK + i) + M_PI / 4));
		meter_process_rt(&m, x, BLOCK, 0.1f);
	}
	ck_assert_double_eq_tol(20 * log10(m.peak), -9.03, 0.01);
	ck_assert_double_ge(20 * log10(m.true_peak), -6.02 - 0.4);
	ck_assert_double_le(20 * log10(m.true_peak), -6.02 + 0.2);
	ck_assert_float_eq(m.true_peak_max, m.true_peak);
	ck_assert_uint_eq(m.overs, 0);
	/* after a reset by the caller, a block 20 dB down reads its own true peak:
	 * the block is not skipped for being under the old maximum (the first
	 * quiet block, whose interpolation still reaches the loud samples
	 * before it, is before the reset) */
	for (int b = 0; b < 5; b++) {
		if (b == 1)
			m.peak = m.true_peak = 0.0f;
		for (int i = 0; i < BLOCK; i++)
			x[i] = (float)(0.05 * sin(M_PI / 2 * (b * BLOCK + i) + M_PI / 4));
		meter_process_rt(&m, x, BLOCK, 0.1f);
	}
	ck_assert_double_ge(20 * log10(m.true_peak), -26.02 - 0.4);
	ck_assert_double_le(20 * log10(m.true_peak), -26.02 + 0.2);
	ck_assert_double_ge(20 * log10(m.true_peak_max), -6.02 - 0.4); /* the max is kept */
}
END_TEST

/* Each of the three maxima, reset alone by its caller (the hold, the
 * loudness measurement's run), reads the quiet blocks after its reset: a
 * block is skipped only when it cannot raise the lowest of them. */
START_TEST(each_maximum_reset_alone_reads_what_follows)
{
	enum { BLOCK = 64 };
	float x[BLOCK];
	for (int which = 0; which < 2; which++) {
		struct meter m = {0};
		for (int b = 0; b < 25; b++) {
			const double a = b < 20 ? 0.5 : 0.05; /* -6.02 dBTP, then -26.02 */
			if (b == 21 && which == 0)
				m.true_peak_max = 0.0f;
			if (b == 21 && which == 1)
				m.true_peak_run = 0.0f;
			for (int i = 0; i < BLOCK; i++)
				x[i] = (float)(a * sin(M_PI / 2 * (b * BLOCK + i) + M_PI / 4));
			meter_process_rt(&m, x, BLOCK, 0.1f);
		}
		const float reset = which == 0 ? m.true_peak_max : m.true_peak_run;
		const float kept = which == 0 ? m.true_peak_run : m.true_peak_max;
		ck_assert_double_ge(20 * log10(reset), -26.02 - 0.4);
		ck_assert_double_le(20 * log10(reset), -26.02 + 0.2);
		ck_assert_double_ge(20 * log10(kept), -6.02 - 0.4);
		ck_assert_double_ge(20 * log10(m.true_peak), -6.02 - 0.4);
	}
}
END_TEST

/* An over is a run of blocks whose true peak exceeds 0 dBTP: samples of
 * 0.8 that interpolate above 1.0 (an fs/4 sine of amplitude 1.13 sampled
 * 45 degrees off its peaks) count as an over though no sample clips; a run
 * of over blocks is one; silence between two runs makes two. */
START_TEST(overs_are_counted_by_true_peak_runs)
{
	enum { BLOCK = 64 };
	float loud[BLOCK], quiet[BLOCK] = {0};
	for (int i = 0; i < BLOCK; i++)
		loud[i] = (float)(1.13 * sin(M_PI / 2 * i + M_PI / 4));
	ck_assert_double_lt(peak_abs(loud, BLOCK), 0.81);
	struct meter m = {0};
	for (int b = 0; b < 5; b++)
		meter_process_rt(&m, loud, BLOCK, 0.1f);
	ck_assert_uint_eq(m.overs, 1);
	ck_assert_double_gt(m.true_peak, 1.0);
	for (int b = 0; b < 3; b++)
		meter_process_rt(&m, quiet, BLOCK, 0.1f);
	ck_assert_uint_eq(m.overs, 1);
	meter_process_rt(&m, loud, BLOCK, 0.1f);
	ck_assert_uint_eq(m.overs, 2);
	/* a muted stretch ends a run too */
	meter_silence_rt(&m, 0.1f);
	meter_process_rt(&m, loud, BLOCK, 0.1f);
	ck_assert_uint_eq(m.overs, 3);
}
END_TEST

/* A step from silence to 0.5 rings through the Annex 2 interpolator: it reads
 * 0.5 times the largest |partial sum| of a phase's taps (1.116, +0.95 dB),
 * the inter-sample overshoot a DAC's reconstruction makes of it. */
START_TEST(a_step_reads_its_overshoot)
{
	float most = 0.0f;
	for (int p = 0; p < TRUE_PEAK_PHASES; p++) {
		float sum = 0.0f;
		for (int k = 0; k < TRUE_PEAK_TAPS; k++) {
			sum += true_peak_annex2[p][k];
			most = fmaxf(most, fabsf(sum));
		}
	}
	float x[64];
	for (int i = 0; i < 64; i++)
		x[i] = i < 30 ? 0.0f : 0.5f;
	struct meter m = {0};
	meter_process_rt(&m, x, 64, 0.1f);
	ck_assert_float_eq_tol(m.true_peak, 0.5f * most, 1e-6f);
	ck_assert_double_eq_tol(20 * log10(most), 0.953, 0.001);
}
END_TEST


/* The scalar reference of a block's sample peak and energy: the same eight
 * partial sums (sample i into sum i mod 8, the tail into sum 0) added
 * pairwise, so the vector loops must match it bit for bit. */
SCALAR_REFERENCE static float scalar_peak_energy(const float *x, uint32_t n, float *energy)
{
	float peak = 0.0f, acc[8] = {0};
	const uint32_t whole = n / 8 * 8;
	for (uint32_t i = 0; i < n; i++) {
		peak = fabsf(x[i]) > peak ? fabsf(x[i]) : peak;
		acc[i < whole ? i % 8 : 0] += x[i] * x[i];
	}
	*energy = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
	return peak;
}

/* A block's: its chunks' (METER_CHUNK_FRAMES each, the last shorter),
 * their energies added in order. */
SCALAR_REFERENCE static float scalar_block_peak_energy(const float *x, uint32_t n, float *energy)
{
	float peak = 0.0f;
	*energy = 0.0f;
	for (uint32_t off = 0; off < n; off += METER_CHUNK_FRAMES) {
		float e;
		const float p = scalar_peak_energy(x + off, n - off < METER_CHUNK_FRAMES ? n - off : METER_CHUNK_FRAMES, &e);
		*energy += e;
		peak = p > peak ? p : peak;
	}
	return peak;
}

/* Issue 8: the meter's vector loops (sample peak and energy; peak_of_rt)
 * equal the scalar reference bit for bit on random blocks of every length
 * and misalignment. */
START_TEST(vector_loops_equal_the_scalar_reference)
{
	enum { N = 256 + 16 };
	static float x[N];
	unsigned seed = 11;
	for (int trial = 0; trial < 30; trial++) {
		const float scale = powf(10.0f, -(float)(rand_r(&seed) % 60) / 20.0f);
		for (int i = 0; i < N; i++)
			x[i] = ((float)rand_r(&seed) / (float)RAND_MAX - 0.5f) * 2.0f * scale;
		const uint32_t off = (uint32_t)trial % 16;
		for (uint32_t n = 1 + (uint32_t)trial % 5; n <= 256; n += 5) {
			float energy;
			const float peak = scalar_block_peak_energy(x + off, n, &energy);
			struct meter m;
			memset(&m, 0, sizeof m);
			meter_process_rt(&m, x + off, n, 1.0f); /* k = 1: the mean square is this block's */
			ck_assert_msg(m.peak == peak, "peak: n %u off %u", n, off);
			ck_assert_msg(m.mean_square == energy / (float)n, "mean square: n %u off %u: %.9g vs %.9g", n, off,
			              m.mean_square, energy / (float)n);
			ck_assert(peak_of_rt(x + off, n, 0.0f) == peak);
			ck_assert(peak_of_rt(x + off, n, 2.0f) == 2.0f);
		}
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("meter");
	TCase *t = tcase_create("core");
	tcase_add_test(t, sine_peak_and_rms);
	tcase_add_test(t, time_constant);
	tcase_add_test(t, peak_counts_negative_samples_and_odd_lengths);
	tcase_add_test(t, true_peak_between_samples);
	tcase_add_test(t, each_maximum_reset_alone_reads_what_follows);
	tcase_add_test(t, overs_are_counted_by_true_peak_runs);
	tcase_add_test(t, a_step_reads_its_overshoot);
	tcase_add_test(t, vector_loops_equal_the_scalar_reference);
	suite_add_tcase(s, t);
	return run_suite(s);
}
