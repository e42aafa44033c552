#include "control/osc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <lo/lo.h>
#include <math.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "control/allowlist.h"
#include "control/config.h"
#include "control/fader_law.h"
#include "control/param.h"
#include "control/print.h"
#include "control/profile.h"
#include "control/snapshot.h"
#include "control/subscription.h"
#include "dsp/gain.h"
#include "dsp/panner.h"
#include "engine/loudness.h"
#include "engine/monitor.h"

#define METER_FLOOR_DB -144.0f

const struct osc_address *osc_addresses(size_t *n)
{
	static struct osc_address table[512];
	const struct param *params = param_table(n);
	for (size_t i = 0; i < *n && i < 512; i++)
		table[i] = params[i].doc;
	return table;
}

/* A sender's token buckets: up to a second's worth of datagrams at once,
 * refilled at the console's osc_rate, and of targets reached through
 * wildcard patterns ("/strip/ * /mute" reaches every strip), refilled at
 * its osc_fanout. Only allowed senders get them. */
#define OSC_RATE_SENDERS 32 /* senders kept; the one heard least recently makes room */
/* /error replies a second to any one sender (a second's worth at once):
 * more tells a surface nothing new, and a reply to every junk datagram
 * would cost the control thread a system call each and send a spoofed
 * address 60 bytes for every byte of junk. */
#define OSC_ERRORS_PER_SECOND 100
struct token_bucket {
	double tokens, last; /* what is left, as of when (monotonic seconds) */
};

struct sender_rate {
	struct sockaddr_storage addr;
	socklen_t len;
	struct token_bucket datagrams, fanout, errors;
};

/* Refills b at `rate` a second (holding a second's worth at most) and takes
 * k from it; false, and nothing taken, when it holds fewer. */
static bool bucket_take(struct token_bucket *b, double rate, double now, double k)
{
	b->tokens += (now - b->last) * rate;
	b->tokens = b->tokens < rate ? b->tokens : rate;
	b->last = now;
	if (b->tokens < k)
		return false;
	b->tokens -= k;
	return true;
}

struct osc_server {
	int fd;
	uint16_t port;
	lo_server lo;
	struct osc_host host;
	struct sockaddr_storage from;
	socklen_t from_len;
	char lo_error[256];
	uint64_t bad_packets;
	uint64_t refused_packets;  /* from addresses the allowlist does not name: dropped unread */
	uint64_t limited_packets;  /* over a sender's rate: dropped unread */
	uint64_t fanout_refused;   /* pattern messages over their sender's osc_fanout: refused whole */
	uint64_t errors_withheld;  /* /error replies over OSC_ERRORS_PER_SECOND: not sent */
	struct sender_rate rates[OSC_RATE_SENDERS];
	uint32_t n_rates;
	struct sender_rate *sender; /* the current datagram's sender's buckets */
	struct subscription subs;
	uint32_t meter_frame;
	/* Peak hold of the meter frames' true peaks, per level slot: the most
	 * of the last METER_HOLD_S, kept here (it is a display's, not the
	 * signal's) and started again when the graph changes. */
	float *hold_db;
	double *hold_at;
	uint32_t n_hold;
	const struct graph *hold_graph;
	struct snapshot_recall *recall; /* a recall fading in, or NULL */
	double recall_next;             /* when its next step is due */
	/* Settings a recall has settled whose feedback is still to go out, a
	 * slice a millisecond, so that a recall of thousands of settings
	 * neither holds the surfaces' own moves behind it nor overflows their
	 * receive buffers. */
	struct settled_feedback *settled;
	uint32_t n_settled, settled_sent, settled_cap;
	double settled_next; /* when the next slice may go: paced, for the surfaces' receive buffers */
	const struct console *settled_console; /* the console they are of (a reload drops them) */
};

struct settled_feedback {
	struct param row;
	uint32_t target;
};

#define SETTLED_PER_SLICE 32 /* recall feedback sent per millisecond at most: a surface's
                            * receive buffer takes a slice (each setting may send a
                            * few messages) */

static void notify(struct osc_server *s, const char *path, lo_message m, bool from_sender);

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static struct console *console_of(struct osc_server *s) { return s->host.console(s->host.ctx); }
static struct engine *engine_of(struct osc_server *s) { return s->host.engine(s->host.ctx); }

static void send_message(struct osc_server *s, const char *path, lo_message m)
{
	char buf[OSC_MAX_DATAGRAM];
	size_t len = lo_message_length(m, path);
	if (len <= sizeof buf && lo_message_serialise(m, path, buf, &len))
		sendto(s->fd, buf, len, 0, (struct sockaddr *)&s->from, s->from_len);
	lo_message_free(m);
}

__attribute__((format(printf, 2, 3)))
static void reply_error(struct osc_server *s, const char *fmt, ...)
{
	if (s->sender && !bucket_take(&s->sender->errors, OSC_ERRORS_PER_SECOND, now_s(), 1.0)) {
		s->errors_withheld++;
		return;
	}
	char text[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	lo_message m = lo_message_new();
	lo_message_add_string(m, text);
	send_message(s, "/error", m);
}

static bool has_pattern(const char *seg)
{
	return strpbrk(seg, "*?[]{}") != NULL;
}

static bool all_digits(const char *seg)
{
	if (!*seg)
		return false;
	for (; *seg; seg++)
		if (*seg < '0' || *seg > '9')
			return false;
	return true;
}

/* Resolves the <n|name> segment (a 1-based number, a name, or an OSC pattern
 * matched against names) into indices; returns how many. */
static uint32_t resolve(struct console *c, enum param_kind kind, const char *seg, uint32_t *out)
{
	const uint32_t n = param_target_count(c, kind);
	if (kind == KIND_MONITOR) {
		out[0] = 0;
		return 1;
	}
	if (has_pattern(seg)) {
		uint32_t k = 0;
		for (uint32_t i = 0; i < n; i++)
			if (lo_pattern_match(param_target_name(c, kind, i), seg))
				out[k++] = i;
		return k;
	}
	if (all_digits(seg)) {
		unsigned long v = strtoul(seg, NULL, 10);
		if (v >= 1 && v <= n) {
			out[0] = (uint32_t)(v - 1);
			return 1;
		}
		return 0;
	}
	int i = param_find_target(c, kind, seg);
	if (i < 0)
		return 0;
	out[0] = (uint32_t)i;
	return 1;
}

/* The address a reply about target i goes out on. */
static void format_path(char *out, size_t len, struct console *c, const struct param *p, const char *seg,
                        bool pattern, uint32_t i)
{
	const enum param_kind k = param_kind_of(p);
	const char *target = pattern ? param_target_name(c, k, i) : seg;
	if (k == KIND_MONITOR)
		snprintf(out, len, "/monitor/%s", p->name);
	else if (k == KIND_SPEAKER)
		snprintf(out, len, "/monitor/speaker/%s/%s", target, p->name);
	else
		snprintf(out, len, "/%s/%s/%s", p->kind, target, p->name);
}

/* /monitor/source (a bus name or number, or "solo") and /monitor/speakers (a
 * format the room can play): string-valued, so handled apart from the
 * numeric table rows. */
static void handle_choice(struct osc_server *s, const char *path, const struct param *p, const char *types,
                          lo_arg **argv, int argc)
{
	struct console *c = console_of(s);
	struct console_monitor *m = c->monitor;
	const bool source = p->rule == RULE_SOURCE;
	if (argc == 0) {
		lo_message r = lo_message_new();
		lo_message_add_string(r, source ? monitor_source_name(c, m->source) : layout_get(m->speakers)->name);
		send_message(s, path, r);
		return;
	}
	if (argc != 1 || (types[0] != 's' && !(source && types[0] == 'i'))) {
		reply_error(s, "%s expects one string (%s)", path, p->doc.range);
		return;
	}
	if (source) {
		int b = -1;
		if (types[0] == 'i')
			b = argv[0]->i >= 1 && (uint32_t)argv[0]->i <= c->n_buses ? argv[0]->i - 1 : -1;
		else
			b = monitor_find_source(c, &argv[0]->s);
		if (b < 0) {
			reply_error(s, "%s: no bus %s%s (a bus name, 1 ... %u, or \"solo\")", path,
			            types[0] == 'i' ? "number " : "", types[0] == 'i' ? "" : &argv[0]->s, c->n_buses);
			return;
		}
		m->source = (uint32_t)b;
	} else {
		enum layout_id set;
		if (monitor_find_set(c, &argv[0]->s, &set) < 0) {
			reply_error(s, "%s: a %s room cannot play \"%s\" (the room's format or a fold-down of it)",
			            path, layout_get(m->room)->name, &argv[0]->s);
			return;
		}
		m->speakers = set;
	}
	console_edited(c);
	engine_sync_monitor(engine_of(s), c);
	lo_message n = lo_message_new();
	lo_message_add_string(n, source ? monitor_source_name(c, m->source) : layout_get(m->speakers)->name);
	notify(s, path, n, true);
}


static lo_message value_message(const struct param *p, float v);

static void reply_value(struct osc_server *s, const char *path, const struct param *p, float v)
{
	send_message(s, path, value_message(p, v));
}

static lo_message value_message(const struct param *p, float v)
{
	lo_message m = lo_message_new();
	if (p->rule == RULE_BOOL)
		lo_message_add_int32(m, (int32_t)v);
	else
		lo_message_add_float(m, v);
	return m;
}

/* The configured surface (profile) a UDP address belongs to, or NULL. */
static const struct surface_binding *binding_of(const struct console *c, const struct sockaddr_storage *a)
{
	if (c->n_surfaces == 0)
		return NULL;
	char ip[INET6_ADDRSTRLEN] = "";
	uint16_t port = 0;
	if (a->ss_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)a)->sin_addr, ip, sizeof ip);
		port = ntohs(((const struct sockaddr_in *)a)->sin_port);
	} else if (a->ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)a)->sin6_addr, ip, sizeof ip);
		port = ntohs(((const struct sockaddr_in6 *)a)->sin6_port);
	}
	for (uint32_t i = 0; i < c->n_surfaces; i++) {
		const struct surface_binding *b = &c->surfaces[i];
		if ((b->from[0] == '\0' || strcmp(b->from, ip) == 0) && (b->port == 0 || b->port == port))
			return b;
	}
	return NULL;
}

static void send_float_to(struct osc_server *s, const struct sockaddr_storage *to, socklen_t len, const char *path,
                          float v)
{
	char buf[256];
	lo_message m = lo_message_new();
	lo_message_add_float(m, v);
	size_t n = lo_message_length(m, path);
	if (n <= sizeof buf && lo_message_serialise(m, path, buf, &n))
		sendto(s->fd, buf, n, 0, (const struct sockaddr *)to, len);
	lo_message_free(m);
}

/* A profile surface at `to` (whose bank is e's, or bank 0) gets row q of
 * target i (console address `path`) on its own addresses, scaled. */
static void profile_feedback(struct osc_server *s, const struct surface_profile *prof, const struct subscriber *e,
                             const struct sockaddr_storage *to, socklen_t len, const char *path,
                             const struct param *q, uint32_t i)
{
	const float v = param_get(console_of(s), q, i);
	const uint32_t size = e ? e->bank_size : prof->bank_size, first = e ? e->bank * size : 0;
	char addr[2 * PROFILE_TEXT_MAX + 8];
	for (uint32_t k = 0; k < prof->n_map; k++) {
		const struct profile_map *m = &prof->map[k];
		if (m->slotted && param_kind_of(q) == KIND_STRIP && strcmp(m->to, q->name) == 0 && i >= first &&
		    i - first < size && i - first < m->slots) {
			snprintf(addr, sizeof addr, "%s%u%s", m->prefix, i - first + 1, m->suffix);
			send_float_to(s, to, len, addr, profile_to_surface(m, v));
		} else if (!m->slotted && strcmp(m->to, path) == 0) {
			send_float_to(s, to, len, m->prefix, profile_to_surface(m, v));
		}
	}
}

/* The bank state of the surface at IP `ip` (any port), or NULL. */
static const struct subscriber *bank_of_ip(const struct osc_server *s, const char *ip)
{
	for (uint32_t k = 0; k < s->subs.n; k++) {
		const struct subscriber *e = &s->subs.list[k];
		char have[INET6_ADDRSTRLEN] = "";
		const void *a = e->addr.ss_family == AF_INET ? (const void *)&((const struct sockaddr_in *)&e->addr)->sin_addr
		                                             : (const void *)&((const struct sockaddr_in6 *)&e->addr)->sin6_addr;
		inet_ntop(e->addr.ss_family, a, have, sizeof have);
		if (e->bank_until > 0 && strcmp(have, ip) == 0)
			return e;
	}
	return NULL;
}

/* Every profile surface gets row q of target i: those configured with a
 * feedback port always, subscribed ones at their address; the maker only
 * with echo. */
static void notify_profiles(struct osc_server *s, const char *path, const struct param *q, uint32_t i,
                            bool from_sender)
{
	struct console *c = console_of(s);
	if (c->n_surfaces == 0)
		return;
	const struct surface_binding *maker = from_sender ? binding_of(c, &s->from) : NULL;
	for (uint32_t b = 0; b < c->n_surfaces; b++) {
		const struct surface_binding *sb = &c->surfaces[b];
		if (!sb->feedback_port || (sb == maker && !sb->echo))
			continue;
		struct sockaddr_storage to = {0};
		socklen_t len;
		if (inet_pton(AF_INET, sb->from, &((struct sockaddr_in *)&to)->sin_addr) == 1) {
			to.ss_family = AF_INET;
			((struct sockaddr_in *)&to)->sin_port = htons((uint16_t)sb->feedback_port);
			len = sizeof(struct sockaddr_in);
		} else {
			inet_pton(AF_INET6, sb->from, &((struct sockaddr_in6 *)&to)->sin6_addr);
			to.ss_family = AF_INET6;
			((struct sockaddr_in6 *)&to)->sin6_port = htons((uint16_t)sb->feedback_port);
			len = sizeof(struct sockaddr_in6);
		}
		profile_feedback(s, sb->profile, bank_of_ip(s, sb->from), &to, len, path, q, i);
	}
	const double now = now_s();
	for (uint32_t k = 0; k < s->subs.n; k++) {
		const struct subscriber *e = &s->subs.list[k];
		const struct surface_binding *sb = e->state_until > now ? binding_of(c, &e->addr) : NULL;
		if (!sb || sb->feedback_port ||
		    (from_sender && !e->echo && subscription_same_address(e, (const struct sockaddr *)&s->from, s->from_len)))
			continue;
		profile_feedback(s, sb->profile, e, &e->addr, e->addr_len, path, q, i);
	}
}

/* Sends m (then frees it) to every surface subscribed to state changes;
 * the surface whose message made the change (from_sender) only when it
 * asked for echo. */
static void notify(struct osc_server *s, const char *path, lo_message m, bool from_sender)
{
	char buf[OSC_MAX_DATAGRAM];
	size_t len = lo_message_length(m, path);
	const double now = now_s();
	if (len <= sizeof buf && lo_message_serialise(m, path, buf, &len))
		for (uint32_t i = 0; i < s->subs.n; i++) {
			const struct subscriber *e = &s->subs.list[i];
			if (e->state_until <= now || binding_of(console_of(s), &e->addr) ||
			    (from_sender && !e->echo &&
			     subscription_same_address(e, (const struct sockaddr *)&s->from, s->from_len)))
				continue;
			sendto(s->fd, buf, len, 0, (const struct sockaddr *)&e->addr, e->addr_len);
		}
	lo_message_free(m);
}

/* The surface slot field a strip row shows as ("fader" for fader/pos), or NULL. */
static const char *slot_field(const struct param *q)
{
	return strcmp(q->name, "fader/pos") == 0 ? "fader"
	     : strcmp(q->name, "mute") == 0 ? "mute"
	     : strcmp(q->name, "solo") == 0 ? "solo" : NULL;
}

/* Subscribed surfaces whose bank shows strip i get the change on their
 * slot's address too (/surface/fader/3). */
static void notify_banks(struct osc_server *s, const struct param *q, uint32_t i, bool from_sender)
{
	const char *field = slot_field(q);
	if (!field)
		return;
	const double now = now_s();
	for (uint32_t k = 0; k < s->subs.n; k++) {
		const struct subscriber *e = &s->subs.list[k];
		if (e->state_until <= now || e->bank_until <= 0 || i < e->bank * e->bank_size ||
		    i >= (e->bank + 1) * e->bank_size ||
		    (from_sender && !e->echo && subscription_same_address(e, (const struct sockaddr *)&s->from, s->from_len)))
			continue;
		char path[64], buf[256];
		snprintf(path, sizeof path, "/surface/%s/%u", field, i - e->bank * e->bank_size + 1);
		lo_message m = value_message(q, param_get(console_of(s), q, i));
		size_t len = lo_message_length(m, path);
		if (len <= sizeof buf && lo_message_serialise(m, path, buf, &len))
			sendto(s->fd, buf, len, 0, (const struct sockaddr *)&e->addr, e->addr_len);
		lo_message_free(m);
	}
}

/* After row p of target i changed: subscribers get its new value, and that
 * of every row showing the same field (fader and fader/pos, pan and pan/az)
 * or derived from it (a room position moves az and el). */
static void notify_param(struct osc_server *s, const struct param *p, uint32_t i, bool from_sender)
{
	if (s->subs.n == 0 && console_of(s)->n_surfaces == 0)
		return;
	struct console *c = console_of(s);
	char path[256], name[128];
	struct param canonical = *p;
	if (param_is_send(p)) { /* by the aux's name, however the sender named it */
		snprintf(name, sizeof name, "send/%s/%s", c->buses[c->aux[param_aux_of(p)]].name, strrchr(p->name, '/') + 1);
		canonical.name = name;
	}
	size_t n_params;
	const struct param *params = param_table(&n_params);
	for (size_t r = 0; r <= n_params; r++) {
		const struct param *q = r == 0 ? &canonical : &params[r - 1]; /* the row that changed first */
		if (r > 0) {
			if (q == p || !q->kind || q->action != ACT_VALUE || strcmp(q->kind, p->kind) != 0 ||
			    q->rule == RULE_SOURCE || q->rule == RULE_SET || param_is_send(q) || param_is_send(p))
				continue;
			if (q->offset != p->offset && !(p->changed && q->changed))
				continue;
		}
		format_path(path, sizeof path, c, q, "", true, i);
		notify(s, path, value_message(q, param_get(c, q, i)), from_sender);
		notify_profiles(s, path, q, i, from_sender);
		if (param_kind_of(q) == KIND_STRIP)
			notify_banks(s, q, i, from_sender);
	}
}

static void reply_meter(struct osc_server *s, const char *path, bool strip, uint32_t i)
{
	struct graph *g = engine_graph(engine_of(s));
	if (!g)
		return;
	uint32_t n;
	const struct graph_meter_readout *r = strip ? graph_strip_meters(g, i, &n) : graph_bus_meters(g, i, &n);
	lo_message m = lo_message_new();
	for (uint32_t c = 0; c < n; c++) {
		const float peak = atomic_load_explicit(&r[c].peak, memory_order_relaxed);
		const float ms = atomic_load_explicit(&r[c].mean_square, memory_order_relaxed);
		lo_message_add_float(m, gain_to_db(peak));
		lo_message_add_float(m, ms > 0.0f ? 10.0f * log10f(ms) : -INFINITY);
	}
	send_message(s, path, m);
}

static void reply_gain_reduction(struct osc_server *s, const char *path, bool strip, uint32_t i)
{
	struct graph *g = engine_graph(engine_of(s));
	if (!g)
		return;
	const struct graph_gr_readout *r = strip ? graph_strip_gain_reduction(g, i) : graph_bus_gain_reduction(g, i);
	lo_message m = lo_message_new();
	lo_message_add_float(m, atomic_load_explicit(&r->gate, memory_order_relaxed));
	lo_message_add_float(m, atomic_load_explicit(&r->comp, memory_order_relaxed));
	lo_message_add_float(m, atomic_load_explicit(&r->deess, memory_order_relaxed));
	send_message(s, path, m);
}

static void reply_bad_input(struct osc_server *s, const char *path, uint32_t i)
{
	struct graph *g = engine_graph(engine_of(s));
	if (!g)
		return;
	lo_message m = lo_message_new();
	lo_message_add_int32(m, (int32_t)atomic_load_explicit(&graph_strip_gain_reduction(g, i)->bad_input,
	                                                      memory_order_relaxed));
	send_message(s, path, m);
}

static void reply_limiter(struct osc_server *s, const char *path, bool latency, uint32_t b)
{
	struct graph *g = engine_graph(engine_of(s));
	if (!g)
		return;
	lo_message m = lo_message_new();
	if (latency) {
		const uint32_t frames = graph_bus_latency(g, b);
		lo_message_add_int32(m, (int32_t)frames);
		lo_message_add_float(m, 1000.0f * (float)frames / (float)engine_sample_rate(engine_of(s)));
	} else {
		lo_message_add_float(m, atomic_load_explicit(&graph_bus_gain_reduction(g, b)->limit, memory_order_relaxed));
	}
	send_message(s, path, m);
}

/* /bus/<n>/loudness (or /loudness/reset) of bus b. */
static void reply_loudness(struct osc_server *s, const char *path, const char *out_path, bool reset, uint32_t b)
{
	struct loudness *l = s->host.loudness ? s->host.loudness(s->host.ctx) : NULL;
	struct loudness_readout r = {0};
	if (l)
		loudness_read(l, b, &r);
	if (!l || !r.measured) {
		reply_error(s, "%s: %s", path, !l ? "this console runs without a loudness meter"
		                                  : "an aux bus is not measured (its outputs are sends)");
		return;
	}
	if (reset) {
		if (engine_reset_loudness(engine_of(s), b) < 0)
			reply_error(s, "%s: the engine's command queue stayed full; the measurement was not reset", path);
		return;
	}
	lo_message m = lo_message_new();
	lo_message_add_float(m, r.momentary);
	lo_message_add_float(m, r.short_term);
	lo_message_add_float(m, r.integrated);
	lo_message_add_float(m, r.range);
	lo_message_add_float(m, r.true_peak);
	lo_message_add_float(m, r.dialogue);
	send_message(s, out_path, m);
}

static void reply_info(struct osc_server *s)
{
	struct console *c = console_of(s);
	struct engine *e = engine_of(s);
	struct engine_load l = engine_load(e);
	lo_message m = lo_message_new();
	lo_message_add_string(m, DUBSTAGE_VERSION);
	lo_message_add_int32(m, (int32_t)engine_sample_rate(e));
	lo_message_add_int32(m, (int32_t)s->host.period(s->host.ctx));
	lo_message_add_int32(m, (int32_t)c->n_strips);
	lo_message_add_int32(m, (int32_t)c->n_buses);
	lo_message_add_float(m, 100.0f * l.p50);
	lo_message_add_float(m, 100.0f * l.p99);
	lo_message_add_float(m, 100.0f * l.max);
	lo_message_add_int32(m, (int32_t)engine_xruns(e));
	send_message(s, "/info", m);
}

static void reply_timing(struct osc_server *s)
{
	struct engine *e = engine_of(s);
	const struct engine_load l = engine_load(e);
	lo_message m = lo_message_new();
	lo_message_add_int64(m, (int64_t)l.periods);
	lo_message_add_float(m, 100.0f * l.p50);
	lo_message_add_float(m, 100.0f * l.p99);
	lo_message_add_float(m, 100.0f * l.max);
	lo_message_add_int64(m, (int64_t)l.over_budget);
	lo_message_add_float(m, 100.0f * l.wake_p50);
	lo_message_add_float(m, 100.0f * l.wake_p99);
	lo_message_add_float(m, 100.0f * l.wake_max);
	lo_message_add_int64(m, (int64_t)l.late_finishes);
	lo_message_add_int32(m, (int32_t)engine_xruns(e));
	send_message(s, "/timing", m);
}

static lo_message status_message(struct osc_server *s)
{
	const char *why = "";
	const bool online = !s->host.online || s->host.online(s->host.ctx, &why);
	lo_message m = lo_message_new();
	lo_message_add_string(m, online ? "audio online" : "audio offline");
	lo_message_add_string(m, online ? "" : why);
	lo_message_add_int64(m, (int64_t)s->refused_packets);
	lo_message_add_int64(m, (int64_t)s->bad_packets);
	lo_message_add_int64(m, (int64_t)s->limited_packets);
	lo_message_add_int64(m, (int64_t)s->fanout_refused);
	lo_message_add_int64(m, (int64_t)s->errors_withheld);
	return m;
}

void osc_server_notify_status(struct osc_server *s) { notify(s, "/status", status_message(s), false); }

/* Reads one numeric or boolean argument; false with an /error sent otherwise. */
static bool read_argument(struct osc_server *s, const char *path, const struct param *p,
                          const char *types, lo_arg **argv, int argc, float *out)
{
	if (argc != 1) {
		reply_error(s, "%s expects one %s (%s), got %d arguments", path,
		            p->rule == RULE_BOOL ? "int" : "float", p->doc.units, argc);
		return false;
	}
	switch (types[0]) {
	case 'f': *out = argv[0]->f; break;
	case 'd': *out = (float)argv[0]->d; break;
	case 'i': *out = (float)argv[0]->i; break;
	case 'h': *out = (float)argv[0]->h; break;
	case 'T': *out = 1.0f; break;
	case 'F': *out = 0.0f; break;
	default:
		reply_error(s, "%s expects one %s (%s), got type '%c'", path,
		            p->rule == RULE_BOOL ? "int" : "float", p->doc.units, types[0]);
		return false;
	}
	/* -inf means off where the rule has an off; any other infinity is refused. */
	if (isnan(*out) || (isinf(*out) && !(p->rule == RULE_DB_OFF && *out < 0))) {
		reply_error(s, "%s: %s is not a usable value", path, isnan(*out) ? "NaN" : "infinity");
		return false;
	}
	return true;
}

static uint32_t fanout_rate(struct osc_server *s)
{
	return console_of(s)->osc_fanout ? console_of(s)->osc_fanout : CONFIG_OSC_FANOUT;
}

/* Takes k targets from the sender's wildcard bucket; false (and nothing
 * taken) when it holds fewer: a pattern is applied whole or not at all, so a
 * flood of patterns cannot turn one datagram into thousands of changes and
 * feedback messages. */
static bool spend_fanout(struct osc_server *s, uint32_t k)
{
	/* a message not from the socket (a profile's own mapping) is not held */
	return !s->sender || bucket_take(&s->sender->fanout, fanout_rate(s), now_s(), k);
}

/* reply_as: the address replies and corrections go out on (a surface's own
 * /surface/fader/3), or NULL for the parameter's own. */
static void handle_param(struct osc_server *s, const char *path, const struct param *p, const char *seg,
                         const char *types, lo_arg **argv, int argc, const char *reply_as)
{
	struct console *c = console_of(s);
	const enum param_kind kind = param_kind_of(p);
	if ((kind == KIND_MONITOR || kind == KIND_SPEAKER) && !c->monitor) {
		reply_error(s, "%s: this console has no monitor section (docs/config.md, \"monitor\")", path);
		return;
	}
	if (p->rule == RULE_SOURCE || p->rule == RULE_SET) {
		handle_choice(s, path, p, types, argv, argc);
		return;
	}
	const bool strip = kind == KIND_STRIP;
	const uint32_t n = param_target_count(c, kind);
	uint32_t *targets = malloc((n ? n : 1) * sizeof *targets);
	if (!targets)
		return;
	uint32_t k = resolve(c, kind, seg, targets);
	const bool pattern = kind != KIND_MONITOR && has_pattern(seg);
	if (pattern && !spend_fanout(s, k)) {
		s->fanout_refused++;
		reply_error(s, "%s: the pattern reaches %u %s%s, more than this sender may reach now through "
		            "patterns (config \"osc_fanout\": %u a second); nothing was changed", path, k, p->kind,
		            kind == KIND_BUS ? "es" : "s", fanout_rate(s));
		free(targets);
		return;
	}
	if (k == 0) {
		if (kind == KIND_SPEAKER)
			reply_error(s, "%s: no loudspeaker \"%s\" in the %s room (names or 1 ... %u)", path, seg,
			            layout_get(c->monitor->room)->name, n);
		else
			reply_error(s, "%s: no %s \"%s\" (the console has %u %s%s, numbered from 1)", path,
			            p->kind, seg, n, p->kind, n == 1 ? "" : (kind == KIND_BUS ? "es" : "s"));
		free(targets);
		return;
	}
	if (strncmp(p->name, "limiter/", 8) == 0) {
		/* Only masters configured with a limiter have one (its look-ahead
		 * is their outputs' latency, fixed by the config). */
		uint32_t kept = 0;
		for (uint32_t t = 0; t < k; t++)
			if (c->buses[targets[t]].has_limiter)
				targets[kept++] = targets[t];
		if (kept == 0) {
			reply_error(s, "%s: %s has no limiter (a master with \"limiter\" in its config has one; its "
			            "look-ahead delays the master's outputs)", path, pattern ? "no matching bus" : seg);
			free(targets);
			return;
		}
		k = kept;
	}
	char out_path[256];
	const bool query_only = p->action != ACT_VALUE;
	if (query_only || argc == 0) {
		if (query_only && argc != 0) {
			reply_error(s, "%s is query-only: send it with no arguments", path);
			free(targets);
			return;
		}
		for (uint32_t t = 0; t < k; t++) {
			format_path(out_path, sizeof out_path, c, p, seg, pattern, targets[t]);
			if (reply_as)
				snprintf(out_path, sizeof out_path, "%s", reply_as);
			if (p->action == ACT_GR)
				reply_gain_reduction(s, out_path, strip, targets[t]);
			else if (p->action == ACT_BAD_INPUT)
				reply_bad_input(s, out_path, targets[t]);
			else if (p->action == ACT_LIMITER_GR || p->action == ACT_LATENCY)
				reply_limiter(s, out_path, p->action == ACT_LATENCY, targets[t]);
			else if (p->action == ACT_LOUDNESS || p->action == ACT_LOUDNESS_RESET)
				reply_loudness(s, path, out_path, p->action == ACT_LOUDNESS_RESET, targets[t]);
			else if (query_only)
				reply_meter(s, out_path, strip, targets[t]);
			else
				reply_value(s, out_path, p, param_get(c, p, targets[t]));
		}
		if (p->action == ACT_METER)
			engine_reset_peaks(engine_of(s));
		free(targets);
		return;
	}
	float v;
	if (!read_argument(s, path, p, types, argv, argc, &v)) {
		free(targets);
		return;
	}
	const float applied = param_clamp(p, v);
	for (uint32_t t = 0; t < k; t++) {
		param_set(engine_of(s), c, p, targets[t], applied);
		notify_param(s, p, targets[t], true);
	}
	if (applied != v && !(isinf(applied) && v <= GAIN_DB_OFF) && p->rule != RULE_BOOL) {
		/* Tell the sender where the control really is. */
		for (uint32_t t = 0; t < k; t++) {
			format_path(out_path, sizeof out_path, c, p, seg, pattern, targets[t]);
			reply_value(s, reply_as ? reply_as : out_path, p, applied);
		}
	}
	free(targets);
}

/* /strip/<n|name>/send/<aux>/<field>: the send row of aux 1 moved to the
 * aux named (or numbered, 1-based among the aux buses) by `aux`. */
static void handle_send(struct osc_server *s, const char *path, const char *aux, const char *field,
                        const char *target, const char *types, lo_arg **argv, int argc)
{
	struct console *c = console_of(s);
	char name[128];
	snprintf(name, sizeof name, "send/%s", field);
	const struct param *row = param_find("strip", name);
	if (!row) {
		reply_error(s, "unknown address %s: a send has level, pre and on (see docs/osc.md)", path);
		return;
	}
	int k = console_find_aux(c, aux);
	if (k < 0 && all_digits(aux)) {
		const unsigned long v = strtoul(aux, NULL, 10);
		k = v >= 1 && v <= c->n_aux ? (int)v - 1 : -1;
	}
	if (k < 0) {
		reply_error(s, "%s: no aux bus \"%s\" (the console has %u, by name or numbered from 1)", path, aux,
		            c->n_aux);
		return;
	}
	struct param p = param_for_aux(row, (uint32_t)k);
	snprintf(name, sizeof name, "send/%s/%s", aux, field);
	p.name = name; /* replies go out on the address as sent */
	handle_param(s, path, &p, target, types, argv, argc, NULL);
}

/* A numeric argument (i, f, d, h) as a double; false when it is not one. */
static bool number_argument(char type, const lo_arg *a, double *out)
{
	switch (type) {
	case 'i': *out = a->i; return true;
	case 'f': *out = a->f; return isfinite(a->f);
	case 'd': *out = a->d; return isfinite(a->d);
	case 'h': *out = (double)a->h; return true;
	default: return false;
	}
}

static double clampd(double v, double lo, double hi) { return v < lo ? lo : (v > hi ? hi : v); }

static void handle_subscribe(struct osc_server *s, const char *path, bool meters, const char *types,
                             lo_arg **argv, int argc)
{
	double a[3] = {meters ? SUBSCRIPTION_METER_HZ : SUBSCRIPTION_LEASE_S, meters ? SUBSCRIPTION_LEASE_S : 0, 0};
	if (argc > 3) {
		reply_error(s, "%s takes at most 3 arguments, got %d", path, argc);
		return;
	}
	for (int k = 0; k < argc; k++)
		if (!number_argument(types[k], argv[k], &a[k])) {
			static const char *const what[2][3] = {{"lease seconds", "echo 0/1", "port"},
			                                       {"frames per second", "lease seconds", "port"}};
			reply_error(s, "%s: argument %d must be a finite number (%s), got type '%c'", path, k + 1,
			            what[meters][k], types[k]);
			return;
		}
	/* A third argument names another port on the sender's host to send to
	 * (a listener such as oscdump, which cannot send itself). */
	struct sockaddr_storage to = s->from;
	if (argc == 3) {
		if (!(a[2] >= 1 && a[2] <= 65535)) {
			reply_error(s, "%s: port %g is not 1 ... 65535", path, a[2]);
			return;
		}
		if (to.ss_family == AF_INET)
			((struct sockaddr_in *)&to)->sin_port = htons((uint16_t)a[2]);
		else
			((struct sockaddr_in6 *)&to)->sin6_port = htons((uint16_t)a[2]);
	}
	struct subscriber *e = subscription_get(&s->subs, (const struct sockaddr *)&to, s->from_len, true);
	if (!e) {
		reply_error(s, "%s: %u surfaces are subscribed already (config \"osc_subscribers\"); unsubscribe one", path,
		            s->subs.limit);
		return;
	}
	const double now = now_s();
	lo_message m = lo_message_new();
	if (meters) {
		e->meter_hz = (float)clampd(a[0], 1.0, SUBSCRIPTION_METER_MAX_HZ);
		const double lease = clampd(a[1], 1.0, SUBSCRIPTION_LEASE_MAX_S);
		if (e->meters_until <= now)
			e->next_meter = now;
		e->meters_until = now + lease;
		lo_message_add_float(m, e->meter_hz);
		lo_message_add_int32(m, (int32_t)lease);
	} else {
		const double lease = clampd(a[0], 1.0, SUBSCRIPTION_LEASE_MAX_S);
		e->state_until = now + lease;
		e->echo = a[1] != 0.0;
		lo_message_add_int32(m, (int32_t)lease);
		lo_message_add_int32(m, e->echo);
	}
	send_message(s, path, m);
}

static void handle_unsubscribe(struct osc_server *s, bool meters_only)
{
	struct subscriber *e = subscription_get(&s->subs, (const struct sockaddr *)&s->from, s->from_len, false);
	if (!e)
		return;
	e->meters_until = 0;
	if (!meters_only)
		e->state_until = 0;
	subscription_expire(&s->subs, now_s());
}

/* /dump's reply: messages packed into OSC bundles of at most DUMP_BUNDLE
 * bytes, sent to the sender as each fills. */
#define DUMP_BUNDLE 1200
struct dump_writer {
	char buf[DUMP_BUNDLE + OSC_MAX_DATAGRAM];
	size_t len;
	uint32_t messages;
};

static void dump_flush(struct osc_server *s, struct dump_writer *w)
{
	if (w->len > 16)
		sendto(s->fd, w->buf, w->len, 0, (struct sockaddr *)&s->from, s->from_len);
	memcpy(w->buf, "#bundle\0\0\0\0\0\0\0\0\1", 16); /* time tag 1: immediately */
	w->len = 16;
}

static void dump_add(struct osc_server *s, struct dump_writer *w, const char *path, lo_message m)
{
	size_t len = lo_message_length(m, path);
	if (len + 4 <= OSC_MAX_DATAGRAM) {
		if (w->len + 4 + len > DUMP_BUNDLE)
			dump_flush(s, w);
		const uint32_t be = htonl((uint32_t)len);
		memcpy(w->buf + w->len, &be, 4);
		if (lo_message_serialise(m, path, w->buf + w->len + 4, &len)) {
			w->len += 4 + len;
			w->messages++;
		}
	}
	lo_message_free(m);
}

static void dump_state(struct osc_server *s)
{
	struct console *c = console_of(s);
	static struct dump_writer w;
	w.len = 0;
	w.messages = 0;
	dump_flush(s, &w);
	char path[256], name[128];
	size_t n_params;
	const struct param *params = param_table(&n_params);
	for (size_t r = 0; r < n_params; r++) {
		const struct param *p = &params[r];
		if (!p->kind || p->action != ACT_VALUE)
			continue;
		const enum param_kind kind = param_kind_of(p);
		if ((kind == KIND_MONITOR || kind == KIND_SPEAKER) && !c->monitor)
			continue;
		if (p->rule == RULE_SOURCE || p->rule == RULE_SET) {
			const struct console_monitor *m = c->monitor;
			lo_message v = lo_message_new();
			lo_message_add_string(v, p->rule == RULE_SET ? layout_get(m->speakers)->name
			                                             : monitor_source_name(c, m->source));
			dump_add(s, &w, p->doc.path, v);
			continue;
		}
		const uint32_t n = param_target_count(c, kind);
		for (uint32_t i = 0; i < n; i++) {
			if (kind == KIND_BUS && strncmp(p->name, "limiter/", 8) == 0 && !c->buses[i].has_limiter)
				continue;
			for (uint32_t k = 0; k < (param_is_send(p) ? c->n_aux : 1); k++) {
				struct param q = param_is_send(p) ? param_for_aux(p, k) : *p;
				if (param_is_send(p)) {
					snprintf(name, sizeof name, "send/%s/%s", c->buses[c->aux[k]].name, p->name + 5);
					q.name = name;
				}
				format_path(path, sizeof path, c, &q, "", true, i);
				dump_add(s, &w, path, value_message(&q, param_get(c, &q, i)));
			}
		}
	}
	dump_flush(s, &w);
	lo_message done = lo_message_new();
	lo_message_add_int32(done, (int32_t)w.messages);
	send_message(s, "/dump/done", done);
}

/* ---- snapshots ------------------------------------------------------------ */

/* Queues the feedback of a setting a recall has settled (for everyone, the
 * recalling surface too); sent now when the queue cannot grow. */
/* Drops settled feedback of a console a reload has replaced since. */
static void settled_follow_console(struct osc_server *s)
{
	if (s->settled_console != console_of(s)) {
		s->n_settled = s->settled_sent = 0;
		s->settled_console = console_of(s);
	}
}

static void recall_settled(void *ctx, const struct param *row, uint32_t target)
{
	struct osc_server *s = ctx;
	settled_follow_console(s);
	if (s->n_settled == s->settled_cap) {
		const uint32_t cap = s->settled_cap ? 2 * s->settled_cap : 256;
		struct settled_feedback *grown = realloc(s->settled, cap * sizeof *grown);
		if (!grown) {
			notify_param(s, row, target, false);
			return;
		}
		s->settled = grown;
		s->settled_cap = cap;
	}
	s->settled[s->n_settled++] = (struct settled_feedback){*row, target};
}

/* Sends the next slice of settled feedback (the values as they are now),
 * a slice a millisecond at most. */
static void send_settled(struct osc_server *s, double now)
{
	if (s->n_settled == s->settled_sent || now < s->settled_next)
		return;
	s->settled_next = now + 0.001;
	settled_follow_console(s);
	const uint32_t end = s->n_settled - s->settled_sent > SETTLED_PER_SLICE ? s->settled_sent + SETTLED_PER_SLICE
	                                                                      : s->n_settled;
	for (; s->settled_sent < end; s->settled_sent++)
		notify_param(s, &s->settled[s->settled_sent].row, s->settled[s->settled_sent].target, false);
	if (s->settled_sent == s->n_settled)
		s->n_settled = s->settled_sent = 0;
}

#define RECALL_PER_TURN 256 /* recall changes applied per turn of the control loop */

/* Steps the recall in progress (and ends it), a slice per turn. */
static void step_recall(struct osc_server *s, double now)
{
	if (!s->recall)
		return;
	if (snapshot_recall_step_some(s->recall, engine_of(s), console_of(s), now, RECALL_PER_TURN, recall_settled, s)) {
		snapshot_recall_free(s->recall);
		s->recall = NULL;
		return;
	}
	if (s->recall->cursor) { /* the rest of this step at the next turn, after the datagrams waiting */
		s->recall_next = now;
		return;
	}
	/* 20 ms steps (each ramped by the engine over 10 ms), longer when many
	 * settings move, so the command queue keeps up */
	s->recall_next = now + 0.02 + 0.001 * (double)(s->recall->n_changes / 50);
}

static void handle_snapshot(struct osc_server *s, const char *path, enum action act, const char *types,
                            lo_arg **argv, int argc)
{
	struct console *c = console_of(s);
	const bool named = act != ACT_SNAPSHOT_LIST;
	const int max_args = act == ACT_SNAPSHOT_RECALL ? 2 : named;
	if (argc < (int)named || argc > max_args || (named && types[0] != 's')) {
		reply_error(s, "%s expects %s", path, act == ACT_SNAPSHOT_RECALL ? "s name [f fade seconds]"
		                                     : named ? "s name" : "no arguments");
		return;
	}
	if (!c->snapshot_dir) {
		reply_error(s, "%s: this console has no snapshot folder (set \"snapshots\" in its config)", path);
		return;
	}
	char err[512];
	const char *name = named ? &argv[0]->s : "";
	lo_message m = lo_message_new();
	if (act == ACT_SNAPSHOT_LIST) {
		char(*names)[SNAPSHOT_NAME_MAX];
		uint32_t n;
		if (snapshot_list(c->snapshot_dir, &names, &n, err, sizeof err) < 0) {
			lo_message_free(m);
			reply_error(s, "%s: %s", path, err);
			return;
		}
		for (uint32_t i = 0; i < n; i++) {
			lo_message_add_string(m, names[i]);
			if ((i + 1) % 100 == 0 && i + 1 < n) {
				send_message(s, path, m);
				m = lo_message_new();
			}
		}
		free(names);
		send_message(s, path, m);
		return;
	}
	int rc = 0;
	if (act == ACT_SNAPSHOT_SAVE) {
		rc = snapshot_save(c, c->snapshot_dir, name, err, sizeof err);
		lo_message_add_string(m, name);
	} else if (act == ACT_SNAPSHOT_DELETE) {
		rc = snapshot_delete(c->snapshot_dir, name, err, sizeof err);
		lo_message_add_string(m, name);
	} else {
		double fade = 0;
		if (argc == 2 && (!number_argument(types[1], argv[1], &fade) || fade < 0 || fade > 60)) {
			lo_message_free(m);
			reply_error(s, "%s: the fade must be 0 ... 60 seconds", path);
			return;
		}
		if (s->recall) { /* a recall still fading ends where it was going, first */
			snapshot_recall_step(s->recall, engine_of(s), c, INFINITY, recall_settled, s);
			snapshot_recall_free(s->recall);
			s->recall = NULL;
		}
		struct snapshot_recall *r = snapshot_read(c, c->snapshot_dir, name, fade, err, sizeof err);
		if (!r) {
			rc = -1;
		} else {
			s->recall = r;
			lo_message_add_string(m, name);
			lo_message_add_int32(m, (int32_t)r->n_matched);
			lo_message_add_int32(m, (int32_t)r->n_unmatched);
			lo_message_add_string(m, r->unmatched);
			step_recall(s, now_s());
		}
	}
	if (rc < 0) {
		lo_message_free(m);
		reply_error(s, "%s: %s", path, err);
		return;
	}
	send_message(s, path, m);
}

static void profile_bank_view(struct osc_server *s, const struct surface_binding *sb, const struct subscriber *e);

/* ---- banking ---------------------------------------------------------------- */

/* The sender's surface state (made on first use; kept an hour unused). */
static struct subscriber *surface_of_sender(struct osc_server *s)
{
	struct subscriber *e = subscription_get(&s->subs, (const struct sockaddr *)&s->from, s->from_len, true);
	if (e)
		e->bank_until = now_s() + SUBSCRIPTION_BANK_KEEP_S;
	return e;
}

static uint32_t bank_count(const struct console *c, const struct subscriber *e)
{
	const uint32_t n = (c->n_strips + e->bank_size - 1) / e->bank_size;
	return n ? n : 1;
}

/* Tells the surface what its bank shows: /bank/select, then per slot its
 * strip's name (empty past the last strip), fader position, mute and solo. */
static void send_bank_view(struct osc_server *s, const struct subscriber *e)
{
	struct console *c = console_of(s);
	lo_message m = lo_message_new();
	lo_message_add_int32(m, (int32_t)e->bank + 1);
	lo_message_add_int32(m, (int32_t)bank_count(c, e));
	send_message(s, "/bank/select", m);
	char path[64];
	for (uint32_t k = 0; k < e->bank_size; k++) {
		const uint32_t strip = e->bank * e->bank_size + k;
		snprintf(path, sizeof path, "/surface/name/%u", k + 1);
		m = lo_message_new();
		lo_message_add_string(m, strip < c->n_strips ? c->strips[strip].name : "");
		send_message(s, path, m);
		if (strip >= c->n_strips)
			continue;
		static const char *const rows[] = {"fader/pos", "mute", "solo"};
		for (int r = 0; r < 3; r++) {
			const struct param *q = param_find("strip", rows[r]);
			snprintf(path, sizeof path, "/surface/%s/%u", slot_field(q), k + 1);
			send_message(s, path, value_message(q, param_get(c, q, strip)));
		}
	}
}

static void handle_bank(struct osc_server *s, const char *path, enum action act, const char *types,
                        lo_arg **argv, int argc)
{
	struct console *c = console_of(s);
	struct subscriber *e = surface_of_sender(s);
	if (!e) {
		reply_error(s, "%s: %u surfaces are known already (config \"osc_subscribers\")", path, s->subs.limit);
		return;
	}
	double v = 0;
	if (argc > 1 || (argc == 1 && !number_argument(types[0], argv[0], &v))) {
		reply_error(s, "%s expects at most one number", path);
		return;
	}
	const uint32_t banks = bank_count(c, e);
	switch (act) {
	case ACT_BANK_SELECT:
		if (argc == 1) /* out of range: the nearest bank, which the reply shows */
			e->bank = (uint32_t)clampd(v, 1, banks) - 1;
		break;
	case ACT_BANK_NEXT: e->bank = e->bank + 1 < banks ? e->bank + 1 : e->bank; break;
	case ACT_BANK_PREV: e->bank = e->bank > 0 ? e->bank - 1 : 0; break;
	default: /* ACT_BANK_SIZE */
		if (argc == 0) {
			lo_message m = lo_message_new();
			lo_message_add_int32(m, (int32_t)e->bank_size);
			send_message(s, path, m);
			return;
		}
		{
			const uint32_t first = e->bank * e->bank_size;
			e->bank_size = (uint32_t)clampd(v, 1, SUBSCRIPTION_BANK_SIZE_MAX);
			e->bank = first / e->bank_size;
		}
		break;
	}
	send_bank_view(s, e);
	const struct surface_binding *sb = binding_of(c, &s->from);
	if (sb)
		profile_bank_view(s, sb, e);
}

/* /surface/<field>/<k>: slot k of the sender's bank. */
static void handle_surface(struct osc_server *s, const char *path, const char *field, const char *slot,
                           const char *types, lo_arg **argv, int argc)
{
	struct console *c = console_of(s);
	struct subscriber *e = surface_of_sender(s);
	const unsigned long k = all_digits(slot) ? strtoul(slot, NULL, 10) : 0;
	if (!e || k < 1 || k > e->bank_size) {
		reply_error(s, "%s: slot \"%s\" is not 1 ... %u (the bank size, /bank/size)", path, slot,
		            e ? e->bank_size : SUBSCRIPTION_BANK_SIZE);
		return;
	}
	const uint32_t strip = e->bank * e->bank_size + (uint32_t)k - 1;
	if (strcmp(field, "name") == 0) {
		if (argc != 0) {
			reply_error(s, "%s is query-only: send it with no arguments", path);
			return;
		}
		lo_message m = lo_message_new();
		lo_message_add_string(m, strip < c->n_strips ? c->strips[strip].name : "");
		send_message(s, path, m);
		return;
	}
	if (strip >= c->n_strips) {
		reply_error(s, "%s: slot %lu of bank %u is empty (the console has %u strips)", path, k, e->bank + 1,
		            c->n_strips);
		return;
	}
	char target[16];
	snprintf(target, sizeof target, "%u", strip + 1);
	const struct param *row = param_find("strip", strcmp(field, "fader") == 0 ? "fader/pos" : field);
	handle_param(s, path, row, target, types, argv, argc, path);
}

/* Whether a top-level address takes arguments: the table documents its types. */
static bool top_takes_args(const struct param *p) { return p->doc.types[0] != '\0'; }

/* ---- surface profiles -------------------------------------------------------- */

/* Where a profile surface's feedback goes: its feedback port, or the sender. */
static void feedback_address(const struct osc_server *s, const struct surface_binding *sb,
                             struct sockaddr_storage *to, socklen_t *len)
{
	*to = s->from;
	*len = s->from_len;
	if (!sb->feedback_port)
		return;
	if (to->ss_family == AF_INET)
		((struct sockaddr_in *)to)->sin_port = htons((uint16_t)sb->feedback_port);
	else
		((struct sockaddr_in6 *)to)->sin6_port = htons((uint16_t)sb->feedback_port);
}

/* After a bank change: every slotted control of the profile shows its new strip. */
static void profile_bank_view(struct osc_server *s, const struct surface_binding *sb, const struct subscriber *e)
{
	struct console *c = console_of(s);
	struct sockaddr_storage to;
	socklen_t len;
	feedback_address(s, sb, &to, &len);
	char addr[2 * PROFILE_TEXT_MAX + 8];
	for (uint32_t k = 0; k < sb->profile->n_map; k++) {
		const struct profile_map *m = &sb->profile->map[k];
		const struct param *q = m->slotted ? param_find("strip", m->to) : NULL;
		for (uint32_t slot = 0; q && slot < m->slots && slot < e->bank_size; slot++) {
			const uint32_t strip = e->bank * e->bank_size + slot;
			snprintf(addr, sizeof addr, "%s%u%s", m->prefix, slot + 1, m->suffix);
			send_float_to(s, &to, len, addr, strip < c->n_strips ? profile_to_surface(m, param_get(c, q, strip)) : 0.0f);
		}
	}
}

static int on_message(const char *path, const char *types, lo_arg **argv, int argc, lo_message msg, void *user);

/* A message from a profile surface on one of its own addresses. */
static void handle_profile(struct osc_server *s, const char *path, const struct surface_binding *sb,
                           const struct profile_map *m, uint32_t slot, const char *types, lo_arg **argv, int argc)
{
	struct console *c = console_of(s);
	double v = 0;
	if (argc > 1 || (argc == 1 && !number_argument(types[0], argv[0], &v) && types[0] != 'T' && types[0] != 'F')) {
		reply_error(s, "%s (profile %s) expects one number", path, sb->profile->name);
		return;
	}
	if (argc == 1 && (types[0] == 'T' || types[0] == 'F'))
		v = types[0] == 'T';
	if (!m->slotted) {
		/* a console address; a button (1 pressed, 0 released) on an action fires once */
		const struct param *top = param_find_top(m->to + 1);
		if (top && !top_takes_args(top)) {
			if (argc == 0 || v != 0)
				on_message(m->to, "", NULL, 0, NULL, s);
			return;
		}
		lo_arg scaled = {.f = profile_to_console(m, (float)v)};
		lo_arg *av[1] = {&scaled};
		on_message(m->to, argc ? "f" : "", av, argc, NULL, s);
		return;
	}
	struct subscriber *e = subscription_get(&s->subs, (const struct sockaddr *)&s->from, s->from_len, true);
	if (!e) {
		reply_error(s, "%s: %u surfaces are known already (config \"osc_subscribers\")", path, s->subs.limit);
		return;
	}
	if (e->bank_until <= 0) /* new to banking: the profile's bank size */
		e->bank_size = sb->profile->bank_size;
	e->bank_until = now_s() + SUBSCRIPTION_BANK_KEEP_S;
	const struct param *row = param_find("strip", m->to);
	const uint32_t strip = e->bank * e->bank_size + slot - 1;
	if (!row || row->action != ACT_VALUE || strip >= c->n_strips || slot > e->bank_size) {
		reply_error(s, "%s (profile %s): %s", path, sb->profile->name,
		            !row ? "the profile maps it to no strip parameter" : "no strip in this slot of the bank");
		return;
	}
	struct sockaddr_storage to;
	socklen_t len;
	feedback_address(s, sb, &to, &len);
	if (argc == 0) {
		send_float_to(s, &to, len, path, profile_to_surface(m, param_get(c, row, strip)));
		return;
	}
	const float want = profile_to_console(m, (float)v);
	const float applied = param_clamp(row, want);
	param_set(engine_of(s), c, row, strip, applied);
	notify_param(s, row, strip, true);
	if (applied != want && row->rule != RULE_BOOL)
		send_float_to(s, &to, len, path, profile_to_surface(m, applied));
}

/* ---- printing ---------------------------------------------------------------- */

static void handle_print(struct osc_server *s, const char *path, enum action act, const char *types,
                         lo_arg **argv, int argc)
{
	struct console *c = console_of(s);
	struct print_recorder *p = s->host.print;
	char err[512];
	const bool strings = strspn(types, "s") == (size_t)argc;
	if ((act == ACT_PRINT_START && (!strings || argc > 1 + CONSOLE_MAX_BUSES)) ||
	    (act != ACT_PRINT_START && argc != 0)) {
		reply_error(s, "%s expects %s", path, act == ACT_PRINT_START ? "[s take [s bus ...]]" : "no arguments");
		return;
	}
	if (!p) {
		reply_error(s, "%s: this console runs without a print recorder", path);
		return;
	}
	struct print_summary sum;
	lo_message m = lo_message_new();
	if (act == ACT_PRINT_STATUS) {
		print_status(p, &sum);
		lo_message_add_int32(m, print_running(p));
	} else if (act == ACT_PRINT_START) {
		if (!c->print_dir) {
			lo_message_free(m);
			reply_error(s, "%s: the config has no \"prints\" folder", path);
			return;
		}
		const char *buses[CONSOLE_MAX_BUSES];
		for (int k = 1; k < argc; k++)
			buses[k - 1] = &argv[k]->s;
		if (print_start(p, c, c->print_dir, argc ? &argv[0]->s : NULL, buses, argc > 1 ? (uint32_t)argc - 1 : 0, err,
		                sizeof err) < 0) {
			lo_message_free(m);
			reply_error(s, "%s: %s", path, err);
			return;
		}
		print_status(p, &sum);
		lo_message_add_string(m, sum.take);
		lo_message_add_string(m, sum.folder);
		send_message(s, path, m);
		return;
	} else if (print_stop(p, &sum, err, sizeof err) < 0) {
		lo_message_free(m);
		reply_error(s, "%s: %s", path, err);
		return;
	}
	lo_message_add_string(m, sum.take);
	lo_message_add_int64(m, (int64_t)sum.frames);
	lo_message_add_int64(m, (int64_t)sum.lost_frames);
	send_message(s, path, m);
}

/* The top-level addresses: /info, /subscribe, /meters/subscribe, /dump ... */
static void handle_top(struct osc_server *s, const char *path, const struct param *p, const char *types,
                       lo_arg **argv, int argc)
{
	if (!top_takes_args(p) && argc != 0) {
		reply_error(s, "%s takes no arguments", path);
		return;
	}
	switch (p->action) {
	case ACT_INFO: reply_info(s); break;
	case ACT_TIMING: reply_timing(s); break;
	case ACT_STATUS: send_message(s, "/status", status_message(s)); break;
	case ACT_SUBSCRIBE: handle_subscribe(s, path, false, types, argv, argc); break;
	case ACT_METERS_SUBSCRIBE: handle_subscribe(s, path, true, types, argv, argc); break;
	case ACT_UNSUBSCRIBE: handle_unsubscribe(s, false); break;
	case ACT_METERS_UNSUBSCRIBE: handle_unsubscribe(s, true); break;
	case ACT_METERS_RESET:
		engine_reset_holds(engine_of(s));
		for (uint32_t i = 0; i < s->n_hold; i++)
			s->hold_db[i] = METER_FLOOR_DB;
		break;
	case ACT_DUMP: dump_state(s); break;
	case ACT_SNAPSHOT_SAVE:
	case ACT_SNAPSHOT_RECALL:
	case ACT_SNAPSHOT_LIST:
	case ACT_SNAPSHOT_DELETE: handle_snapshot(s, path, p->action, types, argv, argc); break;
	case ACT_BANK_SELECT:
	case ACT_BANK_NEXT:
	case ACT_BANK_PREV:
	case ACT_BANK_SIZE: handle_bank(s, path, p->action, types, argv, argc); break;
	case ACT_PRINT_START:
	case ACT_PRINT_STOP:
	case ACT_PRINT_STATUS: handle_print(s, path, p->action, types, argv, argc); break;
	default: break;
	}
}

static int on_message(const char *path, const char *types, lo_arg **argv, int argc,
                      lo_message msg, void *user)
{
	(void)msg;
	struct osc_server *s = user;
	char copy[256];
	if (strlen(path) >= sizeof copy) {
		reply_error(s, "address too long (%zu bytes)", strlen(path));
		return 0;
	}
	strcpy(copy, path);
	const struct surface_binding *bound = binding_of(console_of(s), &s->from);
	uint32_t slot = 0;
	const struct profile_map *mapped = bound ? profile_match(bound->profile, path, &slot) : NULL;
	if (mapped) {
		handle_profile(s, path, bound, mapped, slot, types, argv, argc);
		return 0;
	}
	char *seg[6] = {0};
	int nseg = 0;
	for (char *save = NULL, *t = strtok_r(copy, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
		if (nseg == 6) {
			nseg++;
			break;
		}
		seg[nseg++] = t;
	}
	if (nseg == 3 && strcmp(seg[0], "surface") == 0 &&
	    (strcmp(seg[1], "fader") == 0 || strcmp(seg[1], "mute") == 0 || strcmp(seg[1], "solo") == 0 ||
	     strcmp(seg[1], "name") == 0)) {
		handle_surface(s, path, seg[1], seg[2], types, argv, argc);
		return 0;
	}
	if (nseg == 1 || (nseg == 2 && (strcmp(seg[0], "meters") == 0 || strcmp(seg[0], "snapshot") == 0 ||
	                                strcmp(seg[0], "bank") == 0 || strcmp(seg[0], "print") == 0))) {
		char name[128];
		snprintf(name, sizeof name, nseg == 1 ? "%s" : "%s/%s", seg[0], nseg == 1 ? "" : seg[1]);
		const struct param *top = param_find_top(name);
		if (top) {
			handle_top(s, path, top, types, argv, argc);
			return 0;
		}
	}
	const struct param *p = NULL;
	const char *target = NULL;
	if (nseg >= 2 && strcmp(seg[0], "monitor") == 0) {
		/* /monitor/<param>, /monitor/speaker/<n|name>/<param> */
		if (nseg == 2)
			p = param_find("monitor", seg[1]);
		else if (nseg == 4 && strcmp(seg[1], "speaker") == 0)
			p = param_find("monitor/speaker", seg[3]);
		target = seg[2];
	} else if (nseg >= 3 && nseg <= 6) {
		/* The parameter is everything after the target: "fader", "pan/az",
		 * "eq/1/freq", "dyn/comp/threshold". */
		char name[128] = "";
		for (int k = 2; k < nseg; k++)
			snprintf(name + strlen(name), sizeof name - strlen(name), "%s%s", k > 2 ? "/" : "", seg[k]);
		/* a send row is reached only through its <aux> segment */
		p = strncmp(name, "send/", 5) == 0 ? NULL : param_find(seg[0], name);
		target = seg[1];
		if (nseg == 5 && strcmp(seg[0], "strip") == 0 && strcmp(seg[2], "send") == 0) {
			handle_send(s, path, seg[3], seg[4], target, types, argv, argc);
			return 0;
		}
	}
	if (p) {
		handle_param(s, path, p, target, types, argv, argc, NULL);
		return 0;
	}
	reply_error(s, "unknown address %s (see docs/osc.md)", path);
	return 0;
}

static void on_lo_error(int num, const char *msg, const char *where)
{
	/* Silences liblo's own printing: osc_server_poll answers the sender with
	 * /error from lo_server_dispatch_data's return code instead. */
	(void)num;
	(void)msg;
	(void)where;
}

struct osc_server *osc_server_open(const struct osc_host *host, const char *bind_addr,
                                   uint16_t port, char *err, size_t errlen)
{
	struct osc_server *s = calloc(1, sizeof *s);
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->host = *host;
	struct sockaddr_in6 a6 = {0};
	struct sockaddr_in a4 = {0};
	struct sockaddr *addr;
	socklen_t alen;
	int family;
	if (inet_pton(AF_INET, bind_addr, &a4.sin_addr) == 1) {
		a4.sin_family = AF_INET;
		a4.sin_port = htons(port);
		addr = (struct sockaddr *)&a4;
		alen = sizeof a4;
		family = AF_INET;
	} else if (inet_pton(AF_INET6, bind_addr, &a6.sin6_addr) == 1) {
		a6.sin6_family = AF_INET6;
		a6.sin6_port = htons(port);
		addr = (struct sockaddr *)&a6;
		alen = sizeof a6;
		family = AF_INET6;
	} else {
		snprintf(err, errlen, "--osc-bind: \"%s\" is not an IPv4 or IPv6 address", bind_addr);
		free(s);
		return NULL;
	}
	s->fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0 || bind(s->fd, addr, alen) < 0) {
		snprintf(err, errlen, "cannot bind OSC to udp %s:%u: %s%s", bind_addr, port, strerror(errno),
		         errno == EADDRINUSE ? " (another program uses it: choose --osc-port)" : "");
		if (s->fd >= 0)
			close(s->fd);
		free(s);
		return NULL;
	}
	/* Room for a burst (a bank of motor faders, a flood's worth while the
	 * control thread is busy): past net.core.rmem_max where allowed
	 * (CAP_NET_ADMIN), else up to it. 16 MiB holds about 150 ms of a
	 * 100,000-a-second flood of small datagrams: the control thread stalls
	 * that long now and then on this VM (the live state's fsyncs take 5-16
	 * ms each here, more under disk load), and 4 MiB dropped thousands. */
	const int rcvbuf = 16 << 20;
	if (setsockopt(s->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) != 0)
		setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
	struct sockaddr_storage bound;
	socklen_t blen = sizeof bound;
	getsockname(s->fd, (struct sockaddr *)&bound, &blen);
	s->port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&bound)->sin_port
	                                  : ((struct sockaddr_in6 *)&bound)->sin6_port);

	/* liblo needs a server object to dispatch; give it a Unix socket that is
	 * unlinked at once, so it listens nowhere: all input comes through s->fd. */
	char lo_path[108];
	snprintf(lo_path, sizeof lo_path, "/tmp/dubstage-lo-%d-%p", (int)getpid(), (void *)s);
	s->lo = lo_server_new_with_proto(lo_path, LO_UNIX, on_lo_error);
	unlink(lo_path);
	if (!s->lo) {
		snprintf(err, errlen, "liblo: cannot create a dispatcher");
		close(s->fd);
		free(s);
		return NULL;
	}
	lo_server_add_method(s->lo, NULL, NULL, on_message, s);
	return s;
}

void osc_server_close(struct osc_server *s)
{
	if (!s)
		return;
	snapshot_recall_free(s->recall);
	free(s->settled);
	free(s->hold_db);
	free(s->hold_at);
	lo_server_free(s->lo);
	close(s->fd);
	free(s);
}

int osc_server_fd(const struct osc_server *s) { return s->fd; }
uint16_t osc_server_port(const struct osc_server *s) { return s->port; }
uint64_t osc_server_bad_packets(const struct osc_server *s) { return s->bad_packets; }

/* Whether the console's allowlist (or by default the loopback), or a
 * configured surface's address, lets `from` in. */
static bool permitted(struct osc_server *s, const struct sockaddr *from)
{
	const struct console *c = console_of(s);
	s->subs.limit = c->osc_subscribers;
	static struct allow_rule loopback[2]; /* the default, made once */
	static uint32_t n_loopback;
	if (!n_loopback)
		n_loopback = allowlist_defaults(loopback);
	if (allowlist_permits(c->n_osc_allow ? c->osc_allow : loopback, c->n_osc_allow ? c->n_osc_allow : n_loopback, from))
		return true;
	for (uint32_t k = 0; k < c->n_surfaces; k++) { /* a configured surface is named by its address */
		struct allow_rule r;
		char err[64];
		if (c->surfaces[k].from[0] && allowlist_parse(c->surfaces[k].from, &r, err, sizeof err) == 0 &&
		    allowlist_permits(&r, 1, from))
			return true;
	}
	return false;
}

uint64_t osc_server_refused_packets(const struct osc_server *s) { return s->refused_packets; }
uint64_t osc_server_limited_packets(const struct osc_server *s) { return s->limited_packets; }
uint64_t osc_server_fanout_refused(const struct osc_server *s) { return s->fanout_refused; }
uint64_t osc_server_errors_withheld(const struct osc_server *s) { return s->errors_withheld; }

/* Whether `from` is within its rate; takes one datagram's token. */
static bool within_rate(struct osc_server *s, const struct sockaddr *from, socklen_t len)
{
	const double rate = console_of(s)->osc_rate ? console_of(s)->osc_rate : CONFIG_OSC_RATE, now = now_s();
	struct sender_rate *r = NULL, *stalest = &s->rates[0];
	for (uint32_t k = 0; k < s->n_rates && !r; k++) {
		if (s->rates[k].len == len && memcmp(&s->rates[k].addr, from, len) == 0)
			r = &s->rates[k];
		else if (s->rates[k].datagrams.last < stalest->datagrams.last)
			stalest = &s->rates[k];
	}
	if (!r) { /* a new sender: full buckets */
		r = s->n_rates < OSC_RATE_SENDERS ? &s->rates[s->n_rates++] : stalest;
		memcpy(&r->addr, from, len);
		r->len = len;
		r->datagrams = (struct token_bucket){rate, now};
		r->fanout = (struct token_bucket){fanout_rate(s), now};
		r->errors = (struct token_bucket){OSC_ERRORS_PER_SECOND, now};
	}
	s->sender = r;
	return bucket_take(&r->datagrams, rate, now, 1.0);
}

void osc_server_handle(struct osc_server *s, const void *data, size_t n, const struct sockaddr *from, socklen_t len)
{
	memcpy(&s->from, from, len < sizeof s->from ? len : sizeof s->from);
	s->from_len = len < sizeof s->from ? len : sizeof s->from;
	s->sender = NULL;
	if (!permitted(s, (const struct sockaddr *)&s->from)) {
		s->refused_packets++; /* no reply, nothing kept about the sender */
		return;
	}
	if (!within_rate(s, (const struct sockaddr *)&s->from, s->from_len)) {
		s->limited_packets++; /* no reply either: a flood gets nothing back */
		return;
	}
	if (n == 0 || n > OSC_MAX_DATAGRAM) {
		s->bad_packets++;
		if (n == 0)
			reply_error(s, "empty datagram");
		else
			reply_error(s, "datagram of %zu bytes refused (at most %d)", n, OSC_MAX_DATAGRAM);
		return;
	}
	int rc = lo_server_dispatch_data(s->lo, (void *)data, n);
	if (rc <= 0) {
		s->bad_packets++;
		reply_error(s, "malformed OSC packet (%zu bytes): liblo error %d", n, rc);
	}
}

#define OSC_POLL_BATCH 256 /* datagrams read per call */
#define OSC_RECV_BATCH 32  /* datagrams read per system call */

void osc_server_poll(struct osc_server *s)
{
	/* One byte more than we accept, to see that a datagram was too long. */
	static char buf[OSC_RECV_BATCH][OSC_MAX_DATAGRAM + 1];
	static struct sockaddr_storage from[OSC_RECV_BATCH];
	static struct iovec iov[OSC_RECV_BATCH];
	static struct mmsghdr msg[OSC_RECV_BATCH];
	/* At most a batch at a time: under a flood the socket never runs dry,
	 * and the control loop must still send feedback and meters, step
	 * recalls and read signals between batches. Read OSC_RECV_BATCH at a
	 * time: a system call costs more than refusing a datagram, and a
	 * flood must be read faster than it comes for a surface's datagrams
	 * in it to find room in the socket. */
	for (int k = 0; k < OSC_POLL_BATCH; k += OSC_RECV_BATCH) {
		for (int i = 0; i < OSC_RECV_BATCH; i++) {
			iov[i] = (struct iovec){buf[i], sizeof buf[i]};
			msg[i] = (struct mmsghdr){.msg_hdr = {.msg_name = &from[i], .msg_namelen = sizeof from[i],
			                                      .msg_iov = &iov[i], .msg_iovlen = 1}};
		}
		/* MSG_TRUNC: msg_len is the datagram's length, past the buffer */
		const int n = recvmmsg(s->fd, msg, OSC_RECV_BATCH, MSG_TRUNC, NULL);
		if (n <= 0)
			return; /* EAGAIN: drained */
		for (int i = 0; i < n; i++)
			osc_server_handle(s, buf[i], msg[i].msg_len, (const struct sockaddr *)&from[i],
			                  msg[i].msg_hdr.msg_namelen);
		if (n < OSC_RECV_BATCH)
			return;
	}
}

/* ---- meter frames -------------------------------------------------------- */

#define METER_BYTES_PER_MESSAGE 1280 /* data per message: one unfragmented datagram */
#define METER_HOLD_S 2.0             /* the peak hold of section 3 */
#define LOUDNESS_SLOT 6              /* section 2: M, S, I, LRA, max TP, dialogue-gated I */

static void put_be_float(unsigned char *to, float v)
{
	uint32_t u;
	memcpy(&u, &v, 4);
	u = htonl(u);
	memcpy(to, &u, 4);
}

static float floor_db(float db) { return db > METER_FLOOR_DB ? db : METER_FLOOR_DB; }

/* One section of a meter frame: `slots` slots of `width` floats. */
struct meter_section {
	const float *data;
	uint32_t slots, width;
};
enum { METER_SECTIONS = 4 };

/* Sends one frame to e, section by section (docs/osc.md, "Meter frames"),
 * in messages /meters i frame i section i first i total b data of at most
 * METER_BYTES_PER_MESSAGE bytes of big-endian float32. */
static void send_meter_frame(struct osc_server *s, const struct subscriber *e,
                             const struct meter_section sec[METER_SECTIONS])
{
	static unsigned char bytes[METER_BYTES_PER_MESSAGE];
	char buf[OSC_MAX_DATAGRAM];
	for (int k = 0; k < METER_SECTIONS; k++) {
		const uint32_t per_message = METER_BYTES_PER_MESSAGE / (4 * sec[k].width);
		for (uint32_t first = 0; first < sec[k].slots; first += per_message) {
			const uint32_t count = sec[k].slots - first < per_message ? sec[k].slots - first : per_message;
			for (uint32_t v = 0; v < count * sec[k].width; v++)
				put_be_float(bytes + 4 * v, sec[k].data[first * sec[k].width + v]);
			lo_blob blob = lo_blob_new((int32_t)(count * sec[k].width * 4), bytes);
			lo_message m = lo_message_new();
			lo_message_add_int32(m, (int32_t)s->meter_frame);
			lo_message_add_int32(m, k);
			lo_message_add_int32(m, (int32_t)first);
			lo_message_add_int32(m, (int32_t)sec[k].slots);
			lo_message_add_blob(m, blob);
			size_t len = lo_message_length(m, "/meters");
			if (len <= sizeof buf && lo_message_serialise(m, "/meters", buf, &len))
				sendto(s->fd, buf, len, 0, (const struct sockaddr *)&e->addr, e->addr_len);
			lo_message_free(m);
			lo_blob_free(blob);
		}
	}
}

/* Section 3 of a frame: per level slot, the true peak since the previous
 * frame, the held true peak, the max true peak and the overs since
 * /meters/reset. r is the slot's readout. */
static void peak_slot(struct osc_server *s, uint32_t slot, const struct graph_meter_readout *r, double now,
                      float out[4])
{
	const float tp = floor_db(gain_to_db(atomic_load_explicit(&r->true_peak, memory_order_relaxed)));
	if (tp >= s->hold_db[slot] || now - s->hold_at[slot] > METER_HOLD_S) {
		s->hold_db[slot] = tp;
		s->hold_at[slot] = now;
	}
	out[0] = tp;
	out[1] = s->hold_db[slot];
	out[2] = floor_db(gain_to_db(atomic_load_explicit(&r->true_peak_max, memory_order_relaxed)));
	out[3] = (float)atomic_load_explicit(&r->overs, memory_order_relaxed);
}

/* The hold state sized for n slots of graph g; false when out of memory. */
static bool hold_for(struct osc_server *s, const struct graph *g, uint32_t n)
{
	if (s->hold_graph == g && s->n_hold == n)
		return true;
	float *db = realloc(s->hold_db, (n ? n : 1) * sizeof *db);
	if (db)
		s->hold_db = db;
	double *at = realloc(s->hold_at, (n ? n : 1) * sizeof *at);
	if (at)
		s->hold_at = at;
	if (!db || !at)
		return false;
	for (uint32_t i = 0; i < n; i++) {
		s->hold_db[i] = METER_FLOOR_DB;
		s->hold_at[i] = 0.0;
	}
	s->n_hold = n;
	s->hold_graph = g;
	return true;
}

void osc_server_tick(struct osc_server *s)
{
	const double now = now_s();
	if (s->recall && now >= s->recall_next)
		step_recall(s, now);
	send_settled(s, now);
	subscription_expire(&s->subs, now);
	bool due = false;
	for (uint32_t i = 0; i < s->subs.n; i++)
		due |= s->subs.list[i].meters_until > 0 && s->subs.list[i].next_meter <= now;
	struct graph *g = engine_graph(engine_of(s));
	if (!due || !g)
		return;
	const uint32_t n_strips = graph_strip_count(g), n_buses = graph_bus_count(g);
	uint32_t n_levels = 0;
	for (uint32_t i = 0; i < n_strips + n_buses; i++) {
		uint32_t n;
		i < n_strips ? graph_strip_meters(g, i, &n) : graph_bus_meters(g, i - n_strips, &n);
		n_levels += n;
	}
	float *levels = malloc((size_t)(n_levels ? n_levels : 1) * 2 * sizeof *levels);
	float *peaks = malloc((size_t)(n_levels ? n_levels : 1) * 4 * sizeof *peaks);
	float *gr = malloc((size_t)(n_strips + n_buses ? n_strips + n_buses : 1) * 4 * sizeof *gr);
	if (!levels || !peaks || !gr || !hold_for(s, g, n_levels)) {
		free(levels);
		free(peaks);
		free(gr);
		return;
	}
	uint32_t slot = 0;
	for (uint32_t i = 0; i < n_strips + n_buses; i++) {
		uint32_t n;
		const struct graph_meter_readout *r = i < n_strips ? graph_strip_meters(g, i, &n)
		                                                   : graph_bus_meters(g, i - n_strips, &n);
		for (uint32_t c = 0; c < n; c++, slot++) {
			const float ms = atomic_load_explicit(&r[c].mean_square, memory_order_relaxed);
			levels[2 * slot] = floor_db(gain_to_db(atomic_load_explicit(&r[c].peak, memory_order_relaxed)));
			levels[2 * slot + 1] = floor_db(ms > 0.0f ? 10.0f * log10f(ms) : -INFINITY);
			peak_slot(s, slot, &r[c], now, &peaks[4 * slot]);
		}
		const struct graph_gr_readout *d = i < n_strips ? graph_strip_gain_reduction(g, i)
		                                                : graph_bus_gain_reduction(g, i - n_strips);
		gr[4 * i] = atomic_load_explicit(&d->gate, memory_order_relaxed);
		gr[4 * i + 1] = atomic_load_explicit(&d->comp, memory_order_relaxed);
		gr[4 * i + 2] = atomic_load_explicit(&d->deess, memory_order_relaxed);
		gr[4 * i + 3] = atomic_load_explicit(&d->limit, memory_order_relaxed);
	}
	/* section 2: each bus's loudness (floored like the levels; not measured: floor) */
	struct loudness *meter = s->host.loudness ? s->host.loudness(s->host.ctx) : NULL;
	float *loud = meter ? malloc((size_t)(n_buses ? n_buses : 1) * LOUDNESS_SLOT * sizeof *loud) : NULL;
	for (uint32_t b = 0; loud && b < n_buses; b++) {
		struct loudness_readout r;
		loudness_read(meter, b, &r);
		const float v[LOUDNESS_SLOT] = {r.momentary, r.short_term, r.integrated, r.range, r.true_peak, r.dialogue};
		for (int k = 0; k < LOUDNESS_SLOT; k++)
			loud[LOUDNESS_SLOT * b + k] = k == 3 ? (r.measured ? v[k] : 0.0f) : floor_db(r.measured ? v[k] : -INFINITY);
	}
	for (uint32_t i = 0; i < s->subs.n; i++) {
		struct subscriber *e = &s->subs.list[i];
		if (!(e->meters_until > 0 && e->next_meter <= now))
			continue;
		const struct meter_section sec[METER_SECTIONS] = {
			{levels, n_levels, 2}, {gr, n_strips + n_buses, 4}, {loud, loud ? n_buses : 0, LOUDNESS_SLOT},
			{peaks, n_levels, 4}};
		send_meter_frame(s, e, sec);
		e->next_meter += 1.0 / e->meter_hz;
		if (e->next_meter < now) /* fell behind (a stall): no burst to catch up */
			e->next_meter = now + 1.0 / e->meter_hz;
	}
	s->meter_frame++;
	engine_reset_peaks(engine_of(s)); /* the next frame's peaks are since this one */
	free(levels);
	free(peaks);
	free(gr);
	free(loud);
}

int osc_server_timeout_ms(const struct osc_server *s)
{
	const double now = now_s();
	double deadline = subscription_next_deadline(&s->subs, now);
	if (s->recall && s->recall_next < deadline)
		deadline = s->recall_next;
	if (s->n_settled > s->settled_sent && s->settled_next < deadline)
		deadline = s->settled_next; /* more recall feedback to send */
	const double wait = deadline - now;
	return wait <= 0 ? 0 : (int)ceil(wait * 1000.0);
}
