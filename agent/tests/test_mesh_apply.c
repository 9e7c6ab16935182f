// SPDX-License-Identifier: GPL-2.0
/*
 * The mesh state machine's rules, through the bytes the log carries:
 * addresses are the lowest free host address (never the network or
 * broadcast address, reused after a removal, never an evicting node's);
 * tokens are checked and consumed inside apply (one use admits exactly
 * one of eight joiners); names and keys are unique, evicted keys stay
 * out; a retried request id returns its first result without running
 * again, a repeated join its first acceptance; eviction's two phases
 * give the right dataplane deltas; a refusal changes nothing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mesh_test.h"

static int setup(void **state)
{
	struct mesh_state *s;

	if (mesh_state_new(&s))
		return -1;
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	mesh_state_free(*state);
	return 0;
}

/* Bootstrap a /prefix with node-0 and create token tok with uses. */
static void world(struct mesh_state *s, uint8_t prefix, int tok,
		  uint32_t uses)
{
	struct mesh_apply_out out;
	struct mesh_cmd c;

	t_bootstrap(&c, 1, prefix);
	assert_int_equal(t_apply(s, &c, &out), 0);
	t_token(&c, 2, tok, uses, 3600000, MESH_ROLE_MEMBER);
	assert_int_equal(t_apply(s, &c, &out), 0);
}

static uint32_t join_ok(struct mesh_state *s, uint64_t seq, int tok, int i)
{
	struct mesh_apply_out out;
	struct mesh_cmd c;

	t_join(&c, seq, tok, i);
	assert_int_equal(t_apply(s, &c, &out), 0);
	return t_ip(&out);
}

static int join(struct mesh_state *s, uint64_t seq, int tok, int i)
{
	struct mesh_apply_out out;
	struct mesh_cmd c;

	t_join(&c, seq, tok, i);
	return t_apply(s, &c, &out);
}

static void evict_remove(struct mesh_state *s, uint64_t seq, int i)
{
	struct mesh_apply_out out;
	struct mesh_cmd c;

	t_named(&c, MESH_CMD_NODE_EVICT, seq, i);
	assert_int_equal(t_apply(s, &c, &out), 0);
	t_named(&c, MESH_CMD_NODE_REMOVE, seq + 1, i);
	assert_int_equal(t_apply(s, &c, &out), 0);
}

static void test_bootstrap(void **state)
{
	struct mesh_state *s = *state;
	struct mesh_apply_out out;
	const struct mesh_node *n;
	struct mesh_cmd c;

	t_token(&c, 1, 0, 1, 1000, MESH_ROLE_ADMIN);
	assert_int_equal(t_apply(s, &c, &out), MESH_E_NOT_BOOTSTRAPPED);
	t_bootstrap(&c, 2, 24);
	assert_int_equal(t_apply(s, &c, &out), 0);
	assert_int_equal(t_ip(&out), T_NET + 1);
	assert_int_equal(out.n_changes, 1);
	assert_int_equal(out.changes[0].op, DP_UPSERT);
	assert_int_equal(ntohl(out.changes[0].peer.ip.s_addr), T_NET + 1);
	assert_true(s->bootstrapped);
	assert_int_equal(s->network, T_NET);
	assert_int_equal(s->prefix, 24);
	n = mesh_node_by_name(s, "node-0");
	assert_non_null(n);
	assert_int_equal(n->role, MESH_ROLE_ADMIN);
	assert_int_equal(n->ip, T_NET + 1);
	assert_ptr_equal(mesh_node_by_ip(s, T_NET + 1), n);
	assert_ptr_equal(mesh_node_by_key(s, n->key), n);
	t_bootstrap(&c, 3, 16);	/* never a second cluster over the first */
	c.bootstrap.network = 0x0a000000;
	assert_int_equal(t_apply(s, &c, &out), MESH_E_BOOTSTRAPPED);
	assert_int_equal(s->prefix, 24);
	assert_int_equal(s->n_nodes, 1);
}

static void test_join_lowest_free_and_reuse(void **state)
{
	struct mesh_state *s = *state;
	const struct mesh_node *n;

	world(s, 24, 0, 100);
	assert_int_equal(join_ok(s, 10, 0, 1), T_NET + 2);
	assert_int_equal(join_ok(s, 11, 0, 2), T_NET + 3);
	assert_int_equal(join_ok(s, 12, 0, 3), T_NET + 4);
	n = mesh_node_by_name(s, "node-2");
	assert_non_null(n);
	assert_int_equal(n->role, MESH_ROLE_MEMBER);	/* the token's */
	evict_remove(s, 20, 2);
	assert_null(mesh_node_by_ip(s, T_NET + 3));
	assert_int_equal(join_ok(s, 30, 0, 4), T_NET + 3);
	assert_int_equal(join_ok(s, 31, 0, 5), T_NET + 5);
}

static void test_never_network_or_broadcast(void **state)
{
	struct mesh_state *s = *state;
	uint32_t i;
	int j;

	/* a /29: hosts .1 to .6; .0 and .7 are never handed out */
	world(s, 29, 0, 100);
	for (j = 1; j <= 5; j++)
		assert_int_equal(join_ok(s, 10 + j, 0, j), T_NET + 1 + j);
	assert_int_equal(join(s, 20, 0, 6), MESH_E_NO_ADDRESS);
	assert_int_equal(s->n_nodes, 6);
	for (i = 0; i < s->n_nodes; i++) {
		assert_true(s->nodes[i].ip > T_NET);
		assert_true(s->nodes[i].ip < T_NET + 7);
	}
	assert_int_equal(s->tokens[0].uses_left, 95);	/* refused: kept */
}

static void test_token_uses_expiry_revoke(void **state)
{
	struct mesh_state *s = *state;
	struct mesh_apply_out out;
	struct mesh_cmd c;

	world(s, 24, 0, 2);
	assert_int_equal(join(s, 10, 9, 1), MESH_E_NO_TOKEN);
	assert_int_equal(join(s, 11, 0, 1), 0);
	assert_int_equal(join(s, 12, 0, 2), 0);
	assert_int_equal(join(s, 13, 0, 3), MESH_E_EXHAUSTED);

	/* expiry by the entry's timestamp, not a clock */
	t_token(&c, 20, 1, 5, 1000, MESH_ROLE_ADMIN);
	assert_int_equal(t_apply(s, &c, &out), 0);
	t_join(&c, 21, 1, 4);
	c.ts_ms = T_NOW + 20 + 999;
	assert_int_equal(t_apply(s, &c, &out), 0);
	assert_int_equal(mesh_node_by_name(s, "node-4")->role,
			 MESH_ROLE_ADMIN);
	t_join(&c, 22, 1, 5);
	c.ts_ms = T_NOW + 20 + 1000;
	assert_int_equal(t_apply(s, &c, &out), MESH_E_EXPIRED);
	/* a token that is born expired is refused */
	t_token(&c, 23, 2, 5, 0, MESH_ROLE_ADMIN);
	assert_int_equal(t_apply(s, &c, &out), MESH_E_EXPIRED);
	/* the same token id twice */
	t_token(&c, 24, 1, 5, 1000, MESH_ROLE_ADMIN);
	assert_int_equal(t_apply(s, &c, &out), MESH_E_TOKEN_EXISTS);

	t_token(&c, 30, 3, 5, 3600000, MESH_ROLE_MEMBER);
	assert_int_equal(t_apply(s, &c, &out), 0);
	t_head(&c, MESH_CMD_TOKEN_REVOKE, 31);
	t_token_id(c.token_revoke.id, 3);
	assert_int_equal(t_apply(s, &c, &out), 0);
	assert_int_equal(join(s, 32, 3, 6), MESH_E_REVOKED);
	t_head(&c, MESH_CMD_TOKEN_REVOKE, 33);
	t_token_id(c.token_revoke.id, 8);
	assert_int_equal(t_apply(s, &c, &out), MESH_E_NO_TOKEN);
	assert_int_equal(s->n_nodes, 4);
}

static void test_one_use_token_admits_exactly_one(void **state)
{
	struct mesh_state *s = *state;
	int i, accepted = 0;

	/* eight joiners' entries, in whatever order the leader wrote them */
	world(s, 24, 0, 1);
	for (i = 1; i <= 8; i++) {
		int rc = join(s, 10 + (uint64_t)i, 0, i);

		assert_true(rc == 0 || rc == MESH_E_EXHAUSTED);
		accepted += rc == 0;
	}
	assert_int_equal(accepted, 1);
	assert_int_equal(s->n_nodes, 2);
	assert_int_equal(s->tokens[0].uses_left, 0);
}

static void test_eight_tokens_eight_ips(void **state)
{
	struct mesh_state *s = *state;
	struct mesh_apply_out out;
	struct mesh_cmd c;
	uint32_t ips[8];
	int i, j;

	world(s, 24, 0, 1);
	for (i = 1; i <= 8; i++) {
		t_token(&c, 10 + (uint64_t)i, i, 1, 60000, MESH_ROLE_MEMBER);
		assert_int_equal(t_apply(s, &c, &out), 0);
	}
	for (i = 1; i <= 8; i++)
		ips[i - 1] = join_ok(s, 20 + (uint64_t)i, i, i);
	for (i = 0; i < 8; i++) {
		assert_true(ips[i] > T_NET + 1 && ips[i] < T_NET + 255);
		for (j = 0; j < i; j++)
			assert_int_not_equal(ips[i], ips[j]);
	}
	assert_int_equal(s->n_nodes, 9);
}

static void test_unique_name_and_key(void **state)
{
	struct mesh_state *s = *state;
	struct mesh_apply_out out;
	struct mesh_cmd c;

	world(s, 24, 0, 10);
	join_ok(s, 10, 0, 1);
	t_join(&c, 11, 0, 2);
	strcpy(c.join.node.name, "node-1");	/* taken name, new key */
	assert_int_equal(t_apply(s, &c, &out), MESH_E_NAME_TAKEN);
	t_join(&c, 12, 0, 2);
	t_key(c.join.node.key, 1);		/* taken key, new name */
	assert_int_equal(t_apply(s, &c, &out), MESH_E_KEY_TAKEN);
	t_join(&c, 13, 0, 2);
	t_key(c.join.node.key, 0);		/* the bootstrapper's key */
	assert_int_equal(t_apply(s, &c, &out), MESH_E_KEY_TAKEN);
	assert_int_equal(s->n_nodes, 2);
	assert_int_equal(s->tokens[0].uses_left, 9);
	assert_int_equal(out.n_changes, 0);
}

static void test_tombstoned_key_refused(void **state)
{
	struct mesh_state *s = *state;
	uint8_t key[MESH_KEY_LEN];
	struct mesh_apply_out out;
	struct mesh_cmd c;

	world(s, 24, 0, 10);
	join_ok(s, 10, 0, 1);
	evict_remove(s, 11, 1);
	t_key(key, 1);
	assert_true(mesh_tombstoned(s, key));
	/* the same key under a new name and a fresh token */
	t_token(&c, 20, 1, 1, 60000, MESH_ROLE_MEMBER);
	assert_int_equal(t_apply(s, &c, &out), 0);
	t_join(&c, 21, 1, 7);
	t_key(c.join.node.key, 1);
	assert_int_equal(t_apply(s, &c, &out), MESH_E_KEY_EVICTED);
	/* and its own name, the original token */
	assert_int_equal(join(s, 22, 0, 1), MESH_E_KEY_EVICTED);
	/* a new key may take the old name */
	t_join(&c, 23, 1, 8);
	strcpy(c.join.node.name, "node-1");
	assert_int_equal(t_apply(s, &c, &out), 0);
}

static void test_repeated_request_returns_first_result(void **state)
{
	struct mesh_state *s = *state;
	struct mesh_apply_out out;
	struct mesh_cmd c, again;
	uint32_t ip;

	world(s, 24, 0, 5);
	/* a token create retried after a leader change makes one token */
	t_token(&c, 10, 1, 1, 60000, MESH_ROLE_MEMBER);
	assert_int_equal(t_apply(s, &c, &out), 0);
	assert_false(out.replayed);
	assert_int_equal(t_apply(s, &c, &out), 0);
	assert_true(out.replayed);
	assert_int_equal(s->n_tokens, 2);

	/* a join retried: the same ip, no second node, no use spent */
	t_join(&c, 11, 0, 1);
	assert_int_equal(t_apply(s, &c, &out), 0);
	ip = t_ip(&out);
	assert_int_equal(out.n_changes, 1);
	assert_int_equal(t_apply(s, &c, &out), 0);
	assert_true(out.replayed);
	assert_int_equal(t_ip(&out), ip);
	assert_int_equal(out.n_changes, 0);
	assert_int_equal(s->tokens[0].uses_left, 4);

	/* a refusal is a first result too */
	t_join(&again, 12, 9, 2);
	assert_int_equal(t_apply(s, &again, &out), MESH_E_NO_TOKEN);
	t_token(&c, 13, 9, 1, 60000, MESH_ROLE_MEMBER);
	assert_int_equal(t_apply(s, &c, &out), 0);
	assert_int_equal(t_apply(s, &again, &out), MESH_E_NO_TOKEN);
	assert_true(out.replayed);
	assert_null(mesh_node_by_name(s, "node-2"));
	/* same sequence, another client: a different request */
	again.client++;
	assert_int_equal(t_apply(s, &again, &out), 0);
}

static void test_dedup_window_is_bounded(void **state)
{
	struct mesh_state *s = *state;
	struct mesh_apply_out out;
	struct mesh_cmd c;
	uint64_t i;

	world(s, 24, 0, 5);
	t_token(&c, 10, 1, 1, 60000, MESH_ROLE_MEMBER);
	assert_int_equal(t_apply(s, &c, &out), 0);
	for (i = 0; i < MESH_DEDUP_MAX; i++) {
		struct mesh_cmd r;

		t_head(&r, MESH_CMD_TOKEN_REVOKE, 100 + i);
		t_token_id(r.token_revoke.id, 0);
		assert_int_equal(t_apply(s, &r, &out), 0);
	}
	assert_int_equal(s->n_dedup, MESH_DEDUP_MAX);
	/* forgotten: it runs again, and the state still refuses it */
	assert_int_equal(t_apply(s, &c, &out), MESH_E_TOKEN_EXISTS);
	assert_false(out.replayed);
	assert_int_equal(s->n_tokens, 2);
}

static void test_repeated_join_same_acceptance(void **state)
{
	struct mesh_state *s = *state;
	struct mesh_apply_out out;
	struct mesh_cmd c;
	uint32_t ip;

	world(s, 24, 0, 1);
	ip = join_ok(s, 10, 0, 1);
	/* the joiner lost its acceptance and asks again: new request id */
	assert_int_equal(join_ok(s, 11, 0, 1), ip);
	assert_int_equal(join_ok(s, 12, 0, 1), ip);
	assert_int_equal(s->n_nodes, 2);
	/* not the same joiner: the one use is spent */
	t_join(&c, 13, 0, 1);
	strcpy(c.join.node.name, "thief");
	assert_int_equal(t_apply(s, &c, &out), MESH_E_EXHAUSTED);
	/* with a live token: another name with that key, that name with
	 * another key, the same pair under another token
	 */
	t_token(&c, 14, 1, 5, 60000, MESH_ROLE_MEMBER);
	assert_int_equal(t_apply(s, &c, &out), 0);
	t_join(&c, 15, 1, 1);
	strcpy(c.join.node.name, "thief");
	assert_int_equal(t_apply(s, &c, &out), MESH_E_KEY_TAKEN);
	t_join(&c, 16, 1, 2);
	strcpy(c.join.node.name, "node-1");
	assert_int_equal(t_apply(s, &c, &out), MESH_E_NAME_TAKEN);
	assert_int_equal(join(s, 17, 1, 1), MESH_E_KEY_TAKEN);
	assert_int_equal(s->n_nodes, 2);
	assert_int_equal(s->tokens[1].uses_left, 5);
}

static void test_evict_then_remove_deltas(void **state)
{
	struct mesh_state *s = *state;
	struct mesh_apply_out out;
	const struct mesh_node *n;
	uint8_t key[MESH_KEY_LEN];
	struct mesh_cmd c;

	world(s, 24, 0, 10);
	join_ok(s, 10, 0, 1);
	join_ok(s, 11, 0, 2);
	t_named(&c, MESH_CMD_NODE_REMOVE, 12, 1);	/* phase 1 first */
	assert_int_equal(t_apply(s, &c, &out), MESH_E_NOT_EVICTING);

	t_named(&c, MESH_CMD_NODE_EVICT, 13, 1);
	assert_int_equal(t_apply(s, &c, &out), 0);
	assert_int_equal(out.n_changes, 0);		/* still a peer */
	n = mesh_node_by_name(s, "node-1");
	assert_non_null(n);
	assert_int_equal(n->evict, MESH_EVICTING);
	/* its address is not free while it is being evicted */
	assert_int_equal(join_ok(s, 14, 0, 3), T_NET + 4);
	/* nor does it get an endpoint update */
	t_named(&c, MESH_CMD_NODE_UPDATE, 15, 1);
	c.update.endpoint.family = AF_INET;
	c.update.endpoint.port = 9;
	assert_int_equal(t_apply(s, &c, &out), MESH_E_EVICTING);

	t_named(&c, MESH_CMD_NODE_REMOVE, 16, 1);
	assert_int_equal(t_apply(s, &c, &out), 0);
	t_key(key, 1);
	assert_int_equal(out.n_changes, 1);
	assert_int_equal(out.changes[0].op, DP_REMOVE);
	assert_memory_equal(out.changes[0].peer.key, key, MESH_KEY_LEN);
	assert_null(mesh_node_by_name(s, "node-1"));
	assert_null(mesh_node_by_key(s, key));
	assert_true(mesh_tombstoned(s, key));
	assert_int_equal(t_apply(s, &c, &out), 0);	/* replayed */
	assert_true(out.replayed);
	t_named(&c, MESH_CMD_NODE_REMOVE, 17, 1);
	assert_int_equal(t_apply(s, &c, &out), MESH_E_NO_NODE);

	/* an endpoint update is an upsert with the new endpoint */
	t_named(&c, MESH_CMD_NODE_UPDATE, 18, 2);
	c.update.endpoint.family = AF_INET6;
	memset(c.update.endpoint.addr, 0x20, 16);
	c.update.endpoint.port = 4242;
	assert_int_equal(t_apply(s, &c, &out), 0);
	assert_int_equal(out.n_changes, 1);
	assert_int_equal(out.changes[0].op, DP_UPSERT);
	assert_int_equal(out.changes[0].peer.endpoint.ss_family, AF_INET6);
	assert_int_equal(ntohs(((struct sockaddr_in6 *)
				&out.changes[0].peer.endpoint)->sin6_port),
			 4242);
	assert_int_equal(ntohl(out.changes[0].peer.ip.s_addr), T_NET + 3);

	/* the last admin cannot be evicted */
	t_named(&c, MESH_CMD_NODE_EVICT, 19, 0);
	assert_int_equal(t_apply(s, &c, &out), MESH_E_LAST_ADMIN);
}

static void test_token_table_is_bounded(void **state)
{
	struct mesh_state *s = *state;
	struct mesh_apply_out out;
	struct mesh_cmd c;
	int i;

	world(s, 24, 0, 1);
	for (i = 1; i < MESH_TOKENS_MAX; i++) {
		t_token(&c, 10 + (uint64_t)i, i, 1, 1000, MESH_ROLE_MEMBER);
		c.token_create.id[2] = (uint8_t)(i >> 8);
		assert_int_equal(t_apply(s, &c, &out), 0);
	}
	/* full of live tokens: refused */
	t_token(&c, 1000, 0, 1, 1000, MESH_ROLE_MEMBER);
	c.token_create.id[3] = 1;
	assert_int_equal(t_apply(s, &c, &out), MESH_E_FULL);
	assert_int_equal(s->n_tokens, MESH_TOKENS_MAX);
	/* seconds later the short ones are dead and make room */
	c.seq = 1001;
	c.ts_ms += 2000;
	c.token_create.expiry_ms = c.ts_ms + 1000;
	assert_int_equal(t_apply(s, &c, &out), 0);
	assert_int_equal(s->n_tokens, 2);
	assert_int_equal(join(s, 1002, 0, 1), 0);	/* token 0 kept */
}

static void test_refusal_changes_nothing(void **state)
{
	struct mesh_state *s = *state, *before;
	struct mesh_apply_out out;
	uint8_t junk[8] = { MESH_CMD_VERSION, MESH_CMD_NODE_JOIN };
	struct mesh_cmd c;
	uint32_t dedup;

	world(s, 24, 0, 1);
	join_ok(s, 10, 0, 1);
	assert_int_equal(mesh_state_new(&before), 0);
	memcpy(before, s, sizeof(*s));
	assert_int_equal(join(s, 11, 0, 2), MESH_E_EXHAUSTED);
	t_head(&c, MESH_CMD_FEATURE_BUMP, 12);
	c.bump.feature = MESH_FEATURE_MAX + 1;	/* beyond this build */
	assert_int_equal(t_apply(s, &c, &out), MESH_E_FEATURE);
	t_named(&c, MESH_CMD_NODE_EVICT, 13, 7);
	assert_int_equal(t_apply(s, &c, &out), MESH_E_NO_NODE);
	assert_int_equal(out.n_changes, 0);
	assert_int_equal(out.result.len, 0);
	assert_memory_equal(before->nodes, s->nodes, sizeof(s->nodes));
	assert_memory_equal(before->tokens, s->tokens, sizeof(s->tokens));
	assert_int_equal(before->n_tombs, s->n_tombs);
	assert_int_equal(before->feature, s->feature);
	/* garbage is not a command: nothing recorded at all */
	dedup = s->n_dedup;
	assert_int_equal(mesh_apply(s, junk, sizeof(junk), &out),
			 MESH_E_MALFORMED);
	assert_int_equal(s->n_dedup, dedup);
	mesh_state_free(before);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_bootstrap),
		T(test_join_lowest_free_and_reuse),
		T(test_never_network_or_broadcast),
		T(test_token_uses_expiry_revoke),
		T(test_one_use_token_admits_exactly_one),
		T(test_eight_tokens_eight_ips),
		T(test_unique_name_and_key),
		T(test_tombstoned_key_refused),
		T(test_repeated_request_returns_first_result),
		T(test_dedup_window_is_bounded),
		T(test_repeated_join_same_acceptance),
		T(test_evict_then_remove_deltas),
		T(test_token_table_is_bounded),
		T(test_refusal_changes_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
