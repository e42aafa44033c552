#include "engine/bus_tap.h"

#include <string.h>

int bus_tap_init(struct bus_tap *t, size_t bytes)
{
	return record_ring_init(&t->ring, bytes, 0);
}

void bus_tap_free(struct bus_tap *t)
{
	record_ring_free(&t->ring);
}

RT bool bus_tap_feed_rt(struct bus_tap *t, struct graph *g, uint32_t n, uint64_t frame_time)
{
	const struct graph_ports *p = graph_ports(g);
	const struct bus_tap_header h = {graph_generation(g), n, graph_bus_channels(g), 0, frame_time};
	if (!record_ring_begin_rt(&t->ring, sizeof h + (size_t)h.channels * n * sizeof(float), n))
		return false;
	record_ring_put_rt(&t->ring, &h, sizeof h);
	for (uint32_t c = 0; c < h.channels; c++)
		record_ring_put_rt(&t->ring, p->out[c], n * sizeof(float));
	record_ring_end_rt(&t->ring);
	return true;
}

bool bus_tap_read(struct bus_tap *t, struct bus_tap_header *h, const float **data)
{
	size_t bytes;
	const char *rec = record_ring_read(&t->ring, &bytes, NULL);
	if (!rec)
		return false;
	memcpy(h, rec, sizeof *h);
	*data = (const float *)(const void *)(rec + sizeof *h);
	return true;
}

void bus_tap_done(struct bus_tap *t)
{
	record_ring_done(&t->ring);
}
