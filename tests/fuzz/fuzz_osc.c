/* libFuzzer harness: any datagram through the OSC server's handler (our
 * checks, then liblo's parsing and dispatch, then every address's handler)
 * against a console with strips, buses, an aux, a limiter, a monitor, VCAs
 * and a mute group. Built by scripts/fuzz.sh (clang, -fsanitize=fuzzer,
 * address, undefined). */
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "control/config.h"
#include "control/osc.h"
#include "engine/graph.h"

static struct console *con;
static struct engine *eng;
static struct osc_server *srv;

static struct console *get_console(void *ctx) { (void)ctx; return con; }
static struct engine *get_engine(void *ctx) { (void)ctx; return eng; }
static uint32_t get_period(void *ctx) { (void)ctx; return 64; }
static struct loudness *get_loudness(void *ctx) { (void)ctx; return NULL; }

static void set_up(void)
{
	char err[1024];
	con = config_load_text("{\"name\": \"fuzz\", \"buses\": ["
		"{\"name\": \"DX\", \"format\": \"5.1\", \"role\": \"stem\"},"
		"{\"name\": \"PM\", \"format\": \"5.1\", \"role\": \"master\", \"sources\": [\"DX\"], \"limiter\": {}},"
		"{\"name\": \"REV\", \"format\": \"2.0\", \"role\": \"aux\", \"to\": \"DX\"}],"
		" \"strips\": [{\"name\": \"A\", \"bus\": \"DX\"}, {\"name\": \"FX\", \"bus\": \"DX\", \"count\": 3}],"
		" \"monitor\": {\"room\": \"5.1\"}, \"vcas\": [{\"name\": \"DIAL\", \"strips\": [\"A\"]}],"
		" \"mute_groups\": [{\"name\": \"FXM\", \"strips\": [\"FX*\"]}]}", "fuzz", err, sizeof err);
	eng = engine_create(48000);
	struct graph *g = con && eng ? graph_build(con, NULL, 48000, err, sizeof err) : NULL;
	if (!g)
		abort();
	engine_publish(eng, g);
	struct osc_host host = {NULL, get_console, get_engine, get_period, get_loudness, NULL, NULL};
	srv = osc_server_open(&host, "127.0.0.1", 0, err, sizeof err);
	if (!srv)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!srv)
		set_up();
	/* replies go to a port nobody listens on */
	struct sockaddr_in from = {.sin_family = AF_INET, .sin_port = htons(9), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	osc_server_handle(srv, data, size, (const struct sockaddr *)&from, sizeof from);
	osc_server_tick(srv);
	/* commands the RT side would apply: drained as a period would */
	struct graph *g = engine_begin_rt(eng);
	struct graph_ports *p = graph_ports(g);
	static float silence[64], out[64][64];
	for (uint32_t i = 0; i < p->n_in; i++)
		p->in[i] = silence;
	for (uint32_t o = 0; o < p->n_out && o < 64; o++)
		p->out[o] = out[o];
	if (p->n_out <= 64)
		engine_end_rt(eng, g, 64);
	engine_collect(eng, false);
	return 0;
}
