#include "dsp/downmix.h"

#include <string.h>

#define K 0.70710678f /* -3.01 dB: a channel folded into another, or split in two */

struct fold {
	const char *src, *dst;
	float gain;
};

/* Channels with the same name pass at gain 1; these folds add the rest.
 * Order matters: chains are found breadth-first in this order, so the
 * height-into-ear steps come first. */
static const struct step_def {
	enum layout_id from, to;
	struct fold folds[12];
} steps[] = {
	{LAYOUT_9_1_6, LAYOUT_7_1_4, {{"Lw", "L", K}, {"Lw", "Lss", K}, {"Rw", "R", K}, {"Rw", "Rss", K},
	                              {"Ltm", "Ltf", K}, {"Ltm", "Ltr", K}, {"Rtm", "Rtf", K}, {"Rtm", "Rtr", K}}},
	{LAYOUT_7_1_4, LAYOUT_7_1, {{"Ltf", "L", K}, {"Rtf", "R", K}, {"Ltr", "Lrs", K}, {"Rtr", "Rrs", K}}},
	{LAYOUT_7_1_2, LAYOUT_7_1, {{"Ltm", "Lss", K}, {"Rtm", "Rss", K}}},
	{LAYOUT_5_1_4, LAYOUT_5_1, {{"Ltf", "L", K}, {"Rtf", "R", K}, {"Ltr", "Ls", K}, {"Rtr", "Rs", K}}},
	{LAYOUT_5_1_2, LAYOUT_5_1, {{"Ltm", "Ls", K}, {"Rtm", "Rs", K}}},
	{LAYOUT_7_1, LAYOUT_5_1, {{"Lss", "Ls", K}, {"Lrs", "Ls", K}, {"Rss", "Rs", K}, {"Rrs", "Rs", K}}},
	/* ITU-R BS.775 Lo/Ro; LFE omitted (override to keep it). */
	{LAYOUT_5_1, LAYOUT_2_0, {{"C", "L", K}, {"C", "R", K}, {"Ls", "L", K}, {"Rs", "R", K}}},
	{LAYOUT_2_0, LAYOUT_MONO, {{"L", "M", K}, {"R", "M", K}}},
	{LAYOUT_7_1_4, LAYOUT_7_1_2, {{"Ltf", "Ltm", K}, {"Ltr", "Ltm", K}, {"Rtf", "Rtm", K}, {"Rtr", "Rtm", K}}},
	{LAYOUT_7_1_4, LAYOUT_5_1_4, {{"Lss", "Ls", K}, {"Lrs", "Ls", K}, {"Rss", "Rs", K}, {"Rrs", "Rs", K}}},
	{LAYOUT_7_1_2, LAYOUT_5_1_2, {{"Lss", "Ls", K}, {"Lrs", "Ls", K}, {"Rss", "Rs", K}, {"Rrs", "Rs", K}}},
	{LAYOUT_5_1_4, LAYOUT_5_1_2, {{"Ltf", "Ltm", K}, {"Ltr", "Ltm", K}, {"Rtf", "Rtm", K}, {"Rtr", "Rtm", K}}},
};

#define N_STEPS (sizeof steps / sizeof steps[0])
_Static_assert(N_STEPS == DOWNMIX_STEPS, "DOWNMIX_STEPS must count the step table");

static void build_default(unsigned i, struct downmix_matrix *out)
{
	const struct layout *from = layout_get(steps[i].from), *to = layout_get(steps[i].to);
	memset(out, 0, sizeof *out);
	for (unsigned s = 0; s < from->channels; s++) {
		int d = layout_channel_index(to, from->speakers[s].name);
		if (d >= 0)
			out->m[d][s] = 1.0f;
	}
	for (const struct fold *f = steps[i].folds; f->src; f++)
		out->m[layout_channel_index(to, f->dst)][layout_channel_index(from, f->src)] = f->gain;
}

int downmix_step_default(enum layout_id from, enum layout_id to, struct downmix_matrix *out)
{
	const int step = downmix_find_step(from, to);
	if (step < 0)
		return -1;
	build_default((unsigned)step, out);
	return 0;
}

void downmix_table_init(struct downmix_table *t)
{
	for (unsigned i = 0; i < N_STEPS; i++)
		build_default(i, &t->step[i]);
}

int downmix_find_step(enum layout_id from, enum layout_id to)
{
	for (unsigned i = 0; i < N_STEPS; i++)
		if (steps[i].from == from && steps[i].to == to)
			return (int)i;
	return -1;
}

const struct downmix_matrix *downmix_step_matrix(const struct downmix_table *t, unsigned step)
{
	return &t->step[step];
}

int downmix_set(struct downmix_table *t, unsigned step, const char *dst, const char *src, float gain)
{
	const int d = layout_channel_index(layout_get(steps[step].to), dst);
	const int s = layout_channel_index(layout_get(steps[step].from), src);
	if (d < 0 || s < 0)
		return -1;
	t->step[step].m[d][s] = gain;
	return 0;
}

/* out = a * b, sized by the layouts (a: to <- mid, b: mid <- from). */
static void multiply(const struct downmix_matrix *a, const struct downmix_matrix *b,
                     unsigned to_ch, unsigned mid_ch, unsigned from_ch, struct downmix_matrix *out)
{
	struct downmix_matrix r;
	memset(&r, 0, sizeof r);
	for (unsigned d = 0; d < to_ch; d++)
		for (unsigned s = 0; s < from_ch; s++)
			for (unsigned k = 0; k < mid_ch; k++)
				r.m[d][s] += a->m[d][k] * b->m[k][s];
	*out = r;
}

int downmix_matrix(const struct downmix_table *t, enum layout_id from, enum layout_id to,
                   struct downmix_matrix *out, enum layout_id path[DOWNMIX_MAX_CHAIN], int *path_len)
{
	/* Breadth-first over layouts; via[l] is the step that first reached l. */
	int via[LAYOUT_COUNT];
	for (int i = 0; i < LAYOUT_COUNT; i++)
		via[i] = -2;
	enum layout_id queue[LAYOUT_COUNT];
	int head = 0, tail = 0;
	queue[tail++] = from;
	via[from] = -1;
	while (head < tail && via[to] == -2) {
		const enum layout_id l = queue[head++];
		for (unsigned i = 0; i < N_STEPS; i++)
			if (steps[i].from == l && via[steps[i].to] == -2) {
				via[steps[i].to] = (int)i;
				queue[tail++] = steps[i].to;
			}
	}
	if (via[to] == -2)
		return -1;

	int chain[DOWNMIX_MAX_CHAIN], n = 0;
	for (enum layout_id l = to; via[l] >= 0; l = steps[via[l]].from)
		chain[n++] = via[l];
	memset(out, 0, sizeof *out);
	for (unsigned c = 0; c < layout_get(from)->channels; c++)
		out->m[c][c] = 1.0f;
	for (int k = n - 1; k >= 0; k--) {
		const struct step_def *s = &steps[chain[k]];
		multiply(&t->step[chain[k]], out, layout_get(s->to)->channels,
		         layout_get(s->from)->channels, layout_get(from)->channels, out);
	}
	if (path) {
		path[0] = from;
		for (int k = n - 1; k >= 0; k--)
			path[n - k] = steps[chain[k]].to;
	}
	if (path_len)
		*path_len = n + 1;
	return 0;
}
