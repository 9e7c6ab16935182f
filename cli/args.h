/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Options every atom subcommand accepts, anywhere after "atom".
 */
#ifndef ATOM_CLI_ARGS_H
#define ATOM_CLI_ARGS_H

#include <stdbool.h>

#define CLI_DEFAULT_SOCKET "/run/atom/atom.sock"

struct cli_global {
	const char *config;	/* -c/--config FILE, or NULL */
	const char *socket;	/* -s/--socket PATH, or NULL */
	bool json;		/* -j/--json */
	bool help;		/* -h/--help */
};

/*
 * Take the global options out of argv (argv[0] is the program) and leave
 * the rest, in order, in argv[1..*ret_argc-1]. Everything after "--" is
 * left alone. Returns 0, or -EINVAL with *ret_bad naming the offending
 * argument (an option without its value, or a repeated option).
 */
int cli_args_extract(int argc, char **argv, struct cli_global *g,
		     int *ret_argc, const char **ret_bad);

#endif /* ATOM_CLI_ARGS_H */
