/* Loudness metering of the stems and masters (ITU-R BS.1770-4, EBU R128,
 * EBU Tech 3342 loudness range), by engine/bs1770, off the RT thread.
 *
 * The process callback hands every period's bus outputs to a lock-free ring
 * (loudness_feed_rt: one copy, no waiting; a full ring loses that period and
 * counts it). A thread of its own reads the ring and feeds one bs1770
 * measurement per stem and master; the control thread reads the results through
 * atomics. Channel weights follow BS.1770-4 by position: ear-layer
 * loudspeakers between 60 and 120 degrees off centre (Ls, Rs in 5.1; Lss,
 * Rss in 7.1) weigh 1.41 (+1.5 dB), every other one 1.0, the top layer too;
 * LFE is left out. True peak is BS.1770-4 Annex 2 (dsp/true_peak), on every
 * channel, LFE included. A bus with a "dialogue" stem also reads its
 * dialogue-gated integrated loudness: its blocks while that stem speaks.
 * Measurements carry over a reload by bus name and format.
 *
 * Threads: loudness_feed_rt on the RT thread; the rest on the control thread. */
#ifndef DUBSTAGE_ENGINE_LOUDNESS_H
#define DUBSTAGE_ENGINE_LOUDNESS_H

#include <stdbool.h>
#include <stdint.h>

#include "dsp/rt.h"
#include "engine/console.h"
#include "engine/graph.h"

struct loudness;

/* Values in LUFS / LU / dBTP; -inf (or 0 LU) before there is enough audio. */
struct loudness_readout {
	float momentary;   /* 400 ms */
	float short_term;  /* 3 s */
	float integrated;  /* gated, since the last reset */
	float range;       /* LRA, EBU Tech 3342 */
	float true_peak;   /* the most of any channel since the last reset */
	float dialogue;    /* dialogue-gated integrated (engine/bs1770), with a "dialogue" stem; else -inf */
	bool measured;     /* the bus is measured (stems and masters) */
};

/* ring_seconds: how much audio the ring holds while the meter thread is busy;
 * 0: offline, no ring and no thread: the caller measures with
 * loudness_measure. */
struct loudness *loudness_create(uint32_t sample_rate, float ring_seconds, char *err, size_t errlen);
void loudness_destroy(struct loudness *l);

/* The buses of the graph about to be published as `generation` (call it
 * before engine_publish: engine_next_generation). */
int loudness_set_buses(struct loudness *l, uint32_t generation, const struct console *c, char *err, size_t errlen);

/* RT: the bus outputs of the period just processed by g. Returns false (and
 * counts the frames as lost) when the ring is full. */
RT bool loudness_feed_rt(struct loudness *l, struct graph *g, uint32_t n);

/* Offline (a render, made with ring_seconds 0): one period of the bus
 * outputs of the graph of `generation` (graph_generation), measured on the
 * caller's thread. Bus channel c's frames start at outputs + c *
 * channel_stride; channels is graph_bus_channels. No copy, no ring: on one
 * core the meter thread's copies and wake-ups cost a render more than they
 * overlap. */
void loudness_measure(struct loudness *l, uint32_t generation, const float *outputs, uint32_t channels,
                      uint32_t frames, size_t channel_stride);

/* Waits until the meter thread has measured everything fed so far. */
void loudness_drain(struct loudness *l);
/* Starts bus b's measurement again (the integrated value, range, true peak). */
void loudness_reset(struct loudness *l, uint32_t b);
void loudness_read(struct loudness *l, uint32_t b, struct loudness_readout *out);
uint64_t loudness_lost_frames(const struct loudness *l);

#endif
