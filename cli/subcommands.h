/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One function per atom subcommand: argv[0] is the subcommand's name,
 * global options are already taken out. Returns the exit status:
 * 0 success, 1 failure ("atom: <reason>" on stderr), 2 usage error.
 */
#ifndef ATOM_CLI_SUBCOMMANDS_H
#define ATOM_CLI_SUBCOMMANDS_H

#include "args.h"

int confgen_main(int argc, char **argv, const struct cli_global *g);
int daemon_main(int argc, char **argv, const struct cli_global *g);
int status_main(int argc, char **argv, const struct cli_global *g);
int token_main(int argc, char **argv, const struct cli_global *g);
int node_main(int argc, char **argv, const struct cli_global *g);

#endif /* ATOM_CLI_SUBCOMMANDS_H */
