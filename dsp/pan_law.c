#include "dsp/pan_law.h"

#include <math.h>
#include <string.h>

float pan_law_wrap_deg(float az)
{
	if (!isfinite(az))
		return 0.0f;
	az = fmodf(az, 360.0f);
	if (az > 180.0f)
		az -= 360.0f;
	else if (az <= -180.0f)
		az += 360.0f;
	return az;
}

/* Counter-clockwise (increasing azimuth) distance from a to b, in [0, 360). */
static float arc_deg(float a, float b)
{
	float d = fmodf(b - a, 360.0f);
	return d < 0.0f ? d + 360.0f : d;
}

void pan_law_pairwise(const struct layout *l, float azimuth_deg,
                      float gains[LAYOUT_MAX_CHANNELS])
{
	memset(gains, 0, sizeof(float) * LAYOUT_MAX_CHANNELS);

	/* Ear-level speakers sorted by azimuth (at most 16: insertion sort). */
	int ring[LAYOUT_MAX_CHANNELS];
	int n = 0;
	for (unsigned c = 0; c < l->channels; c++) {
		const struct speaker *s = &l->speakers[c];
		if (s->is_lfe || s->elevation_deg != 0.0f)
			continue;
		int j = n++;
		while (j > 0 && l->speakers[ring[j - 1]].azimuth_deg > s->azimuth_deg) {
			ring[j] = ring[j - 1];
			j--;
		}
		ring[j] = (int)c;
	}
	if (n == 0)
		return;
	if (n == 1) {
		gains[ring[0]] = 1.0f;
		return;
	}

	float az = pan_law_wrap_deg(azimuth_deg);
	for (int pass = 0; pass < 2; pass++) {
		for (int k = 0; k < n; k++) {
			const int a = ring[k], b = ring[(k + 1) % n];
			const float arc = arc_deg(l->speakers[a].azimuth_deg, l->speakers[b].azimuth_deg);
			const float d = arc_deg(l->speakers[a].azimuth_deg, az);
			if (d > arc)
				continue;
			if (arc > 180.0f) {
				/* A gap wider than a half circle (only 2.0 has one: the 300 deg
				 * behind the listener). Mirror the source front-to-back once and
				 * try again; still in the gap means beyond the last speaker on
				 * that side, which then plays alone. */
				if (pass == 0) {
					az = (az >= 0.0f ? 180.0f : -180.0f) - az;
					break;
				}
				const int side = az >= 0.0f
					? (l->speakers[a].azimuth_deg > l->speakers[b].azimuth_deg ? a : b)
					: (l->speakers[a].azimuth_deg < l->speakers[b].azimuth_deg ? a : b);
				gains[side] = 1.0f;
				return;
			}
			const float t = arc > 0.0f ? d / arc : 0.0f;
			/* The ends are exact: a source on a speaker feeds only that speaker
			 * (cosf(pi/2) in float is -4e-8, not 0). */
			gains[a] = t >= 1.0f ? 0.0f : cosf(t * (float)M_PI_2);
			gains[b] = t <= 0.0f ? 0.0f : sinf(t * (float)M_PI_2);
			return;
		}
	}
}
