// SPDX-License-Identifier: GPL-2.0
/*
 * The mesh state machine's transition function (see apply.h). Each
 * command checks everything first and changes the state last, so a
 * refusal leaves the tables as they were.
 */
#include <string.h>

#include "mesh/apply.h"
#include "mesh/cmd.h"
#include "util/bytes.h"

static const uint8_t zero_id[MESH_TOKEN_ID_LEN];

/* The feature version from which each entry type may be written. */
static const uint32_t type_feature[MESH_CMD_TYPE_MAX + 1] = {
	[MESH_CMD_BOOTSTRAP] = MESH_FEATURE_BASE,
	[MESH_CMD_TOKEN_CREATE] = MESH_FEATURE_BASE,
	[MESH_CMD_TOKEN_REVOKE] = MESH_FEATURE_BASE,
	[MESH_CMD_NODE_JOIN] = MESH_FEATURE_BASE,
	[MESH_CMD_NODE_EVICT] = MESH_FEATURE_BASE,
	[MESH_CMD_NODE_REMOVE] = MESH_FEATURE_BASE,
	[MESH_CMD_NODE_UPDATE] = MESH_FEATURE_BASE,
	[MESH_CMD_FEATURE_BUMP] = MESH_FEATURE_BASE,
};

static void result_ip(struct mesh_apply_out *out, uint32_t ip)
{
	out->result.len = 4;
	put_be32(out->result.payload, ip);
}

static void emit(struct mesh_apply_out *out, enum dp_op op,
		 const struct mesh_node *n)
{
	struct dp_change *c = &out->changes[out->n_changes++];

	memset(c, 0, sizeof(*c));
	c->op = op;
	mesh_node_peer(n, &c->peer);
}

static int add_node(struct mesh_state *s, const struct mesh_cmd_node *cn,
		    const uint8_t *token_id, uint8_t role,
		    struct mesh_apply_out *out)
{
	struct mesh_node n;
	int err;

	if (mesh_node_by_key(s, cn->key))
		return MESH_E_KEY_TAKEN;
	if (mesh_tombstoned(s, cn->key))
		return MESH_E_KEY_EVICTED;
	if (mesh_node_by_name(s, cn->name))
		return MESH_E_NAME_TAKEN;
	if (s->n_nodes >= MESH_NODES_MAX)
		return MESH_E_FULL;
	memset(&n, 0, sizeof(n));
	err = mesh_ip_lowest_free(s, &n.ip);
	if (err)
		return err;
	memcpy(n.name, cn->name, sizeof(n.name));
	memcpy(n.key, cn->key, MESH_KEY_LEN);
	n.endpoint = cn->endpoint;
	n.wg_port = cn->wg_port;
	n.role = role;
	n.voter = cn->voter;
	n.evict = MESH_ACTIVE;
	memcpy(n.token_id, token_id, MESH_TOKEN_ID_LEN);
	err = mesh_node_insert(s, &n);
	if (err)
		return err;
	emit(out, DP_UPSERT, &n);
	result_ip(out, n.ip);
	return 0;
}

static int do_bootstrap(struct mesh_state *s, const struct mesh_cmd *c,
			struct mesh_apply_out *out)
{
	if (s->bootstrapped)
		return MESH_E_BOOTSTRAPPED;
	memcpy(s->cluster_id, c->bootstrap.cluster_id, MESH_CLUSTER_ID_LEN);
	s->network = c->bootstrap.network;
	s->prefix = c->bootstrap.prefix;
	s->feature = MESH_FEATURE_BASE;
	/* an empty state: the first node cannot be refused */
	if (add_node(s, &c->bootstrap.node, zero_id, MESH_ROLE_ADMIN, out)) {
		mesh_state_reset(s);
		return MESH_E_INVALID;
	}
	s->bootstrapped = true;
	return 0;
}

static bool token_usable(const struct mesh_token *t, int64_t now)
{
	return !t->revoked && t->uses_left && now < t->expiry_ms;
}

/* Forget tokens no join can use any more, keeping creation order. */
static void tokens_compact(struct mesh_state *s, int64_t now)
{
	uint32_t i, n = 0;

	for (i = 0; i < s->n_tokens; i++)
		if (token_usable(&s->tokens[i], now))
			s->tokens[n++] = s->tokens[i];
	memset(&s->tokens[n], 0, (s->n_tokens - n) * sizeof(s->tokens[0]));
	s->n_tokens = n;
}

static int do_token_create(struct mesh_state *s, const struct mesh_cmd *c)
{
	struct mesh_token *t;

	if (mesh_token_by_id(s, c->token_create.id))
		return MESH_E_TOKEN_EXISTS;
	if (c->token_create.expiry_ms <= c->ts_ms)
		return MESH_E_EXPIRED;
	if (s->n_tokens >= MESH_TOKENS_MAX)
		tokens_compact(s, c->ts_ms);
	if (s->n_tokens >= MESH_TOKENS_MAX)
		return MESH_E_FULL;
	t = &s->tokens[s->n_tokens++];
	memset(t, 0, sizeof(*t));
	memcpy(t->id, c->token_create.id, MESH_TOKEN_ID_LEN);
	memcpy(t->verifier, c->token_create.verifier, MESH_VERIFIER_LEN);
	memcpy(t->server_key, c->token_create.server_key,
	       MESH_SERVER_KEY_LEN);
	t->uses_left = c->token_create.uses;
	t->expiry_ms = c->token_create.expiry_ms;
	t->role = c->token_create.role;
	return 0;
}

static int do_token_revoke(struct mesh_state *s, const struct mesh_cmd *c)
{
	struct mesh_token *t = mesh_token_by_id(s, c->token_revoke.id);

	if (!t)
		return MESH_E_NO_TOKEN;
	t->revoked = true;
	return 0;
}

static int do_join(struct mesh_state *s, const struct mesh_cmd *c,
		   struct mesh_apply_out *out)
{
	const struct mesh_cmd_node *cn = &c->join.node;
	const struct mesh_node *n = mesh_node_by_key(s, cn->key);
	struct mesh_token *t;
	int err;

	/* the same joiner again: its acceptance was lost, give it again */
	if (n && !strcmp(n->name, cn->name) &&
	    !memcmp(n->token_id, c->join.token_id, MESH_TOKEN_ID_LEN) &&
	    memcmp(c->join.token_id, zero_id, MESH_TOKEN_ID_LEN)) {
		if (n->evict != MESH_ACTIVE)
			return MESH_E_KEY_EVICTED;
		result_ip(out, n->ip);
		return 0;
	}
	t = mesh_token_by_id(s, c->join.token_id);
	if (!t)
		return MESH_E_NO_TOKEN;
	if (t->revoked)
		return MESH_E_REVOKED;
	if (c->ts_ms >= t->expiry_ms)
		return MESH_E_EXPIRED;
	if (!t->uses_left)
		return MESH_E_EXHAUSTED;
	err = add_node(s, cn, t->id, t->role, out);
	if (err)
		return err;
	t->uses_left--;
	return 0;
}

static int do_evict(struct mesh_state *s, const struct mesh_cmd *c)
{
	struct mesh_node *n = mesh_node_by_name(s, c->evict.name);
	uint32_t i, admins = 0;

	if (!n)
		return MESH_E_NO_NODE;
	if (n->evict == MESH_EVICTING)
		return 0;
	for (i = 0; i < s->n_nodes; i++)
		if (s->nodes[i].role == MESH_ROLE_ADMIN &&
		    s->nodes[i].evict == MESH_ACTIVE)
			admins++;
	if (n->role == MESH_ROLE_ADMIN && admins <= 1)
		return MESH_E_LAST_ADMIN;
	n->evict = MESH_EVICTING;	/* still a peer: it must hear this */
	return 0;
}

static int do_remove(struct mesh_state *s, const struct mesh_cmd *c,
		     struct mesh_apply_out *out)
{
	struct mesh_node *n = mesh_node_by_name(s, c->remove.name);

	if (!n)
		return MESH_E_NO_NODE;
	if (n->evict != MESH_EVICTING)
		return MESH_E_NOT_EVICTING;
	if (s->n_tombs >= MESH_TOMBS_MAX)
		return MESH_E_FULL;
	memcpy(s->tombs[s->n_tombs++], n->key, MESH_KEY_LEN);
	emit(out, DP_REMOVE, n);
	mesh_node_delete(s, n);
	return 0;
}

static int do_update(struct mesh_state *s, const struct mesh_cmd *c,
		     struct mesh_apply_out *out)
{
	struct mesh_node *n = mesh_node_by_name(s, c->update.name);

	if (!n)
		return MESH_E_NO_NODE;
	if (n->evict != MESH_ACTIVE)
		return MESH_E_EVICTING;
	n->endpoint = c->update.endpoint;
	emit(out, DP_UPSERT, n);
	return 0;
}

static int do_bump(struct mesh_state *s, const struct mesh_cmd *c)
{
	if (c->bump.feature <= s->feature ||
	    c->bump.feature > MESH_FEATURE_MAX)
		return MESH_E_FEATURE;
	s->feature = c->bump.feature;
	return 0;
}

static int run(struct mesh_state *s, const struct mesh_cmd *c,
	       struct mesh_apply_out *out)
{
	if (type_feature[c->type] > s->feature)
		return MESH_E_FEATURE;
	if (c->type == MESH_CMD_BOOTSTRAP)
		return do_bootstrap(s, c, out);
	if (!s->bootstrapped)
		return MESH_E_NOT_BOOTSTRAPPED;
	switch (c->type) {
	case MESH_CMD_TOKEN_CREATE:
		return do_token_create(s, c);
	case MESH_CMD_TOKEN_REVOKE:
		return do_token_revoke(s, c);
	case MESH_CMD_NODE_JOIN:
		return do_join(s, c, out);
	case MESH_CMD_NODE_EVICT:
		return do_evict(s, c);
	case MESH_CMD_NODE_REMOVE:
		return do_remove(s, c, out);
	case MESH_CMD_NODE_UPDATE:
		return do_update(s, c, out);
	case MESH_CMD_FEATURE_BUMP:
		return do_bump(s, c);
	}
	return MESH_E_INVALID;
}

int mesh_apply(struct mesh_state *s, const uint8_t *data, size_t len,
	       struct mesh_apply_out *out)
{
	const struct mesh_result *prev;
	struct mesh_cmd c;
	int err;

	memset(out, 0, sizeof(*out));
	err = mesh_cmd_decode(data, len, &c);
	if (err) {
		out->result.code = err;
		return err;
	}
	prev = mesh_dedup_find(s, c.client, c.seq);
	if (prev) {
		out->result = *prev;
		out->replayed = true;
		return 0;
	}
	out->result.code = run(s, &c, out);
	if (out->result.code) {	/* refused: no payload, no delta */
		out->result.len = 0;
		memset(out->result.payload, 0, sizeof(out->result.payload));
		out->n_changes = 0;
	}
	mesh_dedup_add(s, c.client, c.seq, &out->result);
	return 0;
}
