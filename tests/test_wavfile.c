/* control/wavfile: the 24-bit conversion against its definition, and files
 * read back through libsndfile: sample-exact, channel mask, header after a
 * sync, write errors. */
#include <math.h>
#include <signal.h>
#include <sys/resource.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control/wavfile.h"
#include "tests/check_main.h"

START_TEST(pcm24_rounds_to_nearest_and_clips)
{
	const float step = 1.0f / 8388608.0f;
	const float x[] = {0.0f,          0.5f,          -0.5f,         1.0f,         -1.0f,         2.0f,
	                   -3.0f,         0.4f * step,   0.6f * step,   1.5f * step,  2.5f * step,   -1.5f * step,
	                   1e-40f,        NAN,           INFINITY,      -INFINITY,    1.0f - step,   0.999999f};
	const int32_t want[] = {0,        4194304,  -4194304, 8388607, -8388608, 8388607,
	                        -8388608, 0,        1,        2,       2,        -2, /* ties to even */
	                        0,        0,        8388607,  -8388608, 8388607, (int32_t)lrint(0.999999 * 8388608.0)};
	const uint32_t n = sizeof x / sizeof x[0];
	int32_t got[sizeof x / sizeof x[0]];
	wavfile_to_pcm24(x, n, got);
	for (uint32_t i = 0; i < n; i++)
		ck_assert_msg(got[i] == want[i], "x[%u] = %.9g: %d, not %d", i, (double)x[i], got[i], want[i]);
	/* every 24-bit value survives the round trip */
	static float all[1 << 16];
	static int32_t back[1 << 16];
	for (int32_t base = -8388608; base < 8388608; base += 1 << 16) {
		for (int32_t k = 0; k < 1 << 16; k++)
			all[k] = (float)(base + k) * step;
		wavfile_to_pcm24(all, 1 << 16, back);
		for (int32_t k = 0; k < 1 << 16; k++)
			if (back[k] != base + k)
				ck_abort_msg("%d came back as %d", base + k, back[k]);
	}
}
END_TEST

/* Reading 24-bit: every value back to v / 2^23 exactly, in blocks of odd
 * lengths (the vector loop and the tail), as libsndfile reads it. */
START_TEST(pcm24_reads_every_value_back)
{
	enum { BLOCK = 4099 };
	static unsigned char bytes[BLOCK * 3];
	static float back[BLOCK];
	for (int64_t first = -8388608; first < 8388608; first += BLOCK) {
		const uint32_t n = first + BLOCK <= 8388608 ? BLOCK : (uint32_t)(8388608 - first);
		for (uint32_t k = 0; k < n; k++) {
			const uint32_t v = (uint32_t)(int32_t)(first + k);
			bytes[3 * k] = (unsigned char)v, bytes[3 * k + 1] = (unsigned char)(v >> 8),
			bytes[3 * k + 2] = (unsigned char)(v >> 16);
		}
		wavfile_pcm24_to_float(bytes, n, back);
		for (uint32_t k = 0; k < n; k++)
			if (back[k] != (float)(first + k) / 8388608.0f)
				ck_abort_msg("%lld read as %.9g", (long long)(first + k), back[k]);
	}
}
END_TEST

static char path[256];

static enum layout_id layout_find(const char *name)
{
	enum layout_id id;
	ck_assert_int_eq(layout_from_name(name, &id), 0);
	return id;
}

static void make_path(const char *name)
{
	snprintf(path, sizeof path, "/tmp/dubstage-test-wavfile-%d-%s.wav", (int)getpid(), name);
}

/* A pseudo-random signal, a little over full scale now and then. */
static float sample(uint32_t f, unsigned c)
{
	uint32_t h = (f * 2654435761u) ^ (c * 40503u + 0x9e3779b9u);
	h ^= h >> 15, h *= 2246822519u, h ^= h >> 13;
	return ((float)(h & 0xffffff) / 8388608.0f - 1.0f) * 1.1f;
}

/* Writes `frames` of a 7.1.4 file in pieces of odd sizes (across the
 * writer's buffer), reads it back and compares every sample. */
static void round_trip(bool float_out)
{
	enum { CH = 12, FRAMES = 100003 }; /* 3.6 MB of 24-bit audio: several buffers */
	static float planar[CH][FRAMES];
	float want_peak = 0.0f;
	for (unsigned c = 0; c < CH; c++)
		for (uint32_t f = 0; f < FRAMES; f++) {
			planar[c][f] = sample(f, c);
			want_peak = fmaxf(want_peak, fabsf(planar[c][f]));
		}
	make_path(float_out ? "float" : "pcm24");
	char err[512];
	struct wavfile *w = wavfile_create(path, layout_find("7.1.4"), CH, 48000, float_out, err, sizeof err);
	ck_assert_msg(w != NULL, "%s", err);
	float peak = 0.0f;
	const uint32_t pieces[] = {1, 255, 256, 257, 4096, 333, 7777};
	uint32_t done = 0;
	for (unsigned k = 0; done < FRAMES; k++) {
		uint32_t n = pieces[k % 7];
		n = n > FRAMES - done ? FRAMES - done : n;
		const float *ch[CH];
		for (unsigned c = 0; c < CH; c++)
			ch[c] = planar[c] + done;
		ck_assert_int_eq(wavfile_write(w, ch, n, &peak, err, sizeof err), 0);
		done += n;
	}
	ck_assert_int_eq(wavfile_close(w, err, sizeof err), 0);
	ck_assert_float_eq(peak, want_peak);

	SF_INFO info = {0};
	SNDFILE *r = sf_open(path, SFM_READ, &info);
	ck_assert_msg(r != NULL, "%s", sf_strerror(NULL));
	ck_assert_int_eq(info.channels, CH);
	ck_assert_int_eq(info.frames, FRAMES);
	ck_assert_int_eq(info.format, SF_FORMAT_WAVEX | (float_out ? SF_FORMAT_FLOAT : SF_FORMAT_PCM_24));
	int map[CH];
	ck_assert(sf_command(r, SFC_GET_CHANNEL_MAP_INFO, map, sizeof map));
	ck_assert_int_eq(map[4], SF_CHANNEL_MAP_REAR_LEFT); /* mask order: rears before sides */
	ck_assert_int_eq(map[6], SF_CHANNEL_MAP_SIDE_LEFT);
	ck_assert_int_eq(map[11], SF_CHANNEL_MAP_TOP_REAR_RIGHT);
	double file_peaks[CH];
	if (sf_command(r, SFC_GET_MAX_ALL_CHANNELS, file_peaks, sizeof file_peaks) == SF_TRUE) /* a PEAK chunk */
		for (unsigned c = 0; c < CH; c++) {
			float most = 0.0f;
			for (uint32_t f = 0; f < FRAMES; f++)
				most = fmaxf(most, fabsf(planar[c][f]));
			ck_assert_msg(fabs(file_peaks[c] - most) < 1e-6, "PEAK chunk: channel %u %g, not %g", c, file_peaks[c],
			              (double)most);
		}
	if (float_out) {
		static float back[FRAMES * CH];
		ck_assert_int_eq(sf_readf_float(r, back, FRAMES), FRAMES);
		for (uint32_t f = 0; f < FRAMES; f++)
			for (unsigned c = 0; c < CH; c++)
				if (memcmp(&back[f * CH + c], &planar[c][f], sizeof(float)) != 0)
					ck_abort_msg("frame %u channel %u: %g, not %g", f, c, back[f * CH + c], planar[c][f]);
	} else {
		static int back[FRAMES * CH];
		static int32_t want[FRAMES];
		static float as_float[FRAMES * CH], ours[FRAMES * CH];
		ck_assert_int_eq(sf_readf_float(r, as_float, FRAMES), FRAMES); /* libsndfile's reading ... */
		sf_seek(r, 0, SEEK_SET);
		static unsigned char raw[FRAMES * CH * 3];
		ck_assert_int_eq(sf_read_raw(r, raw, sizeof raw), (sf_count_t)sizeof raw);
		wavfile_pcm24_to_float(raw, (size_t)FRAMES * CH, ours); /* ... and ours, bit for bit */
		ck_assert_mem_eq(as_float, ours, sizeof ours);
		sf_seek(r, 0, SEEK_SET);
		ck_assert_int_eq(sf_readf_int(r, back, FRAMES), FRAMES);
		for (unsigned c = 0; c < CH; c++) {
			wavfile_to_pcm24(planar[c], FRAMES, want);
			for (uint32_t f = 0; f < FRAMES; f++)
				if (back[f * CH + c] != want[f] * 256) /* libsndfile reads 24-bit into the top of an int */
					ck_abort_msg("frame %u channel %u: %d, not %d", f, c, back[f * CH + c] / 256, want[f]);
		}
	}
	sf_close(r);
	unlink(path);
}

START_TEST(pcm24_file_reads_back_sample_exact) { round_trip(false); }
END_TEST

START_TEST(float_file_reads_back_bit_exact) { round_trip(true); }
END_TEST

START_TEST(a_sync_makes_the_file_whole_so_far)
{
	make_path("sync");
	char err[512];
	struct wavfile *w = wavfile_create(path, layout_find("5.1"), 6, 48000, false, err, sizeof err);
	ck_assert_msg(w != NULL, "%s", err);
	static float zeros[48000];
	const float *ch[6] = {zeros, zeros, zeros, zeros, zeros, zeros};
	ck_assert_int_eq(wavfile_write(w, ch, 48000, NULL, err, sizeof err), 0);
	ck_assert_int_eq(wavfile_sync(w, err, sizeof err), 0);
	ck_assert_int_eq(wavfile_write(w, ch, 1000, NULL, err, sizeof err), 0); /* buffered, not yet in the header */
	SF_INFO info = {0};
	SNDFILE *r = sf_open(path, SFM_READ, &info); /* what a crash now would leave */
	ck_assert_msg(r != NULL, "%s", sf_strerror(NULL));
	ck_assert_int_eq(info.frames, 48000);
	sf_close(r);
	ck_assert_int_eq(wavfile_close(w, err, sizeof err), 0);
	r = sf_open(path, SFM_READ, &info);
	ck_assert_int_eq(info.frames, 49000);
	sf_close(r);
	unlink(path);
}
END_TEST

START_TEST(write_errors_are_reported)
{
	char err[512] = "";
	ck_assert(wavfile_create("/nonexistent-dir/x.wav", layout_find("2.0"), 2, 48000, false, err, sizeof err) == NULL);
	ck_assert_msg(strstr(err, "cannot write /nonexistent-dir/x.wav"), "%s", err);
	/* a full disk: the file may not grow past 1.5 MiB (RLIMIT_FSIZE: writes
	 * beyond fail with EFBIG, SIGXFSZ ignored), restored afterwards */
	make_path("full");
	struct rlimit before;
	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &before), 0);
	void (*old)(int) = signal(SIGXFSZ, SIG_IGN);
	struct rlimit small = {3u << 19, before.rlim_max};
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &small), 0);
	struct wavfile *w = wavfile_create(path, layout_find("2.0"), 2, 48000, false, err, sizeof err);
	ck_assert_msg(w != NULL, "%s", err);
	static float x[48000];
	const float *ch[2] = {x, x};
	int rc = 0, writes = 0;
	for (; writes < 20 && rc == 0; writes++) /* 20 s: 5.5 MiB */
		rc = wavfile_write(w, ch, 48000, NULL, err, sizeof err);
	const int closed = wavfile_close(w, NULL, 0);
	setrlimit(RLIMIT_FSIZE, &before);
	signal(SIGXFSZ, old);
	unlink(path);
	ck_assert_int_eq(rc, -1);
	ck_assert_int_lt(writes, 20);
	ck_assert_int_eq(closed, -1); /* what was buffered could not go either */
	ck_assert_msg(strstr(err, "cannot write") && strstr(err, path), "%s", err);
	fprintf(stderr, "wavfile: a full disk after %d s of stereo reads \"%s\"\n", writes, err);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("wavfile");
	TCase *t = tcase_create("core");
	tcase_set_timeout(t, 30);
	tcase_add_test(t, pcm24_rounds_to_nearest_and_clips);
	tcase_add_test(t, pcm24_reads_every_value_back);
	tcase_add_test(t, pcm24_file_reads_back_sample_exact);
	tcase_add_test(t, float_file_reads_back_bit_exact);
	tcase_add_test(t, a_sync_makes_the_file_whole_so_far);
	tcase_add_test(t, write_errors_are_reported);
	suite_add_tcase(s, t);
	return run_suite(s);
}
