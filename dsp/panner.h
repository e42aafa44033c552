/* Point-source 3D panner: VBAP (Pulkki 1997) over the convex hull of a
 * layout's loudspeakers, with virtual loudspeakers where the layout leaves
 * holes (straight up and straight down, and the centre of every facet with
 * more than three loudspeakers, so symmetric layouts pan symmetrically), as
 * ITU-R BS.2127 does. Virtual gains go equally to their real neighbours and
 * the result is power-normalised: the sum of squared gains is 1, gains are
 * continuous over the sphere, and a source on a loudspeaker plays only it.
 * 2.0 pans in 5.1 and folds down with BS.775 (BS.2127 does the same), mono
 * takes everything. panner_new allocates: control thread only. */
#ifndef DUBSTAGE_DSP_PANNER_H
#define DUBSTAGE_DSP_PANNER_H

#include "dsp/layout.h"

struct panner;

struct panner *panner_new(const struct layout *l);
void panner_free(struct panner *p);

/* Gains for a source at (azimuth, elevation) in degrees (BS.2051: azimuth
 * positive to the left, elevation up); one per channel of the layout, LFE 0. */
void panner_gains(const struct panner *p, float azimuth_deg, float elevation_deg,
                  float gains[LAYOUT_MAX_CHANNELS]);

/* As panner_gains for a source of size 0 ... 1: 0 is the point source, 1 an
 * even spread over the whole sphere; between, the source covers a cap of
 * angular radius size * 180 degrees (power-summed point gains over fixed
 * sample directions, with a soft edge so gains stay continuous). Power 1. */
void panner_gains_sized(const struct panner *p, float azimuth_deg, float elevation_deg, float size,
                        float gains[LAYOUT_MAX_CHANNELS]);

/* Film centre divergence, 0 ... 1: moves that share of the C channel's
 * energy into L and R equally (power preserved). Layouts without C, L and R
 * are left unchanged. */
void panner_diverge(const struct layout *l, float divergence, float gains[LAYOUT_MAX_CHANNELS]);

/* Wraps any azimuth into (-180, 180]; NaN/inf give 0. */
float panner_wrap_azimuth(float azimuth_deg);

/* Number of triangles of the triangulation (for tests and docs). */
unsigned panner_triangle_count(const struct panner *p);

#endif
