/* The running engine, independent of JACK: the published graph and its safe
 * replacement, the control -> RT command queue, and the RT thread's own
 * measurements (callback time, xruns). The JACK host and the bench both drive
 * it the same way: engine_begin_rt, fill the ports, engine_end_rt.
 *
 * Threads: one control thread calls the non-RT functions (it is the single
 * producer of commands and graphs); one RT thread calls the *_rt ones. */
#ifndef DUBSTAGE_ENGINE_ENGINE_H
#define DUBSTAGE_ENGINE_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "dsp/rt.h"
#include "engine/console.h"
#include "engine/graph.h"

#define ENGINE_COMMAND_SLOTS 4096
/* Commands applied in one period at most: a recall or a script moving
 * thousands of settings at once spreads over periods (each change ramps
 * anyway) instead of stretching one callback past its deadline. */
#define ENGINE_COMMANDS_PER_PERIOD 512
#define ENGINE_LOAD_BINS 2001 /* callback time in 0.1 % of the period, 0 ... 200 % */

struct engine;

struct engine_load {
	uint64_t periods;
	float p50, p99, max;  /* callback time as a share of the period, 0..1+ */
	uint64_t over_half;   /* periods whose callback took >= 50 % of the period */
	uint64_t over_budget; /* ... >= 100 % */
	uint64_t max_period;  /* index of the slowest period, counted from 0 */
	/* When the host says when each period began (JACK: the driver's cycle
	 * start): how long after it the callback started, as a share of the
	 * period (the system's scheduling, not the console's work), and the
	 * periods still running when the next cycle began, whoever was slow:
	 * JACK's server counts those as this client's xruns. */
	uint64_t woken;       /* periods whose start the host told */
	float wake_p50, wake_p99, wake_max;
	uint64_t late_finishes;
};

struct engine *engine_create(uint32_t sample_rate);
/* The RT thread must have stopped calling the engine. Frees every graph. */
void engine_destroy(struct engine *e);

uint32_t engine_sample_rate(const struct engine *e);
/* Starts the thread that takes chunks of a large console's strips beside
 * the process thread (engine/worker.h), at SCHED_FIFO rt_priority
 * (the JACK client's) when > 0. Only while no process call can run: before
 * the first activation. Returns 0, with a warning in err if the worker runs
 * at normal priority, or -1 with the reason (the engine then runs every
 * part on the process thread, with the same output). */
int engine_start_worker(struct engine *e, int rt_priority, char *err, size_t errlen);
/* The worker, or NULL: for its counts (worker_tasks_run ...). */
struct worker;
const struct worker *engine_worker(const struct engine *e);
/* A new server's rate, while no process call can run (the graph is rebuilt
 * after). */
void engine_set_sample_rate(struct engine *e, uint32_t rate);
/* Control thread: no process call runs (offline) or they may again. Offline,
 * commands are not queued (the graph built on the way back online is built
 * from the model, which has every change) and retired graphs are freed at
 * once. Set it back before the client is activated. */
void engine_set_offline(struct engine *e, bool offline);

/* The generation the next engine_publish will give its graph. */
uint32_t engine_next_generation(const struct engine *e);
/* From the next period on, the bus outputs of every period go to l's meter
 * (NULL: none). Set it before the RT thread runs, or with it running. */
struct loudness;
void engine_set_loudness(struct engine *e, struct loudness *l);
/* While t is set, every period's bus outputs also go to t (the print
 * recorder). Setting NULL returns once the RT thread cannot be using the old
 * tap any more. */
struct bus_tap;
void engine_set_print_tap(struct engine *e, struct bus_tap *t);
/* RT: the JACK frame time of the period about to run (stamped on taps). */
RT void engine_set_frame_time_rt(struct engine *e, uint64_t frame_time);

/* Publishes g (one atomic store); the previous graph is retired and freed by
 * engine_collect once the RT thread has acknowledged a newer generation. */
void engine_publish(struct engine *e, struct graph *g);
/* The graph last published (control thread's view; never freed under it). */
struct graph *engine_graph(const struct engine *e);
/* Frees retired graphs the RT thread can no longer reach. `rt_stopped`: the
 * caller knows no process call is running or will run (client deactivated).
 * Returns the number of graphs still waiting. */
unsigned engine_collect(struct engine *e, bool rt_stopped);
/* Collects until nothing waits or timeout_ms passes; returns what still waits. */
unsigned engine_collect_wait(struct engine *e, unsigned timeout_ms);

/* Queues a command for the published graph (stamps its generation). If the
 * queue is full, waits up to 200 ms for the RT thread to drain it; returns -1
 * (and counts an overflow) if it did not. */
int engine_send(struct engine *e, struct graph_cmd *cmd);

/* Model -> RT: sends the value the console model now holds for strip s (or
 * bus b). `op` names the parameter; GRAPH_OP_STRIP_PAN_ROW sends all rows. */
int engine_sync_strip(struct engine *e, const struct console *c, uint32_t s, enum graph_op op);
int engine_sync_bus(struct engine *e, const struct console *c, uint32_t b, enum graph_op op);
/* After a VCA's (vca) or mute group's parameter changed: re-sends `op`
 * (GRAPH_OP_STRIP_FADER or _MUTE) for every member strip, whose effective
 * fader and mute the console computes with all its groups. */
int engine_sync_group(struct engine *e, const struct console *c, bool vca, uint32_t g, enum graph_op op);
/* Builds the graph again from c (the console the published graph was built
 * from, with changed settings that need new memory, such as a strip's first
 * delay) and publishes it; running state carries over. */
int engine_rebuild(struct engine *e, const struct console *c);
/* Sends the monitor section as the model now holds it (source, speaker set,
 * mono, dim, mute, level, every loudspeaker's gain and delay). */
int engine_sync_monitor(struct engine *e, struct console *c);

/* Starts a new peak-hold window for every meter (takes effect next period). */
void engine_reset_peaks(struct engine *e);
/* Starts every meter's max true peak and over count again (next period). */
void engine_reset_holds(struct engine *e);
/* Starts bus b's loudness measurement again (integrated, range, max true
 * peak) at the next period, in the audio stream (GRAPH_OP_BUS_LOUDNESS_RESET).
 * -1 when the command queue stays full. */
int engine_reset_loudness(struct engine *e, uint32_t b);

struct engine_load engine_load(const struct engine *e);
uint32_t engine_xruns(const struct engine *e);
uint32_t engine_command_overflows(const struct engine *e);
/* Commands queued and not yet applied. */
uint32_t engine_commands_queued(const struct engine *e);
uint32_t engine_last_period(const struct engine *e);

/* RT: start of a period. Sets FTZ/DAZ, starts the callback clock, picks up a
 * newly published graph (adopting the old one's running state) and returns
 * the graph to run, or NULL before the first publish. */
RT struct graph *engine_begin_rt(struct engine *e);
/* RT: what the host knows of this period's cycle: it began `late_ns`
 * before engine_begin_rt was called (JACK: jack_get_time() - the cycle's
 * start), and whether the previous period's callback was still running
 * when this cycle began (what JACK's server counts as this client's xrun).
 * Call it between engine_begin_rt and engine_end_rt; a period without it
 * counts as unknown. */
RT void engine_note_cycle_rt(struct engine *e, int64_t late_ns, bool previous_late);
/* RT: applies the commands queued when it starts (ENGINE_COMMANDS_PER_PERIOD
 * at most), runs the graph over n frames (ports already filled by the
 * caller) and records the callback time. */
RT void engine_end_rt(struct engine *e, struct graph *g, uint32_t n);
/* RT: xrun callback. */
RT void engine_count_xrun_rt(struct engine *e);

#endif
