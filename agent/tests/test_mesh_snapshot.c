// SPDX-License-Identifier: GPL-2.0
/*
 * The mesh snapshot and what surrounds it: a snapshot restores to the
 * same state (re-encoding to the same bytes); every truncation, every
 * flipped byte, garbage and a well-hashed snapshot that breaks a rule of
 * the state are refused, leaving the state as it was; the same entries
 * give byte-identical snapshots on two machines, also across a restore;
 * the diff of two states takes a dataplane from one to the other; and
 * the fsm_ops adapter returns join results, leaves its own key out of
 * the dataplane and restores with one replace.
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
#include <sodium.h>

#include "dataplane.h"
#include "mesh/fsm_mesh.h"
#include "mesh/snapshot.h"
#include "mesh_test.h"

#define N_SCRIPT 40

/*
 * A day in a mesh, as entries: bootstrap, tokens, joins (one refused),
 * an IPv6 endpoint, an eviction, a revoke, a retry.
 */
static void script(struct mesh_cmd *c, int i)
{
	if (i == 0) {
		t_bootstrap(c, 1, 24);
	} else if (i == 1) {
		t_token(c, 2, 0, 30, 3600000, MESH_ROLE_MEMBER);
	} else if (i == 2) {
		t_token(c, 3, 1, 1, 3600000, MESH_ROLE_ADMIN);
	} else if (i < 20) {
		t_join(c, 10 + (uint64_t)i, 0, i);
		if (i % 3 == 0) {
			c->join.node.endpoint.family = AF_INET6;
			memset(c->join.node.endpoint.addr, i, 16);
		}
	} else if (i == 20) {
		t_join(c, 40, 1, 3);	/* key taken: refused */
	} else if (i == 21) {
		t_named(c, MESH_CMD_NODE_EVICT, 41, 5);
	} else if (i == 22) {
		t_named(c, MESH_CMD_NODE_REMOVE, 42, 5);
	} else if (i == 23) {
		t_head(c, MESH_CMD_TOKEN_REVOKE, 43);
		t_token_id(c->token_revoke.id, 1);
	} else if (i == 24) {
		t_named(c, MESH_CMD_NODE_EVICT, 44, 7);
	} else if (i < 30) {
		t_join(c, 50 + (uint64_t)i, 0, 30 + i);
	} else if (i == 30) {
		t_join(c, 79, 0, 65);	/* a retried request id */
	} else {
		t_named(c, MESH_CMD_NODE_UPDATE, 60 + (uint64_t)i, i - 20);
		c->update.endpoint.family = AF_INET;
		c->update.endpoint.addr[0] = 203;
		c->update.endpoint.port = (uint16_t)(1000 + i);
	}
}

static void run_script(struct mesh_state *s, int from, int to)
{
	struct mesh_apply_out out;
	struct mesh_cmd c;
	int i;

	for (i = from; i < to; i++) {
		script(&c, i);
		assert_true(t_apply(s, &c, &out) > -998);
	}
}

static void snap(const struct mesh_state *s, uint8_t **buf, size_t *len)
{
	assert_int_equal(mesh_snapshot_encode(s, buf, len), 0);
}

static void test_round_trip(void **state)
{
	struct mesh_state *a, *b;
	uint8_t *buf, *again;
	size_t len, len2;

	(void)state;
	assert_int_equal(mesh_state_new(&a), 0);
	assert_int_equal(mesh_state_new(&b), 0);
	/* the empty state too */
	snap(a, &buf, &len);
	assert_int_equal(mesh_snapshot_decode(b, buf, len), 0);
	assert_false(b->bootstrapped);
	free(buf);

	run_script(a, 0, N_SCRIPT);
	assert_true(a->n_nodes > 20 && a->n_tombs == 1);
	snap(a, &buf, &len);
	assert_int_equal(mesh_snapshot_decode(b, buf, len), 0);
	snap(b, &again, &len2);
	assert_int_equal(len2, len);
	assert_memory_equal(again, buf, len);
	assert_int_equal(b->n_nodes, a->n_nodes);
	assert_memory_equal(b->nodes, a->nodes, sizeof(a->nodes));
	assert_memory_equal(b->tokens, a->tokens, sizeof(a->tokens));
	assert_memory_equal(b->tombs, a->tombs, sizeof(a->tombs));
	assert_memory_equal(b->cluster_id, a->cluster_id,
			    MESH_CLUSTER_ID_LEN);
	assert_int_equal(b->n_dedup, a->n_dedup);
	/* the restored window still answers retries */
	assert_non_null(mesh_dedup_find(b, T_CLIENT, 79));
	assert_true(mesh_tombstoned(b, a->tombs[0]));
	free(buf);
	free(again);
	mesh_state_free(a);
	mesh_state_free(b);
}

static void test_truncated_flipped_garbage_refused(void **state)
{
	struct mesh_state *a, *b;
	uint8_t *buf, *again, junk[4096];
	size_t len, len2, i;

	(void)state;
	assert_int_equal(mesh_state_new(&a), 0);
	assert_int_equal(mesh_state_new(&b), 0);
	run_script(b, 0, 3);	/* b holds a state of its own */
	run_script(a, 0, N_SCRIPT);
	snap(a, &buf, &len);
	for (i = 0; i < len; i++)
		assert_int_equal(mesh_snapshot_decode(b, buf, i), -EBADMSG);
	for (i = 0; i < len; i++) {
		buf[i] ^= 0x40;
		assert_int_equal(mesh_snapshot_decode(b, buf, len), -EBADMSG);
		buf[i] ^= 0x40;
	}
	randombytes_buf(junk, sizeof(junk));
	assert_int_equal(mesh_snapshot_decode(b, junk, sizeof(junk)),
			 -EBADMSG);
	memset(junk, 0, sizeof(junk));
	assert_int_equal(mesh_snapshot_decode(b, junk, sizeof(junk)),
			 -EBADMSG);
	assert_int_equal(mesh_snapshot_decode(b, junk, 0), -EBADMSG);
	/* b is as it was: three entries' worth */
	assert_int_equal(b->n_nodes, 1);
	assert_int_equal(b->n_tokens, 2);
	snap(b, &again, &len2);
	assert_true(len2 < len);
	free(again);
	free(buf);
	mesh_state_free(a);
	mesh_state_free(b);
}

/* Break one rule of the state, re-hash: the snapshot is still refused. */
static void test_bad_state_with_good_hash_refused(void **state)
{
	struct mesh_state *a, *b;
	uint8_t *buf;
	size_t len;
	int i;

	(void)state;
	assert_int_equal(mesh_state_new(&a), 0);
	assert_int_equal(mesh_state_new(&b), 0);
	for (i = 0; i < 8; i++) {
		mesh_state_reset(a);
		run_script(a, 0, 10);
		switch (i) {
		case 0:		/* the broadcast address */
			a->nodes[a->n_nodes - 1].ip = T_NET + 255;
			break;
		case 1:		/* out of ip order */
			a->nodes[1].ip = T_NET + 200;
			break;
		case 2:		/* a name twice */
			strcpy(a->nodes[2].name, a->nodes[1].name);
			break;
		case 3:		/* a key twice */
			memcpy(a->nodes[2].key, a->nodes[1].key,
			       MESH_KEY_LEN);
			break;
		case 4:		/* a member's key tombstoned */
			memcpy(a->tombs[0], a->nodes[1].key, MESH_KEY_LEN);
			a->n_tombs = 1;
			break;
		case 5:		/* an unknown role */
			a->nodes[1].role = 9;
			break;
		case 6:		/* a feature this build does not know */
			a->feature = MESH_FEATURE_MAX + 1;
			break;
		default:	/* a name outside the character set */
			a->nodes[1].name[0] = ' ';
			break;
		}
		snap(a, &buf, &len);
		assert_int_equal(mesh_snapshot_decode(b, buf, len), -EBADMSG);
		free(buf);
	}
	assert_false(b->bootstrapped);
	mesh_state_free(a);
	mesh_state_free(b);
}

static void test_determinism(void **state)
{
	struct mesh_state *a, *b, *c;
	uint8_t *sa, *sb, *sc, *mid;
	size_t la, lb, lc, lm;

	(void)state;
	assert_int_equal(mesh_state_new(&a), 0);
	assert_int_equal(mesh_state_new(&b), 0);
	assert_int_equal(mesh_state_new(&c), 0);
	run_script(a, 0, N_SCRIPT);
	run_script(b, 0, N_SCRIPT);
	/* c: a snapshot half-way (a lagging follower), then the rest */
	run_script(c, 0, 0);
	{
		struct mesh_state *h;

		assert_int_equal(mesh_state_new(&h), 0);
		run_script(h, 0, 22);
		snap(h, &mid, &lm);
		mesh_state_free(h);
	}
	run_script(c, 0, 5);	/* stale state the restore replaces */
	assert_int_equal(mesh_snapshot_decode(c, mid, lm), 0);
	run_script(c, 22, N_SCRIPT);
	snap(a, &sa, &la);
	snap(b, &sb, &lb);
	snap(c, &sc, &lc);
	assert_int_equal(la, lb);
	assert_memory_equal(sa, sb, la);
	assert_int_equal(la, lc);
	assert_memory_equal(sa, sc, la);
	free(sa);
	free(sb);
	free(sc);
	free(mid);
	mesh_state_free(a);
	mesh_state_free(b);
	mesh_state_free(c);
}

/* The dataplane's peers are exactly the state's nodes (minus none). */
static void assert_dp_is(struct dataplane *dp, const struct mesh_state *s)
{
	struct dp_peer_state *ps;
	size_t n, i;

	assert_int_equal(dp->ops->list(dp, &ps, &n), 0);
	assert_int_equal(n, s->n_nodes);
	for (i = 0; i < n; i++) {
		const struct mesh_node *node =
			mesh_node_by_key(s, ps[i].peer.key);

		assert_non_null(node);
		assert_int_equal(ntohl(ps[i].peer.ip.s_addr), node->ip);
		assert_int_equal(ps[i].peer.endpoint.ss_family,
				 node->endpoint.family);
	}
	free(ps);
}

static void test_diff_moves_dataplane(void **state)
{
	struct mesh_state *a, *b;
	struct dp_change *ch;
	struct dp_peer *peers;
	struct dataplane dp;
	size_t n;

	(void)state;
	assert_int_equal(mesh_state_new(&a), 0);
	assert_int_equal(mesh_state_new(&b), 0);
	ch = calloc(2 * MESH_NODES_MAX, sizeof(*ch));
	peers = calloc(MESH_NODES_MAX, sizeof(*peers));
	assert_non_null(ch);
	assert_non_null(peers);
	assert_int_equal(dp_none_open(&dp), 0);
	run_script(a, 0, 12);
	run_script(b, 0, N_SCRIPT);	/* removals, reuse, new endpoints */
	mesh_state_peers(a, peers, &n);
	assert_int_equal(dp.ops->replace(&dp, peers, n, 1), 0);
	assert_dp_is(&dp, a);
	assert_int_equal(mesh_state_diff(a, b, ch, &n), 0);
	assert_true(n > 0);
	assert_int_equal(dp.ops->apply(&dp, ch, n, 2), 0);
	assert_dp_is(&dp, b);
	/* and back, which takes removals */
	assert_int_equal(mesh_state_diff(b, a, ch, &n), 0);
	assert_int_equal(dp.ops->apply(&dp, ch, n, 3), 0);
	assert_dp_is(&dp, a);
	/* no difference, no change */
	assert_int_equal(mesh_state_diff(a, a, ch, &n), 0);
	assert_int_equal(n, 0);
	dp.ops->close(&dp, true);
	free(ch);
	free(peers);
	mesh_state_free(a);
	mesh_state_free(b);
}

struct hooked {
	struct dataplane dp;
	int replaces;
	size_t changes;
};

static void on_applied(void *arg, uint64_t index,
		       const struct mesh_apply_out *out)
{
	struct hooked *h = arg;

	h->changes += out->n_changes;
	assert_int_equal(h->dp.ops->apply(&h->dp, out->changes,
					  out->n_changes, index), 0);
}

static void on_replace(void *arg, const struct dp_peer *peers, size_t n)
{
	struct hooked *h = arg;

	h->replaces++;
	assert_int_equal(h->dp.ops->replace(&h->dp, peers, n, 0), 0);
}

static void test_fsm_adapter(void **state)
{
	struct hooked h1 = { 0 }, h2 = { 0 };
	struct fsm_mesh_hooks hooks = {
		.applied = on_applied, .replace = on_replace,
	};
	struct dp_peer_state *ps;
	uint8_t self[MESH_KEY_LEN], buf[MESH_CMD_MAX], *s;
	struct fsm_mesh *m1, *m2;
	struct mesh_cmd c;
	uint64_t slen;
	size_t len, n;
	int64_t rc;
	int i;

	(void)state;
	assert_int_equal(dp_none_open(&h1.dp), 0);
	assert_int_equal(dp_none_open(&h2.dp), 0);
	t_key(self, 0);		/* m1 runs on node-0, m2 on node-3 */
	hooks.arg = &h1;
	assert_int_equal(fsm_mesh_new(&m1, self, &hooks), 0);
	t_key(self, 3);
	hooks.arg = &h2;
	assert_int_equal(fsm_mesh_new(&m2, self, &hooks), 0);
	for (i = 0; i < 5; i++) {
		script(&c, i);
		assert_int_equal(mesh_cmd_encode(&c, buf, sizeof(buf), &len),
				 0);
		rc = fsm_mesh_ops.apply(m1, (uint64_t)i + 1, buf,
					(uint32_t)len);
		if (i == 0 || i >= 3)	/* bootstrap, joins: the ip */
			assert_int_equal(rc, T_NET + 1 + (i ? i - 2 : 0));
		else
			assert_int_equal(rc, 0);
	}
	/* its own key never reaches its dataplane */
	assert_int_equal(h1.changes, 2);
	assert_int_equal(h1.dp.ops->list(&h1.dp, &ps, &n), 0);
	assert_int_equal(n, 2);
	free(ps);
	rc = fsm_mesh_ops.apply(m1, 9, (const uint8_t *)"\x01junk", 5);
	assert_int_equal(rc, MESH_E_MALFORMED);

	assert_int_equal(fsm_mesh_ops.snapshot(m1, &s, &slen), 0);
	assert_int_equal(fsm_mesh_ops.restore(m2, s, slen), 0);
	assert_int_equal(h2.replaces, 1);
	assert_int_equal(h2.dp.ops->list(&h2.dp, &ps, &n), 0);
	assert_int_equal(n, 2);	/* node-0 and node-4, not node-3 */
	free(ps);
	assert_int_equal(fsm_mesh_state(m2)->n_nodes, 3);
	s[slen / 2] ^= 1;
	assert_int_equal(fsm_mesh_ops.restore(m2, s, slen), -EBADMSG);
	assert_int_equal(h2.replaces, 1);
	assert_int_equal(fsm_mesh_state(m2)->n_nodes, 3);
	free(s);
	fsm_mesh_free(m1);
	fsm_mesh_free(m2);
	fsm_mesh_free(NULL);
	h1.dp.ops->close(&h1.dp, true);
	h2.dp.ops->close(&h2.dp, true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_truncated_flipped_garbage_refused),
		cmocka_unit_test(test_bad_state_with_good_hash_refused),
		cmocka_unit_test(test_determinism),
		cmocka_unit_test(test_diff_moves_dataplane),
		cmocka_unit_test(test_fsm_adapter),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
