#include "control/snapshot.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control/error_text.h"
#include "control/folder.h"
#include "dsp/gain.h"
#include "dsp/layout.h"
#include "dsp/panner.h"
#include "engine/monitor.h"

#define VERSION_STRING DUBSTAGE_VERSION

bool snapshot_name_ok(const char *name)
{
	const size_t n = strlen(name);
	if (n == 0 || n >= SNAPSHOT_NAME_MAX || name[0] == '.')
		return false;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' ||
		      *p == '-' || *p == '.' || *p == ' '))
			return false;
	return true;
}

/* The sections of a snapshot file and the table kinds they hold. */
static const struct {
	const char *key, *kind;
} sections[] = {{"strips", "strip"}, {"buses", "bus"}, {"vcas", "vca"}, {"mute_groups", "mute_group"}};

/* Whether row p (of target i, in c) is part of the mix a snapshot keeps:
 * settable, not model-only (safes) nor solo (monitoring; the live state
 * keeps both), not a string choice (the monitor's source and speaker set,
 * which the live state keeps by name), not a second
 * name for a field an earlier row holds (fader/pos, pan), and for a strip
 * only the pan form it uses (direction or room position). */
static bool kept(const struct console *c, const struct param *table, size_t row, enum param_kind kind, uint32_t i,
                 bool live)
{
	const struct param *p = &table[row];
	if (p->action != ACT_VALUE || (p->model_only && !live) || p->rule == RULE_FADER_POS ||
	    p->rule == RULE_SOURCE || p->rule == RULE_SET)
		return false;
	if (!live && kind == KIND_STRIP && (strcmp(p->name, "solo") == 0 || strcmp(p->name, "solo_safe") == 0))
		return false;
	for (size_t r = 0; r < row; r++)
		if (table[r].kind && strcmp(table[r].kind, p->kind) == 0 && table[r].offset == p->offset &&
		    table[r].action == ACT_VALUE && !param_is_send(p) && table[r].rule != RULE_SOURCE &&
		    table[r].rule != RULE_SET) /* the string choices hold no field */
			return false;
	if (kind == KIND_STRIP && strncmp(p->name, "pan/", 4) == 0) {
		const bool room = c->strips[i].params.pan_room;
		if (room && (strcmp(p->name, "pan/az") == 0 || strcmp(p->name, "pan/el") == 0))
			return false;
		if (!room && (strcmp(p->name, "pan/x") == 0 || strcmp(p->name, "pan/y") == 0 || strcmp(p->name, "pan/z") == 0))
			return false;
	}
	if (kind == KIND_BUS && strncmp(p->name, "limiter/", 8) == 0 && !c->buses[i].has_limiter)
		return false;
	return true;
}

static json_t *value_json(const struct param *p, float v)
{
	if (p->rule == RULE_BOOL)
		return json_boolean(v != 0.0f);
	if (isinf(v))
		return json_string(v < 0 ? "-inf" : "inf");
	return json_real(v);
}

/* Target i's settings of table kind `kind` into a new object. */
static json_t *settings_json(struct console *c, const char *kind_name, enum param_kind kind, uint32_t i, bool live)
{
	size_t n_rows;
	const struct param *table = param_table(&n_rows);
	char key[128];
	json_t *target = json_object();
	for (size_t r = 0; r < n_rows; r++) {
		if (!table[r].kind || strcmp(table[r].kind, kind_name) != 0 || !kept(c, table, r, kind, i, live))
			continue;
		for (uint32_t k = 0; k < (param_is_send(&table[r]) ? c->n_aux : 1); k++) {
			const struct param p = param_is_send(&table[r]) ? param_for_aux(&table[r], k) : table[r];
			if (param_is_send(&table[r]))
				snprintf(key, sizeof key, "send/%s/%s", c->buses[c->aux[k]].name, table[r].name + 5);
			else
				snprintf(key, sizeof key, "%s", p.name);
			json_object_set_new(target, key, value_json(&p, param_get(c, &p, i)));
		}
	}
	return target;
}

/* The live state's monitor section: source and speaker set by name, the
 * numeric settings, and each loudspeaker's. */
static json_t *monitor_json(struct console *c)
{
	const struct console_monitor *m = c->monitor;
	json_t *mon = settings_json(c, "monitor", KIND_MONITOR, 0, true);
	json_object_set_new(mon, "source", json_string(monitor_source_name(c, m->source)));
	json_object_set_new(mon, "speakers", json_string(layout_get(m->speakers)->name));
	json_t *speakers = json_object();
	for (uint32_t i = 0; i < param_target_count(c, KIND_SPEAKER); i++)
		json_object_set_new(speakers, param_target_name(c, KIND_SPEAKER, i),
		                    settings_json(c, "monitor/speaker", KIND_SPEAKER, i, true));
	json_object_set_new(mon, "speaker", speakers);
	return mon;
}

char *snapshot_text(struct console *c, bool live)
{
	json_t *root = json_object();
	json_object_set_new(root, "dubstage_snapshot", json_integer(SNAPSHOT_FORMAT));
	json_object_set_new(root, "version", json_string(VERSION_STRING));
	json_object_set_new(root, "console", json_string(c->name ? c->name : ""));
	for (size_t sct = 0; sct < sizeof sections / sizeof sections[0]; sct++) {
		json_t *section = json_object();
		const struct param probe = {.kind = sections[sct].kind};
		const enum param_kind kind = param_kind_of(&probe);
		for (uint32_t i = 0; i < param_target_count(c, kind); i++)
			json_object_set_new(section, param_target_name(c, kind, i),
			                    settings_json(c, sections[sct].kind, kind, i, live));
		json_object_set_new(root, sections[sct].key, section);
	}
	if (live && c->monitor)
		json_object_set_new(root, "monitor", monitor_json(c));
	char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(7));
	json_decref(root);
	const size_t len = text ? strlen(text) : 0;
	char *with_newline = text ? realloc(text, len + 2) : NULL;
	if (!with_newline) {
		free(text);
		return NULL;
	}
	with_newline[len] = '\n';
	with_newline[len + 1] = '\0';
	return with_newline;
}

int snapshot_save(struct console *c, const char *dir, const char *name, char *err, size_t errlen)
{
	if (!snapshot_name_ok(name))
		return error_text(err, errlen, "\"%s\" is not a snapshot name (1-63 of A-Z a-z 0-9 _ - . and space, "
		            "not starting with a dot)", name);
	if (folder_make(dir, err, errlen) < 0)
		return -1;
	char *text = snapshot_text(c, false);
	if (!text)
		return error_text(err, errlen, "out of memory");
	char file[SNAPSHOT_NAME_MAX + 8];
	snprintf(file, sizeof file, "%s.json", name);
	const int rc = folder_write_file(dir, file, text, strlen(text), NULL, err, errlen);
	free(text);
	return rc;
}

int snapshot_delete(const char *dir, const char *name, char *err, size_t errlen)
{
	if (!snapshot_name_ok(name))
		return error_text(err, errlen, "\"%s\" is not a snapshot name", name);
	char path[4200];
	snprintf(path, sizeof path, "%s/%s.json", dir, name);
	if (unlink(path) != 0)
		return error_text(err, errlen, "cannot delete snapshot \"%s\": %s", name, strerror(errno));
	return 0;
}

static int by_name(const void *a, const void *b) { return strcmp(a, b); }

int snapshot_list(const char *dir, char (**names)[SNAPSHOT_NAME_MAX], uint32_t *n, char *err, size_t errlen)
{
	*names = NULL;
	*n = 0;
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : error_text(err, errlen, "cannot read %s: %s", dir, strerror(errno));
	uint32_t cap = 0;
	for (struct dirent *e; (e = readdir(d));) {
		const size_t len = strlen(e->d_name);
		if (e->d_name[0] == '.' || len < 6 || strcmp(e->d_name + len - 5, ".json") != 0 ||
		    len - 5 >= SNAPSHOT_NAME_MAX)
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 16;
			char(*grown)[SNAPSHOT_NAME_MAX] = realloc(*names, cap * sizeof **names);
			if (!grown) {
				closedir(d);
				return error_text(err, errlen, "out of memory");
			}
			*names = grown;
		}
		snprintf((*names)[*n], SNAPSHOT_NAME_MAX, "%.*s", (int)(len - 5), e->d_name);
		(*n)++;
	}
	closedir(d);
	if (*n)
		qsort(*names, *n, sizeof **names, by_name);
	return 0;
}

static void note_unmatched(struct snapshot_recall *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note_unmatched(struct snapshot_recall *r, const char *fmt, ...)
{
	char item[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(item, sizeof item, fmt, ap);
	va_end(ap);
	const size_t used = strlen(r->unmatched);
	if (used + strlen(item) + 8 < sizeof r->unmatched)
		snprintf(r->unmatched + used, sizeof r->unmatched - used, "%s%s", used ? ", " : "", item);
	else if (!strstr(r->unmatched, "..."))
		snprintf(r->unmatched + used, sizeof r->unmatched - used, ", ...");
	r->n_unmatched++;
}

/* Whether a strip's safes keep setting `name` from a recall. */
static bool safe_keeps(const struct recall_safe *s, const char *name)
{
	if (s->all)
		return true;
	if (s->fader && strcmp(name, "fader") == 0)
		return true;
	if (s->dyn && strncmp(name, "dyn/", 4) == 0)
		return true;
	return s->eq && (strncmp(name, "eq/", 3) == 0 || strcmp(name, "eq/on") == 0 || strncmp(name, "hpf/", 4) == 0 ||
	                 strncmp(name, "lpf/", 4) == 0 || strncmp(name, "notch/", 6) == 0);
}

/* The row a snapshot key names for `kind` ("send/REV/level" moved to REV). */
static bool row_for_key(const struct console *c, const char *kind, const char *key, bool live, struct param *out)
{
	if (strncmp(key, "send/", 5) == 0) {
		const char *field = strrchr(key, '/');
		char aux[CONSOLE_NAME_MAX + 1];
		const int len = (int)(field - key - 5);
		if (len <= 0 || len > CONSOLE_NAME_MAX)
			return false;
		snprintf(aux, sizeof aux, "%.*s", len, key + 5);
		char row[64];
		snprintf(row, sizeof row, "send/%s", field + 1);
		const struct param *p = param_find(kind, row);
		const int k = console_find_aux(c, aux);
		if (!p || k < 0)
			return false;
		*out = param_for_aux(p, (uint32_t)k);
		return true;
	}
	const struct param *p = param_find(kind, key);
	if (!p || p->action != ACT_VALUE || (p->model_only && !live) || p->rule == RULE_SOURCE || p->rule == RULE_SET)
		return false;
	*out = *p;
	return true;
}

static bool value_from_json(const struct param *p, const json_t *v, float *out)
{
	if (p->rule == RULE_BOOL && json_is_boolean(v)) {
		*out = json_is_true(v) ? 1.0f : 0.0f;
		return true;
	}
	if (json_is_number(v)) {
		const double d = json_number_value(v);
		*out = (float)d;
		return isfinite(d);
	}
	if (p->rule == RULE_DB_OFF && json_is_string(v) && strcmp(json_string_value(v), "-inf") == 0) {
		*out = -INFINITY;
		return true;
	}
	return false;
}

/* Target i's settings (a JSON object) into r's changes; false when out of
 * memory. `where`: "strips.A" for what did not match. */
static bool read_settings(struct snapshot_recall *r, uint32_t *cap, struct console *c, const char *kind_name,
                          enum param_kind kind, uint32_t i, json_t *settings, const char *where, bool live)
{
	const char *key;
	json_t *v;
	json_object_foreach(settings, key, v) {
		if (kind == KIND_MONITOR && (strcmp(key, "source") == 0 || strcmp(key, "speakers") == 0 ||
		                             strcmp(key, "speaker") == 0))
			continue; /* read by read_monitor */
		struct param p;
		float to;
		if (!row_for_key(c, kind_name, key, live, &p) || !value_from_json(&p, v, &to)) {
			note_unmatched(r, "%s.%s", where, key);
			continue;
		}
		if (kind == KIND_BUS && strncmp(key, "limiter/", 8) == 0 && !c->buses[i].has_limiter) {
			note_unmatched(r, "%s.%s (no limiter here)", where, key);
			continue;
		}
		r->n_matched++;
		/* safes keep a recall off the strip; the live state puts back everything */
		if (!live && kind == KIND_STRIP && safe_keeps(&c->strips[i].params.safe, key))
			continue;
		to = p.rule == RULE_DB_OFF && isinf(to) ? to : param_clamp(&p, to);
		const float from = param_get(c, &p, i);
		if (from == to)
			continue;
		if (r->n_changes == *cap) {
			*cap = *cap ? 2 * *cap : 64;
			struct snapshot_change *grown = realloc(r->changes, *cap * sizeof *grown);
			if (!grown)
				return false;
			r->changes = grown;
		}
		r->changes[r->n_changes++] = (struct snapshot_change){
			.row = p, .target = i, .from = from, .to = to,
			.continuous = p.rule == RULE_DB_OFF || p.rule == RULE_RANGE || p.rule == RULE_WRAP,
		};
	}
	return true;
}

/* The live state's monitor section into r: the source and speaker set by
 * name (what this console cannot play is reported), the numeric settings,
 * each loudspeaker's. */
static bool read_monitor(struct snapshot_recall *r, uint32_t *cap, struct console *c, json_t *mon)
{
	if (!c->monitor || !json_is_object(mon)) {
		note_unmatched(r, c->monitor ? "monitor (not an object)" : "monitor (this console has none)");
		return true;
	}
	const json_t *source = json_object_get(mon, "source"), *set = json_object_get(mon, "speakers");
	if (source) {
		const int b = json_is_string(source) ? monitor_find_source(c, json_string_value(source)) : -1;
		if (b < 0)
			note_unmatched(r, "monitor.source");
		else
			r->monitor_source = b, r->n_matched++;
	}
	if (set) {
		enum layout_id id;
		if (!json_is_string(set) || monitor_find_set(c, json_string_value(set), &id) < 0)
			note_unmatched(r, "monitor.speakers");
		else
			r->monitor_speakers = (int)id, r->n_matched++;
	}
	if (!read_settings(r, cap, c, "monitor", KIND_MONITOR, 0, mon, "monitor", true))
		return false;
	json_t *speakers = json_object_get(mon, "speaker");
	if (!speakers)
		return true;
	if (!json_is_object(speakers)) {
		note_unmatched(r, "monitor.speaker (not an object)");
		return true;
	}
	const char *name;
	json_t *settings;
	json_object_foreach(speakers, name, settings) {
		const int i = param_find_target(c, KIND_SPEAKER, name);
		char where[96];
		snprintf(where, sizeof where, "monitor.speaker.%.40s", name);
		if (i < 0 || !json_is_object(settings)) {
			note_unmatched(r, "%s", where);
			continue;
		}
		if (!read_settings(r, cap, c, "monitor/speaker", KIND_SPEAKER, (uint32_t)i, settings, where, true))
			return false;
	}
	return true;
}

static struct snapshot_recall *read_file(struct console *c, const char *dir, const char *name, double fade_s,
                                         bool live, char *err, size_t errlen)
{
	if (!snapshot_name_ok(name)) {
		error_text(err, errlen, "\"%s\" is not a snapshot name", name);
		return NULL;
	}
	char path[4200];
	snprintf(path, sizeof path, "%s/%s.json", dir, name);
	json_error_t je;
	json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		if (access(path, F_OK) != 0)
			error_text(err, errlen, "no snapshot \"%s\" in %s", name, dir);
		else
			error_text(err, errlen, "%s:%d:%d: not valid JSON: %s", path, je.line, je.column, je.text);
		return NULL;
	}
	json_t *format = json_object_get(root, "dubstage_snapshot");
	if (!json_is_object(root) || !json_is_integer(format) || json_integer_value(format) > SNAPSHOT_FORMAT) {
		error_text(err, errlen, "%s is not a dubstage snapshot (format %d or older)", path, SNAPSHOT_FORMAT);
		json_decref(root);
		return NULL;
	}
	struct snapshot_recall *r = calloc(1, sizeof *r);
	if (!r) {
		json_decref(root);
		error_text(err, errlen, "out of memory");
		return NULL;
	}
	r->fade_s = fade_s > 0 ? fade_s : 0;
	r->monitor_source = r->monitor_speakers = -1;
	uint32_t cap = 0;
	bool ok = true;
	for (size_t sct = 0; sct < sizeof sections / sizeof sections[0] && ok; sct++) {
		json_t *section = json_object_get(root, sections[sct].key);
		if (!section)
			continue;
		if (!json_is_object(section)) {
			note_unmatched(r, "%s (not an object)", sections[sct].key);
			continue;
		}
		const struct param probe = {.kind = sections[sct].kind};
		const enum param_kind kind = param_kind_of(&probe);
		const char *target_name;
		json_t *settings;
		json_object_foreach(section, target_name, settings) {
			const int i = param_find_target(c, kind, target_name);
			char where[96];
			snprintf(where, sizeof where, "%s.%.40s", sections[sct].key, target_name);
			if (i < 0 || !json_is_object(settings)) {
				note_unmatched(r, "%s %s", sections[sct].kind, target_name);
				continue;
			}
			if (!(ok = read_settings(r, &cap, c, sections[sct].kind, kind, (uint32_t)i, settings, where, live)))
				break;
		}
	}
	if (ok && live && json_object_get(root, "monitor"))
		ok = read_monitor(r, &cap, c, json_object_get(root, "monitor"));
	json_decref(root);
	if (!ok) {
		snapshot_recall_free(r);
		error_text(err, errlen, "out of memory");
		return NULL;
	}
	return r;
}

struct snapshot_recall *snapshot_read(struct console *c, const char *dir, const char *name, double fade_s,
                                      char *err, size_t errlen)
{
	return read_file(c, dir, name, fade_s, false, err, errlen);
}

struct snapshot_recall *snapshot_read_live(struct console *c, const char *dir, const char *name, char *err,
                                           size_t errlen)
{
	return read_file(c, dir, name, 0.0, true, err, errlen);
}

/* The value of change ch at fraction t of the fade. */
static float along(const struct snapshot_change *ch, float t)
{
	if (t >= 1.0f)
		return ch->to;
	switch (ch->row.rule) {
	case RULE_DB_OFF: { /* in linear gain: a fade from or to off is a fade, not a jump */
		const float g0 = gain_from_db(ch->from), g1 = gain_from_db(ch->to);
		return gain_to_db(g0 + (g1 - g0) * t);
	}
	case RULE_WRAP:
		return panner_wrap_azimuth(ch->from + panner_wrap_azimuth(ch->to - ch->from) * t);
	default:
		return ch->from + (ch->to - ch->from) * t;
	}
}

bool snapshot_recall_step_some(struct snapshot_recall *r, struct engine *e, struct console *c, double now,
                               uint32_t most, void (*settled)(void *ctx, const struct param *row, uint32_t target),
                               void *ctx)
{
	if (r->cursor == 0) { /* a pass begins: its fraction of the fade */
		r->pass_first = !r->started;
		if (!r->started) {
			r->started = true;
			r->start = now;
		}
		r->pass_t = r->fade_s > 0 ? (float)((now - r->start) / r->fade_s) : 1.0f;
	}
	const float t = r->pass_t;
	const uint32_t end = r->n_changes - r->cursor > most ? r->cursor + most : r->n_changes;
	for (; r->cursor < end; r->cursor++) {
		const struct snapshot_change *ch = &r->changes[r->cursor];
		if (!ch->continuous && !r->pass_first)
			continue;
		const float v = ch->continuous ? along(ch, t) : ch->to;
		param_set(e, c, &ch->row, ch->target, v);
		if (settled && (!ch->continuous || t >= 1.0f))
			settled(ctx, &ch->row, ch->target);
	}
	if (r->cursor < r->n_changes)
		return false; /* the pass goes on at the next call */
	r->cursor = 0;
	return t >= 1.0f;
}

bool snapshot_recall_step(struct snapshot_recall *r, struct engine *e, struct console *c, double now,
                          void (*settled)(void *ctx, const struct param *row, uint32_t target), void *ctx)
{
	r->cursor = 0; /* a whole pass at `now` (a pass left half-way is redone whole) */
	return snapshot_recall_step_some(r, e, c, now, UINT32_MAX, settled, ctx);
}

void snapshot_recall_apply_model(const struct snapshot_recall *r, struct console *c)
{
	for (uint32_t k = 0; k < r->n_changes; k++)
		param_store(c, &r->changes[k].row, r->changes[k].target, r->changes[k].to);
	if (c->monitor && r->monitor_source >= 0)
		c->monitor->source = (uint32_t)r->monitor_source;
	if (c->monitor && r->monitor_speakers >= 0)
		c->monitor->speakers = (enum layout_id)r->monitor_speakers;
	console_edited(c);
}

void snapshot_recall_free(struct snapshot_recall *r)
{
	if (!r)
		return;
	free(r->changes);
	free(r);
}
