/* libFuzzer harness: any bytes as a console config (JSON parsing, every key's
 * checks, routing and layouts), then, when it loads, a graph built from it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "control/config.h"
#include "engine/graph.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	char err[1024];
	struct console *c = config_load_text(text, "fuzz.json", err, sizeof err);
	free(text);
	if (!c)
		return 0;
	if (console_input_port_count(c) + console_output_port_count(c) < 4096) { /* a graph as a start would build */
		struct graph *g = graph_build(c, NULL, 48000, err, sizeof err);
		graph_free(g);
	}
	console_free(c);
	return 0;
}
