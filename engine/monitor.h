/* The monitor section: what the control room hears. A source (the
 * printmaster, any stem, or the solo bus) is folded down to the speaker set
 * in use and placed on the room's loudspeakers; then per loudspeaker one gain
 * (level, dim, mute, speaker mute/solo, calibration) and an alignment delay.
 *
 * The policy lives here, on the control thread: it turns the model into
 * plain matrices and gains that the graph ramps (engine/graph.c), so every
 * switch of source, speaker set, mono, dim or mute is a 10 ms ramp and never
 * a click. The RT part is the delay line, whose tap moves by crossfade. */
#ifndef DUBSTAGE_ENGINE_MONITOR_H
#define DUBSTAGE_ENGINE_MONITOR_H

#include <stdbool.h>
#include <stdint.h>

#include "dsp/rt.h"
#include "engine/console.h"

#define MONITOR_SNAP_DEG 20.0f /* a channel lands on a loudspeaker this close */

/* The format of monitor source `source` (a bus, or the solo bus = room). */
enum layout_id monitor_source_format(const struct console *c, uint32_t source);

/* Whether a room of layout `room` can play speaker set `set`: the room's
 * own format or any fold-down of it. */
bool monitor_room_plays(const struct console *c, enum layout_id room, enum layout_id set);

/* The name of monitor source `source`: its bus's, or "solo" for the solo bus. */
const char *monitor_source_name(const struct console *c, uint32_t source);
/* The source named `name` (a bus name, or "solo"), or -1. */
int monitor_find_source(const struct console *c, const char *name);
/* The speaker set named `name` (a layout) into *set; -1 when there is no
 * such layout or the monitor's room cannot play it. */
int monitor_find_set(const struct console *c, const char *name, enum layout_id *set);

/* The speaker set actually heard: the one in use, or mono during mono check. */
enum layout_id monitor_heard_set(const struct console *c);

/* m[room loudspeaker][source channel]: plays `source` on the room through the
 * heard speaker set (downmix steps, or placement for a source smaller than
 * the set); all zero for any source but the selected one. */
void monitor_matrix(const struct console *c, uint32_t source,
                    float m[LAYOUT_MAX_CHANNELS][LAYOUT_MAX_CHANNELS]);

/* One linear gain per room loudspeaker: level x dim x mute x calibration x
 * speaker mute/solo. */
void monitor_speaker_gains(const struct console *c, float g[LAYOUT_MAX_CHANNELS]);

/* Places the channels of `from` on the loudspeakers of `to`: same name, else
 * the nearest loudspeaker within MONITOR_SNAP_DEG, else panned (VBAP) at
 * the channel's direction; LFE to LFE. m[to channel][from channel]. */
void monitor_place(const struct layout *from, const struct layout *to,
                   float m[LAYOUT_MAX_CHANNELS][LAYOUT_MAX_CHANNELS]);

#endif
