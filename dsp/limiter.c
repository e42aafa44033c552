#include "dsp/limiter.h"

#include <math.h>
#include <string.h>

#include "dsp/true_peak.h"

#define REACH_BACK TRUE_PEAK_REACH
#define HIST 16 /* history ring per channel, doubled so a window is contiguous */

struct limiter {
	uint32_t n_ch;
	uint32_t look;        /* L: the moving average spans L + 1 frames */
	uint32_t latency;     /* L + REACH_BACK */
	uint32_t window;      /* the minimum spans L + 1 + REACH_BACK + 1 frames */
	float rate;
	float ceiling;        /* linear */
	float release_coef;
	bool on;

	float *hist;          /* [n_ch][2 * HIST] */
	uint32_t hist_pos;
	float *audio;         /* [n_ch][audio_mask + 1] */
	uint32_t audio_mask, audio_pos;
	float *min_val;       /* monotonic queue of the window's candidates */
	uint32_t *min_at;
	uint32_t min_mask, min_head, min_tail;
	float *avg;           /* the last L + 1 smoothed gains */
	uint32_t avg_pos;
	double avg_sum;
	float smooth;         /* release-smoothed gain */
	float gain_min;       /* lowest gain since the last reduction reading */
	uint32_t frame;       /* frame counter for the queue (wraps: compared by difference) */
};

void limiter_params_defaults(struct limiter_params *p)
{
	*p = (struct limiter_params){.on = false, .ceiling_db = -1.0f, .release_ms = 100.0f};
}

static uint32_t pow2_at_least(uint32_t n)
{
	uint32_t p = 1;
	while (p < n)
		p <<= 1;
	return p;
}

static float clampf(float v, float lo, float hi) { return v < lo ? lo : (v > hi ? hi : v); }

/* The sizes that follow from channels and rate (no memory touched). */
static void shape(struct limiter *l, uint32_t n_ch, float rate)
{
	l->n_ch = n_ch;
	l->rate = rate;
	l->look = (uint32_t)lrintf(LIMITER_LOOKAHEAD_MS * 0.001f * rate);
	l->latency = l->look + REACH_BACK;
	l->window = l->look + 1 + REACH_BACK + 1;
	l->audio_mask = pow2_at_least(l->latency + 1) - 1;
	l->min_mask = pow2_at_least(l->window + 1) - 1;
}

/* The arrays, in order, carved out of the block after the struct. */
static size_t carve(struct limiter *l, char *mem)
{
	size_t at = (sizeof *l + 63) & ~(size_t)63;
#define TAKE(field, count)                                                                                   \
	do {                                                                                                     \
		if (mem)                                                                                             \
			l->field = (void *)(mem + at);                                                                   \
		at += ((count) * sizeof *l->field + 63) & ~(size_t)63;                                               \
	} while (0)
	TAKE(hist, (size_t)l->n_ch * 2 * HIST);
	TAKE(audio, (size_t)l->n_ch * (l->audio_mask + 1));
	TAKE(min_val, (size_t)l->min_mask + 1);
	TAKE(min_at, (size_t)l->min_mask + 1);
	TAKE(avg, (size_t)l->look + 1);
#undef TAKE
	return at;
}

size_t limiter_bytes(uint32_t n_ch, float rate)
{
	struct limiter l;
	shape(&l, n_ch, rate);
	return carve(&l, NULL);
}

struct limiter *limiter_init(void *mem, uint32_t n_ch, float rate, const struct limiter_params *p)
{
	struct limiter *l = mem;
	memset(l, 0, limiter_bytes(n_ch, rate));
	shape(l, n_ch, rate);
	carve(l, mem);
	for (uint32_t i = 0; i <= l->look; i++)
		l->avg[i] = 1.0f;
	l->avg_sum = l->look + 1;
	l->smooth = 1.0f;
	l->gain_min = 1.0f;
	limiter_set_rt(l, p);
	return l;
}

uint32_t limiter_latency(const struct limiter *l) { return l->latency; }
uint32_t limiter_channels(const struct limiter *l) { return l->n_ch; }

RT void limiter_set_rt(struct limiter *l, const struct limiter_params *p)
{
	l->on = p->on;
	l->ceiling = powf(10.0f, clampf(p->ceiling_db, LIMITER_CEILING_MIN_DB, LIMITER_CEILING_MAX_DB) / 20.0f);
	const float release = clampf(p->release_ms, LIMITER_RELEASE_MIN_MS, LIMITER_RELEASE_MAX_MS);
	l->release_coef = 1.0f - expf(-1000.0f / (release * l->rate));
}

RT void limiter_process_rt(struct limiter *l, float *const *x, uint32_t n)
{
	const uint32_t hist_stride = 2 * HIST, audio_stride = l->audio_mask + 1;
	const float inv_count = 1.0f / (float)(l->look + 1);
	for (uint32_t i = 0; i < n; i++) {
		/* detector: every channel's true peak around this frame */
		l->hist_pos = (l->hist_pos + 1) & (HIST - 1);
		float peak = 0.0f;
		for (uint32_t c = 0; c < l->n_ch; c++) {
			float *h = l->hist + (size_t)c * hist_stride;
			h[l->hist_pos] = h[l->hist_pos + HIST] = x[c][i];
		}
		/* switched off it needs no gain: the history is kept for switching on */
		for (uint32_t c = 0; l->on && c < l->n_ch; c++) {
			const float v = true_peak_window(&l->hist[(size_t)c * hist_stride + l->hist_pos + HIST]);
			peak = v > peak ? v : peak;
		}
		const float need = l->on && peak > l->ceiling ? l->ceiling / peak : 1.0f;

		/* the least gain needed over the window: a queue of increasing
		 * values, the oldest (smallest) first */
		const uint32_t now = l->frame++;
		while (l->min_tail != l->min_head && l->min_val[(l->min_tail - 1) & l->min_mask] >= need)
			l->min_tail--;
		l->min_val[l->min_tail & l->min_mask] = need;
		l->min_at[l->min_tail & l->min_mask] = now;
		l->min_tail++;
		if (now - l->min_at[l->min_head & l->min_mask] >= l->window)
			l->min_head++;
		const float least = l->min_val[l->min_head & l->min_mask];

		/* falls at once, rises at the release rate; then the average */
		l->smooth = least < l->smooth ? least : l->smooth + (least - l->smooth) * l->release_coef;
		l->avg_sum += (double)l->smooth - (double)l->avg[l->avg_pos];
		l->avg[l->avg_pos] = l->smooth;
		l->avg_pos = l->avg_pos == l->look ? 0 : l->avg_pos + 1;
		/* exactly 1 when every term is 1: no drift on untouched audio */
		const float gain = l->avg_sum >= (double)(l->look + 1) ? 1.0f : (float)l->avg_sum * inv_count;
		l->gain_min = fminf(l->gain_min, gain);

		/* the audio, `latency` frames late */
		const uint32_t w = l->audio_pos, r = (l->audio_pos - l->latency) & l->audio_mask;
		for (uint32_t c = 0; c < l->n_ch; c++) {
			float *a = l->audio + (size_t)c * audio_stride;
			a[w] = x[c][i];
			x[c][i] = gain * a[r];
		}
		l->audio_pos = (l->audio_pos + 1) & l->audio_mask;
	}
}

RT float limiter_take_reduction_rt(struct limiter *l)
{
	const float g = l->gain_min;
	l->gain_min = 1.0f;
	return g < 1.0f ? -20.0f * log10f(g) : 0.0f;
}
