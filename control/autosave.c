#include "control/autosave.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "control/error_text.h"
#include "control/folder.h"
#include "control/snapshot.h"

struct autosave {
	char dir[4096];
	char name[SNAPSHOT_NAME_MAX - 16]; /* the config file's name without .json: "<name>.live.json" */
	char path[4300];
	char *saved;       /* the text last written (or restored), NULL before */
	uint64_t saved_edits; /* the console's edits when `saved` was found to match it */
	bool saved_current;   /* saved_edits is known: until the console's edits move, nothing is built */
	double next_check;
	bool failing;
};

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
	return a;
}

void autosave_destroy(struct autosave *a)
{
	if (a)
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

static int save(struct autosave *a, struct console *c, char *err, size_t errlen)
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
	char file[SNAPSHOT_NAME_MAX + 16], previous[SNAPSHOT_NAME_MAX + 16];
	snprintf(file, sizeof file, "%s.live.json", a->name);
	snprintf(previous, sizeof previous, "%s.live.prev.json", a->name);
	if (folder_make(a->dir, err, errlen) < 0 ||
	    folder_write_file(a->dir, file, text, strlen(text), previous, err, errlen) < 0) {
		free(text);
		return -1;
	}
	free(a->saved);
	a->saved = text;
	a->saved_edits = edits, a->saved_current = true;
	return 0;
}

int autosave_tick(struct autosave *a, struct console *c, double now, char *err, size_t errlen)
{
	if (now < a->next_check)
		return 0;
	a->next_check = now + AUTOSAVE_CHECK_S;
	if (a->saved_current && c->edits == a->saved_edits)
		return 0; /* building a 1,024-strip console's text 4 times a second took 26 % of a core */
	const bool ok = save(a, c, err, errlen) == 0;
	const bool newly_failing = !ok && !a->failing;
	a->failing = !ok;
	return newly_failing ? -1 : 0;
}

int autosave_now(struct autosave *a, struct console *c, char *err, size_t errlen) { return save(a, c, err, errlen); }
