/* Eight lanes side by side: the vector types of 8 floats and 8 masks the
 * vector kernels share (dsp/filter, dsp/dynamics, dsp/true_peak), and the
 * 8 x 8 transposes between eight channels' blocks (a row of 8 frames each)
 * and 8 frame vectors (a lane per channel) that the lane kernels work on. Three rounds of two-input shuffles, 24 in all, in
 * place of 64 single-element moves each way; the values are only moved, so
 * a kernel gives the same bits either way. RT, header only. */
#ifndef DUBSTAGE_DSP_LANES_H
#define DUBSTAGE_DSP_LANES_H

#include <stdint.h>
#include <string.h>

#include "dsp/rt.h"

#define LANES_WIDTH 8

typedef float lanes_v8 __attribute__((vector_size(LANES_WIDTH * sizeof(float))));
typedef int32_t lanes_m8 __attribute__((vector_size(LANES_WIDTH * sizeof(int32_t))));

#if defined(__clang__)
#define LANES_SHUFFLE(a, b, i0, i1, i2, i3, i4, i5, i6, i7) \
	__builtin_shufflevector((a), (b), i0, i1, i2, i3, i4, i5, i6, i7)
#else
#define LANES_SHUFFLE(a, b, i0, i1, i2, i3, i4, i5, i6, i7) \
	__builtin_shuffle((a), (b), (lanes_m8){i0, i1, i2, i3, i4, i5, i6, i7})
/* Frame i of channels x[0 .. lanes) as one frame vector (the lanes past
 * `lanes` silence; of more than 8 channels, the first 8), and back: the
 * frames past a block's last whole eight. */
__attribute__((always_inline)) RT static inline void lanes_gather1(const float *const *x, int lanes, uint32_t i,
                                                                   lanes_v8 *v)
{
	*v = (lanes_v8){0};
	for (int l = 0; l < lanes && l < LANES_WIDTH; l++)
		(*v)[l] = x[l][i];
}

__attribute__((always_inline)) RT static inline void lanes_scatter1(float *const *x, int lanes, uint32_t i,
                                                                    const lanes_v8 *v)
{
	for (int l = 0; l < lanes && l < LANES_WIDTH; l++)
		x[l][i] = (*v)[l];
}

#endif

/* r[0..8) in, r[k][j] -> r[j][k] out. The rounds are the AVX unpack,
 * shuffle and 128-bit permute patterns, which the compiler maps onto single
 * instructions. */
RT static inline void lanes_transpose8(lanes_v8 r[LANES_WIDTH])
{
	lanes_v8 t[LANES_WIDTH], u[LANES_WIDTH];
	for (int k = 0; k < LANES_WIDTH; k += 2) {
		t[k] = LANES_SHUFFLE(r[k], r[k + 1], 0, 8, 1, 9, 4, 12, 5, 13);
		t[k + 1] = LANES_SHUFFLE(r[k], r[k + 1], 2, 10, 3, 11, 6, 14, 7, 15);
	}
	for (int k = 0; k < LANES_WIDTH; k += 4)
		for (int h = 0; h < 2; h++) {
			u[k + 2 * h] = LANES_SHUFFLE(t[k + h], t[k + h + 2], 0, 1, 8, 9, 4, 5, 12, 13);
			u[k + 2 * h + 1] = LANES_SHUFFLE(t[k + h], t[k + h + 2], 2, 3, 10, 11, 6, 7, 14, 15);
		}
	for (int k = 0; k < 4; k++) {
		r[k] = LANES_SHUFFLE(u[k], u[k + 4], 0, 1, 2, 3, 8, 9, 10, 11);
		r[k + 4] = LANES_SHUFFLE(u[k], u[k + 4], 4, 5, 6, 7, 12, 13, 14, 15);
	}
}

/* Frames i .. i + 7 of channels x[0 .. lanes) (the lanes past `lanes` are
 * silence; of more than 8 channels, the first 8) as frame vectors v[0..8). */
RT static inline void lanes_gather8(const float *const *x, int lanes, uint32_t i, lanes_v8 v[LANES_WIDTH])
{
	for (int l = 0; l < LANES_WIDTH; l++) {
		if (l < lanes)
			memcpy(&v[l], x[l] + i, sizeof v[l]);
		else
			v[l] = (lanes_v8){0};
	}
	lanes_transpose8(v);
}

/* Frame vectors v[0..8) back into frames i .. i + 7 of channels
 * x[0 .. lanes) (of more than 8, the first 8). v is left transposed. */
RT static inline void lanes_scatter8(float *const *x, int lanes, uint32_t i, lanes_v8 v[LANES_WIDTH])
{
	lanes_transpose8(v);
	for (int l = 0; l < lanes && l < LANES_WIDTH; l++)
		memcpy(x[l] + i, &v[l], sizeof v[l]);
}

#endif
