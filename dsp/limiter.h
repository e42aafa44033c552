/* The printmaster's true-peak limiter: a look-ahead, linked (one gain for
 * every channel) brick-wall limiter whose detector hears the signal 4x
 * oversampled through the interpolation filter of ITU-R BS.1770-4 Annex 2,
 * so that inter-sample peaks, not just samples, stay under the ceiling.
 *
 * The gain: per input frame the gain the loudest channel's true peak needs
 * (ceiling / peak, at most 1); the minimum of that over the look-ahead
 * window (plus the detector's reach); a release that only slows rises; and a
 * moving average over the look-ahead. Every term of that average is at most
 * the gain the frame now leaving the delay needs, so the average is too: the
 * ceiling holds without a hard clip, and the gain moves smoothly (the attack
 * is the look-ahead, a linear fade). The audio is delayed by
 * limiter_latency() frames, on or off, so switching makes no jump in time.
 *
 * The caller owns the memory: limiter_bytes of it, 64-byte aligned,
 * handed to limiter_init (any thread); *_rt: the RT thread. */
#ifndef DUBSTAGE_DSP_LIMITER_H
#define DUBSTAGE_DSP_LIMITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dsp/rt.h"

#define LIMITER_LOOKAHEAD_MS 1.5f
#define LIMITER_CEILING_MIN_DB -20.0f
#define LIMITER_CEILING_MAX_DB 0.0f
#define LIMITER_RELEASE_MIN_MS 10.0f
#define LIMITER_RELEASE_MAX_MS 2000.0f
#define LIMITER_MAX_CHANNELS 16 /* a master's: the widest layout (9.1.6) */

struct limiter_params {
	bool on;
	float ceiling_db;   /* dBTP, -20 ... 0 (default -1) */
	float release_ms;   /* 10 ... 2000 (default 100) */
};

void limiter_params_defaults(struct limiter_params *p);

struct limiter;

/* A limiter for n_ch (<= LIMITER_MAX_CHANNELS) channels at `rate` in mem
 * (limiter_bytes long). */
size_t limiter_bytes(uint32_t n_ch, float rate);
struct limiter *limiter_init(void *mem, uint32_t n_ch, float rate, const struct limiter_params *p);

/* Frames between a frame going in and coming out (look-ahead plus the
 * detector's reach). Any thread. */
uint32_t limiter_latency(const struct limiter *l);
uint32_t limiter_channels(const struct limiter *l);

RT void limiter_set_rt(struct limiter *l, const struct limiter_params *p);
/* Limits x[c][0 .. n) in place (delayed by the latency). */
RT void limiter_process_rt(struct limiter *l, float *const *x, uint32_t n);
/* The most gain reduction (dB, >= 0) since the last call; resets it. */
RT float limiter_take_reduction_rt(struct limiter *l);

#endif
