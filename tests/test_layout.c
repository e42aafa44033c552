#include "tests/check_main.h"
#include <math.h>
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
	ck_assert_int_eq(layout_from_name("7.1.2", &id), -1);
	ck_assert_int_eq(layout_from_name("", &id), -1);
	ck_assert_int_eq(layout_channel_index(layout_get(LAYOUT_5_1), "Lss"), -1);
}
END_TEST

/* ITU-R BS.775 Lo/Ro: Lo = L + 0.7071 C + 0.7071 Ls; LFE omitted. */
START_TEST(downmix_bs775)
{
	float m[LAYOUT_MAX_CHANNELS][LAYOUT_MAX_CHANNELS];
	ck_assert_int_eq(layout_downmix_matrix(LAYOUT_5_1, LAYOUT_2_0, m), 0);
	const float lo[6] = {1, 0, 0.70710678f, 0, 0.70710678f, 0};
	const float ro[6] = {0, 1, 0.70710678f, 0, 0, 0.70710678f};
	for (int c = 0; c < 6; c++) {
		ck_assert_float_eq_tol(m[0][c], lo[c], 1e-6);
		ck_assert_float_eq_tol(m[1][c], ro[c], 1e-6);
	}
	ck_assert_int_eq(layout_downmix_matrix(LAYOUT_7_1_4, LAYOUT_7_1_4, m), 0);
	for (int d = 0; d < 12; d++)
		for (int c = 0; c < 12; c++)
			ck_assert_float_eq(m[d][c], d == c ? 1.0f : 0.0f);
	ck_assert_int_eq(layout_downmix_matrix(LAYOUT_7_1_4, LAYOUT_5_1, m), -1);
	ck_assert_int_eq(layout_downmix_matrix(LAYOUT_2_0, LAYOUT_5_1, m), -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("layout");
	TCase *t = tcase_create("core");
	tcase_add_test(t, channel_orders);
	tcase_add_test(t, bs2051_angles);
	tcase_add_test(t, names);
	tcase_add_test(t, downmix_bs775);
	suite_add_tcase(s, t);
	return run_suite(s);
}
