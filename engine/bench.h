/* Offline benchmark: runs the real engine (engine_begin_rt / engine_end_rt,
 * the same calls the JACK process callback makes) on generated input, with no
 * JACK server, and reports the time per period. Control thread. */
#ifndef DUBSTAGE_ENGINE_BENCH_H
#define DUBSTAGE_ENGINE_BENCH_H

#include <stdint.h>
#include <stdio.h>

#include "engine/console.h"

struct bench_options {
	uint32_t period;      /* frames */
	uint32_t rate;        /* Hz */
	double seconds;       /* of audio */
	unsigned threads;     /* 1, or 2: with the engine's worker thread */
	uint32_t rebuild_every; /* periods; 0: never. Else a graph of the same console, built
	                         * against the running one (untimed, as the control thread
	                         * does), is published before every such period: a reload's
	                         * or a recall's worst case, the takeover (graph_adopt_rt) */
};

struct bench_result {
	uint64_t periods;
	double median_ns, p99_ns, worst_ns, period_ns;
	uint32_t strips;
	uint32_t chunks;                    /* the strips' chunks (graph_chunk_count) */
	uint64_t worker_tasks, taken_back;  /* with a worker: worker_tasks_run, _taken_back */
	uint64_t rebuilds;                  /* periods that took a new graph over */
	double rebuild_median_ns, rebuild_worst_ns;
};

/* Returns 0, or -1 with a message in err. */
int bench_run(const struct console *c, const struct bench_options *o,
              struct bench_result *r, char *err, size_t errlen);
void bench_print(const struct bench_result *r, const struct bench_options *o, FILE *out);

#endif
