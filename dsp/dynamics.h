/* The strip's dynamics section: expander/gate, then compressor, then
 * de-esser, after D. Giannoulis, M. Massberg and J. D. Reiss, "Digital
 * Dynamic Range Compressor Design - A Tutorial and Analysis" (JAES 2012):
 * feed-forward, a log-domain gain computer with soft knee, and the smooth
 * branching peak detector applied to the gain computer's output.
 * Detection is linked: one level for all channels (the loudest channel, or
 * the mean square of the loudest for RMS), so a stereo or surround image does
 * not shift. The caller owns the memory.
 * dynamics_init: any thread. *_rt: the RT thread. */
#ifndef DUBSTAGE_DSP_DYNAMICS_H
#define DUBSTAGE_DSP_DYNAMICS_H

#include <stdbool.h>
#include <stdint.h>

#include "dsp/filter.h"
#include "dsp/rt.h"

#define DYNAMICS_RMS_MS 10.0f       /* RMS detection window (time constant) */
#define DYNAMICS_SMOOTH_MS 5.0f     /* threshold, ratio, knee, range, makeup glide */
#define DYNAMICS_DEESS_RATIO 4.0f
#define DYNAMICS_DEESS_ATTACK_MS 0.5f
#define DYNAMICS_DEESS_RELEASE_MS 40.0f

struct compressor_params {
	bool on;
	float threshold_db;   /* -60 ... 0 */
	float ratio;          /* 1 ... 20 (20 acts as a limiter) */
	float knee_db;        /* 0 (hard) ... 24 */
	float attack_ms;      /* 0.1 ... 200 */
	float release_ms;     /* 5 ... 3000 */
	float makeup_db;      /* 0 ... +24 */
	bool rms;             /* false: peak detection */
	bool sidechain_hpf;   /* the detector hears the signal through a 12 dB/oct high-pass */
	float sidechain_hpf_hz;  /* 20 ... 500 */
};

struct expander_params {
	bool on;
	float threshold_db;   /* -80 ... 0 */
	float range_db;       /* 0 ... 80: the most it attenuates */
	float ratio;          /* 1 ... 100 (100: a gate) */
	float attack_ms;      /* 0.1 ... 100: opening */
	float hold_ms;        /* 0 ... 2000: stays open this long after the level falls */
	float release_ms;     /* 5 ... 3000: closing */
};

struct deesser_params {
	bool on;
	float freq_hz;        /* 4000 ... 10000: the sibilance band starts here */
	float threshold_db;   /* -60 ... 0, level of the band */
	float range_db;       /* 0 ... 24: the most the band is lowered */
};

struct dynamics_params {
	struct expander_params gate;
	struct compressor_params comp;
	struct deesser_params deess;
};

/* Per channel: filter states of the side chain and the de-esser's split. */
struct dynamics_channel {
	struct filter_state sidechain, deess;
};

struct dynamics {
	struct dynamics_params p;
	float sample_rate;
	/* glided gain-computer parameters: [0] comp threshold, [1] comp 1 - 1/ratio,
	 * [2] comp knee, [3] makeup, [4] gate threshold, [5] gate ratio - 1,
	 * [6] gate range, [7] de-esser threshold, [8] de-esser range;
	 * an off section glides its ratio term and makeup to 0 */
	float now[9], want[9];
	float smooth;                 /* per-sample one-pole coefficient */
	float comp_attack, comp_release, gate_attack, gate_release, deess_attack, deess_release, rms_k;
	uint32_t hold_frames;
	struct filter_coefs sidechain, deess;
	/* detector state: attenuations in dB (>= 0), mean square, hold counter */
	float comp_env, gate_env, deess_env, mean_square;
	uint32_t hold_left;
	/* the most each section attenuated since the caller last took the
	 * readings (dB, >= 0) */
	float comp_gr_max, gate_gr_max, deess_gr_max;
};

void dynamics_init(struct dynamics *d, const struct dynamics_params *p, float sample_rate);
/* New parameters; thresholds, ratios, knee, range and makeup glide there. */
RT void dynamics_set_rt(struct dynamics *d, const struct dynamics_params *p);
/* False when every section is off and nothing is still fading out: the
 * caller may skip the section (it then leaves the signal as it is). */
RT bool dynamics_active(const struct dynamics *d);
/* Processes n frames of n_ch channels in place. scratch: at least
 * (2 * n_ch + 2) * n floats. */
RT void dynamics_process_rt(struct dynamics *d, struct dynamics_channel *ch, float *const *x, uint32_t n_ch,
                            uint32_t n, float *scratch);
/* Strips side by side (the graph's lane groups): the compressor and gate of
 * up to DYNAMICS_LANES strips at once, a vector lane per strip (one vector
 * of 16 with AVX-512, else vectors of 8): the gain computer, the envelopes
 * (the only serial part) and the gains in one pass over the block, the
 * detectors transposed in and the gains out. Together bit for bit what
 * dynamics_process_rt gives each strip.
 * - dynamics_block_ready: the section runs and its parameters are at rest
 *   (else use dynamics_process_rt);
 * - dynamics_detector_rt: the strip's detector over the block, in det[n]
 *   (a mono strip without side-chain filter: its signal itself, returned
 *   as it is; the gain computer takes magnitudes);
 * - dynamics_gains_lanes_rt: gain[l][i], the gain of strip l, makeup
 *   included, from the detectors det[l];
 * - dynamics_finish_rt: the gains applied, then the de-esser.
 * scratch as for dynamics_process_rt. */
#define DYNAMICS_LANES 16
RT bool dynamics_block_ready(const struct dynamics *d);
RT const float *dynamics_detector_rt(struct dynamics *d, struct dynamics_channel *ch, float *const *x,
                                     uint32_t n_ch, uint32_t n, float *det, float *scratch);
RT void dynamics_gains_lanes_rt(struct dynamics *const *d, const float *const *det, float *const *gain, int lanes,
                                uint32_t n);
RT void dynamics_finish_rt(struct dynamics *d, struct dynamics_channel *ch, float *const *x, uint32_t n_ch, uint32_t n,
                           const float *gain, float *scratch);

/* The same, every sample through the whole gain computer with its own
 * glide step: the reference the block path (parameters at rest, the gain
 * computer over the block) is held to, bit for bit, by the tests. */
RT void dynamics_process_reference_rt(struct dynamics *d, struct dynamics_channel *ch, float *const *x,
                                      uint32_t n_ch, uint32_t n, float *scratch);

#endif
