/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The join port's server (design §4, §9), on the agent's loop: one
 * exchange per connection, the member's half of the handshake
 * (join/handshake.h) or, when the first message is a PROBE, the "you were
 * evicted" answer (join/evicted.h). Bounded: a frame above the largest
 * joiner message is refused from its header, the whole exchange (the
 * decision included) has one deadline, and at most max_conns connections
 * are served at once. Garbage or a protocol error closes that connection
 * and nothing else.
 */
#ifndef ATOM_JOIN_SRV_H
#define ATOM_JOIN_SRV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "join/handshake.h"
#include "loop.h"

struct join_srv;
struct join_srv_conn;

struct join_srv_ops {
	join_lookup_fn lookup;		/* a token of the current state */
	/* 0: this node cannot answer joins now (closes every connection) */
	uint64_t (*cluster_id)(void *ctx);
	/*
	 * An authentic request, with the address it came from. Answer once,
	 * now or later, with join_srv_accept or join_srv_refuse, unless
	 * cancel comes first.
	 */
	void (*request)(void *ctx, struct join_srv_conn *c,
			const struct join_request *req,
			const struct sockaddr *peer, socklen_t peerlen);
	/* The connection is gone before its answer: c is invalid after. */
	void (*cancel)(void *ctx, struct join_srv_conn *c);
	/* Was this WireGuard key evicted (evicting or tombstoned)? */
	bool (*evicted)(void *ctx, const uint8_t key[JOIN_WG_KEY_LEN]);
};

struct join_srv_config {
	const struct sockaddr *addr;
	socklen_t addrlen;
	unsigned int max_conns;		/* 0: 64 */
	uint32_t deadline_ms;		/* 0: 10000 */
	const uint8_t *member_priv;	/* this node's WireGuard private key */
};

int join_srv_open(struct loop *loop, const struct join_srv_config *cfg,
		  const struct join_srv_ops *ops, void *ctx,
		  struct join_srv **ret);
int join_srv_local_addr(struct join_srv *s, struct sockaddr_storage *ret,
			socklen_t *ret_len);
/* Stop listening; every request still waiting is cancelled. */
void join_srv_close(struct join_srv *s);

/* The answer to a request (the connection closes once it is written). */
int join_srv_accept(struct join_srv_conn *c, const struct join_acceptance *acc);
int join_srv_refuse(struct join_srv_conn *c, uint16_t reason);

/* The owner's pointer for a waiting request. */
void join_srv_set_owner(struct join_srv_conn *c, void *owner);
void *join_srv_owner(const struct join_srv_conn *c);

#endif /* ATOM_JOIN_SRV_H */
