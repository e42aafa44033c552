#include "dsp/room.h"

#include <math.h>

#define EL_TOP 30.0       /* BS.2127: the elevation that meets the ceiling edge */
#define EL_TOP_ROOM 45.0  /* ... and the angle of that edge seen in the box */
#define MAX_ANCHORS 9

/* A loudspeaker azimuth pinned to a point of the walls. */
struct anchor {
	double az;      /* degrees, positive to the left */
	double x, y;    /* on the walls */
	double room_az; /* atan2(-x, y): the anchor's direction inside the box */
};

static double deg(double r) { return r * (180.0 / M_PI); }
static double rad(double d) { return d * (M_PI / 180.0); }

static double wrap(double a)
{
	while (a > 180.0)
		a -= 360.0;
	while (a <= -180.0)
		a += 360.0;
	return a;
}

static float clampf(float v, float lo, float hi)
{
	return isnan(v) ? lo : (v < lo ? lo : (v > hi ? hi : v));
}

/* The anchors of l, by increasing azimuth from -180 to +180. */
static int make_anchors(const struct layout *l, struct anchor a[MAX_ANCHORS])
{
	double rear = 110.0;
	bool side = false;
	if (l) {
		double rearmost = 0.0;
		for (unsigned c = 0; c < l->channels; c++) {
			const struct speaker *s = &l->speakers[c];
			if (s->is_lfe || fabs(s->elevation_deg) > 1e-3)
				continue;
			const double az = fabs((double)s->azimuth_deg);
			side |= fabs(az - 90.0) < 1e-3;
			if (az > 90.0 && az < 180.0 && az > rearmost)
				rearmost = az;
		}
		if (rearmost > 0.0)
			rear = rearmost;
	}
	int n = 0;
	a[n++] = (struct anchor){-180.0, 0, -1, 0};
	a[n++] = (struct anchor){-rear, 1, -1, 0};
	if (side)
		a[n++] = (struct anchor){-90.0, 1, 0, 0};
	a[n++] = (struct anchor){-30.0, 1, 1, 0};
	a[n++] = (struct anchor){0.0, 0, 1, 0};
	a[n++] = (struct anchor){30.0, -1, 1, 0};
	if (side)
		a[n++] = (struct anchor){90.0, -1, 0, 0};
	a[n++] = (struct anchor){rear, -1, -1, 0};
	a[n++] = (struct anchor){180.0, 0, -1, 0};
	for (int i = 0; i < n; i++)
		a[i].room_az = deg(atan2(-a[i].x, a[i].y));
	a[0].room_az = -180.0; /* atan2 gives +180 for the back centre */
	return n;
}

/* BS.2127's tangent law between two anchors: 0 at az0, 1 at az1. */
static double az_to_linear(double az0, double az1, double az)
{
	const double mid = 0.5 * (az0 + az1), range = az1 - mid;
	const double g = 0.5 + 0.5 * tan(rad(az - mid)) / tan(rad(range));
	return atan2(g, 1.0 - g) * (2.0 / M_PI);
}

static double linear_to_az(double az0, double az1, double t)
{
	const double mid = 0.5 * (az0 + az1), range = az1 - mid;
	const double gl = cos(t * M_PI / 2.0), gr = sin(t * M_PI / 2.0);
	const double g = gr / (gl + gr);
	return mid + deg(atan(2.0 * (g - 0.5) * tan(rad(range))));
}

void room_to_polar(const struct layout *l, struct room_position p, float *azimuth_deg,
                   float *elevation_deg, float *distance)
{
	const double x = clampf(p.x, -1.0f, 1.0f), y = clampf(p.y, -1.0f, 1.0f), z = clampf(p.z, 0.0f, 1.0f);
	const double eps = 1e-9;
	if (fabs(x) < eps && fabs(y) < eps) {
		/* On the vertical axis: overhead, or the centre (no direction). */
		*azimuth_deg = 0.0f;
		*elevation_deg = z > eps ? 90.0f : 0.0f;
		*distance = (float)z;
		return;
	}
	struct anchor a[MAX_ANCHORS];
	const int n = make_anchors(l, a);
	const double room_az = deg(atan2(-x, y));
	int i = 0;
	while (i < n - 2 && room_az > a[i + 1].room_az)
		i++;
	/* (x, y) = g0 * anchor i + g1 * anchor i+1; g0 + g1 is the distance
	 * along the sector's wall (1 on it), g1 / (g0 + g1) the position on it. */
	const struct anchor *a0 = &a[i], *a1 = &a[i + 1];
	const double det = a0->x * a1->y - a1->x * a0->y;
	const double g0 = (x * a1->y - a1->x * y) / det, g1 = (a0->x * y - x * a0->y) / det;
	const double r = g0 + g1;
	const double az = linear_to_az(a0->az, a1->az, g1 / r);
	const double el_room = deg(atan(z / r));
	double el, d;
	if (el_room > EL_TOP_ROOM) {
		el = EL_TOP + (90.0 - EL_TOP) * (el_room - EL_TOP_ROOM) / (90.0 - EL_TOP_ROOM);
		d = z;
	} else {
		el = EL_TOP * el_room / EL_TOP_ROOM;
		d = r;
	}
	*azimuth_deg = (float)wrap(az);
	*elevation_deg = (float)el;
	*distance = (float)(d > 1.0 ? 1.0 : d);
}

struct room_position room_from_polar(const struct layout *l, float azimuth_deg, float elevation_deg)
{
	const double az = isfinite(azimuth_deg) ? wrap(azimuth_deg) : 0.0;
	const double el = clampf(elevation_deg, 0.0f, 90.0f);
	double r, z;
	if (el > EL_TOP) {
		const double el_room = EL_TOP_ROOM + (90.0 - EL_TOP_ROOM) * (el - EL_TOP) / (90.0 - EL_TOP);
		z = 1.0;
		r = tan(rad(90.0 - el_room));
	} else {
		z = tan(rad(EL_TOP_ROOM * el / EL_TOP));
		r = 1.0;
	}
	struct anchor a[MAX_ANCHORS];
	const int n = make_anchors(l, a);
	int i = 0;
	while (i < n - 2 && az > a[i + 1].az)
		i++;
	const double t = az_to_linear(a[i].az, a[i + 1].az, az);
	struct room_position p = {
		(float)(r * (a[i].x + (a[i + 1].x - a[i].x) * t)),
		(float)(r * (a[i].y + (a[i + 1].y - a[i].y) * t)),
		(float)(z > 1.0 ? 1.0 : z),
	};
	if (fabs(p.x) < 1e-6f)
		p.x = 0.0f;
	if (fabs(p.y) < 1e-6f)
		p.y = 0.0f;
	return p;
}
