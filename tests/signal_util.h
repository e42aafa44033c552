/* Test signals and level measurement shared by the test suites. */
#ifndef DUBSTAGE_TESTS_SIGNAL_UTIL_H
#define DUBSTAGE_TESTS_SIGNAL_UTIL_H

#include <math.h>
#include <stddef.h>

/* x[i] = amplitude * sin(2 pi f (start + i) / rate) */
static inline void sine(float *x, size_t n, double amplitude, double freq_hz, double rate, size_t start)
{
	for (size_t i = 0; i < n; i++)
		x[i] = (float)(amplitude * sin(2.0 * M_PI * freq_hz * (double)(start + i) / rate));
}

static inline double mean_square(const float *x, size_t n)
{
	double s = 0;
	for (size_t i = 0; i < n; i++)
		s += (double)x[i] * x[i];
	return n ? s / (double)n : 0.0;
}

static inline double rms_db(const float *x, size_t n)
{
	return 10.0 * log10(mean_square(x, n) + 1e-30);
}

static inline double peak_abs(const float *x, size_t n)
{
	double p = 0;
	for (size_t i = 0; i < n; i++)
		p = fabs(x[i]) > p ? fabs(x[i]) : p;
	return p;
}

/* Largest |x[i+1] - x[i]|. */
static inline double max_step(const float *x, size_t n)
{
	double m = 0;
	for (size_t i = 1; i < n; i++)
		m = fabs((double)x[i] - x[i - 1]) > m ? fabs((double)x[i] - x[i - 1]) : m;
	return m;
}

/* The largest sample-to-sample step of a sampled sine of amplitude a:
 * 2 a sin(pi f / rate). */
static inline double sine_max_step(double a, double freq_hz, double rate)
{
	return 2.0 * a * sin(M_PI * freq_hz / rate);
}

#endif
