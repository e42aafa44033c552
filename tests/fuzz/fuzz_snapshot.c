/* libFuzzer harness: any bytes as a snapshot file (or the autosaved live
 * state) read against a console: what matches becomes a recall, applied. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control/config.h"
#include "control/snapshot.h"

static struct console *con;
static char dir[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[1024];
	if (!con) {
		con = config_load_text("{\"name\": \"fuzz\", \"buses\": [{\"name\": \"DX\", \"format\": \"7.1.4\", \"role\": \"stem\"},"
		                       "{\"name\": \"REV\", \"format\": \"2.0\", \"role\": \"aux\", \"to\": \"DX\"}],"
		                       " \"strips\": [{\"name\": \"A\", \"bus\": \"DX\"}, {\"name\": \"S\", \"bus\": \"DX\", \"count\": 4}],"
		                       " \"vcas\": [{\"name\": \"V\", \"strips\": [\"A\"]}]}", "fuzz", err, sizeof err);
		snprintf(dir, sizeof dir, "/tmp/dubstage-fuzz-snapshot-%d", (int)getpid());
		mkdir(dir, 0700);
		if (!con)
			abort();
	}
	char path[128];
	snprintf(path, sizeof path, "%s/s.json", dir);
	FILE *f = fopen(path, "wb");
	if (!f)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	struct snapshot_recall *r = snapshot_read(con, dir, "s", 0.0, err, sizeof err);
	if (r) {
		snapshot_recall_apply_model(r, con);
		snapshot_recall_free(r);
	}
	return 0;
}
