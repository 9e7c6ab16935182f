/* SPDX-License-Identifier: GPL-2.0 */
/*
 * atom daemon: the agent's start-up, its one loop, and its graceful stop.
 */
#ifndef ATOM_DAEMON_H
#define ATOM_DAEMON_H

#include <stdbool.h>

struct daemon_opts {
	const char *config_path;
	const char *socket_path;	/* -s: overrides api.socket_path */
	const char *join_token;		/* --join-token or ATOM_JOIN_TOKEN */
	int log_level;			/* --log-level, or -1 */
	bool force_new_cluster;		/* --force-new-cluster */
};

/* Run in the foreground until stopped. Returns the exit status. */
int daemon_run(const struct daemon_opts *opts);

#endif /* ATOM_DAEMON_H */
