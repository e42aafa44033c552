#include "engine/bs1770.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>


#define ABSOLUTE_GATE_LUFS -70.0
#define RELATIVE_GATE_LU -10.0
#define RANGE_RELATIVE_GATE_LU -20.0
#define STEPS_BLOCK 4 /* 100 ms steps in a 400 ms block */

static double energy_of_lufs(double lufs) { return pow(10.0, (lufs + 0.691) / 10.0); }
static double lufs_of_energy(double e) { return e > 0.0 ? -0.691 + 10.0 * log10(e) : -INFINITY; }

bool bs1770_init(struct bs1770 *m, uint32_t rate, uint32_t n_ch, const double *weights)
{
	memset(m, 0, sizeof *m);
	if (rate < 10) /* the channel count k_weighting_init checks */
		return false;
	m->step_frames = (uint32_t)lrint(rate / 10.0);
	return k_weighting_init(&m->kw, rate, n_ch, weights);
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
	k_weighting_clear_rt(&m->kw);
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

void bs1770_add_step(struct bs1770 *m, double energy)
{
	m->step_energy[m->steps % BS1770_STEPS_SHORT] = energy;
	m->steps++;
	if (m->steps >= STEPS_BLOCK)
		append_block(m, recent_energy(m, STEPS_BLOCK));
	if (m->steps >= BS1770_STEPS_SHORT)
		append_short_term(m, recent_energy(m, BS1770_STEPS_SHORT));
}

void bs1770_add(struct bs1770 *m, const float *frames, uint32_t n) { bs1770_add_strided(m, frames, n, m->kw.n_ch, 1); }

void bs1770_add_strided(struct bs1770 *m, const float *src, uint32_t n, size_t frame_stride, size_t channel_stride)
{
	enum { CHUNK = K_WEIGHTING_MAX_FRAMES };
	float planar[frame_stride == 1 ? 1 : CHUNK * K_WEIGHTING_MAX_CHANNELS]; /* interleaved input, a channel at a time */
	const float *ch[K_WEIGHTING_MAX_CHANNELS];
	uint32_t done = 0;
	while (done < n) {
		uint32_t len = n - done;
		len = len < CHUNK ? len : CHUNK;
		const uint32_t to_step = m->step_frames - m->frames_in_step;
		len = len < to_step ? len : to_step;
		for (uint32_t c = 0; c < m->kw.n_ch; c++) {
			const float *in = src + (size_t)c * channel_stride + (size_t)done * frame_stride;
			if (frame_stride == 1) {
				ch[c] = in;
			} else {
				float *dst = planar + (size_t)c * CHUNK;
				for (uint32_t f = 0; f < len; f++)
					dst[f] = in[(size_t)f * frame_stride];
				ch[c] = dst;
			}
		}
		k_weighting_process_rt(&m->kw, ch, len);
		m->frames_in_step += len;
		done += len;
		if (m->frames_in_step == m->step_frames) {
			m->frames_in_step = 0;
			bs1770_add_step(m, k_weighting_take_rt(&m->kw) / m->step_frames);
		}
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
