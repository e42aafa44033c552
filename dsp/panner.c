#include "dsp/panner.h"

#include <math.h>
#include <string.h>


#define MAX_VERTS PANNER_MAX_VERTS
#define MAX_TRIS PANNER_MAX_TRIS
#define EPS 1e-6

enum { KIND_REAL, KIND_POLE, KIND_CENTRE };

static void power_normalise(float *g, unsigned n);

static void direction(double az_deg, double el_deg, double out[3])
{
	const double az = az_deg * M_PI / 180.0, el = el_deg * M_PI / 180.0;
	out[0] = cos(el) * cos(az); /* x: front */
	out[1] = cos(el) * sin(az); /* y: left */
	out[2] = sin(el);           /* z: up */
}

static void sub(const double a[3], const double b[3], double o[3])
{
	for (int i = 0; i < 3; i++)
		o[i] = a[i] - b[i];
}

static void cross(const double a[3], const double b[3], double o[3])
{
	o[0] = a[1] * b[2] - a[2] * b[1];
	o[1] = a[2] * b[0] - a[0] * b[2];
	o[2] = a[0] * b[1] - a[1] * b[0];
}

static double dot(const double a[3], const double b[3])
{
	return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

static void normalise(double v[3])
{
	const double n = sqrt(dot(v, v));
	for (int i = 0; i < 3; i++)
		v[i] /= n;
}

static int invert(const double *a, const double *b, const double *c, double inv[3][3])
{
	/* columns a, b, c; inverse rows are the cross products / determinant */
	double bc[3], ca[3], ab[3];
	cross(b, c, bc);
	cross(c, a, ca);
	cross(a, b, ab);
	const double det = dot(a, bc);
	if (fabs(det) < 1e-9)
		return -1;
	for (int i = 0; i < 3; i++) {
		inv[0][i] = bc[i] / det;
		inv[1][i] = ca[i] / det;
		inv[2][i] = ab[i] / det;
	}
	return 0;
}

static void add_share(struct panner_vertex *v, int to)
{
	for (int i = 0; i < v->n_share; i++)
		if (v->share[i] == to)
			return;
	v->share[v->n_share++] = to;
}

static int add_triangle(struct panner *p, int a, int b, int c)
{
	if (p->n_tris == MAX_TRIS)
		return -1;
	struct panner_triangle *t = &p->tri[p->n_tris];
	if (invert(p->vert[a].v, p->vert[b].v, p->vert[c].v, t->inv) < 0)
		return 0; /* degenerate: covered by its neighbours */
	t->a = a;
	t->b = b;
	t->c = c;
	p->n_tris++;
	return 0;
}

/* The convex hull by brute force (at most ~20 points): every plane through
 * three points with all points on one side is a facet; the points on it form
 * the facet polygon. Triangles are fanned from a virtual centre when the
 * polygon has more than three corners, so no diagonal breaks a symmetry. */
static int triangulate(struct panner *p)
{
	const int n = p->n_verts;
	unsigned char seen[MAX_VERTS][MAX_VERTS][MAX_VERTS];
	memset(seen, 0, sizeof seen);
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++)
			for (int k = j + 1; k < n; k++) {
				if (seen[i][j][k])
					continue;
				double e1[3], e2[3], nrm[3];
				sub(p->vert[j].v, p->vert[i].v, e1);
				sub(p->vert[k].v, p->vert[i].v, e2);
				cross(e1, e2, nrm);
				if (dot(nrm, nrm) < 1e-12)
					continue;
				normalise(nrm);
				if (dot(nrm, p->vert[i].v) < 0)
					for (int q = 0; q < 3; q++)
						nrm[q] = -nrm[q];
				int on[MAX_VERTS], n_on = 0;
				bool support = true;
				for (int m = 0; m < n && support; m++) {
					double d[3];
					sub(p->vert[m].v, p->vert[i].v, d);
					const double side = dot(nrm, d);
					if (side > EPS)
						support = false;
					else if (side > -EPS)
						on[n_on++] = m;
				}
				if (!support)
					continue;
				for (int x = 0; x < n_on; x++)
					for (int y = x + 1; y < n_on; y++)
						for (int z = y + 1; z < n_on; z++)
							seen[on[x]][on[y]][on[z]] = 1;
				if (n_on == 3) {
					if (add_triangle(p, on[0], on[1], on[2]) < 0)
						return -1;
					continue;
				}
				/* A polygon: a virtual centre, its corners sorted around it. */
				if (p->n_verts == MAX_VERTS)
					return -1;
				struct panner_vertex *c = &p->vert[p->n_verts];
				memset(c, 0, sizeof *c);
				c->kind = KIND_CENTRE;
				for (int x = 0; x < n_on; x++) {
					for (int q = 0; q < 3; q++)
						c->v[q] += p->vert[on[x]].v[q];
					add_share(c, on[x]);
				}
				normalise(c->v);
				const int centre = p->n_verts++;
				double ref[3], ortho[3];
				sub(p->vert[on[0]].v, c->v, ref);
				cross(nrm, ref, ortho);
				double angle[MAX_VERTS];
				for (int x = 0; x < n_on; x++) {
					double d[3];
					sub(p->vert[on[x]].v, c->v, d);
					angle[x] = atan2(dot(d, ortho), dot(d, ref));
				}
				for (int x = 1; x < n_on; x++) /* insertion sort by angle */
					for (int y = x; y > 0 && angle[y - 1] > angle[y]; y--) {
						double ta = angle[y];
						angle[y] = angle[y - 1];
						angle[y - 1] = ta;
						int tv = on[y];
						on[y] = on[y - 1];
						on[y - 1] = tv;
					}
				for (int x = 0; x < n_on; x++)
					if (add_triangle(p, centre, on[x], on[(x + 1) % n_on]) < 0)
						return -1;
			}
	return 0;
}

int panner_init(struct panner *p, const struct layout *l)
{
	memset(p, 0, sizeof *p);
	p->layout = l;
	/* 2.0 has a 300 degree hole behind: pan in 5.1 and fold (BS.2127). */
	p->panned = l->id == LAYOUT_2_0 ? layout_get(LAYOUT_5_1) : l;
	if (p->panned != l && downmix_step_default(p->panned->id, l->id, &p->fold) < 0)
		return -1;
	if (l->channels == 1)
		return 0;
	const struct layout *t = p->panned;
	for (unsigned c = 0; c < t->channels; c++) {
		if (t->speakers[c].is_lfe)
			continue;
		struct panner_vertex *v = &p->vert[p->n_verts++];
		direction(t->speakers[c].azimuth_deg, t->speakers[c].elevation_deg, v->v);
		v->kind = KIND_REAL;
		v->channel = (int)c;
	}
	/* No layout here has a loudspeaker overhead or below: both poles are holes. */
	for (int pole = 0; pole < 2; pole++) {
		struct panner_vertex *v = &p->vert[p->n_verts++];
		direction(0, pole ? -90 : 90, v->v);
		v->kind = KIND_POLE;
	}
	if (triangulate(p) < 0)
		return -1;
	/* A pole's gain goes to the real loudspeakers it shares a facet with
	 * (through facet centres too). */
	for (int i = 0; i < p->n_tris; i++) {
		const int idx[3] = {p->tri[i].a, p->tri[i].b, p->tri[i].c};
		for (int x = 0; x < 3; x++) {
			if (p->vert[idx[x]].kind != KIND_POLE)
				continue;
			for (int y = 0; y < 3; y++) {
				const struct panner_vertex *o = &p->vert[idx[y]];
				if (o->kind == KIND_REAL)
					add_share(&p->vert[idx[x]], idx[y]);
				else if (o->kind == KIND_CENTRE)
					for (int k = 0; k < o->n_share; k++)
						if (p->vert[o->share[k]].kind == KIND_REAL)
							add_share(&p->vert[idx[x]], o->share[k]);
			}
		}
	}
	return 0;
}

unsigned panner_triangle_count(const struct panner *p)
{
	return (unsigned)p->n_tris;
}

#define SIZE_SAMPLES 512
#define SIZE_EDGE_DEG 20.0

/* Fibonacci-sphere sample directions for sized sources (shared by all
 * panners; filled once, on the control thread). */
static double size_dir[SIZE_SAMPLES][3];
static float size_az[SIZE_SAMPLES], size_el[SIZE_SAMPLES];

static void size_samples_init(void)
{
	static int done;
	if (done)
		return;
	const double golden = M_PI * (3.0 - sqrt(5.0));
	for (int i = 0; i < SIZE_SAMPLES; i++) {
		const double z = 1.0 - (2.0 * i + 1.0) / SIZE_SAMPLES;
		const double r = sqrt(1.0 - z * z), phi = golden * i;
		size_dir[i][0] = r * cos(phi);
		size_dir[i][1] = r * sin(phi);
		size_dir[i][2] = z;
		size_az[i] = (float)(atan2(size_dir[i][1], size_dir[i][0]) * 180.0 / M_PI);
		size_el[i] = (float)(asin(z) * 180.0 / M_PI);
	}
	done = 1;
}

#define SIZE_EVEN_FROM 0.75 /* size from which the spread turns into an even one */

void panner_gains_sized(const struct panner *p, float azimuth_deg, float elevation_deg, float size,
                        float gains[LAYOUT_MAX_CHANNELS])
{
	panner_gains(p, azimuth_deg, elevation_deg, gains);
	if (!(size > 0.0f) || p->layout->channels == 1)
		return;
	size = size > 1.0f ? 1.0f : size;
	size_samples_init();
	double s[3];
	direction(azimuth_deg, elevation_deg, s);
	/* The point source keeps weight 1; samples inside the cap add with a
	 * weight that falls smoothly to 0 over SIZE_EDGE_DEG at its edge. */
	double acc[LAYOUT_MAX_CHANNELS];
	for (unsigned c = 0; c < LAYOUT_MAX_CHANNELS; c++)
		acc[c] = (double)gains[c] * gains[c];
	const double radius = size * 180.0;
	double total = 1.0;
	float g[LAYOUT_MAX_CHANNELS];
	for (int i = 0; i < SIZE_SAMPLES; i++) {
		const double cosang = fmax(-1.0, fmin(1.0, dot(s, size_dir[i])));
		const double ang = acos(cosang) * 180.0 / M_PI;
		double w = (radius - ang) / SIZE_EDGE_DEG;
		if (w <= 0.0)
			continue;
		w = w >= 1.0 ? 1.0 : w * w * (3.0 - 2.0 * w); /* smoothstep */
		/* At full size every sample counts the same: an even spread. */
		w *= size * SIZE_SAMPLES / 64.0;
		panner_gains(p, size_az[i], size_el[i], g);
		for (unsigned c = 0; c < p->layout->channels; c++)
			acc[c] += w * (double)g[c] * g[c];
		total += w;
	}
	/* The cap's spread follows the loudspeakers' density (the ear layer,
	 * which also takes what lies below it, would dominate); towards full
	 * size it blends into an exactly even spread over every positioned
	 * loudspeaker, continuously and at constant power. */
	unsigned positioned = 0;
	for (unsigned c = 0; c < p->layout->channels; c++)
		positioned += !p->layout->speakers[c].is_lfe;
	double even = (size - SIZE_EVEN_FROM) / (1.0 - SIZE_EVEN_FROM);
	even = even <= 0.0 ? 0.0 : even * even * (3.0 - 2.0 * even);
	for (unsigned c = 0; c < p->layout->channels; c++) {
		const double share = p->layout->speakers[c].is_lfe ? 0.0 : 1.0 / positioned;
		gains[c] = (float)sqrt((1.0 - even) * acc[c] / total + even * share);
	}
	power_normalise(gains, p->layout->channels);
}

void panner_diverge(const struct layout *l, float divergence, float gains[LAYOUT_MAX_CHANNELS])
{
	const int c = layout_channel_index(l, "C"), left = layout_channel_index(l, "L"),
	          right = layout_channel_index(l, "R");
	if (c < 0 || left < 0 || right < 0 || !(divergence > 0.0f))
		return;
	const float d = divergence > 1.0f ? 1.0f : divergence;
	const float moved = d * gains[c] * gains[c] * 0.5f;
	gains[left] = sqrtf(gains[left] * gains[left] + moved);
	gains[right] = sqrtf(gains[right] * gains[right] + moved);
	gains[c] *= sqrtf(1.0f - d);
}

float panner_wrap_azimuth(float az)
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

static void power_normalise(float *g, unsigned n)
{
	double s = 0;
	for (unsigned i = 0; i < n; i++)
		s += (double)g[i] * g[i];
	if (s <= 0)
		return;
	const double k = 1.0 / sqrt(s);
	for (unsigned i = 0; i < n; i++)
		g[i] = (float)(g[i] * k);
}

void panner_gains(const struct panner *p, float azimuth_deg, float elevation_deg,
                  float gains[LAYOUT_MAX_CHANNELS])
{
	const struct layout *l = p->layout;
	memset(gains, 0, sizeof(float) * LAYOUT_MAX_CHANNELS);
	if (l->channels == 1) {
		gains[0] = 1.0f;
		return;
	}
	double s[3];
	float el = isfinite(elevation_deg) ? elevation_deg : 0.0f;
	el = el > 90.0f ? 90.0f : (el < -90.0f ? -90.0f : el);
	direction(isfinite(azimuth_deg) ? azimuth_deg : 0.0f, el, s);
	double g[MAX_VERTS] = {0};
	const struct panner_triangle *best = NULL;
	double best_min = -INFINITY, bg[3] = {0};
	for (int t = 0; t < p->n_tris; t++) {
		const struct panner_triangle *tr = &p->tri[t];
		double w[3];
		for (int r = 0; r < 3; r++)
			w[r] = dot(tr->inv[r], s);
		const double mn = fmin(w[0], fmin(w[1], w[2]));
		if (mn > best_min) { /* the triangle the source is most inside */
			best_min = mn;
			best = tr;
			memcpy(bg, w, sizeof bg);
		}
		if (mn >= 0)
			break;
	}
	g[best->a] = fmax(bg[0], 0);
	g[best->b] = fmax(bg[1], 0);
	g[best->c] = fmax(bg[2], 0);
	/* Virtual gains to their real neighbours: centres first (a centre may
	 * share into a pole), then the poles. Amplitudes add, then power is
	 * normalised. */
	for (int pass = 0; pass < 2; pass++)
		for (int v = 0; v < p->n_verts; v++) {
			const struct panner_vertex *vx = &p->vert[v];
			if (g[v] == 0 || vx->kind == KIND_REAL || (pass == 0) != (vx->kind == KIND_CENTRE))
				continue;
			for (int i = 0; i < vx->n_share; i++)
				g[vx->share[i]] += g[v] / vx->n_share;
			g[v] = 0;
		}
	double peak = 0;
	for (int v = 0; v < p->n_verts; v++)
		peak = fmax(peak, g[v]);
	float panned[LAYOUT_MAX_CHANNELS] = {0};
	for (int v = 0; v < p->n_verts; v++)
		if (p->vert[v].kind == KIND_REAL && g[v] > 1e-6 * peak)
			panned[p->vert[v].channel] = (float)g[v];
	if (p->panned != l) {
		/* 2.0: fold the 5.1 gains with the documented BS.775 step. */
		for (unsigned d = 0; d < l->channels; d++)
			for (unsigned c = 0; c < p->panned->channels; c++)
				gains[d] += p->fold.m[d][c] * panned[c];
	} else {
		memcpy(gains, panned, sizeof panned);
	}
	power_normalise(gains, l->channels);
}
