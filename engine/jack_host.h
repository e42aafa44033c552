/* The JACK glue: one client, its ports, and the process callback that runs
 * the engine. Opening, loading a console and closing: control thread.
 * The callbacks it installs run on JACK's threads and touch only atomics. */
#ifndef DUBSTAGE_ENGINE_JACK_HOST_H
#define DUBSTAGE_ENGINE_JACK_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/console.h"
#include "engine/engine.h"

struct jack_host;

/* Connects to a running JACK server (never starts one). `server` may be NULL
 * for the default ($JACK_DEFAULT_SERVER or "default"). wake_fd, if >= 0,
 * gets a byte written when the server shuts the client down. */
struct jack_host *jack_host_open(const char *client_name, const char *server,
                                 int wake_fd, char *err, size_t errlen);
void jack_host_close(struct jack_host *h);
/* The SCHED_FIFO priority of the client's process thread, or 0 when the
 * server does not run its clients in real time. */
int jack_host_rt_priority(const struct jack_host *h);

/* Builds the graph for `c`, registers the ports it needs (reusing those that
 * already exist), publishes it, unregisters ports no longer used, and makes
 * the "connect" connections of newly registered ports. On success the host
 * owns `c` (and frees the console it replaces). On failure nothing changed
 * and the caller still owns `c`. */
int jack_host_load(struct jack_host *h, struct console *c, char *err, size_t errlen);
int jack_host_activate(struct jack_host *h, char *err, size_t errlen);

struct console *jack_host_console(struct jack_host *h);
struct loudness *jack_host_loudness(const struct jack_host *h); /* NULL: none */
struct engine *jack_host_engine(struct jack_host *h);
const char *jack_host_client_name(const struct jack_host *h);
uint32_t jack_host_sample_rate(const struct jack_host *h);
uint32_t jack_host_period(const struct jack_host *h);
bool jack_host_is_shut_down(const struct jack_host *h);
const char *jack_host_shutdown_reason(const struct jack_host *h);

/* Losing the server and getting it back (control thread). The engine, its
 * graph, the console and the list of our ports' connections outlive the
 * client. */
bool jack_host_online(const struct jack_host *h);
/* Brings the list of connections up to date when JACK said they changed
 * (call it every pass of the control loop). */
void jack_host_track_connections(struct jack_host *h);
/* After the server shut the client down: closes what is left of it. */
void jack_host_lost(struct jack_host *h);
/* Offline: opens the client again on the same server under the same name,
 * rebuilds the graph (for the server's rate if it changed), registers the
 * same ports, activates, and makes every remembered connection again (those
 * whose other end is not back yet are retried at later calls). 0: online;
 * -1: not yet (err: why). Online: retries pending connections (given up
 * after 30 calls, with a message), 0. */
int jack_host_reconnect(struct jack_host *h, char *err, size_t errlen);

#endif
