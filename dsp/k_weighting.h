/* The K-weighting of ITU-R BS.1770-4 on the channels of one bus, and the
 * channel-weighted energy of what it has filtered: the part of a loudness
 * measurement that reads the audio. It allocates nothing, so it runs on the
 * RT thread, straight on the bus outputs (engine/graph); engine/bs1770
 * builds the gated figures from its 100 ms energies.
 *
 * Double precision: single-precision recursions read 0.013 LU off at
 * -71.5 LUFS (docs/performance.md). A frame's channels are filtered side by
 * side (independent recursions in one vector, K_WEIGHTING_LANES channels
 * per vector), and a lane group that hears silence into filters at rest is
 * skipped (a stem's height channels, most of the time). */
#ifndef DUBSTAGE_DSP_K_WEIGHTING_H
#define DUBSTAGE_DSP_K_WEIGHTING_H

#include <stdbool.h>
#include <stdint.h>

#include "dsp/layout.h"
#include "dsp/rt.h"

#define K_WEIGHTING_LANES 4 /* channels filtered side by side */
#define K_WEIGHTING_MAX_CHANNELS (((LAYOUT_MAX_CHANNELS) + K_WEIGHTING_LANES - 1) / K_WEIGHTING_LANES * K_WEIGHTING_LANES)
#define K_WEIGHTING_MAX_FRAMES 256 /* frames per k_weighting_process_rt call */

struct k_weighting_biquad {
	double b0, b1, b2, a1, a2;
};

struct k_weighting {
	uint32_t n_ch;           /* the bus's channels */
	uint32_t n_lanes;        /* n_ch rounded up to K_WEIGHTING_LANES */
	struct k_weighting_biquad shelf, highpass;
	double weight[K_WEIGHTING_MAX_CHANNELS];    /* G_i; 0 for LFE and padding */
	double z1[2][K_WEIGHTING_MAX_CHANNELS], z2[2][K_WEIGHTING_MAX_CHANNELS]; /* transposed direct form II */
	double sum[K_WEIGHTING_MAX_CHANNELS];       /* squares since k_weighting_take_rt */
};

/* The K-weighting at `rate`, from its analogue prototype (at 48 kHz it gives
 * the coefficients the Recommendation lists). */
void k_weighting_filters(double rate, struct k_weighting_biquad *shelf, struct k_weighting_biquad *highpass);

/* The channel weight G of a loudspeaker: 0 for LFE, 1.41 on the ear layer
 * between 60 and 120 degrees off centre (Ls, Rs of 5.1; the sides of 7.1),
 * 1.0 for every other (the top layer too: BS.1770-4 weighs only those it
 * names). */
double k_weighting_channel_weight(const struct speaker *sp);

/* n_ch channels with weights[] at `rate`, filters at rest. False when n_ch is
 * 0 or too many. */
bool k_weighting_init(struct k_weighting *k, double rate, uint32_t n_ch, const double *weights);
/* Filters at rest and sums at zero (the weights stay). */
RT void k_weighting_clear_rt(struct k_weighting *k);

/* K-weights n <= K_WEIGHTING_MAX_FRAMES frames of channels ch[0 .. n_ch)
 * into the sums. */
RT void k_weighting_process_rt(struct k_weighting *k, const float *const *ch, uint32_t n);
/* The channel-weighted sum of squares since the last take, sum_i G_i *
 * sum_t y_i(t)^2 (divide by the frames for BS.1770's weighted mean square);
 * the sums start again from zero. */
RT double k_weighting_take_rt(struct k_weighting *k);

#endif
