/* dsp/k_weighting: the BS.1770-4 K-weighting on the RT thread, held to the
 * Recommendation's coefficients and its 1 kHz reference level, and its
 * vectors (four channels side by side, groups at rest skipped) to a plain
 * scalar loop, bit for bit. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dsp/k_weighting.h"
#include "tests/check_main.h"

/* ITU-R BS.1770-4 Table 1 and 2 (../shared/reference/standards.md): the
 * 48 kHz K-weighting. */
START_TEST(coefficients_at_48k_are_the_recommendations)
{
	struct k_weighting_biquad s, h;
	k_weighting_filters(48000, &s, &h);
	const double tol = 1e-9;
	ck_assert_double_eq_tol(s.b0, 1.53512485958697, tol);
	ck_assert_double_eq_tol(s.b1, -2.69169618940638, tol);
	ck_assert_double_eq_tol(s.b2, 1.19839281085285, tol);
	ck_assert_double_eq_tol(s.a1, -1.69065929318241, tol);
	ck_assert_double_eq_tol(s.a2, 0.73248077421585, tol);
	ck_assert_double_eq(h.b0, 1.0);
	ck_assert_double_eq(h.b1, -2.0);
	ck_assert_double_eq(h.b2, 1.0);
	ck_assert_double_eq_tol(h.a1, -1.99004745483398, tol);
	ck_assert_double_eq_tol(h.a2, 0.99007225036621, tol);
}
END_TEST

/* BS.1770-4 2.1: a 0 dB FS 1 kHz sine on one front channel reads
 * -3.01 LKFS, -0.691 + 10 log10 of the K-weighted mean square (+-0.01 dB,
 * measured over 1 s after 1 s of settling). */
START_TEST(a_full_scale_1k_sine_reads_minus_3_01)
{
	struct k_weighting k;
	const double w[1] = {1.0};
	ck_assert(k_weighting_init(&k, 48000, 1, w));
	float x[240];
	double energy = 0.0;
	for (int second = 0; second < 2; second++) {
		k_weighting_take_rt(&k);
		for (int block = 0; block < 200; block++) {
			for (int f = 0; f < 240; f++)
				x[f] = (float)sin(2 * M_PI * 1000.0 * (double)((block * 240 + f) % 48) / 48000.0);
			const float *ch[1] = {x};
			k_weighting_process_rt(&k, ch, 240);
		}
		energy = k_weighting_take_rt(&k) / 48000.0;
	}
	ck_assert_double_eq_tol(-0.691 + 10.0 * log10(energy), -3.01, 0.01);
	ck_assert_double_eq(k_weighting_take_rt(&k), 0.0); /* a take starts the sums again */
}
END_TEST

/* The recursions a frame at a time, a channel at a time, in double: the
 * same operations in the same order as the vector lanes. */
struct scalar_k {
	double z1[2], z2[2], sum;
};

static void scalar_k_weight(const struct k_weighting *k, struct scalar_k *st, const float *x, uint32_t n)
{
	const struct k_weighting_biquad s = k->shelf, h = k->highpass;
	for (uint32_t f = 0; f < n; f++) {
		const double in = x[f];
		const double y = s.b0 * in + st->z1[0];
		st->z1[0] = s.b1 * in - s.a1 * y + st->z2[0];
		st->z2[0] = s.b2 * in - s.a2 * y;
		const double v = h.b0 * y + st->z1[1];
		st->z1[1] = h.b1 * y - h.a1 * v + st->z2[1];
		st->z2[1] = h.b2 * y - h.a2 * v;
		st->sum += v * v;
	}
}

/* Every channel count, random levels and block lengths, some channels
 * silent at first (their lane group at rest, skipped), then playing, then
 * silent into filters that still ring: the vector path's weighted sums equal the scalar loop's, bit for
 * bit, take after take. */
START_TEST(lanes_equal_the_scalar_loop)
{
	unsigned seed = 11;
	static float x[LAYOUT_MAX_CHANNELS][K_WEIGHTING_MAX_FRAMES];
	for (uint32_t n_ch = 1; n_ch <= LAYOUT_MAX_CHANNELS; n_ch++) {
		double w[LAYOUT_MAX_CHANNELS];
		for (uint32_t c = 0; c < n_ch; c++)
			w[c] = c % 5 == 3 ? 0.0 : c % 3 == 1 ? 1.41 : 1.0;
		struct k_weighting k;
		ck_assert(k_weighting_init(&k, 48000, n_ch, w));
		struct scalar_k ref[LAYOUT_MAX_CHANNELS] = {0};
		for (int call = 0; call < 120; call++) {
			const uint32_t n = 1 + (uint32_t)rand_r(&seed) % K_WEIGHTING_MAX_FRAMES;
			for (uint32_t c = 0; c < n_ch; c++) {
				/* channels from 4 on are silent before call 30 (their
				 * group at rest: skipped) and from call 90 (silent input,
				 * filters still ringing: not at rest) */
				const bool quiet = c >= 4 && (call < 30 || call >= 90);
				const float level = quiet ? 0.0f : (float)(c + 1) / (float)n_ch;
				for (uint32_t f = 0; f < n; f++)
					x[c][f] = level * ((float)rand_r(&seed) / (float)RAND_MAX - 0.5f);
			}
			const float *ch[LAYOUT_MAX_CHANNELS];
			for (uint32_t c = 0; c < n_ch; c++) {
				ch[c] = x[c];
				scalar_k_weight(&k, &ref[c], x[c], n);
			}
			k_weighting_process_rt(&k, ch, n);
			if (call % 7 == 6) {
				double want = 0.0;
				for (uint32_t c = 0; c < K_WEIGHTING_MAX_CHANNELS && c < k.n_lanes; c++) {
					want += c < n_ch ? w[c] * ref[c].sum : 0.0;
					if (c < n_ch)
						ref[c].sum = 0.0;
				}
				ck_assert_msg(k_weighting_take_rt(&k) == want, "%u channels, call %d", n_ch, call);
			}
		}
	}
}
END_TEST

START_TEST(channel_counts_out_of_range_are_refused)
{
	struct k_weighting k;
	const double w[LAYOUT_MAX_CHANNELS + 1] = {0};
	ck_assert(!k_weighting_init(&k, 48000, 0, w));
	ck_assert(!k_weighting_init(&k, 48000, LAYOUT_MAX_CHANNELS + 1, w));
	ck_assert(k_weighting_init(&k, 48000, LAYOUT_MAX_CHANNELS, w));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("k_weighting");
	TCase *t = tcase_create("core");
	tcase_add_test(t, coefficients_at_48k_are_the_recommendations);
	tcase_add_test(t, a_full_scale_1k_sine_reads_minus_3_01);
	tcase_add_test(t, lanes_equal_the_scalar_loop);
	tcase_add_test(t, channel_counts_out_of_range_are_refused);
	suite_add_tcase(s, t);
	return run_suite(s);
}
