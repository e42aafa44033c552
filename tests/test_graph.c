#include <math.h>

#include "dsp/gain.h"
#include "tests/check_main.h"
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
	graph_process_rt(g2, 64, 0);
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
	graph_process_rt(r.graph, 0, 1);
	ck_assert_float_eq(atomic_load(&graph_strip_meters(r.graph, 0, &n)[0].peak), 0.0f);
	rig_close(&r);
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
	tcase_add_test(t, one_strip_feeds_buses_of_several_formats);
	tcase_add_test(t, stereo_strip_keeps_its_sides);
	tcase_add_test(t, non_finite_input_is_contained);
	tcase_add_test(t, period_size_does_not_change_the_result);
	tcase_add_test(t, adopting_the_previous_graph_is_seamless);
	tcase_add_test(t, meters_publish_peak_and_rms);
	suite_add_tcase(s, t);
	return run_suite(s);
}
