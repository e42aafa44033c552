#include "dsp/true_peak.h"

#include <string.h>

#include "dsp/lanes.h"

/* ITU-R BS.1770-4 Annex 2, phase p, tap k multiplies the input k frames ago.
 * Phases 2 and 3 are phases 1 and 0 reversed. */
const float true_peak_annex2[TRUE_PEAK_PHASES][TRUE_PEAK_TAPS] = {
	{0.0017089843750f, 0.0109863281250f, -0.0196533203125f, 0.0332031250000f, -0.0594482421875f,
	 0.1373291015625f, 0.9721679687500f, -0.1022949218750f, 0.0476074218750f, -0.0266113281250f,
	 0.0148925781250f, -0.0083007812500f},
	{-0.0291748046875f, 0.0292968750000f, -0.0517578125000f, 0.0891113281250f, -0.1665039062500f,
	 0.4650878906250f, 0.7797851562500f, -0.2003173828125f, 0.1015625000000f, -0.0582275390625f,
	 0.0330810546875f, -0.0189208984375f},
	{-0.0189208984375f, 0.0330810546875f, -0.0582275390625f, 0.1015625000000f, -0.2003173828125f,
	 0.7797851562500f, 0.4650878906250f, -0.1665039062500f, 0.0891113281250f, -0.0517578125000f,
	 0.0292968750000f, -0.0291748046875f},
	{-0.0083007812500f, 0.0148925781250f, -0.0266113281250f, 0.0476074218750f, -0.1022949218750f,
	 0.9721679687500f, 0.1373291015625f, -0.0594482421875f, 0.0332031250000f, -0.0196533203125f,
	 0.0109863281250f, 0.0017089843750f},
};

typedef lanes_v8 tp_lanes;
/* Magnitudes as IEEE bits in signed lanes: with the sign bit clear they
 * order like the values, and a signed compare is one instruction (an
 * unsigned one costs two more). */
typedef lanes_m8 tp_bits;
/* max(a, b) lane by lane (C has no vector ternary): a comparison gives all
 * ones or all zeros per lane. */
#define TP_MAX(a, b) (((a) & ((a) > (b))) | ((b) & ~((a) > (b))))
/* The four interpolated values at the frames whose newest samples are the
 * vector v (type T) loaded from x: acc[p] for phase p, its 12 taps summed
 * in the order true_peak_window sums them (the limiter's per-frame
 * detector, which must give its bits; the spans fold the phases instead). */
#define TP_INTERPOLATE(T, x, v, acc) \
	for (int p = 0; p < TRUE_PEAK_PHASES; p++) { \
		(acc)[p] = true_peak_annex2[p][0] * (v); \
		for (int k = 1; k < TRUE_PEAK_TAPS; k++) { \
			T xk; \
			memcpy(&xk, (x) - k, sizeof xk); \
			(acc)[p] += true_peak_annex2[p][k] * xk; \
		} \
	}

/* Phases 3 and 2 are phases 0 and 1 reversed: y3(n) = sum h0[k] x[n - 11 + k].
 * So with a_k = x[n - k] + x[n - 11 + k] and b_k = x[n - k] - x[n - 11 + k]
 * (k < 6), y0 + y3 = sum (h0[k] + h0[11 - k]) a_k and y0 - y3 = sum (h0[k] -
 * h0[11 - k]) b_k over six taps, and the larger magnitude of the two phases
 * is (|y0 + y3| + |y0 - y3|) / 2: the pair in 12 multiply-adds, not 24,
 * and the a_k, b_k serve both pairs. The halves are in the folded taps
 * (halving and adding the Annex's taps, multiples of 2^-13, is exact). */
#define TP_FOLD_SUM(p, k) (0.5f * (true_peak_annex2[p][k] + true_peak_annex2[p][TRUE_PEAK_TAPS - 1 - (k)]))
#define TP_FOLD_DIFF(p, k) (0.5f * (true_peak_annex2[p][k] - true_peak_annex2[p][TRUE_PEAK_TAPS - 1 - (k)]))

/* Frames [i, n) of a span LANES at a time (vector type T, its bits B, MAX
 * their lane maximum), the phases folded in pairs, into top, the most so
 * far as IEEE bits; i ends at the first frame left. |x| as bits: for finite
 * non-negative floats they order like the values, and an integer max needs
 * no -ffast-math. A running maximum per phase pair and one of the samples:
 * three short chains of compares, not one three times as long. */
#define TP_SPAN(T, B, MAX, LANES, w, n, i, top) \
	do { \
		enum { HALF_ = TRUE_PEAK_TAPS / 2 }; \
		B most_[3] = {{0}}; \
		const B magnitude_ = most_[0] + 0x7fffffff; \
		for (; (i) + (LANES) <= (n); (i) += (LANES)) { \
			const float *x_ = &(w)[TRUE_PEAK_HISTORY + (i)]; \
			T a_[HALF_], b_[HALF_]; \
			for (int k_ = 0; k_ < HALF_; k_++) { \
				T newer_, older_; \
				memcpy(&newer_, x_ - k_, sizeof newer_); \
				memcpy(&older_, x_ - (TRUE_PEAK_TAPS - 1 - k_), sizeof older_); \
				a_[k_] = newer_ + older_; \
				b_[k_] = newer_ - older_; \
				if (k_ == 0) \
					most_[0] = MAX(most_[0], (B)newer_ & magnitude_); \
			} \
			for (int p_ = 0; p_ < 2; p_++) { \
				T sum_ = TP_FOLD_SUM(p_, 0) * a_[0], diff_ = TP_FOLD_DIFF(p_, 0) * b_[0]; \
				for (int k_ = 1; k_ < HALF_; k_++) { \
					sum_ += TP_FOLD_SUM(p_, k_) * a_[k_]; \
					diff_ += TP_FOLD_DIFF(p_, k_) * b_[k_]; \
				} \
				const T larger_ = (T)((B)sum_ & magnitude_) + (T)((B)diff_ & magnitude_); \
				most_[1 + p_] = MAX(most_[1 + p_], (B)larger_); \
			} \
		} \
		most_[0] = MAX(most_[0], MAX(most_[1], most_[2])); \
		for (int l_ = 0; l_ < (LANES); l_++) \
			(top) = most_[0][l_] > (top) ? most_[0][l_] : (top); \
	} while (0)

#if VECTOR_HAS_V4
#include <immintrin.h>

typedef float tp_lanes16 __attribute__((vector_size(16 * sizeof(float))));
typedef int32_t tp_bits16 __attribute__((vector_size(16 * sizeof(int32_t))));
/* One instruction (TP_MAX's compare and selects are four). */
#define MAX16(a, b) ((tp_bits16)_mm512_max_epi32((__m512i)(a), (__m512i)(b)))

/* true_peak_span_rt's loop with 16 frames in one AVX-512 vector, contracted
 * like the AVX2 clone (so within the same 2e-6 of true_peak_window): half
 * the instructions. The IEEE bits of the most of frames [0, *done). */
__attribute__((target("arch=x86-64-v4"), optimize("fp-contract=fast")))
RT static int32_t span16(const float *w, uint32_t n, uint32_t *done)
{
	uint32_t i = 0;
	int32_t top = 0;
	TP_SPAN(tp_lanes16, tp_bits16, MAX16, 16, w, n, i, top);
	*done = i;
	return top;
}
#endif

VECTOR_CLONES_FMA
RT static float span8(const float *w, uint32_t n, uint32_t i, int32_t top);

RT float true_peak_span_rt(const float *w, uint32_t n)
{
#if VECTOR_HAS_V4
	if (rt_has_avx512()) {
		uint32_t done;
		const int32_t top = span16(w, n, &done);
		if (done < n)
			return span8(w, n, done, top);
		float peak;
		memcpy(&peak, &top, sizeof peak);
		return peak;
	}
#endif
	return span8(w, n, 0, 0);
}

/* Frames [i, n) eight at a time, then one by one, from the most so far
 * (IEEE bits) top. */
VECTOR_CLONES_FMA
RT static float span8(const float *w, uint32_t n, uint32_t i, int32_t top)
{
	/* Eight frames per vector, the phases folded in pairs: within 2e-6 of
	 * true_peak_window for samples in [-1, 1] (an addition per folded tap
	 * and six roundings per pair's sums, each below TRUE_PEAK_BOUND; fused
	 * multiply-adds in the FMA clone round less). */
	TP_SPAN(tp_lanes, tp_bits, TP_MAX, LANES_WIDTH, w, n, i, top);
	float peak;
	memcpy(&peak, &top, sizeof peak);
	for (; i < n; i++) {
		const float v = true_peak_window(&w[TRUE_PEAK_HISTORY + i]);
		peak = v > peak ? v : peak;
	}
	return peak;
}

VECTOR_CLONES
RT void true_peak_frames_rt(const float *w, uint32_t n, float *most)
{
	enum { H = TRUE_PEAK_HISTORY, LANES = LANES_WIDTH };
	const tp_bits magnitude = (tp_bits){0} + 0x7fffffff;
	uint32_t i = 0;
	for (; i + LANES <= n; i += LANES) {
		const float *x = &w[H + i];
		tp_lanes v, kept;
		memcpy(&v, x, sizeof v);
		memcpy(&kept, &most[i], sizeof kept);
		tp_bits best = (tp_bits)kept;
		best = TP_MAX(best, (tp_bits)v & magnitude);
		tp_lanes acc[TRUE_PEAK_PHASES];
		TP_INTERPOLATE(tp_lanes, x, v, acc);
		for (int p = 0; p < TRUE_PEAK_PHASES; p++)
			best = TP_MAX(best, (tp_bits)acc[p] & magnitude);
		memcpy(&most[i], &best, sizeof best);
	}
	for (; i < n; i++) {
		const float v = true_peak_window(&w[H + i]);
		most[i] = v > most[i] ? v : most[i];
	}
}

float true_peak_of(const float *x, uint32_t n)
{
	float w[TRUE_PEAK_TAPS + 1] = {0}; /* w[TRUE_PEAK_TAPS] newest */
	float peak = 0.0f;
	for (uint32_t i = 0; i < n + TRUE_PEAK_TAPS; i++) {
		memmove(w, w + 1, TRUE_PEAK_TAPS * sizeof *w);
		w[TRUE_PEAK_TAPS] = i < n ? x[i] : 0.0f; /* then flush the filter */
		peak = fmaxf(peak, true_peak_window(&w[TRUE_PEAK_TAPS]));
	}
	return peak;
}
