// SPDX-License-Identifier: GPL-2.0
/*
 * atom: the command line front end and the daemon, one binary.
 * A dispatch table like wg(8): one entry per subcommand.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "subcommands.h"
#include "version.h"

struct command {
	const char *name;
	int (*main)(int argc, char **argv, const struct cli_global *g);
	const char *help;
};

static int version_main(int argc, char **argv, const struct cli_global *g);
static int help_main(int argc, char **argv, const struct cli_global *g);

static const struct command commands[] = {
	{ "confgen", confgen_main, "Print a complete, commented configuration" },
	{ "daemon", daemon_main, "Run the agent (-c FILE), or stop it (daemon stop)" },
	{ "status", status_main, "Show this node's agent" },
	{ "token", token_main, "Create, list and revoke join tokens (create, list, revoke)" },
	{ "node", node_main, "List, remove and re-address mesh nodes (list, remove, set)" },
	{ "version", version_main, "Print the version of this binary" },
	{ "help", help_main, "Show this help" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: atom [-c FILE] [-s SOCKET] [-j] <command> [<args>]\n\n"
		   "Commands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\nGlobal options, accepted anywhere after \"atom\":\n"
		   "  -c, --config FILE   configuration file\n"
		   "  -s, --socket PATH   management socket (default %s)\n"
		   "  -j, --json          machine-readable output\n",
		CLI_DEFAULT_SOCKET);
}

static int version_main(int argc, char **argv, const struct cli_global *g)
{
	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "Usage: atom version\n");
		return 2;
	}
	if (g->json)
		printf("{\"version\":\"%s\"}\n", ATOM_VERSION);
	else
		printf("atom %s\n", ATOM_VERSION);
	return 0;
}

static int help_main(int argc, char **argv, const struct cli_global *g)
{
	(void)argc;
	(void)argv;
	(void)g;
	usage(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	struct cli_global g;
	const char *bad;
	size_t i;
	int n;

	if (cli_args_extract(argc, argv, &g, &n, &bad) < 0) {
		fprintf(stderr, "atom: option '%s' needs one value, given once\n",
			bad);
		return 2;
	}
	if (n < 2) {
		usage(g.help ? stdout : stderr);
		return g.help ? 0 : 2;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].main(n - 1, argv + 1, &g);
	}
	if (!strcmp(argv[1], "--version"))
		return version_main(1, argv + 1, &g);
	fprintf(stderr, "atom: unknown command '%s' (see 'atom help')\n",
		argv[1]);
	return 2;
}
