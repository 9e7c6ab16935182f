// SPDX-License-Identifier: GPL-2.0
/*
 * Global options of the atom command: -c, -s and -j work anywhere, so
 * "atom -s S node list -j" and "atom node list -j -c FILE" mean the same.
 */
#include <errno.h>
#include <string.h>

#include "args.h"

struct opt {
	char short_name;
	const char *long_name;
	bool takes_value;
};

static const struct opt opts[] = {
	{ 'c', "--config", true },
	{ 's', "--socket", true },
	{ 'j', "--json", false },
	{ 'h', "--help", false },
};

static const struct opt *lookup(const char *arg, const char **ret_inline)
{
	size_t i;

	*ret_inline = NULL;
	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		size_t n = strlen(opts[i].long_name);

		if (arg[0] == '-' && arg[1] == opts[i].short_name && !arg[2])
			return &opts[i];
		if (!strncmp(arg, opts[i].long_name, n)) {
			if (!arg[n])
				return &opts[i];
			if (arg[n] == '=' && opts[i].takes_value) {
				*ret_inline = arg + n + 1;
				return &opts[i];
			}
		}
	}
	return NULL;
}

static int set(struct cli_global *g, const struct opt *o, const char *value)
{
	const char **slot = NULL;

	switch (o->short_name) {
	case 'c':
		slot = &g->config;
		break;
	case 's':
		slot = &g->socket;
		break;
	case 'j':
		g->json = true;
		return 0;
	case 'h':
		g->help = true;
		return 0;
	}
	if (*slot || !value || !*value)
		return -EINVAL;
	*slot = value;
	return 0;
}

int cli_args_extract(int argc, char **argv, struct cli_global *g,
		     int *ret_argc, const char **ret_bad)
{
	int in, out = 1;
	bool done = false;

	memset(g, 0, sizeof(*g));
	*ret_bad = NULL;
	for (in = 1; in < argc; in++) {
		const char *arg = argv[in], *value;
		const struct opt *o;

		if (done || arg[0] != '-') {
			argv[out++] = argv[in];
			continue;
		}
		if (!strcmp(arg, "--")) {
			done = true;
			argv[out++] = argv[in];
			continue;
		}
		o = lookup(arg, &value);
		if (!o) {
			argv[out++] = argv[in];	/* a subcommand's own option */
			continue;
		}
		if (o->takes_value && !value) {
			if (in + 1 >= argc) {
				*ret_bad = arg;
				return -EINVAL;
			}
			value = argv[++in];
		}
		if (set(g, o, value) < 0) {
			*ret_bad = arg;
			return -EINVAL;
		}
	}
	argv[out] = NULL;
	*ret_argc = out;
	return 0;
}
