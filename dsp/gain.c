#include "dsp/gain.h"

#include <math.h>

float gain_from_db(float db)
{
	if (!(db > GAIN_DB_OFF))
		return 0.0f;
	return powf(10.0f, db / 20.0f);
}

float gain_to_db(float gain)
{
	if (!(gain > 0.0f))
		return -INFINITY;
	return 20.0f * log10f(gain);
}

void gain_ramp_init(struct gain_ramp *r, float value)
{
	r->current = value;
	r->target = value;
	r->step = 0.0f;
	r->remaining = 0;
}

RT void gain_ramp_set(struct gain_ramp *r, float target, uint32_t ramp_frames)
{
	r->target = target;
	if (ramp_frames == 0 || target == r->current) {
		r->current = target;
		r->remaining = 0;
		r->step = 0.0f;
		return;
	}
	r->remaining = ramp_frames;
	r->step = (target - r->current) / (float)ramp_frames;
}

/* Moves the ramp n frames on, landing exactly on the target at its end. */
RT void gain_ramp_skip_rt(struct gain_ramp *r, uint32_t n)
{
	if (n >= r->remaining) {
		r->current = r->target;
		r->remaining = 0;
		r->step = 0.0f;
	} else {
		r->current += r->step * (float)n;
		r->remaining -= n;
	}
}

RT void gain_ramp_fill_rt(struct gain_ramp *r, float *gains, uint32_t n)
{
	const float c = r->current, s = r->step, t = r->target;
	const uint32_t rem = r->remaining;
	if (rem == 0) {
		for (uint32_t i = 0; i < n; i++)
			gains[i] = c;
		return;
	}
	/* Branch-free per frame: frames past the ramp's end read the exact target. */
	for (uint32_t i = 0; i < n; i++)
		gains[i] = (i + 1 >= rem) ? t : c + s * (float)(i + 1);
	gain_ramp_skip_rt(r, n);
}

RT void gain_ramp_mix_rt(struct gain_ramp *r, const float *in, float *out, uint32_t n)
{
	const float c = r->current, s = r->step, t = r->target;
	const uint32_t rem = r->remaining;
	if (rem == 0) {
		if (c != 0.0f)
			gain_mix_constant_rt(in, c, out, n);
		return;
	}
	for (uint32_t i = 0; i < n; i++)
		out[i] += in[i] * ((i + 1 >= rem) ? t : c + s * (float)(i + 1));
	gain_ramp_skip_rt(r, n);
}

VECTOR_CLONES RT bool gain_apply_sanitized_rt(const float *in, const float *gains, float *out, uint32_t n)
{
	unsigned replaced = 0;
	for (uint32_t i = 0; i < n; i++) {
		const float v = in[i] * gains[i];
		/* False for NaN too, so NaN and inf both become 0. */
		const bool sane = fabsf(v) <= GAIN_SANE_LIMIT;
		out[i] = sane ? v : 0.0f;
		replaced |= !sane;
	}
	return replaced != 0;
}

VECTOR_CLONES RT bool gain_scale_sanitized_rt(const float *in, float gain, float *out, uint32_t n)
{
	unsigned replaced = 0;
	for (uint32_t i = 0; i < n; i++) {
		const float v = in[i] * gain;
		const bool sane = fabsf(v) <= GAIN_SANE_LIMIT;
		out[i] = sane ? v : 0.0f;
		replaced |= !sane;
	}
	return replaced != 0;
}

RT bool gain_ramp_apply_rt(struct gain_ramp *r, const float *const *in, float *const *out, uint32_t n_ch, uint32_t n,
                           float *scratch)
{
	bool replaced = false;
	if (r->remaining == 0) {
		for (uint32_t c = 0; c < n_ch; c++)
			replaced |= gain_scale_sanitized_rt(in[c], r->current, out[c], n);
		return replaced;
	}
	gain_ramp_fill_rt(r, scratch, n);
	for (uint32_t c = 0; c < n_ch; c++)
		replaced |= gain_apply_sanitized_rt(in[c], scratch, out[c], n);
	return replaced;
}

VECTOR_CLONES RT void gain_mix_constant_rt(const float *in, float gain, float *out, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		out[i] += in[i] * gain;
}
