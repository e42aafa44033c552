/* The console model: buses and strips with their parameters, as a mixer sees
 * them. Built by control/config.c from JSON, compiled by engine/graph.c into
 * an RT graph, edited by the control thread only (the RT thread never sees it). */
#ifndef DUBSTAGE_ENGINE_CONSOLE_H
#define DUBSTAGE_ENGINE_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dsp/downmix.h"
#include "dsp/dynamics.h"
#include "dsp/layout.h"
#include "dsp/limiter.h"

#define CONSOLE_NAME_MAX 32        /* bytes incl. NUL, for strip and bus names */
#define CONSOLE_MAX_STRIPS 4096
#define CONSOLE_MAX_BUSES 256
#define CONSOLE_STRIP_MAX_BUSES 8  /* buses one strip feeds (a 7.1.4 stem, a 5.1 stem, a guide mix...) */
#define CONSOLE_MAX_AUX 8          /* aux buses per console: every strip has a send to each */
#define CONSOLE_MAX_GROUPS 32      /* VCAs per console, and mute groups per console */
#define CONSOLE_VCA_SUM_MAX_DB 20.0f /* a strip's fader plus its VCAs' offsets stops here */

/* Parameter ranges (docs/osc.md and docs/config.md quote these). */
#define CONSOLE_FADER_MAX_DB 10.0f
#define CONSOLE_TRIM_MIN_DB (-24.0f)
#define CONSOLE_TRIM_MAX_DB 24.0f

#define CONSOLE_DELAY_MAX_MS 2000.0f
#define CONSOLE_EQ_BANDS 4      /* 1 and 4: shelf or bell; 2 and 3: bell */
#define CONSOLE_NOTCHES 2
#define CONSOLE_EQ_GAIN_MAX_DB 18.0f

/* Stems take strips; masters sum stems (and other masters); an aux bus takes
 * strips' sends, plays them out of its JACK ports (to an external
 * processor), and feeds what comes back on its return ports into a stem. */
enum bus_role { BUS_ROLE_STEM, BUS_ROLE_MASTER, BUS_ROLE_AUX };

struct pass_filter_params { /* Butterworth high- or low-pass */
	bool on;
	float freq_hz;         /* 10 ... 20000 */
	float slope_db;        /* 12, 18 or 24 dB/octave */
};

struct eq_band_params {
	bool on;
	bool shelf;            /* bands 1 and 4 only: a shelf instead of a bell */
	float freq_hz;         /* 20 ... 20000 */
	float gain_db;         /* -18 ... +18 */
	float q;               /* 0.1 ... 10 */
};

struct notch_params {
	bool on;
	float freq_hz;         /* 20 ... 20000 */
	float q;               /* 0.1 ... 100 (hum: 10 ... 30) */
};

/* What sits between the input trim and the fader (docs/config.md "Strip
 * processing"); buses use the EQ and dynamics of it. */
struct strip_processing {
	float delay_ms;        /* 0 ... 2000, rounded to the nearest sample */
	struct pass_filter_params hpf, lpf;
	bool eq_on;            /* the whole EQ (bands and notches) */
	struct eq_band_params eq[CONSOLE_EQ_BANDS];
	struct notch_params notch[CONSOLE_NOTCHES];
	struct dynamics_params dyn;
	bool dyn_pre_eq;       /* dynamics before the filters and EQ */
};

/* Defaults: everything off, at settings a mixer would start from. */
void console_processing_defaults(struct strip_processing *p);

/* The strip processing settings, one row each: the single description
 * that the config parser (JSON keys nested along the path) and the OSC
 * address space (/strip/<n|name>/<path>) both read. */
enum console_field_kind {
	CONSOLE_FIELD_NUMBER,   /* float within [lo, hi] */
	CONSOLE_FIELD_BOOL,
	CONSOLE_FIELD_SLOPE,    /* 12, 18 or 24 (stored as float) */
	CONSOLE_FIELD_EQ_TYPE,  /* bool shelf: config "shelf"/"bell", OSC 1/0 */
};
enum console_field_group { CONSOLE_FIELD_FILTERS, CONSOLE_FIELD_DYNAMICS, CONSOLE_FIELD_DELAY };

struct console_field {
	char path[32];          /* "hpf/freq", "eq/1/gain", "dyn/comp/threshold" */
	enum console_field_kind kind;
	enum console_field_group group;
	float lo, hi;
	size_t offset;          /* into struct strip_processing */
	const char *units;
	char range[40];
	const char *doc;
};

const struct console_field *console_processing_fields(size_t *n);
const struct console_field *console_find_field(const char *path);

/* A strip's send to one aux bus: panned into the aux's format from the
 * strip's position. Pre-fader sends follow the strip's mute, not its fader
 * or solo-in-place (docs/config.md "Aux buses and sends"). */
struct send_params {
	float level_db;        /* -inf (off) ... +10 */
	bool pre;              /* taps after the dynamics, before the fader */
	bool on;
};

/* What a snapshot recall leaves alone on a strip (film consoles' recall
 * safes): everything, or its filters and EQ, its dynamics, its fader. */
struct recall_safe {
	bool all;
	bool eq;               /* hpf, lpf, eq, notch */
	bool dyn;
	bool fader;
};

struct strip_params {
	float fader_db;        /* -inf (off) ... +10 */
	float trim_db;         /* -24 ... +24 */
	float pan_azimuth_deg; /* (-180, 180], BS.2051: + is left */
	float pan_elevation_deg; /* -90 ... +90 */
	float pan_x, pan_y, pan_z; /* room position (dsp/room.h), used when pan_room */
	bool pan_room;         /* positioned in the room (x/y/z), not by direction */
	float pan_size;        /* 0 (point) ... 1 (even spread) */
	float pan_divergence;  /* 0 ... 1: share of C's energy moved into L and R */
	float pan_width;       /* 0 ... 1: channel spread of a wider input (1: nominal) */
	float pan_rotation_deg; /* turns a wider input's image */
	float lfe_send_db;     /* -inf (off) ... +10, independent of the position */
	bool mute;
	bool solo;
	bool solo_safe;
	bool polarity_inverted;
	struct strip_processing proc;
	struct send_params send[CONSOLE_MAX_AUX]; /* by aux ordinal: console.aux[k] */
	struct recall_safe safe; /* not part of the mix: snapshots neither save nor recall it */
};

struct bus_params {
	float fader_db;
	bool mute;
	struct strip_processing proc; /* filters, EQ, dynamics before the fader (no delay) */
	struct limiter_params limiter; /* a master's, when it has one (console_bus.has_limiter) */
};

/* The monitor section (control-room path): docs/config.md "monitor". */
#define CONSOLE_MONITOR_DELAY_MAX_MS 50.0f  /* per-speaker alignment delay */
#define CONSOLE_MONITOR_DIM_MIN_DB (-60.0f)
#define CONSOLE_MONITOR_CAL_MIN_DB (-24.0f)
#define CONSOLE_MONITOR_CAL_MAX_DB 24.0f

struct monitor_params {
	float level_db;         /* control-room level, -inf ... +10 */
	float dim_db;           /* -60 ... 0 (default -20) */
	bool dim, mute, mono;   /* mono: mono check, folds the speaker set to mono */
};

struct monitor_speaker_params {
	float cal_db;           /* calibration trim, -24 ... +24 */
	float delay_ms;         /* alignment delay, 0 ... 50 */
	bool mute, solo;
};

struct console_monitor {
	enum layout_id room;        /* the loudspeakers: JACK outputs monitor_<channel> */
	uint32_t source;            /* a bus index, or the console's n_buses: the solo bus */
	enum layout_id speakers;    /* the speaker set in use (the room, or a fold-down of it) */
	struct monitor_params params;
	struct monitor_speaker_params speaker[LAYOUT_MAX_CHANNELS];
	char **connect;             /* one JACK port per loudspeaker, or NULL */
	uint32_t n_connect;
	uint32_t heard;             /* control thread: the source the engine last got gains for */
};

/* A VCA (fader offset and mute over its member strips) or a mute group (a
 * mute master: the fader is unused). docs/config.md "VCAs and mute groups". */
struct group_params {
	float fader_db;        /* -inf ... +10: added to every member's own fader */
	bool mute;
};

struct console_group {
	char name[CONSOLE_NAME_MAX];
	struct group_params params;
};

struct console_strip {
	char name[CONSOLE_NAME_MAX];
	enum layout_id input;
	uint32_t vcas;         /* bit v: VCA v controls it, directly or through nested VCAs */
	uint32_t mute_groups;  /* bit m: mute group m mutes it */
	uint32_t bus[CONSOLE_STRIP_MAX_BUSES]; /* each panned from the same position in its own format */
	uint32_t n_bus;
	struct strip_params params;
	char **connect;        /* one JACK port per input channel, or NULL */
	uint32_t n_connect;
};

struct console_bus {
	char name[CONSOLE_NAME_MAX];
	enum layout_id format;
	enum bus_role role;
	uint32_t *sources;     /* bus indices summed into it (a master's sources, auxes returning into it) */
	uint32_t n_sources;
	struct downmix_table *downmix; /* a master's own fold-down overrides, or NULL */
	struct bus_params params;
	char **connect;        /* one JACK port per channel, or NULL */
	uint32_t n_connect;
	char **return_connect; /* an aux's return: the JACK port feeding each channel, or NULL */
	uint32_t n_return_connect;
	bool has_limiter;      /* a master with "limiter" in its config: its outputs run through
	                        * the true-peak limiter and lag by its look-ahead */
	bool has_dialogue;     /* "dialogue": the bus whose speech gates this one's dialogue-gated loudness */
	uint32_t dialogue;
};

/* A surface that speaks through a profile (control/profile.h): chosen by
 * the sender's IP address, its UDP port, or both. */
struct surface_profile;
struct allow_rule;
struct surface_binding {
	char from[64];         /* the sender's IP address as written, or "" for any */
	uint32_t port;         /* the sender's UDP port, or 0 for any */
	uint32_t feedback_port; /* feedback goes to from:feedback_port always, or 0: only when subscribed */
	bool echo;             /* the surface also gets back the changes it made */
	struct surface_profile *profile; /* one block */
};

struct console {
	char *name;
	struct console_strip *strips;
	uint32_t n_strips;
	struct console_bus *buses;
	uint32_t n_buses;
	uint32_t *bus_order;   /* every source before the masters it feeds */
	uint32_t aux[CONSOLE_MAX_AUX]; /* the aux buses, in console order */
	uint32_t n_aux;
	struct console_group vcas[CONSOLE_MAX_GROUPS];
	uint32_t n_vcas;
	struct console_group mute_groups[CONSOLE_MAX_GROUPS];
	uint32_t n_mute_groups;
	struct downmix_table downmix; /* fold-down steps, with the config's overrides */
	struct console_monitor *monitor; /* NULL: the console has no monitor section */
	char *snapshot_dir;    /* where snapshots are kept, or NULL (config "snapshots") */
	char *print_dir;       /* where prints go, or NULL (config "prints") */
	char *state_dir;       /* where the live state is autosaved (config "state"; for a config file, by
	                        * default "state" beside it), or NULL: none */
	struct surface_binding *surfaces;
	uint32_t n_surfaces;
	struct allow_rule *osc_allow; /* config "osc_allow" (control/allowlist), or NULL: the loopback only */
	uint32_t n_osc_allow;
	uint32_t osc_subscribers;     /* at most this many surfaces known at once (config, default 8) */
	uint32_t osc_fanout;          /* targets a second any one sender may reach through patterns (config "osc_fanout", default 4,096) */
	uint32_t osc_rate;            /* datagrams a second from any one sender (config "osc_rate", default 5,000) */
	uint64_t edits; /* changes to the mix since the config was read: every one counts (console_edited), so
	                 * that the autosave builds its text only when this moved, not 4 times a second */
};

/* Every change to the mix after load goes through here: param_store, the
 * monitor's source and speaker set, a reload (console_carry_params). */
static inline void console_edited(struct console *c) { c->edits++; }

void console_free(struct console *c);
/* The console without its monitor section (an offline render: the control
 * room's loudspeakers are no deliverable). */
void console_drop_monitor(struct console *c);

/* Keep a strip's two position forms in step: after a direction is set, the
 * strip pans by direction and x/y/z show where that is in the room; after a
 * room position is set, it pans by room position and az/el show its
 * direction (both for BS.2127's reference anchors). */
void console_pan_direction_changed(struct strip_params *p);
void console_pan_room_changed(struct strip_params *p);

/* The fold-down steps master b uses for its sources. */
const struct downmix_table *console_bus_downmix(const struct console *c, uint32_t b);

int console_find_strip(const struct console *c, const char *name); /* index or -1 */
int console_find_bus(const struct console *c, const char *name);
/* The ordinal of aux bus `name` among c->aux (its strips' send slot), or -1. */
int console_find_aux(const struct console *c, const char *name);
/* What strip s plays at: its own fader plus the offsets of every VCA that
 * controls it (each counted once, however it is reached), at most
 * CONSOLE_VCA_SUM_MAX_DB; -inf when any of them is off. */
float console_strip_fader_db(const struct console *c, uint32_t s);
/* Its own mute, or a muted VCA that controls it, or a muted mute group it is in. */
bool console_strip_muted(const struct console *c, uint32_t s);
int console_find_vca(const struct console *c, const char *name);
int console_find_mute_group(const struct console *c, const char *name);

/* The first input port of the aux returns (after every strip's inputs). */
uint32_t console_return_port_first(const struct console *c);

/* JACK ports the console registers: every strip input channel, then every
 * aux bus's return channels; every bus channel (an aux's: its send), then the
 * monitor's loudspeakers. */
uint32_t console_input_port_count(const struct console *c);
uint32_t console_output_port_count(const struct console *c);

/* Orders buses so that sources come before masters; returns 0, or -1 when the
 * sources form a cycle, with the bus index on the cycle in *cycle_bus. */
int console_sort_buses(struct console *c, uint32_t *cycle_bus);

/* Copies the live parameters of every strip and bus of `from` into the one of
 * the same name in `to` (a reload keeps the mix; sends follow their aux by name). */
void console_carry_params(struct console *to, const struct console *from);

static inline float console_clamp(float v, float lo, float hi)
{
	return v < lo ? lo : (v > hi ? hi : v);
}

#endif
