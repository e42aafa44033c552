#include "engine/graph.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsp/delay.h"
#include "dsp/dynamics.h"
#include "dsp/filter.h"
#include "dsp/k_weighting.h"
#include "dsp/gain.h"
#include "dsp/meter.h"
#include "dsp/panner.h"
#include "dsp/peak.h"
#include "dsp/room.h"
#include "engine/monitor.h"
#include "engine/worker.h"

#define SOLO_FEED_BUS UINT32_MAX /* graph_feed.bus of a strip's feed into the solo bus */
#define NO_RETURN UINT32_MAX     /* graph_bus.return_first of a bus that is not an aux */
/* The strips run in chunks of about GRAPH_CHUNK_CHANNELS input channels
 * (at most GRAPH_MAX_CHUNKS), which the threads of a block take one after
 * the other, when there are enough strips to be worth a second thread (a
 * fork and join cost microseconds); with fewer, in one chunk. The chunks
 * follow from the console alone, not from the machine or the threads: the
 * same console gives the same output anywhere, with or without a worker. */
#define GRAPH_THREADS 2
#define GRAPH_SPLIT_MIN_STRIPS 32
#define GRAPH_CHUNK_CHANNELS 32
#define GRAPH_MAX_CHUNKS 16
_Static_assert(LAYOUT_MAX_CHANNELS <= LIMITER_MAX_CHANNELS, "a master of any layout can have a limiter");

/* Which rows of a ramp matrix (a strip's feed, a monitor source) can sound:
 * rows whose targets are not all zero, and every row for a ramp's length
 * after one was set to zero. The loop skips a whole matrix that cannot
 * sound (a solo feed while the strip is not soloed, an unselected monitor
 * source) without looking at each of its ramps. */
struct row_activity {
	uint32_t live_rows;    /* bit r: row r has a non-zero target */
	uint32_t fading;       /* frames until every ramp set since has reached its target */
	uint16_t live_cols[LAYOUT_MAX_CHANNELS]; /* per row, bit c: column c's target is not zero */
};
_Static_assert(LAYOUT_MAX_CHANNELS <= 16, "a row's columns fit live_cols");

struct graph_feed {       /* a strip panned into one of its buses, or a send into an aux */
	uint32_t bus;          /* or SOLO_FEED_BUS */
	bool pre;              /* taps before the fader (a pre-fader send) */
	struct row_activity activity;
	uint32_t out_first;    /* first output of the bus */
	uint32_t n_out;
	uint32_t pan_first;    /* n_in * n_out ramps, row-major by input channel */
};

struct graph_strip {
	uint32_t in_first;     /* first input port */
	uint32_t n_in;
	uint32_t feed_first;
	uint32_t n_feeds;      /* its buses', the solo feed when there is a monitor, then its sends */
	uint32_t send_first;   /* feed index of its first send: per aux a post-fader and a pre-fader feed */
	uint32_t meter_first;  /* n_in meters */
	int32_t prev_index;    /* same-named strip in the previous graph, or -1 */
	struct gain_ramp pre;  /* trim * polarity, at the input */
	struct gain_ramp gain; /* fader * mute * solo, after the processing */
	float fader_gain;
	float trim_gain;
	float sign;
	bool mute, solo, solo_safe;
};

/* A strip's processing between trim and fader, or a bus's before its fader
 * (shared by its channels). graph.dsp holds the strips', then the buses'. */
struct strip_dsp {
	struct filter_section sec[GRAPH_SECTIONS];
	struct dynamics dyn;
	bool dyn_pre_eq;
};

struct graph_route {       /* a source bus summed into a master */
	uint32_t dest_first;
	uint32_t dest_channels;
	struct downmix_matrix fold; /* [dest][src] */
};

struct graph_bus {
	uint32_t out_first;
	uint32_t sig_first;    /* its signal in graph.blk: its outputs, or an aux's own buffers */
	uint32_t return_first; /* an aux's first return input port, or NO_RETURN */
	uint32_t n_ch;
	uint32_t meter_first;
	uint32_t route_first;
	uint32_t n_routes;
	int32_t prev_index;
	enum layout_id format;
	struct gain_ramp gain; /* fader * mute */
	float fader_gain;
	bool mute;
	struct limiter *limiter; /* a master's true-peak limiter on its outputs, or NULL */
	struct limiter_params limiter_params;
	bool measured;         /* loudness: every bus but an aux (whose outputs are sends) */
	bool step_partial;     /* the loudness step under way began before a reset: left out */
	uint32_t lineage;      /* graph_bus_loudness */
	uint32_t loudness_resets;
};

struct graph_monitor_source { /* a bus the monitor can play */
	uint32_t first;        /* its first buffer in graph.blk */
	uint32_t n_ch;
	uint32_t mat_first;    /* n_room * n_ch ramps, row-major by loudspeaker */
	struct row_activity activity;
};

struct graph_monitor {
	enum layout_id room;
	uint32_t n_room;
	uint32_t out_first;    /* first monitor output port (= its graph.blk index) */
	uint32_t solo_first;   /* the solo bus's first buffer in graph.blk */
	uint32_t n_sources;    /* every bus, then the solo bus */
	struct graph_monitor_source *sources;
	struct gain_ramp *mat;
	uint32_t n_mat;
	struct gain_ramp gain[LAYOUT_MAX_CHANNELS];
	struct delay_line delay[LAYOUT_MAX_CHANNELS];
	float *delay_buf;      /* n_room rings */
	float *solo_buf;       /* n_room blocks: the solo bus */
};

/* The working memory of one thread running strips. */
struct strip_scratch {
	float *scratch;               /* LAYOUT_MAX_CHANNELS + 1 blocks */
	float *post[LAYOUT_MAX_CHANNELS]; /* a strip's channels after its gain: scratch blocks 1 ... */
	float *dyn_scratch;
	float *lane_buf;              /* FILTER_LANES blocks: strips whose filters run side by side */
	float *lane_dyn;              /* 2 blocks per lane: their dynamics' detectors and gains */
};

/* The strips first .. end - 1 and the bus blocks they add into: graph.blk
 * for chunk 0; for the others, blocks of their own, added into graph.blk
 * after the join in chunk order, whichever thread ran them. */
struct graph_chunk {
	uint32_t first, end;
	float **acc;                  /* n_blk: where its strips' feeds add (chunk 0: graph.blk) */
	/* Chunks after the first: */
	uint32_t *fed;                /* the graph.blk indices its strips feed (buses, solo bus, auxes) */
	uint32_t n_fed;
	float *acc_buf;               /* n_fed blocks, acc's entries at the fed indices */
};

/* What a thread taking chunks is handed: the worker's task argument. */
struct graph_thread {
	struct graph *g;
	struct strip_scratch *sc;
};

/* One thread's run over one chunk in a block. */
struct strip_pass {
	struct graph *g;
	const struct strip_scratch *sc;
	const struct graph_chunk *chunk;
	uint32_t off, n;              /* the block: frames from the period's start, and how many */
};

struct graph {
	uint32_t generation;
	uint32_t prev_generation;  /* generation of `previous` at build time */
	uint32_t ramp_frames;
	float sample_rate;
	uint32_t n_strips, n_buses;
	struct graph_strip *strips;
	struct strip_dsp *dsp;         /* n_strips + n_buses */
	/* Per strip input channel and bus channel, indexed like their meters: */
	struct filter_state *filter_states; /* GRAPH_SECTIONS each; a strip's or bus's are section-major */
	struct dynamics_channel *dyn_channels;
	struct delay_line *delays;     /* strips only */
	float **rings;                 /* per strip: n_in delay rings, or NULL (no delay line) */
	bool *has_ring;                /* per strip, control thread only */
	uint32_t ring_frames;          /* per channel */
	struct graph_gr_readout *gr;   /* n_strips + n_buses */
	float *aux_buf;                /* the aux buses' signals (their returns, processed) */
	enum layout_id *strip_input;  /* for adopting pan ramps: layouts must match */
	struct graph_bus *buses;
	uint32_t *bus_order;
	struct graph_route *routes;
	struct graph_feed *feeds;
	struct gain_ramp *pan;
	uint32_t n_pan;
	struct meter *meters;         /* RT-private integrators */
	struct graph_meter_readout *readouts;
	uint32_t n_meters;
	uint32_t solo_count;
	uint32_t peak_epoch_seen, hold_epoch_seen;
	struct graph *adopting;       /* the graph whose strips' running state this one takes over,
	                               * strip by strip in its first block (graph_adopt_rt) */
	bool unmetered;               /* an offline render: nobody reads the strips' meters */
	struct k_weighting *loudness; /* per bus (graph_bus.measured) */
	uint32_t step_frames;         /* a loudness step: 100 ms */
	uint32_t frames_in_step;      /* of the step under way, the same for every bus */
	struct graph_loudness_step *steps; /* those ended in this period */
	uint32_t n_steps, cap_steps;
	uint32_t meter_k_frames;
	float meter_k;
	struct graph_ports ports;
	float **blk;                  /* this block's buffers: outputs at the block's offset, the solo bus,
	                               * then the aux buses' signals */
	uint32_t n_blk;
	struct graph_monitor *monitor; /* NULL: no monitor section */
	/* The strips in chunks (graph_chunk), taken in turn by the threads of a
	 * block (next_chunk); the process thread then runs the buses and the
	 * monitor, with scratch[0]. */
	struct graph_chunk *chunks;
	uint32_t n_chunks;
	_Atomic uint32_t next_chunk;
	uint32_t blk_off, blk_n;
	struct strip_scratch scratch[GRAPH_THREADS];
	struct graph_thread threads[GRAPH_THREADS];
	char (*strip_names)[CONSOLE_NAME_MAX]; /* for matching the next graph */
	char (*bus_names)[CONSOLE_NAME_MAX];
};

static float strip_target(const struct graph *g, const struct graph_strip *s)
{
	const bool solo_muted = g->solo_count > 0 && !s->solo && !s->solo_safe;
	return (s->mute || solo_muted) ? 0.0f : s->fader_gain;
}

static float strip_pre_target(const struct graph_strip *s)
{
	return s->trim_gain * s->sign;
}

/* The states of section k for each of the n_ch channels whose first meter
 * is meter_first (a strip's or bus's: contiguous, so that
 * filter_section_process_rt runs on them in place). */
static struct filter_state *section_states(const struct graph *g, uint32_t meter_first, uint32_t n_ch, int k)
{
	return &g->filter_states[(size_t)meter_first * GRAPH_SECTIONS + (size_t)k * n_ch];
}

void graph_strip_shapes(const struct strip_processing *p, struct filter_shape out[GRAPH_SECTIONS])
{
	filter_butterworth(true, p->hpf.freq_hz, (unsigned)p->hpf.slope_db, p->hpf.on, &out[GRAPH_SECTION_HPF]);
	filter_butterworth(false, p->lpf.freq_hz, (unsigned)p->lpf.slope_db, p->lpf.on, &out[GRAPH_SECTION_LPF]);
	for (int b = 0; b < CONSOLE_EQ_BANDS; b++) {
		const struct eq_band_params *e = &p->eq[b];
		const bool edge = b == 0 || b == CONSOLE_EQ_BANDS - 1;
		const enum filter_type type = !edge || !e->shelf ? FILTER_BELL
		                            : (b == 0 ? FILTER_LOW_SHELF : FILTER_HIGH_SHELF);
		out[GRAPH_SECTION_EQ + b] = (struct filter_shape){type, e->freq_hz, e->gain_db, e->q, p->eq_on && e->on};
	}
	for (int k = 0; k < CONSOLE_NOTCHES; k++) {
		const struct notch_params *nt = &p->notch[k];
		out[GRAPH_SECTION_NOTCH + k] = (struct filter_shape){FILTER_NOTCH, nt->freq_hz, 0.0f, nt->q,
		                                                      p->eq_on && nt->on};
	}
}

static float bus_target(const struct graph_bus *b)
{
	return b->mute ? 0.0f : b->fader_gain;
}

/* One panner per bus layout, triangulated on first use (about 16 KiB
 * each, static). Control thread only, like every caller. */
static const struct panner *panner_for(const struct layout *l)
{
	static struct panner cache[LAYOUT_COUNT];
	static bool ready[LAYOUT_COUNT];
	if (!ready[l->id])
		ready[l->id] = panner_init(&cache[l->id], l) == 0;
	return ready[l->id] ? &cache[l->id] : NULL;
}

void graph_pan_matrix(const struct layout *in, const struct layout *bus,
                      const struct strip_params *p,
                      float m[LAYOUT_MAX_CHANNELS][LAYOUT_MAX_CHANNELS])
{
	memset(m, 0, sizeof(float) * LAYOUT_MAX_CHANNELS * LAYOUT_MAX_CHANNELS);
	const struct panner *pan = panner_for(bus);
	const int bus_lfe = layout_channel_index(bus, "LFE");
	unsigned positioned = 0;
	for (unsigned c = 0; c < in->channels; c++)
		positioned += !in->speakers[c].is_lfe;
	/* Each positioned channel sends its share, so correlated content reads
	 * the set LFE level whatever the input width. */
	const float lfe_send = positioned ? gain_from_db(p->lfe_send_db) / (float)positioned : 0.0f;
	/* A room position maps onto this bus's own loudspeakers (dsp/room.h).
	 * Inside the room the image widens as the point nears the centre, to an
	 * even fill there: a point in the middle of the room has no direction. */
	float pan_az = p->pan_azimuth_deg, pan_el = p->pan_elevation_deg, size = p->pan_size;
	if (p->pan_room) {
		float distance;
		room_to_polar(bus, (struct room_position){p->pan_x, p->pan_y, p->pan_z}, &pan_az, &pan_el,
		              &distance);
		if (1.0f - distance > size)
			size = 1.0f - distance;
	}
	for (unsigned c = 0; c < in->channels; c++) {
		const struct speaker *s = &in->speakers[c];
		if (s->is_lfe) {
			/* An LFE input channel stays LFE; a bus without one drops it. */
			if (bus_lfe >= 0)
				m[c][bus_lfe] = 1.0f;
			continue;
		}
		/* A mono input sits at the pan position; each channel of a wider
		 * input sits at its own nominal position scaled by the width and
		 * turned by the rotation, around the pan position (so a bed at
		 * pan 0/0, width 1 lands on the same loudspeakers of a bus of its
		 * own format, and width 0 collapses it to one point). */
		const bool mono = in->channels == 1;
		const float az = pan_az + (mono ? 0.0f : p->pan_rotation_deg + p->pan_width * s->azimuth_deg);
		float el = (mono ? 0.0f : p->pan_width * s->elevation_deg) + pan_el;
		el = el > 90.0f ? 90.0f : (el < -90.0f ? -90.0f : el);
		if (pan) {
			panner_gains_sized(pan, az, el, size, m[c]);
			panner_diverge(bus, p->pan_divergence, m[c]);
		}
		if (bus_lfe >= 0)
			m[c][bus_lfe] = lfe_send;
	}
}

void graph_solo_matrix(const struct console *c, uint32_t s,
                       float m[LAYOUT_MAX_CHANNELS][LAYOUT_MAX_CHANNELS])
{
	const struct console_strip *cs = &c->strips[s];
	graph_pan_matrix(layout_get(cs->input), layout_get(c->monitor->room), &cs->params, m);
	if (!cs->params.solo)
		memset(m, 0, sizeof(float) * LAYOUT_MAX_CHANNELS * LAYOUT_MAX_CHANNELS);
}

void graph_send_matrix(const struct console *c, uint32_t s, uint32_t k, bool pre,
                       float m[LAYOUT_MAX_CHANNELS][LAYOUT_MAX_CHANNELS])
{
	const struct console_strip *cs = &c->strips[s];
	const struct send_params *sp = &cs->params.send[k];
	graph_pan_matrix(layout_get(cs->input), layout_get(c->buses[c->aux[k]].format), &cs->params, m);
	/* The tap not in use is silent (a pre/post switch crossfades); a
	 * pre-fader send stops with the strip's mute, not with its fader. */
	const bool sounds = sp->on && sp->pre == pre && !(pre && console_strip_muted(c, s));
	const float gain = sounds ? gain_from_db(sp->level_db) : 0.0f;
	for (unsigned i = 0; i < LAYOUT_MAX_CHANNELS; i++)
		for (unsigned o = 0; o < LAYOUT_MAX_CHANNELS; o++)
			m[i][o] *= gain;
}

/* How source bus src adds into bus dst: dst's fold-down of src's format, or,
 * for an aux returning into a wider bus, its channels placed at their
 * nominal positions on dst's loudspeakers. Returns -1 when neither exists. */
static int route_matrix(const struct console *c, uint32_t src, uint32_t dst, struct downmix_matrix *fold)
{
	const struct console_bus *cs = &c->buses[src], *cd = &c->buses[dst];
	if (downmix_matrix(console_bus_downmix(c, dst), cs->format, cd->format, fold, NULL, NULL) == 0)
		return 0;
	if (cs->role != BUS_ROLE_AUX)
		return -1;
	struct strip_params nominal = {.pan_width = 1.0f, .lfe_send_db = -INFINITY};
	float m[LAYOUT_MAX_CHANNELS][LAYOUT_MAX_CHANNELS];
	graph_pan_matrix(layout_get(cs->format), layout_get(cd->format), &nominal, m);
	for (unsigned d = 0; d < LAYOUT_MAX_CHANNELS; d++)
		for (unsigned k = 0; k < LAYOUT_MAX_CHANNELS; k++)
			fold->m[d][k] = m[k][d];
	return 0;
}

/* Open-addressing name index, only while building (off the RT thread). */
struct name_index {
	uint32_t mask;
	int32_t *slot;
	char (*names)[CONSOLE_NAME_MAX];
};

static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static int name_index_init(struct name_index *x, char (*names)[CONSOLE_NAME_MAX], uint32_t n)
{
	uint32_t size = 16;
	while (size < 2 * n)
		size <<= 1;
	x->mask = size - 1;
	x->names = names;
	x->slot = malloc(size * sizeof *x->slot);
	if (!x->slot)
		return -1;
	for (uint32_t i = 0; i < size; i++)
		x->slot[i] = -1;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t h = name_hash(names[i]) & x->mask;
		while (x->slot[h] >= 0)
			h = (h + 1) & x->mask;
		x->slot[h] = (int32_t)i;
	}
	return 0;
}

static int32_t name_index_find(const struct name_index *x, const char *name)
{
	uint32_t h = name_hash(name) & x->mask;
	while (x->slot[h] >= 0) {
		if (strcmp(x->names[x->slot[h]], name) == 0)
			return x->slot[h];
		h = (h + 1) & x->mask;
	}
	return -1;
}

static void map_previous(struct graph *g, const struct graph *previous)
{
	struct name_index strips, buses;
	if (name_index_init(&strips, previous->strip_names, previous->n_strips) < 0)
		return;
	if (name_index_init(&buses, previous->bus_names, previous->n_buses) < 0) {
		free(strips.slot);
		return;
	}
	for (uint32_t i = 0; i < g->n_strips; i++)
		g->strips[i].prev_index = name_index_find(&strips, g->strip_names[i]);
	for (uint32_t b = 0; b < g->n_buses; b++)
		g->buses[b].prev_index = name_index_find(&buses, g->bus_names[b]);
	free(strips.slot);
	free(buses.slot);
}

/* Zeroed memory whose pages are already touched, so the RT thread never
 * takes a first-touch page fault in a new graph (calloc maps zero pages
 * lazily). explicit_bzero is never optimised into a calloc. */
static void *xcalloc(size_t n, size_t size, int *failed)
{
	const size_t bytes = (n ? n : 1) * size;
	void *p = malloc(bytes);
	if (!p)
		*failed = 1;
	else
		explicit_bzero(p, bytes);
	return p;
}

RT static void activity_set_row(struct row_activity *a, uint32_t row, const float *targets, uint32_t n,
                                uint32_t fade_frames)
{
	uint16_t cols = 0;
	for (uint32_t i = 0; i < n; i++)
		cols |= (uint16_t)((targets[i] != 0.0f) << i);
	a->live_cols[row] = cols;
	if (cols)
		a->live_rows |= 1u << row;
	else
		a->live_rows &= ~(1u << row);
	/* every ramp of the row is moving: until they arrive, silence is told
	 * ramp by ramp, not from live_cols */
	a->fading = fade_frames > a->fading ? fade_frames : a->fading;
}

/* Whether the matrix can sound in this block of n frames; *at_rest: every
 * ramp was at its target when the block began (then a zero target is
 * silence, and only live_cols need be visited), unless at_rest is NULL. */
RT static bool activity_runs(struct row_activity *a, uint32_t n, bool *at_rest)
{
	const bool runs = a->live_rows != 0 || a->fading > 0;
	if (at_rest)
		*at_rest = a->fading == 0;
	a->fading = a->fading > n ? a->fading - n : 0;
	return runs;
}

/* Ramps at rest on m[row][col] (rows x cols, row-major), and which rows live. */
static void init_ramp_matrix(struct gain_ramp *ramps, struct row_activity *a, uint32_t rows, uint32_t cols,
                             float m[LAYOUT_MAX_CHANNELS][LAYOUT_MAX_CHANNELS])
{
	for (uint32_t r = 0; r < rows; r++) {
		for (uint32_t c = 0; c < cols; c++)
			gain_ramp_init(&ramps[r * cols + c], m[r][c]);
		activity_set_row(a, r, m[r], cols, 0);
	}
}

/* The monitor: its sources (every bus, then the solo bus), their matrices
 * (the selected one at its gains, the others silent), the loudspeaker gains
 * and delays, and the solo bus's buffers. Outputs after the buses'. */
static int build_monitor(struct graph *g, const struct console *c, uint32_t n_out)
{
	int failed = 0;
	const struct console_monitor *cm = c->monitor;
	struct graph_monitor *m = xcalloc(1, sizeof *m, &failed);
	if (!m)
		return -1;
	g->monitor = m;
	m->room = cm->room;
	m->n_room = layout_get(cm->room)->channels;
	m->out_first = n_out - m->n_room;
	m->solo_first = n_out;
	m->n_sources = c->n_buses + 1;
	m->sources = xcalloc(m->n_sources, sizeof *m->sources, &failed);
	for (uint32_t k = 0; !failed && k < m->n_sources; k++) {
		struct graph_monitor_source *src = &m->sources[k];
		src->n_ch = layout_get(monitor_source_format(c, k))->channels;
		src->first = k < c->n_buses ? g->buses[k].sig_first : m->solo_first;
		src->mat_first = m->n_mat;
		m->n_mat += m->n_room * src->n_ch;
	}
	m->mat = xcalloc(m->n_mat, sizeof *m->mat, &failed);
	const uint32_t ring = delay_line_size((uint32_t)ceilf(CONSOLE_MONITOR_DELAY_MAX_MS * 0.001f * g->sample_rate),
	                                         GRAPH_BLOCK_FRAMES);
	m->delay_buf = xcalloc((size_t)ring * m->n_room, sizeof(float), &failed);
	m->solo_buf = xcalloc((size_t)GRAPH_BLOCK_FRAMES * m->n_room, sizeof(float), &failed);
	if (failed)
		return -1;
	for (uint32_t k = 0; k < m->n_sources; k++) {
		float mm[LAYOUT_MAX_CHANNELS][LAYOUT_MAX_CHANNELS];
		monitor_matrix(c, k, mm);
		struct graph_monitor_source *src = &m->sources[k];
		init_ramp_matrix(&m->mat[src->mat_first], &src->activity, m->n_room, src->n_ch, mm);
	}
	float gains[LAYOUT_MAX_CHANNELS];
	monitor_speaker_gains(c, gains);
	for (uint32_t r = 0; r < m->n_room; r++) {
		/* Like every gain of a new graph: from 0 (graph_adopt_rt takes
		 * over the running value when there was a monitor before). */
		gain_ramp_init(&m->gain[r], 0.0f);
		gain_ramp_set(&m->gain[r], gains[r], g->ramp_frames);
		delay_line_init(&m->delay[r], m->delay_buf + (size_t)r * ring, ring, GRAPH_BLOCK_FRAMES,
		                (uint32_t)lrintf(cm->speaker[r].delay_ms * 0.001f * g->sample_rate));
		g->blk[m->solo_first + r] = m->solo_buf + (size_t)r * GRAPH_BLOCK_FRAMES;
	}
	return 0;
}

/* Processing at rest on the model's settings (graph_adopt_rt carries the
 * running state over from the previous graph). */
static void init_dsp(struct strip_dsp *d, const struct strip_processing *p, float sample_rate)
{
	struct filter_shape shapes[GRAPH_SECTIONS];
	graph_strip_shapes(p, shapes);
	for (int k = 0; k < GRAPH_SECTIONS; k++)
		filter_section_init(&d->sec[k], &shapes[k], sample_rate);
	dynamics_init(&d->dyn, &p->dyn, sample_rate);
	d->dyn_pre_eq = p->dyn_pre_eq;
}

/* Splits the strips into chunks of about equal input channels (what a
 * strip's work scales with), with the blocks each chunk feeds; gives each
 * thread its scratch. */
static int build_chunks(struct graph *g)
{
	int failed = 0;
	uint32_t channels = 0;
	for (uint32_t i = 0; i < g->n_strips; i++)
		channels += g->strips[i].n_in;
	uint32_t n = channels / GRAPH_CHUNK_CHANNELS;
	n = n < 2 ? 2 : (n > GRAPH_MAX_CHUNKS ? GRAPH_MAX_CHUNKS : n);
	g->n_chunks = g->n_strips >= GRAPH_SPLIT_MIN_STRIPS ? n : 1;
	g->chunks = xcalloc(g->n_chunks, sizeof *g->chunks, &failed);
	bool *is_fed = xcalloc(g->n_blk, sizeof *is_fed, &failed);
	if (failed) {
		free(is_fed);
		return -1;
	}
	uint32_t strip = 0;
	uint64_t so_far = 0;
	for (uint32_t k = 0; k < g->n_chunks; k++) {
		struct graph_chunk *ch = &g->chunks[k];
		ch->first = strip;
		const uint64_t share = (uint64_t)channels * (k + 1) / g->n_chunks;
		while (strip < g->n_strips && (k + 1 == g->n_chunks || so_far < share))
			so_far += g->strips[strip++].n_in;
		ch->end = strip;
		if (k == 0) { /* adds into the buses themselves */
			ch->acc = g->blk;
			continue;
		}
		memset(is_fed, 0, g->n_blk * sizeof *is_fed);
		for (uint32_t i = ch->first; i < ch->end; i++) {
			const struct graph_strip *s = &g->strips[i];
			for (uint32_t f = 0; f < s->n_feeds; f++)
				for (uint32_t o = 0; o < g->feeds[s->feed_first + f].n_out; o++)
					is_fed[g->feeds[s->feed_first + f].out_first + o] = true;
		}
		ch->fed = xcalloc(g->n_blk, sizeof *ch->fed, &failed);
		if (failed)
			break;
		for (uint32_t o = 0; o < g->n_blk; o++)
			if (is_fed[o])
				ch->fed[ch->n_fed++] = o;
		ch->acc = xcalloc(g->n_blk, sizeof *ch->acc, &failed);
		ch->acc_buf = xcalloc((size_t)ch->n_fed * GRAPH_BLOCK_FRAMES, sizeof(float), &failed);
		if (failed)
			break;
		for (uint32_t j = 0; j < ch->n_fed; j++)
			ch->acc[ch->fed[j]] = ch->acc_buf + (size_t)j * GRAPH_BLOCK_FRAMES;
	}
	free(is_fed);
	for (uint32_t t = 0; t < GRAPH_THREADS; t++) {
		struct strip_scratch *sc = &g->scratch[t];
		g->threads[t] = (struct graph_thread){g, sc};
		const size_t scratch_bytes = sizeof(float) * GRAPH_BLOCK_FRAMES * (LAYOUT_MAX_CHANNELS + 1);
		sc->scratch = aligned_alloc(64, scratch_bytes);
		if (!sc->scratch)
			return -1;
		memset(sc->scratch, 0, scratch_bytes);
		for (uint32_t c = 0; c < LAYOUT_MAX_CHANNELS; c++)
			sc->post[c] = sc->scratch + (c + 1) * GRAPH_BLOCK_FRAMES;
		sc->dyn_scratch = xcalloc((size_t)(2 * LAYOUT_MAX_CHANNELS + 2) * GRAPH_BLOCK_FRAMES, sizeof(float), &failed);
		sc->lane_buf = xcalloc((size_t)FILTER_LANES * GRAPH_BLOCK_FRAMES, sizeof(float), &failed);
		sc->lane_dyn = xcalloc((size_t)2 * FILTER_LANES * GRAPH_BLOCK_FRAMES, sizeof(float), &failed);
	}
	return failed ? -1 : 0;
}

/* A delay line for each strip that delays, or whose namesake in the
 * previous graph had one (so that a delay set back to 0 and up again keeps
 * its audio, and the rings can be swapped on adoption). */
static int build_delay_lines(struct graph *g, const struct console *c, const struct graph *previous)
{
	int failed = 0;
	for (uint32_t i = 0; i < g->n_strips && !failed; i++) {
		const struct graph_strip *s = &g->strips[i];
		const float delay_ms = c->strips[i].params.proc.delay_ms;
		if (delay_ms <= 0.0f && !(s->prev_index >= 0 && previous->has_ring[s->prev_index]))
			continue;
		g->rings[i] = xcalloc((size_t)g->ring_frames * s->n_in, sizeof(float), &failed);
		g->has_ring[i] = g->rings[i] != NULL;
		const uint32_t frames = (uint32_t)lrintf(delay_ms * 0.001f * g->sample_rate);
		for (uint32_t ch = 0; g->rings[i] && ch < s->n_in; ch++)
			delay_line_init(&g->delays[s->meter_first + ch], g->rings[i] + (size_t)ch * g->ring_frames,
			                g->ring_frames, GRAPH_BLOCK_FRAMES, frames);
	}
	return failed ? -1 : 0;
}

/* Loudness lineages: graphs are built on the control thread, and the tests
 * build some side by side. */
static atomic_uint next_lineage = 1;

struct graph *graph_build(const struct console *c, const struct graph *previous,
                          float sample_rate, char *err, size_t errlen)
{
	int failed = 0;
	struct graph *g = xcalloc(1, sizeof *g, &failed);
	if (!g) {
		snprintf(err, errlen, "out of memory building the graph");
		return NULL;
	}
	g->sample_rate = sample_rate;
	g->ramp_frames = (uint32_t)lrintf(GRAPH_RAMP_MS * 0.001f * sample_rate);
	g->prev_generation = previous ? previous->generation : 0;
	g->n_strips = c->n_strips;
	g->n_buses = c->n_buses;

	const uint32_t n_in = console_input_port_count(c), n_out = console_output_port_count(c);
	const uint32_t n_strip_ch = console_return_port_first(c);
	const uint32_t n_room = c->monitor ? layout_get(c->monitor->room)->channels : 0;
	uint32_t n_pan = 0, n_routes = 0, n_feeds = 0, n_aux_ch = 0;
	for (uint32_t k = 0; k < c->n_aux; k++)
		n_aux_ch += layout_get(c->buses[c->aux[k]].format)->channels;
	for (uint32_t i = 0; i < c->n_strips; i++) {
		const uint32_t n_ch = layout_get(c->strips[i].input)->channels;
		for (uint32_t f = 0; f < c->strips[i].n_bus; f++, n_feeds++)
			n_pan += n_ch * layout_get(c->buses[c->strips[i].bus[f]].format)->channels;
		if (c->monitor) { /* the solo feed, after the strip's own */
			n_feeds++;
			n_pan += n_ch * n_room;
		}
		n_feeds += 2 * c->n_aux; /* the sends: post- and pre-fader feeds */
		n_pan += 2 * n_ch * n_aux_ch;
	}
	for (uint32_t b = 0; b < c->n_buses; b++)
		n_routes += c->buses[b].n_sources;

	g->strips = xcalloc(c->n_strips, sizeof *g->strips, &failed);
	g->n_meters = n_strip_ch + n_out;
	g->dsp = xcalloc(c->n_strips + c->n_buses, sizeof *g->dsp, &failed);
	g->filter_states = xcalloc((size_t)g->n_meters * GRAPH_SECTIONS, sizeof *g->filter_states, &failed);
	g->dyn_channels = xcalloc(g->n_meters, sizeof *g->dyn_channels, &failed);
	g->delays = xcalloc(n_strip_ch, sizeof *g->delays, &failed);
	g->rings = xcalloc(c->n_strips, sizeof *g->rings, &failed);
	g->has_ring = xcalloc(c->n_strips, sizeof *g->has_ring, &failed);
	g->gr = xcalloc(c->n_strips + c->n_buses, sizeof *g->gr, &failed);
	g->aux_buf = xcalloc((size_t)n_aux_ch * GRAPH_BLOCK_FRAMES, sizeof(float), &failed);
	g->strip_input = xcalloc(c->n_strips, sizeof *g->strip_input, &failed);
	g->strip_names = xcalloc(c->n_strips, sizeof *g->strip_names, &failed);
	g->buses = xcalloc(c->n_buses, sizeof *g->buses, &failed);
	g->bus_names = xcalloc(c->n_buses, sizeof *g->bus_names, &failed);
	g->bus_order = xcalloc(c->n_buses, sizeof *g->bus_order, &failed);
	g->routes = xcalloc(n_routes, sizeof *g->routes, &failed);
	g->feeds = xcalloc(n_feeds, sizeof *g->feeds, &failed);
	g->pan = xcalloc(n_pan, sizeof *g->pan, &failed);
	g->n_pan = n_pan;
	g->meters = xcalloc(g->n_meters, sizeof *g->meters, &failed);
	g->loudness = xcalloc(c->n_buses, sizeof *g->loudness, &failed);
	g->cap_steps = c->n_buses * GRAPH_LOUDNESS_STEPS_PER_BUS;
	g->steps = xcalloc(g->cap_steps, sizeof *g->steps, &failed);
	g->step_frames = (uint32_t)lrintf(sample_rate / 10.0f);
	g->step_frames += g->step_frames == 0; /* a rate under 5 Hz is nobody's, but never a division by zero */
	g->readouts = xcalloc(g->n_meters, sizeof *g->readouts, &failed);
	g->ports.n_in = n_in;
	g->ports.n_out = n_out;
	g->ports.in = xcalloc(n_in, sizeof *g->ports.in, &failed);
	g->ports.out = xcalloc(n_out, sizeof *g->ports.out, &failed);
	g->ports.in_handle = xcalloc(n_in, sizeof *g->ports.in_handle, &failed);
	g->ports.out_handle = xcalloc(n_out, sizeof *g->ports.out_handle, &failed);
	g->n_blk = n_out + n_room + n_aux_ch;
	g->blk = xcalloc(g->n_blk, sizeof *g->blk, &failed);
	if (failed) {
		graph_free(g);
		snprintf(err, errlen, "out of memory building the graph");
		return NULL;
	}

	/* Buses: output ports in console order; bus meters after the strip
	 * meters. An aux's signal (its return) has buffers of its own after
	 * the solo bus's; its outputs carry the sends. */
	uint32_t out_port = 0, meter = n_strip_ch, return_port = n_strip_ch, aux_blk = n_out + n_room;
	for (uint32_t b = 0; b < c->n_buses; b++) {
		const struct console_bus *cb = &c->buses[b];
		struct graph_bus *gb = &g->buses[b];
		memcpy(g->bus_names[b], cb->name, CONSOLE_NAME_MAX);
		gb->out_first = out_port;
		gb->n_ch = layout_get(cb->format)->channels;
		gb->sig_first = out_port;
		gb->return_first = NO_RETURN;
		if (cb->role == BUS_ROLE_AUX) {
			gb->return_first = return_port;
			gb->sig_first = aux_blk;
			for (uint32_t ch = 0; ch < gb->n_ch; ch++)
				g->blk[aux_blk + ch] = g->aux_buf + (size_t)(aux_blk + ch - n_out - n_room) * GRAPH_BLOCK_FRAMES;
			return_port += gb->n_ch;
			aux_blk += gb->n_ch;
		}
		init_dsp(&g->dsp[c->n_strips + b], &cb->params.proc, sample_rate);
		gb->format = cb->format;
		gb->meter_first = meter;
		gb->fader_gain = gain_from_db(cb->params.fader_db);
		gb->mute = cb->params.mute;
		gb->prev_index = -1;
		gb->limiter_params = cb->params.limiter;
		void *lim = cb->has_limiter ? aligned_alloc(64, (limiter_bytes(gb->n_ch, sample_rate) + 63) & ~(size_t)63) : NULL;
		if (lim)
			gb->limiter = limiter_init(lim, gb->n_ch, sample_rate, &cb->params.limiter);
		if (cb->has_limiter && !lim) {
			graph_free(g);
			snprintf(err, errlen, "out of memory building the graph");
			return NULL;
		}
		if (cb->role != BUS_ROLE_AUX) {
			const struct layout *l = layout_get(cb->format);
			double weights[LAYOUT_MAX_CHANNELS];
			for (uint32_t ch = 0; ch < gb->n_ch; ch++)
				weights[ch] = k_weighting_channel_weight(&l->speakers[ch]);
			gb->measured = k_weighting_init(&g->loudness[b], sample_rate, gb->n_ch, weights);
			gb->lineage = atomic_fetch_add_explicit(&next_lineage, 1, memory_order_relaxed);
		}
		g->bus_order[b] = c->bus_order[b];
		out_port += gb->n_ch;
		meter += gb->n_ch;
	}

	/* Routes live on the source bus: after its fader, a source adds itself
	 * into each master it feeds, through that pair's downmix matrix. */
	uint32_t route = 0;
	for (uint32_t src = 0; src < c->n_buses; src++) {
		struct graph_bus *gs = &g->buses[src];
		gs->route_first = route;
		for (uint32_t d = 0; d < c->n_buses; d++) {
			const struct console_bus *cd = &c->buses[d];
			for (uint32_t k = 0; k < cd->n_sources; k++) {
				if (cd->sources[k] != src)
					continue;
				struct graph_route *r = &g->routes[route++];
				r->dest_first = g->buses[d].sig_first;
				r->dest_channels = g->buses[d].n_ch;
				if (route_matrix(c, src, d, &r->fold) < 0) {
					snprintf(err, errlen, "bus %s: no downmix from %s to %s",
					         cd->name, layout_get(c->buses[src].format)->name,
					         layout_get(cd->format)->name);
					graph_free(g);
					return NULL;
				}
				gs->n_routes++;
			}
		}
	}

	if (c->monitor && build_monitor(g, c, n_out) < 0) {
		graph_free(g);
		snprintf(err, errlen, "out of memory building the graph");
		return NULL;
	}

	g->ring_frames = delay_line_size((uint32_t)ceilf(CONSOLE_DELAY_MAX_MS * 0.001f * sample_rate), GRAPH_BLOCK_FRAMES);
	uint32_t in_port = 0, pan = 0, feed = 0;
	meter = 0;
	for (uint32_t i = 0; i < c->n_strips; i++) {
		const struct console_strip *cs = &c->strips[i];
		struct graph_strip *s = &g->strips[i];
		const struct layout *in = layout_get(cs->input);
		memcpy(g->strip_names[i], cs->name, CONSOLE_NAME_MAX);
		s->in_first = in_port;
		s->n_in = in->channels;
		s->feed_first = feed;
		s->n_feeds = cs->n_bus + (c->monitor ? 1 : 0);
		s->meter_first = meter;
		s->fader_gain = gain_from_db(console_strip_fader_db(c, i)); /* with its VCAs' offsets */
		s->trim_gain = gain_from_db(cs->params.trim_db);
		s->sign = cs->params.polarity_inverted ? -1.0f : 1.0f;
		s->mute = console_strip_muted(c, i);
		s->solo = cs->params.solo;
		s->solo_safe = cs->params.solo_safe;
		s->prev_index = -1;
		g->strip_input[i] = cs->input;
		if (s->solo)
			g->solo_count++;
		init_dsp(&g->dsp[i], &cs->params.proc, sample_rate);

		s->send_first = s->n_feeds;
		s->n_feeds += 2 * c->n_aux;
		for (uint32_t f = 0; f < s->n_feeds; f++) {
			struct graph_feed *gf = &g->feeds[feed++];
			float m[LAYOUT_MAX_CHANNELS][LAYOUT_MAX_CHANNELS];
			if (f < cs->n_bus) {
				gf->bus = cs->bus[f];
				graph_pan_matrix(in, layout_get(c->buses[gf->bus].format), &cs->params, m);
			} else if (f < s->send_first) {
				gf->bus = SOLO_FEED_BUS;
				graph_solo_matrix(c, i, m);
			} else {
				const uint32_t k = (f - s->send_first) / 2;
				gf->bus = c->aux[k];
				gf->pre = (f - s->send_first) % 2 == 1;
				graph_send_matrix(c, i, k, gf->pre, m);
			}
			gf->out_first = gf->bus == SOLO_FEED_BUS ? g->monitor->solo_first : g->buses[gf->bus].out_first;
			gf->n_out = gf->bus == SOLO_FEED_BUS ? n_room : g->buses[gf->bus].n_ch;
			gf->pan_first = pan;
			init_ramp_matrix(&g->pan[pan], &gf->activity, s->n_in, gf->n_out, m);
			pan += s->n_in * gf->n_out;
		}
		in_port += s->n_in;
		meter += s->n_in;
	}

	/* Strip and bus gains start at 0 and ramp in, so a graph never starts
	 * with a step; graph_adopt_rt replaces the start value for the strips
	 * and buses that were already playing. */
	for (uint32_t i = 0; i < c->n_strips; i++) {
		struct graph_strip *s = &g->strips[i];
		gain_ramp_init(&s->gain, 0.0f);
		gain_ramp_set(&s->gain, strip_target(g, s), g->ramp_frames);
		gain_ramp_init(&s->pre, 0.0f);
		gain_ramp_set(&s->pre, strip_pre_target(s), g->ramp_frames);
	}
	for (uint32_t b = 0; b < c->n_buses; b++) {
		gain_ramp_init(&g->buses[b].gain, 0.0f);
		gain_ramp_set(&g->buses[b].gain, bus_target(&g->buses[b]), g->ramp_frames);
	}
	if (previous)
		map_previous(g, previous);
	if (build_chunks(g) < 0) {
		graph_free(g);
		snprintf(err, errlen, "out of memory building the graph");
		return NULL;
	}
	if (build_delay_lines(g, c, previous) < 0) {
		snprintf(err, errlen, "out of memory building the graph (strip delay lines: %u KiB per channel)",
		         (unsigned)(g->ring_frames * sizeof(float) / 1024));
		graph_free(g);
		return NULL;
	}

	g->meter_k_frames = GRAPH_BLOCK_FRAMES;
	g->meter_k = meter_block_coefficient(sample_rate, GRAPH_METER_RMS_MS, GRAPH_BLOCK_FRAMES);
	return g;
}

void graph_free(struct graph *g)
{
	if (!g)
		return;
	free(g->strips);
	free(g->dsp);
	free(g->filter_states);
	free(g->dyn_channels);
	free(g->delays);
	for (uint32_t i = 0; g->rings && i < g->n_strips; i++)
		free(g->rings[i]);
	free(g->rings);
	free(g->has_ring);
	free(g->gr);
	for (uint32_t t = 0; t < GRAPH_THREADS; t++) {
		free(g->scratch[t].scratch);
		free(g->scratch[t].dyn_scratch);
		free(g->scratch[t].lane_buf);
		free(g->scratch[t].lane_dyn);
	}
	for (uint32_t k = 0; g->chunks && k < g->n_chunks; k++) {
		free(g->chunks[k].fed);
		free(g->chunks[k].acc_buf);
		if (k > 0)
			free(g->chunks[k].acc);
	}
	free(g->chunks);
	free(g->aux_buf);
	free(g->strip_input);
	free(g->strip_names);
	for (uint32_t b = 0; g->buses && b < g->n_buses; b++)
		free(g->buses[b].limiter); /* one block, from aligned_alloc */
	free(g->buses);
	free(g->bus_names);
	free(g->bus_order);
	free(g->routes);
	free(g->feeds);
	free(g->pan);
	free(g->meters);
	free(g->loudness);
	free(g->steps);
	free(g->readouts);
	free(g->ports.in);
	free(g->ports.out);
	free(g->ports.in_handle);
	free(g->ports.out_handle);
	free(g->blk);
	if (g->monitor) {
		free(g->monitor->sources);
		free(g->monitor->mat);
		free(g->monitor->delay_buf);
		free(g->monitor->solo_buf);
		free(g->monitor);
	}
	free(g);
}

struct graph_ports *graph_ports(struct graph *g) { return &g->ports; }
uint32_t graph_generation(const struct graph *g) { return g->generation; }
void graph_set_generation(struct graph *g, uint32_t generation) { g->generation = generation; }
uint32_t graph_strip_count(const struct graph *g) { return g->n_strips; }
uint32_t graph_chunk_count(const struct graph *g) { return g->n_chunks; }
void graph_chunk_strips(const struct graph *g, uint32_t k, uint32_t *first, uint32_t *end)
{
	*first = g->chunks[k].first;
	*end = g->chunks[k].end;
}
uint32_t graph_bus_channels(const struct graph *g)
{
	return g->monitor ? g->monitor->out_first : g->ports.n_out;
}

uint32_t graph_bus_latency(const struct graph *g, uint32_t b)
{
	return g->buses[b].limiter ? limiter_latency(g->buses[b].limiter) : 0;
}

uint32_t graph_bus_count(const struct graph *g) { return g->n_buses; }

void graph_unmeter(struct graph *g) { g->unmetered = true; }

void graph_settle(struct graph *g)
{
	for (uint32_t i = 0; i < g->n_strips; i++) {
		gain_ramp_init(&g->strips[i].gain, g->strips[i].gain.target);
		gain_ramp_init(&g->strips[i].pre, g->strips[i].pre.target);
	}
	for (uint32_t b = 0; b < g->n_buses; b++)
		gain_ramp_init(&g->buses[b].gain, g->buses[b].gain.target);
	for (uint32_t r = 0; g->monitor && r < g->monitor->n_room; r++)
		gain_ramp_init(&g->monitor->gain[r], g->monitor->gain[r].target);
}

const struct graph_meter_readout *graph_strip_meters(const struct graph *g, uint32_t s, uint32_t *n)
{
	*n = g->strips[s].n_in;
	return &g->readouts[g->strips[s].meter_first];
}

const struct graph_gr_readout *graph_strip_gain_reduction(const struct graph *g, uint32_t s)
{
	return &g->gr[s];
}

const struct graph_gr_readout *graph_bus_gain_reduction(const struct graph *g, uint32_t b)
{
	return &g->gr[g->n_strips + b];
}

bool graph_strip_has_delay(const struct graph *g, uint32_t s)
{
	return g->has_ring[s];
}

void graph_take_ports(struct graph *g, const struct graph *old)
{
	if (g->ports.n_in != old->ports.n_in || g->ports.n_out != old->ports.n_out)
		return;
	memcpy(g->ports.in_handle, old->ports.in_handle, g->ports.n_in * sizeof *g->ports.in_handle);
	memcpy(g->ports.out_handle, old->ports.out_handle, g->ports.n_out * sizeof *g->ports.out_handle);
}

const struct graph_meter_readout *graph_bus_meters(const struct graph *g, uint32_t b, uint32_t *n)
{
	*n = g->buses[b].n_ch;
	return &g->readouts[g->buses[b].meter_first];
}

/* ---- RT part ---------------------------------------------------------- */

/* r (as built, on its target) takes over the running ramp old: heading for
 * the same target, old carries on as it was, to the frame (most ramps of a
 * rebuilt console, at rest or not, a thousand strips' worth of them in a
 * period: a copy, not gain_ramp_set's division); else r ramps from where
 * old is to its own target. Whether it ramps anew (as a move would). */
RT static inline bool take_over_ramp(struct gain_ramp *r, const struct gain_ramp *old, uint32_t frames)
{
	if (old->target == r->target) {
		*r = *old;
		return false;
	}
	r->current = old->current;
	gain_ramp_set(r, r->target, frames);
	return true;
}

/* The old matrix's ramps and fade go on (old_a's: how long its ramps set
 * last may still move); a ramp heading somewhere new starts a fade, as a
 * move does (activity_set_row). a may already fade (a move sent to the new
 * graph before the takeover). */
RT static void adopt_ramp_matrix(struct gain_ramp *ramps, struct row_activity *a, const struct gain_ramp *old,
                                 const struct row_activity *old_a, uint32_t n, uint32_t ramp_frames)
{
	bool anew = false;
	for (uint32_t k = 0; k < n; k++)
		anew |= take_over_ramp(&ramps[k], &old[k], ramp_frames);
	uint32_t fading = old_a->fading > a->fading ? old_a->fading : a->fading;
	a->fading = anew && ramp_frames > fading ? ramp_frames : fading;
}

/* The monitor carries over when the room is the same: loudspeaker gains,
 * the matrices of the sources both graphs have, and the delay lines with the
 * audio in them (else it would stop with a click). The two graphs swap their
 * rings (same size: same room and rate) instead of copying them, so the
 * retired graph frees the new one's unused ring. */
RT static void adopt_monitor_rt(struct graph *g, struct graph *old)
{
	struct graph_monitor *m = g->monitor, *om = old->monitor;
	if (!m || !om || m->room != om->room)
		return;
	if (m->delay[0].mask == om->delay[0].mask) {
		float *const ring = m->delay_buf;
		m->delay_buf = om->delay_buf;
		om->delay_buf = ring;
		for (uint32_t r = 0; r < m->n_room; r++) {
			struct delay_line *d = &m->delay[r];
			float *const buf = d->buf;
			const uint32_t wanted = d->wanted;
			*d = om->delay[r];
			om->delay[r].buf = buf;
			d->wanted = wanted; /* the new graph's delays, reached by crossfade */
		}
	}
	for (uint32_t r = 0; r < m->n_room; r++)
		take_over_ramp(&m->gain[r], &om->gain[r], g->ramp_frames);
	for (uint32_t k = 0; k < m->n_sources; k++) {
		const int32_t ok = k + 1 == m->n_sources ? (int32_t)om->n_sources - 1 : g->buses[k].prev_index;
		if (ok < 0 || om->sources[ok].n_ch != m->sources[k].n_ch)
			continue;
		adopt_ramp_matrix(&m->mat[m->sources[k].mat_first], &m->sources[k].activity,
		                  &om->mat[om->sources[ok].mat_first], &om->sources[ok].activity,
		                  m->n_room * m->sources[k].n_ch, g->ramp_frames);
	}
}

/* A strip's filters and dynamics go on from where they were (states,
 * glides, envelopes) towards the new graph's settings; its delay lines
 * swap rings with the old graph's, so the audio in them plays on. */
/* dsp unit u (a strip's or bus's) with n_ch channels from meter_first goes
 * on from the old graph's unit ou (same channel count). */
RT static void adopt_dsp_rt(struct graph *g, uint32_t u, uint32_t meter_first, const struct graph *old,
                            uint32_t ou, uint32_t old_meter_first, uint32_t n_ch)
{
	struct strip_dsp *d = &g->dsp[u];
	const struct strip_dsp *od = &old->dsp[ou];
	for (int k = 0; k < GRAPH_SECTIONS; k++) {
		const struct filter_shape want = d->sec[k].target;
		d->sec[k] = od->sec[k];
		filter_section_set_rt(&d->sec[k], &want);
	}
	const struct dynamics_params want = d->dyn.p;
	d->dyn = od->dyn;
	dynamics_set_rt(&d->dyn, &want);
	memcpy(section_states(g, meter_first, n_ch, 0), section_states(old, old_meter_first, n_ch, 0),
	       sizeof(struct filter_state) * GRAPH_SECTIONS * n_ch);
	memcpy(&g->dyn_channels[meter_first], &old->dyn_channels[old_meter_first],
	       sizeof(struct dynamics_channel) * n_ch);
}

RT static void adopt_processing_rt(struct graph *g, uint32_t i, struct graph *old, uint32_t oi)
{
	struct graph_strip *s = &g->strips[i], *o = &old->strips[oi];
	adopt_dsp_rt(g, i, s->meter_first, old, oi, o->meter_first, s->n_in);
	if (!g->rings[i] || !old->rings[oi])
		return;
	struct delay_line *line = &g->delays[s->meter_first], *old_line = &old->delays[o->meter_first];
	float *const ring = g->rings[i];
	g->rings[i] = old->rings[oi], old->rings[oi] = ring;
	for (uint32_t c = 0; c < s->n_in; c++) {
		struct delay_line running = old_line[c];
		running.wanted = line[c].wanted; /* the new graph's delay, reached by crossfade */
		old_line[c] = line[c];
		old_line[c].buf = old->rings[oi] + (size_t)c * old->ring_frames;
		line[c] = running;
	}
}

/* A bus of the same name and format carries its loudness measurement on
 * (filters, the step under way, the reset count); any other starts at the
 * next step, its true peak from nothing. The steps stay in phase. */
RT static void adopt_loudness_rt(struct graph *g, const struct graph *old)
{
	g->frames_in_step = old->step_frames == g->step_frames ? old->frames_in_step : 0;
	for (uint32_t b = 0; b < g->n_buses; b++) {
		struct graph_bus *gb = &g->buses[b];
		const struct graph_bus *o = gb->prev_index >= 0 ? &old->buses[gb->prev_index] : NULL;
		if (!gb->measured)
			continue;
		if (o && o->measured && o->format == gb->format && g->frames_in_step == old->frames_in_step) {
			g->loudness[b] = old->loudness[gb->prev_index];
			gb->step_partial = o->step_partial;
			gb->lineage = o->lineage;
			gb->loudness_resets = o->loudness_resets;
			continue;
		}
		gb->step_partial = g->frames_in_step != 0;
		for (uint32_t c = 0; c < gb->n_ch; c++)
			g->meters[gb->meter_first + c].true_peak_run = 0.0f;
	}
}

/* The old strip o's feed that strip feed gf takes over: into the same bus
 * (the solo feed, the solo feed), pre or post as it is, with as many
 * outputs; or NULL. A rebuild keeps a strip's feeds in their order, so the
 * search starts at gf's own position f (a thousand strips with eight feeds
 * each, searched from the first, made a quarter of a takeover's work). */
RT static const struct graph_feed *feed_taken_over(const struct graph *g, const struct graph_feed *gf,
                                                   const struct graph *old, const struct graph_strip *o, uint32_t f)
{
	const bool solo = gf->bus == SOLO_FEED_BUS;
	const uint32_t start = f < o->n_feeds ? f : 0;
	for (uint32_t k = 0; k < o->n_feeds; k++) {
		const uint32_t of = start + k < o->n_feeds ? start + k : start + k - o->n_feeds;
		const struct graph_feed *ofd = &old->feeds[o->feed_first + of];
		if ((ofd->bus == SOLO_FEED_BUS) == solo && ofd->n_out == gf->n_out && ofd->pre == gf->pre &&
		    (solo || (int32_t)ofd->bus == g->buses[gf->bus].prev_index))
			return ofd;
	}
	return NULL;
}

/* Strip i takes over the gains, processing and pan gains of the strip it
 * was in old. Strip by strip, where the strip is processed (process_chunk),
 * so that a thousand strips' state is read once for both, and on both
 * threads: taken over all at once before the period, it held a 1,024-strip
 * console's RT thread for a fifth of a 64-frame period. */
RT static void adopt_strip_rt(struct graph *g, uint32_t i, struct graph *old)
{
	struct graph_strip *s = &g->strips[i];
	if (s->prev_index < 0)
		return;
	struct graph_strip *o = &old->strips[s->prev_index];
	take_over_ramp(&s->gain, &o->gain, g->ramp_frames);
	take_over_ramp(&s->pre, &o->pre, g->ramp_frames);
	if (s->n_in == o->n_in)
		adopt_processing_rt(g, i, old, (uint32_t)s->prev_index);
	/* Pan gains carry over, feed by feed, where the strip's input and
	 * the bus (matched by name; the solo feed by the solo feed) keep
	 * their layouts. */
	if (g->strip_input[i] != old->strip_input[s->prev_index])
		return;
	for (uint32_t f = 0; f < s->n_feeds; f++) {
		struct graph_feed *gf = &g->feeds[s->feed_first + f];
		const struct graph_feed *ofd = feed_taken_over(g, gf, old, o, f);
		/* silent on both sides, at rest (the solo feed of a strip not
		 * soloed, a send turned off): every ramp stands at 0 already */
		if (ofd && !(gf->activity.live_rows == 0 && ofd->activity.live_rows == 0 && ofd->activity.fading == 0))
			adopt_ramp_matrix(&g->pan[gf->pan_first], &gf->activity, &old->pan[ofd->pan_first], &ofd->activity,
			                  s->n_in * gf->n_out, g->ramp_frames);
	}
}

RT void graph_adopt_rt(struct graph *g, struct graph *old)
{
	if (!old || g->prev_generation != old->generation)
		return; /* built against another graph: the indices would not match */
	/* the meters now, so that a peak or hold reset in this period finds them */
	for (uint32_t i = 0; i < g->n_strips; i++) {
		const struct graph_strip *s = &g->strips[i];
		if (s->prev_index < 0)
			continue;
		const struct graph_strip *o = &old->strips[s->prev_index];
		for (uint32_t c = 0; c < s->n_in && c < o->n_in; c++)
			g->meters[s->meter_first + c] = old->meters[o->meter_first + c];
	}
	g->adopting = old;
	for (uint32_t b = 0; b < g->n_buses; b++) {
		struct graph_bus *gb = &g->buses[b];
		if (gb->prev_index < 0)
			continue;
		const struct graph_bus *o = &old->buses[gb->prev_index];
		take_over_ramp(&gb->gain, &o->gain, g->ramp_frames);
		if (gb->n_ch == o->n_ch)
			adopt_dsp_rt(g, g->n_strips + b, gb->meter_first, old, old->n_strips + (uint32_t)gb->prev_index,
			             o->meter_first, gb->n_ch);
		if (gb->limiter && o->limiter && limiter_channels(gb->limiter) == limiter_channels(o->limiter)) {
			/* The running limiter (the audio in its look-ahead) carries on
			 * with the new settings; the old graph frees the fresh one. */
			struct limiter *fresh = gb->limiter;
			gb->limiter = o->limiter;
			((struct graph_bus *)o)->limiter = fresh;
			limiter_set_rt(gb->limiter, &gb->limiter_params);
		}
		for (uint32_t c = 0; c < gb->n_ch && c < o->n_ch; c++)
			g->meters[gb->meter_first + c] = old->meters[o->meter_first + c];
	}
	adopt_loudness_rt(g, old);
	g->peak_epoch_seen = old->peak_epoch_seen;
	g->hold_epoch_seen = old->hold_epoch_seen;
	adopt_monitor_rt(g, old);
}

RT static void apply_monitor_rt(struct graph *g, const struct graph_cmd *cmd)
{
	struct graph_monitor *m = g->monitor;
	if (!m)
		return;
	switch ((enum graph_op)cmd->op) {
	case GRAPH_OP_MONITOR_ROW: {
		if (cmd->index >= m->n_sources || cmd->channel >= m->n_room)
			return;
		struct graph_monitor_source *src = &m->sources[cmd->index];
		for (uint32_t ch = 0; ch < src->n_ch; ch++)
			gain_ramp_set(&m->mat[src->mat_first + cmd->channel * src->n_ch + ch], cmd->value[ch],
			              g->ramp_frames);
		activity_set_row(&src->activity, cmd->channel, cmd->value, src->n_ch, g->ramp_frames);
		return;
	}
	case GRAPH_OP_MONITOR_GAINS:
		for (uint32_t r = 0; r < m->n_room; r++)
			gain_ramp_set(&m->gain[r], cmd->value[r], g->ramp_frames);
		return;
	case GRAPH_OP_MONITOR_DELAYS:
		for (uint32_t r = 0; r < m->n_room; r++)
			delay_line_set_rt(&m->delay[r], cmd->value[r] > 0.0f ? (uint32_t)cmd->value[r] : 0);
		return;
	default:
		return;
	}
}

/* A filter section or dynamics part of dsp unit u (a strip's or bus's, with
 * n_ch channels from meter_first). */
RT static void apply_dsp_rt(struct graph *g, uint32_t u, uint32_t meter_first, uint32_t n_ch, bool filter,
                            const struct graph_cmd *cmd)
{
	struct strip_dsp *d = &g->dsp[u];
	if (filter) {
		if (cmd->channel >= GRAPH_SECTIONS)
			return;
		struct filter_section *f = &d->sec[cmd->channel];
		struct filter_shape shape;
		memcpy(&shape, cmd->value, sizeof shape);
		if (!filter_section_active(f)) /* waking up: its states are from when it stopped */
			memset(section_states(g, meter_first, n_ch, cmd->channel), 0, sizeof(struct filter_state) * n_ch);
		filter_section_set_rt(f, &shape);
		return;
	}
	struct dynamics_params p = d->dyn.p;
	switch (cmd->channel) {
	case GRAPH_DYN_GATE: memcpy(&p.gate, cmd->value, sizeof p.gate); break;
	case GRAPH_DYN_COMP: memcpy(&p.comp, cmd->value, sizeof p.comp); break;
	case GRAPH_DYN_DEESS: memcpy(&p.deess, cmd->value, sizeof p.deess); break;
	default: d->dyn_pre_eq = cmd->value[0] != 0.0f; return;
	}
	dynamics_set_rt(&d->dyn, &p);
}

RT static void apply_processing_rt(struct graph *g, const struct graph_cmd *cmd)
{
	struct graph_strip *s = &g->strips[cmd->index];
	if (cmd->op != GRAPH_OP_STRIP_DELAY) {
		apply_dsp_rt(g, cmd->index, s->meter_first, s->n_in, cmd->op == GRAPH_OP_STRIP_FILTER, cmd);
		return;
	}
	for (uint32_t c = 0; g->rings[cmd->index] && c < s->n_in; c++)
		delay_line_set_rt(&g->delays[s->meter_first + c], cmd->value[0] > 0.0f ? (uint32_t)cmd->value[0] : 0);
}

RT static void retarget_strip(struct graph *g, struct graph_strip *s)
{
	gain_ramp_set(&s->gain, strip_target(g, s), g->ramp_frames);
}

RT void graph_apply_rt(struct graph *g, const struct graph_cmd *cmd)
{
	const float v = cmd->value[0];
	if (cmd->op >= GRAPH_OP_MONITOR_ROW) {
		apply_monitor_rt(g, cmd);
		return;
	}
	if (cmd->op >= GRAPH_OP_BUS_FADER) {
		if (cmd->index >= g->n_buses)
			return;
		struct graph_bus *b = &g->buses[cmd->index];
		if (cmd->op == GRAPH_OP_BUS_LIMITER) {
			memcpy(&b->limiter_params, cmd->value, sizeof b->limiter_params);
			if (b->limiter)
				limiter_set_rt(b->limiter, &b->limiter_params);
			return;
		}
		if (cmd->op == GRAPH_OP_BUS_LOUDNESS_RESET) {
			b->loudness_resets++;
			b->step_partial = g->frames_in_step != 0;
			for (uint32_t c = 0; c < b->n_ch; c++)
				g->meters[b->meter_first + c].true_peak_run = 0.0f;
			return;
		}
		if (cmd->op == GRAPH_OP_BUS_FILTER || cmd->op == GRAPH_OP_BUS_DYNAMICS) {
			apply_dsp_rt(g, g->n_strips + cmd->index, b->meter_first, b->n_ch, cmd->op == GRAPH_OP_BUS_FILTER, cmd);
			return;
		}
		if (cmd->op == GRAPH_OP_BUS_FADER)
			b->fader_gain = v;
		else
			b->mute = v != 0.0f;
		gain_ramp_set(&b->gain, bus_target(b), g->ramp_frames);
		return;
	}
	if (cmd->index >= g->n_strips)
		return;
	struct graph_strip *s = &g->strips[cmd->index];
	switch ((enum graph_op)cmd->op) {
	case GRAPH_OP_STRIP_FADER: s->fader_gain = v; break;
	case GRAPH_OP_STRIP_TRIM:
		s->trim_gain = v;
		gain_ramp_set(&s->pre, strip_pre_target(s), g->ramp_frames);
		return;
	case GRAPH_OP_STRIP_POLARITY:
		s->sign = v != 0.0f ? -1.0f : 1.0f;
		gain_ramp_set(&s->pre, strip_pre_target(s), g->ramp_frames);
		return;
	case GRAPH_OP_STRIP_FILTER:
	case GRAPH_OP_STRIP_DYNAMICS:
	case GRAPH_OP_STRIP_DELAY:
		apply_processing_rt(g, cmd);
		return;
	case GRAPH_OP_STRIP_MUTE: s->mute = v != 0.0f; break;
	case GRAPH_OP_STRIP_SOLO_SAFE: s->solo_safe = v != 0.0f; break;
	case GRAPH_OP_STRIP_SOLO: {
		const bool solo = v != 0.0f;
		if (solo == s->solo)
			return;
		const bool was_soloing = g->solo_count > 0;
		s->solo = solo;
		g->solo_count = solo ? g->solo_count + 1 : g->solo_count - 1;
		if (was_soloing != (g->solo_count > 0)) {
			/* Solo-in-place just switched on or off: every strip's gate changes. */
			for (uint32_t i = 0; i < g->n_strips; i++)
				retarget_strip(g, &g->strips[i]);
			return;
		}
		break;
	}
	case GRAPH_OP_STRIP_PAN_ROW: {
		if (cmd->channel >= s->n_in || cmd->feed >= s->n_feeds)
			return;
		struct graph_feed *f = &g->feeds[s->feed_first + cmd->feed];
		for (uint32_t o = 0; o < f->n_out; o++)
			gain_ramp_set(&g->pan[f->pan_first + cmd->channel * f->n_out + o],
			              cmd->value[o], g->ramp_frames);
		activity_set_row(&f->activity, cmd->channel, cmd->value, f->n_out, g->ramp_frames);
		return;
	}
	default:
		return;
	}
	retarget_strip(g, s);
}

/* Adds n_in signals x[] through a ramp matrix into the n_out buffers y[];
 * the ramp of (input c, output o) is ramps[c * in_stride + o * out_stride].
 * Silent ramps are skipped (a mono source in a 7.1.4 bus touches 2 of 12
 * outputs). */
RT static void mix_matrix(struct gain_ramp *ramps, uint32_t in_stride, uint32_t out_stride,
                          float *const *x, uint32_t n_in, float *const *y, uint32_t n_out, uint32_t n)
{
	for (uint32_t c = 0; c < n_in; c++)
		for (uint32_t o = 0; o < n_out; o++) {
			struct gain_ramp *r = &ramps[c * in_stride + o * out_stride];
			if (!gain_ramp_is_silent(r))
				gain_ramp_mix_rt(r, x[c], y[o], n);
		}
}

/* The ramps of a matrix whose input is silence: moved on, nothing added. */
RT static void skip_matrix(struct gain_ramp *ramps, uint32_t n_ramps, uint32_t n)
{
	for (uint32_t k = 0; k < n_ramps; k++)
		if (ramps[k].remaining)
			gain_ramp_skip_rt(&ramps[k], n);
}

/* Whether channels x[0 .. n_ch) are all exactly zero for n frames. */
RT static bool all_zero(float *const *x, uint32_t n_ch, uint32_t n)
{
	float most = 0.0f;
	for (uint32_t c = 0; c < n_ch; c++)
		most = peak_of_rt(x[c], n, most);
	return most == 0.0f;
}

/* The control room: the sources' matrices (only the selected one, and one
 * fading out, can sound) into the loudspeaker outputs, then in place each
 * loudspeaker's gain and alignment delay. */
RT static void process_monitor(struct graph *g, uint32_t n)
{
	struct graph_monitor *m = g->monitor;
	float *gains = g->scratch[0].scratch;
	for (uint32_t k = 0; k < m->n_sources; k++) {
		struct graph_monitor_source *src = &m->sources[k];
		if (activity_runs(&src->activity, n, NULL)) /* matrix [loudspeaker][source channel] */
			mix_matrix(&m->mat[src->mat_first], 1, src->n_ch, &g->blk[src->first], src->n_ch,
			           &g->blk[m->out_first], m->n_room, n);
	}
	for (uint32_t r = 0; r < m->n_room; r++) {
		float *const *x = &g->blk[m->out_first + r];
		gain_ramp_apply_rt(&m->gain[r], (const float *const *)x, x, 1, n, gains);
		delay_line_process_rt(&m->delay[r], x[0], x[0], n, g->ramp_frames);
	}
}

/* The filter sections of dsp unit u that change the signal now, in order;
 * *moving when one of them glides. */
RT static int active_sections(const struct strip_dsp *d, int active[GRAPH_SECTIONS], bool *moving)
{
	int n_active = 0;
	*moving = false;
	for (int k = 0; k < GRAPH_SECTIONS; k++)
		if (filter_section_active(&d->sec[k])) {
			active[n_active++] = k;
			*moving |= filter_section_moving(&d->sec[k]);
		}
	return n_active;
}

RT static void sanitize_sections(struct graph *g, uint32_t meter_first, uint32_t n_ch, const int *active, int n_active)
{
	for (int j = 0; j < n_active; j++) {
		struct filter_state *st = section_states(g, meter_first, n_ch, active[j]);
		for (uint32_t c = 0; c < n_ch; c++)
			filter_state_sanitize_rt(&st[c]);
	}
}

/* Filter lanes being filled: section j of lane l is co/st[j * FILTER_LANES + l]. */
struct lanes {
	const struct filter_coefs *co[GRAPH_SECTIONS * FILTER_LANES];
	struct filter_state *st[GRAPH_SECTIONS * FILTER_LANES];
	float *x[FILTER_LANES];
	int n;
};

/* Puts channels first .. first + count - 1 of dsp unit u (sections
 * active[0 .. k), states from meter_first, n_ch channels in all, signals
 * x[]) into the next lanes. */
RT static void add_lanes(struct graph *g, struct lanes *ln, uint32_t u, uint32_t meter_first, uint32_t n_ch,
                         const int *active, int k, float *const *x, uint32_t first, uint32_t count)
{
	for (uint32_t c = first; c < first + count; c++, ln->n++) {
		for (int j = 0; j < k; j++) {
			ln->co[j * FILTER_LANES + ln->n] = &g->dsp[u].sec[active[j]].c;
			ln->st[j * FILTER_LANES + ln->n] = &section_states(g, meter_first, n_ch, active[j])[c];
		}
		ln->x[ln->n] = x[c];
	}
}

/* The processing of dsp unit u (a strip's or bus's) on its n_ch channels
 * x[], whose first meter is meter_first: dynamics and filters in the
 * unit's order. Sections at rest run as one cascade per channel, up to
 * FILTER_LANES channels side by side; while one glides, section after
 * section. */
RT static void process_dsp(struct graph *g, uint32_t u, uint32_t meter_first, float *const *x, uint32_t n_ch,
                           uint32_t n, float *dyn_scratch)
{
	struct strip_dsp *d = &g->dsp[u];
	struct dynamics_channel *dch = &g->dyn_channels[meter_first];
	const bool dyn = dynamics_active(&d->dyn);
	if (dyn && d->dyn_pre_eq)
		dynamics_process_rt(&d->dyn, dch, x, n_ch, n, dyn_scratch);
	int active[GRAPH_SECTIONS] = {0};
	bool moving = false;
	const int n_active = active_sections(d, active, &moving);
	if (n_active > 0 && moving) {
		for (int j = 0; j < n_active; j++)
			filter_section_process_rt(&d->sec[active[j]], section_states(g, meter_first, n_ch, active[j]), x, n_ch, n);
	} else if (n_active > 0) {
		for (uint32_t first = 0; first < n_ch; first += FILTER_LANES) {
			struct lanes ln = {.n = 0};
			const uint32_t count = n_ch - first < FILTER_LANES ? n_ch - first : FILTER_LANES;
			add_lanes(g, &ln, u, meter_first, n_ch, active, n_active, x, first, count);
			filter_cascade_lanes_rt(ln.co, ln.st, n_active, ln.n, ln.x, n);
		}
	}
	sanitize_sections(g, meter_first, n_ch, active, n_active);
	if (dyn && !d->dyn_pre_eq)
		dynamics_process_rt(&d->dyn, dch, x, n_ch, n, dyn_scratch);
}

/* How many filter sections strip i runs side by side with other strips'
 * this period (filter_lanes), or 0 when it runs its own: a strip of at most
 * FILTER_LANES channels with sections at rest and no dynamics before its
 * EQ. active[]: those sections. */
RT static int lane_sections(const struct graph *g, uint32_t i, int active[GRAPH_SECTIONS])
{
	const struct strip_dsp *d = &g->dsp[i];
	if (g->strips[i].n_in > FILTER_LANES || (d->dyn_pre_eq && dynamics_active(&d->dyn)))
		return 0;
	bool moving;
	const int k = active_sections(d, active, &moving);
	return moving ? 0 : k;
}

/* Whether any of strip s's pre-fader sends can sound (then the strip runs
 * even with its fader closed). */
RT static bool pre_sends_live(const struct graph *g, const struct graph_strip *s)
{
	bool live = false;
	for (uint32_t f = s->send_first + 1; f < s->n_feeds; f += 2) {
		const struct row_activity *a = &g->feeds[s->feed_first + f].activity;
		live |= a->live_rows != 0 || a->fading > 0;
	}
	return live;
}

/* Adds strip s's channels x[] into the feeds of one tap (pre- or post-fader);
 * x all zero (`quiet`: most strips of a film mix, most of the time) adds
 * nothing, and the pan ramps only move on. */
RT static void mix_feeds(const struct strip_pass *p, const struct graph_strip *s, bool pre, bool quiet,
                         float *const *x)
{
	struct graph *g = p->g;
	const uint32_t n = p->n;
	for (uint32_t f = 0; f < s->n_feeds; f++) {
		struct graph_feed *fd = &g->feeds[s->feed_first + f];
		bool at_rest;
		if (fd->pre != pre || !activity_runs(&fd->activity, n, &at_rest))
			continue;
		struct gain_ramp *pan = &g->pan[fd->pan_first]; /* matrix [input channel][bus channel] */
		float *const *y = &p->chunk->acc[fd->out_first];
		if (!at_rest) {
			if (quiet)
				skip_matrix(pan, s->n_in * fd->n_out, n);
			else
				mix_matrix(pan, fd->n_out, 1, x, s->n_in, y, fd->n_out, n);
			continue;
		}
		/* at rest: the ramps with a target are the ones that sound (a mono
		 * strip in a 7.1.4 bus: 1 to 3 of 12), and a quiet strip has none
		 * to move on */
		for (uint32_t c = 0; !quiet && c < s->n_in; c++)
			for (uint32_t cols = fd->activity.live_cols[c]; cols; cols &= cols - 1) {
				const uint32_t o = (uint32_t)__builtin_ctz(cols);
				gain_ramp_mix_rt(&pan[c * fd->n_out + o], x[c], y[o], n);
			}
	}
}

/* A strip after its processing: pre-fader sends, fader, meters, the buses
 * and post-fader sends. */
RT static void finish_strip(const struct strip_pass *p, struct graph_strip *s, float *const *x)
{
	struct graph *g = p->g;
	const uint32_t n = p->n;
	struct meter *m = &g->meters[s->meter_first];
	const bool quiet = all_zero(x, s->n_in, n); /* then after the fader too */
	mix_feeds(p, s, true, quiet, x);
	gain_ramp_apply_rt(&s->gain, (const float *const *)x, x, s->n_in, n, p->sc->scratch);
	for (uint32_t c = 0; c < s->n_in && !g->unmetered; c++)
		meter_process_rt(&m[c], x[c], n, g->meter_k);
	mix_feeds(p, s, false, quiet, x);
}

_Static_assert(FILTER_LANES <= DYNAMICS_LANES, "a lane group's dynamics run in one call");

/* Strips with the same number of filter sections, all at rest, whose
 * channels wait in lane_buf, a block per channel: strip[0]'s first. */
struct lane_group {
	uint32_t strip[FILTER_LANES];
	int active[FILTER_LANES][GRAPH_SECTIONS]; /* each strip's sections (lane_sections) */
	int n;        /* strips */
	int lanes;    /* their channels */
	int k;        /* sections each */
};

/* Runs a group's filters side by side (one vector lane per channel), then
 * each strip's dynamics (their envelopes side by side too) and the rest, in
 * console order. */
RT static void finish_group(const struct strip_pass *p, struct lane_group *grp)
{
	struct graph *g = p->g;
	const uint32_t n = p->n;
	struct lanes ln = {.n = 0};
	int first[FILTER_LANES]; /* each strip's first lane */
	for (int l = 0; l < grp->n; l++) {
		const struct graph_strip *s = &g->strips[grp->strip[l]];
		float *x[FILTER_LANES];
		for (uint32_t c = 0; c < s->n_in; c++)
			x[c] = p->sc->lane_buf + (size_t)(ln.n + (int)c) * GRAPH_BLOCK_FRAMES;
		first[l] = ln.n;
		add_lanes(g, &ln, grp->strip[l], s->meter_first, s->n_in, grp->active[l], grp->k, x, 0, s->n_in);
	}
	filter_cascade_lanes_rt(ln.co, ln.st, grp->k, ln.n, ln.x, n);
	/* Compressors and gates at rest: each strip's detector, then the gain
	 * computers, envelopes and gains of all of them in vectors (a lane per
	 * strip: a strip's channels share one). */
	struct dynamics *dyn[FILTER_LANES];
	const float *det[FILTER_LANES];
	float *gain[FILTER_LANES];
	bool in_lanes[FILTER_LANES];
	int n_dyn = 0;
	for (int l = 0; l < grp->n; l++) {
		const struct graph_strip *s = &g->strips[grp->strip[l]];
		sanitize_sections(g, s->meter_first, s->n_in, grp->active[l], grp->k);
		struct dynamics *d = &g->dsp[grp->strip[l]].dyn;
		in_lanes[l] = dynamics_block_ready(d);
		if (!in_lanes[l])
			continue;
		float *w = p->sc->lane_dyn + (size_t)2 * n_dyn * GRAPH_BLOCK_FRAMES;
		det[n_dyn] = dynamics_detector_rt(d, &g->dyn_channels[s->meter_first], &ln.x[first[l]], s->n_in, n, w,
		                                  p->sc->dyn_scratch);
		dyn[n_dyn] = d;
		gain[n_dyn++] = w + GRAPH_BLOCK_FRAMES;
	}
	if (n_dyn > 0) /* a group's strips are at most DYNAMICS_LANES (the assertion above) */
		dynamics_gains_lanes_rt(dyn, det, gain, n_dyn, n);
	for (int l = 0, lane = 0; l < grp->n; l++) {
		struct graph_strip *s = &g->strips[grp->strip[l]];
		struct dynamics *d = &g->dsp[grp->strip[l]].dyn;
		struct dynamics_channel *dch = &g->dyn_channels[s->meter_first];
		float *const *sx = &ln.x[first[l]];
		if (in_lanes[l])
			dynamics_finish_rt(d, dch, sx, s->n_in, n, gain[lane++], p->sc->dyn_scratch);
		else if (dynamics_active(d)) /* a de-esser alone, or parameters gliding */
			dynamics_process_rt(d, dch, sx, s->n_in, n, p->sc->dyn_scratch);
		finish_strip(p, s, sx);
	}
	grp->n = grp->lanes = 0;
}

/* Strip i's input held NaN, infinities or absurd values (another client
 * gone wrong): the whole block is silence, its filters and dynamics side
 * chains start again from rest, and the fault is counted for the control
 * thread. The buses never see it. */
RT static void mute_bad_input(struct graph *g, uint32_t i, float *const *x, uint32_t n)
{
	const struct graph_strip *s = &g->strips[i];
	for (uint32_t c = 0; c < s->n_in; c++)
		memset(x[c], 0, n * sizeof(float));
	memset(section_states(g, s->meter_first, s->n_in, 0), 0, sizeof(struct filter_state) * GRAPH_SECTIONS * s->n_in);
	memset(&g->dyn_channels[s->meter_first], 0, sizeof(struct dynamics_channel) * s->n_in);
	atomic_fetch_add_explicit(&g->gr[i].bad_input, 1, memory_order_relaxed);
}

/* A chunk's strips in one block: each strip's input, trim and delay, its
 * processing, and its feeds into the chunk's bus blocks. */
RT static void process_chunk(const struct strip_pass *p)
{
	struct graph *g = p->g;
	const struct graph_chunk *ch = p->chunk;
	const uint32_t off = p->off, n = p->n;
	const float k = g->meter_k;
	float *const *post = p->sc->post;
	for (uint32_t j = 0; j < ch->n_fed; j++) /* none in chunk 0, which adds into the buses */
		memset(ch->acc[ch->fed[j]], 0, n * sizeof(float));

	struct lane_group group = {.n = 0, .lanes = 0};
	for (uint32_t i = ch->first; i < ch->end; i++) {
		if (g->adopting)
			adopt_strip_rt(g, i, g->adopting);
		struct graph_strip *s = &g->strips[i];
		struct meter *m = &g->meters[s->meter_first];
		const bool silent = gain_ramp_is_silent(&s->gain) && !pre_sends_live(g, s);
		/* Strips whose filters can run side by side gather in a group;
		 * any other strip first lets the group finish, so that every strip
		 * still reaches the buses in console order. */
		int active[GRAPH_SECTIONS];
		const int lanes_k = silent ? 0 : lane_sections(g, i, active);
		if (group.n > 0 && (lanes_k != group.k || group.lanes + (int)s->n_in > FILTER_LANES))
			finish_group(p, &group);
		float *lane_x[FILTER_LANES];
		for (uint32_t c = 0; lanes_k && c < s->n_in; c++)
			lane_x[c] = p->sc->lane_buf + (size_t)(group.lanes + (int)c) * GRAPH_BLOCK_FRAMES;
		float *const *x = lanes_k ? lane_x : post;
		/* A muted strip's delay lines still take the input, so that
		 * unmuting plays what arrived a delay ago. */
		const bool delays = g->rings[i] != NULL;
		if (!silent || delays) {
			const float *in[LAYOUT_MAX_CHANNELS];
			for (uint32_t c = 0; c < s->n_in; c++)
				in[c] = g->ports.in[s->in_first + c] + off;
			if (gain_ramp_apply_rt(&s->pre, in, x, s->n_in, n, p->sc->scratch))
				mute_bad_input(g, i, x, n);
			for (uint32_t c = 0; delays && c < s->n_in; c++)
				delay_line_process_rt(&g->delays[s->meter_first + c], x[c], x[c], n, g->ramp_frames);
		}
		if (silent) {
			/* Muted or at -inf: the meters fall, nothing reaches the bus. */
			for (uint32_t c = 0; c < s->n_in; c++)
				meter_silence_rt(&m[c], k);
			continue;
		}
		if (lanes_k) {
			memcpy(group.active[group.n], active, (size_t)lanes_k * sizeof *active);
			group.strip[group.n++] = i;
			group.lanes += (int)s->n_in;
			group.k = lanes_k;
			if (group.lanes == FILTER_LANES)
				finish_group(p, &group);
			continue;
		}
		process_dsp(g, i, s->meter_first, post, s->n_in, n, p->sc->dyn_scratch);
		finish_strip(p, s, post);
	}
	if (group.n > 0)
		finish_group(p, &group);
}

/* Takes the block's chunks one after the other until none is left: on the
 * process thread, and as the worker's task. Which thread runs a chunk
 * changes nothing in its result. */
RT static void take_chunks_rt(void *arg)
{
	const struct graph_thread *t = arg;
	struct graph *g = t->g;
	for (;;) {
		const uint32_t c = atomic_fetch_add_explicit(&g->next_chunk, 1, memory_order_relaxed);
		if (c >= g->n_chunks)
			return;
		const struct strip_pass p = {g, t->sc, &g->chunks[c], g->blk_off, g->blk_n};
		process_chunk(&p);
	}
}

/* Bus bi's outputs x[0 .. n_ch)[0 .. n) into its K-weighting, ending the
 * steps that end in them. */
RT static void measure_loudness_rt(struct graph *g, uint32_t bi, const float *const *x, uint32_t n)
{
	struct graph_bus *b = &g->buses[bi];
	struct k_weighting *kw = &g->loudness[bi];
	uint32_t in_step = g->frames_in_step;
	for (uint32_t done = 0; done < n;) {
		const uint32_t to_step = g->step_frames - in_step, len = n - done < to_step ? n - done : to_step;
		const float *ch[LAYOUT_MAX_CHANNELS];
		for (uint32_t c = 0; c < b->n_ch; c++)
			ch[c] = x[c] + done;
		k_weighting_process_rt(kw, ch, len);
		done += len;
		in_step += len;
		if (in_step < g->step_frames)
			continue;
		in_step = 0;
		const double energy = k_weighting_take_rt(kw) / g->step_frames;
		if (!b->step_partial && g->n_steps < g->cap_steps)
			g->steps[g->n_steps++] = (struct graph_loudness_step){bi, energy};
		b->step_partial = false;
	}
}

RT const struct graph_loudness_step *graph_loudness_steps(const struct graph *g, uint32_t *n)
{
	*n = g->n_steps;
	return g->steps;
}

RT bool graph_bus_loudness(const struct graph *g, uint32_t b, uint32_t *lineage, uint32_t *resets, float *true_peak)
{
	const struct graph_bus *gb = &g->buses[b];
	float most = 0.0f;
	for (uint32_t c = 0; c < gb->n_ch; c++)
		most = g->meters[gb->meter_first + c].true_peak_run > most ? g->meters[gb->meter_first + c].true_peak_run : most;
	*lineage = gb->lineage;
	*resets = gb->loudness_resets;
	*true_peak = most;
	return gb->measured;
}

RT static void process_block(struct graph *g, uint32_t off, uint32_t n, struct worker *w)
{
	const float k = g->meter_k;
	float *gains = g->scratch[0].scratch;
	float *const *blk = g->blk;

	for (uint32_t o = 0; o < g->ports.n_out; o++)
		g->blk[o] = g->ports.out[o] + off;
	for (uint32_t o = 0; o < g->n_blk; o++)
		memset(blk[o], 0, n * sizeof(float));

	/* The strips: chunks taken by this thread and the worker side by side;
	 * then each chunk's bus blocks into the buses, in chunk order. */
	g->blk_off = off;
	g->blk_n = n;
	atomic_store_explicit(&g->next_chunk, 0, memory_order_relaxed);
	const bool forked = w && g->n_chunks > 1;
	if (forked)
		worker_fork_rt(w, take_chunks_rt, &g->threads[1]);
	take_chunks_rt(&g->threads[0]);
	if (forked)
		worker_join_rt(w);
	for (uint32_t c = 1; c < g->n_chunks; c++) {
		const struct graph_chunk *ch = &g->chunks[c];
		for (uint32_t j = 0; j < ch->n_fed; j++)
			gain_mix_constant_rt(ch->acc[ch->fed[j]], 1.0f, blk[ch->fed[j]], n);
	}

	/* Buses in order: an aux takes its return (sanitised) as its signal;
	 * then processing, fader, meters, and the sum into the buses it feeds. */
	for (uint32_t k_ = 0; k_ < g->n_buses; k_++) {
		const uint32_t bi = g->bus_order[k_];
		struct graph_bus *b = &g->buses[bi];
		float *const *x = &blk[b->sig_first];
		for (uint32_t c = 0; b->return_first != NO_RETURN && c < b->n_ch; c++)
			gain_scale_sanitized_rt(g->ports.in[b->return_first + c] + off, 1.0f, x[c], n);
		process_dsp(g, g->n_strips + bi, b->meter_first, x, b->n_ch, n, g->scratch[0].dyn_scratch);
		gain_ramp_apply_rt(&b->gain, (const float *const *)x, x, b->n_ch, n, gains);
		for (uint32_t r = 0; r < b->n_routes; r++) {
			const struct graph_route *rt = &g->routes[b->route_first + r];
			for (uint32_t d = 0; d < rt->dest_channels; d++)
				for (uint32_t c = 0; c < b->n_ch; c++)
					if (rt->fold.m[d][c] != 0.0f)
						gain_mix_constant_rt(x[c], rt->fold.m[d][c], blk[rt->dest_first + d], n);
		}
		/* A master's limiter acts on its outputs only: what it feeds (a
		 * fold-down master with a ceiling of its own) stays in time. The
		 * meters read what leaves. */
		if (b->limiter)
			limiter_process_rt(b->limiter, x, n);
		for (uint32_t c = 0; c < b->n_ch; c++)
			meter_process_rt(&g->meters[b->meter_first + c], x[c], n, k);
		if (b->measured)
			measure_loudness_rt(g, bi, (const float *const *)x, n);
	}
	g->frames_in_step = (g->frames_in_step + n) % g->step_frames;
	if (g->monitor)
		process_monitor(g, n);
}

RT void graph_process_rt(struct graph *g, uint32_t n, uint32_t peak_epoch, uint32_t hold_epoch, struct worker *w)
{
	g->n_steps = 0;
	if (peak_epoch != g->peak_epoch_seen) {
		g->peak_epoch_seen = peak_epoch;
		for (uint32_t i = 0; i < g->n_meters; i++)
			g->meters[i].peak = g->meters[i].true_peak = 0.0f;
	}
	if (hold_epoch != g->hold_epoch_seen) {
		g->hold_epoch_seen = hold_epoch;
		for (uint32_t i = 0; i < g->n_meters; i++) {
			g->meters[i].true_peak_max = 0.0f;
			g->meters[i].overs = 0;
		}
	}
	for (uint32_t off = 0; off < n; off += GRAPH_BLOCK_FRAMES) {
		const uint32_t len = n - off < GRAPH_BLOCK_FRAMES ? n - off : GRAPH_BLOCK_FRAMES;
		if (len != g->meter_k_frames) {
			/* Once per period change, not per meter. */
			g->meter_k_frames = len;
			g->meter_k = meter_block_coefficient(g->sample_rate, GRAPH_METER_RMS_MS, len);
		}
		process_block(g, off, len, w);
		g->adopting = NULL; /* the first block's chunks took every strip over */
	}
	if (g->adopting) { /* no block (n = 0): the strips are taken over all the same */
		for (uint32_t i = 0; i < g->n_strips; i++)
			adopt_strip_rt(g, i, g->adopting);
		g->adopting = NULL;
	}
	for (uint32_t i = 0; i < g->n_strips + g->n_buses; i++) {
		struct dynamics *d = &g->dsp[i].dyn;
		atomic_store_explicit(&g->gr[i].gate, d->gate_gr_max, memory_order_relaxed);
		atomic_store_explicit(&g->gr[i].comp, d->comp_gr_max, memory_order_relaxed);
		atomic_store_explicit(&g->gr[i].deess, d->deess_gr_max, memory_order_relaxed);
		d->gate_gr_max = d->comp_gr_max = d->deess_gr_max = 0.0f;
	}
	for (uint32_t b = 0; b < g->n_buses; b++)
		if (g->buses[b].limiter)
			atomic_store_explicit(&g->gr[g->n_strips + b].limit, limiter_take_reduction_rt(g->buses[b].limiter),
			                      memory_order_relaxed);
	for (uint32_t i = 0; i < g->n_meters; i++) {
		atomic_store_explicit(&g->readouts[i].peak, g->meters[i].peak, memory_order_relaxed);
		atomic_store_explicit(&g->readouts[i].mean_square, g->meters[i].mean_square,
		                      memory_order_relaxed);
		atomic_store_explicit(&g->readouts[i].true_peak, g->meters[i].true_peak, memory_order_relaxed);
		atomic_store_explicit(&g->readouts[i].true_peak_max, g->meters[i].true_peak_max,
		                      memory_order_relaxed);
		atomic_store_explicit(&g->readouts[i].overs, g->meters[i].overs, memory_order_relaxed);
	}
}
