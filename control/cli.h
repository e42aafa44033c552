/* The dubstage command line: run, check, bench, --help, --version.
 * Returns the process exit status (0 ok, 1 runtime failure, 2 bad input). */
#ifndef DUBSTAGE_CONTROL_CLI_H
#define DUBSTAGE_CONTROL_CLI_H

int cli_main(int argc, char **argv);

#endif
