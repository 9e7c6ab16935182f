// SPDX-License-Identifier: GPL-2.0
/*
 * "You were evicted": a member's reply verifies at the node it was made
 * for, for the nonce it answered; forged, replayed, redirected, altered
 * or truncated replies do not, so a node never wipes itself on them.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "join/evicted.h"

struct keys {
	uint8_t priv[JOIN_WG_KEY_LEN];
	uint8_t pub[JOIN_WG_KEY_LEN];
};

static void keygen(struct keys *k)
{
	randombytes_buf(k->priv, sizeof(k->priv));
	crypto_scalarmult_base(k->pub, k->priv);
}

struct fx {
	struct keys node, member, other;
	uint8_t members[2][JOIN_WG_KEY_LEN];	/* the node's last view */
	uint8_t probe[JOIN_PROBE_LEN];
	uint8_t nonce[JOIN_NONCE_LEN];
	uint8_t reply[JOIN_EVICTED_LEN];
};

static int setup(void **state)
{
	static struct fx f;

	if (sodium_init() < 0)
		return -1;
	keygen(&f.node);
	keygen(&f.member);
	keygen(&f.other);
	memcpy(f.members[0], f.member.pub, JOIN_WG_KEY_LEN);
	memcpy(f.members[1], f.other.pub, JOIN_WG_KEY_LEN);
	*state = &f;
	return 0;
}

/* The member's side: decode the probe, answer it. */
static void answer(struct fx *f, const struct keys *member)
{
	uint8_t node_pub[JOIN_WG_KEY_LEN], nonce[JOIN_NONCE_LEN];

	assert_int_equal(join_probe_decode(f->probe, sizeof(f->probe),
					   node_pub, nonce), 0);
	assert_memory_equal(node_pub, f->node.pub, JOIN_WG_KEY_LEN);
	assert_memory_equal(nonce, f->nonce, JOIN_NONCE_LEN);
	assert_int_equal(join_evicted_encode(member->priv, node_pub, nonce,
					     f->reply), 0);
}

static int verify(struct fx *f, const uint8_t *msg, size_t len)
{
	return join_evicted_verify(f->node.priv, f->nonce, f->members[0], 2,
				   msg, len);
}

static void test_reply_verifies(void **state)
{
	struct fx *f = *state;

	join_probe_encode(f->node.pub, f->nonce, f->probe);
	answer(f, &f->member);
	assert_int_equal(verify(f, f->reply, sizeof(f->reply)), 0);
	/* Any member the node knows may tell it. */
	answer(f, &f->other);
	assert_int_equal(verify(f, f->reply, sizeof(f->reply)), 0);
}

static void test_forged_refused(void **state)
{
	uint8_t bad[JOIN_EVICTED_LEN];
	struct fx *f = *state;
	struct keys stranger;
	size_t i;

	join_probe_encode(f->node.pub, f->nonce, f->probe);
	answer(f, &f->member);
	/* Made-up MAC with a real member's key and the right nonce. */
	memcpy(bad, f->reply, sizeof(bad));
	randombytes_buf(bad + JOIN_EVICTED_LEN - JOIN_EVICTED_MAC_LEN,
			JOIN_EVICTED_MAC_LEN);
	assert_int_equal(verify(f, bad, sizeof(bad)), -EACCES);
	/* Every byte altered. */
	for (i = 0; i < sizeof(bad); i++) {
		memcpy(bad, f->reply, sizeof(bad));
		bad[i] ^= 0x10;
		assert_int_equal(verify(f, bad, sizeof(bad)),
				 i < JOIN_HDR_LEN ? -EPROTO : -EACCES);
	}
	/* A correct MAC from a key the node never knew as a member. */
	keygen(&stranger);
	answer(f, &stranger);
	assert_int_equal(verify(f, f->reply, sizeof(f->reply)), -EACCES);
	/* The node's own key in the member slot. */
	memcpy(f->members[1], f->node.pub, JOIN_WG_KEY_LEN);
	memcpy(bad, f->reply, sizeof(bad));
	memcpy(bad + JOIN_HDR_LEN, f->node.pub, JOIN_WG_KEY_LEN);
	assert_int_equal(verify(f, bad, sizeof(bad)), -EACCES);
	memcpy(f->members[1], f->other.pub, JOIN_WG_KEY_LEN);
}

static void test_replayed_refused(void **state)
{
	uint8_t old[JOIN_EVICTED_LEN];
	struct fx *f = *state;

	join_probe_encode(f->node.pub, f->nonce, f->probe);
	answer(f, &f->member);
	memcpy(old, f->reply, sizeof(old));
	assert_int_equal(verify(f, old, sizeof(old)), 0);
	/* Next start-up: a new nonce; the recorded reply is stale. */
	join_probe_encode(f->node.pub, f->nonce, f->probe);
	assert_int_equal(verify(f, old, sizeof(old)), -EACCES);
}

static void test_reply_for_another_node_refused(void **state)
{
	struct fx *f = *state;
	uint8_t nonce[JOIN_NONCE_LEN];
	struct keys victim;

	/* A genuine reply evicting someone else, same nonce. */
	keygen(&victim);
	join_probe_encode(f->node.pub, f->nonce, f->probe);
	memcpy(nonce, f->nonce, sizeof(nonce));
	assert_int_equal(join_evicted_encode(f->member.priv, victim.pub, nonce,
					     f->reply), 0);
	assert_int_equal(verify(f, f->reply, sizeof(f->reply)), -EACCES);
}

static void test_malformed(void **state)
{
	uint8_t buf[JOIN_EVICTED_LEN + 1], pub[JOIN_WG_KEY_LEN];
	uint8_t nonce[JOIN_NONCE_LEN], low_order[JOIN_WG_KEY_LEN] = { 0 };
	struct fx *f = *state;
	size_t i;

	join_probe_encode(f->node.pub, f->nonce, f->probe);
	answer(f, &f->member);
	memcpy(buf, f->reply, sizeof(f->reply));
	buf[JOIN_EVICTED_LEN] = 0;
	for (i = 0; i < JOIN_EVICTED_LEN; i++)
		assert_int_equal(verify(f, buf, i), -EPROTO);
	assert_int_equal(verify(f, buf, sizeof(buf)), -EMSGSIZE);
	/* PROBE: short, long, wrong type. */
	for (i = 0; i < JOIN_PROBE_LEN; i++)
		assert_int_equal(join_probe_decode(f->probe, i, pub, nonce),
				 -EPROTO);
	assert_int_equal(join_probe_decode(buf, JOIN_PROBE_LEN + 1, pub,
					   nonce), -EMSGSIZE);
	assert_int_equal(join_probe_decode(f->reply, JOIN_PROBE_LEN, pub,
					   nonce), -EPROTO);
	/* A low-order key gives no secret: no reply is made. */
	assert_int_equal(join_evicted_encode(f->member.priv, low_order,
					     f->nonce, f->reply), -EINVAL);
	assert_true(sodium_is_zero(f->reply, sizeof(f->reply)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reply_verifies),
		cmocka_unit_test(test_forged_refused),
		cmocka_unit_test(test_replayed_refused),
		cmocka_unit_test(test_reply_for_another_node_refused),
		cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests_name("join_evicted", tests, setup, NULL);
}
