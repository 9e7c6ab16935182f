/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The mesh commands written to the Raft log, and their binary codec.
 *
 * Every command: u8 version (MESH_CMD_VERSION), u8 type, u64 client id,
 * u64 sequence (the request id), i64 leader timestamp (unix ms), then
 * the type's body; all big-endian, at most MESH_CMD_MAX bytes. A name is
 * u8 length + bytes; an endpoint is u8 family (0, 4, 6), then for 4 or 6
 * the address (4 or 16 bytes) and a u16 port. Decode consumes exactly
 * the input and refuses anything else.
 */
#ifndef ATOM_MESH_CMD_H
#define ATOM_MESH_CMD_H

#include <stddef.h>
#include <stdint.h>

#include "mesh/state.h"

#define MESH_CMD_VERSION 1
#define MESH_CMD_MAX 512

enum mesh_cmd_type {
	MESH_CMD_BOOTSTRAP = 1,
	MESH_CMD_TOKEN_CREATE,
	MESH_CMD_TOKEN_REVOKE,
	MESH_CMD_NODE_JOIN,
	MESH_CMD_NODE_EVICT,	/* phase 1: evicting */
	MESH_CMD_NODE_REMOVE,	/* phase 2: removed, key tombstoned */
	MESH_CMD_NODE_UPDATE,	/* endpoint change */
	MESH_CMD_FEATURE_BUMP,
	MESH_CMD_TYPE_MAX = MESH_CMD_FEATURE_BUMP,
};

/* A node as a joiner or bootstrapper announces it. */
struct mesh_cmd_node {
	char name[MESH_NAME_MAX + 1];
	uint8_t key[MESH_KEY_LEN];
	struct mesh_endpoint endpoint;
	uint16_t wg_port;
	uint8_t voter;		/* enum mesh_voter */
};

struct mesh_cmd {
	uint8_t type;		/* enum mesh_cmd_type */
	uint64_t client, seq;	/* request id */
	int64_t ts_ms;		/* leader's clock when proposed */
	union {
		struct {
			uint8_t cluster_id[MESH_CLUSTER_ID_LEN];
			uint32_t network;	/* host order */
			uint8_t prefix;
			struct mesh_cmd_node node;
		} bootstrap;
		struct {
			uint8_t id[MESH_TOKEN_ID_LEN];
			uint8_t verifier[MESH_VERIFIER_LEN];
			uint8_t server_key[MESH_SERVER_KEY_LEN];
			uint32_t uses;
			int64_t expiry_ms;
			uint8_t role;
		} token_create;
		struct {
			uint8_t id[MESH_TOKEN_ID_LEN];
		} token_revoke;
		struct {
			uint8_t token_id[MESH_TOKEN_ID_LEN];
			struct mesh_cmd_node node;
		} join;
		struct {
			char name[MESH_NAME_MAX + 1];
		} evict, remove;
		struct {
			char name[MESH_NAME_MAX + 1];
			struct mesh_endpoint endpoint;
		} update;
		struct {
			uint32_t feature;
		} bump;
	};
};

/* Encode into buf (cap bytes); -EINVAL for a command decode would refuse. */
int mesh_cmd_encode(const struct mesh_cmd *c, uint8_t *buf, size_t cap,
		    size_t *ret_len);
/* 0, MESH_E_MALFORMED or MESH_E_VERSION. */
int mesh_cmd_decode(const uint8_t *buf, size_t len, struct mesh_cmd *ret);

/* The endpoint encoding, shared with the snapshot codec (wire.h). */
struct mw;
struct mr;
void mesh_endpoint_put(struct mw *w, const struct mesh_endpoint *ep);
void mesh_endpoint_get(struct mr *r, struct mesh_endpoint *ep);

#endif /* ATOM_MESH_CMD_H */
