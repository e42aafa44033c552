/* A console compiled into a graph and run on test buffers, without JACK:
 * every input port plays its own long buffer, every output port records. */
#ifndef DUBSTAGE_TESTS_GRAPH_RIG_H
#define DUBSTAGE_TESTS_GRAPH_RIG_H

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "control/config.h"
#include "engine/graph.h"

struct rig {
	struct console *console;
	struct graph *graph;
	size_t frames;       /* length of every buffer */
	float **in, **out;   /* [port][frame] */
	size_t pos;          /* frames run so far */
	float rate;
};

static inline void rig_open_rate(struct rig *r, const char *config_text, size_t frames, float rate)
{
	char err[1024];
	memset(r, 0, sizeof *r);
	r->console = config_load_text(config_text, "rig", err, sizeof err);
	ck_assert_msg(r->console != NULL, "%s", err);
	r->rate = rate;
	r->graph = graph_build(r->console, NULL, rate, err, sizeof err);
	ck_assert_msg(r->graph != NULL, "%s", err);
	struct graph_ports *p = graph_ports(r->graph);
	r->frames = frames;
	r->in = calloc(p->n_in, sizeof *r->in);
	r->out = calloc(p->n_out, sizeof *r->out);
	for (uint32_t i = 0; i < p->n_in; i++)
		r->in[i] = calloc(frames, sizeof(float));
	for (uint32_t i = 0; i < p->n_out; i++)
		r->out[i] = calloc(frames, sizeof(float));
}

static inline void rig_open(struct rig *r, const char *config_text, size_t frames)
{
	rig_open_rate(r, config_text, frames, 48000.0f);
}

/* Runs n more frames in periods of `period`, with worker w (NULL: none). */
static inline void rig_run_on(struct rig *r, size_t n, uint32_t period, struct worker *w)
{
	struct graph_ports *p = graph_ports(r->graph);
	ck_assert_uint_le(r->pos + n, r->frames);
	for (size_t end = r->pos + n; r->pos < end; r->pos += period) {
		for (uint32_t i = 0; i < p->n_in; i++)
			p->in[i] = r->in[i] + r->pos;
		for (uint32_t i = 0; i < p->n_out; i++)
			p->out[i] = r->out[i] + r->pos;
		graph_process_rt(r->graph, period, 0, 0, w);
	}
}

static inline void rig_run(struct rig *r, size_t n, uint32_t period)
{
	rig_run_on(r, n, period, NULL);
}

static inline void rig_cmd(struct rig *r, enum graph_op op, uint32_t index, float value)
{
	struct graph_cmd c = {.op = (uint16_t)op, .index = index};
	c.value[0] = value;
	graph_apply_rt(r->graph, &c);
}

/* A new graph of the same console, built against the running one and
 * taking it over as the RT thread does (engine_begin_rt). Returns the old
 * graph: free it after the next run (the new one takes its strips over
 * while it processes). */
static inline struct graph *rig_rebuild(struct rig *r)
{
	char err[1024];
	struct graph *old = r->graph;
	graph_set_generation(old, graph_generation(old) + 1);
	struct graph *g = graph_build(r->console, old, r->rate, err, sizeof err);
	ck_assert_msg(g != NULL, "%s", err);
	graph_set_generation(g, graph_generation(old) + 1);
	graph_adopt_rt(g, old);
	r->graph = g;
	return old;
}

static inline void rig_close(struct rig *r)
{
	struct graph_ports *p = graph_ports(r->graph);
	for (uint32_t i = 0; i < p->n_in; i++)
		free(r->in[i]);
	for (uint32_t i = 0; i < p->n_out; i++)
		free(r->out[i]);
	free(r->in);
	free(r->out);
	graph_free(r->graph);
	console_free(r->console);
}

#endif
