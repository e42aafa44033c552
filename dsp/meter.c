#include "dsp/meter.h"

#include <math.h>
#include <string.h>

#include "dsp/lanes.h"

float meter_block_coefficient(float sample_rate, float time_constant_ms, uint32_t n)
{
	return 1.0f - expf(-(float)n / (time_constant_ms * 0.001f * sample_rate));
}

/* max |x| and the sum of squares of x[0..n): sample i into partial sum
 * i mod 8 (the tail into sum 0), the eight added pairwise. Written with
 * lanes.h's vectors: as a loop over an array of 8 sums GCC kept it scalar.
 * For non-negative finite floats the IEEE bit patterns order like the
 * values, so max |x| is a signed-integer max, no -ffast-math needed. */
VECTOR_CLONES
RT static float peak_and_energy(const float *x, uint32_t n, float *sum_squares)
{
	lanes_m8 most = {0};
	const lanes_m8 magnitude = most + 0x7fffffff;
	lanes_v8 acc = {0};
	uint32_t i = 0;
	for (; i + LANES_WIDTH <= n; i += LANES_WIDTH) {
		lanes_v8 v;
		memcpy(&v, &x[i], sizeof v);
		const lanes_m8 b = (lanes_m8)v & magnitude;
		const lanes_m8 more = b > most;
		most = (b & more) | (most & ~more);
		acc += v * v;
	}
	int32_t peak_bits = 0;
	for (int l = 0; l < LANES_WIDTH; l++)
		peak_bits = most[l] > peak_bits ? most[l] : peak_bits;
	float a0 = acc[0];
	for (; i < n; i++) {
		int32_t b;
		memcpy(&b, &x[i], sizeof b);
		b &= 0x7fffffff;
		peak_bits = b > peak_bits ? b : peak_bits;
		a0 += x[i] * x[i];
	}
	float peak;
	memcpy(&peak, &peak_bits, sizeof peak);
	*sum_squares = ((a0 + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
	return peak;
}

/* True peak of x[0..n) (n <= CHUNK) after m's history; the history moves on. */
enum { CHUNK = METER_CHUNK_FRAMES };
RT static void true_peak_chunk(struct meter *m, const float *x, uint32_t n, float sample_peak)
{
	float loud = sample_peak;
	for (int i = 0; i < TRUE_PEAK_HISTORY; i++)
		loud = fabsf(m->hist[i]) > loud ? fabsf(m->hist[i]) : loud;
	const float bound = loud * TRUE_PEAK_BOUND;
	/* Interpolate only when the block could raise the frame's maximum (the
	 * lowest of the maxima kept) or go over 0 dBTP; otherwise it does
	 * neither, whatever lies between its samples. */
	bool over = false;
	float w[TRUE_PEAK_HISTORY + CHUNK];
	memcpy(w, m->hist, sizeof m->hist);
	memcpy(w + TRUE_PEAK_HISTORY, x, n * sizeof *x);
	float lowest = m->true_peak < m->true_peak_max ? m->true_peak : m->true_peak_max;
	lowest = m->true_peak_run < lowest ? m->true_peak_run : lowest;
	if (bound > lowest || bound > 1.0f) {
		const float tp = true_peak_span_rt(w, n);
		m->true_peak = tp > m->true_peak ? tp : m->true_peak;
		m->true_peak_max = tp > m->true_peak_max ? tp : m->true_peak_max;
		m->true_peak_run = tp > m->true_peak_run ? tp : m->true_peak_run;
		over = tp > 1.0f;
	}
	m->overs += over && !m->in_over;
	m->in_over = over;
	memcpy(m->hist, w + n, sizeof m->hist);
}

RT void meter_process_rt(struct meter *m, const float *x, uint32_t n, float k)
{
	/* one pass: each chunk's peak serves its true peak's bound and the
	 * block's peak; the energies add up chunk by chunk */
	float sum = 0.0f, peak = 0.0f;
	for (uint32_t off = 0; off < n; off += CHUNK) {
		const uint32_t len = n - off < CHUNK ? n - off : CHUNK;
		float chunk_sum;
		const float chunk_peak = peak_and_energy(x + off, len, &chunk_sum);
		sum += chunk_sum;
		peak = chunk_peak > peak ? chunk_peak : peak;
		true_peak_chunk(m, x + off, len, chunk_peak);
	}
	if (peak > m->peak)
		m->peak = peak;
	if (n > 0)
		m->mean_square += k * (sum / (float)n - m->mean_square);
}

RT void meter_silence_rt(struct meter *m, float k)
{
	m->mean_square -= k * m->mean_square;
	m->in_over = false;
	memset(m->hist, 0, sizeof m->hist);
}
