#include "control/config.h"

#include <arpa/inet.h>

#include <errno.h>
#include <fnmatch.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "control/allowlist.h"
#include "control/json_locate.h"
#include "control/subscription.h"
#include "control/profile.h"
#include "engine/monitor.h"
#include "dsp/gain.h"

#define MAX_COUNT 1024

struct ctx {
	const char *text;
	const char *origin;
	char *err;
	size_t errlen;
	struct json_path path;
};

static void push_key(struct ctx *x, const char *key)
{
	x->path.step[x->path.depth].key = key;
	x->path.step[x->path.depth].index = 0;
	x->path.depth++;
}

static void push_index(struct ctx *x, size_t i)
{
	x->path.step[x->path.depth].key = NULL;
	x->path.step[x->path.depth].index = i;
	x->path.depth++;
}

static void pop(struct ctx *x) { x->path.depth--; }

__attribute__((format(printf, 2, 3)))
static int fail(struct ctx *x, const char *fmt, ...)
{
	int line, col;
	char where[256];
	json_locate(x->text, &x->path, &line, &col);
	json_path_format(&x->path, where, sizeof where);
	int n = snprintf(x->err, x->errlen, "%s:%d:%d: %s%s", x->origin, line, col,
	                 where, where[0] ? ": " : "");
	if (n < 0 || (size_t)n >= x->errlen)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(x->err + n, x->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static const char *type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number";
	case JSON_TRUE: case JSON_FALSE: return "a boolean";
	default: return "null";
	}
}

static int check_keys(struct ctx *x, json_t *obj, const char *const *allowed, const char *what)
{
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v) {
		bool ok = false;
		for (const char *const *a = allowed; *a && !ok; a++)
			ok = strcmp(*a, key) == 0;
		if (!ok) {
			char list[256] = "";
			for (const char *const *a = allowed; *a; a++) {
				strncat(list, *a, sizeof list - strlen(list) - 1);
				if (a[1])
					strncat(list, ", ", sizeof list - strlen(list) - 1);
			}
			push_key(x, key);
			return fail(x, "unknown key \"%s\" in %s (allowed: %s)", key, what, list);
		}
	}
	return 0;
}

/* Names become JACK port names and OSC address parts. */
static int check_name(struct ctx *x, const char *name, size_t room)
{
	size_t n = strlen(name);
	if (n == 0 || n >= room)
		return fail(x, "name \"%s\" must have 1 to %zu characters", name, room - 1);
	bool digits_only = true;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		          c == '_' || c == '-' || c == '.';
		if (!ok)
			return fail(x, "name \"%s\": only letters, digits, '_', '-' and '.' are allowed "
			            "(it becomes a JACK port name and an OSC address)", name);
		digits_only &= c >= '0' && c <= '9';
	}
	if (digits_only)
		return fail(x, "name \"%s\" must not be all digits (numbers address strips by position)", name);
	return 0;
}

static int get_string(struct ctx *x, json_t *obj, const char *key, bool required, const char **out)
{
	json_t *v = json_object_get(obj, key);
	if (!v) {
		if (required)
			return fail(x, "missing required key \"%s\"", key);
		return 0;
	}
	push_key(x, key);
	if (!json_is_string(v))
		return fail(x, "must be a string, not %s", type_name(v));
	*out = json_string_value(v);
	pop(x);
	return 0;
}

/* A format name at obj.key (`what` names it in errors); *out keeps its
 * value when the key is absent and not required. */
static int get_format(struct ctx *x, json_t *obj, const char *key, bool required, const char *what,
                      enum layout_id *out)
{
	const char *name = NULL;
	if (get_string(x, obj, key, required, &name) < 0)
		return -1;
	if (!name)
		return 0;
	push_key(x, key);
	if (layout_from_name(name, out) < 0)
		return fail(x, "unknown %s \"%s\" (formats: %s)", what, name, layout_names());
	pop(x);
	return 0;
}

static int get_bool(struct ctx *x, json_t *obj, const char *key, bool *out)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return 0;
	push_key(x, key);
	if (!json_is_boolean(v))
		return fail(x, "must be true or false, not %s", type_name(v));
	*out = json_is_true(v);
	pop(x);
	return 0;
}

/* The number v (at the current path) in [lo, hi]; `allow_off` also accepts
 * the string "-inf". */
static int parse_number(struct ctx *x, json_t *v, float lo, float hi, bool allow_off, float *out)
{
	if (allow_off && json_is_string(v) && strcmp(json_string_value(v), "-inf") == 0) {
		*out = -INFINITY;
		return 0;
	}
	if (!json_is_number(v))
		return fail(x, "must be a number%s, not %s", allow_off ? " or \"-inf\"" : "", type_name(v));
	double d = json_number_value(v);
	if (!(d >= lo && d <= hi) && !(allow_off && d < lo))
		return allow_off ? fail(x, "%g is out of range (\"-inf\" ... %+g dB)", d, (double)hi)
		                 : fail(x, "%g is out of range (%+g ... %+g)", d, (double)lo, (double)hi);
	*out = (allow_off && d <= GAIN_DB_OFF) ? -INFINITY : (float)d;
	return 0;
}

/* obj's number `key`, when present (parse_number). */
static int get_db(struct ctx *x, json_t *obj, const char *key, float lo, float hi,
                  bool allow_off, float *out)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return 0;
	push_key(x, key);
	if (parse_number(x, v, lo, hi, allow_off, out) < 0)
		return -1;
	pop(x);
	return 0;
}

static int get_port_list(struct ctx *x, json_t *obj, const char *key, unsigned max, char ***out, uint32_t *n)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return 0;
	push_key(x, key);
	if (!json_is_array(v))
		return fail(x, "must be an array of JACK port names, not %s", type_name(v));
	if (json_array_size(v) > max)
		return fail(x, "lists %zu ports but there are only %u channels", json_array_size(v), max);
	*out = calloc(json_array_size(v) + 1, sizeof **out);
	if (!*out)
		return fail(x, "out of memory");
	for (size_t i = 0; i < json_array_size(v); i++) {
		json_t *p = json_array_get(v, i);
		push_index(x, i);
		if (!json_is_string(p) || !strchr(json_string_value(p), ':'))
			return fail(x, "must be a full JACK port name such as \"system:capture_1\"");
		(*out)[i] = strdup(json_string_value(p));
		(*n)++;
		pop(x);
	}
	pop(x);
	return 0;
}

static const char *const bus_keys[] = {"name", "format", "role", "sources", "downmix", "fader", "mute",
                                       "connect", "to", "return_connect", "hpf", "lpf", "eq", "notch", "dyn",
                                       "limiter", "dialogue", NULL};
static const char *const limiter_keys[] = {"on", "ceiling", "release", NULL};
static const char *const strip_keys[] = {"name", "input", "bus", "count", "fader", "trim", "pan", "elevation",
                                         "x", "y", "z",
                                         "size", "divergence", "width", "rotation", "lfe",
                                         "mute", "solo", "solo_safe", "polarity", "connect",
                                         "delay", "hpf", "lpf", "eq", "notch", "dyn", "sends", NULL};
static const char *const processing_roots[] = {"delay", "hpf", "lpf", "eq", "notch", "dyn", NULL};
static const char *const top_keys[] = {"name", "downmix", "buses", "strips", "monitor", "vcas", "mute_groups",
                                       "snapshots", "prints", "state", "surfaces",
                                       "osc_allow", "osc_subscribers", "osc_rate", "osc_fanout", NULL};
static const char *const surface_keys[] = {"profile", "from", "port", "feedback_port", "echo", NULL};
static const char *const vca_keys[] = {"name", "strips", "vcas", "fader", "mute", NULL};
static const char *const mute_group_keys[] = {"name", "strips", "mute", NULL};
static const char *const monitor_keys[] = {"room", "source", "speakers", "level", "dim_level", "dim", "mute",
                                           "mono", "cal", "delay", "connect", NULL};
static const char *const downmix_keys[] = {"from", "to", "gains", NULL};

/* "downmix": [{"from": "5.1", "to": "2.0", "gains": {"L": {"LFE": 0.5}}}]
 * overrides coefficients of single steps of `table` (the console's, or a
 * master's own copy); chains use the overridden steps. */
static int parse_downmix(struct ctx *x, json_t *list, struct downmix_table *table)
{
	push_key(x, "downmix");
	if (!json_is_array(list))
		return fail(x, "must be an array of {\"from\", \"to\", \"gains\"} overrides");
	for (size_t i = 0; i < json_array_size(list); i++) {
		json_t *o = json_array_get(list, i);
		push_index(x, i);
		if (!json_is_object(o))
			return fail(x, "an override must be an object, not %s", type_name(o));
		if (check_keys(x, o, downmix_keys, "a downmix override") < 0)
			return -1;
		enum layout_id from, to;
		if (get_format(x, o, "from", true, "format", &from) < 0 ||
		    get_format(x, o, "to", true, "format", &to) < 0)
			return -1;
		push_key(x, "to");
		const int step = downmix_find_step(from, to);
		if (step < 0)
			return fail(x, "there is no single downmix step from %s to %s: override the steps "
			            "of the chain (docs/layouts.md lists them)", layout_get(from)->name,
			            layout_get(to)->name);
		pop(x);
		json_t *gains = json_object_get(o, "gains");
		if (!gains)
			return fail(x, "missing required key \"gains\"");
		push_key(x, "gains");
		if (!json_is_object(gains))
			return fail(x, "must map output channels to {input channel: gain}");
		const char *dst;
		json_t *row;
		json_object_foreach(gains, dst, row) {
			push_key(x, dst);
			if (layout_channel_index(layout_get(to), dst) < 0)
				return fail(x, "%s has no channel \"%s\"", layout_get(to)->name, dst);
			if (!json_is_object(row))
				return fail(x, "must map input channels to gains, not %s", type_name(row));
			const char *src;
			json_t *g;
			json_object_foreach(row, src, g) {
				push_key(x, src);
				if (layout_channel_index(layout_get(from), src) < 0)
					return fail(x, "%s has no channel \"%s\"", layout_get(from)->name, src);
				if (!json_is_number(g) || json_number_value(g) < -4.0 || json_number_value(g) > 4.0)
					return fail(x, "must be a linear gain from -4 to 4");
				downmix_set(table, (unsigned)step, dst, src, (float)json_number_value(g));
				pop(x);
			}
			pop(x);
		}
		pop(x);
		pop(x);
	}
	pop(x);
	return 0;
}

static int parse_processing_roots(struct ctx *x, json_t *obj, struct strip_processing *p, bool delay);

static int parse_bus(struct ctx *x, json_t *jb, struct console_bus *b)
{
	if (!json_is_object(jb))
		return fail(x, "a bus must be an object, not %s", type_name(jb));
	if (check_keys(x, jb, bus_keys, "a bus") < 0)
		return -1;
	const char *name = NULL, *role = NULL;
	if (get_string(x, jb, "name", true, &name) < 0 ||
	    get_format(x, jb, "format", true, "format", &b->format) < 0 ||
	    get_string(x, jb, "role", true, &role) < 0)
		return -1;
	push_key(x, "name");
	if (check_name(x, name, CONSOLE_NAME_MAX) < 0)
		return -1;
	pop(x);
	snprintf(b->name, sizeof b->name, "%s", name);
	push_key(x, "role");
	if (strcmp(role, "stem") == 0)
		b->role = BUS_ROLE_STEM;
	else if (strcmp(role, "master") == 0)
		b->role = BUS_ROLE_MASTER;
	else if (strcmp(role, "aux") == 0)
		b->role = BUS_ROLE_AUX;
	else
		return fail(x, "unknown role \"%s\" (roles: stem, master, aux)", role);
	pop(x);
	b->params.fader_db = 0.0f;
	if (get_db(x, jb, "fader", GAIN_DB_OFF, CONSOLE_FADER_MAX_DB, true, &b->params.fader_db) < 0 ||
	    get_bool(x, jb, "mute", &b->params.mute) < 0 ||
	    get_port_list(x, jb, "connect", layout_get(b->format)->channels, &b->connect, &b->n_connect) < 0)
		return -1;
	console_processing_defaults(&b->params.proc);
	if (parse_processing_roots(x, jb, &b->params.proc, false) < 0)
		return -1;
	limiter_params_defaults(&b->params.limiter);
	json_t *lim = json_object_get(jb, "limiter");
	if (!lim)
		return 0;
	push_key(x, "limiter");
	if (b->role != BUS_ROLE_MASTER)
		return fail(x, "only a master bus has a limiter (the print's true-peak ceiling); %s is %s", b->name,
		            b->role == BUS_ROLE_STEM ? "a stem" : "an aux");
	if (!json_is_object(lim))
		return fail(x, "must be an object {\"on\", \"ceiling\", \"release\"}, not %s", type_name(lim));
	if (check_keys(x, lim, limiter_keys, "the limiter") < 0 || get_bool(x, lim, "on", &b->params.limiter.on) < 0 ||
	    get_db(x, lim, "ceiling", LIMITER_CEILING_MIN_DB, LIMITER_CEILING_MAX_DB, false, &b->params.limiter.ceiling_db) < 0)
		return -1;
	if (get_db(x, lim, "release", LIMITER_RELEASE_MIN_MS, LIMITER_RELEASE_MAX_MS, false,
	           &b->params.limiter.release_ms) < 0) /* get_db reads any bounded number */
		return -1;
	b->has_limiter = true;
	pop(x);
	return 0;
}

/* A bus named by the string v, or -1 with an error listing the buses. */
static int find_bus_named(struct ctx *x, json_t *v, const struct console *c)
{
	if (!json_is_string(v))
		return fail(x, "must be a bus name, not %s", type_name(v));
	int b = console_find_bus(c, json_string_value(v));
	if (b >= 0)
		return b;
	char list[512] = "";
	for (uint32_t i = 0; i < c->n_buses; i++) {
		strncat(list, c->buses[i].name, sizeof list - strlen(list) - 1);
		if (i + 1 < c->n_buses)
			strncat(list, ", ", sizeof list - strlen(list) - 1);
	}
	return fail(x, "no bus named \"%s\" (buses: %s)", json_string_value(v), list);
}

/* A bus named by v that is not yet among the n in `have` (for lists of
 * buses), or -1 with an error. */
static int distinct_bus_named(struct ctx *x, json_t *v, const struct console *c, const uint32_t *have,
                              uint32_t n)
{
	const int b = find_bus_named(x, v, c);
	if (b < 0)
		return -1;
	for (uint32_t j = 0; j < n; j++)
		if (have[j] == (uint32_t)b)
			return fail(x, "bus \"%s\" is listed twice", c->buses[b].name);
	return b;
}

static int resolve_sources(struct ctx *x, json_t *jb, struct console *c, uint32_t bi)
{
	struct console_bus *b = &c->buses[bi];
	json_t *src = json_object_get(jb, "sources");
	if (b->role != BUS_ROLE_AUX && (json_object_get(jb, "to") || json_object_get(jb, "return_connect"))) {
		push_key(x, json_object_get(jb, "to") ? "to" : "return_connect");
		return fail(x, "only an aux bus returns into another bus; bus %s is a %s", b->name,
		            b->role == BUS_ROLE_STEM ? "stem" : "master");
	}
	if (b->role != BUS_ROLE_MASTER) {
		if (src || json_object_get(jb, "downmix")) {
			push_key(x, src ? "sources" : "downmix");
			return fail(x, "only a master bus sums (and folds down) other buses; bus %s is %s", b->name,
			            b->role == BUS_ROLE_STEM ? "a stem" : "an aux (it takes sends)");
		}
		return 0;
	}
	if (!src)
		return fail(x, "master bus %s needs \"sources\": the buses it sums", b->name);
	json_t *own = json_object_get(jb, "downmix");
	if (own) {
		/* This master's fold-downs: the console's, with these overrides. */
		b->downmix = malloc(sizeof *b->downmix);
		if (!b->downmix)
			return fail(x, "out of memory");
		*b->downmix = c->downmix;
		if (parse_downmix(x, own, b->downmix) < 0)
			return -1;
	}
	push_key(x, "sources");
	if (!json_is_array(src) || json_array_size(src) == 0)
		return fail(x, "must be a non-empty array of bus names");
	b->sources = calloc(json_array_size(src), sizeof *b->sources);
	if (!b->sources)
		return fail(x, "out of memory");
	for (size_t i = 0; i < json_array_size(src); i++) {
		push_index(x, i);
		const int k = distinct_bus_named(x, json_array_get(src, i), c, b->sources, b->n_sources);
		if (k < 0)
			return -1;
		if ((uint32_t)k == bi)
			return fail(x, "bus %s cannot be its own source", b->name);
		struct downmix_matrix m;
		if (downmix_matrix(console_bus_downmix(c, bi), c->buses[k].format, b->format, &m, NULL, NULL) < 0)
			return fail(x, "%s is %s and %s is %s: a master takes sources of its own format or "
			            "folds them down, and no downmix leads from %s to %s (see docs/layouts.md)",
			            c->buses[k].name, layout_get(c->buses[k].format)->name, b->name,
			            layout_get(b->format)->name, layout_get(c->buses[k].format)->name,
			            layout_get(b->format)->name);
		b->sources[b->n_sources++] = (uint32_t)k;
		pop(x);
	}
	pop(x);
	return 0;
}

/* An aux bus's "to": the stem or master its return feeds, which then lists
 * the aux among its sources (the graph sums it there after the aux's fader).
 * A return of another format is folded down, or placed on the target's
 * loudspeakers at its channels' nominal positions (a stereo reverb into a
 * 7.1.4 stem plays from L and R). */
static int resolve_aux(struct ctx *x, json_t *jb, struct console *c, uint32_t bi)
{
	struct console_bus *b = &c->buses[bi];
	json_t *to = json_object_get(jb, "to");
	if (!to)
		return fail(x, "aux bus %s needs \"to\": the stem its return feeds", b->name);
	if (c->n_aux == CONSOLE_MAX_AUX)
		return fail(x, "bus %s: at most %d aux buses", b->name, CONSOLE_MAX_AUX);
	push_key(x, "to");
	const int t = find_bus_named(x, to, c);
	if (t < 0)
		return -1;
	struct console_bus *target = &c->buses[t];
	if (target->role == BUS_ROLE_AUX)
		return fail(x, "an aux returns into a stem or a master, and %s is an aux", target->name);
	uint32_t *grown = realloc(target->sources, (target->n_sources + 1) * sizeof *grown);
	if (!grown)
		return fail(x, "out of memory");
	target->sources = grown;
	target->sources[target->n_sources++] = bi;
	pop(x);
	c->aux[c->n_aux++] = bi;
	return get_port_list(x, jb, "return_connect", layout_get(b->format)->channels, &b->return_connect,
	                     &b->n_return_connect);
}

/* A bus's "dialogue": the stem carrying its dialogue, whose speaking blocks
 * gate the bus's dialogue-gated loudness (engine/bs1770). Both are measured
 * buses (stems or masters), and not the same one. */
static int resolve_dialogue(struct ctx *x, json_t *jb, struct console *c, uint32_t bi)
{
	json_t *d = json_object_get(jb, "dialogue");
	if (!d)
		return 0;
	struct console_bus *b = &c->buses[bi];
	push_key(x, "dialogue");
	if (b->role == BUS_ROLE_AUX)
		return fail(x, "an aux bus is not measured, so it has no dialogue-gated loudness");
	const int t = find_bus_named(x, d, c);
	if (t < 0)
		return -1;
	if ((uint32_t)t == bi)
		return fail(x, "bus %s cannot gate its own loudness: name its dialogue stem", b->name);
	if (c->buses[t].role == BUS_ROLE_AUX)
		return fail(x, "%s is an aux bus (not measured): name the dialogue stem", c->buses[t].name);
	b->has_dialogue = true;
	b->dialogue = (uint32_t)t;
	pop(x);
	return 0;
}

/* "sends": {"REV": -12, "ECHO": {"level": -6, "pre": true, "on": true}}:
 * the strip's sends to aux buses by name; a bare number is the level. */
static const char *const send_keys[] = {"level", "pre", "on", NULL};

static int parse_sends(struct ctx *x, json_t *v, const struct console *c, struct strip_params *p)
{
	push_key(x, "sends");
	if (!json_is_object(v))
		return fail(x, "must map aux bus names to a level or {\"level\", \"pre\", \"on\"}, not %s",
		            type_name(v));
	const char *aux;
	json_t *s;
	json_object_foreach(v, aux, s) {
		push_key(x, aux);
		const int k = console_find_aux(c, aux);
		if (k < 0) {
			const int b = console_find_bus(c, aux);
			return b >= 0 ? fail(x, "bus %s is not an aux bus (\"role\": \"aux\"): route a strip to it "
			                     "with \"bus\"", aux)
			              : fail(x, "no aux bus named \"%s\"", aux);
		}
		struct send_params *sp = &p->send[k];
		if (json_is_number(s) || json_is_string(s)) {
			if (parse_number(x, s, GAIN_DB_OFF, CONSOLE_FADER_MAX_DB, true, &sp->level_db) < 0)
				return -1;
		} else if (!json_is_object(s)) {
			return fail(x, "must be a level in dB or {\"level\", \"pre\", \"on\"}, not %s", type_name(s));
		} else if (check_keys(x, s, send_keys, "a send") < 0 ||
		           get_db(x, s, "level", GAIN_DB_OFF, CONSOLE_FADER_MAX_DB, true, &sp->level_db) < 0 ||
		           get_bool(x, s, "pre", &sp->pre) < 0 || get_bool(x, s, "on", &sp->on) < 0) {
			return -1;
		}
		pop(x);
	}
	pop(x);
	return 0;
}

static int not_aux(struct ctx *x, const struct console *c, int b)
{
	if (c->buses[b].role == BUS_ROLE_AUX)
		return fail(x, "bus %s is an aux bus: a strip reaches it with a send (\"sends\": {\"%s\": -10})",
		            c->buses[b].name, c->buses[b].name);
	return 0;
}

/* "bus": "DX" or ["DX", "DX51", "GUIDE"]: every bus the strip feeds. */
static int parse_strip_buses(struct ctx *x, json_t *v, const struct console *c,
                             struct console_strip *proto)
{
	push_key(x, "bus");
	proto->n_bus = 0;
	if (!json_is_array(v)) {
		const int b = find_bus_named(x, v, c);
		if (b < 0 || not_aux(x, c, b) < 0)
			return -1;
		proto->bus[proto->n_bus++] = (uint32_t)b;
		pop(x);
		return 0;
	}
	if (json_array_size(v) == 0 || json_array_size(v) > CONSOLE_STRIP_MAX_BUSES)
		return fail(x, "must name 1 to %d buses, not %zu", CONSOLE_STRIP_MAX_BUSES, json_array_size(v));
	for (size_t i = 0; i < json_array_size(v); i++) {
		push_index(x, i);
		const int b = distinct_bus_named(x, json_array_get(v, i), c, proto->bus, proto->n_bus);
		if (b < 0 || not_aux(x, c, b) < 0)
			return -1;
		proto->bus[proto->n_bus++] = (uint32_t)b;
		pop(x);
	}
	pop(x);
	return 0;
}

/* "x", "y", "z": the strip is positioned in the room (dsp/room.h) instead of
 * by "pan"/"elevation"; the two forms exclude each other. */
static int parse_room_position(struct ctx *x, json_t *js, struct strip_params *p)
{
	const bool room = json_object_get(js, "x") || json_object_get(js, "y") || json_object_get(js, "z");
	if (!room) {
		console_pan_direction_changed(p);
		return 0;
	}
	const char *polar = json_object_get(js, "pan") ? "pan" : (json_object_get(js, "elevation") ? "elevation" : NULL);
	if (polar) {
		push_key(x, polar);
		return fail(x, "a strip is positioned either by direction (pan, elevation) or in the room "
		            "(x, y, z), not both");
	}
	p->pan_x = 0.0f;
	p->pan_y = 1.0f; /* a missing coordinate: on the screen wall, at ear level */
	p->pan_z = 0.0f;
	if (get_db(x, js, "x", -1.0f, 1.0f, false, &p->pan_x) < 0 ||
	    get_db(x, js, "y", -1.0f, 1.0f, false, &p->pan_y) < 0 ||
	    get_db(x, js, "z", 0.0f, 1.0f, false, &p->pan_z) < 0)
		return -1;
	console_pan_room_changed(p);
	return 0;
}

/* One processing setting (engine/console.h's field table). */
static int parse_field(struct ctx *x, json_t *v, const struct console_field *f, struct strip_processing *p)
{
	void *at = (char *)p + f->offset;
	switch (f->kind) {
	case CONSOLE_FIELD_BOOL:
		if (!json_is_boolean(v))
			return fail(x, "must be true or false, not %s", type_name(v));
		*(bool *)at = json_is_true(v);
		return 0;
	case CONSOLE_FIELD_EQ_TYPE:
		if (!json_is_string(v) || (strcmp(json_string_value(v), "shelf") != 0 &&
		                           strcmp(json_string_value(v), "bell") != 0))
			return fail(x, "must be \"bell\" or \"shelf\"");
		*(bool *)at = strcmp(json_string_value(v), "shelf") == 0;
		return 0;
	case CONSOLE_FIELD_SLOPE:
		if (!json_is_integer(v) || (json_integer_value(v) != 12 && json_integer_value(v) != 18 &&
		                            json_integer_value(v) != 24))
			return fail(x, "must be 12, 18 or 24 (dB/octave)");
		*(float *)at = (float)json_integer_value(v);
		return 0;
	default: {
		if (!json_is_number(v))
			return fail(x, "must be a number (%s), not %s", f->units, type_name(v));
		const double d = json_number_value(v);
		const float value = (float)d; /* the limits are floats: 0.1 is 0.1f */
		if (!(value >= f->lo && value <= f->hi))
			return fail(x, "%g is out of range (%s %s)", d, f->range, f->units);
		*(float *)at = (float)d;
		return 0;
	}
	}
}

/* Whether a field path is `prefix` itself or lies under it ("eq/1/gain" is
 * under "eq" and "eq/1", not under "eq/1/g"). */
static bool path_is_under(const char *field_path, const char *prefix)
{
	const size_t n = strlen(prefix);
	return strncmp(field_path, prefix, n) == 0 && (field_path[n] == '/' || field_path[n] == 0);
}

/* The processing keys nest along the field paths: "hpf": {"freq": 80},
 * "eq": {"on": true, "1": {"gain": 3}}, "dyn": {"comp": {"ratio": 4}}. */
static int parse_processing(struct ctx *x, json_t *v, const char *path, struct strip_processing *p)
{
	const struct console_field *f = console_find_field(path);
	if (f)
		return parse_field(x, v, f, p);
	if (!json_is_object(v))
		return fail(x, "must be an object, not %s", type_name(v));
	const char *key;
	json_t *child;
	json_object_foreach(v, key, child) {
		char sub[64];
		snprintf(sub, sizeof sub, "%s/%s", path, key);
		bool known = false;
		size_t n;
		const struct console_field *all = console_processing_fields(&n);
		for (size_t i = 0; i < n && !known; i++)
			known = path_is_under(all[i].path, sub);
		push_key(x, key);
		if (!known) {
			char list[512] = "";
			for (size_t i = 0; i < n; i++)
				if (path_is_under(all[i].path, path)) {
					strncat(list, all[i].path + strlen(path) + 1, sizeof list - strlen(list) - 3);
					strncat(list, ", ", sizeof list - strlen(list) - 1);
				}
			if (strlen(list) >= 2)
				list[strlen(list) - 2] = 0;
			return fail(x, "unknown key \"%s\" (allowed under \"%s\": %s)", key, path, list);
		}
		if (parse_processing(x, child, sub, p) < 0)
			return -1;
		pop(x);
	}
	return 0;
}

/* Every processing key of a strip or bus object ("delay": strips only). */
static int parse_processing_roots(struct ctx *x, json_t *obj, struct strip_processing *p, bool delay)
{
	for (const char *const *root = processing_roots; *root; root++) {
		json_t *v = json_object_get(obj, *root);
		if (!v || (!delay && strcmp(*root, "delay") == 0))
			continue;
		push_key(x, *root);
		if (parse_processing(x, v, *root, p) < 0)
			return -1;
		pop(x);
	}
	return 0;
}

/* Parses one strips[] entry into `proto` (count copies are made later). */
static int parse_strip(struct ctx *x, json_t *js, const struct console *c,
                       struct console_strip *proto, unsigned *count)
{
	if (!json_is_object(js))
		return fail(x, "a strip must be an object, not %s", type_name(js));
	if (check_keys(x, js, strip_keys, "a strip") < 0)
		return -1;
	const char *name = NULL, *polarity = "normal";
	proto->input = LAYOUT_MONO;
	if (get_string(x, js, "name", true, &name) < 0 ||
	    get_format(x, js, "input", false, "input format", &proto->input) < 0 ||
	    get_string(x, js, "polarity", false, &polarity) < 0)
		return -1;
	if (!json_object_get(js, "bus"))
		return fail(x, "missing required key \"bus\"");
	*count = 0;
	json_t *jc = json_object_get(js, "count");
	if (jc) {
		push_key(x, "count");
		if (!json_is_integer(jc) || json_integer_value(jc) < 1 || json_integer_value(jc) > MAX_COUNT)
			return fail(x, "must be an integer from 1 to %d", MAX_COUNT);
		*count = (unsigned)json_integer_value(jc);
		pop(x);
	}
	push_key(x, "name");
	char longest[64];
	snprintf(longest, sizeof longest, "%s%u", name, *count);
	if (check_name(x, *count ? longest : name, CONSOLE_NAME_MAX) < 0)
		return -1;
	pop(x);
	snprintf(proto->name, sizeof proto->name, "%s", name);
	if (parse_strip_buses(x, json_object_get(js, "bus"), c, proto) < 0)
		return -1;
	push_key(x, "polarity");
	if (strcmp(polarity, "normal") != 0 && strcmp(polarity, "inverted") != 0)
		return fail(x, "must be \"normal\" or \"inverted\", not \"%s\"", polarity);
	proto->params.polarity_inverted = strcmp(polarity, "inverted") == 0;
	pop(x);
	proto->params.fader_db = 0.0f;
	proto->params.trim_db = 0.0f;
	proto->params.pan_azimuth_deg = 0.0f;
	proto->params.pan_width = 1.0f;
	proto->params.lfe_send_db = -INFINITY;
	if (get_db(x, js, "fader", GAIN_DB_OFF, CONSOLE_FADER_MAX_DB, true, &proto->params.fader_db) < 0 ||
	    get_db(x, js, "trim", CONSOLE_TRIM_MIN_DB, CONSOLE_TRIM_MAX_DB, false, &proto->params.trim_db) < 0 ||
	    get_db(x, js, "pan", -180.0f, 180.0f, false, &proto->params.pan_azimuth_deg) < 0 ||
	    get_db(x, js, "elevation", -90.0f, 90.0f, false, &proto->params.pan_elevation_deg) < 0 ||
	    get_db(x, js, "size", 0.0f, 1.0f, false, &proto->params.pan_size) < 0 ||
	    get_db(x, js, "divergence", 0.0f, 1.0f, false, &proto->params.pan_divergence) < 0 ||
	    get_db(x, js, "width", 0.0f, 1.0f, false, &proto->params.pan_width) < 0 ||
	    get_db(x, js, "rotation", -180.0f, 180.0f, false, &proto->params.pan_rotation_deg) < 0 ||
	    get_db(x, js, "lfe", GAIN_DB_OFF, CONSOLE_FADER_MAX_DB, true, &proto->params.lfe_send_db) < 0 ||
	    get_bool(x, js, "mute", &proto->params.mute) < 0 ||
	    get_bool(x, js, "solo", &proto->params.solo) < 0 ||
	    get_bool(x, js, "solo_safe", &proto->params.solo_safe) < 0)
		return -1;
	if (parse_room_position(x, js, &proto->params) < 0)
		return -1;
	for (uint32_t k = 0; k < CONSOLE_MAX_AUX; k++)
		proto->params.send[k] = (struct send_params){-INFINITY, false, true};
	if (json_object_get(js, "sends") && parse_sends(x, json_object_get(js, "sends"), c, &proto->params) < 0)
		return -1;
	console_processing_defaults(&proto->params.proc);
	if (parse_processing_roots(x, js, &proto->params.proc, true) < 0)
		return -1;
	if (*count && json_object_get(js, "connect")) {
		push_key(x, "connect");
		return fail(x, "cannot be combined with \"count\": connect each strip on its own entry");
	}
	return get_port_list(x, js, "connect", layout_get(proto->input)->channels, &proto->connect, &proto->n_connect);
}

static void free_port_list(struct console_strip *s)
{
	for (uint32_t k = 0; k < s->n_connect; k++)
		free(s->connect[k]);
	free(s->connect);
	s->connect = NULL;
	s->n_connect = 0;
}

/* "cal": {"L": -1.5, ...} or "delay": {"Ltf": 2.1, ...}: one number per
 * named loudspeaker of the room. */
static int parse_speaker_values(struct ctx *x, json_t *o, const char *key, float lo, float hi,
                                struct console_monitor *m, size_t offset)
{
	json_t *v = json_object_get(o, key);
	if (!v)
		return 0;
	push_key(x, key);
	if (!json_is_object(v))
		return fail(x, "must map loudspeaker names to numbers, not %s", type_name(v));
	const struct layout *room = layout_get(m->room);
	const char *name;
	json_t *n;
	json_object_foreach(v, name, n) {
		const int ch = layout_channel_index(room, name);
		if (ch < 0) {
			push_key(x, name);
			return fail(x, "the %s room has no loudspeaker \"%s\"", room->name, name);
		}
		if (get_db(x, v, name, lo, hi, false, (float *)((char *)&m->speaker[ch] + offset)) < 0)
			return -1;
	}
	pop(x);
	return 0;
}

/* "monitor": the control-room path (docs/config.md). */
static int parse_monitor(struct ctx *x, json_t *o, struct console *c)
{
	push_key(x, "monitor");
	if (!json_is_object(o))
		return fail(x, "must be an object, not %s", type_name(o));
	if (check_keys(x, o, monitor_keys, "the monitor") < 0)
		return -1;
	struct console_monitor *m = c->monitor = calloc(1, sizeof *c->monitor);
	if (!m)
		return fail(x, "out of memory");
	if (get_format(x, o, "room", true, "loudspeaker layout", &m->room) < 0)
		return -1;
	if (console_find_bus(c, "monitor") >= 0)
		return fail(x, "a bus is called \"monitor\": its JACK ports would clash with the monitor's "
		            "(monitor_L, ...); rename the bus");
	m->speakers = m->room;
	if (get_format(x, o, "speakers", false, "speaker set", &m->speakers) < 0)
		return -1;
	if (!monitor_room_plays(c, m->room, m->speakers)) {
		push_key(x, "speakers");
		return fail(x, "a %s room cannot play %s: the speaker set is the room or a fold-down of it",
		            layout_get(m->room)->name, layout_get(m->speakers)->name);
	}
	/* Default source: the first master (the printmaster), else the first bus. */
	m->source = 0;
	for (uint32_t b = c->n_buses; b-- > 0;)
		if (c->buses[b].role == BUS_ROLE_MASTER)
			m->source = b;
	const char *source = NULL;
	if (get_string(x, o, "source", false, &source) < 0)
		return -1;
	if (source && strcmp(source, "solo") == 0) {
		m->source = c->n_buses;
	} else if (source) {
		push_key(x, "source");
		const int b = find_bus_named(x, json_object_get(o, "source"), c);
		if (b < 0)
			return -1;
		m->source = (uint32_t)b;
		pop(x);
	}
	m->heard = m->source;
	m->params.dim_db = -20.0f;
	if (get_db(x, o, "level", GAIN_DB_OFF, CONSOLE_FADER_MAX_DB, true, &m->params.level_db) < 0 ||
	    get_db(x, o, "dim_level", CONSOLE_MONITOR_DIM_MIN_DB, 0.0f, false, &m->params.dim_db) < 0 ||
	    get_bool(x, o, "dim", &m->params.dim) < 0 || get_bool(x, o, "mute", &m->params.mute) < 0 ||
	    get_bool(x, o, "mono", &m->params.mono) < 0 ||
	    parse_speaker_values(x, o, "cal", CONSOLE_MONITOR_CAL_MIN_DB, CONSOLE_MONITOR_CAL_MAX_DB, m,
	                         offsetof(struct monitor_speaker_params, cal_db)) < 0 ||
	    parse_speaker_values(x, o, "delay", 0.0f, CONSOLE_MONITOR_DELAY_MAX_MS, m,
	                         offsetof(struct monitor_speaker_params, delay_ms)) < 0 ||
	    get_port_list(x, o, "connect", layout_get(m->room)->channels, &m->connect, &m->n_connect) < 0)
		return -1;
	pop(x);
	return 0;
}

/* A path from the config, relative to the config file's folder (the origin's),
 * not to where dubstage runs; malloc'd. */
static char *beside_config(const struct ctx *x, const char *path)
{
	const char *slash = strrchr(x->origin, '/');
	if (path[0] == '/' || !slash)
		return strdup(path);
	const int dir_len = (int)(slash - x->origin);
	char *joined = malloc((size_t)dir_len + strlen(path) + 2);
	if (joined)
		sprintf(joined, "%.*s/%s", dir_len, x->origin, path);
	return joined;
}

/* "surfaces": [{"profile": "surfaces/touchosc-mix16.json", "from": "192.168.1.20", "port": 9000}] */
static int parse_surfaces(struct ctx *x, json_t *list, struct console *c)
{
	push_key(x, "surfaces");
	if (!json_is_array(list))
		return fail(x, "must be an array of {\"profile\", \"from\", \"port\"}, not %s", type_name(list));
	c->surfaces = calloc(json_array_size(list) + 1, sizeof *c->surfaces);
	if (!c->surfaces)
		return fail(x, "out of memory");
	for (size_t i = 0; i < json_array_size(list); i++) {
		push_index(x, i);
		json_t *o = json_array_get(list, i);
		if (!json_is_object(o))
			return fail(x, "must be an object, not %s", type_name(o));
		if (check_keys(x, o, surface_keys, "a surface") < 0)
			return -1;
		struct surface_binding *b = &c->surfaces[c->n_surfaces];
		const char *profile = NULL, *from = NULL;
		float port = 0, feedback_port = 0;
		if (get_string(x, o, "profile", true, &profile) < 0 || get_string(x, o, "from", false, &from) < 0 ||
		    get_db(x, o, "port", 1, 65535, false, &port) < 0 || /* get_db reads any bounded number */
		    get_db(x, o, "feedback_port", 1, 65535, false, &feedback_port) < 0 || get_bool(x, o, "echo", &b->echo) < 0)
			return -1;
		if (feedback_port > 0 && !from) {
			push_key(x, "feedback_port");
			return fail(x, "needs \"from\": feedback goes to that address");
		}
		b->feedback_port = (uint32_t)feedback_port;
		if (!from && port == 0)
			return fail(x, "needs \"from\" (the surface's IP address), \"port\" (its UDP port) or both");
		if (from) {
			struct in6_addr any;
			push_key(x, "from");
			if (strlen(from) >= sizeof b->from ||
			    (inet_pton(AF_INET, from, &any) != 1 && inet_pton(AF_INET6, from, &any) != 1))
				return fail(x, "\"%s\" is not an IPv4 or IPv6 address", from);
			snprintf(b->from, sizeof b->from, "%s", from);
			pop(x);
		}
		b->port = (uint32_t)port;
		char *path = beside_config(x, profile);
		char perr[512] = "out of memory";
		push_key(x, "profile");
		b->profile = path ? profile_load(path, perr, sizeof perr) : NULL;
		free(path);
		if (!b->profile)
			return fail(x, "%s", perr);
		pop(x);
		c->n_surfaces++;
		pop(x);
	}
	pop(x);
	return 0;
}

/* "osc_allow": ["127.0.0.1", "192.168.10.0/24"]: who may send OSC. */
static int parse_osc_allow(struct ctx *x, json_t *list, struct console *c)
{
	push_key(x, "osc_allow");
	if (!json_is_array(list) || json_array_size(list) == 0 || json_array_size(list) > ALLOWLIST_MAX)
		return fail(x, "must be a list of 1 ... %d addresses or subnets (\"192.168.10.0/24\"), not %s",
		            ALLOWLIST_MAX, type_name(list));
	c->osc_allow = calloc(json_array_size(list), sizeof *c->osc_allow);
	if (!c->osc_allow)
		return fail(x, "out of memory");
	for (size_t i = 0; i < json_array_size(list); i++) {
		push_index(x, i);
		json_t *v = json_array_get(list, i);
		char why[256];
		if (!json_is_string(v))
			return fail(x, "must be an address or subnet as a string, not %s", type_name(v));
		if (allowlist_parse(json_string_value(v), &c->osc_allow[c->n_osc_allow], why, sizeof why) < 0)
			return fail(x, "%s", why);
		c->n_osc_allow++;
		pop(x);
	}
	pop(x);
	return 0;
}

static int parse_strips(struct ctx *x, json_t *strips, struct console *c);
static int parse_groups(struct ctx *x, json_t *root, struct console *c, bool vca);

static int parse_console(struct ctx *x, json_t *root, struct console *c)
{
	if (!json_is_object(root))
		return fail(x, "the file must hold one JSON object, not %s", type_name(root));
	if (check_keys(x, root, top_keys, "the console") < 0)
		return -1;
	const char *name = "untitled";
	if (get_string(x, root, "name", false, &name) < 0)
		return -1;
	c->name = strdup(name);
	const char *snapshots = NULL;
	if (get_string(x, root, "snapshots", false, &snapshots) < 0)
		return -1;
	if (snapshots && !(c->snapshot_dir = beside_config(x, snapshots)))
		return fail(x, "out of memory");
	const char *prints = NULL;
	if (get_string(x, root, "prints", false, &prints) < 0)
		return -1;
	if (prints && !(c->print_dir = beside_config(x, prints)))
		return fail(x, "out of memory");
	const char *state = NULL;
	if (get_string(x, root, "state", false, &state) < 0)
		return -1;
	if (state && !(c->state_dir = beside_config(x, state)))
		return fail(x, "out of memory");
	if (json_object_get(root, "surfaces") && parse_surfaces(x, json_object_get(root, "surfaces"), c) < 0)
		return -1;
	if (json_object_get(root, "osc_allow") && parse_osc_allow(x, json_object_get(root, "osc_allow"), c) < 0)
		return -1;
	c->osc_subscribers = CONFIG_OSC_SUBSCRIBERS;
	json_t *subs = json_object_get(root, "osc_subscribers");
	if (subs) {
		push_key(x, "osc_subscribers");
		if (!json_is_integer(subs) || json_integer_value(subs) < 1 || json_integer_value(subs) > SUBSCRIPTION_MAX)
			return fail(x, "must be a whole number of surfaces, 1 ... %d", SUBSCRIPTION_MAX);
		c->osc_subscribers = (uint32_t)json_integer_value(subs);
		pop(x);
	}
	c->osc_rate = CONFIG_OSC_RATE;
	json_t *rate = json_object_get(root, "osc_rate");
	if (rate) {
		push_key(x, "osc_rate");
		if (!json_is_integer(rate) || json_integer_value(rate) < 10 || json_integer_value(rate) > CONFIG_OSC_RATE_MAX)
			return fail(x, "must be a whole number of datagrams a second, 10 ... %d", CONFIG_OSC_RATE_MAX);
		c->osc_rate = (uint32_t)json_integer_value(rate);
		pop(x);
	}
	c->osc_fanout = CONFIG_OSC_FANOUT;
	json_t *fanout = json_object_get(root, "osc_fanout");
	if (fanout) {
		push_key(x, "osc_fanout");
		if (!json_is_integer(fanout) || json_integer_value(fanout) < 1 ||
		    json_integer_value(fanout) > CONFIG_OSC_FANOUT_MAX)
			return fail(x, "must be a whole number of targets a second, 1 ... %d", CONFIG_OSC_FANOUT_MAX);
		c->osc_fanout = (uint32_t)json_integer_value(fanout);
		pop(x);
	}
	downmix_table_init(&c->downmix);
	if (json_object_get(root, "downmix") && parse_downmix(x, json_object_get(root, "downmix"), &c->downmix) < 0)
		return -1;

	json_t *buses = json_object_get(root, "buses");
	if (!buses)
		return fail(x, "missing required key \"buses\"");
	push_key(x, "buses");
	if (!json_is_array(buses) || json_array_size(buses) == 0)
		return fail(x, "must be a non-empty array of buses");
	if (json_array_size(buses) > CONSOLE_MAX_BUSES)
		return fail(x, "%zu buses: at most %d", json_array_size(buses), CONSOLE_MAX_BUSES);
	c->buses = calloc(json_array_size(buses), sizeof *c->buses);
	if (!c->buses)
		return fail(x, "out of memory");
	for (size_t i = 0; i < json_array_size(buses); i++) {
		push_index(x, i);
		if (parse_bus(x, json_array_get(buses, i), &c->buses[c->n_buses]) < 0)
			return -1;
		if (console_find_bus(c, c->buses[c->n_buses].name) >= 0) {
			push_key(x, "name");
			return fail(x, "bus name \"%s\" is used twice", c->buses[c->n_buses].name);
		}
		c->n_buses++;
		pop(x);
	}
	for (uint32_t i = 0; i < c->n_buses; i++) {
		push_index(x, i);
		if (resolve_sources(x, json_array_get(buses, i), c, i) < 0)
			return -1;
		pop(x);
	}
	/* After every master's own sources: an aux joins its target's list. */
	for (uint32_t i = 0; i < c->n_buses; i++) {
		push_index(x, i);
		if (c->buses[i].role == BUS_ROLE_AUX && resolve_aux(x, json_array_get(buses, i), c, i) < 0)
			return -1;
		pop(x);
	}
	for (uint32_t i = 0; i < c->n_buses; i++) {
		push_index(x, i);
		if (resolve_dialogue(x, json_array_get(buses, i), c, i) < 0)
			return -1;
		pop(x);
	}
	uint32_t cycle_bus = 0;
	if (console_sort_buses(c, &cycle_bus) < 0) {
		push_index(x, cycle_bus);
		push_key(x, "sources");
		return fail(x, "bus %s feeds itself through its sources (a cycle)", c->buses[cycle_bus].name);
	}
	pop(x);
	if (json_object_get(root, "monitor") && parse_monitor(x, json_object_get(root, "monitor"), c) < 0)
		return -1;

	json_t *strips = json_object_get(root, "strips");
	if (strips && parse_strips(x, strips, c) < 0)
		return -1;
	return parse_groups(x, root, c, true) < 0 ? -1 : parse_groups(x, root, c, false);
}

static int parse_strips(struct ctx *x, json_t *strips, struct console *c)
{
	push_key(x, "strips");
	if (!json_is_array(strips))
		return fail(x, "must be an array of strips, not %s", type_name(strips));
	uint32_t cap = 0;
	for (size_t i = 0; i < json_array_size(strips); i++) {
		push_index(x, i);
		struct console_strip proto = {0};
		unsigned count = 0;
		if (parse_strip(x, json_array_get(strips, i), c, &proto, &count) < 0) {
			free_port_list(&proto);
			return -1;
		}
		const unsigned copies = count ? count : 1;
		if (c->n_strips + copies > CONSOLE_MAX_STRIPS) {
			free_port_list(&proto);
			return fail(x, "the console would have more than %d strips", CONSOLE_MAX_STRIPS);
		}
		if (c->n_strips + copies > cap) {
			cap = (c->n_strips + copies) * 2;
			struct console_strip *grown = realloc(c->strips, cap * sizeof *grown);
			if (!grown) {
				free_port_list(&proto);
				return fail(x, "out of memory");
			}
			c->strips = grown;
		}
		for (unsigned k = 0; k < copies; k++) {
			struct console_strip *s = &c->strips[c->n_strips];
			*s = proto;
			if (count) {
				/* check_name() already proved the longest expansion fits. */
				char expanded[2 * CONSOLE_NAME_MAX];
				snprintf(expanded, sizeof expanded, "%s%u", proto.name, k + 1);
				memcpy(s->name, expanded, CONSOLE_NAME_MAX - 1);
				s->name[CONSOLE_NAME_MAX - 1] = '\0';
			}
			if (console_find_strip(c, s->name) >= 0) {
				push_key(x, "name");
				free_port_list(&proto);
				return fail(x, "strip name \"%s\" is used twice%s", s->name,
				            count ? " (count expands a name to NAME1 ... NAMEn)" : "");
			}
			for (uint32_t a = 0; a < c->n_aux; a++) {
				char ret[2 * CONSOLE_NAME_MAX];
				snprintf(ret, sizeof ret, "%s_return", c->buses[c->aux[a]].name);
				if (strcmp(ret, s->name) == 0) {
					push_key(x, "name");
					free_port_list(&proto);
					return fail(x, "strip %s: its JACK input ports (in_%s...) would be aux %s's return "
					            "ports; rename one", s->name, s->name, c->buses[c->aux[a]].name);
				}
			}
			c->n_strips++;
		}
		pop(x);
	}
	pop(x);
	return 0;
}

/* Each VCA's "vcas" (its member VCAs): a strip under a member VCA is under
 * every VCA above it, each counted once. A VCA may not contain itself. */
static int resolve_nested_vcas(struct ctx *x, json_t *list, struct console *c)
{
	uint32_t child[CONSOLE_MAX_GROUPS] = {0};
	for (uint32_t v = 0; v < c->n_vcas; v++) {
		json_t *kids = json_object_get(json_array_get(list, v), "vcas");
		if (!kids)
			continue;
		push_index(x, v);
		push_key(x, "vcas");
		if (!json_is_array(kids))
			return fail(x, "must be an array of VCA names, not %s", type_name(kids));
		for (size_t i = 0; i < json_array_size(kids); i++) {
			push_index(x, i);
			json_t *k = json_array_get(kids, i);
			const int w = json_is_string(k) ? console_find_vca(c, json_string_value(k)) : -1;
			if (w < 0)
				return fail(x, "no VCA named %s", json_is_string(k) ? json_string_value(k) : "(not a string)");
			child[v] |= 1u << w;
			pop(x);
		}
		pop(x);
		pop(x);
	}
	/* below[v]: every VCA inside v, however deep. */
	uint32_t below[CONSOLE_MAX_GROUPS];
	memcpy(below, child, sizeof below);
	for (uint32_t round = 0; round < c->n_vcas; round++)
		for (uint32_t v = 0; v < c->n_vcas; v++)
			for (uint32_t w = 0; w < c->n_vcas; w++)
				if (below[v] & (1u << w))
					below[v] |= below[w];
	for (uint32_t v = 0; v < c->n_vcas; v++)
		if (below[v] & (1u << v)) {
			push_index(x, v);
			push_key(x, "vcas");
			return fail(x, "VCA %s contains itself through its member VCAs (a cycle)", c->vcas[v].name);
		}
	for (uint32_t s = 0; s < c->n_strips; s++) {
		uint32_t mask = c->strips[s].vcas;
		for (uint32_t v = 0; v < c->n_vcas; v++)
			if (below[v] & c->strips[s].vcas)
				mask |= 1u << v;
		c->strips[s].vcas = mask;
	}
	return 0;
}

/* "strips": ["DX1", "ADR*"]: names or shell patterns; sets `bit` in the
 * matching strips' mask at `mask_offset`. A name or pattern that matches
 * no strip is an error (a typo would otherwise leave a strip out). */
static int parse_members(struct ctx *x, json_t *list, struct console *c, uint32_t bit, size_t mask_offset)
{
	push_key(x, "strips");
	if (!json_is_array(list))
		return fail(x, "must be an array of strip names or patterns (\"DX*\"), not %s", type_name(list));
	for (size_t i = 0; i < json_array_size(list); i++) {
		push_index(x, i);
		json_t *v = json_array_get(list, i);
		if (!json_is_string(v))
			return fail(x, "must be a strip name or pattern, not %s", type_name(v));
		uint32_t matched = 0;
		for (uint32_t k = 0; k < c->n_strips; k++)
			if (fnmatch(json_string_value(v), c->strips[k].name, 0) == 0) {
				*(uint32_t *)((char *)&c->strips[k] + mask_offset) |= bit;
				matched++;
			}
		if (!matched)
			return fail(x, "\"%s\" matches no strip", json_string_value(v));
		pop(x);
	}
	pop(x);
	return 0;
}

/* "vcas": [{"name": "DX", "strips": ["DX*"]}, {"name": "ALL", "vcas": ["DX", "FX"]}]
 * or "mute_groups": [{"name": "FOLEY", "strips": ["FOL*"]}]. A VCA's "vcas"
 * are its member VCAs: it offsets their strips too. */
static int parse_groups(struct ctx *x, json_t *root, struct console *c, bool vca)
{
	const char *key = vca ? "vcas" : "mute_groups";
	json_t *list = json_object_get(root, key);
	if (!list)
		return 0;
	push_key(x, key);
	if (!json_is_array(list))
		return fail(x, "must be an array of {\"name\", \"strips\"%s}, not %s", vca ? ", \"vcas\"" : "",
		            type_name(list));
	if (json_array_size(list) > CONSOLE_MAX_GROUPS)
		return fail(x, "%zu groups: at most %d", json_array_size(list), CONSOLE_MAX_GROUPS);
	struct console_group *groups = vca ? c->vcas : c->mute_groups;
	uint32_t *n = vca ? &c->n_vcas : &c->n_mute_groups;
	for (size_t i = 0; i < json_array_size(list); i++) {
		push_index(x, i);
		json_t *o = json_array_get(list, i);
		if (!json_is_object(o))
			return fail(x, "must be an object, not %s", type_name(o));
		if (check_keys(x, o, vca ? vca_keys : mute_group_keys, vca ? "a VCA" : "a mute group") < 0)
			return -1;
		const char *name = NULL;
		if (get_string(x, o, "name", true, &name) < 0)
			return -1;
		push_key(x, "name");
		if (check_name(x, name, CONSOLE_NAME_MAX) < 0)
			return -1;
		if ((vca ? console_find_vca(c, name) : console_find_mute_group(c, name)) >= 0)
			return fail(x, "\"%s\" is used twice", name);
		pop(x);
		struct console_group *g = &groups[(*n)++];
		snprintf(g->name, sizeof g->name, "%s", name);
		if (get_bool(x, o, "mute", &g->params.mute) < 0 ||
		    (vca && get_db(x, o, "fader", GAIN_DB_OFF, CONSOLE_FADER_MAX_DB, true, &g->params.fader_db) < 0))
			return -1;
		json_t *members = json_object_get(o, "strips");
		if (members && parse_members(x, members, c, 1u << i, vca ? offsetof(struct console_strip, vcas)
		                                                         : offsetof(struct console_strip, mute_groups)) < 0)
			return -1;
		pop(x);
	}
	if (vca && resolve_nested_vcas(x, list, c) < 0)
		return -1;
	pop(x);
	return 0;
}

struct console *config_load_text(const char *text, const char *origin, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		snprintf(err, errlen, "%s:%d:%d: invalid JSON: %s", origin, je.line, je.column, je.text);
		return NULL;
	}
	struct console *c = calloc(1, sizeof *c);
	struct ctx x = {text, origin, err, errlen, {.depth = 0}};
	if (!c || parse_console(&x, root, c) < 0) {
		if (!c)
			snprintf(err, errlen, "out of memory");
		console_free(c);
		json_decref(root);
		return NULL;
	}
	json_decref(root);
	return c;
}

struct console *config_load_file(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	size_t cap = 65536, len = 0;
	char *text = malloc(cap);
	size_t got;
	while (text && (got = fread(text + len, 1, cap - len - 1, f)) > 0) {
		len += got;
		if (len + 1 == cap) {
			char *grown = realloc(text, cap *= 2);
			if (!grown) {
				free(text);
				text = NULL;
			}
			text = grown;
		}
	}
	const bool read_error = ferror(f);
	fclose(f);
	if (!text || read_error) {
		snprintf(err, errlen, "%s: cannot read: %s", path, text ? strerror(errno) : "out of memory");
		free(text);
		return NULL;
	}
	text[len] = '\0';
	if (strlen(text) != len) {
		snprintf(err, errlen, "%s: not a text file (it contains a NUL byte)", path);
		free(text);
		return NULL;
	}
	struct console *c = config_load_text(text, path, err, errlen);
	free(text);
	if (c && !c->state_dir) { /* a console from a file keeps its live state beside it by default */
		const char *slash = strrchr(path, '/');
		const int dir_len = slash ? (int)(slash - path) : 1;
		c->state_dir = malloc((size_t)dir_len + sizeof "/state");
		if (!c->state_dir) {
			console_free(c);
			snprintf(err, errlen, "out of memory");
			return NULL;
		}
		sprintf(c->state_dir, "%.*s/state", dir_len, slash ? path : ".");
	}
	return c;
}
