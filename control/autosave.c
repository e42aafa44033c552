#include "control/autosave.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "control/error_text.h"
#include "control/folder.h"
#include "control/snapshot.h"

/* The control thread builds the text (it alone reads the console) and hands
 * it to the writer thread, which does the slow part: the temporary file,
 * its fsync, the rename and the folder's fsync (5-16 ms on these disks,
 * 30-190 ms under load, during which the control thread took no OSC). */
struct autosave {
	char dir[4096];
	char name[SNAPSHOT_NAME_MAX - 16]; /* the config file's name without .json: "<name>.live.json" */
	char path[4300];
	char *saved;       /* the text last handed to the writer (or restored), NULL before */
	uint64_t saved_edits; /* the console's edits when `saved` was found to match it */
	bool saved_current;   /* saved_edits is known: until the console's edits move, nothing is built */
	double next_check;
	bool failing;         /* a failure was reported and no save has succeeded since */

	/* shared with the writer, under lock */
	pthread_mutex_t lock;
	pthread_cond_t work, idle;
	char *pending;        /* the newest text to write (an older one not yet begun is dropped), or NULL */
	bool writing, stop;
	bool written_ok;      /* the last write's outcome, and its error */
	char write_err[1024];
	uint64_t writes;      /* writes finished */
	uint64_t writes_seen; /* by the control thread */
	pthread_t writer;
	bool writer_running;
};

static void *writer_main(void *arg)
{
	struct autosave *a = arg;
	char file[SNAPSHOT_NAME_MAX + 16], previous[SNAPSHOT_NAME_MAX + 16];
	snprintf(file, sizeof file, "%s.live.json", a->name);
	snprintf(previous, sizeof previous, "%s.live.prev.json", a->name);
	pthread_mutex_lock(&a->lock);
	for (;;) {
		while (!a->pending && !a->stop)
			pthread_cond_wait(&a->work, &a->lock);
		if (!a->pending)
			break; /* stopping, and everything handed over is written */
		char *text = a->pending;
		a->pending = NULL;
		a->writing = true;
		pthread_mutex_unlock(&a->lock);
		char err[1024] = "";
		const bool ok = folder_make(a->dir, err, sizeof err) == 0 &&
		                folder_write_file(a->dir, file, text, strlen(text), previous, err, sizeof err) == 0;
		free(text);
		pthread_mutex_lock(&a->lock);
		a->writing = false;
		a->written_ok = ok;
		snprintf(a->write_err, sizeof a->write_err, "%s", ok ? "" : err);
		a->writes++;
		pthread_cond_broadcast(&a->idle);
	}
	pthread_mutex_unlock(&a->lock);
	return NULL;
}

struct autosave *autosave_create(const char *dir, const char *config_path)
{
	struct autosave *a = calloc(1, sizeof *a);
	if (!a)
		return NULL;
	snprintf(a->dir, sizeof a->dir, "%s", dir);
	const char *base = strrchr(config_path, '/');
	base = base ? base + 1 : config_path;
	size_t n = strlen(base);
	if (n > 5 && strcmp(base + n - 5, ".json") == 0)
		n -= 5;
	if (n >= sizeof a->name)
		n = sizeof a->name - 1;
	for (size_t i = 0; i < n; i++) { /* a snapshot name: the live state is read as one */
		const char ch = base[i];
		const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		                ch == '_' || ch == '-' || (ch == '.' && i > 0);
		a->name[i] = ok ? ch : '_';
	}
	if (n == 0)
		snprintf(a->name, sizeof a->name, "console");
	snprintf(a->path, sizeof a->path, "%s/%s.live.json", a->dir, a->name);
	a->written_ok = true;
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->work, NULL);
	pthread_cond_init(&a->idle, NULL);
	/* with every signal blocked, as it inherits them: the control thread
	 * takes the signals from a signalfd, and a stop meant for it must not
	 * land here */
	sigset_t all, was;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &was);
	const int rc = pthread_create(&a->writer, NULL, writer_main, a);
	pthread_sigmask(SIG_SETMASK, &was, NULL);
	if (rc != 0) {
		autosave_destroy(a);
		return NULL;
	}
	pthread_setname_np(a->writer, "dubstage-save");
	a->writer_running = true;
	return a;
}

void autosave_destroy(struct autosave *a)
{
	if (!a)
		return;
	if (a->writer_running) { /* what was handed over is written first */
		pthread_mutex_lock(&a->lock);
		a->stop = true;
		pthread_cond_signal(&a->work);
		pthread_mutex_unlock(&a->lock);
		pthread_join(a->writer, NULL);
	}
	pthread_cond_destroy(&a->idle);
	pthread_cond_destroy(&a->work);
	pthread_mutex_destroy(&a->lock);
	free(a->pending);
	free(a->saved);
	free(a);
}

const char *autosave_path(const struct autosave *a) { return a->path; }

int autosave_restore(struct autosave *a, struct console *c, char *what, size_t len)
{
	const char *const kinds[] = {"live", "live.prev"};
	char why[2][1024] = {"", ""};
	bool any = false;
	for (int k = 0; k < 2; k++) {
		char name[SNAPSHOT_NAME_MAX], file[4400];
		snprintf(name, sizeof name, "%s.%s", a->name, kinds[k]);
		snprintf(file, sizeof file, "%s/%s.json", a->dir, name);
		struct stat st;
		if (stat(file, &st) != 0)
			continue;
		any = true;
		struct snapshot_recall *r = snapshot_read_live(c, a->dir, name, why[k], sizeof why[k]);
		if (!r)
			continue;
		snapshot_recall_apply_model(r, c);
		char when[64];
		struct tm tm;
		localtime_r(&st.st_mtime, &tm);
		strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
		snprintf(what, len, "restored the live state saved %s from %s%s%s%s", when, file,
		         k ? " (the newer copy could not be read: " : "", k ? why[0] : "", k ? ")" : "");
		if (r->n_unmatched) {
			const size_t at = strlen(what);
			snprintf(what + at, len - at, "; not in this console: %s", r->unmatched);
		}
		snapshot_recall_free(r);
		return 1;
	}
	if (!any)
		return 0;
	snprintf(what, len, "the live state in %s cannot be read (%s%s%s); starting from the config", a->dir, why[0],
	         why[1][0] ? "; the previous copy: " : "", why[1]);
	return -1;
}

/* Builds c's text and hands it to the writer when it differs from the last
 * one handed over. 0, or -1 (err) when out of memory. */
static int hand_over(struct autosave *a, struct console *c, char *err, size_t errlen)
{
	char *text = snapshot_text(c, true);
	if (!text)
		return error_text(err, errlen, "out of memory");
	const uint64_t edits = c->edits;
	if (a->saved && strcmp(text, a->saved) == 0) {
		free(text);
		a->saved_edits = edits, a->saved_current = true;
		return 0;
	}
	char *copy = strdup(text);
	if (!copy) {
		free(text);
		return error_text(err, errlen, "out of memory");
	}
	pthread_mutex_lock(&a->lock);
	free(a->pending); /* not begun: the newer state replaces it */
	a->pending = copy;
	pthread_cond_signal(&a->work);
	pthread_mutex_unlock(&a->lock);
	free(a->saved);
	a->saved = text;
	a->saved_edits = edits, a->saved_current = true;
	return 0;
}

/* What the writer finished since the last look: 0 nothing, 1 it wrote and
 * the latest write succeeded, -1 the latest failed (its error in err); a
 * failed write makes the next check hand the state over again. Caller
 * holds a->lock. */
static int writes_since(struct autosave *a, char *err, size_t errlen)
{
	if (a->writes == a->writes_seen)
		return 0;
	a->writes_seen = a->writes;
	if (a->written_ok)
		return 1;
	snprintf(err, errlen, "%s", a->write_err);
	free(a->saved); /* not on disk: the next check builds and hands it over again */
	a->saved = NULL;
	a->saved_current = false;
	return -1;
}

int autosave_tick(struct autosave *a, struct console *c, double now, char *err, size_t errlen)
{
	if (now < a->next_check)
		return 0;
	a->next_check = now + AUTOSAVE_CHECK_S;
	pthread_mutex_lock(&a->lock);
	const int written = writes_since(a, err, errlen);
	pthread_mutex_unlock(&a->lock);
	bool failed = written < 0;
	if (written > 0)
		a->failing = false;
	/* building a 1,024-strip console's text 4 times a second took 26 % of a core */
	if (!(a->saved_current && c->edits == a->saved_edits) && hand_over(a, c, err, errlen) < 0)
		failed = true;
	const bool newly_failing = failed && !a->failing;
	a->failing = a->failing || failed;
	return newly_failing ? -1 : 0;
}

/* Caller holds a->lock. */
static void wait_idle(struct autosave *a)
{
	while (a->pending || a->writing)
		pthread_cond_wait(&a->idle, &a->lock);
}

void autosave_wait(struct autosave *a)
{
	pthread_mutex_lock(&a->lock);
	wait_idle(a);
	pthread_mutex_unlock(&a->lock);
}

int autosave_now(struct autosave *a, struct console *c, char *err, size_t errlen)
{
	if (hand_over(a, c, err, errlen) < 0)
		return -1;
	pthread_mutex_lock(&a->lock);
	wait_idle(a);
	/* nothing written: what was handed over last is on disk (a failed write
	 * forgets it, and hand_over has just handed it over again) */
	const int written = writes_since(a, err, errlen);
	pthread_mutex_unlock(&a->lock);
	a->failing = written < 0;
	return written < 0 ? -1 : 0;
}
