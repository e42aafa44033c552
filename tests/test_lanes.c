#include <stdbool.h>
#include <string.h>

#include "dsp/lanes.h"
#include "tests/check_main.h"

/* An 8 x 8 matrix of distinct values comes out transposed, exactly, and a
 * second transpose gives it back. */
START_TEST(transpose_is_exact)
{
	lanes_v8 r[LANES_WIDTH];
	for (int k = 0; k < LANES_WIDTH; k++)
		for (int j = 0; j < LANES_WIDTH; j++)
			r[k][j] = (float)(10 * k + j);
	lanes_transpose8(r);
	for (int k = 0; k < LANES_WIDTH; k++)
		for (int j = 0; j < LANES_WIDTH; j++)
			ck_assert_msg(r[j][k] == (float)(10 * k + j), "[%d][%d] = %g", j, k, (double)r[j][k]);
	lanes_transpose8(r);
	for (int k = 0; k < LANES_WIDTH; k++)
		for (int j = 0; j < LANES_WIDTH; j++)
			ck_assert(r[k][j] == (float)(10 * k + j));
}
END_TEST

/* Gathering frames i .. i + 7 of 1 to 8 channels gives a vector per frame
 * with channel l in lane l and silence in the lanes past them; scattering
 * writes those frames back and nothing else. Told of more than 8 channels
 * (a sixteen-lane group's first half), both take the first 8 and leave the
 * others alone. */
START_TEST(gather_and_scatter_move_only_their_frames)
{
	enum { N = 40, CHANNELS = 2 * LANES_WIDTH };
	static float buf[CHANNELS][N];
	float *x[CHANNELS];
	for (int lanes = 1; lanes <= CHANNELS; lanes++)
		for (uint32_t i = 0; i + LANES_WIDTH <= N; i += 3) {
			for (int l = 0; l < CHANNELS; l++) {
				x[l] = buf[l];
				for (int f = 0; f < N; f++)
					buf[l][f] = (float)(100 * l + f);
			}
			lanes_v8 v[LANES_WIDTH];
			lanes_gather8((const float *const *)x, lanes, i, v);
			for (int f = 0; f < LANES_WIDTH; f++)
				for (int l = 0; l < LANES_WIDTH; l++)
					ck_assert(v[f][l] == (l < lanes ? (float)(100 * l + (int)i + f) : 0.0f));
			for (int f = 0; f < LANES_WIDTH; f++)
				v[f] = -v[f];
			lanes_scatter8(x, lanes, i, v);
			for (int l = 0; l < CHANNELS; l++)
				for (int f = 0; f < N; f++) {
					const bool moved = l < lanes && l < LANES_WIDTH && f >= (int)i && f < (int)i + LANES_WIDTH;
					const float want = (float)(100 * l + f);
					ck_assert(buf[l][f] == (moved ? -want : want));
				}
		}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("lanes");
	TCase *t = tcase_create("core");
	tcase_add_test(t, transpose_is_exact);
	tcase_add_test(t, gather_and_scatter_move_only_their_frames);
	suite_add_tcase(s, t);
	return run_suite(s);
}
