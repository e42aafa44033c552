/* Peak and RMS metering of one channel. The RT thread measures each block and
 * integrates it; the engine publishes the result through atomics.
 * RMS integrates with a first-order time constant (300 ms in the engine), and
 * is reported as plain RMS dBFS: a full-scale sine reads -3.01 dBFS. */
#ifndef DUBSTAGE_DSP_METER_H
#define DUBSTAGE_DSP_METER_H

#include <stdint.h>

#include "dsp/rt.h"

struct meter {
	float peak;        /* max |x| since the last reset */
	float mean_square; /* exponentially averaged */
};

/* Per-block smoothing coefficient for a block of n frames. Off the RT thread. */
float meter_block_coefficient(float sample_rate, float time_constant_ms, uint32_t n);

/* Measures x[0..n) into m: peak is max-accumulated, mean square smoothed with
 * coefficient k from meter_block_coefficient(). x must be sanitised (finite). */
RT void meter_process_rt(struct meter *m, const float *x, uint32_t n, float k);

#endif
