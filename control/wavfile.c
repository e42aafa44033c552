#include "control/wavfile.h"

#include <stdio.h>
#include <string.h>

/* WAVE_FORMAT_EXTENSIBLE keeps channels in the order of its mask bits: a
 * layout's channels in file order and each one's libsndfile position.
 * 7.1 and 7.1.4 put the rears (BL, BR) before the sides (SL, SR), unlike the
 * console (docs/layouts.md; ../shared/reference/standards.md). Returns the
 * channel count mapped, 0 for a layout without a standard mask. */
static unsigned file_order(enum layout_id id, unsigned order[LAYOUT_MAX_CHANNELS], int map[LAYOUT_MAX_CHANNELS])
{
	static const struct {
		const char *name;
		unsigned n;
		unsigned order[12];
		int map[12];
	} known[] = {
		{"mono", 1, {0}, {SF_CHANNEL_MAP_MONO}},
		{"2.0", 2, {0, 1}, {SF_CHANNEL_MAP_LEFT, SF_CHANNEL_MAP_RIGHT}},
		{"5.1", 6, {0, 1, 2, 3, 4, 5},
		 {SF_CHANNEL_MAP_LEFT, SF_CHANNEL_MAP_RIGHT, SF_CHANNEL_MAP_CENTER, SF_CHANNEL_MAP_LFE,
		  SF_CHANNEL_MAP_REAR_LEFT, SF_CHANNEL_MAP_REAR_RIGHT}},
		{"7.1", 8, {0, 1, 2, 3, 6, 7, 4, 5},
		 {SF_CHANNEL_MAP_LEFT, SF_CHANNEL_MAP_RIGHT, SF_CHANNEL_MAP_CENTER, SF_CHANNEL_MAP_LFE,
		  SF_CHANNEL_MAP_REAR_LEFT, SF_CHANNEL_MAP_REAR_RIGHT, SF_CHANNEL_MAP_SIDE_LEFT, SF_CHANNEL_MAP_SIDE_RIGHT}},
		{"7.1.4", 12, {0, 1, 2, 3, 6, 7, 4, 5, 8, 9, 10, 11},
		 {SF_CHANNEL_MAP_LEFT, SF_CHANNEL_MAP_RIGHT, SF_CHANNEL_MAP_CENTER, SF_CHANNEL_MAP_LFE,
		  SF_CHANNEL_MAP_REAR_LEFT, SF_CHANNEL_MAP_REAR_RIGHT, SF_CHANNEL_MAP_SIDE_LEFT, SF_CHANNEL_MAP_SIDE_RIGHT,
		  SF_CHANNEL_MAP_TOP_FRONT_LEFT, SF_CHANNEL_MAP_TOP_FRONT_RIGHT, SF_CHANNEL_MAP_TOP_REAR_LEFT,
		  SF_CHANNEL_MAP_TOP_REAR_RIGHT}},
	};
	const struct layout *l = layout_get(id);
	for (size_t k = 0; k < sizeof known / sizeof known[0]; k++)
		if (strcmp(known[k].name, l->name) == 0) {
			memcpy(order, known[k].order, known[k].n * sizeof order[0]);
			memcpy(map, known[k].map, known[k].n * sizeof map[0]);
			return known[k].n;
		}
	for (unsigned c = 0; c < l->channels; c++)
		order[c] = c;
	return 0;
}

void wavfile_order(enum layout_id id, unsigned order[LAYOUT_MAX_CHANNELS])
{
	int map[LAYOUT_MAX_CHANNELS];
	file_order(id, order, map);
}

SNDFILE *wavfile_create(const char *path, enum layout_id id, unsigned channels, unsigned rate, bool float_out,
                        char *err, size_t errlen)
{
	const struct layout *l = layout_get(id);
	SF_INFO info = {.samplerate = (int)rate, .channels = (int)channels,
	                .format = (channels > 2 ? SF_FORMAT_WAVEX : SF_FORMAT_WAV) |
	                          (float_out ? SF_FORMAT_FLOAT : SF_FORMAT_PCM_24)};
	SNDFILE *f = sf_open(path, SFM_WRITE, &info);
	if (!f) {
		snprintf(err, errlen, "cannot write %s: %s", path, sf_strerror(NULL));
		return NULL;
	}
	sf_command(f, SFC_SET_CLIPPING, NULL, SF_TRUE); /* over full scale: clip, never wrap */
	unsigned order[LAYOUT_MAX_CHANNELS];
	int map[LAYOUT_MAX_CHANNELS];
	const unsigned mapped = file_order(id, order, map);
	if (channels == l->channels && mapped == l->channels && channels > 2 &&
	    !sf_command(f, SFC_SET_CHANNEL_MAP_INFO, map, (int)(sizeof map[0] * channels))) {
		snprintf(err, errlen, "%s: libsndfile refused the %s channel mask", path, l->name);
		sf_close(f);
		return NULL;
	}
	return f;
}
