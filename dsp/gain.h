/* Gains: dB conversion, the click-free gain ramp, and the sanitising multiply
 * that keeps non-finite or absurd samples off the buses.
 * gain_from_db/gain_to_db: any thread. *_rt: the RT thread, caller-owned memory. */
#ifndef DUBSTAGE_DSP_GAIN_H
#define DUBSTAGE_DSP_GAIN_H

#include <stdbool.h>
#include <stdint.h>

#include "dsp/rt.h"

/* Faders at or below this read as off (-inf). */
#define GAIN_DB_OFF (-144.0f)

/* Samples whose magnitude exceeds this (+60 dBFS) or that are NaN/inf are
 * replaced by 0 before they can reach a bus: such values come only from a
 * broken source, and one of them would poison every sum downstream. */
#define GAIN_SANE_LIMIT 1000.0f

float gain_from_db(float db);
float gain_to_db(float gain); /* 0 -> -INFINITY */

/* A linear ramp from `current` to `target` over a fixed number of frames; a
 * new target restarts the ramp from where the gain is now, so every change is
 * continuous in value. Linear in gain keeps the slope bounded by
 * |target - current| / ramp_frames, which is what makes a 40 dB jump inaudible
 * as a click. */
struct gain_ramp {
	float current;
	float target;
	float step;         /* per frame */
	uint32_t remaining; /* frames left in the ramp */
};

void gain_ramp_init(struct gain_ramp *r, float value);
RT void gain_ramp_set(struct gain_ramp *r, float target, uint32_t ramp_frames);
RT static inline bool gain_ramp_is_silent(const struct gain_ramp *r)
{
	return r->current == 0.0f && r->remaining == 0;
}

/* Writes the per-frame gains of the next n frames and advances the ramp. */
RT void gain_ramp_fill_rt(struct gain_ramp *r, float *gains, uint32_t n);

/* Advances the ramp n frames with no audio through it (silence in: nothing
 * to add), exactly as fill or mix would. */
RT void gain_ramp_skip_rt(struct gain_ramp *r, uint32_t n);

/* out[i] += in[i] * gain(i), advancing the ramp. */
RT void gain_ramp_mix_rt(struct gain_ramp *r, const float *in, float *out, uint32_t n);

/* out[i] = sane(in[i] * gains[i]); in may equal out. True when a product
 * was not sane (non-finite, or beyond GAIN_SANE_LIMIT) and became 0. */
RT bool gain_apply_sanitized_rt(const float *in, const float *gains, float *out, uint32_t n);

/* out[i] = sane(in[i] * gain); in may equal out. True as above. */
RT bool gain_scale_sanitized_rt(const float *in, float gain, float *out, uint32_t n);

/* out[c][i] = sane(in[c][i] * gain(i)) for n_ch channels, advancing the ramp
 * (in may equal out). A ramp at rest multiplies by its value; a moving one
 * fills its gains into scratch (n floats) once for every channel. True when
 * any product was not sane. */
RT bool gain_ramp_apply_rt(struct gain_ramp *r, const float *const *in, float *const *out, uint32_t n_ch, uint32_t n,
                           float *scratch);

/* out[i] += in[i] * gain (a constant, e.g. a downmix coefficient). */
RT void gain_mix_constant_rt(const float *in, float gain, float *out, uint32_t n);

#endif
