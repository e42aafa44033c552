/* Fold-down from a layout to a smaller one: the documented single steps
 * (docs/layouts.md), any console-wide coefficient overrides, and chains
 * through the steps (7.1.4 -> 7.1 -> 5.1 -> 2.0). Pure data and arithmetic;
 * any thread (the engine calls it when building a graph). */
#ifndef DUBSTAGE_DSP_DOWNMIX_H
#define DUBSTAGE_DSP_DOWNMIX_H

#include "dsp/layout.h"

#define DOWNMIX_MAX_CHAIN 8

/* m[dst channel][src channel]: dst = m * src. */
struct downmix_matrix {
	float m[LAYOUT_MAX_CHANNELS][LAYOUT_MAX_CHANNELS];
};

#define DOWNMIX_STEPS 12

/* Every single step with its current coefficients (caller-owned). */
struct downmix_table {
	struct downmix_matrix step[DOWNMIX_STEPS];
};

/* Fills t with the documented defaults. */
void downmix_table_init(struct downmix_table *t);
/* The documented default of one step, for `from` -> `to`; returns -1 when
 * there is no such single step. */
int downmix_step_default(enum layout_id from, enum layout_id to, struct downmix_matrix *out);

/* The step from -> to, or -1 when there is no single step between them. */
int downmix_find_step(enum layout_id from, enum layout_id to);
const struct downmix_matrix *downmix_step_matrix(const struct downmix_table *t, unsigned step);

/* Overrides one coefficient of a step: gain from channel `src` of the
 * step's source layout into channel `dst` of its target. Returns 0, or -1
 * when a channel name is not in the layout. */
int downmix_set(struct downmix_table *t, unsigned step, const char *dst, const char *src, float gain);

/* The matrix from -> to: the identity when they are equal, else the product
 * of the steps along the shortest chain (ties: the order of the step table,
 * height folded before the ear layer). Writes the chain's layouts (from
 * first) to path and its length to *path_len when they are not NULL.
 * Returns 0, or -1 when no chain leads from `from` to `to` (an upmix). */
int downmix_matrix(const struct downmix_table *t, enum layout_id from, enum layout_id to,
                   struct downmix_matrix *out, enum layout_id path[DOWNMIX_MAX_CHAIN], int *path_len);

#endif
