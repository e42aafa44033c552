/* The command line as a user meets it: exit statuses and messages of the
 * real binary, including a console that needs more ports than the JACK
 * server grants. */
#include <jack/jack.h>
#include <string.h>

#include "tests/check_main.h"
#include "tests/process_util.h"

static char log_path[64];

/* Runs dubstage with args; returns its exit status (-1 if it did not exit). */
static int dubstage(const char *const *args, const char *const *env)
{
	char *argv[16] = {DUBSTAGE};
	int n = 1;
	for (const char *const *a = args; *a && n < 15; a++)
		argv[n++] = (char *)*a;
	argv[n] = NULL;
	snprintf(log_path, sizeof log_path, "/tmp/dubstage-cli-%d.log", (int)getpid());
	unlink(log_path);
	pid_t pid = spawn_logged(argv, log_path, env);
	int st;
	if (!wait_exit(pid, 20000, &st)) {
		stop_process(pid, 1000);
		return -1;
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

#define RUN(...) dubstage((const char *const[]){__VA_ARGS__, NULL}, NULL)
#define OUT slurp(log_path)

START_TEST(help_version_and_usage_errors)
{
	ck_assert_int_eq(RUN("--help"), 0);
	ck_assert(strstr(OUT, "dubstage run CONFIG") != NULL);
	ck_assert_int_eq(RUN("--version"), 0);
	ck_assert(strstr(OUT, "dubstage " DUBSTAGE_VERSION) != NULL);
	ck_assert_int_eq(dubstage((const char *const[]){NULL}, NULL), 2);
	ck_assert_int_eq(RUN("mix"), 2);
	ck_assert(strstr(OUT, "unknown command \"mix\"") != NULL);
	ck_assert_int_eq(RUN("run", SOURCE_ROOT "/configs/default.json", "--osc-port", "99999"), 2);
	ck_assert(strstr(OUT, "not a port number") != NULL);
	ck_assert_int_eq(RUN("bench", SOURCE_ROOT "/configs/default.json", "--period", "3"), 2);
	ck_assert_int_eq(RUN("bench", SOURCE_ROOT "/configs/default.json", "--rebuild", "0"), 2);
	ck_assert_int_eq(RUN("bench", SOURCE_ROOT "/configs/default.json", "--rebuild", "x"), 2);
	ck_assert(strstr(OUT, "bad argument \"--rebuild\"") != NULL);
	ck_assert_int_eq(RUN("check"), 2);
}
END_TEST

START_TEST(check_accepts_and_refuses)
{
	ck_assert_int_eq(RUN("check", SOURCE_ROOT "/configs/default.json"), 0);
	ck_assert(strstr(OUT, "ok: \"Reel 3 final\", 40 strips, 8 buses, 137 JACK ports (55 in, 82 out)") != NULL);
	const char *bad = "/tmp/dubstage-cli-bad.json";
	FILE *f = fopen(bad, "w");
	fputs("{\"buses\": [{\"name\": \"DX\", \"format\": \"5.1\", \"role\": \"stem\"}],\n"
	      " \"strips\": [{\"name\": \"A\", \"bus\": \"DXX\"}]}\n", f);
	fclose(f);
	ck_assert_int_eq(RUN("check", bad), 2);
	ck_assert_msg(strstr(OUT, "/tmp/dubstage-cli-bad.json:2:") &&
	              strstr(OUT, "strips[0].bus: no bus named \"DXX\""), "%s", OUT);
	/* run refuses a bad config the same way, before touching JACK */
	ck_assert_int_eq(RUN("run", bad), 2);
	ck_assert(strstr(OUT, "no bus named \"DXX\"") != NULL);
	unlink(bad);
	ck_assert_int_eq(RUN("check", "/nonexistent.json"), 2);
	ck_assert(strstr(OUT, "cannot open") != NULL);
}
END_TEST

START_TEST(run_without_a_server_says_so)
{
	char server[64];
	snprintf(server, sizeof server, "dubstage-nosuch-%d", (int)getpid());
	ck_assert_int_eq(RUN("run", SOURCE_ROOT "/configs/default.json", "--server", server), 1);
	ck_assert_msg(strstr(OUT, "no JACK server named") && strstr(OUT, server), "%s", OUT);
}
END_TEST

static void quiet(const char *msg) { (void)msg; }

/* A server that grants 32 ports: the 89-port default console stops with an
 * error naming the count, and leaves no port behind. */
START_TEST(too_many_ports_is_a_clear_error)
{
	char server[64], jlog[64];
	snprintf(server, sizeof server, "dubstage-ports-%d", (int)getpid());
	snprintf(jlog, sizeof jlog, "/tmp/dubstage-ports-%d.log", (int)getpid());
	char *jargv[] = {"jackd", "-n", server, "--port-max", "32", "-d", "dummy", "-r", "48000", "-p", "256", NULL};
	pid_t jackd = spawn_logged(jargv, jlog, NULL);
	jack_set_error_function(quiet);
	jack_client_t *c = NULL;
	jack_status_t st;
	for (int i = 0; i < 100 && !c; i++, sleep_ms(50))
		c = jack_client_open("cli-test", JackNoStartServer | JackServerName, &st, server);
	ck_assert_msg(c != NULL, "jackd did not start: %s", slurp(jlog));
	const int rc = RUN("run", SOURCE_ROOT "/configs/default.json", "--server", server, "--osc-port", "0");
	const char *out = OUT;
	const char **ports = jack_get_ports(c, "dubstage:", NULL, 0);
	const bool left = ports != NULL;
	jack_free(ports);
	jack_client_close(c);
	stop_process(jackd, 5000);
	unlink(jlog);
	ck_assert_int_eq(rc, 1);
	ck_assert_msg(strstr(out, "the console needs 137 JACK ports (55 inputs, 82 outputs)") &&
	              strstr(out, "run out of ports"), "%s", out);
	ck_assert_msg(!left, "ports were left registered");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cli");
	TCase *t = tcase_create("core");
	tcase_set_timeout(t, 60);
	tcase_add_test(t, help_version_and_usage_errors);
	tcase_add_test(t, check_accepts_and_refuses);
	tcase_add_test(t, run_without_a_server_says_so);
	tcase_add_test(t, too_many_ports_is_a_clear_error);
	suite_add_tcase(s, t);
	return run_suite(s);
}
