/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One RPC from inside the agent's loop (a follower forwarding a command
 * to the leader's mesh RPC): connect, send, wait for the reply, all
 * non-blocking and bounded by a deadline.
 */
#ifndef ATOM_RPC_CLIENT_H
#define ATOM_RPC_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "loop.h"

struct rpc_pending;

/*
 * Called once: err < 0 when no reply came (-ETIMEDOUT, -ECONNREFUSED,
 * -ECONNRESET, -EPROTO...), else 0 with the reply's attributes (its
 * RPC_A_ERRNO says how the request itself went).
 */
typedef void (*rpc_done_fn)(void *arg, int err, const uint8_t *attrs,
			    size_t len);

struct rpc_target {
	const struct sockaddr *addr;
	socklen_t addrlen;
	const struct sockaddr *src;	/* bind the source address, or NULL */
	socklen_t srclen;
	const char *bind_device;	/* SO_BINDTODEVICE, or NULL */
};

/*
 * Start a call of op with request attributes attrs (RPC_A_ID and RPC_A_OP
 * are added). On success *ret may be passed to rpc_cancel until done
 * runs; done never runs from inside rpc_call.
 */
int rpc_call(struct loop *loop, const struct rpc_target *target,
	     uint64_t id, uint32_t op, const uint8_t *attrs, size_t len,
	     uint32_t timeout_ms, rpc_done_fn done, void *arg,
	     struct rpc_pending **ret);

/* Abandon a call: done is not called. */
void rpc_cancel(struct rpc_pending *p);

#endif /* ATOM_RPC_CLIENT_H */
