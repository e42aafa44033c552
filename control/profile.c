#include "control/profile.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct surface_profile *fail(struct surface_profile *p, char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static struct surface_profile *fail(struct surface_profile *p, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	free(p);
	return NULL;
}

static bool copy_text(char *to, const char *from)
{
	if (strlen(from) >= PROFILE_TEXT_MAX)
		return false;
	strcpy(to, from);
	return true;
}

struct surface_profile *profile_load(const char *path, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		snprintf(err, errlen, "%s:%d:%d: %s", path, je.line, je.column, je.text);
		return NULL;
	}
	struct surface_profile *p = calloc(1, sizeof *p);
	json_t *map = json_object_get(root, "map");
	const char *name = json_string_value(json_object_get(root, "name"));
	json_t *bank = json_object_get(root, "bank_size");
	if (!p || !json_is_object(root) || !json_is_array(map) || !name || !copy_text(p->name, name)) {
		json_decref(root);
		return fail(p, err, errlen, "%s: a profile is {\"name\": string, \"bank_size\": 1 ... 64, \"map\": [...]}",
		            path);
	}
	p->bank_size = 8;
	if (bank && (!json_is_integer(bank) || json_integer_value(bank) < 1 || json_integer_value(bank) > 64)) {
		json_decref(root);
		return fail(p, err, errlen, "%s: bank_size must be 1 ... 64", path);
	}
	if (bank)
		p->bank_size = (uint32_t)json_integer_value(bank);
	if (json_array_size(map) > PROFILE_MAPS_MAX) {
		json_decref(root);
		return fail(p, err, errlen, "%s: at most %d map rows", path, PROFILE_MAPS_MAX);
	}
	for (size_t i = 0; i < json_array_size(map); i++) {
		json_t *row = json_array_get(map, i);
		struct profile_map *m = &p->map[p->n_map];
		const char *address = json_string_value(json_object_get(row, "address"));
		const char *to = json_string_value(json_object_get(row, "to"));
		json_t *slots = json_object_get(row, "slots"), *scale = json_object_get(row, "scale");
		const char *k = address ? strstr(address, "{k}") : NULL;
		const char *problem = NULL;
		if (!json_is_object(row) || !address || address[0] != '/' || !to || !copy_text(m->to, to))
			problem = "needs \"address\" (starting with /) and \"to\"";
		else if (k && (!json_is_integer(slots) || json_integer_value(slots) < 1 || json_integer_value(slots) > 64))
			problem = "an address with {k} needs \"slots\": 1 ... 64";
		else if (k && to[0] == '/')
			problem = "a {k} row maps to a strip parameter (\"fader/pos\"), not an address";
		else if (!k && to[0] != '/')
			problem = "a row without {k} maps to a console address (\"/bus/PM/fader\")";
		else if (scale && (!json_is_array(scale) || json_array_size(scale) != 2 ||
		                   !json_is_number(json_array_get(scale, 0)) || !json_is_number(json_array_get(scale, 1))))
			problem = "\"scale\" is [lo, hi]";
		else if (strlen(address) >= PROFILE_TEXT_MAX)
			problem = "the address is too long";
		if (problem) {
			json_decref(root);
			return fail(p, err, errlen, "%s: map[%zu]: %s", path, i, problem);
		}
		m->slotted = k != NULL;
		if (k) {
			snprintf(m->prefix, sizeof m->prefix, "%.*s", (int)(k - address), address);
			snprintf(m->suffix, sizeof m->suffix, "%s", k + 3);
			m->slots = (uint32_t)json_integer_value(slots);
		} else {
			snprintf(m->prefix, sizeof m->prefix, "%s", address);
		}
		if (scale) {
			m->scaled = true;
			m->lo = (float)json_number_value(json_array_get(scale, 0));
			m->hi = (float)json_number_value(json_array_get(scale, 1));
		}
		p->n_map++;
	}
	json_decref(root);
	return p;
}

const struct profile_map *profile_match(const struct surface_profile *p, const char *address, uint32_t *slot)
{
	for (uint32_t i = 0; i < p->n_map; i++) {
		const struct profile_map *m = &p->map[i];
		if (!m->slotted) {
			if (strcmp(address, m->prefix) == 0)
				return m;
			continue;
		}
		const size_t pre = strlen(m->prefix), suf = strlen(m->suffix), len = strlen(address);
		if (len <= pre + suf || strncmp(address, m->prefix, pre) != 0 || strcmp(address + len - suf, m->suffix) != 0)
			continue;
		uint32_t k = 0;
		size_t d = pre;
		for (; d < len - suf && address[d] >= '0' && address[d] <= '9' && k < 1000; d++)
			k = k * 10 + (uint32_t)(address[d] - '0');
		if (d == len - suf && k >= 1 && k <= m->slots) {
			*slot = k;
			return m;
		}
	}
	return NULL;
}

float profile_to_console(const struct profile_map *m, float v)
{
	return m->scaled ? m->lo + (m->hi - m->lo) * v : v;
}

float profile_to_surface(const struct profile_map *m, float v)
{
	return m->scaled && m->hi != m->lo ? (v - m->lo) / (m->hi - m->lo) : v;
}
