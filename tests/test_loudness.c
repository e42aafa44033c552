/* Loudness metering against EBU Tech 3341 (loudness, true peak) and Tech
 * 3342 (loudness range), with the test signals generated here: 1 kHz sines
 * at the stated levels through a console's stems, K-weighted on the graph's
 * bus outputs and measured by the engine's meter thread exactly as in the
 * running console. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control/config.h"
#include "engine/bs1770.h"
#include "engine/loudness.h"
#include "tests/check_main.h"

#define SR 48000
#define PERIOD 64

/* ST (2.0): a stereo strip S. FIVE (5.1): mono strips at L R C Ls Rs. */
static const char *const text =
	"{\"buses\": [{\"name\": \"ST\", \"format\": \"2.0\", \"role\": \"stem\"},"
	" {\"name\": \"FIVE\", \"format\": \"5.1\", \"role\": \"stem\"}],"
	" \"strips\": [{\"name\": \"S\", \"input\": \"stereo\", \"bus\": \"ST\"},"
	" {\"name\": \"L\", \"bus\": \"FIVE\", \"pan\": 30}, {\"name\": \"R\", \"bus\": \"FIVE\", \"pan\": -30},"
	" {\"name\": \"C\", \"bus\": \"FIVE\", \"pan\": 0}, {\"name\": \"LS\", \"bus\": \"FIVE\", \"pan\": 110},"
	" {\"name\": \"RS\", \"bus\": \"FIVE\", \"pan\": -110}]}";
enum { IN_S_L, IN_S_R, IN_L, IN_R, IN_C, IN_LS, IN_RS, N_IN };
enum { BUS_ST, BUS_FIVE };

struct meter_rig {
	struct console *c;
	struct graph *g;
	struct loudness *l;
	float in[N_IN][PERIOD], out[8 + 6][PERIOD];
	uint64_t pos;
};

static void rig_open(struct meter_rig *r)
{
	char err[512];
	memset(r, 0, sizeof *r);
	r->c = config_load_text(text, "t", err, sizeof err);
	ck_assert_msg(r->c != NULL, "%s", err);
	r->g = graph_build(r->c, NULL, SR, err, sizeof err);
	ck_assert_msg(r->g != NULL, "%s", err);
	graph_set_generation(r->g, 1);
	r->l = loudness_create(SR, 1.0f, err, sizeof err);
	ck_assert_msg(r->l != NULL, "%s", err);
	ck_assert_int_eq(loudness_set_buses(r->l, 1, r->c, err, sizeof err), 0);
	struct graph_ports *p = graph_ports(r->g);
	for (uint32_t i = 0; i < p->n_in; i++)
		p->in[i] = r->in[i];
	for (uint32_t o = 0; o < p->n_out; o++)
		p->out[o] = r->out[o];
	/* past the graph's 10 ms fade-in, then measure from silence */
	for (int k = 0; k < 20; k++)
		graph_process_rt(r->g, PERIOD, 0, 0, NULL);
}

static void rig_close(struct meter_rig *r)
{
	loudness_destroy(r->l);
	graph_free(r->g);
	console_free(r->c);
}

/* Plays `seconds` of a 1 kHz sine at dbfs (peak) on the inputs in `mask`
 * (bits of IN_*), gain[] per input on top (dB), through the graph and the
 * meter. */
static void play(struct meter_rig *r, double seconds, double dbfs, unsigned mask, const double *extra_db)
{
	const uint64_t periods = (uint64_t)llround(seconds * SR / PERIOD);
	for (uint64_t k = 0; k < periods; k++) {
		for (int i = 0; i < N_IN; i++) {
			const double a = (mask >> i & 1) ? pow(10.0, (dbfs + (extra_db ? extra_db[i] : 0.0)) / 20.0) : 0.0;
			for (int f = 0; f < PERIOD; f++)
				r->in[i][f] = (float)(a * sin(2.0 * M_PI * 1000.0 * (double)((r->pos + (uint64_t)f) % 48) / SR));
		}
		r->pos += PERIOD;
		graph_process_rt(r->g, PERIOD, 0, 0, NULL);
		while (!loudness_feed_rt(r->l, r->g, PERIOD)) /* faster than real time: wait for the meter */
			usleep(200);
	}
}

static struct loudness_readout measured(struct meter_rig *r, uint32_t bus)
{
	loudness_drain(r->l);
	struct loudness_readout m;
	loudness_read(r->l, bus, &m);
	return m;
}

#define STEREO ((1u << IN_S_L) | (1u << IN_S_R))

START_TEST(tech3341_steady_sines)
{
	/* cases 1 and 2: a 1 kHz sine on L and R at -23 and -33 dBFS reads
	 * -23.0 and -33.0 LUFS (+-0.1) momentary, short-term and integrated */
	const double levels[] = {-23.0, -33.0};
	for (int k = 0; k < 2; k++) {
		struct meter_rig r;
		rig_open(&r);
		play(&r, 20.0, levels[k], STEREO, NULL);
		const struct loudness_readout m = measured(&r, BUS_ST);
		fprintf(stderr, "loudness: %.0f dBFS stereo sine: M %.2f S %.2f I %.2f LUFS\n", levels[k], m.momentary,
		        m.short_term, m.integrated);
		ck_assert(m.measured);
		ck_assert_float_eq_tol(m.momentary, levels[k], 0.1f);
		ck_assert_float_eq_tol(m.short_term, levels[k], 0.1f);
		ck_assert_float_eq_tol(m.integrated, levels[k], 0.1f);
		rig_close(&r);
	}
}
END_TEST

START_TEST(tech3341_gating)
{
	/* cases 3, 4, 5: the gates leave -23.0 LUFS integrated (+-0.1) */
	struct {
		int n;
		double seconds[5], dbfs[5];
	} cases[] = {
		{3, {10, 60, 10}, {-36, -23, -36}},
		{5, {10, 10, 60, 10, 10}, {-72, -36, -23, -36, -72}},
		{3, {20, 20.1, 20}, {-26, -20, -26}},
	};
	for (int k = 0; k < 3; k++) {
		struct meter_rig r;
		rig_open(&r);
		for (int s = 0; s < cases[k].n; s++)
			play(&r, cases[k].seconds[s], cases[k].dbfs[s], STEREO, NULL);
		const struct loudness_readout m = measured(&r, BUS_ST);
		fprintf(stderr, "loudness: Tech 3341 case %d: I %.2f LUFS\n", k + 3, m.integrated);
		ck_assert_float_eq_tol(m.integrated, -23.0f, 0.1f);
		rig_close(&r);
	}
}
END_TEST

START_TEST(tech3341_five_channels)
{
	/* case 6, 5.0: L and R at -28 dBFS, C at -24, Ls and Rs at -30
	 * (weighted +1.5 dB): -23.0 LUFS integrated; LFE silent */
	struct meter_rig r;
	rig_open(&r);
	const double extra[N_IN] = {[IN_C] = 4.0, [IN_LS] = -2.0, [IN_RS] = -2.0};
	play(&r, 20.0, -28.0, (1u << IN_L) | (1u << IN_R) | (1u << IN_C) | (1u << IN_LS) | (1u << IN_RS), extra);
	const struct loudness_readout m = measured(&r, BUS_FIVE);
	fprintf(stderr, "loudness: Tech 3341 case 6 (5.0): I %.2f LUFS\n", m.integrated);
	ck_assert_float_eq_tol(m.integrated, -23.0f, 0.1f);
	/* the stereo stem heard nothing */
	ck_assert(isinf(measured(&r, BUS_ST).integrated));
	rig_close(&r);
}
END_TEST

START_TEST(tech3342_loudness_range)
{
	/* cases 1 to 4: LRA 10, 5, 20, 15 LU (+-1) */
	struct {
		int n;
		double dbfs[5], lra;
	} cases[] = {
		{2, {-20, -30}, 10}, {2, {-20, -15}, 5}, {2, {-40, -20}, 20}, {5, {-50, -35, -20, -35, -50}, 15},
	};
	for (int k = 0; k < 4; k++) {
		struct meter_rig r;
		rig_open(&r);
		for (int s = 0; s < cases[k].n; s++)
			play(&r, 20.0, cases[k].dbfs[s], STEREO, NULL);
		const struct loudness_readout m = measured(&r, BUS_ST);
		fprintf(stderr, "loudness: Tech 3342 case %d: LRA %.2f LU (expected %.0f)\n", k + 1, m.range, cases[k].lra);
		ck_assert_float_eq_tol(m.range, (float)cases[k].lra, 1.0f);
		rig_close(&r);
	}
}
END_TEST

START_TEST(true_peak_and_reset)
{
	/* an fs/4 sine at 45 degrees: samples at +-0.3536, true peak 0.5
	 * (-6.02 dBTP); Tech 3341's tolerance for true peak is +0.2 / -0.4 dB */
	struct meter_rig r;
	rig_open(&r);
	for (int k = 0; k < 750; k++) {
		for (int f = 0; f < PERIOD; f++)
			r.in[IN_S_L][f] = (float)(0.5 * sin(M_PI / 2 * (double)(k * PERIOD + f) + M_PI / 4));
		memset(r.in[IN_S_R], 0, sizeof r.in[IN_S_R]);
		graph_process_rt(r.g, PERIOD, 0, 0, NULL);
		while (!loudness_feed_rt(r.l, r.g, PERIOD))
			usleep(200);
	}
	struct loudness_readout m = measured(&r, BUS_ST);
	fprintf(stderr, "loudness: fs/4 sine at 45 degrees, true peak 0.5: %.2f dBTP\n", m.true_peak);
	ck_assert_float_ge(m.true_peak, -6.02f - 0.4f);
	ck_assert_float_le(m.true_peak, -6.02f + 0.2f);
	/* reset (the OSC handler's command): the integrated value and the true
	 * peak start again from the next audio, the integrated value at the
	 * next 100 ms step. The true-peak interpolator keeps its history, as a
	 * hardware meter's does when its hold is reset: what it reads between
	 * the first samples after a reset reaches 12 samples back. A period of
	 * silence ends the loud sine here. */
	memset(r.in, 0, sizeof r.in);
	graph_process_rt(r.g, PERIOD, 0, 0, NULL);
	while (!loudness_feed_rt(r.l, r.g, PERIOD))
		usleep(200);
	graph_apply_rt(r.g, &(struct graph_cmd){.generation = 1, .op = GRAPH_OP_BUS_LOUDNESS_RESET, .index = BUS_ST});
	play(&r, 10.0, -33.0, STEREO, NULL);
	m = measured(&r, BUS_ST);
	ck_assert_float_eq_tol(m.integrated, -33.0f, 0.1f);
	ck_assert_float_lt(m.true_peak, -32.0f);
	/* a reload with the same buses carries the measurement on */
	char err[256];
	ck_assert_int_eq(loudness_set_buses(r.l, 2, r.c, err, sizeof err), 0);
	graph_set_generation(r.g, 2);
	play(&r, 10.0, -33.0, STEREO, NULL);
	ck_assert_float_eq_tol(measured(&r, BUS_ST).integrated, -33.0f, 0.1f);
	/* so does a graph that could not take over the running one (the RT
	 * thread went past its generation): its buses count resets from 0 in a
	 * lineage of their own, which is no reset. 10 s at -23 after 20 s at
	 * -33: -33 + 10 log10((2 + 10) / 3) = -26.98 LUFS integrated (-23.0
	 * had it started again) */
	struct graph *fresh = graph_build(r.c, r.g, SR, err, sizeof err);
	ck_assert_ptr_nonnull(fresh);
	graph_set_generation(fresh, 3);
	graph_settle(fresh);
	struct graph_ports *p = graph_ports(fresh);
	for (uint32_t i = 0; i < p->n_in; i++)
		p->in[i] = r.in[i];
	for (uint32_t o = 0; o < p->n_out; o++)
		p->out[o] = r.out[o];
	ck_assert_int_eq(loudness_set_buses(r.l, 3, r.c, err, sizeof err), 0);
	graph_free(r.g);
	r.g = fresh;
	play(&r, 10.0, -23.0, STEREO, NULL);
	const float both = measured(&r, BUS_ST).integrated;
	fprintf(stderr, "loudness: 20 s at -33 then, through a graph of its own lineage, 10 s at -23: I %.2f LUFS\n", both);
	ck_assert_float_eq_tol(both, -26.98f, 0.2f);
	ck_assert_uint_eq(loudness_lost_frames(r.l), 0);
	rig_close(&r);
}
END_TEST

START_TEST(a_full_ring_loses_frames_and_says_so)
{
	/* a ring of 1 ms: records that do not fit are counted, never waited for */
	char err[256];
	struct meter_rig r;
	rig_open(&r);
	struct loudness *tiny = loudness_create(SR, 0.001f, err, sizeof err);
	ck_assert_ptr_nonnull(tiny);
	ck_assert_int_eq(loudness_set_buses(tiny, 1, r.c, err, sizeof err), 0);
	int refused = 0;
	for (int k = 0; k < 100; k++)
		refused += !loudness_feed_rt(tiny, r.g, PERIOD);
	ck_assert_int_gt(refused, 0);
	ck_assert_uint_eq(loudness_lost_frames(tiny), (uint64_t)refused * PERIOD);
	loudness_destroy(tiny);
	rig_close(&r);
}
END_TEST

/* The records cross a ring of 768 bytes (about sixteen of them here, so it
 * runs round its end all the time): the meter thread measures 20 s of noise
 * bursts exactly as the same records measured on this thread with no ring
 * (loudness_measure), bit for bit. And the RT thread's K-weighting of the
 * bus outputs, in 64-frame periods, gives what bs1770 gives measuring the
 * same outputs itself (bs1770_add_strided), bit for bit: each step's
 * energy (double: in float this fails), and the readouts. */
START_TEST(records_through_the_ring_are_the_bus_outputs_measured)
{
	char err[256];
	struct meter_rig r;
	rig_open(&r);
	struct loudness *small = loudness_create(SR, 0.002f, err, sizeof err);
	struct loudness *direct = loudness_create(SR, 0.0f, err, sizeof err);
	ck_assert_ptr_nonnull(small);
	ck_assert_ptr_nonnull(direct);
	ck_assert_int_eq(loudness_set_buses(small, 1, r.c, err, sizeof err), 0);
	ck_assert_int_eq(loudness_set_buses(direct, 1, r.c, err, sizeof err), 0);
	/* bs1770 on the bus outputs, from the graph's first frame (rig_open's
	 * 20 silent periods) */
	struct bs1770 ref[2];
	const uint32_t first[2] = {0, 2}, n_ch[2] = {2, 6};
	const enum layout_id format[2] = {LAYOUT_2_0, LAYOUT_5_1};
	static const float silence[20 * PERIOD * 6];
	for (int b = 0; b < 2; b++) {
		const struct layout *l = layout_get(format[b]);
		double w[LAYOUT_MAX_CHANNELS];
		for (uint32_t c = 0; c < n_ch[b]; c++)
			w[c] = k_weighting_channel_weight(&l->speakers[c]);
		ck_assert(bs1770_init(&ref[b], SR, n_ch[b], w));
		bs1770_add_strided(&ref[b], silence, 20 * PERIOD, 1, 20 * PERIOD);
	}
	ck_assert_uint_eq(graph_bus_channels(r.g), 8);
	unsigned seed = 5;
	int steps_seen = 0;
	for (int k = 0; k < 20 * SR / PERIOD; k++) {
		const float level = (k / 3000) % 2 == 0 ? 0.02f : 0.3f; /* 4 s quiet, 4 s loud */
		for (int i = 0; i < N_IN; i++)
			for (int f = 0; f < PERIOD; f++)
				r.in[i][f] = level * ((float)rand_r(&seed) / (float)RAND_MAX - 0.5f);
		graph_process_rt(r.g, PERIOD, 0, 0, NULL);
		while (!loudness_feed_rt(small, r.g, PERIOD)) /* full: a refusal counts as lost, then it is fed */
			loudness_drain(small);
		loudness_measure(direct, r.g, PERIOD);
		for (int b = 0; b < 2; b++)
			bs1770_add_strided(&ref[b], &r.out[first[b]][0], PERIOD, 1, PERIOD);
		/* each step the RT thread ended is the one bs1770 has just ended */
		uint32_t n_steps;
		const struct graph_loudness_step *step = graph_loudness_steps(r.g, &n_steps);
		for (uint32_t j = 0; j < n_steps; j++) {
			const struct bs1770 *m = &ref[step[j].bus];
			ck_assert_uint_le(step[j].bus, 1);
			ck_assert_uint_eq(ref[0].frames_in_step, 0);
			ck_assert(step[j].energy == m->step_energy[(m->steps - 1) % BS1770_STEPS_SHORT]);
			steps_seen++;
		}
	}
	ck_assert_int_eq(steps_seen, 2 * (20 * SR + 20 * PERIOD) / (SR / 10));
	loudness_drain(small);
	loudness_drain(direct);
	for (uint32_t b = BUS_ST; b <= BUS_FIVE; b++) {
		struct loudness_readout a, want;
		loudness_read(small, b, &a);
		loudness_read(direct, b, &want);
		fprintf(stderr, "loudness: through a 768-byte ring, bus %u: I %.4f LUFS, LRA %.4f LU, %.4f dBTP (direct: %.4f, %.4f, %.4f)\n",
		        b, a.integrated, a.range, a.true_peak, want.integrated, want.range, want.true_peak);
		ck_assert(isfinite(want.integrated) && want.range > 1.0f && want.true_peak > -20.0f);
		ck_assert_float_eq(a.momentary, want.momentary);
		ck_assert_float_eq(a.short_term, want.short_term);
		ck_assert_float_eq(a.integrated, want.integrated);
		ck_assert_float_eq(a.range, want.range);
		ck_assert_float_eq(a.true_peak, want.true_peak);
		ck_assert_float_eq(want.momentary, (float)bs1770_momentary(&ref[b]));
		ck_assert_float_eq(want.short_term, (float)bs1770_short_term(&ref[b]));
		ck_assert_float_eq(want.integrated, (float)bs1770_integrated(&ref[b]));
		ck_assert_float_eq(want.range, (float)bs1770_range(&ref[b]));
		bs1770_free(&ref[b]);
	}
	loudness_destroy(small);
	loudness_destroy(direct);
	rig_close(&r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("loudness");
	TCase *t = tcase_create("core");
	tcase_set_timeout(t, 120);
	tcase_add_test(t, tech3341_steady_sines);
	tcase_add_test(t, tech3341_gating);
	tcase_add_test(t, tech3341_five_channels);
	tcase_add_test(t, tech3342_loudness_range);
	tcase_add_test(t, true_peak_and_reset);
	tcase_add_test(t, a_full_ring_loses_frames_and_says_so);
	tcase_add_test(t, records_through_the_ring_are_the_bus_outputs_measured);
	suite_add_tcase(s, t);
	return run_suite(s);
}
