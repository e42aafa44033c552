/* The RT graph: a console compiled into flat arrays (strips, buses in
 * processing order, pan-gain ramps, meters) and the loop that runs it.
 * graph_build/graph_free and the pan-matrix helper: control thread.
 * Everything marked RT: the process thread only, on a published graph. */
#ifndef DUBSTAGE_ENGINE_GRAPH_H
#define DUBSTAGE_ENGINE_GRAPH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dsp/layout.h"
#include "dsp/rt.h"
#include "engine/console.h"

#define GRAPH_BLOCK_FRAMES 256   /* longer periods are processed in blocks */
#define GRAPH_RAMP_MS 10.0f      /* every gain change ramps over this long */
#define GRAPH_METER_RMS_MS 300.0f

enum graph_op {
	GRAPH_OP_STRIP_FADER,     /* value[0]: linear gain */
	GRAPH_OP_STRIP_TRIM,      /* value[0]: linear gain */
	GRAPH_OP_STRIP_MUTE,      /* value[0]: 0 or 1 */
	GRAPH_OP_STRIP_SOLO,
	GRAPH_OP_STRIP_SOLO_SAFE,
	GRAPH_OP_STRIP_POLARITY,  /* value[0]: 1 inverts */
	GRAPH_OP_STRIP_PAN_ROW,   /* feed: which of the strip's buses; channel: input channel;
	                           * value[]: gain per bus channel */
	GRAPH_OP_STRIP_FILTER,    /* channel: section (GRAPH_SECTION_*); value: a struct filter_shape */
	GRAPH_OP_STRIP_DYNAMICS,  /* channel: GRAPH_DYN_*; value: that part's params struct, or
	                           * value[0] 1 for dynamics before the filters */
	GRAPH_OP_STRIP_DELAY,     /* value[0]: frames */
	GRAPH_OP_BUS_FADER,
	GRAPH_OP_BUS_MUTE,
	GRAPH_OP_BUS_FILTER,      /* like the strip's, on the bus's channels before its fader */
	GRAPH_OP_BUS_DYNAMICS,
	GRAPH_OP_BUS_LIMITER,     /* value: a struct limiter_params */
	GRAPH_OP_BUS_LOUDNESS_RESET, /* the bus's loudness measurement starts again */
	GRAPH_OP_MONITOR_ROW,     /* index: source (bus, or n_buses: the solo bus); channel:
	                           * room loudspeaker; value[]: gain per source channel */
	GRAPH_OP_MONITOR_GAINS,   /* value[]: gain per room loudspeaker */
	GRAPH_OP_MONITOR_DELAYS,  /* value[]: delay in frames per room loudspeaker */
};

/* A strip's filter sections: Butterworth high-pass (2), low-pass (2), the
 * four EQ bands, the two notches. */
enum {
	GRAPH_SECTION_HPF = 0,
	GRAPH_SECTION_LPF = 2,
	GRAPH_SECTION_EQ = 4,
	GRAPH_SECTION_NOTCH = 8,
	GRAPH_SECTIONS = 10,
};
enum { GRAPH_DYN_GATE, GRAPH_DYN_COMP, GRAPH_DYN_DEESS, GRAPH_DYN_ORDER };

/* A fixed-size command from the control thread; applied at the top of a
 * period to the graph whose generation it names. */
struct graph_cmd {
	uint32_t generation;
	uint16_t op;
	uint16_t channel;
	uint32_t index;
	uint32_t feed;
	float value[LAYOUT_MAX_CHANNELS];
};

/* Meter values published by the RT thread once per period. */
struct graph_meter_readout {
	_Atomic float peak;          /* linear, max since the last peak reset */
	_Atomic float mean_square;   /* linear, 300 ms integration */
	_Atomic float true_peak;     /* linear, BS.1770-4 Annex 2, since the last peak reset */
	_Atomic float true_peak_max; /* linear, since the last hold reset */
	_Atomic uint32_t overs;      /* excursions above 0 dBTP since the last hold reset */
};

/* Gain reduction of a strip's dynamics, dB (>= 0), the most in the last period. */
struct graph_gr_readout {
	_Atomic float gate, comp, deess;
	_Atomic float limit;        /* a master's limiter */
	atomic_uint bad_input;      /* a strip's: blocks muted for non-finite or absurd input since the graph began */
};

/* Port buffers. The host sets in[]/out[] every period (jack_port_get_buffer,
 * or the bench's own buffers); *_handle are the host's opaque port objects.
 * Inputs: strips in console order, channels in layout order. Outputs: buses in
 * console order, channels in layout order, then the monitor's loudspeakers. */
struct graph_ports {
	uint32_t n_in, n_out;
	const float **in;
	float **out;
	void **in_handle;
	void **out_handle;
};

struct graph;

/* Compiles `c`. `previous` (the graph now published, or NULL) is used only to
 * map strips and buses by name, so that the RT thread can carry running gains
 * across the swap. Returns NULL with a message in err on failure. */
struct graph *graph_build(const struct console *c, const struct graph *previous,
                          float sample_rate, char *err, size_t errlen);
/* Puts every gain of a graph that is not yet published at its target: an
 * offline render starts at the mix, as its files start at their first
 * frame, where a live console's first graph fades in. */
void graph_settle(struct graph *g);
/* Leaves out the level, true-peak and RMS meters of strips (their readouts
 * stay at silence): for an offline render. The buses' stay: their true peak
 * is the loudness measurement's. The audio is the same. */
void graph_unmeter(struct graph *g);
void graph_free(struct graph *g);

struct graph_ports *graph_ports(struct graph *g);
uint32_t graph_generation(const struct graph *g);
void graph_set_generation(struct graph *g, uint32_t generation);
uint32_t graph_strip_count(const struct graph *g);
uint32_t graph_bus_count(const struct graph *g);
/* The bus output ports (all buses' channels, console order): the first
 * ports.out entries; the monitor's follow. */
uint32_t graph_bus_channels(const struct graph *g);
/* Frames bus b's outputs lag its sum: a master limiter's look-ahead, or 0. */
uint32_t graph_bus_latency(const struct graph *g, uint32_t b);

/* Loudness (ITU-R BS.1770-4): the RT thread K-weights every bus but the
 * auxes (dsp/k_weighting, on the outputs the meters read) and ends a 100 ms
 * step at the same frame for all of them; engine/loudness builds the gated
 * figures from the steps. A step is the bus's channel-weighted mean
 * square over it. A bus's first step after a reset, or after it first
 * appears mid-step, is left out: its measurement starts at the next step. */
struct graph_loudness_step {
	uint32_t bus;
	double energy;        /* double: the steps add up exactly as bs1770_add would */
};
#define GRAPH_LOUDNESS_STEPS_PER_BUS 16 /* a period of up to 16 steps (1.6 s) */
/* RT: the steps that ended in the last graph_process_rt, in time order. */
RT const struct graph_loudness_step *graph_loudness_steps(const struct graph *g, uint32_t *n);
/* RT: whether bus b is measured; its lineage (a number no other graph bus
 * got at its build, carried over a rebuild, with the measurement, by a bus of
 * the same name and format), its reset count in that lineage (a
 * GRAPH_OP_BUS_LOUDNESS_RESET adds one) and the most true peak (linear) of
 * its channels since that reset. */
RT bool graph_bus_loudness(const struct graph *g, uint32_t b, uint32_t *lineage, uint32_t *resets, float *true_peak);

/* Meter slots of strip s (one per input channel) and bus b (one per channel). */
const struct graph_meter_readout *graph_strip_meters(const struct graph *g, uint32_t s, uint32_t *n);
const struct graph_meter_readout *graph_bus_meters(const struct graph *g, uint32_t b, uint32_t *n);

const struct graph_gr_readout *graph_strip_gain_reduction(const struct graph *g, uint32_t s);
const struct graph_gr_readout *graph_bus_gain_reduction(const struct graph *g, uint32_t b);

/* The filter sections a strip's processing asks for (GRAPH_SECTION_* order). */
void graph_strip_shapes(const struct strip_processing *p, struct filter_shape out[GRAPH_SECTIONS]);
/* Whether strip s has a delay line (strips get one when built with a delay
 * other than 0, or when the previous graph's strip had one): setting a delay
 * on a strip without one needs a new graph. Control thread. */
bool graph_strip_has_delay(const struct graph *g, uint32_t s);
/* Takes over the port handles of `old`, built from the same console. */
void graph_take_ports(struct graph *g, const struct graph *old);

/* The pan stage's gains: m[input channel][bus channel] for a strip of input
 * layout `in` into a bus of layout `bus` at the strip's position. Off the RT
 * thread. The 3D panner replaces this function, not the graph. */
void graph_pan_matrix(const struct layout *in, const struct layout *bus,
                      const struct strip_params *p,
                      float m[LAYOUT_MAX_CHANNELS][LAYOUT_MAX_CHANNELS]);

/* The gains of strip s's send to aux k (console.aux[k]) through its
 * post-fader (pre false) or pre-fader feed: the position's gains in the
 * aux's format times the send level when that tap is in use and the send is
 * on (a pre-fader send also stops while the strip is muted), else zero. */
void graph_send_matrix(const struct console *c, uint32_t s, uint32_t k, bool pre,
                       float m[LAYOUT_MAX_CHANNELS][LAYOUT_MAX_CHANNELS]);

/* The pan gains of strip s into the solo bus (the monitor room's layout):
 * its position's gains while soloed, zero otherwise. */
void graph_solo_matrix(const struct console *c, uint32_t s,
                       float m[LAYOUT_MAX_CHANNELS][LAYOUT_MAX_CHANNELS]);

/* Takes over running gains and meters of the strips and buses `g` shares with
 * `old` (the graph the RT thread used until now). */
/* The two graphs swap the monitor's delay rings (so the audio in them
 * carries on without a copy). The strips' gains, processing and pan gains
 * are taken over strip by strip as g's next graph_process_rt reaches them:
 * `old` must stay as it is, and not be freed, until that call returns. */
RT void graph_adopt_rt(struct graph *g, struct graph *old);
RT void graph_apply_rt(struct graph *g, const struct graph_cmd *cmd);
/* Processes n frames from ports.in into ports.out. A change of peak_epoch
 * starts the meters' peaks again (what a meter frame or query reads: the
 * most since the previous one); a change of hold_epoch starts their max
 * true peak and over count again. With a worker (engine/worker.h; NULL:
 * none), the worker takes chunks of the strips too; the output is the same
 * sample for sample either way. */
struct worker;
RT void graph_process_rt(struct graph *g, uint32_t n, uint32_t peak_epoch, uint32_t hold_epoch, struct worker *w);
/* How many chunks the strips run in (1 for a console of fewer than 32 strips),
 * and the strips of chunk k: first .. end - 1. */
uint32_t graph_chunk_count(const struct graph *g);
void graph_chunk_strips(const struct graph *g, uint32_t k, uint32_t *first, uint32_t *end);

#endif
