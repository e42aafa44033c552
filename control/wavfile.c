#include "control/wavfile.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsp/peak.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "wavfile packs samples in the host's byte order, which WAV files need little-endian"
#endif

#define BUFFER_BYTES (1u << 18) /* a write per 256 KiB: few system calls, and the kernel copies from cache */
#define CHUNK_FRAMES 256        /* converted per channel at a time, then interleaved */

struct wavfile {
	SNDFILE *sf;
	char *path;
	bool float_out;
	unsigned channels;
	size_t frame_bytes;
	unsigned char *buffer; /* BUFFER_BYTES + 4: a 24-bit sample is stored as 4 bytes, the 4th overwritten next */
	size_t used;
	uint64_t written_bytes; /* handed to the file without an error */
	bool failed;            /* a write failed: nothing more goes in (a retry would misalign the frames) */
	int32_t pcm[LAYOUT_MAX_CHANNELS][CHUNK_FRAMES];
};

/* WAVE_FORMAT_EXTENSIBLE keeps channels in the order of its mask bits: a
 * layout's channels in file order and each one's libsndfile position.
 * 7.1 and 7.1.4 put the rears (BL, BR) before the sides (SL, SR), unlike the
 * console (docs/layouts.md; ../shared/reference/standards.md). Returns the
 * channel count mapped, 0 for a layout without a standard mask. */
static unsigned file_order(enum layout_id id, unsigned order[LAYOUT_MAX_CHANNELS], int map[LAYOUT_MAX_CHANNELS])
{
	static const struct {
		const char *name;
		unsigned n;
		unsigned order[12];
		int map[12];
	} known[] = {
		{"mono", 1, {0}, {SF_CHANNEL_MAP_MONO}},
		{"2.0", 2, {0, 1}, {SF_CHANNEL_MAP_LEFT, SF_CHANNEL_MAP_RIGHT}},
		{"5.1", 6, {0, 1, 2, 3, 4, 5},
		 {SF_CHANNEL_MAP_LEFT, SF_CHANNEL_MAP_RIGHT, SF_CHANNEL_MAP_CENTER, SF_CHANNEL_MAP_LFE,
		  SF_CHANNEL_MAP_REAR_LEFT, SF_CHANNEL_MAP_REAR_RIGHT}},
		{"7.1", 8, {0, 1, 2, 3, 6, 7, 4, 5},
		 {SF_CHANNEL_MAP_LEFT, SF_CHANNEL_MAP_RIGHT, SF_CHANNEL_MAP_CENTER, SF_CHANNEL_MAP_LFE,
		  SF_CHANNEL_MAP_REAR_LEFT, SF_CHANNEL_MAP_REAR_RIGHT, SF_CHANNEL_MAP_SIDE_LEFT, SF_CHANNEL_MAP_SIDE_RIGHT}},
		{"7.1.4", 12, {0, 1, 2, 3, 6, 7, 4, 5, 8, 9, 10, 11},
		 {SF_CHANNEL_MAP_LEFT, SF_CHANNEL_MAP_RIGHT, SF_CHANNEL_MAP_CENTER, SF_CHANNEL_MAP_LFE,
		  SF_CHANNEL_MAP_REAR_LEFT, SF_CHANNEL_MAP_REAR_RIGHT, SF_CHANNEL_MAP_SIDE_LEFT, SF_CHANNEL_MAP_SIDE_RIGHT,
		  SF_CHANNEL_MAP_TOP_FRONT_LEFT, SF_CHANNEL_MAP_TOP_FRONT_RIGHT, SF_CHANNEL_MAP_TOP_REAR_LEFT,
		  SF_CHANNEL_MAP_TOP_REAR_RIGHT}},
	};
	const struct layout *l = layout_get(id);
	for (size_t k = 0; k < sizeof known / sizeof known[0]; k++)
		if (strcmp(known[k].name, l->name) == 0) {
			memcpy(order, known[k].order, known[k].n * sizeof order[0]);
			memcpy(map, known[k].map, known[k].n * sizeof map[0]);
			return known[k].n;
		}
	for (unsigned c = 0; c < l->channels; c++)
		order[c] = c;
	return 0;
}

void wavfile_order(enum layout_id id, unsigned order[LAYOUT_MAX_CHANNELS])
{
	int map[LAYOUT_MAX_CHANNELS];
	file_order(id, order, map);
}

static SNDFILE *open_sndfile(const char *path, enum layout_id id, unsigned channels, unsigned rate, bool float_out,
                             char *err, size_t errlen)
{
	const struct layout *l = layout_get(id);
	SF_INFO info = {.samplerate = (int)rate, .channels = (int)channels,
	                .format = (channels > 2 ? SF_FORMAT_WAVEX : SF_FORMAT_WAV) |
	                          (float_out ? SF_FORMAT_FLOAT : SF_FORMAT_PCM_24)};
	SNDFILE *f = sf_open(path, SFM_WRITE, &info);
	if (!f) {
		snprintf(err, errlen, "cannot write %s: %s", path, sf_strerror(NULL));
		return NULL;
	}
	sf_command(f, SFC_SET_CLIPPING, NULL, SF_TRUE); /* over full scale: clip, never wrap */
	/* libsndfile fills a float file's PEAK chunk from its own writes; ours
	 * are raw, so it would say 0.0: better none than a wrong one */
	sf_command(f, SFC_SET_ADD_PEAK_CHUNK, NULL, SF_FALSE);
	unsigned order[LAYOUT_MAX_CHANNELS];
	int map[LAYOUT_MAX_CHANNELS];
	const unsigned mapped = file_order(id, order, map);
	if (channels == l->channels && mapped == l->channels && channels > 2 &&
	    !sf_command(f, SFC_SET_CHANNEL_MAP_INFO, map, (int)(sizeof map[0] * channels))) {
		snprintf(err, errlen, "%s: libsndfile refused the %s channel mask", path, l->name);
		sf_close(f);
		return NULL;
	}
	return f;
}

struct wavfile *wavfile_create(const char *path, enum layout_id id, unsigned channels, unsigned rate,
                               bool float_out, char *err, size_t errlen)
{
	struct wavfile *w = calloc(1, sizeof *w);
	if (w) {
		w->buffer = malloc(BUFFER_BYTES + 4);
		w->path = strdup(path);
	}
	if (!w || !w->buffer || !w->path) {
		snprintf(err, errlen, "out of memory for %s", path);
		wavfile_close(w, NULL, 0);
		return NULL;
	}
	w->sf = open_sndfile(path, id, channels, rate, float_out, err, errlen);
	if (!w->sf) {
		wavfile_close(w, NULL, 0);
		return NULL;
	}
	w->float_out = float_out;
	w->channels = channels;
	w->frame_bytes = (size_t)channels * (float_out ? 4 : 3);
	return w;
}

SNDFILE *wavfile_sndfile(struct wavfile *w) { return w->sf; }

/* To nearest, ties to even. GCC turns irintf into one vector conversion;
 * clang (the fuzzing build) knows lrintf. */
#ifdef __clang__
#define round_to_int(x) ((int32_t)lrintf(x))
#else
#define round_to_int(x) ((int32_t)__builtin_irintf(x))
#endif

VECTOR_CLONES
void wavfile_to_pcm24(const float *x, uint32_t n, int32_t *out)
{
	for (uint32_t i = 0; i < n; i++) {
		float s = x[i] * 8388608.0f;
		s = s > -8388608.0f ? s : -8388608.0f;
		s = s < 8388607.0f ? s : 8388607.0f;
		out[i] = x[i] == x[i] ? round_to_int(s) : 0;
	}
}

/* n frames of 24-bit samples pcm[c][f] interleaved at `at`, a 4-byte
 * little-endian store each whose 4th byte the next store overwrites (the
 * buffer has bytes to spare). Inlined with ch constant, the channel loop
 * unrolls. */
static inline __attribute__((always_inline)) void interleave24(unsigned char *at,
                                                               const int32_t (*pcm)[CHUNK_FRAMES], uint32_t n,
                                                               unsigned ch)
{
	for (uint32_t f = 0; f < n; f++)
		for (unsigned c = 0; c < ch; c++, at += 3)
			memcpy(at, &pcm[c][f], 4);
}

static void interleave_pcm24(unsigned char *at, const int32_t (*pcm)[CHUNK_FRAMES], uint32_t n, unsigned ch)
{
	switch (ch) { /* the layouts' widths */
	case 1: interleave24(at, pcm, n, 1); break;
	case 2: interleave24(at, pcm, n, 2); break;
	case 6: interleave24(at, pcm, n, 6); break;
	case 8: interleave24(at, pcm, n, 8); break;
	case 12: interleave24(at, pcm, n, 12); break;
	default: interleave24(at, pcm, n, ch); break;
	}
}

typedef unsigned char wav_bytes16 __attribute__((vector_size(16)));
typedef int32_t wav_int4 __attribute__((vector_size(16)));
typedef float wav_float4 __attribute__((vector_size(16)));

/* Four samples from 16 bytes (12 used): each one's three bytes into the top
 * of an int, then an arithmetic shift does the sign. */
VECTOR_CLONES
void wavfile_pcm24_to_float(const unsigned char *in, size_t n, float *out)
{
	const wav_bytes16 zero = {0};
	size_t i = 0;
	for (; i + 6 <= n; i += 4) { /* reads 4 bytes past the 4th sample: two more samples must follow */
		wav_bytes16 b;
		memcpy(&b, in + i * 3, sizeof b);
		const wav_bytes16 top = __builtin_shufflevector(b, zero, 16, 0, 1, 2, 16, 3, 4, 5, 16, 6, 7, 8, 16, 9, 10, 11);
		wav_int4 v;
		memcpy(&v, &top, sizeof v);
		const wav_float4 x = __builtin_convertvector(v >> 8, wav_float4) * (1.0f / 8388608.0f);
		memcpy(out + i, &x, sizeof x);
	}
	for (; i < n; i++) {
		const int32_t v = (int32_t)((uint32_t)in[3 * i] << 8 | (uint32_t)in[3 * i + 1] << 16 | (uint32_t)in[3 * i + 2] << 24);
		out[i] = (float)(v >> 8) * (1.0f / 8388608.0f);
	}
}

static int put(struct wavfile *w, char *err, size_t errlen)
{
	if (w->failed) {
		if (err)
			snprintf(err, errlen, "%s: an earlier write failed", w->path);
		return -1;
	}
	if (w->used && sf_write_raw(w->sf, w->buffer, (sf_count_t)w->used) != (sf_count_t)w->used) {
		w->failed = true;
		if (err)
			snprintf(err, errlen, "cannot write %s: %s", w->path, sf_strerror(w->sf));
		return -1;
	}
	w->written_bytes += w->used;
	w->used = 0;
	return 0;
}

uint64_t wavfile_frames_written(const struct wavfile *w) { return w->written_bytes / w->frame_bytes; }

int wavfile_write(struct wavfile *w, const float *const channel[], uint32_t frames, float *peak, char *err,
                  size_t errlen)
{
	float most = peak ? *peak : 0.0f;
	for (uint32_t done = 0; done < frames;) {
		if (BUFFER_BYTES - w->used < w->frame_bytes * CHUNK_FRAMES && put(w, err, errlen) < 0)
			return -1;
		const uint32_t n = frames - done < CHUNK_FRAMES ? frames - done : CHUNK_FRAMES;
		unsigned char *at = w->buffer + w->used;
		if (w->float_out) {
			for (unsigned c = 0; c < w->channels; c++)
				most = peak_of_rt(channel[c] + done, n, most);
			float *out = (float *)(void *)at;
			for (uint32_t f = 0; f < n; f++)
				for (unsigned c = 0; c < w->channels; c++)
					*out++ = channel[c][done + f];
		} else {
			for (unsigned c = 0; c < w->channels; c++) {
				most = peak_of_rt(channel[c] + done, n, most);
				wavfile_to_pcm24(channel[c] + done, n, w->pcm[c]);
			}
			interleave_pcm24(at, (const int32_t (*)[CHUNK_FRAMES])w->pcm, n, w->channels);
		}
		w->used += w->frame_bytes * n;
		done += n;
	}
	if (peak)
		*peak = most;
	return 0;
}

int wavfile_sync(struct wavfile *w, char *err, size_t errlen)
{
	if (put(w, err, errlen) < 0)
		return -1;
	sf_command(w->sf, SFC_UPDATE_HEADER_NOW, NULL, 0);
	return 0;
}

int wavfile_close(struct wavfile *w, char *err, size_t errlen)
{
	if (!w)
		return 0;
	int rc = 0;
	if (w->sf) {
		rc = put(w, err, errlen);
		if (sf_close(w->sf) != 0 && rc == 0) {
			if (err)
				snprintf(err, errlen, "cannot finish %s", w->path);
			rc = -1;
		}
	}
	free(w->buffer);
	free(w->path);
	free(w);
	return rc;
}
