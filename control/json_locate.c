#include "control/json_locate.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct cursor {
	const char *p;
};

static void skip_ws(struct cursor *c)
{
	while (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r')
		c->p++;
}

/* At an opening quote: skips the string; returns its raw body and length. */
static const char *skip_string(struct cursor *c, size_t *len)
{
	const char *start = ++c->p;
	while (*c->p && *c->p != '"') {
		if (*c->p == '\\' && c->p[1])
			c->p++;
		c->p++;
	}
	*len = (size_t)(c->p - start);
	if (*c->p == '"')
		c->p++;
	return start;
}

static void skip_value(struct cursor *c)
{
	skip_ws(c);
	if (*c->p == '"') {
		size_t n;
		skip_string(c, &n);
		return;
	}
	if (*c->p == '{' || *c->p == '[') {
		int depth = 0;
		do {
			if (*c->p == '"') {
				size_t n;
				skip_string(c, &n);
				continue;
			}
			if (*c->p == '{' || *c->p == '[')
				depth++;
			else if (*c->p == '}' || *c->p == ']')
				depth--;
			c->p++;
		} while (*c->p && depth > 0);
		return;
	}
	while (*c->p && !strchr(",}] \t\r\n", *c->p))
		c->p++;
}

/* Skips the current member or element and its comma; false at the end. */
static bool skip_to_next(struct cursor *c)
{
	skip_value(c);
	skip_ws(c);
	if (*c->p != ',')
		return false;
	c->p++;
	return true;
}

/* Moves c into the child named by step; false when it is not there. */
static bool enter(struct cursor *c, const struct json_path_step *step)
{
	skip_ws(c);
	if (step->key && *c->p == '{') {
		c->p++;
		for (;;) {
			skip_ws(c);
			if (*c->p != '"')
				return false;
			size_t n;
			const char *k = skip_string(c, &n);
			skip_ws(c);
			if (*c->p == ':')
				c->p++;
			skip_ws(c);
			if (n == strlen(step->key) && strncmp(k, step->key, n) == 0)
				return true;
			if (!skip_to_next(c))
				return false;
		}
	}
	if (!step->key && *c->p == '[') {
		c->p++;
		for (size_t i = 0;; i++) {
			skip_ws(c);
			if (*c->p == ']' || !*c->p)
				return false;
			if (i == step->index)
				return true;
			if (!skip_to_next(c))
				return false;
		}
	}
	return false;
}

void json_locate(const char *text, const struct json_path *path, int *line, int *column)
{
	struct cursor c = {text};
	skip_ws(&c);
	const char *found = c.p;
	for (int d = 0; d < path->depth; d++) {
		struct cursor probe = c;
		if (!enter(&probe, &path->step[d]))
			break;
		skip_ws(&probe);
		c = probe;
		found = c.p;
	}
	*line = 1;
	*column = 1;
	for (const char *q = text; q < found; q++) {
		if (*q == '\n') {
			(*line)++;
			*column = 1;
		} else {
			(*column)++;
		}
	}
}

void json_path_format(const struct json_path *path, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (int d = 0; d < path->depth && used < len; d++) {
		int n;
		if (path->step[d].key)
			n = snprintf(buf + used, len - used, "%s%s", d ? "." : "", path->step[d].key);
		else
			n = snprintf(buf + used, len - used, "[%zu]", path->step[d].index);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}
