/* The console model's derived values: a strip's effective fader and mute
 * under its VCAs and mute groups, and what survives a reload. */
#include <math.h>

#include "control/config.h"
#include "tests/check_main.h"

/* DX1..3 under DIAL; FX1..2 under EFX; DIAL and EFX under ALL; DX3 also
 * directly under EFX (so under ALL by two paths: counted once). */
static const char *const text =
	"{\"buses\": [{\"name\": \"DX\", \"format\": \"5.1\", \"role\": \"stem\"},"
	" {\"name\": \"REV\", \"format\": \"2.0\", \"role\": \"aux\", \"to\": \"DX\"}],"
	" \"strips\": [{\"name\": \"DX\", \"count\": 3, \"bus\": \"DX\", \"fader\": -5},"
	" {\"name\": \"FX\", \"count\": 2, \"bus\": \"DX\", \"sends\": {\"REV\": -8}}],"
	" \"vcas\": [{\"name\": \"DIAL\", \"strips\": [\"DX*\"]},"
	"            {\"name\": \"EFX\", \"strips\": [\"FX*\", \"DX3\"]},"
	"            {\"name\": \"ALL\", \"vcas\": [\"DIAL\", \"EFX\"]}],"
	" \"mute_groups\": [{\"name\": \"M\", \"strips\": [\"FX1\"]}]}";

static struct console *load(void)
{
	char err[512];
	struct console *c = config_load_text(text, "t", err, sizeof err);
	ck_assert_msg(c != NULL, "%s", err);
	return c;
}

START_TEST(vca_offsets_add_and_nest)
{
	struct console *c = load();
	const uint32_t dx1 = 0, dx3 = 2, fx1 = 3;
	ck_assert_float_eq(console_strip_fader_db(c, dx1), -5.0f);
	c->vcas[0].params.fader_db = -3.0f; /* DIAL */
	c->vcas[1].params.fader_db = 2.0f;  /* EFX */
	c->vcas[2].params.fader_db = -1.5f; /* ALL */
	ck_assert_float_eq_tol(console_strip_fader_db(c, dx1), -5.0f - 3.0f - 1.5f, 1e-6f);
	/* DX3 is in DIAL and EFX, and in ALL through both: ALL counts once */
	ck_assert_float_eq_tol(console_strip_fader_db(c, dx3), -5.0f - 3.0f + 2.0f - 1.5f, 1e-6f);
	ck_assert_float_eq_tol(console_strip_fader_db(c, fx1), 0.0f + 2.0f - 1.5f, 1e-6f);
	/* the members' own faders did not move */
	ck_assert_float_eq(c->strips[dx1].params.fader_db, -5.0f);
	/* a VCA at -inf silences its members; the sum is capped at +20 dB */
	c->vcas[2].params.fader_db = -INFINITY;
	ck_assert(isinf(console_strip_fader_db(c, fx1)) && console_strip_fader_db(c, fx1) < 0);
	c->vcas[2].params.fader_db = 10.0f;
	c->vcas[1].params.fader_db = 10.0f;
	c->strips[fx1].params.fader_db = 10.0f;
	ck_assert_float_eq(console_strip_fader_db(c, fx1), CONSOLE_VCA_SUM_MAX_DB);
	console_free(c);
}
END_TEST

START_TEST(group_mutes_reach_members_only)
{
	struct console *c = load();
	for (uint32_t s = 0; s < c->n_strips; s++)
		ck_assert(!console_strip_muted(c, s));
	c->mute_groups[0].params.mute = true;
	ck_assert(console_strip_muted(c, 3));
	ck_assert(!console_strip_muted(c, 4));
	ck_assert(!c->strips[3].params.mute); /* its own switch stays */
	c->mute_groups[0].params.mute = false;
	c->vcas[0].params.mute = true; /* DIAL */
	ck_assert(console_strip_muted(c, 0) && console_strip_muted(c, 2));
	ck_assert(!console_strip_muted(c, 3));
	c->vcas[0].params.mute = false;
	c->vcas[2].params.mute = true; /* ALL: everyone */
	for (uint32_t s = 0; s < c->n_strips; s++)
		ck_assert(console_strip_muted(c, s));
	console_free(c);
}
END_TEST

START_TEST(reload_keeps_sends_and_groups_by_name)
{
	struct console *a = load(), *b = load();
	a->strips[3].params.send[0].level_db = -2.0f;
	a->strips[3].params.send[0].pre = true;
	a->vcas[1].params.fader_db = -7.0f;
	a->mute_groups[0].params.mute = true;
	console_carry_params(b, a);
	ck_assert_float_eq(b->strips[3].params.send[0].level_db, -2.0f);
	ck_assert(b->strips[3].params.send[0].pre);
	ck_assert_float_eq(b->strips[4].params.send[0].level_db, -8.0f);
	ck_assert_float_eq(b->vcas[1].params.fader_db, -7.0f);
	ck_assert(b->mute_groups[0].params.mute);
	console_free(a);
	console_free(b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("console");
	TCase *t = tcase_create("core");
	tcase_add_test(t, vca_offsets_add_and_nest);
	tcase_add_test(t, group_mutes_reach_members_only);
	tcase_add_test(t, reload_keeps_sends_and_groups_by_name);
	suite_add_tcase(s, t);
	return run_suite(s);
}
