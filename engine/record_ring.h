/* A lock-free single-producer single-consumer ring of whole records, from
 * the RT thread to one consumer thread (the loudness meter, the print
 * recorder's disk thread). A record is written only when all of it fits:
 * otherwise it is lost and its frames counted, and the RT thread never
 * waits. The consumer sees a record only once all of it is there, reads it
 * in place (or a copy when it runs round the ring's end) and gives its room
 * back when done with it.
 *
 * Threads: record_ring_*_rt on the producer (RT) thread; read, done and
 * idle on the consumer thread; lost_frames and idle from any thread; init
 * and free while neither runs. */
#ifndef DUBSTAGE_ENGINE_RECORD_RING_H
#define DUBSTAGE_ENGINE_RECORD_RING_H

#include <jack/ringbuffer.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dsp/rt.h"

/* Records start on this boundary in the ring (and in a copy), so a payload
 * of doubles or floats can be read in place. */
#define RECORD_RING_ALIGN 8

struct record_ring {
	jack_ringbuffer_t *ring;
	atomic_uint_fast64_t lost_frames, fed, done;
	size_t writing_pad;    /* producer: padding still owed by the record being written */
	void *copy;            /* consumer: a record that runs round the ring's end */
	size_t copy_cap;
	size_t pending;        /* consumer: the ring bytes of the record read, freed by done */
};

/* A ring of at least `bytes` (its pages touched now, so the RT thread's
 * writes fault none in) and a consumer copy of `copy_bytes` (it grows off
 * the RT thread when a longer record runs round the end). 0, or -1 when out
 * of memory. */
int record_ring_init(struct record_ring *r, size_t bytes, size_t copy_bytes);
/* Also on a ring that init failed for, or a zeroed struct record_ring (no
 * ring: it reads as idle, with nothing lost). */
void record_ring_free(struct record_ring *r);

/* Producer: starts a record of `bytes`, for `frames` of audio. False, and
 * the frames are counted as lost, when it does not fit: then nothing of it
 * may be put. */
RT bool record_ring_begin_rt(struct record_ring *r, size_t bytes, uint32_t frames);
/* Producer: the next `bytes` of the record begun. */
RT void record_ring_put_rt(struct record_ring *r, const void *data, size_t bytes);
/* Producer: the record begun is whole (exactly its bytes were put). */
RT void record_ring_end_rt(struct record_ring *r);
/* Producer: begin, put and end of a record in one piece. */
RT bool record_ring_write_rt(struct record_ring *r, const void *data, size_t bytes, uint32_t frames);

/* Consumer: the next whole record (RECORD_RING_ALIGN-aligned) and its size,
 * or NULL when none is there yet. It stays valid, and the producer keeps off
 * it, until record_ring_done. A record that runs round the end when no copy
 * can be made (out of memory) is lost, and counted. */
const void *record_ring_read(struct record_ring *r, size_t *bytes, uint32_t *frames);
/* Consumer: the record read last is used; its room goes back to the producer. */
void record_ring_done(struct record_ring *r);
/* Whether the consumer has used every record written so far. */
bool record_ring_idle(const struct record_ring *r);
/* Frames of the records lost so far, and more to count (a consumer that could not use a record). */
uint64_t record_ring_lost_frames(const struct record_ring *r);
void record_ring_count_lost(struct record_ring *r, uint64_t frames);

#endif
