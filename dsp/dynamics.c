#include "dsp/dynamics.h"

#include <math.h>
#include <string.h>

#include "dsp/fastmath.h"
#include "dsp/lanes.h"

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
	/* The mean square runs only while RMS detection is on (its recursion
	 * is the one serial loop of the gain computer): switched on, it rises
	 * from silence with its 10 ms time constant. */
	if (p->comp.rms && !d->p.comp.rms)
		d->mean_square = 0.0f;
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

/* The detector: the loudest channel, through the side-chain high-pass when
 * it is on. */
RT static void detect(struct dynamics *d, struct dynamics_channel *ch, float *const *x, uint32_t n_ch, uint32_t n,
                      float *det, float *band)
{
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
}

/* The attenuation envelopes, one sample: the gain computer's wants in, the
 * branching one-pole detectors (and the gate's hold) moved, the section's
 * attenuation in dB out. The one serial part of the section. */
struct envelopes {
	float comp, gate, comp_peak, gate_peak;
	uint32_t hold;
};

RT static inline float follow(const struct dynamics *d, struct envelopes *e, float comp_want, float gate_want)
{
	const float ca = comp_want > e->comp ? d->comp_attack : d->comp_release;
	e->comp = ca * e->comp + (1.0f - ca) * comp_want;
	const bool closing = gate_want > e->gate;
	const bool held = closing && e->hold > 0;
	e->hold = closing ? (e->hold > 0 ? e->hold - 1 : 0) : d->hold_frames;
	const float ga = held ? 1.0f : (closing ? d->gate_release : d->gate_attack);
	e->gate = ga * e->gate + (1.0f - ga) * gate_want;
	e->comp_peak = e->comp > e->comp_peak ? e->comp : e->comp_peak;
	e->gate_peak = e->gate > e->gate_peak ? e->gate : e->gate_peak;
	return e->comp + e->gate;
}

/* Gain computer (Giannoulis et al. eq. 4, as attenuation >= 0): a is how far
 * above the knee's start, b the part inside it. p: the glided parameters. */
RT static inline float comp_wants(const float *p, float comp_db)
{
	const float knee = p[2];
	float a = comp_db - p[0] + 0.5f * knee;
	a = a > 0.0f ? a : 0.0f;
	const float b = a < knee ? a : knee;
	/* times the reciprocal, not divided: the block loop computes it once */
	return p[1] * (b * b * (0.5f / knee) + (a - b));
}

RT static inline float gate_wants(const float *p, float level_db)
{
	const float below = p[4] - level_db;
	const float want = p[5] * (below > 0.0f ? below : 0.0f);
	return want < p[6] ? want : p[6];
}

static struct envelopes envelopes_of(const struct dynamics *d)
{
	return (struct envelopes){d->comp_env, d->gate_env, d->comp_gr_max, d->gate_gr_max, d->hold_left};
}

static void keep_envelopes(struct dynamics *d, const struct envelopes *e)
{
	d->comp_env = e->comp, d->gate_env = e->gate, d->hold_left = e->hold;
	d->comp_gr_max = e->comp_peak, d->gate_gr_max = e->gate_peak;
}

/* Compressor and gate gains of the detector det[0..n) into gain[], every
 * sample with its own glide step: the reference, and the path while
 * parameters glide. */
RT static void comp_gate_per_sample(struct dynamics *d, const float *det, float *gain, uint32_t n)
{
	const bool rms = d->p.comp.rms;
	float ms = d->mean_square;
	struct envelopes e = envelopes_of(d);
	for (uint32_t i = 0; i < n; i++) {
		glide(d->now, d->want, d->smooth, 0, 7);
		const float level_db = fastmath_db_from_gain(det[i] + 1e-30f);
		ms = rms ? ms + d->rms_k * (det[i] * det[i] - ms) : ms;
		const float comp_db = rms ? 0.5f * fastmath_db_from_gain(ms + 1e-30f) : level_db;
		const float att = follow(d, &e, comp_wants(d->now, comp_db), gate_wants(d->now, level_db));
		gain[i] = fastmath_gain_from_db(d->now[3] - att);
	}
	d->mean_square = ms;
	keep_envelopes(d, &e);
}

/* The block path's first phase, parameters at rest: the gain computer's
 * wants over the block from the detector det[] (loops the compiler
 * vectorises, but for the RMS detector's recursion). */
VECTOR_CLONES
RT static void comp_gate_wants(struct dynamics *d, const float *det, float *comp_want, float *gate_want, uint32_t n)
{
	const float *p = d->now;
	float ms = d->mean_square;
	if (d->p.comp.rms) {
		for (uint32_t i = 0; i < n; i++) {
			ms += d->rms_k * (det[i] * det[i] - ms);
			comp_want[i] = ms + 1e-30f;
		}
		for (uint32_t i = 0; i < n; i++)
			comp_want[i] = comp_wants(p, 0.5f * fastmath_db_from_gain(comp_want[i]));
		for (uint32_t i = 0; i < n; i++)
			gate_want[i] = gate_wants(p, fastmath_db_from_gain(det[i] + 1e-30f));
	} else {
		for (uint32_t i = 0; i < n; i++) {
			const float level_db = fastmath_db_from_gain(det[i] + 1e-30f);
			comp_want[i] = comp_wants(p, level_db);
			gate_want[i] = gate_wants(p, level_db);
		}
	}
	d->mean_square = ms;
}

/* The last phase: the attenuations att[] (dB) to gains, makeup included. */
VECTOR_CLONES
RT static void comp_gate_gains(const struct dynamics *d, const float *att, float *gain, uint32_t n)
{
	const float makeup = d->now[3];
	for (uint32_t i = 0; i < n; i++)
		gain[i] = fastmath_gain_from_db(makeup - att[i]);
}

/* Compressor and gate with the parameters at rest: the gain computer and
 * the dB conversions over the block, only the envelopes sample by sample.
 * Bit for bit the per-sample path's result (tests/test_dynamics.c).
 * work: 2 n floats. */
RT static void comp_gate_block(struct dynamics *d, const float *det, float *gain, uint32_t n, float *work)
{
	float *comp_want = work, *gate_want = work + n;
	comp_gate_wants(d, det, comp_want, gate_want, n);
	struct envelopes e = envelopes_of(d);
	for (uint32_t i = 0; i < n; i++)
		gain[i] = follow(d, &e, comp_want[i], gate_want[i]);
	keep_envelopes(d, &e);
	comp_gate_gains(d, gain, gain, n);
}

RT bool dynamics_block_ready(const struct dynamics *d) { return comp_or_gate_active(d) && !gliding(d, 0, 7); }

RT void dynamics_wants_rt(struct dynamics *d, struct dynamics_channel *ch, float *const *x, uint32_t n_ch, uint32_t n,
                          float *comp_want, float *gate_want, float *scratch)
{
	float *det = scratch, *band = scratch + 2 * n;
	detect(d, ch, x, n_ch, n, det, band);
	comp_gate_wants(d, det, comp_want, gate_want, n);
}

typedef lanes_v8 lanes_f;
typedef lanes_m8 lanes_i;
_Static_assert(DYNAMICS_LANES == 2 * LANES_WIDTH, "the lanes are one AVX-512 vector or two lanes_v8");

/* m ? a : b lane by lane (m: all ones or all zeros per lane, as vector
 * comparisons give; vector casts reinterpret the bits): the same value the
 * scalar ternary picks. A macro: a function would pass vectors by value. */
#define PICK(m, a, b) ((lanes_f)(((lanes_i)(a) & (m)) | ((lanes_i)(b) & ~(m))))

/* The envelopes of the lanes' strips (follow(), lane by lane). */
struct lane_envelopes {
	lanes_f comp, gate, comp_peak, gate_peak, c_att, c_rel, g_att, g_rel, one;
	lanes_i hold, hold_frames;
};

/* One frame: the wants in, the attenuation (dB) out (through pointers:
 * vectors passed by value change the ABI between the clones). Inlined into
 * the loops, so that e stays in registers. */
__attribute__((always_inline)) RT static inline void follow_frame(struct lane_envelopes *e, const lanes_f *cwp,
                                                                  const lanes_f *gwp, lanes_f *att)
{
	const lanes_f cw = *cwp, gw = *gwp;
	const lanes_f ca = PICK(cw > e->comp, e->c_att, e->c_rel);
	e->comp = ca * e->comp + (e->one - ca) * cw;
	const lanes_i closing = gw > e->gate;
	const lanes_i held = closing & (e->hold > 0);
	e->hold = (closing & (e->hold + (e->hold > 0))) | (~closing & e->hold_frames); /* hold > 0 is -1: minus one */
	const lanes_f ga = PICK(held, e->one, PICK(closing, e->g_rel, e->g_att));
	e->gate = ga * e->gate + (e->one - ga) * gw;
	e->comp_peak = PICK(e->comp > e->comp_peak, e->comp, e->comp_peak);
	e->gate_peak = PICK(e->gate > e->gate_peak, e->gate, e->gate_peak);
	*att = e->comp + e->gate;
}

/* Up to eight strips' envelopes in one lanes_v8. */
VECTOR_CLONES
RT static void follow8(struct dynamics *const *d, const float *const *comp_want, const float *const *gate_want,
                       float *const *att, int lanes, uint32_t n)
{
	lanes = lanes < LANES_WIDTH ? lanes : LANES_WIDTH;
	struct lane_envelopes e;
	for (int l = 0; l < LANES_WIDTH; l++) {
		const struct dynamics *dl = l < lanes ? d[l] : NULL;
		e.comp[l] = dl ? dl->comp_env : 0.0f, e.gate[l] = dl ? dl->gate_env : 0.0f;
		e.comp_peak[l] = dl ? dl->comp_gr_max : 0.0f, e.gate_peak[l] = dl ? dl->gate_gr_max : 0.0f;
		e.c_att[l] = dl ? dl->comp_attack : 0.0f, e.c_rel[l] = dl ? dl->comp_release : 0.0f;
		e.g_att[l] = dl ? dl->gate_attack : 0.0f, e.g_rel[l] = dl ? dl->gate_release : 0.0f;
		e.hold[l] = dl ? (int32_t)dl->hold_left : 0, e.hold_frames[l] = dl ? (int32_t)dl->hold_frames : 0;
		e.one[l] = 1.0f;
	}
	/* Eight frames at a time: the wants transposed into frame vectors, the
	 * attenuations back (dsp/lanes.h); the rest frame by frame. */
	uint32_t i = 0;
	for (; i + LANES_WIDTH <= n; i += LANES_WIDTH) {
		lanes_f cw[LANES_WIDTH], gw[LANES_WIDTH], a[LANES_WIDTH];
		lanes_gather8(comp_want, lanes, i, cw);
		lanes_gather8(gate_want, lanes, i, gw);
		for (int f = 0; f < LANES_WIDTH; f++)
			follow_frame(&e, &cw[f], &gw[f], &a[f]);
		lanes_scatter8(att, lanes, i, a);
	}
	for (; i < n; i++) {
		lanes_f cw, gw;
		for (int l = 0; l < LANES_WIDTH; l++) {
			cw[l] = l < lanes ? comp_want[l][i] : 0.0f;
			gw[l] = l < lanes ? gate_want[l][i] : 0.0f;
		}
		lanes_f a;
		follow_frame(&e, &cw, &gw, &a);
		for (int l = 0; l < lanes; l++)
			att[l][i] = a[l];
	}
	for (int l = 0; l < lanes; l++) {
		d[l]->comp_env = e.comp[l], d[l]->gate_env = e.gate[l];
		d[l]->comp_gr_max = e.comp_peak[l], d[l]->gate_gr_max = e.gate_peak[l];
		d[l]->hold_left = (uint32_t)e.hold[l];
	}
}

#if VECTOR_HAS_V4
#include <immintrin.h>

/* follow8 with sixteen strips in one AVX-512 vector: one chain of envelope
 * recursions where there were two, each operation the same lane by lane
 * (the selects as mask blends), so the same bits. */
struct lane_envelopes16 {
	__m512 comp, gate, comp_peak, gate_peak, c_att, c_rel, g_att, g_rel, one;
	__m512i hold, hold_frames;
};

__attribute__((always_inline)) VECTOR_V4 RT static inline __m512 follow_frame16(struct lane_envelopes16 *e, __m512 cw,
                                                                                __m512 gw)
{
	const __m512 ca = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(cw, e->comp, _CMP_GT_OQ), e->c_rel, e->c_att);
	e->comp = _mm512_add_ps(_mm512_mul_ps(ca, e->comp), _mm512_mul_ps(_mm512_sub_ps(e->one, ca), cw));
	const __mmask16 closing = _mm512_cmp_ps_mask(gw, e->gate, _CMP_GT_OQ);
	const __mmask16 counting = _mm512_cmpgt_epi32_mask(e->hold, _mm512_setzero_si512());
	const __mmask16 held = closing & counting;
	const __m512i counted = _mm512_mask_sub_epi32(e->hold, counting, e->hold, _mm512_set1_epi32(1));
	e->hold = _mm512_mask_blend_epi32(closing, e->hold_frames, counted);
	const __m512 ga = _mm512_mask_blend_ps(held, _mm512_mask_blend_ps(closing, e->g_att, e->g_rel), e->one);
	e->gate = _mm512_add_ps(_mm512_mul_ps(ga, e->gate), _mm512_mul_ps(_mm512_sub_ps(e->one, ga), gw));
	e->comp_peak = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(e->comp, e->comp_peak, _CMP_GT_OQ), e->comp_peak, e->comp);
	e->gate_peak = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(e->gate, e->gate_peak, _CMP_GT_OQ), e->gate_peak, e->gate);
	return _mm512_add_ps(e->comp, e->gate);
}

VECTOR_V4 RT static void follow16(struct dynamics *const *d, const float *const *comp_want,
                                  const float *const *gate_want, float *const *att, int lanes, uint32_t n)
{
	float v[11][16];
	int32_t hold[2][16];
	for (int l = 0; l < 16; l++) {
		const struct dynamics *dl = l < lanes ? d[l] : NULL;
		v[0][l] = dl ? dl->comp_env : 0.0f, v[1][l] = dl ? dl->gate_env : 0.0f;
		v[2][l] = dl ? dl->comp_gr_max : 0.0f, v[3][l] = dl ? dl->gate_gr_max : 0.0f;
		v[4][l] = dl ? dl->comp_attack : 0.0f, v[5][l] = dl ? dl->comp_release : 0.0f;
		v[6][l] = dl ? dl->gate_attack : 0.0f, v[7][l] = dl ? dl->gate_release : 0.0f;
		hold[0][l] = dl ? (int32_t)dl->hold_left : 0, hold[1][l] = dl ? (int32_t)dl->hold_frames : 0;
	}
	struct lane_envelopes16 e = {
		_mm512_loadu_ps(v[0]), _mm512_loadu_ps(v[1]), _mm512_loadu_ps(v[2]), _mm512_loadu_ps(v[3]),
		_mm512_loadu_ps(v[4]), _mm512_loadu_ps(v[5]), _mm512_loadu_ps(v[6]), _mm512_loadu_ps(v[7]),
		_mm512_set1_ps(1.0f), _mm512_loadu_si512(hold[0]), _mm512_loadu_si512(hold[1])};
	uint32_t i = 0;
	for (; i + LANES_WIDTH <= n; i += LANES_WIDTH) {
		lanes_v8 cw[2][LANES_WIDTH], gw[2][LANES_WIDTH], a[2][LANES_WIDTH];
		for (int h = 0; h < 2; h++) {
			lanes_gather8(comp_want + h * LANES_WIDTH, lanes - h * LANES_WIDTH, i, cw[h]);
			lanes_gather8(gate_want + h * LANES_WIDTH, lanes - h * LANES_WIDTH, i, gw[h]);
		}
		for (int f = 0; f < LANES_WIDTH; f++) {
			const __m512 c = _mm512_insertf32x8(_mm512_castps256_ps512((__m256)cw[0][f]), (__m256)cw[1][f], 1);
			const __m512 g = _mm512_insertf32x8(_mm512_castps256_ps512((__m256)gw[0][f]), (__m256)gw[1][f], 1);
			const __m512 r = follow_frame16(&e, c, g);
			a[0][f] = (lanes_v8)_mm512_castps512_ps256(r);
			a[1][f] = (lanes_v8)_mm512_extractf32x8_ps(r, 1);
		}
		for (int h = 0; h < 2; h++)
			lanes_scatter8(att + h * LANES_WIDTH, lanes - h * LANES_WIDTH, i, a[h]);
	}
	for (; i < n; i++) {
		float cw[16], gw[16], a[16];
		for (int l = 0; l < 16; l++) {
			cw[l] = l < lanes ? comp_want[l][i] : 0.0f;
			gw[l] = l < lanes ? gate_want[l][i] : 0.0f;
		}
		_mm512_storeu_ps(a, follow_frame16(&e, _mm512_loadu_ps(cw), _mm512_loadu_ps(gw)));
		for (int l = 0; l < lanes; l++)
			att[l][i] = a[l];
	}
	_mm512_storeu_ps(v[0], e.comp), _mm512_storeu_ps(v[1], e.gate);
	_mm512_storeu_ps(v[2], e.comp_peak), _mm512_storeu_ps(v[3], e.gate_peak);
	_mm512_storeu_si512(hold[0], e.hold);
	for (int l = 0; l < lanes; l++) {
		d[l]->comp_env = v[0][l], d[l]->gate_env = v[1][l];
		d[l]->comp_gr_max = v[2][l], d[l]->gate_gr_max = v[3][l];
		d[l]->hold_left = (uint32_t)hold[0][l];
	}
}
#endif

RT void dynamics_follow_lanes_rt(struct dynamics *const *d, const float *const *comp_want,
                                 const float *const *gate_want, float *const *att, int lanes, uint32_t n)
{
	lanes = lanes < DYNAMICS_LANES ? lanes : DYNAMICS_LANES;
#if VECTOR_HAS_V4
	if (lanes > LANES_WIDTH && rt_has_avx512()) {
		follow16(d, comp_want, gate_want, att, lanes, n);
		return;
	}
#endif
	for (int first = 0; first < lanes; first += LANES_WIDTH)
		follow8(d + first, comp_want + first, gate_want + first, att + first,
		        lanes - first < LANES_WIDTH ? lanes - first : LANES_WIDTH, n);
}

/* Every channel times the section's gains. */
RT static void apply_gain(float *const *x, uint32_t n_ch, uint32_t n, const float *gain)
{
	for (uint32_t j = 0; j < n_ch; j++)
		for (uint32_t i = 0; i < n; i++)
			x[j][i] *= gain[i];
}

RT void dynamics_finish_rt(struct dynamics *d, struct dynamics_channel *ch, float *const *x, uint32_t n_ch, uint32_t n,
                           const float *att, float *scratch)
{
	float *det = scratch, *gain = scratch + n, *band = scratch + 2 * n;
	comp_gate_gains(d, att, gain, n);
	apply_gain(x, n_ch, n, gain);
	if (deess_active(d))
		deess(d, ch, x, n_ch, n, det, gain, band);
}

RT void dynamics_process_reference_rt(struct dynamics *d, struct dynamics_channel *ch, float *const *x,
                                      uint32_t n_ch, uint32_t n, float *scratch)
{
	float *det = scratch, *gain = scratch + n, *band = scratch + 2 * n;
	if (comp_or_gate_active(d)) {
		detect(d, ch, x, n_ch, n, det, band);
		comp_gate_per_sample(d, det, gain, n);
		apply_gain(x, n_ch, n, gain);
	}
	if (deess_active(d))
		deess(d, ch, x, n_ch, n, det, gain, band);
}

RT void dynamics_process_rt(struct dynamics *d, struct dynamics_channel *ch, float *const *x, uint32_t n_ch,
                            uint32_t n, float *scratch)
{
	float *det = scratch, *gain = scratch + n, *band = scratch + 2 * n;
	if (comp_or_gate_active(d)) {
		detect(d, ch, x, n_ch, n, det, band);
		/* a per-period decision: the parameters are at rest or gliding */
		if (gliding(d, 0, 7))
			comp_gate_per_sample(d, det, gain, n);
		else
			comp_gate_block(d, det, gain, n, band);
		apply_gain(x, n_ch, n, gain);
	}
	if (deess_active(d))
		deess(d, ch, x, n_ch, n, det, gain, band);
}
