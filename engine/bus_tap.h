/* A tap on the bus outputs: the process callback copies every period's bus
 * output channels (channel-major, with the graph generation and the JACK
 * frame time of the period's first frame) into a lock-free single-producer
 * single-consumer ring, for a consumer thread off the RT path (the print
 * recorder's disk thread; the loudness meter takes 100 ms energies, not
 * audio: engine/loudness). A full ring loses that period and counts it:
 * the RT thread never waits. */
#ifndef DUBSTAGE_ENGINE_BUS_TAP_H
#define DUBSTAGE_ENGINE_BUS_TAP_H

#include <jack/ringbuffer.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dsp/rt.h"
#include "engine/graph.h"

struct bus_tap_header {
	uint32_t generation;
	uint32_t frames;
	uint32_t channels;
	uint32_t pad;
	uint64_t frame_time;   /* of the first frame (JACK's clock; 0 offline) */
};

struct bus_tap {
	jack_ringbuffer_t *ring;
	atomic_uint_fast64_t lost_frames, fed, done;
	float *record;         /* the consumer's copy of a record that runs round the ring's end */
	size_t record_cap;     /* floats */
	size_t pending;        /* bytes of the record being read, freed by bus_tap_done */
};

/* A ring of `bytes`, its pages touched now. 0, or -1 when out of memory. */
int bus_tap_init(struct bus_tap *t, size_t bytes);
void bus_tap_free(struct bus_tap *t);

RT bool bus_tap_feed_rt(struct bus_tap *t, struct graph *g, uint32_t n, uint64_t frame_time);

/* Consumer: the next whole record's header into *h and its channels
 * (channel-major) at *data: in place in the ring, or a copy when it runs
 * round the ring's end. False when none is there yet. The data stay valid,
 * and the writer keeps off them, until bus_tap_done. */
bool bus_tap_read(struct bus_tap *t, struct bus_tap_header *h, const float **data);
/* The record read last is used: its room goes back to the writer. */
void bus_tap_done(struct bus_tap *t);
/* Whether the consumer has used every record fed so far. */
bool bus_tap_idle(struct bus_tap *t);

#endif
