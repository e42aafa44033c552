/* log2 and exp2 accurate to about 1e-7 (relative), in plain arithmetic the
 * compiler can inline and vectorise: the per-sample dB conversions of the
 * dynamics section. libm's log2f/exp2f are exact but out of line, and one
 * call per sample per strip would cost more than the rest of the strip.
 * Any thread; no state. Inputs must be finite; log2 of x <= 0 is not defined
 * (callers add a floor such as 1e-30 first). */
#ifndef DUBSTAGE_DSP_FASTMATH_H
#define DUBSTAGE_DSP_FASTMATH_H

#include <stdint.h>
#include <string.h>

#include "dsp/lanes.h"

#define FASTMATH_DB_PER_LOG2 6.0205999132796239f   /* 20 log10(2) */
#define FASTMATH_LOG2_PER_DB 0.16609640474436813f  /* 1 / 20 log10(2) */

/* log2(x) for normal x > 0: exponent plus log2 of a mantissa in
 * [sqrt(1/2), sqrt(2)), from the atanh series 2/ln2 (t + t^3/3 + t^5/5 + t^7/7)
 * with t = (m - 1)/(m + 1), |t| <= 0.172 (next term below 2e-8). */
static inline float fastmath_log2(float x)
{
	uint32_t bits;
	memcpy(&bits, &x, sizeof bits);
	int32_t e = (int32_t)(bits >> 23) - 127;
	bits = (bits & 0x007fffffu) | 0x3f800000u;
	float m;
	memcpy(&m, &bits, sizeof m);
	const int32_t big = m > 1.41421356f;
	m = big ? 0.5f * m : m;
	e += big;
	const float t = (m - 1.0f) / (m + 1.0f), t2 = t * t;
	const float series = t * (2.88539008f + t2 * (0.961796693f + t2 * (0.577078016f + t2 * 0.412198583f)));
	return (float)e + series;
}

/* 2^x for x in [-126, 127]: 2^round(x) from the exponent bits times 2^f,
 * |f| <= 1/2, by its Taylor series to degree 6 (error below 2e-7). */
static inline float fastmath_exp2(float x)
{
	x = x < -126.0f ? -126.0f : (x > 127.0f ? 127.0f : x);
	const float r = (x + 12582912.0f) - 12582912.0f; /* round to nearest, no libm call */
	const float f = (x - r) * 0.693147181f;
	const float p = 1.0f + f * (1.0f + f * (0.5f + f * (0.166666667f + f * (0.0416666667f +
	                f * (0.00833333333f + f * 0.00138888889f)))));
	const uint32_t bits = (uint32_t)((int32_t)r + 127) << 23;
	float scale;
	memcpy(&scale, &bits, sizeof scale);
	return p * scale;
}

static inline float fastmath_db_from_gain(float gain) { return FASTMATH_DB_PER_LOG2 * fastmath_log2(gain); }
static inline float fastmath_gain_from_db(float db) { return fastmath_exp2(FASTMATH_LOG2_PER_DB * db); }

/* The same two, a vector of lanes at once: every operation the scalar
 * one's, lane by lane (selects as bit masks), so the same bits
 * (tests/test_dynamics.c). For the kernels that run strips side by side.
 * Written once for any vector type VF of floats with its integer type VI,
 * as NAME_log2 and NAME_exp2, compiled with the target ATTR: lanes_v8 for
 * every clone here; a kernel of 16 lanes makes its own. Always inlined, in
 * and out through pointers (vectors passed by value change the ABI between
 * the clones). */
#define FASTMATH_LANES(VF, VI, NAME, ATTR)                                                                    \
	ATTR __attribute__((always_inline)) static inline void NAME##_log2(const VF *in, VF *out)              \
	{                                                                                                     \
		VI bits = (VI)*in;                                                                                \
		VI e = ((bits >> 23) & 0xff) - 127;                                                               \
		bits = (bits & 0x007fffff) | 0x3f800000;                                                          \
		VF m = (VF)bits;                                                                                  \
		const VI big = m > 1.41421356f;                                                                   \
		m = (VF)(((VI)(0.5f * m) & big) | ((VI)m & ~big));                                                \
		e -= big; /* a true comparison is -1 */                                                           \
		const VF t = (m - 1.0f) / (m + 1.0f), t2 = t * t;                                                 \
		const VF series = t * (2.88539008f + t2 * (0.961796693f + t2 * (0.577078016f + t2 * 0.412198583f))); \
		*out = __builtin_convertvector(e, VF) + series;                                                   \
	}                                                                                                     \
	ATTR __attribute__((always_inline)) static inline void NAME##_exp2(const VF *in, VF *out)              \
	{                                                                                                     \
		const VF x0 = *in, lo = (VF){0} - 126.0f, hi = (VF){0} + 127.0f;                                    \
		const VI low = x0 < -126.0f, high = x0 > 127.0f;                                                  \
		const VF x = (VF)(((VI)lo & low) | ((VI)hi & high) | ((VI)x0 & ~(low | high)));                   \
		const VF r = (x + 12582912.0f) - 12582912.0f;                                                     \
		const VF f = (x - r) * 0.693147181f;                                                              \
		const VF p = 1.0f + f * (1.0f + f * (0.5f + f * (0.166666667f + f * (0.0416666667f +               \
		             f * (0.00833333333f + f * 0.00138888889f)))));                                       \
		const VI scale = (__builtin_convertvector(r, VI) + 127) << 23;                                     \
		*out = p * (VF)scale;                                                                             \
	}

FASTMATH_LANES(lanes_v8, lanes_m8, fastmath_v8, )

#endif
