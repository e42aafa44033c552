#!/usr/bin/env bash
# How steady this machine is (not part of the default test run): the same
# fixed piece of arithmetic (no memory traffic, about 200 us on this VM
# kind), timed PERIODS times pinned to CPU (as `dubstage bench` runs), with
# its median, p99 and worst. Work that never changes shows the worst periods
# the machine itself adds: read `dubstage bench`'s worst period against it.
#   scripts/noise_floor.sh [PERIODS (3751: 5 s of 64-frame periods)] [CPU (1)]
set -euo pipefail
cd "$(dirname "$0")/.."
periods="${1:-3751}"
cpu="${2:-1}"
command -v cc >/dev/null || scripts/deps.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat >"$work/floor.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static int cmp(const void *a, const void *b)
{
	const double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}
int main(int argc, char **argv)
{
	const int n = atoi(argv[1]);
	double *ns = malloc(sizeof *ns * (size_t)n);
	static float table[1024];
	for (int i = 0; i < 1024; i++)
		table[i] = (float)i * 1e-6f;
	volatile float sink = 0.0f;
	for (int k = 0; k < n; k++) {
		struct timespec a, b;
		clock_gettime(CLOCK_MONOTONIC, &a);
		float s = 0.0f;
		for (long i = 0; i < 380000; i++)
			s += table[i & 1023] * 1.0001f;
		sink += s;
		clock_gettime(CLOCK_MONOTONIC, &b);
		ns[k] = (double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec);
	}
	qsort(ns, (size_t)n, sizeof *ns, cmp);
	const double median = ns[n / 2];
	printf("fixed work, %d runs: median %.0f us, p99 %.0f us (%+.0f %%), worst %.0f us (%+.0f %%)\n", n, median / 1e3,
	       ns[(int)(n * 0.99)] / 1e3, 100.0 * (ns[(int)(n * 0.99)] / median - 1.0), ns[n - 1] / 1e3,
	       100.0 * (ns[n - 1] / median - 1.0));
	return 0;
}
C
cc -O2 -o "$work/floor" "$work/floor.c"
taskset -c "$cpu" "$work/floor" "$periods"
