#include "engine/jack_host.h"

#include <errno.h>
#include <jack/jack.h>
#include <jack/thread.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/loudness.h"
#include "engine/rt_guard.h"

struct jack_host {
	jack_client_t *client;
	struct engine *engine;
	jack_time_t last_finish_us; /* RT only: when the last callback ended (JACK's clock) */
	struct loudness *loudness; /* the stems' and masters' loudness meter */
	/* For JACK's latency callback (its notification thread): our ports and
	 * how late each output is against the inputs (a limited master's
	 * look-ahead); set by the control thread under the lock. */
	pthread_mutex_t latency_lock;
	jack_port_t **lat_in, **lat_out;
	uint32_t *lat_extra;
	uint32_t lat_n_in, lat_n_out;
	struct console *console;   /* the model of the published graph */
	char name[128];
	char *server;              /* as given to jack_host_open (NULL: the default) */
	int wake_fd;
	bool active;
	atomic_uint period;
	atomic_bool shut_down;
	char shutdown_reason[256];
	/* Every connection our ports have, kept up to date on the control thread
	 * (JACK says when they change), so that a new server gets them back. */
	atomic_bool connections_changed;
	struct connection *connections;
	uint32_t n_connections, cap_connections;
	uint32_t pending;          /* connections[0 .. pending) not yet made again after a reconnect */
	uint32_t pending_tries;    /* calls since the reconnect that left them pending */
};

/* One connection of one of our ports: short name of ours, full name of the
 * other end, and which way the audio goes. */
struct connection {
	char own[2 * CONSOLE_NAME_MAX + 16];
	char peer[320];
	bool own_is_input;
};

/* JACK asks for our ports' latencies: an output is as late as the latest
 * input plus its own delay (capture); an input feeds outputs as late as the
 * latest of them downstream, plus that output's delay (playback). */
static void on_latency(jack_latency_callback_mode_t mode, void *arg)
{
	struct jack_host *h = arg;
	pthread_mutex_lock(&h->latency_lock);
	jack_latency_range_t r, most = {0, 0};
	if (mode == JackCaptureLatency) {
		for (uint32_t i = 0; i < h->lat_n_in; i++) {
			jack_port_get_latency_range(h->lat_in[i], JackCaptureLatency, &r);
			most.min = r.min > most.min ? r.min : most.min;
			most.max = r.max > most.max ? r.max : most.max;
		}
		for (uint32_t o = 0; o < h->lat_n_out; o++) {
			r = (jack_latency_range_t){most.min + h->lat_extra[o], most.max + h->lat_extra[o]};
			jack_port_set_latency_range(h->lat_out[o], JackCaptureLatency, &r);
		}
	} else {
		for (uint32_t o = 0; o < h->lat_n_out; o++) {
			jack_port_get_latency_range(h->lat_out[o], JackPlaybackLatency, &r);
			most.min = r.min + h->lat_extra[o] > most.min ? r.min + h->lat_extra[o] : most.min;
			most.max = r.max + h->lat_extra[o] > most.max ? r.max + h->lat_extra[o] : most.max;
		}
		for (uint32_t i = 0; i < h->lat_n_in; i++)
			jack_port_set_latency_range(h->lat_in[i], JackPlaybackLatency, &most);
	}
	pthread_mutex_unlock(&h->latency_lock);
}

/* After a load: the ports and their delays for on_latency. */
static void update_latencies(struct jack_host *h, struct graph *g)
{
	struct graph_ports *ports = graph_ports(g);
	jack_port_t **in = calloc(ports->n_in + 1, sizeof *in), **out = calloc(ports->n_out + 1, sizeof *out);
	uint32_t *extra = calloc(ports->n_out + 1, sizeof *extra);
	if (!in || !out || !extra) {
		free(in), free(out), free(extra);
		return;
	}
	for (uint32_t i = 0; i < ports->n_in; i++)
		in[i] = ports->in_handle[i];
	for (uint32_t o = 0; o < ports->n_out; o++)
		out[o] = ports->out_handle[o];
	uint32_t port = 0;
	for (uint32_t b = 0; b < graph_bus_count(g); b++) {
		uint32_t n;
		graph_bus_meters(g, b, &n);
		for (uint32_t c = 0; c < n && port < ports->n_out; c++)
			extra[port++] = graph_bus_latency(g, b);
	}
	pthread_mutex_lock(&h->latency_lock);
	free(h->lat_in), free(h->lat_out), free(h->lat_extra);
	h->lat_in = in, h->lat_out = out, h->lat_extra = extra;
	h->lat_n_in = ports->n_in, h->lat_n_out = ports->n_out;
	pthread_mutex_unlock(&h->latency_lock);
	jack_recompute_total_latencies(h->client);
}

static int on_process(jack_nframes_t n, void *arg)
{
	struct jack_host *h = arg;
	rt_guard_enter();
	struct graph *g = engine_begin_rt(h->engine);
	/* How long after the driver began this cycle the callback runs (the
	 * scheduling of this thread, told apart from the console's own work),
	 * and whether the previous callback ended after it began (the server
	 * then counts an xrun of this client). In JACK's clock throughout. */
	jack_nframes_t frames;
	jack_time_t began, next;
	float period_us;
	if (jack_get_cycle_times(h->client, &frames, &began, &next, &period_us) == 0)
		engine_note_cycle_rt(h->engine, 1000 * ((int64_t)jack_get_time() - (int64_t)began),
		                     h->last_finish_us > began);
	if (g) {
		struct graph_ports *p = graph_ports(g);
		for (uint32_t i = 0; i < p->n_in; i++)
			p->in[i] = jack_port_get_buffer(p->in_handle[i], n);
		for (uint32_t o = 0; o < p->n_out; o++)
			p->out[o] = jack_port_get_buffer(p->out_handle[o], n);
		engine_set_frame_time_rt(h->engine, jack_last_frame_time(h->client));
		engine_end_rt(h->engine, g, n);
	}
	h->last_finish_us = jack_get_time();
	rt_guard_leave();
	return 0;
}

static int on_xrun(void *arg)
{
	struct jack_host *h = arg;
	engine_count_xrun_rt(h->engine);
	return 0;
}

static int on_buffer_size(jack_nframes_t n, void *arg)
{
	/* The graph processes any period in blocks; nothing to rebuild. */
	struct jack_host *h = arg;
	atomic_store(&h->period, n);
	return 0;
}

static void on_port_connect(jack_port_id_t a, jack_port_id_t b, int connect, void *arg)
{
	/* JACK's notification thread: only a flag; the control thread asks JACK. */
	struct jack_host *h = arg;
	(void)a, (void)b, (void)connect;
	atomic_store(&h->connections_changed, true);
}

static void on_shutdown(jack_status_t code, const char *reason, void *arg)
{
	/* Like a signal handler: record, wake the control thread, nothing else. */
	struct jack_host *h = arg;
	(void)code;
	snprintf(h->shutdown_reason, sizeof h->shutdown_reason, "%s", reason ? reason : "");
	atomic_store(&h->shut_down, true);
	if (h->wake_fd >= 0) {
		const char b = 'j';
		ssize_t r = write(h->wake_fd, &b, 1);
		(void)r;
	}
}

/* libjack's own messages, but none while the server is away: every try to
 * reach it would print half a dozen lines. */
static atomic_bool jack_quiet;
static void jack_message(const char *msg)
{
	if (!atomic_load(&jack_quiet))
		fprintf(stderr, "jack: %s\n", msg);
}

/* A client on h's server under h's name; NULL with a reason in err. */
static jack_client_t *open_client(struct jack_host *h, const char *client_name, char *err, size_t errlen)
{
	jack_status_t status = 0;
	jack_options_t opts = JackNoStartServer | (h->server ? JackServerName : JackNullOption);
	jack_client_t *client = jack_client_open(client_name, opts, &status, h->server);
	const char *srv = h->server ? h->server
	                            : (getenv("JACK_DEFAULT_SERVER") ? getenv("JACK_DEFAULT_SERVER") : "default");
	if (client)
		return client;
	if (status & JackServerFailed)
		snprintf(err, errlen, "no JACK server named \"%s\" is running (start one, e.g. "
		         "jackd -d dummy -r 48000 -p 256, or use scripts/run.sh)", srv);
	else if (status & JackNameNotUnique)
		snprintf(err, errlen, "a JACK client named \"%s\" already exists on server \"%s\"", client_name, srv);
	else
		snprintf(err, errlen, "could not open JACK client \"%s\" on server \"%s\" (status 0x%x)", client_name,
		         srv, (unsigned)status);
	return NULL;
}

static void install_callbacks(struct jack_host *h)
{
	jack_set_process_callback(h->client, on_process, h);
	jack_set_xrun_callback(h->client, on_xrun, h);
	jack_set_buffer_size_callback(h->client, on_buffer_size, h);
	jack_set_latency_callback(h->client, on_latency, h);
	jack_set_port_connect_callback(h->client, on_port_connect, h);
	jack_on_info_shutdown(h->client, on_shutdown, h);
}

struct jack_host *jack_host_open(const char *client_name, const char *server,
                                 int wake_fd, char *err, size_t errlen)
{
	struct jack_host *h = calloc(1, sizeof *h);
	if (!h || (server && !(h->server = strdup(server)))) {
		snprintf(err, errlen, "out of memory");
		free(h);
		return NULL;
	}
	h->wake_fd = wake_fd;
	jack_set_error_function(jack_message);
	jack_set_info_function(jack_message);
	h->client = open_client(h, client_name, err, errlen);
	if (!h->client) {
		free(h->server);
		free(h);
		return NULL;
	}
	snprintf(h->name, sizeof h->name, "%s", jack_get_client_name(h->client));
	atomic_store(&h->period, jack_get_buffer_size(h->client));
	h->engine = engine_create(jack_get_sample_rate(h->client));
	if (!h->engine) {
		snprintf(err, errlen, "out of memory");
		jack_client_close(h->client);
		free(h->server);
		free(h);
		return NULL;
	}
	char lerr[256];
	h->loudness = loudness_create(jack_get_sample_rate(h->client), 1.0f, lerr, sizeof lerr);
	if (!h->loudness) /* the console runs without loudness meters rather than not at all */
		fprintf(stderr, "dubstage: warning: %s\n", lerr);
	engine_set_loudness(h->engine, h->loudness);
	pthread_mutex_init(&h->latency_lock, NULL);
	install_callbacks(h);
	return h;
}

int jack_host_rt_priority(const struct jack_host *h)
{
	if (!h->client || !jack_is_realtime(h->client))
		return 0;
	const int prio = jack_client_real_time_priority(h->client);
	return prio > 0 ? prio : 0;
}

void jack_host_close(struct jack_host *h)
{
	if (!h)
		return;
	if (h->client) {
		if (h->active && !atomic_load(&h->shut_down))
			jack_deactivate(h->client);
		jack_client_close(h->client);
	}
	loudness_destroy(h->loudness); /* no process call can run any more */
	free(h->lat_in);
	free(h->lat_out);
	free(h->lat_extra);
	engine_destroy(h->engine);
	console_free(h->console);
	free(h->connections);
	free(h->server);
	free(h);
}

/* One JACK port of a console. Ports come in graph order (struct
 * graph_ports): strip inputs, strips then channels, then aux return
 * inputs, then bus outputs, then the monitor's. */
struct console_port {
	bool input;
	char name[2 * CONSOLE_NAME_MAX + 16]; /* short name: in_BOOM, in_SCORE_L, PM_Ltf */
	const char *peer;                     /* the config's "connect" for it, or NULL */
};

static void add_ports(struct console_port *out, uint32_t *k, bool input, const char *name,
                      const struct layout *l, char *const *connect, uint32_t n_connect)
{
	for (unsigned ch = 0; ch < l->channels; ch++, (*k)++) {
		struct console_port *p = &out[*k];
		p->input = input;
		/* Mono ports carry no channel suffix: in_BOOM, not in_BOOM_M. */
		if (l->channels == 1)
			snprintf(p->name, sizeof p->name, "%s%s", input ? "in_" : "", name);
		else
			snprintf(p->name, sizeof p->name, "%s%s_%s", input ? "in_" : "", name, l->speakers[ch].name);
		p->peer = ch < n_connect ? connect[ch] : NULL;
	}
}

/* Every port of c, in graph order; NULL when out of memory. */
static struct console_port *list_ports(const struct console *c, uint32_t *n)
{
	*n = console_input_port_count(c) + console_output_port_count(c);
	struct console_port *out = calloc(*n ? *n : 1, sizeof *out);
	if (!out)
		return NULL;
	uint32_t port = 0;
	for (uint32_t s = 0; s < c->n_strips; s++)
		add_ports(out, &port, true, c->strips[s].name, layout_get(c->strips[s].input),
		          c->strips[s].connect, c->strips[s].n_connect);
	for (uint32_t a = 0; a < c->n_aux; a++) {
		/* in_REV_return_L: where the external processor's output comes back */
		const struct console_bus *aux = &c->buses[c->aux[a]];
		char name[CONSOLE_NAME_MAX + 8];
		snprintf(name, sizeof name, "%s_return", aux->name);
		add_ports(out, &port, true, name, layout_get(aux->format), aux->return_connect, aux->n_return_connect);
	}
	for (uint32_t b = 0; b < c->n_buses; b++)
		add_ports(out, &port, false, c->buses[b].name, layout_get(c->buses[b].format),
		          c->buses[b].connect, c->buses[b].n_connect);
	if (c->monitor)
		add_ports(out, &port, false, "monitor", layout_get(c->monitor->room), c->monitor->connect,
		          c->monitor->n_connect);
	return out;
}

/* The handle slot of port k of a graph. */
static void **handle_of(struct graph_ports *ports, uint32_t k)
{
	return k < ports->n_in ? &ports->in_handle[k] : &ports->out_handle[k - ports->n_in];
}

/* A port of ours by short name, or NULL. */
static jack_port_t *own_port(struct jack_host *h, const char *short_name)
{
	char full[512];
	snprintf(full, sizeof full, "%s:%s", h->name, short_name);
	jack_port_t *p = jack_port_by_name(h->client, full);
	return p && jack_port_is_mine(h->client, p) ? p : NULL;
}

struct port_plan {
	jack_port_t **fresh;   /* ports registered by this load, to undo on failure */
	uint32_t n_fresh;
};

static int bind_port(struct jack_host *h, struct port_plan *plan, const char *short_name,
                     unsigned long flags, void **handle, bool *is_new)
{
	jack_port_t *p = own_port(h, short_name);
	*is_new = false;
	if (!p) {
		p = jack_port_register(h->client, short_name, JACK_DEFAULT_AUDIO_TYPE, flags, 0);
		if (!p)
			return -1;
		plan->fresh[plan->n_fresh++] = p;
		*is_new = true;
	}
	*handle = p;
	return 0;
}

static void connect_ports(struct jack_host *h, const char *src, const char *dst)
{
	int rc = jack_connect(h->client, src, dst);
	if (rc != 0 && rc != EEXIST)
		fprintf(stderr, "dubstage: warning: could not connect %s -> %s\n", src, dst);
}

/* Makes the config's "connect" connections of c's ports: all of them, or
 * (is_new) only those this load registered. */
static void connect_configured(struct jack_host *h, const struct console *c,
                               struct graph_ports *ports, const bool *is_new)
{
	uint32_t n;
	struct console_port *list = list_ports(c, &n);
	for (uint32_t k = 0; list && k < n; k++) {
		if (!list[k].peer || (is_new && !is_new[k]))
			continue;
		const char *own = jack_port_name(*handle_of(ports, k));
		if (list[k].input)
			connect_ports(h, list[k].peer, own);
		else
			connect_ports(h, own, list[k].peer);
	}
	free(list);
}

/* Unregisters the ports of `old` that the new graph's ports do not reuse. */
static void unregister_unused(struct jack_host *h, const struct console *old,
                              struct graph_ports *ports)
{
	uint32_t n;
	struct console_port *list = list_ports(old, &n);
	for (uint32_t k = 0; list && k < n; k++) {
		jack_port_t *p = own_port(h, list[k].name);
		bool used = false;
		for (uint32_t i = 0; p && !used && i < ports->n_in + ports->n_out; i++)
			used = *handle_of(ports, i) == p;
		if (p && !used)
			jack_port_unregister(h->client, p);
	}
	free(list);
}

/* jack_host_load; with `adopt` the new graph takes over the running one's
 * state (a reload), without it starts from rest (a new server). */
static int load(struct jack_host *h, struct console *c, bool adopt, char *err, size_t errlen)
{
	struct graph *old = adopt ? engine_graph(h->engine) : NULL;
	struct graph *g = graph_build(c, old, (float)engine_sample_rate(h->engine), err, errlen);
	if (!g)
		return -1;
	struct graph_ports *ports = graph_ports(g);
	const uint32_t needed = ports->n_in + ports->n_out;
	struct port_plan plan = {calloc(needed ? needed : 1, sizeof(jack_port_t *)), 0};
	bool *is_new = calloc(needed ? needed : 1, sizeof(bool));
	uint32_t n_list;
	struct console_port *list = list_ports(c, &n_list);
	if (!plan.fresh || !is_new || !list) {
		free(plan.fresh);
		free(is_new);
		free(list);
		graph_free(g);
		snprintf(err, errlen, "out of memory");
		return -1;
	}

	uint32_t k = 0;
	int failed = 0;
	for (; k < needed && !failed; k++)
		failed = bind_port(h, &plan, list[k].name,
		                   list[k].input ? JackPortIsInput : JackPortIsOutput | JackPortIsTerminal,
		                   handle_of(ports, k), &is_new[k]);
	if (failed) {
		snprintf(err, errlen, "the console needs %u JACK ports (%u inputs, %u outputs) but the "
		         "server refused port %u (\"%s\"): it has run out of ports. Debian's jackd2 "
		         "allows 2048 per server; start jackd with a larger -p/--port-max, or use a "
		         "smaller console", needed, ports->n_in, ports->n_out, k, list[k - 1].name);
		for (uint32_t i = 0; i < plan.n_fresh; i++)
			jack_port_unregister(h->client, plan.fresh[i]);
		free(plan.fresh);
		free(is_new);
		free(list);
		graph_free(g);
		return -1;
	}
	free(list);

	char lerr[256];
	if (h->loudness && loudness_set_buses(h->loudness, engine_next_generation(h->engine), c, lerr, sizeof lerr) < 0)
		fprintf(stderr, "dubstage: warning: %s\n", lerr);
	engine_publish(h->engine, g);
	update_latencies(h, g);
	if (h->active && engine_collect_wait(h->engine, 2000) > 0)
		fprintf(stderr, "dubstage: warning: the process thread has not picked up the new graph "
		        "after 2 s; the old one is kept until it does\n");
	else if (!h->active)
		engine_collect(h->engine, true);

	/* Ports the new console no longer has: the RT thread has moved on. */
	if (h->console && h->console != c)
		unregister_unused(h, h->console, ports);
	if (h->active)
		connect_configured(h, c, ports, is_new);
	free(plan.fresh);
	free(is_new);
	if (h->console != c)
		console_free(h->console);
	h->console = c;
	return 0;
}

int jack_host_load(struct jack_host *h, struct console *c, char *err, size_t errlen)
{
	return load(h, c, true, err, errlen);
}

int jack_host_activate(struct jack_host *h, char *err, size_t errlen)
{
	if (jack_activate(h->client) != 0) {
		snprintf(err, errlen, "could not activate the JACK client");
		return -1;
	}
	h->active = true;
	/* Connections listed in the config, now that the client runs. */
	connect_configured(h, h->console, graph_ports(engine_graph(h->engine)), NULL);
	return 0;
}

struct console *jack_host_console(struct jack_host *h) { return h->console; }
struct loudness *jack_host_loudness(const struct jack_host *h) { return h->loudness; }

struct engine *jack_host_engine(struct jack_host *h) { return h->engine; }
const char *jack_host_client_name(const struct jack_host *h) { return h->name; }
uint32_t jack_host_sample_rate(const struct jack_host *h) { return engine_sample_rate(h->engine); }
uint32_t jack_host_period(const struct jack_host *h) { return atomic_load(&((struct jack_host *)h)->period); }
bool jack_host_is_shut_down(const struct jack_host *h) { return atomic_load(&((struct jack_host *)h)->shut_down); }
const char *jack_host_shutdown_reason(const struct jack_host *h) { return h->shutdown_reason; }

bool jack_host_online(const struct jack_host *h) { return h->client != NULL && !jack_host_is_shut_down(h); }

/* Appends a connection to h's list; false when out of memory. */
static bool remember(struct jack_host *h, const char *own, const char *peer, bool own_is_input)
{
	if (h->n_connections == h->cap_connections) {
		const uint32_t cap = h->cap_connections ? 2 * h->cap_connections : 64;
		struct connection *grown = realloc(h->connections, cap * sizeof *grown);
		if (!grown)
			return false;
		h->connections = grown;
		h->cap_connections = cap;
	}
	struct connection *c = &h->connections[h->n_connections++];
	snprintf(c->own, sizeof c->own, "%s", own);
	snprintf(c->peer, sizeof c->peer, "%s", peer);
	c->own_is_input = own_is_input;
	return true;
}

void jack_host_track_connections(struct jack_host *h)
{
	if (!jack_host_online(h) || h->pending || !atomic_exchange(&h->connections_changed, false))
		return;
	h->n_connections = 0;
	struct graph_ports *ports = graph_ports(engine_graph(h->engine));
	for (uint32_t k = 0; k < ports->n_in + ports->n_out; k++) {
		jack_port_t *p = *handle_of(ports, k);
		const char **peers = jack_port_get_all_connections(h->client, p);
		for (size_t i = 0; peers && peers[i]; i++)
			remember(h, jack_port_short_name(p), peers[i], k < ports->n_in);
		jack_free(peers);
	}
}

void jack_host_lost(struct jack_host *h)
{
	if (!h->client)
		return;
	/* The server is gone or has zombified us: no process call comes any more,
	 * and what is left of the client is closed. The engine, its graph and the
	 * console stay, and so does the list of connections to make again. */
	jack_client_close(h->client);
	h->client = NULL;
	h->active = false;
	engine_set_offline(h->engine, true);
	atomic_store(&jack_quiet, true);
}

#define PENDING_TRIES 30 /* calls (about a second apart) before pending connections are given up */

/* Makes the remembered connections that are not there yet; those whose
 * other end has not come back stay pending. */
static void make_pending(struct jack_host *h)
{
	uint32_t still = 0;
	for (uint32_t k = 0; k < h->pending; k++) {
		const struct connection *c = &h->connections[k];
		char own[512];
		snprintf(own, sizeof own, "%s:%s", h->name, c->own);
		const int rc = c->own_is_input ? jack_connect(h->client, c->peer, own) : jack_connect(h->client, own, c->peer);
		if (rc != 0 && rc != EEXIST) { /* still pending: to the front, the list stays whole */
			const struct connection keep = *c;
			h->connections[k] = h->connections[still];
			h->connections[still++] = keep;
		}
	}
	h->pending = still;
}

int jack_host_reconnect(struct jack_host *h, char *err, size_t errlen)
{
	if (h->client && !jack_host_is_shut_down(h)) {
		if (h->pending)
			make_pending(h);
		if (h->pending && ++h->pending_tries == PENDING_TRIES) { /* their clients are not coming back */
			fprintf(stderr, "dubstage: gave up remaking %u connection(s) whose other end did not come back, "
			        "e.g. %s:%s %s %s\n", h->pending, h->name, h->connections[0].own,
			        h->connections[0].own_is_input ? "<-" : "->", h->connections[0].peer);
			h->pending = 0;
			atomic_store(&h->connections_changed, true); /* the list is what JACK has now */
		}
		return 0;
	}
	jack_host_lost(h);
	h->client = open_client(h, h->name, err, errlen);
	if (!h->client)
		return -1;
	if (strcmp(jack_get_client_name(h->client), h->name) != 0) { /* our ports' names are our name */
		snprintf(err, errlen, "the server named the client \"%s\", not \"%s\"", jack_get_client_name(h->client),
		         h->name);
		jack_client_close(h->client);
		h->client = NULL;
		return -1;
	}
	atomic_store(&h->shut_down, false);
	atomic_store(&h->period, jack_get_buffer_size(h->client));
	const uint32_t rate = jack_get_sample_rate(h->client);
	if (rate != engine_sample_rate(h->engine)) { /* no process call runs: rebuild for the new rate */
		engine_set_sample_rate(h->engine, rate);
		char lerr[256];
		loudness_destroy(h->loudness);
		h->loudness = loudness_create(rate, 1.0f, lerr, sizeof lerr);
		if (!h->loudness)
			fprintf(stderr, "dubstage: warning: %s\n", lerr);
		engine_set_loudness(h->engine, h->loudness);
	}
	install_callbacks(h);
	const bool loaded = load(h, h->console, false, err, errlen) == 0;
	engine_set_offline(h->engine, false); /* before the first process call can come */
	atomic_store(&jack_quiet, false);
	if (!loaded || jack_host_activate(h, err, errlen) < 0) {
		engine_set_offline(h->engine, true);
		atomic_store(&jack_quiet, true);
		jack_client_close(h->client);
		h->client = NULL;
		h->active = false;
		return -1;
	}
	/* every connection the ports had before the server went */
	h->pending = h->n_connections;
	h->pending_tries = 0;
	make_pending(h);
	atomic_store(&h->connections_changed, true);
	return 0;
}
