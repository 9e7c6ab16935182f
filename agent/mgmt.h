/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The agent's local management socket: a unix stream socket, 0600 in a
 * 0700 directory, answering root only. Requests may be answered later
 * (after a commit): a handler keeps the call and replies when it can.
 */
#ifndef ATOM_MGMT_H
#define ATOM_MGMT_H

#include <stdint.h>

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
/* Stop listening, drop every client, unlink the socket. */
void mgmt_close(struct mgmt *m);

/* A writer for the reply's results (after ID and ERRNO). */
struct tlv_writer *mgmt_call_writer(struct mgmt_call *call);
/*
 * Send the reply: err is 0 or a negative errno, msg an optional message.
 * Frees the call; a call whose client left is freed silently.
 */
void mgmt_reply(struct mgmt_call *call, int err, const char *msg);

#endif /* ATOM_MGMT_H */
