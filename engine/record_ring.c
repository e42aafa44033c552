#include "engine/record_ring.h"

#include <stdlib.h>
#include <string.h>

/* Before every record: its size (without the padding to RECORD_RING_ALIGN) and frames. */
struct prefix {
	uint32_t bytes;
	uint32_t frames;
};
_Static_assert(sizeof(struct prefix) % RECORD_RING_ALIGN == 0, "a record's payload starts aligned");

static size_t padded(size_t bytes) { return (bytes + RECORD_RING_ALIGN - 1) & ~(size_t)(RECORD_RING_ALIGN - 1); }

int record_ring_init(struct record_ring *r, size_t bytes, size_t copy_bytes)
{
	memset(r, 0, sizeof *r);
	r->ring = jack_ringbuffer_create(bytes < 4 * RECORD_RING_ALIGN ? 4 * RECORD_RING_ALIGN : bytes);
	r->copy = copy_bytes ? malloc(copy_bytes) : NULL;
	if (!r->ring || (copy_bytes && !r->copy)) {
		record_ring_free(r);
		return -1;
	}
	r->copy_cap = copy_bytes;
	memset(r->ring->buf, 0, r->ring->size);
	return 0;
}

void record_ring_free(struct record_ring *r)
{
	if (r->ring)
		jack_ringbuffer_free(r->ring);
	free(r->copy);
	memset(r, 0, sizeof *r);
}

RT bool record_ring_begin_rt(struct record_ring *r, size_t bytes, uint32_t frames)
{
	/* every record takes a multiple of RECORD_RING_ALIGN bytes, and the
	 * ring's size is a power of two: each payload starts aligned */
	if (bytes > UINT32_MAX || jack_ringbuffer_write_space(r->ring) < sizeof(struct prefix) + padded(bytes)) {
		atomic_fetch_add_explicit(&r->lost_frames, frames, memory_order_relaxed);
		return false;
	}
	const struct prefix p = {(uint32_t)bytes, frames};
	jack_ringbuffer_write(r->ring, (const char *)&p, sizeof p);
	r->writing_pad = padded(bytes) - bytes;
	return true;
}

RT void record_ring_put_rt(struct record_ring *r, const void *data, size_t bytes)
{
	jack_ringbuffer_write(r->ring, data, bytes);
}

RT void record_ring_end_rt(struct record_ring *r)
{
	static const char zeros[RECORD_RING_ALIGN];
	if (r->writing_pad)
		jack_ringbuffer_write(r->ring, zeros, r->writing_pad);
	r->writing_pad = 0;
	/* the consumer waits for the whole record, whatever fed says */
	atomic_fetch_add_explicit(&r->fed, 1, memory_order_release);
}

RT bool record_ring_write_rt(struct record_ring *r, const void *data, size_t bytes, uint32_t frames)
{
	if (!record_ring_begin_rt(r, bytes, frames))
		return false;
	record_ring_put_rt(r, data, bytes);
	record_ring_end_rt(r);
	return true;
}

const void *record_ring_read(struct record_ring *r, size_t *bytes, uint32_t *frames)
{
	for (;;) {
		struct prefix p;
		const size_t have = jack_ringbuffer_read_space(r->ring);
		if (have < sizeof p)
			return NULL;
		jack_ringbuffer_peek(r->ring, (char *)&p, sizeof p);
		if (have < sizeof p + padded(p.bytes))
			return NULL; /* the producer is mid-record */
		jack_ringbuffer_read_advance(r->ring, sizeof p);
		r->pending = padded(p.bytes);
		*bytes = p.bytes;
		if (frames)
			*frames = p.frames;
		jack_ringbuffer_data_t v[2];
		jack_ringbuffer_get_read_vector(r->ring, v);
		if (v[0].len >= p.bytes) /* in one piece: in place, no copy */
			return v[0].buf;
		if (p.bytes > r->copy_cap) {
			void *grown = realloc(r->copy, p.bytes);
			if (!grown) { /* round the end, and no copy can be made: lost */
				record_ring_count_lost(r, p.frames);
				record_ring_done(r);
				continue;
			}
			r->copy = grown;
			r->copy_cap = p.bytes;
		}
		jack_ringbuffer_peek(r->ring, r->copy, p.bytes);
		return r->copy;
	}
}

void record_ring_done(struct record_ring *r)
{
	jack_ringbuffer_read_advance(r->ring, r->pending);
	r->pending = 0;
	atomic_fetch_add_explicit(&r->done, 1, memory_order_release);
}

bool record_ring_idle(const struct record_ring *r)
{
	return atomic_load_explicit(&r->done, memory_order_acquire) == atomic_load_explicit(&r->fed, memory_order_acquire);
}

uint64_t record_ring_lost_frames(const struct record_ring *r)
{
	return atomic_load_explicit(&r->lost_frames, memory_order_relaxed);
}

void record_ring_count_lost(struct record_ring *r, uint64_t frames)
{
	atomic_fetch_add_explicit(&r->lost_frames, frames, memory_order_relaxed);
}
