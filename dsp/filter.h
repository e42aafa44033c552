/* Filter sections: A. Simper's linear trapezoidal state-variable filter
 * (Cytomic, "SvfLinearTrapOptimised2"), which is the bilinear transform of the
 * analog prototype (so its responses equal R. Bristow-Johnson's cookbook
 * biquads) and stays stable and click-free when its coefficients move every
 * few samples, where a direct-form biquad would not.
 * One section = one second-order prototype; Butterworth slopes are built from
 * 1 or 2 sections (filter_butterworth). The caller owns the memory.
 * filter_section_init/filter_coefs_design: any thread. *_rt: the RT thread. */
#ifndef DUBSTAGE_DSP_FILTER_H
#define DUBSTAGE_DSP_FILTER_H

#include <stdbool.h>
#include <stdint.h>

#include "dsp/rt.h"

enum filter_type {
	FILTER_BELL,        /* peaking: gain_db at freq_hz, bandwidth from q */
	FILTER_LOW_SHELF,   /* cookbook shelves with q (0.7071: no overshoot) */
	FILTER_HIGH_SHELF,
	FILTER_NOTCH,       /* full cut at freq_hz, q sets the width */
	FILTER_HIGH_PASS,   /* second order, q = 0.7071 is Butterworth */
	FILTER_LOW_PASS,
	FILTER_HIGH_PASS_1, /* first order (q unused): the odd half of an 18 dB/oct slope */
	FILTER_LOW_PASS_1,
	FILTER_TYPE_COUNT,
};

/* What a section should do; `on` false makes it pass the signal unchanged. */
struct filter_shape {
	enum filter_type type;
	float freq_hz;
	float gain_db;
	float q;
	bool on;
};

/* out = m0 v0 + m1 v1 + m2 v2 of the SVF's input, band and low outputs. */
struct filter_coefs {
	float a1, a2, a3;
	float m0, m1, m2;
};

/* Per channel: the two integrator states. */
struct filter_state {
	float ic1, ic2;
};

/* One section's coefficients, shared by every channel it filters, and their
 * smoothing: frequency (in octaves), Q (in octaves) and gain (in dB) glide
 * towards the target with a 5 ms time constant; on/off and type changes
 * fade the filter's output mix with the same constant.
 * Coefficients are recomputed every FILTER_CHUNK frames while anything moves. */
#define FILTER_CHUNK 16
#define FILTER_SMOOTH_MS 5.0f
#define FILTER_MIN_HZ 10.0f

struct filter_section {
	struct filter_shape target;
	float target_octave, target_q_octave; /* log2 of the target's frequency and Q */
	enum filter_type type;           /* the type now playing (the target's, after a fade) */
	float octave, q_octave, gain_db; /* smoothed: log2(freq), log2(q), dB */
	float wet;                       /* smoothed: 0 passes the input, 1 is the filter */
	struct filter_coefs c;
	float sample_rate;
	float smooth;                    /* one-pole coefficient per chunk */
	bool moving;
};

/* Coefficients of a shape at sample_rate (frequency limited to 0.49 fs). */
void filter_coefs_design(const struct filter_shape *s, float sample_rate, struct filter_coefs *out);

/* A section at rest on `shape`. */
void filter_section_init(struct filter_section *f, const struct filter_shape *shape, float sample_rate);
/* New target: the section glides there (the same target again changes nothing). */
RT void filter_section_set_rt(struct filter_section *f, const struct filter_shape *shape);
/* Whether the section changes the signal now or is about to (false: off and
 * at rest, so the caller may skip it and its channels' state stays as is). */
RT static inline bool filter_section_active(const struct filter_section *f)
{
	return f->moving || f->target.on;
}

/* Filters n frames of one channel in place with fixed coefficients. */
RT void filter_run_rt(const struct filter_coefs *c, struct filter_state *st, float *x, uint32_t n);

/* Sections run in series on one channel: c[0] first. */
#define FILTER_CASCADE_MAX 16
/* Filters n frames of one channel in place through k (<= FILTER_CASCADE_MAX)
 * sections at rest, sample by sample through all of them: each section's
 * recursion waits on its own last sample only, so the processor overlaps
 * the sections where one after the other each would wait out its own
 * latency. Bit for bit what filter_run_rt section after section gives. */
RT void filter_cascade_rt(const struct filter_coefs *const *c, struct filter_state *const *st, int k, float *x,
                          uint32_t n);

/* Channels (of different strips) filtered side by side, one per lane of a
 * vector: with AVX2, 8 floats; the default build does the same in two SSE
 * halves. */
#define FILTER_LANES 16
/* Filters n frames of `lanes` (<= FILTER_LANES) channels in place, channel
 * l through its own k sections at rest: c[j * FILTER_LANES + l] and
 * st[j * FILTER_LANES + l] are section j of channel l. Bit for bit what
 * filter_cascade_rt gives each channel alone. Works FILTER_LANE_FRAMES
 * frames at a time (one vector per frame on the stack). */
#define FILTER_LANE_FRAMES 64
RT void filter_cascade_lanes_rt(const struct filter_coefs *const *c, struct filter_state *const *st, int k,
                                int lanes, float *const *x, uint32_t n);

/* Filters n frames of n_ch channels in place, gliding the coefficients
 * chunk by chunk while the section moves. */
RT void filter_section_process_rt(struct filter_section *f, struct filter_state *st, float *const *x,
                                  uint32_t n_ch, uint32_t n);
/* Whether the section's coefficients are gliding (then it needs
 * filter_section_process_rt; at rest, filter_cascade_rt will do). */
RT static inline bool filter_section_moving(const struct filter_section *f) { return f->moving; }

/* Resets a state whose values became non-finite or absurd (a broken input
 * got through): once per block, like Ardour's filters. */
RT static inline void filter_state_sanitize_rt(struct filter_state *st)
{
	const float s = st->ic1 + st->ic2;
	if (!(s > -1e6f && s < 1e6f)) /* false for NaN too */
		st->ic1 = st->ic2 = 0.0f;
}

/* Butterworth high- or low-pass of 12, 18 or 24 dB/octave as two sections
 * (the second is off for 12 dB/octave). `on` false bypasses both. */
#define FILTER_BUTTERWORTH_SECTIONS 2
void filter_butterworth(bool high_pass, float freq_hz, unsigned slope_db, bool on,
                        struct filter_shape out[FILTER_BUTTERWORTH_SECTIONS]);

#endif
