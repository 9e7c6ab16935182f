/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Builders for mesh commands shared by the test_mesh_* binaries.
 * Network 10.99.0.0/24 unless a test says otherwise; node i has the key
 * {i, 0xaa, 0...} and the name "node-<i>"; token t has the id {t, 0x77}.
 */
#ifndef ATOM_TESTS_MESH_TEST_H
#define ATOM_TESTS_MESH_TEST_H

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "mesh/apply.h"
#include "mesh/cmd.h"
#include "mesh/state.h"

#define T_NET 0x0a630000u	/* 10.99.0.0 */
#define T_NOW 1700000000000LL	/* leader's clock, unix ms */
#define T_CLIENT 42

static inline void t_key(uint8_t *key, int i)
{
	memset(key, 0, MESH_KEY_LEN);
	key[0] = (uint8_t)i;
	key[1] = 0xaa;
}

static inline void t_token_id(uint8_t *id, int t)
{
	memset(id, 0, MESH_TOKEN_ID_LEN);
	id[0] = (uint8_t)t;
	id[1] = 0x77;
}

static inline void t_node(struct mesh_cmd_node *n, int i)
{
	memset(n, 0, sizeof(*n));
	snprintf(n->name, sizeof(n->name), "node-%d", i);
	t_key(n->key, i);
	n->endpoint.family = AF_INET;
	n->endpoint.addr[0] = 192;
	n->endpoint.addr[1] = 0;
	n->endpoint.addr[2] = 2;
	n->endpoint.addr[3] = (uint8_t)i;
	n->endpoint.port = 51820;
	n->wg_port = 51820;
	n->voter = MESH_VOTER_AUTO;
}

static inline void t_head(struct mesh_cmd *c, uint8_t type, uint64_t seq)
{
	memset(c, 0, sizeof(*c));
	c->type = type;
	c->client = T_CLIENT;
	c->seq = seq;
	c->ts_ms = T_NOW + (int64_t)seq;
}

static inline void t_bootstrap(struct mesh_cmd *c, uint64_t seq,
			       uint8_t prefix)
{
	t_head(c, MESH_CMD_BOOTSTRAP, seq);
	memset(c->bootstrap.cluster_id, 0xc1, MESH_CLUSTER_ID_LEN);
	c->bootstrap.network = T_NET;
	c->bootstrap.prefix = prefix;
	t_node(&c->bootstrap.node, 0);
}

static inline void t_token(struct mesh_cmd *c, uint64_t seq, int t,
			   uint32_t uses, int64_t ttl_ms, uint8_t role)
{
	t_head(c, MESH_CMD_TOKEN_CREATE, seq);
	t_token_id(c->token_create.id, t);
	memset(c->token_create.verifier, 0x11, MESH_VERIFIER_LEN);
	memset(c->token_create.server_key, 0x22, MESH_SERVER_KEY_LEN);
	c->token_create.uses = uses;
	c->token_create.expiry_ms = c->ts_ms + ttl_ms;
	c->token_create.role = role;
}

static inline void t_join(struct mesh_cmd *c, uint64_t seq, int t, int i)
{
	t_head(c, MESH_CMD_NODE_JOIN, seq);
	t_token_id(c->join.token_id, t);
	t_node(&c->join.node, i);
}

static inline void t_named(struct mesh_cmd *c, uint8_t type, uint64_t seq,
			   int i)
{
	t_head(c, type, seq);
	snprintf(c->evict.name, sizeof(c->evict.name), "node-%d", i);
}

/* Encode and apply; returns the result code. */
static inline int t_apply(struct mesh_state *s, const struct mesh_cmd *c,
			  struct mesh_apply_out *out)
{
	uint8_t buf[MESH_CMD_MAX];
	size_t len;

	if (mesh_cmd_encode(c, buf, sizeof(buf), &len))
		return -999;
	if (mesh_apply(s, buf, len, out))
		return -998;
	return out->result.code;
}

static inline uint32_t t_ip(const struct mesh_apply_out *out)
{
	const uint8_t *p = out->result.payload;

	if (out->result.len != 4)
		return 0;
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

#endif /* ATOM_TESTS_MESH_TEST_H */
