#include "control/subscription.h"

#include <netinet/in.h>
#include <string.h>

bool subscription_same_address(const struct subscriber *a, const struct sockaddr *addr, socklen_t len)
{
	if (a->addr_len != len || a->addr.ss_family != addr->sa_family)
		return false;
	if (addr->sa_family == AF_INET) {
		const struct sockaddr_in *x = (const struct sockaddr_in *)&a->addr, *y = (const struct sockaddr_in *)addr;
		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (addr->sa_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)&a->addr, *y = (const struct sockaddr_in6 *)addr;
		return x->sin6_port == y->sin6_port && memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
	}
	return memcmp(&a->addr, addr, len) == 0;
}

struct subscriber *subscription_get(struct subscription *s, const struct sockaddr *addr, socklen_t len, bool create)
{
	for (uint32_t i = 0; i < s->n; i++)
		if (subscription_same_address(&s->list[i], addr, len))
			return &s->list[i];
	const uint32_t limit = s->limit && s->limit < SUBSCRIPTION_MAX ? s->limit : SUBSCRIPTION_MAX;
	if (!create || s->n >= limit || len > sizeof s->list[0].addr)
		return NULL;
	struct subscriber *n = &s->list[s->n++];
	memset(n, 0, sizeof *n);
	memcpy(&n->addr, addr, len);
	n->addr_len = len;
	n->meter_hz = SUBSCRIPTION_METER_HZ;
	n->bank_size = SUBSCRIPTION_BANK_SIZE;
	return n;
}

void subscription_expire(struct subscription *s, double now)
{
	uint32_t kept = 0;
	for (uint32_t i = 0; i < s->n; i++) {
		struct subscriber *e = &s->list[i];
		if (e->state_until <= now)
			e->state_until = 0;
		if (e->meters_until <= now)
			e->meters_until = 0;
		if (e->bank_until <= now)
			e->bank_until = 0;
		if (e->state_until > 0 || e->meters_until > 0 || e->bank_until > 0)
			s->list[kept++] = *e;
	}
	s->n = kept;
}

double subscription_next_deadline(const struct subscription *s, double now)
{
	double next = now + 1.0;
	for (uint32_t i = 0; i < s->n; i++)
		if (s->list[i].meters_until > 0 && s->list[i].next_meter < next)
			next = s->list[i].next_meter;
	return next;
}
