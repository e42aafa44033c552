/* Snapshots: save, change everything, recall, state equal; recall safes;
 * what does not match is reported; broken files refused with nothing
 * changed; a save killed at any moment leaves only whole snapshots; a recall
 * with a fade makes no click on the audio. */
#include <dirent.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "control/config.h"
#include "control/snapshot.h"
#include "dsp/gain.h"
#include "tests/check_main.h"
#include "tests/signal_util.h"

static const char *const text =
	"{\"buses\": [{\"name\": \"DX\", \"format\": \"5.1\", \"role\": \"stem\"},"
	" {\"name\": \"PM\", \"format\": \"5.1\", \"role\": \"master\", \"sources\": [\"DX\"], \"limiter\": {}},"
	" {\"name\": \"REV\", \"format\": \"2.0\", \"role\": \"aux\", \"to\": \"DX\"}],"
	" \"strips\": [{\"name\": \"A\", \"bus\": \"DX\"}, {\"name\": \"B\", \"input\": \"stereo\", \"bus\": \"DX\"},"
	" {\"name\": \"C\", \"bus\": \"DX\"}],"
	" \"vcas\": [{\"name\": \"V\", \"strips\": [\"A\", \"B\"]}],"
	" \"mute_groups\": [{\"name\": \"M\", \"strips\": [\"C\"]}]}";

struct fixture {
	struct console *c;
	struct engine *e;
	char dir[64];
	float buf[16][64];
};

static void open_fixture(struct fixture *f, const char *config)
{
	char err[512];
	memset(f, 0, sizeof *f);
	f->c = config_load_text(config, "t", err, sizeof err);
	ck_assert_msg(f->c != NULL, "%s", err);
	snprintf(f->dir, sizeof f->dir, "/tmp/dubstage-snap-XXXXXX");
	ck_assert(mkdtemp(f->dir) != NULL);
	f->e = engine_create(48000);
	struct graph *g = graph_build(f->c, NULL, 48000, err, sizeof err);
	ck_assert_msg(g != NULL, "%s", err);
	engine_publish(f->e, g);
}

/* One period of silence: drains the command queue. */
static void period(struct fixture *f)
{
	struct graph *g = engine_begin_rt(f->e);
	struct graph_ports *p = graph_ports(g);
	for (uint32_t i = 0; i < p->n_in; i++)
		p->in[i] = f->buf[0];
	for (uint32_t o = 0; o < p->n_out; o++)
		p->out[o] = f->buf[1 + o % 15];
	engine_end_rt(f->e, g, 64);
}

static void close_fixture(struct fixture *f)
{
	DIR *d = opendir(f->dir);
	for (struct dirent *e; d && (e = readdir(d));) {
		char path[512];
		snprintf(path, sizeof path, "%s/%s", f->dir, e->d_name);
		if (e->d_name[0] != '.' || strlen(e->d_name) > 2)
			unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(f->dir);
	engine_destroy(f->e);
	console_free(f->c);
}

static bool compared(const struct param *p)
{
	return p->kind && p->action == ACT_VALUE && !p->model_only && strcmp(p->kind, "monitor") != 0 &&
	       strcmp(p->kind, "monitor/speaker") != 0 && strcmp(p->name, "solo") != 0 &&
	       strcmp(p->name, "solo_safe") != 0;
}

/* Sets every setting of the mix to a value that depends on `seed`. */
static void set_everything(struct fixture *f, int seed)
{
	size_t n;
	const struct param *t = param_table(&n);
	for (size_t r = 0; r < n; r++) {
		if (!compared(&t[r]) || t[r].rule == RULE_FADER_POS)
			continue;
		const enum param_kind kind = param_kind_of(&t[r]);
		for (uint32_t i = 0; i < param_target_count(f->c, kind); i++) {
			if (kind == KIND_BUS && strncmp(t[r].name, "limiter/", 8) == 0 && !f->c->buses[i].has_limiter)
				continue;
			const float u = (float)((seed * 7919 + (int)r * 104729 + (int)i * 1299709) % 1000) / 1000.0f;
			float v;
			switch (t[r].rule) {
			case RULE_BOOL: v = u < 0.5f; break;
			case RULE_DB_OFF: v = -40.0f + 46.0f * u; break;
			case RULE_WRAP: v = -179.0f + 358.0f * u; break;
			case RULE_SLOPE: v = u < 0.33f ? 12.0f : u < 0.66f ? 18.0f : 24.0f; break;
			default: v = t[r].lo + (t[r].hi - t[r].lo) * u; break;
			}
			for (uint32_t k = 0; k < (param_is_send(&t[r]) ? f->c->n_aux : 1); k++) {
				const struct param p = param_is_send(&t[r]) ? param_for_aux(&t[r], k) : t[r];
				param_set(f->e, f->c, &p, i, param_clamp(&p, v));
			}
			period(f);
		}
	}
	/* whatever the table order left, the last pan form set is by direction for
	 * A and by room position for B */
	const struct param *az = param_find("strip", "pan/az"), *x = param_find("strip", "pan/x");
	param_set(f->e, f->c, az, 0, 20.0f + (float)seed);
	param_set(f->e, f->c, x, 1, -0.5f + 0.1f * (float)seed);
	period(f);
}

/* A copy of every compared value, in table order. */
static float *state(struct fixture *f, size_t *count)
{
	size_t n, k = 0;
	const struct param *t = param_table(&n);
	float *v = malloc(20000 * sizeof *v);
	for (size_t r = 0; r < n; r++) {
		if (!compared(&t[r]))
			continue;
		const enum param_kind kind = param_kind_of(&t[r]);
		for (uint32_t i = 0; i < param_target_count(f->c, kind); i++)
			for (uint32_t a = 0; a < (param_is_send(&t[r]) ? f->c->n_aux : 1); a++) {
				const struct param p = param_is_send(&t[r]) ? param_for_aux(&t[r], a) : t[r];
				v[k++] = param_get(f->c, &p, i);
			}
	}
	*count = k;
	return v;
}

static void recall(struct fixture *f, const char *name, struct snapshot_recall **out)
{
	char err[512];
	struct snapshot_recall *r = snapshot_read(f->c, f->dir, name, 0, err, sizeof err);
	ck_assert_msg(r != NULL, "%s", err);
	ck_assert(snapshot_recall_step(r, f->e, f->c, 0.0, NULL, NULL));
	period(f);
	if (out)
		*out = r;
	else
		snapshot_recall_free(r);
}

/* Sets everything (seed 1), saves it as `name`, then sets everything
 * again (seed 2); returns the saved state's values (free them). */
static float *save_then_change(struct fixture *f, const char *name, size_t *n)
{
	char err[512];
	set_everything(f, 1);
	float *saved = state(f, n);
	ck_assert_int_eq(snapshot_save(f->c, f->dir, name, err, sizeof err), 0);
	set_everything(f, 2);
	return saved;
}

/* The console's values equal `saved` (within float rounding). */
/* How many of n values differ between two states. */
static size_t count_differing(const float *a, const float *b, size_t n)
{
	size_t differ = 0;
	for (size_t k = 0; k < n; k++)
		differ += a[k] != b[k];
	return differ;
}

static void expect_state(struct fixture *f, const float *saved, size_t n)
{
	size_t n2;
	float *back = state(f, &n2);
	ck_assert_uint_eq(n2, n);
	for (size_t k = 0; k < n; k++)
		ck_assert_msg(fabsf(back[k] - saved[k]) <= 1e-4f * fmaxf(1.0f, fabsf(saved[k])) ||
		              (isinf(back[k]) && isinf(saved[k])), "value %zu: %g, saved %g", k, back[k], saved[k]);
	free(back);
}

/* A recall applied in slices (snapshot_recall_step_some, as the control
 * loop does: a few changes a call) ends in exactly the state a whole recall
 * gives, and each call applies no more than it was allowed. */
START_TEST(a_recall_in_slices_equals_a_whole_one)
{
	struct fixture f;
	open_fixture(&f, text);
	char err[512];
	size_t n1, n2;
	float *saved = save_then_change(&f, "v1", &n1);
	struct snapshot_recall *r = snapshot_read(f.c, f.dir, "v1", 0.1, err, sizeof err);
	ck_assert_msg(r != NULL, "%s", err);
	ck_assert_uint_gt(r->n_changes, 40);
	int calls = 0;
	for (double now = 0.0;; now += 0.01) {
		float *before = state(&f, &n2);
		const bool done = snapshot_recall_step_some(r, f.e, f.c, now, 7, NULL, NULL);
		float *after = state(&f, &n2);
		const size_t moved = count_differing(before, after, n1);
		free(before);
		free(after);
		/* a change may move a second value with it (a pan's other forms) */
		ck_assert_msg(moved <= 2 * 7, "call %d moved %zu values", calls, moved);
		period(&f);
		calls++;
		if (done)
			break;
		ck_assert_int_lt(calls, 10000);
	}
	ck_assert_int_gt(calls, (int)r->n_changes / 7);
	expect_state(&f, saved, n1);
	snapshot_recall_free(r);
	free(saved);
	close_fixture(&f);
}
END_TEST

START_TEST(save_change_recall_restores_everything)
{
	struct fixture f;
	open_fixture(&f, text);
	char err[512];
	size_t n1, n2;
	float *saved = save_then_change(&f, "reel 3 v1", &n1);
	float *changed = state(&f, &n2);
	ck_assert_uint_eq(n1, n2);
	ck_assert_uint_gt(count_differing(saved, changed, n1), n1 / 2); /* the change really changed things */
	recall(&f, "reel 3 v1", NULL);
	expect_state(&f, saved, n1);
	ck_assert_float_eq_tol(f.c->strips[0].params.pan_azimuth_deg, 21.0f, 1e-4f);
	ck_assert(f.c->strips[1].params.pan_room && !f.c->strips[0].params.pan_room);
	/* the file is readable JSON, one setting a line */
	char path[256];
	snprintf(path, sizeof path, "%s/reel 3 v1.json", f.dir);
	json_error_t je;
	json_t *root = json_load_file(path, 0, &je);
	ck_assert_msg(root != NULL, "%s", je.text);
	ck_assert(json_is_number(json_object_get(json_object_get(json_object_get(root, "strips"), "A"), "fader")));
	ck_assert(json_object_get(json_object_get(json_object_get(root, "strips"), "A"), "send/REV/level"));
	ck_assert(!json_object_get(json_object_get(json_object_get(root, "strips"), "A"), "solo"));
	ck_assert(!json_object_get(json_object_get(json_object_get(root, "strips"), "A"), "safe/recall"));
	ck_assert(json_object_get(json_object_get(json_object_get(root, "buses"), "PM"), "limiter/ceiling"));
	ck_assert(!json_object_get(json_object_get(json_object_get(root, "buses"), "DX"), "limiter/ceiling"));
	json_decref(root);
	char(*names)[SNAPSHOT_NAME_MAX];
	uint32_t n;
	ck_assert_int_eq(snapshot_list(f.dir, &names, &n, err, sizeof err), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(names[0], "reel 3 v1");
	free(names);
	free(saved);
	free(changed);
	close_fixture(&f);
}
END_TEST

START_TEST(recall_safes_are_respected)
{
	struct fixture f;
	open_fixture(&f, text);
	char err[512];
	set_everything(&f, 1);
	ck_assert_int_eq(snapshot_save(f.c, f.dir, "one", err, sizeof err), 0);
	set_everything(&f, 2);
	const struct strip_params a = f.c->strips[0].params, b = f.c->strips[1].params, c3 = f.c->strips[2].params;
	f.c->strips[0].params.safe.all = true;
	f.c->strips[1].params.safe.eq = true;
	f.c->strips[2].params.safe.fader = true;
	f.c->strips[2].params.safe.dyn = true;
	recall(&f, "one", NULL);
	const struct strip_params *ra = &f.c->strips[0].params, *rb = &f.c->strips[1].params, *rc = &f.c->strips[2].params;
	ck_assert_float_eq(ra->fader_db, a.fader_db);
	ck_assert_float_eq(ra->trim_db, a.trim_db);
	ck_assert_float_eq(ra->send[0].level_db, a.send[0].level_db);
	ck_assert_float_eq(rb->proc.eq[1].gain_db, b.proc.eq[1].gain_db);
	ck_assert_float_eq(rb->proc.hpf.freq_hz, b.proc.hpf.freq_hz);
	ck_assert_float_eq(rb->proc.notch[0].freq_hz, b.proc.notch[0].freq_hz);
	ck_assert_float_ne(rb->fader_db, b.fader_db); /* B's fader is not safe */
	ck_assert_float_ne(rb->proc.dyn.comp.threshold_db, b.proc.dyn.comp.threshold_db);
	ck_assert_float_eq(rc->fader_db, c3.fader_db);
	ck_assert_float_eq(rc->proc.dyn.comp.ratio, c3.proc.dyn.comp.ratio);
	ck_assert_float_ne(rc->trim_db, c3.trim_db);
	close_fixture(&f);
}
END_TEST

static void write_text(const char *dir, const char *name, const char *body)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s.json", dir, name);
	FILE *fp = fopen(path, "w");
	ck_assert(fp != NULL);
	fputs(body, fp);
	fclose(fp);
}

START_TEST(what_does_not_match_is_reported)
{
	struct fixture f;
	open_fixture(&f, text);
	write_text(f.dir, "old", "{\"dubstage_snapshot\": 1, \"version\": \"0.0.9\","
	           " \"strips\": {\"A\": {\"fader\": -3, \"eq/9/gain\": 2, \"trim\": \"loud\", \"send/NOPE/level\": -3,"
	           " \"mute\": true},"
	           " \"GHOST\": {\"fader\": 0}},"
	           " \"buses\": {\"PM\": {\"limiter/ceiling\": -2}, \"DX\": {\"limiter/on\": true}}}");
	struct snapshot_recall *r;
	recall(&f, "old", &r);
	ck_assert_float_eq(f.c->strips[0].params.fader_db, -3.0f);
	ck_assert(f.c->strips[0].params.mute);
	ck_assert_float_eq(f.c->buses[1].params.limiter.ceiling_db, -2.0f);
	ck_assert_float_eq(f.c->strips[0].params.trim_db, 0.0f);
	ck_assert_uint_eq(r->n_matched, 3);
	ck_assert_uint_eq(r->n_unmatched, 5);
	ck_assert_msg(strstr(r->unmatched, "strips.A.eq/9/gain") && strstr(r->unmatched, "strips.A.trim") &&
	              strstr(r->unmatched, "strips.A.send/NOPE/level") && strstr(r->unmatched, "strip GHOST") &&
	              strstr(r->unmatched, "buses.DX.limiter/on"), "%s", r->unmatched);
	snapshot_recall_free(r);
	close_fixture(&f);
}
END_TEST

START_TEST(broken_files_and_names_are_refused)
{
	struct fixture f;
	open_fixture(&f, text);
	char err[512];
	f.c->strips[0].params.fader_db = -7.0f;
	ck_assert_ptr_null(snapshot_read(f.c, f.dir, "missing", 0, err, sizeof err));
	ck_assert_msg(strstr(err, "no snapshot \"missing\""), "%s", err);
	write_text(f.dir, "cut", "{\"dubstage_snapshot\": 1, \"strips\": {\"A\": {\"fader\": 0");
	ck_assert_ptr_null(snapshot_read(f.c, f.dir, "cut", 0, err, sizeof err));
	ck_assert_msg(strstr(err, "not valid JSON"), "%s", err);
	write_text(f.dir, "other", "{\"strips\": {\"A\": {\"fader\": 0}}}");
	ck_assert_ptr_null(snapshot_read(f.c, f.dir, "other", 0, err, sizeof err));
	ck_assert_msg(strstr(err, "not a dubstage snapshot"), "%s", err);
	write_text(f.dir, "future", "{\"dubstage_snapshot\": 9, \"strips\": {}}");
	ck_assert_ptr_null(snapshot_read(f.c, f.dir, "future", 0, err, sizeof err));
	ck_assert_float_eq(f.c->strips[0].params.fader_db, -7.0f); /* nothing changed */
	const char *bad[] = {"", ".hidden", "../escape", "a/b", "tab\there"};
	for (int k = 0; k < 5; k++) {
		ck_assert_int_eq(snapshot_save(f.c, f.dir, bad[k], err, sizeof err), -1);
		ck_assert_msg(strstr(err, "not a snapshot name"), "%s", err);
	}
	ck_assert_int_eq(snapshot_delete(f.dir, "missing", err, sizeof err), -1);
	ck_assert_int_eq(snapshot_save(f.c, "/proc/no-such-dir/x", "s", err, sizeof err), -1);
	ck_assert_msg(strstr(err, "cannot create"), "%s", err);
	close_fixture(&f);
}
END_TEST

/* A child saves in a loop and is killed (SIGKILL) at random moments: both
 * snapshots, saved whole before the first round, are there and whole after
 * every kill (old or new, never broken or gone), whatever the disk's speed. */
START_TEST(killed_saves_leave_whole_snapshots)
{
	struct fixture f;
	open_fixture(&f, text);
	char err0[512];
	ck_assert_int_eq(snapshot_save(f.c, f.dir, "even", err0, sizeof err0), 0);
	ck_assert_int_eq(snapshot_save(f.c, f.dir, "odd", err0, sizeof err0), 0);
	unsigned seed = 11;
	for (int round = 0; round < 30; round++) {
		pid_t pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			char err[512];
			for (int k = 0;; k++) {
				f.c->strips[0].params.fader_db = (float)(k % 40) - 30.0f;
				if (snapshot_save(f.c, f.dir, k % 2 ? "odd" : "even", err, sizeof err) < 0)
					_exit(3);
			}
		}
		usleep(1000 + rand_r(&seed) % 20000);
		kill(pid, SIGKILL);
		int st;
		waitpid(pid, &st, 0);
		ck_assert(WIFSIGNALED(st));
		DIR *d = opendir(f.dir);
		int whole = 0;
		for (struct dirent *e; (e = readdir(d));) {
			if (e->d_name[0] == '.')
				continue; /* a temporary file of a killed save */
			char path[512];
			snprintf(path, sizeof path, "%s/%s", f.dir, e->d_name);
			json_error_t je;
			json_t *root = json_load_file(path, 0, &je);
			ck_assert_msg(root != NULL, "round %d: %s is broken: %s", round, e->d_name, je.text);
			ck_assert_uint_eq(json_object_size(json_object_get(root, "strips")), 3);
			json_decref(root);
			whole++;
		}
		closedir(d);
		ck_assert_int_eq(whole, 2);
	}
	close_fixture(&f);
}
END_TEST

START_TEST(a_faded_recall_makes_no_click)
{
	/* A 1 kHz sine at -6 dBFS through a strip; the snapshot has the fader
	 * at 0 dB, the console is at -30 with the pan 60 degrees away: a 0.5 s
	 * recall, stepped every 20 ms as the OSC server does. */
	struct fixture f;
	open_fixture(&f, "{\"buses\": [{\"name\": \"DX\", \"format\": \"2.0\", \"role\": \"stem\"}],"
	                 " \"strips\": [{\"name\": \"A\", \"bus\": \"DX\", \"pan\": 30}]}");
	char err[512];
	ck_assert_int_eq(snapshot_save(f.c, f.dir, "loud", err, sizeof err), 0);
	param_set(f.e, f.c, param_find("strip", "fader"), 0, -30.0f);
	param_set(f.e, f.c, param_find("strip", "pan/az"), 0, -30.0f);
	struct snapshot_recall *r = snapshot_read(f.c, f.dir, "loud", 0.5, err, sizeof err);
	ck_assert_msg(r != NULL, "%s", err);
	const size_t frames = 48000;
	float *in = malloc(frames * sizeof *in), *out = malloc(frames * sizeof *out), *out_r = malloc(frames * sizeof *out);
	sine(in, frames, 0.5, 1000, 48000, 0);
	double next_step = 0.1;
	bool done = false;
	for (size_t pos = 0; pos < frames; pos += 64) {
		const double now = (double)pos / 48000.0;
		if (!done && now >= next_step) {
			done = snapshot_recall_step(r, f.e, f.c, now, NULL, NULL);
			next_step = now + 0.02;
		}
		struct graph *g = engine_begin_rt(f.e);
		struct graph_ports *p = graph_ports(g);
		p->in[0] = in + pos;
		p->out[0] = out + pos;
		p->out[1] = out_r + pos;
		engine_end_rt(f.e, g, 64);
	}
	ck_assert(done);
	const double ratio = fmax(worst_step_ratio(out, frames, 1000, 48000), worst_step_ratio(out_r, frames, 1000, 48000));
	fprintf(stderr, "snapshot: 0.5 s recall of fader and pan: step ratio %.4f\n", ratio);
	ck_assert_double_le(ratio, 1.1);
	/* it arrived: the last 0.2 s at 0 dB on L (pan +30), R silent */
	ck_assert_double_eq_tol(rms_db(out + frames - 9600, 9600), rms_db(in, 9600), 0.05);
	ck_assert_double_lt(rms_db(out_r + frames - 9600, 9600), -100.0);
	/* and it faded: 0.35 s in, L was between -30 and 0 dB */
	const double mid = rms_db(out + 16800, 960) - rms_db(in, 960);
	ck_assert_double_gt(mid, -25.0);
	ck_assert_double_lt(mid, -1.0);
	snapshot_recall_free(r);
	free(in);
	free(out);
	free(out_r);
	close_fixture(&f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("snapshot");
	TCase *t = tcase_create("core");
	tcase_set_timeout(t, 60);
	tcase_add_test(t, save_change_recall_restores_everything);
	tcase_add_test(t, a_recall_in_slices_equals_a_whole_one);
	tcase_add_test(t, recall_safes_are_respected);
	tcase_add_test(t, what_does_not_match_is_reported);
	tcase_add_test(t, broken_files_and_names_are_refused);
	tcase_add_test(t, killed_saves_leave_whole_snapshots);
	tcase_add_test(t, a_faded_recall_makes_no_click);
	suite_add_tcase(s, t);
	return run_suite(s);
}
