/* Printing while mixing: 20 s printed equal the bus outputs sample for
 * sample (within one 24-bit step), stamped with the first frame's JACK time;
 * a print killed (SIGKILL) after 20 s is readable with at least 19 s; every
 * misuse is refused with a reason. The RT side runs through the engine as in
 * the JACK callback. */
#include <math.h>
#include <signal.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "control/config.h"
#include "control/print.h"
#include "tests/check_main.h"

#define SR 48000
#define PERIOD 64
#define SECONDS 20

static const char *const text =
	"{\"buses\": [{\"name\": \"ST\", \"format\": \"2.0\", \"role\": \"stem\"},"
	" {\"name\": \"FIVE\", \"format\": \"5.1\", \"role\": \"stem\"},"
	" {\"name\": \"REV\", \"format\": \"2.0\", \"role\": \"aux\", \"to\": \"ST\"}],"
	" \"strips\": [{\"name\": \"A\", \"bus\": [\"ST\", \"FIVE\"], \"pan\": 30}]}";

struct fixture {
	struct console *c;
	struct engine *e;
	struct print_recorder *p;
	char dir[64];
	float in[PERIOD], rev[2][PERIOD], out[16][PERIOD];
};

static void open_fixture(struct fixture *f)
{
	char err[512];
	memset(f, 0, sizeof *f);
	f->c = config_load_text(text, "t", err, sizeof err);
	ck_assert_msg(f->c != NULL, "%s", err);
	f->e = engine_create(SR);
	struct graph *g = graph_build(f->c, NULL, SR, err, sizeof err);
	ck_assert(g != NULL);
	engine_publish(f->e, g);
	f->p = print_create(f->e, SR);
	snprintf(f->dir, sizeof f->dir, "/tmp/dubstage-print-XXXXXX");
	ck_assert(mkdtemp(f->dir) != NULL);
}

static void close_fixture(struct fixture *f)
{
	print_destroy(f->p);
	engine_destroy(f->e);
	console_free(f->c);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir); /* our own temporary folder */
	ck_assert_int_eq(system(cmd), 0);
}

/* Runs `seconds` of a 1 kHz sine at -10 dBFS through strip A, as JACK would
 * (frame times from 123456); keeps ST's left channel in kept[] when given. */
static void play(struct fixture *f, int seconds, float *kept)
{
	const int periods = seconds * SR / PERIOD;
	for (int k = 0; k < periods; k++) {
		for (int i = 0; i < PERIOD; i++)
			f->in[i] = (float)(0.316 * sin(2 * M_PI * 1000.0 * (double)((k * PERIOD + i) % 48) / SR));
		struct graph *g = engine_begin_rt(f->e);
		struct graph_ports *ports = graph_ports(g);
		ports->in[0] = f->in;
		ports->in[1] = f->rev[0];
		ports->in[2] = f->rev[1];
		for (uint32_t o = 0; o < ports->n_out; o++)
			ports->out[o] = f->out[o];
		engine_set_frame_time_rt(f->e, 123456 + (uint64_t)k * PERIOD);
		engine_end_rt(f->e, g, PERIOD);
		if (kept)
			memcpy(kept + (size_t)k * PERIOD, f->out[0], sizeof f->out[0]);
		if (k % 1000 == 999) /* faster than real time: let the disk keep up */
			print_drain(f->p);
	}
	print_drain(f->p);
}

START_TEST(a_print_equals_the_outputs)
{
	struct fixture f;
	open_fixture(&f);
	char err[512];
	ck_assert_msg(print_start(f.p, f.c, f.dir, "reel3 take 1", NULL, 0, err, sizeof err) == 0, "%s", err);
	float *kept = malloc(sizeof(float) * SECONDS * SR);
	play(&f, SECONDS, kept);
	struct print_summary s;
	ck_assert_msg(print_stop(f.p, &s, err, sizeof err) == 0, "%s", err);
	ck_assert_uint_eq(s.frames, SECONDS * SR);
	ck_assert_uint_eq(s.lost_frames, 0);
	ck_assert_uint_eq(s.files, 2); /* ST and FIVE; the aux is not printed */
	char path[256];
	snprintf(path, sizeof path, "%s/reel3 take 1/ST.wav", f.dir);
	SF_INFO info = {0};
	SNDFILE *sf = sf_open(path, SFM_READ, &info);
	ck_assert_msg(sf != NULL, "%s", sf_strerror(NULL));
	ck_assert_int_eq(info.frames, SECONDS * SR);
	ck_assert_int_eq(info.channels, 2);
	SF_BROADCAST_INFO bext;
	ck_assert(sf_command(sf, SFC_GET_BROADCAST_INFO, &bext, sizeof bext));
	ck_assert_uint_eq(bext.time_reference_low, 123456);
	ck_assert_uint_eq(bext.time_reference_high, 0);
	float *x = malloc(sizeof(float) * 2 * SECONDS * SR);
	ck_assert_int_eq(sf_readf_float(sf, x, info.frames), info.frames);
	sf_close(sf);
	double worst = 0;
	for (int i = 0; i < SECONDS * SR; i++)
		worst = fmax(worst, fabs((double)x[2 * i] - kept[i]));
	fprintf(stderr, "print: 20 s, largest difference from the outputs %.3g (one 24-bit step %.3g)\n", worst,
	        1.0 / 8388608.0);
	ck_assert_double_le(worst, 1.0 / 8388608.0);
	free(x);
	free(kept);
	close_fixture(&f);
}
END_TEST

START_TEST(a_killed_print_is_readable)
{
	struct fixture f;
	open_fixture(&f);
	int ready[2];
	ck_assert_int_eq(pipe(ready), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char err[512];
		if (print_start(f.p, f.c, f.dir, "crash", NULL, 0, err, sizeof err) < 0)
			_exit(3);
		play(&f, SECONDS, NULL);
		if (write(ready[1], "x", 1) != 1)
			_exit(4);
		for (;;)
			pause(); /* still printing when killed */
	}
	char byte;
	ck_assert_int_eq(read(ready[0], &byte, 1), 1);
	kill(pid, SIGKILL);
	int st;
	waitpid(pid, &st, 0);
	ck_assert(WIFSIGNALED(st));
	char path[256];
	snprintf(path, sizeof path, "%s/crash/FIVE.wav", f.dir);
	SF_INFO info = {0};
	SNDFILE *sf = sf_open(path, SFM_READ, &info);
	ck_assert_msg(sf != NULL, "after kill -9: %s", sf_strerror(NULL));
	fprintf(stderr, "print: killed after %d s: %.2f s readable\n", SECONDS, (double)info.frames / SR);
	ck_assert_int_ge(info.frames, (SECONDS - 1) * SR);
	ck_assert_int_eq(info.channels, 6);
	sf_close(sf);
	close(ready[0]);
	close(ready[1]);
	close_fixture(&f);
}
END_TEST

/* A full disk during a take (the files may not grow past 1 MiB:
 * RLIMIT_FSIZE, writes beyond fail with EFBIG, SIGXFSZ ignored): the RT side
 * plays on untouched, the take stops writing, what could not be written is
 * counted as lost, /print/stop's call returns the error with what the files
 * hold, and each file reads back whole up to there. */
START_TEST(a_full_disk_stops_the_take_and_says_so)
{
	struct fixture f;
	open_fixture(&f);
	char err[512];
	struct rlimit before, small = {1 << 20, 1 << 20};
	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &before), 0);
	void (*old)(int) = signal(SIGXFSZ, SIG_IGN);
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &small), 0);
	ck_assert_msg(print_start(f.p, f.c, f.dir, "full", NULL, 0, err, sizeof err) == 0, "%s", err);
	enum { PLAYED = 10 };
	play(&f, PLAYED, NULL); /* FIVE fills 1 MiB after 1.2 s (6 channels of 24 bits) */
	struct print_summary s;
	const int rc = print_stop(f.p, &s, err, sizeof err);
	setrlimit(RLIMIT_FSIZE, &before);
	signal(SIGXFSZ, old);
	fprintf(stderr, "print: disk full after 1 MiB: stop says \"%s\"; %.2f s in every file, %.2f s lost\n", err,
	        (double)s.frames / SR, (double)s.lost_frames / SR);
	ck_assert_int_eq(rc, -1);
	ck_assert_msg(strstr(err, "FIVE") != NULL, "the error does not name the file: %s", err);
	ck_assert_uint_gt(s.frames, SR / 2);      /* what fitted is kept ... */
	ck_assert_uint_lt(s.frames, 2 * SR);
	ck_assert_uint_eq(s.frames + s.lost_frames, (uint64_t)PLAYED * SR); /* ... and the rest counted */
	static const char *const names[] = {"ST", "FIVE"};
	for (int k = 0; k < 2; k++) {
		char path[256];
		snprintf(path, sizeof path, "%s/full/%s.wav", f.dir, names[k]);
		SF_INFO info = {0};
		SNDFILE *sf = sf_open(path, SFM_READ, &info);
		ck_assert_msg(sf != NULL, "%s after a full disk: %s", names[k], sf_strerror(NULL));
		ck_assert_int_ge(info.frames, (sf_count_t)s.frames);
		float *x = malloc(sizeof(float) * (size_t)info.frames * (size_t)info.channels);
		ck_assert_int_eq(sf_readf_float(sf, x, info.frames), info.frames);
		free(x);
		sf_close(sf);
	}
	close_fixture(&f);
}
END_TEST

START_TEST(misuse_is_refused)
{
	struct fixture f;
	open_fixture(&f);
	char err[512];
	struct print_summary s;
	ck_assert_int_eq(print_stop(f.p, &s, err, sizeof err), -1);
	ck_assert_msg(strstr(err, "no take is printing"), "%s", err);
	ck_assert_int_eq(print_start(f.p, f.c, f.dir, "../up", NULL, 0, err, sizeof err), -1);
	ck_assert_msg(strstr(err, "not a take name"), "%s", err);
	ck_assert_int_eq(print_start(f.p, f.c, f.dir, "one", NULL, 0, err, sizeof err), 0);
	ck_assert_int_eq(print_start(f.p, f.c, f.dir, "two", NULL, 0, err, sizeof err), -1);
	ck_assert_msg(strstr(err, "take one is printing"), "%s", err);
	ck_assert_int_eq(print_stop(f.p, &s, err, sizeof err), 0);
	ck_assert_int_eq(print_start(f.p, f.c, f.dir, "one", NULL, 0, err, sizeof err), -1);
	ck_assert_msg(strstr(err, "exists already"), "%s", err);
	ck_assert_int_eq(print_start(f.p, f.c, "/proc/nope", NULL, NULL, 0, err, sizeof err), -1);
	ck_assert_msg(strstr(err, "cannot create"), "%s", err);
	close_fixture(&f);
}
END_TEST

/* Chosen buses: only their files are made (the 5.1 stem's equals what
 * went out its ports); an unknown name or an aux bus is refused before any
 * folder is made; "" takes the default name. */
START_TEST(chosen_buses_print_alone)
{
	struct fixture f;
	open_fixture(&f);
	char err[512], path[256];
	struct print_summary s;
	const char *aux[] = {"REV"}, *nope[] = {"FIVE", "NOPE"}, *five[] = {"FIVE"};
	ck_assert_int_eq(print_start(f.p, f.c, f.dir, "a", aux, 1, err, sizeof err), -1);
	ck_assert_msg(strstr(err, "REV is an aux bus"), "%s", err);
	ck_assert_int_eq(print_start(f.p, f.c, f.dir, "a", nope, 2, err, sizeof err), -1);
	ck_assert_msg(strstr(err, "no bus named NOPE"), "%s", err);
	snprintf(path, sizeof path, "%s/a", f.dir);
	ck_assert_int_ne(access(path, F_OK), 0); /* nothing made */
	ck_assert_int_eq(print_start(f.p, f.c, f.dir, "", five, 1, err, sizeof err), 0);
	print_status(f.p, &s);
	ck_assert_uint_eq(s.files, 1);
	ck_assert_msg(strncmp(s.take, "take-", 5) == 0, "%s", s.take);
	play(&f, 1, NULL);
	ck_assert_int_eq(print_stop(f.p, &s, err, sizeof err), 0);
	snprintf(path, sizeof path, "%s/%s/ST.wav", f.dir, s.take);
	ck_assert_int_ne(access(path, F_OK), 0);
	snprintf(path, sizeof path, "%s/%s/FIVE.wav", f.dir, s.take);
	SF_INFO info = {0};
	SNDFILE *r = sf_open(path, SFM_READ, &info);
	ck_assert_msg(r != NULL, "%s", sf_strerror(NULL));
	ck_assert_int_eq(info.channels, 6);
	ck_assert_int_eq(info.frames, SR);
	/* the last period read back: FIVE's outputs are ports 2 .. 7 (after ST's two) */
	float last[PERIOD * 6];
	sf_seek(r, SR - PERIOD, SEEK_SET);
	ck_assert_int_eq(sf_readf_float(r, last, PERIOD), PERIOD);
	for (int i = 0; i < PERIOD; i++)
		for (int c = 0; c < 6; c++)
			ck_assert_float_eq_tol(last[i * 6 + c], f.out[2 + c][i], 1.2e-7f);
	sf_close(r);
	close_fixture(&f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("print");
	TCase *t = tcase_create("core");
	tcase_set_timeout(t, 120);
	tcase_add_test(t, a_print_equals_the_outputs);
	tcase_add_test(t, a_killed_print_is_readable);
	tcase_add_test(t, a_full_disk_stops_the_take_and_says_so);
	tcase_add_test(t, misuse_is_refused);
	tcase_add_test(t, chosen_buses_print_alone);
	suite_add_tcase(s, t);
	return run_suite(s);
}
