/* Console configuration files (JSON, docs/config.md): parse and validate into
 * a struct console. Control thread only. Every error names the file, line and
 * column, the JSON path and what is wrong. */
#ifndef DUBSTAGE_CONTROL_CONFIG_H
#define DUBSTAGE_CONTROL_CONFIG_H

#define CONFIG_OSC_SUBSCRIBERS 8 /* surfaces known at once, by default */
#define CONFIG_OSC_RATE 5000     /* datagrams a second from one sender, by default */
#define CONFIG_OSC_RATE_MAX 1000000
#define CONFIG_OSC_FANOUT 4096   /* targets a second one sender may reach through patterns, by default */
#define CONFIG_OSC_FANOUT_MAX 1000000

#include <stddef.h>

#include "engine/console.h"

/* Returns a console, or NULL with the error in err. */
struct console *config_load_file(const char *path, char *err, size_t errlen);
/* `origin` names the text in messages (a path, or "<string>"). */
struct console *config_load_text(const char *text, const char *origin, char *err, size_t errlen);

#endif
