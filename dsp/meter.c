#include "dsp/meter.h"

#include <math.h>
#include <string.h>

float meter_block_coefficient(float sample_rate, float time_constant_ms, uint32_t n)
{
	return 1.0f - expf(-(float)n / (time_constant_ms * 0.001f * sample_rate));
}

RT void meter_process_rt(struct meter *m, const float *x, uint32_t n, float k)
{
	/* For non-negative finite floats the IEEE bit patterns order like the
	 * values, so max |x| becomes an unsigned-integer max the compiler can
	 * vectorise without -ffast-math. */
	uint32_t peak_bits = 0;
	float acc[8] = {0};
	uint32_t i = 0;
	for (; i + 8 <= n; i += 8) {
		for (uint32_t j = 0; j < 8; j++) {
			uint32_t b;
			memcpy(&b, &x[i + j], sizeof b);
			b &= 0x7fffffffu;
			peak_bits = b > peak_bits ? b : peak_bits;
			acc[j] += x[i + j] * x[i + j];
		}
	}
	for (; i < n; i++) {
		uint32_t b;
		memcpy(&b, &x[i], sizeof b);
		b &= 0x7fffffffu;
		peak_bits = b > peak_bits ? b : peak_bits;
		acc[0] += x[i] * x[i];
	}
	float peak;
	memcpy(&peak, &peak_bits, sizeof peak);
	const float sum = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
	if (peak > m->peak)
		m->peak = peak;
	if (n > 0)
		m->mean_square += k * (sum / (float)n - m->mean_square);
}
