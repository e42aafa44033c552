/* The offline render: the console's graph (the same code the JACK callback
 * runs, through engine_begin_rt/engine_end_rt) over sound files, as fast as
 * the machine goes, writing every stem and master as WAV and a report of
 * their loudness. Control thread only. */
#ifndef DUBSTAGE_CONTROL_RENDER_H
#define DUBSTAGE_CONTROL_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/console.h"

#define RENDER_MAX_INPUTS 1024

struct render_input {
	const char *strip;    /* strip name */
	const char *path;
};

struct render_options {
	struct render_input inputs[RENDER_MAX_INPUTS];
	uint32_t n_inputs;
	const char *snapshot; /* recalled before rendering, or NULL */
	const char *out_dir;
	bool split;           /* one mono WAV per channel for buses wider than 8 channels */
	bool float_out;       /* 32-bit float instead of 24-bit PCM */
	bool progress;        /* a progress bar on stderr */
	uint32_t rate;        /* used when no input file gives one */
};

struct render_result {
	uint64_t frames;
	uint32_t rate;
	double seconds;       /* wall time */
	double realtime;      /* audio seconds per wall second */
	uint32_t files;
};

/* Renders c (which it changes: the snapshot). Returns 0, or -1 with err. */
int render_run(struct console *c, const struct render_options *o, struct render_result *r, char *err,
               size_t errlen);

#endif
