/* Point-source 3D panner: VBAP (Pulkki 1997) over the convex hull of a
 * layout's loudspeakers, with virtual loudspeakers where the layout leaves
 * holes (straight up and straight down, and the centre of every facet with
 * more than three loudspeakers, so symmetric layouts pan symmetrically), as
 * ITU-R BS.2127 does. Virtual gains go equally to their real neighbours and
 * the result is power-normalised: the sum of squared gains is 1, gains are
 * continuous over the sphere, and a source on a loudspeaker plays only it.
 * 2.0 pans in 5.1 and folds down with BS.775 (BS.2127 does the same), mono
 * takes everything. The caller owns the memory (about 16 KiB a layout);
 * panner_init does the triangulation: call it off the RT thread. */
#ifndef DUBSTAGE_DSP_PANNER_H
#define DUBSTAGE_DSP_PANNER_H

#include "dsp/downmix.h"
#include "dsp/layout.h"

#define PANNER_MAX_VERTS (LAYOUT_MAX_CHANNELS + 2 + 32) /* real + poles + facet centres */
#define PANNER_MAX_TRIS 128

struct panner_vertex {
	double v[3];
	int kind;
	int channel;              /* a real loudspeaker: its channel in the panned layout */
	int n_share;              /* a virtual one: the vertices its gain goes to */
	int share[LAYOUT_MAX_CHANNELS + 2];
};

struct panner_triangle {
	int a, b, c;
	double inv[3][3];         /* inverse of [va vb vc] (columns) */
};

struct panner {
	const struct layout *layout;     /* the layout the gains are for */
	const struct layout *panned;     /* the layout triangulated (5.1 for 2.0) */
	struct downmix_matrix fold;      /* panned -> layout (identity unless 2.0) */
	int n_verts, n_tris;
	struct panner_vertex vert[PANNER_MAX_VERTS];
	struct panner_triangle tri[PANNER_MAX_TRIS];
};

/* Triangulates `l` into p. Returns 0, or -1 if the layout cannot be
 * triangulated (never for the built-in layouts). */
int panner_init(struct panner *p, const struct layout *l);

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
