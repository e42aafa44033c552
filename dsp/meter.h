/* Peak, true-peak and RMS metering of one channel. The RT thread measures each
 * block and integrates it; the engine publishes the result through atomics.
 * RMS integrates with a first-order time constant (300 ms in the engine), and
 * is reported as plain RMS dBFS: a full-scale sine reads -3.01 dBFS.
 * True peak is ITU-R BS.1770-4 Annex 2 (dsp/true_peak), worked out only for
 * blocks that could raise a maximum or be an over: a loud block costs the
 * interpolation, a block 6.1 dB under the lowest of the three maxima does
 * not. Each maximum is exact whenever its caller resets it. */
#ifndef DUBSTAGE_DSP_METER_H
#define DUBSTAGE_DSP_METER_H

#include <stdbool.h>
#include <stdint.h>

#include "dsp/rt.h"
#include "dsp/true_peak.h"

/* A block is metered in chunks of this many frames: the true peak's window
 * copy is bounded, and the block's energy is the chunks' energies added in
 * order (each chunk's: eight partial sums added pairwise). */
#define METER_CHUNK_FRAMES 64

struct meter {
	float peak;          /* sample peak, max |x| since the caller last reset it */
	float true_peak;     /* since the caller last reset it (with peak) */
	float true_peak_max; /* since the caller last reset it (with overs) */
	float true_peak_run; /* since the caller last reset it alone (a loudness measurement's) */
	uint32_t overs;      /* excursions above 0 dBTP: a run of over blocks is one */
	bool in_over;        /* the last block was over */
	float mean_square;   /* exponentially averaged */
	float hist[TRUE_PEAK_HISTORY]; /* the last frames, oldest first */
};

/* Per-block smoothing coefficient for a block of n frames. Off the RT thread. */
float meter_block_coefficient(float sample_rate, float time_constant_ms, uint32_t n);

/* Measures x[0..n) into m: peaks max-accumulated, overs counted, mean
 * square smoothed with coefficient k from meter_block_coefficient(). x must
 * be sanitised (finite). */
RT void meter_process_rt(struct meter *m, const float *x, uint32_t n, float k);

/* A block of silence (a muted strip, whose samples are not computed): RMS
 * falls, and the interpolation history is silence. */
RT void meter_silence_rt(struct meter *m, float k);

#endif
