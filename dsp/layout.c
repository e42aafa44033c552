#include "dsp/layout.h"

#include <math.h>
#include <string.h>

/* Ear layer after ITU-R BS.2051: 5.1 is System B (0+5+0), 7.1 System I
 * (0+7+0), 7.1.4 System J (4+7+0), the upper layer at the nominal +30 deg. */
static const struct layout layouts[LAYOUT_COUNT] = {
	[LAYOUT_MONO] = {LAYOUT_MONO, "mono", 1, {{"M", 0, 0, false}}},
	[LAYOUT_2_0] = {LAYOUT_2_0, "2.0", 2, {{"L", 30, 0, false}, {"R", -30, 0, false}}},
	[LAYOUT_5_1] = {LAYOUT_5_1, "5.1", 6,
		{{"L", 30, 0, false}, {"R", -30, 0, false}, {"C", 0, 0, false},
		 {"LFE", 0, 0, true}, {"Ls", 110, 0, false}, {"Rs", -110, 0, false}}},
	[LAYOUT_7_1] = {LAYOUT_7_1, "7.1", 8,
		{{"L", 30, 0, false}, {"R", -30, 0, false}, {"C", 0, 0, false},
		 {"LFE", 0, 0, true}, {"Lss", 90, 0, false}, {"Rss", -90, 0, false},
		 {"Lrs", 135, 0, false}, {"Rrs", -135, 0, false}}},
	[LAYOUT_7_1_4] = {LAYOUT_7_1_4, "7.1.4", 12,
		{{"L", 30, 0, false}, {"R", -30, 0, false}, {"C", 0, 0, false},
		 {"LFE", 0, 0, true}, {"Lss", 90, 0, false}, {"Rss", -90, 0, false},
		 {"Lrs", 135, 0, false}, {"Rrs", -135, 0, false},
		 {"Ltf", 45, 30, false}, {"Rtf", -45, 30, false},
		 {"Ltr", 135, 30, false}, {"Rtr", -135, 30, false}}},
};

const struct layout *layout_get(enum layout_id id)
{
	return (unsigned)id < LAYOUT_COUNT ? &layouts[id] : NULL;
}

int layout_from_name(const char *name, enum layout_id *out)
{
	if (strcmp(name, "stereo") == 0) {
		*out = LAYOUT_2_0;
		return 0;
	}
	for (int i = 0; i < LAYOUT_COUNT; i++) {
		if (strcmp(name, layouts[i].name) == 0) {
			*out = (enum layout_id)i;
			return 0;
		}
	}
	return -1;
}

const char *layout_names(void)
{
	return "mono, 2.0 (or stereo), 5.1, 7.1, 7.1.4";
}

int layout_channel_index(const struct layout *l, const char *name)
{
	for (unsigned i = 0; i < l->channels; i++)
		if (strcmp(l->speakers[i].name, name) == 0)
			return (int)i;
	return -1;
}

int layout_downmix_matrix(enum layout_id src, enum layout_id dst,
                          float m[LAYOUT_MAX_CHANNELS][LAYOUT_MAX_CHANNELS])
{
	memset(m, 0, sizeof(float) * LAYOUT_MAX_CHANNELS * LAYOUT_MAX_CHANNELS);
	if (src == dst) {
		for (unsigned c = 0; c < layouts[src].channels; c++)
			m[c][c] = 1.0f;
		return 0;
	}
	if (src == LAYOUT_5_1 && dst == LAYOUT_2_0) {
		/* ITU-R BS.775 Lo/Ro: Lo = L + 0.7071 C + 0.7071 Ls, LFE omitted. */
		const float k = (float)M_SQRT1_2;
		m[0][0] = 1.0f; m[0][2] = k; m[0][4] = k;
		m[1][1] = 1.0f; m[1][2] = k; m[1][5] = k;
		return 0;
	}
	return -1;
}
