/* Surface profiles (configs/surfaces/NAME.json): a surface's own OSC addresses
 * mapped to console parameters, with scaling, both ways. A TouchOSC layout
 * sends /1/fader1 f 0.73 and gets the fader's feedback at /1/fader1.
 *
 *   {"name": "...", "bank_size": 8, "map": [
 *     {"address": "/1/fader{k}", "slots": 8, "to": "fader/pos"},
 *     {"address": "/1/rotary{k}", "slots": 8, "to": "pan/az", "scale": [-180, 180]},
 *     {"address": "/1/fader9", "to": "/bus/PM/fader/pos"},
 *     {"address": "/1/push1", "to": "/bank/next"}]}
 *
 * "{k}" rows address slot k of the surface's bank (k from 1 to "slots"), and
 * "to" is a strip parameter; other rows name a console address. "scale"
 * maps the surface's 0 ... 1 onto [lo, hi]. Control thread only. */
#ifndef DUBSTAGE_CONTROL_PROFILE_H
#define DUBSTAGE_CONTROL_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROFILE_MAPS_MAX 128
#define PROFILE_TEXT_MAX 96

struct profile_map {
	char prefix[PROFILE_TEXT_MAX]; /* the address before {k}, or all of it */
	char suffix[PROFILE_TEXT_MAX]; /* after {k} */
	bool slotted;
	uint32_t slots;
	char to[PROFILE_TEXT_MAX];     /* "fader/pos" for slotted rows, "/bus/PM/fader" otherwise */
	bool scaled;
	float lo, hi;
};

/* One block (free() frees it). */
struct surface_profile {
	char name[PROFILE_TEXT_MAX];
	uint32_t bank_size;
	struct profile_map map[PROFILE_MAPS_MAX];
	uint32_t n_map;
};

/* NULL with "path:line:column: what" in err when the file is wrong. */
struct surface_profile *profile_load(const char *path, char *err, size_t errlen);

/* The row for a surface address; *slot is its 1-based slot (slotted rows). */
const struct profile_map *profile_match(const struct surface_profile *p, const char *address, uint32_t *slot);
/* Surface value -> console value, and back. */
float profile_to_console(const struct profile_map *m, float v);
float profile_to_surface(const struct profile_map *m, float v);

#endif
