#include "engine/monitor.h"

#include <math.h>
#include <string.h>

#include "dsp/gain.h"
#include "engine/graph.h"

enum layout_id monitor_source_format(const struct console *c, uint32_t source)
{
	return source < c->n_buses ? c->buses[source].format : c->monitor->room;
}

bool monitor_room_plays(const struct console *c, enum layout_id room, enum layout_id set)
{
	struct downmix_matrix m;
	return downmix_matrix(&c->downmix, room, set, &m, NULL, NULL) == 0;
}

const char *monitor_source_name(const struct console *c, uint32_t source)
{
	return source == c->n_buses ? "solo" : c->buses[source].name;
}

int monitor_find_source(const struct console *c, const char *name)
{
	return strcmp(name, "solo") == 0 ? (int)c->n_buses : console_find_bus(c, name);
}

int monitor_find_set(const struct console *c, const char *name, enum layout_id *set)
{
	return layout_from_name(name, set) == 0 && monitor_room_plays(c, c->monitor->room, *set) ? 0 : -1;
}

enum layout_id monitor_heard_set(const struct console *c)
{
	return c->monitor->params.mono ? LAYOUT_MONO : c->monitor->speakers;
}

static double angle_between(const struct speaker *a, const struct speaker *b)
{
	const double d = M_PI / 180.0;
	const double ca = cos(a->elevation_deg * d), cb = cos(b->elevation_deg * d);
	const double dot = ca * cb * cos((a->azimuth_deg - b->azimuth_deg) * d) +
	                   sin(a->elevation_deg * d) * sin(b->elevation_deg * d);
	return acos(dot > 1.0 ? 1.0 : (dot < -1.0 ? -1.0 : dot)) / d;
}

void monitor_place(const struct layout *from, const struct layout *to,
                   float m[LAYOUT_MAX_CHANNELS][LAYOUT_MAX_CHANNELS])
{
	memset(m, 0, sizeof(float) * LAYOUT_MAX_CHANNELS * LAYOUT_MAX_CHANNELS);
	const int lfe = layout_channel_index(to, "LFE");
	for (unsigned i = 0; i < from->channels; i++) {
		const struct speaker *s = &from->speakers[i];
		if (s->is_lfe) {
			if (lfe >= 0)
				m[lfe][i] = 1.0f;
			continue;
		}
		int best = layout_channel_index(to, s->name);
		double best_angle = 0.0;
		for (unsigned o = 0; best < 0 && o < to->channels; o++) {
			if (to->speakers[o].is_lfe)
				continue;
			const double a = angle_between(s, &to->speakers[o]);
			if (a <= MONITOR_SNAP_DEG && (best < 0 || a < best_angle)) {
				best = (int)o;
				best_angle = a;
			}
		}
		/* (A mono set's one channel, at 0 degrees, snaps to C, or pans
		 * between L and R in a room without C.) */
		if (best >= 0) {
			m[best][i] = 1.0f;
			continue;
		}
		const struct strip_params at = {.pan_azimuth_deg = s->azimuth_deg, .pan_elevation_deg = s->elevation_deg,
		                                .pan_width = 1.0f, .lfe_send_db = -INFINITY};
		float g[LAYOUT_MAX_CHANNELS][LAYOUT_MAX_CHANNELS];
		graph_pan_matrix(layout_get(LAYOUT_MONO), to, &at, g);
		for (unsigned o = 0; o < to->channels; o++)
			m[o][i] = g[0][o];
	}
}

/* m[set][source]: the downmix chain, or placement when the set is larger. */
static void fold_to_set(const struct console *c, enum layout_id src, enum layout_id set,
                        float m[LAYOUT_MAX_CHANNELS][LAYOUT_MAX_CHANNELS])
{
	struct downmix_matrix d;
	if (downmix_matrix(&c->downmix, src, set, &d, NULL, NULL) == 0) {
		for (unsigned o = 0; o < LAYOUT_MAX_CHANNELS; o++)
			for (unsigned i = 0; i < LAYOUT_MAX_CHANNELS; i++)
				m[o][i] = d.m[o][i];
		return;
	}
	monitor_place(layout_get(src), layout_get(set), m);
}

void monitor_matrix(const struct console *c, uint32_t source,
                    float m[LAYOUT_MAX_CHANNELS][LAYOUT_MAX_CHANNELS])
{
	memset(m, 0, sizeof(float) * LAYOUT_MAX_CHANNELS * LAYOUT_MAX_CHANNELS);
	const struct console_monitor *mon = c->monitor;
	if (!mon || source != mon->source)
		return;
	const enum layout_id src = monitor_source_format(c, source), set = monitor_heard_set(c);
	float fold[LAYOUT_MAX_CHANNELS][LAYOUT_MAX_CHANNELS], place[LAYOUT_MAX_CHANNELS][LAYOUT_MAX_CHANNELS];
	fold_to_set(c, src, set, fold);
	monitor_place(layout_get(set), layout_get(mon->room), place);
	const unsigned n_room = layout_get(mon->room)->channels, n_set = layout_get(set)->channels,
	               n_src = layout_get(src)->channels;
	for (unsigned r = 0; r < n_room; r++)
		for (unsigned i = 0; i < n_src; i++) {
			double acc = 0.0;
			for (unsigned k = 0; k < n_set; k++)
				acc += (double)place[r][k] * fold[k][i];
			m[r][i] = (float)acc;
		}
}

void monitor_speaker_gains(const struct console *c, float g[LAYOUT_MAX_CHANNELS])
{
	memset(g, 0, sizeof(float) * LAYOUT_MAX_CHANNELS);
	const struct console_monitor *mon = c->monitor;
	if (!mon)
		return;
	const struct layout *room = layout_get(mon->room);
	const struct monitor_params *p = &mon->params;
	bool any_solo = false;
	for (unsigned r = 0; r < room->channels; r++)
		any_solo |= mon->speaker[r].solo;
	const float common = p->mute ? 0.0f : gain_from_db(p->level_db) * (p->dim ? gain_from_db(p->dim_db) : 1.0f);
	for (unsigned r = 0; r < room->channels; r++) {
		const struct monitor_speaker_params *s = &mon->speaker[r];
		const bool off = s->mute || (any_solo && !s->solo);
		g[r] = off ? 0.0f : common * gain_from_db(s->cal_db);
	}
}
