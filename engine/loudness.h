/* Loudness metering of the stems and masters (ITU-R BS.1770-4, EBU R128,
 * EBU Tech 3342 loudness range), with engine/bs1770 off the RT thread.
 *
 * The RT thread does the part that reads the audio, on the bus outputs
 * (engine/graph, dsp/k_weighting): the K-weighting, each bus's
 * channel-weighted energy over 100 ms steps, and the true peak (BS.1770-4
 * Annex 2, the bus meters', on every channel, LFE included). Every period
 * loudness_feed_rt hands the steps that ended, and each bus's true peak and
 * reset count, to an engine/record_ring (a few hundred bytes, no waiting;
 * a full ring loses that period and counts its frames). A thread of its own reads
 * the ring and feeds one bs1770 measurement per stem and master, which keeps
 * the blocks and short-term values the gated figures need; the control
 * thread reads the results through atomics. Channel weights follow
 * BS.1770-4 by position (k_weighting_channel_weight). A bus with a
 * "dialogue" stem also reads its dialogue-gated integrated loudness: its
 * blocks while that stem speaks. Measurements carry over a reload by bus
 * name and format. A reset is a graph command (GRAPH_OP_BUS_LOUDNESS_RESET):
 * it takes effect in the audio stream, and the measurement starts at the
 * next 100 ms step.
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

/* ring_seconds: how long the ring holds records while the meter thread is
 * busy (at 64-frame periods, with records of up to 512 bytes: 40 buses);
 * 0: offline, no ring and no thread: the caller measures with
 * loudness_measure. */
struct loudness *loudness_create(uint32_t sample_rate, float ring_seconds, char *err, size_t errlen);
void loudness_destroy(struct loudness *l);

/* The buses of the graph about to be published as `generation` (call it
 * before engine_publish: engine_next_generation). */
int loudness_set_buses(struct loudness *l, uint32_t generation, const struct console *c, char *err, size_t errlen);

/* RT: the loudness record of the period of n frames just processed by g.
 * Returns false (and counts the frames as lost) when the ring is full. */
RT bool loudness_feed_rt(struct loudness *l, struct graph *g, uint32_t n);

/* Offline (a render, made with ring_seconds 0): the same, measured on the
 * caller's thread, no ring. */
void loudness_measure(struct loudness *l, struct graph *g, uint32_t n);

/* Waits until the meter thread has measured everything fed so far. */
void loudness_drain(struct loudness *l);
void loudness_read(struct loudness *l, uint32_t b, struct loudness_readout *out);
uint64_t loudness_lost_frames(const struct loudness *l);

#endif
