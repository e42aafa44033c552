#include "dsp/dynamics.h"

#include <math.h>
#include <string.h>

#include "dsp/fastmath.h"

#define SQRT2 1.41421356f

/* exp(-1 / (tau fs)): the one-pole coefficient of time constant tau. */
static float pole(float ms, float sample_rate)
{
	const float frames = (ms < 0.01f ? 0.01f : ms) * 0.001f * sample_rate;
	return expf(-1.0f / frames);
}

RT void dynamics_set_rt(struct dynamics *d, const struct dynamics_params *p)
{
	const float fs = d->sample_rate;
	d->p = *p;
	const struct compressor_params *c = &p->comp;
	const struct expander_params *g = &p->gate;
	const struct deesser_params *s = &p->deess;
	d->want[0] = c->threshold_db;
	d->want[1] = c->on ? 1.0f - 1.0f / (c->ratio < 1.0f ? 1.0f : c->ratio) : 0.0f;
	d->want[2] = c->knee_db < 0.01f ? 0.01f : c->knee_db; /* 0.01 dB knee: hard within 0.0003 dB */
	d->want[3] = c->on ? c->makeup_db : 0.0f;
	d->want[4] = g->threshold_db;
	d->want[5] = g->on ? (g->ratio < 1.0f ? 0.0f : g->ratio - 1.0f) : 0.0f;
	d->want[6] = g->range_db < 0.0f ? 0.0f : g->range_db;
	d->want[7] = s->threshold_db;
	d->want[8] = s->on ? s->range_db : 0.0f;
	d->comp_attack = pole(c->attack_ms, fs);
	d->comp_release = pole(c->release_ms, fs);
	d->gate_attack = pole(g->attack_ms, fs);
	d->gate_release = pole(g->release_ms, fs);
	d->deess_attack = pole(DYNAMICS_DEESS_ATTACK_MS, fs);
	d->deess_release = pole(DYNAMICS_DEESS_RELEASE_MS, fs);
	d->rms_k = 1.0f - pole(DYNAMICS_RMS_MS, fs);
	d->hold_frames = (uint32_t)(g->hold_ms * 0.001f * fs + 0.5f);
	const struct filter_shape sc = {FILTER_HIGH_PASS, c->sidechain_hpf_hz, 0.0f, 0.70710678f, true};
	filter_coefs_design(&sc, fs, &d->sidechain);
	const struct filter_shape split = {FILTER_HIGH_PASS, s->freq_hz, 0.0f, 1.0f / SQRT2, true};
	filter_coefs_design(&split, fs, &d->deess);
}

void dynamics_init(struct dynamics *d, const struct dynamics_params *p, float sample_rate)
{
	memset(d, 0, sizeof *d);
	d->sample_rate = sample_rate;
	d->smooth = 1.0f - pole(DYNAMICS_SMOOTH_MS, sample_rate);
	dynamics_set_rt(d, p);
	memcpy(d->now, d->want, sizeof d->now);
}

/* Whether parameters first ... end-1 are still gliding. */
RT static bool gliding(const struct dynamics *d, int first, int end)
{
	bool moving = false;
	for (int i = first; i < end; i++)
		moving |= d->now[i] != d->want[i];
	return moving;
}

/* A section runs while it is on, while its attenuation is still
 * releasing, and while its parameters glide (e.g. makeup back to 0). */
RT static bool comp_or_gate_active(const struct dynamics *d)
{
	return d->p.comp.on || d->p.gate.on || d->comp_env > 1e-4f || d->gate_env > 1e-4f || gliding(d, 0, 7);
}

RT static bool deess_active(const struct dynamics *d)
{
	return d->p.deess.on || d->deess_env > 1e-4f || gliding(d, 7, 9);
}

RT bool dynamics_active(const struct dynamics *d)
{
	return comp_or_gate_active(d) || deess_active(d);
}

/* Glides parameters first ... last-1 one sample; snaps when within 1e-4. */
RT static inline void glide(float *now, const float *want, float k, int first, int end)
{
	for (int i = first; i < end; i++) {
		const float v = now[i] + k * (want[i] - now[i]);
		now[i] = fabsf(want[i] - v) < 1e-4f ? want[i] : v;
	}
}

/* Sibilance: the band above freq_hz is the SVF's high-pass output; it is
 * lowered by a dynamic high shelf built from the same SVF's outputs,
 * y = G v0 + k (sqrt G - G) v1 + (1 - G) v2, which is exactly the input at
 * G = 1 and tends to the low-pass as G falls. */
RT static void deess(struct dynamics *d, struct dynamics_channel *ch, float *const *x, uint32_t n_ch, uint32_t n,
                     float *det, float *gain, float *band)
{
	const struct filter_coefs *c = &d->deess;
	const float k = SQRT2;
	memset(det, 0, n * sizeof *det);
	for (uint32_t j = 0; j < n_ch; j++) {
		float *bp = band + (size_t)(2 * j) * n, *lp = bp + n;
		float ic1 = ch[j].deess.ic1, ic2 = ch[j].deess.ic2;
		for (uint32_t i = 0; i < n; i++) {
			const float v0 = x[j][i], v3 = v0 - ic2;
			const float v1 = c->a1 * ic1 + c->a2 * v3;
			const float v2 = ic2 + c->a2 * ic1 + c->a3 * v3;
			ic1 = 2.0f * v1 - ic1;
			ic2 = 2.0f * v2 - ic2;
			bp[i] = v1, lp[i] = v2;
			const float hp = fabsf(v0 - k * v1 - v2);
			det[i] = hp > det[i] ? hp : det[i];
		}
		ch[j].deess.ic1 = ic1, ch[j].deess.ic2 = ic2;
		filter_state_sanitize_rt(&ch[j].deess);
	}
	const float slope = 1.0f - 1.0f / DYNAMICS_DEESS_RATIO;
	float env = d->deess_env, peak = d->deess_gr_max;
	for (uint32_t i = 0; i < n; i++) {
		glide(d->now, d->want, d->smooth, 7, 9);
		const float over = fastmath_db_from_gain(det[i] + 1e-30f) - d->now[7];
		float want = slope * (over > 0.0f ? over : 0.0f);
		want = want < d->now[8] ? want : d->now[8];
		const float a = want > env ? d->deess_attack : d->deess_release;
		env = a * env + (1.0f - a) * want;
		peak = env > peak ? env : peak;
		gain[i] = fastmath_gain_from_db(-0.5f * env); /* sqrt G */
	}
	d->deess_env = env, d->deess_gr_max = peak;
	for (uint32_t j = 0; j < n_ch; j++) {
		const float *bp = band + (size_t)(2 * j) * n, *lp = bp + n;
		float *y = x[j];
		for (uint32_t i = 0; i < n; i++) {
			const float a = gain[i], G = a * a;
			y[i] = G * y[i] + k * (a - G) * bp[i] + (1.0f - G) * lp[i];
		}
	}
}

RT void dynamics_process_rt(struct dynamics *d, struct dynamics_channel *ch, float *const *x, uint32_t n_ch,
                            uint32_t n, float *scratch)
{
	float *det = scratch, *gain = scratch + n, *band = scratch + 2 * n;
	if (comp_or_gate_active(d)) {
		/* The detector: the loudest channel, through the side-chain
		 * high-pass when it is on. */
		memset(det, 0, n * sizeof *det);
		const bool sc = d->p.comp.sidechain_hpf;
		for (uint32_t j = 0; j < n_ch; j++) {
			const float *src = x[j];
			if (sc) {
				memcpy(band, x[j], n * sizeof *band);
				filter_run_rt(&d->sidechain, &ch[j].sidechain, band, n);
				filter_state_sanitize_rt(&ch[j].sidechain);
				src = band;
			}
			for (uint32_t i = 0; i < n; i++) {
				const float a = fabsf(src[i]);
				det[i] = a > det[i] ? a : det[i];
			}
		}
		const bool rms = d->p.comp.rms;
		float comp = d->comp_env, gate = d->gate_env, ms = d->mean_square;
		float comp_peak = d->comp_gr_max, gate_peak = d->gate_gr_max;
		uint32_t hold = d->hold_left;
		for (uint32_t i = 0; i < n; i++) {
			glide(d->now, d->want, d->smooth, 0, 7);
			const float level_db = fastmath_db_from_gain(det[i] + 1e-30f);
			ms += d->rms_k * (det[i] * det[i] - ms);
			const float comp_db = rms ? 0.5f * fastmath_db_from_gain(ms + 1e-30f) : level_db;
			/* Gain computer (Giannoulis et al. eq. 4, as attenuation >= 0):
			 * a is how far above the knee's start, b the part inside it. */
			const float knee = d->now[2];
			float a = comp_db - d->now[0] + 0.5f * knee;
			a = a > 0.0f ? a : 0.0f;
			const float b = a < knee ? a : knee;
			const float comp_want = d->now[1] * (b * b / (2.0f * knee) + (a - b));
			const float below = d->now[4] - level_db;
			float gate_want = d->now[5] * (below > 0.0f ? below : 0.0f);
			gate_want = gate_want < d->now[6] ? gate_want : d->now[6];
			/* Smooth branching detectors on the attenuations. */
			const float ca = comp_want > comp ? d->comp_attack : d->comp_release;
			comp = ca * comp + (1.0f - ca) * comp_want;
			const bool closing = gate_want > gate;
			const bool held = closing && hold > 0;
			hold = closing ? (hold > 0 ? hold - 1 : 0) : d->hold_frames;
			const float ga = held ? 1.0f : (closing ? d->gate_release : d->gate_attack);
			gate = ga * gate + (1.0f - ga) * gate_want;
			comp_peak = comp > comp_peak ? comp : comp_peak;
			gate_peak = gate > gate_peak ? gate : gate_peak;
			gain[i] = fastmath_gain_from_db(d->now[3] - comp - gate);
		}
		d->comp_env = comp, d->gate_env = gate, d->mean_square = ms, d->hold_left = hold;
		d->comp_gr_max = comp_peak, d->gate_gr_max = gate_peak;
		for (uint32_t j = 0; j < n_ch; j++)
			for (uint32_t i = 0; i < n; i++)
				x[j][i] *= gain[i];
	}
	if (deess_active(d))
		deess(d, ch, x, n_ch, n, det, gain, band);
}
