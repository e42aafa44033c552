/* A tap on the bus outputs for the print recorder: the process callback
 * copies every period's bus output channels (channel-major, after a header
 * with the graph generation and the JACK frame time of the period's first
 * frame) as one record into an engine/record_ring, for the disk thread. A
 * full ring loses that period and counts it: the RT thread never waits.
 *
 * Threads: bus_tap_feed_rt on the RT thread; read and done on the disk
 * thread; the ring's idle and lost frames from any thread. */
#ifndef DUBSTAGE_ENGINE_BUS_TAP_H
#define DUBSTAGE_ENGINE_BUS_TAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dsp/rt.h"
#include "engine/graph.h"
#include "engine/record_ring.h"

struct bus_tap_header {
	uint32_t generation;
	uint32_t frames;
	uint32_t channels;
	uint32_t pad;
	uint64_t frame_time;   /* of the first frame (JACK's clock; 0 offline) */
};

struct bus_tap {
	struct record_ring ring;
};

/* A ring of `bytes`. 0, or -1 when out of memory. */
int bus_tap_init(struct bus_tap *t, size_t bytes);
void bus_tap_free(struct bus_tap *t);

RT bool bus_tap_feed_rt(struct bus_tap *t, struct graph *g, uint32_t n, uint64_t frame_time);

/* Consumer: the next whole record's header into *h and its channels
 * (channel-major) at *data. False when none is there yet. The data stay
 * valid until bus_tap_done. */
bool bus_tap_read(struct bus_tap *t, struct bus_tap_header *h, const float **data);
/* The record read last is used: its room goes back to the writer. */
void bus_tap_done(struct bus_tap *t);

#endif
