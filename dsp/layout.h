/* Loudspeaker layouts: channel order, port suffixes, nominal positions, and
 * the defined downmixes between them. Pure data and lookups; any thread.
 * Positions follow ITU-R BS.2051 (azimuth positive to the left, degrees)
 * where it defines the system, the Dolby bed names otherwise; docs/layouts.md
 * lists every channel with its source. */
#ifndef DUBSTAGE_DSP_LAYOUT_H
#define DUBSTAGE_DSP_LAYOUT_H

#include <stdbool.h>

#define LAYOUT_MAX_CHANNELS 16

enum layout_id {
	LAYOUT_MONO,
	LAYOUT_2_0,
	LAYOUT_5_1,
	LAYOUT_7_1,
	LAYOUT_7_1_4,
	LAYOUT_5_1_2,
	LAYOUT_5_1_4,
	LAYOUT_7_1_2,
	LAYOUT_9_1_6,
	LAYOUT_COUNT
};

struct speaker {
	const char *name;     /* also the JACK port suffix */
	float azimuth_deg;
	float elevation_deg;
	bool is_lfe;          /* LFE has no position: the panner never feeds it */
};

struct layout {
	enum layout_id id;
	const char *name;     /* "2.0", "5.1", ... as written in configs */
	unsigned channels;
	struct speaker speakers[LAYOUT_MAX_CHANNELS];
};

const struct layout *layout_get(enum layout_id id);

/* Accepts the format names of docs/config.md ("mono", "2.0", "stereo", "5.1",
 * "7.1", "7.1.4"). Returns 0, or -1 for an unknown name. */
int layout_from_name(const char *name, enum layout_id *out);

/* Comma-separated list of the accepted names, for error messages. */
const char *layout_names(void);

/* Index of the speaker called `name` in `l`, or -1. */
int layout_channel_index(const struct layout *l, const char *name);

#endif
