#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dsp/downmix.h"
#include "tests/check_main.h"

static const float k = 0.70710678f;
static struct downmix_table table;
static struct downmix_table *const t = &table;

static void setup(void) { downmix_table_init(t); }
static void teardown(void) {}

static int ch(enum layout_id id, const char *name) { return layout_channel_index(layout_get(id), name); }

static float coef(const struct downmix_matrix *m, enum layout_id from, enum layout_id to,
                  const char *dst, const char *src)
{
	return m->m[ch(to, dst)][ch(from, src)];
}

static const struct downmix_matrix *step(enum layout_id from, enum layout_id to)
{
	int s = downmix_find_step(from, to);
	ck_assert_int_ge(s, 0);
	return downmix_step_matrix(t, (unsigned)s);
}

/* Checks a whole step against the documented entries (docs/layouts.md);
 * every entry not listed must be 0. */
static void expect_step(enum layout_id from, enum layout_id to, const char *const *entries, const float *gains)
{
	const struct downmix_matrix *m = step(from, to);
	float want[LAYOUT_MAX_CHANNELS][LAYOUT_MAX_CHANNELS] = {{0}};
	for (int i = 0; entries[i]; i += 2)
		want[ch(to, entries[i])][ch(from, entries[i + 1])] = gains[i / 2];
	for (unsigned d = 0; d < layout_get(to)->channels; d++)
		for (unsigned s = 0; s < layout_get(from)->channels; s++)
			ck_assert_msg(fabsf(m->m[d][s] - want[d][s]) < 1e-7f, "%s->%s [%s][%s] = %g, documented %g",
			              layout_get(from)->name, layout_get(to)->name, layout_get(to)->speakers[d].name,
			              layout_get(from)->speakers[s].name, m->m[d][s], want[d][s]);
}

/* ITU-R BS.775: Lo = L + 0.7071 C + 0.7071 Ls, Ro = R + 0.7071 C + 0.7071 Rs, LFE omitted. */
START_TEST(bs775_lo_ro)
{
	expect_step(LAYOUT_5_1, LAYOUT_2_0,
	            (const char *const[]){"L", "L", "L", "C", "L", "Ls", "R", "R", "R", "C", "R", "Rs", NULL},
	            (const float[]){1, k, k, 1, k, k});
}
END_TEST

START_TEST(documented_steps)
{
	expect_step(LAYOUT_7_1, LAYOUT_5_1,
	            (const char *const[]){"L", "L", "R", "R", "C", "C", "LFE", "LFE", "Ls", "Lss", "Ls", "Lrs",
	                                  "Rs", "Rss", "Rs", "Rrs", NULL},
	            (const float[]){1, 1, 1, 1, k, k, k, k});
	expect_step(LAYOUT_7_1_4, LAYOUT_7_1,
	            (const char *const[]){"L", "L", "R", "R", "C", "C", "LFE", "LFE", "Lss", "Lss", "Rss", "Rss",
	                                  "Lrs", "Lrs", "Rrs", "Rrs", "L", "Ltf", "R", "Rtf", "Lrs", "Ltr",
	                                  "Rrs", "Rtr", NULL},
	            (const float[]){1, 1, 1, 1, 1, 1, 1, 1, k, k, k, k});
	expect_step(LAYOUT_2_0, LAYOUT_MONO, (const char *const[]){"M", "L", "M", "R", NULL},
	            (const float[]){k, k});
	expect_step(LAYOUT_5_1_2, LAYOUT_5_1,
	            (const char *const[]){"L", "L", "R", "R", "C", "C", "LFE", "LFE", "Ls", "Ls", "Rs", "Rs",
	                                  "Ls", "Ltm", "Rs", "Rtm", NULL},
	            (const float[]){1, 1, 1, 1, 1, 1, k, k});
	/* 9.1.6: wides split into L and the sides, top middles into front and rear tops */
	const struct downmix_matrix *m = step(LAYOUT_9_1_6, LAYOUT_7_1_4);
	ck_assert_float_eq(coef(m, LAYOUT_9_1_6, LAYOUT_7_1_4, "L", "Lw"), k);
	ck_assert_float_eq(coef(m, LAYOUT_9_1_6, LAYOUT_7_1_4, "Lss", "Lw"), k);
	ck_assert_float_eq(coef(m, LAYOUT_9_1_6, LAYOUT_7_1_4, "Rtr", "Rtm"), k);
	ck_assert_float_eq(coef(m, LAYOUT_9_1_6, LAYOUT_7_1_4, "Ltf", "Ltf"), 1);
	ck_assert_float_eq(coef(m, LAYOUT_9_1_6, LAYOUT_7_1_4, "L", "Rw"), 0);
}
END_TEST

/* Every layout folds down to every smaller one it can reach, and to mono;
 * nothing upmixes. */
START_TEST(chains_exist_down_not_up)
{
	struct downmix_matrix m;
	for (int from = 0; from < LAYOUT_COUNT; from++)
		ck_assert_int_eq(downmix_matrix(t, (enum layout_id)from, LAYOUT_MONO, &m, NULL, NULL), 0);
	ck_assert_int_eq(downmix_matrix(t, LAYOUT_9_1_6, LAYOUT_5_1_2, &m, NULL, NULL), 0);
	ck_assert_int_eq(downmix_matrix(t, LAYOUT_2_0, LAYOUT_5_1, &m, NULL, NULL), -1);
	ck_assert_int_eq(downmix_matrix(t, LAYOUT_5_1, LAYOUT_7_1, &m, NULL, NULL), -1);
	ck_assert_int_eq(downmix_matrix(t, LAYOUT_5_1_4, LAYOUT_7_1, &m, NULL, NULL), -1);
	ck_assert_int_eq(downmix_matrix(t, LAYOUT_7_1, LAYOUT_5_1_2, &m, NULL, NULL), -1);
	/* the same format is the identity */
	ck_assert_int_eq(downmix_matrix(t, LAYOUT_7_1_4, LAYOUT_7_1_4, &m, NULL, NULL), 0);
	for (int d = 0; d < 12; d++)
		for (int s = 0; s < 12; s++)
			ck_assert_float_eq(m.m[d][s], d == s ? 1.0f : 0.0f);
}
END_TEST

/* Pink noise (Paul Kellet's filter on white noise), scaled to peak at
 * exactly full scale. */
static void pink(float *x, size_t n, unsigned seed)
{
	double b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0, b6 = 0, peak = 0;
	srand(seed);
	for (size_t i = 0; i < n; i++) {
		const double w = (double)rand() / RAND_MAX * 2.0 - 1.0;
		b0 = 0.99886 * b0 + w * 0.0555179;
		b1 = 0.99332 * b1 + w * 0.0750759;
		b2 = 0.96900 * b2 + w * 0.1538520;
		b3 = 0.86650 * b3 + w * 0.3104856;
		b4 = 0.55000 * b4 + w * 0.5329522;
		b5 = -0.7616 * b5 - w * 0.0168980;
		x[i] = (float)(b0 + b1 + b2 + b3 + b4 + b5 + b6 + w * 0.5362);
		b6 = w * 0.115926;
		peak = fabs(x[i]) > peak ? fabs(x[i]) : peak;
	}
	for (size_t i = 0; i < n; i++)
		x[i] = (float)(x[i] / peak);
}

static void apply(const struct downmix_matrix *m, unsigned out_ch, unsigned in_ch, const float *in, float *out)
{
	for (unsigned d = 0; d < out_ch; d++) {
		out[d] = 0;
		for (unsigned s = 0; s < in_ch; s++)
			out[d] += m->m[d][s] * in[s];
	}
}

/* 7.1.4 -> 7.1 -> 5.1 -> 2.0: the chain matrix is the product of the steps
 * (checked sample by sample on full-scale pink noise, one channel at a
 * time), and with the default coefficients no channel alone clips the
 * fold-down. */
START_TEST(chain_714_to_20)
{
	enum layout_id path[DOWNMIX_MAX_CHAIN];
	int n;
	struct downmix_matrix chain;
	ck_assert_int_eq(downmix_matrix(t, LAYOUT_7_1_4, LAYOUT_2_0, &chain, path, &n), 0);
	ck_assert_int_eq(n, 4);
	ck_assert_int_eq(path[1], LAYOUT_7_1);
	ck_assert_int_eq(path[2], LAYOUT_5_1);
	ck_assert_int_eq(path[3], LAYOUT_2_0);
	/* Lo, documented: L 1, C k, Ltf k (via L), Lss k^2, Lrs k^2, Ltr k^3; no LFE, nothing from the right */
	const float lo[12] = {1, 0, k, 0, k * k, 0, k * k, 0, k, 0, k * k * k, 0};
	for (int s = 0; s < 12; s++)
		ck_assert_float_eq_tol(chain.m[0][s], lo[s], 1e-6);

	enum { N = 48000 };
	float *noise = malloc(N * sizeof(float));
	pink(noise, N, 7);
	const struct downmix_matrix *s1 = step(LAYOUT_7_1_4, LAYOUT_7_1), *s2 = step(LAYOUT_7_1, LAYOUT_5_1),
	                            *s3 = step(LAYOUT_5_1, LAYOUT_2_0);
	for (unsigned c = 0; c < 12; c++) {
		double peak = 0, worst = 0;
		for (size_t i = 0; i < N; i++) {
			float in[16] = {0}, a[16], b[16], out[16], direct[16];
			in[c] = noise[i];
			apply(s1, 8, 12, in, a);
			apply(s2, 6, 8, a, b);
			apply(s3, 2, 6, b, out);
			apply(&chain, 2, 12, in, direct);
			for (int o = 0; o < 2; o++) {
				const double error = fabs((double)out[o] - direct[o]);
				worst = error > worst ? error : worst;
				peak = fabs(out[o]) > peak ? fabs(out[o]) : peak;
			}
		}
		/* one assertion per channel: a check per sample is slow under the sanitizers */
		ck_assert_msg(worst <= 1e-6, "channel %u: step by step differs from the chain by %g", c, worst);
		ck_assert_msg(peak <= 1.0, "channel %s clips the fold-down: peak %g",
		              layout_get(LAYOUT_7_1_4)->speakers[c].name, peak);
	}
	free(noise);
}
END_TEST

START_TEST(overrides_change_steps_and_chains)
{
	const int s = downmix_find_step(LAYOUT_5_1, LAYOUT_2_0);
	ck_assert_int_eq(downmix_set(t, (unsigned)s, "L", "LFE", 0.5f), 0);
	ck_assert_int_eq(downmix_set(t, (unsigned)s, "L", "Lss", 0.5f), -1);  /* not a 5.1 channel */
	ck_assert_int_eq(downmix_set(t, (unsigned)s, "C", "C", 0.5f), -1);    /* not a 2.0 channel */
	struct downmix_matrix m;
	ck_assert_int_eq(downmix_matrix(t, LAYOUT_7_1, LAYOUT_2_0, &m, NULL, NULL), 0);
	ck_assert_float_eq_tol(coef(&m, LAYOUT_7_1, LAYOUT_2_0, "L", "LFE"), 0.5f, 1e-7);
	ck_assert_float_eq(coef(&m, LAYOUT_7_1, LAYOUT_2_0, "R", "LFE"), 0.0f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("downmix");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, bs775_lo_ro);
	tcase_add_test(tc, documented_steps);
	tcase_add_test(tc, chains_exist_down_not_up);
	tcase_add_test(tc, chain_714_to_20);
	tcase_add_test(tc, overrides_change_steps_and_chains);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
