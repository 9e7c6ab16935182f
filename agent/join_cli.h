/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The joiner's side of the join port, on the agent's loop: one exchange
 * per call, non-blocking, under one deadline. Also the start-up question
 * of a node that was down: "was I evicted?" (join/evicted.h).
 */
#ifndef ATOM_JOIN_CLI_H
#define ATOM_JOIN_CLI_H

#include <stdint.h>
#include <sys/socket.h>

#include "join/handshake.h"
#include "loop.h"

struct join_cli;
struct join_cli_probe;

/*
 * err 0 with *o filled (o->refusal 0: accepted, else why not; release o),
 * or -EACCES (unknown token or wrong secret), -EBADMSG (a reply that does
 * not open: forged or replayed), -ETIMEDOUT, -ECONNREFUSED,
 * -ECONNRESET, -EPROTO... Never called from inside join_cli_start.
 */
typedef void (*join_cli_done_fn)(void *arg, int err, struct join_outcome *o);

int join_cli_start(struct loop *loop, const struct sockaddr *addr,
		   socklen_t addrlen, const struct join_token *t,
		   const struct join_request *req, uint32_t timeout_ms,
		   join_cli_done_fn done, void *arg, struct join_cli **ret);
/* Abandon: done is not called. */
void join_cli_cancel(struct join_cli *c);

/*
 * result 1: an authentic EVICTED from one of the n member keys; 0: the
 * member closed without one; < 0: -EACCES for a reply that does not
 * verify, or a connection error. Never called from inside the start.
 */
typedef void (*join_probe_done_fn)(void *arg, int result);

int join_cli_probe_start(struct loop *loop, const struct sockaddr *addr,
			 socklen_t addrlen, const uint8_t *node_priv,
			 const uint8_t *node_pub, const uint8_t *member_keys,
			 size_t n_members, uint32_t timeout_ms,
			 join_probe_done_fn done, void *arg,
			 struct join_cli_probe **ret);
void join_cli_probe_cancel(struct join_cli_probe *p);

/* "IPv4:PORT", "[IPv6]:PORT" or "HOST:PORT" (getaddrinfo): 0 or -EINVAL. */
int join_resolve(const char *hostport, struct sockaddr_storage *ret,
		 socklen_t *ret_len);

#endif /* ATOM_JOIN_CLI_H */
