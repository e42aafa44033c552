#include "control/print.h"

#include <errno.h>
#include <pthread.h>
#include <sndfile.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "control/folder.h"
#include "control/wavfile.h"
#include "engine/bus_tap.h"

#define RING_SECONDS 4.0 /* how long the disk may stall before frames are lost */

struct print_file {
	struct wavfile *wav;
	uint32_t first;        /* the bus's first channel in a tap record */
	unsigned n_ch;
	unsigned order[LAYOUT_MAX_CHANNELS];
};

struct print_recorder {
	struct engine *engine;
	uint32_t rate;
	bool running;
	struct bus_tap tap;
	pthread_t thread;
	atomic_bool stop;
	struct print_file *files;
	uint32_t n_files, channels;
	bool disk_failed;      /* a write failed: disk_error says why */
	char disk_error[4400];
	bool stamped;          /* the bext time reference is written */
	atomic_uint_fast64_t frames;
	uint64_t since_header;
	struct print_summary summary;
};

struct print_recorder *print_create(struct engine *e, uint32_t sample_rate)
{
	struct print_recorder *p = calloc(1, sizeof *p);
	if (p) {
		p->engine = e;
		p->rate = sample_rate;
	}
	return p;
}

bool print_running(const struct print_recorder *p) { return p->running; }

/* The first record's frame time goes into every file's bext chunk, before
 * any audio (libsndfile writes the chunk with the header). */
static void stamp(struct print_recorder *p, uint64_t frame_time)
{
	SF_BROADCAST_INFO bext;
	memset(&bext, 0, sizeof bext);
	snprintf(bext.description, sizeof bext.description, "dubstage print, take %s", p->summary.take);
	snprintf(bext.originator, sizeof bext.originator, "dubstage %s", DUBSTAGE_VERSION);
	const time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	strftime(bext.origination_date, sizeof bext.origination_date, "%Y-%m-%d", &tm);
	strftime(bext.origination_time, sizeof bext.origination_time, "%H:%M:%S", &tm);
	bext.time_reference_low = (uint32_t)frame_time;
	bext.time_reference_high = (uint32_t)(frame_time >> 32);
	bext.version = 1;
	for (uint32_t k = 0; k < p->n_files; k++)
		sf_command(wavfile_sndfile(p->files[k].wav), SFC_SET_BROADCAST_INFO, &bext, sizeof bext);
	p->stamped = true;
}

static void write_record(struct print_recorder *p, const struct bus_tap_header *h, const float *data)
{
	if (h->channels != p->channels || p->disk_failed) { /* a reload changed the buses, or the disk failed */
		record_ring_count_lost(&p->tap.ring, h->frames);
		return;
	}
	if (!p->stamped)
		stamp(p, h->frame_time);
	for (uint32_t k = 0; k < p->n_files; k++) {
		const struct print_file *f = &p->files[k];
		const float *channel[LAYOUT_MAX_CHANNELS];
		for (unsigned c = 0; c < f->n_ch; c++)
			channel[c] = data + (size_t)(f->first + f->order[c]) * h->frames;
		if (wavfile_write(f->wav, channel, h->frames, NULL, p->disk_error, sizeof p->disk_error) < 0) {
			p->disk_failed = true; /* print_stop reports it; the files keep what they hold */
			record_ring_count_lost(&p->tap.ring, h->frames);
			return;
		}
	}
	atomic_fetch_add(&p->frames, h->frames);
	p->since_header += h->frames;
	if (p->since_header >= p->rate) { /* readable up to here after a crash */
		p->since_header -= p->rate; /* on the second, not drifting by the record's remainder */
		for (uint32_t k = 0; k < p->n_files && !p->disk_failed; k++)
			p->disk_failed = wavfile_sync(p->files[k].wav, p->disk_error, sizeof p->disk_error) < 0;
	}
}

static void *disk_thread(void *arg)
{
	struct print_recorder *p = arg;
	for (;;) {
		struct bus_tap_header h;
		const float *data;
		if (bus_tap_read(&p->tap, &h, &data)) {
			write_record(p, &h, data);
			bus_tap_done(&p->tap);
			continue;
		}
		if (atomic_load(&p->stop))
			return NULL;
		nanosleep(&(struct timespec){0, 2000000}, NULL);
	}
}

/* Writes what the files still buffer and closes them; returns the frames
 * every file holds (after a disk error, fewer than were fed: what sat in a
 * file's buffer when the disk failed is lost). */
static uint64_t close_files(struct print_recorder *p)
{
	uint64_t held = UINT64_MAX;
	for (uint32_t k = 0; k < p->n_files; k++) {
		char err[sizeof p->disk_error];
		const bool synced = wavfile_sync(p->files[k].wav, err, sizeof err) == 0;
		const uint64_t frames = wavfile_frames_written(p->files[k].wav);
		held = frames < held ? frames : held;
		const bool closed = wavfile_close(p->files[k].wav, synced ? err : NULL, sizeof err) == 0;
		if (!(synced && closed) && !p->disk_failed) { /* the first error is the one to report */
			p->disk_failed = true;
			memcpy(p->disk_error, err, sizeof err);
		}
	}
	free(p->files);
	p->files = NULL;
	p->n_files = 0;
	return held;
}

int print_start(struct print_recorder *p, const struct console *c, const char *dir, const char *take,
                const char *const *buses, uint32_t n_buses, char *err, size_t errlen)
{
	if (p->running) {
		snprintf(err, errlen, "take %s is printing: stop it first", p->summary.take);
		return -1;
	}
	memset(&p->summary, 0, sizeof p->summary);
	char made[64];
	bool chosen[CONSOLE_MAX_BUSES] = {false};
	for (uint32_t k = 0; k < n_buses; k++) { /* before anything is made */
		const int b = console_find_bus(c, buses[k]);
		if (b < 0) {
			snprintf(err, errlen, "no bus named %s", buses[k]);
			return -1;
		}
		if (c->buses[b].role == BUS_ROLE_AUX) {
			snprintf(err, errlen, "%s is an aux bus (its outputs are sends): stems and masters print", buses[k]);
			return -1;
		}
		chosen[b] = true;
	}
	if (!take || !take[0]) {
		const time_t now = time(NULL);
		struct tm tm;
		localtime_r(&now, &tm);
		strftime(made, sizeof made, "take-%Y%m%d-%H%M%S", &tm);
		take = made;
	}
	if (!take[0] || take[0] == '.' || strchr(take, '/') || strlen(take) >= sizeof p->summary.take) {
		snprintf(err, errlen, "\"%s\" is not a take name (no slash, not starting with a dot)", take);
		return -1;
	}
	snprintf(p->summary.take, sizeof p->summary.take, "%s", take);
	snprintf(p->summary.folder, sizeof p->summary.folder, "%s/%s", dir, take);
	struct stat st;
	if (stat(p->summary.folder, &st) == 0) {
		snprintf(err, errlen, "take %s exists already in %s: choose another name", take, dir);
		return -1;
	}
	if (folder_make(p->summary.folder, err, errlen) < 0)
		return -1;
	p->files = calloc(c->n_buses + 1, sizeof *p->files);
	if (!p->files) {
		close_files(p);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	uint32_t channel = 0;
	for (uint32_t b = 0; b < c->n_buses; b++) {
		const struct layout *l = layout_get(c->buses[b].format);
		const uint32_t first = channel;
		channel += l->channels;
		if (c->buses[b].role == BUS_ROLE_AUX || (n_buses && !chosen[b]))
			continue;
		struct print_file *f = &p->files[p->n_files];
		char path[4300];
		snprintf(path, sizeof path, "%s/%s.wav", p->summary.folder, c->buses[b].name);
		f->wav = wavfile_create(path, c->buses[b].format, l->channels, p->rate, false, err, errlen);
		if (!f->wav) {
			close_files(p);
			return -1;
		}
		f->first = first;
		f->n_ch = l->channels;
		wavfile_order(c->buses[b].format, f->order);
		p->n_files++;
	}
	p->channels = channel;
	/* the ring: RING_SECONDS of every bus channel */
	if (bus_tap_init(&p->tap, (size_t)(RING_SECONDS * p->rate) * (channel + 1) * sizeof(float) + 65536) < 0) {
		close_files(p);
		snprintf(err, errlen, "out of memory for the print ring");
		return -1;
	}
	p->stamped = false;
	p->disk_failed = false;
	p->since_header = 0;
	atomic_store(&p->frames, 0);
	atomic_store(&p->stop, false);
	if (pthread_create(&p->thread, NULL, disk_thread, p) != 0) {
		bus_tap_free(&p->tap);
		close_files(p);
		snprintf(err, errlen, "cannot start the print's disk thread");
		return -1;
	}
	pthread_setname_np(p->thread, "dubstage-print"); /* for top -H and /proc/PID/task */
	p->running = true;
	p->summary.files = p->n_files;
	engine_set_print_tap(p->engine, &p->tap); /* from the next period on */
	return 0;
}

void print_drain(struct print_recorder *p)
{
	while (p->running && !record_ring_idle(&p->tap.ring))
		nanosleep(&(struct timespec){0, 1000000}, NULL);
}

void print_status(struct print_recorder *p, struct print_summary *out)
{
	*out = p->summary;
	out->frames = atomic_load(&p->frames);
	out->lost_frames = p->running ? record_ring_lost_frames(&p->tap.ring) : p->summary.lost_frames;
}

int print_stop(struct print_recorder *p, struct print_summary *out, char *err, size_t errlen)
{
	if (!p->running) {
		snprintf(err, errlen, "no take is printing");
		return -1;
	}
	engine_set_print_tap(p->engine, NULL); /* returns when the RT thread has let go */
	atomic_store(&p->stop, true);          /* the disk thread writes what is left, then ends */
	pthread_join(p->thread, NULL);
	const uint64_t fed = atomic_load(&p->frames);
	const uint64_t held = close_files(p);
	p->summary.frames = held < fed ? held : fed;
	p->summary.lost_frames = record_ring_lost_frames(&p->tap.ring) + (fed - p->summary.frames);
	bus_tap_free(&p->tap);
	p->running = false;
	if (out)
		*out = p->summary;
	if (p->disk_failed) { /* the take is stopped all the same; say what it holds */
		snprintf(err, errlen, "take %s: %s; the files hold %.2f s", p->summary.take, p->disk_error,
		         (double)p->summary.frames / p->rate);
		return -1;
	}
	return 0;
}

void print_destroy(struct print_recorder *p)
{
	if (!p)
		return;
	char err[64];
	if (p->running)
		print_stop(p, NULL, err, sizeof err);
	free(p);
}
