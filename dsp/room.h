/* Room-centric (cartesian) positions, the way film mixers pan Atmos beds and
 * objects, and their mapping to the panner's directions.
 *
 * x: left -1 ... right +1; y: back -1 ... front +1; z: ear level 0 ... ceiling
 * +1. The room is the box [-1, 1] x [-1, 1] x [0, 1]; common Atmos tools use
 * 0 ... 1 per axis (x' = (x + 1) / 2, y' = (1 - y) / 2 with 0 at the screen,
 * z' = z): docs/layouts.md.
 *
 * The mapping is the one of ITU-R BS.2127 section 10 (cartesian <-> polar for
 * ADM): the walls are cut into sectors between anchor loudspeaker azimuths,
 * and inside a sector azimuth and wall position follow a tangent law; above
 * 30 degrees elevation a point moves onto the ceiling. Where BS.2127 fixes the
 * anchors at 0, 30, 110 and 180 degrees, each layout here anchors its own
 * loudspeakers: the front corners are L and R (30), the side-wall midpoints
 * the side surrounds when the layout has them (90), the rear corners its
 * rearmost ear-layer surrounds (110 for 5.1, 135 for 7.1). So the same room
 * position lands on the corresponding loudspeakers of every bus format, and
 * a point on a wall where a loudspeaker stands plays only that loudspeaker.
 * Pure functions; any thread (no allocation). */
#ifndef DUBSTAGE_DSP_ROOM_H
#define DUBSTAGE_DSP_ROOM_H

#include "dsp/layout.h"

struct room_position {
	float x, y, z;
};

/* Direction of a room position for layout l (NULL: BS.2127's own anchors).
 * *distance is the position's distance from the room centre in the room's own
 * measure: 1 on the walls and the ceiling, 0 at the centre of the ear plane.
 * Coordinates outside the room are clamped to it first. */
void room_to_polar(const struct layout *l, struct room_position p, float *azimuth_deg,
                   float *elevation_deg, float *distance);

/* The point on the walls or ceiling in direction (azimuth, elevation) for
 * layout l (NULL: BS.2127's anchors); elevations below 0 give z = 0. */
struct room_position room_from_polar(const struct layout *l, float azimuth_deg, float elevation_deg);

#endif
