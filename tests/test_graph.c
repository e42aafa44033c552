#include <math.h>
#include <pmmintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <xmmintrin.h>

#include "dsp/filter.h"
#include "dsp/gain.h"
#include "tests/check_main.h"
#include "engine/worker.h"
#include "tests/graph_rig.h"
#include "tests/signal_util.h"

#define SR 48000
#define SETTLE 4800   /* 100 ms: past every 10 ms ramp */
#define MEASURE 48000

/* Three mono strips into a 5.1 stem, a stereo strip into a 2.0 stem, and a
 * 5.1 printmaster and a 2.0 fold-down master. Outputs: DX 0..5, MX 6..7,
 * PM 8..13, LoRo 14..15. */
static const char *const console_text =
	"{\"buses\": ["
	" {\"name\": \"DX\", \"format\": \"5.1\", \"role\": \"stem\"},"
	" {\"name\": \"MX\", \"format\": \"2.0\", \"role\": \"stem\"},"
	" {\"name\": \"PM\", \"format\": \"5.1\", \"role\": \"master\", \"sources\": [\"DX\"]},"
	" {\"name\": \"LoRo\", \"format\": \"2.0\", \"role\": \"master\", \"sources\": [\"PM\", \"MX\"]}],"
	" \"strips\": ["
	" {\"name\": \"A\", \"bus\": \"DX\", \"pan\": 30},"
	" {\"name\": \"B\", \"bus\": \"DX\", \"pan\": 30},"
	" {\"name\": \"C\", \"bus\": \"DX\", \"pan\": 30, \"solo_safe\": true},"
	" {\"name\": \"S\", \"input\": \"stereo\", \"bus\": \"MX\"}]}";

enum { DX_L = 0, DX_R, DX_C, DX_LFE, DX_LS, DX_RS, MX_L, MX_R, PM_L, LORO_L = 14, LORO_R };

static void play_sine(struct rig *r, uint32_t port, double amp)
{
	sine(r->in[port], r->frames, amp, 1000, SR, 0);
}

static double level_db(struct rig *r, uint32_t out, size_t from, size_t n)
{
	return rms_db(r->out[out] + from, n);
}

START_TEST(fader_and_trim_levels)
{
	struct rig r;
	rig_open(&r, console_text, SETTLE * 2 + MEASURE * 2);
	play_sine(&r, 0, 0.1);
	const double in_db = rms_db(r.in[0], MEASURE);
	rig_cmd(&r, GRAPH_OP_STRIP_FADER, 0, gain_from_db(-6.5f));
	rig_cmd(&r, GRAPH_OP_STRIP_TRIM, 0, gain_from_db(3.0f));
	rig_run(&r, SETTLE + MEASURE, 64);
	ck_assert_double_eq_tol(level_db(&r, DX_L, SETTLE, MEASURE) - in_db, -3.5, 0.05);
	/* a bus fader adds on top */
	struct graph_cmd bus = {.op = GRAPH_OP_BUS_FADER, .index = 0, .value = {gain_from_db(-10.0f)}};
	graph_apply_rt(r.graph, &bus);
	rig_run(&r, SETTLE + MEASURE, 64);
	ck_assert_double_eq_tol(level_db(&r, DX_L, 2 * SETTLE + MEASURE, MEASURE) - in_db, -13.5, 0.05);
	/* the printmaster carries the stem unchanged (5.1 into 5.1) */
	for (size_t i = 2 * SETTLE + MEASURE; i < r.frames; i++)
		ck_assert_float_eq(r.out[PM_L][i], r.out[DX_L][i]);
	rig_close(&r);
}
END_TEST

START_TEST(mute_gives_silence)
{
	struct rig r;
	rig_open(&r, console_text, SETTLE + MEASURE);
	play_sine(&r, 0, 0.5);
	rig_cmd(&r, GRAPH_OP_STRIP_MUTE, 0, 1);
	rig_run(&r, SETTLE + MEASURE, 64);
	for (size_t i = 480; i < r.frames; i++) /* exactly 0 once the 10 ms ramp is over */
		ck_assert_float_eq(r.out[DX_L][i], 0.0f);
	rig_close(&r);
}
END_TEST

START_TEST(solo_in_place)
{
	struct rig r;
	rig_open(&r, console_text, 3 * (SETTLE + MEASURE));
	play_sine(&r, 0, 0.1);
	play_sine(&r, 1, 0.1);
	play_sine(&r, 2, 0.1);
	rig_run(&r, SETTLE + MEASURE, 64);
	const double all3 = level_db(&r, DX_L, SETTLE, MEASURE);
	ck_assert_double_eq_tol(all3 - rms_db(r.in[0], MEASURE), 20 * log10(3.0), 0.05);
	rig_cmd(&r, GRAPH_OP_STRIP_SOLO, 1, 1);   /* solo B: A goes quiet, C is solo-safe */
	rig_run(&r, SETTLE + MEASURE, 64);
	ck_assert_double_eq_tol(level_db(&r, DX_L, 2 * SETTLE + MEASURE, MEASURE) - rms_db(r.in[0], MEASURE),
	                        20 * log10(2.0), 0.05);
	rig_cmd(&r, GRAPH_OP_STRIP_SOLO, 1, 0);   /* unsolo: all three again */
	rig_run(&r, SETTLE + MEASURE, 64);
	ck_assert_double_eq_tol(level_db(&r, DX_L, 3 * SETTLE + 2 * MEASURE, MEASURE), all3, 0.05);
	rig_close(&r);
}
END_TEST

START_TEST(polarity_inverts_sample_exact)
{
	struct rig r;
	rig_open(&r, console_text, SETTLE + MEASURE);
	play_sine(&r, 0, 0.25);
	rig_cmd(&r, GRAPH_OP_STRIP_POLARITY, 0, 1);
	rig_run(&r, SETTLE + MEASURE, 64);
	for (size_t i = 480; i < r.frames; i++)
		ck_assert_float_eq(r.out[DX_L][i], -r.in[0][i]);
	rig_close(&r);
}
END_TEST

/* The 40 dB fader jump through the whole strip path, on the bus output:
 * no sample-to-sample step larger than the sine's own at the louder level
 * (0.1 % tolerance for the ramp's own slope). */
START_TEST(fader_jump_makes_no_click)
{
	struct rig r;
	rig_open(&r, console_text, 4 * 4800);
	play_sine(&r, 0, 0.5);
	rig_cmd(&r, GRAPH_OP_STRIP_FADER, 0, gain_from_db(-40));
	rig_run(&r, 4800 + 64 * 3, 64);
	rig_cmd(&r, GRAPH_OP_STRIP_FADER, 0, 1.0f);   /* up 40 dB */
	rig_run(&r, 4800 - 64 * 3 + 1024, 64);
	rig_cmd(&r, GRAPH_OP_STRIP_FADER, 0, gain_from_db(-40)); /* and down */
	rig_run(&r, 2 * 4800 - 1024, 64);
	const double own = sine_max_step(0.5, 1000, SR);
	ck_assert_double_le(max_step(r.out[DX_L] + 480, r.frames - 480), own * 1.001);
	ck_assert_double_gt(peak_abs(r.out[DX_L] + 4800 + 1024, 512), 0.49); /* it did get loud */
	rig_close(&r);
}
END_TEST

/* Pan is constant-power: at five azimuths, the power summed over the stem's
 * channels equals the input power within 0.05 dB. */
START_TEST(pan_constant_power)
{
	const float az[5] = {0, 15, 70, -150, 180};
	for (int k = 0; k < 5; k++) {
		struct rig r;
		rig_open(&r, console_text, SETTLE + MEASURE);
		play_sine(&r, 0, 0.1);
		struct graph_cmd c = {.op = GRAPH_OP_STRIP_PAN_ROW, .index = 0};
		struct strip_params p = r.console->strips[0].params;
		p.pan_azimuth_deg = az[k];
		float m[LAYOUT_MAX_CHANNELS][LAYOUT_MAX_CHANNELS];
		graph_pan_matrix(layout_get(LAYOUT_MONO), layout_get(LAYOUT_5_1), &p, m);
		memcpy(c.value, m[0], sizeof c.value);
		graph_apply_rt(r.graph, &c);
		rig_run(&r, SETTLE + MEASURE, 64);
		double power = 0;
		for (int ch = DX_L; ch <= DX_RS; ch++)
			power += mean_square(r.out[ch] + SETTLE, MEASURE);
		ck_assert_double_eq_tol(10 * log10(power), rms_db(r.in[0], MEASURE), 0.05);
		ck_assert_float_eq(peak_abs(r.out[DX_LFE], r.frames), 0.0f);
		rig_close(&r);
	}
}
END_TEST

/* Elevation through the graph: a mono strip at (45, +30) in a 7.1.4 stem
 * plays only Ltf; straight overhead the four heights share equally. */
START_TEST(elevation_reaches_the_heights)
{
	struct rig r;
	rig_open(&r, "{\"buses\": [{\"name\": \"ST\", \"format\": \"7.1.4\", \"role\": \"stem\"}],"
	         " \"strips\": [{\"name\": \"A\", \"bus\": \"ST\", \"pan\": 45, \"elevation\": 30}]}", 2 * SETTLE);
	for (size_t i = 0; i < r.frames; i++)
		r.in[0][i] = 0.5f;
	rig_run(&r, SETTLE, 64);
	for (int c = 0; c < 12; c++)
		ck_assert_float_eq_tol(r.out[c][SETTLE - 1], c == 8 ? 0.5f : 0.0f, 1e-6); /* 8 = Ltf */
	struct graph_cmd cmd = {.op = GRAPH_OP_STRIP_PAN_ROW, .index = 0};
	struct strip_params p = r.console->strips[0].params;
	p.pan_elevation_deg = 90.0f;
	float m[LAYOUT_MAX_CHANNELS][LAYOUT_MAX_CHANNELS];
	graph_pan_matrix(layout_get(LAYOUT_MONO), layout_get(LAYOUT_7_1_4), &p, m);
	memcpy(cmd.value, m[0], sizeof cmd.value);
	graph_apply_rt(r.graph, &cmd);
	rig_run(&r, SETTLE, 64);
	for (int c = 0; c < 12; c++)
		ck_assert_float_eq_tol(r.out[c][2 * SETTLE - 1], c >= 8 ? 0.25f : 0.0f, 1e-6);
	rig_close(&r);
}
END_TEST

/* A strip whose block is silence adds nothing to its bus, but its pan ramp
 * moves on all the same: a pan made during silence has landed when the
 * sound comes (hard left to hard right here, then a step of 0.5 after 20 ms
 * of silence, twice the 10 ms ramp: exactly 0 left and 0.5 right). */
START_TEST(a_quiet_strip_pans_on)
{
	struct rig r;
	rig_open(&r, "{\"buses\": [{\"name\": \"ST\", \"format\": \"2.0\", \"role\": \"stem\"}],"
	         " \"strips\": [{\"name\": \"A\", \"bus\": \"ST\", \"pan\": 30}]}", 2048);
	for (size_t i = 960; i < r.frames; i++)
		r.in[0][i] = 0.5f;
	struct graph_cmd cmd = {.op = GRAPH_OP_STRIP_PAN_ROW, .index = 0};
	struct strip_params p = r.console->strips[0].params;
	p.pan_azimuth_deg = -30.0f;
	float m[LAYOUT_MAX_CHANNELS][LAYOUT_MAX_CHANNELS];
	graph_pan_matrix(layout_get(LAYOUT_MONO), layout_get(LAYOUT_2_0), &p, m);
	ck_assert_float_eq(m[0][1], 1.0f);
	memcpy(cmd.value, m[0], sizeof cmd.value);
	graph_apply_rt(r.graph, &cmd);
	rig_run(&r, r.frames, 64);
	for (size_t i = 0; i < r.frames; i++) {
		ck_assert_msg(r.out[0][i] == 0.0f, "L[%zu] = %g", i, r.out[0][i]);
		ck_assert_msg(r.out[1][i] == r.in[0][i], "R[%zu] = %g, not %g", i, r.out[1][i], r.in[0][i]);
	}
	rig_close(&r);
}
END_TEST

/* One strip feeding a 7.1.4 stem, a 5.1 stem and a 2.0 guide: each bus gets
 * its own layout's gains for the same position, and a pan command for one
 * feed leaves the others alone. Outputs: ST 0..11, S51 12..17, GD 18..19. */
START_TEST(one_strip_feeds_buses_of_several_formats)
{
	struct rig r;
	rig_open(&r, "{\"buses\": [{\"name\": \"ST\", \"format\": \"7.1.4\", \"role\": \"stem\"},"
	         " {\"name\": \"S51\", \"format\": \"5.1\", \"role\": \"stem\"},"
	         " {\"name\": \"GD\", \"format\": \"2.0\", \"role\": \"stem\"}],"
	         " \"strips\": [{\"name\": \"A\", \"bus\": [\"ST\", \"S51\", \"GD\"], \"pan\": 70}]}",
	         2 * SETTLE);
	for (size_t i = 0; i < r.frames; i++)
		r.in[0][i] = 0.5f;
	rig_run(&r, SETTLE, 64);
	const enum layout_id formats[3] = {LAYOUT_7_1_4, LAYOUT_5_1, LAYOUT_2_0};
	const uint32_t first[3] = {0, 12, 18};
	float m[LAYOUT_MAX_CHANNELS][LAYOUT_MAX_CHANNELS];
	for (int b = 0; b < 3; b++) {
		graph_pan_matrix(layout_get(LAYOUT_MONO), layout_get(formats[b]), &r.console->strips[0].params, m);
		double power = 0;
		for (unsigned c = 0; c < layout_get(formats[b])->channels; c++) {
			ck_assert_float_eq_tol(r.out[first[b] + c][SETTLE - 1], 0.5f * m[0][c], 1e-6);
			power += (double)m[0][c] * m[0][c];
		}
		ck_assert_double_eq_tol(power, 1.0, 1e-6);
	}
	/* 70 degrees: between L and Lss on 7.1.4, between L and Ls on 5.1 */
	ck_assert_float_gt(r.out[4][SETTLE - 1], 0.1f);   /* ST Lss */
	ck_assert_float_gt(r.out[16][SETTLE - 1], 0.1f);  /* S51 Ls */
	struct strip_params p = r.console->strips[0].params;
	p.pan_azimuth_deg = -30.0f;
	graph_pan_matrix(layout_get(LAYOUT_MONO), layout_get(LAYOUT_5_1), &p, m);
	struct graph_cmd cmd = {.op = GRAPH_OP_STRIP_PAN_ROW, .index = 0, .feed = 1};
	memcpy(cmd.value, m[0], sizeof cmd.value);
	graph_apply_rt(r.graph, &cmd);
	rig_run(&r, SETTLE, 64);
	ck_assert_float_eq_tol(r.out[13][2 * SETTLE - 1], 0.5f, 1e-6); /* S51 R */
	ck_assert_float_eq_tol(r.out[12][2 * SETTLE - 1], 0.0f, 1e-6);
	for (int c = 0; c < 12; c++) /* ST unchanged */
		ck_assert_float_eq(r.out[c][2 * SETTLE - 1], r.out[c][SETTLE - 1]);
	rig_close(&r);
}
END_TEST

/* LFE send is exact in dB and independent of the position; width 0
 * collapses a stereo strip onto its pan position; rotation turns it. */
START_TEST(lfe_send_width_and_rotation)
{
	struct strip_params p = {.pan_width = 1.0f, .lfe_send_db = -10.0f, .pan_azimuth_deg = 70.0f};
	float m[LAYOUT_MAX_CHANNELS][LAYOUT_MAX_CHANNELS];
	graph_pan_matrix(layout_get(LAYOUT_MONO), layout_get(LAYOUT_7_1_4), &p, m);
	ck_assert_float_eq_tol(20 * log10f(m[0][3]), -10.0f, 1e-4); /* LFE */
	double power = 0;
	for (int c = 0; c < 12; c++)
		power += c == 3 ? 0 : (double)m[0][c] * m[0][c];
	ck_assert_double_eq_tol(power, 1.0, 1e-6); /* the send does not take from the position */
	p.lfe_send_db = -INFINITY;
	graph_pan_matrix(layout_get(LAYOUT_MONO), layout_get(LAYOUT_7_1_4), &p, m);
	ck_assert_float_eq(m[0][3], 0.0f);
	/* stereo: width 1 keeps L on L and R on R; width 0 puts both at the pan position */
	struct strip_params st = {.pan_width = 1.0f, .lfe_send_db = -6.0f};
	graph_pan_matrix(layout_get(LAYOUT_2_0), layout_get(LAYOUT_5_1), &st, m);
	ck_assert_float_eq_tol(m[0][0], 1.0f, 1e-6);
	ck_assert_float_eq_tol(m[1][1], 1.0f, 1e-6);
	ck_assert_float_eq_tol(m[0][3] + m[1][3], gain_from_db(-6.0f), 1e-6); /* shares add up to the send */
	st.pan_width = 0.0f;
	graph_pan_matrix(layout_get(LAYOUT_2_0), layout_get(LAYOUT_5_1), &st, m);
	ck_assert_float_eq_tol(m[0][2], 1.0f, 1e-6); /* both on C */
	ck_assert_float_eq_tol(m[1][2], 1.0f, 1e-6);
	st.pan_width = 1.0f;
	st.pan_rotation_deg = 80.0f; /* L from +30 to +110 (Ls), R from -30 to +50 */
	graph_pan_matrix(layout_get(LAYOUT_2_0), layout_get(LAYOUT_5_1), &st, m);
	ck_assert_float_eq_tol(m[0][4], 1.0f, 1e-6);
	ck_assert_float_gt(m[1][0], 0.9f);
}
END_TEST

/* A master sums its sources; a 5.1 source folds into a 2.0 master with
 * ITU-R BS.775 (Lo = L + 0.7071 C + 0.7071 Ls), and a 2.0 source adds as is. */
START_TEST(masters_sum_and_fold_down)
{
	struct rig r;
	rig_open(&r, "{\"buses\": ["
	         " {\"name\": \"DX\", \"format\": \"5.1\", \"role\": \"stem\"},"
	         " {\"name\": \"MX\", \"format\": \"2.0\", \"role\": \"stem\"},"
	         " {\"name\": \"LoRo\", \"format\": \"2.0\", \"role\": \"master\", \"sources\": [\"DX\", \"MX\"]}],"
	         " \"strips\": [{\"name\": \"C\", \"bus\": \"DX\", \"pan\": 0},"
	         " {\"name\": \"LS\", \"bus\": \"DX\", \"pan\": 110},"
	         " {\"name\": \"M\", \"bus\": \"MX\", \"pan\": 30}]}", SETTLE + 4800);
	for (size_t i = 0; i < r.frames; i++) {
		r.in[0][i] = 0.1f;   /* DC keeps the arithmetic visible */
		r.in[1][i] = 0.01f;
		r.in[2][i] = 0.001f;
	}
	rig_run(&r, SETTLE + 4800, 64);
	const float lo = r.out[8][SETTLE], ro = r.out[9][SETTLE]; /* DX 0..5, MX 6..7, LoRo 8..9 */
	ck_assert_float_eq_tol(lo, 0.70710678f * 0.1f + 0.70710678f * 0.01f + 0.001f, 1e-6);
	ck_assert_float_eq_tol(ro, 0.70710678f * 0.1f, 1e-6);
	rig_close(&r);
}
END_TEST

/* A 7.1.4 stem feeds a 5.1 master through the chain 7.1.4 -> 7.1 -> 5.1
 * (docs/layouts.md), which feeds a 2.0 master through BS.775. */
START_TEST(masters_fold_through_chains)
{
	struct rig r;
	rig_open(&r, "{\"buses\": ["
	         " {\"name\": \"ST\", \"format\": \"7.1.4\", \"role\": \"stem\"},"
	         " {\"name\": \"PM51\", \"format\": \"5.1\", \"role\": \"master\", \"sources\": [\"ST\"]},"
	         " {\"name\": \"LORO\", \"format\": \"2.0\", \"role\": \"master\", \"sources\": [\"PM51\"]}],"
	         " \"strips\": [{\"name\": \"BED\", \"input\": \"7.1.4\", \"bus\": \"ST\"}]}", SETTLE + 4800);
	/* input ports 0..11 = BED L R C LFE Lss Rss Lrs Rrs Ltf Rtf Ltr Rtr */
	for (size_t i = 0; i < r.frames; i++) {
		r.in[8][i] = 0.1f;   /* Ltf */
		r.in[6][i] = 0.01f;  /* Lrs */
	}
	rig_run(&r, SETTLE + 4800, 64);
	const float k = 0.70710678f;
	/* outputs: ST 0..11, PM51 12..17 (L R C LFE Ls Rs), LORO 18..19 */
	ck_assert_float_eq_tol(r.out[8][SETTLE], 0.1f, 1e-7);           /* ST Ltf: the height stays */
	ck_assert_float_eq_tol(r.out[12][SETTLE], k * 0.1f, 1e-6);      /* PM51 L <- Ltf (via 7.1 L) */
	ck_assert_float_eq_tol(r.out[16][SETTLE], k * 0.01f, 1e-6);     /* PM51 Ls <- Lrs */
	ck_assert_float_eq_tol(r.out[18][SETTLE], k * 0.1f + k * k * 0.01f, 1e-6); /* Lo */
	ck_assert_float_eq_tol(r.out[19][SETTLE], 0.0f, 1e-7);          /* Ro */
	rig_close(&r);
}
END_TEST

START_TEST(stereo_strip_keeps_its_sides)
{
	struct rig r;
	rig_open(&r, console_text, SETTLE + 4800);
	for (size_t i = 0; i < r.frames; i++) {
		r.in[3][i] = 0.3f;  /* S L */
		r.in[4][i] = -0.2f; /* S R */
	}
	rig_run(&r, SETTLE + 4800, 64);
	ck_assert_float_eq_tol(r.out[MX_L][SETTLE], 0.3f, 1e-7);
	ck_assert_float_eq_tol(r.out[MX_R][SETTLE], -0.2f, 1e-7);
	rig_close(&r);
}
END_TEST

/* NaN, infinities and absurd values from a broken source never reach a bus;
 * the other strips keep playing. */
START_TEST(non_finite_input_is_contained)
{
	struct rig r;
	rig_open(&r, console_text, SETTLE + 4800);
	play_sine(&r, 1, 0.1);
	for (size_t i = 0; i < r.frames; i++)
		r.in[0][i] = (i % 3 == 0) ? NAN : (i % 3 == 1 ? INFINITY : 1e9f);
	rig_run(&r, SETTLE + 4800, 64);
	for (uint32_t o = 0; o < graph_ports(r.graph)->n_out; o++)
		for (size_t i = 0; i < r.frames; i++)
			ck_assert(isfinite(r.out[o][i]));
	ck_assert_double_eq_tol(level_db(&r, DX_L, SETTLE, 4800), rms_db(r.in[1], 4800), 0.05);
	rig_close(&r);
}
END_TEST

/* One NaN in a strip's input: that whole block (64 frames at a 64-frame
 * period) is silence from the strip, every other frame passes untouched,
 * and the fault is counted once. */
START_TEST(a_bad_block_is_muted_whole_and_counted)
{
	struct rig r;
	rig_open(&r, "{\"buses\": [{\"name\": \"ST\", \"format\": \"2.0\", \"role\": \"stem\"}],"
	         " \"strips\": [{\"name\": \"A\", \"bus\": \"ST\", \"pan\": 30}]}", 4096);
	graph_settle(r.graph);
	for (size_t i = 0; i < r.frames; i++)
		r.in[0][i] = 0.25f * (float)sin(0.01 * (double)i);
	r.in[0][1000] = NAN;
	rig_run(&r, r.frames, 64);
	for (size_t i = 0; i < r.frames; i++) {
		const float want = i >= 960 && i < 1024 ? 0.0f : r.in[0][i];
		ck_assert_msg(r.out[0][i] == want, "L[%zu] = %g, not %g", i, r.out[0][i], want);
	}
	ck_assert_uint_eq(atomic_load(&graph_strip_gain_reduction(r.graph, 0)->bad_input), 1);
	rig_close(&r);
}
END_TEST

/* A long period is processed in blocks with the same result sample for sample. */
START_TEST(period_size_does_not_change_the_result)
{
	struct rig a, b;
	rig_open(&a, console_text, 8192);
	rig_open(&b, console_text, 8192);
	play_sine(&a, 0, 0.3);
	play_sine(&b, 0, 0.3);
	rig_cmd(&a, GRAPH_OP_STRIP_FADER, 0, 0.5f);
	rig_cmd(&b, GRAPH_OP_STRIP_FADER, 0, 0.5f);
	rig_run(&a, 8192, 64);
	rig_run(&b, 8192, 1024);
	for (size_t i = 0; i < 8192; i++)
		ck_assert_float_eq_tol(a.out[DX_L][i], b.out[DX_L][i], 1e-6);
	rig_close(&a);
	rig_close(&b);
}
END_TEST

/* A new graph built against the running one takes over its gains: strips
 * that were playing keep playing without a dip, new strips fade in. */
START_TEST(adopting_the_previous_graph_is_seamless)
{
	struct rig r;
	rig_open(&r, console_text, SETTLE + 4800);
	play_sine(&r, 0, 0.5);
	rig_run(&r, SETTLE, 64);
	char err[256];
	struct graph *old = r.graph;
	graph_set_generation(old, 1);
	struct console *c2 = config_load_text(
		"{\"buses\": [{\"name\": \"DX\", \"format\": \"5.1\", \"role\": \"stem\"}],"
		" \"strips\": [{\"name\": \"NEW\", \"bus\": \"DX\"}, {\"name\": \"A\", \"bus\": \"DX\", \"pan\": 30}]}",
		"c2", err, sizeof err);
	ck_assert_msg(c2 != NULL, "%s", err);
	struct graph *g2 = graph_build(c2, old, SR, err, sizeof err);
	ck_assert_msg(g2 != NULL, "%s", err);
	graph_set_generation(g2, 2);
	graph_adopt_rt(g2, old);
	float out[6][64];
	struct graph_ports *p = graph_ports(g2);
	float silence[64] = {0};
	p->in[0] = silence;          /* NEW */
	p->in[1] = r.in[0] + SETTLE; /* A, continuing */
	for (int o = 0; o < 6; o++)
		p->out[o] = out[o];
	graph_process_rt(g2, 64, 0, 0, NULL);
	/* A's first sample in the new graph is at full gain: no fade from zero. */
	ck_assert_float_eq_tol(out[0][0], r.in[0][SETTLE], 1e-6);
	ck_assert_float_eq_tol(out[0][63], r.in[0][SETTLE + 63], 1e-6);
	graph_free(g2);
	console_free(c2);
	rig_close(&r);
}
END_TEST

START_TEST(meters_publish_peak_and_rms)
{
	struct rig r;
	rig_open(&r, console_text, 3 * SR);
	play_sine(&r, 0, 0.1);
	rig_run(&r, 3 * SR, 64);
	uint32_t n;
	const struct graph_meter_readout *m = graph_strip_meters(r.graph, 0, &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_double_eq_tol(20 * log10(atomic_load(&m[0].peak)), -20.0, 0.01);
	ck_assert_double_eq_tol(10 * log10(atomic_load(&m[0].mean_square)), -23.01, 0.05);
	m = graph_bus_meters(r.graph, 0, &n);
	ck_assert_uint_eq(n, 6);
	ck_assert_double_eq_tol(20 * log10(atomic_load(&m[0].peak)), -20.0, 0.01);
	ck_assert_float_eq(atomic_load(&m[1].peak), 0.0f);
	/* a new meter epoch restarts the peak hold */
	graph_process_rt(r.graph, 0, 1, 0, NULL);
	ck_assert_float_eq(atomic_load(&graph_strip_meters(r.graph, 0, &n)[0].peak), 0.0f);
	rig_close(&r);
}
END_TEST


/* A mono strip into a mono bus, with processing settings spliced in. */
static void open_processed(struct rig *r, const char *settings, size_t frames, float rate)
{
	char text[2048];
	snprintf(text, sizeof text, "{\"buses\": [{\"name\": \"M\", \"format\": \"mono\", \"role\": \"stem\"}],"
	         " \"strips\": [{\"name\": \"A\", \"bus\": \"M\"%s%s}]}", settings[0] ? ", " : "", settings);
	rig_open_rate(r, text, frames, rate);
}

START_TEST(strip_delay_is_sample_exact)
{
	const float rates[] = {44100.0f, 48000.0f, 96000.0f};
	const float delays_ms[] = {0.0f, 12.34f, 2000.0f};
	for (int ri = 0; ri < 3; ri++)
		for (int di = 0; di < 3; di++) {
			char settings[64];
			snprintf(settings, sizeof settings, "\"delay\": %g", delays_ms[di]);
			struct rig r;
			const size_t frames = (size_t)(2.5f * rates[ri]);
			open_processed(&r, settings, frames, rates[ri]);
			const size_t at = (size_t)(0.05f * rates[ri]); /* past the 10 ms start ramp */
			r.in[0][at] = 0.5f;
			rig_run(&r, frames - frames % 64, 64);
			const size_t want = at + (size_t)lrintf(delays_ms[di] * 0.001f * rates[ri]);
			for (size_t i = 0; i < frames - frames % 64; i++)
				ck_assert_msg(r.out[0][i] == (i == want ? 0.5f : 0.0f), "%g Hz, delay %g ms: frame %zu is %g "
				              "(impulse due at %zu)", rates[ri], delays_ms[di], i, r.out[0][i], want);
			rig_close(&r);
		}
}
END_TEST

START_TEST(strip_eq_and_filters_in_the_path)
{
	/* Band 2 at 1 kHz, +12 dB: a 1 kHz sine comes out 12 dB up; a
	 * 24 dB/octave high-pass at 1 kHz: -3.01 dB (Butterworth). */
	struct rig r;
	open_processed(&r, "\"eq\": {\"2\": {\"on\": true, \"freq\": 1000, \"gain\": 12, \"q\": 1}}", SR, SR);
	play_sine(&r, 0, 0.1);
	rig_run(&r, SR, 64);
	ck_assert_double_eq_tol(level_db(&r, 0, SR / 2, SR / 2) - rms_db(r.in[0], SR / 2), 12.0, 0.05);
	rig_close(&r);
	open_processed(&r, "\"hpf\": {\"on\": true, \"freq\": 1000, \"slope\": 24}", SR, SR);
	play_sine(&r, 0, 0.1);
	rig_run(&r, SR, 64);
	ck_assert_double_eq_tol(level_db(&r, 0, SR / 2, SR / 2) - rms_db(r.in[0], SR / 2), -10.0 * log10(2.0), 0.05);
	rig_close(&r);
}
END_TEST

START_TEST(processing_moves_without_clicks)
{
	/* Every 64 frames a new EQ frequency (100 Hz -> 10 kHz in 1 s); then
	 * the compressor switched on at -40 dB, the HPF to 24 dB at 2 kHz. */
	struct rig r;
	open_processed(&r, "\"eq\": {\"2\": {\"on\": true, \"freq\": 100, \"gain\": 12, \"q\": 2}}", 2 * SR, SR);
	play_sine(&r, 0, 0.25);
	rig_run(&r, SR / 4, 64);
	struct strip_processing p = r.console->strips[0].params.proc;
	struct filter_shape shapes[GRAPH_SECTIONS];
	struct graph_cmd c = {.op = GRAPH_OP_STRIP_FILTER, .index = 0};
	for (int k = 0; k < SR / 64; k++) {
		p.eq[1].freq_hz = 100.0f * powf(100.0f, (float)k / (SR / 64));
		graph_strip_shapes(&p, shapes);
		c.channel = GRAPH_SECTION_EQ + 1;
		memcpy(c.value, &shapes[GRAPH_SECTION_EQ + 1], sizeof shapes[0]);
		graph_apply_rt(r.graph, &c);
		rig_run(&r, 64, 64);
	}
	p.dyn.comp.on = true;
	p.dyn.comp.threshold_db = -40.0f;
	c = (struct graph_cmd){.op = GRAPH_OP_STRIP_DYNAMICS, .index = 0, .channel = GRAPH_DYN_COMP};
	memcpy(c.value, &p.dyn.comp, sizeof p.dyn.comp);
	graph_apply_rt(r.graph, &c);
	rig_run(&r, SR / 4, 64);
	p.hpf = (struct pass_filter_params){true, 2000.0f, 24.0f};
	graph_strip_shapes(&p, shapes);
	for (int k = GRAPH_SECTION_HPF; k < GRAPH_SECTION_HPF + 2; k++) {
		c = (struct graph_cmd){.op = GRAPH_OP_STRIP_FILTER, .index = 0, .channel = (uint16_t)k};
		memcpy(c.value, &shapes[k], sizeof shapes[0]);
		graph_apply_rt(r.graph, &c);
	}
	rig_run(&r, SR / 4, 64);
	const double ratio = worst_step_ratio(r.out[0] + SR / 8, r.pos - SR / 8, 1000.0, SR);
	fprintf(stderr, "graph: EQ sweep, compressor on, HPF jump: step ratio %.4f\n", ratio);
	ck_assert_msg(ratio <= 1.1, "step ratio %.3f", ratio);
	rig_close(&r);
}
END_TEST

START_TEST(gain_reduction_is_metered)
{
	/* A 1 kHz sine peaking at -6 dBFS into -20 dB at 4:1 (peak detection,
	 * hard knee): 14 dB over, 10.5 dB of gain reduction at the peaks. */
	struct rig r;
	open_processed(&r, "\"dyn\": {\"comp\": {\"on\": true, \"threshold\": -20, \"ratio\": 4, \"knee\": 0, "
	               "\"attack\": 0.1, \"release\": 500}}", SR, SR);
	play_sine(&r, 0, 0.5);
	rig_run(&r, SR, 64);
	const struct graph_gr_readout *gr = graph_strip_gain_reduction(r.graph, 0);
	/* 0.1 ms attack on a sampled sine: within 0.15 dB of the peak figure. */
	ck_assert_float_eq_tol(atomic_load(&gr->comp), 10.5f, 0.15f);
	ck_assert_float_eq(atomic_load(&gr->gate), 0.0f);
	rig_close(&r);
}
END_TEST

/* Aux sends and returns. Inputs: A, B, C, D (mono), then REV's return L R,
 * then ECHO's return (mono). Outputs: DX (5.1), REV L R, PM (5.1), ECHO. */
static const char *const aux_console =
	"{\"buses\": ["
	" {\"name\": \"DX\", \"format\": \"5.1\", \"role\": \"stem\"},"
	" {\"name\": \"REV\", \"format\": \"2.0\", \"role\": \"aux\", \"to\": \"DX\", \"fader\": -3},"
	" {\"name\": \"PM\", \"format\": \"5.1\", \"role\": \"master\", \"sources\": [\"DX\"]},"
	" {\"name\": \"ECHO\", \"format\": \"mono\", \"role\": \"aux\", \"to\": \"PM\","
	"  \"hpf\": {\"on\": true, \"freq\": 1000, \"slope\": 12}}],"
	" \"strips\": ["
	" {\"name\": \"A\", \"bus\": \"DX\", \"pan\": 30, \"fader\": -10, \"sends\": {\"REV\": -6}},"
	" {\"name\": \"B\", \"bus\": \"DX\", \"pan\": 30, \"fader\": -144, \"sends\": {\"REV\": {\"level\": -6, \"pre\": true}}},"
	" {\"name\": \"C\", \"bus\": \"DX\", \"pan\": 30, \"mute\": true, \"sends\": {\"REV\": {\"level\": 0, \"pre\": true}}},"
	" {\"name\": \"D\", \"bus\": \"DX\", \"pan\": -30, \"sends\": {\"REV\": {\"level\": 0, \"on\": false}}}]}";
enum { AUX_A, AUX_B, AUX_C, AUX_D, REV_RET_L, REV_RET_R, ECHO_RET };
enum { AUX_DX_L, AUX_DX_R, AUX_REV_L = 6, AUX_REV_R, AUX_PM_L, AUX_PM_R, AUX_PM_C, AUX_ECHO = 14 };

START_TEST(sends_tap_pre_and_post_fader)
{
	/* One strip at a time plays; the REV outputs carry the send sum. */
	struct rig r;
	rig_open(&r, aux_console, 4 * (SETTLE + MEASURE));
	const double in_db = 20.0 * log10(0.1 / sqrt(2.0));
	for (uint32_t s = AUX_A; s <= AUX_D; s++)
		sine(r.in[s] + s * (SETTLE + MEASURE), SETTLE + MEASURE, 0.1, 1000, SR, 0);
	rig_run(&r, r.frames, 64);
	const size_t a = SETTLE, b = a + SETTLE + MEASURE, c = b + SETTLE + MEASURE, d = c + SETTLE + MEASURE;
	/* A post-fader send: fader -10 then send -6, panned hard left (L at +30) */
	ck_assert_double_eq_tol(level_db(&r, AUX_REV_L, a, MEASURE) - in_db, -16.0, 0.05);
	ck_assert_double_eq_tol(level_db(&r, AUX_DX_L, a, MEASURE) - in_db, -10.0, 0.05);
	ck_assert_double_lt(level_db(&r, AUX_REV_R, a, MEASURE), -140.0);
	/* B pre-fader: its fader is off, the send is not */
	ck_assert_double_eq_tol(level_db(&r, AUX_REV_L, b, MEASURE) - in_db, -6.0, 0.05);
	ck_assert_double_lt(level_db(&r, AUX_DX_L, b, MEASURE), -140.0);
	/* C is muted: its pre-fader send follows the mute; D's send is off */
	ck_assert_double_lt(level_db(&r, AUX_REV_L, c, MEASURE), -140.0);
	ck_assert_double_lt(level_db(&r, AUX_REV_R, d, MEASURE), -140.0);
	ck_assert_double_eq_tol(level_db(&r, AUX_DX_R, d, MEASURE) - in_db, 0.0, 0.05);
	rig_close(&r);
}
END_TEST

START_TEST(pre_fader_sends_ignore_solo_in_place)
{
	/* D soloed: A, B and C leave the stem, B's pre-fader send stays. */
	struct rig r;
	rig_open(&r, aux_console, SETTLE + MEASURE);
	sine(r.in[AUX_B], r.frames, 0.1, 1000, SR, 0);
	sine(r.in[AUX_A], r.frames, 0.1, 1000, SR, 0);
	rig_cmd(&r, GRAPH_OP_STRIP_SOLO, AUX_D, 1);
	rig_run(&r, r.frames, 64);
	const double in_db = 20.0 * log10(0.1 / sqrt(2.0));
	ck_assert_double_eq_tol(level_db(&r, AUX_REV_L, SETTLE, MEASURE) - in_db, -6.0, 0.05);
	ck_assert_double_lt(level_db(&r, AUX_DX_L, SETTLE, MEASURE), -140.0);
	rig_close(&r);
}
END_TEST

START_TEST(aux_returns_reach_their_stem)
{
	/* REV's return (stereo, fader -3) into the 5.1 stem at L and R; ECHO's (mono,
	 * 12 dB/octave high-pass at 1 kHz: -3.01 dB there) into the 5.1
	 * printmaster at the mono channel's nominal position, C. */
	struct rig r;
	rig_open(&r, aux_console, SETTLE + MEASURE);
	sine(r.in[REV_RET_L], r.frames, 0.1, 1000, SR, 0);
	sine(r.in[ECHO_RET], r.frames, 0.1, 1000, SR, 0);
	rig_run(&r, r.frames, 64);
	const double in_db = 20.0 * log10(0.1 / sqrt(2.0));
	ck_assert_double_eq_tol(level_db(&r, AUX_DX_L, SETTLE, MEASURE) - in_db, -3.0, 0.05);
	ck_assert_double_lt(level_db(&r, AUX_DX_R, SETTLE, MEASURE), -140.0);
	/* the DX stem reaches PM's L unchanged; ECHO plays from C only */
	ck_assert_double_eq_tol(level_db(&r, AUX_PM_L, SETTLE, MEASURE) - in_db, -3.0, 0.05);
	ck_assert_double_eq_tol(level_db(&r, AUX_PM_C, SETTLE, MEASURE) - in_db, -10.0 * log10(2.0), 0.05);
	ck_assert_double_lt(level_db(&r, AUX_PM_R, SETTLE, MEASURE), -140.0);
	/* an aux's own outputs carry the sends, not the return */
	ck_assert_double_lt(level_db(&r, AUX_ECHO, SETTLE, MEASURE), -140.0);
	ck_assert_double_lt(level_db(&r, AUX_REV_L, SETTLE, MEASURE), -140.0);
	rig_close(&r);
}
END_TEST

START_TEST(bus_dynamics_and_eq_in_the_path)
{
	/* A stem's compressor: RMS detection, -20 dB threshold, 4:1, hard knee;
	 * a -13 dB RMS sine comes out at -20 + 7/4 = -18.25 dB RMS. Its EQ:
	 * band 2 +6 dB at 1 kHz first (before the dynamics): -7 dB in, 13 over,
	 * -16.75 out. */
	static const char *text =
		"{\"buses\": [{\"name\": \"DX\", \"format\": \"mono\", \"role\": \"stem\","
		" \"dyn\": {\"comp\": {\"on\": true, \"threshold\": -20, \"ratio\": 4, \"knee\": 0, \"rms\": true,"
		" \"attack\": 1, \"release\": 100}}}],"
		" \"strips\": [{\"name\": \"A\", \"bus\": \"DX\"}]}";
	struct rig r;
	rig_open(&r, text, 2 * SR);
	sine(r.in[0], r.frames, pow(10.0, -13.0 / 20.0) * sqrt(2.0), 1000, SR, 0);
	rig_run(&r, SR, 64);
	ck_assert_double_eq_tol(level_db(&r, 0, SR / 2, SR / 2), -18.25, 0.1);
	ck_assert_float_eq_tol(atomic_load(&graph_bus_gain_reduction(r.graph, 0)->comp), 5.25f, 0.2f);
	struct strip_processing p = r.console->buses[0].params.proc;
	p.eq[1] = (struct eq_band_params){.on = true, .freq_hz = 1000, .gain_db = 6, .q = 1};
	struct filter_shape shapes[GRAPH_SECTIONS];
	graph_strip_shapes(&p, shapes);
	struct graph_cmd c = {.op = GRAPH_OP_BUS_FILTER, .index = 0, .channel = GRAPH_SECTION_EQ + 1};
	memcpy(c.value, &shapes[GRAPH_SECTION_EQ + 1], sizeof shapes[0]);
	graph_apply_rt(r.graph, &c);
	rig_run(&r, SR, 64);
	ck_assert_double_eq_tol(level_db(&r, 0, SR + SR / 2, SR / 2), -16.75, 0.1);
	rig_close(&r);
}
END_TEST

START_TEST(master_limiter_on_the_outputs_only)
{
	/* A +3 dBTP fs/4 sine into a stem, a limited 2.0 master (-1 dBTP) and a
	 * fold-down master fed by it: the master's outputs are limited and late
	 * by the latency; the stem and what the master feeds are neither. */
	static const char *text =
		"{\"buses\": [{\"name\": \"ST\", \"format\": \"2.0\", \"role\": \"stem\"},"
		" {\"name\": \"PM\", \"format\": \"2.0\", \"role\": \"master\", \"sources\": [\"ST\"],"
		"  \"limiter\": {\"on\": true, \"ceiling\": -1}},"
		" {\"name\": \"MONO\", \"format\": \"mono\", \"role\": \"master\", \"sources\": [\"PM\"]}],"
		" \"strips\": [{\"name\": \"A\", \"bus\": \"ST\", \"pan\": 30}]}";
	struct rig r;
	rig_open(&r, text, SR / 2);
	for (size_t i = 0; i < r.frames; i++)
		r.in[0][i] = (float)(sqrt(2.0) * sin(M_PI / 2 * (double)i + M_PI / 4));
	rig_run(&r, r.frames, 64);
	const uint32_t lat = graph_bus_latency(r.graph, 1);
	ck_assert_uint_eq(lat, 72 + 7);
	ck_assert_uint_eq(graph_bus_latency(r.graph, 0), 0);
	const size_t from = SETTLE;
	/* the stem is untouched: samples at +-1, the true peak sqrt(2) between */
	ck_assert_double_eq_tol(fabs(r.out[0][from]), 1.0, 1e-5);
	/* the master's L is the stem's L, lag frames late, times the limiter's
	 * steady gain: +3.01 dBTP brought to -1 */
	const double g = r.out[2][from + lat] / r.out[0][from];
	ck_assert_double_eq_tol(20 * log10(g), -4.01, 0.05);
	for (size_t i = from; i < from + 480; i++)
		ck_assert_double_eq_tol(r.out[2][i + lat], g * r.out[0][i], 1e-5);
	/* the fold-down master gets the unlimited sum, on time: L + R at -3 dB */
	ck_assert_double_eq_tol(r.out[4][from], 0.70710678 * (r.out[0][from] + r.out[1][from]), 1e-5);
	ck_assert_float_ge(atomic_load(&graph_bus_gain_reduction(r.graph, 1)->limit), 4.0f);
	rig_close(&r);
}
END_TEST

/* Lane groups do not change the mix: ten strips with HPF, EQ, gate and
 * compressor, every other one stereo (run side by side, a channel per
 * lane, up to eight lanes a group), give bit for bit the stem that the same
 * strips give when a live unprocessed stereo strip between each two makes
 * every group one strip long. */
static bool lane_strip_stereo(int k) { return k % 2 == 1; }

static char *lane_console(bool breaks)
{
	static char text[16384];
	size_t len = (size_t)snprintf(text, sizeof text, "{\"buses\": [{\"name\": \"ST\", \"format\": \"5.1\", \"role\": \"stem\"}], \"strips\": [");
	for (int k = 0; k < 10; k++) {
		len += (size_t)snprintf(text + len, sizeof text - len,
		                        "%s{\"name\": \"M%d\", \"input\": \"%s\", \"bus\": \"ST\", \"pan\": %d,"
		                        " \"hpf\": {\"on\": true, \"freq\": %d, \"slope\": 24},"
		                        " \"eq\": {\"1\": {\"on\": true, \"gain\": %d}, \"3\": {\"on\": true, \"gain\": -4, \"q\": 2}},"
		                        " \"dyn\": {\"gate\": {\"on\": true, \"threshold\": -50},"
		                        " \"comp\": {\"on\": true, \"threshold\": -%d, \"ratio\": 3}}}",
		                        k ? ", " : "", k, lane_strip_stereo(k) ? "stereo" : "mono", -90 + 20 * k, 40 + 10 * k,
		                        k % 5 - 2, 15 + k);
		if (breaks)
			len += (size_t)snprintf(text + len, sizeof text - len,
			                        ", {\"name\": \"Z%d\", \"input\": \"stereo\", \"bus\": \"ST\"}", k);
	}
	snprintf(text + len, sizeof text - len, "]}");
	return text;
}

START_TEST(lane_groups_do_not_change_the_mix)
{
	enum { FRAMES = 48000 };
	struct rig x, y;
	rig_open(&x, lane_console(false), FRAMES);
	rig_open(&y, lane_console(true), FRAMES);
	srand(17);
	for (int k = 0, px = 0, py = 0; k < 10; k++) {
		const double level = pow(10.0, -(double)(k * 3) / 20.0);
		for (int c = 0; c < (lane_strip_stereo(k) ? 2 : 1); c++, px++, py++)
			for (int i = 0; i < FRAMES; i++) {
				const float v = (float)(level * ((double)rand() / RAND_MAX * 2 - 1));
				x.in[px][i] = v;
				y.in[py][i] = v;
			}
		py += 2; /* Z_k's two silent inputs */
	}
	rig_run(&x, FRAMES, 64);
	rig_run(&y, FRAMES, 64);
	double loudest = 0;
	for (int c = 0; c < 6; c++)
		for (int i = 0; i < FRAMES; i++) {
			ck_assert_msg(x.out[c][i] == y.out[c][i], "channel %d frame %d: %.9g against %.9g", c, i,
			              x.out[c][i], y.out[c][i]);
			loudest = fmax(loudest, fabs(x.out[c][i]));
		}
	ck_assert_double_gt(loudest, 0.05);
	rig_close(&x);
	rig_close(&y);
}
END_TEST

/* A stereo strip's channels each keep their own filter states in the lanes:
 * a stereo strip with HPF and EQ into a 2.0 stem (left to left, right to
 * right) puts out each channel through its own cascade of the same
 * sections, bit for bit (the gains settled at their targets from the first
 * frame). */
START_TEST(stereo_strip_channels_filter_apart)
{
	enum { FRAMES = 9600 };
	struct rig r;
	rig_open(&r, "{\"buses\": [{\"name\": \"ST\", \"format\": \"2.0\", \"role\": \"stem\"}], \"strips\": ["
	             "{\"name\": \"S\", \"input\": \"stereo\", \"bus\": \"ST\", \"hpf\": {\"on\": true, \"freq\": 120, \"slope\": 24},"
	             " \"eq\": {\"2\": {\"on\": true, \"freq\": 900, \"gain\": 5, \"q\": 1.2}}}]}",
	         FRAMES);
	graph_settle(r.graph);
	srand(23);
	for (int c = 0; c < 2; c++)
		for (int i = 0; i < FRAMES; i++)
			r.in[c][i] = (float)((double)rand() / RAND_MAX - 0.5) * (c ? 0.3f : 1.0f);
	rig_run(&r, FRAMES, 64);
	struct filter_shape shapes[GRAPH_SECTIONS];
	graph_strip_shapes(&r.console->strips[0].params.proc, shapes);
	struct filter_coefs co[GRAPH_SECTIONS];
	const struct filter_coefs *cp[GRAPH_SECTIONS];
	int k = 0;
	for (int j = 0; j < GRAPH_SECTIONS; j++)
		if (shapes[j].on) {
			filter_coefs_design(&shapes[j], 48000.0f, &co[k]);
			cp[k] = &co[k];
			k++;
		}
	ck_assert_int_eq(k, 3); /* two high-pass sections and the band */
	for (int c = 0; c < 2; c++) {
		struct filter_state st[GRAPH_SECTIONS] = {0};
		struct filter_state *sp[GRAPH_SECTIONS];
		for (int j = 0; j < k; j++)
			sp[j] = &st[j];
		static float want[FRAMES];
		memcpy(want, r.in[c], sizeof want);
		for (int off = 0; off < FRAMES; off += 64)
			filter_cascade_rt(cp, sp, k, want + off, 64);
		for (int i = 0; i < FRAMES; i++)
			ck_assert_msg(r.out[c][i] == want[i], "channel %d frame %d: %.9g against %.9g", c, i, r.out[c][i], want[i]);
	}
	rig_close(&r);
}
END_TEST

static double seconds_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

START_TEST(decaying_tails_cost_no_more)
{
	/* The engine sets FTZ/DAZ on its RT thread (engine_begin_rt); so does
	 * this test. A loud burst, then the filters' and envelopes' tails
	 * decay towards denormal range: the tail must not cost more than 20 %
	 * over the burst. Best of 7 runs each, against scheduling noise. */
	_MM_SET_FLUSH_ZERO_MODE(_MM_FLUSH_ZERO_ON);
	_MM_SET_DENORMALS_ZERO_MODE(_MM_DENORMALS_ZERO_ON);
	const char *full = "\"hpf\": {\"on\": true, \"freq\": 40, \"slope\": 24},"
	                   " \"lpf\": {\"on\": true, \"freq\": 16000},"
	                   " \"eq\": {\"1\": {\"on\": true, \"gain\": 3}, \"2\": {\"on\": true, \"gain\": -4},"
	                   " \"3\": {\"on\": true, \"gain\": 5, \"q\": 8}, \"4\": {\"on\": true, \"gain\": -2}},"
	                   " \"notch\": {\"1\": {\"on\": true}},"
	                   " \"dyn\": {\"gate\": {\"on\": true}, \"comp\": {\"on\": true}}";
	const size_t burst = SR / 2;
	struct rig r;
	open_processed(&r, full, burst + 4 * SR, SR);
	unsigned seed = 1;
	for (size_t i = 0; i < burst; i++)
		r.in[0][i] = (float)rand_r(&seed) / (float)RAND_MAX - 0.5f;
	double best_burst = 1e9, best_tail = 1e9;
	for (int trial = 0; trial < 7; trial++) {
		r.pos = 0;
		double t0 = seconds_now();
		rig_run(&r, burst, 64);
		best_burst = fmin(best_burst, seconds_now() - t0);
		rig_run(&r, 2 * SR, 64); /* the tails well under way */
		t0 = seconds_now();
		rig_run(&r, burst, 64);
		best_tail = fmin(best_tail, seconds_now() - t0);
	}
	fprintf(stderr, "graph: full strip, burst %.1f us, tail %.1f us per 0.5 s\n", best_burst * 1e6, best_tail * 1e6);
	ck_assert_msg(best_tail <= 1.2 * best_burst, "tail %.1f us vs burst %.1f us", best_tail * 1e6, best_burst * 1e6);
	rig_close(&r);
}
END_TEST


/* The worker changes no sample (issue 8): a console of 48 strips (mono,
 * stereo and 5.1, processed, sending to an aux, one soloed into the
 * monitor), in chunks, run with a worker thread taking chunks too and on
 * the process thread alone, with the same moves at the same periods,
 * gives the same outputs and meters bit for bit. */
static char *split_console(void)
{
	static char text[32768];
	size_t len = (size_t)snprintf(text, sizeof text,
		"{\"buses\": [{\"name\": \"DX\", \"format\": \"7.1.4\", \"role\": \"stem\"},"
		" {\"name\": \"FX\", \"format\": \"7.1.4\", \"role\": \"stem\"},"
		" {\"name\": \"REV\", \"format\": \"2.0\", \"role\": \"aux\", \"to\": \"FX\"},"
		" {\"name\": \"PM\", \"format\": \"7.1.4\", \"role\": \"master\", \"sources\": [\"DX\", \"FX\"],"
		"  \"limiter\": {\"on\": true, \"ceiling\": -1}}],"
		" \"monitor\": {\"room\": \"7.1.4\"}, \"strips\": [");
	static const char *const inputs[] = {"mono", "mono", "stereo", "mono", "5.1", "mono"};
	for (int k = 0; k < 48; k++)
		len += (size_t)snprintf(text + len, sizeof text - len,
		                        "%s{\"name\": \"S%d\", \"input\": \"%s\", \"bus\": \"%s\", \"pan\": %d,"
		                        " \"solo\": %s, \"sends\": {\"REV\": {\"level\": -%d, \"pre\": %s}},"
		                        " \"hpf\": {\"on\": %s, \"freq\": %d, \"slope\": 24},"
		                        " \"eq\": {\"2\": {\"on\": true, \"gain\": %d}},"
		                        " \"dyn\": {\"gate\": {\"on\": %s, \"threshold\": -50},"
		                        " \"comp\": {\"on\": %s, \"threshold\": -%d, \"ratio\": 3}}}",
		                        k ? ", " : "", k, inputs[k % 6], k % 3 ? "DX" : "FX", -170 + 7 * k,
		                        k == 40 ? "true" : "false", 3 + k % 20, k % 4 == 0 ? "true" : "false",
		                        k % 5 ? "true" : "false", 40 + 5 * k, k % 7 - 3, k % 2 ? "true" : "false",
		                        k % 3 ? "true" : "false", 10 + k % 15);
	snprintf(text + len, sizeof text - len, "]}");
	return text;
}

/* Two rigs of split_console playing the same noise on every input. */
static void open_split_pair(struct rig *x, struct rig *y, size_t frames, unsigned seed)
{
	rig_open(x, split_console(), frames);
	rig_open(y, split_console(), frames);
	const struct graph_ports *p = graph_ports(x->graph);
	for (uint32_t i = 0; i < p->n_in; i++)
		for (size_t f = 0; f < frames; f++)
			x->in[i][f] = y->in[i][f] = 0.5f * ((float)rand_r(&seed) / (float)RAND_MAX - 0.5f);
}

/* Two rigs of one console made the same mix: every output sample for
 * sample (and loud enough that this means something), every strip's meters
 * and gain reductions. */
static void assert_same_mix(const struct rig *x, const struct rig *y)
{
	const struct graph_ports *p = graph_ports(x->graph);
	double loudest = 0;
	for (uint32_t o = 0; o < p->n_out; o++)
		for (size_t f = 0; f < x->frames; f++) {
			ck_assert_msg(x->out[o][f] == y->out[o][f], "output %u differs at frame %zu: %.9g, %.9g", o, f,
			              (double)x->out[o][f], (double)y->out[o][f]);
			loudest = fmax(loudest, fabs(x->out[o][f]));
		}
	ck_assert_double_gt(loudest, 0.05);
	for (uint32_t s = 0; s < x->console->n_strips; s++) {
		uint32_t n;
		const struct graph_meter_readout *mx = graph_strip_meters(x->graph, s, &n);
		const struct graph_meter_readout *my = graph_strip_meters(y->graph, s, &n);
		for (uint32_t c = 0; c < n; c++)
			ck_assert(atomic_load(&mx[c].mean_square) == atomic_load(&my[c].mean_square) &&
			          atomic_load(&mx[c].true_peak) == atomic_load(&my[c].true_peak) &&
			          atomic_load(&mx[c].true_peak_max) == atomic_load(&my[c].true_peak_max));
		const struct graph_gr_readout *gx = graph_strip_gain_reduction(x->graph, s),
		                              *gy = graph_strip_gain_reduction(y->graph, s);
		ck_assert_msg(atomic_load(&gx->comp) == atomic_load(&gy->comp) && atomic_load(&gx->gate) == atomic_load(&gy->gate),
		              "strip %u's gain reduction: compressor %.9g, %.9g dB, gate %.9g, %.9g dB", s,
		              (double)atomic_load(&gx->comp), (double)atomic_load(&gy->comp), (double)atomic_load(&gx->gate),
		              (double)atomic_load(&gy->gate));
	}
}

START_TEST(the_worker_changes_no_sample)
{
	enum { FRAMES = 48000, PERIOD = 64 };
	rt_flush_denormals(); /* as the engine's process thread (and the worker's tasks) run: gate
	                       * releases end in denormals otherwise, which only the worker would flush */
	struct rig x, y;
	open_split_pair(&x, &y, FRAMES, 5);
	const uint32_t chunks = graph_chunk_count(x.graph);
	ck_assert_uint_ge(chunks, 2);
	uint32_t first, end, next = 0;
	for (uint32_t c = 0; c < chunks; c++, next = end) { /* every strip in one chunk, in order */
		graph_chunk_strips(x.graph, c, &first, &end);
		ck_assert(first == next && end > first);
	}
	ck_assert_uint_eq(end, 48);
	unsigned seed = 5;
	char err[256];
	struct worker *w = worker_start(0, err, sizeof err);
	ck_assert_msg(w != NULL, "%s", err);
	for (int step = 0; step < FRAMES / (10 * PERIOD); step++) {
		/* the same moves on both: a fader, a mute, a solo, a pan row */
		const uint32_t s = (uint32_t)rand_r(&seed) % 48;
		const enum graph_op ops[] = {GRAPH_OP_STRIP_FADER, GRAPH_OP_STRIP_MUTE, GRAPH_OP_STRIP_SOLO,
		                             GRAPH_OP_STRIP_TRIM};
		const enum graph_op op = ops[step % 4];
		const float v = op == GRAPH_OP_STRIP_FADER || op == GRAPH_OP_STRIP_TRIM
		                ? (float)rand_r(&seed) / (float)RAND_MAX : (float)(rand_r(&seed) % 2);
		rig_cmd(&x, op, s, v);
		rig_cmd(&y, op, s, v);
		rig_run(&x, 10 * PERIOD, PERIOD);
		rig_run_on(&y, 10 * PERIOD, PERIOD, w);
	}
	const uint64_t ran = worker_tasks_run(w), taken = worker_tasks_taken_back(w);
	worker_stop(w);
	ck_assert_uint_eq(ran + taken, FRAMES / PERIOD);
	ck_assert_uint_gt(ran, 0); /* the worker did take chunks: two paths were compared */
	assert_same_mix(&x, &y);
	rig_close(&x);
	rig_close(&y);
}
END_TEST

/* Strip s's pan rows as the console now has them (as engine_sync_strip
 * sends them for a pan move): into its buses, the solo bus, every send. */
static void pan_rows(struct rig *r, uint32_t s)
{
	const struct console *c = r->console;
	const struct console_strip *cs = &c->strips[s];
	const uint32_t n_ch = layout_get(cs->input)->channels, sends = cs->n_bus + (c->monitor ? 1 : 0);
	for (uint32_t f = 0; f < sends + 2 * c->n_aux; f++) {
		float m[LAYOUT_MAX_CHANNELS][LAYOUT_MAX_CHANNELS];
		if (f < cs->n_bus)
			graph_pan_matrix(layout_get(cs->input), layout_get(c->buses[cs->bus[f]].format), &cs->params, m);
		else if (f < sends)
			graph_solo_matrix(c, s, m);
		else
			graph_send_matrix(c, s, (f - sends) / 2, (f - sends) % 2, m);
		for (uint32_t row = 0; row < n_ch; row++) {
			struct graph_cmd cmd = {.op = GRAPH_OP_STRIP_PAN_ROW, .index = s, .feed = f, .channel = (uint16_t)row};
			memcpy(cmd.value, m[row], sizeof cmd.value);
			graph_apply_rt(r->graph, &cmd);
		}
	}
}

/* A graph rebuilt from the same console takes over the running one's state
 * (gains, filters, dynamics, meters, pan gains, the limiter, the delays):
 * nothing in the outputs or meters shows it, to the bit. Rebuilt once in
 * every step of 10 periods (at the step's start, with its move, or halfway
 * through the move's ramps), with the worker taking strips over on its
 * thread too, against the same console run in one graph, with the same
 * moves. */
START_TEST(taking_over_a_graph_changes_no_sample)
{
	enum { FRAMES = 24000, PERIOD = 64 }; /* 37 rebuilds; a second of them took 20 s under the sanitizers */
	rt_flush_denormals(); /* as in the_worker_changes_no_sample */
	struct rig x, y;
	open_split_pair(&x, &y, FRAMES, 9);
	unsigned seed = 9;
	char err[256];
	struct worker *w = worker_start(0, err, sizeof err);
	ck_assert_msg(w != NULL, "%s", err);
	int rebuilds = 0;
	for (int step = 0; step < FRAMES / (10 * PERIOD); step++) {
		/* a move: into the console model (what a rebuild reads) and, as
		 * engine_sync_strip sends it, to the graph running */
		const int move = step % 5; /* a trim, a fader, a pan, a mute, a solo (on or off) */
		/* mutes on strips with a pre-fader send (split_console: every
		 * fourth), whose rows into it fade out and back; the solo on and off
		 * on one strip, whose rows into the solo bus fade in and out */
		const uint32_t s = move == 4 ? 8 : move == 3 ? 4 * ((uint32_t)rand_r(&seed) % 12) : (uint32_t)rand_r(&seed) % 48;
		const float r = (float)rand_r(&seed) / (float)RAND_MAX, db = -30.0f + 36.0f * r;
		for (struct console *c = x.console; c; c = c == x.console ? y.console : NULL) {
			struct strip_params *sp = &c->strips[s].params;
			if (move == 0)
				sp->trim_db = db;
			else if (move == 1)
				sp->fader_db = db;
			else if (move == 2)
				sp->pan_azimuth_deg = -180.0f + 359.0f * r;
			else if (move == 3)
				sp->mute = !sp->mute;
			else
				sp->solo = !sp->solo;
		}
		/* odd steps: a rebuild with the move, in the period of the takeover
		 * (the move is sent to the new graph before it takes over);
		 * even steps: halfway through the move's 10 ms ramps and fades */
		struct graph *old = step % 2 ? rig_rebuild(&y) : NULL;
		const struct strip_params *sp = &x.console->strips[s].params;
		const enum graph_op ops[] = {GRAPH_OP_STRIP_TRIM, GRAPH_OP_STRIP_FADER, 0, GRAPH_OP_STRIP_MUTE,
		                             GRAPH_OP_STRIP_SOLO};
		const float v[] = {gain_from_db(db), gain_from_db(console_strip_fader_db(x.console, s)), 0.0f,
		                   (float)console_strip_muted(x.console, s), (float)sp->solo};
		/* one step in four, the rebuild alone carries the move to y (a
		 * reload): its ramps restart towards the new values on their own */
		for (struct rig *t = &x; t; t = t == &x && step % 4 != 3 ? &y : NULL) {
			if (move != 2)
				rig_cmd(t, ops[move], s, v[move]);
			if (move >= 2) /* the rows a pan, a mute (its pre-fader sends) or a solo (its solo feed) change */
				pan_rows(t, s);
		}
		rig_run(&x, 10 * PERIOD, PERIOD);
		rig_run_on(&y, 5 * PERIOD, PERIOD, w);
		graph_free(old);
		old = step % 2 ? NULL : rig_rebuild(&y);
		rig_run_on(&y, 5 * PERIOD, PERIOD, w);
		graph_free(old);
		rebuilds++;
	}
	worker_stop(w);
	ck_assert_int_eq(rebuilds, FRAMES / (10 * PERIOD));
	assert_same_mix(&x, &y);
	rig_close(&x);
	rig_close(&y);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("graph");
	TCase *t = tcase_create("core");
	tcase_set_timeout(t, 30);
	tcase_add_test(t, fader_and_trim_levels);
	tcase_add_test(t, mute_gives_silence);
	tcase_add_test(t, solo_in_place);
	tcase_add_test(t, polarity_inverts_sample_exact);
	tcase_add_test(t, fader_jump_makes_no_click);
	tcase_add_test(t, pan_constant_power);
	tcase_add_test(t, masters_sum_and_fold_down);
	tcase_add_test(t, masters_fold_through_chains);
	tcase_add_test(t, elevation_reaches_the_heights);
	tcase_add_test(t, lfe_send_width_and_rotation);
	tcase_add_test(t, a_quiet_strip_pans_on);
	tcase_add_test(t, one_strip_feeds_buses_of_several_formats);
	tcase_add_test(t, stereo_strip_keeps_its_sides);
	tcase_add_test(t, non_finite_input_is_contained);
	tcase_add_test(t, a_bad_block_is_muted_whole_and_counted);
	tcase_add_test(t, period_size_does_not_change_the_result);
	tcase_add_test(t, adopting_the_previous_graph_is_seamless);
	tcase_add_test(t, meters_publish_peak_and_rms);
	tcase_add_test(t, strip_delay_is_sample_exact);
	tcase_add_test(t, strip_eq_and_filters_in_the_path);
	tcase_add_test(t, processing_moves_without_clicks);
	tcase_add_test(t, gain_reduction_is_metered);
	tcase_add_test(t, sends_tap_pre_and_post_fader);
	tcase_add_test(t, pre_fader_sends_ignore_solo_in_place);
	tcase_add_test(t, aux_returns_reach_their_stem);
	tcase_add_test(t, bus_dynamics_and_eq_in_the_path);
	tcase_add_test(t, master_limiter_on_the_outputs_only);
	tcase_add_test(t, decaying_tails_cost_no_more);
	tcase_add_test(t, lane_groups_do_not_change_the_mix);
	tcase_add_test(t, stereo_strip_channels_filter_apart);
	tcase_add_test(t, the_worker_changes_no_sample);
	tcase_add_test(t, taking_over_a_graph_changes_no_sample);
	suite_add_tcase(s, t);
	return run_suite(s);
}
