#include "dsp/layout.h"

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
	/* Dolby beds with top-middle speakers (BS.2051 has no 2-height system
	 * with them): ear layer as 5.1 / 7.1, Ltm/Rtm lateral at +-90, +45. */
	[LAYOUT_5_1_2] = {LAYOUT_5_1_2, "5.1.2", 8,
		{{"L", 30, 0, false}, {"R", -30, 0, false}, {"C", 0, 0, false},
		 {"LFE", 0, 0, true}, {"Ls", 110, 0, false}, {"Rs", -110, 0, false},
		 {"Ltm", 90, 45, false}, {"Rtm", -90, 45, false}}},
	/* BS.2051 System D (4+5+0): upper layer at +-30 and +-110, +30. */
	[LAYOUT_5_1_4] = {LAYOUT_5_1_4, "5.1.4", 10,
		{{"L", 30, 0, false}, {"R", -30, 0, false}, {"C", 0, 0, false},
		 {"LFE", 0, 0, true}, {"Ls", 110, 0, false}, {"Rs", -110, 0, false},
		 {"Ltf", 30, 30, false}, {"Rtf", -30, 30, false},
		 {"Ltr", 110, 30, false}, {"Rtr", -110, 30, false}}},
	[LAYOUT_7_1_2] = {LAYOUT_7_1_2, "7.1.2", 10,
		{{"L", 30, 0, false}, {"R", -30, 0, false}, {"C", 0, 0, false},
		 {"LFE", 0, 0, true}, {"Lss", 90, 0, false}, {"Rss", -90, 0, false},
		 {"Lrs", 135, 0, false}, {"Rrs", -135, 0, false},
		 {"Ltm", 90, 45, false}, {"Rtm", -90, 45, false}}},
	/* Dolby 9.1.6 bed: 7.1.4 plus wides (BS.2051 System H's M+-060) and top
	 * middles (+-90, +45). */
	[LAYOUT_9_1_6] = {LAYOUT_9_1_6, "9.1.6", 16,
		{{"L", 30, 0, false}, {"R", -30, 0, false}, {"C", 0, 0, false},
		 {"LFE", 0, 0, true}, {"Lss", 90, 0, false}, {"Rss", -90, 0, false},
		 {"Lrs", 135, 0, false}, {"Rrs", -135, 0, false},
		 {"Lw", 60, 0, false}, {"Rw", -60, 0, false},
		 {"Ltf", 45, 30, false}, {"Rtf", -45, 30, false},
		 {"Ltm", 90, 45, false}, {"Rtm", -90, 45, false},
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
	return "mono, 2.0 (or stereo), 5.1, 7.1, 7.1.4, 5.1.2, 5.1.4, 7.1.2, 9.1.6";
}

int layout_channel_index(const struct layout *l, const char *name)
{
	for (unsigned i = 0; i < l->channels; i++)
		if (strcmp(l->speakers[i].name, name) == 0)
			return (int)i;
	return -1;
}
