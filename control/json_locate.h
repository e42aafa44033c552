/* Finds where a value sits in JSON text, for error messages: Jansson reports
 * positions only for syntax errors, so semantic errors (strips[3].bus) are
 * located by walking the text again. Any thread; no allocation. */
#ifndef DUBSTAGE_CONTROL_JSON_LOCATE_H
#define DUBSTAGE_CONTROL_JSON_LOCATE_H

#include <stddef.h>

#define JSON_PATH_MAX_DEPTH 8

struct json_path_step {
	const char *key; /* member name, or NULL for an array index */
	size_t index;
};

struct json_path {
	struct json_path_step step[JSON_PATH_MAX_DEPTH];
	int depth;
};

/* Line and column (1-based) of the value at `path` in `text` (valid JSON).
 * When the path goes deeper than the text (a missing key), reports the
 * deepest value found. */
void json_locate(const char *text, const struct json_path *path, int *line, int *column);

/* Formats a path as `strips[3].bus`. */
void json_path_format(const struct json_path *path, char *buf, size_t len);

#endif
