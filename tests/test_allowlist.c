/* control/allowlist: addresses and subnets parsed and matched, IPv4 and
 * IPv6 (and IPv4 seen through an IPv6 socket), and what is refused. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "control/allowlist.h"
#include "tests/check_main.h"

static struct sockaddr_storage v4(const char *a)
{
	struct sockaddr_storage s = {0};
	struct sockaddr_in *in = (struct sockaddr_in *)&s;
	in->sin_family = AF_INET;
	ck_assert_int_eq(inet_pton(AF_INET, a, &in->sin_addr), 1);
	return s;
}

static struct sockaddr_storage v6(const char *a)
{
	struct sockaddr_storage s = {0};
	struct sockaddr_in6 *in = (struct sockaddr_in6 *)&s;
	in->sin6_family = AF_INET6;
	ck_assert_int_eq(inet_pton(AF_INET6, a, &in->sin6_addr), 1);
	return s;
}

static bool allows(const char *rule, struct sockaddr_storage from)
{
	struct allow_rule r;
	char err[128];
	ck_assert_msg(allowlist_parse(rule, &r, err, sizeof err) == 0, "%s", err);
	return allowlist_permits(&r, 1, (const struct sockaddr *)&from);
}

START_TEST(subnets_match_by_prefix)
{
	ck_assert(allows("192.168.10.0/24", v4("192.168.10.77")));
	ck_assert(!allows("192.168.10.0/24", v4("192.168.11.77")));
	ck_assert(allows("10.0.0.0/8", v4("10.255.1.2")));
	ck_assert(allows("10.1.2.3", v4("10.1.2.3")));
	ck_assert(!allows("10.1.2.3", v4("10.1.2.4")));
	ck_assert(allows("172.16.0.0/12", v4("172.31.255.255")));  /* a prefix inside a byte */
	ck_assert(!allows("172.16.0.0/12", v4("172.32.0.0")));
	ck_assert(allows("0.0.0.0/0", v4("8.8.8.8")));
	ck_assert(allows("::1", v6("::1")));
	ck_assert(!allows("::1", v6("::2")));
	ck_assert(allows("fe80::/10", v6("febf::1")));
	ck_assert(!allows("fe80::/10", v6("fec0::1")));
	ck_assert(allows("192.168.10.0/24", v6("::ffff:192.168.10.5"))); /* IPv4 through an IPv6 socket */
	ck_assert(!allows("::1", v4("127.0.0.1")));                        /* families do not mix */
	struct allow_rule d[2];
	const uint32_t n = allowlist_defaults(d);
	struct sockaddr_storage lo = v4("127.0.0.1"), lo6 = v6("::1"), lan = v4("192.168.1.2");
	ck_assert(allowlist_permits(d, n, (const struct sockaddr *)&lo));
	ck_assert(allowlist_permits(d, n, (const struct sockaddr *)&lo6));
	ck_assert(!allowlist_permits(d, n, (const struct sockaddr *)&lan));
}
END_TEST

START_TEST(broken_rules_are_refused)
{
	const char *bad[] = {"", "abc", "10.0.0.0/33", "10.0.0.0/", "/8", "10.0.0.0/8x", "::1/129", "1.2.3",
	                     "10.0.0.0/-1", "300.1.1.1", "a-very-long-name-that-is-no-address-at-all-and-goes-on-and-on"};
	for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
		struct allow_rule r;
		char err[256] = "";
		ck_assert_msg(allowlist_parse(bad[k], &r, err, sizeof err) == -1, "\"%s\" was taken", bad[k]);
		ck_assert_msg(err[0] != '\0', "\"%s\": no reason given", bad[k]);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("allowlist");
	TCase *t = tcase_create("core");
	tcase_add_test(t, subnets_match_by_prefix);
	tcase_add_test(t, broken_rules_are_refused);
	suite_add_tcase(s, t);
	return run_suite(s);
}
