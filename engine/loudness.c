#include "engine/loudness.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/bs1770.h"
#include "engine/record_ring.h"

#define MAX_BUSES CONSOLE_MAX_BUSES
#define RING_BYTES_PER_FRAME 8 /* a second of records at 64-frame periods holds 512 bytes a period
                                * (engine/record_ring's 8-byte prefix, the 16-byte header, 12 bytes
                                * a bus, 16 a step): 40 buses, or about two seconds of
                                * bench-1024-full's 18 */
#define READOUT_EVERY_S 0.1 /* the readouts are brought up to date this often (wall time): the
                             * integrated value and the range look at every block so far */
#define IDLE_SLEEP_NS 40000000L /* an empty ring waits this long (1 ms while loudness_drain waits): the
                                 * ring holds a second, the readouts move every READOUT_EVERY_S, and
                                 * each wake-up costs a VM microseconds (on bench-256-full under JACK
                                 * at 256 frames, the thread took 2-4 % of a core with 1 ms sleeps,
                                 * 1.1-1.7 % with 10 ms, 0.8-0.9 % with 40 ms) */


struct meter_state {
	char name[CONSOLE_NAME_MAX];
	enum layout_id format;
	bool in_use;          /* false: a free slot */
	bool resets_known;    /* the bus's lineage and reset count (graph_bus_loudness) have been seen */
	uint32_t lineage, resets;
	struct bs1770 loud;
	float true_peak;      /* linear, since the last reset */
};

/* A period's record, from the RT thread: what graph_loudness_steps and
 * graph_bus_loudness say after it, n_steps steps then n_buses bus entries
 * (the steps' doubles first: the record starts aligned, and the 12-byte bus
 * entries after them need no padding). */
struct record_header {
	uint32_t generation;
	uint32_t frames;
	uint32_t n_buses;
	uint32_t n_steps;
};
struct record_bus {
	uint32_t lineage;
	uint32_t resets;
	float true_peak;
};
struct record_step {
	uint32_t bus;
	uint32_t pad;
	double energy;        /* graph_loudness_step's */
};
#define RECORD_MAX_BYTES \
	(sizeof(struct record_header) + MAX_BUSES * (sizeof(struct record_bus) + \
	                                             GRAPH_LOUDNESS_STEPS_PER_BUS * sizeof(struct record_step)))

/* A bus of one graph generation: its measurement. */
struct bus_slot {
	int state;            /* index into states, or -1: not measured (an aux) */
	int dialogue;         /* the state of the bus's dialogue stem, or -1 */
};

struct layout_map {
	bool valid;
	uint32_t generation;
	uint32_t n_buses;
	struct bus_slot bus[MAX_BUSES];
};

struct readout {
	_Atomic float momentary, short_term, integrated, range, true_peak, dialogue;
	atomic_bool measured;
};

struct loudness {
	uint32_t rate;
	struct record_ring ring;         /* records, RT thread to meter thread; zeroed offline */
	void *record;                    /* RECORD_MAX_BYTES: where a record is made (the RT thread's,
	                                  * or the offline caller's) */
	pthread_t thread;
	bool thread_running;
	atomic_bool stop;
	pthread_mutex_t lock;            /* layouts and states: control thread vs meter thread */
	struct layout_map cur, prev;     /* records of older generations use prev */
	struct meter_state states[2 * MAX_BUSES];
	struct readout out[MAX_BUSES];   /* by console bus index (cur) */
	double last_readout;             /* when the readouts were updated (monotonic seconds) */
	atomic_bool stale;               /* audio measured since then (read by the meter thread outside the lock) */
	atomic_int draining;             /* loudness_drain callers waiting: the meter thread polls every 1 ms */
};

/* Starts measuring a bus of `format` in m (a free slot). */
static bool start_state(struct meter_state *m, uint32_t rate, const char *name, enum layout_id format)
{
	const struct layout *l = layout_get(format);
	double weights[LAYOUT_MAX_CHANNELS];
	for (unsigned c = 0; c < l->channels; c++)
		weights[c] = k_weighting_channel_weight(&l->speakers[c]);
	if (!bs1770_init(&m->loud, rate, l->channels, weights))
		return false;
	m->true_peak = 0.0f;
	m->resets_known = false;
	m->format = format;
	snprintf(m->name, sizeof m->name, "%s", name);
	m->in_use = true;
	return true;
}

static void stop_state(struct meter_state *m)
{
	bs1770_free(&m->loud);
	m->in_use = false;
}

static double wall_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static float db_or_inf(double v) { return isfinite(v) ? (float)v : -INFINITY; }

/* Meter thread: readouts of the current layout's buses. */
static void publish_readouts(struct loudness *l)
{
	for (uint32_t b = 0; b < l->cur.n_buses; b++) {
		const int k = l->cur.bus[b].state;
		if (k < 0)
			continue;
		const struct bs1770 *st = &l->states[k].loud;
		const double m = bs1770_momentary(st), s = bs1770_short_term(st), i = bs1770_integrated(st),
		             r = bs1770_range(st);
		struct readout *o = &l->out[b];
		atomic_store_explicit(&o->momentary, db_or_inf(m), memory_order_relaxed);
		atomic_store_explicit(&o->short_term, db_or_inf(s), memory_order_relaxed);
		atomic_store_explicit(&o->integrated, db_or_inf(i), memory_order_relaxed);
		atomic_store_explicit(&o->range, (float)r, memory_order_relaxed);
		const int d = l->cur.bus[b].dialogue;
		const double dg = d >= 0 ? bs1770_integrated_during(st, &l->states[d].loud) : -INFINITY;
		atomic_store_explicit(&o->dialogue, db_or_inf(dg), memory_order_relaxed);
		const float tp = l->states[k].true_peak;
		atomic_store_explicit(&o->true_peak, tp > 0 ? 20.0f * log10f(tp) : -INFINITY, memory_order_relaxed);
	}
}

/* RT (or an offline caller): g's record of the period of n frames just
 * processed into rec; its size in bytes. */
RT static size_t record_of(struct graph *g, uint32_t n, void *rec)
{
	uint32_t n_steps;
	const struct graph_loudness_step *steps = graph_loudness_steps(g, &n_steps);
	const uint32_t n_buses = graph_bus_count(g);
	struct record_header *h = rec;
	*h = (struct record_header){graph_generation(g), n, n_buses, n_steps};
	struct record_step *step = (struct record_step *)(h + 1);
	for (uint32_t k = 0; k < n_steps; k++)
		step[k] = (struct record_step){steps[k].bus, 0, steps[k].energy};
	struct record_bus *bus = (struct record_bus *)(step + n_steps);
	for (uint32_t b = 0; b < n_buses; b++)
		graph_bus_loudness(g, b, &bus[b].lineage, &bus[b].resets, &bus[b].true_peak);
	return (size_t)((char *)(bus + n_buses) - (char *)rec);
}

/* Meter thread (or an offline caller): one record into the measurements of
 * the buses it names. A bus whose reset count moved starts again first: the
 * RT thread applied the reset before the period, and left out the step it
 * cut. */
static void measure(struct loudness *l, const void *rec)
{
	const struct record_header *h = rec;
	const struct record_step *step = (const struct record_step *)(h + 1);
	const struct record_bus *bus = (const struct record_bus *)(step + h->n_steps);
	pthread_mutex_lock(&l->lock);
	const struct layout_map *map = l->cur.valid && h->generation >= l->cur.generation ? &l->cur
	                             : l->prev.valid && h->generation >= l->prev.generation ? &l->prev : NULL;
	if (map && map->n_buses == h->n_buses) {
		for (uint32_t b = 0; b < map->n_buses; b++) {
			const int k = map->bus[b].state;
			if (k < 0 || !l->states[k].in_use)
				continue;
			struct meter_state *m = &l->states[k];
			/* a graph bus that did not take over its predecessor's
			 * measurement (a new lineage) counts its resets from 0: the
			 * measurement here goes on */
			if (m->resets_known && m->lineage == bus[b].lineage && m->resets != bus[b].resets) {
				bs1770_reset(&m->loud);
				m->true_peak = 0.0f;
			}
			m->resets_known = true;
			m->lineage = bus[b].lineage;
			m->resets = bus[b].resets;
			m->true_peak = bus[b].true_peak > m->true_peak ? bus[b].true_peak : m->true_peak;
		}
		for (uint32_t j = 0; j < h->n_steps; j++) {
			const int k = step[j].bus < map->n_buses ? map->bus[step[j].bus].state : -1;
			if (k >= 0 && l->states[k].in_use)
				bs1770_add_step(&l->states[k].loud, step[j].energy);
		}
		atomic_store(&l->stale, true);
		const double t = wall_s();
		if (t - l->last_readout >= READOUT_EVERY_S) {
			l->last_readout = t;
			atomic_store(&l->stale, false);
			publish_readouts(l);
		}
	}
	pthread_mutex_unlock(&l->lock);
}

static void *meter_thread(void *arg)
{
	struct loudness *l = arg;
	while (!atomic_load(&l->stop)) {
		size_t bytes;
		const void *rec = record_ring_read(&l->ring, &bytes, NULL);
		if (!rec) {
			if (atomic_load(&l->stale) && wall_s() - l->last_readout >= READOUT_EVERY_S) {
				pthread_mutex_lock(&l->lock); /* idle: the readouts include the last record */
				l->last_readout = wall_s();
				atomic_store(&l->stale, false);
				publish_readouts(l);
				pthread_mutex_unlock(&l->lock);
			}
			nanosleep(&(struct timespec){0, atomic_load(&l->draining) ? 1000000L : IDLE_SLEEP_NS}, NULL);
			continue;
		}
		measure(l, rec);
		record_ring_done(&l->ring);
	}
	return NULL;
}

struct loudness *loudness_create(uint32_t sample_rate, float ring_seconds, char *err, size_t errlen)
{
	struct loudness *l = calloc(1, sizeof *l);
	if (!l) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	l->rate = sample_rate;
	pthread_mutex_init(&l->lock, NULL);
	l->record = calloc(1, RECORD_MAX_BYTES); /* zeroed: its pages are in before the RT thread writes */
	if (l->record && ring_seconds <= 0.0f) /* offline: loudness_measure on the caller's thread */
		return l;
	const size_t bytes = (size_t)(ring_seconds * (float)sample_rate) * RING_BYTES_PER_FRAME;
	if (!l->record || record_ring_init(&l->ring, bytes, RECORD_MAX_BYTES) < 0 ||
	    pthread_create(&l->thread, NULL, meter_thread, l) != 0) {
		snprintf(err, errlen, "cannot start the loudness meter (ring of %zu bytes)", bytes);
		record_ring_free(&l->ring);
		free(l->record);
		pthread_mutex_destroy(&l->lock);
		free(l);
		return NULL;
	}
	pthread_setname_np(l->thread, "dubstage-loud"); /* for top -H and /proc/PID/task */
	l->thread_running = true;
	return l;
}

void loudness_destroy(struct loudness *l)
{
	if (!l)
		return;
	atomic_store(&l->stop, true);
	if (l->thread_running)
		pthread_join(l->thread, NULL);
	for (size_t k = 0; k < sizeof l->states / sizeof l->states[0]; k++)
		if (l->states[k].in_use)
			stop_state(&l->states[k]);
	record_ring_free(&l->ring);
	free(l->record);
	pthread_mutex_destroy(&l->lock);
	free(l);
}

int loudness_set_buses(struct loudness *l, uint32_t generation, const struct console *c, char *err, size_t errlen)
{
	struct layout_map next = {.valid = true, .generation = generation, .n_buses = c->n_buses};
	pthread_mutex_lock(&l->lock);
	for (uint32_t b = 0; b < c->n_buses && b < MAX_BUSES; b++) {
		const struct console_bus *cb = &c->buses[b];
		struct bus_slot *s = &next.bus[b];
		s->state = -1;
		if (cb->role == BUS_ROLE_AUX) /* its outputs are sends, not a deliverable */
			continue;
		int free_slot = -1;
		for (int k = 0; k < (int)(sizeof l->states / sizeof l->states[0]); k++) {
			if (l->states[k].in_use && l->states[k].format == cb->format && strcmp(l->states[k].name, cb->name) == 0)
				s->state = k; /* the same bus: its measurement goes on */
			else if (!l->states[k].in_use && free_slot < 0)
				free_slot = k;
		}
		if (s->state >= 0)
			continue;
		if (free_slot < 0 || !start_state(&l->states[free_slot], l->rate, cb->name, cb->format)) {
			pthread_mutex_unlock(&l->lock);
			snprintf(err, errlen, "cannot start loudness metering of bus %s", cb->name);
			return -1;
		}
		s->state = free_slot;
	}
	for (uint32_t b = 0; b < c->n_buses && b < MAX_BUSES; b++) {
		const bool gated = c->buses[b].has_dialogue && next.bus[b].state >= 0;
		next.bus[b].dialogue = gated ? next.bus[c->buses[b].dialogue].state : -1;
	}
	l->prev = l->cur;
	l->cur = next;
	/* states neither layout reaches any more */
	for (int k = 0; k < (int)(sizeof l->states / sizeof l->states[0]); k++) {
		bool used = false;
		for (uint32_t b = 0; b < l->cur.n_buses; b++)
			used |= l->cur.bus[b].state == k;
		for (uint32_t b = 0; l->prev.valid && b < l->prev.n_buses; b++)
			used |= l->prev.bus[b].state == k;
		if (!used && l->states[k].in_use)
			stop_state(&l->states[k]);
	}
	for (uint32_t b = 0; b < MAX_BUSES; b++)
		atomic_store(&l->out[b].measured, b < next.n_buses && next.bus[b].state >= 0);
	publish_readouts(l);
	pthread_mutex_unlock(&l->lock);
	return 0;
}

RT bool loudness_feed_rt(struct loudness *l, struct graph *g, uint32_t n)
{
	return record_ring_write_rt(&l->ring, l->record, record_of(g, n, l->record), n);
}

void loudness_measure(struct loudness *l, struct graph *g, uint32_t n)
{
	record_of(g, n, l->record);
	measure(l, l->record);
}

void loudness_drain(struct loudness *l)
{
	atomic_fetch_add(&l->draining, 1);
	while (l->thread_running && !record_ring_idle(&l->ring))
		nanosleep(&(struct timespec){0, 1000000}, NULL);
	atomic_fetch_sub(&l->draining, 1);
	pthread_mutex_lock(&l->lock);
	atomic_store(&l->stale, false);
	publish_readouts(l);
	pthread_mutex_unlock(&l->lock);
}

void loudness_read(struct loudness *l, uint32_t b, struct loudness_readout *out)
{
	const struct readout *o = &l->out[b < MAX_BUSES ? b : 0];
	*out = (struct loudness_readout){
		.momentary = atomic_load_explicit(&o->momentary, memory_order_relaxed),
		.short_term = atomic_load_explicit(&o->short_term, memory_order_relaxed),
		.integrated = atomic_load_explicit(&o->integrated, memory_order_relaxed),
		.range = atomic_load_explicit(&o->range, memory_order_relaxed),
		.true_peak = atomic_load_explicit(&o->true_peak, memory_order_relaxed),
		.dialogue = atomic_load_explicit(&o->dialogue, memory_order_relaxed),
		.measured = b < MAX_BUSES && atomic_load(&o->measured),
	};
}

uint64_t loudness_lost_frames(const struct loudness *l)
{
	return record_ring_lost_frames(&l->ring);
}
