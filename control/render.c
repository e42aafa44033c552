#include "control/render.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "control/error_text.h"
#include "control/folder.h"
#include "control/snapshot.h"
#include "control/wavfile.h"
#include "engine/engine.h"
#include "engine/graph.h"
#include "engine/loudness.h"

#define BLOCK 256        /* frames per engine call, as a JACK period */
#define READ_FRAMES 8192 /* frames read from each input file at a time (whole BLOCKs) */
_Static_assert(READ_FRAMES % BLOCK == 0, "an engine call reads within one READ_FRAMES chunk");
#define SPLIT_ABOVE 8 /* --split makes mono files of buses wider than this */

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* One output file: a bus, or one channel of a split bus. */
struct out_file {
	struct wavfile *wav;
	char partial[4200], final[4200];
	uint32_t bus;
	unsigned n_ch;
	unsigned port[LAYOUT_MAX_CHANNELS]; /* output port of each file channel */
	uint32_t skip;                      /* frames still to drop: a limited master's look-ahead */
	uint64_t written;
};

struct input_file {
	SNDFILE *sf;
	SF_INFO info;
	uint32_t first_port;
	float *planar; /* READ_FRAMES per channel: what the graph reads as this input's ports */
	unsigned char *pcm24; /* a 24-bit WAV's raw frames (converted here), or NULL: libsndfile converts */
};

static void close_all(struct out_file *outs, uint32_t n_outs, struct input_file *ins, uint32_t n_ins, bool unlink_outs)
{
	for (uint32_t k = 0; k < n_outs; k++) {
		wavfile_close(outs[k].wav, NULL, 0);
		outs[k].wav = NULL;
		if (unlink_outs)
			unlink(outs[k].partial);
	}
	for (uint32_t k = 0; k < n_ins; k++) {
		if (ins[k].sf)
			sf_close(ins[k].sf);
		free(ins[k].planar);
		free(ins[k].pcm24);
	}
}

static int open_inputs(const struct console *c, const struct render_options *o, struct input_file *ins,
                       uint32_t *rate, sf_count_t *frames, char *err, size_t errlen)
{
	*frames = 0;
	*rate = o->rate ? o->rate : 48000;
	bool have_rate = false;
	for (uint32_t k = 0; k < o->n_inputs; k++) {
		const int s = console_find_strip(c, o->inputs[k].strip);
		if (s < 0)
			return error_text(err, errlen, "--input %s=%s: no strip named %s", o->inputs[k].strip, o->inputs[k].path,
			            o->inputs[k].strip);
		for (uint32_t j = 0; j < k; j++)
			if (strcmp(o->inputs[j].strip, o->inputs[k].strip) == 0)
				return error_text(err, errlen, "--input: strip %s is given two files", o->inputs[k].strip);
		ins[k].sf = sf_open(o->inputs[k].path, SFM_READ, &ins[k].info);
		if (!ins[k].sf)
			return error_text(err, errlen, "%s: cannot read: %s", o->inputs[k].path, sf_strerror(NULL));
		const unsigned want = layout_get(c->strips[s].input)->channels;
		if ((unsigned)ins[k].info.channels != want)
			return error_text(err, errlen, "%s has %d channels, strip %s takes %u (%s)", o->inputs[k].path,
			            ins[k].info.channels, c->strips[s].name, want, layout_get(c->strips[s].input)->name);
		if (!have_rate) {
			*rate = (uint32_t)ins[k].info.samplerate;
			have_rate = true;
		} else if ((uint32_t)ins[k].info.samplerate != *rate) {
			return error_text(err, errlen, "%s is at %d Hz, the session at %u Hz: files are not resampled",
			            o->inputs[k].path, ins[k].info.samplerate, *rate);
		}
		/* strip inputs are the first ports, strips in order, channels in order */
		uint32_t first = 0;
		for (int i = 0; i < s; i++)
			first += layout_get(c->strips[i].input)->channels;
		ins[k].first_port = first;
		const int container = ins[k].info.format & SF_FORMAT_TYPEMASK, ends = ins[k].info.format & SF_FORMAT_ENDMASK;
		const bool raw24 = (container == SF_FORMAT_WAV || container == SF_FORMAT_WAVEX) &&
		                   (ins[k].info.format & SF_FORMAT_SUBMASK) == SF_FORMAT_PCM_24 &&
		                   (ends == SF_ENDIAN_FILE || ends == SF_ENDIAN_LITTLE);
		ins[k].planar = malloc(sizeof(float) * READ_FRAMES * (size_t)ins[k].info.channels);
		ins[k].pcm24 = raw24 ? malloc((size_t)READ_FRAMES * 3 * (size_t)ins[k].info.channels) : NULL;
		if (!ins[k].planar || (raw24 && !ins[k].pcm24))
			return error_text(err, errlen, "out of memory");
		if (ins[k].info.frames > *frames)
			*frames = ins[k].info.frames;
	}
	if (*frames == 0)
		return error_text(err, errlen, "nothing to render: give at least one --input STRIP=FILE with audio in it");
	return 0;
}

static int open_outputs(const struct console *c, const struct render_options *o, const struct graph *g, uint32_t rate,
                        struct out_file *outs, uint32_t *n_outs, char *err, size_t errlen)
{
	*n_outs = 0;
	uint32_t port = 0;
	for (uint32_t b = 0; b < c->n_buses; b++) {
		const struct console_bus *cb = &c->buses[b];
		const struct layout *l = layout_get(cb->format);
		const uint32_t bus_port = port;
		port += l->channels;
		if (cb->role == BUS_ROLE_AUX)
			continue;
		unsigned order[LAYOUT_MAX_CHANNELS];
		wavfile_order(cb->format, order);
		const bool split = o->split && l->channels > SPLIT_ABOVE;
		for (unsigned f = 0; f < (split ? l->channels : 1); f++) {
			struct out_file *out = &outs[(*n_outs)++];
			memset(out, 0, sizeof *out);
			out->bus = b;
			out->skip = graph_bus_latency(g, b);
			out->n_ch = split ? 1 : l->channels;
			for (unsigned ch = 0; ch < out->n_ch; ch++)
				out->port[ch] = bus_port + (split ? f : order[ch]);
			char name[128];
			if (split)
				snprintf(name, sizeof name, "%s_%s.wav", cb->name, l->speakers[f].name);
			else
				snprintf(name, sizeof name, "%s.wav", cb->name);
			snprintf(out->final, sizeof out->final, "%s/%s", o->out_dir, name);
			snprintf(out->partial, sizeof out->partial, "%s/.%s.partial", o->out_dir, name);
			out->wav = wavfile_create(out->partial, cb->format, out->n_ch, rate, o->float_out, err, errlen);
			if (!out->wav)
				return -1;
		}
	}
	return 0;
}

static int write_report(const struct console *c, const struct render_options *o, struct loudness *meter,
                        const double *peak, uint64_t frames, uint32_t rate, char *err, size_t errlen)
{
	json_t *root = json_object(), *buses = json_object();
	json_object_set_new(root, "dubstage_render", json_integer(1));
	json_object_set_new(root, "console", json_string(c->name ? c->name : ""));
	json_object_set_new(root, "sample_rate", json_integer(rate));
	json_object_set_new(root, "duration_s", json_real((double)frames / rate));
	for (uint32_t b = 0; b < c->n_buses; b++) {
		if (c->buses[b].role == BUS_ROLE_AUX)
			continue;
		struct loudness_readout r;
		loudness_read(meter, b, &r);
		json_t *bus = json_object();
		json_object_set_new(bus, "format", json_string(layout_get(c->buses[b].format)->name));
		json_object_set_new(bus, "integrated_lufs", isfinite(r.integrated) ? json_real(r.integrated) : json_null());
		json_object_set_new(bus, "loudness_range_lu", json_real(r.range));
		json_object_set_new(bus, "max_true_peak_dbtp", isfinite(r.true_peak) ? json_real(r.true_peak) : json_null());
		json_object_set_new(bus, "sample_peak_dbfs", peak[b] > 0 ? json_real(20.0 * log10(peak[b])) : json_null());
		if (c->buses[b].has_dialogue)
			json_object_set_new(bus, "dialogue_gated_lufs", isfinite(r.dialogue) ? json_real(r.dialogue) : json_null());
		json_object_set_new(buses, c->buses[b].name, bus);
	}
	json_object_set_new(root, "buses", buses);
	char tmp[4200], final[4200];
	snprintf(final, sizeof final, "%s/report.json", o->out_dir);
	snprintf(tmp, sizeof tmp, "%s/.report.json.partial", o->out_dir);
	const int rc = json_dump_file(root, tmp, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
	json_decref(root);
	if (rc != 0 || rename(tmp, final) != 0) {
		unlink(tmp);
		return error_text(err, errlen, "cannot write %s", final);
	}
	return 0;
}

int render_run(struct console *c, const struct render_options *o, struct render_result *r, char *err, size_t errlen)
{
	memset(r, 0, sizeof *r);
	struct input_file *ins = calloc(o->n_inputs + 1, sizeof *ins);
	struct out_file *outs = calloc((size_t)c->n_buses * LAYOUT_MAX_CHANNELS + 1, sizeof *outs);
	uint32_t n_outs = 0, rate;
	sf_count_t in_frames;
	struct engine *e = NULL;
	struct loudness *meter = NULL;
	float *bufs = NULL, *inter = NULL;
	double *peak = calloc(c->n_buses + 1, sizeof *peak);
	int rc = -1;
	if (!ins || !outs || !peak) {
		error_text(err, errlen, "out of memory");
		goto done;
	}
	/* Everything that can be wrong is found before the first output file. */
	if (open_inputs(c, o, ins, &rate, &in_frames, err, errlen) < 0)
		goto done;
	if (o->snapshot) {
		if (!c->snapshot_dir) {
			error_text(err, errlen, "--snapshot %s: the config has no \"snapshots\" folder", o->snapshot);
			goto done;
		}
		struct snapshot_recall *sr = snapshot_read(c, c->snapshot_dir, o->snapshot, 0, err, errlen);
		if (!sr)
			goto done;
		snapshot_recall_apply_model(sr, c);
		if (sr->n_unmatched)
			fprintf(stderr, "dubstage render: snapshot %s: not in this console: %s\n", o->snapshot, sr->unmatched);
		snapshot_recall_free(sr);
	}
	if (folder_make(o->out_dir, err, errlen) < 0)
		goto done;
	console_drop_monitor(c); /* no file is made of it: the stems and masters are the same without */
	e = engine_create(rate);
	struct graph *g = e ? graph_build(c, NULL, (float)rate, err, errlen) : NULL;
	if (!g)
		goto done;
	graph_settle(g);
	graph_unmeter(g);
	meter = loudness_create(rate, 0.0f, err, errlen); /* offline: measured here, below */
	if (!meter || loudness_set_buses(meter, engine_next_generation(e), c, err, errlen) < 0) {
		graph_free(g);
		goto done;
	}
	engine_publish(e, g);
	if (open_outputs(c, o, g, rate, outs, &n_outs, err, errlen) < 0)
		goto done;
	/* unfed strip inputs read silence; the outputs get one buffer each */
	bufs = calloc((size_t)(graph_ports(g)->n_out + 1) * BLOCK, sizeof *bufs);
	inter = malloc(sizeof(float) * READ_FRAMES * LAYOUT_MAX_CHANNELS);
	if (!bufs || !inter) {
		error_text(err, errlen, "out of memory");
		goto done;
	}
	const float *silence = bufs;
	uint32_t most_late = 0;
	for (uint32_t k = 0; k < n_outs; k++)
		most_late = outs[k].skip > most_late ? outs[k].skip : most_late;
	/* the inputs, then as long again as a master's look-ahead, so every file ends with the inputs */
	const uint64_t total = (uint64_t)in_frames + most_late;
	const double t0 = now_s();
	int shown = -1;
	for (uint64_t pos = 0; pos < total; pos += BLOCK) {
		const uint32_t n = total - pos < BLOCK ? (uint32_t)(total - pos) : BLOCK;
		const uint32_t at = (uint32_t)(pos % READ_FRAMES);
		if (at == 0) /* the next READ_FRAMES of every input, deinterleaved; zeros past its end */
			for (uint32_t k = 0; k < o->n_inputs; k++) {
				const int ch = ins[k].info.channels;
				float *frames = ch == 1 ? ins[k].planar : inter; /* a mono file is its own planar block */
				sf_count_t got;
				if (ins[k].pcm24) {
					got = sf_read_raw(ins[k].sf, ins[k].pcm24, (sf_count_t)READ_FRAMES * 3 * ch) / (3 * ch);
					wavfile_pcm24_to_float(ins[k].pcm24, (size_t)got * (size_t)ch, frames);
				} else {
					got = sf_readf_float(ins[k].sf, frames, READ_FRAMES);
				}
				for (int c2 = 0; c2 < ch; c2++) {
					float *dst = ins[k].planar + (size_t)c2 * READ_FRAMES;
					for (sf_count_t f = 0; ch > 1 && f < got; f++)
						dst[f] = inter[f * ch + c2];
					memset(dst + got, 0, sizeof(float) * (size_t)(READ_FRAMES - got));
				}
			}
		struct graph *cur = engine_begin_rt(e);
		struct graph_ports *cp = graph_ports(cur);
		for (uint32_t i = 0; i < cp->n_in; i++)
			cp->in[i] = silence;
		for (uint32_t k = 0; k < o->n_inputs; k++)
			for (int c2 = 0; c2 < ins[k].info.channels; c2++)
				cp->in[ins[k].first_port + (uint32_t)c2] = ins[k].planar + (size_t)c2 * READ_FRAMES + at;
		for (uint32_t i = 0; i < cp->n_out; i++)
			cp->out[i] = bufs + (size_t)(1 + i) * BLOCK;
		engine_end_rt(e, cur, n);
		loudness_measure(meter, cur, n);
		for (uint32_t k = 0; k < n_outs; k++) {
			struct out_file *of = &outs[k];
			const uint32_t drop = of->skip < n ? of->skip : n;
			of->skip -= drop;
			const uint32_t keep = n - drop;
			/* every file holds exactly the inputs' length */
			const uint32_t room = (uint64_t)in_frames - of->written < keep ? (uint32_t)((uint64_t)in_frames - of->written)
			                                                                 : keep;
			const float *channel[LAYOUT_MAX_CHANNELS];
			for (unsigned c2 = 0; c2 < of->n_ch; c2++)
				channel[c2] = cp->out[of->port[c2]] + drop;
			float most = (float)peak[of->bus];
			if (wavfile_write(of->wav, channel, room, &most, err, errlen) < 0)
				goto done;
			peak[of->bus] = most;
			of->written += room;
		}
		const int pct = (int)(100 * (pos + n) / total);
		if (o->progress && pct != shown) {
			shown = pct;
			const double t = now_s() - t0;
			fprintf(stderr, "\rrendering %3d%% (%.0fx real time)", pct, t > 0 ? (double)(pos + n) / rate / t : 0.0);
		}
	}
	if (o->progress)
		fputc('\n', stderr);
	r->frames = (uint64_t)in_frames;
	r->rate = rate;
	r->seconds = now_s() - t0;
	r->realtime = r->seconds > 0 ? (double)in_frames / rate / r->seconds : 0;
	loudness_drain(meter);
	for (uint32_t k = 0; k < n_outs; k++) {
		const int closed = wavfile_close(outs[k].wav, err, errlen);
		outs[k].wav = NULL;
		if (closed < 0)
			goto done;
	}
	/* only now do the files get their names: an interrupted render leaves
	 * nothing that looks complete */
	for (uint32_t k = 0; k < n_outs; k++)
		if (rename(outs[k].partial, outs[k].final) != 0) {
			error_text(err, errlen, "cannot rename %s: %s", outs[k].partial, strerror(errno));
			goto done;
		}
	r->files = n_outs;
	if (write_report(c, o, meter, peak, (uint64_t)in_frames, rate, err, errlen) < 0)
		goto done;
	folder_sync(o->out_dir);
	rc = 0;
done:
	close_all(outs, n_outs, ins, o->n_inputs, rc != 0);
	loudness_destroy(meter);
	engine_destroy(e);
	free(bufs);
	free(inter);
	free(ins);
	free(outs);
	free(peak);
	return rc;
}
