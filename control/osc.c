#include "control/osc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <lo/lo.h>
#include <math.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "control/fader_law.h"
#include "control/subscription.h"
#include "dsp/gain.h"
#include "dsp/panner.h"
#include "engine/monitor.h"

#define OSC_MAX_DATAGRAM 8192 /* larger packets are refused before liblo sees them */

/* How a parameter's value is stored, limited and sent to the engine. */
enum value_rule {
	RULE_NONE,      /* query-only addresses (meters, /info) */
	RULE_DB_OFF,    /* dB up to `hi`; at or below -144 (or -inf) it is off */
	RULE_RANGE,     /* clamped to [lo, hi] */
	RULE_WRAP,      /* an angle, wrapped to (-180, 180] */
	RULE_BOOL,      /* on/off, stored as bool */
	RULE_SOURCE,    /* the monitor's source: a bus name or number, or "solo" */
	RULE_SET,       /* the monitor's speaker set: a format name */
	RULE_SLOPE,     /* 12, 18 or 24: other values go to the nearest */
	RULE_FADER_POS, /* a surface position 0 ... 1 for a dB field, by the fader law */
};

enum kind { KIND_STRIP, KIND_BUS, KIND_MONITOR, KIND_SPEAKER, KIND_VCA, KIND_MUTE_GROUP };

enum action {
	ACT_VALUE, ACT_METER, ACT_GR, ACT_INFO, ACT_LIMITER_GR, ACT_LATENCY,
	ACT_SUBSCRIBE, ACT_UNSUBSCRIBE, ACT_METERS_SUBSCRIBE, ACT_METERS_UNSUBSCRIBE, ACT_DUMP,
};

struct param {
	const char *kind;   /* "strip", "bus", "vca", ... or NULL for a top-level address */
	const char *name;   /* the rest of the path: "fader", "pan/az" */
	enum action action;
	enum value_rule rule;
	float lo, hi;
	size_t offset;      /* into struct strip_params or struct bus_params */
	enum graph_op op;   /* what engine_sync_* sends when it changes */
	struct osc_address doc;
	void (*changed)(struct strip_params *); /* keeps dependent strip fields in step */
};

#define STRIP(field) offsetof(struct strip_params, field)
#define BUS(field) offsetof(struct bus_params, field)
#define MON(field) offsetof(struct monitor_params, field)
#define SPK(field) offsetof(struct monitor_speaker_params, field)
#define GRP(field) offsetof(struct group_params, field)
/* A send's fields are rows of aux 1; the <aux> segment moves the offset. */
#define SEND(field) (offsetof(struct strip_params, send) + offsetof(struct send_params, field))

/* The address space. docs/osc.md is checked against this table by
 * tests/test_osc.c, so the two cannot drift. */
static const struct param base_params[] = {
	{"strip", "fader", ACT_VALUE, RULE_DB_OFF, 0, CONSOLE_FADER_MAX_DB, STRIP(fader_db), GRAPH_OP_STRIP_FADER,
	 {"/strip/<n|name>/fader", "f", "dB", "-inf ... +10 (values below -144 and -inf mean off)", "Strip fader."}, NULL},
	{"strip", "fader/pos", ACT_VALUE, RULE_FADER_POS, 0, 1, STRIP(fader_db), GRAPH_OP_STRIP_FADER,
	 {"/strip/<n|name>/fader/pos", "f", "position", "0 ... 1", "The fader as a surface position, by the fader "
	 "law below (0.75 is 0 dB)."}, NULL},
	{"strip", "trim", ACT_VALUE, RULE_RANGE, CONSOLE_TRIM_MIN_DB, CONSOLE_TRIM_MAX_DB, STRIP(trim_db),
	 GRAPH_OP_STRIP_TRIM, {"/strip/<n|name>/trim", "f", "dB", "-24 ... +24",
	 "Input trim, before everything else on the strip."}, NULL},
	{"strip", "pan/az", ACT_VALUE, RULE_WRAP, 0, 0, STRIP(pan_azimuth_deg), GRAPH_OP_STRIP_PAN_ROW,
	 {"/strip/<n|name>/pan/az", "f", "degrees", "any; wrapped to (-180, 180]", "Azimuth, ITU-R BS.2051: 0 "
	 "front centre, positive to the left (L is +30). Stereo and wider inputs rotate about it."}, console_pan_direction_changed},
	{"strip", "pan/el", ACT_VALUE, RULE_RANGE, -90, 90, STRIP(pan_elevation_deg), GRAPH_OP_STRIP_PAN_ROW,
	 {"/strip/<n|name>/pan/el", "f", "degrees", "-90 ... +90",
	 "Elevation: 0 the ear plane, +90 overhead, below 0 folds onto the ear layer."}, console_pan_direction_changed},
	{"strip", "pan/x", ACT_VALUE, RULE_RANGE, -1, 1, STRIP(pan_x), GRAPH_OP_STRIP_PAN_ROW,
	 {"/strip/<n|name>/pan/x", "f", "room", "-1 ... +1", "Room position, left -1 ... right +1 (docs/layouts.md: "
	 "the room and its 0 ... 1 form). Setting x, y or z pans by room position until az or el is set."},
	 console_pan_room_changed},
	{"strip", "pan/y", ACT_VALUE, RULE_RANGE, -1, 1, STRIP(pan_y), GRAPH_OP_STRIP_PAN_ROW,
	 {"/strip/<n|name>/pan/y", "f", "room", "-1 ... +1", "Room position, back -1 ... front (screen) +1."},
	 console_pan_room_changed},
	{"strip", "pan/z", ACT_VALUE, RULE_RANGE, 0, 1, STRIP(pan_z), GRAPH_OP_STRIP_PAN_ROW,
	 {"/strip/<n|name>/pan/z", "f", "room", "0 ... 1", "Room position, ear level 0 ... ceiling +1."},
	 console_pan_room_changed},
	{"strip", "pan/size", ACT_VALUE, RULE_RANGE, 0, 1, STRIP(pan_size), GRAPH_OP_STRIP_PAN_ROW,
	 {"/strip/<n|name>/pan/size", "f", "0 ... 1", "0 ... 1",
	 "Size: 0 a point source, 1 an even spread over the room (power preserved)."}, NULL},
	{"strip", "pan/divergence", ACT_VALUE, RULE_RANGE, 0, 1, STRIP(pan_divergence), GRAPH_OP_STRIP_PAN_ROW,
	 {"/strip/<n|name>/pan/divergence", "f", "0 ... 1", "0 ... 1",
	 "Centre divergence: the share of C's energy moved into L and R."}, NULL},
	{"strip", "pan/width", ACT_VALUE, RULE_RANGE, 0, 1, STRIP(pan_width), GRAPH_OP_STRIP_PAN_ROW,
	 {"/strip/<n|name>/pan/width", "f", "0 ... 1", "0 ... 1", "Stereo and wider inputs: 1 keeps the "
	 "channels at their nominal spread, 0 collapses them to the pan position."}, NULL},
	{"strip", "pan/rotation", ACT_VALUE, RULE_WRAP, 0, 0, STRIP(pan_rotation_deg), GRAPH_OP_STRIP_PAN_ROW,
	 {"/strip/<n|name>/pan/rotation", "f", "degrees", "any; wrapped to (-180, 180]",
	 "Stereo and wider inputs: turns the image."}, NULL},
	{"strip", "pan/lfe", ACT_VALUE, RULE_DB_OFF, 0, CONSOLE_FADER_MAX_DB, STRIP(lfe_send_db), GRAPH_OP_STRIP_PAN_ROW,
	 {"/strip/<n|name>/pan/lfe", "f", "dB", "-inf ... +10",
	 "LFE send, independent of the position (a wider input's channels each send their share)."}, NULL},
	{"strip", "pan", ACT_VALUE, RULE_WRAP, 0, 0, STRIP(pan_azimuth_deg), GRAPH_OP_STRIP_PAN_ROW,
	 {"/strip/<n|name>/pan", "f", "degrees", "any; wrapped to (-180, 180]",
	 "Same as /pan/az (the foundation's address)."}, console_pan_direction_changed},
	{"strip", "mute", ACT_VALUE, RULE_BOOL, 0, 1, STRIP(mute), GRAPH_OP_STRIP_MUTE,
	 {"/strip/<n|name>/mute", "i", "0/1", "0, 1", "Mute (ramped: no click)."}, NULL},
	{"strip", "solo", ACT_VALUE, RULE_BOOL, 0, 1, STRIP(solo), GRAPH_OP_STRIP_SOLO,
	 {"/strip/<n|name>/solo", "i", "0/1", "0, 1",
	 "Solo in place: while any strip is soloed, strips neither soloed nor solo-safe are silent."}, NULL},
	{"strip", "solo_safe", ACT_VALUE, RULE_BOOL, 0, 1, STRIP(solo_safe), GRAPH_OP_STRIP_SOLO_SAFE,
	 {"/strip/<n|name>/solo_safe", "i", "0/1", "0, 1", "Solo-safe: the strip keeps playing when others are soloed."}, NULL},
	{"strip", "polarity", ACT_VALUE, RULE_BOOL, 0, 1, STRIP(polarity_inverted), GRAPH_OP_STRIP_POLARITY,
	 {"/strip/<n|name>/polarity", "i", "0/1", "0, 1", "1 inverts the polarity of every input channel."}, NULL},
	{"strip", "send/level", ACT_VALUE, RULE_DB_OFF, 0, CONSOLE_FADER_MAX_DB, SEND(level_db), GRAPH_OP_STRIP_PAN_ROW,
	 {"/strip/<n|name>/send/<n|aux>/level", "f", "dB", "-inf ... +10", "Send level into an aux bus (by aux "
	 "name, or 1-based among the aux buses), panned into the aux's format from the strip's position."}, NULL},
	{"strip", "send/pre", ACT_VALUE, RULE_BOOL, 0, 1, SEND(pre), GRAPH_OP_STRIP_PAN_ROW,
	 {"/strip/<n|name>/send/<n|aux>/pre", "i", "0/1", "0, 1", "1: pre-fader (after the dynamics; follows "
	 "the mute, not the fader or solo), 0: post-fader. Switching crossfades."}, NULL},
	{"strip", "send/on", ACT_VALUE, RULE_BOOL, 0, 1, SEND(on), GRAPH_OP_STRIP_PAN_ROW,
	 {"/strip/<n|name>/send/<n|aux>/on", "i", "0/1", "0, 1", "Send on (ramped)."}, NULL},
	{"strip", "dyn/gr", ACT_GR, RULE_NONE, 0, 0, 0, 0, {"/{strip,bus}/<n|name>/dyn/gr", "", "dB", ">= 0",
	 "Query only: gain reduction of the gate, the compressor and the de-esser (f gate, f comp, f deess), "
	 "the most in the last period."}, NULL},
	{"strip", "meter", ACT_METER, RULE_NONE, 0, 0, 0, 0, {"/strip/<n|name>/meter", "", "dBFS", "",
	 "Query only: replies with peak and RMS per input channel, post-fader "
	 "(f peak, f rms, ...); peak is the maximum since the previous meter query."}, NULL},
	{"bus", "fader", ACT_VALUE, RULE_DB_OFF, 0, CONSOLE_FADER_MAX_DB, BUS(fader_db), GRAPH_OP_BUS_FADER,
	 {"/bus/<n|name>/fader", "f", "dB", "-inf ... +10 (values below -144 and -inf mean off)", "Bus fader."}, NULL},
	{"bus", "fader/pos", ACT_VALUE, RULE_FADER_POS, 0, 1, BUS(fader_db), GRAPH_OP_BUS_FADER,
	 {"/bus/<n|name>/fader/pos", "f", "position", "0 ... 1", "The bus fader as a surface position."}, NULL},
	{"bus", "mute", ACT_VALUE, RULE_BOOL, 0, 1, BUS(mute), GRAPH_OP_BUS_MUTE,
	 {"/bus/<n|name>/mute", "i", "0/1", "0, 1", "Bus mute."}, NULL},
	{"bus", "dyn/gr", ACT_GR, RULE_NONE, 0, 0, 0, 0, {"/{strip,bus}/<n|name>/dyn/gr", "", "dB", ">= 0",
	 "Query only: gain reduction of the gate, the compressor and the de-esser (f gate, f comp, f deess), "
	 "the most in the last period."}, NULL},
	{"bus", "limiter/on", ACT_VALUE, RULE_BOOL, 0, 1, BUS(limiter.on), GRAPH_OP_BUS_LIMITER,
	 {"/bus/<n|name>/limiter/on", "i", "0/1", "0, 1", "A master's true-peak limiter on (masters with "
	 "\"limiter\" in their config; the look-ahead delay stays either way)."}, NULL},
	{"bus", "limiter/ceiling", ACT_VALUE, RULE_RANGE, LIMITER_CEILING_MIN_DB, LIMITER_CEILING_MAX_DB,
	 BUS(limiter.ceiling_db), GRAPH_OP_BUS_LIMITER, {"/bus/<n|name>/limiter/ceiling", "f", "dBTP", "-20 ... 0",
	 "The most the outputs reach, measured as BS.1770-4 Annex 2 true peak (default -1)."}, NULL},
	{"bus", "limiter/release", ACT_VALUE, RULE_RANGE, LIMITER_RELEASE_MIN_MS, LIMITER_RELEASE_MAX_MS,
	 BUS(limiter.release_ms), GRAPH_OP_BUS_LIMITER, {"/bus/<n|name>/limiter/release", "f", "ms", "10 ... 2000",
	 "Release time constant (default 100)."}, NULL},
	{"bus", "limiter/gr", ACT_LIMITER_GR, RULE_NONE, 0, 0, 0, 0, {"/bus/<n|name>/limiter/gr", "", "dB", ">= 0",
	 "Query only: the limiter's most gain reduction in the last period (f)."}, NULL},
	{"bus", "limiter/latency", ACT_LATENCY, RULE_NONE, 0, 0, 0, 0, {"/bus/<n|name>/limiter/latency", "",
	 "frames", "", "Query only: how late the master's outputs are against its stems (i frames, f ms): the "
	 "look-ahead, 1.5 ms plus 7 frames."}, NULL},
	{"vca", "fader", ACT_VALUE, RULE_DB_OFF, 0, CONSOLE_FADER_MAX_DB, GRP(fader_db), GRAPH_OP_STRIP_FADER,
	 {"/vca/<n|name>/fader", "f", "dB", "-inf ... +10", "VCA fader: offsets its member strips' faders "
	 "(their own positions stay); offsets of several VCAs add, capped at +20 dB in all."}, NULL},
	{"vca", "fader/pos", ACT_VALUE, RULE_FADER_POS, 0, 1, GRP(fader_db), GRAPH_OP_STRIP_FADER,
	 {"/vca/<n|name>/fader/pos", "f", "position", "0 ... 1", "The VCA fader as a surface position."}, NULL},
	{"vca", "mute", ACT_VALUE, RULE_BOOL, 0, 1, GRP(mute), GRAPH_OP_STRIP_MUTE,
	 {"/vca/<n|name>/mute", "i", "0/1", "0, 1", "Mutes every member strip (their own mutes stay)."}, NULL},
	{"mute_group", "mute", ACT_VALUE, RULE_BOOL, 0, 1, GRP(mute), GRAPH_OP_STRIP_MUTE,
	 {"/mute_group/<n|name>/mute", "i", "0/1", "0, 1", "Mute-group master: mutes every member strip."}, NULL},
	{"bus", "meter", ACT_METER, RULE_NONE, 0, 0, 0, 0, {"/bus/<n|name>/meter", "", "dBFS", "",
	 "Query only: peak and RMS per bus channel, post-fader (f peak, f rms, ...)."}, NULL},
	{"monitor", "source", ACT_VALUE, RULE_SOURCE, 0, 0, 0, 0, {"/monitor/source", "s", "bus", "a bus name, "
	 "i 1 ... buses, or \"solo\"", "What the control room hears: the printmaster, any stem, or the solo bus "
	 "(the soloed strips, post-fader, panned in the room's format). Crossfaded in 10 ms."}, NULL},
	{"monitor", "speakers", ACT_VALUE, RULE_SET, 0, 0, 0, 0, {"/monitor/speakers", "s", "format",
	 "the room's format or a fold-down of it (\"7.1.4\", \"5.1\", \"2.0\", \"mono\", ...)",
	 "The speaker set in use: the source is folded down to it by the documented steps and played "
	 "on the room's loudspeakers (docs/config.md)."}, NULL},
	{"monitor", "level", ACT_VALUE, RULE_DB_OFF, 0, CONSOLE_FADER_MAX_DB, MON(level_db), 0,
	 {"/monitor/level", "f", "dB", "-inf ... +10", "Control-room level."}, NULL},
	{"monitor", "dim", ACT_VALUE, RULE_BOOL, 0, 1, MON(dim), 0,
	 {"/monitor/dim", "i", "0/1", "0, 1", "Dim: lowers the monitor by the dim level."}, NULL},
	{"monitor", "dim_level", ACT_VALUE, RULE_RANGE, CONSOLE_MONITOR_DIM_MIN_DB, 0, MON(dim_db), 0,
	 {"/monitor/dim_level", "f", "dB", "-60 ... 0", "How far dim lowers the monitor (default -20)."}, NULL},
	{"monitor", "mute", ACT_VALUE, RULE_BOOL, 0, 1, MON(mute), 0,
	 {"/monitor/mute", "i", "0/1", "0, 1", "Mutes every loudspeaker (ramped)."}, NULL},
	{"monitor", "mono", ACT_VALUE, RULE_BOOL, 0, 1, MON(mono), 0,
	 {"/monitor/mono", "i", "0/1", "0, 1", "Mono check: folds the speaker set to mono (2.0 -> mono is "
	 "0.7071 (L + R)), played from C, or from L and R at -3 dB in a room without C."}, NULL},
	{"monitor/speaker", "mute", ACT_VALUE, RULE_BOOL, 0, 1, SPK(mute), 0,
	 {"/monitor/speaker/<n|name>/mute", "i", "0/1", "0, 1", "Mutes one loudspeaker of the room."}, NULL},
	{"monitor/speaker", "solo", ACT_VALUE, RULE_BOOL, 0, 1, SPK(solo), 0,
	 {"/monitor/speaker/<n|name>/solo", "i", "0/1", "0, 1",
	 "While any loudspeaker is soloed, only soloed ones play."}, NULL},
	{"monitor/speaker", "cal", ACT_VALUE, RULE_RANGE, CONSOLE_MONITOR_CAL_MIN_DB, CONSOLE_MONITOR_CAL_MAX_DB,
	 SPK(cal_db), 0, {"/monitor/speaker/<n|name>/cal", "f", "dB", "-24 ... +24",
	 "Calibration trim of one loudspeaker (room alignment)."}, NULL},
	{"monitor/speaker", "delay", ACT_VALUE, RULE_RANGE, 0, CONSOLE_MONITOR_DELAY_MAX_MS, SPK(delay_ms), 0,
	 {"/monitor/speaker/<n|name>/delay", "f", "ms", "0 ... 50",
	 "Alignment delay of one loudspeaker; a change crossfades between the old and new delay."}, NULL},
	{NULL, "subscribe", ACT_SUBSCRIBE, RULE_NONE, 0, 0, 0, 0, {"/subscribe", "[i [i [i]]]", "s, 0/1, port",
	 "1 ... 3600", "Feedback: this address and port get every state change, whoever made it, until the "
	 "lease (default 10 s) runs out; send again to renew. Second argument 1: also the changes this surface "
	 "makes itself (motor faders). Third: another port of the sender's host to send to. Reply /subscribe "
	 "i seconds i echo."}, NULL},
	{NULL, "unsubscribe", ACT_UNSUBSCRIBE, RULE_NONE, 0, 0, 0, 0, {"/unsubscribe", "", "", "",
	 "Ends this address's state and meter subscriptions."}, NULL},
	{NULL, "meters/subscribe", ACT_METERS_SUBSCRIBE, RULE_NONE, 0, 0, 0, 0, {"/meters/subscribe", "[f [i [i]]]",
	 "Hz, s", "1 ... 60 Hz", "Meter frames (see \"Meter frames\") at this rate (default 30 Hz) until the "
	 "lease (default 10 s) runs out. Reply /meters/subscribe f rate i seconds."}, NULL},
	{NULL, "meters/unsubscribe", ACT_METERS_UNSUBSCRIBE, RULE_NONE, 0, 0, 0, 0, {"/meters/unsubscribe", "",
	 "", "", "Stops meter frames to this address."}, NULL},
	{NULL, "dump", ACT_DUMP, RULE_NONE, 0, 0, 0, 0, {"/dump", "", "", "", "Replies with every settable "
	 "value as the query replies would, in bundles of at most 1,200 bytes, then /dump/done i count."}, NULL},
	{NULL, "info", ACT_INFO, RULE_NONE, 0, 0, 0, 0, {"/info", "", "", "",
	 "Replies /info s version, i sample rate, i period, i strips, i buses, f DSP load p50 %, "
	 "f p99 %, f max % (the engine's own callback time as a share of the period), i xruns."}, NULL},
};

#define N_BASE (sizeof base_params / sizeof base_params[0])
#define MAX_PROCESSING_FIELDS 64
#define MAX_PARAMS (N_BASE + 2 * MAX_PROCESSING_FIELDS)

/* The table: the rows above, then one per strip processing setting from
 * engine/console.h's field table (which the config parser reads too), and
 * the same for buses (all but the delay). */
static struct param params[MAX_PARAMS];
static size_t n_params;

static void init_params(void)
{
	if (n_params)
		return;
	static char paths[MAX_PARAMS][64];
	for (size_t i = 0; i < N_BASE; i++)
		params[n_params++] = base_params[i];
	size_t n;
	const struct console_field *f = console_processing_fields(&n);
	for (int bus = 0; bus <= 1; bus++)
		for (size_t i = 0; i < n && i < MAX_PROCESSING_FIELDS; i++) {
			const bool delay = f[i].group == CONSOLE_FIELD_DELAY;
			if (bus && delay)
				continue;
			struct param *p = &params[n_params];
			/* A bus row is documented with its strip row. */
			snprintf(paths[n_params], sizeof paths[n_params], "/%s/<n|name>/%s", delay ? "strip" : "{strip,bus}",
			         f[i].path);
			const bool number = f[i].kind == CONSOLE_FIELD_NUMBER;
			const enum graph_op filter = bus ? GRAPH_OP_BUS_FILTER : GRAPH_OP_STRIP_FILTER;
			const enum graph_op dynamics = bus ? GRAPH_OP_BUS_DYNAMICS : GRAPH_OP_STRIP_DYNAMICS;
			*p = (struct param){
				.kind = bus ? "bus" : "strip", .name = f[i].path, .action = ACT_VALUE,
				.rule = number ? RULE_RANGE : (f[i].kind == CONSOLE_FIELD_SLOPE ? RULE_SLOPE : RULE_BOOL),
				.lo = f[i].lo, .hi = f[i].hi,
				.offset = (bus ? offsetof(struct bus_params, proc) : offsetof(struct strip_params, proc)) +
				          f[i].offset,
				.op = f[i].group == CONSOLE_FIELD_FILTERS ? filter
				    : f[i].group == CONSOLE_FIELD_DYNAMICS ? dynamics : GRAPH_OP_STRIP_DELAY,
				.doc = {paths[n_params], number || f[i].kind == CONSOLE_FIELD_SLOPE ? "f" : "i", f[i].units,
				        f[i].range, f[i].doc},
			};
			n_params++;
		}
}

const struct osc_address *osc_addresses(size_t *n)
{
	static struct osc_address table[MAX_PARAMS];
	init_params();
	for (size_t i = 0; i < n_params; i++)
		table[i] = params[i].doc;
	*n = n_params;
	return table;
}

struct osc_server {
	int fd;
	uint16_t port;
	lo_server lo;
	struct osc_host host;
	struct sockaddr_storage from;
	socklen_t from_len;
	char lo_error[256];
	uint64_t bad_packets;
	struct subscription subs;
	uint32_t meter_frame;
};

static void notify(struct osc_server *s, const char *path, lo_message m, bool from_sender);

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static struct console *console_of(struct osc_server *s) { return s->host.console(s->host.ctx); }
static struct engine *engine_of(struct osc_server *s) { return s->host.engine(s->host.ctx); }

static void send_message(struct osc_server *s, const char *path, lo_message m)
{
	char buf[OSC_MAX_DATAGRAM];
	size_t len = lo_message_length(m, path);
	if (len <= sizeof buf && lo_message_serialise(m, path, buf, &len))
		sendto(s->fd, buf, len, 0, (struct sockaddr *)&s->from, s->from_len);
	lo_message_free(m);
}

__attribute__((format(printf, 2, 3)))
static void reply_error(struct osc_server *s, const char *fmt, ...)
{
	char text[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	lo_message m = lo_message_new();
	lo_message_add_string(m, text);
	send_message(s, "/error", m);
}

static bool has_pattern(const char *seg)
{
	return strpbrk(seg, "*?[]{}") != NULL;
}

static bool all_digits(const char *seg)
{
	if (!*seg)
		return false;
	for (; *seg; seg++)
		if (*seg < '0' || *seg > '9')
			return false;
	return true;
}

static enum kind kind_of(const struct param *p)
{
	return strcmp(p->kind, "strip") == 0 ? KIND_STRIP
	     : strcmp(p->kind, "bus") == 0 ? KIND_BUS
	     : strcmp(p->kind, "vca") == 0 ? KIND_VCA
	     : strcmp(p->kind, "mute_group") == 0 ? KIND_MUTE_GROUP
	     : strcmp(p->kind, "monitor") == 0 ? KIND_MONITOR : KIND_SPEAKER;
}

static uint32_t target_count(const struct console *c, enum kind k)
{
	switch (k) {
	case KIND_STRIP: return c->n_strips;
	case KIND_BUS: return c->n_buses;
	case KIND_VCA: return c->n_vcas;
	case KIND_MUTE_GROUP: return c->n_mute_groups;
	case KIND_MONITOR: return 1;
	default: return layout_get(c->monitor->room)->channels;
	}
}

static const char *target_name(struct console *c, enum kind k, uint32_t i)
{
	switch (k) {
	case KIND_STRIP: return c->strips[i].name;
	case KIND_BUS: return c->buses[i].name;
	case KIND_VCA: return c->vcas[i].name;
	case KIND_MUTE_GROUP: return c->mute_groups[i].name;
	case KIND_MONITOR: return "";
	default: return layout_get(c->monitor->room)->speakers[i].name;
	}
}

static int find_target(struct console *c, enum kind k, const char *name)
{
	switch (k) {
	case KIND_STRIP: return console_find_strip(c, name);
	case KIND_BUS: return console_find_bus(c, name);
	case KIND_VCA: return console_find_vca(c, name);
	case KIND_MUTE_GROUP: return console_find_mute_group(c, name);
	case KIND_MONITOR: return 0;
	default: return layout_channel_index(layout_get(c->monitor->room), name);
	}
}

/* Resolves the <n|name> segment (a 1-based number, a name, or an OSC pattern
 * matched against names) into indices; returns how many. */
static uint32_t resolve(struct console *c, enum kind kind, const char *seg, uint32_t *out)
{
	const uint32_t n = target_count(c, kind);
	if (kind == KIND_MONITOR) {
		out[0] = 0;
		return 1;
	}
	if (has_pattern(seg)) {
		uint32_t k = 0;
		for (uint32_t i = 0; i < n; i++)
			if (lo_pattern_match(target_name(c, kind, i), seg))
				out[k++] = i;
		return k;
	}
	if (all_digits(seg)) {
		unsigned long v = strtoul(seg, NULL, 10);
		if (v >= 1 && v <= n) {
			out[0] = (uint32_t)(v - 1);
			return 1;
		}
		return 0;
	}
	int i = find_target(c, kind, seg);
	if (i < 0)
		return 0;
	out[0] = (uint32_t)i;
	return 1;
}

/* The model's storage for parameter p of strip, bus or loudspeaker i. */
static void *field_of(struct console *c, const struct param *p, uint32_t i)
{
	char *base;
	switch (kind_of(p)) {
	case KIND_STRIP: base = (char *)&c->strips[i].params; break;
	case KIND_BUS: base = (char *)&c->buses[i].params; break;
	case KIND_VCA: base = (char *)&c->vcas[i].params; break;
	case KIND_MUTE_GROUP: base = (char *)&c->mute_groups[i].params; break;
	case KIND_MONITOR: base = (char *)&c->monitor->params; break;
	default: base = (char *)&c->monitor->speaker[i]; break;
	}
	return base + p->offset;
}

/* The address a reply about target i goes out on. */
static void format_path(char *out, size_t len, struct console *c, const struct param *p, const char *seg,
                        bool pattern, uint32_t i)
{
	const enum kind k = kind_of(p);
	const char *target = pattern ? target_name(c, k, i) : seg;
	if (k == KIND_MONITOR)
		snprintf(out, len, "/monitor/%s", p->name);
	else if (k == KIND_SPEAKER)
		snprintf(out, len, "/monitor/speaker/%s/%s", target, p->name);
	else
		snprintf(out, len, "/%s/%s/%s", p->kind, target, p->name);
}

/* /monitor/source (a bus name or number, or "solo") and /monitor/speakers (a
 * format the room can play): string-valued, so handled apart from the
 * numeric table rows. */
static void handle_choice(struct osc_server *s, const char *path, const struct param *p, const char *types,
                          lo_arg **argv, int argc)
{
	struct console *c = console_of(s);
	struct console_monitor *m = c->monitor;
	const bool source = p->rule == RULE_SOURCE;
	if (argc == 0) {
		lo_message r = lo_message_new();
		lo_message_add_string(r, source ? (m->source == c->n_buses ? "solo" : c->buses[m->source].name)
		                                : layout_get(m->speakers)->name);
		send_message(s, path, r);
		return;
	}
	if (argc != 1 || (types[0] != 's' && !(source && types[0] == 'i'))) {
		reply_error(s, "%s expects one string (%s)", path, p->doc.range);
		return;
	}
	if (source) {
		int b = -1;
		if (types[0] == 'i')
			b = argv[0]->i >= 1 && (uint32_t)argv[0]->i <= c->n_buses ? argv[0]->i - 1 : -1;
		else if (strcmp(&argv[0]->s, "solo") == 0)
			b = (int)c->n_buses;
		else
			b = console_find_bus(c, &argv[0]->s);
		if (b < 0) {
			reply_error(s, "%s: no bus %s%s (a bus name, 1 ... %u, or \"solo\")", path,
			            types[0] == 'i' ? "number " : "", types[0] == 'i' ? "" : &argv[0]->s, c->n_buses);
			return;
		}
		m->source = (uint32_t)b;
	} else {
		enum layout_id set;
		if (layout_from_name(&argv[0]->s, &set) < 0 || !monitor_room_plays(c, m->room, set)) {
			reply_error(s, "%s: a %s room cannot play \"%s\" (the room's format or a fold-down of it)",
			            path, layout_get(m->room)->name, &argv[0]->s);
			return;
		}
		m->speakers = set;
	}
	engine_sync_monitor(engine_of(s), c);
	lo_message n = lo_message_new();
	lo_message_add_string(n, source ? (m->source == c->n_buses ? "solo" : c->buses[m->source].name)
	                                : layout_get(m->speakers)->name);
	notify(s, path, n, true);
}

static float get_value(struct console *c, const struct param *p, uint32_t i)
{
	const void *f = field_of(c, p, i);
	if (p->rule == RULE_FADER_POS)
		return fader_law_position(*(const float *)f);
	return p->rule == RULE_BOOL ? (float)*(const bool *)f : *(const float *)f;
}

/* Limits v by the parameter's rule; returns the value applied. */
static float clamp_value(const struct param *p, float v)
{
	switch (p->rule) {
	case RULE_DB_OFF: return v <= GAIN_DB_OFF ? -INFINITY : console_clamp(v, GAIN_DB_OFF, p->hi);
	case RULE_RANGE: return console_clamp(v, p->lo, p->hi);
	case RULE_WRAP: return panner_wrap_azimuth(v);
	case RULE_BOOL: return v != 0.0f ? 1.0f : 0.0f;
	case RULE_SLOPE: return v < 15.0f ? 12.0f : (v < 21.0f ? 18.0f : 24.0f);
	case RULE_FADER_POS: return console_clamp(v, 0.0f, 1.0f);
	default: return v;
	}
}

/* Stores v in the model and sends it to the engine. */
static void set_value(struct osc_server *s, const struct param *p, uint32_t i, float v)
{
	struct console *c = console_of(s);
	void *f = field_of(c, p, i);
	if (p->rule == RULE_BOOL)
		*(bool *)f = v != 0.0f;
	else
		*(float *)f = p->rule == RULE_FADER_POS ? fader_law_db(v) : v;
	if (p->changed)
		p->changed(&c->strips[i].params);
	switch (kind_of(p)) {
	case KIND_STRIP: engine_sync_strip(engine_of(s), c, i, p->op); break;
	case KIND_BUS: engine_sync_bus(engine_of(s), c, i, p->op); break;
	case KIND_VCA: engine_sync_group(engine_of(s), c, true, i, p->op); break;
	case KIND_MUTE_GROUP: engine_sync_group(engine_of(s), c, false, i, p->op); break;
	default: engine_sync_monitor(engine_of(s), c); break;
	}
}

static lo_message value_message(const struct param *p, float v);

static void reply_value(struct osc_server *s, const char *path, const struct param *p, float v)
{
	send_message(s, path, value_message(p, v));
}

static lo_message value_message(const struct param *p, float v)
{
	lo_message m = lo_message_new();
	if (p->rule == RULE_BOOL)
		lo_message_add_int32(m, (int32_t)v);
	else
		lo_message_add_float(m, v);
	return m;
}

/* Sends m (then frees it) to every surface subscribed to state changes;
 * the surface whose message made the change (from_sender) only when it
 * asked for echo. */
static void notify(struct osc_server *s, const char *path, lo_message m, bool from_sender)
{
	char buf[OSC_MAX_DATAGRAM];
	size_t len = lo_message_length(m, path);
	const double now = now_s();
	if (len <= sizeof buf && lo_message_serialise(m, path, buf, &len))
		for (uint32_t i = 0; i < s->subs.n; i++) {
			const struct subscriber *e = &s->subs.list[i];
			if (e->state_until <= now ||
			    (from_sender && !e->echo &&
			     subscription_same_address(e, (const struct sockaddr *)&s->from, s->from_len)))
				continue;
			sendto(s->fd, buf, len, 0, (const struct sockaddr *)&e->addr, e->addr_len);
		}
	lo_message_free(m);
}

static bool is_send_row(const struct param *p) { return strncmp(p->name, "send/", 5) == 0; }

/* After row p of target i changed: subscribers get its new value, and that
 * of every row showing the same field (fader and fader/pos, pan and pan/az)
 * or derived from it (a room position moves az and el). */
static void notify_param(struct osc_server *s, const struct param *p, uint32_t i)
{
	if (s->subs.n == 0)
		return;
	struct console *c = console_of(s);
	char path[256], name[128];
	struct param canonical = *p;
	if (is_send_row(p)) { /* by the aux's name, however the sender named it */
		const size_t k = (p->offset - offsetof(struct strip_params, send)) / sizeof(struct send_params);
		snprintf(name, sizeof name, "send/%s/%s", c->buses[c->aux[k]].name, strrchr(p->name, '/') + 1);
		canonical.name = name;
	}
	for (size_t r = 0; r <= n_params; r++) {
		const struct param *q = r == 0 ? &canonical : &params[r - 1]; /* the row that changed first */
		if (r > 0) {
			if (q == p || !q->kind || q->action != ACT_VALUE || strcmp(q->kind, p->kind) != 0 ||
			    q->rule == RULE_SOURCE || q->rule == RULE_SET || is_send_row(q) || is_send_row(p))
				continue;
			if (q->offset != p->offset && !(p->changed && q->changed))
				continue;
		}
		format_path(path, sizeof path, c, q, "", true, i);
		notify(s, path, value_message(q, get_value(c, q, i)), true);
	}
}

static void reply_meter(struct osc_server *s, const char *path, bool strip, uint32_t i)
{
	struct graph *g = engine_graph(engine_of(s));
	if (!g)
		return;
	uint32_t n;
	const struct graph_meter_readout *r = strip ? graph_strip_meters(g, i, &n) : graph_bus_meters(g, i, &n);
	lo_message m = lo_message_new();
	for (uint32_t c = 0; c < n; c++) {
		const float peak = atomic_load_explicit(&r[c].peak, memory_order_relaxed);
		const float ms = atomic_load_explicit(&r[c].mean_square, memory_order_relaxed);
		lo_message_add_float(m, gain_to_db(peak));
		lo_message_add_float(m, ms > 0.0f ? 10.0f * log10f(ms) : -INFINITY);
	}
	send_message(s, path, m);
}

static void reply_gain_reduction(struct osc_server *s, const char *path, bool strip, uint32_t i)
{
	struct graph *g = engine_graph(engine_of(s));
	if (!g)
		return;
	const struct graph_gr_readout *r = strip ? graph_strip_gain_reduction(g, i) : graph_bus_gain_reduction(g, i);
	lo_message m = lo_message_new();
	lo_message_add_float(m, atomic_load_explicit(&r->gate, memory_order_relaxed));
	lo_message_add_float(m, atomic_load_explicit(&r->comp, memory_order_relaxed));
	lo_message_add_float(m, atomic_load_explicit(&r->deess, memory_order_relaxed));
	send_message(s, path, m);
}

static void reply_limiter(struct osc_server *s, const char *path, bool latency, uint32_t b)
{
	struct graph *g = engine_graph(engine_of(s));
	if (!g)
		return;
	lo_message m = lo_message_new();
	if (latency) {
		const uint32_t frames = graph_bus_latency(g, b);
		lo_message_add_int32(m, (int32_t)frames);
		lo_message_add_float(m, 1000.0f * (float)frames / (float)engine_sample_rate(engine_of(s)));
	} else {
		lo_message_add_float(m, atomic_load_explicit(&graph_bus_gain_reduction(g, b)->limit, memory_order_relaxed));
	}
	send_message(s, path, m);
}

static void reply_info(struct osc_server *s)
{
	struct console *c = console_of(s);
	struct engine *e = engine_of(s);
	struct engine_load l = engine_load(e);
	lo_message m = lo_message_new();
	lo_message_add_string(m, DUBSTAGE_VERSION);
	lo_message_add_int32(m, (int32_t)engine_sample_rate(e));
	lo_message_add_int32(m, (int32_t)s->host.period(s->host.ctx));
	lo_message_add_int32(m, (int32_t)c->n_strips);
	lo_message_add_int32(m, (int32_t)c->n_buses);
	lo_message_add_float(m, 100.0f * l.p50);
	lo_message_add_float(m, 100.0f * l.p99);
	lo_message_add_float(m, 100.0f * l.max);
	lo_message_add_int32(m, (int32_t)engine_xruns(e));
	send_message(s, "/info", m);
}

/* Reads one numeric or boolean argument; false with an /error sent otherwise. */
static bool read_argument(struct osc_server *s, const char *path, const struct param *p,
                          const char *types, lo_arg **argv, int argc, float *out)
{
	if (argc != 1) {
		reply_error(s, "%s expects one %s (%s), got %d arguments", path,
		            p->rule == RULE_BOOL ? "int" : "float", p->doc.units, argc);
		return false;
	}
	switch (types[0]) {
	case 'f': *out = argv[0]->f; break;
	case 'd': *out = (float)argv[0]->d; break;
	case 'i': *out = (float)argv[0]->i; break;
	case 'h': *out = (float)argv[0]->h; break;
	case 'T': *out = 1.0f; break;
	case 'F': *out = 0.0f; break;
	default:
		reply_error(s, "%s expects one %s (%s), got type '%c'", path,
		            p->rule == RULE_BOOL ? "int" : "float", p->doc.units, types[0]);
		return false;
	}
	/* -inf means off where the rule has an off; any other infinity is refused. */
	if (isnan(*out) || (isinf(*out) && !(p->rule == RULE_DB_OFF && *out < 0))) {
		reply_error(s, "%s: %s is not a usable value", path, isnan(*out) ? "NaN" : "infinity");
		return false;
	}
	return true;
}

static void handle_param(struct osc_server *s, const char *path, const struct param *p,
                         const char *seg, const char *types, lo_arg **argv, int argc)
{
	struct console *c = console_of(s);
	const enum kind kind = kind_of(p);
	if ((kind == KIND_MONITOR || kind == KIND_SPEAKER) && !c->monitor) {
		reply_error(s, "%s: this console has no monitor section (docs/config.md, \"monitor\")", path);
		return;
	}
	if (p->rule == RULE_SOURCE || p->rule == RULE_SET) {
		handle_choice(s, path, p, types, argv, argc);
		return;
	}
	const bool strip = kind == KIND_STRIP;
	const uint32_t n = target_count(c, kind);
	uint32_t *targets = malloc((n ? n : 1) * sizeof *targets);
	if (!targets)
		return;
	uint32_t k = resolve(c, kind, seg, targets);
	if (k == 0) {
		if (kind == KIND_SPEAKER)
			reply_error(s, "%s: no loudspeaker \"%s\" in the %s room (names or 1 ... %u)", path, seg,
			            layout_get(c->monitor->room)->name, n);
		else
			reply_error(s, "%s: no %s \"%s\" (the console has %u %s%s, numbered from 1)", path,
			            p->kind, seg, n, p->kind, n == 1 ? "" : (kind == KIND_BUS ? "es" : "s"));
		free(targets);
		return;
	}
	const bool pattern = kind != KIND_MONITOR && has_pattern(seg);
	if (strncmp(p->name, "limiter/", 8) == 0) {
		/* Only masters configured with a limiter have one (its look-ahead
		 * is their outputs' latency, fixed by the config). */
		uint32_t kept = 0;
		for (uint32_t t = 0; t < k; t++)
			if (c->buses[targets[t]].has_limiter)
				targets[kept++] = targets[t];
		if (kept == 0) {
			reply_error(s, "%s: %s has no limiter (a master with \"limiter\" in its config has one; its "
			            "look-ahead delays the master's outputs)", path, pattern ? "no matching bus" : seg);
			free(targets);
			return;
		}
		k = kept;
	}
	char out_path[256];
	const bool query_only = p->action != ACT_VALUE;
	if (query_only || argc == 0) {
		if (query_only && argc != 0) {
			reply_error(s, "%s is query-only: send it with no arguments", path);
			free(targets);
			return;
		}
		for (uint32_t t = 0; t < k; t++) {
			format_path(out_path, sizeof out_path, c, p, seg, pattern, targets[t]);
			if (p->action == ACT_GR)
				reply_gain_reduction(s, out_path, strip, targets[t]);
			else if (p->action == ACT_LIMITER_GR || p->action == ACT_LATENCY)
				reply_limiter(s, out_path, p->action == ACT_LATENCY, targets[t]);
			else if (query_only)
				reply_meter(s, out_path, strip, targets[t]);
			else
				reply_value(s, out_path, p, get_value(c, p, targets[t]));
		}
		if (p->action == ACT_METER)
			engine_reset_peaks(engine_of(s));
		free(targets);
		return;
	}
	float v;
	if (!read_argument(s, path, p, types, argv, argc, &v)) {
		free(targets);
		return;
	}
	const float applied = clamp_value(p, v);
	for (uint32_t t = 0; t < k; t++) {
		set_value(s, p, targets[t], applied);
		notify_param(s, p, targets[t]);
	}
	if (applied != v && !(isinf(applied) && v <= GAIN_DB_OFF) && p->rule != RULE_BOOL) {
		/* Tell the sender where the control really is. */
		for (uint32_t t = 0; t < k; t++) {
			format_path(out_path, sizeof out_path, c, p, seg, pattern, targets[t]);
			reply_value(s, out_path, p, applied);
		}
	}
	free(targets);
}

/* The table row of kind/name, or NULL. */
static const struct param *find_param(const char *kind, const char *name)
{
	init_params();
	for (size_t i = 0; i < n_params; i++)
		if (params[i].kind && strcmp(params[i].kind, kind) == 0 && strcmp(params[i].name, name) == 0)
			return &params[i];
	return NULL;
}

/* /strip/<n|name>/send/<aux>/<field>: the send row of aux 1 moved to the
 * aux named (or numbered, 1-based among the aux buses) by `aux`. */
static void handle_send(struct osc_server *s, const char *path, const char *aux, const char *field,
                        const char *target, const char *types, lo_arg **argv, int argc)
{
	struct console *c = console_of(s);
	char name[128];
	snprintf(name, sizeof name, "send/%s", field);
	const struct param *row = find_param("strip", name);
	if (!row) {
		reply_error(s, "unknown address %s: a send has level, pre and on (see docs/osc.md)", path);
		return;
	}
	int k = console_find_aux(c, aux);
	if (k < 0 && all_digits(aux)) {
		const unsigned long v = strtoul(aux, NULL, 10);
		k = v >= 1 && v <= c->n_aux ? (int)v - 1 : -1;
	}
	if (k < 0) {
		reply_error(s, "%s: no aux bus \"%s\" (the console has %u, by name or numbered from 1)", path, aux,
		            c->n_aux);
		return;
	}
	struct param p = *row;
	p.offset += (size_t)k * sizeof(struct send_params);
	snprintf(name, sizeof name, "send/%s/%s", aux, field);
	p.name = name; /* replies go out on the address as sent */
	handle_param(s, path, &p, target, types, argv, argc);
}

/* A numeric argument (i, f, d, h) as a double; false when it is not one. */
static bool number_argument(char type, const lo_arg *a, double *out)
{
	switch (type) {
	case 'i': *out = a->i; return true;
	case 'f': *out = a->f; return isfinite(a->f);
	case 'd': *out = a->d; return isfinite(a->d);
	case 'h': *out = (double)a->h; return true;
	default: return false;
	}
}

static double clampd(double v, double lo, double hi) { return v < lo ? lo : (v > hi ? hi : v); }

static void handle_subscribe(struct osc_server *s, const char *path, bool meters, const char *types,
                             lo_arg **argv, int argc)
{
	double a[3] = {meters ? SUBSCRIPTION_METER_HZ : SUBSCRIPTION_LEASE_S, meters ? SUBSCRIPTION_LEASE_S : 0, 0};
	if (argc > 3) {
		reply_error(s, "%s takes at most 3 arguments, got %d", path, argc);
		return;
	}
	for (int k = 0; k < argc; k++)
		if (!number_argument(types[k], argv[k], &a[k])) {
			static const char *const what[2][3] = {{"lease seconds", "echo 0/1", "port"},
			                                       {"frames per second", "lease seconds", "port"}};
			reply_error(s, "%s: argument %d must be a finite number (%s), got type '%c'", path, k + 1,
			            what[meters][k], types[k]);
			return;
		}
	/* A third argument names another port on the sender's host to send to
	 * (a listener such as oscdump, which cannot send itself). */
	struct sockaddr_storage to = s->from;
	if (argc == 3) {
		if (!(a[2] >= 1 && a[2] <= 65535)) {
			reply_error(s, "%s: port %g is not 1 ... 65535", path, a[2]);
			return;
		}
		if (to.ss_family == AF_INET)
			((struct sockaddr_in *)&to)->sin_port = htons((uint16_t)a[2]);
		else
			((struct sockaddr_in6 *)&to)->sin6_port = htons((uint16_t)a[2]);
	}
	struct subscriber *e = subscription_get(&s->subs, (const struct sockaddr *)&to, s->from_len, true);
	if (!e) {
		reply_error(s, "%s: %d surfaces are subscribed already; unsubscribe one", path, SUBSCRIPTION_MAX);
		return;
	}
	const double now = now_s();
	lo_message m = lo_message_new();
	if (meters) {
		e->meter_hz = (float)clampd(a[0], 1.0, SUBSCRIPTION_METER_MAX_HZ);
		const double lease = clampd(a[1], 1.0, SUBSCRIPTION_LEASE_MAX_S);
		if (e->meters_until <= now)
			e->next_meter = now;
		e->meters_until = now + lease;
		lo_message_add_float(m, e->meter_hz);
		lo_message_add_int32(m, (int32_t)lease);
	} else {
		const double lease = clampd(a[0], 1.0, SUBSCRIPTION_LEASE_MAX_S);
		e->state_until = now + lease;
		e->echo = a[1] != 0.0;
		lo_message_add_int32(m, (int32_t)lease);
		lo_message_add_int32(m, e->echo);
	}
	send_message(s, path, m);
}

static void handle_unsubscribe(struct osc_server *s, bool meters_only)
{
	struct subscriber *e = subscription_get(&s->subs, (const struct sockaddr *)&s->from, s->from_len, false);
	if (!e)
		return;
	e->meters_until = 0;
	if (!meters_only)
		e->state_until = 0;
	subscription_expire(&s->subs, now_s());
}

/* /dump's reply: messages packed into OSC bundles of at most DUMP_BUNDLE
 * bytes, sent to the sender as each fills. */
#define DUMP_BUNDLE 1200
struct dump_writer {
	char buf[DUMP_BUNDLE + OSC_MAX_DATAGRAM];
	size_t len;
	uint32_t messages;
};

static void dump_flush(struct osc_server *s, struct dump_writer *w)
{
	if (w->len > 16)
		sendto(s->fd, w->buf, w->len, 0, (struct sockaddr *)&s->from, s->from_len);
	memcpy(w->buf, "#bundle\0\0\0\0\0\0\0\0\1", 16); /* time tag 1: immediately */
	w->len = 16;
}

static void dump_add(struct osc_server *s, struct dump_writer *w, const char *path, lo_message m)
{
	size_t len = lo_message_length(m, path);
	if (len + 4 <= OSC_MAX_DATAGRAM) {
		if (w->len + 4 + len > DUMP_BUNDLE)
			dump_flush(s, w);
		const uint32_t be = htonl((uint32_t)len);
		memcpy(w->buf + w->len, &be, 4);
		if (lo_message_serialise(m, path, w->buf + w->len + 4, &len)) {
			w->len += 4 + len;
			w->messages++;
		}
	}
	lo_message_free(m);
}

static void dump_state(struct osc_server *s)
{
	struct console *c = console_of(s);
	static struct dump_writer w;
	w.len = 0;
	w.messages = 0;
	dump_flush(s, &w);
	char path[256], name[128];
	for (size_t r = 0; r < n_params; r++) {
		const struct param *p = &params[r];
		if (!p->kind || p->action != ACT_VALUE)
			continue;
		const enum kind kind = kind_of(p);
		if ((kind == KIND_MONITOR || kind == KIND_SPEAKER) && !c->monitor)
			continue;
		if (p->rule == RULE_SOURCE || p->rule == RULE_SET) {
			const struct console_monitor *m = c->monitor;
			lo_message v = lo_message_new();
			lo_message_add_string(v, p->rule == RULE_SET ? layout_get(m->speakers)->name
			                         : m->source == c->n_buses ? "solo" : c->buses[m->source].name);
			dump_add(s, &w, p->doc.path, v);
			continue;
		}
		const uint32_t n = target_count(c, kind);
		for (uint32_t i = 0; i < n; i++) {
			if (kind == KIND_BUS && strncmp(p->name, "limiter/", 8) == 0 && !c->buses[i].has_limiter)
				continue;
			for (uint32_t k = 0; k < (is_send_row(p) ? c->n_aux : 1); k++) {
				struct param q = *p;
				if (is_send_row(p)) {
					q.offset += (size_t)k * sizeof(struct send_params);
					snprintf(name, sizeof name, "send/%s/%s", c->buses[c->aux[k]].name, p->name + 5);
					q.name = name;
				}
				format_path(path, sizeof path, c, &q, "", true, i);
				dump_add(s, &w, path, value_message(&q, get_value(c, &q, i)));
			}
		}
	}
	dump_flush(s, &w);
	lo_message done = lo_message_new();
	lo_message_add_int32(done, (int32_t)w.messages);
	send_message(s, "/dump/done", done);
}

/* The top-level addresses: /info, /subscribe, /meters/subscribe, /dump ... */
static void handle_top(struct osc_server *s, const char *path, const struct param *p, const char *types,
                       lo_arg **argv, int argc)
{
	const bool takes_args = p->action == ACT_SUBSCRIBE || p->action == ACT_METERS_SUBSCRIBE;
	if (!takes_args && argc != 0) {
		reply_error(s, "%s takes no arguments", path);
		return;
	}
	switch (p->action) {
	case ACT_INFO: reply_info(s); break;
	case ACT_SUBSCRIBE: handle_subscribe(s, path, false, types, argv, argc); break;
	case ACT_METERS_SUBSCRIBE: handle_subscribe(s, path, true, types, argv, argc); break;
	case ACT_UNSUBSCRIBE: handle_unsubscribe(s, false); break;
	case ACT_METERS_UNSUBSCRIBE: handle_unsubscribe(s, true); break;
	case ACT_DUMP: dump_state(s); break;
	default: break;
	}
}

static const struct param *find_top(const char *name)
{
	init_params();
	for (size_t i = 0; i < n_params; i++)
		if (!params[i].kind && strcmp(params[i].name, name) == 0)
			return &params[i];
	return NULL;
}

static int on_message(const char *path, const char *types, lo_arg **argv, int argc,
                      lo_message msg, void *user)
{
	(void)msg;
	struct osc_server *s = user;
	char copy[256];
	if (strlen(path) >= sizeof copy) {
		reply_error(s, "address too long (%zu bytes)", strlen(path));
		return 0;
	}
	strcpy(copy, path);
	char *seg[6] = {0};
	int nseg = 0;
	for (char *save = NULL, *t = strtok_r(copy, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
		if (nseg == 6) {
			nseg++;
			break;
		}
		seg[nseg++] = t;
	}
	if (nseg == 1 || (nseg == 2 && strcmp(seg[0], "meters") == 0)) {
		char name[128];
		snprintf(name, sizeof name, nseg == 1 ? "%s" : "%s/%s", seg[0], nseg == 1 ? "" : seg[1]);
		const struct param *top = find_top(name);
		if (top) {
			handle_top(s, path, top, types, argv, argc);
			return 0;
		}
	}
	const struct param *p = NULL;
	const char *target = NULL;
	if (nseg >= 2 && strcmp(seg[0], "monitor") == 0) {
		/* /monitor/<param>, /monitor/speaker/<n|name>/<param> */
		if (nseg == 2)
			p = find_param("monitor", seg[1]);
		else if (nseg == 4 && strcmp(seg[1], "speaker") == 0)
			p = find_param("monitor/speaker", seg[3]);
		target = seg[2];
	} else if (nseg >= 3 && nseg <= 6) {
		/* The parameter is everything after the target: "fader", "pan/az",
		 * "eq/1/freq", "dyn/comp/threshold". */
		char name[128] = "";
		for (int k = 2; k < nseg; k++)
			snprintf(name + strlen(name), sizeof name - strlen(name), "%s%s", k > 2 ? "/" : "", seg[k]);
		/* a send row is reached only through its <aux> segment */
		p = strncmp(name, "send/", 5) == 0 ? NULL : find_param(seg[0], name);
		target = seg[1];
		if (nseg == 5 && strcmp(seg[0], "strip") == 0 && strcmp(seg[2], "send") == 0) {
			handle_send(s, path, seg[3], seg[4], target, types, argv, argc);
			return 0;
		}
	}
	if (p) {
		handle_param(s, path, p, target, types, argv, argc);
		return 0;
	}
	reply_error(s, "unknown address %s (see docs/osc.md)", path);
	return 0;
}

static void on_lo_error(int num, const char *msg, const char *where)
{
	/* Silences liblo's own printing: osc_server_poll answers the sender with
	 * /error from lo_server_dispatch_data's return code instead. */
	(void)num;
	(void)msg;
	(void)where;
}

struct osc_server *osc_server_open(const struct osc_host *host, const char *bind_addr,
                                   uint16_t port, char *err, size_t errlen)
{
	struct osc_server *s = calloc(1, sizeof *s);
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->host = *host;
	struct sockaddr_in6 a6 = {0};
	struct sockaddr_in a4 = {0};
	struct sockaddr *addr;
	socklen_t alen;
	int family;
	if (inet_pton(AF_INET, bind_addr, &a4.sin_addr) == 1) {
		a4.sin_family = AF_INET;
		a4.sin_port = htons(port);
		addr = (struct sockaddr *)&a4;
		alen = sizeof a4;
		family = AF_INET;
	} else if (inet_pton(AF_INET6, bind_addr, &a6.sin6_addr) == 1) {
		a6.sin6_family = AF_INET6;
		a6.sin6_port = htons(port);
		addr = (struct sockaddr *)&a6;
		alen = sizeof a6;
		family = AF_INET6;
	} else {
		snprintf(err, errlen, "--osc-bind: \"%s\" is not an IPv4 or IPv6 address", bind_addr);
		free(s);
		return NULL;
	}
	s->fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0 || bind(s->fd, addr, alen) < 0) {
		snprintf(err, errlen, "cannot bind OSC to udp %s:%u: %s%s", bind_addr, port, strerror(errno),
		         errno == EADDRINUSE ? " (another program uses it: choose --osc-port)" : "");
		if (s->fd >= 0)
			close(s->fd);
		free(s);
		return NULL;
	}
	struct sockaddr_storage bound;
	socklen_t blen = sizeof bound;
	getsockname(s->fd, (struct sockaddr *)&bound, &blen);
	s->port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&bound)->sin_port
	                                  : ((struct sockaddr_in6 *)&bound)->sin6_port);

	/* liblo needs a server object to dispatch; give it a Unix socket that is
	 * unlinked at once, so it listens nowhere: all input comes through s->fd. */
	char lo_path[108];
	snprintf(lo_path, sizeof lo_path, "/tmp/dubstage-lo-%d-%p", (int)getpid(), (void *)s);
	s->lo = lo_server_new_with_proto(lo_path, LO_UNIX, on_lo_error);
	unlink(lo_path);
	if (!s->lo) {
		snprintf(err, errlen, "liblo: cannot create a dispatcher");
		close(s->fd);
		free(s);
		return NULL;
	}
	lo_server_add_method(s->lo, NULL, NULL, on_message, s);
	return s;
}

void osc_server_close(struct osc_server *s)
{
	if (!s)
		return;
	lo_server_free(s->lo);
	close(s->fd);
	free(s);
}

int osc_server_fd(const struct osc_server *s) { return s->fd; }
uint16_t osc_server_port(const struct osc_server *s) { return s->port; }
uint64_t osc_server_bad_packets(const struct osc_server *s) { return s->bad_packets; }

void osc_server_poll(struct osc_server *s)
{
	/* One byte more than we accept, to see that a datagram was too long. */
	static char buf[OSC_MAX_DATAGRAM + 1];
	for (;;) {
		s->from_len = sizeof s->from;
		ssize_t n = recvfrom(s->fd, buf, sizeof buf, MSG_TRUNC, (struct sockaddr *)&s->from, &s->from_len);
		if (n < 0)
			return; /* EAGAIN: drained */
		if (n == 0 || (size_t)n > OSC_MAX_DATAGRAM) {
			s->bad_packets++;
			if (n == 0)
				reply_error(s, "empty datagram");
			else
				reply_error(s, "datagram of %zd bytes refused (at most %d)", n, OSC_MAX_DATAGRAM);
			continue;
		}
		int rc = lo_server_dispatch_data(s->lo, buf, (size_t)n);
		if (rc <= 0) {
			s->bad_packets++;
			reply_error(s, "malformed OSC packet (%zd bytes): liblo error %d", n, rc);
		}
	}
}

/* ---- meter frames -------------------------------------------------------- */

#define METER_FLOOR_DB -144.0f
#define METER_SLOTS_PER_MESSAGE 160 /* 1,280 bytes of levels: one unfragmented datagram */

static void put_be_float(unsigned char *to, float v)
{
	uint32_t u;
	memcpy(&u, &v, 4);
	u = htonl(u);
	memcpy(to, &u, 4);
}

static float floor_db(float db) { return db > METER_FLOOR_DB ? db : METER_FLOOR_DB; }

/* Sends one frame to e: section 0, levels (peak dB, RMS dB per strip input
 * channel, then per bus channel); section 1, gain reduction (gate, comp,
 * de-esser, limiter dB per strip, then per bus). Each section in messages
 * /meters i frame i section i first i total b data of at most
 * METER_SLOTS_PER_MESSAGE slots, big-endian float32. */
static void send_meter_frame(struct osc_server *s, const struct subscriber *e, const float *levels,
                             uint32_t n_levels, const float *gr, uint32_t n_units)
{
	const struct {
		const float *data;
		uint32_t slots, width;
	} sec[2] = {{levels, n_levels, 2}, {gr, n_units, 4}};
	static unsigned char bytes[METER_SLOTS_PER_MESSAGE * 4 * 4];
	char buf[OSC_MAX_DATAGRAM];
	for (int k = 0; k < 2; k++)
		for (uint32_t first = 0; first < sec[k].slots; first += METER_SLOTS_PER_MESSAGE) {
			const uint32_t count = sec[k].slots - first < METER_SLOTS_PER_MESSAGE ? sec[k].slots - first
			                                                                       : METER_SLOTS_PER_MESSAGE;
			for (uint32_t v = 0; v < count * sec[k].width; v++)
				put_be_float(bytes + 4 * v, sec[k].data[first * sec[k].width + v]);
			lo_blob blob = lo_blob_new((int32_t)(count * sec[k].width * 4), bytes);
			lo_message m = lo_message_new();
			lo_message_add_int32(m, (int32_t)s->meter_frame);
			lo_message_add_int32(m, k);
			lo_message_add_int32(m, (int32_t)first);
			lo_message_add_int32(m, (int32_t)sec[k].slots);
			lo_message_add_blob(m, blob);
			size_t len = lo_message_length(m, "/meters");
			if (len <= sizeof buf && lo_message_serialise(m, "/meters", buf, &len))
				sendto(s->fd, buf, len, 0, (const struct sockaddr *)&e->addr, e->addr_len);
			lo_message_free(m);
			lo_blob_free(blob);
		}
}

void osc_server_tick(struct osc_server *s)
{
	const double now = now_s();
	subscription_expire(&s->subs, now);
	bool due = false;
	for (uint32_t i = 0; i < s->subs.n; i++)
		due |= s->subs.list[i].meters_until > 0 && s->subs.list[i].next_meter <= now;
	struct graph *g = engine_graph(engine_of(s));
	if (!due || !g)
		return;
	const uint32_t n_strips = graph_strip_count(g), n_buses = graph_bus_count(g);
	uint32_t n_levels = 0;
	for (uint32_t i = 0; i < n_strips + n_buses; i++) {
		uint32_t n;
		i < n_strips ? graph_strip_meters(g, i, &n) : graph_bus_meters(g, i - n_strips, &n);
		n_levels += n;
	}
	float *levels = malloc((size_t)(n_levels ? n_levels : 1) * 2 * sizeof *levels);
	float *gr = malloc((size_t)(n_strips + n_buses ? n_strips + n_buses : 1) * 4 * sizeof *gr);
	if (!levels || !gr) {
		free(levels);
		free(gr);
		return;
	}
	uint32_t slot = 0;
	for (uint32_t i = 0; i < n_strips + n_buses; i++) {
		uint32_t n;
		const struct graph_meter_readout *r = i < n_strips ? graph_strip_meters(g, i, &n)
		                                                   : graph_bus_meters(g, i - n_strips, &n);
		for (uint32_t c = 0; c < n; c++, slot++) {
			const float ms = atomic_load_explicit(&r[c].mean_square, memory_order_relaxed);
			levels[2 * slot] = floor_db(gain_to_db(atomic_load_explicit(&r[c].peak, memory_order_relaxed)));
			levels[2 * slot + 1] = floor_db(ms > 0.0f ? 10.0f * log10f(ms) : -INFINITY);
		}
		const struct graph_gr_readout *d = i < n_strips ? graph_strip_gain_reduction(g, i)
		                                                : graph_bus_gain_reduction(g, i - n_strips);
		gr[4 * i] = atomic_load_explicit(&d->gate, memory_order_relaxed);
		gr[4 * i + 1] = atomic_load_explicit(&d->comp, memory_order_relaxed);
		gr[4 * i + 2] = atomic_load_explicit(&d->deess, memory_order_relaxed);
		gr[4 * i + 3] = atomic_load_explicit(&d->limit, memory_order_relaxed);
	}
	for (uint32_t i = 0; i < s->subs.n; i++) {
		struct subscriber *e = &s->subs.list[i];
		if (!(e->meters_until > 0 && e->next_meter <= now))
			continue;
		send_meter_frame(s, e, levels, n_levels, gr, n_strips + n_buses);
		e->next_meter += 1.0 / e->meter_hz;
		if (e->next_meter < now) /* fell behind (a stall): no burst to catch up */
			e->next_meter = now + 1.0 / e->meter_hz;
	}
	s->meter_frame++;
	engine_reset_peaks(engine_of(s)); /* the next frame's peaks are since this one */
	free(levels);
	free(gr);
}

int osc_server_timeout_ms(const struct osc_server *s)
{
	const double now = now_s();
	const double wait = subscription_next_deadline(&s->subs, now) - now;
	return wait <= 0 ? 0 : (int)ceil(wait * 1000.0);
}
