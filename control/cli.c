#include "control/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "control/autosave.h"
#include "control/config.h"
#include "control/print.h"
#include "control/render.h"
#include "control/osc.h"
#include "engine/bench.h"
#include "engine/jack_host.h"

#define EXIT_RUNTIME 1
#define EXIT_USAGE 2

static const char usage[] =
	"usage: dubstage run CONFIG [--name NAME] [--server NAME] [--osc-port PORT] [--osc-bind ADDR] [--fresh]\n"
	"                    [--threads 1|2]\n"
	"       dubstage check CONFIG\n"
	"       dubstage bench CONFIG [--period FRAMES] [--rate HZ] [--seconds S] [--threads 1|2] [--rebuild N]\n"
	"       dubstage render CONFIG --input STRIP=FILE ... --out DIR [--snapshot NAME] [--split] [--float]\n"
	"       dubstage --help | --version\n"
	"\n"
	"run     start the console as a JACK client (the server must be running; the\n"
	"        JACK server is $JACK_DEFAULT_SERVER or --server). OSC on UDP, default\n"
	"        127.0.0.1:9000. SIGINT/SIGTERM stop, SIGHUP reloads CONFIG. The mix is\n"
	"        autosaved into the config's \"state\" folder and restored at the next\n"
	"        start; --fresh starts from CONFIG alone. --threads 2 (the default on a\n"
	"        machine with two cores or more) shares the strips of a console of 32 or\n"
	"        more with a second RT thread; the output is the same either way.\n"
	"check   validate CONFIG and print what it describes\n"
	"bench   run the real process function offline on generated input and print\n"
	"        the time per period (defaults: 64 frames, 48000 Hz, 10 s, 1 thread);\n"
	"        --rebuild N: every Nth period takes over a graph rebuilt from CONFIG\n"
	"render  run the console offline over sound files and write every stem and\n"
	"        master as WAV (24-bit, or --float; --split: one mono file per channel\n"
	"        of buses wider than 8) and report.json with their loudness\n";

struct run_options {
	const char *config;
	const char *name;
	const char *server;
	const char *osc_bind;
	unsigned osc_port;
	unsigned threads;      /* 1: the process thread alone; 2: and a worker */
	bool fresh;            /* --fresh: the config alone, not the autosaved live state */
};

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static bool parse_uint(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *end || end == s || v < lo || v > hi || s[0] == '-')
		return false;
	*out = v;
	return true;
}

static struct console *load_or_report(const char *path)
{
	char err[1024];
	struct console *c = config_load_file(path, err, sizeof err);
	if (!c)
		fprintf(stderr, "dubstage: %s\n", err);
	return c;
}

static int cmd_check(int argc, char **argv)
{
	if (argc != 1) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	struct console *c = load_or_report(argv[0]);
	if (!c)
		return EXIT_USAGE;
	printf("%s: ok: \"%s\", %u strips, %u buses, %u JACK ports (%u in, %u out)\n", argv[0],
	       c->name, c->n_strips, c->n_buses,
	       console_input_port_count(c) + console_output_port_count(c),
	       console_input_port_count(c), console_output_port_count(c));
	console_free(c);
	return 0;
}

/* Two threads where there are two cores to run them. */
static unsigned default_threads(void)
{
	return sysconf(_SC_NPROCESSORS_ONLN) >= 2 ? 2 : 1;
}

static int cmd_bench(int argc, char **argv)
{
	struct bench_options o = {64, 48000, 10.0, 1, 0};
	const char *config = NULL;
	for (int i = 0; i < argc; i++) {
		unsigned long v;
		if (strcmp(argv[i], "--period") == 0 && i + 1 < argc && parse_uint(argv[i + 1], 16, 8192, &v)) {
			o.period = (uint32_t)v;
			i++;
		} else if (strcmp(argv[i], "--rate") == 0 && i + 1 < argc &&
		           parse_uint(argv[i + 1], 8000, 384000, &v)) {
			o.rate = (uint32_t)v;
			i++;
		} else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc &&
		           parse_uint(argv[i + 1], 1, 3600, &v)) {
			o.seconds = (double)v;
			i++;
		} else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc && parse_uint(argv[i + 1], 1, 2, &v)) {
			o.threads = (unsigned)v;
			i++;
		} else if (strcmp(argv[i], "--rebuild") == 0 && i + 1 < argc && parse_uint(argv[i + 1], 1, 1000000, &v)) {
			o.rebuild_every = (uint32_t)v;
			i++;
		} else if (!config && argv[i][0] != '-') {
			config = argv[i];
		} else {
			fprintf(stderr, "dubstage bench: bad argument \"%s\"\n%s", argv[i], usage);
			return EXIT_USAGE;
		}
	}
	if (!config) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	struct console *c = load_or_report(config);
	if (!c)
		return EXIT_USAGE;
	struct bench_result r;
	char err[512];
	int rc = bench_run(c, &o, &r, err, sizeof err);
	if (rc == 0)
		bench_print(&r, &o, stdout);
	else
		fprintf(stderr, "dubstage bench: %s\n", err);
	console_free(c);
	return rc == 0 ? 0 : EXIT_RUNTIME;
}

static struct console *host_console(void *ctx) { return jack_host_console(ctx); }
static struct engine *host_engine(void *ctx) { return jack_host_engine(ctx); }
static uint32_t host_period(void *ctx) { return jack_host_period(ctx); }
static struct loudness *host_loudness(void *ctx) { return jack_host_loudness(ctx); }
static bool host_online(void *ctx, const char **why)
{
	*why = jack_host_shutdown_reason(ctx);
	return jack_host_online(ctx);
}

static void reload(struct jack_host *h, const char *path)
{
	char err[1024];
	struct console *c = config_load_file(path, err, sizeof err);
	if (!c) {
		fprintf(stderr, "dubstage: reload refused, the running console is unchanged: %s\n", err);
		return;
	}
	console_carry_params(c, jack_host_console(h));
	if (jack_host_load(h, c, err, sizeof err) < 0) {
		fprintf(stderr, "dubstage: reload refused, the running console is unchanged: %s\n", err);
		console_free(c);
		return;
	}
	fprintf(stderr, "dubstage: reloaded %s: %u strips, %u buses\n", path, c->n_strips, c->n_buses);
}

/* Keeps the engine's memory resident so the RT thread never waits on a page
 * fault. Locking future mappings too is only safe when the memlock limit is
 * unlimited: otherwise later allocations would fail at the limit. */
static void lock_memory(void)
{
	struct rlimit rl;
	const bool unlimited = getrlimit(RLIMIT_MEMLOCK, &rl) == 0 && rl.rlim_cur == RLIM_INFINITY;
	if (mlockall(MCL_CURRENT | (unlimited ? MCL_FUTURE : 0)) != 0)
		fprintf(stderr, "dubstage: note: cannot lock memory (%s); page faults may cost "
		        "a period now and then\n", strerror(errno));
}

/* The control thread (and the meter and disk threads it starts after this)
 * ahead of ordinary programs, still below JACK's real-time threads: a
 * surface's move must get through, and its feedback back, even when the
 * machine is busy or something floods the OSC port. */
#define CONTROL_NICE (-10)
static void raise_control_priority(void)
{
	if (setpriority(PRIO_PROCESS, 0, CONTROL_NICE) != 0)
		fprintf(stderr, "dubstage: note: cannot raise the control thread's priority to nice %d (%s); a busy "
		        "machine may delay OSC\n", CONTROL_NICE, strerror(errno));
}

static int cmd_render(int argc, char **argv)
{
	static struct render_options o;
	memset(&o, 0, sizeof o);
	o.progress = isatty(STDERR_FILENO);
	const char *config = NULL;
	for (int i = 0; i < argc; i++) {
		const bool has_value = i + 1 < argc;
		if (strcmp(argv[i], "--input") == 0 && has_value && strchr(argv[i + 1], '=') &&
		    o.n_inputs < RENDER_MAX_INPUTS) {
			char *eq = strchr(argv[++i], '=');
			*eq = '\0';
			o.inputs[o.n_inputs++] = (struct render_input){argv[i], eq + 1};
		} else if (strcmp(argv[i], "--out") == 0 && has_value) {
			o.out_dir = argv[++i];
		} else if (strcmp(argv[i], "--snapshot") == 0 && has_value) {
			o.snapshot = argv[++i];
		} else if (strcmp(argv[i], "--split") == 0) {
			o.split = true;
		} else if (strcmp(argv[i], "--float") == 0) {
			o.float_out = true;
		} else if (!config && argv[i][0] != '-') {
			config = argv[i];
		} else {
			fprintf(stderr, "dubstage render: bad argument \"%s\"\n%s", argv[i], usage);
			return EXIT_USAGE;
		}
	}
	if (!config || !o.out_dir || o.n_inputs == 0) {
		fprintf(stderr, "dubstage render: needs CONFIG, --out DIR and at least one --input STRIP=FILE\n%s", usage);
		return EXIT_USAGE;
	}
	struct console *c = load_or_report(config);
	if (!c)
		return EXIT_USAGE;
	struct render_result r;
	char err[1024];
	const int rc = render_run(c, &o, &r, err, sizeof err);
	if (rc == 0)
		printf("dubstage render: %u files and report.json in %s: %.1f s of audio in %.2f s (%.0fx real time)\n",
		       r.files, o.out_dir, (double)r.frames / r.rate, r.seconds, r.realtime);
	else
		fprintf(stderr, "dubstage render: %s\n", err);
	console_free(c);
	return rc == 0 ? 0 : EXIT_USAGE;
}

static int cmd_run(int argc, char **argv)
{
	struct run_options o = {NULL, "dubstage", NULL, "127.0.0.1", 9000, default_threads(), false};
	for (int i = 0; i < argc; i++) {
		unsigned long v;
		const bool has_value = i + 1 < argc;
		if (strcmp(argv[i], "--name") == 0 && has_value) {
			o.name = argv[++i];
		} else if (strcmp(argv[i], "--server") == 0 && has_value) {
			o.server = argv[++i];
		} else if (strcmp(argv[i], "--osc-bind") == 0 && has_value) {
			o.osc_bind = argv[++i];
		} else if (strcmp(argv[i], "--osc-port") == 0 && has_value) {
			if (!parse_uint(argv[i + 1], 0, 65535, &v)) {
				fprintf(stderr, "dubstage: --osc-port: \"%s\" is not a port number (0 ... 65535)\n",
				        argv[i + 1]);
				return EXIT_USAGE;
			}
			o.osc_port = (unsigned)v;
			i++;
		} else if (strcmp(argv[i], "--threads") == 0 && has_value) {
			if (!parse_uint(argv[i + 1], 1, 2, &v)) {
				fprintf(stderr, "dubstage: --threads: \"%s\" is not 1 or 2\n", argv[i + 1]);
				return EXIT_USAGE;
			}
			o.threads = (unsigned)v;
			i++;
		} else if (strcmp(argv[i], "--fresh") == 0) {
			o.fresh = true;
		} else if (!o.config && argv[i][0] != '-') {
			o.config = argv[i];
		} else {
			fprintf(stderr, "dubstage run: bad argument \"%s\"\n%s", argv[i], usage);
			return EXIT_USAGE;
		}
	}
	if (!o.config) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	struct console *c = load_or_report(o.config);
	if (!c)
		return EXIT_USAGE;
	struct autosave *save = c->state_dir ? autosave_create(c->state_dir, o.config) : NULL;
	if (save && !o.fresh) { /* the mix as it was when the console last ran (or crashed) */
		char what[2048];
		const int restored = autosave_restore(save, c, what, sizeof what);
		if (restored != 0)
			fprintf(stderr, "dubstage: %s\n", what);
	}

	/* Signals are read from a signalfd by this (control) thread; blocking them
	 * before JACK starts its threads keeps them off the RT thread. */
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	int sfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
	int wake[2];
	if (sfd < 0 || pipe2(wake, O_CLOEXEC | O_NONBLOCK) < 0) {
		perror("dubstage: signalfd/pipe");
		console_free(c);
		return EXIT_RUNTIME;
	}

	lock_memory();
	raise_control_priority();
	char err[1024];
	struct jack_host *h = jack_host_open(o.name, o.server, wake[1], err, sizeof err);
	if (!h) {
		fprintf(stderr, "dubstage: %s\n", err);
		console_free(c);
		return EXIT_RUNTIME;
	}
	if (o.threads > 1 && engine_start_worker(jack_host_engine(h), jack_host_rt_priority(h), err, sizeof err) < 0)
		fprintf(stderr, "dubstage: warning: %s; every strip runs on the process thread\n", err);
	else if (o.threads > 1 && err[0])
		fprintf(stderr, "dubstage: warning: %s\n", err);
	if (jack_host_load(h, c, err, sizeof err) < 0) {
		fprintf(stderr, "dubstage: %s\n", err);
		console_free(c);
		jack_host_close(h);
		return EXIT_RUNTIME;
	}
	struct print_recorder *printer = print_create(jack_host_engine(h), jack_host_sample_rate(h));
	struct osc_host oh = {h, host_console, host_engine, host_period, host_loudness, printer, host_online};
	struct osc_server *osc = osc_server_open(&oh, o.osc_bind, (uint16_t)o.osc_port, err, sizeof err);
	if (!osc || jack_host_activate(h, err, sizeof err) < 0) {
		fprintf(stderr, "dubstage: %s\n", err);
		osc_server_close(osc);
		print_destroy(printer);
		jack_host_close(h);
		return EXIT_RUNTIME;
	}
	c = jack_host_console(h);
	printf("dubstage %s: console \"%s\" running as JACK client \"%s\" (%u Hz, %u frames): "
	       "%u input ports, %u output ports, %u strips, %u buses; OSC on udp %s:%u\n",
	       DUBSTAGE_VERSION, c->name, jack_host_client_name(h), jack_host_sample_rate(h),
	       jack_host_period(h), console_input_port_count(c), console_output_port_count(c),
	       c->n_strips, c->n_buses, o.osc_bind, osc_server_port(osc));
	for (uint32_t b = 0; b < c->n_buses; b++)
		if (c->buses[b].has_limiter) {
			const uint32_t frames = graph_bus_latency(engine_graph(jack_host_engine(h)), b);
			printf("dubstage: master %s has a true-peak limiter: its outputs are %u frames (%.2f ms) "
			       "later than its stems\n", c->buses[b].name, frames,
			       1000.0 * frames / jack_host_sample_rate(h));
		}
	fflush(stdout);

	int status = 0;
	double retry_at = 0.0, retry_every = 0.1;
	bool offline = false;
	for (bool running = true; running;) {
		struct pollfd fds[3] = {{osc_server_fd(osc), POLLIN, 0}, {sfd, POLLIN, 0}, {wake[0], POLLIN, 0}};
		const int wait = osc_server_timeout_ms(osc);
		poll(fds, 3, wait < 100 ? wait : 100);
		if (fds[0].revents & POLLIN)
			osc_server_poll(osc);
		osc_server_tick(osc);
		struct signalfd_siginfo si;
		while (read(sfd, &si, sizeof si) == sizeof si) {
			if (si.ssi_signo == SIGHUP)
				reload(h, o.config);
			else if (si.ssi_signo == SIGINT || si.ssi_signo == SIGTERM)
				running = false;
		}
		/* The server gone: the console stays up, OSC answers, and the client
		 * comes back by itself when a server does (tries at most every 2 s). */
		if (jack_host_is_shut_down(h) && !offline) {
			offline = true;
			fprintf(stderr, "dubstage: audio offline: the JACK server shut the client down (%s); "
			        "reconnecting when it is back\n", jack_host_shutdown_reason(h));
			jack_host_lost(h);
			osc_server_notify_status(osc);
			retry_at = now_s() + 0.1;
			retry_every = 0.1;
		}
		if (!jack_host_online(h) && now_s() >= retry_at) {
			if (jack_host_reconnect(h, err, sizeof err) == 0) {
				offline = false;
				fprintf(stderr, "dubstage: audio online again: JACK client \"%s\" (%u Hz, %u frames), "
				        "ports and connections restored\n", jack_host_client_name(h), jack_host_sample_rate(h),
				        jack_host_period(h));
				osc_server_notify_status(osc);
			} else {
				retry_every = retry_every * 2 < 2.0 ? retry_every * 2 : 2.0;
				retry_at = now_s() + retry_every;
			}
		} else if (jack_host_online(h) && now_s() >= retry_at) {
			jack_host_reconnect(h, err, sizeof err); /* connections whose other end was not back yet */
			retry_at = now_s() + 1.0;
		}
		jack_host_track_connections(h);
		engine_collect(jack_host_engine(h), false);
		if (save && autosave_tick(save, jack_host_console(h), now_s(), err, sizeof err) < 0)
			fprintf(stderr, "dubstage: cannot save the live state (the last saved copy stays): %s\n", err);
	}
	if (save && autosave_now(save, jack_host_console(h), err, sizeof err) < 0)
		fprintf(stderr, "dubstage: cannot save the live state at stop: %s\n", err);
	autosave_destroy(save);
	struct engine_load l = engine_load(jack_host_engine(h));
	fprintf(stderr, "dubstage: stopping after %llu periods: callback p50 %.1f %%, p99 %.1f %%, "
	        "max %.1f %% of the period (period %llu; %llu periods at or over 50 %%, %llu at or over 100 %%); "
	        "callback start after its cycle began p50 %.1f %%, p99 %.1f %%, max %.1f %%; %llu periods still running "
	        "when the next cycle began; %u xruns\n", (unsigned long long)l.periods, 100.0 * l.p50, 100.0 * l.p99,
	        100.0 * l.max, (unsigned long long)l.max_period, (unsigned long long)l.over_half, (unsigned long long)l.over_budget,
	        100.0 * l.wake_p50, 100.0 * l.wake_p99, 100.0 * l.wake_max, (unsigned long long)l.late_finishes,
	        engine_xruns(jack_host_engine(h)));
	osc_server_close(osc);
	print_destroy(printer); /* a print still running is finished while the RT thread runs */
	jack_host_close(h);
	close(sfd);
	close(wake[0]);
	close(wake[1]);
	return status;
}

int cli_main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(usage, stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("dubstage %s\n", DUBSTAGE_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "run") == 0)
		return cmd_run(argc - 2, argv + 2);
	if (strcmp(argv[1], "check") == 0)
		return cmd_check(argc - 2, argv + 2);
	if (strcmp(argv[1], "bench") == 0)
		return cmd_bench(argc - 2, argv + 2);
	if (strcmp(argv[1], "render") == 0)
		return cmd_render(argc - 2, argv + 2);
	fprintf(stderr, "dubstage: unknown command \"%s\"\n%s", argv[1], usage);
	return EXIT_USAGE;
}
