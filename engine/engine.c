#include "engine/engine.h"


#include <jack/ringbuffer.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/bus_tap.h"
#include "engine/loudness.h"

#include "dsp/gain.h"
#include "engine/monitor.h"
#include "engine/worker.h"

#define ENGINE_MAX_RETIRED 64

struct engine {
	/* control -> RT */
	_Atomic(struct graph *) published;
	jack_ringbuffer_t *commands;
	atomic_uint peak_epoch, hold_epoch;
	/* RT -> control */
	atomic_uint rt_generation;       /* generation of the graph the RT thread runs */
	atomic_uint xruns;
	atomic_uint last_period;
	atomic_uint load_hist[ENGINE_LOAD_BINS];
	atomic_uint load_max_permille;
	atomic_ullong load_max_period;   /* index of the slowest period */
	atomic_ullong periods;
	atomic_uint wake_hist[ENGINE_LOAD_BINS]; /* start after the period began, in 0.1 % */
	atomic_uint wake_max_permille;
	atomic_ullong late_finishes;
	/* RT only */
	struct graph *rt_graph;
	struct timespec rt_start;
	int64_t rt_wake_ns; /* this period's start to rt_start; < 0: not told */
	/* control only */
	uint32_t sample_rate;
	atomic_bool offline;      /* no process call runs (the JACK server is gone): nothing to wait for */
	uint32_t next_generation;
	struct graph *retired[ENGINE_MAX_RETIRED];
	unsigned n_retired;
	atomic_uint command_overflows;
	struct loudness *_Atomic loudness; /* fed every period after the graph, when set */
	struct bus_tap *_Atomic print_tap; /* the print recorder's, while it records */
	uint64_t frame_time;              /* JACK frame time of this period (RT only) */
	struct worker *worker;            /* takes strip chunks beside the process thread; set while no process call runs */
	atomic_uint_fast64_t fed_periods; /* periods the RT thread has finished */
};

struct engine *engine_create(uint32_t sample_rate)
{
	struct engine *e = calloc(1, sizeof *e);
	if (!e)
		return NULL;
	e->commands = jack_ringbuffer_create(ENGINE_COMMAND_SLOTS * sizeof(struct graph_cmd));
	if (!e->commands) {
		free(e);
		return NULL;
	}
	jack_ringbuffer_mlock(e->commands);
	e->sample_rate = sample_rate;
	return e;
}

void engine_destroy(struct engine *e)
{
	if (!e)
		return;
	engine_collect(e, true);
	worker_stop(e->worker);
	graph_free(atomic_load(&e->published));
	jack_ringbuffer_free(e->commands);
	free(e);
}

uint32_t engine_sample_rate(const struct engine *e) { return e->sample_rate; }

int engine_start_worker(struct engine *e, int rt_priority, char *err, size_t errlen)
{
	if (e->worker)
		return 0;
	err[0] = '\0';
	e->worker = worker_start(rt_priority, err, errlen);
	return e->worker ? 0 : -1;
}

const struct worker *engine_worker(const struct engine *e) { return e->worker; }
void engine_set_sample_rate(struct engine *e, uint32_t rate) { e->sample_rate = rate; }
void engine_set_offline(struct engine *e, bool offline) { atomic_store(&e->offline, offline); }

struct graph *engine_graph(const struct engine *e)
{
	return atomic_load_explicit(&((struct engine *)e)->published, memory_order_acquire);
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {0, (long)ms * 1000000L};
	nanosleep(&ts, NULL);
}

uint32_t engine_next_generation(const struct engine *e) { return e->next_generation + 1; }

void engine_set_print_tap(struct engine *e, struct bus_tap *t)
{
	atomic_store_explicit(&e->print_tap, t, memory_order_release);
	if (t)
		return;
	/* the RT thread may still hold the old tap for the period it is in:
	 * two more periods (or 200 ms, with no RT thread running) and it cannot */
	const uint64_t seen = atomic_load_explicit(&e->fed_periods, memory_order_acquire);
	for (int k = 0; k < 200 && atomic_load_explicit(&e->fed_periods, memory_order_acquire) < seen + 2; k++)
		nanosleep(&(struct timespec){0, 1000000}, NULL);
}

RT void engine_set_frame_time_rt(struct engine *e, uint64_t frame_time) { e->frame_time = frame_time; }

void engine_set_loudness(struct engine *e, struct loudness *l)
{
	atomic_store_explicit(&e->loudness, l, memory_order_release);
}

void engine_publish(struct engine *e, struct graph *g)
{
	/* A graph retired while the list is full is kept waiting here rather
	 * than freed under the RT thread. */
	while (e->n_retired == ENGINE_MAX_RETIRED && engine_collect_wait(e, 1000) == ENGINE_MAX_RETIRED)
		;
	graph_set_generation(g, ++e->next_generation);
	struct graph *old = atomic_exchange_explicit(&e->published, g, memory_order_acq_rel);
	if (old)
		e->retired[e->n_retired++] = old;
}

unsigned engine_collect(struct engine *e, bool rt_stopped)
{
	const uint32_t acked = atomic_load_explicit(&e->rt_generation, memory_order_acquire);
	unsigned kept = 0;
	for (unsigned i = 0; i < e->n_retired; i++) {
		/* The RT thread only ever loads the published pointer, so once it has
		 * acknowledged a generation newer than a retired graph, it is done
		 * with that graph for good. */
		if (rt_stopped || atomic_load(&e->offline) || graph_generation(e->retired[i]) < acked)
			graph_free(e->retired[i]);
		else
			e->retired[kept++] = e->retired[i];
	}
	e->n_retired = kept;
	return kept;
}

unsigned engine_collect_wait(struct engine *e, unsigned timeout_ms)
{
	unsigned left;
	for (unsigned t = 0; (left = engine_collect(e, false)) > 0 && t < timeout_ms; t++)
		sleep_ms(1);
	return left;
}

int engine_send(struct engine *e, struct graph_cmd *cmd)
{
	struct graph *g = engine_graph(e);
	cmd->generation = g ? graph_generation(g) : 0;
	if (atomic_load(&e->offline))
		return 0; /* the next graph is built from the model, which has the change */
	for (int waited = 0; jack_ringbuffer_write_space(e->commands) < sizeof *cmd; waited++) {
		if (waited == 200) {
			atomic_fetch_add(&e->command_overflows, 1);
			return -1;
		}
		sleep_ms(1);
	}
	jack_ringbuffer_write(e->commands, (const char *)cmd, sizeof *cmd);
	return 0;
}

/* Sends the first n rows of m, one command each (cmd names op, index, feed). */
static int send_rows(struct engine *e, struct graph_cmd cmd, float m[LAYOUT_MAX_CHANNELS][LAYOUT_MAX_CHANNELS],
                     unsigned n)
{
	for (unsigned row = 0; row < n; row++) {
		cmd.channel = (uint16_t)row;
		memcpy(cmd.value, m[row], sizeof cmd.value);
		if (engine_send(e, &cmd) < 0)
			return -1;
	}
	return 0;
}

/* The strip's rows into its aux sends (every aux, or only the pre-fader
 * feeds: the only ones that follow the mute). */
static int send_send_feeds(struct engine *e, const struct console *c, uint32_t s, bool pre_only)
{
	const uint32_t first = c->strips[s].n_bus + (c->monitor ? 1 : 0);
	for (uint32_t k = 0; k < c->n_aux; k++)
		for (int pre = pre_only; pre <= 1; pre++) {
			float m[LAYOUT_MAX_CHANNELS][LAYOUT_MAX_CHANNELS];
			graph_send_matrix(c, s, k, pre, m);
			const struct graph_cmd cmd = {.op = GRAPH_OP_STRIP_PAN_ROW, .index = s, .feed = first + 2 * k + (uint32_t)pre};
			if (send_rows(e, cmd, m, layout_get(c->strips[s].input)->channels) < 0)
				return -1;
		}
	return 0;
}

/* A strip's or bus's filter sections (op GRAPH_OP_*_FILTER) or dynamics
 * parts (GRAPH_OP_*_DYNAMICS), one command each. */
static int send_processing(struct engine *e, struct graph_cmd cmd, const struct strip_processing *proc)
{
	if (cmd.op == GRAPH_OP_STRIP_FILTER || cmd.op == GRAPH_OP_BUS_FILTER) {
		struct filter_shape shapes[GRAPH_SECTIONS];
		graph_strip_shapes(proc, shapes);
		_Static_assert(sizeof shapes[0] <= sizeof cmd.value, "a filter shape fits a command");
		for (uint16_t k = 0; k < GRAPH_SECTIONS; k++) {
			cmd.channel = k;
			memcpy(cmd.value, &shapes[k], sizeof shapes[k]);
			if (engine_send(e, &cmd) < 0)
				return -1;
		}
		return 0;
	}
	const struct dynamics_params *d = &proc->dyn;
	_Static_assert(sizeof d->comp <= sizeof cmd.value && sizeof d->gate <= sizeof cmd.value,
	               "dynamics parameters fit a command");
	const void *part[] = {&d->gate, &d->comp, &d->deess};
	const size_t size[] = {sizeof d->gate, sizeof d->comp, sizeof d->deess};
	for (uint16_t k = GRAPH_DYN_GATE; k <= GRAPH_DYN_DEESS; k++) {
		cmd.channel = k;
		memcpy(cmd.value, part[k], size[k]);
		if (engine_send(e, &cmd) < 0)
			return -1;
	}
	memset(cmd.value, 0, sizeof cmd.value);
	cmd.channel = GRAPH_DYN_ORDER;
	cmd.value[0] = proc->dyn_pre_eq;
	return engine_send(e, &cmd);
}

/* The strip's rows into the solo bus (its position's gains while soloed). */
static int send_solo_feed(struct engine *e, const struct console *c, uint32_t s)
{
	float m[LAYOUT_MAX_CHANNELS][LAYOUT_MAX_CHANNELS];
	graph_solo_matrix(c, s, m);
	const struct graph_cmd cmd = {.op = GRAPH_OP_STRIP_PAN_ROW, .index = s, .feed = c->strips[s].n_bus};
	return send_rows(e, cmd, m, layout_get(c->strips[s].input)->channels);
}

static int send_monitor_rows(struct engine *e, const struct console *c, uint32_t source)
{
	float m[LAYOUT_MAX_CHANNELS][LAYOUT_MAX_CHANNELS];
	monitor_matrix(c, source, m);
	const struct graph_cmd cmd = {.op = GRAPH_OP_MONITOR_ROW, .index = source};
	return send_rows(e, cmd, m, layout_get(c->monitor->room)->channels);
}

int engine_sync_monitor(struct engine *e, struct console *c)
{
	struct console_monitor *mon = c->monitor;
	if (!mon)
		return -1;
	/* The source heard until now fades out while the new one fades in. */
	if (mon->heard != mon->source && send_monitor_rows(e, c, mon->heard) < 0)
		return -1;
	if (send_monitor_rows(e, c, mon->source) < 0)
		return -1;
	mon->heard = mon->source;
	struct graph_cmd cmd = {.op = GRAPH_OP_MONITOR_GAINS};
	monitor_speaker_gains(c, cmd.value);
	if (engine_send(e, &cmd) < 0)
		return -1;
	cmd.op = GRAPH_OP_MONITOR_DELAYS;
	memset(cmd.value, 0, sizeof cmd.value);
	for (unsigned r = 0; r < layout_get(mon->room)->channels; r++)
		cmd.value[r] = (float)lrintf(mon->speaker[r].delay_ms * 0.001f * (float)e->sample_rate);
	return engine_send(e, &cmd);
}

int engine_rebuild(struct engine *e, const struct console *c)
{
	struct graph *old = engine_graph(e);
	char err[256];
	struct graph *g = graph_build(c, old, (float)e->sample_rate, err, sizeof err);
	if (!g) {
		fprintf(stderr, "dubstage: %s\n", err);
		return -1;
	}
	graph_take_ports(g, old);
	engine_publish(e, g);
	return 0;
}

int engine_sync_strip(struct engine *e, const struct console *c, uint32_t s, enum graph_op op)
{
	const struct console_strip *cs = &c->strips[s];
	struct graph_cmd cmd = {.op = (uint16_t)op, .index = s};
	switch (op) {
	case GRAPH_OP_STRIP_FADER: cmd.value[0] = gain_from_db(console_strip_fader_db(c, s)); break;
	case GRAPH_OP_STRIP_TRIM: cmd.value[0] = gain_from_db(cs->params.trim_db); break;
	case GRAPH_OP_STRIP_MUTE:
		/* with its VCAs' and mute groups' mutes; pre-fader sends follow */
		cmd.value[0] = console_strip_muted(c, s);
		if (engine_send(e, &cmd) < 0)
			return -1;
		return send_send_feeds(e, c, s, true);
	case GRAPH_OP_STRIP_SOLO:
		cmd.value[0] = cs->params.solo;
		if (engine_send(e, &cmd) < 0)
			return -1;
		return c->monitor ? send_solo_feed(e, c, s) : 0;
	case GRAPH_OP_STRIP_SOLO_SAFE: cmd.value[0] = cs->params.solo_safe; break;
	case GRAPH_OP_STRIP_FILTER:
	case GRAPH_OP_STRIP_DYNAMICS: return send_processing(e, cmd, &cs->params.proc);
	case GRAPH_OP_STRIP_DELAY:
		if (!graph_strip_has_delay(engine_graph(e), s))
			return engine_rebuild(e, c); /* built with the model's delay */
		cmd.value[0] = (float)lrintf(cs->params.proc.delay_ms * 0.001f * (float)e->sample_rate);
		break;
	case GRAPH_OP_STRIP_POLARITY: cmd.value[0] = cs->params.polarity_inverted; break;
	case GRAPH_OP_STRIP_PAN_ROW: {
		const struct layout *in = layout_get(cs->input);
		/* Every bus the strip feeds gets its own layout's gains for the
		 * same position. */
		for (uint32_t f = 0; f < cs->n_bus; f++) {
			float m[LAYOUT_MAX_CHANNELS][LAYOUT_MAX_CHANNELS];
			graph_pan_matrix(in, layout_get(c->buses[cs->bus[f]].format), &cs->params, m);
			cmd.feed = f;
			if (send_rows(e, cmd, m, in->channels) < 0)
				return -1;
		}
		if (c->monitor && send_solo_feed(e, c, s) < 0)
			return -1;
		return send_send_feeds(e, c, s, false);
	}
	default:
		return -1;
	}
	return engine_send(e, &cmd);
}

int engine_sync_bus(struct engine *e, const struct console *c, uint32_t b, enum graph_op op)
{
	const struct console_bus *cb = &c->buses[b];
	struct graph_cmd cmd = {.op = (uint16_t)op, .index = b};
	if (op == GRAPH_OP_BUS_FADER)
		cmd.value[0] = gain_from_db(cb->params.fader_db);
	else if (op == GRAPH_OP_BUS_MUTE)
		cmd.value[0] = cb->params.mute;
	else if (op == GRAPH_OP_BUS_FILTER || op == GRAPH_OP_BUS_DYNAMICS)
		return send_processing(e, cmd, &cb->params.proc);
	else if (op == GRAPH_OP_BUS_LIMITER) {
		_Static_assert(sizeof cb->params.limiter <= sizeof cmd.value, "limiter settings fit a command");
		memcpy(cmd.value, &cb->params.limiter, sizeof cb->params.limiter);
	}
	else
		return -1;
	return engine_send(e, &cmd);
}

int engine_sync_group(struct engine *e, const struct console *c, bool vca, uint32_t g, enum graph_op op)
{
	for (uint32_t s = 0; s < c->n_strips; s++)
		if (((vca ? c->strips[s].vcas : c->strips[s].mute_groups) >> g) & 1u)
			if (engine_sync_strip(e, c, s, op) < 0)
				return -1;
	return 0;
}

void engine_reset_peaks(struct engine *e)
{
	atomic_fetch_add_explicit(&e->peak_epoch, 1, memory_order_relaxed);
}

void engine_reset_holds(struct engine *e)
{
	atomic_fetch_add_explicit(&e->hold_epoch, 1, memory_order_relaxed);
}

int engine_reset_loudness(struct engine *e, uint32_t b)
{
	struct graph_cmd cmd = {.op = GRAPH_OP_BUS_LOUDNESS_RESET, .index = b};
	return engine_send(e, &cmd);
}

/* The 50th and 99th percentiles of a histogram of 0.1 % bins, as shares. */
static uint64_t percentiles(const atomic_uint *hist, float *p50, float *p99)
{
	uint32_t counts[ENGINE_LOAD_BINS];
	uint64_t total = 0;
	for (unsigned i = 0; i < ENGINE_LOAD_BINS; i++)
		total += counts[i] = atomic_load_explicit(&hist[i], memory_order_relaxed);
	uint64_t seen = 0;
	bool have50 = false;
	for (unsigned i = 0; i < ENGINE_LOAD_BINS && total; i++) {
		seen += counts[i];
		if (!have50 && seen * 2 >= total) {
			*p50 = (float)i / 1000.0f;
			have50 = true;
		}
		if (seen * 100 >= total * 99) {
			*p99 = (float)i / 1000.0f;
			break;
		}
	}
	return total;
}

struct engine_load engine_load(const struct engine *e)
{
	struct engine *m = (struct engine *)e;
	struct engine_load l = {0};
	for (unsigned i = 500; i < ENGINE_LOAD_BINS; i++) {
		const uint32_t n = atomic_load_explicit(&m->load_hist[i], memory_order_relaxed);
		l.over_half += n;
		l.over_budget += i >= 1000 ? n : 0;
	}
	l.periods = percentiles(m->load_hist, &l.p50, &l.p99);
	l.max = (float)atomic_load_explicit(&m->load_max_permille, memory_order_relaxed) / 1000.0f;
	l.max_period = atomic_load_explicit(&m->load_max_period, memory_order_relaxed);
	l.woken = percentiles(m->wake_hist, &l.wake_p50, &l.wake_p99);
	l.wake_max = (float)atomic_load_explicit(&m->wake_max_permille, memory_order_relaxed) / 1000.0f;
	l.late_finishes = atomic_load_explicit(&m->late_finishes, memory_order_relaxed);
	return l;
}

uint32_t engine_xruns(const struct engine *e) { return atomic_load(&((struct engine *)e)->xruns); }
uint32_t engine_commands_queued(const struct engine *e)
{
	return (uint32_t)(jack_ringbuffer_read_space(e->commands) / sizeof(struct graph_cmd));
}

uint32_t engine_command_overflows(const struct engine *e)
{
	return atomic_load(&((struct engine *)e)->command_overflows);
}
uint32_t engine_last_period(const struct engine *e)
{
	return atomic_load(&((struct engine *)e)->last_period);
}

RT struct graph *engine_begin_rt(struct engine *e)
{
	rt_flush_denormals();
	clock_gettime(CLOCK_MONOTONIC, &e->rt_start);
	e->rt_wake_ns = -1;
	struct graph *g = atomic_load_explicit(&e->published, memory_order_acquire);
	if (g != e->rt_graph) {
		if (g)
			graph_adopt_rt(g, e->rt_graph);
		e->rt_graph = g;
		/* acknowledged in engine_end_rt: the strips take over the old
		 * graph's state while this period's graph_process_rt reaches them */
	}
	return g;
}

RT void engine_note_cycle_rt(struct engine *e, int64_t late_ns, bool previous_late)
{
	e->rt_wake_ns = late_ns > 0 ? late_ns : 0;
	if (previous_late)
		atomic_fetch_add_explicit(&e->late_finishes, 1, memory_order_relaxed);
}

/* A share of the period in 0.1 % (the maxima keep it whole; a histogram's
 * last bin takes everything from 200 % up). */
RT static unsigned permille_of(int64_t ns, int64_t period_ns)
{
	const int64_t permille = period_ns > 0 && ns > 0 ? ns * 1000 / period_ns : 0;
	return permille < UINT32_MAX ? (unsigned)permille : UINT32_MAX;
}

RT static unsigned bin_of(unsigned permille) { return permille < ENGINE_LOAD_BINS ? permille : ENGINE_LOAD_BINS - 1; }

RT static void raise_to(atomic_uint *max, unsigned v)
{
	if (v > atomic_load_explicit(max, memory_order_relaxed))
		atomic_store_explicit(max, v, memory_order_relaxed);
}

RT void engine_end_rt(struct engine *e, struct graph *g, uint32_t n)
{
	struct graph_cmd cmd;
	const uint32_t gen = graph_generation(g);
	/* what was queued when the period began, not what the control thread
	 * keeps adding meanwhile */
	size_t queued = jack_ringbuffer_read_space(e->commands) / sizeof cmd;
	if (queued > ENGINE_COMMANDS_PER_PERIOD)
		queued = ENGINE_COMMANDS_PER_PERIOD;
	for (; queued > 0; queued--) {
		jack_ringbuffer_peek(e->commands, (char *)&cmd, sizeof cmd);
		if (cmd.generation > gen)
			break; /* for a graph published after this period began */
		jack_ringbuffer_read_advance(e->commands, sizeof cmd);
		if (cmd.generation == gen)
			graph_apply_rt(g, &cmd);
		/* older generations: the newer graph was built with those values */
	}
	graph_process_rt(g, n, atomic_load_explicit(&e->peak_epoch, memory_order_relaxed),
	                 atomic_load_explicit(&e->hold_epoch, memory_order_relaxed), e->worker);
	/* done with every older graph for good: the control thread may free them */
	if (atomic_load_explicit(&e->rt_generation, memory_order_relaxed) != gen)
		atomic_store_explicit(&e->rt_generation, gen, memory_order_release);
	struct loudness *loud = atomic_load_explicit(&e->loudness, memory_order_acquire);
	if (loud)
		loudness_feed_rt(loud, g, n);
	struct bus_tap *print = atomic_load_explicit(&e->print_tap, memory_order_acquire);
	if (print)
		bus_tap_feed_rt(print, g, n, e->frame_time);
	atomic_fetch_add_explicit(&e->fed_periods, 1, memory_order_release);

	struct timespec end;
	clock_gettime(CLOCK_MONOTONIC, &end);
	const int64_t ns = (int64_t)(end.tv_sec - e->rt_start.tv_sec) * 1000000000LL +
	                   (end.tv_nsec - e->rt_start.tv_nsec);
	const int64_t period_ns = (int64_t)n * 1000000000LL / e->sample_rate;
	const unsigned permille = permille_of(ns, period_ns);
	atomic_fetch_add_explicit(&e->load_hist[bin_of(permille)], 1, memory_order_relaxed);
	const unsigned long long index = atomic_fetch_add_explicit(&e->periods, 1, memory_order_relaxed);
	if (permille > atomic_load_explicit(&e->load_max_permille, memory_order_relaxed)) {
		atomic_store_explicit(&e->load_max_permille, permille, memory_order_relaxed);
		atomic_store_explicit(&e->load_max_period, index, memory_order_relaxed);
	}
	if (e->rt_wake_ns >= 0) {
		const unsigned wake = permille_of(e->rt_wake_ns, period_ns);
		atomic_fetch_add_explicit(&e->wake_hist[bin_of(wake)], 1, memory_order_relaxed);
		raise_to(&e->wake_max_permille, wake);
	}
	atomic_store_explicit(&e->last_period, n, memory_order_relaxed);
}

RT void engine_count_xrun_rt(struct engine *e)
{
	atomic_fetch_add_explicit(&e->xruns, 1, memory_order_relaxed);
}
