/* Test signals and level measurement shared by the test suites. */
#ifndef DUBSTAGE_TESTS_SIGNAL_UTIL_H
#define DUBSTAGE_TESTS_SIGNAL_UTIL_H

#include <math.h>
#include <stddef.h>

/* A scalar reference for a vector kernel: kept out of line and, with GCC,
 * not vectorised, so it is the plain one-sample-at-a-time loop. */
#if defined(__clang__)
#define SCALAR_REFERENCE __attribute__((noinline))
#else
#define SCALAR_REFERENCE __attribute__((optimize("no-tree-vectorize"), noinline))
#endif

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

/* How far y (a sine of freq_hz whose level may change) steps beyond what a
 * sine of its own local amplitude can: the largest |y[i] - y[i-1]| divided by
 * sine_max_step of the peak within one period either side of i. A smooth
 * level change stays near 1; a click or a step in gain shows as far more. */
static inline double worst_step_ratio(const float *y, size_t n, double freq_hz, double rate)
{
	const size_t w = (size_t)ceil(rate / freq_hz);
	double worst = 0;
	for (size_t i = 1; i < n; i++) {
		const size_t lo = i > w ? i - w : 0, hi = i + w < n ? i + w : n;
		const double local = peak_abs(y + lo, hi - lo);
		const double step = fabs((double)y[i] - y[i - 1]);
		const double allowed = sine_max_step(local, freq_hz, rate) + 1e-6;
		worst = step / allowed > worst ? step / allowed : worst;
	}
	return worst;
}

#endif
