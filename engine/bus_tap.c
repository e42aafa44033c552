#include "engine/bus_tap.h"

#include <stdlib.h>
#include <string.h>

int bus_tap_init(struct bus_tap *t, size_t bytes)
{
	memset(t, 0, sizeof *t);
	t->ring = jack_ringbuffer_create(bytes);
	if (!t->ring)
		return -1;
	memset(t->ring->buf, 0, t->ring->size); /* the RT thread's writes fault no page in */
	return 0;
}

void bus_tap_free(struct bus_tap *t)
{
	if (t->ring)
		jack_ringbuffer_free(t->ring);
	free(t->record);
	memset(t, 0, sizeof *t);
}

RT bool bus_tap_feed_rt(struct bus_tap *t, struct graph *g, uint32_t n, uint64_t frame_time)
{
	const struct graph_ports *p = graph_ports(g);
	const struct bus_tap_header h = {graph_generation(g), n, graph_bus_channels(g), 0, frame_time};
	const size_t bytes = sizeof h + (size_t)h.channels * n * sizeof(float);
	if (jack_ringbuffer_write_space(t->ring) < bytes) {
		atomic_fetch_add_explicit(&t->lost_frames, n, memory_order_relaxed);
		return false;
	}
	/* the reader waits until the whole record is there */
	jack_ringbuffer_write(t->ring, (const char *)&h, sizeof h);
	for (uint32_t c = 0; c < h.channels; c++)
		jack_ringbuffer_write(t->ring, (const char *)p->out[c], n * sizeof(float));
	atomic_fetch_add_explicit(&t->fed, 1, memory_order_release);
	return true;
}

bool bus_tap_read(struct bus_tap *t, struct bus_tap_header *h, const float **data)
{
	if (jack_ringbuffer_read_space(t->ring) < sizeof *h)
		return false;
	jack_ringbuffer_peek(t->ring, (char *)h, sizeof *h);
	const size_t floats = (size_t)h->channels * h->frames, bytes = floats * sizeof(float);
	if (jack_ringbuffer_read_space(t->ring) < sizeof *h + bytes)
		return false; /* the writer is mid-record */
	jack_ringbuffer_read_advance(t->ring, sizeof *h);
	t->pending = bytes; /* the writer may reuse it after bus_tap_done */
	jack_ringbuffer_data_t v[2];
	jack_ringbuffer_get_read_vector(t->ring, v);
	if (v[0].len >= bytes) { /* in one piece: read in place, no copy */
		*data = (const float *)(const void *)v[0].buf;
		return true;
	}
	if (floats > t->record_cap) { /* round the ring's end: a copy */
		float *grown = realloc(t->record, floats * sizeof(float));
		if (!grown) { /* out of memory: the record is skipped */
			h->frames = h->channels = 0;
			*data = NULL;
			return true;
		}
		t->record = grown;
		t->record_cap = floats;
	}
	jack_ringbuffer_peek(t->ring, (char *)t->record, bytes);
	*data = t->record;
	return true;
}

void bus_tap_done(struct bus_tap *t)
{
	jack_ringbuffer_read_advance(t->ring, t->pending);
	t->pending = 0;
	atomic_fetch_add_explicit(&t->done, 1, memory_order_release);
}

bool bus_tap_idle(struct bus_tap *t)
{
	return atomic_load_explicit(&t->done, memory_order_acquire) == atomic_load_explicit(&t->fed, memory_order_acquire);
}
