#include "dsp/limiter.h"

#include <math.h>
#include <string.h>

#include "dsp/delay.h"
#include "dsp/true_peak.h"

#define REACH_BACK TRUE_PEAK_REACH
#define BLOCK 256 /* frames per step: the gains of a block, then the audio through the delay */
#define HIST 16 /* history ring per channel, doubled so a window is contiguous */
_Static_assert(HIST > TRUE_PEAK_HISTORY, "the detector's window fits the history");

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
	float *audio;         /* [n_ch][audio_size]: the delay lines' rings */
	uint32_t audio_size;
	struct delay_line *delay; /* [n_ch]: the audio, `latency` frames late */
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
	l->audio_size = delay_line_size(l->latency, BLOCK);
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
	TAKE(audio, (size_t)l->n_ch * l->audio_size);
	TAKE(delay, (size_t)l->n_ch);
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
	for (uint32_t c = 0; c < l->n_ch; c++)
		delay_line_init(&l->delay[c], l->audio + (size_t)c * l->audio_size, l->audio_size, BLOCK, l->latency);
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

/* Switched off with every gain term back at 1 (the window's minimum, the
 * release and the average): a frame would only pass through the history and
 * the delay at gain 1. After a switch-off this waits for the look-ahead's
 * reduction to play out. */
RT static bool resting(const struct limiter *l)
{
	return !l->on && l->smooth == 1.0f && l->avg_sum >= (double)(l->look + 1) && l->min_head != l->min_tail &&
	       l->min_val[l->min_head & l->min_mask] == 1.0f;
}

/* The detector's history takes frame i of x. */
RT static void remember(struct limiter *l, float *const *x, uint32_t i)
{
	l->hist_pos = (l->hist_pos + 1) & (HIST - 1);
	for (uint32_t c = 0; c < l->n_ch; c++) {
		float *h = l->hist + (size_t)c * 2 * HIST;
		h[l->hist_pos] = h[l->hist_pos + HIST] = x[c][i];
	}
}

/* The gain of each frame of x[c][0 .. n) (n <= BLOCK) into gains. */
RT static void find_gains(struct limiter *l, float *const *x, uint32_t n, float *gains)
{
	const float inv_count = 1.0f / (float)(l->look + 1);
	/* detector: every channel's true peak around each frame, the block's
	 * frames 8 at a time (switched off it needs no gain; the history is
	 * kept for switching on) */
	float detected[BLOCK];
	memset(detected, 0, n * sizeof *detected);
	for (uint32_t c = 0; l->on && c < l->n_ch; c++) {
		float w[TRUE_PEAK_HISTORY + BLOCK];
		const float *newest = &l->hist[(size_t)c * 2 * HIST + l->hist_pos + HIST];
		memcpy(w, newest - (TRUE_PEAK_HISTORY - 1), TRUE_PEAK_HISTORY * sizeof *w);
		memcpy(w + TRUE_PEAK_HISTORY, x[c], n * sizeof *w);
		true_peak_frames_rt(w, n, detected);
	}
	for (uint32_t i = 0; i < n; i++) {
		remember(l, x, i);
		const float peak = detected[i];
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
		gains[i] = l->avg_sum >= (double)(l->look + 1) ? 1.0f : (float)l->avg_sum * inv_count;
		l->gain_min = fminf(l->gain_min, gains[i]);
	}
}

/* What find_gains would do at rest, without the per-frame work: the
 * history, the queue (one value, 1) and the average's position move on. */
RT static void pass_gains(struct limiter *l, float *const *x, uint32_t n)
{
	const uint32_t skipped = n > HIST ? n - HIST : 0; /* older than the history reaches */
	l->hist_pos = (l->hist_pos + skipped) & (HIST - 1);
	for (uint32_t i = skipped; i < n; i++)
		remember(l, x, i);
	l->frame += n;
	l->min_head = l->min_tail;
	l->min_val[l->min_tail & l->min_mask] = 1.0f;
	l->min_at[l->min_tail & l->min_mask] = l->frame - 1;
	l->min_tail++;
	l->avg_pos = (uint32_t)((l->avg_pos + n) % (l->look + 1));
}

RT void limiter_process_rt(struct limiter *l, float *const *x, uint32_t n)
{
	float gains[BLOCK];
	for (uint32_t off = 0; off < n; off += BLOCK) {
		const uint32_t len = n - off < BLOCK ? n - off : BLOCK;
		float *at[LIMITER_MAX_CHANNELS];
		for (uint32_t c = 0; c < l->n_ch; c++)
			at[c] = x[c] + off;
		const bool unity = resting(l);
		if (unity)
			pass_gains(l, at, len);
		else
			find_gains(l, at, len, gains);
		/* the audio, `latency` frames late, times the gain of the frame leaving */
		for (uint32_t c = 0; c < l->n_ch; c++) {
			delay_line_process_rt(&l->delay[c], at[c], at[c], len, 0);
			for (uint32_t i = 0; !unity && i < len; i++)
				at[c][i] *= gains[i];
		}
	}
}

RT float limiter_take_reduction_rt(struct limiter *l)
{
	const float g = l->gain_min;
	l->gain_min = 1.0f;
	return g < 1.0f ? -20.0f * log10f(g) : 0.0f;
}
