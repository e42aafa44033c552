#include "engine/bench.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/engine.h"
#include "engine/graph.h"
#include "engine/rt_guard.h"
#include "engine/worker.h"

static int cmp_double(const void *a, const void *b)
{
	const double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int bench_run(const struct console *c, const struct bench_options *o,
              struct bench_result *r, char *err, size_t errlen)
{
	struct engine *e = engine_create(o->rate);
	if (!e) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	struct graph *g = graph_build(c, NULL, (float)o->rate, err, errlen);
	if (!g) {
		engine_destroy(e);
		return -1;
	}
	if (o->threads > 1 && engine_start_worker(e, 0, err, errlen) < 0) {
		graph_free(g);
		engine_destroy(e);
		return -1;
	}
	engine_publish(e, g);
	struct graph_ports *p = graph_ports(g);
	float *in = aligned_alloc(64, sizeof(float) * o->period * (p->n_in ? p->n_in : 1));
	float *out = aligned_alloc(64, sizeof(float) * o->period * (p->n_out ? p->n_out : 1));
	const uint64_t periods = (uint64_t)(o->seconds * o->rate / o->period) + 1;
	double *ns = malloc(sizeof(double) * periods);
	double *rebuild_ns = malloc(sizeof(double) * periods);
	if (!in || !out || !ns || !rebuild_ns) {
		free(in), free(out), free(ns), free(rebuild_ns);
		engine_destroy(e);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* Uncorrelated noise at about -20 dBFS, so nothing is silent or denormal. */
	uint32_t seed = 1;
	for (size_t i = 0; i < (size_t)o->period * p->n_in; i++) {
		seed = seed * 1664525u + 1013904223u;
		in[i] = ((float)(seed >> 8) / 16777216.0f - 0.5f) * 0.2f;
	}
	memset(out, 0, sizeof(float) * o->period * p->n_out);

	uint64_t rebuilds = 0;
	int rc = 0;
	for (uint64_t k = 0; k < periods && rc == 0; k++) {
		const bool rebuild = o->rebuild_every && k % o->rebuild_every == o->rebuild_every - 1;
		if (rebuild) {
			struct graph *next = graph_build(c, engine_graph(e), (float)o->rate, err, errlen);
			if (!next) {
				rc = -1;
				break;
			}
			engine_publish(e, next);
		}
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		rt_guard_enter();
		struct graph *cur = engine_begin_rt(e);
		struct graph_ports *cp = graph_ports(cur);
		for (uint32_t i = 0; i < cp->n_in; i++)
			cp->in[i] = in + (size_t)i * o->period;
		for (uint32_t i = 0; i < cp->n_out; i++)
			cp->out[i] = out + (size_t)i * o->period;
		engine_end_rt(e, cur, o->period);
		rt_guard_leave();
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ns[k] = (double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec);
		if (rebuild) {
			rebuild_ns[rebuilds++] = ns[k];
			engine_collect(e, false); /* the RT side has let the old graph go */
		}
	}
	if (rc < 0)
		goto done;
	qsort(rebuild_ns, rebuilds, sizeof *rebuild_ns, cmp_double);
	r->rebuilds = rebuilds;
	r->rebuild_median_ns = rebuilds ? rebuild_ns[rebuilds / 2] : 0.0;
	r->rebuild_worst_ns = rebuilds ? rebuild_ns[rebuilds - 1] : 0.0;
	qsort(ns, periods, sizeof *ns, cmp_double);
	r->periods = periods;
	r->median_ns = ns[periods / 2];
	r->p99_ns = ns[(size_t)((double)periods * 0.99)];
	r->worst_ns = ns[periods - 1];
	r->period_ns = 1e9 * o->period / o->rate;
	r->strips = c->n_strips;
	r->chunks = graph_chunk_count(engine_graph(e)); /* g itself may be freed: --rebuild */
	const struct worker *w = engine_worker(e);
	r->worker_tasks = w ? worker_tasks_run(w) : 0;
	r->taken_back = w ? worker_tasks_taken_back(w) : 0;
done:
	free(rebuild_ns);
	free(ns);
	free(in);
	free(out);
	engine_destroy(e);
	return rc;
}

void bench_print(const struct bench_result *r, const struct bench_options *o, FILE *out)
{
	const double samples = (double)r->strips * o->period;
	fprintf(out, "bench: %u strips, %u frames at %u Hz, %llu periods (%.1f s of audio), %u thread%s\n",
	        r->strips, o->period, o->rate, (unsigned long long)r->periods,
	        (double)r->periods * o->period / o->rate, o->threads, o->threads > 1 ? "s" : "");
	if (o->threads > 1)
		fprintf(out, "  strips in %u chunks; worker tasks: %llu run by the worker, %llu taken back by the process thread\n",
		        r->chunks, (unsigned long long)r->worker_tasks, (unsigned long long)r->taken_back);
	fprintf(out, "  per period: median %.0f ns, p99 %.0f ns, worst %.0f ns (budget %.0f ns)\n",
	        r->median_ns, r->p99_ns, r->worst_ns, r->period_ns);
	fprintf(out, "  share of the period: median %.1f %%, p99 %.1f %%, worst %.1f %%\n",
	        100.0 * r->median_ns / r->period_ns, 100.0 * r->p99_ns / r->period_ns,
	        100.0 * r->worst_ns / r->period_ns);
	if (r->rebuilds)
		fprintf(out, "  periods taking a rebuilt graph over (%llu, every %u): median %.1f %%, worst %.1f %%\n",
		        (unsigned long long)r->rebuilds, o->rebuild_every, 100.0 * r->rebuild_median_ns / r->period_ns,
		        100.0 * r->rebuild_worst_ns / r->period_ns);
	if (r->strips)
		fprintf(out, "  per strip-sample: %.2f ns (median)\n", r->median_ns / samples);
	fprintf(out, "  strips %s sustain%s: %.0f at the median, %.0f at p99 (100 %% of the period)\n",
	        o->threads > 1 ? "two cores" : "one core", o->threads > 1 ? "" : "s",
	        r->median_ns > 0 ? r->strips * r->period_ns / r->median_ns : 0.0,
	        r->p99_ns > 0 ? r->strips * r->period_ns / r->p99_ns : 0.0);
}
