/* The surfaces that asked for feedback: each one's UDP address, its leases
 * (state changes, meter frames), whether it wants its own changes echoed, and
 * its meter rate. Leases run out unless renewed, as hardware surfaces
 * expect (a surface that was switched off stops being sent to).
 * Control thread only; times are CLOCK_MONOTONIC seconds. */
#ifndef DUBSTAGE_CONTROL_SUBSCRIPTION_H
#define DUBSTAGE_CONTROL_SUBSCRIPTION_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#define SUBSCRIPTION_MAX 64
#define SUBSCRIPTION_LEASE_S 10.0     /* default lease */
#define SUBSCRIPTION_LEASE_MAX_S 3600.0
#define SUBSCRIPTION_METER_HZ 30.0f   /* default meter frame rate */
#define SUBSCRIPTION_METER_MAX_HZ 60.0f
#define SUBSCRIPTION_BANK_SIZE 8      /* default faders per bank */
#define SUBSCRIPTION_BANK_SIZE_MAX 64
#define SUBSCRIPTION_BANK_KEEP_S 3600.0 /* a surface's bank is forgotten after an hour unused */

struct subscriber {
	struct sockaddr_storage addr;
	socklen_t addr_len;
	double state_until;   /* state changes are sent until then (0: not subscribed) */
	bool echo;            /* also the changes this surface made itself */
	double meters_until;  /* meter frames until then (0: none) */
	float meter_hz;
	double next_meter;    /* when its next frame is due */
	double bank_until;    /* banking state is kept until then (renewed by use) */
	uint32_t bank;        /* 0-based: its faders show strips bank * bank_size ... */
	uint32_t bank_size;
};

struct subscription {
	struct subscriber list[SUBSCRIPTION_MAX];
	uint32_t n;
	uint32_t limit;       /* entries allowed (1 ... SUBSCRIPTION_MAX; 0: SUBSCRIPTION_MAX) */
};

/* The entry for addr, made if `create` (NULL when absent, or when full). */
struct subscriber *subscription_get(struct subscription *s, const struct sockaddr *addr, socklen_t len,
                                    bool create);
bool subscription_same_address(const struct subscriber *a, const struct sockaddr *addr, socklen_t len);
/* Drops what has run out by `now`; an entry with no lease left goes. */
void subscription_expire(struct subscription *s, double now);
/* The earliest due meter frame (or now + 1 s, for expiry, when none is). */
double subscription_next_deadline(const struct subscription *s, double now);

#endif
