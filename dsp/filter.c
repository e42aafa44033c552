#include "dsp/filter.h"

#include <math.h>
#include <stddef.h>

#include "dsp/lanes.h"

/* g and k of the SVF and the output mix for each type (Simper's table). The
 * shelves move g by sqrt(A) so that freq_hz is the shelf's mid point, as in
 * the cookbook. */
static void design(enum filter_type type, float freq_hz, float gain_db, float q, float sample_rate,
                   float *g_out, float *k_out, float m[3])
{
	const float nyquist_limit = 0.49f * sample_rate;
	freq_hz = freq_hz < FILTER_MIN_HZ ? FILTER_MIN_HZ : (freq_hz > nyquist_limit ? nyquist_limit : freq_hz);
	float g = tanf((float)M_PI * freq_hz / sample_rate);
	float k = 1.0f / q;
	const float A = powf(10.0f, gain_db / 40.0f);
	switch (type) {
	case FILTER_BELL:
		k = 1.0f / (q * A);
		m[0] = 1.0f, m[1] = k * (A * A - 1.0f), m[2] = 0.0f;
		break;
	case FILTER_LOW_SHELF:
		g /= sqrtf(A);
		m[0] = 1.0f, m[1] = k * (A - 1.0f), m[2] = A * A - 1.0f;
		break;
	case FILTER_HIGH_SHELF:
		g *= sqrtf(A);
		m[0] = A * A, m[1] = k * (1.0f - A) * A, m[2] = 1.0f - A * A;
		break;
	case FILTER_NOTCH:
		m[0] = 1.0f, m[1] = -k, m[2] = 0.0f;
		break;
	case FILTER_HIGH_PASS:
		m[0] = 1.0f, m[1] = -k, m[2] = -1.0f;
		break;
	case FILTER_LOW_PASS:
		m[0] = 0.0f, m[1] = 0.0f, m[2] = 1.0f;
		break;
	case FILTER_HIGH_PASS_1:
		/* s/(s+1) = s(s+1)/(s+1)^2: the SVF at k = 2, high + band output. */
		k = 2.0f;
		m[0] = 1.0f, m[1] = -1.0f, m[2] = -1.0f;
		break;
	case FILTER_LOW_PASS_1:
	default:
		k = 2.0f;
		m[0] = 0.0f, m[1] = 1.0f, m[2] = 1.0f;
		break;
	}
	*g_out = g;
	*k_out = k;
}

static void set_a(struct filter_coefs *c, float g, float k)
{
	c->a1 = 1.0f / (1.0f + g * (g + k));
	c->a2 = g * c->a1;
	c->a3 = g * c->a2;
}

void filter_coefs_design(const struct filter_shape *s, float sample_rate, struct filter_coefs *out)
{
	float g, k, m[3];
	design(s->type, s->freq_hz, s->gain_db, s->q, sample_rate, &g, &k, m);
	set_a(out, g, k);
	out->m0 = s->on ? m[0] : 1.0f;
	out->m1 = s->on ? m[1] : 0.0f;
	out->m2 = s->on ? m[2] : 0.0f;
}

/* The target in the glide's terms: octaves of frequency and of Q. */
static void set_target(struct filter_section *f, const struct filter_shape *shape)
{
	f->target = *shape;
	f->target.q = shape->q < 0.025f ? 0.025f : shape->q;
	f->target_octave = log2f(shape->freq_hz > FILTER_MIN_HZ ? shape->freq_hz : FILTER_MIN_HZ);
	f->target_q_octave = log2f(f->target.q);
}

void filter_section_init(struct filter_section *f, const struct filter_shape *shape, float sample_rate)
{
	set_target(f, shape);
	f->sample_rate = sample_rate;
	f->smooth = 1.0f - expf(-(float)FILTER_CHUNK / (FILTER_SMOOTH_MS * 0.001f * sample_rate));
	f->octave = f->target_octave;
	f->q_octave = f->target_q_octave;
	f->gain_db = shape->gain_db;
	f->type = shape->type;
	f->wet = shape->on ? 1.0f : 0.0f;
	filter_coefs_design(&f->target, sample_rate, &f->c);
	f->moving = false;
}

RT void filter_section_set_rt(struct filter_section *f, const struct filter_shape *shape)
{
	const struct filter_shape *t = &f->target;
	if (shape->type == t->type && shape->freq_hz == t->freq_hz && shape->gain_db == t->gain_db &&
	    shape->q == t->q && shape->on == t->on)
		return; /* the same settings again (a neighbour section changed): nothing to glide */
	set_target(f, shape);
	f->moving = true;
}

/* The coefficients for the smoothed state: the section's current type at
 * the smoothed frequency, Q and gain, its output mix blended with a plain
 * pass-through by `wet`. */
RT static void coefs_now(struct filter_section *f, float freq_hz, float q, float gain_db)
{
	float g, k, m[3];
	design(f->type, freq_hz, gain_db, q, f->sample_rate, &g, &k, m);
	set_a(&f->c, g, k);
	const float w = f->wet;
	f->c.m0 = 1.0f + w * (m[0] - 1.0f);
	f->c.m1 = w * m[1];
	f->c.m2 = w * m[2];
}

/* One chunk of glide. Frequency, Q and gain move together; switching off
 * fades the section out (wet to 0), and a new type fades the old one out
 * and the new one in, since two types' coefficients have no meaningful
 * in-between. At rest once within what no one can hear (0.001 octave,
 * 0.001 dB, 1e-4 of mix). */
RT static void glide(struct filter_section *f)
{
	const struct filter_shape *t = &f->target;
	const float octave = f->target_octave, q_octave = f->target_q_octave;
	const float k = f->smooth;
	const float wet_target = t->on && t->type == f->type ? 1.0f : 0.0f;
	f->octave += k * (octave - f->octave);
	f->q_octave += k * (q_octave - f->q_octave);
	f->gain_db += k * (t->gain_db - f->gain_db);
	f->wet += k * (wet_target - f->wet);
	if (f->wet < 1e-4f && f->type != t->type) {
		f->type = t->type; /* faded out: switch, then fade in */
		f->wet = 0.0f;
	}
	const bool settled = fabsf(octave - f->octave) < 1e-3f && fabsf(q_octave - f->q_octave) < 1e-3f &&
	                     fabsf(t->gain_db - f->gain_db) < 1e-3f && fabsf(wet_target - f->wet) < 1e-4f &&
	                     f->type == t->type;
	if (settled) {
		f->octave = octave, f->q_octave = q_octave, f->gain_db = t->gain_db, f->wet = wet_target;
		coefs_now(f, t->freq_hz, t->q, t->gain_db);
		f->moving = false;
		return;
	}
	coefs_now(f, exp2f(f->octave), exp2f(f->q_octave), f->gain_db);
}

RT void filter_run_rt(const struct filter_coefs *c, struct filter_state *st, float *x, uint32_t n)
{
	const float a1 = c->a1, a2 = c->a2, a3 = c->a3, m0 = c->m0, m1 = c->m1, m2 = c->m2;
	float ic1 = st->ic1, ic2 = st->ic2;
	for (uint32_t i = 0; i < n; i++) {
		const float v0 = x[i];
		const float v3 = v0 - ic2;
		const float v1 = a1 * ic1 + a2 * v3;
		const float v2 = ic2 + a2 * ic1 + a3 * v3;
		ic1 = 2.0f * v1 - ic1;
		ic2 = 2.0f * v2 - ic2;
		x[i] = m0 * v0 + m1 * v1 + m2 * v2;
	}
	st->ic1 = ic1;
	st->ic2 = ic2;
}

RT void filter_cascade_rt(const struct filter_coefs *const *c, struct filter_state *const *st, int k, float *x,
                          uint32_t n)
{
	struct {
		float a1, a2, a3, m0, m1, m2;
	} co[FILTER_CASCADE_MAX];
	float ic1[FILTER_CASCADE_MAX], ic2[FILTER_CASCADE_MAX];
	k = k < FILTER_CASCADE_MAX ? k : FILTER_CASCADE_MAX;
	for (int j = 0; j < k; j++) {
		co[j].a1 = c[j]->a1, co[j].a2 = c[j]->a2, co[j].a3 = c[j]->a3;
		co[j].m0 = c[j]->m0, co[j].m1 = c[j]->m1, co[j].m2 = c[j]->m2;
		ic1[j] = st[j]->ic1, ic2[j] = st[j]->ic2;
	}
	for (uint32_t i = 0; i < n; i++) {
		float v = x[i];
		for (int j = 0; j < k; j++) {
			const float v0 = v;
			const float v3 = v0 - ic2[j];
			const float v1 = co[j].a1 * ic1[j] + co[j].a2 * v3;
			const float v2 = ic2[j] + co[j].a2 * ic1[j] + co[j].a3 * v3;
			ic1[j] = 2.0f * v1 - ic1[j];
			ic2[j] = 2.0f * v2 - ic2[j];
			v = co[j].m0 * v0 + co[j].m1 * v1 + co[j].m2 * v2;
		}
		x[i] = v;
	}
	for (int j = 0; j < k; j++)
		st[j]->ic1 = ic1[j], st[j]->ic2 = ic2[j];
}

typedef lanes_v8 filter_lanes;
_Static_assert(FILTER_LANES % LANES_WIDTH == 0, "the lanes are whole lanes_v8 halves");

/* Lanes in halves of one vector each: with two, the second half's
 * recursions run between the first's, which would otherwise wait on their
 * own latency (the signal passes through every section of a frame in
 * turn). */
#define HALVES (FILTER_LANES / LANES_WIDTH)

/* frames[0 .. len) through sections 0 .. k - 1, the first `halves` halves.
 * Inlined with halves a constant. */
__attribute__((always_inline)) RT static inline void cascade_halves(
	int halves, int k, filter_lanes (*a1)[HALVES], filter_lanes (*a2)[HALVES], filter_lanes (*a3)[HALVES],
	filter_lanes (*m0)[HALVES], filter_lanes (*m1)[HALVES], filter_lanes (*m2)[HALVES],
	filter_lanes (*ic1)[HALVES], filter_lanes (*ic2)[HALVES],
	filter_lanes (*frames)[HALVES], uint32_t len)
{
	for (uint32_t i = 0; i < len; i++) {
		filter_lanes v[HALVES];
		for (int h = 0; h < halves; h++)
			v[h] = frames[i][h];
		for (int j = 0; j < k; j++)
			for (int h = 0; h < halves; h++) {
				const filter_lanes v0 = v[h];
				const filter_lanes v3 = v0 - ic2[j][h];
				const filter_lanes v1 = a1[j][h] * ic1[j][h] + a2[j][h] * v3;
				const filter_lanes v2 = ic2[j][h] + a2[j][h] * ic1[j][h] + a3[j][h] * v3;
				ic1[j][h] = 2.0f * v1 - ic1[j][h];
				ic2[j][h] = 2.0f * v2 - ic2[j][h];
				v[h] = m0[j][h] * v0 + m1[j][h] * v1 + m2[j][h] * v2;
			}
		for (int h = 0; h < halves; h++)
			frames[i][h] = v[h];
	}
}

#if VECTOR_HAS_V4
typedef float filter_lanes16 __attribute__((vector_size(16 * sizeof(float))));

/* frames[0 .. len) through sections 0 .. k - 1, pipelined across the
 * sections: step t runs section j on frame t - j, so that a step's sections
 * are independent of one another (each takes what the one before it gave
 * at the step before, carry[j - 1]) and only each section's own recursion
 * chains a step to the next. Every section still sees its frames in order:
 * the same bits as frame after frame through every section. The first and
 * last k - 1 steps run only the sections that have a frame. Inlined with k
 * a constant, the states and carries stay in registers. */
__attribute__((always_inline)) VECTOR_V4 RT static inline void pipeline16(
	const int k, const filter_lanes16 *a1, const filter_lanes16 *a2, const filter_lanes16 *a3,
	const filter_lanes16 *m0, const filter_lanes16 *m1, const filter_lanes16 *m2, filter_lanes16 *ic1,
	filter_lanes16 *ic2, filter_lanes16 *frames, uint32_t len)
{
	filter_lanes16 s1[FILTER_CASCADE_MAX], s2[FILTER_CASCADE_MAX], carry[FILTER_CASCADE_MAX] = {{0}};
#pragma GCC unroll 16
	for (int j = 0; j < k; j++)
		s1[j] = ic1[j], s2[j] = ic2[j];
	const uint32_t steps = len + (uint32_t)k - 1, fill = (uint32_t)k - 1;
	for (uint32_t t = 0; t < steps; t++) {
		const bool edge = t < fill || t >= len;
#pragma GCC unroll 16
		for (int j = k - 1; j >= 0; j--) {
			if (edge && (t < (uint32_t)j || t - (uint32_t)j >= len))
				continue;
			const filter_lanes16 v0 = j == 0 ? frames[t] : carry[j - 1];
			const filter_lanes16 v3 = v0 - s2[j];
			const filter_lanes16 v1 = a1[j] * s1[j] + a2[j] * v3;
			const filter_lanes16 v2 = s2[j] + a2[j] * s1[j] + a3[j] * v3;
			s1[j] = 2.0f * v1 - s1[j];
			s2[j] = 2.0f * v2 - s2[j];
			carry[j] = m0[j] * v0 + m1[j] * v1 + m2[j] * v2;
		}
		if (t >= fill)
			frames[t - fill] = carry[k - 1];
	}
#pragma GCC unroll 16
	for (int j = 0; j < k; j++)
		ic1[j] = s1[j], ic2[j] = s2[j];
}

/* filter_cascade_lanes_rt with its sixteen lanes in one AVX-512 vector: the
 * same operations lane by lane (so the same bits), half the instructions of
 * two vectors of eight, the sections pipelined (pipeline16). */
#define PIPELINE16_CASE(K) \
	case K: pipeline16(K, a1, a2, a3, m0, m1, m2, ic1, ic2, frames, len); break
VECTOR_V4 RT static void cascade16(const struct filter_coefs *const *c, struct filter_state *const *st, int k,
                                   int lanes, float *const *x, uint32_t n)
{
	filter_lanes16 a1[FILTER_CASCADE_MAX], a2[FILTER_CASCADE_MAX], a3[FILTER_CASCADE_MAX];
	filter_lanes16 m0[FILTER_CASCADE_MAX], m1[FILTER_CASCADE_MAX], m2[FILTER_CASCADE_MAX];
	filter_lanes16 ic1[FILTER_CASCADE_MAX], ic2[FILTER_CASCADE_MAX];
	for (int j = 0; j < k; j++)
		for (int l = 0; l < FILTER_LANES; l++) {
			const struct filter_coefs *cl = l < lanes ? c[j * FILTER_LANES + l] : NULL;
			const struct filter_state *sl = l < lanes ? st[j * FILTER_LANES + l] : NULL;
			a1[j][l] = cl ? cl->a1 : 0.0f, a2[j][l] = cl ? cl->a2 : 0.0f, a3[j][l] = cl ? cl->a3 : 0.0f;
			m0[j][l] = cl ? cl->m0 : 0.0f, m1[j][l] = cl ? cl->m1 : 0.0f, m2[j][l] = cl ? cl->m2 : 0.0f;
			ic1[j][l] = sl ? sl->ic1 : 0.0f, ic2[j][l] = sl ? sl->ic2 : 0.0f;
		}
	filter_lanes16 frames[FILTER_LANE_FRAMES];
	for (uint32_t off = 0; off < n; off += FILTER_LANE_FRAMES) {
		const uint32_t len = n - off < FILTER_LANE_FRAMES ? n - off : FILTER_LANE_FRAMES;
		uint32_t whole = 0;
		for (; whole + LANES_WIDTH <= len; whole += LANES_WIDTH)
			for (int h = 0; h < 2; h++) {
				lanes_v8 v[LANES_WIDTH];
				lanes_gather8((const float *const *)x + h * LANES_WIDTH, lanes - h * LANES_WIDTH, off + whole, v);
				for (int f = 0; f < LANES_WIDTH; f++)
					memcpy((float *)&frames[whole + (uint32_t)f] + h * LANES_WIDTH, &v[f], sizeof v[f]);
			}
		for (uint32_t i = whole; i < len; i++)
			for (int l = 0; l < FILTER_LANES; l++)
				frames[i][l] = l < lanes ? x[l][off + i] : 0.0f;
		switch (k) { /* the common cascades with their state in registers */
			PIPELINE16_CASE(1); PIPELINE16_CASE(2); PIPELINE16_CASE(3); PIPELINE16_CASE(4);
			PIPELINE16_CASE(5); PIPELINE16_CASE(6); PIPELINE16_CASE(7); PIPELINE16_CASE(8);
		default: pipeline16(k, a1, a2, a3, m0, m1, m2, ic1, ic2, frames, len); break;
		}
		for (uint32_t i = 0; i < whole; i += LANES_WIDTH)
			for (int h = 0; h < 2; h++) {
				lanes_v8 v[LANES_WIDTH];
				for (int f = 0; f < LANES_WIDTH; f++)
					memcpy(&v[f], (const float *)&frames[i + (uint32_t)f] + h * LANES_WIDTH, sizeof v[f]);
				lanes_scatter8(x + h * LANES_WIDTH, lanes - h * LANES_WIDTH, off + i, v);
			}
		for (int l = 0; l < lanes; l++)
			for (uint32_t i = whole; i < len; i++)
				x[l][off + i] = frames[i][l];
	}
	for (int j = 0; j < k; j++)
		for (int l = 0; l < lanes; l++)
			st[j * FILTER_LANES + l]->ic1 = ic1[j][l], st[j * FILTER_LANES + l]->ic2 = ic2[j][l];
}
#endif

VECTOR_CLONES
RT void filter_cascade_lanes_rt(const struct filter_coefs *const *c, struct filter_state *const *st, int k,
                                int lanes, float *const *x, uint32_t n)
{
	/* Coefficients and states per section as vectors; lanes not in use
	 * run silence through zero coefficients and are thrown away. */
	filter_lanes a1[FILTER_CASCADE_MAX][HALVES], a2[FILTER_CASCADE_MAX][HALVES], a3[FILTER_CASCADE_MAX][HALVES];
	filter_lanes m0[FILTER_CASCADE_MAX][HALVES], m1[FILTER_CASCADE_MAX][HALVES], m2[FILTER_CASCADE_MAX][HALVES];
	filter_lanes ic1[FILTER_CASCADE_MAX][HALVES], ic2[FILTER_CASCADE_MAX][HALVES];
	k = k < FILTER_CASCADE_MAX ? k : FILTER_CASCADE_MAX;
	lanes = lanes < FILTER_LANES ? lanes : FILTER_LANES;
#if VECTOR_HAS_V4
	_Static_assert(FILTER_LANES == 16, "cascade16 is one vector of the lanes");
	if (lanes > LANES_WIDTH && rt_has_avx512()) {
		cascade16(c, st, k, lanes, x, n);
		return;
	}
#endif
	const int halves = (lanes + LANES_WIDTH - 1) / LANES_WIDTH;
	for (int j = 0; j < k; j++)
		for (int l = 0; l < FILTER_LANES; l++) {
			const int h = l / LANES_WIDTH, e = l % LANES_WIDTH;
			const struct filter_coefs *cl = l < lanes ? c[j * FILTER_LANES + l] : NULL;
			const struct filter_state *sl = l < lanes ? st[j * FILTER_LANES + l] : NULL;
			a1[j][h][e] = cl ? cl->a1 : 0.0f, a2[j][h][e] = cl ? cl->a2 : 0.0f, a3[j][h][e] = cl ? cl->a3 : 0.0f;
			m0[j][h][e] = cl ? cl->m0 : 0.0f, m1[j][h][e] = cl ? cl->m1 : 0.0f, m2[j][h][e] = cl ? cl->m2 : 0.0f;
			ic1[j][h][e] = sl ? sl->ic1 : 0.0f, ic2[j][h][e] = sl ? sl->ic2 : 0.0f;
		}
	/* frame-major copies of a chunk: a vector per frame and half */
	filter_lanes frames[FILTER_LANE_FRAMES][HALVES];
	for (uint32_t off = 0; off < n; off += FILTER_LANE_FRAMES) {
		const uint32_t len = n - off < FILTER_LANE_FRAMES ? n - off : FILTER_LANE_FRAMES;
		uint32_t whole = 0;
		for (; whole + LANES_WIDTH <= len; whole += LANES_WIDTH)
			for (int h = 0; h < halves; h++) {
				filter_lanes v[LANES_WIDTH];
				lanes_gather8((const float *const *)x + h * LANES_WIDTH, lanes - h * LANES_WIDTH, off + whole, v);
				for (int f = 0; f < LANES_WIDTH; f++)
					frames[whole + (uint32_t)f][h] = v[f];
			}
		for (uint32_t i = whole; i < len; i++)
			for (int h = 0; h < halves; h++)
				lanes_gather1((const float *const *)x + h * LANES_WIDTH, lanes - h * LANES_WIDTH, off + i,
				              &frames[i][h]);
		if (halves == 1)
			cascade_halves(1, k, a1, a2, a3, m0, m1, m2, ic1, ic2, frames, len);
		else
			cascade_halves(HALVES, k, a1, a2, a3, m0, m1, m2, ic1, ic2, frames, len);
		for (uint32_t i = 0; i < whole; i += LANES_WIDTH)
			for (int h = 0; h < halves; h++) {
				filter_lanes v[LANES_WIDTH];
				for (int f = 0; f < LANES_WIDTH; f++)
					v[f] = frames[i + (uint32_t)f][h];
				lanes_scatter8(x + h * LANES_WIDTH, lanes - h * LANES_WIDTH, off + i, v);
			}
		for (uint32_t i = whole; i < len; i++)
			for (int h = 0; h < halves; h++)
				lanes_scatter1(x + h * LANES_WIDTH, lanes - h * LANES_WIDTH, off + i, &frames[i][h]);
	}
	for (int j = 0; j < k; j++)
		for (int l = 0; l < lanes; l++) {
			const int h = l / LANES_WIDTH, e = l % LANES_WIDTH;
			st[j * FILTER_LANES + l]->ic1 = ic1[j][h][e], st[j * FILTER_LANES + l]->ic2 = ic2[j][h][e];
		}
}

/* Like filter_run_rt with every coefficient moving linearly from `from` to
 * `to` across the n frames: a glide step spread over its chunk rather than
 * taken at once (a bell's deep cut subtracts two large terms, and a jump in
 * their balance would be heard). */
RT static void filter_run_glide_rt(const struct filter_coefs *from, const struct filter_coefs *to,
                                   struct filter_state *st, float *x, uint32_t n)
{
	const float inv = 1.0f / (float)n;
	const float da1 = (to->a1 - from->a1) * inv, da2 = (to->a2 - from->a2) * inv, da3 = (to->a3 - from->a3) * inv;
	const float dm0 = (to->m0 - from->m0) * inv, dm1 = (to->m1 - from->m1) * inv, dm2 = (to->m2 - from->m2) * inv;
	float ic1 = st->ic1, ic2 = st->ic2;
	for (uint32_t i = 0; i < n; i++) {
		const float t = (float)(i + 1);
		const float a1 = from->a1 + t * da1, a2 = from->a2 + t * da2, a3 = from->a3 + t * da3;
		const float v0 = x[i];
		const float v3 = v0 - ic2;
		const float v1 = a1 * ic1 + a2 * v3;
		const float v2 = ic2 + a2 * ic1 + a3 * v3;
		ic1 = 2.0f * v1 - ic1;
		ic2 = 2.0f * v2 - ic2;
		x[i] = (from->m0 + t * dm0) * v0 + (from->m1 + t * dm1) * v1 + (from->m2 + t * dm2) * v2;
	}
	st->ic1 = ic1;
	st->ic2 = ic2;
}

RT void filter_section_process_rt(struct filter_section *f, struct filter_state *st, float *const *x,
                                  uint32_t n_ch, uint32_t n)
{
	if (!f->moving) {
		for (uint32_t c = 0; c < n_ch; c++)
			filter_run_rt(&f->c, &st[c], x[c], n);
		return;
	}
	for (uint32_t off = 0; off < n; off += FILTER_CHUNK) {
		const uint32_t len = n - off < FILTER_CHUNK ? n - off : FILTER_CHUNK;
		const struct filter_coefs from = f->c;
		if (f->moving)
			glide(f);
		for (uint32_t c = 0; c < n_ch; c++)
			filter_run_glide_rt(&from, &f->c, &st[c], x[c] + off, len);
	}
}

void filter_butterworth(bool high_pass, float freq_hz, unsigned slope_db, bool on,
                        struct filter_shape out[FILTER_BUTTERWORTH_SECTIONS])
{
	/* Pole pairs of the Butterworth polynomials: Q = 1 / (2 cos θ).
	 * Order 2: 0.7071; order 3: a first-order section and Q 1; order 4: Q
	 * 0.5412 and 1.3066. */
	const enum filter_type two = high_pass ? FILTER_HIGH_PASS : FILTER_LOW_PASS;
	const enum filter_type one = high_pass ? FILTER_HIGH_PASS_1 : FILTER_LOW_PASS_1;
	out[0] = (struct filter_shape){two, freq_hz, 0.0f, 0.70710678f, on};
	out[1] = (struct filter_shape){two, freq_hz, 0.0f, 0.70710678f, false};
	if (slope_db == 18) {
		out[0] = (struct filter_shape){one, freq_hz, 0.0f, 0.70710678f, on};
		out[1] = (struct filter_shape){two, freq_hz, 0.0f, 1.0f, on};
	} else if (slope_db == 24) {
		out[0].q = 0.54119610f;
		out[1] = (struct filter_shape){two, freq_hz, 0.0f, 1.30656296f, on};
	}
}
