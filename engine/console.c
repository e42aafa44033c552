#include "engine/console.h"

#include <stdlib.h>
#include <string.h>

#include "dsp/room.h"

static void free_list(char **list, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
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
	}
	if (c->monitor)
		free_list(c->monitor->connect, c->monitor->n_connect);
	free(c->monitor);
	free(c->strips);
	free(c->buses);
	free(c->bus_order);
	free(c->name);
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

uint32_t console_input_port_count(const struct console *c)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < c->n_strips; i++)
		n += layout_get(c->strips[i].input)->channels;
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
	for (uint32_t i = 0; i < to->n_strips; i++) {
		int j = console_find_strip(from, to->strips[i].name);
		if (j >= 0)
			to->strips[i].params = from->strips[j].params;
	}
	for (uint32_t i = 0; i < to->n_buses; i++) {
		int j = console_find_bus(from, to->buses[i].name);
		if (j >= 0)
			to->buses[i].params = from->buses[j].params;
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
