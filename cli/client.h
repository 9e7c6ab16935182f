/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The CLI's side of the management socket.
 */
#ifndef ATOM_CLI_CLIENT_H
#define ATOM_CLI_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "args.h"
#include "util/tlv.h"

struct rpc_reply {
	int fd;			/* still connected, for daemon stop */
	int pid;		/* the agent's, from SO_PEERCRED */
	uint8_t *buf;		/* the reply's attributes */
	size_t len;
	int err;		/* the agent's answer: 0 or a negative errno */
	char msg[512];		/* its message when err */
};

/*
 * Where the agent listens: -s, else the config's api.socket_path (-c),
 * else the default. Returns 0 or -errno with a message in err.
 */
int client_socket_path(const struct cli_global *g, char *buf, size_t size,
		       char *err, size_t errlen);

/*
 * Send op with the attributes in args (may be NULL) and wait for the
 * reply. Returns 0 when an answer came (see reply->err), or a negative
 * errno with a message in err when the agent could not be asked.
 */
int client_call(const char *path, uint32_t op, const struct tlv_writer *args,
		struct rpc_reply *reply, char *err, size_t errlen);
void client_reply_release(struct rpc_reply *reply);

/*
 * What every subcommand does: find the socket (-s, -c, default), ask, and
 * on any failure print one "atom: <reason>" line. Returns 0 with the
 * successful reply (release it), or 1, the exit status, with nothing to
 * release.
 */
int client_ask(const struct cli_global *g, uint32_t op,
	       const struct tlv_writer *args, struct rpc_reply *reply);

#endif /* ATOM_CLI_CLIENT_H */
