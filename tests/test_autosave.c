/* control/autosave: the live state is saved when it changes and not
 * otherwise, the replaced file is kept, a start restores the newest valid
 * copy, and a full disk or an unwritable folder keeps the old file intact and
 * is reported once. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control/autosave.h"
#include "control/config.h"
#include "control/param.h"
#include "control/snapshot.h"
#include "dsp/layout.h"
#include "tests/check_main.h"

static const char *const text =
	"{\"name\": \"t\", \"buses\": [{\"name\": \"DX\", \"format\": \"5.1\", \"role\": \"stem\"}],"
	" \"strips\": [{\"name\": \"A\", \"bus\": \"DX\"}, {\"name\": \"S\", \"bus\": \"DX\", \"count\": 8}]}";

struct fixture {
	struct console *c;
	struct autosave *a;
	char dir[64], live[128], prev[128];
};

static void open_fixture(struct fixture *f)
{
	char err[512];
	memset(f, 0, sizeof *f);
	f->c = config_load_text(text, "t", err, sizeof err);
	ck_assert_msg(f->c != NULL, "%s", err);
	snprintf(f->dir, sizeof f->dir, "/tmp/dubstage-autosave-XXXXXX");
	ck_assert(mkdtemp(f->dir) != NULL);
	f->a = autosave_create(f->dir, "/some/where/reel 3.json");
	ck_assert(f->a != NULL);
	snprintf(f->live, sizeof f->live, "%s/reel_3.live.json", f->dir);
	snprintf(f->prev, sizeof f->prev, "%s/reel_3.live.prev.json", f->dir);
	ck_assert_str_eq(autosave_path(f->a), f->live);
}

static void close_fixture(struct fixture *f)
{
	autosave_destroy(f->a);
	console_free(f->c);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir); /* our own temporary folder */
	ck_assert_int_eq(system(cmd), 0);
}

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	static char buf[1 << 20];
	const size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strdup(buf);
}

/* A check, then the writer's work waited for: the files as the check left
 * them. */
static int tick_written(struct autosave *a, struct console *c, double now, char *err, size_t errlen)
{
	const int rc = autosave_tick(a, c, now, err, errlen);
	autosave_wait(a);
	return rc;
}

/* A change the way the control thread makes one (OSC, a recall): through
 * the parameter table, which counts it in the console's edits. */
static void store(struct console *c, const char *kind, const char *name, uint32_t target, float v)
{
	const struct param *p = param_find(kind, name);
	ck_assert_msg(p != NULL, "%s/%s", kind, name);
	param_store(c, p, target, v);
}

START_TEST(saves_changes_only_and_keeps_the_previous)
{
	struct fixture f;
	open_fixture(&f);
	char err[512], what[1024];
	ck_assert_int_eq(autosave_restore(f.a, f.c, what, sizeof what), 0); /* nothing yet */
	ck_assert_int_eq(tick_written(f.a, f.c, 100.0, err, sizeof err), 0);
	ck_assert_int_eq(access(f.live, F_OK), 0);
	struct stat st0;
	ck_assert_int_eq(stat(f.live, &st0), 0);
	/* unchanged: no write, whatever the time */
	ck_assert_int_eq(tick_written(f.a, f.c, 101.0, err, sizeof err), 0);
	struct stat st1;
	ck_assert_int_eq(stat(f.live, &st1), 0);
	ck_assert_uint_eq(st0.st_ino, st1.st_ino);
	ck_assert_int_ne(access(f.prev, F_OK), 0);
	/* a change within the check interval waits; after it, it is saved */
	store(f.c, "strip", "fader", 0, -6.0f);
	store(f.c, "strip", "solo", 3, 1.0f);
	ck_assert_int_eq(tick_written(f.a, f.c, 101.0 + AUTOSAVE_CHECK_S / 2, err, sizeof err), 0);
	char *now = read_all(f.live);
	ck_assert(strstr(now, "\"fader\": -6.0") == NULL);
	free(now);
	ck_assert_int_eq(tick_written(f.a, f.c, 101.0 + AUTOSAVE_CHECK_S, err, sizeof err), 0);
	now = read_all(f.live);
	ck_assert_msg(strstr(now, "\"fader\": -6.0") != NULL, "%s", now);
	free(now);
	char *prev = read_all(f.prev); /* the file it replaced */
	ck_assert(prev != NULL);
	ck_assert(strstr(prev, "\"fader\": -6.0") == NULL);
	free(prev);

	/* a fresh console restores it, solo included */
	struct console *c2 = config_load_text(text, "t", err, sizeof err);
	ck_assert_int_eq(autosave_restore(f.a, c2, what, sizeof what), 1);
	ck_assert_msg(strstr(what, "restored the live state saved") && strstr(what, f.live), "%s", what);
	ck_assert_float_eq(c2->strips[0].params.fader_db, -6.0f);
	ck_assert(c2->strips[3].params.solo);
	console_free(c2);
	close_fixture(&f);
}
END_TEST

START_TEST(a_broken_live_file_falls_back_to_the_previous)
{
	struct fixture f;
	open_fixture(&f);
	char err[512], what[2048];
	f.c->strips[1].params.fader_db = -3.0f;
	ck_assert_int_eq(autosave_now(f.a, f.c, err, sizeof err), 0);
	f.c->strips[1].params.fader_db = -9.0f;
	ck_assert_int_eq(autosave_now(f.a, f.c, err, sizeof err), 0);
	FILE *w = fopen(f.live, "w"); /* a disk that lied: the newest copy is garbage */
	fputs("{\"dubstage_snapshot\": 1, \"strips\": {", w);
	fclose(w);
	struct console *c2 = config_load_text(text, "t", err, sizeof err);
	ck_assert_int_eq(autosave_restore(f.a, c2, what, sizeof what), 1);
	ck_assert_msg(strstr(what, f.prev) && strstr(what, "could not be read"), "%s", what);
	ck_assert_float_eq(c2->strips[1].params.fader_db, -3.0f);
	/* both broken: nothing restored, the console as its config says */
	w = fopen(f.prev, "w");
	fputs("not json", w);
	fclose(w);
	struct console *c3 = config_load_text(text, "t", err, sizeof err);
	ck_assert_int_eq(autosave_restore(f.a, c3, what, sizeof what), -1);
	ck_assert_msg(strstr(what, "cannot be read") && strstr(what, "starting from the config"), "%s", what);
	ck_assert_float_eq(c3->strips[1].params.fader_db, 0.0f);
	console_free(c2);
	console_free(c3);
	close_fixture(&f);
}
END_TEST

/* A full disk: the file may not grow past 4 KiB (RLIMIT_FSIZE; SIGXFSZ
 * ignored), smaller than the state. The failed save is reported once, the
 * old file stays byte for byte, and once there is room the next check saves. */
START_TEST(a_full_disk_keeps_the_old_file)
{
	struct fixture f;
	open_fixture(&f);
	char err[512] = "";
	ck_assert_int_eq(autosave_now(f.a, f.c, err, sizeof err), 0);
	char *before = read_all(f.live);
	ck_assert_uint_gt(strlen(before), 4096);
	struct rlimit was;
	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &was), 0);
	void (*old)(int) = signal(SIGXFSZ, SIG_IGN);
	struct rlimit small = {4096, was.rlim_max};
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &small), 0);
	store(f.c, "strip", "fader", 0, -20.0f);
	/* the check hands the state over; the writer's failure is reported by
	 * the check after it, and only once; each check tries again */
	const int first = tick_written(f.a, f.c, 10.0, err, sizeof err);
	const int second = tick_written(f.a, f.c, 11.0, err, sizeof err);
	char reported[512];
	snprintf(reported, sizeof reported, "%s", err);
	const int third = tick_written(f.a, f.c, 12.0, err, sizeof err);
	setrlimit(RLIMIT_FSIZE, &was);
	signal(SIGXFSZ, old);
	ck_assert_int_eq(first, 0);
	ck_assert_int_eq(second, -1);
	ck_assert_int_eq(third, 0); /* still failing: reported once */
	ck_assert_msg(strstr(reported, "cannot write") && strstr(reported, "File too large"), "%s", reported);
	char *after = read_all(f.live);
	ck_assert_str_eq(after, before);
	free(after);
	ck_assert_int_eq(tick_written(f.a, f.c, 13.0, err, sizeof err), 0);
	after = read_all(f.live);
	ck_assert(strstr(after, "\"fader\": -20.0") != NULL);
	free(after);
	free(before);
	/* no temporary file is left behind */
	char cmd[200];
	snprintf(cmd, sizeof cmd, "ls -A %s | grep -c tmp", f.dir);
	FILE *ls = popen(cmd, "r");
	char count[16] = "";
	ck_assert(fgets(count, sizeof count, ls) != NULL);
	pclose(ls);
	ck_assert_int_eq(atoi(count), 0);
	close_fixture(&f);
}
END_TEST

/* The text of the whole mix is built only when the console's edits moved
 * (it cost a 1,024-strip console 26 % of a core at 4 checks a second): a
 * write into the model that bypasses param_store is not seen, which is why
 * every change must go through it; a reload (a new console carrying the
 * old one's settings) is seen. */
START_TEST(only_counted_edits_are_looked_for)
{
	struct fixture f;
	open_fixture(&f);
	char err[512];
	ck_assert_int_eq(tick_written(f.a, f.c, 1.0, err, sizeof err), 0);

	/* a reload: the new console carries the old one's mix; a strip of the new
	 * config is saved with no edit after it (both consoles unedited) */
	struct console *c2 = config_load_text(
		"{\"name\": \"t\", \"buses\": [{\"name\": \"DX\", \"format\": \"5.1\", \"role\": \"stem\"}],"
		" \"strips\": [{\"name\": \"A\", \"bus\": \"DX\"}, {\"name\": \"S\", \"bus\": \"DX\", \"count\": 8},"
		" {\"name\": \"New\", \"bus\": \"DX\", \"fader\": -4.5}]}", "t", err, sizeof err);
	ck_assert_msg(c2 != NULL, "%s", err);
	console_carry_params(c2, f.c);
	ck_assert_int_eq(tick_written(f.a, c2, 2.0, err, sizeof err), 0);
	char *now = read_all(f.live);
	ck_assert_msg(strstr(now, "\"New\"") != NULL && strstr(now, "\"fader\": -4.5") != NULL, "%s", now);
	free(now);

	c2->strips[2].params.fader_db = -11.0f; /* not through the table: not counted */
	ck_assert_int_eq(tick_written(f.a, c2, 3.0, err, sizeof err), 0);
	now = read_all(f.live);
	ck_assert_msg(strstr(now, "\"fader\": -11.0") == NULL, "%s", now);
	free(now);
	store(c2, "strip", "mute", 0, 1.0f); /* counted: the whole mix is saved, the uncounted fader too */
	ck_assert_int_eq(tick_written(f.a, c2, 4.0, err, sizeof err), 0);
	now = read_all(f.live);
	ck_assert_msg(strstr(now, "\"fader\": -11.0") != NULL && strstr(now, "\"mute\": true") != NULL, "%s", now);
	free(now);
	console_free(c2);
	close_fixture(&f);
}
END_TEST

/* A check only hands the state to the writer thread; stopping writes what
 * was handed over before the thread ends, so a clean stop right after a
 * change still finds it on disk. */
START_TEST(what_was_handed_over_is_written_before_the_stop)
{
	struct fixture f;
	open_fixture(&f);
	char err[512];
	ck_assert_int_eq(tick_written(f.a, f.c, 1.0, err, sizeof err), 0);
	for (int i = 0; i < 20; i++) { /* a fader moving: each check hands a newer state over */
		store(f.c, "strip", "fader", 0, -1.0f - (float)i);
		ck_assert_int_eq(autosave_tick(f.a, f.c, 2.0 + i * AUTOSAVE_CHECK_S, err, sizeof err), 0);
	}
	autosave_destroy(f.a);
	f.a = autosave_create(f.dir, "/some/where/reel 3.json");
	char *now = read_all(f.live);
	ck_assert_msg(now && strstr(now, "\"fader\": -20.0") != NULL, "%s", now ? now : "(no file)");
	free(now);
	close_fixture(&f);
}
END_TEST

START_TEST(an_unwritable_folder_is_reported)
{
	char err[512] = "";
	struct console *c = config_load_text(text, "t", err, sizeof err);
	struct autosave *a = autosave_create("/proc/dubstage-state", "c.json");
	ck_assert_int_eq(tick_written(a, c, 1.0, err, sizeof err), 0); /* handed over */
	ck_assert_int_eq(tick_written(a, c, 2.0, err, sizeof err), -1);
	ck_assert_msg(strstr(err, "cannot create /proc/dubstage-state"), "%s", err);
	ck_assert_int_eq(autosave_now(a, c, err, sizeof err), -1);
	autosave_destroy(a);
	console_free(c);
}
END_TEST

/* The live state is every setting: the recall safes and the monitor section
 * (source and speaker set by name, level, dim, mono, each loudspeaker's mute,
 * solo, calibration and delay) come back on a restart, and a safe does not
 * keep the restore off its strip. A snapshot saved by name keeps neither. */
START_TEST(monitor_and_safes_are_kept)
{
	static const char *const with_monitor =
		"{\"name\": \"m\", \"buses\": [{\"name\": \"DX\", \"format\": \"5.1\", \"role\": \"stem\"},"
		" {\"name\": \"PM\", \"format\": \"5.1\", \"role\": \"master\", \"sources\": [\"DX\"]}],"
		" \"monitor\": {\"room\": \"5.1\"},"
		" \"strips\": [{\"name\": \"A\", \"bus\": \"DX\"}, {\"name\": \"S\", \"bus\": \"DX\", \"count\": 2}]}";
	char err[512], what[1024];
	struct console *c1 = config_load_text(with_monitor, "t", err, sizeof err);
	ck_assert_msg(c1 != NULL, "%s", err);
	struct console_monitor *m = c1->monitor;
	ck_assert_uint_eq(m->source, 1); /* the default: the master; changed below */
	m->source = 0;                   /* DX */
	ck_assert_int_eq(layout_from_name("2.0", &m->speakers), 0);
	m->params.level_db = -12.5f;
	m->params.dim = true;
	m->params.dim_db = -30.0f;
	m->params.mono = true;
	m->speaker[1].mute = true;
	m->speaker[2].solo = true;
	m->speaker[0].cal_db = -2.5f;
	m->speaker[4].delay_ms = 1.25f;
	c1->strips[0].params.safe.fader = true;
	c1->strips[0].params.safe.eq = true;
	c1->strips[0].params.fader_db = -7.0f;
	c1->strips[2].params.safe.all = true;
	c1->strips[2].params.mute = true;

	char dir[64] = "/tmp/dubstage-autosave-XXXXXX";
	ck_assert(mkdtemp(dir) != NULL);
	struct autosave *a = autosave_create(dir, "m.json");
	ck_assert_int_eq(autosave_now(a, c1, err, sizeof err), 0);
	char *saved = read_all(autosave_path(a));
	ck_assert_msg(strstr(saved, "\"source\": \"DX\"") && strstr(saved, "\"speakers\": \"2.0\"") &&
	              strstr(saved, "\"safe/fader\": true"), "%s", saved);
	free(saved);

	struct console *c2 = config_load_text(with_monitor, "t", err, sizeof err);
	ck_assert_int_eq(autosave_restore(a, c2, what, sizeof what), 1);
	ck_assert_msg(strstr(what, "not in this console") == NULL, "%s", what);
	ck_assert_uint_eq(c2->monitor->source, 0);
	ck_assert_int_eq(c2->monitor->speakers, m->speakers);
	ck_assert_mem_eq(&c2->monitor->params, &m->params, sizeof m->params);
	ck_assert_mem_eq(c2->monitor->speaker, m->speaker, sizeof m->speaker);
	for (uint32_t i = 0; i < c1->n_strips; i++)
		ck_assert_mem_eq(&c2->strips[i].params, &c1->strips[i].params, sizeof c1->strips[i].params);

	/* a snapshot by name is the mix only */
	char *snap = snapshot_text(c1, false);
	ck_assert_msg(!strstr(snap, "\"monitor\"") && !strstr(snap, "safe"), "%s", snap);
	free(snap);

	/* a live state from a console without this bus or room reports what it drops */
	FILE *f = fopen(autosave_path(a), "w");
	fputs("{\"dubstage_snapshot\": 1, \"monitor\": {\"source\": \"GONE\", \"speakers\": \"7.1.4\", \"level\": -3,"
	      " \"speaker\": {\"Ltf\": {\"mute\": true}}}}\n", f);
	fclose(f);
	struct console *c3 = config_load_text(with_monitor, "t", err, sizeof err);
	ck_assert_int_eq(autosave_restore(a, c3, what, sizeof what), 1);
	ck_assert_msg(strstr(what, "monitor.source") && strstr(what, "monitor.speakers") &&
	              strstr(what, "monitor.speaker.Ltf"), "%s", what);
	ck_assert_float_eq(c3->monitor->params.level_db, -3.0f); /* what matches is kept */
	ck_assert_uint_eq(c3->monitor->source, 1);
	console_free(c3);
	console_free(c2);
	console_free(c1);
	autosave_destroy(a);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir); /* our own temporary folder */
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("autosave");
	TCase *t = tcase_create("core");
	tcase_add_test(t, saves_changes_only_and_keeps_the_previous);
	tcase_add_test(t, a_broken_live_file_falls_back_to_the_previous);
	tcase_add_test(t, a_full_disk_keeps_the_old_file);
	tcase_add_test(t, what_was_handed_over_is_written_before_the_stop);
	tcase_add_test(t, an_unwritable_folder_is_reported);
	tcase_add_test(t, only_counted_edits_are_looked_for);
	tcase_add_test(t, monitor_and_safes_are_kept);
	suite_add_tcase(s, t);
	return run_suite(s);
}
