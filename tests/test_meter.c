#include <math.h>

#include "dsp/meter.h"
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

int main(void)
{
	Suite *s = suite_create("meter");
	TCase *t = tcase_create("core");
	tcase_add_test(t, sine_peak_and_rms);
	tcase_add_test(t, time_constant);
	tcase_add_test(t, peak_counts_negative_samples_and_odd_lengths);
	suite_add_tcase(s, t);
	return run_suite(s);
}
