/* Loudness of one multichannel signal, ITU-R BS.1770-4 and EBU R128:
 * K-weighting, momentary (400 ms), short-term (3 s), integrated (gated) and
 * loudness range (EBU Tech 3342).
 *
 * Ours rather than libebur128's: libebur128 filters one channel at a time in
 * double precision, 6 ns per channel-sample on this VM, and took half the
 * CPU of an offline render (docs/performance.md). This filters a frame's
 * channels side by side (dsp/k_weighting; the console runs that part on the
 * RT thread, on the bus outputs, and hands this module 100 ms energies:
 * bs1770_add_step) and keeps every 400 ms block and every short-term
 * value, so the gated figures are exact, not histogram approximations.
 * tests/test_bs1770.c holds it to libebur128 on the same signals, and to the
 * EBU Tech 3341 and 3342 cases (tests/test_loudness.c).
 *
 * Blocks: the signal is cut into 100 ms steps; a momentary value, a 400 ms
 * gating block and (from 3 s on) a short-term value for the loudness range
 * end at each step. Not for the RT thread, and not in dsp/ (whose kernels
 * allocate nothing): the lists grow, 10 entries a second each (the blocks
 * and the short-term values: 80 bytes a second), for as long as the
 * measurement runs. A readout costs one pass over the blocks (the integrated figure's
 * relative gate) and a binary search (the range): at 2 hours, 0.1 ms. */
#ifndef DUBSTAGE_ENGINE_BS1770_H
#define DUBSTAGE_ENGINE_BS1770_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dsp/k_weighting.h"
#include "dsp/layout.h"

#define BS1770_STEPS_SHORT 30 /* 100 ms steps in the short-term window */

struct bs1770 {
	uint32_t step_frames;    /* frames in 100 ms */
	struct k_weighting kw;   /* bs1770_add's filters and sums; kw.n_ch channels a frame */
	uint32_t frames_in_step;
	double step_energy[BS1770_STEPS_SHORT]; /* weighted mean squares of the last steps, a ring */
	uint64_t steps;                        /* completed steps */
	/* The lists keep single precision (2.6e-7 LU; the sums over them are
	 * double): 40 bytes a second each, for as long as the measurement runs. */
	float *blocks;                         /* every 400 ms block's weighted energy, in time order */
	size_t n_blocks, cap_blocks;
	float *short_terms;                    /* every short-term value's energy (3 s windows), ascending */
	size_t n_short_terms, cap_short_terms;
	/* Sums and counts of the values above the absolute gate, added as they
	 * come (the order a batch sum would take): a readout stays O(log n)
	 * for the range and one pass for the integrated figure, not a sort of
	 * hours of values ten times a second. */
	double blocks_audible_sum, short_terms_audible_sum;
	size_t n_blocks_audible, n_short_terms_audible;
	bool out_of_memory;                    /* a list could not grow: the figures miss blocks */
};

/* Measures n_ch channels with weights[] (k_weighting_channel_weight) at
 * `rate`. Returns false when n_ch is 0 or too many. */
bool bs1770_init(struct bs1770 *m, uint32_t rate, uint32_t n_ch, const double *weights);
void bs1770_free(struct bs1770 *m);
/* Starts again from silence (the weights stay). */
void bs1770_reset(struct bs1770 *m);

/* n interleaved frames of n_ch channels. */
void bs1770_add(struct bs1770 *m, const float *frames, uint32_t n);
/* n frames of n_ch channels laid out as x[f * frame_stride + c * channel_stride]
 * (interleaved: n_ch, 1; one block per channel: 1, n). */
void bs1770_add_strided(struct bs1770 *m, const float *x, uint32_t n, size_t frame_stride, size_t channel_stride);
/* One 100 ms step K-weighted elsewhere (the RT thread's k_weighting on a bus):
 * its channel-weighted mean square, k_weighting_take_rt / the step's frames.
 * The same figures as bs1770_add of the step's frames, bit for bit. */
void bs1770_add_step(struct bs1770 *m, double energy);

/* LUFS, -inf when silent (or before the first block for integrated). */
double bs1770_momentary(const struct bs1770 *m);
double bs1770_short_term(const struct bs1770 *m);
double bs1770_integrated(const struct bs1770 *m);
/* Dialogue-gated integrated loudness of m: the mean of m's 400 ms blocks
 * (absolute gate only) over the times when the dialogue measurement's own
 * block passes its BS.1770 gates (absolute -70 LUFS, relative -10 LU) -
 * when the dialogue stem is speaking. The two measurements' newest blocks
 * are taken to be simultaneous (they are fed the same periods). -inf when
 * no block qualifies. */
double bs1770_integrated_during(const struct bs1770 *m, const struct bs1770 *dialogue);

/* LU; 0 when there are not enough short-term values. */
double bs1770_range(const struct bs1770 *m);

#endif
