#include "engine/console.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsp/room.h"

static void free_list(char **list, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

void console_drop_monitor(struct console *c)
{
	if (c->monitor)
		free_list(c->monitor->connect, c->monitor->n_connect);
	free(c->monitor);
	c->monitor = NULL;
}

void console_free(struct console *c)
{
	if (!c)
		return;
	for (uint32_t i = 0; i < c->n_strips; i++)
		free_list(c->strips[i].connect, c->strips[i].n_connect);
	for (uint32_t i = 0; i < c->n_buses; i++) {
		free(c->buses[i].sources);
		free(c->buses[i].downmix);
		free_list(c->buses[i].connect, c->buses[i].n_connect);
		free_list(c->buses[i].return_connect, c->buses[i].n_return_connect);
	}
	console_drop_monitor(c);
	free(c->strips);
	free(c->buses);
	free(c->bus_order);
	free(c->name);
	free(c->snapshot_dir);
	free(c->state_dir);
	free(c->osc_allow);
	free(c->print_dir);
	for (uint32_t i = 0; i < c->n_surfaces; i++)
		free(c->surfaces[i].profile);
	free(c->surfaces);
	free(c);
}

int console_find_strip(const struct console *c, const char *name)
{
	for (uint32_t i = 0; i < c->n_strips; i++)
		if (strcmp(c->strips[i].name, name) == 0)
			return (int)i;
	return -1;
}

const struct downmix_table *console_bus_downmix(const struct console *c, uint32_t b)
{
	return c->buses[b].downmix ? c->buses[b].downmix : &c->downmix;
}

int console_find_bus(const struct console *c, const char *name)
{
	for (uint32_t i = 0; i < c->n_buses; i++)
		if (strcmp(c->buses[i].name, name) == 0)
			return (int)i;
	return -1;
}

float console_strip_fader_db(const struct console *c, uint32_t s)
{
	float db = c->strips[s].params.fader_db;
	for (uint32_t v = 0; v < c->n_vcas; v++)
		if (c->strips[s].vcas & (1u << v))
			db += c->vcas[v].params.fader_db; /* -inf stays -inf */
	return db > CONSOLE_VCA_SUM_MAX_DB ? CONSOLE_VCA_SUM_MAX_DB : db;
}

bool console_strip_muted(const struct console *c, uint32_t s)
{
	const struct console_strip *cs = &c->strips[s];
	bool muted = cs->params.mute;
	for (uint32_t v = 0; v < c->n_vcas; v++)
		muted |= (cs->vcas & (1u << v)) && c->vcas[v].params.mute;
	for (uint32_t m = 0; m < c->n_mute_groups; m++)
		muted |= (cs->mute_groups & (1u << m)) && c->mute_groups[m].params.mute;
	return muted;
}

static int find_group(const struct console_group *g, uint32_t n, const char *name)
{
	for (uint32_t i = 0; i < n; i++)
		if (strcmp(g[i].name, name) == 0)
			return (int)i;
	return -1;
}

int console_find_vca(const struct console *c, const char *name)
{
	return find_group(c->vcas, c->n_vcas, name);
}

int console_find_mute_group(const struct console *c, const char *name)
{
	return find_group(c->mute_groups, c->n_mute_groups, name);
}

int console_find_aux(const struct console *c, const char *name)
{
	for (uint32_t k = 0; k < c->n_aux; k++)
		if (strcmp(c->buses[c->aux[k]].name, name) == 0)
			return (int)k;
	return -1;
}

uint32_t console_return_port_first(const struct console *c)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < c->n_strips; i++)
		n += layout_get(c->strips[i].input)->channels;
	return n;
}

uint32_t console_input_port_count(const struct console *c)
{
	uint32_t n = console_return_port_first(c);
	for (uint32_t k = 0; k < c->n_aux; k++)
		n += layout_get(c->buses[c->aux[k]].format)->channels;
	return n;
}

uint32_t console_output_port_count(const struct console *c)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < c->n_buses; i++)
		n += layout_get(c->buses[i].format)->channels;
	if (c->monitor)
		n += layout_get(c->monitor->room)->channels;
	return n;
}

enum { MARK_NONE, MARK_ACTIVE, MARK_DONE };

static int visit(struct console *c, uint32_t b, unsigned char *mark, uint32_t *n_out,
                 uint32_t *cycle_bus)
{
	if (mark[b] == MARK_DONE)
		return 0;
	if (mark[b] == MARK_ACTIVE) {
		*cycle_bus = b;
		return -1;
	}
	mark[b] = MARK_ACTIVE;
	for (uint32_t s = 0; s < c->buses[b].n_sources; s++)
		if (visit(c, c->buses[b].sources[s], mark, n_out, cycle_bus) < 0)
			return -1;
	mark[b] = MARK_DONE;
	c->bus_order[(*n_out)++] = b;
	return 0;
}

int console_sort_buses(struct console *c, uint32_t *cycle_bus)
{
	free(c->bus_order);
	c->bus_order = calloc(c->n_buses ? c->n_buses : 1, sizeof *c->bus_order);
	unsigned char *mark = calloc(c->n_buses ? c->n_buses : 1, 1);
	if (!c->bus_order || !mark) {
		free(mark);
		return -1;
	}
	uint32_t n = 0;
	int rc = 0;
	for (uint32_t b = 0; b < c->n_buses && rc == 0; b++)
		rc = visit(c, b, mark, &n, cycle_bus);
	free(mark);
	return rc;
}

void console_carry_params(struct console *to, const struct console *from)
{
	to->edits = from->edits + 1; /* the console itself changed: never taken for the one saved last */
	for (uint32_t i = 0; i < to->n_strips; i++) {
		int j = console_find_strip(from, to->strips[i].name);
		if (j < 0)
			continue;
		struct strip_params *p = &to->strips[i].params;
		struct send_params sends[CONSOLE_MAX_AUX];
		memcpy(sends, p->send, sizeof sends); /* the new config's, for new auxes */
		*p = from->strips[j].params;
		for (uint32_t k = 0; k < to->n_aux; k++) {
			const int fk = console_find_aux(from, to->buses[to->aux[k]].name);
			p->send[k] = fk >= 0 ? from->strips[j].params.send[fk] : sends[k];
		}
	}
	for (uint32_t i = 0; i < to->n_buses; i++) {
		int j = console_find_bus(from, to->buses[i].name);
		if (j < 0)
			continue;
		const struct limiter_params configured = to->buses[i].params.limiter;
		to->buses[i].params = from->buses[j].params;
		if (!from->buses[j].has_limiter) /* a limiter new in this config starts as configured */
			to->buses[i].params.limiter = configured;
	}
	for (uint32_t v = 0; v < to->n_vcas; v++) {
		const int j = console_find_vca(from, to->vcas[v].name);
		if (j >= 0)
			to->vcas[v].params = from->vcas[j].params;
	}
	for (uint32_t m = 0; m < to->n_mute_groups; m++) {
		const int j = console_find_mute_group(from, to->mute_groups[m].name);
		if (j >= 0)
			to->mute_groups[m].params = from->mute_groups[j].params;
	}
	struct console_monitor *tm = to->monitor;
	const struct console_monitor *fm = from->monitor;
	if (!tm || !fm)
		return;
	tm->params = fm->params;
	if (fm->source == from->n_buses) {
		tm->source = to->n_buses; /* still the solo bus */
	} else {
		const int b = console_find_bus(to, from->buses[fm->source].name);
		if (b >= 0)
			tm->source = (uint32_t)b;
	}
	if (tm->room == fm->room)
		tm->speakers = fm->speakers;
	tm->heard = tm->source;
	const struct layout *tr = layout_get(tm->room), *fr = layout_get(fm->room);
	for (unsigned ch = 0; ch < tr->channels; ch++) {
		const int k = layout_channel_index(fr, tr->speakers[ch].name);
		if (k >= 0)
			tm->speaker[ch] = fm->speaker[k];
	}
}

void console_pan_direction_changed(struct strip_params *p)
{
	const struct room_position r = room_from_polar(NULL, p->pan_azimuth_deg, p->pan_elevation_deg);
	p->pan_x = r.x;
	p->pan_y = r.y;
	p->pan_z = r.z;
	p->pan_room = false;
}

void console_pan_room_changed(struct strip_params *p)
{
	float distance;
	room_to_polar(NULL, (struct room_position){p->pan_x, p->pan_y, p->pan_z}, &p->pan_azimuth_deg,
	              &p->pan_elevation_deg, &distance);
	p->pan_room = true;
}

void console_processing_defaults(struct strip_processing *p)
{
	*p = (struct strip_processing){
		.hpf = {false, 80.0f, 12.0f},
		.lpf = {false, 18000.0f, 12.0f},
		.eq_on = true,
		.eq = {{false, true, 100.0f, 0.0f, 0.7071f}, {false, false, 500.0f, 0.0f, 1.0f},
		       {false, false, 2500.0f, 0.0f, 1.0f}, {false, true, 8000.0f, 0.0f, 0.7071f}},
		.notch = {{false, 50.0f, 20.0f}, {false, 100.0f, 20.0f}},
		.dyn = {
			.gate = {false, -50.0f, 40.0f, 100.0f, 1.0f, 50.0f, 150.0f},
			.comp = {false, -20.0f, 3.0f, 6.0f, 10.0f, 150.0f, 0.0f, false, false, 80.0f},
			.deess = {false, 6000.0f, -30.0f, 8.0f},
		},
	};
}

#define PROC(field) offsetof(struct strip_processing, field)
#define MAX_FIELDS 80

static struct console_field fields[MAX_FIELDS];
static size_t n_fields;

/* Appends the field <group>/<leaf> ("eq/2" + "gain"); a NULL group: <leaf>. */
static void add(const char *group_path, const char *leaf, enum console_field_kind kind,
                enum console_field_group group, float lo, float hi, size_t offset, const char *units,
                const char *doc)
{
	if (n_fields == MAX_FIELDS)
		abort(); /* MAX_FIELDS too small for the table below: a programming error */
	struct console_field *f = &fields[n_fields++];
	const int len = snprintf(f->path, sizeof f->path, "%s%s%s", group_path ? group_path : "",
	                         group_path ? "/" : "", leaf);
	if (len <= 0 || (size_t)len >= sizeof f->path)
		abort(); /* the table's own constant paths: a programming error, found by every test run */
	f->kind = kind, f->group = group, f->lo = lo, f->hi = hi, f->offset = offset, f->units = units, f->doc = doc;
	switch (kind) {
	case CONSOLE_FIELD_NUMBER: snprintf(f->range, sizeof f->range, "%g ... %g", lo, hi); break;
	case CONSOLE_FIELD_SLOPE: snprintf(f->range, sizeof f->range, "12, 18, 24"); break;
	case CONSOLE_FIELD_EQ_TYPE: snprintf(f->range, sizeof f->range, "0 bell, 1 shelf"); break;
	default: snprintf(f->range, sizeof f->range, "0, 1"); break;
	}
}

static void build_fields(void)
{
	const enum console_field_kind N = CONSOLE_FIELD_NUMBER, B = CONSOLE_FIELD_BOOL;
	const enum console_field_group F = CONSOLE_FIELD_FILTERS, D = CONSOLE_FIELD_DYNAMICS;
	char at[32];
	add(NULL, "delay", N, CONSOLE_FIELD_DELAY, 0, CONSOLE_DELAY_MAX_MS, PROC(delay_ms), "ms",
	    "Strip delay, rounded to the nearest sample (sync offsets, ADR alignment); a change crossfades.");
	const char *pass[] = {"hpf", "lpf"};
	const size_t pass_off[] = {PROC(hpf), PROC(lpf)};
	for (int k = 0; k < 2; k++) {
#define PASS(f) (pass_off[k] + offsetof(struct pass_filter_params, f))
		add(pass[k], "on", B, F, 0, 1, PASS(on), "0/1", k ? "Low-pass filter on." : "High-pass filter on.");
		add(pass[k], "freq", N, F, 10, 20000, PASS(freq_hz), "Hz", "Butterworth cutoff (-3 dB).");
		add(pass[k], "slope", CONSOLE_FIELD_SLOPE, F, 12, 24, PASS(slope_db), "dB/octave",
		    "12, 18 or 24 dB/octave (other values go to the nearest).");
#undef PASS
	}
	add("eq", "on", B, F, 0, 1, PROC(eq_on), "0/1", "The whole EQ (bands and notches); 0 bypasses it.");
	for (int b = 0; b < CONSOLE_EQ_BANDS; b++) {
#define BAND(f) (PROC(eq) + (size_t)b * sizeof(struct eq_band_params) + offsetof(struct eq_band_params, f))
		snprintf(at, sizeof at, "eq/%d", b + 1);
		add(at, "on", B, F, 0, 1, BAND(on), "0/1", "EQ band on.");
		if (b == 0 || b == CONSOLE_EQ_BANDS - 1)
			add(at, "type", CONSOLE_FIELD_EQ_TYPE, F, 0, 1, BAND(shelf), "0/1",
			    b == 0 ? "Band 1: bell, or low shelf (config \"bell\"/\"shelf\")."
			           : "Band 4: bell, or high shelf (config \"bell\"/\"shelf\").");
		add(at, "freq", N, F, 20, 20000, BAND(freq_hz), "Hz", "Centre (bell) or mid-point (shelf) frequency.");
		add(at, "gain", N, F, -CONSOLE_EQ_GAIN_MAX_DB, CONSOLE_EQ_GAIN_MAX_DB, BAND(gain_db), "dB", "Band gain.");
		add(at, "q", N, F, 0.1f, 10, BAND(q), "Q", "Bandwidth (bell) or shelf slope (0.7071: no overshoot).");
#undef BAND
	}
	for (int k = 0; k < CONSOLE_NOTCHES; k++) {
#define NOTCH(f) (PROC(notch) + (size_t)k * sizeof(struct notch_params) + offsetof(struct notch_params, f))
		snprintf(at, sizeof at, "notch/%d", k + 1);
		add(at, "on", B, F, 0, 1, NOTCH(on), "0/1", "Notch on (part of the EQ: eq/on bypasses it).");
		add(at, "freq", N, F, 20, 20000, NOTCH(freq_hz), "Hz", "Notch frequency (hum: 50/60 Hz and harmonics).");
		add(at, "q", N, F, 0.1f, 100, NOTCH(q), "Q", "Notch width: higher is narrower.");
#undef NOTCH
	}
	add("dyn", "pre_eq", B, D, 0, 1, PROC(dyn_pre_eq), "0/1", "1: dynamics before the filters and EQ.");
#define GATE(f) (PROC(dyn.gate) + offsetof(struct expander_params, f))
#define COMP(f) (PROC(dyn.comp) + offsetof(struct compressor_params, f))
#define DEESS(f) (PROC(dyn.deess) + offsetof(struct deesser_params, f))
	add("dyn/gate", "on", B, D, 0, 1, GATE(on), "0/1", "Expander/gate on.");
	add("dyn/gate", "threshold", N, D, -80, 0, GATE(threshold_db), "dBFS", "Below this the gate closes.");
	add("dyn/gate", "range", N, D, 0, 80, GATE(range_db), "dB", "The most the gate attenuates.");
	add("dyn/gate", "ratio", N, D, 1, 100, GATE(ratio), ":1", "Expansion ratio below the threshold (100: a gate).");
	add("dyn/gate", "attack", N, D, 0.1f, 100, GATE(attack_ms), "ms", "Opening time constant.");
	add("dyn/gate", "hold", N, D, 0, 2000, GATE(hold_ms), "ms", "Stays open this long after the level falls.");
	add("dyn/gate", "release", N, D, 5, 3000, GATE(release_ms), "ms", "Closing time constant.");
	add("dyn/comp", "on", B, D, 0, 1, COMP(on), "0/1", "Compressor on.");
	add("dyn/comp", "threshold", N, D, -60, 0, COMP(threshold_db), "dBFS",
	    "Compression starts here (middle of the knee).");
	add("dyn/comp", "ratio", N, D, 1, 20, COMP(ratio), ":1", "Ratio above the threshold.");
	add("dyn/comp", "knee", N, D, 0, 24, COMP(knee_db), "dB", "Soft-knee width (0: hard).");
	add("dyn/comp", "attack", N, D, 0.1f, 200, COMP(attack_ms), "ms", "Attack time constant.");
	add("dyn/comp", "release", N, D, 5, 3000, COMP(release_ms), "ms", "Release time constant.");
	add("dyn/comp", "makeup", N, D, 0, 24, COMP(makeup_db), "dB", "Makeup gain.");
	add("dyn/comp", "rms", B, D, 0, 1, COMP(rms), "0/1", "1: RMS detection (10 ms), 0: peak.");
	add("dyn/comp", "sc_hpf", B, D, 0, 1, COMP(sidechain_hpf), "0/1",
	    "Side-chain high-pass (12 dB/octave) on: low frequencies do not drive the compressor or gate.");
	add("dyn/comp", "sc_hpf_freq", N, D, 20, 500, COMP(sidechain_hpf_hz), "Hz", "Side-chain high-pass cutoff.");
	add("dyn/deess", "on", B, D, 0, 1, DEESS(on), "0/1", "De-esser on.");
	add("dyn/deess", "freq", N, D, 4000, 10000, DEESS(freq_hz), "Hz",
	    "The sibilance band: detected above this, lowered by a high shelf whose mid-point is here.");
	add("dyn/deess", "threshold", N, D, -60, 0, DEESS(threshold_db), "dBFS",
	    "Band level where de-essing starts (4:1).");
	add("dyn/deess", "range", N, D, 0, 24, DEESS(range_db), "dB", "The most the band is lowered.");
#undef GATE
#undef COMP
#undef DEESS
}

const struct console_field *console_processing_fields(size_t *n)
{
	if (n_fields == 0)
		build_fields();
	*n = n_fields;
	return fields;
}

const struct console_field *console_find_field(const char *path)
{
	size_t n;
	const struct console_field *f = console_processing_fields(&n);
	for (size_t i = 0; i < n; i++)
		if (strcmp(f[i].path, path) == 0)
			return &f[i];
	return NULL;
}
