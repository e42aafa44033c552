/* The console's parameters as one table: every OSC address, its value's
 * storage in the console model, its limits, and the engine command that
 * carries a change. The OSC server, /dump, snapshots and surface profiles all
 * read and write the console through it, and docs/osc.md is checked against
 * it. Control thread only. */
#ifndef DUBSTAGE_CONTROL_PARAM_H
#define DUBSTAGE_CONTROL_PARAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/console.h"
#include "engine/engine.h"

/* One documented address (docs/osc.md has a row for each). */
struct osc_address {
	const char *path;   /* as documented, e.g. "/strip/<n|name>/fader" */
	const char *types;  /* argument types accepted when setting; "" = none */
	const char *units;
	const char *range;
	const char *doc;
};

/* How a parameter's value is stored, limited and sent to the engine. */
enum value_rule {
	RULE_NONE,      /* query-only addresses (meters, /info) */
	RULE_DB_OFF,    /* dB up to `hi`; at or below -144 (or -inf) it is off */
	RULE_RANGE,     /* clamped to [lo, hi] */
	RULE_WRAP,      /* an angle, wrapped to (-180, 180] */
	RULE_BOOL,      /* on/off, stored as bool */
	RULE_SOURCE,    /* the monitor's source: a bus name or number, or "solo" */
	RULE_SET,       /* the monitor's speaker set: a format name */
	RULE_SLOPE,     /* 12, 18 or 24: other values go to the nearest */
	RULE_FADER_POS, /* a surface position 0 ... 1 for a dB field, by the fader law */
};

enum param_kind { KIND_STRIP, KIND_BUS, KIND_MONITOR, KIND_SPEAKER, KIND_VCA, KIND_MUTE_GROUP };

enum action {
	ACT_VALUE, ACT_METER, ACT_GR, ACT_BAD_INPUT, ACT_INFO, ACT_TIMING, ACT_STATUS, ACT_LIMITER_GR, ACT_LATENCY,
	ACT_SUBSCRIBE, ACT_UNSUBSCRIBE, ACT_METERS_SUBSCRIBE, ACT_METERS_UNSUBSCRIBE, ACT_DUMP,
	ACT_SNAPSHOT_SAVE, ACT_SNAPSHOT_RECALL, ACT_SNAPSHOT_LIST, ACT_SNAPSHOT_DELETE,
	ACT_BANK_SELECT, ACT_BANK_NEXT, ACT_BANK_PREV, ACT_BANK_SIZE, ACT_SURFACE,
	ACT_LOUDNESS, ACT_LOUDNESS_RESET, ACT_METERS_RESET, ACT_PRINT_START, ACT_PRINT_STOP, ACT_PRINT_STATUS,
};

struct param {
	const char *kind;   /* "strip", "bus", "vca", ... or NULL for a top-level address */
	const char *name;   /* the rest of the path: "fader", "pan/az" */
	enum action action;
	enum value_rule rule;
	float lo, hi;
	size_t offset;      /* into struct strip_params or struct bus_params */
	enum graph_op op;   /* what engine_sync_* sends when it changes */
	struct osc_address doc;
	void (*changed)(struct strip_params *); /* keeps dependent strip fields in step */
	bool model_only;    /* console state the engine does not use (recall safes) */
};

/* Every row, in documentation order. */
const struct param *param_table(size_t *n);
/* The row kind/name ("strip", "eq/1/gain"), or NULL; param_find_top: a
 * top-level address ("info", "meters/subscribe"). */
const struct param *param_find(const char *kind, const char *name);
const struct param *param_find_top(const char *name);

enum param_kind param_kind_of(const struct param *p);
uint32_t param_target_count(const struct console *c, enum param_kind k);
const char *param_target_name(const struct console *c, enum param_kind k, uint32_t i);
int param_find_target(const struct console *c, enum param_kind k, const char *name);

/* A send row ("send/level", of aux 1) is moved to aux k. */
bool param_is_send(const struct param *p);
struct param param_for_aux(const struct param *send_row, uint32_t k);
/* Which aux a send row (moved by param_for_aux) is for. */
uint32_t param_aux_of(const struct param *send_row);

/* The model's storage for row p of target i. */
void *param_field(struct console *c, const struct param *p, uint32_t i);
/* The value as OSC shows it (bools as 0/1, fader/pos as a position). */
float param_get(struct console *c, const struct param *p, uint32_t i);
/* v limited by the row's rule: the value a set applies. */
float param_clamp(const struct param *p, float v);
/* Stores an already clamped v in the model (keeping derived pan fields in
 * step); param_set also sends it to the engine. */
void param_store(struct console *c, const struct param *p, uint32_t i, float v);
void param_set(struct engine *e, struct console *c, const struct param *p, uint32_t i, float v);

#endif
