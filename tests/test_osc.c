#include <arpa/inet.h>
#include <lo/lo.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "control/allowlist.h"
#include "control/config.h"
#include "control/osc.h"
#include "control/profile.h"
#include "engine/loudness.h"
#include "dsp/true_peak.h"
#include "tests/check_main.h"

static struct engine *eng;
static struct loudness *loud;
static struct console *con;
static struct osc_server *srv;
static int client = -1;
static struct sockaddr_in server_addr;

static struct console *get_console(void *ctx) { (void)ctx; return con; }
static struct engine *get_engine(void *ctx) { (void)ctx; return eng; }
static uint32_t get_period(void *ctx) { (void)ctx; return 64; }
static struct loudness *get_loudness(void *ctx) { (void)ctx; return loud; }

static void setup(void)
{
	char err[512];
	con = config_load_text("{\"name\": \"t\", \"buses\": ["
		"{\"name\": \"DX\", \"format\": \"5.1\", \"role\": \"stem\"},"
		"{\"name\": \"PM\", \"format\": \"5.1\", \"role\": \"master\", \"sources\": [\"DX\"], \"limiter\": {}},"
		"{\"name\": \"REV\", \"format\": \"2.0\", \"role\": \"aux\", \"to\": \"DX\"}],"
		" \"strips\": [{\"name\": \"A\", \"bus\": \"DX\"}, {\"name\": \"B\", \"bus\": \"DX\"},"
		" {\"name\": \"FX\", \"bus\": \"DX\", \"count\": 3}], \"monitor\": {\"room\": \"5.1\"},"
		" \"vcas\": [{\"name\": \"DIAL\", \"strips\": [\"A\", \"B\"]}],"
		" \"mute_groups\": [{\"name\": \"FXM\", \"strips\": [\"FX*\"]}]}",
		"t", err, sizeof err);
	ck_assert_msg(con != NULL, "%s", err);
	eng = engine_create(48000);
	struct graph *g = graph_build(con, NULL, 48000, err, sizeof err);
	ck_assert(g != NULL);
	loud = loudness_create(48000, 0.1f, err, sizeof err);
	ck_assert_msg(loud != NULL, "%s", err);
	ck_assert_int_eq(loudness_set_buses(loud, engine_next_generation(eng), con, err, sizeof err), 0);
	engine_set_loudness(eng, loud);
	engine_publish(eng, g);
	struct osc_host host = {NULL, get_console, get_engine, get_period, get_loudness, NULL, NULL};
	srv = osc_server_open(&host, "127.0.0.1", 0, err, sizeof err);
	ck_assert_msg(srv != NULL, "%s", err);
	client = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in any = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	ck_assert_int_eq(bind(client, (struct sockaddr *)&any, sizeof any), 0);
	server_addr = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons(osc_server_port(srv)),
	                                   .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
}

static void teardown(void)
{
	osc_server_close(srv);
	engine_destroy(eng);
	loudness_destroy(loud);
	console_free(con);
	close(client);
}

static void send_raw(const void *data, size_t n)
{
	ck_assert_int_eq(sendto(client, data, n, 0, (struct sockaddr *)&server_addr, sizeof server_addr), (ssize_t)n);
	osc_server_poll(srv);
}

static void send_msg(const char *path, lo_message m)
{
	char buf[4096];
	size_t n = sizeof buf;
	ck_assert(lo_message_serialise(m, path, buf, &n) != NULL);
	lo_message_free(m);
	send_raw(buf, n);
}

static void send_f(const char *path, float v)
{
	lo_message m = lo_message_new();
	lo_message_add_float(m, v);
	send_msg(path, m);
}

static void send_i(const char *path, int v)
{
	lo_message m = lo_message_new();
	lo_message_add_int32(m, v);
	send_msg(path, m);
}

static void send_s(const char *path, const char *v)
{
	lo_message m = lo_message_new();
	lo_message_add_string(m, v);
	send_msg(path, m);
}

static void send_query(const char *path) { send_msg(path, lo_message_new()); }

/* The next reply, or false when none came within 200 ms. */
struct reply {
	char path[256];
	char types[64];
	lo_arg **argv;
	lo_message msg;
};

static bool recv_reply(struct reply *r)
{
	static char buf[9000];
	struct pollfd p = {client, POLLIN, 0};
	if (poll(&p, 1, 200) != 1)
		return false;
	ssize_t n = recv(client, buf, sizeof buf, 0);
	ck_assert_int_gt(n, 0);
	int result;
	if (r->msg)
		lo_message_free(r->msg);
	r->msg = lo_message_deserialise(buf, (size_t)n, &result);
	ck_assert_msg(r->msg != NULL, "reply is not OSC (%d)", result);
	snprintf(r->path, sizeof r->path, "%.255s", buf);
	snprintf(r->types, sizeof r->types, "%s", lo_message_get_types(r->msg));
	r->argv = lo_message_get_argv(r->msg);
	return true;
}

static void expect_error(const char *fragment)
{
	struct reply r = {0};
	ck_assert_msg(recv_reply(&r), "no reply; expected an error with \"%s\"", fragment);
	ck_assert_str_eq(r.path, "/error");
	ck_assert_str_eq(r.types, "s");
	ck_assert_msg(strstr(&r.argv[0]->s, fragment) != NULL, "error \"%s\" lacks \"%s\"", &r.argv[0]->s, fragment);
	lo_message_free(r.msg);
}

static void expect_silence(void)
{
	struct reply r = {0};
	ck_assert_msg(!recv_reply(&r), "unexpected reply %s", r.path);
}

START_TEST(info_answers_the_sender)
{
	send_query("/info");
	struct reply r = {0};
	ck_assert(recv_reply(&r));
	ck_assert_str_eq(r.path, "/info");
	ck_assert_str_eq(r.types, "siiiifffi");
	ck_assert_str_eq(&r.argv[0]->s, DUBSTAGE_VERSION);
	ck_assert_int_eq(r.argv[1]->i, 48000);
	ck_assert_int_eq(r.argv[2]->i, 64);
	ck_assert_int_eq(r.argv[3]->i, 5);
	ck_assert_int_eq(r.argv[4]->i, 3);
	lo_message_free(r.msg);
}
END_TEST

START_TEST(set_and_query_by_number_and_name)
{
	send_f("/strip/1/fader", -6.5f);
	expect_silence();
	ck_assert_float_eq(con->strips[0].params.fader_db, -6.5f);
	send_query("/strip/A/fader");
	struct reply r = {0};
	ck_assert(recv_reply(&r));
	ck_assert_str_eq(r.path, "/strip/A/fader");
	ck_assert_str_eq(r.types, "f");
	ck_assert_float_eq(r.argv[0]->f, -6.5f);
	send_i("/strip/FX2/mute", 1);
	ck_assert(con->strips[3].params.mute);
	send_i("/strip/2/trim", 3); /* an int for a float parameter */
	ck_assert_float_eq(con->strips[1].params.trim_db, 3.0f);
	lo_message m = lo_message_new();
	lo_message_add_true(m);
	send_msg("/strip/B/polarity", m);
	ck_assert(con->strips[1].params.polarity_inverted);
	send_f("/strip/B/pan", 110.0f);
	ck_assert_float_eq(con->strips[1].params.pan_azimuth_deg, 110.0f);
	send_f("/strip/B/pan/az", -45.0f);
	send_f("/strip/B/pan/el", 30.0f);
	ck_assert_float_eq(con->strips[1].params.pan_azimuth_deg, -45.0f);
	ck_assert_float_eq(con->strips[1].params.pan_elevation_deg, 30.0f);
	/* room position: pans by x/y/z from now on; az/el follow for display */
	ck_assert(!con->strips[1].params.pan_room);
	send_f("/strip/B/pan/x", -1.0f);
	send_f("/strip/B/pan/y", -1.0f);
	send_f("/strip/B/pan/z", 0.0f);
	ck_assert(con->strips[1].params.pan_room);
	ck_assert_float_eq(con->strips[1].params.pan_x, -1.0f);
	send_query("/strip/B/pan/az");
	ck_assert(recv_reply(&r));
	ck_assert_float_eq_tol(r.argv[0]->f, 110.0f, 1e-3); /* BS.2127's rear-left corner */
	send_f("/strip/B/pan/az", 0.0f);
	ck_assert(!con->strips[1].params.pan_room);
	send_query("/strip/B/pan/y");
	ck_assert(recv_reply(&r));
	ck_assert_float_eq_tol(r.argv[0]->f, 1.0f, 1e-6); /* straight ahead is the screen wall */
	send_f("/strip/B/pan/z", 3.0f); /* clamped to the ceiling, fed back */
	ck_assert(recv_reply(&r));
	ck_assert_str_eq(r.path, "/strip/B/pan/z");
	ck_assert_float_eq(r.argv[0]->f, 1.0f);
	send_f("/bus/DX/fader", -3.0f);
	send_i("/bus/2/mute", 1);
	ck_assert_float_eq(con->buses[0].params.fader_db, -3.0f);
	ck_assert(con->buses[1].params.mute);
	send_query("/bus/2/mute");
	ck_assert(recv_reply(&r));
	ck_assert_str_eq(r.types, "i");
	ck_assert_int_eq(r.argv[0]->i, 1);
	send_f("/strip/1/fader", -INFINITY);
	ck_assert(isinf(con->strips[0].params.fader_db));
	lo_message_free(r.msg);
}
END_TEST

START_TEST(out_of_range_is_clamped_and_fed_back)
{
	struct reply r = {0};
	send_f("/strip/1/fader", 20.0f);
	ck_assert(recv_reply(&r));
	ck_assert_str_eq(r.path, "/strip/1/fader");
	ck_assert_float_eq(r.argv[0]->f, 10.0f);
	ck_assert_float_eq(con->strips[0].params.fader_db, 10.0f);
	send_f("/strip/1/trim", -99.0f);
	ck_assert(recv_reply(&r));
	ck_assert_float_eq(r.argv[0]->f, -24.0f);
	send_f("/strip/1/pan", 190.0f);
	ck_assert(recv_reply(&r));
	ck_assert_float_eq_tol(r.argv[0]->f, -170.0f, 1e-4);
	send_f("/strip/1/pan/divergence", 2.0f);
	ck_assert(recv_reply(&r));
	ck_assert_str_eq(r.path, "/strip/1/pan/divergence");
	ck_assert_float_eq(r.argv[0]->f, 1.0f);
	send_f("/strip/1/pan/lfe", -10.0f);
	send_f("/strip/1/pan/size", 0.25f);
	send_f("/strip/1/pan/width", 0.5f);
	send_f("/strip/1/pan/rotation", 370.0f);
	ck_assert(recv_reply(&r)); /* rotation wrapped to 10 */
	ck_assert_float_eq_tol(r.argv[0]->f, 10.0f, 1e-4);
	ck_assert_float_eq(con->strips[0].params.lfe_send_db, -10.0f);
	ck_assert_float_eq(con->strips[0].params.pan_size, 0.25f);
	ck_assert_float_eq(con->strips[0].params.pan_width, 0.5f);
	send_f("/strip/1/pan/lfe", -INFINITY);
	ck_assert(isinf(con->strips[0].params.lfe_send_db));
	send_f("/strip/1/pan/el", 120.0f);
	ck_assert(recv_reply(&r));
	ck_assert_str_eq(r.path, "/strip/1/pan/el");
	ck_assert_float_eq(r.argv[0]->f, 90.0f);
	send_f("/bus/PM/fader", -300.0f); /* below -144: off, no correction needed */
	expect_silence();
	ck_assert(isinf(con->buses[1].params.fader_db));
	lo_message_free(r.msg);
}
END_TEST

START_TEST(patterns_match_names)
{
	send_i("/strip/{A,FX3}/mute", 1);
	ck_assert(con->strips[0].params.mute && con->strips[4].params.mute);
	ck_assert(!con->strips[1].params.mute && !con->strips[2].params.mute);
	send_i("/strip/FX[1-2]/solo", 1);
	ck_assert(con->strips[2].params.solo && con->strips[3].params.solo && !con->strips[4].params.solo);
	send_query("/strip/*/mute");
	struct reply r = {0};
	int n = 0;
	while (recv_reply(&r))
		n++;
	ck_assert_int_eq(n, 5);
	if (r.msg)
		lo_message_free(r.msg);
	send_i("/strip/Z*/mute", 1);
	expect_error("no strip \"Z*\"");
}
END_TEST

START_TEST(bundles_apply_every_message)
{
	lo_bundle b = lo_bundle_new(LO_TT_IMMEDIATE);
	lo_message m1 = lo_message_new(), m2 = lo_message_new();
	lo_message_add_float(m1, -12.0f);
	lo_message_add_int32(m2, 1);
	lo_bundle_add_message(b, "/strip/A/fader", m1);
	lo_bundle_add_message(b, "/strip/B/mute", m2);
	char buf[1024];
	size_t n = sizeof buf;
	ck_assert(lo_bundle_serialise(b, buf, &n) != NULL);
	lo_bundle_free_recursive(b);
	send_raw(buf, n);
	ck_assert_float_eq(con->strips[0].params.fader_db, -12.0f);
	ck_assert(con->strips[1].params.mute);
}
END_TEST

/* Raw OSC bytes, big-endian words, for packets liblo would not build. */
struct raw {
	unsigned char b[OSC_MAX_DATAGRAM];
	size_t n;
};

static void raw_bytes(struct raw *r, const void *data, size_t n)
{
	memcpy(r->b + r->n, data, n);
	r->n += n;
}

static void raw_string(struct raw *r, const char *text) /* with its 1 ... 4 terminating zeros */
{
	const size_t len = strlen(text) + 1, padded = (len + 3) & ~(size_t)3;
	memset(r->b + r->n, 0, padded);
	memcpy(r->b + r->n, text, len - 1);
	r->n += padded;
}

static void raw_word(struct raw *r, uint32_t v)
{
	const unsigned char w[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16), (unsigned char)(v >> 8),
	                            (unsigned char)v};
	raw_bytes(r, w, 4);
}

/* A message `/strip/A/mute i v` into r. */
static void raw_mute(struct raw *r, int v)
{
	raw_string(r, "/strip/A/mute");
	raw_string(r, ",i");
	raw_word(r, (uint32_t)v);
}

/* The bundles nested `depth` deep around one `/strip/A/mute i 1`. */
static size_t nested_bundle(unsigned char *out, unsigned depth)
{
	struct raw msg = {.n = 0};
	raw_mute(&msg, 1);
	static struct raw a, b;
	a.n = 0;
	raw_bytes(&a, msg.b, msg.n);
	for (unsigned d = 0; d < depth; d++) {
		b.n = 0;
		raw_string(&b, "#bundle");
		raw_word(&b, 0);
		raw_word(&b, 1); /* immediately */
		raw_word(&b, (uint32_t)a.n);
		raw_bytes(&b, a.b, a.n);
		a = b;
	}
	memcpy(out, a.b, a.n);
	return a.n;
}

/* Blob length fields beyond the packet, bundle element sizes beyond it, and
 * bundles nested deep: each is refused as malformed and counted, or (the
 * legal deep bundle) applied; nothing is read past the datagram (the
 * sanitizer build checks that) and the console answers on. */
START_TEST(blobs_and_deep_bundles)
{
	const struct strip_params before = con->strips[0].params;
	static const uint32_t blob_lengths[] = {1000, 0x7fffffffu, 0xffffffffu, 5};
	uint64_t bad = 0;
	for (size_t k = 0; k < sizeof blob_lengths / sizeof *blob_lengths; k++) {
		struct raw r = {.n = 0};
		raw_string(&r, "/strip/1/fader");
		raw_string(&r, ",b");
		raw_word(&r, blob_lengths[k]); /* promises more than the 4 bytes that follow */
		raw_word(&r, 0x41424344);
		send_raw(r.b, r.n);
		expect_error("malformed OSC packet");
		ck_assert_uint_eq(osc_server_bad_packets(srv), ++bad);
	}
	{ /* a whole blob where a fader wants a float */
		struct raw r = {.n = 0};
		raw_string(&r, "/strip/1/fader");
		raw_string(&r, ",b");
		raw_word(&r, 4);
		raw_word(&r, 0x41424344);
		send_raw(r.b, r.n);
		expect_error("got type 'b'");
	}
	static const uint32_t element_sizes[] = {5000, 0xffffffffu, 7};
	for (size_t k = 0; k < sizeof element_sizes / sizeof *element_sizes; k++) {
		struct raw r = {.n = 0};
		raw_string(&r, "#bundle");
		raw_word(&r, 0);
		raw_word(&r, 1);
		raw_word(&r, element_sizes[k]); /* beyond the packet, or not a whole message */
		raw_mute(&r, 1);
		send_raw(r.b, r.n);
		expect_error("malformed OSC packet");
		ck_assert_uint_eq(osc_server_bad_packets(srv), ++bad);
	}
	{ /* a bundle cut off in its time tag */
		struct raw r = {.n = 0};
		raw_string(&r, "#bundle");
		raw_word(&r, 0);
		send_raw(r.b, r.n);
		expect_error("malformed OSC packet");
		ck_assert_uint_eq(osc_server_bad_packets(srv), ++bad);
	}
	ck_assert_mem_eq(&con->strips[0].params, &before, sizeof before);

	static unsigned char packet[OSC_MAX_DATAGRAM];
	size_t n = nested_bundle(packet, 8); /* legal nesting: applied */
	send_raw(packet, n);
	expect_silence();
	ck_assert(con->strips[0].params.mute);
	con->strips[0].params.mute = false;
	/* as deep as a datagram holds (20 bytes a level) */
	const unsigned deepest = (OSC_MAX_DATAGRAM - 24) / 20;
	n = nested_bundle(packet, deepest);
	ck_assert_uint_le(n, OSC_MAX_DATAGRAM);
	send_raw(packet, n);
	struct reply r = {0};
	const bool replied = recv_reply(&r);
	fprintf(stderr, "osc: a bundle %u deep (%zu bytes): %s\n", deepest, n,
	        replied ? &r.argv[0]->s : con->strips[0].params.mute ? "applied" : "ignored");
	ck_assert_msg(!replied && con->strips[0].params.mute, "a legal bundle %u deep was not applied", deepest);
	/* and the console answers on */
	send_query("/strip/A/fader");
	ck_assert(recv_reply(&r));
	ck_assert_str_eq(r.path, "/strip/A/fader");
	ck_assert_float_eq(r.argv[0]->f, before.fader_db);
	lo_message_free(r.msg);
}
END_TEST

START_TEST(meters_are_queryable)
{
	send_query("/bus/DX/meter");
	struct reply r = {0};
	ck_assert(recv_reply(&r));
	ck_assert_str_eq(r.path, "/bus/DX/meter");
	ck_assert_str_eq(r.types, "ffffffffffff"); /* peak, rms for 6 channels */
	send_query("/strip/1/meter");
	ck_assert(recv_reply(&r));
	ck_assert_str_eq(r.types, "ff");
	lo_message_free(r.msg);
	send_f("/strip/1/meter", 0);
	expect_error("query-only");
}
END_TEST

/* Broken input: a clear /error to the sender, nothing changed. */
START_TEST(broken_input_is_refused)
{
	const struct strip_params before = con->strips[0].params;
	send_f("/strip/1/fader", NAN);
	expect_error("NaN");
	send_f("/strip/1/trim", INFINITY);
	expect_error("infinity");
	send_f("/strip/1/fader", INFINITY);
	expect_error("infinity");
	send_s("/strip/1/fader", "abc");
	expect_error("got type 's'");
	lo_message m = lo_message_new();
	lo_message_add_float(m, 1);
	lo_message_add_float(m, 2);
	send_msg("/strip/1/fader", m);
	expect_error("got 2 arguments");
	send_f("/strip/0/fader", 0);
	expect_error("no strip \"0\"");
	send_f("/strip/99/fader", 0);
	expect_error("the console has 5 strips");
	send_f("/strip/NOPE/fader", 0);
	expect_error("no strip \"NOPE\"");
	send_f("/strip/1/gain", 0);
	expect_error("unknown address /strip/1/gain");
	send_f("/strip/1/pan/q", 0);
	expect_error("unknown address /strip/1/pan/q");
	send_f("/strip/1/pan/x", NAN);
	expect_error("NaN");
	lo_message mx = lo_message_new();
	lo_message_add_string(mx, "left");
	send_msg("/strip/1/pan/x", mx);
	expect_error("/strip/1/pan/x expects one float");
	send_f("/strip/1/fader/extra/deep", 0);
	expect_error("unknown address");
	send_f("/mixer", 0);
	expect_error("unknown address /mixer");
	send_f("/info", 1);
	expect_error("no arguments");
	send_i("/print/start", 1);
	expect_error("/print/start expects [s take [s bus ...]]");
	lo_message mp = lo_message_new();
	lo_message_add_string(mp, "take");
	lo_message_add_float(mp, 2);
	send_msg("/print/start", mp);
	expect_error("/print/start expects [s take [s bus ...]]");
	send_i("/print/stop", 1);
	expect_error("no arguments");
	mp = lo_message_new();
	lo_message_add_string(mp, "take");
	lo_message_add_string(mp, "DX");
	send_msg("/print/start", mp); /* well formed: this console has no recorder */
	expect_error("without a print recorder");
	ck_assert_mem_eq(&con->strips[0].params, &before, sizeof before);

	send_raw("", 0);
	expect_error("empty datagram");
	send_raw("garbage!", 8);
	expect_error("malformed OSC packet");
	/* ",f" promises a float the packet does not carry */
	static const char truncated[] = "/strip/1/fader\0\0,f\0\0";
	send_raw(truncated, sizeof truncated - 1);
	expect_error("malformed OSC packet");
	/* a string whose terminator is missing */
	static const char unterminated[12] = {'/', 's', 't', 'r', 'i', 'p', '/', '1', '/', 'f', 'a', 'd'};
	send_raw(unterminated, sizeof unterminated);
	expect_error("malformed OSC packet");
	static char big[9000];
	memcpy(big, "/info\0\0\0,\0\0\0", 12);
	send_raw(big, sizeof big);
	expect_error("refused (at most 8192)");
	ck_assert_uint_ge(osc_server_bad_packets(srv), 5);
	ck_assert_mem_eq(&con->strips[0].params, &before, sizeof before);
	/* and the server still works */
	send_query("/info");
	struct reply r = {0};
	ck_assert(recv_reply(&r));
	ck_assert_str_eq(r.path, "/info");
	lo_message_free(r.msg);
}
END_TEST

START_TEST(monitor_addresses)
{
	struct console_monitor *mon = con->monitor;
	struct reply r = {0};
	ck_assert_uint_eq(mon->source, 1); /* PM, the first master */
	send_s("/monitor/source", "DX");
	ck_assert_uint_eq(mon->source, 0);
	send_query("/monitor/source");
	ck_assert(recv_reply(&r));
	ck_assert_str_eq(r.path, "/monitor/source");
	ck_assert_str_eq(&r.argv[0]->s, "DX");
	send_s("/monitor/source", "solo");
	ck_assert_uint_eq(mon->source, con->n_buses);
	send_i("/monitor/source", 2);
	ck_assert_uint_eq(mon->source, 1);
	send_s("/monitor/source", "NOPE");
	expect_error("no bus NOPE");
	send_i("/monitor/source", 7);
	expect_error("no bus number");
	send_f("/monitor/source", 1.0f);
	expect_error("expects one string");
	ck_assert_uint_eq(mon->source, 1);
	send_s("/monitor/speakers", "2.0");
	ck_assert_uint_eq(mon->speakers, LAYOUT_2_0);
	send_s("/monitor/speakers", "7.1.4");
	expect_error("a 5.1 room cannot play \"7.1.4\"");
	send_s("/monitor/speakers", "quad");
	expect_error("cannot play \"quad\"");
	ck_assert_uint_eq(mon->speakers, LAYOUT_2_0);
	send_i("/monitor/dim", 1);
	send_i("/monitor/mono", 1);
	send_f("/monitor/level", -6.0f);
	ck_assert(mon->params.dim && mon->params.mono);
	ck_assert_float_eq(mon->params.level_db, -6.0f);
	send_f("/monitor/dim_level", -99.0f);
	ck_assert(recv_reply(&r));
	ck_assert_str_eq(r.path, "/monitor/dim_level");
	ck_assert_float_eq(r.argv[0]->f, -60.0f);
	send_f("/monitor/speaker/Ls/cal", -2.0f);
	ck_assert_float_eq(mon->speaker[4].cal_db, -2.0f);
	send_f("/monitor/speaker/1/delay", 99.0f);
	ck_assert(recv_reply(&r));
	ck_assert_str_eq(r.path, "/monitor/speaker/1/delay");
	ck_assert_float_eq(r.argv[0]->f, 50.0f);
	ck_assert_float_eq(mon->speaker[0].delay_ms, 50.0f);
	send_i("/monitor/speaker/*/mute", 1);
	for (int ch = 0; ch < 6; ch++)
		ck_assert(mon->speaker[ch].mute);
	send_query("/monitor/speaker/R/mute");
	ck_assert(recv_reply(&r));
	ck_assert_str_eq(r.path, "/monitor/speaker/R/mute");
	ck_assert_int_eq(r.argv[0]->i, 1);
	lo_message_free(r.msg);
	send_i("/monitor/speaker/Ltf/mute", 1);
	expect_error("no loudspeaker \"Ltf\" in the 5.1 room");
	send_f("/monitor/level", NAN);
	expect_error("NaN");
	send_f("/monitor/bogus", 0);
	expect_error("unknown address /monitor/bogus");
	send_f("/monitor/speaker/L", 0);
	expect_error("unknown address");
	con->monitor = NULL; /* a console without a monitor section */
	send_i("/monitor/dim", 0);
	expect_error("no monitor section");
	con->monitor = mon;
	ck_assert(mon->params.dim);
}
END_TEST

/* The processing rows (EQ, filters, notches, dynamics, delay) on strips and
 * buses: each broken message gets its /error and changes nothing; out of
 * range is clamped and the clamped value fed back. */
START_TEST(processing_rows_refuse_broken_input)
{
	const struct strip_processing strip_before = con->strips[0].params.proc, bus_before = con->buses[0].params.proc;
	send_f("/strip/1/eq/2/gain", NAN);
	expect_error("NaN");
	send_f("/strip/1/dyn/comp/ratio", INFINITY);
	expect_error("infinity");
	send_f("/strip/1/hpf/freq", -INFINITY);
	expect_error("infinity");
	send_s("/strip/1/eq/2/freq", "1k");
	expect_error("got type 's'");
	lo_message m = lo_message_new();
	lo_message_add_float(m, 100);
	lo_message_add_float(m, 2);
	send_msg("/strip/1/notch/1/freq", m);
	expect_error("got 2 arguments");
	send_f("/strip/1/eq/5/gain", 3);
	expect_error("unknown address /strip/1/eq/5/gain");
	send_f("/strip/1/eq/0/gain", 3);
	expect_error("unknown address");
	send_i("/strip/1/eq/2/type", 1); /* only the outer bands can be shelves */
	expect_error("unknown address /strip/1/eq/2/type");
	send_f("/strip/1/notch/3/freq", 60);
	expect_error("unknown address");
	send_f("/strip/1/dyn/comp/speed", 1);
	expect_error("unknown address");
	send_f("/strip/1/dyn/gr", 1);
	expect_error("query-only");
	send_f("/bus/DX/dyn/gate/threshold", NAN);
	expect_error("NaN");
	send_f("/bus/DX/delay", 10); /* buses have no delay */
	expect_error("unknown address");
	send_f("/bus/NOPE/eq/1/gain", 1);
	expect_error("no bus \"NOPE\"");
	ck_assert_mem_eq(&con->strips[0].params.proc, &strip_before, sizeof strip_before);
	ck_assert_mem_eq(&con->buses[0].params.proc, &bus_before, sizeof bus_before);
	expect_silence();

	/* out of range: clamped, and the clamped value fed back */
	const struct {
		const char *path;
		float sent, kept;
	} clamps[] = {
		{"/strip/1/eq/2/gain", 30.0f, CONSOLE_EQ_GAIN_MAX_DB},
		{"/strip/1/eq/3/q", 0.0f, 0.1f},
		{"/strip/1/eq/1/freq", 5.0f, 20.0f},
		{"/strip/1/hpf/slope", 20.0f, 18.0f},
		{"/strip/1/lpf/slope", 96.0f, 24.0f},
		{"/strip/1/hpf/freq", 1e6f, 20000.0f},
		{"/strip/1/dyn/comp/ratio", 0.5f, 1.0f},
		{"/strip/1/dyn/deess/freq", 2000.0f, 4000.0f},
		{"/strip/1/delay", -5.0f, 0.0f},
		{"/bus/DX/dyn/comp/threshold", 6.0f, 0.0f},
	};
	for (size_t k = 0; k < sizeof clamps / sizeof clamps[0]; k++) {
		struct reply r = {0};
		send_f(clamps[k].path, clamps[k].sent);
		ck_assert_msg(recv_reply(&r), "%s: no feedback of the clamped value", clamps[k].path);
		ck_assert_str_eq(r.path, clamps[k].path);
		ck_assert_str_eq(r.types, "f");
		ck_assert_msg(fabsf(r.argv[0]->f - clamps[k].kept) < 1e-4f, "%s %g: fed back %g, not %g",
		              clamps[k].path, clamps[k].sent, r.argv[0]->f, clamps[k].kept);
		send_query(clamps[k].path);
		ck_assert(recv_reply(&r));
		ck_assert_msg(fabsf(r.argv[0]->f - clamps[k].kept) < 1e-4f, "%s holds %g", clamps[k].path, r.argv[0]->f);
		lo_message_free(r.msg);
	}
	ck_assert_float_eq(con->strips[0].params.proc.eq[1].gain_db, CONSOLE_EQ_GAIN_MAX_DB);
}
END_TEST

START_TEST(sends_vcas_and_bus_processing)
{
	struct reply r = {0};
	send_f("/strip/A/send/REV/level", -12.0f);
	send_i("/strip/A/send/REV/pre", 1);
	expect_silence();
	ck_assert_float_eq(con->strips[0].params.send[0].level_db, -12.0f);
	ck_assert(con->strips[0].params.send[0].pre);
	send_query("/strip/A/send/1/level"); /* the aux by number */
	ck_assert(recv_reply(&r));
	ck_assert_str_eq(r.path, "/strip/A/send/1/level");
	ck_assert_float_eq(r.argv[0]->f, -12.0f);
	send_i("/strip/FX*/send/REV/on", 0); /* patterns on the strip */
	ck_assert(!con->strips[2].params.send[0].on && !con->strips[4].params.send[0].on);
	ck_assert(con->strips[0].params.send[0].on);
	send_f("/strip/B/send/REV/level", 40.0f);
	ck_assert(recv_reply(&r));
	ck_assert_str_eq(r.path, "/strip/B/send/REV/level");
	ck_assert_float_eq(r.argv[0]->f, 10.0f);

	send_f("/vca/DIAL/fader", -4.0f);
	ck_assert_float_eq(con->vcas[0].params.fader_db, -4.0f);
	ck_assert_float_eq(console_strip_fader_db(con, 1), -4.0f);
	ck_assert_float_eq(con->strips[1].params.fader_db, 0.0f); /* its own fader stays */
	send_query("/strip/B/fader"); /* a strip reports its own position */
	ck_assert(recv_reply(&r));
	ck_assert_float_eq(r.argv[0]->f, 0.0f);
	send_i("/vca/1/mute", 1);
	ck_assert(console_strip_muted(con, 0) && !con->strips[0].params.mute);
	send_query("/vca/DIAL/mute");
	ck_assert(recv_reply(&r));
	ck_assert_str_eq(r.path, "/vca/DIAL/mute");
	ck_assert_int_eq(r.argv[0]->i, 1);
	send_i("/mute_group/FXM/mute", 1);
	ck_assert(console_strip_muted(con, 2) && console_strip_muted(con, 4));

	send_f("/bus/DX/eq/2/gain", 30.0f);
	ck_assert(recv_reply(&r));
	ck_assert_str_eq(r.path, "/bus/DX/eq/2/gain");
	ck_assert_float_eq(r.argv[0]->f, 18.0f);
	ck_assert_float_eq(con->buses[0].params.proc.eq[1].gain_db, 18.0f);
	send_i("/bus/REV/dyn/comp/on", 1);
	ck_assert(con->buses[2].params.proc.dyn.comp.on);
	send_query("/bus/PM/dyn/gr");
	ck_assert(recv_reply(&r));
	ck_assert_str_eq(r.types, "fff");

	/* the printmaster's limiter */
	send_i("/bus/PM/limiter/on", 1);
	send_f("/bus/PM/limiter/ceiling", 3.0f);
	ck_assert(recv_reply(&r)); /* clamped to 0 dBTP, fed back */
	ck_assert_str_eq(r.path, "/bus/PM/limiter/ceiling");
	ck_assert_float_eq(r.argv[0]->f, 0.0f);
	ck_assert(con->buses[1].params.limiter.on);
	send_query("/bus/PM/limiter/latency");
	ck_assert(recv_reply(&r));
	ck_assert_str_eq(r.types, "if");
	ck_assert_int_eq(r.argv[0]->i, 72 + 7);
	ck_assert_float_eq_tol(r.argv[1]->f, 79.0f / 48.0f, 1e-4f);
	send_query("/bus/PM/limiter/gr");
	ck_assert(recv_reply(&r));
	ck_assert_str_eq(r.types, "f");
	send_i("/bus/*/limiter/on", 0); /* a pattern reaches the masters that have one */
	ck_assert(!con->buses[1].params.limiter.on);
	expect_silence();
	send_i("/bus/DX/limiter/on", 1);
	expect_error("DX has no limiter");
	ck_assert(!con->buses[0].params.limiter.on);
	send_f("/bus/PM/limiter/gr", 1.0f);
	expect_error("query-only");

	/* broken input */
	send_f("/strip/A/send/NOPE/level", -3.0f);
	expect_error("no aux bus \"NOPE\"");
	send_f("/strip/A/send/2/level", -3.0f);
	expect_error("no aux bus \"2\" (the console has 1");
	send_f("/strip/A/send/REV/gain", -3.0f);
	expect_error("a send has level, pre and on");
	send_f("/strip/A/send/level", -3.0f);
	expect_error("unknown address");
	send_f("/strip/A/send/REV/level", NAN);
	expect_error("NaN");
	send_msg("/strip/A/send/REV/pre", lo_message_new());
	ck_assert(recv_reply(&r)); /* a query, not an error */
	ck_assert_str_eq(r.path, "/strip/A/send/REV/pre");
	lo_message_free(r.msg);
	r.msg = NULL;
	send_f("/vca/NOPE/fader", -3.0f);
	expect_error("no vca \"NOPE\" (the console has 1 vca,");
	send_f("/mute_group/FXM/fader", -3.0f);
	expect_error("unknown address");
	send_f("/bus/DX/delay", 10.0f);
	expect_error("unknown address");
	ck_assert_float_eq(con->strips[0].params.send[0].level_db, -12.0f);
}
END_TEST

/* Another UDP client on the loopback, for a second or third surface. */
static int open_surface(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in any = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&any, sizeof any), 0);
	return fd;
}

static void surface_send(int fd, const char *path, lo_message m)
{
	char buf[4096];
	size_t n = sizeof buf;
	ck_assert(lo_message_serialise(m, path, buf, &n) != NULL);
	lo_message_free(m);
	ck_assert_int_eq(sendto(fd, buf, n, 0, (struct sockaddr *)&server_addr, sizeof server_addr), (ssize_t)n);
	osc_server_poll(srv);
}

/* Every message waiting on fd within 100 ms, paths joined by spaces. */
static void drain(int fd, char *paths, size_t len)
{
	paths[0] = '\0';
	char buf[9000];
	struct pollfd p = {fd, POLLIN, 0};
	while (poll(&p, 1, 100) == 1) {
		ssize_t n = recv(fd, buf, sizeof buf, 0);
		ck_assert_int_gt(n, 0);
		snprintf(paths + strlen(paths), len - strlen(paths), "%s%s", paths[0] ? " " : "", buf);
	}
}

/* Who may talk: an address the allowlist does not name is dropped unread
 * (no reply, nothing changes, only a count); the default lets the loopback
 * in; a ninth surface is refused while eight are known (osc_subscribers). */
START_TEST(allowlist_and_subscriber_limit)
{
	const struct strip_params before = con->strips[0].params;
	con->osc_allow = calloc(1, sizeof *con->osc_allow);
	char err[128];
	ck_assert_int_eq(allowlist_parse("10.9.8.0/24", con->osc_allow, err, sizeof err), 0);
	con->n_osc_allow = 1;
	send_f("/strip/1/fader", -30.0f);
	send_query("/info");
	send_raw("garbage!", 8);
	expect_silence();
	ck_assert_uint_eq(osc_server_refused_packets(srv), 3);
	ck_assert_uint_eq(osc_server_bad_packets(srv), 0); /* refused before anything reads it */
	ck_assert_mem_eq(&con->strips[0].params, &before, sizeof before);
	ck_assert_int_eq(allowlist_parse("127.0.0.1", con->osc_allow, err, sizeof err), 0);
	struct reply r = {0};
	send_query("/status");
	ck_assert(recv_reply(&r));
	ck_assert_str_eq(r.types, "sshhhhh");
	ck_assert_str_eq(&r.argv[0]->s, "audio online");
	ck_assert_int_eq(r.argv[2]->h, 3);
	lo_message_free(r.msg);
	free(con->osc_allow);
	con->osc_allow = NULL;
	con->n_osc_allow = 0;

	ck_assert_uint_eq(con->osc_subscribers, 8);
	int fd[9];
	char got[4096];
	for (int k = 0; k < 9; k++) {
		fd[k] = open_surface();
		lo_message m = lo_message_new();
		lo_message_add_int32(m, 30);
		surface_send(fd[k], "/subscribe", m);
		drain(fd[k], got, sizeof got);
		ck_assert_msg(strcmp(got, k < 8 ? "/subscribe" : "/error") == 0, "surface %d got \"%s\"", k + 1, got);
	}
	send_i("/strip/A/mute", 1); /* the eight get it, the ninth does not */
	for (int k = 0; k < 9; k++) {
		drain(fd[k], got, sizeof got);
		ck_assert_str_eq(got, k < 8 ? "/strip/A/mute" : "");
		close(fd[k]);
	}
}
END_TEST

/* Sends `count` copies of a datagram from the client at once (the server
 * reading every 16, as its socket's buffer holds only so many) and counts
 * the replies on `reply_path`, or all replies when it is NULL. */
static int burst_replies(const char *datagram, size_t n, int count, const char *reply_path)
{
	for (int k = 0; k < count; k++) {
		ck_assert_int_eq(sendto(client, datagram, n, 0, (struct sockaddr *)&server_addr, sizeof server_addr),
		                 (ssize_t)n);
		if (k % 16 == 15)
			osc_server_poll(srv);
	}
	osc_server_poll(srv);
	static char got[65536];
	int replies = 0;
	struct pollfd p = {client, POLLIN, 0};
	while (poll(&p, 1, 100) == 1 && recv(client, got, sizeof got, 0) > 0)
		replies += !reply_path || strcmp(got, reply_path) == 0;
	return replies;
}

/* Of a burst of 250 against a budget of 100 a second (a second's worth at
 * once), about 100 got through and the rest were counted in `held`; then
 * another sender, sending `path`, gets its `reply` all the same. */
static void expect_a_seconds_worth(int through, uint64_t held, const char *path, const char *reply)
{
	ck_assert_int_ge(through, 100);
	ck_assert_int_le(through, 110); /* a second's worth, and what refilled meanwhile */
	ck_assert_uint_eq(held, (uint64_t)(250 - through));
	char got[65536];
	const int other = open_surface();
	surface_send(other, path, lo_message_new());
	drain(other, got, sizeof got);
	ck_assert_str_eq(got, reply);
	close(other);
}

/* A sender over its rate (osc_rate datagrams a second, a second's worth at
 * once) is dropped unread, with no reply: 250 queries at once against a
 * rate of 100 get about 100 answers, the rest are counted; another sender
 * has its own rate. */
START_TEST(a_flooding_sender_is_held_to_its_rate)
{
	con->osc_rate = 100;
	static const char info[] = "/info\0\0\0,\0\0\0";
	const int answers = burst_replies(info, sizeof info - 1, 250, NULL);
	fprintf(stderr, "osc: 250 datagrams at once, rate 100/s: %d answered, %llu dropped\n", answers,
	        (unsigned long long)osc_server_limited_packets(srv));
	/* and another sender is not held by this one's flood */
	expect_a_seconds_worth(answers, osc_server_limited_packets(srv), "/info", "/info");
}
END_TEST

/* A sender of junk gets at most a hundred /error replies a second (a
 * second's worth at once); every datagram is still counted as malformed,
 * and another sender still hears about its own mistakes. */
START_TEST(error_replies_are_held_to_a_hundred_a_second)
{
	const uint64_t bad0 = osc_server_bad_packets(srv);
	static const char cut[] = "/strip/1/fader\0\0,f\0\0"; /* its float missing */
	const int errors = burst_replies(cut, sizeof cut - 1, 250, "/error");
	fprintf(stderr, "osc: 250 malformed datagrams at once: %d /error replies, %llu withheld\n", errors,
	        (unsigned long long)osc_server_errors_withheld(srv));
	ck_assert_uint_eq(osc_server_bad_packets(srv) - bad0, 250);
	expect_a_seconds_worth(errors, osc_server_errors_withheld(srv), "/strip/999/fader", "/error");
	/* an operator sees how many went unanswered */
	const uint64_t withheld = osc_server_errors_withheld(srv);
	ck_assert_uint_gt(withheld, 0);
	struct reply r = {0};
	send_query("/status");
	ck_assert(recv_reply(&r));
	ck_assert_str_eq(r.types, "sshhhhh");
	ck_assert_int_eq(r.argv[6]->h, (int64_t)withheld);
	lo_message_free(r.msg);
}
END_TEST

/* A pattern reaches many targets from one small datagram: each sender may
 * reach osc_fanout targets a second through patterns (a second's worth at
 * once). A pattern over what is left is refused whole, nothing changed;
 * addresses without a pattern are not held by it, nor is another sender. */
START_TEST(wildcard_fan_out_is_capped)
{
	con->osc_fanout = 12;
	send_i("/strip/*/mute", 1); /* 5 strips: 12 -> 7 */
	send_i("/strip/*/solo", 1); /* 7 -> 2 */
	expect_silence();
	for (uint32_t i = 0; i < con->n_strips; i++)
		ck_assert(con->strips[i].params.mute && con->strips[i].params.solo);
	send_i("/strip/*/mute", 0); /* needs 5, 2 left: refused whole */
	expect_error("the pattern reaches 5 strips");
	for (uint32_t i = 0; i < con->n_strips; i++)
		ck_assert_msg(con->strips[i].params.mute, "strip %u changed by a refused pattern", i + 1);
	ck_assert_uint_eq(osc_server_fanout_refused(srv), 1);
	send_query("/strip/*/fader"); /* queries count too: five replies would go out */
	expect_error("osc_fanout");
	ck_assert_uint_eq(osc_server_fanout_refused(srv), 2);
	send_i("/strip/FX[1-2]/mute", 0); /* two fit */
	expect_silence();
	ck_assert(!con->strips[2].params.mute && !con->strips[3].params.mute && con->strips[4].params.mute);
	send_i("/strip/A/mute", 0); /* no pattern: not counted */
	send_i("/strip/B/mute", 0);
	expect_silence();
	ck_assert(!con->strips[0].params.mute && !con->strips[1].params.mute);
	struct reply r = {0};
	send_query("/status");
	ck_assert(recv_reply(&r));
	ck_assert_str_eq(r.types, "sshhhhh");
	ck_assert_int_eq(r.argv[5]->h, 2);
	lo_message_free(r.msg);
	/* another sender has its own budget */
	const int other = open_surface();
	lo_message m = lo_message_new();
	lo_message_add_int32(m, 0);
	surface_send(other, "/strip/*/solo", m);
	char got[4096];
	drain(other, got, sizeof got);
	ck_assert_str_eq(got, "");
	for (uint32_t i = 0; i < con->n_strips; i++)
		ck_assert(!con->strips[i].params.solo);
	close(other);
	/* and the budget refills: 12 a second, so 5 again after half a second */
	usleep(500000);
	send_i("/strip/*/mute", 1);
	expect_silence();
	ck_assert(con->strips[0].params.mute && con->strips[4].params.mute);
}
END_TEST

START_TEST(fader_positions_follow_the_law)
{
	struct reply r = {0};
	send_f("/strip/A/fader/pos", 0.75f);
	ck_assert_float_eq_tol(con->strips[0].params.fader_db, 0.0f, 1e-5f);
	send_f("/strip/A/fader/pos", 0.5f);
	ck_assert_float_eq_tol(con->strips[0].params.fader_db, -10.0f, 1e-5f);
	send_f("/strip/A/fader", -30.0f);
	send_query("/strip/A/fader/pos");
	ck_assert(recv_reply(&r));
	ck_assert_str_eq(r.path, "/strip/A/fader/pos");
	ck_assert_float_eq_tol(r.argv[0]->f, 0.25f, 1e-6f);
	send_f("/strip/A/fader/pos", 1.5f); /* clamped, fed back */
	ck_assert(recv_reply(&r));
	ck_assert_float_eq(r.argv[0]->f, 1.0f);
	ck_assert_float_eq(con->strips[0].params.fader_db, 10.0f);
	send_f("/strip/A/fader/pos", 0.0f);
	ck_assert(isinf(con->strips[0].params.fader_db));
	send_f("/vca/DIAL/fader/pos", 0.5f);
	ck_assert_float_eq_tol(con->vcas[0].params.fader_db, -10.0f, 1e-5f);
	send_f("/bus/PM/fader/pos", 0.6f);
	ck_assert_float_eq_tol(con->buses[1].params.fader_db, -6.0f, 1e-5f);
	lo_message_free(r.msg);
	send_f("/strip/A/fader/pos", INFINITY);
	expect_error("infinity");
	ck_assert(isinf(con->strips[0].params.fader_db)); /* unchanged by the refused value */
}
END_TEST

START_TEST(subscribers_get_every_change_but_their_own)
{
	char got[4096];
	const int a = open_surface(), b = open_surface();
	lo_message m = lo_message_new();
	surface_send(a, "/subscribe", m); /* default lease, no echo */
	m = lo_message_new();
	lo_message_add_int32(m, 30);
	lo_message_add_int32(m, 1);
	surface_send(b, "/subscribe", m); /* echo on */
	drain(a, got, sizeof got);
	ck_assert_str_eq(got, "/subscribe");
	drain(b, got, sizeof got);
	ck_assert_str_eq(got, "/subscribe");
	/* a change by a third client, through a pattern: both see both fader addresses, by name */
	send_f("/strip/{A,B}/fader", -6.0f);
	drain(a, got, sizeof got);
	ck_assert_str_eq(got, "/strip/A/fader /strip/A/fader/pos /strip/B/fader /strip/B/fader/pos");
	drain(b, got, sizeof got);
	ck_assert_str_eq(got, "/strip/A/fader /strip/A/fader/pos /strip/B/fader /strip/B/fader/pos");
	expect_silence(); /* the third client did not subscribe */
	/* a's own change: b sees it, a (no echo) does not */
	m = lo_message_new();
	lo_message_add_int32(m, 1);
	surface_send(a, "/strip/FX1/mute", m);
	drain(a, got, sizeof got);
	ck_assert_str_eq(got, "");
	drain(b, got, sizeof got);
	ck_assert_str_eq(got, "/strip/FX1/mute");
	/* b's own change comes back to b (echo) */
	m = lo_message_new();
	lo_message_add_float(m, -20.0f);
	surface_send(b, "/strip/1/pan/x", m);
	drain(b, got, sizeof got);
	ck_assert_msg(strstr(got, "/strip/A/pan/x") && strstr(got, "/strip/A/pan/az") && strstr(got, "/strip/A/pan/el"),
	              "%s", got);
	drain(a, got, sizeof got);
	ck_assert_msg(strstr(got, "/strip/A/pan/x") != NULL, "%s", got);
	/* sends, VCAs and the monitor are fed back too */
	send_f("/strip/B/send/1/level", -9.0f);
	send_f("/vca/DIAL/fader", -2.0f);
	lo_message src = lo_message_new();
	lo_message_add_string(src, "DX");
	send_msg("/monitor/source", src);
	drain(a, got, sizeof got);
	ck_assert_str_eq(got, "/strip/B/send/REV/level /vca/DIAL/fader /vca/DIAL/fader/pos /monitor/source");
	drain(b, got, sizeof got);
	/* unsubscribed: nothing more */
	surface_send(a, "/unsubscribe", lo_message_new());
	send_i("/strip/A/mute", 1);
	drain(a, got, sizeof got);
	ck_assert_str_eq(got, "");
	drain(b, got, sizeof got);
	ck_assert_str_eq(got, "/strip/A/mute");
	close(a);
	close(b);
}
END_TEST

START_TEST(leases_run_out)
{
	char got[4096];
	const int a = open_surface();
	lo_message m = lo_message_new();
	lo_message_add_int32(m, 1); /* one second */
	surface_send(a, "/subscribe", m);
	drain(a, got, sizeof got);
	send_i("/strip/A/solo", 1);
	drain(a, got, sizeof got);
	ck_assert_str_eq(got, "/strip/A/solo");
	usleep(1100 * 1000);
	osc_server_tick(srv);
	send_i("/strip/A/solo", 0);
	drain(a, got, sizeof got);
	ck_assert_str_eq(got, "");
	/* broken subscriptions */
	send_s("/subscribe", "ten");
	expect_error("must be a finite number");
	m = lo_message_new();
	for (int k = 0; k < 4; k++)
		lo_message_add_int32(m, 1);
	send_msg("/subscribe", m);
	expect_error("at most 3 arguments");
	m = lo_message_new();
	lo_message_add_int32(m, 5);
	lo_message_add_int32(m, 0);
	lo_message_add_int32(m, 70000);
	send_msg("/subscribe", m);
	expect_error("port 70000 is not 1 ... 65535");
	m = lo_message_new();
	lo_message_add_float(m, NAN);
	send_msg("/meters/subscribe", m);
	expect_error("must be a finite number");
	send_i("/unsubscribe", 1);
	expect_error("takes no arguments");
	send_i("/dump", 1);
	expect_error("takes no arguments");
	close(a);
}
END_TEST

START_TEST(dump_holds_the_whole_state)
{
	send_f("/strip/FX3/send/REV/level", -7.0f);
	send_f("/vca/DIAL/fader", -3.0f);
	send_query("/dump");
	static char buf[9000];
	int messages = 0, done = -1;
	bool saw_send = false, saw_vca = false, saw_source = false, saw_limiter_on_stem = false;
	struct pollfd p = {client, POLLIN, 0};
	while (done < 0 && poll(&p, 1, 500) == 1) {
		ssize_t n = recv(client, buf, sizeof buf, 0);
		ck_assert_int_gt(n, 0);
		if (strcmp(buf, "/dump/done") == 0) {
			int result;
			lo_message m = lo_message_deserialise(buf, (size_t)n, &result);
			ck_assert(m != NULL);
			done = lo_message_get_argv(m)[0]->i;
			lo_message_free(m);
			break;
		}
		ck_assert_str_eq(buf, "#bundle");
		ck_assert_int_le(n, 1200);
		for (ssize_t at = 16; at < n;) {
			uint32_t len;
			memcpy(&len, buf + at, 4);
			len = ntohl(len);
			int result;
			lo_message m = lo_message_deserialise(buf + at + 4, len, &result);
			ck_assert_msg(m != NULL, "element at %zd is not OSC", at);
			const char *path = buf + at + 4;
			if (strcmp(path, "/strip/FX3/send/REV/level") == 0) {
				saw_send = true;
				ck_assert_float_eq(lo_message_get_argv(m)[0]->f, -7.0f);
			}
			if (strcmp(path, "/vca/DIAL/fader") == 0) {
				saw_vca = true;
				ck_assert_float_eq(lo_message_get_argv(m)[0]->f, -3.0f);
			}
			if (strcmp(path, "/monitor/source") == 0) {
				saw_source = true;
				ck_assert_str_eq(&lo_message_get_argv(m)[0]->s, "PM");
			}
			saw_limiter_on_stem |= strcmp(path, "/bus/DX/limiter/on") == 0;
			lo_message_free(m);
			messages++;
			at += 4 + (ssize_t)len;
		}
	}
	ck_assert_int_eq(done, messages);
	ck_assert(saw_send && saw_vca && saw_source && !saw_limiter_on_stem);
	/* 5 strips x (their rows + 3 send rows) and more: the count is the whole table */
	ck_assert_int_gt(messages, 5 * 70);
}
END_TEST

/* Float k of the blob of a /meters reply (big-endian float32). */
static float blob_float(const struct reply *r, int k)
{
	const unsigned char *d = lo_blob_dataptr((lo_blob)r->argv[4]);
	uint32_t u;
	memcpy(&u, d + 4 * k, 4);
	u = ntohl(u);
	float v;
	memcpy(&v, &u, 4);
	return v;
}

START_TEST(meter_frames)
{
	/* strip A plays DC 0.5 for a few periods: its slot reads -6.02 dBFS */
	struct graph *g = engine_graph(eng);
	struct graph_ports *ports = graph_ports(g);
	static float bufs[40][64];
	for (int i = 0; i < 64; i++)
		bufs[0][i] = 0.5f;
	for (int k = 0; k < 10; k++) {
		g = engine_begin_rt(eng);
		for (uint32_t i = 0; i < ports->n_in; i++)
			ports->in[i] = i == 0 ? bufs[0] : bufs[1];
		for (uint32_t o = 0; o < ports->n_out; o++)
			ports->out[o] = bufs[2 + o];
		engine_end_rt(eng, g, 64);
	}
	lo_message m = lo_message_new();
	lo_message_add_float(m, 50.0f);
	send_msg("/meters/subscribe", m);
	struct reply r = {0};
	ck_assert(recv_reply(&r));
	ck_assert_str_eq(r.path, "/meters/subscribe");
	ck_assert_float_eq(r.argv[0]->f, 50.0f);
	ck_assert_int_eq(r.argv[1]->i, 10);
	osc_server_tick(srv); /* the first frame is due at once */
	/* levels: 5 strips x 1 + DX 6 + PM 6 + REV 2 = 19 slots; gain reduction: 8 units */
	ck_assert(recv_reply(&r));
	ck_assert_str_eq(r.path, "/meters");
	ck_assert_str_eq(r.types, "iiiib");
	ck_assert_int_eq(r.argv[1]->i, 0);
	ck_assert_int_eq(r.argv[2]->i, 0);
	ck_assert_int_eq(r.argv[3]->i, 19);
	ck_assert_int_eq(lo_blob_datasize((lo_blob)r.argv[4]), 19 * 8);
	const unsigned char *d = lo_blob_dataptr((lo_blob)r.argv[4]);
	uint32_t u;
	float peak, quiet;
	memcpy(&u, d, 4);
	u = ntohl(u);
	memcpy(&peak, &u, 4);
	memcpy(&u, d + 8, 4); /* strip B: silent, floored */
	u = ntohl(u);
	memcpy(&quiet, &u, 4);
	ck_assert_float_eq_tol(peak, -6.0206f, 0.001f);
	ck_assert_float_eq(quiet, -144.0f);
	ck_assert(recv_reply(&r));
	ck_assert_int_eq(r.argv[1]->i, 1);
	ck_assert_int_eq(r.argv[3]->i, 8);
	ck_assert_int_eq(lo_blob_datasize((lo_blob)r.argv[4]), 8 * 16);
	/* loudness: 3 buses x 6 values */
	ck_assert(recv_reply(&r));
	ck_assert_int_eq(r.argv[1]->i, 2);
	ck_assert_int_eq(r.argv[3]->i, 3);
	ck_assert_int_eq(lo_blob_datasize((lo_blob)r.argv[4]), 3 * 24);
	/* peaks: 19 slots of true peak, hold, max true peak, overs (the figures
	 * themselves are test_meter's): strip A's true peak is at least its
	 * sample peak, at most the interpolator's bound above it */
	ck_assert(recv_reply(&r));
	ck_assert_int_eq(r.argv[1]->i, 3);
	ck_assert_int_eq(r.argv[3]->i, 19);
	ck_assert_int_eq(lo_blob_datasize((lo_blob)r.argv[4]), 19 * 16);
	ck_assert_float_ge(blob_float(&r, 0), peak);
	ck_assert_float_le(blob_float(&r, 0), peak + 20 * log10f(TRUE_PEAK_BOUND));
	ck_assert_float_eq(blob_float(&r, 1), blob_float(&r, 0));
	ck_assert_float_eq(blob_float(&r, 2), blob_float(&r, 0));
	ck_assert_float_eq(blob_float(&r, 3), 0.0f);
	ck_assert_float_eq(blob_float(&r, 4), -144.0f); /* strip B */
	/* not due again before 20 ms */
	osc_server_tick(srv);
	expect_silence();
	/* two runs of DC 1.5 with silence between: two overs */
	const float levels[] = {1.5f, 1.5f, 0, 0, 0, 1.5f, 0, 0, 0};
	for (size_t k = 0; k < sizeof levels / sizeof levels[0]; k++) {
		for (int i = 0; i < 64; i++)
			bufs[0][i] = levels[k];
		g = engine_begin_rt(eng);
		for (uint32_t i = 0; i < ports->n_in; i++)
			ports->in[i] = i == 0 ? bufs[0] : bufs[1];
		engine_end_rt(eng, g, 64);
	}
	usleep(25 * 1000);
	osc_server_tick(srv);
	for (int k = 0; k < 3; k++)
		ck_assert(recv_reply(&r));
	ck_assert(recv_reply(&r));
	ck_assert_int_eq(r.argv[1]->i, 3);
	ck_assert_float_ge(blob_float(&r, 2), 20 * log10f(1.5f) - 0.01f);
	ck_assert_float_eq(blob_float(&r, 1), blob_float(&r, 0)); /* a new high: held */
	ck_assert_float_eq(blob_float(&r, 3), 2.0f);
	/* /meters/reset: max, hold and overs start again */
	send_msg("/meters/reset", lo_message_new());
	expect_silence();
	bufs[0][0] = 0.0f;
	g = engine_begin_rt(eng);
	engine_end_rt(eng, g, 64);
	usleep(25 * 1000);
	osc_server_tick(srv);
	for (int k = 0; k < 4; k++)
		ck_assert(recv_reply(&r));
	ck_assert_int_eq(r.argv[1]->i, 3);
	ck_assert_float_eq(blob_float(&r, 0), -144.0f);
	ck_assert_float_eq(blob_float(&r, 1), -144.0f);
	ck_assert_float_eq(blob_float(&r, 2), -144.0f);
	ck_assert_float_eq(blob_float(&r, 3), 0.0f);
	m = lo_message_new();
	lo_message_add_int32(m, 1);
	send_msg("/meters/reset", m);
	expect_error("/meters/reset takes no arguments");
	send_msg("/meters/unsubscribe", lo_message_new());
	usleep(30 * 1000);
	osc_server_tick(srv);
	expect_silence();
	lo_message_free(r.msg);
}
END_TEST

/* Datagrams waiting on fd within 50 ms; *seen set when one is on `path`
 * with the value v. */
static int count_waiting(int fd, const char *path, float v, bool *seen)
{
	char buf[9000];
	int n = 0;
	struct pollfd p = {fd, POLLIN, 0};
	ssize_t len;
	while (poll(&p, 1, 50) == 1 && (len = recv(fd, buf, sizeof buf, 0)) > 0) {
		n++;
		lo_message m = strcmp(buf, path) == 0 ? lo_message_deserialise(buf, (size_t)len, NULL) : NULL;
		if (m && lo_message_get_argv(m)[0]->f == v)
			*seen = true;
		if (m)
			lo_message_free(m);
	}
	return n;
}

/* A recall that changes hundreds of settings sends their feedback a slice
 * per turn of the control loop, not all at once, so that a surface's own
 * move, sent meanwhile, is fed back at once; in the end every setting's
 * feedback has gone out. */
START_TEST(a_big_recall_does_not_hold_a_move_back)
{
	char dir[] = "/tmp/dubstage-osc-snap-XXXXXX";
	ck_assert(mkdtemp(dir) != NULL);
	con->snapshot_dir = strdup(dir);
	send_s("/snapshot/save", "flat");
	struct reply r = {0};
	ck_assert(recv_reply(&r));
	/* every ranged strip setting at its top: the "busy" scene */
	size_t n_rows;
	const struct param *rows = param_table(&n_rows);
	uint32_t changed = 0;
	for (size_t k = 0; k < n_rows; k++)
		if (rows[k].kind && strcmp(rows[k].kind, "strip") == 0 && rows[k].action == ACT_VALUE &&
		    rows[k].rule == RULE_RANGE && !rows[k].model_only && !param_is_send(&rows[k]))
			for (uint32_t i = 0; i < con->n_strips; i++, changed++)
				param_store(con, &rows[k], i, rows[k].hi);
	ck_assert_uint_gt(changed, 4 * 32); /* several slices (SETTLED_PER_SLICE) */
	send_s("/snapshot/save", "busy");
	ck_assert(recv_reply(&r));
	send_s("/snapshot/recall", "flat");
	ck_assert(recv_reply(&r));
	osc_server_tick(srv);
	const int watcher = open_surface();
	surface_send(watcher, "/subscribe", lo_message_new());
	char got[4096];
	drain(watcher, got, sizeof got);

	send_s("/snapshot/recall", "busy"); /* hundreds of settings back to their tops */
	ck_assert(recv_reply(&r));
	ck_assert_str_eq(&r.argv[0]->s, "busy");
	osc_server_tick(srv);                /* one turn: one slice of the feedback */
	send_f("/strip/B/fader", -3.0f);     /* a surface's move meanwhile ... */
	bool move_seen = false, later = false;
	const int first = count_waiting(watcher, "/strip/B/fader", -3.0f, &move_seen);
	int rest = 0;
	for (int turn = 0, got_some = 1; turn < 100 && got_some; turn++) {
		osc_server_tick(srv);
		got_some = count_waiting(watcher, "/strip/B/fader", -3.0f, &later);
		rest += got_some;
	}
	fprintf(stderr, "osc: a recall of %u settings: %d feedback messages in the first turn, the move's among "
	        "them, %d in the turns after\n", changed, first, rest);
	ck_assert(move_seen);     /* ... is fed back in the same turn ... */
	ck_assert_int_gt(rest, 0); /* ... ahead of the rest of the recall's feedback */
	ck_assert_int_ge(first + rest, (int)changed); /* which all went out in the end */
	lo_message_free(r.msg);
	close(watcher);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir); /* our own temporary folder */
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(snapshots_over_osc)
{
	struct reply r = {0};
	send_msg("/snapshot/list", lo_message_new());
	expect_error("no snapshot folder");
	char dir[] = "/tmp/dubstage-osc-snap-XXXXXX";
	ck_assert(mkdtemp(dir) != NULL);
	con->snapshot_dir = strdup(dir);
	send_f("/strip/A/fader", -12.0f);
	send_s("/snapshot/save", "scene 1");
	ck_assert(recv_reply(&r));
	ck_assert_str_eq(r.path, "/snapshot/save");
	ck_assert_str_eq(&r.argv[0]->s, "scene 1");
	send_f("/strip/A/fader", 0.0f);
	/* a subscriber sees the recalled value, and so does the recalling surface */
	const int a = open_surface();
	surface_send(a, "/subscribe", lo_message_new());
	char got[4096];
	drain(a, got, sizeof got);
	send_s("/snapshot/recall", "scene 1");
	ck_assert(recv_reply(&r));
	ck_assert_str_eq(r.path, "/snapshot/recall");
	ck_assert_str_eq(r.types, "siis");
	ck_assert_int_eq(r.argv[2]->i, 0);
	ck_assert_float_eq(con->strips[0].params.fader_db, -12.0f);
	osc_server_tick(srv); /* the control loop's turn: a recall's feedback goes out a slice at a time */
	drain(a, got, sizeof got);
	ck_assert_msg(strstr(got, "/strip/A/fader") != NULL, "%s", got);
	/* with a fade: not there at once, there after the fade */
	send_f("/strip/A/fader", 0.0f);
	lo_message m = lo_message_new();
	lo_message_add_string(m, "scene 1");
	lo_message_add_float(m, 0.2f);
	send_msg("/snapshot/recall", m);
	ck_assert(recv_reply(&r));
	ck_assert_float_gt(con->strips[0].params.fader_db, -12.0f);
	for (int k = 0; k < 40; k++) {
		usleep(10 * 1000);
		osc_server_tick(srv);
	}
	ck_assert_float_eq(con->strips[0].params.fader_db, -12.0f);
	send_msg("/snapshot/list", lo_message_new());
	ck_assert(recv_reply(&r));
	ck_assert_str_eq(r.types, "s");
	ck_assert_str_eq(&r.argv[0]->s, "scene 1");
	/* errors */
	send_s("/snapshot/recall", "nope");
	expect_error("no snapshot \"nope\"");
	send_s("/snapshot/save", "../x");
	expect_error("not a snapshot name");
	send_i("/snapshot/save", 3);
	expect_error("expects s name");
	m = lo_message_new();
	lo_message_add_string(m, "scene 1");
	lo_message_add_float(m, -1.0f);
	send_msg("/snapshot/recall", m);
	expect_error("0 ... 60 seconds");
	send_s("/snapshot/delete", "scene 1");
	ck_assert(recv_reply(&r));
	ck_assert_str_eq(r.path, "/snapshot/delete");
	send_msg("/snapshot/list", lo_message_new());
	ck_assert(recv_reply(&r));
	ck_assert_str_eq(r.types, "");
	lo_message_free(r.msg);
	close(a);
	rmdir(dir);
}
END_TEST

START_TEST(banks_follow_the_surface)
{
	/* 5 strips (A, B, FX1, FX2, FX3); banks of 2 on surface a */
	char got[8192];
	const int a = open_surface();
	lo_message m = lo_message_new();
	lo_message_add_int32(m, 2);
	surface_send(a, "/bank/size", m);
	drain(a, got, sizeof got);
	ck_assert_str_eq(got, "/bank/select /surface/name/1 /surface/fader/1 /surface/mute/1 /surface/solo/1 "
	                      "/surface/name/2 /surface/fader/2 /surface/mute/2 /surface/solo/2");
	surface_send(a, "/bank/next", lo_message_new()); /* strips 3 and 4: FX1, FX2 */
	drain(a, got, sizeof got);
	m = lo_message_new();
	lo_message_add_float(m, 0.5f);
	surface_send(a, "/surface/fader/2", m);
	ck_assert_float_eq_tol(con->strips[3].params.fader_db, -10.0f, 1e-5f);
	m = lo_message_new();
	lo_message_add_int32(m, 1);
	surface_send(a, "/surface/mute/1", m);
	ck_assert(con->strips[2].params.mute);
	/* queries and clamps answer on the surface's own address */
	surface_send(a, "/surface/name/1", lo_message_new());
	m = lo_message_new();
	lo_message_add_float(m, 3.0f);
	surface_send(a, "/surface/fader/1", m);
	drain(a, got, sizeof got);
	ck_assert_str_eq(got, "/surface/name/1 /surface/fader/1");
	ck_assert_float_eq(con->strips[2].params.fader_db, 10.0f);
	/* the last bank holds FX3 and an empty slot; next stays there */
	surface_send(a, "/bank/next", lo_message_new());
	surface_send(a, "/bank/next", lo_message_new());
	drain(a, got, sizeof got);
	m = lo_message_new();
	lo_message_add_float(m, 0.5f);
	surface_send(a, "/surface/fader/2", m);
	drain(a, got, sizeof got);
	ck_assert_str_eq(got, "/error");
	m = lo_message_new();
	lo_message_add_int32(m, 9);
	surface_send(a, "/surface/mute/9", m);
	drain(a, got, sizeof got);
	ck_assert_str_eq(got, "/error");
	/* subscribed, the surface gets changes to the strips in view on its slots */
	surface_send(a, "/subscribe", lo_message_new());
	m = lo_message_new();
	lo_message_add_int32(m, 2);
	surface_send(a, "/bank/select", m); /* FX1, FX2 */
	drain(a, got, sizeof got);
	send_i("/strip/FX2/solo", 1);
	send_i("/strip/A/solo", 1); /* not in view: only the strip address */
	drain(a, got, sizeof got);
	ck_assert_str_eq(got, "/strip/FX2/solo /surface/solo/2 /strip/A/solo");
	send_f("/strip/FX1/fader", -10.0f);
	drain(a, got, sizeof got);
	ck_assert_str_eq(got, "/strip/FX1/fader /strip/FX1/fader/pos /surface/fader/1");
	m = lo_message_new();
	lo_message_add_string(m, "x");
	surface_send(a, "/bank/select", m);
	drain(a, got, sizeof got);
	ck_assert_str_eq(got, "/error");
	close(a);
}
END_TEST

static uint16_t port_of(int fd)
{
	struct sockaddr_in a;
	socklen_t len = sizeof a;
	getsockname(fd, (struct sockaddr *)&a, &len);
	return ntohs(a.sin_port);
}

/* Every message waiting on fd within 100 ms as "path value" strings. */
static void drain_values(int fd, char *out, size_t len)
{
	out[0] = '\0';
	char buf[2048];
	struct pollfd p = {fd, POLLIN, 0};
	while (poll(&p, 1, 100) == 1) {
		ssize_t n = recv(fd, buf, sizeof buf, 0);
		int r;
		lo_message m = lo_message_deserialise(buf, (size_t)n, &r);
		ck_assert(m != NULL);
		const char *t = lo_message_get_types(m);
		snprintf(out + strlen(out), len - strlen(out), "%s%s %g", out[0] ? " " : "", buf,
		         t[0] == 'f' ? (double)lo_message_get_argv(m)[0]->f : t[0] == 'i' ? lo_message_get_argv(m)[0]->i : NAN);
		lo_message_free(m);
	}
}

START_TEST(touchosc_profile_moves_faders_and_gets_feedback)
{
	/* A TouchOSC "Simple" layout on this host: it sends from `tablet` and
	 * listens on `screen` (its incoming port), as configured. */
	char err[512];
	const int tablet = open_surface(), screen = open_surface();
	con->surfaces = calloc(1, sizeof *con->surfaces);
	con->n_surfaces = 1;
	snprintf(con->surfaces[0].from, sizeof con->surfaces[0].from, "127.0.0.1");
	con->surfaces[0].port = port_of(tablet);
	con->surfaces[0].feedback_port = port_of(screen);
	con->surfaces[0].profile = profile_load(SOURCE_ROOT "/configs/surfaces/touchosc-simple.json", err, sizeof err);
	ck_assert_msg(con->surfaces[0].profile != NULL, "%s", err);
	char got[4096];
	lo_message m = lo_message_new();
	lo_message_add_float(m, 0.75f);
	surface_send(tablet, "/1/fader1", m);
	ck_assert_float_eq_tol(con->strips[0].params.fader_db, 0.0f, 1e-5f);
	m = lo_message_new();
	lo_message_add_float(m, 1.0f);
	surface_send(tablet, "/1/toggle2", m);
	ck_assert(con->strips[1].params.mute);
	m = lo_message_new();
	lo_message_add_float(m, 0.5f);
	surface_send(tablet, "/1/fader5", m); /* the printmaster */
	ck_assert_float_eq_tol(con->buses[1].params.fader_db, -10.0f, 1e-5f);
	drain_values(screen, got, sizeof got);
	ck_assert_str_eq(got, ""); /* its own moves are not echoed */
	/* a change elsewhere comes back on the layout's own address, scaled */
	send_f("/strip/A/fader", -30.0f);
	drain_values(screen, got, sizeof got);
	ck_assert_str_eq(got, "/1/fader1 0.25");
	send_i("/strip/B/mute", 0);
	send_f("/bus/PM/fader", 10.0f);
	drain_values(screen, got, sizeof got);
	ck_assert_str_eq(got, "/1/toggle2 0 /1/fader5 1");
	/* page 2's push: next bank on press (1), nothing on release (0); the
	 * faders then show strip 5 (FX3) and empty slots */
	m = lo_message_new();
	lo_message_add_float(m, 1.0f);
	surface_send(tablet, "/2/push2", m);
	m = lo_message_new();
	lo_message_add_float(m, 0.0f);
	surface_send(tablet, "/2/push2", m);
	drain_values(screen, got, sizeof got);
	ck_assert_msg(strstr(got, "/1/fader1 0.75") && strstr(got, "/1/fader2 0") && strstr(got, "/1/toggle1 0"), "%s", got);
	m = lo_message_new();
	lo_message_add_float(m, 1.0f);
	surface_send(tablet, "/1/toggle1", m);
	ck_assert(con->strips[4].params.mute && !con->strips[0].params.mute);
	/* a message the profile does not map goes to the console as usual */
	m = lo_message_new();
	lo_message_add_int32(m, 1);
	surface_send(tablet, "/strip/A/solo", m);
	ck_assert(con->strips[0].params.solo);
	close(tablet);
	close(screen);
}
END_TEST

START_TEST(loudness_is_queryable)
{
	/* strip A plays a 1 kHz sine for 3 s into DX (5.1, at L): the meter has
	 * a momentary reading; the aux is not measured */
	struct graph *g = engine_graph(eng);
	struct graph_ports *ports = graph_ports(g);
	static float in[64], zero[64], out[40][64];
	for (int k = 0; k < 2250; k++) {
		for (int f = 0; f < 64; f++)
			in[f] = (float)(0.1 * sin(2 * M_PI * 1000.0 * (double)((k * 64 + f) % 48) / 48000.0));
		g = engine_begin_rt(eng);
		for (uint32_t i = 0; i < ports->n_in; i++)
			ports->in[i] = i == 0 ? in : zero;
		for (uint32_t o = 0; o < ports->n_out; o++)
			ports->out[o] = out[o];
		engine_end_rt(eng, g, 64);
		if (k % 100 == 99)
			loudness_drain(loud); /* a 0.1 s ring: keep up */
	}
	loudness_drain(loud);
	struct reply r = {0};
	send_query("/bus/DX/loudness");
	ck_assert(recv_reply(&r));
	ck_assert_str_eq(r.path, "/bus/DX/loudness");
	ck_assert_str_eq(r.types, "ffffff");
	/* a -20 dBFS (peak) 1 kHz sine on one channel: mean square -23.01 dB,
	 * K-weighting +0.69 dB at 1 kHz, offset -0.691: -23.0 LUFS */
	ck_assert_float_eq_tol(r.argv[0]->f, -23.0f, 0.1f);
	ck_assert_float_eq_tol(r.argv[4]->f, -20.0f, 0.3f);
	send_query("/bus/DX/loudness/reset");
	expect_silence();
	/* the reset is a command to the RT thread: after the next periods (of
	 * silence, under a 100 ms step) the measurement has nothing yet */
	for (int k = 0; k < 10; k++) {
		g = engine_begin_rt(eng);
		for (uint32_t i = 0; i < ports->n_in; i++)
			ports->in[i] = zero;
		engine_end_rt(eng, g, 64);
	}
	loudness_drain(loud);
	send_query("/bus/DX/loudness");
	ck_assert(recv_reply(&r));
	ck_assert(isinf(r.argv[0]->f) && r.argv[0]->f < 0.0f);
	ck_assert(isinf(r.argv[2]->f) && r.argv[2]->f < 0.0f);
	send_query("/bus/REV/loudness");
	expect_error("aux bus is not measured");
	send_query("/bus/REV/loudness/reset");
	expect_error("aux bus is not measured");
	send_f("/bus/DX/loudness", 1.0f);
	expect_error("query-only");
	lo_message_free(r.msg);
}
END_TEST

/* docs/osc.md has a row for every address of the table, with its types, and
 * documents no address the table lacks. */
START_TEST(docs_match_the_address_table)
{
	FILE *f = fopen(SOURCE_ROOT "/docs/osc.md", "r");
	ck_assert_msg(f != NULL, "docs/osc.md is missing");
	size_t n;
	const struct osc_address *a = osc_addresses(&n);
	bool seen[256] = {false};
	ck_assert_uint_le(n, 256);
	char line[2048];
	bool in_section = false;
	while (fgets(line, sizeof line, f)) {
		if (strncmp(line, "## ", 3) == 0)
			in_section = strcmp(line, "## Addresses\n") == 0;
		if (!in_section || strncmp(line, "| `/", 4) != 0)
			continue;
		char path[256], types[64];
		ck_assert_int_eq(sscanf(line, "| `%255[^`]` | %63[^|]|", path, types), 2);
		bool found = false;
		for (size_t i = 0; i < n; i++) {
			if (strcmp(a[i].path, path) != 0)
				continue;
			found = seen[i] = true;
			char want[64];
			snprintf(want, sizeof want, a[i].types[0] ? "`%s` " : "(none) ", a[i].types);
			ck_assert_msg(strcmp(types, want) == 0, "%s: docs say types \"%s\", the table \"%s\"",
			              path, types, want);
		}
		ck_assert_msg(found, "docs/osc.md documents %s, which the table lacks", path);
	}
	fclose(f);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(seen[i], "docs/osc.md lacks a row for %s", a[i].path);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("osc");
	TCase *t = tcase_create("core");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, info_answers_the_sender);
	tcase_add_test(t, set_and_query_by_number_and_name);
	tcase_add_test(t, out_of_range_is_clamped_and_fed_back);
	tcase_add_test(t, patterns_match_names);
	tcase_add_test(t, bundles_apply_every_message);
	tcase_add_test(t, meters_are_queryable);
	tcase_add_test(t, broken_input_is_refused);
	tcase_add_test(t, blobs_and_deep_bundles);
	tcase_add_test(t, docs_match_the_address_table);
	tcase_add_test(t, monitor_addresses);
	tcase_add_test(t, processing_rows_refuse_broken_input);
	tcase_add_test(t, sends_vcas_and_bus_processing);
	tcase_add_test(t, fader_positions_follow_the_law);
	tcase_add_test(t, subscribers_get_every_change_but_their_own);
	tcase_add_test(t, leases_run_out);
	tcase_add_test(t, allowlist_and_subscriber_limit);
	tcase_add_test(t, a_flooding_sender_is_held_to_its_rate);
	tcase_add_test(t, error_replies_are_held_to_a_hundred_a_second);
	tcase_add_test(t, wildcard_fan_out_is_capped);
	tcase_add_test(t, dump_holds_the_whole_state);
	tcase_add_test(t, meter_frames);
	tcase_add_test(t, snapshots_over_osc);
	tcase_add_test(t, a_big_recall_does_not_hold_a_move_back);
	tcase_add_test(t, banks_follow_the_surface);
	tcase_add_test(t, touchosc_profile_moves_faders_and_gets_feedback);
	tcase_add_test(t, loudness_is_queryable);
	suite_add_tcase(s, t);
	return run_suite(s);
}
