/* engine/bs1770: K-weighting, gating and loudness range, held to the
 * Recommendation's coefficients, EBU Tech 3341 case 1 and to libebur128
 * (Debian's, the reference implementation most meters are checked against)
 * on the same signals. */
#include <ebur128.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "engine/bs1770.h"
#include "tests/check_main.h"

static void sine_frames(float *x, uint32_t n, uint32_t n_ch, const double *amp, double freq, double rate, uint64_t start)
{
	for (uint32_t f = 0; f < n; f++)
		for (uint32_t c = 0; c < n_ch; c++)
			x[(size_t)f * n_ch + c] = (float)(amp[c] * sin(2 * M_PI * freq * (double)(start + f) / rate));
}

/* EBU Tech 3341 case 1: a 1 kHz sine of peak -23 dBFS on L and R reads
 * -23.0 LUFS (+-0.1) momentary, short-term and integrated; -33 dBFS reads
 * -33.0. At 44.1 and 96 kHz too (the filters from the prototype). */
START_TEST(tech3341_case1_at_three_rates)
{
	const double rates[] = {48000, 44100, 96000};
	for (int r = 0; r < 3; r++)
		for (int level = -23; level >= -33; level -= 10) {
			const double a = pow(10.0, level / 20.0), amp[2] = {a, a}, w[2] = {1, 1};
			struct bs1770 m;
			ck_assert(bs1770_init(&m, (uint32_t)rates[r], 2, w));
			static float x[2 * 4800];
			const uint32_t n = (uint32_t)rates[r] / 20;
			for (uint64_t t = 0; t < (uint64_t)rates[r] * 20; t += n) {
				sine_frames(x, n, 2, amp, 1000, rates[r], t);
				bs1770_add(&m, x, n);
			}
			ck_assert_double_eq_tol(bs1770_momentary(&m), level, 0.1);
			ck_assert_double_eq_tol(bs1770_short_term(&m), level, 0.1);
			ck_assert_double_eq_tol(bs1770_integrated(&m), level, 0.1);
			ck_assert_double_eq_tol(bs1770_range(&m), 0.0, 0.1);
			bs1770_free(&m);
		}
}
END_TEST

/* A surround channel (Ls of 5.1) weighs 1.41: the same sine reads
 * 10 log10(1.41) = 1.49 dB louder there than on L; LFE is not counted;
 * the top layer weighs 1.0. */
START_TEST(channel_weights)
{
	const struct layout *l = layout_get(LAYOUT_5_1);
	double w[6];
	for (int c = 0; c < 6; c++)
		w[c] = k_weighting_channel_weight(&l->speakers[c]);
	ck_assert_double_eq(w[0], 1.0);  /* L */
	ck_assert_double_eq(w[2], 1.0);  /* C */
	ck_assert_double_eq(w[3], 0.0);  /* LFE */
	ck_assert_double_eq(w[4], 1.41); /* Ls */
	const struct layout *atmos = layout_get(LAYOUT_7_1_4);
	for (unsigned c = 0; c < atmos->channels; c++)
		if (atmos->speakers[c].elevation_deg > 20)
			ck_assert_double_eq(k_weighting_channel_weight(&atmos->speakers[c]), 1.0);
	double loud[2];
	for (int k = 0; k < 2; k++) {
		double amp[6] = {0};
		amp[k == 0 ? 0 : 4] = 0.1;
		struct bs1770 m;
		ck_assert(bs1770_init(&m, 48000, 6, w));
		static float x[6 * 4800];
		for (uint64_t t = 0; t < 48000 * 5; t += 4800) {
			sine_frames(x, 4800, 6, amp, 1000, 48000, t);
			bs1770_add(&m, x, 4800);
		}
		loud[k] = bs1770_integrated(&m);
		bs1770_free(&m);
	}
	ck_assert_double_eq_tol(loud[1] - loud[0], 10 * log10(1.41), 0.001);
}
END_TEST

/* Programme-like 5.1: noise whose level moves in steps of several dB every
 * 1.3 s, with silences (gated out) and the surrounds at their own level,
 * 60 s at 48 kHz. Ours and libebur128's figures agree: momentary,
 * short-term and integrated within 0.01 LU; the range within 0.3 LU
 * (this takes a short-term value every 100 ms, as
 * Tech 3342 asks for at least 10 Hz: libebur128 takes fewer). */
START_TEST(agrees_with_libebur128)
{
	enum { CH = 6, RATE = 48000, SECONDS = 60, N = 1000 };
	const struct layout *l = layout_get(LAYOUT_5_1);
	double w[CH];
	for (int c = 0; c < CH; c++)
		w[c] = k_weighting_channel_weight(&l->speakers[c]);
	struct bs1770 m;
	ck_assert(bs1770_init(&m, RATE, CH, w));
	ebur128_state *ref = ebur128_init(CH, RATE, EBUR128_MODE_M | EBUR128_MODE_S | EBUR128_MODE_I | EBUR128_MODE_LRA);
	const int channel[CH] = {EBUR128_LEFT, EBUR128_RIGHT, EBUR128_CENTER, EBUR128_UNUSED, EBUR128_LEFT_SURROUND,
	                         EBUR128_RIGHT_SURROUND};
	for (int c = 0; c < CH; c++)
		ebur128_set_channel(ref, (unsigned)c, channel[c]);
	static float x[N * CH];
	srand(3);
	const double steps_db[] = {-20, -26, -14, -60, -30, -18, -90, -24, -11, -35};
	for (uint64_t t = 0; t < (uint64_t)RATE * SECONDS; t += N) {
		const double level = pow(10.0, steps_db[(t / (RATE * 13 / 10)) % 10] / 20.0);
		for (int f = 0; f < N; f++)
			for (int c = 0; c < CH; c++)
				x[f * CH + c] = (float)(level * (c >= 4 ? 0.5 : 1.0) * ((double)rand() / RAND_MAX * 2 - 1));
		bs1770_add(&m, x, N);
		ck_assert_int_eq(ebur128_add_frames_float(ref, x, N), EBUR128_SUCCESS);
	}
	double rm, rs, ri, rr;
	ebur128_loudness_momentary(ref, &rm);
	ebur128_loudness_shortterm(ref, &rs);
	ebur128_loudness_global(ref, &ri);
	ebur128_loudness_range(ref, &rr);
	fprintf(stderr, "bs1770: ours M %.4f S %.4f I %.4f LRA %.3f; libebur128 M %.4f S %.4f I %.4f LRA %.3f\n",
	        bs1770_momentary(&m), bs1770_short_term(&m), bs1770_integrated(&m), bs1770_range(&m), rm, rs, ri, rr);
	ck_assert_double_eq_tol(bs1770_momentary(&m), rm, 0.01);
	ck_assert_double_eq_tol(bs1770_short_term(&m), rs, 0.01);
	ck_assert_double_eq_tol(bs1770_integrated(&m), ri, 0.01);
	ck_assert_double_eq_tol(bs1770_range(&m), rr, 0.3);
	ck_assert_double_gt(rr, 5.0); /* the signal has a range to measure */
	ebur128_destroy(&ref);
	bs1770_free(&m);
}
END_TEST

/* A 7.1.4 bus whose lane groups fall silent and wake again (the ear layer,
 * then the heights, then everything): groups at rest skip their filters, and
 * the momentary, short-term and integrated values still match libebur128's
 * at the end of every phase, within 0.001 LU (both run every frame through
 * their filters; a group skipped with its filters still ringing, or woken
 * into the wrong state, shows here). */
START_TEST(silent_lane_groups_agree_with_libebur128)
{
	enum { CH = 12, RATE = 48000, N = 480 };
	const struct layout *l = layout_get(LAYOUT_7_1_4);
	double w[CH];
	struct bs1770 m;
	ebur128_state *ref = ebur128_init(CH, RATE, EBUR128_MODE_M | EBUR128_MODE_S | EBUR128_MODE_I);
	for (int c = 0; c < CH; c++) {
		w[c] = k_weighting_channel_weight(&l->speakers[c]);
		ebur128_set_channel(ref, (unsigned)c, w[c] == 0.0 ? EBUR128_UNUSED
		                                      : w[c] > 1.2 ? EBUR128_LEFT_SURROUND : EBUR128_LEFT);
	}
	ck_assert(bs1770_init(&m, RATE, CH, w));
	/* phase: seconds, channels that sound (bit c) */
	const struct {
		double seconds;
		unsigned sounding;
	} phase[] = {{2.0, 0xfff}, {2.0, 0x0ff}, {2.5, 0xf00}, {3.0, 0x000}, {2.0, 0xfff}, {1.0, 0x00f}};
	static float x[N * CH];
	srand(11);
	for (size_t p = 0; p < sizeof phase / sizeof phase[0]; p++) {
		for (uint32_t t = 0; t < (uint32_t)(phase[p].seconds * RATE); t += N) {
			for (int f = 0; f < N; f++)
				for (int c = 0; c < CH; c++)
					x[f * CH + c] = phase[p].sounding >> c & 1u ? (float)(0.2 * ((double)rand() / RAND_MAX * 2 - 1)) : 0.0f;
			bs1770_add(&m, x, N);
			ck_assert_int_eq(ebur128_add_frames_float(ref, x, N), EBUR128_SUCCESS);
		}
		double rm, rs, ri;
		ebur128_loudness_momentary(ref, &rm);
		ebur128_loudness_shortterm(ref, &rs);
		ebur128_loudness_global(ref, &ri);
		fprintf(stderr, "bs1770: 7.1.4 phase %zu: ours M %.4f S %.4f I %.4f; libebur128 M %.4f S %.4f I %.4f\n", p,
		        bs1770_momentary(&m), bs1770_short_term(&m), bs1770_integrated(&m), rm, rs, ri);
		if (isinf(rm))
			ck_assert(isinf(bs1770_momentary(&m)));
		else
			ck_assert_double_eq_tol(bs1770_momentary(&m), rm, 0.001);
		ck_assert_double_eq_tol(bs1770_short_term(&m), rs, 0.001);
		ck_assert_double_eq_tol(bs1770_integrated(&m), ri, 0.001);
	}
	ebur128_destroy(&ref);
	bs1770_free(&m);
}
END_TEST

/* Silence: -inf everywhere, range 0; a reset forgets what was measured. */
START_TEST(silence_and_reset)
{
	const double w[2] = {1, 1}, amp[2] = {0.1, 0.1};
	struct bs1770 m;
	ck_assert(bs1770_init(&m, 48000, 2, w));
	static float x[2 * 4800];
	for (int k = 0; k < 10; k++) {
		sine_frames(x, 4800, 2, amp, 1000, 48000, (uint64_t)k * 4800);
		bs1770_add(&m, x, 4800);
	}
	ck_assert(isfinite(bs1770_integrated(&m)));
	bs1770_reset(&m);
	ck_assert(isinf(bs1770_integrated(&m)));
	ck_assert(isinf(bs1770_momentary(&m)));
	ck_assert_double_eq(bs1770_range(&m), 0.0);
	for (int k = 0; k < 10; k++) {
		const double zero[2] = {0, 0};
		sine_frames(x, 4800, 2, zero, 1000, 48000, 0);
		bs1770_add(&m, x, 4800);
	}
	ck_assert(isinf(bs1770_integrated(&m)));
	bs1770_free(&m);
	struct bs1770 bad;
	ck_assert(!bs1770_init(&bad, 48000, 0, w));
	ck_assert(!bs1770_init(&bad, 48000, LAYOUT_MAX_CHANNELS + 1, w));
}
END_TEST

/* The integrated loudness of 10 s of a sine (one channel, weight 1). */
static double steady_lufs(double db, double freq)
{
	const double w[1] = {1};
	struct bs1770 m;
	ck_assert(bs1770_init(&m, 48000, 1, w));
	static float x[4800];
	for (uint64_t t = 0; t < 48000 * 10; t += 4800) {
		for (int i = 0; i < 4800; i++)
			x[i] = (float)(pow(10, db / 20) * sin(2 * M_PI * freq * (double)(t + i) / 48000));
		bs1770_add(&m, x, 4800);
	}
	const double l = bs1770_integrated(&m);
	bs1770_free(&m);
	return l;
}

/* Dialogue gating: 40 s of a programme in which dialogue (a -24 dBFS 1 kHz
 * sine, its own stem) speaks in 2 s turns with 2 s pauses while music
 * (-34 dBFS, 1.33 kHz) plays on. The mix's integrated loudness counts the
 * pauses; its dialogue-gated loudness counts the 400 ms blocks in which the
 * stem passes its gates: per turn 17 whole blocks, and 3 at each edge with
 * 3, 2, 1 of their 4 steps speaking (all above the stem's relative gate);
 * the first turn has no leading edge (the first block ends at 400 ms). In
 * energy (sines of unrelated frequencies add in power), with D and M the
 * steady dialogue's and music's:
 *   (17 (D + M) + 1.5 D + 3 M  +  9 (17 (D + M) + 3 D + 6 M)) / (20 + 9 x 23)
 * = (198.5 D + 227 M) / 227. */
START_TEST(dialogue_gating_counts_the_speaking_blocks)
{
	const double w[1] = {1};
	struct bs1770 mix, dx;
	ck_assert(bs1770_init(&mix, 48000, 1, w));
	ck_assert(bs1770_init(&dx, 48000, 1, w));
	static float a[4800], b[4800];
	for (uint64_t t = 0; t < 48000 * 40; t += 4800) {
		const bool speaking = (t / 96000) % 2 == 0;
		for (int i = 0; i < 4800; i++) {
			const double d = speaking ? pow(10, -24 / 20.0) * sin(2 * M_PI * 1000 * (double)(t + i) / 48000) : 0.0;
			const double music = pow(10, -34 / 20.0) * sin(2 * M_PI * 1330 * (double)(t + i) / 48000);
			b[i] = (float)d;
			a[i] = (float)(d + music);
		}
		bs1770_add(&mix, a, 4800);
		bs1770_add(&dx, b, 4800);
	}
	const double d = pow(10, (steady_lufs(-24, 1000) + 0.691) / 10), m = pow(10, (steady_lufs(-34, 1330) + 0.691) / 10);
	const double want = -0.691 + 10 * log10((198.5 * d + 227 * m) / 227);
	const double gated = bs1770_integrated_during(&mix, &dx), whole = bs1770_integrated(&mix);
	fprintf(stderr, "bs1770: mix %.3f LUFS, dialogue-gated %.3f LUFS (by the block count: %.3f)\n", whole, gated, want);
	ck_assert_double_eq_tol(gated, want, 0.02);
	ck_assert_double_lt(whole, gated - 1.5); /* the pauses pull the whole mix down */
	/* a stem that never speaks gates everything out */
	struct bs1770 mute;
	ck_assert(bs1770_init(&mute, 48000, 1, w));
	for (int k = 0; k < 50; k++) {
		for (int i = 0; i < 4800; i++)
			b[i] = 0.0f;
		bs1770_add(&mute, b, 4800);
	}
	ck_assert(isinf(bs1770_integrated_during(&mix, &mute)));
	bs1770_free(&mix);
	bs1770_free(&dx);
	bs1770_free(&mute);
}
END_TEST

/* The gated figures as a batch over the measurement's lists, the way
 * EBU Tech 3341 and 3342 state them: every block above the absolute gate,
 * then those above the relative gate; every short-term value above the
 * floor, sorted, the 10th and 95th percentiles by nearest rank. (The
 * measurement keeps its short-term values sorted, and added their sum as
 * they came; the batch adds them in sorted order: the floor could differ in
 * its last bit, which moves the range only if a value lies within that bit
 * of it.) */
static double batch_mean_above(const float *e, size_t n, double floor, size_t *k)
{
	double sum = 0.0;
	*k = 0;
	for (size_t i = 0; i < n; i++)
		if (e[i] > floor) {
			sum += e[i];
			++*k;
		}
	return *k ? sum / (double)*k : 0.0;
}

static int ascending(const void *a, const void *b)
{
	const double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void batch_figures(const struct bs1770 *m, double *integrated, double *range)
{
	const double absolute = pow(10.0, (-70.0 + 0.691) / 10.0);
	size_t k;
	const double ungated = batch_mean_above(m->blocks, m->n_blocks, absolute, &k);
	*integrated = -INFINITY;
	if (k) {
		const double gate = fmax(ungated * pow(10.0, -1.0), absolute);
		const double gated = batch_mean_above(m->blocks, m->n_blocks, gate, &k);
		*integrated = k ? -0.691 + 10.0 * log10(gated) : -INFINITY;
	}
	*range = 0.0;
	const double st = batch_mean_above(m->short_terms, m->n_short_terms, absolute, &k);
	if (!k)
		return;
	const double floor = fmax(st * pow(10.0, -2.0), absolute);
	double *kept = malloc((m->n_short_terms ? m->n_short_terms : 1) * sizeof *kept);
	ck_assert_ptr_nonnull(kept);
	size_t n = 0;
	for (size_t i = 0; i < m->n_short_terms; i++)
		if (m->short_terms[i] > floor)
			kept[n++] = m->short_terms[i];
	qsort(kept, n, sizeof *kept, ascending);
	if (n)
		*range = 10.0 * log10(kept[(size_t)((double)(n - 1) * 0.95 + 0.5)] / kept[(size_t)((double)(n - 1) * 0.10 + 0.5)]);
	free(kept);
}

/* A readout keeps running sums and a sorted list instead of sorting hours
 * of short-term values ten times a second (10.9 ms per bus and readout at
 * 2 hours before): its figures must be the batch figures bit for bit, at
 * every readout, through silences below the absolute gate, repeated
 * values, and after a reset. 12 minutes of a level that jumps every second
 * between -80 and -5 dBFS (some seconds silent), at 4.8 kHz to be quick. */
START_TEST(readouts_are_the_batch_figures)
{
	const double w[1] = {1};
	struct bs1770 m;
	ck_assert(bs1770_init(&m, 4800, 1, w));
	static float x[4800];
	uint32_t seed = 7;
	int compared = 0;
	for (int pass = 0; pass < 2; pass++) {
		const int seconds = pass == 0 ? 720 : 200;
		for (int t = 0; t < seconds; t++) {
			seed = seed * 1664525u + 1013904223u;
			const int step = (int)(seed >> 24) % 17; /* 0: silence; else -80 .. -5 dBFS */
			const double amp = step == 0 ? 0.0 : pow(10.0, (-85.0 + 5.0 * step) / 20.0);
			for (int i = 0; i < 4800; i++) {
				seed = seed * 1664525u + 1013904223u;
				x[i] = (float)(amp * ((double)(seed >> 8) / (double)(1u << 24) * 2.0 - 1.0));
			}
			bs1770_add(&m, x, 4800);
			if (t % 7 == 0 || t == seconds - 1) {
				double integrated, range;
				batch_figures(&m, &integrated, &range);
				ck_assert_double_eq(bs1770_integrated(&m), integrated);
				ck_assert_double_eq(bs1770_range(&m), range);
				compared++;
			}
		}
		double integrated, range;
		batch_figures(&m, &integrated, &range);
		fprintf(stderr, "bs1770: after %d s: %zu blocks, integrated %.4f LUFS, range %.4f LU (as the batch)\n",
		        seconds, m.n_blocks, integrated, range);
		ck_assert(isfinite(integrated));
		ck_assert_double_gt(range, 10.0); /* the levels jump by up to 75 dB */
		bs1770_reset(&m);
	}
	ck_assert_int_gt(compared, 100);
	bs1770_free(&m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("bs1770");
	TCase *t = tcase_create("core");
	tcase_set_timeout(t, 60);
	tcase_add_test(t, tech3341_case1_at_three_rates);
	tcase_add_test(t, channel_weights);
	tcase_add_test(t, agrees_with_libebur128);
	tcase_add_test(t, silent_lane_groups_agree_with_libebur128);
	tcase_add_test(t, silence_and_reset);
	tcase_add_test(t, dialogue_gating_counts_the_speaking_blocks);
	tcase_add_test(t, readouts_are_the_batch_figures);
	suite_add_tcase(s, t);
	return run_suite(s);
}
