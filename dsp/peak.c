#include "dsp/peak.h"

#include <string.h>

/* The magnitudes' IEEE bit patterns order like the magnitudes, so the peak
 * is an unsigned-integer max the compiler vectorises without -ffast-math (a
 * float max it keeps scalar, for NaN's sake). */
VECTOR_CLONES
RT float peak_of_rt(const float *x, uint32_t n, float most)
{
	uint32_t peak_bits;
	memcpy(&peak_bits, &most, sizeof peak_bits);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t b;
		memcpy(&b, &x[i], sizeof b);
		b &= 0x7fffffffu;
		peak_bits = b > peak_bits ? b : peak_bits;
	}
	memcpy(&most, &peak_bits, sizeof most);
	return most;
}
