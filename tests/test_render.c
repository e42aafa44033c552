/* The offline render: the files hold what the graph computes (sample-exact
 * in float, within one 24-bit step in PCM), channels in the WAVE_FORMAT_-
 * EXTENSIBLE order with the right mask (7.1 rears before sides), split mono
 * files, a limited master aligned with its stems, report.json, and every
 * input error found before any output is written. */
#include <dirent.h>
#include <jansson.h>
#include <fcntl.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control/config.h"
#include "control/render.h"
#include "tests/check_main.h"

#define SR 48000
#define FRAMES 48000

static const char *const text =
	"{\"buses\": [{\"name\": \"ST\", \"format\": \"2.0\", \"role\": \"stem\"},"
	" {\"name\": \"SEVEN\", \"format\": \"7.1\", \"role\": \"stem\"},"
	" {\"name\": \"ATMOS\", \"format\": \"7.1.4\", \"role\": \"stem\"},"
	" {\"name\": \"PM\", \"format\": \"2.0\", \"role\": \"master\", \"sources\": [\"ST\"],"
	"  \"limiter\": {\"on\": true, \"ceiling\": -1}, \"dialogue\": \"ST\"}],"
	" \"strips\": [{\"name\": \"S\", \"input\": \"stereo\", \"bus\": \"ST\", \"fader\": -6},"
	" {\"name\": \"SIDE\", \"bus\": [\"SEVEN\", \"ATMOS\"], \"pan\": 90}]}";

static char dir[64], out[96];

static void write_wav(const char *path, int channels, int rate, double freq)
{
	SF_INFO info = {.samplerate = rate, .channels = channels, .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT};
	SNDFILE *f = sf_open(path, SFM_WRITE, &info);
	ck_assert_msg(f != NULL, "%s", sf_strerror(NULL));
	float *x = malloc(sizeof(float) * FRAMES * (size_t)channels);
	for (int i = 0; i < FRAMES; i++)
		for (int c = 0; c < channels; c++)
			x[i * channels + c] = (float)(0.25 * sin(2 * M_PI * freq * (c + 1) * i / rate));
	ck_assert_int_eq(sf_writef_float(f, x, FRAMES), FRAMES);
	sf_close(f);
	free(x);
}

static void setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/dubstage-render-XXXXXX");
	ck_assert(mkdtemp(dir) != NULL);
	snprintf(out, sizeof out, "%s/out", dir);
	char p[128];
	snprintf(p, sizeof p, "%s/s.wav", dir);
	write_wav(p, 2, SR, 440);
	snprintf(p, sizeof p, "%s/side.wav", dir);
	write_wav(p, 1, SR, 1000);
	snprintf(p, sizeof p, "%s/mono44.wav", dir);
	write_wav(p, 1, 44100, 1000);
}

static void remove_tree(const char *path)
{
	DIR *d = opendir(path);
	for (struct dirent *e; d && (e = readdir(d));) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char p[512];
		snprintf(p, sizeof p, "%s/%s", path, e->d_name);
		if (e->d_type == DT_DIR)
			remove_tree(p);
		else
			unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(path);
}

static void teardown(void) { remove_tree(dir); }

static int render(struct render_options *o, char *err, size_t errlen)
{
	char e2[512];
	struct console *c = config_load_text(text, "t", e2, sizeof e2);
	ck_assert_msg(c != NULL, "%s", e2);
	o->out_dir = out;
	struct render_result r;
	const int rc = render_run(c, o, &r, err, errlen);
	if (rc == 0)
		fprintf(stderr, "render: %.1f s of audio, %.0fx real time\n", (double)r.frames / r.rate, r.realtime);
	console_free(c);
	return rc;
}

static float *read_all(const char *name, SF_INFO *info)
{
	char p[256];
	snprintf(p, sizeof p, "%s/%s", out, name);
	memset(info, 0, sizeof *info);
	SNDFILE *f = sf_open(p, SFM_READ, info);
	ck_assert_msg(f != NULL, "%s: %s", p, sf_strerror(NULL));
	float *x = malloc(sizeof(float) * (size_t)info->frames * (size_t)info->channels);
	ck_assert_int_eq(sf_readf_float(f, x, info->frames), info->frames);
	sf_close(f);
	return x;
}

static void inputs(struct render_options *o)
{
	static char s[128], side[128];
	snprintf(s, sizeof s, "%s/s.wav", dir);
	snprintf(side, sizeof side, "%s/side.wav", dir);
	o->inputs[0] = (struct render_input){"S", s};
	o->inputs[1] = (struct render_input){"SIDE", side};
	o->n_inputs = 2;
}

/* With progress on (a terminal), stderr gets a bar redrawn in place
 * (carriage returns) up to 100 %, with the speed, and a final newline. */
START_TEST(progress_is_shown_in_place)
{
	static struct render_options o;
	memset(&o, 0, sizeof o);
	inputs(&o);
	o.progress = true;
	char path[160];
	snprintf(path, sizeof path, "%s/progress.txt", dir);
	fflush(stderr);
	const int saved = dup(STDERR_FILENO);
	const int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert(saved >= 0 && fd >= 0);
	dup2(fd, STDERR_FILENO);
	char err[512];
	const int rc = render(&o, err, sizeof err);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(fd);
	ck_assert_msg(rc == 0, "%s", err);
	FILE *f = fopen(path, "r");
	ck_assert(f != NULL);
	char text[8192] = {0};
	const size_t len = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	unlink(path);
	ck_assert_uint_gt(len, 0);
	ck_assert_msg(strstr(text, "\rrendering   0%") || strstr(text, "\rrendering   1%"), "%s", text);
	ck_assert_msg(strstr(text, "\rrendering 100% (") != NULL, "%s", text);
	ck_assert_msg(strstr(text, "x real time)\n") != NULL, "%s", text);
	int redraws = 0;
	for (const char *c = text; *c; c++)
		redraws += *c == '\r';
	ck_assert_int_ge(redraws, 10);
}
END_TEST

START_TEST(files_hold_the_mix_in_the_standard_order)
{
	static struct render_options o;
	memset(&o, 0, sizeof o);
	inputs(&o);
	o.float_out = true;
	char err[512];
	ck_assert_msg(render(&o, err, sizeof err) == 0, "%s", err);
	SF_INFO info;
	/* the stereo stem: the input at -6 dB, sample for sample (float) */
	float *st = read_all("ST.wav", &info);
	ck_assert_int_eq(info.channels, 2);
	ck_assert_int_eq(info.frames, FRAMES);
	ck_assert_int_eq(info.samplerate, SR);
	const float g = powf(10.0f, -6.0f / 20.0f);
	/* from the first frame: a render starts at the mix, with no fade-in */
	for (int i = 0; i < FRAMES; i++)
		ck_assert_msg(fabsf(st[2 * i] - g * (float)(0.25 * sin(2 * M_PI * 440 * i / SR))) < 1e-6f, "frame %d", i);
	/* the limited master: on time with the stem (its look-ahead dropped),
	 * under the ceiling here, so the same samples */
	float *pm = read_all("PM.wav", &info);
	ck_assert_int_eq(info.frames, FRAMES);
	for (int i = 480; i < FRAMES; i++)
		ck_assert_msg(fabsf(pm[2 * i] - st[2 * i]) < 1e-6f, "PM frame %d: %g vs %g", i, pm[2 * i], st[2 * i]);
	/* 7.1: the strip at +90 degrees is Lss; the file puts rears (BL BR)
	 * before sides (SL SR): Lss is file channel 6, and the mask says SL */
	float *seven = read_all("SEVEN.wav", &info);
	ck_assert_int_eq(info.channels, 8);
	double e[8] = {0};
	for (int i = 0; i < FRAMES; i++)
		for (int c = 0; c < 8; c++)
			e[c] += (double)seven[8 * i + c] * seven[8 * i + c];
	for (int c = 0; c < 8; c++)
		ck_assert_msg(c == 6 ? e[c] > 100.0 : e[c] < 1e-9, "channel %d energy %g", c, e[c]);
	char p[256];
	snprintf(p, sizeof p, "%s/SEVEN.wav", out);
	SNDFILE *f = sf_open(p, SFM_READ, &info);
	int map[8];
	ck_assert(sf_command(f, SFC_GET_CHANNEL_MAP_INFO, map, sizeof map));
	ck_assert_int_eq(map[4], SF_CHANNEL_MAP_REAR_LEFT);
	ck_assert_int_eq(map[6], SF_CHANNEL_MAP_SIDE_LEFT);
	sf_close(f);
	/* report.json */
	snprintf(p, sizeof p, "%s/report.json", out);
	json_error_t je;
	json_t *rep = json_load_file(p, 0, &je);
	ck_assert_msg(rep != NULL, "%s", je.text);
	json_t *stj = json_object_get(json_object_get(rep, "buses"), "ST");
	/* 440 Hz sine at -18 dBFS on L, at twice the frequency on R: about -18 LUFS */
	ck_assert(json_is_number(json_object_get(stj, "integrated_lufs")));
	ck_assert_double_eq_tol(json_real_value(json_object_get(rep, "duration_s")), 1.0, 1e-9);
	ck_assert_double_eq_tol(json_number_value(json_object_get(stj, "sample_peak_dbfs")), 20 * log10(0.25 * g), 0.01);
	ck_assert(json_object_get(json_object_get(rep, "buses"), "ATMOS") != NULL);
	/* PM's dialogue stem ST speaks all along: the dialogue-gated loudness is
	 * the integrated one; a bus without a "dialogue" has no such figure */
	json_t *pmj = json_object_get(json_object_get(rep, "buses"), "PM");
	ck_assert_double_eq_tol(json_number_value(json_object_get(pmj, "dialogue_gated_lufs")),
	                        json_number_value(json_object_get(pmj, "integrated_lufs")), 0.05);
	ck_assert(json_object_get(stj, "dialogue_gated_lufs") == NULL);
	json_decref(rep);
	free(st);
	free(pm);
	free(seven);
}
END_TEST

START_TEST(pcm_24_and_split_files)
{
	static struct render_options o;
	memset(&o, 0, sizeof o);
	inputs(&o);
	o.split = true;
	char err[512];
	ck_assert_msg(render(&o, err, sizeof err) == 0, "%s", err);
	SF_INFO info;
	float *st = read_all("ST.wav", &info);
	ck_assert_int_eq(info.format & SF_FORMAT_SUBMASK, SF_FORMAT_PCM_24);
	const float g = powf(10.0f, -6.0f / 20.0f);
	for (int i = 480; i < FRAMES; i++) /* within one 24-bit step */
		ck_assert_msg(fabsf(st[2 * i] - g * (float)(0.25 * sin(2 * M_PI * 440 * i / SR))) <= 1.5f / 8388608.0f,
		              "frame %d", i);
	/* 7.1.4 split into 12 mono files; the strip is in Lss */
	float *lss = read_all("ATMOS_Lss.wav", &info);
	ck_assert_int_eq(info.channels, 1);
	float *ltf = read_all("ATMOS_Ltf.wav", &info);
	double el = 0, et = 0;
	for (int i = 0; i < FRAMES; i++) {
		el += (double)lss[i] * lss[i];
		et += (double)ltf[i] * ltf[i];
	}
	ck_assert(el > 100.0 && et < 1e-9);
	/* the 7.1 bus is not wider than 8: one file */
	char p[256];
	snprintf(p, sizeof p, "%s/SEVEN.wav", out);
	ck_assert_int_eq(access(p, F_OK), 0);
	free(st);
	free(lss);
	free(ltf);
}
END_TEST

START_TEST(input_errors_come_before_any_output)
{
	static struct render_options o;
	char err[512], bad[128];
	const struct {
		const char *strip, *file, *says;
	} cases[] = {
		{"NOPE", "s.wav", "no strip named NOPE"},
		{"S", "missing.wav", "cannot read"},
		{"S", "side.wav", "has 1 channels, strip S takes 2"},
		{"SIDE", "mono44.wav", "44100 Hz"},
	};
	for (int k = 0; k < 4; k++) {
		memset(&o, 0, sizeof o);
		inputs(&o);
		snprintf(bad, sizeof bad, "%s/%s", dir, cases[k].file);
		o.inputs[k == 3 ? 1 : 0] = (struct render_input){cases[k].strip, bad};
		if (k == 3) /* a different rate from the other file */
			o.inputs[1].strip = "SIDE";
		ck_assert_int_eq(render(&o, err, sizeof err), -1);
		ck_assert_msg(strstr(err, cases[k].says) != NULL, "\"%s\" lacks \"%s\"", err, cases[k].says);
		ck_assert_msg(access(out, F_OK) != 0, "case %d: the output folder was made", k);
	}
	memset(&o, 0, sizeof o);
	inputs(&o);
	o.inputs[1].strip = "S";
	ck_assert_int_eq(render(&o, err, sizeof err), -1);
	ck_assert_msg(strstr(err, "two files") != NULL, "%s", err);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("render");
	TCase *t = tcase_create("core");
	tcase_set_timeout(t, 60);
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, files_hold_the_mix_in_the_standard_order);
	tcase_add_test(t, progress_is_shown_in_place);
	tcase_add_test(t, pcm_24_and_split_files);
	tcase_add_test(t, input_errors_come_before_any_output);
	suite_add_tcase(s, t);
	return run_suite(s);
}
