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

/* Everything that follows from p: the targets the parameters glide to,
 * the time constants, the side chain's and the de-esser's filters. */
RT static void configure(struct dynamics *d, const struct dynamics_params *p)
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

RT void dynamics_set_rt(struct dynamics *d, const struct dynamics_params *p)
{
	/* The same parameters again (a graph taking over its predecessor's
	 * strips, most of them unchanged): all that follows from them is
	 * already there. Working it out again (two filter designs, seven
	 * exponentials a strip) was a sixth of a thousand-strip takeover's
	 * work on the RT thread. */
	if (memcmp(p, &d->p, sizeof *p) != 0)
		configure(d, p);
}

void dynamics_init(struct dynamics *d, const struct dynamics_params *p, float sample_rate)
{
	memset(d, 0, sizeof *d);
	d->sample_rate = sample_rate;
	d->smooth = 1.0f - pole(DYNAMICS_SMOOTH_MS, sample_rate);
	configure(d, p);
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
	/* a e + (1 - a) w as w + a (e - w): the same envelope, and on the
	 * chain from one sample to the next a multiply and an add, not a
	 * subtract before them too (the lane kernels are bound by this chain) */
	const float ca = comp_want > e->comp ? d->comp_attack : d->comp_release;
	e->comp = comp_want + ca * (e->comp - comp_want);
	const bool closing = gate_want > e->gate;
	const bool held = closing && e->hold > 0;
	e->hold = closing ? (e->hold > 0 ? e->hold - 1 : 0) : d->hold_frames;
	const float ga = closing ? d->gate_release : d->gate_attack;
	e->gate = held ? e->gate : gate_want + ga * (e->gate - gate_want);
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

RT bool dynamics_block_ready(const struct dynamics *d) { return comp_or_gate_active(d) && !gliding(d, 0, 7); }

RT const float *dynamics_detector_rt(struct dynamics *d, struct dynamics_channel *ch, float *const *x,
                                     uint32_t n_ch, uint32_t n, float *det, float *scratch)
{
	if (n_ch == 1 && !d->p.comp.sidechain_hpf)
		return x[0];
	detect(d, ch, x, n_ch, n, det, scratch);
	return det;
}

typedef lanes_v8 lanes_f;
typedef lanes_m8 lanes_i;
_Static_assert(DYNAMICS_LANES == 2 * LANES_WIDTH, "the lanes are one AVX-512 vector or two lanes_v8");

/* m ? a : b lane by lane, in vectors VF of floats with masks VI (m: all
 * ones or all zeros per lane, as vector comparisons give; vector casts
 * reinterpret the bits): the same value the scalar ternary picks. A macro:
 * a function would pass vectors by value. PICK: in lanes_v8. */
#define PICK_IN(VI, VF, m, a, b) ((VF)(((VI)(a) & (m)) | ((VI)(b) & ~(m))))
#define PICK(m, a, b) PICK_IN(lanes_i, lanes_f, m, a, b)

/* The envelopes of the lanes' strips (follow(), lane by lane). */
struct lane_envelopes {
	lanes_f comp, gate, comp_peak, gate_peak, c_att, c_rel, g_att, g_rel;
	lanes_i hold, hold_frames;
};

/* The gain computer of strips at rest, a lane each, in vectors VF of
 * floats (VI: of masks), written once and compiled for eight lanes (every
 * clone, as lane_computer8) and sixteen (AVX-512, lane_computer16):
 * - struct lane_computer: the parameters of comp_wants() and gate_wants()
 *   (the knee's two factors worked out once, to the same bits), the makeup,
 *   and the mean square of the lanes that detect RMS;
 * - computer_load, computer_keep: from and back to strips d[0 .. lanes)
 *   (the lanes past them compute on harmless numbers, a 1 dB knee, and are
 *   thrown away); computer_load says whether any lane detects RMS;
 * - wants_frame: one frame, the detector's in (its magnitude: a mono
 *   strip's signal may stand in for its detector), comp_wants() and
 *   gate_wants() lane by lane out; rms: whether any lane detects RMS (a
 *   constant where this is inlined: one loop with the mean square, one
 *   without);
 * - gain_frame: the attenuation att (dB) to the gain, makeup included. */
#define DYNAMICS_COMPUTER(VF, VI, W, ATTR)                                                                        \
	FASTMATH_LANES(VF, VI, fastmath_lanes##W, ATTR)                                                              \
	struct lane_computer##W {                                                                                 \
		VF c_thr, c_slope, knee, half_knee, half_per_knee, makeup, g_thr, g_slope, g_range, rms_k, ms;       \
		VI rms;                                                                                               \
	};                                                                                                        \
	ATTR RT static bool computer_load##W(struct dynamics *const *d, int lanes, struct lane_computer##W *k)     \
	{                                                                                                         \
		bool rms = false;                                                                                     \
		for (int l = 0; l < W; l++) {                                                                         \
			const struct dynamics *dl = l < lanes ? d[l] : NULL;                                              \
			const float *p = dl ? dl->now : NULL;                                                             \
			k->c_thr[l] = p ? p[0] : 0.0f, k->c_slope[l] = p ? p[1] : 0.0f, k->knee[l] = p ? p[2] : 1.0f;     \
			k->half_knee[l] = 0.5f * k->knee[l], k->half_per_knee[l] = 0.5f / k->knee[l];                     \
			k->makeup[l] = p ? p[3] : 0.0f, k->g_thr[l] = p ? p[4] : 0.0f;                                    \
			k->g_slope[l] = p ? p[5] : 0.0f, k->g_range[l] = p ? p[6] : 0.0f;                                 \
			k->rms[l] = dl && dl->p.comp.rms ? -1 : 0;                                                        \
			k->rms_k[l] = dl ? dl->rms_k : 0.0f, k->ms[l] = dl ? dl->mean_square : 0.0f;                      \
			rms |= k->rms[l] != 0;                                                                            \
		}                                                                                                     \
		return rms;                                                                                           \
	}                                                                                                         \
	ATTR RT static void computer_keep##W(struct dynamics *const *d, int lanes, const struct lane_computer##W *k) \
	{                                                                                                         \
		for (int l = 0; l < lanes && l < W; l++)                                                              \
			d[l]->mean_square = k->ms[l];                                                                     \
	}                                                                                                         \
	__attribute__((always_inline)) ATTR RT static inline void wants_frame##W(                                  \
		struct lane_computer##W *k, const VF *detp, bool rms, VF *cw, VF *gw)                                 \
	{                                                                                                         \
		const VF zero = {0};                                                                                  \
		const VF det = (VF)((VI)*detp & 0x7fffffff);                                                          \
		const VF floored = det + 1e-30f;                                                                      \
		VF log2;                                                                                              \
		fastmath_lanes##W##_log2(&floored, &log2);                                                            \
		const VF level_db = FASTMATH_DB_PER_LOG2 * log2;                                                      \
		VF comp_db = level_db;                                                                                \
		if (rms) {                                                                                            \
			const VF ms = k->ms + k->rms_k * (det * det - k->ms);                                             \
			k->ms = PICK_IN(VI, VF, k->rms, ms, k->ms);                                                       \
			const VF ms_floored = k->ms + 1e-30f;                                                             \
			fastmath_lanes##W##_log2(&ms_floored, &log2);                                                     \
			comp_db = PICK_IN(VI, VF, k->rms, 0.5f * (FASTMATH_DB_PER_LOG2 * log2), level_db);                \
		}                                                                                                     \
		VF a = comp_db - k->c_thr + k->half_knee;                                                             \
		a = PICK_IN(VI, VF, a > 0.0f, a, zero);                                                               \
		const VF b = PICK_IN(VI, VF, a < k->knee, a, k->knee);                                                \
		*cw = k->c_slope * (b * b * k->half_per_knee + (a - b));                                              \
		const VF below = k->g_thr - level_db;                                                                 \
		const VF want = k->g_slope * PICK_IN(VI, VF, below > 0.0f, below, zero);                              \
		*gw = PICK_IN(VI, VF, want < k->g_range, want, k->g_range);                                           \
	}                                                                                                         \
	__attribute__((always_inline)) ATTR RT static inline void gain_frame##W(const struct lane_computer##W *k,  \
	                                                                         const VF *att, VF *gain)          \
	{                                                                                                         \
		const VF log2 = FASTMATH_LOG2_PER_DB * (k->makeup - *att);                                            \
		fastmath_lanes##W##_exp2(&log2, gain);                                                                \
	}

DYNAMICS_COMPUTER(lanes_f, lanes_i, 8, )

/* Strips d[0 .. lanes) of eight into e (as computer_load). */
RT static void envelopes_load(struct dynamics *const *d, int lanes, struct lane_envelopes *e)
{
	for (int l = 0; l < LANES_WIDTH; l++) {
		const struct dynamics *dl = l < lanes ? d[l] : NULL;
		e->comp[l] = dl ? dl->comp_env : 0.0f, e->gate[l] = dl ? dl->gate_env : 0.0f;
		e->comp_peak[l] = dl ? dl->comp_gr_max : 0.0f, e->gate_peak[l] = dl ? dl->gate_gr_max : 0.0f;
		e->c_att[l] = dl ? dl->comp_attack : 0.0f, e->c_rel[l] = dl ? dl->comp_release : 0.0f;
		e->g_att[l] = dl ? dl->gate_attack : 0.0f, e->g_rel[l] = dl ? dl->gate_release : 0.0f;
		e->hold[l] = dl ? (int32_t)dl->hold_left : 0, e->hold_frames[l] = dl ? (int32_t)dl->hold_frames : 0;
	}
}

RT static void envelopes_keep(struct dynamics *const *d, int lanes, const struct lane_envelopes *e)
{
	for (int l = 0; l < lanes && l < LANES_WIDTH; l++) {
		d[l]->comp_env = e->comp[l], d[l]->gate_env = e->gate[l];
		d[l]->comp_gr_max = e->comp_peak[l], d[l]->gate_gr_max = e->gate_peak[l];
		d[l]->hold_left = (uint32_t)e->hold[l];
	}
}

/* One frame of the envelopes: the wants in, the attenuation (dB) out. */
__attribute__((always_inline)) RT static inline void follow_frame(struct lane_envelopes *e, const lanes_f *cwp,
                                                                  const lanes_f *gwp, lanes_f *att)
{
	const lanes_f cw = *cwp, gw = *gwp;
	const lanes_f ca = PICK(cw > e->comp, e->c_att, e->c_rel);
	e->comp = cw + ca * (e->comp - cw);
	const lanes_i closing = gw > e->gate;
	const lanes_i held = closing & (e->hold > 0);
	e->hold = (closing & (e->hold + (e->hold > 0))) | (~closing & e->hold_frames); /* hold > 0 is -1: minus one */
	const lanes_f ga = PICK(closing, e->g_rel, e->g_att);
	e->gate = PICK(held, e->gate, gw + ga * (e->gate - gw));
	e->comp_peak = PICK(e->comp > e->comp_peak, e->comp, e->comp_peak);
	e->gate_peak = PICK(e->gate > e->gate_peak, e->gate, e->gate_peak);
	*att = e->comp + e->gate;
}

/* Up to eight strips in one lanes_v8: eight frames at a time transposed
 * in (dsp/lanes.h), the gain computer, envelopes and gains frame by frame,
 * the gains transposed back; the rest frame by frame. */
__attribute__((always_inline)) RT static inline void run8(struct lane_computer8 *k, struct lane_envelopes *e,
                                                          bool rms, const float *const *det, float *const *gain,
                                                          int lanes, uint32_t n)
{
	uint32_t i = 0;
	for (; i + LANES_WIDTH <= n; i += LANES_WIDTH) {
		lanes_f v[LANES_WIDTH];
		lanes_gather8(det, lanes, i, v);
		for (int f = 0; f < LANES_WIDTH; f++) {
			lanes_f cw, gw, att;
			wants_frame8(k, &v[f], rms, &cw, &gw);
			follow_frame(e, &cw, &gw, &att);
			gain_frame8(k, &att, &v[f]);
		}
		lanes_scatter8(gain, lanes, i, v);
	}
	for (; i < n; i++) {
		lanes_f v, cw, gw, att;
		lanes_gather1(det, lanes, i, &v);
		wants_frame8(k, &v, rms, &cw, &gw);
		follow_frame(e, &cw, &gw, &att);
		gain_frame8(k, &att, &v);
		lanes_scatter1(gain, lanes, i, &v);
	}
}

VECTOR_CLONES
RT static void gains8(struct dynamics *const *d, const float *const *det, float *const *gain, int lanes, uint32_t n)
{
	struct lane_computer8 k;
	struct lane_envelopes e;
	const bool rms = computer_load8(d, lanes, &k);
	envelopes_load(d, lanes, &e);
	if (rms)
		run8(&k, &e, true, det, gain, lanes, n);
	else
		run8(&k, &e, false, det, gain, lanes, n);
	computer_keep8(d, lanes, &k);
	envelopes_keep(d, lanes, &e);
}

#if VECTOR_HAS_V4
#include <immintrin.h>

/* gains8 with sixteen strips in one AVX-512 vector, each operation the same
 * lane by lane (the envelopes' selects as mask blends), so the same bits;
 * per eight frames in phases, each with few enough values for the
 * registers: the gain computer, the envelopes (the one serial chain), the
 * gains. */
typedef float lanes_v16 __attribute__((vector_size(16 * sizeof(float))));
typedef int32_t lanes_m16 __attribute__((vector_size(16 * sizeof(int32_t))));
DYNAMICS_COMPUTER(lanes_v16, lanes_m16, 16, VECTOR_V4)

struct lane_envelopes16 {
	__m512 comp, gate, comp_peak, gate_peak, c_att, c_rel, g_att, g_rel;
	__m512i hold, hold_frames;
};

__attribute__((always_inline)) VECTOR_V4 RT static inline __m512 follow_frame16(struct lane_envelopes16 *e, __m512 cw,
                                                                                __m512 gw)
{
	const __m512 ca = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(cw, e->comp, _CMP_GT_OQ), e->c_rel, e->c_att);
	e->comp = _mm512_add_ps(cw, _mm512_mul_ps(ca, _mm512_sub_ps(e->comp, cw)));
	const __mmask16 closing = _mm512_cmp_ps_mask(gw, e->gate, _CMP_GT_OQ);
	const __mmask16 counting = _mm512_cmpgt_epi32_mask(e->hold, _mm512_setzero_si512());
	const __mmask16 held = closing & counting;
	const __m512i counted = _mm512_mask_sub_epi32(e->hold, counting, e->hold, _mm512_set1_epi32(1));
	e->hold = _mm512_mask_blend_epi32(closing, e->hold_frames, counted);
	const __m512 ga = _mm512_mask_blend_ps(closing, e->g_att, e->g_rel);
	e->gate = _mm512_mask_blend_ps(held, _mm512_add_ps(gw, _mm512_mul_ps(ga, _mm512_sub_ps(e->gate, gw))), e->gate);
	e->comp_peak = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(e->comp, e->comp_peak, _CMP_GT_OQ), e->comp_peak, e->comp);
	e->gate_peak = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(e->gate, e->gate_peak, _CMP_GT_OQ), e->gate_peak, e->gate);
	return _mm512_add_ps(e->comp, e->gate);
}

__attribute__((always_inline)) VECTOR_V4 RT static inline __m512 join16(const lanes_f *low, const lanes_f *high)
{
	return _mm512_insertf32x8(_mm512_castps256_ps512((__m256)*low), (__m256)*high, 1);
}

__attribute__((always_inline)) VECTOR_V4 RT static inline void split16(__m512 v, lanes_f *low, lanes_f *high)
{
	*low = (lanes_f)_mm512_castps512_ps256(v);
	*high = (lanes_f)_mm512_extractf32x8_ps(v, 1);
}

/* frames[0 .. count): the gain computer, the envelopes and the gains, in
 * place (detectors in, gains out). */
__attribute__((always_inline)) VECTOR_V4 RT static inline void frames16(struct lane_computer16 *k,
                                                                        struct lane_envelopes16 *e, bool rms,
                                                                        lanes_v16 *frames, int count)
{
	lanes_v16 cw[LANES_WIDTH], gw[LANES_WIDTH];
	for (int f = 0; f < count; f++)
		wants_frame16(k, &frames[f], rms, &cw[f], &gw[f]);
	for (int f = 0; f < count; f++)
		frames[f] = (lanes_v16)follow_frame16(e, (__m512)cw[f], (__m512)gw[f]);
	for (int f = 0; f < count; f++)
		gain_frame16(k, &frames[f], &frames[f]);
}

__attribute__((always_inline)) VECTOR_V4 RT static inline void run16(struct lane_computer16 *k,
                                                                     struct lane_envelopes16 *e, bool rms,
                                                                     const float *const *det, float *const *gain,
                                                                     int lanes, uint32_t n)
{
	uint32_t i = 0;
	for (; i + LANES_WIDTH <= n; i += LANES_WIDTH) {
		lanes_f v[2][LANES_WIDTH];
		lanes_v16 frames[LANES_WIDTH];
		lanes_gather8(det, lanes, i, v[0]);
		lanes_gather8(det + LANES_WIDTH, lanes - LANES_WIDTH, i, v[1]);
		for (int f = 0; f < LANES_WIDTH; f++)
			frames[f] = (lanes_v16)join16(&v[0][f], &v[1][f]);
		frames16(k, e, rms, frames, LANES_WIDTH);
		for (int f = 0; f < LANES_WIDTH; f++)
			split16((__m512)frames[f], &v[0][f], &v[1][f]);
		lanes_scatter8(gain, lanes, i, v[0]);
		lanes_scatter8(gain + LANES_WIDTH, lanes - LANES_WIDTH, i, v[1]);
	}
	for (; i < n; i++) {
		lanes_f v[2];
		lanes_gather1(det, lanes, i, &v[0]);
		lanes_gather1(det + LANES_WIDTH, lanes - LANES_WIDTH, i, &v[1]);
		lanes_v16 frame = (lanes_v16)join16(&v[0], &v[1]);
		frames16(k, e, rms, &frame, 1);
		split16((__m512)frame, &v[0], &v[1]);
		lanes_scatter1(gain, lanes, i, &v[0]);
		lanes_scatter1(gain + LANES_WIDTH, lanes - LANES_WIDTH, i, &v[1]);
	}
}

VECTOR_V4 RT static void gains16(struct dynamics *const *d, const float *const *det, float *const *gain, int lanes,
                                 uint32_t n)
{
	struct lane_computer16 k;
	struct lane_envelopes h[2];
	const bool rms = computer_load16(d, lanes, &k);
	envelopes_load(d, lanes, &h[0]);
	envelopes_load(d + LANES_WIDTH, lanes - LANES_WIDTH, &h[1]);
	/* the counters as vectors of floats' size, bits unchanged */
	lanes_f hold[2] = {(lanes_f)h[0].hold, (lanes_f)h[1].hold};
	const lanes_f hold_frames[2] = {(lanes_f)h[0].hold_frames, (lanes_f)h[1].hold_frames};
	struct lane_envelopes16 e = {
		join16(&h[0].comp, &h[1].comp), join16(&h[0].gate, &h[1].gate),
		join16(&h[0].comp_peak, &h[1].comp_peak), join16(&h[0].gate_peak, &h[1].gate_peak),
		join16(&h[0].c_att, &h[1].c_att), join16(&h[0].c_rel, &h[1].c_rel),
		join16(&h[0].g_att, &h[1].g_att), join16(&h[0].g_rel, &h[1].g_rel),
		(__m512i)join16(&hold[0], &hold[1]), (__m512i)join16(&hold_frames[0], &hold_frames[1])};
	if (rms)
		run16(&k, &e, true, det, gain, lanes, n);
	else
		run16(&k, &e, false, det, gain, lanes, n);
	split16(e.comp, &h[0].comp, &h[1].comp), split16(e.gate, &h[0].gate, &h[1].gate);
	split16(e.comp_peak, &h[0].comp_peak, &h[1].comp_peak), split16(e.gate_peak, &h[0].gate_peak, &h[1].gate_peak);
	split16((__m512)e.hold, &hold[0], &hold[1]);
	h[0].hold = (lanes_i)hold[0], h[1].hold = (lanes_i)hold[1];
	computer_keep16(d, lanes, &k);
	envelopes_keep(d, lanes, &h[0]);
	envelopes_keep(d + LANES_WIDTH, lanes - LANES_WIDTH, &h[1]);
}
#endif

RT void dynamics_gains_lanes_rt(struct dynamics *const *d, const float *const *det, float *const *gain, int lanes,
                                uint32_t n)
{
	lanes = lanes < DYNAMICS_LANES ? lanes : DYNAMICS_LANES;
#if VECTOR_HAS_V4
	if (lanes > LANES_WIDTH && rt_has_avx512()) {
		gains16(d, det, gain, lanes, n);
		return;
	}
#endif
	for (int first = 0; first < lanes; first += LANES_WIDTH)
		gains8(d + first, det + first, gain + first, lanes - first < LANES_WIDTH ? lanes - first : LANES_WIDTH, n);
}

/* Every channel times the section's gains. */
RT static void apply_gain(float *const *x, uint32_t n_ch, uint32_t n, const float *gain)
{
	for (uint32_t j = 0; j < n_ch; j++)
		for (uint32_t i = 0; i < n; i++)
			x[j][i] *= gain[i];
}

RT void dynamics_finish_rt(struct dynamics *d, struct dynamics_channel *ch, float *const *x, uint32_t n_ch, uint32_t n,
                           const float *gain, float *scratch)
{
	apply_gain(x, n_ch, n, gain);
	if (deess_active(d))
		deess(d, ch, x, n_ch, n, scratch, scratch + n, scratch + 2 * n);
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
		/* a per-period decision: the parameters are at rest or gliding */
		if (gliding(d, 0, 7)) {
			detect(d, ch, x, n_ch, n, det, band);
			comp_gate_per_sample(d, det, gain, n);
		} else {
			const float *from = dynamics_detector_rt(d, ch, x, n_ch, n, det, band);
			dynamics_gains_lanes_rt(&d, &from, &gain, 1, n);
		}
		apply_gain(x, n_ch, n, gain);
	}
	if (deess_active(d))
		deess(d, ch, x, n_ch, n, det, gain, band);
}
