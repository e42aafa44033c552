#include "dsp/delay.h"

#include <string.h>

uint32_t delay_line_size(uint32_t max_frames, uint32_t block)
{
	uint32_t size = 64;
	while (size < max_frames + block + 1)
		size <<= 1;
	return size;
}

void delay_line_init(struct delay_line *d, float *buf, uint32_t size, uint32_t block, uint32_t frames)
{
	*d = (struct delay_line){.buf = buf, .mask = size - 1, .max_frames = size - 1 - block};
	d->tap = d->next_tap = d->wanted = frames > d->max_frames ? d->max_frames : frames;
}

RT void delay_line_set_rt(struct delay_line *d, uint32_t frames)
{
	d->wanted = frames > d->max_frames ? d->max_frames : frames;
}

/* The ring's n frames from position `at` on are at most two runs: copies,
 * not a masked index per sample. */
RT static void ring_put(struct delay_line *d, uint32_t at, const float *x, uint32_t n)
{
	const uint32_t i = at & d->mask, first = d->mask + 1 - i < n ? d->mask + 1 - i : n;
	memcpy(d->buf + i, x, first * sizeof *x);
	memcpy(d->buf, x + first, (n - first) * sizeof *x);
}

RT static void ring_get(const struct delay_line *d, uint32_t at, float *y, uint32_t n)
{
	const uint32_t i = at & d->mask, first = d->mask + 1 - i < n ? d->mask + 1 - i : n;
	memcpy(y, d->buf + i, first * sizeof *y);
	memcpy(y + first, d->buf, (n - first) * sizeof *y);
}

RT void delay_line_process_rt(struct delay_line *d, float *x, float *y, uint32_t n, uint32_t fade_frames)
{
	const uint32_t mask = d->mask, w = d->write;
	ring_put(d, w, x, n);
	if (d->next_tap == d->tap && d->wanted != d->tap) {
		d->next_tap = d->wanted; /* start a crossfade to the latest request */
		d->fade = 0.0f;
	}
	if (d->next_tap == d->tap) {
		if (d->tap != 0 || x != y) /* no delay in place: y already is x */
			ring_get(d, w - d->tap, y, n);
	} else {
		const uint32_t r0 = w - d->tap, r1 = w - d->next_tap;
		const float step = 1.0f / (float)(fade_frames ? fade_frames : 1);
		const float f0 = d->fade;
		for (uint32_t i = 0; i < n; i++) {
			float a = f0 + step * (float)(i + 1);
			a = a > 1.0f ? 1.0f : a;
			y[i] = (1.0f - a) * d->buf[(r0 + i) & mask] + a * d->buf[(r1 + i) & mask];
		}
		d->fade = f0 + step * (float)n;
		if (d->fade >= 1.0f) {
			d->tap = d->next_tap;
			d->fade = 0.0f;
		}
	}
	d->write = w + n;
}
