/* Which clients may talk to the console over OSC: addresses and subnets
 * (IPv4 or IPv6, "10.0.0.0/24", "192.168.1.20", "::1"). A datagram from
 * anywhere else is dropped before liblo sees it, and only counted: nothing
 * is kept per sender. Control thread. */
#ifndef DUBSTAGE_CONTROL_ALLOWLIST_H
#define DUBSTAGE_CONTROL_ALLOWLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define ALLOWLIST_MAX 64

struct allow_rule {
	sa_family_t family;     /* AF_INET or AF_INET6 */
	unsigned char addr[16]; /* network byte order; 4 bytes used for IPv4 */
	unsigned prefix;        /* bits that must match */
};

/* One rule from text; -1 with the reason in err. */
int allowlist_parse(const char *text, struct allow_rule *out, char *err, size_t errlen);

/* Whether `from` matches any of rules[0 .. n) (an IPv4 client reaching an
 * IPv6 socket as ::ffff:a.b.c.d is matched as IPv4). */
bool allowlist_permits(const struct allow_rule *rules, uint32_t n, const struct sockaddr *from);

/* The rules when a console names none: the loopback only (127.0.0.0/8, ::1). */
uint32_t allowlist_defaults(struct allow_rule *out);

#endif
