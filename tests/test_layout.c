#include "tests/check_main.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>

#include "dsp/layout.h"

/* Channel orders and port suffixes as the foundation issue fixes them. */
START_TEST(channel_orders)
{
	const char *order714[] = {"L", "R", "C", "LFE", "Lss", "Rss", "Lrs", "Rrs", "Ltf", "Rtf", "Ltr", "Rtr"};
	const char *order51[] = {"L", "R", "C", "LFE", "Ls", "Rs"};
	const struct layout *l = layout_get(LAYOUT_7_1_4);
	ck_assert_uint_eq(l->channels, 12);
	for (int i = 0; i < 12; i++)
		ck_assert_str_eq(l->speakers[i].name, order714[i]);
	l = layout_get(LAYOUT_5_1);
	ck_assert_uint_eq(l->channels, 6);
	for (int i = 0; i < 6; i++)
		ck_assert_str_eq(l->speakers[i].name, order51[i]);
	ck_assert_uint_eq(layout_get(LAYOUT_7_1)->channels, 8);
	ck_assert_uint_eq(layout_get(LAYOUT_2_0)->channels, 2);
	ck_assert_uint_eq(layout_get(LAYOUT_MONO)->channels, 1);
}
END_TEST

/* ITU-R BS.2051 nominal positions (shared/reference/standards.md). */
START_TEST(bs2051_angles)
{
	const struct layout *l = layout_get(LAYOUT_7_1_4);
	struct { const char *n; float az, el; } want[] = {
		{"L", 30, 0}, {"R", -30, 0}, {"C", 0, 0}, {"Lss", 90, 0}, {"Rss", -90, 0},
		{"Lrs", 135, 0}, {"Rrs", -135, 0}, {"Ltf", 45, 30}, {"Rtf", -45, 30},
		{"Ltr", 135, 30}, {"Rtr", -135, 30}};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		int c = layout_channel_index(l, want[i].n);
		ck_assert_int_ge(c, 0);
		ck_assert_float_eq(l->speakers[c].azimuth_deg, want[i].az);
		ck_assert_float_eq(l->speakers[c].elevation_deg, want[i].el);
	}
	ck_assert(l->speakers[layout_channel_index(l, "LFE")].is_lfe);
	const struct layout *l51 = layout_get(LAYOUT_5_1);
	ck_assert_float_eq(l51->speakers[layout_channel_index(l51, "Ls")].azimuth_deg, 110);
	ck_assert_float_eq(l51->speakers[layout_channel_index(l51, "Rs")].azimuth_deg, -110);
}
END_TEST

START_TEST(names)
{
	enum layout_id id;
	ck_assert_int_eq(layout_from_name("stereo", &id), 0);
	ck_assert_int_eq(id, LAYOUT_2_0);
	ck_assert_int_eq(layout_from_name("7.1.4", &id), 0);
	ck_assert_int_eq(id, LAYOUT_7_1_4);
	ck_assert_int_eq(layout_from_name("7.2.1", &id), -1);
	ck_assert_int_eq(layout_from_name("quad", &id), -1);
	ck_assert_int_eq(layout_from_name("", &id), -1);
	ck_assert_int_eq(layout_channel_index(layout_get(LAYOUT_5_1), "Lss"), -1);
}
END_TEST

/* The Dolby beds added to the BS.2051 systems (docs/layouts.md). */
START_TEST(dolby_beds)
{
	struct { enum layout_id id; const char *name; const char *order[16]; unsigned n; } want[] = {
		{LAYOUT_5_1_2, "5.1.2", {"L", "R", "C", "LFE", "Ls", "Rs", "Ltm", "Rtm"}, 8},
		{LAYOUT_5_1_4, "5.1.4", {"L", "R", "C", "LFE", "Ls", "Rs", "Ltf", "Rtf", "Ltr", "Rtr"}, 10},
		{LAYOUT_7_1_2, "7.1.2", {"L", "R", "C", "LFE", "Lss", "Rss", "Lrs", "Rrs", "Ltm", "Rtm"}, 10},
		{LAYOUT_9_1_6, "9.1.6", {"L", "R", "C", "LFE", "Lss", "Rss", "Lrs", "Rrs", "Lw", "Rw",
		                         "Ltf", "Rtf", "Ltm", "Rtm", "Ltr", "Rtr"}, 16},
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		enum layout_id id;
		ck_assert_int_eq(layout_from_name(want[i].name, &id), 0);
		ck_assert_int_eq(id, want[i].id);
		const struct layout *l = layout_get(id);
		ck_assert_uint_eq(l->channels, want[i].n);
		for (unsigned c = 0; c < want[i].n; c++)
			ck_assert_str_eq(l->speakers[c].name, want[i].order[c]);
	}
	/* BS.2051 System D (4+5+0) upper layer for 5.1.4; BS.2051 System H wides */
	const struct layout *l = layout_get(LAYOUT_5_1_4);
	ck_assert_float_eq(l->speakers[layout_channel_index(l, "Ltr")].azimuth_deg, 110);
	ck_assert_float_eq(l->speakers[layout_channel_index(l, "Ltr")].elevation_deg, 30);
	l = layout_get(LAYOUT_9_1_6);
	ck_assert_float_eq(l->speakers[layout_channel_index(l, "Rw")].azimuth_deg, -60);
	/* every layout is left/right symmetric: each speaker has its mirror */
	for (int id = 0; id < LAYOUT_COUNT; id++) {
		l = layout_get((enum layout_id)id);
		for (unsigned c = 0; c < l->channels; c++) {
			bool mirrored = false;
			for (unsigned d = 0; d < l->channels; d++)
				mirrored |= l->speakers[d].azimuth_deg == -l->speakers[c].azimuth_deg &&
				            l->speakers[d].elevation_deg == l->speakers[c].elevation_deg;
			ck_assert_msg(mirrored || l->speakers[c].azimuth_deg == 0, "%s %s", l->name, l->speakers[c].name);
		}
	}
}
END_TEST

/* docs/layouts.md lists every layout with every channel, in order, with the
 * angles the code uses. */
START_TEST(docs_match_the_layout_table)
{
	FILE *f = fopen(SOURCE_ROOT "/docs/layouts.md", "r");
	ck_assert_msg(f != NULL, "docs/layouts.md is missing");
	char line[512];
	const struct layout *l = NULL;
	unsigned row = 0;
	bool documented[LAYOUT_COUNT] = {false};
	while (fgets(line, sizeof line, f)) {
		char name[32];
		if (sscanf(line, "### %31s", name) == 1) {
			if (l)
				ck_assert_msg(row == l->channels, "docs: %s lists %u of %u channels", l->name, row, l->channels);
			enum layout_id id;
			l = layout_from_name(name, &id) == 0 ? layout_get(id) : NULL;
			if (l)
				documented[id] = true;
			row = 0;
			continue;
		}
		if (strncmp(line, "## ", 3) == 0 && l) {
			ck_assert_msg(row == l->channels, "docs: %s lists %u of %u channels", l->name, row, l->channels);
			l = NULL;
		}
		char ch[16], az[16], el[16];
		if (!l || sscanf(line, "| %15[^ |] | %15[^ |] | %15[^ |] |", ch, az, el) != 3 ||
		    strcmp(ch, "channel") == 0 || ch[0] == '-')
			continue;
		ck_assert_msg(row < l->channels, "docs: %s has too many rows", l->name);
		const struct speaker *s = &l->speakers[row++];
		ck_assert_msg(strcmp(ch, s->name) == 0, "docs: %s channel %u is %s, code says %s", l->name, row, ch, s->name);
		if (s->is_lfe) {
			ck_assert_str_eq(az, "LFE");
			continue;
		}
		ck_assert_msg(atof(az) == s->azimuth_deg && atof(el) == s->elevation_deg,
		              "docs: %s %s at (%s, %s), code says (%g, %g)", l->name, ch, az, el,
		              (double)s->azimuth_deg, (double)s->elevation_deg);
	}
	fclose(f);
	for (int id = 0; id < LAYOUT_COUNT; id++)
		ck_assert_msg(documented[id], "docs/layouts.md lacks %s", layout_get((enum layout_id)id)->name);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("layout");
	TCase *t = tcase_create("core");
	tcase_add_test(t, channel_orders);
	tcase_add_test(t, bs2051_angles);
	tcase_add_test(t, names);
	tcase_add_test(t, dolby_beds);
	tcase_add_test(t, docs_match_the_layout_table);
	suite_add_tcase(s, t);
	return run_suite(s);
}
