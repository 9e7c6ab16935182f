// SPDX-License-Identifier: GPL-2.0
/*
 * The snapshot codec (see snapshot.h). Decode goes into a scratch state
 * and is checked there: a snapshot that breaks any invariant apply keeps
 * (order, uniqueness, ranges, bounds) is refused whole.
 */
#include <sodium.h>
#include <stdlib.h>

#include "mesh/cmd.h"
#include "mesh/snapshot.h"
#include "mesh/wire.h"

#define HEAD_LEN (4 + 2 + 1 + MESH_CLUSTER_ID_LEN + 4 + 1 + 4)
#define NODE_LEN (1 + MESH_NAME_MAX + 4 + MESH_KEY_LEN + 1 + 16 + 2 + \
		  2 + 3 + MESH_TOKEN_ID_LEN)
#define TOKEN_LEN (MESH_TOKEN_ID_LEN + MESH_VERIFIER_LEN + \
		   MESH_SERVER_KEY_LEN + 4 + 8 + 2)
#define DEDUP_LEN (8 + 8 + 4 + 1 + MESH_RESULT_MAX)

size_t mesh_snapshot_max(void)
{
	return HEAD_LEN + 4 * 4 + MESH_NODES_MAX * NODE_LEN +
	       MESH_TOKENS_MAX * TOKEN_LEN + MESH_TOMBS_MAX * MESH_KEY_LEN +
	       MESH_DEDUP_MAX * DEDUP_LEN + MESH_SNAP_HASH_LEN;
}

static void put_node(struct mw *w, const struct mesh_node *n)
{
	size_t len = strnlen(n->name, MESH_NAME_MAX);

	mw_u8(w, (uint8_t)len);
	mw_bytes(w, n->name, len);
	mw_u32(w, n->ip);
	mw_bytes(w, n->key, MESH_KEY_LEN);
	mesh_endpoint_put(w, &n->endpoint);
	mw_u16(w, n->wg_port);
	mw_u8(w, n->role);
	mw_u8(w, n->voter);
	mw_u8(w, n->evict);
	mw_bytes(w, n->token_id, MESH_TOKEN_ID_LEN);
}

static void put_result(struct mw *w, const struct mesh_result *r)
{
	mw_u32(w, (uint32_t)r->code);
	mw_u8(w, r->len);
	mw_bytes(w, r->payload, r->len);
}

int mesh_snapshot_encode(const struct mesh_state *s, uint8_t **ret,
			 size_t *ret_len)
{
	size_t cap = mesh_snapshot_max();
	struct mw w = { .cap = cap };
	uint32_t i;
	uint8_t *p;

	w.buf = malloc(cap);
	if (!w.buf)
		return -ENOMEM;
	mw_u32(&w, MESH_SNAP_MAGIC);
	mw_u16(&w, MESH_SNAP_VERSION);
	mw_u8(&w, s->bootstrapped);
	mw_bytes(&w, s->cluster_id, MESH_CLUSTER_ID_LEN);
	mw_u32(&w, s->network);
	mw_u8(&w, s->prefix);
	mw_u32(&w, s->feature);
	mw_u32(&w, s->n_nodes);
	for (i = 0; i < s->n_nodes; i++)
		put_node(&w, &s->nodes[i]);
	mw_u32(&w, s->n_tokens);
	for (i = 0; i < s->n_tokens; i++) {
		const struct mesh_token *t = &s->tokens[i];

		mw_bytes(&w, t->id, MESH_TOKEN_ID_LEN);
		mw_bytes(&w, t->verifier, MESH_VERIFIER_LEN);
		mw_bytes(&w, t->server_key, MESH_SERVER_KEY_LEN);
		mw_u32(&w, t->uses_left);
		mw_u64(&w, (uint64_t)t->expiry_ms);
		mw_u8(&w, t->role);
		mw_u8(&w, t->revoked);
	}
	mw_u32(&w, s->n_tombs);
	for (i = 0; i < s->n_tombs; i++)
		mw_bytes(&w, s->tombs[i], MESH_KEY_LEN);
	mw_u32(&w, s->n_dedup);
	for (i = 0; i < s->n_dedup; i++) {
		const struct mesh_dedup *d =
			&s->dedup[(s->dedup_head + i) % MESH_DEDUP_MAX];

		mw_u64(&w, d->client);
		mw_u64(&w, d->seq);
		put_result(&w, &d->result);
	}
	p = mw_room(&w, MESH_SNAP_HASH_LEN);
	if (w.err) {
		free(w.buf);
		return w.err;
	}
	crypto_generichash(p, MESH_SNAP_HASH_LEN, w.buf,
			   w.len - MESH_SNAP_HASH_LEN, NULL, 0);
	*ret = w.buf;
	*ret_len = w.len;
	return 0;
}

static bool host_ip(const struct mesh_state *s, uint32_t ip)
{
	uint32_t mask = (1u << (32 - s->prefix)) - 1;

	return (ip & ~mask) == s->network && (ip & mask) &&
	       (ip & mask) != mask;
}

static void get_node(struct mr *r, const struct mesh_state *s,
		     struct mesh_node *n)
{
	uint8_t len = mr_u8(r);
	const uint8_t *name = mr_take(r, len);

	if (!name || !mesh_name_valid((const char *)name, len))
		mr_fail(r);
	else
		memcpy(n->name, name, len);
	n->ip = mr_u32(r);
	mr_bytes(r, n->key, MESH_KEY_LEN);
	mesh_endpoint_get(r, &n->endpoint);
	n->wg_port = mr_u16(r);
	n->role = mr_u8(r);
	n->voter = mr_u8(r);
	n->evict = mr_u8(r);
	mr_bytes(r, n->token_id, MESH_TOKEN_ID_LEN);
	if (!host_ip(s, n->ip) || !n->wg_port ||
	    (n->role != MESH_ROLE_ADMIN && n->role != MESH_ROLE_MEMBER) ||
	    (n->voter != MESH_VOTER_AUTO && n->voter != MESH_VOTER_NEVER) ||
	    (n->evict != MESH_ACTIVE && n->evict != MESH_EVICTING))
		mr_fail(r);
	/* unique name and key; ip order is checked by the caller */
	if (mesh_node_by_name(s, n->name) || mesh_node_by_key(s, n->key))
		mr_fail(r);
}

static void get_token(struct mr *r, const struct mesh_state *s,
		      struct mesh_token *t)
{
	uint8_t revoked;

	mr_bytes(r, t->id, MESH_TOKEN_ID_LEN);
	mr_bytes(r, t->verifier, MESH_VERIFIER_LEN);
	mr_bytes(r, t->server_key, MESH_SERVER_KEY_LEN);
	t->uses_left = mr_u32(r);
	t->expiry_ms = (int64_t)mr_u64(r);
	t->role = mr_u8(r);
	revoked = mr_u8(r);
	t->revoked = revoked;
	if (revoked > 1 || t->uses_left > MESH_TOKEN_USES_MAX ||
	    t->expiry_ms <= 0 ||
	    (t->role != MESH_ROLE_ADMIN && t->role != MESH_ROLE_MEMBER) ||
	    mesh_token_by_id(s, t->id))
		mr_fail(r);
}

static void get_result(struct mr *r, struct mesh_result *res)
{
	res->code = (int32_t)mr_u32(r);
	res->len = mr_u8(r);
	if (res->code > 0 || res->code < -4095 ||
	    res->len > MESH_RESULT_MAX || (res->code && res->len)) {
		mr_fail(r);
		return;
	}
	mr_bytes(r, res->payload, res->len);
}

static uint32_t get_count(struct mr *r, uint32_t max)
{
	uint32_t n = mr_u32(r);

	if (n > max) {
		mr_fail(r);
		return 0;
	}
	return n;
}

static int decode(struct mesh_state *s, const uint8_t *buf, size_t len)
{
	struct mr r = { .buf = buf, .len = len };
	uint8_t bootstrapped;
	uint32_t i, n;

	if (mr_u32(&r) != MESH_SNAP_MAGIC || mr_u16(&r) != MESH_SNAP_VERSION)
		return -EBADMSG;
	bootstrapped = mr_u8(&r);
	s->bootstrapped = bootstrapped;
	mr_bytes(&r, s->cluster_id, MESH_CLUSTER_ID_LEN);
	s->network = mr_u32(&r);
	s->prefix = mr_u8(&r);
	s->feature = mr_u32(&r);
	if (bootstrapped > 1 || s->feature < MESH_FEATURE_BASE ||
	    s->feature > MESH_FEATURE_MAX)
		return -EBADMSG;
	if (bootstrapped &&
	    (s->prefix < MESH_PREFIX_MIN || s->prefix > MESH_PREFIX_MAX ||
	     (s->network & ((1u << (32 - s->prefix)) - 1))))
		return -EBADMSG;
	if (!bootstrapped && (s->network || s->prefix))
		return -EBADMSG;
	n = get_count(&r, bootstrapped ? MESH_NODES_MAX : 0);
	for (i = 0; i < n && !r.err; i++) {
		struct mesh_node node = { 0 };

		get_node(&r, s, &node);
		if (i && node.ip <= s->nodes[i - 1].ip)
			mr_fail(&r);
		s->nodes[i] = node;
		s->n_nodes = i + 1;
	}
	n = get_count(&r, MESH_TOKENS_MAX);
	for (i = 0; i < n && !r.err; i++) {
		struct mesh_token t = { 0 };

		get_token(&r, s, &t);
		s->tokens[i] = t;
		s->n_tokens = i + 1;
	}
	n = get_count(&r, MESH_TOMBS_MAX);
	for (i = 0; i < n && !r.err; i++) {
		mr_bytes(&r, s->tombs[i], MESH_KEY_LEN);
		if (mesh_tombstoned(s, s->tombs[i]) ||
		    mesh_node_by_key(s, s->tombs[i]))
			mr_fail(&r);
		s->n_tombs = i + 1;
	}
	n = get_count(&r, MESH_DEDUP_MAX);
	for (i = 0; i < n && !r.err; i++) {
		struct mesh_dedup d = { 0 };

		d.client = mr_u64(&r);
		d.seq = mr_u64(&r);
		get_result(&r, &d.result);
		if (mesh_dedup_find(s, d.client, d.seq))
			mr_fail(&r);
		s->dedup[i] = d;
		s->n_dedup = i + 1;
	}
	return mr_end(&r) ? -EBADMSG : 0;
}

int mesh_snapshot_decode(struct mesh_state *s, const uint8_t *buf,
			 size_t len)
{
	uint8_t hash[MESH_SNAP_HASH_LEN];
	struct mesh_state *tmp;
	int err;

	if (len < MESH_SNAP_HASH_LEN || len > mesh_snapshot_max())
		return -EBADMSG;
	len -= MESH_SNAP_HASH_LEN;
	crypto_generichash(hash, sizeof(hash), buf, len, NULL, 0);
	if (sodium_memcmp(hash, buf + len, sizeof(hash)))
		return -EBADMSG;
	err = mesh_state_new(&tmp);
	if (err)
		return err;
	err = decode(tmp, buf, len);
	if (!err)
		memcpy(s, tmp, sizeof(*s));
	mesh_state_free(tmp);
	return err;
}
