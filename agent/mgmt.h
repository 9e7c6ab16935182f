/* SPDX-License-Identifier: GPL-2.0 */
/*
 * RPC servers of the agent, one protocol (rpc.h) on two kinds of socket:
 * - the local management socket: a unix stream socket, 0600 in a 0700
 *   directory, answering root only (SO_PEERCRED);
 * - the mesh RPC: TCP on the mesh address, answering the addresses an
 *   accept callback approves (current members).
 * Requests may be answered later (after a commit): a handler keeps the
 * call and replies when it can.
 */
#ifndef ATOM_MGMT_H
#define ATOM_MGMT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "loop.h"
#include "util/tlv.h"

struct mgmt;
struct mgmt_call;

/* The most CLI connections served at once. */
#define MGMT_MAX_CLIENTS 64

/*
 * Handle a request. Reply now or later with mgmt_reply (exactly once);
 * the request's attributes are valid only during the call.
 */
typedef void (*mgmt_handler_fn)(void *ctx, struct mgmt_call *call,
				uint32_t op, const uint8_t *attrs, size_t len);

/*
 * Listen on path. Creates a missing parent directory 0700; refuses a
 * path on which an agent already answers; replaces a stale socket.
 */
int mgmt_open(struct loop *loop, const char *path, mgmt_handler_fn fn,
	      void *ctx, struct mgmt **ret_mgmt);
/* May a connection from addr be served? (the mesh RPC's member check) */
typedef bool (*mgmt_accept_fn)(void *ctx, const struct sockaddr *addr,
			       socklen_t addrlen);

/* Listen on TCP addr (port 0: any), optionally bound to a device. */
int mgmt_open_tcp(struct loop *loop, const struct sockaddr *addr,
		  socklen_t addrlen, const char *bind_device,
		  mgmt_accept_fn accept_fn, mgmt_handler_fn fn, void *ctx,
		  struct mgmt **ret_mgmt);
int mgmt_local_addr(struct mgmt *m, struct sockaddr_storage *ret,
		    socklen_t *ret_len);

/* Stop listening, drop every client, unlink a unix socket. */
void mgmt_close(struct mgmt *m);

/* A writer for the reply's results (after ID and ERRNO). */
struct tlv_writer *mgmt_call_writer(struct mgmt_call *call);
/* Who asked (NULL once the client left). */
const struct sockaddr *mgmt_call_peer(struct mgmt_call *call,
				      socklen_t *ret_len);

/*
 * Send the reply: err is 0 or a negative errno, msg an optional message.
 * Frees the call; a call whose client left is freed silently.
 */
void mgmt_reply(struct mgmt_call *call, int err, const char *msg);

#endif /* ATOM_MGMT_H */
