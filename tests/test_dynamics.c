/* dsp/dynamics: the static curves against Giannoulis, Massberg and Reiss
 * (JAES 2012) eq. 4 as quoted in ../shared/reference/standards.md
 * "Dynamics", time constants, gate range and hold, the de-esser's band,
 * linked detection, and parameter jumps that do not click. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "dsp/dynamics.h"
#include "dsp/fastmath.h"
#include "tests/check_main.h"
#include "tests/signal_util.h"

#define RATE 48000.0f
#define BLOCK 64

static struct dynamics_params defaults(void)
{
	struct dynamics_params p = {
		.gate = {false, -50.0f, 40.0f, 100.0f, 1.0f, 50.0f, 100.0f},
		.comp = {false, -20.0f, 4.0f, 0.0f, 10.0f, 100.0f, 0.0f, false, false, 80.0f},
		.deess = {false, 6000.0f, -30.0f, 12.0f},
	};
	return p;
}

static float scratch[(2 * 16 + 2) * BLOCK];

/* Runs n frames of one channel through d in blocks of 64. */
static void run(struct dynamics *d, struct dynamics_channel *ch, float *x, size_t n)
{
	for (size_t off = 0; off < n; off += BLOCK) {
		float *p = x + off;
		dynamics_process_rt(d, ch, &p, 1, (uint32_t)(n - off < BLOCK ? n - off : BLOCK), scratch);
	}
}

static double curve_db(double x, double t, double r, double w)
{
	if (2 * (x - t) < -w)
		return x;
	if (w > 0 && 2 * fabs(x - t) <= w)
		return x + (1 / r - 1) * (x - t + w / 2) * (x - t + w / 2) / (2 * w);
	return t + (x - t) / r;
}

START_TEST(compressor_static_curve)
{
	const float knees[] = {0.0f, 10.0f};
	const float ratios[] = {2.0f, 4.0f, 20.0f};
	for (int ki = 0; ki < 2; ki++)
		for (int ri = 0; ri < 3; ri++)
			for (int level = -60; level <= 0; level++) {
				struct dynamics_params p = defaults();
				p.comp.on = true;
				p.comp.knee_db = knees[ki];
				p.comp.ratio = ratios[ri];
				p.comp.makeup_db = 3.0f;
				struct dynamics d;
				struct dynamics_channel ch = {0};
				dynamics_init(&d, &p, RATE);
				enum { N = 24000 };
				static float x[N];
				const float a = powf(10.0f, (float)level / 20.0f);
				for (int i = 0; i < N; i++)
					x[i] = a; /* a constant level: the peak detector settles exactly */
				run(&d, &ch, x, N);
				const double got = 20.0 * log10(x[N - 1]);
				const double want = curve_db(level, -20.0, ratios[ri], knees[ki]) + 3.0;
				ck_assert_msg(fabs(got - want) <= 0.1, "knee %g ratio %g, in %d dB: out %.3f dB, formula %.3f",
				              knees[ki], ratios[ri], level, got, want);
			}
}
END_TEST

/* Attenuation (dB) of each output sample against a constant-level input. */
static void attenuation(const float *x, const float *y, double *att, size_t n)
{
	for (size_t i = 0; i < n; i++)
		att[i] = 20.0 * log10(fabs(x[i]) / fabs(y[i]));
}

/* Frames from `from` until att crosses `level` (rising or falling). */
static double frames_to(const double *att, size_t from, size_t n, double level, bool rising)
{
	for (size_t i = from; i < n; i++)
		if (rising ? att[i] >= level : att[i] <= level)
			return (double)(i - from);
	return -1;
}

START_TEST(compressor_time_constants)
{
	const float attacks[] = {1.0f, 10.0f, 50.0f};
	const float releases[] = {50.0f, 300.0f, 1000.0f};
	for (int k = 0; k < 3; k++) {
		struct dynamics_params p = defaults();
		p.comp.on = true;
		p.comp.attack_ms = attacks[k];
		p.comp.release_ms = releases[k];
		struct dynamics d;
		struct dynamics_channel ch = {0};
		dynamics_init(&d, &p, RATE);
		const size_t step_up = 9600, step_down = step_up + (size_t)(RATE * attacks[k] * 0.02f) + 24000,
		             n = step_down + (size_t)(RATE * releases[k] * 0.01f);
		float *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
		double *att = malloc(n * sizeof *att);
		for (size_t i = 0; i < n; i++)
			x[i] = i >= step_up && i < step_down ? 1.0f : 0.01f; /* -40 dB, 0 dB (20 dB over), -40 dB */
		for (size_t i = 0; i < n; i++)
			y[i] = x[i];
		run(&d, &ch, y, n);
		attenuation(x, y, att, n);
		const double final = 15.0; /* 20 dB over at 4:1 */
		ck_assert_double_eq_tol(att[step_down - 1], final, 0.01);
		const double ta = frames_to(att, step_up, n, final * (1 - exp(-1.0)), true) / RATE * 1000.0;
		const double tr = frames_to(att, step_down, n, final * exp(-1.0), false) / RATE * 1000.0;
		ck_assert_msg(fabs(ta / attacks[k] - 1.0) <= 0.1, "attack %g ms measured %.3f ms", attacks[k], ta);
		ck_assert_msg(fabs(tr / releases[k] - 1.0) <= 0.1, "release %g ms measured %.3f ms", releases[k], tr);
		free(x), free(y), free(att);
	}
}
END_TEST

START_TEST(compressor_rms_detection)
{
	/* A 1 kHz sine of amplitude 0.5 (RMS -9.03 dBFS) against -20 dB at 4:1:
	 * RMS detection reads its RMS, so the output RMS is -17.26 dBFS. Peak
	 * detection reads its peak (-6.02 dB) and would give -16.5. */
	struct dynamics_params p = defaults();
	p.comp.on = true;
	p.comp.rms = true;
	p.comp.attack_ms = 20.0f;
	p.comp.release_ms = 500.0f;
	struct dynamics d;
	struct dynamics_channel ch = {0};
	dynamics_init(&d, &p, RATE);
	enum { N = 96000 };
	static float x[N];
	sine(x, N, 0.5, 1000.0, RATE, 0);
	run(&d, &ch, x, N);
	const double in_rms = 20.0 * log10(0.5 / sqrt(2.0));
	const double want = -20.0 + (in_rms + 20.0) / 4.0;
	ck_assert_msg(fabs(rms_db(x + N - 4800, 4800) - want) <= 0.2, "RMS out %.3f dB, want %.3f",
	              rms_db(x + N - 4800, 4800), want);
}
END_TEST

START_TEST(gate_range_hold_release)
{
	struct dynamics_params p = defaults();
	p.gate = (struct expander_params){true, -40.0f, 30.0f, 100.0f, 1.0f, 50.0f, 20.0f};
	struct dynamics d;
	struct dynamics_channel ch = {0};
	dynamics_init(&d, &p, RATE);
	const size_t drop = 9600, n = drop + 24000;
	float *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
	double *att = malloc(n * sizeof *att);
	for (size_t i = 0; i < n; i++)
		y[i] = x[i] = i < drop ? 0.1f : 0.001f; /* -20 dB (open), then -60 dB */
	run(&d, &ch, y, n);
	attenuation(x, y, att, n);
	ck_assert_double_eq_tol(att[drop - 1], 0.0, 0.01);                /* open above the threshold */
	ck_assert_double_eq_tol(att[n - 1], 30.0, 0.05);                  /* closed: the range */
	const double held_ms = frames_to(att, drop, n, 0.5, true) / RATE * 1000.0;
	ck_assert_msg(held_ms >= 50.0 && held_ms <= 51.0, "hold 50 ms, measured %.3f ms", held_ms);
	const size_t hold_end = drop + (size_t)(0.050f * RATE);
	const double tr = frames_to(att, hold_end, n, 30.0 * (1 - exp(-1.0)), true) / RATE * 1000.0;
	ck_assert_msg(fabs(tr / 20.0 - 1.0) <= 0.1, "gate release 20 ms, measured %.3f ms", tr);
	/* Reopens with the attack (1 ms) when the level comes back. */
	for (size_t i = 0; i < n; i++)
		y[i] = x[i] = 0.1f;
	run(&d, &ch, y, 480);
	attenuation(x, y, att, 480);
	const double ta = frames_to(att, 0, 480, 30.0 * exp(-1.0), false) / RATE * 1000.0;
	ck_assert_msg(fabs(ta / 1.0 - 1.0) <= 0.1, "gate attack 1 ms, measured %.3f ms", ta);
	free(x), free(y), free(att);
}
END_TEST

static double deess_change_db(double freq_hz)
{
	struct dynamics_params p = defaults();
	p.deess = (struct deesser_params){true, 4000.0f, -30.0f, 12.0f};
	struct dynamics d;
	struct dynamics_channel ch = {0};
	dynamics_init(&d, &p, RATE);
	enum { N = 24000 };
	static float x[N], y[N];
	sine(x, N, 0.3, freq_hz, RATE, 0); /* -10.5 dBFS */
	for (int i = 0; i < N; i++)
		y[i] = x[i];
	run(&d, &ch, y, N);
	return rms_db(y + N / 2, N / 2) - rms_db(x + N / 2, N / 2);
}

START_TEST(deesser_takes_sibilance_only)
{
	const double burst = deess_change_db(7000.0), tone = deess_change_db(500.0);
	fprintf(stderr, "dynamics: de-esser at 4 kHz, -30 dB, range 12: 7 kHz %.2f dB, 500 Hz %.4f dB\n", burst, tone);
	ck_assert_msg(burst <= -8.0, "7 kHz burst lowered by only %.2f dB", -burst);
	ck_assert_msg(fabs(tone) <= 0.05, "500 Hz tone changed by %.4f dB", tone);
}
END_TEST

START_TEST(detection_is_linked)
{
	struct dynamics_params p = defaults();
	p.comp.on = true;
	struct dynamics d;
	struct dynamics_channel ch[2] = {0};
	dynamics_init(&d, &p, RATE);
	static float l[BLOCK], r[BLOCK];
	float *x[2] = {l, r};
	for (int k = 0; k < 400; k++) {
		for (int i = 0; i < BLOCK; i++)
			l[i] = 1.0f, r[i] = 0.01f; /* only the left channel is over the threshold */
		dynamics_process_rt(&d, ch, x, 2, BLOCK, scratch);
	}
	ck_assert_float_eq_tol(20.0f * log10f(l[BLOCK - 1]), -15.0f, 0.02f);
	ck_assert_float_eq_tol(r[BLOCK - 1] / 0.01f, l[BLOCK - 1], 1e-6f); /* the same gain on both */
}
END_TEST

/* A 1 kHz sine through the compressor while parameters jump at 0.25 s. */
static double jump_ratio(void (*jump)(struct dynamics_params *))
{
	struct dynamics_params p = defaults();
	p.comp.on = true;
	p.comp.threshold_db = -10.0f;
	p.comp.attack_ms = 5.0f;
	p.comp.knee_db = 6.0f;
	p.gate.on = true;
	p.gate.threshold_db = -60.0f;
	struct dynamics d;
	struct dynamics_channel ch = {0};
	dynamics_init(&d, &p, RATE);
	enum { N = 24000 };
	static float x[N];
	sine(x, N, 0.5, 1000.0, RATE, 0);
	run(&d, &ch, x, 12012); /* a quarter period past a zero crossing: the sine at its peak */
	jump(&p);
	dynamics_set_rt(&d, &p);
	run(&d, &ch, x + 12012, N - 12012);
	return worst_step_ratio(x + 9600, N - 9600, 1000.0, RATE);
}

static void threshold_down(struct dynamics_params *p) { p->comp.threshold_db = -40.0f, p->comp.ratio = 10.0f; }
static void makeup_up(struct dynamics_params *p) { p->comp.makeup_db = 12.0f; }
static void comp_off(struct dynamics_params *p) { p->comp.threshold_db = -40.0f, p->comp.on = false; }
static void gate_closes(struct dynamics_params *p) { p->gate.threshold_db = 0.0f, p->gate.release_ms = 5.0f; }
static void deess_on(struct dynamics_params *p) { p->deess = (struct deesser_params){true, 4000.0f, -60.0f, 24.0f}; }

START_TEST(parameter_jumps_do_not_click)
{
	/* The margin: the compressor's own attack (5 ms) and the 5 ms glide
	 * shape the level change; an unsmoothed 30 dB gain step at once shows
	 * as a ratio of several. */
	const double margin = 1.25;
	void (*jumps[])(struct dynamics_params *) = {threshold_down, makeup_up, comp_off, gate_closes, deess_on};
	const char *names[] = {"threshold -10 -> -40 at 10:1", "makeup 0 -> +12", "compressor off",
	                       "gate closes", "de-esser on"};
	for (int k = 0; k < 5; k++) {
		const double r = jump_ratio(jumps[k]);
		fprintf(stderr, "dynamics: %s: step ratio %.3f\n", names[k], r);
		ck_assert_msg(r <= margin, "%s: step ratio %.3f", names[k], r);
	}
}
END_TEST

START_TEST(fast_log_and_exp)
{
	/* dsp/fastmath: 0.001 dB is well inside the 0.01 dB the metering and
	 * dynamics need. */
	double worst_log = 0, worst_exp = 0;
	for (double db = -140.0; db <= 40.0; db += 0.0137) {
		const float g = (float)pow(10.0, db / 20.0);
		worst_log = fmax(worst_log, fabs(fastmath_db_from_gain(g) - 20.0 * log10((double)g)));
		worst_exp = fmax(worst_exp, fabs(20.0 * log10(fastmath_gain_from_db((float)db)) - db));
	}
	ck_assert_msg(worst_log <= 0.001 && worst_exp <= 0.001, "log %.6f dB, exp %.6f dB", worst_log, worst_exp);
	ck_assert_float_eq(fastmath_exp2(0.0f), 1.0f);
	ck_assert_float_eq(fastmath_exp2(-200.0f), exp2f(-126.0f));
}
END_TEST

/* The eight-lane forms give the scalar ones' bits, lane by lane: log2 over
 * 1e-30 ... 1e6 (both mantissa halves, every exponent), exp2 over -200 ...
 * 200 (both clamps). */
START_TEST(fast_log_and_exp_in_lanes_equal_the_scalar)
{
	int differ = 0, tried = 0;
	for (double x = 1e-30; x < 1e6; x *= 1.0001379) {
		lanes_v8 in, out;
		for (int l = 0; l < LANES_WIDTH; l++)
			in[l] = (float)(x * (1.0 + 0.013 * l));
		fastmath_v8_log2(&in, &out);
		for (int l = 0; l < LANES_WIDTH; l++, tried++)
			differ += out[l] != fastmath_log2(in[l]);
	}
	for (double x = -200.0; x < 200.0; x += 0.000731) {
		lanes_v8 in, out;
		for (int l = 0; l < LANES_WIDTH; l++)
			in[l] = (float)(x + 0.0001 * l);
		fastmath_v8_exp2(&in, &out);
		for (int l = 0; l < LANES_WIDTH; l++, tried++)
			differ += out[l] != fastmath_exp2(in[l]);
	}
	ck_assert_int_gt(tried, 4000000);
	ck_assert_msg(differ == 0, "%d of %d differ", differ, tried);
}
END_TEST

/* The block path (parameters at rest: the gain computer over the block)
 * equals the per-sample reference bit for bit: peak and RMS detection,
 * side-chain filter on and off, a gate with hold, stereo linked, on 20 s
 * of noise bursts at random levels, in blocks of random length. */
START_TEST(block_path_equals_the_reference)
{
	enum { N = 48000 * 20 };
	static float a[2][N], b[2][N];
	for (int variant = 0; variant < 4; variant++) {
		struct dynamics_params p = defaults();
		p.comp.on = true;
		p.comp.threshold_db = -24.0f;
		p.comp.ratio = 3.0f;
		p.comp.knee_db = 6.0f;
		p.comp.makeup_db = 2.0f;
		p.comp.attack_ms = 5.0f;
		p.comp.rms = variant & 1;
		p.comp.sidechain_hpf = variant & 2;
		p.gate.on = true;
		p.gate.threshold_db = -45.0f;
		p.gate.hold_ms = 30.0f;
		struct dynamics da, db;
		struct dynamics_channel ca[2] = {0}, cb[2] = {0};
		dynamics_init(&da, &p, RATE);
		dynamics_init(&db, &p, RATE);
		srand(11 + (unsigned)variant);
		double level = 0.1;
		for (int i = 0; i < N; i++) {
			if (i % 4800 == 0)
				level = pow(10.0, -(double)(rand() % 60) / 20.0);
			for (int c = 0; c < 2; c++)
				a[c][i] = b[c][i] = (float)(level * ((double)rand() / RAND_MAX * 2 - 1));
		}
		for (int off = 0; off < N;) {
			const uint32_t n = (uint32_t)(1 + rand() % BLOCK);
			const uint32_t len = off + (int)n <= N ? n : (uint32_t)(N - off);
			float *xa[2] = {a[0] + off, a[1] + off}, *xb[2] = {b[0] + off, b[1] + off};
			dynamics_process_rt(&da, ca, xa, 2, len, scratch);
			dynamics_process_reference_rt(&db, cb, xb, 2, len, scratch);
			off += (int)len;
		}
		int differ = 0;
		for (int c = 0; c < 2; c++)
			for (int i = 0; i < N; i++)
				differ += a[c][i] != b[c][i];
		ck_assert_msg(differ == 0, "variant %d: %d samples differ", variant, differ);
		ck_assert_float_eq(da.comp_env, db.comp_env);
		ck_assert_float_eq(da.gate_env, db.gate_env);
		ck_assert_float_eq(da.mean_square, db.mean_square);
		ck_assert_float_gt(da.comp_gr_max, 1.0f); /* it compressed */
		ck_assert_float_gt(da.gate_gr_max, 1.0f); /* and gated */
	}
}
END_TEST

/* Strips side by side: the detector per strip, the gain computer,
 * envelopes and gains of 1 to 16 strips in lanes, the gains applied and
 * the de-esser per strip, give bit for bit what the per-sample reference
 * gives each strip; every strip has its own thresholds, ratios, knee,
 * times, hold, makeup, RMS or peak, side-chain filter and de-esser. */
START_TEST(lanes_equal_strips_alone)
{
	enum { N = 48000 * 4, L = DYNAMICS_LANES };
	static float a[L][N], b[L][N];
	static float det[L][BLOCK], gain[L][BLOCK];
	srand(21);
	for (int lanes = 1; lanes <= L; lanes++) {
		struct dynamics da[L], db[L];
		struct dynamics_channel ca[L] = {0}, cb[L] = {0};
		for (int l = 0; l < lanes; l++) {
			struct dynamics_params p = defaults();
			p.comp.on = rand() % 4 != 0;
			p.comp.threshold_db = -(float)(10 + rand() % 30);
			p.comp.ratio = 1.5f + (float)(rand() % 8);
			p.comp.knee_db = (float)(rand() % 12);
			p.comp.attack_ms = 1.0f + (float)(rand() % 30);
			p.comp.release_ms = 20.0f + (float)(rand() % 300);
			p.comp.makeup_db = (float)(rand() % 6);
			p.comp.rms = rand() % 2;
			p.comp.sidechain_hpf = rand() % 2;
			p.gate.on = !p.comp.on || rand() % 2;
			p.gate.threshold_db = -(float)(30 + rand() % 30);
			p.gate.hold_ms = (float)(rand() % 80);
			p.deess.on = rand() % 3 == 0;
			dynamics_init(&da[l], &p, RATE);
			dynamics_init(&db[l], &p, RATE);
			double level = 0.1;
			for (int i = 0; i < N; i++) {
				if (i % 2400 == 0)
					level = pow(10.0, -(double)(rand() % 60) / 20.0);
				a[l][i] = b[l][i] = (float)(level * ((double)rand() / RAND_MAX * 2 - 1));
			}
		}
		for (int off = 0, len; off < N; off += len) {
			len = 1 + rand() % BLOCK; /* blocks of any length: the frames past the last eight too */
			len = off + len <= N ? len : N - off;
			struct dynamics *dl[L];
			const float *detp[L];
			float *gainp[L];
			for (int l = 0; l < lanes; l++) {
				float *xa = a[l] + off, *xb = b[l] + off;
				dynamics_process_reference_rt(&da[l], &ca[l], &xa, 1, (uint32_t)len, scratch);
				ck_assert(dynamics_block_ready(&db[l]));
				detp[l] = dynamics_detector_rt(&db[l], &cb[l], &xb, 1, (uint32_t)len, det[l], scratch);
				dl[l] = &db[l], gainp[l] = gain[l];
			}
			dynamics_gains_lanes_rt(dl, detp, gainp, lanes, (uint32_t)len);
			for (int l = 0; l < lanes; l++) {
				float *xb = b[l] + off;
				dynamics_finish_rt(&db[l], &cb[l], &xb, 1, (uint32_t)len, gain[l], scratch);
			}
		}
		for (int l = 0; l < lanes; l++) {
			int differ = 0;
			for (int i = 0; i < N; i++)
				differ += a[l][i] != b[l][i];
			ck_assert_msg(differ == 0, "%d lanes: strip %d: %d samples differ", lanes, l, differ);
			ck_assert_float_eq(da[l].comp_gr_max, db[l].comp_gr_max);
			ck_assert_float_eq(da[l].gate_gr_max, db[l].gate_gr_max);
			ck_assert_uint_eq(da[l].hold_left, db[l].hold_left);
			ck_assert_float_eq(da[l].mean_square, db[l].mean_square);
		}
	}
}
END_TEST

/* RMS detection switched on starts from silence: the mean square is kept
 * only while RMS is on, and switching it on again later does not bring
 * back a level from long ago. */
START_TEST(rms_switched_on_starts_from_silence)
{
	struct dynamics_params p = defaults();
	p.comp.on = true;
	p.comp.rms = true;
	struct dynamics d;
	struct dynamics_channel ch = {0};
	dynamics_init(&d, &p, RATE);
	static float x[4800];
	for (int i = 0; i < 4800; i++)
		x[i] = (i & 1) ? 0.5f : -0.5f;
	run(&d, &ch, x, 4800);
	ck_assert_float_eq_tol(d.mean_square, 0.25f, 1e-3f); /* 100 ms of a square wave: mean square 0.25 */
	p.comp.rms = false;
	dynamics_set_rt(&d, &p);
	for (int i = 0; i < 4800; i++)
		x[i] = 0.0f;
	run(&d, &ch, x, 4800);
	ck_assert_float_eq_tol(d.mean_square, 0.25f, 1e-3f); /* not kept while off */
	p.comp.rms = true;
	dynamics_set_rt(&d, &p);
	ck_assert_float_eq(d.mean_square, 0.0f);
}
END_TEST

static Suite *dynamics_suite(void)
{
	Suite *s = suite_create("dynamics");
	TCase *t = tcase_create("dynamics");
	tcase_set_timeout(t, 60);
	tcase_add_test(t, compressor_static_curve);
	tcase_add_test(t, compressor_time_constants);
	tcase_add_test(t, compressor_rms_detection);
	tcase_add_test(t, gate_range_hold_release);
	tcase_add_test(t, deesser_takes_sibilance_only);
	tcase_add_test(t, detection_is_linked);
	tcase_add_test(t, parameter_jumps_do_not_click);
	tcase_add_test(t, fast_log_and_exp);
	tcase_add_test(t, fast_log_and_exp_in_lanes_equal_the_scalar);
	tcase_add_test(t, block_path_equals_the_reference);
	tcase_add_test(t, lanes_equal_strips_alone);
	tcase_add_test(t, rms_switched_on_starts_from_silence);
	suite_add_tcase(s, t);
	return s;
}



int main(void) { return run_suite(dynamics_suite()); }
