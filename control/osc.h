/* The OSC control surface: a UDP socket of our own (so it can bind one
 * address: liblo 0.31 cannot), liblo for parsing and dispatch, and the one
 * table that defines the address space (docs/osc.md is checked against it).
 * Control thread only: handlers edit the console model and queue commands to
 * the engine; replies go to the sender's address and port. */
#ifndef DUBSTAGE_CONTROL_OSC_H
#define DUBSTAGE_CONTROL_OSC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "control/param.h"
#include "engine/console.h"
#include "engine/engine.h"

#define OSC_MAX_DATAGRAM 8192 /* larger datagrams are refused before liblo sees them */

struct loudness;
struct print_recorder;

/* What the OSC layer needs from whoever runs the engine. */
struct osc_host {
	void *ctx;
	struct console *(*console)(void *ctx);
	struct engine *(*engine)(void *ctx);
	uint32_t (*period)(void *ctx);
	struct loudness *(*loudness)(void *ctx); /* the stems' and masters' meter, or NULL */
	struct print_recorder *print;            /* prints while mixing, or NULL */
	/* Whether the audio runs, and why not ("" when it does); NULL: always online. */
	bool (*online)(void *ctx, const char **why);
};

struct osc_server;

/* Binds UDP bind_addr:port (port 0 picks a free one). */
struct osc_server *osc_server_open(const struct osc_host *host, const char *bind_addr,
                                   uint16_t port, char *err, size_t errlen);
void osc_server_close(struct osc_server *s);
int osc_server_fd(const struct osc_server *s);
uint16_t osc_server_port(const struct osc_server *s);
/* Reads and handles the datagrams waiting on the socket, at most 256 a call
 * (never blocks): call it again while the socket is readable. */
void osc_server_poll(struct osc_server *s);
/* Handles one datagram of n bytes (as received: n may exceed what is
 * accepted) from `from` (replies go there). osc_server_poll's step, and the
 * fuzzer's way in. */
void osc_server_handle(struct osc_server *s, const void *data, size_t n, const struct sockaddr *from, socklen_t len);
/* Time-driven work: sends the meter frames that are due and ends leases
 * that ran out. Call it when osc_server_timeout_ms has passed (and may call
 * it more often). */
void osc_server_tick(struct osc_server *s);
/* Tells every subscriber /status (after the audio went offline or came
 * back online). */
void osc_server_notify_status(struct osc_server *s);
/* Milliseconds until osc_server_tick has something to do (at most 1000). */
int osc_server_timeout_ms(const struct osc_server *s);
/* Datagrams that were not valid OSC. */
uint64_t osc_server_bad_packets(const struct osc_server *s);
/* Datagrams from addresses the allowlist does not name (dropped unread). */
uint64_t osc_server_refused_packets(const struct osc_server *s);
/* Datagrams over their sender's rate (config "osc_rate"; dropped unread). */
uint64_t osc_server_limited_packets(const struct osc_server *s);
/* Pattern messages refused whole for reaching more targets than their
 * sender's osc_fanout allowed at that moment. */
uint64_t osc_server_fanout_refused(const struct osc_server *s);

/* /error replies not sent because their sender had had its hundred this
 * second (the datagrams they answered are counted as malformed or refused). */
uint64_t osc_server_errors_withheld(const struct osc_server *s);

const struct osc_address *osc_addresses(size_t *n);

#endif
