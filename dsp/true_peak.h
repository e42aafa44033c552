/* True peak per ITU-R BS.1770-4 Annex 2: the signal interpolated 4x by the
 * Annex's 48-tap filter (4 phases of 12), the largest magnitude of the
 * interpolated values and the samples. Used by the master limiter's detector
 * (per frame) and by the strip and bus meters (per span: dsp/meter, whose
 * bus maxima are also the loudness meter's), both on the RT thread; and
 * offline by true_peak_of. */
#ifndef DUBSTAGE_DSP_TRUE_PEAK_H
#define DUBSTAGE_DSP_TRUE_PEAK_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "dsp/rt.h"

#define TRUE_PEAK_TAPS 12
#define TRUE_PEAK_PHASES 4
/* The value at frame n describes the signal between frames n - REACH and n
 * (the filter's span around its centre taps). */
#define TRUE_PEAK_REACH (TRUE_PEAK_TAPS / 2 + 1)

/* The most an interpolated value can be for samples within [-1, 1]: the
 * largest sum of |taps| of a phase (phases 1 and 2: 2.0228271484375, +6.1
 * dB). A span whose samples (with the history) are all below m / bound
 * cannot reach m. */
#define TRUE_PEAK_BOUND 2.0228271484375f
/* Frames of history a span needs before its first frame. */
#define TRUE_PEAK_HISTORY (TRUE_PEAK_TAPS - 1)

extern const float true_peak_annex2[TRUE_PEAK_PHASES][TRUE_PEAK_TAPS];

/* The loudest of the 4 interpolated values and the sample, over a window
 * whose newest frame is w[0] (older ones at w[-1], w[-2], ...). */
RT static inline float true_peak_window(const float *w)
{
	float peak = fabsf(w[0]);
	for (int p = 0; p < TRUE_PEAK_PHASES; p++) {
		float y = 0.0f;
		for (int k = 0; k < TRUE_PEAK_TAPS; k++)
			y += true_peak_annex2[p][k] * w[-k];
		y = fabsf(y);
		peak = y > peak ? y : peak; /* not fmaxf: a libm call without -ffast-math */
	}
	return peak;
}

/* The true peak (interpolated values and samples) of the n frames
 * w[TRUE_PEAK_HISTORY ..], given the TRUE_PEAK_HISTORY frames before them
 * in w[0 ..]. Within 2e-6 of true_peak_window() over the span (for samples
 * in [-1, 1]), computed 8 or 16 frames at a time with the phases folded in
 * pairs (true_peak.c): fewer operations, other roundings. */
RT float true_peak_span_rt(const float *w, uint32_t n);

/* Each frame's true peak, as true_peak_window() gives it bit for bit (no
 * fused multiply-adds: the limiter's gains come from it, and the audio is
 * the same on every machine), for the n frames w[TRUE_PEAK_HISTORY ..]
 * after the TRUE_PEAK_HISTORY in w[0 ..]: most[i] becomes the larger of
 * itself and frame i's (most[] >= 0). */
RT void true_peak_frames_rt(const float *w, uint32_t n, float *most);

/* The true peak of x[0 .. n), starting and ending in silence. */
float true_peak_of(const float *x, uint32_t n);

#endif
