#include "engine/bs1770.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dsp/peak.h"

#define ABSOLUTE_GATE_LUFS -70.0
#define RELATIVE_GATE_LU -10.0
#define RANGE_RELATIVE_GATE_LU -20.0
#define STEPS_BLOCK 4 /* 100 ms steps in a 400 ms block */

static double energy_of_lufs(double lufs) { return pow(10.0, (lufs + 0.691) / 10.0); }
static double lufs_of_energy(double e) { return e > 0.0 ? -0.691 + 10.0 * log10(e) : -INFINITY; }

void bs1770_filters(double rate, struct bs1770_biquad *shelf, struct bs1770_biquad *highpass)
{
	/* The analogue prototype of the Recommendation's 48 kHz filters: a
	 * high shelf of +4 dB around 1.7 kHz (the head's acoustic effect) and
	 * a second-order high-pass at 38 Hz (the RLB curve), bilinear
	 * transformed with the prototypes' own frequencies. */
	const double f0 = 1681.974450955533, gain_db = 3.999843853973347, q = 0.7071752369554196;
	const double k = tan(M_PI * f0 / rate);
	const double vh = pow(10.0, gain_db / 20.0), vb = pow(vh, 0.4996667741545416);
	const double a0 = 1.0 + k / q + k * k;
	*shelf = (struct bs1770_biquad){
		.b0 = (vh + vb * k / q + k * k) / a0,
		.b1 = 2.0 * (k * k - vh) / a0,
		.b2 = (vh - vb * k / q + k * k) / a0,
		.a1 = 2.0 * (k * k - 1.0) / a0,
		.a2 = (1.0 - k / q + k * k) / a0,
	};
	const double hf0 = 38.13547087602444, hq = 0.5003270373238773;
	const double hk = tan(M_PI * hf0 / rate);
	const double h0 = 1.0 + hk / hq + hk * hk;
	*highpass = (struct bs1770_biquad){
		.b0 = 1.0, .b1 = -2.0, .b2 = 1.0,
		.a1 = 2.0 * (hk * hk - 1.0) / h0,
		.a2 = (1.0 - hk / hq + hk * hk) / h0,
	};
}

double bs1770_weight(const struct speaker *sp)
{
	if (sp->is_lfe)
		return 0.0;
	const double off_centre = fabs((double)sp->azimuth_deg);
	const bool ear_layer = sp->elevation_deg < 20.0f && sp->elevation_deg > -20.0f;
	return ear_layer && off_centre >= 60.0 && off_centre <= 120.0 ? 1.41 : 1.0;
}

bool bs1770_init(struct bs1770 *m, uint32_t rate, uint32_t n_ch, const double *weights)
{
	memset(m, 0, sizeof *m);
	if (n_ch == 0 || n_ch > LAYOUT_MAX_CHANNELS || rate < 10)
		return false;
	m->n_ch = n_ch;
	m->n_lanes = (n_ch + BS1770_LANES - 1) / BS1770_LANES * BS1770_LANES;
	m->step_frames = (uint32_t)lrint(rate / 10.0);
	bs1770_filters(rate, &m->shelf, &m->highpass);
	for (uint32_t c = 0; c < n_ch; c++)
		m->weight[c] = weights[c];
	return true;
}

void bs1770_free(struct bs1770 *m)
{
	free(m->blocks);
	free(m->short_terms);
	m->blocks = m->short_terms = NULL;
	m->n_blocks = m->cap_blocks = m->n_short_terms = m->cap_short_terms = 0;
}

void bs1770_reset(struct bs1770 *m)
{
	memset(m->z1, 0, sizeof m->z1);
	memset(m->z2, 0, sizeof m->z2);
	memset(m->sum, 0, sizeof m->sum);
	memset(m->step_energy, 0, sizeof m->step_energy);
	m->frames_in_step = 0;
	m->steps = 0;
	m->n_blocks = m->n_short_terms = 0;
	m->blocks_audible_sum = m->short_terms_audible_sum = 0.0;
	m->n_blocks_audible = m->n_short_terms_audible = 0;
	m->out_of_memory = false;
}

/* Room in *list for n + 1 values; false (and m marked) when there is none. */
static bool room_for_one_more(struct bs1770 *m, float **list, size_t n, size_t *cap)
{
	if (n < *cap)
		return true;
	const size_t grown = *cap ? 2 * *cap : 1024;
	float *more = realloc(*list, grown * sizeof *more);
	if (!more) {
		m->out_of_memory = true;
		return false;
	}
	*list = more;
	*cap = grown;
	return true;
}

/* How many of the ascending e[0..n) are <= v: the index of the first above. */
static size_t count_not_above(const float *e, size_t n, double v)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		const size_t mid = lo + (hi - lo) / 2;
		if (e[mid] <= v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Adds e to the sum and count of the values above the absolute gate. */
static void count_if_audible(double *sum, size_t *count, float e)
{
	if (e > energy_of_lufs(ABSOLUTE_GATE_LUFS)) {
		*sum += e;
		++*count;
	}
}

static void append_block(struct bs1770 *m, double energy)
{
	if (!room_for_one_more(m, &m->blocks, m->n_blocks, &m->cap_blocks))
		return;
	const float e = (float)energy; /* the sums and gates see what the list keeps */
	m->blocks[m->n_blocks++] = e;
	count_if_audible(&m->blocks_audible_sum, &m->n_blocks_audible, e);
}

/* Into its place in the ascending list (a memmove of what is above it). */
static void append_short_term(struct bs1770 *m, double energy)
{
	if (!room_for_one_more(m, &m->short_terms, m->n_short_terms, &m->cap_short_terms))
		return;
	const float e = (float)energy;
	float *sorted = m->short_terms;
	const size_t at = count_not_above(sorted, m->n_short_terms, e);
	memmove(&sorted[at + 1], &sorted[at], (m->n_short_terms - at) * sizeof *sorted);
	sorted[at] = e;
	m->n_short_terms++;
	count_if_audible(&m->short_terms_audible_sum, &m->n_short_terms_audible, e);
}

/* The mean of the last `steps` step energies (missing ones: silence). */
static double recent_energy(const struct bs1770 *m, uint32_t steps)
{
	double e = 0.0;
	for (uint32_t k = 1; k <= steps && k <= m->steps; k++)
		e += m->step_energy[(m->steps - k) % BS1770_STEPS_SHORT];
	return e / steps;
}

static void end_step(struct bs1770 *m)
{
	double e = 0.0;
	for (uint32_t c = 0; c < m->n_lanes; c++) {
		e += m->weight[c] * m->sum[c];
		m->sum[c] = 0.0;
	}
	m->step_energy[m->steps % BS1770_STEPS_SHORT] = e / m->step_frames;
	m->steps++;
	m->frames_in_step = 0;
	if (m->steps >= STEPS_BLOCK)
		append_block(m, recent_energy(m, STEPS_BLOCK));
	if (m->steps >= BS1770_STEPS_SHORT)
		append_short_term(m, recent_energy(m, BS1770_STEPS_SHORT));
}

/* Four channels side by side: GCC's vector extension, so that the
 * recursions of a frame's channels run in one vector whatever the
 * vectoriser decides (SSE2: two halves; AVX2 clone: one register). */
typedef double lanes __attribute__((vector_size(BS1770_LANES * sizeof(double))));

/* K-weights lane groups group[0 .. G) (BS1770_LANES channels each)
 * through n frames into the step's sums; lane c reads ch[c][0 .. n). The
 * groups' filters run side by side in one frame loop: a group alone waits on
 * its own chain of dependent multiply-adds every frame, and side by side
 * they overlap (as do the loads that gather a frame's lanes). Inlined with G
 * constant, so the group loops unroll into registers. */
static inline __attribute__((always_inline)) void filter_groups(struct bs1770 *m, const float *const *ch,
                                                                uint32_t n, const uint32_t *group, uint32_t G)
{
	const struct bs1770_biquad s = m->shelf, h = m->highpass;
	lanes z1a[G], z2a[G], z1b[G], z2b[G], sum[G];
	for (uint32_t k = 0; k < G; k++) { /* memcpy: unaligned loads and stores, no vector passed by value */
		const uint32_t g = group[k] * BS1770_LANES;
		memcpy(&z1a[k], &m->z1[0][g], sizeof z1a[k]);
		memcpy(&z2a[k], &m->z2[0][g], sizeof z2a[k]);
		memcpy(&z1b[k], &m->z1[1][g], sizeof z1b[k]);
		memcpy(&z2b[k], &m->z2[1][g], sizeof z2b[k]);
		memcpy(&sum[k], &m->sum[g], sizeof sum[k]);
	}
	for (uint32_t f = 0; f < n; f++) {
		for (uint32_t k = 0; k < G; k++) {
			const float *const *p = ch + group[k] * BS1770_LANES;
			_Static_assert(BS1770_LANES == 4, "a lane vector is gathered from four channels");
			const lanes in = {p[0][f], p[1][f], p[2][f], p[3][f]};
			const lanes y = s.b0 * in + z1a[k];
			z1a[k] = s.b1 * in - s.a1 * y + z2a[k];
			z2a[k] = s.b2 * in - s.a2 * y;
			const lanes v = h.b0 * y + z1b[k];
			z1b[k] = h.b1 * y - h.a1 * v + z2b[k];
			z2b[k] = h.b2 * y - h.a2 * v;
			sum[k] += v * v;
		}
	}
	for (uint32_t k = 0; k < G; k++) {
		const uint32_t g = group[k] * BS1770_LANES;
		memcpy(&m->z1[0][g], &z1a[k], sizeof z1a[k]);
		memcpy(&m->z2[0][g], &z2a[k], sizeof z2a[k]);
		memcpy(&m->z1[1][g], &z1b[k], sizeof z1b[k]);
		memcpy(&m->z2[1][g], &z2b[k], sizeof z2b[k]);
		memcpy(&m->sum[g], &sum[k], sizeof sum[k]);
	}
}

/* Whether lane group g hears silence into filters at rest: then its
 * output, and what it adds to the sums, is exactly zero (a stem's height
 * channels, most of the time). */
static bool group_at_rest(const struct bs1770 *m, const float *const *ch, uint32_t n, uint32_t g)
{
	float most = 0.0f;
	for (uint32_t c = g * BS1770_LANES; c < (g + 1) * BS1770_LANES; c++)
		most = peak_of_rt(ch[c], n, most);
	bool rest = most == 0.0f;
	for (uint32_t c = g * BS1770_LANES; rest && c < (g + 1) * BS1770_LANES; c++)
		rest = m->z1[0][c] == 0.0 && m->z2[0][c] == 0.0 && m->z1[1][c] == 0.0 && m->z2[1][c] == 0.0;
	return rest;
}

/* K-weights n frames of the lanes' channels ch[0 .. n_lanes) into the
 * step's sums, FILTER_GROUPS lane groups at a time; groups at rest skip. */
#define FILTER_GROUPS 2
VECTOR_CLONES
static void filter_frames(struct bs1770 *m, const float *const *ch, uint32_t n)
{
	uint32_t busy[BS1770_MAX_CHANNELS / BS1770_LANES], n_busy = 0;
	for (uint32_t g = 0; g < m->n_lanes / BS1770_LANES; g++)
		if (!group_at_rest(m, ch, n, g))
			busy[n_busy++] = g;
	uint32_t k = 0;
	for (; n_busy - k >= FILTER_GROUPS; k += FILTER_GROUPS)
		filter_groups(m, ch, n, &busy[k], FILTER_GROUPS);
	for (; k < n_busy; k++)
		filter_groups(m, ch, n, &busy[k], 1);
}

void bs1770_add(struct bs1770 *m, const float *frames, uint32_t n) { bs1770_add_strided(m, frames, n, m->n_ch, 1); }

void bs1770_add_strided(struct bs1770 *m, const float *src, uint32_t n, size_t frame_stride, size_t channel_stride)
{
	enum { CHUNK = 256 };
	static const float silence[CHUNK]; /* the padding lanes */
	float planar[frame_stride == 1 ? 1 : CHUNK * BS1770_MAX_CHANNELS]; /* interleaved input, a channel at a time */
	const float *ch[BS1770_MAX_CHANNELS];
	uint32_t done = 0;
	while (done < n) {
		uint32_t len = n - done;
		len = len < CHUNK ? len : CHUNK;
		const uint32_t to_step = m->step_frames - m->frames_in_step;
		len = len < to_step ? len : to_step;
		for (uint32_t c = 0; c < m->n_lanes; c++) {
			const float *in = src + (size_t)c * channel_stride + (size_t)done * frame_stride;
			if (c >= m->n_ch) {
				ch[c] = silence;
			} else if (frame_stride == 1) {
				ch[c] = in;
			} else {
				float *dst = planar + (size_t)c * CHUNK;
				for (uint32_t f = 0; f < len; f++)
					dst[f] = in[(size_t)f * frame_stride];
				ch[c] = dst;
			}
		}
		filter_frames(m, ch, len);
		m->frames_in_step += len;
		done += len;
		if (m->frames_in_step == m->step_frames)
			end_step(m);
	}
}

double bs1770_momentary(const struct bs1770 *m) { return lufs_of_energy(recent_energy(m, STEPS_BLOCK)); }
double bs1770_short_term(const struct bs1770 *m) { return lufs_of_energy(recent_energy(m, BS1770_STEPS_SHORT)); }

/* The mean energy of the values above `floor`, and how many there are
 * (without a branch per value: one pass over hours of blocks per readout). */
static double mean_above(const float *e, size_t n, double floor, size_t *count)
{
	double sum = 0.0;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const bool above = e[i] > floor;
		sum += above ? e[i] : 0.0;
		k += above;
	}
	*count = k;
	return k ? sum / (double)k : 0.0;
}

static double gate_of(const struct bs1770 *m);

double bs1770_integrated(const struct bs1770 *m)
{
	const double gate = gate_of(m);
	if (gate < 0.0)
		return -INFINITY;
	size_t k;
	const double gated = mean_above(m->blocks, m->n_blocks, gate, &k);
	return k ? lufs_of_energy(gated) : -INFINITY;
}

/* The energy a block of `m` must exceed to count towards its integrated
 * loudness (the higher of the two gates), or -1 when none does. */
static double gate_of(const struct bs1770 *m)
{
	const double absolute = energy_of_lufs(ABSOLUTE_GATE_LUFS);
	if (m->n_blocks_audible == 0)
		return -1.0;
	const double ungated = m->blocks_audible_sum / (double)m->n_blocks_audible;
	const double relative = ungated * pow(10.0, RELATIVE_GATE_LU / 10.0);
	return relative > absolute ? relative : absolute;
}

double bs1770_integrated_during(const struct bs1770 *m, const struct bs1770 *dialogue)
{
	const double speaking = gate_of(dialogue), absolute = energy_of_lufs(ABSOLUTE_GATE_LUFS);
	if (speaking < 0.0)
		return -INFINITY;
	const size_t both = m->n_blocks < dialogue->n_blocks ? m->n_blocks : dialogue->n_blocks;
	const float *mine = m->blocks + (m->n_blocks - both), *theirs = dialogue->blocks + (dialogue->n_blocks - both);
	double sum = 0.0;
	size_t k = 0;
	for (size_t j = 0; j < both; j++)
		if (theirs[j] > speaking && mine[j] > absolute) {
			sum += mine[j];
			k++;
		}
	return k ? lufs_of_energy(sum / (double)k) : -INFINITY;
}

double bs1770_range(const struct bs1770 *m)
{
	const double absolute = energy_of_lufs(ABSOLUTE_GATE_LUFS);
	if (m->n_short_terms_audible == 0)
		return 0.0;
	const double ungated = m->short_terms_audible_sum / (double)m->n_short_terms_audible;
	const double relative = ungated * pow(10.0, RANGE_RELATIVE_GATE_LU / 10.0);
	const double floor = relative > absolute ? relative : absolute;
	/* the values above the floor are the sorted list's tail */
	const float *sorted = m->short_terms;
	const size_t first = count_not_above(sorted, m->n_short_terms, floor), n = m->n_short_terms - first;
	if (n == 0)
		return 0.0;
	/* Tech 3342: the 10th and 95th percentiles, nearest rank */
	const double low = sorted[first + (size_t)((double)(n - 1) * 0.10 + 0.5)];
	const double high = sorted[first + (size_t)((double)(n - 1) * 0.95 + 0.5)];
	return 10.0 * log10(high / low);
}
