#include "engine/graph.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsp/gain.h"
#include "dsp/meter.h"
#include "dsp/panner.h"
#include "dsp/room.h"
#include "engine/monitor.h"

struct graph_feed {       /* a strip panned into one of its buses */
	uint32_t bus;
	uint32_t out_first;    /* first output of the bus */
	uint32_t n_out;
	uint32_t pan_first;    /* n_in * n_out ramps, row-major by input channel */
};

struct graph_strip {
	uint32_t in_first;     /* first input port */
	uint32_t n_in;
	uint32_t feed_first;
	uint32_t n_feeds;
	uint32_t meter_first;  /* n_in meters */
	int32_t prev_index;    /* same-named strip in the previous graph, or -1 */
	struct gain_ramp gain; /* trim * polarity * fader * mute * solo, one ramp */
	float fader_gain;
	float trim_gain;
	float sign;
	uint32_t solo_tail;    /* frames the solo feed keeps running after unsolo */
	bool mute, solo, solo_safe;
};

struct graph_route {       /* a source bus summed into a master */
	uint32_t dest_first;
	uint32_t dest_channels;
	struct downmix_matrix fold; /* [dest][src] */
};

struct graph_bus {
	uint32_t out_first;
	uint32_t n_ch;
	uint32_t meter_first;
	uint32_t route_first;
	uint32_t n_routes;
	int32_t prev_index;
	enum layout_id format;
	struct gain_ramp gain; /* fader * mute */
	float fader_gain;
	bool mute;
};

struct graph_monitor_source { /* a bus the monitor can play */
	uint32_t first;        /* its first buffer in graph.blk */
	uint32_t n_ch;
	uint32_t mat_first;    /* n_room * n_ch ramps, row-major by loudspeaker */
	int32_t prev_index;    /* the same source in the previous graph, or -1 */
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
	struct monitor_delay delay[LAYOUT_MAX_CHANNELS];
	float *delay_buf;      /* n_room rings */
	float *solo_buf;       /* n_room blocks: the solo bus */
	float *acc;            /* n_room blocks */
};

struct graph {
	uint32_t generation;
	uint32_t prev_generation;  /* generation of `previous` at build time */
	uint32_t ramp_frames;
	float sample_rate;
	uint32_t n_strips, n_buses;
	struct graph_strip *strips;
	enum layout_id *strip_input;  /* for adopting pan ramps: layouts must match */
	struct graph_bus *buses;
	uint32_t *bus_order;
	struct graph_route *routes;
	struct graph_feed *feeds;
	uint32_t n_feeds;
	struct gain_ramp *pan;
	uint32_t n_pan;
	struct meter *meters;         /* RT-private integrators */
	struct graph_meter_readout *readouts;
	uint32_t n_meters;
	uint32_t solo_count;
	uint32_t meter_epoch_seen;
	uint32_t meter_k_frames;
	float meter_k;
	struct graph_ports ports;
	float **blk;                  /* this block's buffers: outputs at the block's offset, then the solo bus */
	uint32_t n_blk;
	struct graph_monitor *monitor; /* NULL: no monitor section */
	float *scratch;               /* LAYOUT_MAX_CHANNELS + 1 blocks */
	char (*strip_names)[CONSOLE_NAME_MAX]; /* for matching the next graph */
	char (*bus_names)[CONSOLE_NAME_MAX];
};

static float strip_target(const struct graph *g, const struct graph_strip *s)
{
	const bool solo_muted = g->solo_count > 0 && !s->solo && !s->solo_safe;
	return (s->mute || solo_muted) ? 0.0f : s->trim_gain * s->sign * s->fader_gain;
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
		src->first = k < c->n_buses ? g->buses[k].out_first : m->solo_first;
		src->mat_first = m->n_mat;
		src->prev_index = -1;
		m->n_mat += m->n_room * src->n_ch;
	}
	m->mat = xcalloc(m->n_mat, sizeof *m->mat, &failed);
	const uint32_t ring = monitor_delay_size((uint32_t)ceilf(CONSOLE_MONITOR_DELAY_MAX_MS * 0.001f * g->sample_rate),
	                                         GRAPH_BLOCK_FRAMES);
	m->delay_buf = xcalloc((size_t)ring * m->n_room, sizeof(float), &failed);
	m->solo_buf = xcalloc((size_t)GRAPH_BLOCK_FRAMES * m->n_room, sizeof(float), &failed);
	m->acc = xcalloc((size_t)GRAPH_BLOCK_FRAMES * m->n_room, sizeof(float), &failed);
	if (failed)
		return -1;
	for (uint32_t k = 0; k < m->n_sources; k++) {
		float mm[LAYOUT_MAX_CHANNELS][LAYOUT_MAX_CHANNELS];
		monitor_matrix(c, k, mm);
		const struct graph_monitor_source *src = &m->sources[k];
		for (uint32_t r = 0; r < m->n_room; r++)
			for (uint32_t ch = 0; ch < src->n_ch; ch++)
				gain_ramp_init(&m->mat[src->mat_first + r * src->n_ch + ch], mm[r][ch]);
	}
	float gains[LAYOUT_MAX_CHANNELS];
	monitor_speaker_gains(c, gains);
	for (uint32_t r = 0; r < m->n_room; r++) {
		/* Like every gain of a new graph: from 0 (graph_adopt_rt takes
		 * over the running value when there was a monitor before). */
		gain_ramp_init(&m->gain[r], 0.0f);
		gain_ramp_set(&m->gain[r], gains[r], g->ramp_frames);
		struct monitor_delay *d = &m->delay[r];
		d->buf = m->delay_buf + (size_t)r * ring;
		d->mask = ring - 1;
		d->tap = d->next_tap = d->wanted =
			(uint32_t)lrintf(cm->speaker[r].delay_ms * 0.001f * g->sample_rate);
		g->blk[m->solo_first + r] = m->solo_buf + (size_t)r * GRAPH_BLOCK_FRAMES;
	}
	return 0;
}

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
	const uint32_t n_room = c->monitor ? layout_get(c->monitor->room)->channels : 0;
	uint32_t n_pan = 0, n_routes = 0, n_feeds = 0;
	for (uint32_t i = 0; i < c->n_strips; i++) {
		const uint32_t n_ch = layout_get(c->strips[i].input)->channels;
		for (uint32_t f = 0; f < c->strips[i].n_bus; f++, n_feeds++)
			n_pan += n_ch * layout_get(c->buses[c->strips[i].bus[f]].format)->channels;
		if (c->monitor) { /* the solo feed, after the strip's own */
			n_feeds++;
			n_pan += n_ch * n_room;
		}
	}
	for (uint32_t b = 0; b < c->n_buses; b++)
		n_routes += c->buses[b].n_sources;

	g->strips = xcalloc(c->n_strips, sizeof *g->strips, &failed);
	g->strip_input = xcalloc(c->n_strips, sizeof *g->strip_input, &failed);
	g->strip_names = xcalloc(c->n_strips, sizeof *g->strip_names, &failed);
	g->buses = xcalloc(c->n_buses, sizeof *g->buses, &failed);
	g->bus_names = xcalloc(c->n_buses, sizeof *g->bus_names, &failed);
	g->bus_order = xcalloc(c->n_buses, sizeof *g->bus_order, &failed);
	g->routes = xcalloc(n_routes, sizeof *g->routes, &failed);
	g->feeds = xcalloc(n_feeds, sizeof *g->feeds, &failed);
	g->n_feeds = n_feeds;
	g->pan = xcalloc(n_pan, sizeof *g->pan, &failed);
	g->n_pan = n_pan;
	g->n_meters = n_in + n_out;
	g->meters = xcalloc(g->n_meters, sizeof *g->meters, &failed);
	g->readouts = xcalloc(g->n_meters, sizeof *g->readouts, &failed);
	g->ports.n_in = n_in;
	g->ports.n_out = n_out;
	g->ports.in = xcalloc(n_in, sizeof *g->ports.in, &failed);
	g->ports.out = xcalloc(n_out, sizeof *g->ports.out, &failed);
	g->ports.in_handle = xcalloc(n_in, sizeof *g->ports.in_handle, &failed);
	g->ports.out_handle = xcalloc(n_out, sizeof *g->ports.out_handle, &failed);
	g->n_blk = n_out + n_room;
	g->blk = xcalloc(g->n_blk, sizeof *g->blk, &failed);
	const size_t scratch_bytes = sizeof(float) * GRAPH_BLOCK_FRAMES * (LAYOUT_MAX_CHANNELS + 1);
	g->scratch = aligned_alloc(64, scratch_bytes);
	if (failed || !g->scratch) {
		graph_free(g);
		snprintf(err, errlen, "out of memory building the graph");
		return NULL;
	}
	memset(g->scratch, 0, scratch_bytes);

	/* Buses: output ports in console order; bus meters after the strip meters. */
	uint32_t out_port = 0, meter = n_in;
	for (uint32_t b = 0; b < c->n_buses; b++) {
		const struct console_bus *cb = &c->buses[b];
		struct graph_bus *gb = &g->buses[b];
		memcpy(g->bus_names[b], cb->name, CONSOLE_NAME_MAX);
		gb->out_first = out_port;
		gb->n_ch = layout_get(cb->format)->channels;
		gb->format = cb->format;
		gb->meter_first = meter;
		gb->fader_gain = gain_from_db(cb->params.fader_db);
		gb->mute = cb->params.mute;
		gb->prev_index = -1;
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
				r->dest_first = g->buses[d].out_first;
				r->dest_channels = g->buses[d].n_ch;
				if (downmix_matrix(console_bus_downmix(c, d), c->buses[src].format, cd->format, &r->fold,
				                   NULL, NULL) < 0) {
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
		s->n_feeds = cs->n_bus;
		s->meter_first = meter;
		s->fader_gain = gain_from_db(cs->params.fader_db);
		s->trim_gain = gain_from_db(cs->params.trim_db);
		s->sign = cs->params.polarity_inverted ? -1.0f : 1.0f;
		s->mute = cs->params.mute;
		s->solo = cs->params.solo;
		s->solo_safe = cs->params.solo_safe;
		s->prev_index = -1;
		g->strip_input[i] = cs->input;
		if (s->solo)
			g->solo_count++;

		for (uint32_t f = 0; f < cs->n_bus; f++) {
			struct graph_feed *gf = &g->feeds[feed++];
			const struct layout *bl = layout_get(c->buses[cs->bus[f]].format);
			gf->bus = cs->bus[f];
			gf->out_first = g->buses[cs->bus[f]].out_first;
			gf->n_out = bl->channels;
			gf->pan_first = pan;
			float m[LAYOUT_MAX_CHANNELS][LAYOUT_MAX_CHANNELS];
			graph_pan_matrix(in, bl, &cs->params, m);
			for (uint32_t ci = 0; ci < s->n_in; ci++)
				for (uint32_t o = 0; o < gf->n_out; o++)
					gain_ramp_init(&g->pan[pan + ci * gf->n_out + o], m[ci][o]);
			pan += s->n_in * gf->n_out;
		}
		if (c->monitor) {
			struct graph_feed *gf = &g->feeds[feed++];
			gf->bus = UINT32_MAX;
			gf->out_first = g->monitor->solo_first;
			gf->n_out = n_room;
			gf->pan_first = pan;
			float m[LAYOUT_MAX_CHANNELS][LAYOUT_MAX_CHANNELS];
			graph_solo_matrix(c, i, m);
			for (uint32_t ci = 0; ci < s->n_in; ci++)
				for (uint32_t o = 0; o < n_room; o++)
					gain_ramp_init(&g->pan[pan + ci * n_room + o], m[ci][o]);
			pan += s->n_in * n_room;
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
	}
	for (uint32_t b = 0; b < c->n_buses; b++) {
		gain_ramp_init(&g->buses[b].gain, 0.0f);
		gain_ramp_set(&g->buses[b].gain, bus_target(&g->buses[b]), g->ramp_frames);
	}
	if (previous)
		map_previous(g, previous);

	g->meter_k_frames = GRAPH_BLOCK_FRAMES;
	g->meter_k = meter_block_coefficient(sample_rate, GRAPH_METER_RMS_MS, GRAPH_BLOCK_FRAMES);
	return g;
}

void graph_free(struct graph *g)
{
	if (!g)
		return;
	free(g->strips);
	free(g->strip_input);
	free(g->strip_names);
	free(g->buses);
	free(g->bus_names);
	free(g->bus_order);
	free(g->routes);
	free(g->feeds);
	free(g->pan);
	free(g->meters);
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
		free(g->monitor->acc);
		free(g->monitor);
	}
	free(g->scratch);
	free(g);
}

struct graph_ports *graph_ports(struct graph *g) { return &g->ports; }
uint32_t graph_generation(const struct graph *g) { return g->generation; }
void graph_set_generation(struct graph *g, uint32_t generation) { g->generation = generation; }
uint32_t graph_strip_count(const struct graph *g) { return g->n_strips; }
uint32_t graph_bus_count(const struct graph *g) { return g->n_buses; }

const struct graph_meter_readout *graph_strip_meters(const struct graph *g, uint32_t s, uint32_t *n)
{
	*n = g->strips[s].n_in;
	return &g->readouts[g->strips[s].meter_first];
}

const struct graph_meter_readout *graph_bus_meters(const struct graph *g, uint32_t b, uint32_t *n)
{
	*n = g->buses[b].n_ch;
	return &g->readouts[g->buses[b].meter_first];
}

/* ---- RT part ---------------------------------------------------------- */

RT static void restart_ramp(struct gain_ramp *r, float from, uint32_t frames)
{
	const float target = r->target;
	r->current = from;
	gain_ramp_set(r, target, frames);
}

/* The monitor carries over when the room is the same: loudspeaker gains,
 * the matrices of the sources both graphs have, and the delay lines with
 * their contents (else the audio in flight would stop with a click). */
RT static void adopt_monitor_rt(struct graph *g, const struct graph *old)
{
	struct graph_monitor *m = g->monitor;
	const struct graph_monitor *om = old->monitor;
	if (!m || !om || m->room != om->room)
		return;
	for (uint32_t r = 0; r < m->n_room; r++) {
		restart_ramp(&m->gain[r], om->gain[r].current, g->ramp_frames);
		if (m->delay[r].mask == om->delay[r].mask) {
			memcpy(m->delay[r].buf, om->delay[r].buf, (m->delay[r].mask + 1) * sizeof(float));
			m->delay[r].write = om->delay[r].write;
			m->delay[r].tap = m->delay[r].next_tap = om->delay[r].tap;
			m->delay[r].fade = 0.0f;
		}
	}
	for (uint32_t k = 0; k < m->n_sources; k++) {
		const int32_t ok = k + 1 == m->n_sources ? (int32_t)om->n_sources - 1 : g->buses[k].prev_index;
		if (ok < 0 || om->sources[ok].n_ch != m->sources[k].n_ch)
			continue;
		const uint32_t n = m->n_room * m->sources[k].n_ch;
		for (uint32_t j = 0; j < n; j++)
			restart_ramp(&m->mat[m->sources[k].mat_first + j], om->mat[om->sources[ok].mat_first + j].current,
			             g->ramp_frames);
	}
}

RT void graph_adopt_rt(struct graph *g, const struct graph *old)
{
	if (!old || g->prev_generation != old->generation)
		return; /* built against another graph: the indices would not match */
	for (uint32_t i = 0; i < g->n_strips; i++) {
		struct graph_strip *s = &g->strips[i];
		if (s->prev_index < 0)
			continue;
		const struct graph_strip *o = &old->strips[s->prev_index];
		restart_ramp(&s->gain, o->gain.current, g->ramp_frames);
		for (uint32_t c = 0; c < s->n_in && c < o->n_in; c++)
			g->meters[s->meter_first + c] = old->meters[o->meter_first + c];
		/* Pan gains carry over, feed by feed, where the strip's input and
		 * the bus (matched by name) keep their layouts. */
		if (g->strip_input[i] != old->strip_input[s->prev_index])
			continue;
		if (g->monitor && old->monitor && g->monitor->room == old->monitor->room)
			for (uint32_t k = 0; k < s->n_in * g->monitor->n_room; k++) /* the solo feed */
				restart_ramp(&g->pan[g->feeds[s->feed_first + s->n_feeds].pan_first + k],
				             old->pan[old->feeds[o->feed_first + o->n_feeds].pan_first + k].current,
				             g->ramp_frames);
		for (uint32_t f = 0; f < s->n_feeds; f++) {
			const struct graph_feed *gf = &g->feeds[s->feed_first + f];
			const int32_t old_bus = g->buses[gf->bus].prev_index;
			for (uint32_t of = 0; of < o->n_feeds; of++) {
				const struct graph_feed *ofd = &old->feeds[o->feed_first + of];
				if ((int32_t)ofd->bus != old_bus || ofd->n_out != gf->n_out)
					continue;
				for (uint32_t k = 0; k < s->n_in * gf->n_out; k++)
					restart_ramp(&g->pan[gf->pan_first + k], old->pan[ofd->pan_first + k].current,
					             g->ramp_frames);
			}
		}
	}
	for (uint32_t b = 0; b < g->n_buses; b++) {
		struct graph_bus *gb = &g->buses[b];
		if (gb->prev_index < 0)
			continue;
		const struct graph_bus *o = &old->buses[gb->prev_index];
		restart_ramp(&gb->gain, o->gain.current, g->ramp_frames);
		for (uint32_t c = 0; c < gb->n_ch && c < o->n_ch; c++)
			g->meters[gb->meter_first + c] = old->meters[o->meter_first + c];
	}
	g->meter_epoch_seen = old->meter_epoch_seen;
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
		const struct graph_monitor_source *src = &m->sources[cmd->index];
		for (uint32_t ch = 0; ch < src->n_ch; ch++)
			gain_ramp_set(&m->mat[src->mat_first + cmd->channel * src->n_ch + ch], cmd->value[ch],
			              g->ramp_frames);
		return;
	}
	case GRAPH_OP_MONITOR_GAINS:
		for (uint32_t r = 0; r < m->n_room; r++)
			gain_ramp_set(&m->gain[r], cmd->value[r], g->ramp_frames);
		return;
	case GRAPH_OP_MONITOR_DELAYS:
		for (uint32_t r = 0; r < m->n_room; r++)
			monitor_delay_set_rt(&m->delay[r], cmd->value[r] > 0.0f ? (uint32_t)cmd->value[r] : 0);
		return;
	default:
		return;
	}
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
	case GRAPH_OP_STRIP_TRIM: s->trim_gain = v; break;
	case GRAPH_OP_STRIP_MUTE: s->mute = v != 0.0f; break;
	case GRAPH_OP_STRIP_POLARITY: s->sign = v != 0.0f ? -1.0f : 1.0f; break;
	case GRAPH_OP_STRIP_SOLO_SAFE: s->solo_safe = v != 0.0f; break;
	case GRAPH_OP_STRIP_SOLO: {
		const bool solo = v != 0.0f;
		if (solo == s->solo)
			return;
		const bool was_soloing = g->solo_count > 0;
		s->solo = solo;
		/* The solo feed fades out on its own ramps: keep running it until then. */
		s->solo_tail = solo ? 0 : g->ramp_frames + GRAPH_BLOCK_FRAMES;
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
		/* feed == n_feeds is the solo feed, when there is a monitor */
		if (cmd->channel >= s->n_in || cmd->feed > s->n_feeds || (cmd->feed == s->n_feeds && !g->monitor))
			return;
		const struct graph_feed *f = &g->feeds[s->feed_first + cmd->feed];
		for (uint32_t o = 0; o < f->n_out; o++)
			gain_ramp_set(&g->pan[f->pan_first + cmd->channel * f->n_out + o],
			              cmd->value[o], g->ramp_frames);
		return;
	}
	default:
		return;
	}
	retarget_strip(g, s);
}

/* Mixes strip s's scratch signal y (input channel c) into one feed. */
RT static void mix_feed(struct graph *g, const struct graph_feed *fd, uint32_t c, const float *y, uint32_t n)
{
	struct gain_ramp *pan = &g->pan[fd->pan_first + c * fd->n_out];
	for (uint32_t o = 0; o < fd->n_out; o++) {
		if (gain_ramp_is_silent(&pan[o]))
			continue;
		gain_ramp_mix_rt(&pan[o], y, g->blk[fd->out_first + o], n);
	}
}

/* The control room: the sources' matrices (only the selected one, or the one
 * fading out, is not silent) into the loudspeakers, then each loudspeaker's
 * gain and alignment delay. */
RT static void process_monitor(struct graph *g, uint32_t n)
{
	struct graph_monitor *m = g->monitor;
	float *gains = g->scratch;
	memset(m->acc, 0, sizeof(float) * GRAPH_BLOCK_FRAMES * m->n_room);
	for (uint32_t k = 0; k < m->n_sources; k++) {
		const struct graph_monitor_source *src = &m->sources[k];
		for (uint32_t r = 0; r < m->n_room; r++) {
			struct gain_ramp *row = &m->mat[src->mat_first + r * src->n_ch];
			for (uint32_t ch = 0; ch < src->n_ch; ch++) {
				if (gain_ramp_is_silent(&row[ch]))
					continue;
				gain_ramp_mix_rt(&row[ch], g->blk[src->first + ch], m->acc + r * GRAPH_BLOCK_FRAMES, n);
			}
		}
	}
	for (uint32_t r = 0; r < m->n_room; r++) {
		float *x = m->acc + r * GRAPH_BLOCK_FRAMES;
		gain_ramp_fill_rt(&m->gain[r], gains, n);
		gain_apply_sanitized_rt(x, gains, x, n);
		monitor_delay_process_rt(&m->delay[r], x, g->blk[m->out_first + r], n, g->ramp_frames);
	}
}

RT static void process_block(struct graph *g, uint32_t off, uint32_t n, float k)
{
	float *gains = g->scratch;
	float *post = g->scratch + GRAPH_BLOCK_FRAMES;
	float *const *blk = g->blk;

	for (uint32_t o = 0; o < g->ports.n_out; o++)
		g->blk[o] = g->ports.out[o] + off;
	for (uint32_t o = 0; o < g->n_blk; o++)
		memset(blk[o], 0, n * sizeof(float));

	for (uint32_t i = 0; i < g->n_strips; i++) {
		struct graph_strip *s = &g->strips[i];
		struct meter *m = &g->meters[s->meter_first];
		/* The solo feed runs while soloed and until its ramps have faded. */
		const bool solo_feed = g->monitor && (s->solo || s->solo_tail > 0);
		s->solo_tail = s->solo_tail > n ? s->solo_tail - n : 0;
		if (gain_ramp_is_silent(&s->gain)) {
			/* Muted or at -inf: the meters fall, nothing reaches the bus. */
			for (uint32_t c = 0; c < s->n_in; c++)
				m[c].mean_square -= k * m[c].mean_square;
			continue;
		}
		gain_ramp_fill_rt(&s->gain, gains, n);
		for (uint32_t c = 0; c < s->n_in; c++) {
			float *y = post + c * GRAPH_BLOCK_FRAMES;
			gain_apply_sanitized_rt(g->ports.in[s->in_first + c] + off, gains, y, n);
			meter_process_rt(&m[c], y, n, k);
			for (uint32_t f = 0; f < s->n_feeds; f++)
				mix_feed(g, &g->feeds[s->feed_first + f], c, y, n);
			if (solo_feed)
				mix_feed(g, &g->feeds[s->feed_first + s->n_feeds], c, y, n);
		}
	}

	for (uint32_t k_ = 0; k_ < g->n_buses; k_++) {
		struct graph_bus *b = &g->buses[g->bus_order[k_]];
		gain_ramp_fill_rt(&b->gain, gains, n);
		for (uint32_t c = 0; c < b->n_ch; c++) {
			float *x = blk[b->out_first + c];
			gain_apply_sanitized_rt(x, gains, x, n);
			meter_process_rt(&g->meters[b->meter_first + c], x, n, k);
		}
		for (uint32_t r = 0; r < b->n_routes; r++) {
			const struct graph_route *rt = &g->routes[b->route_first + r];
			for (uint32_t d = 0; d < rt->dest_channels; d++)
				for (uint32_t c = 0; c < b->n_ch; c++)
					if (rt->fold.m[d][c] != 0.0f)
						gain_mix_constant_rt(blk[b->out_first + c], rt->fold.m[d][c],
						                     blk[rt->dest_first + d], n);
		}
	}
	if (g->monitor)
		process_monitor(g, n);
}

RT void graph_process_rt(struct graph *g, uint32_t n, uint32_t meter_epoch)
{
	if (meter_epoch != g->meter_epoch_seen) {
		g->meter_epoch_seen = meter_epoch;
		for (uint32_t i = 0; i < g->n_meters; i++)
			g->meters[i].peak = 0.0f;
	}
	for (uint32_t off = 0; off < n; off += GRAPH_BLOCK_FRAMES) {
		const uint32_t len = n - off < GRAPH_BLOCK_FRAMES ? n - off : GRAPH_BLOCK_FRAMES;
		if (len != g->meter_k_frames) {
			/* Once per period change, not per meter. */
			g->meter_k_frames = len;
			g->meter_k = meter_block_coefficient(g->sample_rate, GRAPH_METER_RMS_MS, len);
		}
		process_block(g, off, len, g->meter_k);
	}
	for (uint32_t i = 0; i < g->n_meters; i++) {
		atomic_store_explicit(&g->readouts[i].peak, g->meters[i].peak, memory_order_relaxed);
		atomic_store_explicit(&g->readouts[i].mean_square, g->meters[i].mean_square,
		                      memory_order_relaxed);
	}
}
