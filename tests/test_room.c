/* Room-centric positions (dsp/room.h) and the strip pan through them
 * (graph_pan_matrix with a room position): the mapping of ITU-R BS.2127
 * section 10 with each layout's own anchor loudspeakers. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dsp/room.h"
#include "engine/console.h"
#include "engine/graph.h"
#include "tests/check_main.h"

/* Mono strip gains into layout id for a room position. */
static void room_gains(enum layout_id id, float x, float y, float z, float g[LAYOUT_MAX_CHANNELS])
{
	struct strip_params p = {.pan_width = 1.0f, .lfe_send_db = -INFINITY, .pan_x = x, .pan_y = y,
	                         .pan_z = z, .pan_room = true};
	float m[LAYOUT_MAX_CHANNELS][LAYOUT_MAX_CHANNELS];
	graph_pan_matrix(layout_get(LAYOUT_MONO), layout_get(id), &p, m);
	for (int c = 0; c < LAYOUT_MAX_CHANNELS; c++)
		g[c] = m[0][c];
}

/* Gain 1 on `name` (or on the `n` names equally) and <= 1e-6 elsewhere. */
static void assert_plays_only(enum layout_id id, float x, float y, float z, const char *const *names, int n)
{
	const struct layout *l = layout_get(id);
	float g[LAYOUT_MAX_CHANNELS];
	room_gains(id, x, y, z, g);
	for (unsigned c = 0; c < l->channels; c++) {
		float want = 0.0f;
		for (int k = 0; k < n; k++)
			if (strcmp(l->speakers[c].name, names[k]) == 0)
				want = 1.0f / sqrtf((float)n);
		ck_assert_msg(fabsf(g[c] - want) <= 1e-5f, "%s at (%g, %g, %g): %s = %g, want %g", l->name, x, y, z,
		              l->speakers[c].name, g[c], want);
	}
}

#define ONLY(id, x, y, z, ...)                                                         \
	do {                                                                           \
		const char *const names_[] = {__VA_ARGS__};                            \
		assert_plays_only(id, x, y, z, names_, sizeof names_ / sizeof names_[0]); \
	} while (0)

/* Every loudspeaker of every layout has a place on the walls or the ceiling;
 * going there and back gives its direction, and panning there plays only it. */
START_TEST(a_point_where_a_loudspeaker_stands_plays_only_it)
{
	for (int id = 0; id < LAYOUT_COUNT; id++) {
		const struct layout *l = layout_get((enum layout_id)id);
		for (unsigned c = 0; c < l->channels; c++) {
			const struct speaker *s = &l->speakers[c];
			if (s->is_lfe || l->channels == 1)
				continue;
			const struct room_position p = room_from_polar(l, s->azimuth_deg, s->elevation_deg);
			const float cube = fmaxf(fmaxf(fabsf(p.x), fabsf(p.y)), p.z);
			ck_assert_msg(fabsf(cube - 1.0f) < 1e-5f, "%s %s is inside the room (%g, %g, %g)", l->name,
			              s->name, p.x, p.y, p.z);
			float az, el, d;
			room_to_polar(l, p, &az, &el, &d);
			ck_assert_msg(fabsf(az - s->azimuth_deg) < 1e-3f && fabsf(el - s->elevation_deg) < 1e-3f,
			              "%s %s: (%g, %g) -> (%g, %g, %g) -> (%g, %g)", l->name, s->name, s->azimuth_deg,
			              s->elevation_deg, p.x, p.y, p.z, az, el);
			ck_assert_float_eq_tol(d, 1.0f, 1e-5f);
			ONLY((enum layout_id)id, p.x, p.y, p.z, s->name);
		}
	}
}
END_TEST

/* The corners and wall midpoints of the room (x left -1 ... right +1,
 * y back -1 ... front +1, z 0 ear level ... 1 ceiling). */
START_TEST(corners_and_wall_midpoints)
{
	/* front wall: L, C, R in every format */
	for (int id = LAYOUT_5_1; id < LAYOUT_COUNT; id++) {
		ONLY((enum layout_id)id, -1, 1, 0, "L");
		ONLY((enum layout_id)id, 0, 1, 0, "C");
		ONLY((enum layout_id)id, 1, 1, 0, "R");
	}
	ONLY(LAYOUT_2_0, -1, 1, 0, "L");
	ONLY(LAYOUT_2_0, 1, 1, 0, "R");
	ONLY(LAYOUT_2_0, 0, 1, 0, "L", "R"); /* phantom centre at -3 dB each */
	/* 5.1: rear corners are the surrounds; the side wall's midpoint is halfway
	 * between L and Ls (BS.2127's own anchors), the back wall's between Ls and Rs */
	ONLY(LAYOUT_5_1, -1, -1, 0, "Ls");
	ONLY(LAYOUT_5_1, 1, -1, 0, "Rs");
	ONLY(LAYOUT_5_1, -1, 0, 0, "L", "Ls");
	ONLY(LAYOUT_5_1, 0, -1, 0, "Ls", "Rs");
	/* 7.1 beds: the side-wall midpoints are the side surrounds, the rear
	 * corners the rear surrounds */
	for (enum layout_id id = LAYOUT_7_1; id <= LAYOUT_7_1_4; id++) {
		ONLY(id, -1, 0, 0, "Lss");
		ONLY(id, 1, 0, 0, "Rss");
		ONLY(id, -1, -1, 0, "Lrs");
		ONLY(id, 1, -1, 0, "Rrs");
		ONLY(id, 0, -1, 0, "Lrs", "Rrs");
	}
	/* the middle of the ceiling: the four tops of 7.1.4 equally */
	ONLY(LAYOUT_7_1_4, 0, 0, 1, "Ltf", "Rtf", "Ltr", "Rtr");
}
END_TEST

/* Swept along the front wall from left to right, a source moves
 * monotonically from L through C to R and touches nothing else. */
START_TEST(front_wall_sweep_is_monotonic)
{
	const enum layout_id ids[] = {LAYOUT_5_1, LAYOUT_7_1_4, LAYOUT_9_1_6};
	for (size_t k = 0; k < sizeof ids / sizeof ids[0]; k++) {
		const struct layout *l = layout_get(ids[k]);
		const int L = layout_channel_index(l, "L"), C = layout_channel_index(l, "C"),
		          R = layout_channel_index(l, "R");
		float prev[LAYOUT_MAX_CHANNELS];
		room_gains(ids[k], -1.0f, 1.0f, 0.0f, prev);
		for (int i = 1; i <= 2000; i++) {
			const float x = -1.0f + i * 0.001f;
			float g[LAYOUT_MAX_CHANNELS];
			room_gains(ids[k], x, 1.0f, 0.0f, g);
			ck_assert_msg(g[L] <= prev[L] + 1e-6f && g[R] >= prev[R] - 1e-6f, "%s x %g: L %g R %g", l->name,
			              x, g[L], g[R]);
			if (x <= 0.0f)
				ck_assert_msg(g[C] >= prev[C] - 1e-6f, "%s x %g: C falls left of centre", l->name, x);
			else
				ck_assert_msg(g[C] <= prev[C] + 1e-6f, "%s x %g: C rises right of centre", l->name, x);
			for (unsigned c = 0; c < l->channels; c++) {
				if ((int)c != L && (int)c != C && (int)c != R)
					ck_assert_msg(g[c] <= 1e-6f, "%s x %g: %s = %g", l->name, x, l->speakers[c].name, g[c]);
				ck_assert_msg(fabsf(g[c] - prev[c]) <= 0.01f, "%s x %g: %s jumps", l->name, x,
				              l->speakers[c].name);
				prev[c] = g[c];
			}
		}
		ck_assert_float_eq_tol(prev[R], 1.0f, 1e-6f);
	}
}
END_TEST

/* Inside the room the image widens toward an even fill at the centre, at
 * constant power, and continuously. */
START_TEST(inside_the_room_spreads_towards_the_centre)
{
	const struct layout *l = layout_get(LAYOUT_7_1_4);
	float g[LAYOUT_MAX_CHANNELS], prev[LAYOUT_MAX_CHANNELS];
	room_gains(LAYOUT_7_1_4, 0, 0, 0, g);
	for (unsigned c = 0; c < l->channels; c++)
		ck_assert_float_eq_tol(g[c], l->speakers[c].is_lfe ? 0.0f : 1.0f / sqrtf(11.0f), 1e-6f);
	room_gains(LAYOUT_7_1_4, 0, 1, 0, prev);
	for (int i = 1; i <= 1000; i++) {
		const float y = 1.0f - i * 0.001f; /* from the screen to the centre */
		room_gains(LAYOUT_7_1_4, 0, y, 0, g);
		double power = 0;
		for (unsigned c = 0; c < l->channels; c++) {
			power += (double)g[c] * g[c];
			ck_assert_msg(fabsf(g[c] - prev[c]) <= 0.02f, "y %g: %s %g -> %g", y, l->speakers[c].name,
			              prev[c], g[c]);
			prev[c] = g[c];
		}
		ck_assert_double_eq_tol(power, 1.0, 1e-6);
	}
	float az, el, d;
	room_to_polar(l, (struct room_position){-0.5f, 0.5f, 0.0f}, &az, &el, &d);
	ck_assert_float_eq_tol(d, 0.5f, 1e-6f);
	ck_assert_float_eq_tol(az, 30.0f, 1e-4f); /* on the diagonal to the front-left corner: L's direction */
}
END_TEST

/* BS.2127's reference anchors (layout NULL) and the elevation law: 30
 * degrees meets the ceiling edge; out-of-room input is clamped. */
START_TEST(reference_mapping_and_clamping)
{
	struct room_position p = room_from_polar(NULL, 110.0f, 0.0f);
	ck_assert_float_eq_tol(p.x, -1.0f, 1e-6f);
	ck_assert_float_eq_tol(p.y, -1.0f, 1e-6f);
	p = room_from_polar(NULL, 30.0f, 30.0f);
	ck_assert_float_eq_tol(p.x, -1.0f, 1e-6f);
	ck_assert_float_eq_tol(p.y, 1.0f, 1e-6f);
	ck_assert_float_eq_tol(p.z, 1.0f, 1e-6f);
	p = room_from_polar(NULL, 0.0f, 90.0f);
	ck_assert_float_eq_tol(p.x, 0.0f, 1e-6f);
	ck_assert_float_eq_tol(p.y, 0.0f, 1e-6f);
	ck_assert_float_eq_tol(p.z, 1.0f, 1e-6f);
	p = room_from_polar(NULL, 0.0f, -40.0f); /* below the ear plane: on it */
	ck_assert_float_eq(p.z, 0.0f);
	float az, el, d;
	room_to_polar(NULL, (struct room_position){-3.0f, 7.0f, -2.0f}, &az, &el, &d);
	ck_assert_float_eq_tol(az, 30.0f, 1e-4f);
	ck_assert_float_eq_tol(el, 0.0f, 1e-6f);
	room_to_polar(NULL, (struct room_position){NAN, NAN, NAN}, &az, &el, &d);
	ck_assert(isfinite(az) && isfinite(el) && isfinite(d));
	/* the strip keeps both forms in step */
	struct strip_params sp = {.pan_azimuth_deg = -110.0f};
	console_pan_direction_changed(&sp);
	ck_assert(!sp.pan_room);
	ck_assert_float_eq_tol(sp.pan_x, 1.0f, 1e-6f);
	ck_assert_float_eq_tol(sp.pan_y, -1.0f, 1e-6f);
	sp.pan_x = 0.0f;
	sp.pan_y = 1.0f;
	console_pan_room_changed(&sp);
	ck_assert(sp.pan_room);
	ck_assert_float_eq_tol(sp.pan_azimuth_deg, 0.0f, 1e-6f);
}
END_TEST

/* docs/layouts.md gives every loudspeaker's room position (columns 4-6). */
START_TEST(docs_give_the_room_positions)
{
	FILE *f = fopen(SOURCE_ROOT "/docs/layouts.md", "r");
	ck_assert_msg(f != NULL, "docs/layouts.md is missing");
	char line[512];
	const struct layout *l = NULL;
	unsigned checked = 0;
	while (fgets(line, sizeof line, f)) {
		char name[32], ch[16];
		float x, y, z;
		if (sscanf(line, "### %31s", name) == 1) {
			enum layout_id id;
			l = layout_from_name(name, &id) == 0 ? layout_get(id) : NULL;
			continue;
		}
		if (strncmp(line, "## ", 3) == 0)
			l = NULL;
		if (!l || sscanf(line, "| %15[^ |] | %*[^|]| %*[^|]| %f | %f | %f |", ch, &x, &y, &z) != 4)
			continue;
		const int c = layout_channel_index(l, ch);
		ck_assert_msg(c >= 0, "docs: %s has no %s", l->name, ch);
		const struct speaker *s = &l->speakers[c];
		const struct room_position p = room_from_polar(l, s->azimuth_deg, s->elevation_deg);
		ck_assert_msg(fabsf(p.x - x) < 6e-4f && fabsf(p.y - y) < 6e-4f && fabsf(p.z - z) < 6e-4f,
		              "docs: %s %s at (%g, %g, %g), code says (%g, %g, %g)", l->name, ch, x, y, z, p.x, p.y,
		              p.z);
		checked++;
	}
	fclose(f);
	ck_assert_uint_ge(checked, 60); /* every positioned loudspeaker of the multichannel layouts */
}
END_TEST

int main(void)
{
	Suite *s = suite_create("room");
	TCase *t = tcase_create("core");
	tcase_set_timeout(t, 60);
	tcase_add_test(t, a_point_where_a_loudspeaker_stands_plays_only_it);
	tcase_add_test(t, corners_and_wall_midpoints);
	tcase_add_test(t, front_wall_sweep_is_monotonic);
	tcase_add_test(t, inside_the_room_spreads_towards_the_centre);
	tcase_add_test(t, reference_mapping_and_clamping);
	tcase_add_test(t, docs_give_the_room_positions);
	suite_add_tcase(s, t);
	return run_suite(s);
}
