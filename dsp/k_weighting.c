#include "dsp/k_weighting.h"

#include <math.h>
#include <string.h>

#include "dsp/peak.h"

void k_weighting_filters(double rate, struct k_weighting_biquad *shelf, struct k_weighting_biquad *highpass)
{
	/* The analogue prototype of the Recommendation's 48 kHz filters: a
	 * high shelf of +4 dB around 1.7 kHz (the head's acoustic effect) and
	 * a second-order high-pass at 38 Hz (the RLB curve), bilinear
	 * transformed with the prototypes' own frequencies. */
	const double f0 = 1681.974450955533, gain_db = 3.999843853973347, q = 0.7071752369554196;
	const double k = tan(M_PI * f0 / rate);
	const double vh = pow(10.0, gain_db / 20.0), vb = pow(vh, 0.4996667741545416);
	const double a0 = 1.0 + k / q + k * k;
	*shelf = (struct k_weighting_biquad){
		.b0 = (vh + vb * k / q + k * k) / a0,
		.b1 = 2.0 * (k * k - vh) / a0,
		.b2 = (vh - vb * k / q + k * k) / a0,
		.a1 = 2.0 * (k * k - 1.0) / a0,
		.a2 = (1.0 - k / q + k * k) / a0,
	};
	const double hf0 = 38.13547087602444, hq = 0.5003270373238773;
	const double hk = tan(M_PI * hf0 / rate);
	const double h0 = 1.0 + hk / hq + hk * hk;
	*highpass = (struct k_weighting_biquad){
		.b0 = 1.0, .b1 = -2.0, .b2 = 1.0,
		.a1 = 2.0 * (hk * hk - 1.0) / h0,
		.a2 = (1.0 - hk / hq + hk * hk) / h0,
	};
}

double k_weighting_channel_weight(const struct speaker *sp)
{
	if (sp->is_lfe)
		return 0.0;
	const double off_centre = fabs((double)sp->azimuth_deg);
	const bool ear_layer = sp->elevation_deg < 20.0f && sp->elevation_deg > -20.0f;
	return ear_layer && off_centre >= 60.0 && off_centre <= 120.0 ? 1.41 : 1.0;
}

bool k_weighting_init(struct k_weighting *k, double rate, uint32_t n_ch, const double *weights)
{
	memset(k, 0, sizeof *k);
	if (n_ch == 0 || n_ch > LAYOUT_MAX_CHANNELS)
		return false;
	k->n_ch = n_ch;
	k->n_lanes = (n_ch + K_WEIGHTING_LANES - 1) / K_WEIGHTING_LANES * K_WEIGHTING_LANES;
	k_weighting_filters(rate, &k->shelf, &k->highpass);
	for (uint32_t c = 0; c < n_ch; c++)
		k->weight[c] = weights[c];
	return true;
}

RT void k_weighting_clear_rt(struct k_weighting *k)
{
	memset(k->z1, 0, sizeof k->z1);
	memset(k->z2, 0, sizeof k->z2);
	memset(k->sum, 0, sizeof k->sum);
}

/* Four channels side by side: GCC's vector extension, so that the
 * recursions of a frame's channels run in one vector whatever the
 * vectoriser decides (SSE2: two halves; AVX2 clone: one register). */
typedef double kw_lanes __attribute__((vector_size(K_WEIGHTING_LANES * sizeof(double))));

/* K-weights lane groups group[0 .. G) (K_WEIGHTING_LANES channels each)
 * through n frames into the sums; lane c reads ch[c][0 .. n). The groups'
 * filters run side by side in one frame loop: a group alone waits on its
 * own chain of dependent multiply-adds every frame, and side by side they
 * overlap (as do the loads that gather a frame's lanes). Inlined with G
 * constant, so the group loops unroll into registers. */
static inline __attribute__((always_inline)) void filter_groups(struct k_weighting *m, const float *const *ch,
                                                                uint32_t n, const uint32_t *group, uint32_t G)
{
	const struct k_weighting_biquad s = m->shelf, h = m->highpass;
	kw_lanes z1a[G], z2a[G], z1b[G], z2b[G], sum[G];
	for (uint32_t k = 0; k < G; k++) { /* memcpy: unaligned loads and stores, no vector passed by value */
		const uint32_t g = group[k] * K_WEIGHTING_LANES;
		memcpy(&z1a[k], &m->z1[0][g], sizeof z1a[k]);
		memcpy(&z2a[k], &m->z2[0][g], sizeof z2a[k]);
		memcpy(&z1b[k], &m->z1[1][g], sizeof z1b[k]);
		memcpy(&z2b[k], &m->z2[1][g], sizeof z2b[k]);
		memcpy(&sum[k], &m->sum[g], sizeof sum[k]);
	}
	for (uint32_t f = 0; f < n; f++) {
		for (uint32_t k = 0; k < G; k++) {
			const float *const *p = ch + group[k] * K_WEIGHTING_LANES;
			_Static_assert(K_WEIGHTING_LANES == 4, "a lane vector is gathered from four channels");
			const kw_lanes in = {p[0][f], p[1][f], p[2][f], p[3][f]};
			const kw_lanes y = s.b0 * in + z1a[k];
			z1a[k] = s.b1 * in - s.a1 * y + z2a[k];
			z2a[k] = s.b2 * in - s.a2 * y;
			const kw_lanes v = h.b0 * y + z1b[k];
			z1b[k] = h.b1 * y - h.a1 * v + z2b[k];
			z2b[k] = h.b2 * y - h.a2 * v;
			sum[k] += v * v;
		}
	}
	for (uint32_t k = 0; k < G; k++) {
		const uint32_t g = group[k] * K_WEIGHTING_LANES;
		memcpy(&m->z1[0][g], &z1a[k], sizeof z1a[k]);
		memcpy(&m->z2[0][g], &z2a[k], sizeof z2a[k]);
		memcpy(&m->z1[1][g], &z1b[k], sizeof z1b[k]);
		memcpy(&m->z2[1][g], &z2b[k], sizeof z2b[k]);
		memcpy(&m->sum[g], &sum[k], sizeof sum[k]);
	}
}

/* Whether lane group g hears silence into filters at rest: then its
 * output, and what it adds to the sums, is exactly zero. */
RT static bool group_at_rest(const struct k_weighting *m, const float *const *ch, uint32_t n, uint32_t g)
{
	float most = 0.0f;
	for (uint32_t c = g * K_WEIGHTING_LANES; c < (g + 1) * K_WEIGHTING_LANES; c++)
		most = peak_of_rt(ch[c], n, most);
	bool rest = most == 0.0f;
	for (uint32_t c = g * K_WEIGHTING_LANES; rest && c < (g + 1) * K_WEIGHTING_LANES; c++)
		rest = m->z1[0][c] == 0.0 && m->z2[0][c] == 0.0 && m->z1[1][c] == 0.0 && m->z2[1][c] == 0.0;
	return rest;
}

/* K-weights n frames of the lanes' channels lane[0 .. n_lanes) into the
 * sums, FILTER_GROUPS lane groups at a time; groups at rest skip. */
#define FILTER_GROUPS 2
VECTOR_CLONES
RT static void filter_frames(struct k_weighting *m, const float *const *lane, uint32_t n)
{
	uint32_t busy[K_WEIGHTING_MAX_CHANNELS / K_WEIGHTING_LANES], n_busy = 0;
	for (uint32_t g = 0; g < m->n_lanes / K_WEIGHTING_LANES; g++)
		if (!group_at_rest(m, lane, n, g))
			busy[n_busy++] = g;
	uint32_t k = 0;
	for (; n_busy - k >= FILTER_GROUPS; k += FILTER_GROUPS)
		filter_groups(m, lane, n, &busy[k], FILTER_GROUPS);
	for (; k < n_busy; k++)
		filter_groups(m, lane, n, &busy[k], 1);
}

RT void k_weighting_process_rt(struct k_weighting *k, const float *const *ch, uint32_t n)
{
	static const float silence[K_WEIGHTING_MAX_FRAMES]; /* the padding lanes */
	const float *lane[K_WEIGHTING_MAX_CHANNELS];
	for (uint32_t c = 0; c < k->n_lanes; c++)
		lane[c] = c < k->n_ch ? ch[c] : silence;
	filter_frames(k, lane, n);
}

RT double k_weighting_take_rt(struct k_weighting *k)
{
	double e = 0.0;
	for (uint32_t c = 0; c < k->n_lanes; c++) {
		e += k->weight[c] * k->sum[c];
		k->sum[c] = 0.0;
	}
	return e;
}
