#include <math.h>
#include <string.h>

#include "control/config.h"
#include "dsp/gain.h"
#include "engine/engine.h"
#include "tests/check_main.h"

static const char *const text =
	"{\"buses\": [{\"name\": \"DX\", \"format\": \"2.0\", \"role\": \"stem\"}],"
	" \"strips\": [{\"name\": \"A\", \"bus\": \"DX\", \"pan\": 30}]}";

struct fixture {
	struct engine *e;
	struct console *c;
	float in[64], out[2][64];
};

static void open_fixture(struct fixture *f)
{
	char err[512];
	memset(f, 0, sizeof *f);
	f->e = engine_create(48000);
	f->c = config_load_text(text, "t", err, sizeof err);
	ck_assert_msg(f->c != NULL, "%s", err);
	for (int i = 0; i < 64; i++)
		f->in[i] = 0.5f;
}

static struct graph *build(struct fixture *f)
{
	char err[512];
	struct graph *g = graph_build(f->c, engine_graph(f->e), 48000, err, sizeof err);
	ck_assert_msg(g != NULL, "%s", err);
	return g;
}

/* One period as the JACK callback runs it, told (when late_ns is not NULL)
 * that its cycle began that long before and whether the previous period
 * ran past that; returns the graph it ran. */
static struct graph *period_told(struct fixture *f, const int64_t *late_ns, bool previous_late)
{
	struct graph *g = engine_begin_rt(f->e);
	ck_assert(g != NULL);
	if (late_ns)
		engine_note_cycle_rt(f->e, *late_ns, previous_late);
	struct graph_ports *p = graph_ports(g);
	p->in[0] = f->in;
	p->out[0] = f->out[0];
	p->out[1] = f->out[1];
	engine_end_rt(f->e, g, 64);
	return g;
}

static struct graph *period(struct fixture *f) { return period_told(f, NULL, false); }

static void periods(struct fixture *f, int n)
{
	for (int i = 0; i < n; i++)
		period(f);
}

/* A retired graph is freed only once the RT thread has picked up a newer one. */
START_TEST(retired_graphs_wait_for_the_rt_thread)
{
	struct fixture f;
	open_fixture(&f);
	struct graph *g1 = build(&f);
	engine_publish(f.e, g1);
	ck_assert_uint_eq(engine_collect(f.e, false), 0);
	ck_assert_ptr_eq(period(&f), g1);
	struct graph *g2 = build(&f);
	engine_publish(f.e, g2);
	ck_assert_uint_eq(engine_collect(f.e, false), 1); /* the RT thread may still be in g1 */
	ck_assert_ptr_eq(period(&f), g2);
	ck_assert_uint_eq(engine_collect(f.e, false), 0);
	/* a graph that was never run is kept until the RT thread moves past it */
	engine_publish(f.e, build(&f));
	engine_publish(f.e, build(&f));
	ck_assert_uint_eq(engine_collect(f.e, false), 2);
	period(&f);
	ck_assert_uint_eq(engine_collect(f.e, false), 0);
	engine_destroy(f.e);
	console_free(f.c);
}
END_TEST

/* Model -> command -> ramp: a fader set through engine_sync_strip lands. */
START_TEST(sync_reaches_the_graph)
{
	struct fixture f;
	open_fixture(&f);
	engine_publish(f.e, build(&f));
	f.c->strips[0].params.fader_db = -6.0206f;
	ck_assert_int_eq(engine_sync_strip(f.e, f.c, 0, GRAPH_OP_STRIP_FADER), 0);
	periods(&f, 20);
	ck_assert_float_eq_tol(f.out[0][63], 0.25f, 1e-5);
	ck_assert_float_eq(f.out[1][63], 0.0f);
	f.c->strips[0].params.pan_azimuth_deg = -30; /* to R */
	ck_assert_int_eq(engine_sync_strip(f.e, f.c, 0, GRAPH_OP_STRIP_PAN_ROW), 0);
	periods(&f, 20);
	ck_assert_float_eq_tol(f.out[1][63], 0.25f, 1e-5);
	ck_assert_float_eq_tol(f.out[0][63], 0.0f, 1e-7);
	f.c->buses[0].params.mute = true;
	ck_assert_int_eq(engine_sync_bus(f.e, f.c, 0, GRAPH_OP_BUS_MUTE), 0);
	periods(&f, 20);
	ck_assert_float_eq(f.out[1][63], 0.0f);
	engine_destroy(f.e);
	console_free(f.c);
}
END_TEST

/* Commands name the graph they were made for: a command for a graph the RT
 * thread has not picked up yet waits for it, one for a replaced graph is
 * dropped (the newer graph was built with its value). */
START_TEST(commands_follow_graph_generations)
{
	struct fixture f;
	open_fixture(&f);
	engine_publish(f.e, build(&f));
	periods(&f, 20);
	ck_assert_float_eq_tol(f.out[0][63], 0.5f, 1e-6);

	struct graph *g1 = engine_begin_rt(f.e);   /* a period starts on g1 ... */
	f.c->strips[0].params.mute = true;
	engine_publish(f.e, build(&f));            /* ... g2 is published, built muted ... */
	f.c->strips[0].params.fader_db = -6.0206f;
	engine_sync_strip(f.e, f.c, 0, GRAPH_OP_STRIP_FADER); /* ... and a command for g2 queued */
	struct graph_ports *p = graph_ports(g1);
	p->in[0] = f.in;
	p->out[0] = f.out[0];
	p->out[1] = f.out[1];
	engine_end_rt(f.e, g1, 64);
	ck_assert_float_eq_tol(f.out[0][63], 0.5f, 1e-6); /* g1 untouched by g2's command */
	f.c->strips[0].params.mute = false;
	engine_sync_strip(f.e, f.c, 0, GRAPH_OP_STRIP_MUTE);
	periods(&f, 20);
	/* g2 got both: its own built-in mute, then the fader and the unmute */
	ck_assert_float_eq_tol(f.out[0][63], 0.25f, 1e-5);
	engine_destroy(f.e);
	console_free(f.c);
}
END_TEST

START_TEST(load_statistics)
{
	struct fixture f;
	open_fixture(&f);
	engine_publish(f.e, build(&f));
	periods(&f, 500);
	struct engine_load l = engine_load(f.e);
	ck_assert_uint_eq(l.periods, 500);
	ck_assert_float_le(l.p50, l.p99);
	ck_assert_float_le(l.p99, l.max + 0.001f);
	ck_assert_float_lt(l.p50, 0.5f); /* one strip cannot take half of 1.33 ms */
	ck_assert_uint_eq(engine_last_period(f.e), 64);
	engine_count_xrun_rt(f.e);
	ck_assert_uint_eq(engine_xruns(f.e), 1);
	engine_destroy(f.e);
	console_free(f.c);
}
END_TEST

/* The start of each period after its cycle began, as the host tells it:
 * kept apart from the callback's own time; a period the host saw still
 * running when the next cycle began is counted late whoever was slow. */
static void period_woken(struct fixture *f, int64_t late_ns, bool previous_late)
{
	period_told(f, &late_ns, previous_late);
}

START_TEST(start_latency_is_told_apart_from_work)
{
	struct fixture f;
	open_fixture(&f);
	engine_publish(f.e, build(&f));
	const int64_t period_ns = 64 * 1000000000LL / 48000; /* 1,333,333 ns */
	periods(&f, 10);                                     /* the host told nothing */
	for (int k = 0; k < 97; k++)
		period_woken(&f, 100000, false); /* 7.5 % of the period */
	period_woken(&f, -5, false);          /* a clock step back: counted as 0 */
	period_woken(&f, period_ns / 2, false);
	period_woken(&f, 20 * period_ns, false);    /* started 20 periods late */
	period_woken(&f, 0, true);                  /* ... and so ran into the next cycle */
	struct engine_load l = engine_load(f.e);
	ck_assert_uint_eq(l.periods, 111);
	ck_assert_uint_eq(l.woken, 101);
	ck_assert_float_eq_tol(l.wake_p50, 0.075f, 0.0011f);
	ck_assert_float_eq_tol(l.wake_p99, 0.5f, 0.0011f);
	ck_assert_float_eq_tol(l.wake_max, 20.0f, 0.0011f);
	ck_assert_uint_eq(l.late_finishes, 1);
	/* The console's own work was short throughout: had the late start
	 * been counted as work, the slowest period would read 20 periods or
	 * more. (Not "no period over budget": a millisecond's preemption of
	 * this test, under ThreadSanitizer on a busy machine, made one.) */
	ck_assert_float_lt(l.max, 20.0f);
	engine_destroy(f.e);
	console_free(f.c);
}
END_TEST

/* With no RT thread draining, the queue fills; a full queue is reported,
 * never overwritten. */
START_TEST(full_queue_is_refused_and_counted)
{
	struct fixture f;
	open_fixture(&f);
	engine_publish(f.e, build(&f));
	int sent = 0;
	while (engine_sync_strip(f.e, f.c, 0, GRAPH_OP_STRIP_FADER) == 0)
		sent++;
	ck_assert_int_ge(sent, ENGINE_COMMAND_SLOTS);
	ck_assert_uint_eq(engine_command_overflows(f.e), 1);
	ck_assert_uint_eq(engine_commands_queued(f.e), (uint32_t)sent);
	/* a period applies ENGINE_COMMANDS_PER_PERIOD of them, so that no
	 * callback runs long however many come at once */
	periods(&f, 1);
	ck_assert_uint_eq(engine_commands_queued(f.e), (uint32_t)sent - ENGINE_COMMANDS_PER_PERIOD);
	ck_assert_int_eq(engine_sync_strip(f.e, f.c, 0, GRAPH_OP_STRIP_FADER), 0);
	periods(&f, (sent + 1) / ENGINE_COMMANDS_PER_PERIOD);
	ck_assert_uint_eq(engine_commands_queued(f.e), 0);
	engine_destroy(f.e);
	console_free(f.c);
}
END_TEST

/* VCA and mute-group changes reach every member's effective gain; a
 * pre-fader send follows the (group) mute, not the VCA fader. */
START_TEST(groups_and_sends_sync)
{
	char err[512];
	struct console *c = config_load_text(
		"{\"buses\": [{\"name\": \"DX\", \"format\": \"mono\", \"role\": \"stem\"},"
		" {\"name\": \"REV\", \"format\": \"mono\", \"role\": \"aux\", \"to\": \"DX\"}],"
		" \"strips\": [{\"name\": \"A\", \"bus\": \"DX\", \"sends\": {\"REV\": {\"level\": -6.0206, \"pre\": true}}},"
		" {\"name\": \"B\", \"bus\": \"DX\"}],"
		" \"vcas\": [{\"name\": \"V\", \"strips\": [\"A\"]}],"
		" \"mute_groups\": [{\"name\": \"M\", \"strips\": [\"B\"]}]}", "t", err, sizeof err);
	ck_assert_msg(c != NULL, "%s", err);
	struct engine *e = engine_create(48000);
	struct graph *g0 = graph_build(c, NULL, 48000, err, sizeof err);
	ck_assert_msg(g0 != NULL, "%s", err);
	engine_publish(e, g0);
	float a[64], b[64], ret[64] = {0}, dx[64], rev[64];
	for (int i = 0; i < 64; i++) {
		a[i] = 0.5f;
		b[i] = 0.25f;
	}
	/* 20 periods: past the 10 ms ramps; returns the last sample of DX and REV */
#define RUN()                                                                                            \
	for (int k = 0; k < 20; k++) {                                                                       \
		struct graph *g = engine_begin_rt(e);                                                            \
		struct graph_ports *p = graph_ports(g);                                                          \
		ck_assert_uint_eq(p->n_in, 3);                                                                   \
		p->in[0] = a;                                                                                    \
		p->in[1] = b;                                                                                    \
		p->in[2] = ret;                                                                                  \
		p->out[0] = dx;                                                                                  \
		p->out[1] = rev;                                                                                 \
		engine_end_rt(e, g, 64);                                                                         \
	}
	RUN();
	ck_assert_float_eq_tol(dx[63], 0.75f, 1e-5);
	ck_assert_float_eq_tol(rev[63], 0.25f, 1e-5);
	c->vcas[0].params.fader_db = -6.0206f;
	ck_assert_int_eq(engine_sync_group(e, c, true, 0, GRAPH_OP_STRIP_FADER), 0);
	RUN();
	ck_assert_float_eq_tol(dx[63], 0.25f + 0.25f, 1e-5);
	ck_assert_float_eq_tol(rev[63], 0.25f, 1e-5); /* pre-fader: the VCA fader does not reach it */
	c->vcas[0].params.mute = true;
	ck_assert_int_eq(engine_sync_group(e, c, true, 0, GRAPH_OP_STRIP_MUTE), 0);
	RUN();
	ck_assert_float_eq_tol(dx[63], 0.25f, 1e-5);
	ck_assert_float_eq(rev[63], 0.0f); /* the pre-fader send follows the VCA mute */
	c->mute_groups[0].params.mute = true;
	ck_assert_int_eq(engine_sync_group(e, c, false, 0, GRAPH_OP_STRIP_MUTE), 0);
	RUN();
	ck_assert_float_eq(dx[63], 0.0f);
	/* unmuted, the send switched to post-fader: it now follows the VCA fader */
	c->vcas[0].params.mute = false;
	ck_assert_int_eq(engine_sync_group(e, c, true, 0, GRAPH_OP_STRIP_MUTE), 0);
	c->strips[0].params.send[0].pre = false;
	ck_assert_int_eq(engine_sync_strip(e, c, 0, GRAPH_OP_STRIP_PAN_ROW), 0);
	RUN();
	ck_assert_float_eq_tol(rev[63], 0.125f, 1e-5);
	ck_assert_float_eq_tol(dx[63], 0.25f, 1e-5);
	/* the return comes back into DX through REV's fader */
	for (int i = 0; i < 64; i++)
		ret[i] = 0.125f;
	c->buses[1].params.fader_db = -6.0206f;
	ck_assert_int_eq(engine_sync_bus(e, c, 1, GRAPH_OP_BUS_FADER), 0);
	RUN();
	ck_assert_float_eq_tol(dx[63], 0.25f + 0.0625f, 1e-5);
#undef RUN
	engine_destroy(e);
	console_free(c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("engine");
	TCase *t = tcase_create("core");
	tcase_add_test(t, retired_graphs_wait_for_the_rt_thread);
	tcase_add_test(t, sync_reaches_the_graph);
	tcase_add_test(t, commands_follow_graph_generations);
	tcase_add_test(t, load_statistics);
	tcase_add_test(t, start_latency_is_told_apart_from_work);
	tcase_add_test(t, full_queue_is_refused_and_counted);
	tcase_add_test(t, groups_and_sends_sync);
	suite_add_tcase(s, t);
	return run_suite(s);
}
