#include "control/allowlist.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int allowlist_parse(const char *text, struct allow_rule *out, char *err, size_t errlen)
{
	char host[64];
	const char *slash = strchr(text, '/');
	const size_t host_len = slash ? (size_t)(slash - text) : strlen(text);
	if (host_len == 0 || host_len >= sizeof host) {
		snprintf(err, errlen, "\"%s\" is not an address or subnet (e.g. 192.168.1.0/24, 10.0.0.5, ::1)", text);
		return -1;
	}
	memcpy(host, text, host_len);
	host[host_len] = '\0';
	memset(out, 0, sizeof *out);
	unsigned bits;
	if (inet_pton(AF_INET, host, out->addr) == 1) {
		out->family = AF_INET;
		bits = 32;
	} else if (inet_pton(AF_INET6, host, out->addr) == 1) {
		out->family = AF_INET6;
		bits = 128;
	} else {
		snprintf(err, errlen, "\"%s\" is not an address or subnet (e.g. 192.168.1.0/24, 10.0.0.5, ::1)", text);
		return -1;
	}
	out->prefix = bits;
	if (slash) {
		char *end;
		const unsigned long p = strtoul(slash + 1, &end, 10);
		if (slash[1] == '\0' || *end != '\0' || p > bits) {
			snprintf(err, errlen, "\"%s\": the prefix after / must be 0 ... %u", text, bits);
			return -1;
		}
		out->prefix = (unsigned)p;
	}
	return 0;
}

/* Whether the first `bits` bits of a and b agree. */
static bool same_prefix(const unsigned char *a, const unsigned char *b, unsigned bits)
{
	const unsigned whole = bits / 8, rest = bits % 8;
	if (memcmp(a, b, whole) != 0)
		return false;
	const unsigned char mask = (unsigned char)(0xff << (8 - rest));
	return rest == 0 || ((a[whole] ^ b[whole]) & mask) == 0;
}

bool allowlist_permits(const struct allow_rule *rules, uint32_t n, const struct sockaddr *from)
{
	unsigned char addr[16];
	sa_family_t family = from->sa_family;
	if (family == AF_INET) {
		memcpy(addr, &((const struct sockaddr_in *)(const void *)from)->sin_addr, 4);
	} else if (family == AF_INET6) {
		const struct in6_addr *a6 = &((const struct sockaddr_in6 *)(const void *)from)->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(a6)) {
			family = AF_INET;
			memcpy(addr, a6->s6_addr + 12, 4);
		} else {
			memcpy(addr, a6->s6_addr, 16);
		}
	} else {
		return false;
	}
	for (uint32_t k = 0; k < n; k++)
		if (rules[k].family == family && same_prefix(rules[k].addr, addr, rules[k].prefix))
			return true;
	return false;
}

uint32_t allowlist_defaults(struct allow_rule *out)
{
	char err[128];
	allowlist_parse("127.0.0.0/8", &out[0], err, sizeof err);
	allowlist_parse("::1", &out[1], err, sizeof err);
	return 2;
}
