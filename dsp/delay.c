#include "dsp/delay.h"

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

RT void delay_line_process_rt(struct delay_line *d, float *x, float *y, uint32_t n, uint32_t fade_frames)
{
	const uint32_t mask = d->mask, w = d->write;
	for (uint32_t i = 0; i < n; i++)
		d->buf[(w + i) & mask] = x[i];
	if (d->next_tap == d->tap && d->wanted != d->tap) {
		d->next_tap = d->wanted; /* start a crossfade to the latest request */
		d->fade = 0.0f;
	}
	if (d->next_tap == d->tap) {
		const uint32_t r = w - d->tap;
		for (uint32_t i = 0; i < n; i++)
			y[i] = d->buf[(r + i) & mask];
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
