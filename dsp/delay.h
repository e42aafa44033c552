/* A delay line whose length changes by a crossfade between the old and the
 * new tap (no click, no pitch change): strip delays (sync offsets, ADR
 * alignment) and the monitor's loudspeaker alignment. The caller owns the
 * ring (buf, mask + 1 frames, a power of two from delay_line_size).
 * delay_line_size: any thread. *_rt: the RT thread. */
#ifndef DUBSTAGE_DSP_DELAY_H
#define DUBSTAGE_DSP_DELAY_H

#include <stdint.h>

#include "dsp/rt.h"

struct delay_line {
	float *buf;
	uint32_t mask;
	uint32_t max_frames; /* the longest delay the ring holds with blocks of its size */
	uint32_t write;
	uint32_t tap;        /* frames of delay now */
	uint32_t next_tap;   /* frames of delay being faded to (== tap: none) */
	uint32_t wanted;     /* latest request; taken up when a fade ends */
	float fade;          /* 0 ... 1 progress of the crossfade */
};

/* Ring length for delays up to max_frames processed in blocks of up to
 * `block` frames. */
uint32_t delay_line_size(uint32_t max_frames, uint32_t block);
/* A line at rest on `frames` of delay over ring buf of `size` frames. */
void delay_line_init(struct delay_line *d, float *buf, uint32_t size, uint32_t block, uint32_t frames);
/* Moves the tap (limited to max_frames), by crossfade. */
RT void delay_line_set_rt(struct delay_line *d, uint32_t frames);
/* y = x delayed; a crossfade takes fade_frames. x and y may be the same. */
RT void delay_line_process_rt(struct delay_line *d, float *x, float *y, uint32_t n, uint32_t fade_frames);

#endif
