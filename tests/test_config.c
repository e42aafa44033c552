#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "control/allowlist.h"
#include "control/config.h"
#include "control/profile.h"
#include "tests/check_main.h"

#ifndef SOURCE_ROOT
#error SOURCE_ROOT must name the source tree
#endif

static char err[1024];

static struct console *load(const char *text)
{
	err[0] = '\0';
	return config_load_text(text, "t.json", err, sizeof err);
}

/* The text must be refused with a message that contains every fragment. */
static void refused(const char *text, const char *const *fragments)
{
	struct console *c = load(text);
	ck_assert_msg(c == NULL, "accepted: %s", text);
	for (const char *const *f = fragments; *f; f++)
		ck_assert_msg(strstr(err, *f) != NULL, "message \"%s\" lacks \"%s\"", err, *f);
}

#define REFUSED(text, ...) refused(text, (const char *const[]){__VA_ARGS__, NULL})

#define BUSES "\"buses\": [{\"name\": \"DX\", \"format\": \"7.1.4\", \"role\": \"stem\"}," \
              "{\"name\": \"PM\", \"format\": \"7.1.4\", \"role\": \"master\", \"sources\": [\"DX\"]}]"

START_TEST(shipped_configs_load)
{
	struct console *c = config_load_file(SOURCE_ROOT "/configs/default.json", err, sizeof err);
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_str_eq(c->name, "Reel 3 final");
	ck_assert_uint_eq(c->n_buses, 8);
	ck_assert_uint_eq(c->n_aux, 2);
	ck_assert_uint_eq(c->n_vcas, 4);
	ck_assert(c->buses[console_find_bus(c, "PM")].has_limiter);
	ck_assert_str_eq(c->snapshot_dir, SOURCE_ROOT "/configs/snapshots");
	ck_assert_ptr_nonnull(c->monitor);
	ck_assert_uint_eq(c->monitor->source, (uint32_t)console_find_bus(c, "PM"));
	ck_assert_int_ge(console_find_strip(c, "FX32"), 0);
	ck_assert_int_eq(console_find_strip(c, "FX33"), -1);
	ck_assert_int_eq(console_find_strip(c, "FX"), -1);
	ck_assert_uint_eq(c->strips[console_find_strip(c, "SCORE")].input, LAYOUT_2_0);
	console_free(c);
	c = config_load_file(SOURCE_ROOT "/configs/bench-256.json", err, sizeof err);
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_uint_eq(c->n_strips, 256);
	ck_assert_uint_eq(c->n_buses, 9);
	ck_assert_uint_eq(console_output_port_count(c), 9 * 12);
	console_free(c);
}
END_TEST

START_TEST(values_and_defaults)
{
	struct console *c = load("{\"name\": \"x\", " BUSES ", \"strips\": ["
		"{\"name\": \"A\", \"bus\": \"DX\"},"
		"{\"name\": \"B\", \"input\": \"stereo\", \"bus\": \"PM\", \"fader\": -6.5, \"trim\": 3,"
		" \"pan\": -30, \"elevation\": 45, \"mute\": true, \"solo\": true, \"solo_safe\": true, \"polarity\": \"inverted\","
		" \"connect\": [\"system:capture_1\", \"system:capture_2\"]},"
		"{\"name\": \"C\", \"bus\": \"DX\", \"fader\": \"-inf\"}]}");
	ck_assert_msg(c != NULL, "%s", err);
	const struct strip_params *a = &c->strips[0].params, *b = &c->strips[1].params;
	ck_assert_uint_eq(c->strips[0].input, LAYOUT_MONO);
	ck_assert_float_eq(a->fader_db, 0);
	ck_assert(!a->mute && !a->solo && !a->polarity_inverted);
	ck_assert_float_eq(b->fader_db, -6.5f);
	ck_assert_float_eq(b->trim_db, 3);
	ck_assert_float_eq(b->pan_azimuth_deg, -30);
	ck_assert_float_eq(b->pan_elevation_deg, 45);
	ck_assert(b->mute && b->solo && b->solo_safe && b->polarity_inverted);
	ck_assert_uint_eq(c->strips[1].n_connect, 2);
	ck_assert_str_eq(c->strips[1].connect[1], "system:capture_2");
	ck_assert(isinf(c->strips[2].params.fader_db));
	ck_assert_uint_eq(c->strips[1].n_bus, 1);
	ck_assert_uint_eq(c->strips[1].bus[0], 1);
	console_free(c);
	c = config_load_text("{" BUSES ", \"strips\": [{\"name\": \"A\", \"bus\": [\"PM\", \"DX\"]}]}",
	                     "t", err, sizeof err);
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_uint_eq(c->strips[0].n_bus, 2);
	ck_assert_uint_eq(c->strips[0].bus[0], 1);
	ck_assert_uint_eq(c->strips[0].bus[1], 0);
	/* bus_order puts the stem before the master it feeds */
	ck_assert_uint_eq(c->bus_order[0], 0);
	ck_assert_uint_eq(c->bus_order[1], 1);
	console_free(c);
}
END_TEST

START_TEST(syntax_errors_have_line_and_column)
{
	REFUSED("{\n  \"buses\": [\n    {\"name\": \"DX\",, }\n  ]\n}", "t.json:3:", "invalid JSON");
	REFUSED("{\"buses\": [], \"buses\": []}", "duplicate");
	REFUSED("", "invalid JSON");
	REFUSED("[1, 2]", "t.json:1:1", "one JSON object");
}
END_TEST

/* Hostile files (docs/robustness.md): each is refused with a reason, none
 * crashes or half-builds a console. */
START_TEST(hostile_files_are_refused)
{
	REFUSED("{\"name\": \"x\", " BUSES ", \"strips\": [{\"name\": \"A\", \"bus\": \"D", "invalid JSON"); /* truncated */
	REFUSED("{\"name\": \"\xff\xfe\", " BUSES "}", "invalid JSON"); /* not UTF-8 */
	static char deep[3000 * 2 + 64];
	char *p = deep;
	p += sprintf(p, "{\"name\": ");
	for (int k = 0; k < 3000; k++)
		*p++ = '[';
	for (int k = 0; k < 3000; k++)
		*p++ = ']';
	sprintf(p, "}");
	REFUSED(deep, "invalid JSON"); /* 3,000 deep: Jansson's depth limit, not our stack */
	REFUSED("{" BUSES ", \"strips\": [{\"name\": \"A\", \"bus\": \"DX\", \"fader\": 1e999}]}", "invalid JSON");
	REFUSED("{" BUSES ", \"strips\": [{\"name\": \"A\", \"bus\": \"DX\", \"count\": 2.5}]}", "count");
	REFUSED("{" BUSES ", \"strips\": [{\"name\": \"A\", \"bus\": \"DX\", \"count\": 100000}]}", "count");
	/* an integer where a real is expected is that real */
	struct console *c = config_load_text("{" BUSES ", \"strips\": [{\"name\": \"A\", \"bus\": \"DX\", \"fader\": -6}]}",
	                                     "t.json", err, sizeof err);
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_float_eq(c->strips[0].params.fader_db, -6.0f);
	console_free(c);
}
END_TEST

START_TEST(osc_allow_and_subscribers)
{
	REFUSED("{\"osc_allow\": \"10.0.0.0/8\", " BUSES "}", "osc_allow", "list of 1 ... 64");
	REFUSED("{\"osc_allow\": [], " BUSES "}", "osc_allow", "list of 1 ... 64");
	REFUSED("{\"osc_allow\": [\"10.0.0.0/33\"], " BUSES "}", "osc_allow[0]", "prefix after / must be 0 ... 32");
	REFUSED("{\"osc_allow\": [\"::1\", 5], " BUSES "}", "osc_allow[1]", "string");
	REFUSED("{\"osc_allow\": [\"stage-pc\"], " BUSES "}", "osc_allow[0]", "not an address or subnet");
	REFUSED("{\"osc_subscribers\": 0, " BUSES "}", "osc_subscribers", "1 ... 64");
	REFUSED("{\"osc_subscribers\": 65, " BUSES "}", "osc_subscribers", "1 ... 64");
	REFUSED("{\"osc_subscribers\": 2.5, " BUSES "}", "osc_subscribers", "whole number");
	REFUSED("{\"osc_rate\": 5, " BUSES "}", "osc_rate", "10 ... 1000000");
	REFUSED("{\"osc_rate\": \"fast\", " BUSES "}", "osc_rate", "whole number");
	REFUSED("{\"osc_fanout\": 0, " BUSES "}", "osc_fanout", "1 ... 1000000");
	REFUSED("{\"osc_fanout\": 1e9, " BUSES "}", "osc_fanout", "whole number");
	struct console *c = config_load_text("{\"osc_allow\": [\"127.0.0.1\", \"192.168.10.0/24\", \"::1\"], "
	                                     "\"osc_subscribers\": 4, \"osc_fanout\": 16384, " BUSES "}", "t.json", err, sizeof err);
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_uint_eq(c->n_osc_allow, 3);
	ck_assert_uint_eq(c->osc_allow[1].prefix, 24);
	ck_assert_uint_eq(c->osc_subscribers, 4);
	ck_assert_uint_eq(c->osc_fanout, 16384);
	console_free(c);
	c = config_load_text("{" BUSES "}", "t.json", err, sizeof err);
	ck_assert_uint_eq(c->n_osc_allow, 0); /* the loopback only */
	ck_assert_uint_eq(c->osc_subscribers, 8);
	ck_assert_uint_eq(c->osc_rate, 5000);
	ck_assert_uint_eq(c->osc_fanout, 4096);
	console_free(c);
}
END_TEST

START_TEST(unknown_keys_are_errors)
{
	REFUSED("{" BUSES ", \"strips\": [{\"name\": \"A\", \"bsu\": \"DX\"}]}",
	        "t.json:1:", "strips[0].bsu", "unknown key \"bsu\"", "allowed:");
	REFUSED("{" BUSES ", \"strip\": []}", "unknown key \"strip\"");
	REFUSED("{\"buses\": [{\"name\": \"DX\", \"format\": \"5.1\", \"role\": \"stem\", \"gain\": 1}]}",
	        "buses[0].gain", "unknown key");
}
END_TEST

START_TEST(missing_and_mistyped)
{
	REFUSED("{\"name\": \"x\"}", "missing required key \"buses\"");
	REFUSED("{" BUSES ", \"strips\": [{\"name\": \"A\"}]}", "strips[0]", "missing required key \"bus\"");
	REFUSED("{\"buses\": [{\"name\": \"DX\", \"role\": \"stem\"}]}", "buses[0]", "\"format\"");
	REFUSED("{" BUSES ", \"strips\": [{\"name\": \"A\", \"bus\": 3}]}", "strips[0].bus", "must be a bus name, not an integer");
	REFUSED("{" BUSES ", \"strips\": [{\"name\": \"A\", \"bus\": \"DX\", \"mute\": 1}]}",
	        "strips[0].mute", "true or false");
	REFUSED("{" BUSES ", \"strips\": {}}", "strips", "must be an array");
	REFUSED("{" BUSES ", \"strips\": [{\"name\": \"A\", \"bus\": []}]}", "strips[0].bus", "1 to 8 buses");
	REFUSED("{" BUSES ", \"strips\": [{\"name\": \"A\", \"bus\": [\"DX\", \"DX\"]}]}",
	        "strips[0].bus[1]", "listed twice");
	REFUSED("{" BUSES ", \"strips\": [{\"name\": \"A\", \"bus\": [\"DX\", \"DXX\"]}]}",
	        "strips[0].bus[1]", "no bus named \"DXX\"");
	REFUSED("{" BUSES ", \"strips\": [{\"name\": \"A\", \"bus\": [\"DX\", 2]}]}",
	        "strips[0].bus[1]", "must be a bus name, not an integer");
}
END_TEST

START_TEST(bad_values)
{
	REFUSED("{\"buses\": [{\"name\": \"DX\", \"format\": \"10.2\", \"role\": \"stem\"}]}",
	        "buses[0].format", "unknown format \"10.2\"", "9.1.6");
	REFUSED("{\"buses\": [{\"name\": \"DX\", \"format\": \"5.1\", \"role\": \"send\"}]}",
	        "buses[0].role", "unknown role");
	REFUSED("{" BUSES ", \"strips\": [{\"name\": \"A\", \"bus\": \"DX\", \"input\": \"quad\"}]}",
	        "strips[0].input", "unknown input format");
	REFUSED("{" BUSES ", \"strips\": [{\"name\": \"A\", \"bus\": \"DX\", \"fader\": 12}]}",
	        "strips[0].fader", "12 is out of range", "+10");
	REFUSED("{" BUSES ", \"strips\": [{\"name\": \"A\", \"bus\": \"DX\", \"trim\": -30}]}",
	        "strips[0].trim", "out of range");
	REFUSED("{" BUSES ", \"strips\": [{\"name\": \"A\", \"bus\": \"DX\", \"elevation\": 95}]}",
	        "strips[0].elevation", "out of range (-90 ... +90)");
	REFUSED("{" BUSES ", \"strips\": [{\"name\": \"A\", \"bus\": \"DX\", \"polarity\": \"flip\"}]}",
	        "strips[0].polarity", "\"normal\" or \"inverted\"");
	REFUSED("{" BUSES ", \"strips\": [{\"name\": \"A\", \"bus\": \"DX\", \"count\": 0}]}",
	        "strips[0].count", "1 to 1024");
	REFUSED("{" BUSES ", \"strips\": [{\"name\": \"A B\", \"bus\": \"DX\"}]}", "strips[0].name", "only letters");
	REFUSED("{" BUSES ", \"strips\": [{\"name\": \"12\", \"bus\": \"DX\"}]}", "all digits");
	REFUSED("{" BUSES ", \"strips\": [{\"name\": \"ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEF\", \"bus\": \"DX\"}]}",
	        "1 to 31 characters");
	REFUSED("{" BUSES ", \"strips\": [{\"name\": \"A\", \"bus\": \"DX\", \"connect\": [\"a:b\", \"c:d\"]}]}",
	        "strips[0].connect", "only 1 channels");
	REFUSED("{" BUSES ", \"strips\": [{\"name\": \"A\", \"bus\": \"DX\", \"connect\": [\"nocolon\"]}]}",
	        "strips[0].connect[0]", "full JACK port name");
	REFUSED("{" BUSES ", \"strips\": [{\"name\": \"A\", \"bus\": \"DX\", \"count\": 2, \"connect\": [\"a:b\"]}]}",
	        "cannot be combined with \"count\"");
}
END_TEST

START_TEST(duplicate_names)
{
	REFUSED("{\"buses\": [{\"name\": \"DX\", \"format\": \"5.1\", \"role\": \"stem\"},"
	        "{\"name\": \"DX\", \"format\": \"5.1\", \"role\": \"stem\"}]}",
	        "buses[1].name", "bus name \"DX\" is used twice");
	REFUSED("{" BUSES ", \"strips\": [{\"name\": \"A\", \"bus\": \"DX\"}, {\"name\": \"A\", \"bus\": \"DX\"}]}",
	        "strips[1].name", "strip name \"A\" is used twice");
	/* count expansion collides with a strip of its own */
	REFUSED("{" BUSES ", \"strips\": [{\"name\": \"FX3\", \"bus\": \"DX\"}, {\"name\": \"FX\", \"bus\": \"DX\", \"count\": 8}]}",
	        "strips[1].name", "\"FX3\" is used twice", "NAME1 ... NAMEn");
}
END_TEST

START_TEST(unknown_references)
{
	struct console *c = load("{" BUSES ",\n \"strips\": [\n  {\"name\": \"A\", \"bus\": \"DX\"},\n"
	                         "  {\"name\": \"B\", \"bus\": \"DXX\"}]}");
	ck_assert(c == NULL);
	ck_assert_msg(strstr(err, "t.json:4:") && strstr(err, "strips[1].bus: no bus named \"DXX\" (buses: DX, PM)"),
	              "%s", err);
	REFUSED("{\"buses\": [{\"name\": \"PM\", \"format\": \"5.1\", \"role\": \"master\", \"sources\": [\"DX\"]}]}",
	        "buses[0].sources[0]", "no bus named \"DX\"");
}
END_TEST

START_TEST(strip_processing_keys)
{
#define STRIP_WITH(settings) "{" BUSES ", \"strips\": [{\"name\": \"A\", \"bus\": \"DX\", " settings "}]}"
	struct console *c = load(STRIP_WITH("\"delay\": 12.5, \"hpf\": {\"on\": true, \"freq\": 80, \"slope\": 18},"
	                                    " \"eq\": {\"4\": {\"type\": \"shelf\", \"gain\": -3}},"
	                                    " \"dyn\": {\"comp\": {\"on\": true, \"ratio\": 4}, \"pre_eq\": true}"));
	ck_assert_msg(c != NULL, "%s", err);
	const struct strip_processing *p = &c->strips[0].params.proc;
	ck_assert_float_eq(p->delay_ms, 12.5f);
	ck_assert(p->hpf.on);
	ck_assert_float_eq(p->hpf.slope_db, 18.0f);
	ck_assert(p->eq[3].shelf);
	ck_assert_float_eq(p->eq[3].gain_db, -3.0f);
	ck_assert(p->dyn.comp.on && p->dyn_pre_eq);
	console_free(c);
	REFUSED(STRIP_WITH("\"eq\": {\"5\": {\"gain\": 1}}"), "strips[0].eq.5", "unknown key \"5\"", "allowed under \"eq\"");
	REFUSED(STRIP_WITH("\"eq\": {\"2\": {\"type\": \"shelf\"}}"), "strips[0].eq.2.type", "unknown key");
	REFUSED(STRIP_WITH("\"eq\": {\"1\": {\"gain\": 30}}"), "strips[0].eq.1.gain", "30 is out of range (-18 ... 18 dB)");
	REFUSED(STRIP_WITH("\"hpf\": {\"slope\": 36}"), "strips[0].hpf.slope", "12, 18 or 24");
	REFUSED(STRIP_WITH("\"hpf\": 80"), "strips[0].hpf", "must be an object");
	REFUSED(STRIP_WITH("\"eq\": {\"1\": {\"type\": \"peak\"}}"), "\"bell\" or \"shelf\"");
	REFUSED(STRIP_WITH("\"dyn\": {\"comp\": {\"on\": 1}}"), "strips[0].dyn.comp.on", "true or false");
	REFUSED(STRIP_WITH("\"delay\": 2500"), "strips[0].delay", "out of range");
	REFUSED(STRIP_WITH("\"dyn\": {\"comp\": {\"ratio\": \"4\"}}"), "must be a number");
#undef STRIP_WITH
}
END_TEST

START_TEST(routing_errors)
{
	REFUSED("{\"buses\": [{\"name\": \"A\", \"format\": \"5.1\", \"role\": \"master\", \"sources\": [\"B\"]},"
	        "{\"name\": \"B\", \"format\": \"5.1\", \"role\": \"master\", \"sources\": [\"A\"]}]}",
	        "sources", "a cycle");
	REFUSED("{\"buses\": [{\"name\": \"A\", \"format\": \"5.1\", \"role\": \"master\", \"sources\": [\"A\"]}]}",
	        "its own source");
	/* a master folds sources down, never up */
	REFUSED("{\"buses\": [{\"name\": \"DX\", \"format\": \"5.1\", \"role\": \"stem\"},"
	        "{\"name\": \"PM\", \"format\": \"7.1.4\", \"role\": \"master\", \"sources\": [\"DX\"]}]}",
	        "buses[1].sources[0]", "no downmix leads from 5.1 to 7.1.4");
	REFUSED("{\"buses\": [{\"name\": \"DX\", \"format\": \"5.1\", \"role\": \"stem\", \"sources\": []}]}",
	        "buses[0].sources", "only a master bus");
	REFUSED("{\"buses\": [{\"name\": \"PM\", \"format\": \"5.1\", \"role\": \"master\"}]}",
	        "needs \"sources\"");
	/* 7.1.4 folds into 5.1 through the chain 7.1.4 -> 7.1 -> 5.1 */
	struct console *c = load("{\"buses\": [{\"name\": \"DX\", \"format\": \"7.1.4\", \"role\": \"stem\"},"
	                         "{\"name\": \"PM\", \"format\": \"5.1\", \"role\": \"master\", \"sources\": [\"DX\"]}]}");
	ck_assert_msg(c != NULL, "%s", err);
	console_free(c);
	/* 5.1 into a 2.0 master (BS.775) */
	c = load("{\"buses\": [{\"name\": \"DX\", \"format\": \"5.1\", \"role\": \"stem\"},"
	                         "{\"name\": \"LoRo\", \"format\": \"2.0\", \"role\": \"master\", \"sources\": [\"DX\"]}]}");
	ck_assert_msg(c != NULL, "%s", err);
	console_free(c);
}
END_TEST

START_TEST(downmix_overrides)
{
	struct console *c = load("{\"downmix\": [{\"from\": \"5.1\", \"to\": \"2.0\", \"gains\": {\"L\": {\"LFE\": 0.5, \"C\": 0.5}}}],"
	                         " \"buses\": [{\"name\": \"DX\", \"format\": \"5.1\", \"role\": \"stem\"}]}");
	ck_assert_msg(c != NULL, "%s", err);
	struct downmix_matrix m;
	ck_assert_int_eq(downmix_matrix(&c->downmix, LAYOUT_5_1, LAYOUT_2_0, &m, NULL, NULL), 0);
	ck_assert_float_eq(m.m[0][3], 0.5f); /* L <- LFE */
	ck_assert_float_eq(m.m[0][2], 0.5f); /* L <- C */
	ck_assert_float_eq_tol(m.m[1][2], 0.70710678f, 1e-7); /* R <- C untouched */
	console_free(c);
#define DM(body) "{\"downmix\": [" body "], \"buses\": [{\"name\": \"DX\", \"format\": \"5.1\", \"role\": \"stem\"}]}"
	REFUSED(DM("{\"from\": \"7.1.4\", \"to\": \"2.0\", \"gains\": {}}"), "downmix[0].to",
	        "no single downmix step from 7.1.4 to 2.0");
	REFUSED(DM("{\"from\": \"5.1\", \"to\": \"2.0\", \"gains\": {\"C\": {\"C\": 1}}}"),
	        "downmix[0].gains.C", "2.0 has no channel \"C\"");
	REFUSED(DM("{\"from\": \"5.1\", \"to\": \"2.0\", \"gains\": {\"L\": {\"Lss\": 1}}}"),
	        "downmix[0].gains.L.Lss", "5.1 has no channel \"Lss\"");
	REFUSED(DM("{\"from\": \"5.1\", \"to\": \"2.0\", \"gains\": {\"L\": {\"C\": 9}}}"),
	        "downmix[0].gains.L.C", "-4 to 4");
	REFUSED(DM("{\"from\": \"5.1\", \"to\": \"2.0\", \"gain\": {}}"), "downmix[0].gain", "unknown key");
	REFUSED(DM("{\"from\": \"5.1\", \"to\": \"2.0\"}"), "downmix[0]", "missing required key \"gains\"");
	REFUSED("{\"downmix\": {}, \"buses\": []}", "downmix", "must be an array");
#undef DM
	/* per master: A folds with its own override on top of the console's
	 * overrides; B, without one, uses the console's */
	c = load("{\"downmix\": [{\"from\": \"5.1\", \"to\": \"2.0\", \"gains\": {\"L\": {\"C\": 0.5}}}],"
	         " \"buses\": [{\"name\": \"PM\", \"format\": \"7.1\", \"role\": \"stem\"},"
	         " {\"name\": \"A\", \"format\": \"2.0\", \"role\": \"master\", \"sources\": [\"PM\"],"
	         "  \"downmix\": [{\"from\": \"5.1\", \"to\": \"2.0\", \"gains\": {\"L\": {\"LFE\": 0.25}}}]},"
	         " {\"name\": \"B\", \"format\": \"2.0\", \"role\": \"master\", \"sources\": [\"PM\"]}]}");
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_ptr_nonnull(c->buses[1].downmix);
	ck_assert_int_eq(downmix_matrix(console_bus_downmix(c, 1), LAYOUT_5_1, LAYOUT_2_0, &m, NULL, NULL), 0);
	ck_assert_float_eq(m.m[0][3], 0.25f); /* A: its own L <- LFE */
	ck_assert_float_eq(m.m[0][2], 0.5f);  /* ... on top of the console's L <- C */
	ck_assert_int_eq(downmix_matrix(console_bus_downmix(c, 2), LAYOUT_5_1, LAYOUT_2_0, &m, NULL, NULL), 0);
	ck_assert_float_eq(m.m[0][3], 0.0f);  /* B: the console's */
	console_free(c);
	REFUSED("{\"buses\": [{\"name\": \"DX\", \"format\": \"5.1\", \"role\": \"stem\", \"downmix\": []}]}",
	        "buses[0].downmix", "only a master");
	REFUSED("{\"buses\": [{\"name\": \"DX\", \"format\": \"5.1\", \"role\": \"stem\"},"
	        " {\"name\": \"M\", \"format\": \"2.0\", \"role\": \"master\", \"sources\": [\"DX\"],"
	        " \"downmix\": [{\"from\": \"5.1\", \"to\": \"2.0\", \"gains\": {\"X\": {}}}]}]}",
	        "buses[1].downmix[0].gains.X", "2.0 has no channel");
}
END_TEST

START_TEST(file_errors)
{
	ck_assert(config_load_file("/nonexistent/x.json", err, sizeof err) == NULL);
	ck_assert(strstr(err, "/nonexistent/x.json: cannot open") != NULL);
	ck_assert(config_load_file("/", err, sizeof err) == NULL);
}
END_TEST

#define AUX_BUSES "\"buses\": [{\"name\": \"DX\", \"format\": \"7.1.4\", \"role\": \"stem\"}," \
                  "{\"name\": \"PM\", \"format\": \"7.1.4\", \"role\": \"master\", \"sources\": [\"DX\"]}," \
                  "{\"name\": \"REV\", \"format\": \"2.0\", \"role\": \"aux\", \"to\": \"DX\"," \
                  " \"return_connect\": [\"verb:out_l\", \"verb:out_r\"], \"eq\": {\"1\": {\"gain\": -4}}}," \
                  "{\"name\": \"ECHO\", \"format\": \"mono\", \"role\": \"aux\", \"to\": \"PM\"}]"

START_TEST(aux_buses_and_sends)
{
	struct console *c = load("{" AUX_BUSES ", \"strips\": [{\"name\": \"A\", \"bus\": \"DX\","
	                         " \"sends\": {\"REV\": -12, \"ECHO\": {\"level\": -3, \"pre\": true, \"on\": false}}},"
	                         " {\"name\": \"B\", \"bus\": \"DX\"}]}");
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_uint_eq(c->n_aux, 2);
	const int rev = console_find_aux(c, "REV"), echo = console_find_aux(c, "ECHO");
	ck_assert_int_eq(rev, 0);
	ck_assert_int_eq(echo, 1);
	ck_assert_uint_eq(c->aux[rev], (uint32_t)console_find_bus(c, "REV"));
	/* the aux joins its target's sources, after the target's own */
	const struct console_bus *dx = &c->buses[console_find_bus(c, "DX")];
	const struct console_bus *pm = &c->buses[console_find_bus(c, "PM")];
	ck_assert_uint_eq(dx->n_sources, 1);
	ck_assert_uint_eq(dx->sources[0], c->aux[rev]);
	ck_assert_uint_eq(pm->n_sources, 2);
	ck_assert_uint_eq(pm->sources[1], c->aux[echo]);
	ck_assert_uint_eq(c->buses[c->aux[rev]].n_return_connect, 2);
	ck_assert_str_eq(c->buses[c->aux[rev]].return_connect[1], "verb:out_r");
	ck_assert_float_eq(c->buses[c->aux[rev]].params.proc.eq[0].gain_db, -4.0f);
	/* return inputs follow the strips' inputs: 2 mono strips, then L R, then M */
	ck_assert_uint_eq(console_return_port_first(c), 2);
	ck_assert_uint_eq(console_input_port_count(c), 2 + 2 + 1);
	const struct send_params *a = c->strips[0].params.send, *b = c->strips[1].params.send;
	ck_assert_float_eq(a[rev].level_db, -12.0f);
	ck_assert(a[rev].on && !a[rev].pre);
	ck_assert_float_eq(a[echo].level_db, -3.0f);
	ck_assert(!a[echo].on && a[echo].pre);
	/* an unlisted send is off the air: level -inf, on, post */
	ck_assert(isinf(b[rev].level_db) && b[rev].level_db < 0);
	ck_assert(b[rev].on && !b[rev].pre);
	console_free(c);

#define AUX_STRIP(buses, strip) "{\"buses\": [{\"name\": \"DX\", \"format\": \"5.1\", \"role\": \"stem\"}," buses \
                                "], \"strips\": [{\"name\": \"A\", \"bus\": \"DX\"" strip "}]}"
	REFUSED(AUX_STRIP("{\"name\": \"R\", \"format\": \"2.0\", \"role\": \"aux\"}", ""), "buses[1]", "needs \"to\"");
	REFUSED(AUX_STRIP("{\"name\": \"R\", \"format\": \"2.0\", \"role\": \"aux\", \"to\": \"NOPE\"}", ""),
	        "buses[1].to", "NOPE");
	REFUSED(AUX_STRIP("{\"name\": \"R\", \"format\": \"2.0\", \"role\": \"aux\", \"to\": \"R2\"},"
	                  "{\"name\": \"R2\", \"format\": \"2.0\", \"role\": \"aux\", \"to\": \"DX\"}", ""),
	        "buses[1].to", "R2 is an aux");
	REFUSED(AUX_STRIP("{\"name\": \"R\", \"format\": \"2.0\", \"role\": \"aux\", \"to\": \"DX\", \"sources\": [\"DX\"]}", ""),
	        "buses[1].sources", "only a master");
	REFUSED("{\"buses\": [{\"name\": \"DX\", \"format\": \"5.1\", \"role\": \"stem\", \"to\": \"DX\"}]}",
	        "buses[0].to", "only an aux bus");
	REFUSED(AUX_STRIP("{\"name\": \"R\", \"format\": \"2.0\", \"role\": \"aux\", \"to\": \"DX\","
	                  " \"return_connect\": [\"a:b\", \"a:c\", \"a:d\"]}", ""),
	        "buses[1].return_connect", "3 ports", "only 2 channels");
	REFUSED("{\"buses\": [{\"name\": \"DX\", \"format\": \"5.1\", \"role\": \"stem\"},"
	        "{\"name\": \"R\", \"format\": \"2.0\", \"role\": \"aux\", \"to\": \"DX\"}],"
	        " \"strips\": [{\"name\": \"R_return\", \"bus\": \"DX\"}]}", "strips[0].name", "return ports");
	REFUSED(AUX_STRIP("{\"name\": \"R\", \"format\": \"2.0\", \"role\": \"aux\", \"to\": \"DX\"}",
	                  ", \"sends\": {\"DX\": -10}"), "strips[0].sends.DX", "not an aux");
	REFUSED(AUX_STRIP("{\"name\": \"R\", \"format\": \"2.0\", \"role\": \"aux\", \"to\": \"DX\"}",
	                  ", \"sends\": {\"X\": -10}"), "strips[0].sends.X", "no aux bus named");
	REFUSED(AUX_STRIP("{\"name\": \"R\", \"format\": \"2.0\", \"role\": \"aux\", \"to\": \"DX\"}",
	                  ", \"sends\": {\"R\": {\"level\": -10, \"post\": true}}"), "strips[0].sends.R", "unknown key \"post\"");
	REFUSED(AUX_STRIP("{\"name\": \"R\", \"format\": \"2.0\", \"role\": \"aux\", \"to\": \"DX\"}",
	                  ", \"sends\": {\"R\": 40}"), "strips[0].sends.R", "out of range");
	REFUSED(AUX_STRIP("{\"name\": \"R\", \"format\": \"2.0\", \"role\": \"aux\", \"to\": \"DX\"}",
	                  ", \"sends\": {\"R\": true}"), "strips[0].sends.R", "level in dB");
	REFUSED(AUX_STRIP("{\"name\": \"R\", \"format\": \"2.0\", \"role\": \"aux\", \"to\": \"DX\"}",
	                  ", \"sends\": [-10]"), "strips[0].sends", "must map");
	REFUSED("{\"buses\": [{\"name\": \"DX\", \"format\": \"5.1\", \"role\": \"stem\"},"
	        "{\"name\": \"R\", \"format\": \"2.0\", \"role\": \"aux\", \"to\": \"DX\"}],"
	        " \"strips\": [{\"name\": \"A\", \"bus\": [\"DX\", \"R\"]}]}", "strips[0].bus[1]", "is an aux bus");
#undef AUX_STRIP
}
END_TEST

START_TEST(master_limiter_keys)
{
	struct console *c = load("{\"buses\": [{\"name\": \"DX\", \"format\": \"5.1\", \"role\": \"stem\"},"
	                         "{\"name\": \"PM\", \"format\": \"5.1\", \"role\": \"master\", \"sources\": [\"DX\"],"
	                         " \"limiter\": {\"on\": true, \"ceiling\": -2, \"release\": 250}},"
	                         "{\"name\": \"LoRo\", \"format\": \"2.0\", \"role\": \"master\", \"sources\": [\"PM\"],"
	                         " \"limiter\": {}}]}");
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert(!c->buses[0].has_limiter && c->buses[1].has_limiter && c->buses[2].has_limiter);
	ck_assert(c->buses[1].params.limiter.on);
	ck_assert_float_eq(c->buses[1].params.limiter.ceiling_db, -2.0f);
	ck_assert_float_eq(c->buses[1].params.limiter.release_ms, 250.0f);
	/* defaults: off, -1 dBTP, 100 ms */
	ck_assert(!c->buses[2].params.limiter.on);
	ck_assert_float_eq(c->buses[2].params.limiter.ceiling_db, -1.0f);
	ck_assert_float_eq(c->buses[2].params.limiter.release_ms, 100.0f);
	console_free(c);
#define LIMITED(limiter) "{\"buses\": [{\"name\": \"DX\", \"format\": \"5.1\", \"role\": \"stem\"}," \
                         "{\"name\": \"PM\", \"format\": \"5.1\", \"role\": \"master\", \"sources\": [\"DX\"]," \
                         " \"limiter\": " limiter "}]}"
	REFUSED(LIMITED("{\"ceiling\": 1}"), "buses[1].limiter.ceiling", "out of range");
	REFUSED(LIMITED("{\"release\": 1}"), "buses[1].limiter.release", "out of range");
	REFUSED(LIMITED("{\"lookahead\": 5}"), "buses[1].limiter", "unknown key \"lookahead\"");
	REFUSED(LIMITED("true"), "buses[1].limiter", "must be an object");
	REFUSED(LIMITED("{\"on\": \"yes\"}"), "buses[1].limiter.on", "true or false");
	REFUSED("{\"buses\": [{\"name\": \"DX\", \"format\": \"5.1\", \"role\": \"stem\", \"limiter\": {}}]}",
	        "buses[0].limiter", "only a master bus has a limiter");
#undef LIMITED
}
END_TEST

/* "dialogue": a measured bus names the stem whose speech gates its
 * dialogue-gated loudness; itself, an aux, an unknown bus or a non-string
 * is refused with the key's path. */
START_TEST(dialogue_stem_key)
{
#define GATED(pm_extra, rev_extra) "{\"buses\": [{\"name\": \"DX\", \"format\": \"5.1\", \"role\": \"stem\"}," \
                         "{\"name\": \"PM\", \"format\": \"5.1\", \"role\": \"master\", \"sources\": [\"DX\"]" \
                         pm_extra "}, {\"name\": \"REV\", \"format\": \"2.0\", \"role\": \"aux\", \"to\": \"DX\"" \
                         rev_extra "}]}"
	struct console *c = load(GATED(", \"dialogue\": \"DX\"", ""));
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert(c->buses[1].has_dialogue);
	ck_assert_uint_eq(c->buses[1].dialogue, 0);
	ck_assert(!c->buses[0].has_dialogue && !c->buses[2].has_dialogue);
	console_free(c);
	REFUSED(GATED(", \"dialogue\": \"PM\"", ""), "buses[1].dialogue", "cannot gate its own loudness");
	REFUSED(GATED(", \"dialogue\": \"REV\"", ""), "buses[1].dialogue", "is an aux bus");
	REFUSED(GATED(", \"dialogue\": \"MX\"", ""), "buses[1].dialogue", "no bus named \"MX\"");
	REFUSED(GATED(", \"dialogue\": 3", ""), "buses[1].dialogue", "must be a bus name");
	REFUSED(GATED("", ", \"dialogue\": \"DX\""), "buses[2].dialogue", "an aux bus is not measured");
#undef GATED
}
END_TEST

START_TEST(vcas_and_mute_groups)
{
	struct console *c = load("{" BUSES ", \"strips\": [{\"name\": \"DX\", \"count\": 3, \"bus\": \"DX\"},"
	                         " {\"name\": \"FX\", \"count\": 2, \"bus\": \"DX\"}],"
	                         " \"vcas\": [{\"name\": \"DIAL\", \"strips\": [\"DX*\"], \"fader\": -4},"
	                         "            {\"name\": \"ALL\", \"vcas\": [\"DIAL\", \"EFX\"], \"mute\": true},"
	                         "            {\"name\": \"EFX\", \"strips\": [\"FX1\", \"FX2\", \"DX3\"]}],"
	                         " \"mute_groups\": [{\"name\": \"M1\", \"strips\": [\"FX?\"]}]}");
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_uint_eq(c->n_vcas, 3);
	ck_assert_uint_eq(c->n_mute_groups, 1);
	ck_assert_float_eq(c->vcas[0].params.fader_db, -4.0f);
	ck_assert(c->vcas[1].params.mute);
	/* ALL holds DIAL and EFX, so every strip is under ALL */
	ck_assert_uint_eq(c->strips[console_find_strip(c, "DX1")].vcas, 0x3);
	ck_assert_uint_eq(c->strips[console_find_strip(c, "DX3")].vcas, 0x7);
	ck_assert_uint_eq(c->strips[console_find_strip(c, "FX2")].vcas, 0x6);
	ck_assert_uint_eq(c->strips[console_find_strip(c, "FX2")].mute_groups, 0x1);
	ck_assert_uint_eq(c->strips[console_find_strip(c, "DX2")].mute_groups, 0x0);
	console_free(c);

#define GROUPS(groups) "{" BUSES ", \"strips\": [{\"name\": \"A\", \"bus\": \"DX\"}], " groups "}"
	REFUSED(GROUPS("\"vcas\": [{\"name\": \"V\", \"strips\": [\"B*\"]}]"), "vcas[0].strips[0]", "matches no strip");
	REFUSED(GROUPS("\"vcas\": [{\"name\": \"V\", \"strips\": \"A\"}]"), "vcas[0].strips", "must be an array");
	REFUSED(GROUPS("\"vcas\": [{\"name\": \"V\"}, {\"name\": \"V\"}]"), "vcas[1].name", "used twice");
	REFUSED(GROUPS("\"vcas\": [{\"name\": \"V\", \"vcas\": [\"W\"]}, {\"name\": \"W\", \"vcas\": [\"V\"]}]"),
	        "vcas[0].vcas", "a cycle");
	REFUSED(GROUPS("\"vcas\": [{\"name\": \"V\", \"vcas\": [\"Z\"]}]"), "vcas[0].vcas[0]", "no VCA named Z");
	REFUSED(GROUPS("\"vcas\": [{\"name\": \"V\", \"fader\": 30}]"), "vcas[0].fader", "out of range");
	REFUSED(GROUPS("\"vcas\": [{\"name\": \"V\", \"solo\": true}]"), "vcas[0]", "unknown key \"solo\"");
	REFUSED(GROUPS("\"mute_groups\": [{\"name\": \"M\", \"fader\": -3}]"), "mute_groups[0]", "unknown key \"fader\"");
	REFUSED(GROUPS("\"mute_groups\": {\"name\": \"M\"}"), "mute_groups", "must be an array");
	REFUSED(GROUPS("\"mute_groups\": [{\"name\": \"M\", \"mute\": 1}]"), "mute_groups[0].mute", "true or false");
	REFUSED(GROUPS("\"mute_groups\": [{\"strips\": [\"A\"]}]"), "mute_groups[0]", "\"name\"");
#undef GROUPS
}
END_TEST

START_TEST(surfaces_and_profiles)
{
	struct console *c = load("{" BUSES ", \"snapshots\": \"/tmp/snaps\", \"surfaces\": ["
	                         "{\"profile\": \"" SOURCE_ROOT "/configs/surfaces/touchosc-mix16.json\","
	                         " \"from\": \"192.168.1.20\", \"feedback_port\": 9000},"
	                         "{\"profile\": \"" SOURCE_ROOT "/configs/surfaces/generic-8.json\", \"port\": 8000, \"echo\": true}]}");
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_str_eq(c->snapshot_dir, "/tmp/snaps");
	ck_assert_uint_eq(c->n_surfaces, 2);
	ck_assert_str_eq(c->surfaces[0].from, "192.168.1.20");
	ck_assert_uint_eq(c->surfaces[0].feedback_port, 9000);
	ck_assert_uint_eq(c->surfaces[1].port, 8000);
	ck_assert(c->surfaces[1].echo);
	uint32_t slot = 0;
	const struct profile_map *m = profile_match(c->surfaces[0].profile, "/1/rotary16", &slot);
	ck_assert(m != NULL && slot == 16);
	ck_assert_str_eq(m->to, "pan/az");
	ck_assert_float_eq(profile_to_console(m, 0.5f), 0.0f);
	ck_assert_float_eq(profile_to_console(m, 0.0f), 180.0f);
	ck_assert_float_eq(profile_to_surface(m, -90.0f), 0.75f);
	ck_assert_ptr_null(profile_match(c->surfaces[0].profile, "/1/rotary17", &slot));
	ck_assert_ptr_null(profile_match(c->surfaces[0].profile, "/1/rotary", &slot));
	ck_assert_ptr_null(profile_match(c->surfaces[0].profile, "/1/rotaryx", &slot));
	console_free(c);
#define SURFACE(body) "{" BUSES ", \"surfaces\": [" body "]}"
	REFUSED(SURFACE("{\"profile\": \"/nope.json\", \"port\": 1}"), "surfaces[0].profile", "/nope.json");
	REFUSED(SURFACE("{\"profile\": \"" SOURCE_ROOT "/configs/surfaces/generic-8.json\"}"), "surfaces[0]",
	        "needs \"from\"");
	REFUSED(SURFACE("{\"profile\": \"" SOURCE_ROOT "/configs/surfaces/generic-8.json\", \"from\": \"tablet\"}"),
	        "surfaces[0].from", "not an IPv4 or IPv6 address");
	REFUSED(SURFACE("{\"profile\": \"" SOURCE_ROOT "/configs/surfaces/generic-8.json\", \"port\": 1,"
	                " \"feedback_port\": 9}"), "surfaces[0].feedback_port", "needs \"from\"");
	REFUSED(SURFACE("{\"profile\": \"" SOURCE_ROOT "/configs/surfaces/generic-8.json\", \"port\": 70000}"),
	        "surfaces[0].port", "out of range");
	REFUSED(SURFACE("{\"profile\": \"" SOURCE_ROOT "/configs/default.json\", \"port\": 1}"), "surfaces[0].profile",
	        "a profile is");
	REFUSED("{" BUSES ", \"surfaces\": {}}", "surfaces", "must be an array");
#undef SURFACE
	/* broken profiles */
	const char *bad[][2] = {
		{"{\"name\": \"x\", \"map\": [{\"address\": \"/f{k}\", \"to\": \"fader/pos\"}]}", "needs \"slots\""},
		{"{\"name\": \"x\", \"map\": [{\"address\": \"/f{k}\", \"slots\": 2, \"to\": \"/bus/PM/fader\"}]}",
		 "maps to a strip parameter"},
		{"{\"name\": \"x\", \"map\": [{\"address\": \"/f\", \"to\": \"fader\"}]}", "maps to a console address"},
		{"{\"name\": \"x\", \"map\": [{\"address\": \"/f\", \"to\": \"/a\", \"scale\": [1]}]}", "\"scale\" is [lo, hi]"},
		{"{\"name\": \"x\", \"bank_size\": 0, \"map\": []}", "bank_size must be"},
		{"{\"name\": \"x\", \"map\": [{\"to\": \"/a\"}]}", "needs \"address\""},
		{"{\"map\": []", "'}' expected"},
	};
	for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
		FILE *f = fopen("/tmp/dubstage-test-profile.json", "w");
		fputs(bad[k][0], f);
		fclose(f);
		char perr[512];
		ck_assert_ptr_null(profile_load("/tmp/dubstage-test-profile.json", perr, sizeof perr));
		ck_assert_msg(strstr(perr, bad[k][1]) != NULL, "\"%s\" lacks \"%s\"", perr, bad[k][1]);
	}
	unlink("/tmp/dubstage-test-profile.json");
}
END_TEST

START_TEST(carry_params_by_name)
{
	struct console *a = load("{" BUSES ", \"strips\": [{\"name\": \"A\", \"bus\": \"DX\"}, {\"name\": \"B\", \"bus\": \"DX\"}]}");
	struct console *b = load("{" BUSES ", \"strips\": [{\"name\": \"B\", \"bus\": \"DX\"}, {\"name\": \"N\", \"bus\": \"DX\", \"fader\": -3}]}");
	ck_assert(a && b);
	a->strips[1].params.fader_db = -12;
	a->buses[1].params.mute = true;
	console_carry_params(b, a);
	ck_assert_float_eq(b->strips[0].params.fader_db, -12);
	ck_assert_float_eq(b->strips[1].params.fader_db, -3);
	ck_assert(b->buses[1].params.mute);
	console_free(a);
	console_free(b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("config");
	TCase *t = tcase_create("core");
	tcase_add_test(t, shipped_configs_load);
	tcase_add_test(t, values_and_defaults);
	tcase_add_test(t, syntax_errors_have_line_and_column);
	tcase_add_test(t, unknown_keys_are_errors);
	tcase_add_test(t, missing_and_mistyped);
	tcase_add_test(t, bad_values);
	tcase_add_test(t, hostile_files_are_refused);
	tcase_add_test(t, osc_allow_and_subscribers);
	tcase_add_test(t, duplicate_names);
	tcase_add_test(t, unknown_references);
	tcase_add_test(t, routing_errors);
	tcase_add_test(t, strip_processing_keys);
	tcase_add_test(t, downmix_overrides);
	tcase_add_test(t, file_errors);
	tcase_add_test(t, aux_buses_and_sends);
	tcase_add_test(t, dialogue_stem_key);
	tcase_add_test(t, vcas_and_mute_groups);
	tcase_add_test(t, master_limiter_keys);
	tcase_add_test(t, surfaces_and_profiles);
	tcase_add_test(t, carry_params_by_name);
	suite_add_tcase(s, t);
	return run_suite(s);
}
