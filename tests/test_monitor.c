/* The monitor section (engine/monitor.c and its RT part in engine/graph.c):
 * placement, fold-down to the speaker set, mono check, dim, mute, per-speaker
 * gains and delays, source switching without clicks, and the solo bus. */
#include <math.h>

#include "dsp/gain.h"
#include "dsp/delay.h"
#include "engine/monitor.h"
#include "tests/check_main.h"
#include "tests/graph_rig.h"
#include "tests/signal_util.h"

#define SR 48000
#define SETTLE 4800

/* Outputs: DX 0..5 (5.1), ST 6..17 (7.1.4), PM 18..29 (7.1.4), monitor
 * 30..41 (7.1.4 room). Strips: A (mono, into DX and ST), B (mono, DX). */
static const char *const console_text =
	"{\"buses\": ["
	" {\"name\": \"DX\", \"format\": \"5.1\", \"role\": \"stem\"},"
	" {\"name\": \"ST\", \"format\": \"7.1.4\", \"role\": \"stem\"},"
	" {\"name\": \"PM\", \"format\": \"7.1.4\", \"role\": \"master\", \"sources\": [\"ST\"]}],"
	" \"monitor\": {\"room\": \"7.1.4\"},"
	" \"strips\": ["
	" {\"name\": \"A\", \"bus\": [\"DX\", \"ST\"], \"pan\": 30},"
	" {\"name\": \"B\", \"bus\": \"DX\", \"pan\": -30}]}";

enum { MON = 30, M_L = 30, M_R, M_C, M_LFE, M_LSS, M_RSS, M_LRS, M_RRS, M_LTF };

static int idx(const struct layout *l, const char *name)
{
	const int i = layout_channel_index(l, name);
	ck_assert_msg(i >= 0, "%s has no %s", l->name, name);
	return i;
}

START_TEST(placement_on_the_room)
{
	float m[LAYOUT_MAX_CHANNELS][LAYOUT_MAX_CHANNELS];
	const struct layout *room = layout_get(LAYOUT_7_1_4), *s51 = layout_get(LAYOUT_5_1);
	monitor_place(s51, room, m);
	/* same names stay; Ls (110) snaps to Lss (90, 20 degrees away) */
	ck_assert_float_eq(m[idx(room, "L")][idx(s51, "L")], 1.0f);
	ck_assert_float_eq(m[idx(room, "LFE")][idx(s51, "LFE")], 1.0f);
	ck_assert_float_eq(m[idx(room, "Lss")][idx(s51, "Ls")], 1.0f);
	ck_assert_float_eq(m[idx(room, "Lrs")][idx(s51, "Ls")], 0.0f);
	/* mono plays from C; in a room without C, from L and R at -3 dB */
	monitor_place(layout_get(LAYOUT_MONO), room, m);
	ck_assert_float_eq(m[idx(room, "C")][0], 1.0f);
	monitor_place(layout_get(LAYOUT_MONO), layout_get(LAYOUT_2_0), m);
	ck_assert_float_eq_tol(m[0][0], 0.70710678f, 1e-6);
	ck_assert_float_eq_tol(m[1][0], 0.70710678f, 1e-6);
}
END_TEST

START_TEST(fold_down_mono_and_selection)
{
	char err[512];
	struct console *c = config_load_text(console_text, "t", err, sizeof err);
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_uint_eq(c->monitor->source, 2); /* the first master by default */
	float m[LAYOUT_MAX_CHANNELS][LAYOUT_MAX_CHANNELS];
	const struct layout *room = layout_get(LAYOUT_7_1_4);
	/* the room's own set: the identity */
	monitor_matrix(c, 2, m);
	for (unsigned r = 0; r < 12; r++)
		for (unsigned i = 0; i < 12; i++)
			ck_assert_float_eq(m[r][i], r == i ? 1.0f : 0.0f);
	/* other sources are silent */
	monitor_matrix(c, 0, m);
	for (unsigned r = 0; r < 12; r++)
		for (unsigned i = 0; i < 6; i++)
			ck_assert_float_eq(m[r][i], 0.0f);
	/* speaker set 2.0: PM folds 7.1.4 -> 2.0 by the documented steps and plays on L and R only */
	c->monitor->speakers = LAYOUT_2_0;
	monitor_matrix(c, 2, m);
	struct downmix_matrix d;
	ck_assert_int_eq(downmix_matrix(&c->downmix, LAYOUT_7_1_4, LAYOUT_2_0, &d, NULL, NULL), 0);
	for (unsigned i = 0; i < 12; i++) {
		ck_assert_float_eq_tol(m[idx(room, "L")][i], d.m[0][i], 1e-6);
		ck_assert_float_eq_tol(m[idx(room, "R")][i], d.m[1][i], 1e-6);
		for (unsigned r = 2; r < 12; r++)
			ck_assert_float_eq(m[r][i], 0.0f);
	}
	/* mono check: everything to C through 2.0 -> mono (0.7071 (L + R)) */
	c->monitor->params.mono = true;
	monitor_matrix(c, 2, m);
	ck_assert_int_eq(downmix_matrix(&c->downmix, LAYOUT_7_1_4, LAYOUT_MONO, &d, NULL, NULL), 0);
	for (unsigned i = 0; i < 12; i++)
		ck_assert_float_eq_tol(m[idx(room, "C")][i], d.m[0][i], 1e-6);
	ck_assert_float_eq_tol(m[idx(room, "C")][idx(room, "L")], 0.70710678f, 1e-6);
	/* a 5.1 source on the full room: placed (Ls on Lss) */
	c->monitor->params.mono = false;
	c->monitor->speakers = LAYOUT_7_1_4;
	c->monitor->source = 0;
	monitor_matrix(c, 0, m);
	ck_assert_float_eq(m[idx(room, "Lss")][idx(layout_get(LAYOUT_5_1), "Ls")], 1.0f);
	console_free(c);
}
END_TEST

START_TEST(speaker_gains)
{
	char err[512];
	struct console *c = config_load_text(console_text, "t", err, sizeof err);
	ck_assert_msg(c != NULL, "%s", err);
	float g[LAYOUT_MAX_CHANNELS];
	c->monitor->params.dim = true;
	c->monitor->speaker[2].cal_db = -1.5f;
	monitor_speaker_gains(c, g);
	ck_assert_float_eq_tol(20 * log10f(g[0]), -20.0f, 1e-4); /* dim default -20 dB */
	ck_assert_float_eq_tol(20 * log10f(g[2]), -21.5f, 1e-4);
	c->monitor->params.dim = false;
	c->monitor->speaker[4].solo = true;
	monitor_speaker_gains(c, g);
	for (int r = 0; r < 12; r++)
		ck_assert_float_eq(g[r], r == 4 ? 1.0f : 0.0f);
	c->monitor->speaker[4].mute = true;
	monitor_speaker_gains(c, g);
	ck_assert_float_eq(g[4], 0.0f);
	c->monitor->speaker[4].solo = c->monitor->speaker[4].mute = false;
	c->monitor->params.mute = true;
	monitor_speaker_gains(c, g);
	for (int r = 0; r < 12; r++)
		ck_assert_float_eq(g[r], 0.0f);
	console_free(c);
}
END_TEST

/* An impulse comes out exactly `frames` later; moving the tap crossfades. */
START_TEST(delay_is_sample_exact_and_moves_smoothly)
{
	static float ring[8192], x[64], y[64];
	struct delay_line d;
	delay_line_init(&d, ring, 8192, 64, 0);
	delay_line_set_rt(&d, 100);
	d.tap = d.next_tap = 100; /* as built */
	float out[512] = {0};
	for (int b = 0; b < 8; b++) {
		for (int i = 0; i < 64; i++)
			x[i] = (b == 0 && i == 5) ? 1.0f : 0.0f;
		delay_line_process_rt(&d, x, y, 64, 480);
		memcpy(out + b * 64, y, sizeof y);
	}
	for (int i = 0; i < 512; i++)
		ck_assert_float_eq(out[i], i == 105 ? 1.0f : 0.0f);
	/* a sine through a tap moving from 100 to 1000 frames: no step larger than
	 * the sine's own (a jump would be a click) */
	static float sig[48000], res[48000];
	sine(sig, 48000, 0.5, 100, SR, 0);
	for (int b = 0; b < 48000 / 64; b++) {
		if (b == 100)
			delay_line_set_rt(&d, 1000);
		delay_line_process_rt(&d, sig + b * 64, res + b * 64, 64, 480);
	}
	ck_assert_uint_eq(d.tap, 1000);
	ck_assert_double_le(max_step(res + 1000, 47000), 2.5 * sine_max_step(0.5, 100, SR));
	/* after the move, exactly 1000 frames late */
	for (int i = 40000; i < 48000; i++)
		ck_assert_float_eq(res[i], sig[i - 1000]);
}
END_TEST

static void rig_monitor_sync(struct rig *r)
{
	/* What engine_sync_monitor sends, applied directly. */
	struct console *c = r->console;
	float m[LAYOUT_MAX_CHANNELS][LAYOUT_MAX_CHANNELS];
	for (uint32_t k = 0; k <= c->n_buses; k++) {
		monitor_matrix(c, k, m);
		for (uint32_t row = 0; row < 12; row++) {
			struct graph_cmd cmd = {.op = GRAPH_OP_MONITOR_ROW, .index = k, .channel = (uint16_t)row};
			memcpy(cmd.value, m[row], sizeof cmd.value);
			graph_apply_rt(r->graph, &cmd);
		}
	}
	struct graph_cmd cmd = {.op = GRAPH_OP_MONITOR_GAINS};
	monitor_speaker_gains(c, cmd.value);
	graph_apply_rt(r->graph, &cmd);
}

/* In a running graph: the printmaster on the monitor ports, dim exactly
 * -20 dB, switching source to DX (5.1 placed in the room) without a click,
 * and the solo bus carrying only the soloed strip. */
START_TEST(monitor_in_the_graph)
{
	struct rig r;
	rig_open(&r, console_text, 10 * SETTLE);
	sine(r.in[0], r.frames, 0.5, 1000, SR, 0);   /* A, at L */
	sine(r.in[1], r.frames, 0.25, 1000, SR, 0);  /* B, at R (DX only) */
	rig_run(&r, SETTLE, 64);
	/* PM = ST = A on L */
	ck_assert_double_eq_tol(rms_db(r.out[M_L] + SETTLE / 2, SETTLE / 2), 20 * log10(0.5 / sqrt(2)), 0.01);
	ck_assert_double_lt(rms_db(r.out[M_R] + SETTLE / 2, SETTLE / 2), -120);
	r.console->monitor->params.dim = true;
	rig_monitor_sync(&r);
	rig_run(&r, SETTLE, 64);
	ck_assert_double_eq_tol(rms_db(r.out[M_L] + 3 * SETTLE / 2, SETTLE / 2),
	                        20 * log10(0.5 / sqrt(2)) - 20.0, 0.01);
	r.console->monitor->params.dim = false;
	rig_monitor_sync(&r);
	rig_run(&r, SETTLE + 16, 16); /* then switch a third of a cycle off a zero crossing */
	size_t at = r.pos;
	r.console->monitor->source = 0; /* DX: A on L, B on R */
	rig_monitor_sync(&r);
	rig_run(&r, 2 * SETTLE - 16, 16);
	ck_assert_double_eq_tol(rms_db(r.out[M_R] + at + SETTLE, SETTLE / 2), 20 * log10(0.25 / sqrt(2)), 0.01);
	/* the switch: no step beyond the signals' own slopes (B enters on R) */
	ck_assert_double_le(max_step(r.out[M_L] + at - SETTLE, 2 * SETTLE), sine_max_step(0.5, 1000, SR) * 1.05);
	ck_assert_double_le(max_step(r.out[M_R] + at - SETTLE, 2 * SETTLE), sine_max_step(0.25, 1000, SR) * 1.05);
	/* the solo bus: solo A, listen to it (A on L; B, on R in DX, is not in it) */
	r.console->strips[0].params.solo = true;
	rig_cmd(&r, GRAPH_OP_STRIP_SOLO, 0, 1.0f);
	float m[LAYOUT_MAX_CHANNELS][LAYOUT_MAX_CHANNELS];
	graph_solo_matrix(r.console, 0, m);
	struct graph_cmd cmd = {.op = GRAPH_OP_STRIP_PAN_ROW, .index = 0, .feed = 2};
	memcpy(cmd.value, m[0], sizeof cmd.value);
	graph_apply_rt(r.graph, &cmd);
	r.console->monitor->source = r.console->n_buses;
	at = r.pos;
	rig_monitor_sync(&r);
	rig_run(&r, 2 * SETTLE, 64);
	ck_assert_double_eq_tol(rms_db(r.out[M_L] + at + SETTLE, SETTLE), 20 * log10(0.5 / sqrt(2)), 0.01);
	ck_assert_double_lt(rms_db(r.out[M_R] + at + SETTLE, SETTLE), -120); /* B is not soloed */
	ck_assert_double_le(max_step(r.out[M_R] + at - SETTLE, 2 * SETTLE), sine_max_step(0.25, 1000, SR) * 1.05);
	rig_close(&r);
}
END_TEST

START_TEST(config_errors)
{
	char err[512];
#define MON_CFG(m) "{\"buses\": [{\"name\": \"PM\", \"format\": \"5.1\", \"role\": \"stem\"}], \"monitor\": " m "}"
	struct console *c = config_load_text(MON_CFG("{\"room\": \"5.1\", \"speakers\": \"7.1.4\"}"), "t", err, sizeof err);
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(err, "monitor.speakers") && strstr(err, "cannot play 7.1.4"), "%s", err);
	c = config_load_text(MON_CFG("{\"room\": \"5.1\", \"cal\": {\"Ltf\": 1}}"), "t", err, sizeof err);
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(err, "monitor.cal.Ltf") && strstr(err, "no loudspeaker \"Ltf\""), "%s", err);
	c = config_load_text(MON_CFG("{\"room\": \"5.1\", \"delay\": {\"L\": 80}}"), "t", err, sizeof err);
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(err, "monitor.delay.L") && strstr(err, "out of range"), "%s", err);
	c = config_load_text(MON_CFG("{\"room\": \"5.1\", \"source\": \"XX\"}"), "t", err, sizeof err);
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(err, "monitor.source") && strstr(err, "no bus named \"XX\""), "%s", err);
	c = config_load_text(MON_CFG("{\"speakers\": \"2.0\"}"), "t", err, sizeof err);
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(err, "monitor") && strstr(err, "\"room\""), "%s", err);
	c = config_load_text(MON_CFG("{\"room\": \"5.1\", \"dimm\": true}"), "t", err, sizeof err);
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(err, "unknown key \"dimm\""), "%s", err);
	c = config_load_text(MON_CFG("{\"room\": \"5.1\", \"source\": \"solo\", \"speakers\": \"2.0\", \"delay\": {\"Ls\": 12.5}}"),
	                     "t", err, sizeof err);
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_uint_eq(c->monitor->source, 1);
	ck_assert_uint_eq(c->monitor->speakers, LAYOUT_2_0);
	ck_assert_float_eq(c->monitor->speaker[4].delay_ms, 12.5f);
	console_free(c);
#undef MON_CFG
}
END_TEST

int main(void)
{
	Suite *s = suite_create("monitor");
	TCase *t = tcase_create("core");
	tcase_set_timeout(t, 60);
	tcase_add_test(t, placement_on_the_room);
	tcase_add_test(t, fold_down_mono_and_selection);
	tcase_add_test(t, speaker_gains);
	tcase_add_test(t, delay_is_sample_exact_and_moves_smoothly);
	tcase_add_test(t, monitor_in_the_graph);
	tcase_add_test(t, config_errors);
	suite_add_tcase(s, t);
	return run_suite(s);
}
