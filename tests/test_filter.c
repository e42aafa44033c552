/* dsp/filter: responses against the analytic formulas (R. Bristow-Johnson's
 * cookbook biquads, evaluated in double precision; the Butterworth magnitude
 * |H|^2 = 1 / (1 + (fc/f)^2n) after the bilinear transform's frequency
 * warping, ../shared/reference/standards.md "Filters"), and glides that do
 * not click. */
#include <check.h>
#include <complex.h>
#include <math.h>
#include <pmmintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <xmmintrin.h>

#include "dsp/filter.h"
#include "tests/check_main.h"
#include "tests/signal_util.h"

#define RATE 48000.0

static void flush_denormals(void)
{
	_MM_SET_FLUSH_ZERO_MODE(_MM_FLUSH_ZERO_ON);
	_MM_SET_DENORMALS_ZERO_MODE(_MM_DENORMALS_ZERO_ON);
}

/* The response of a chain of sections, from its impulse response (run by
 * the real processing code) until it has died away. */
struct measured {
	double *h;
	size_t n;
};

static struct measured impulse_response(const struct filter_shape *shapes, int n_sections, double rate)
{
	enum { BLOCK = 4096, MAX = 1 << 21 };
	struct measured m = {malloc(MAX * sizeof(double)), 0};
	struct filter_coefs c[4];
	struct filter_state st[4] = {{0}};
	for (int k = 0; k < n_sections; k++)
		filter_coefs_design(&shapes[k], (float)rate, &c[k]);
	float x[BLOCK];
	double total = 0;
	while (m.n < MAX) {
		for (int i = 0; i < BLOCK; i++)
			x[i] = m.n == 0 && i == 0 ? 1.0f : 0.0f;
		for (int k = 0; k < n_sections; k++)
			filter_run_rt(&c[k], &st[k], x, BLOCK);
		double block = 0;
		for (int i = 0; i < BLOCK; i++) {
			m.h[m.n + i] = x[i];
			block += (double)x[i] * x[i];
		}
		m.n += BLOCK;
		total += block;
		if (m.n >= 2 * BLOCK && block < 1e-16 * total)
			break;
	}
	return m;
}

static double measured_db(const struct measured *m, double f, double rate)
{
	const double w = 2.0 * M_PI * f / rate;
	double complex acc = 0, rot = cexp(-I * w), z = 1;
	for (size_t i = 0; i < m->n; i++) {
		acc += m->h[i] * z;
		z *= rot;
		if ((i & 1023) == 1023)
			z = cexp(-I * w * (double)(i + 1)); /* keep the phasor exact */
	}
	return 20.0 * log10(cabs(acc));
}

/* The cookbook's biquad for a shape, evaluated at f. */
static double cookbook_db(const struct filter_shape *s, double f, double rate)
{
	const double w0 = 2.0 * M_PI * s->freq_hz / rate, cw = cos(w0), alpha = sin(w0) / (2.0 * s->q);
	const double A = pow(10.0, s->gain_db / 40.0), sA = sqrt(A);
	double b0, b1, b2, a0, a1, a2;
	switch (s->type) {
	case FILTER_BELL:
		b0 = 1 + alpha * A, b1 = -2 * cw, b2 = 1 - alpha * A;
		a0 = 1 + alpha / A, a1 = -2 * cw, a2 = 1 - alpha / A;
		break;
	case FILTER_LOW_SHELF:
		b0 = A * ((A + 1) - (A - 1) * cw + 2 * sA * alpha);
		b1 = 2 * A * ((A - 1) - (A + 1) * cw);
		b2 = A * ((A + 1) - (A - 1) * cw - 2 * sA * alpha);
		a0 = (A + 1) + (A - 1) * cw + 2 * sA * alpha;
		a1 = -2 * ((A - 1) + (A + 1) * cw);
		a2 = (A + 1) + (A - 1) * cw - 2 * sA * alpha;
		break;
	case FILTER_HIGH_SHELF:
		b0 = A * ((A + 1) + (A - 1) * cw + 2 * sA * alpha);
		b1 = -2 * A * ((A - 1) + (A + 1) * cw);
		b2 = A * ((A + 1) + (A - 1) * cw - 2 * sA * alpha);
		a0 = (A + 1) - (A - 1) * cw + 2 * sA * alpha;
		a1 = 2 * ((A - 1) - (A + 1) * cw);
		a2 = (A + 1) - (A - 1) * cw - 2 * sA * alpha;
		break;
	case FILTER_NOTCH:
		b0 = 1, b1 = -2 * cw, b2 = 1, a0 = 1 + alpha, a1 = -2 * cw, a2 = 1 - alpha;
		break;
	case FILTER_HIGH_PASS:
		b0 = (1 + cw) / 2, b1 = -(1 + cw), b2 = (1 + cw) / 2, a0 = 1 + alpha, a1 = -2 * cw, a2 = 1 - alpha;
		break;
	default: /* FILTER_LOW_PASS */
		b0 = (1 - cw) / 2, b1 = 1 - cw, b2 = (1 - cw) / 2, a0 = 1 + alpha, a1 = -2 * cw, a2 = 1 - alpha;
		break;
	}
	const double complex z1 = cexp(-I * 2.0 * M_PI * f / rate), z2 = z1 * z1;
	return 20.0 * log10(cabs((b0 + b1 * z1 + b2 * z2) / (a0 + a1 * z1 + a2 * z2)));
}

/* Butterworth of order n after the bilinear transform (prewarped at fc). */
static double butterworth_db(bool high_pass, double fc, unsigned order, double f, double rate)
{
	const double r = tan(M_PI * fc / rate) / tan(M_PI * f / rate);
	const double x = high_pass ? r : 1.0 / r;
	return -10.0 * log10(1.0 + pow(x, 2.0 * order));
}

/* 30 log-spaced frequencies, 20 Hz ... 20 kHz (below 0.49 fs). */
static double probe_hz(int i, double rate)
{
	const double hi = rate * 0.45 < 20000.0 ? rate * 0.45 : 20000.0;
	return 20.0 * pow(hi / 20.0, i / 29.0);
}

START_TEST(eq_shapes_match_the_cookbook)
{
	flush_denormals();
	const enum filter_type types[] = {FILTER_BELL, FILTER_LOW_SHELF, FILTER_HIGH_SHELF, FILTER_NOTCH,
	                                  FILTER_HIGH_PASS, FILTER_LOW_PASS};
	const float freqs[] = {20.0f, 50.0f, 1000.0f, 12000.0f, 20000.0f};
	const float gains[] = {-18.0f, -6.0f, 3.0f, 18.0f};
	const float qs[] = {0.1f, 0.7071f, 10.0f};
	const double rates[] = {48000.0, 96000.0};
	double worst = 0;
	int cases = 0;
	for (size_t ri = 0; ri < 2; ri++)
		for (size_t ti = 0; ti < sizeof types / sizeof *types; ti++)
			for (size_t fi = 0; fi < sizeof freqs / sizeof *freqs; fi++)
				for (size_t gi = 0; gi < sizeof gains / sizeof *gains; gi++)
					for (size_t qi = 0; qi < sizeof qs / sizeof *qs; qi++) {
						const bool has_gain = types[ti] <= FILTER_HIGH_SHELF;
						if (!has_gain && gi > 0)
							continue;
						/* A shelf's Q above ~1.5 overshoots by design; the grid
						 * keeps to the cookbook's usual range for shelves. */
						if ((types[ti] == FILTER_LOW_SHELF || types[ti] == FILTER_HIGH_SHELF) && qs[qi] > 2.0f)
							continue;
						struct filter_shape s = {types[ti], freqs[fi], has_gain ? gains[gi] : 0.0f, qs[qi], true};
						struct measured m = impulse_response(&s, 1, rates[ri]);
						for (int i = 0; i < 30; i++) {
							const double f = probe_hz(i, rates[ri]);
							const double want = cookbook_db(&s, f, rates[ri]);
							if (want < -60.0)
								continue; /* deep in a stop band the formula is all that matters */
							const double err = fabs(measured_db(&m, f, rates[ri]) - want);
							if (err > worst)
								worst = err;
							ck_assert_msg(err <= 0.05, "type %d %g Hz %g dB Q %g at %g Hz (%g kHz): %.4f dB "
							              "off the cookbook", types[ti], freqs[fi], gains[gi], qs[qi], f,
							              rates[ri] / 1000, err);
						}
						free(m.h);
						cases++;
					}
	ck_assert_int_gt(cases, 150);
	fprintf(stderr, "filter: %d EQ shapes, worst error %.5f dB\n", cases, worst);
}
END_TEST

START_TEST(butterworth_slopes)
{
	flush_denormals();
	const unsigned slopes[] = {12, 18, 24};
	const float cutoffs[] = {10.0f, 80.0f, 1000.0f, 15000.0f, 20000.0f};
	for (int hp = 0; hp < 2; hp++)
		for (size_t si = 0; si < 3; si++)
			for (size_t ci = 0; ci < sizeof cutoffs / sizeof *cutoffs; ci++) {
				struct filter_shape s[2];
				filter_butterworth(hp, cutoffs[ci], slopes[si], true, s);
				struct measured m = impulse_response(s, 2, RATE);
				const unsigned order = slopes[si] / 6;
				for (int i = 0; i < 30; i++) {
					const double f = probe_hz(i, RATE);
					const double want = butterworth_db(hp, cutoffs[ci], order, f, RATE);
					if (want < -60.0)
						continue;
					ck_assert_msg(fabs(measured_db(&m, f, RATE) - want) <= 0.05,
					              "%s %u dB/oct at %g Hz, probe %g Hz: %.4f, want %.4f",
					              hp ? "HPF" : "LPF", slopes[si], cutoffs[ci], f, measured_db(&m, f, RATE), want);
				}
				/* The -3.01 dB point by bisection on the measured response. */
				double lo = cutoffs[ci] / 2, hi = cutoffs[ci] * 2 < RATE * 0.49 ? cutoffs[ci] * 2 : RATE * 0.49;
				for (int it = 0; it < 40; it++) {
					const double mid = sqrt(lo * hi);
					const bool above = measured_db(&m, mid, RATE) > -10.0 * log10(2.0);
					if (above == (bool)hp)
						hi = mid;
					else
						lo = mid;
				}
				const double f3 = sqrt(lo * hi);
				ck_assert_msg(fabs(f3 / cutoffs[ci] - 1.0) <= 0.01, "%s %u dB/oct at %g Hz: -3 dB at %.3f Hz",
				              hp ? "HPF" : "LPF", slopes[si], cutoffs[ci], f3);
				free(m.h);
			}
}
END_TEST

START_TEST(off_is_exactly_unity)
{
	struct filter_shape s = {FILTER_BELL, 1000.0f, 12.0f, 1.0f, false};
	struct measured m = impulse_response(&s, 1, RATE);
	ck_assert(m.h[0] == 1.0);
	for (size_t i = 1; i < m.n; i++)
		ck_assert(m.h[i] == 0.0);
	free(m.h);
}
END_TEST

/* A 1 kHz sine through a section whose target moves every 64 frames, after
 * 0.2 s at rest (the filter's own onset from silence is not a move). */
static double sweep_ratio(struct filter_shape from, void (*move)(struct filter_shape *, double t), double seconds)
{
	const size_t warm = (size_t)(0.2 * RATE), n = warm + (size_t)(seconds * RATE);
	float *y = malloc(n * sizeof *y);
	sine(y, n, 0.25, 1000.0, RATE, 0);
	struct filter_section f;
	filter_section_init(&f, &from, (float)RATE);
	struct filter_state st = {0};
	for (size_t off = 0; off < n; off += 64) {
		struct filter_shape s = from;
		if (off >= warm)
			move(&s, (double)(off - warm) / (double)(n - warm));
		filter_section_set_rt(&f, &s);
		float *x = y + off;
		filter_section_process_rt(&f, &st, &x, 1, 64);
	}
	const double r = worst_step_ratio(y + warm - 64, n - warm + 64, 1000.0, RATE);
	free(y);
	return r;
}

static void sweep_freq(struct filter_shape *s, double t) { s->freq_hz = (float)(100.0 * pow(100.0, t)); }
static void jump_gain(struct filter_shape *s, double t) { s->gain_db = t < 0.5 ? -18.0f : 18.0f; }
static void jump_q(struct filter_shape *s, double t) { s->q = t < 0.5 ? 0.3f : 8.0f; }
static void toggle(struct filter_shape *s, double t) { s->on = ((int)(t * 6.0)) % 2 == 0; }
static void jump_type(struct filter_shape *s, double t) { s->type = t < 0.5 ? FILTER_LOW_SHELF : FILTER_BELL; }
static void jump_hpf(struct filter_shape *s, double t) { s->freq_hz = t < 0.5 ? 20.0f : 2000.0f; }

START_TEST(moves_do_not_click)
{
	/* The margin: a sine whose level glides steps at most a few percent
	 * more than a steady one; a coefficient jump in a direct-form biquad
	 * or an unsmoothed gain step shows as several times more. */
	const double margin = 1.1;
	const struct filter_shape bell = {FILTER_BELL, 100.0f, 12.0f, 2.0f, true};
	double r = sweep_ratio(bell, sweep_freq, 1.0);
	fprintf(stderr, "filter: sweep step ratio %.4f\n", r);
	ck_assert_msg(r <= margin, "EQ frequency sweep 100 Hz -> 10 kHz in 1 s: step ratio %.3f", r);
	const struct filter_shape at1k = {FILTER_BELL, 1000.0f, -18.0f, 1.0f, true};
	r = sweep_ratio(at1k, jump_gain, 0.5);
	ck_assert_msg(r <= margin, "gain -18 -> +18 dB: step ratio %.3f", r);
	r = sweep_ratio(at1k, jump_q, 0.5);
	ck_assert_msg(r <= margin, "Q 0.3 -> 8: step ratio %.3f", r);
	r = sweep_ratio(at1k, toggle, 0.5);
	ck_assert_msg(r <= margin, "on/off: step ratio %.3f", r);
	r = sweep_ratio(at1k, jump_type, 0.5);
	ck_assert_msg(r <= margin, "shelf -> bell: step ratio %.3f", r);
	const struct filter_shape hpf = {FILTER_HIGH_PASS, 20.0f, 0.0f, 0.7071f, true};
	r = sweep_ratio(hpf, jump_hpf, 0.5);
	ck_assert_msg(r <= margin, "HPF 20 Hz -> 2 kHz: step ratio %.3f", r);
}
END_TEST

START_TEST(glide_settles_on_the_target)
{
	struct filter_shape a = {FILTER_BELL, 200.0f, 0.0f, 1.0f, true}, b = {FILTER_BELL, 5000.0f, 9.0f, 3.0f, true};
	struct filter_section f;
	filter_section_init(&f, &a, (float)RATE);
	filter_section_set_rt(&f, &b);
	float buf[64] = {0}, *x = buf;
	struct filter_state st = {0};
	int blocks = 0;
	while (f.moving && blocks < 1000) {
		filter_section_process_rt(&f, &st, &x, 1, 64);
		blocks++;
	}
	/* 5 ms time constant: well settled within 100 ms (75 blocks). */
	ck_assert_int_le(blocks, 75);
	struct filter_coefs want;
	filter_coefs_design(&b, (float)RATE, &want);
	ck_assert_float_eq_tol(f.c.a1, want.a1, 1e-6);
	ck_assert_float_eq_tol(f.c.m1, want.m1, 1e-6);
}
END_TEST

/* Six sections at rest in one cascade (a 24 dB high-pass and four EQ
 * bands) give bit for bit what they give one after the other, on noise in
 * blocks of every length up to 64, and leave the same states. */
START_TEST(cascade_equals_sections_in_series)
{
	const struct filter_shape shapes[6] = {
		{FILTER_HIGH_PASS, 80.0f, 0.0f, 0.5412f, true}, {FILTER_HIGH_PASS, 80.0f, 0.0f, 1.3066f, true},
		{FILTER_LOW_SHELF, 120.0f, -3.0f, 0.7071f, true}, {FILTER_BELL, 400.0f, -2.5f, 1.5f, true},
		{FILTER_BELL, 3000.0f, 2.0f, 1.0f, true}, {FILTER_HIGH_SHELF, 8000.0f, 1.0f, 0.7071f, true}};
	struct filter_coefs co[6];
	const struct filter_coefs *cp[6];
	struct filter_state sa[6] = {0}, sb[6] = {0};
	struct filter_state *sp[6];
	for (int j = 0; j < 6; j++) {
		filter_coefs_design(&shapes[j], 48000.0f, &co[j]);
		cp[j] = &co[j];
		sp[j] = &sa[j];
	}
	enum { N = 48000 };
	static float a[N], b[N];
	srand(5);
	for (int i = 0; i < N; i++)
		a[i] = b[i] = (float)rand() / (float)RAND_MAX * 2.0f - 1.0f;
	for (uint32_t off = 0, len = 1; off < N; off += len, len = len % 64 + 1) {
		const uint32_t n = off + len <= N ? len : N - off;
		filter_cascade_rt(cp, sp, 6, a + off, n);
		for (int j = 0; j < 6; j++)
			filter_run_rt(&co[j], &sb[j], b + off, n);
	}
	for (int i = 0; i < N; i++)
		ck_assert_msg(a[i] == b[i], "frame %d: %.9g against %.9g", i, a[i], b[i]);
	for (int j = 0; j < 6; j++) {
		ck_assert_float_eq(sa[j].ic1, sb[j].ic1);
		ck_assert_float_eq(sa[j].ic2, sb[j].ic2);
	}
	ck_assert_double_gt(peak_abs(a, N), 0.1);
}
END_TEST

/* Channels side by side in vector lanes give bit for bit what each gives
 * alone through the cascade: 1 to 8 lanes, 1 to 6 sections, every lane with
 * its own shapes, blocks of 1 to 300 frames (the lanes work 64 at a
 * time). */
START_TEST(lanes_equal_channels_alone)
{
	enum { N = 4800, K = 6 };
	static float a[FILTER_LANES][N], b[FILTER_LANES][N];
	srand(9);
	for (int lanes = 1; lanes <= FILTER_LANES; lanes++)
		for (int k = 1; k <= K; k++) {
			struct filter_coefs co[K][FILTER_LANES];
			struct filter_state sa[K][FILTER_LANES] = {0}, sb[K][FILTER_LANES] = {0};
			const struct filter_coefs *cl[K * FILTER_LANES];
			struct filter_state *stl[K * FILTER_LANES];
			for (int j = 0; j < k; j++)
				for (int l = 0; l < lanes; l++) {
					const struct filter_shape sh = {(enum filter_type)(rand() % 3), 100.0f + (float)(rand() % 8000),
					                                (float)(rand() % 24) - 12.0f, 0.5f + (float)(rand() % 30) / 10.0f,
					                                true};
					filter_coefs_design(&sh, 48000.0f, &co[j][l]);
					cl[j * FILTER_LANES + l] = &co[j][l];
					stl[j * FILTER_LANES + l] = &sa[j][l];
				}
			for (int l = 0; l < lanes; l++)
				for (int i = 0; i < N; i++)
					a[l][i] = b[l][i] = (float)rand() / (float)RAND_MAX * 2.0f - 1.0f;
			for (uint32_t off = 0, len = 1; off < N; off += len, len = len % 300 + 7) {
				const uint32_t n = off + len <= N ? len : N - off;
				float *x[FILTER_LANES];
				for (int l = 0; l < lanes; l++)
					x[l] = a[l] + off;
				filter_cascade_lanes_rt(cl, stl, k, lanes, x, n);
				for (int l = 0; l < lanes; l++) {
					const struct filter_coefs *one[K];
					struct filter_state *st[K];
					for (int j = 0; j < k; j++)
						one[j] = &co[j][l], st[j] = &sb[j][l];
					filter_cascade_rt(one, st, k, b[l] + off, n);
				}
			}
			for (int l = 0; l < lanes; l++)
				for (int i = 0; i < N; i++)
					ck_assert_msg(a[l][i] == b[l][i], "%d lanes, %d sections: lane %d frame %d: %.9g against %.9g",
					              lanes, k, l, i, a[l][i], b[l][i]);
		}
}
END_TEST

static Suite *filter_suite(void)
{
	Suite *s = suite_create("filter");
	TCase *t = tcase_create("filter");
	tcase_set_timeout(t, 60);
	tcase_add_test(t, eq_shapes_match_the_cookbook);
	tcase_add_test(t, butterworth_slopes);
	tcase_add_test(t, off_is_exactly_unity);
	tcase_add_test(t, moves_do_not_click);
	tcase_add_test(t, glide_settles_on_the_target);
	tcase_add_test(t, cascade_equals_sections_in_series);
	tcase_add_test(t, lanes_equal_channels_alone);
	suite_add_tcase(s, t);
	return s;
}

int main(void) { return run_suite(filter_suite()); }
