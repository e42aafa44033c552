/* The foundation pan law: azimuth-only, pairwise constant-power panning
 * between adjacent ear-level loudspeakers of a layout. Computes gains; it does
 * not touch audio, so a later 3D panner can replace it without the graph
 * changing. Any thread (the engine calls it off the RT thread). */
#ifndef DUBSTAGE_DSP_PAN_LAW_H
#define DUBSTAGE_DSP_PAN_LAW_H

#include "dsp/layout.h"

/* Azimuth in degrees, ITU-R BS.2051 convention (0 front centre, positive to
 * the left); any value, wrapped to (-180, 180]. Writes one gain per channel of
 * `l`; the sum of squared gains is 1; LFE and elevated speakers get 0. */
void pan_law_pairwise(const struct layout *l, float azimuth_deg,
                      float gains[LAYOUT_MAX_CHANNELS]);

/* Wraps any azimuth into (-180, 180]. */
float pan_law_wrap_deg(float azimuth_deg);

#endif
