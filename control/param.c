#include "control/param.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "control/fader_law.h"
#include "dsp/gain.h"
#include "dsp/panner.h"

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
	 {"/strip/<n|name>/fader", "f", "dB", "-inf ... +10 (values below -144 and -inf mean off)", "Strip fader."}, NULL, false},
	{"strip", "fader/pos", ACT_VALUE, RULE_FADER_POS, 0, 1, STRIP(fader_db), GRAPH_OP_STRIP_FADER,
	 {"/strip/<n|name>/fader/pos", "f", "position", "0 ... 1", "The fader as a surface position, by the fader "
	 "law below (0.75 is 0 dB)."}, NULL, false},
	{"strip", "trim", ACT_VALUE, RULE_RANGE, CONSOLE_TRIM_MIN_DB, CONSOLE_TRIM_MAX_DB, STRIP(trim_db),
	 GRAPH_OP_STRIP_TRIM, {"/strip/<n|name>/trim", "f", "dB", "-24 ... +24",
	 "Input trim, before everything else on the strip."}, NULL, false},
	{"strip", "pan/az", ACT_VALUE, RULE_WRAP, 0, 0, STRIP(pan_azimuth_deg), GRAPH_OP_STRIP_PAN_ROW,
	 {"/strip/<n|name>/pan/az", "f", "degrees", "any; wrapped to (-180, 180]", "Azimuth, ITU-R BS.2051: 0 "
	 "front centre, positive to the left (L is +30). Stereo and wider inputs rotate about it."}, console_pan_direction_changed, false},
	{"strip", "pan/el", ACT_VALUE, RULE_RANGE, -90, 90, STRIP(pan_elevation_deg), GRAPH_OP_STRIP_PAN_ROW,
	 {"/strip/<n|name>/pan/el", "f", "degrees", "-90 ... +90",
	 "Elevation: 0 the ear plane, +90 overhead, below 0 folds onto the ear layer."}, console_pan_direction_changed, false},
	{"strip", "pan/x", ACT_VALUE, RULE_RANGE, -1, 1, STRIP(pan_x), GRAPH_OP_STRIP_PAN_ROW,
	 {"/strip/<n|name>/pan/x", "f", "room", "-1 ... +1", "Room position, left -1 ... right +1 (docs/layouts.md: "
	 "the room and its 0 ... 1 form). Setting x, y or z pans by room position until az or el is set."},
	 console_pan_room_changed, false},
	{"strip", "pan/y", ACT_VALUE, RULE_RANGE, -1, 1, STRIP(pan_y), GRAPH_OP_STRIP_PAN_ROW,
	 {"/strip/<n|name>/pan/y", "f", "room", "-1 ... +1", "Room position, back -1 ... front (screen) +1."},
	 console_pan_room_changed, false},
	{"strip", "pan/z", ACT_VALUE, RULE_RANGE, 0, 1, STRIP(pan_z), GRAPH_OP_STRIP_PAN_ROW,
	 {"/strip/<n|name>/pan/z", "f", "room", "0 ... 1", "Room position, ear level 0 ... ceiling +1."},
	 console_pan_room_changed, false},
	{"strip", "pan/size", ACT_VALUE, RULE_RANGE, 0, 1, STRIP(pan_size), GRAPH_OP_STRIP_PAN_ROW,
	 {"/strip/<n|name>/pan/size", "f", "0 ... 1", "0 ... 1",
	 "Size: 0 a point source, 1 an even spread over the room (power preserved)."}, NULL, false},
	{"strip", "pan/divergence", ACT_VALUE, RULE_RANGE, 0, 1, STRIP(pan_divergence), GRAPH_OP_STRIP_PAN_ROW,
	 {"/strip/<n|name>/pan/divergence", "f", "0 ... 1", "0 ... 1",
	 "Centre divergence: the share of C's energy moved into L and R."}, NULL, false},
	{"strip", "pan/width", ACT_VALUE, RULE_RANGE, 0, 1, STRIP(pan_width), GRAPH_OP_STRIP_PAN_ROW,
	 {"/strip/<n|name>/pan/width", "f", "0 ... 1", "0 ... 1", "Stereo and wider inputs: 1 keeps the "
	 "channels at their nominal spread, 0 collapses them to the pan position."}, NULL, false},
	{"strip", "pan/rotation", ACT_VALUE, RULE_WRAP, 0, 0, STRIP(pan_rotation_deg), GRAPH_OP_STRIP_PAN_ROW,
	 {"/strip/<n|name>/pan/rotation", "f", "degrees", "any; wrapped to (-180, 180]",
	 "Stereo and wider inputs: turns the image."}, NULL, false},
	{"strip", "pan/lfe", ACT_VALUE, RULE_DB_OFF, 0, CONSOLE_FADER_MAX_DB, STRIP(lfe_send_db), GRAPH_OP_STRIP_PAN_ROW,
	 {"/strip/<n|name>/pan/lfe", "f", "dB", "-inf ... +10",
	 "LFE send, independent of the position (a wider input's channels each send their share)."}, NULL, false},
	{"strip", "pan", ACT_VALUE, RULE_WRAP, 0, 0, STRIP(pan_azimuth_deg), GRAPH_OP_STRIP_PAN_ROW,
	 {"/strip/<n|name>/pan", "f", "degrees", "any; wrapped to (-180, 180]",
	 "Same as /pan/az (the foundation's address)."}, console_pan_direction_changed, false},
	{"strip", "mute", ACT_VALUE, RULE_BOOL, 0, 1, STRIP(mute), GRAPH_OP_STRIP_MUTE,
	 {"/strip/<n|name>/mute", "i", "0/1", "0, 1", "Mute (ramped: no click)."}, NULL, false},
	{"strip", "solo", ACT_VALUE, RULE_BOOL, 0, 1, STRIP(solo), GRAPH_OP_STRIP_SOLO,
	 {"/strip/<n|name>/solo", "i", "0/1", "0, 1",
	 "Solo in place: while any strip is soloed, strips neither soloed nor solo-safe are silent."}, NULL, false},
	{"strip", "solo_safe", ACT_VALUE, RULE_BOOL, 0, 1, STRIP(solo_safe), GRAPH_OP_STRIP_SOLO_SAFE,
	 {"/strip/<n|name>/solo_safe", "i", "0/1", "0, 1", "Solo-safe: the strip keeps playing when others are soloed."}, NULL, false},
	{"strip", "polarity", ACT_VALUE, RULE_BOOL, 0, 1, STRIP(polarity_inverted), GRAPH_OP_STRIP_POLARITY,
	 {"/strip/<n|name>/polarity", "i", "0/1", "0, 1", "1 inverts the polarity of every input channel."}, NULL, false},
	{"strip", "send/level", ACT_VALUE, RULE_DB_OFF, 0, CONSOLE_FADER_MAX_DB, SEND(level_db), GRAPH_OP_STRIP_PAN_ROW,
	 {"/strip/<n|name>/send/<n|aux>/level", "f", "dB", "-inf ... +10", "Send level into an aux bus (by aux "
	 "name, or 1-based among the aux buses), panned into the aux's format from the strip's position."}, NULL, false},
	{"strip", "send/pre", ACT_VALUE, RULE_BOOL, 0, 1, SEND(pre), GRAPH_OP_STRIP_PAN_ROW,
	 {"/strip/<n|name>/send/<n|aux>/pre", "i", "0/1", "0, 1", "1: pre-fader (after the dynamics; follows "
	 "the mute, not the fader or solo), 0: post-fader. Switching crossfades."}, NULL, false},
	{"strip", "send/on", ACT_VALUE, RULE_BOOL, 0, 1, SEND(on), GRAPH_OP_STRIP_PAN_ROW,
	 {"/strip/<n|name>/send/<n|aux>/on", "i", "0/1", "0, 1", "Send on (ramped)."}, NULL, false},
	{"strip", "safe/recall", ACT_VALUE, RULE_BOOL, 0, 1, STRIP(safe.all), 0, {"/strip/<n|name>/safe/recall",
	 "i", "0/1", "0, 1", "Recall-safe: a snapshot recall leaves the whole strip alone."}, NULL, true},
	{"strip", "safe/eq", ACT_VALUE, RULE_BOOL, 0, 1, STRIP(safe.eq), 0, {"/strip/<n|name>/safe/eq", "i", "0/1",
	 "0, 1", "EQ-safe: a recall leaves the strip's filters, EQ and notches alone."}, NULL, true},
	{"strip", "safe/dyn", ACT_VALUE, RULE_BOOL, 0, 1, STRIP(safe.dyn), 0, {"/strip/<n|name>/safe/dyn", "i",
	 "0/1", "0, 1", "Dynamics-safe: a recall leaves the strip's dynamics alone."}, NULL, true},
	{"strip", "safe/fader", ACT_VALUE, RULE_BOOL, 0, 1, STRIP(safe.fader), 0, {"/strip/<n|name>/safe/fader",
	 "i", "0/1", "0, 1", "Fader-safe: a recall leaves the strip's fader alone."}, NULL, true},
	{"strip", "dyn/gr", ACT_GR, RULE_NONE, 0, 0, 0, 0, {"/{strip,bus}/<n|name>/dyn/gr", "", "dB", ">= 0",
	 "Query only: gain reduction of the gate, the compressor and the de-esser (f gate, f comp, f deess), "
	 "the most in the last period."}, NULL, false},
	{"strip", "bad_input", ACT_BAD_INPUT, RULE_NONE, 0, 0, 0, 0, {"/strip/<n|name>/bad_input", "", "blocks", ">= 0",
	 "Query only: i, how many blocks (at most 256 frames) the strip was muted for because its input held NaN, "
	 "infinities or values beyond 1000 (another client gone wrong): each such block is silence, the strip's "
	 "filters start again from rest, and the buses never see it. Counted since the graph was built."}, NULL, false},
	{"strip", "meter", ACT_METER, RULE_NONE, 0, 0, 0, 0, {"/strip/<n|name>/meter", "", "dBFS", "",
	 "Query only: replies with peak and RMS per input channel, post-fader "
	 "(f peak, f rms, ...); peak is the maximum since the previous meter query."}, NULL, false},
	{"bus", "fader", ACT_VALUE, RULE_DB_OFF, 0, CONSOLE_FADER_MAX_DB, BUS(fader_db), GRAPH_OP_BUS_FADER,
	 {"/bus/<n|name>/fader", "f", "dB", "-inf ... +10 (values below -144 and -inf mean off)", "Bus fader."}, NULL, false},
	{"bus", "fader/pos", ACT_VALUE, RULE_FADER_POS, 0, 1, BUS(fader_db), GRAPH_OP_BUS_FADER,
	 {"/bus/<n|name>/fader/pos", "f", "position", "0 ... 1", "The bus fader as a surface position."}, NULL, false},
	{"bus", "mute", ACT_VALUE, RULE_BOOL, 0, 1, BUS(mute), GRAPH_OP_BUS_MUTE,
	 {"/bus/<n|name>/mute", "i", "0/1", "0, 1", "Bus mute."}, NULL, false},
	{"bus", "loudness", ACT_LOUDNESS, RULE_NONE, 0, 0, 0, 0, {"/bus/<n|name>/loudness", "", "LUFS", "",
	 "Query only (stems and masters): f momentary, f short-term, f integrated (LUFS), f loudness range (LU), "
	 "f max true peak (dBTP), f dialogue-gated integrated (LUFS; -inf without a \"dialogue\" stem), per "
	 "ITU-R BS.1770-4 / EBU R128 / Tech 3342, since the last reset."}, NULL, false},
	{"bus", "loudness/reset", ACT_LOUDNESS_RESET, RULE_NONE, 0, 0, 0, 0, {"/bus/<n|name>/loudness/reset", "",
	 "", "", "Starts the bus's integrated loudness, range and max true peak again."}, NULL, false},
	{"bus", "dyn/gr", ACT_GR, RULE_NONE, 0, 0, 0, 0, {"/{strip,bus}/<n|name>/dyn/gr", "", "dB", ">= 0",
	 "Query only: gain reduction of the gate, the compressor and the de-esser (f gate, f comp, f deess), "
	 "the most in the last period."}, NULL, false},
	{"bus", "limiter/on", ACT_VALUE, RULE_BOOL, 0, 1, BUS(limiter.on), GRAPH_OP_BUS_LIMITER,
	 {"/bus/<n|name>/limiter/on", "i", "0/1", "0, 1", "A master's true-peak limiter on (masters with "
	 "\"limiter\" in their config; the look-ahead delay stays either way)."}, NULL, false},
	{"bus", "limiter/ceiling", ACT_VALUE, RULE_RANGE, LIMITER_CEILING_MIN_DB, LIMITER_CEILING_MAX_DB,
	 BUS(limiter.ceiling_db), GRAPH_OP_BUS_LIMITER, {"/bus/<n|name>/limiter/ceiling", "f", "dBTP", "-20 ... 0",
	 "The most the outputs reach, measured as BS.1770-4 Annex 2 true peak (default -1)."}, NULL, false},
	{"bus", "limiter/release", ACT_VALUE, RULE_RANGE, LIMITER_RELEASE_MIN_MS, LIMITER_RELEASE_MAX_MS,
	 BUS(limiter.release_ms), GRAPH_OP_BUS_LIMITER, {"/bus/<n|name>/limiter/release", "f", "ms", "10 ... 2000",
	 "Release time constant (default 100)."}, NULL, false},
	{"bus", "limiter/gr", ACT_LIMITER_GR, RULE_NONE, 0, 0, 0, 0, {"/bus/<n|name>/limiter/gr", "", "dB", ">= 0",
	 "Query only: the limiter's most gain reduction in the last period (f)."}, NULL, false},
	{"bus", "limiter/latency", ACT_LATENCY, RULE_NONE, 0, 0, 0, 0, {"/bus/<n|name>/limiter/latency", "",
	 "frames", "", "Query only: how late the master's outputs are against its stems (i frames, f ms): the "
	 "look-ahead, 1.5 ms plus 7 frames."}, NULL, false},
	{"vca", "fader", ACT_VALUE, RULE_DB_OFF, 0, CONSOLE_FADER_MAX_DB, GRP(fader_db), GRAPH_OP_STRIP_FADER,
	 {"/vca/<n|name>/fader", "f", "dB", "-inf ... +10", "VCA fader: offsets its member strips' faders "
	 "(their own positions stay); offsets of several VCAs add, capped at +20 dB in all."}, NULL, false},
	{"vca", "fader/pos", ACT_VALUE, RULE_FADER_POS, 0, 1, GRP(fader_db), GRAPH_OP_STRIP_FADER,
	 {"/vca/<n|name>/fader/pos", "f", "position", "0 ... 1", "The VCA fader as a surface position."}, NULL, false},
	{"vca", "mute", ACT_VALUE, RULE_BOOL, 0, 1, GRP(mute), GRAPH_OP_STRIP_MUTE,
	 {"/vca/<n|name>/mute", "i", "0/1", "0, 1", "Mutes every member strip (their own mutes stay)."}, NULL, false},
	{"mute_group", "mute", ACT_VALUE, RULE_BOOL, 0, 1, GRP(mute), GRAPH_OP_STRIP_MUTE,
	 {"/mute_group/<n|name>/mute", "i", "0/1", "0, 1", "Mute-group master: mutes every member strip."}, NULL, false},
	{"bus", "meter", ACT_METER, RULE_NONE, 0, 0, 0, 0, {"/bus/<n|name>/meter", "", "dBFS", "",
	 "Query only: peak and RMS per bus channel, post-fader (f peak, f rms, ...)."}, NULL, false},
	{"monitor", "source", ACT_VALUE, RULE_SOURCE, 0, 0, 0, 0, {"/monitor/source", "s", "bus", "a bus name, "
	 "i 1 ... buses, or \"solo\"", "What the control room hears: the printmaster, any stem, or the solo bus "
	 "(the soloed strips, post-fader, panned in the room's format). Crossfaded in 10 ms."}, NULL, false},
	{"monitor", "speakers", ACT_VALUE, RULE_SET, 0, 0, 0, 0, {"/monitor/speakers", "s", "format",
	 "the room's format or a fold-down of it (\"7.1.4\", \"5.1\", \"2.0\", \"mono\", ...)",
	 "The speaker set in use: the source is folded down to it by the documented steps and played "
	 "on the room's loudspeakers (docs/config.md)."}, NULL, false},
	{"monitor", "level", ACT_VALUE, RULE_DB_OFF, 0, CONSOLE_FADER_MAX_DB, MON(level_db), 0,
	 {"/monitor/level", "f", "dB", "-inf ... +10", "Control-room level."}, NULL, false},
	{"monitor", "dim", ACT_VALUE, RULE_BOOL, 0, 1, MON(dim), 0,
	 {"/monitor/dim", "i", "0/1", "0, 1", "Dim: lowers the monitor by the dim level."}, NULL, false},
	{"monitor", "dim_level", ACT_VALUE, RULE_RANGE, CONSOLE_MONITOR_DIM_MIN_DB, 0, MON(dim_db), 0,
	 {"/monitor/dim_level", "f", "dB", "-60 ... 0", "How far dim lowers the monitor (default -20)."}, NULL, false},
	{"monitor", "mute", ACT_VALUE, RULE_BOOL, 0, 1, MON(mute), 0,
	 {"/monitor/mute", "i", "0/1", "0, 1", "Mutes every loudspeaker (ramped)."}, NULL, false},
	{"monitor", "mono", ACT_VALUE, RULE_BOOL, 0, 1, MON(mono), 0,
	 {"/monitor/mono", "i", "0/1", "0, 1", "Mono check: folds the speaker set to mono (2.0 -> mono is "
	 "0.7071 (L + R)), played from C, or from L and R at -3 dB in a room without C."}, NULL, false},
	{"monitor/speaker", "mute", ACT_VALUE, RULE_BOOL, 0, 1, SPK(mute), 0,
	 {"/monitor/speaker/<n|name>/mute", "i", "0/1", "0, 1", "Mutes one loudspeaker of the room."}, NULL, false},
	{"monitor/speaker", "solo", ACT_VALUE, RULE_BOOL, 0, 1, SPK(solo), 0,
	 {"/monitor/speaker/<n|name>/solo", "i", "0/1", "0, 1",
	 "While any loudspeaker is soloed, only soloed ones play."}, NULL, false},
	{"monitor/speaker", "cal", ACT_VALUE, RULE_RANGE, CONSOLE_MONITOR_CAL_MIN_DB, CONSOLE_MONITOR_CAL_MAX_DB,
	 SPK(cal_db), 0, {"/monitor/speaker/<n|name>/cal", "f", "dB", "-24 ... +24",
	 "Calibration trim of one loudspeaker (room alignment)."}, NULL, false},
	{"monitor/speaker", "delay", ACT_VALUE, RULE_RANGE, 0, CONSOLE_MONITOR_DELAY_MAX_MS, SPK(delay_ms), 0,
	 {"/monitor/speaker/<n|name>/delay", "f", "ms", "0 ... 50",
	 "Alignment delay of one loudspeaker; a change crossfades between the old and new delay."}, NULL, false},
	{NULL, "subscribe", ACT_SUBSCRIBE, RULE_NONE, 0, 0, 0, 0, {"/subscribe", "[i [i [i]]]", "s, 0/1, port",
	 "1 ... 3600", "Feedback: this address and port get every state change, whoever made it, until the "
	 "lease (default 10 s) runs out; send again to renew. Second argument 1: also the changes this surface "
	 "makes itself (motor faders). Third: another port of the sender's host to send to. Reply /subscribe "
	 "i seconds i echo."}, NULL, false},
	{NULL, "unsubscribe", ACT_UNSUBSCRIBE, RULE_NONE, 0, 0, 0, 0, {"/unsubscribe", "", "", "",
	 "Ends this address's state and meter subscriptions."}, NULL, false},
	{NULL, "meters/subscribe", ACT_METERS_SUBSCRIBE, RULE_NONE, 0, 0, 0, 0, {"/meters/subscribe", "[f [i [i]]]",
	 "Hz, s", "1 ... 60 Hz", "Meter frames (see \"Meter frames\") at this rate (default 30 Hz) until the "
	 "lease (default 10 s) runs out. Reply /meters/subscribe f rate i seconds."}, NULL, false},
	{NULL, "meters/reset", ACT_METERS_RESET, RULE_NONE, 0, 0, 0, 0, {"/meters/reset", "", "", "",
	 "Starts every meter's max true peak, peak hold and over count again (meter frames, section 3)."},
	 NULL, false},
	{NULL, "meters/unsubscribe", ACT_METERS_UNSUBSCRIBE, RULE_NONE, 0, 0, 0, 0, {"/meters/unsubscribe", "",
	 "", "", "Stops meter frames to this address."}, NULL, false},
	{NULL, "snapshot/save", ACT_SNAPSHOT_SAVE, RULE_NONE, 0, 0, 0, 0, {"/snapshot/save", "s", "name", "1-63 of "
	 "A-Z a-z 0-9 _ - . space", "Saves the mix (strips, buses, sends, VCAs, mute groups) as <snapshots>/<name>.json, "
	 "atomically. Reply /snapshot/save s name."}, NULL, false},
	{NULL, "snapshot/recall", ACT_SNAPSHOT_RECALL, RULE_NONE, 0, 0, 0, 0, {"/snapshot/recall", "s [f]",
	 "name, s", "fade 0 ... 60", "Recalls a snapshot, crossfading every continuous setting over the fade "
	 "(default 0: the 10 ms ramps); recall safes are respected. Reply /snapshot/recall s name i matched "
	 "i unmatched s what-did-not-match."}, NULL, false},
	{NULL, "snapshot/list", ACT_SNAPSHOT_LIST, RULE_NONE, 0, 0, 0, 0, {"/snapshot/list", "", "", "",
	 "Reply /snapshot/list s name ... (sorted; several messages of at most 100 names)."}, NULL, false},
	{NULL, "snapshot/delete", ACT_SNAPSHOT_DELETE, RULE_NONE, 0, 0, 0, 0, {"/snapshot/delete", "s", "name", "",
	 "Deletes a snapshot. Reply /snapshot/delete s name."}, NULL, false},
	{NULL, "bank/select", ACT_BANK_SELECT, RULE_NONE, 0, 0, 0, 0, {"/bank/select", "[i]", "bank", "1 ... banks",
	 "This surface's bank: its /surface/... slot k is strip (bank - 1) x size + k. With no argument, replies "
	 "the bank. Every bank change replies /bank/select i bank i banks, then each slot's name, fader, mute "
	 "and solo."}, NULL, false},
	{NULL, "bank/next", ACT_BANK_NEXT, RULE_NONE, 0, 0, 0, 0, {"/bank/next", "", "", "", "The next bank (stays "
	 "on the last)."}, NULL, false},
	{NULL, "bank/prev", ACT_BANK_PREV, RULE_NONE, 0, 0, 0, 0, {"/bank/prev", "", "", "", "The previous bank "
	 "(stays on the first)."}, NULL, false},
	{NULL, "bank/size", ACT_BANK_SIZE, RULE_NONE, 0, 0, 0, 0, {"/bank/size", "[i]", "faders", "1 ... 64",
	 "Faders per bank on this surface (default 8); the bank is kept where its first strip stays in view."},
	 NULL, false},
	{NULL, "surface/fader", ACT_SURFACE, RULE_NONE, 0, 0, 0, 0, {"/surface/fader/<k>", "f", "position", "0 ... 1",
	 "Slot k's strip fader as a surface position (the fader law), k 1 ... bank size."}, NULL, false},
	{NULL, "surface/mute", ACT_SURFACE, RULE_NONE, 0, 0, 0, 0, {"/surface/mute/<k>", "i", "0/1", "0, 1",
	 "Slot k's strip mute."}, NULL, false},
	{NULL, "surface/solo", ACT_SURFACE, RULE_NONE, 0, 0, 0, 0, {"/surface/solo/<k>", "i", "0/1", "0, 1",
	 "Slot k's strip solo."}, NULL, false},
	{NULL, "surface/name", ACT_SURFACE, RULE_NONE, 0, 0, 0, 0, {"/surface/name/<k>", "", "", "",
	 "Query only: slot k's strip name (s; empty past the last strip)."}, NULL, false},
	{NULL, "print/start", ACT_PRINT_START, RULE_NONE, 0, 0, 0, 0, {"/print/start", "[s [s ...]]", "take, buses", "",
	 "Starts printing to <prints>/<take>/<BUS>.wav: the stems and masters named after the take, or every "
	 "one (default take name, also for \"\": take-YYYYMMDD-HHMMSS). Reply /print/start s take s folder."}, NULL, false},
	{NULL, "print/stop", ACT_PRINT_STOP, RULE_NONE, 0, 0, 0, 0, {"/print/stop", "", "", "",
	 "Stops the print. Reply /print/stop s take h frames h lost-frames."}, NULL, false},
	{NULL, "print/status", ACT_PRINT_STATUS, RULE_NONE, 0, 0, 0, 0, {"/print/status", "", "", "",
	 "Reply /print/status i printing s take h frames h lost-frames."}, NULL, false},
	{NULL, "dump", ACT_DUMP, RULE_NONE, 0, 0, 0, 0, {"/dump", "", "", "", "Replies with every settable "
	 "value as the query replies would, in bundles of at most 1,200 bytes, then /dump/done i count."}, NULL, false},
	{NULL, "status", ACT_STATUS, RULE_NONE, 0, 0, 0, 0, {"/status", "", "", "",
	 "Replies /status s \"audio online\" or \"audio offline\", s why (empty when online), h datagrams "
	 "refused (from addresses osc_allow does not name), h malformed datagrams, h datagrams over their "
	 "sender's osc_rate, h pattern messages refused whole for going over their sender's osc_fanout, "
	 "h /error replies withheld (over a hundred a second to one sender). "
	 "Subscribers get "
	 "it too whenever it changes: the JACK server went away, or came back and the console is on it "
	 "again."}, NULL, false},
	{NULL, "info", ACT_INFO, RULE_NONE, 0, 0, 0, 0, {"/info", "", "", "",
	 "Replies /info s version, i sample rate, i period, i strips, i buses, f DSP load p50 %, "
	 "f p99 %, f max % (the engine's own callback time as a share of the period), i xruns."}, NULL, false},
	{NULL, "timing", ACT_TIMING, RULE_NONE, 0, 0, 0, 0, {"/timing", "", "", "",
	 "Replies /timing h periods, f callback p50 %, f p99 %, f max % (the console's own work as a share of "
	 "the period), h periods whose work took the whole period or more, f start p50 %, f p99 %, f max % "
	 "(how long after the JACK cycle began the callback started: this thread's scheduling, not the "
	 "console's work), h periods still running when the next cycle began (the server counts them "
	 "as this client's xruns), i xruns the server reported. All since start."}, NULL, false},
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

const struct param *param_table(size_t *n)
{
	init_params();
	*n = n_params;
	return params;
}

enum param_kind param_kind_of(const struct param *p)
{
	return strcmp(p->kind, "strip") == 0 ? KIND_STRIP
	     : strcmp(p->kind, "bus") == 0 ? KIND_BUS
	     : strcmp(p->kind, "vca") == 0 ? KIND_VCA
	     : strcmp(p->kind, "mute_group") == 0 ? KIND_MUTE_GROUP
	     : strcmp(p->kind, "monitor") == 0 ? KIND_MONITOR : KIND_SPEAKER;
}

uint32_t param_target_count(const struct console *c, enum param_kind k)
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

const char *param_target_name(const struct console *c, enum param_kind k, uint32_t i)
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

int param_find_target(const struct console *c, enum param_kind k, const char *name)
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

/* The model's storage for parameter p of strip, bus or loudspeaker i. */
void *param_field(struct console *c, const struct param *p, uint32_t i)
{
	char *base;
	switch (param_kind_of(p)) {
	case KIND_STRIP: base = (char *)&c->strips[i].params; break;
	case KIND_BUS: base = (char *)&c->buses[i].params; break;
	case KIND_VCA: base = (char *)&c->vcas[i].params; break;
	case KIND_MUTE_GROUP: base = (char *)&c->mute_groups[i].params; break;
	case KIND_MONITOR: base = (char *)&c->monitor->params; break;
	default: base = (char *)&c->monitor->speaker[i]; break;
	}
	return base + p->offset;
}

float param_get(struct console *c, const struct param *p, uint32_t i)
{
	const void *f = param_field(c, p, i);
	if (p->rule == RULE_FADER_POS)
		return fader_law_position(*(const float *)f);
	return p->rule == RULE_BOOL ? (float)*(const bool *)f : *(const float *)f;
}

/* Limits v by the parameter's rule; returns the value applied. */
float param_clamp(const struct param *p, float v)
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

bool param_is_send(const struct param *p) { return strncmp(p->name, "send/", 5) == 0; }

/* The table row of kind/name, or NULL. */
const struct param *param_find(const char *kind, const char *name)
{
	init_params();
	for (size_t i = 0; i < n_params; i++)
		if (params[i].kind && strcmp(params[i].kind, kind) == 0 && strcmp(params[i].name, name) == 0)
			return &params[i];
	return NULL;
}

const struct param *param_find_top(const char *name)
{
	init_params();
	for (size_t i = 0; i < n_params; i++)
		if (!params[i].kind && strcmp(params[i].name, name) == 0)
			return &params[i];
	return NULL;
}

struct param param_for_aux(const struct param *send_row, uint32_t k)
{
	struct param p = *send_row;
	p.offset += (size_t)k * sizeof(struct send_params);
	return p;
}

uint32_t param_aux_of(const struct param *send_row)
{
	return (uint32_t)((send_row->offset - offsetof(struct strip_params, send)) / sizeof(struct send_params));
}

void param_store(struct console *c, const struct param *p, uint32_t i, float v)
{
	void *f = param_field(c, p, i);
	if (p->rule == RULE_BOOL)
		*(bool *)f = v != 0.0f;
	else
		*(float *)f = p->rule == RULE_FADER_POS ? fader_law_db(v) : v;
	if (p->changed)
		p->changed(&c->strips[i].params);
	console_edited(c);
}

void param_set(struct engine *e, struct console *c, const struct param *p, uint32_t i, float v)
{
	param_store(c, p, i, v);
	if (p->model_only)
		return;
	switch (param_kind_of(p)) {
	case KIND_STRIP: engine_sync_strip(e, c, i, p->op); break;
	case KIND_BUS: engine_sync_bus(e, c, i, p->op); break;
	case KIND_VCA: engine_sync_group(e, c, true, i, p->op); break;
	case KIND_MUTE_GROUP: engine_sync_group(e, c, false, i, p->op); break;
	default: engine_sync_monitor(e, c); break;
	}
}
