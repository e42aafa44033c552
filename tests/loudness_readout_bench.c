/* What one loudness readout costs after a long measurement (not a test of
 * the default run): HOURS of one channel whose level jumps every second,
 * fed to engine/bs1770 at 4.8 kHz (the block and short-term lists grow by
 * 10 values a second whatever the rate, so hours are quick to make), then
 * the integrated loudness and the loudness range read as the loudness
 * thread reads them for each measured bus, ten times a second.
 *   build/tests/loudness_readout_bench [HOURS (2)] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "engine/bs1770.h"

static double seconds_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
	const double hours = argc > 1 ? atof(argv[1]) : 2.0;
	if (!(hours > 0.0 && hours <= 24.0)) {
		fprintf(stderr, "usage: loudness_readout_bench [HOURS in (0, 24]]\n");
		return 2;
	}
	enum { RATE = 4800 };
	const double w[1] = {1.0};
	struct bs1770 m;
	bs1770_init(&m, RATE, 1, w);
	static float x[RATE];
	uint32_t seed = 1;
	const double t_feed = seconds_now();
	for (long s = 0; s < (long)(hours * 3600.0); s++) {
		const double amp = pow(10.0, (-40.0 + 5.0 * (double)(s % 7)) / 20.0);
		for (int i = 0; i < RATE; i++) {
			seed = seed * 1664525u + 1013904223u;
			x[i] = (float)(amp * ((double)(seed >> 8) / (double)(1u << 24) * 2.0 - 1.0));
		}
		bs1770_add(&m, x, RATE);
	}
	const double fed = seconds_now() - t_feed;
	enum { READOUTS = 50 };
	double sum = 0.0;
	const double t0 = seconds_now();
	for (int r = 0; r < READOUTS; r++)
		sum += bs1770_integrated(&m) + bs1770_range(&m);
	const double per = (seconds_now() - t0) / READOUTS;
	printf("%.2f h measured: %zu blocks, %zu short-term values (fed in %.1f s); one readout of integrated + range: "
	       "%.3f ms (%.4f LUFS, %.4f LU); at 10 readouts a second, %.2f %% of a core per measured bus\n",
	       hours, m.n_blocks, m.n_short_terms, fed, per * 1e3, bs1770_integrated(&m), bs1770_range(&m), per * 10 * 100);
	bs1770_free(&m);
	return isfinite(sum) ? 0 : 1;
}
