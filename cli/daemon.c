// SPDX-License-Identifier: GPL-2.0
/*
 * atom daemon -c FILE [--join-token TOKEN] [--force-new-cluster] [--log-level LEVEL]
 * atom daemon stop [--down]
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "client.h"
#include "daemon.h"
#include "log.h"
#include "rpc.h"
#include "subcommands.h"

static int usage(void)
{
	fprintf(stderr,
		"Usage: atom daemon -c FILE [--join-token TOKEN] [--force-new-cluster] [--log-level LEVEL]\n"
		"       atom daemon stop [--down]\n");
	return 2;
}

static int stop_main(int argc, char **argv, const struct cli_global *g)
{
	struct rpc_reply reply;
	struct tlv_writer args;
	struct pollfd p;
	bool down = false;
	int i, ret, pidfd;

	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--down"))
			down = true;
		else
			return usage();
	}
	tlv_writer_init(&args, 64);
	tlv_put_u32(&args, RPC_A_DOWN, down);
	ret = client_ask(g, RPC_OP_STOP, &args, &reply);
	tlv_writer_release(&args);
	if (ret)
		return ret;
	/* Done when the agent's process is gone, not merely its socket. */
	pidfd = (int)syscall(SYS_pidfd_open, reply.pid, 0);
	client_reply_release(&reply);
	if (pidfd < 0) {
		if (errno == ESRCH)
			return 0;	/* already gone */
		fprintf(stderr, "atom: cannot watch the agent (pid %d): %s\n",
			reply.pid, strerror(errno));
		return 1;
	}
	p = (struct pollfd){ .fd = pidfd, .events = POLLIN };
	ret = poll(&p, 1, RPC_TIMEOUT_MS);
	close(pidfd);
	if (ret <= 0) {
		fprintf(stderr, "atom: the agent did not exit within %d s\n",
			RPC_TIMEOUT_MS / 1000);
		return 1;
	}
	return 0;
}

int daemon_main(int argc, char **argv, const struct cli_global *g)
{
	struct daemon_opts opts = {
		.config_path = g->config,
		.socket_path = g->socket,
		.join_token = getenv("ATOM_JOIN_TOKEN"),
		.log_level = -1,
	};
	enum log_level level;
	int i;

	if (argc >= 2 && !strcmp(argv[1], "stop"))
		return stop_main(argc, argv, g);
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--join-token") && i + 1 < argc) {
			opts.join_token = argv[++i];
		} else if (!strcmp(argv[i], "--force-new-cluster")) {
			opts.force_new_cluster = true;
		} else if (!strcmp(argv[i], "--log-level") && i + 1 < argc) {
			if (log_level_parse(argv[++i], &level) < 0) {
				fprintf(stderr,
					"atom: --log-level takes err, warn, info or debug\n");
				return 2;
			}
			opts.log_level = (int)level;
		} else {
			return usage();
		}
	}
	if (!opts.config_path)
		return usage();
	return daemon_run(&opts);
}
