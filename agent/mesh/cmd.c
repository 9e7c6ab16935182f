// SPDX-License-Identifier: GPL-2.0
/*
 * The mesh command codec (see cmd.h). Decode validates every field, so
 * apply only ever sees well-formed commands; encode refuses what decode
 * would refuse.
 */
#include <sys/socket.h>

#include "mesh/cmd.h"
#include "mesh/wire.h"

#define WIRE_INET 4
#define WIRE_INET6 6

static void put_name(struct mw *w, const char *name)
{
	size_t n = strnlen(name, MESH_NAME_MAX + 1);

	if (n > MESH_NAME_MAX) {
		w->err = -EINVAL;
		return;
	}
	mw_u8(w, (uint8_t)n);
	mw_bytes(w, name, n);
}

static void get_name(struct mr *r, char *name)
{
	uint8_t n = mr_u8(r);
	const uint8_t *p = mr_take(r, n);

	memset(name, 0, MESH_NAME_MAX + 1);
	if (!p || !mesh_name_valid((const char *)p, n)) {
		mr_fail(r);
		return;
	}
	memcpy(name, p, n);
}

void mesh_endpoint_put(struct mw *w, const struct mesh_endpoint *ep)
{
	switch (ep->family) {
	case 0:
		mw_u8(w, 0);
		return;
	case AF_INET:
		mw_u8(w, WIRE_INET);
		mw_bytes(w, ep->addr, 4);
		break;
	case AF_INET6:
		mw_u8(w, WIRE_INET6);
		mw_bytes(w, ep->addr, 16);
		break;
	default:
		w->err = -EINVAL;
		return;
	}
	mw_u16(w, ep->port);
}

void mesh_endpoint_get(struct mr *r, struct mesh_endpoint *ep)
{
	memset(ep, 0, sizeof(*ep));
	switch (mr_u8(r)) {
	case 0:
		return;
	case WIRE_INET:
		ep->family = AF_INET;
		mr_bytes(r, ep->addr, 4);
		break;
	case WIRE_INET6:
		ep->family = AF_INET6;
		mr_bytes(r, ep->addr, 16);
		break;
	default:
		mr_fail(r);
		return;
	}
	ep->port = mr_u16(r);
	if (!ep->port)
		mr_fail(r);
}

static void put_node(struct mw *w, const struct mesh_cmd_node *n)
{
	put_name(w, n->name);
	mw_bytes(w, n->key, MESH_KEY_LEN);
	mesh_endpoint_put(w, &n->endpoint);
	mw_u16(w, n->wg_port);
	mw_u8(w, n->voter);
}

static void get_node(struct mr *r, struct mesh_cmd_node *n)
{
	get_name(r, n->name);
	mr_bytes(r, n->key, MESH_KEY_LEN);
	mesh_endpoint_get(r, &n->endpoint);
	n->wg_port = mr_u16(r);
	n->voter = mr_u8(r);
	if (!n->wg_port ||
	    (n->voter != MESH_VOTER_AUTO && n->voter != MESH_VOTER_NEVER))
		mr_fail(r);
}

static void put_body(struct mw *w, const struct mesh_cmd *c)
{
	switch (c->type) {
	case MESH_CMD_BOOTSTRAP:
		mw_bytes(w, c->bootstrap.cluster_id, MESH_CLUSTER_ID_LEN);
		mw_u32(w, c->bootstrap.network);
		mw_u8(w, c->bootstrap.prefix);
		put_node(w, &c->bootstrap.node);
		break;
	case MESH_CMD_TOKEN_CREATE:
		mw_bytes(w, c->token_create.id, MESH_TOKEN_ID_LEN);
		mw_bytes(w, c->token_create.verifier, MESH_VERIFIER_LEN);
		mw_bytes(w, c->token_create.server_key, MESH_SERVER_KEY_LEN);
		mw_u32(w, c->token_create.uses);
		mw_u64(w, (uint64_t)c->token_create.expiry_ms);
		mw_u8(w, c->token_create.role);
		break;
	case MESH_CMD_TOKEN_REVOKE:
		mw_bytes(w, c->token_revoke.id, MESH_TOKEN_ID_LEN);
		break;
	case MESH_CMD_NODE_JOIN:
		mw_bytes(w, c->join.token_id, MESH_TOKEN_ID_LEN);
		put_node(w, &c->join.node);
		break;
	case MESH_CMD_NODE_EVICT:
	case MESH_CMD_NODE_REMOVE:
		put_name(w, c->evict.name);
		break;
	case MESH_CMD_NODE_UPDATE:
		put_name(w, c->update.name);
		mesh_endpoint_put(w, &c->update.endpoint);
		break;
	case MESH_CMD_FEATURE_BUMP:
		mw_u32(w, c->bump.feature);
		break;
	default:
		w->err = -EINVAL;
	}
}

static bool prefix_ok(uint32_t network, uint8_t prefix)
{
	if (prefix < MESH_PREFIX_MIN || prefix > MESH_PREFIX_MAX)
		return false;
	return !(network & ((1u << (32 - prefix)) - 1));
}

static void get_body(struct mr *r, struct mesh_cmd *c)
{
	switch (c->type) {
	case MESH_CMD_BOOTSTRAP:
		mr_bytes(r, c->bootstrap.cluster_id, MESH_CLUSTER_ID_LEN);
		c->bootstrap.network = mr_u32(r);
		c->bootstrap.prefix = mr_u8(r);
		get_node(r, &c->bootstrap.node);
		if (!prefix_ok(c->bootstrap.network, c->bootstrap.prefix))
			mr_fail(r);
		break;
	case MESH_CMD_TOKEN_CREATE:
		mr_bytes(r, c->token_create.id, MESH_TOKEN_ID_LEN);
		mr_bytes(r, c->token_create.verifier, MESH_VERIFIER_LEN);
		mr_bytes(r, c->token_create.server_key, MESH_SERVER_KEY_LEN);
		c->token_create.uses = mr_u32(r);
		c->token_create.expiry_ms = (int64_t)mr_u64(r);
		c->token_create.role = mr_u8(r);
		if (!c->token_create.uses ||
		    c->token_create.uses > MESH_TOKEN_USES_MAX ||
		    c->token_create.expiry_ms <= 0 ||
		    (c->token_create.role != MESH_ROLE_ADMIN &&
		     c->token_create.role != MESH_ROLE_MEMBER))
			mr_fail(r);
		break;
	case MESH_CMD_TOKEN_REVOKE:
		mr_bytes(r, c->token_revoke.id, MESH_TOKEN_ID_LEN);
		break;
	case MESH_CMD_NODE_JOIN:
		mr_bytes(r, c->join.token_id, MESH_TOKEN_ID_LEN);
		get_node(r, &c->join.node);
		break;
	case MESH_CMD_NODE_EVICT:
	case MESH_CMD_NODE_REMOVE:
		get_name(r, c->evict.name);
		break;
	case MESH_CMD_NODE_UPDATE:
		get_name(r, c->update.name);
		mesh_endpoint_get(r, &c->update.endpoint);
		break;
	case MESH_CMD_FEATURE_BUMP:
		c->bump.feature = mr_u32(r);
		if (!c->bump.feature)
			mr_fail(r);
		break;
	default:
		mr_fail(r);
	}
}

int mesh_cmd_decode(const uint8_t *buf, size_t len, struct mesh_cmd *ret)
{
	struct mr r = { .buf = buf, .len = len };

	memset(ret, 0, sizeof(*ret));
	if (len > MESH_CMD_MAX)
		return MESH_E_MALFORMED;
	if (len >= 1 && buf[0] != MESH_CMD_VERSION)
		return MESH_E_VERSION;
	mr_u8(&r);
	ret->type = mr_u8(&r);
	ret->client = mr_u64(&r);
	ret->seq = mr_u64(&r);
	ret->ts_ms = (int64_t)mr_u64(&r);
	if (ret->ts_ms < 0)
		mr_fail(&r);
	get_body(&r, ret);
	return mr_end(&r) ? MESH_E_MALFORMED : 0;
}

int mesh_cmd_encode(const struct mesh_cmd *c, uint8_t *buf, size_t cap,
		    size_t *ret_len)
{
	struct mw w = { .buf = buf, .cap = cap };
	struct mesh_cmd check;

	mw_u8(&w, MESH_CMD_VERSION);
	mw_u8(&w, c->type);
	mw_u64(&w, c->client);
	mw_u64(&w, c->seq);
	mw_u64(&w, (uint64_t)c->ts_ms);
	put_body(&w, c);
	if (w.err)
		return w.err;
	if (mesh_cmd_decode(buf, w.len, &check))
		return -EINVAL;
	*ret_len = w.len;
	return 0;
}
