// SPDX-License-Identifier: GPL-2.0
/*
 * The join handshake: a token holder is admitted and gets its acceptance;
 * a wrong secret and an unknown token id are refused alike; a replayed,
 * altered, forged, truncated or oversized message never gets through;
 * the verifier and server key the state stores are not enough to join.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "join/handshake.h"
#include "join/token.h"
#include "join/wire.h"

#define CLUSTER_ID 0x1122334455667788ULL

/* The member's state: one token, as the FSM would store it. */
struct fake_state {
	uint8_t id[JOIN_TOKEN_ID_LEN];
	uint8_t verifier[JOIN_VERIFIER_LEN];
	uint8_t server_key[JOIN_SERVER_KEY_LEN];
	int lookups;
};

static int lookup(void *ctx, const uint8_t id[JOIN_TOKEN_ID_LEN],
		  uint8_t verifier[JOIN_VERIFIER_LEN],
		  uint8_t server_key[JOIN_SERVER_KEY_LEN])
{
	struct fake_state *st = ctx;

	st->lookups++;
	if (memcmp(id, st->id, JOIN_TOKEN_ID_LEN))
		return -ENOENT;
	memcpy(verifier, st->verifier, JOIN_VERIFIER_LEN);
	memcpy(server_key, st->server_key, JOIN_SERVER_KEY_LEN);
	return 0;
}

struct fx {
	struct join_token token;
	struct fake_state st;
	struct join_request req;
	struct join_joiner j;
	struct join_member m;
	uint8_t hello[JOIN_HELLO_LEN];
	uint8_t challenge[JOIN_CHALLENGE_LEN];
	uint8_t request[JOIN_REQUEST_MAX];
	size_t hello_len, challenge_len, request_len;
	uint8_t *buf;		/* JOIN_MSG_MAX */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f || sodium_init() < 0)
		return -1;
	f->buf = malloc(JOIN_MSG_MAX + 1);
	if (!f->buf)
		return -1;
	join_token_generate(&f->token);
	memcpy(f->st.id, f->token.id, JOIN_TOKEN_ID_LEN);
	assert_int_equal(join_token_derive(&f->token, f->st.verifier,
					   f->st.server_key), 0);
	strcpy(f->req.name, "node-2");
	randombytes_buf(f->req.wg_key, JOIN_WG_KEY_LEN);
	strcpy(f->req.endpoint, "198.51.100.7:51820");
	f->req.wg_port = 51820;
	f->req.join_port = 7700;
	f->req.raft_port = 7000;
	f->req.rpc_port = 7001;
	f->req.voter = true;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	join_joiner_release(&f->j);
	join_member_release(&f->m);
	free(f->buf);
	free(f);
	return 0;
}

/* HELLO, CHALLENGE and the joiner's REQUEST, not yet given the member. */
static void run_to_wait(struct fx *f, const struct join_token *t)
{
	struct join_request got;

	assert_int_equal(join_joiner_init(&f->j, t, &f->req, f->hello,
					  sizeof(f->hello), &f->hello_len), 0);
	assert_int_equal(f->hello_len, JOIN_HELLO_LEN);
	assert_int_equal(join_member_init(&f->m, CLUSTER_ID, lookup, &f->st),
			 0);
	assert_int_equal(join_member_step(&f->m, f->hello, f->hello_len,
					  f->challenge, sizeof(f->challenge),
					  &f->challenge_len, &got), 0);
	assert_int_equal(f->challenge_len, JOIN_CHALLENGE_LEN);
	assert_int_equal(join_joiner_step(&f->j, f->challenge,
					  f->challenge_len, f->request,
					  sizeof(f->request), &f->request_len,
					  &(struct join_outcome){ 0 }), 0);
	assert_true(f->request_len <= JOIN_REQUEST_MAX);
}

/* The whole exchange up to the member's verdict; its return. */
static int run_to_request(struct fx *f, const struct join_token *t,
			  struct join_request *got)
{
	run_to_wait(f, t);
	return join_member_step(&f->m, f->request, f->request_len, f->buf,
				JOIN_MSG_MAX, &f->challenge_len, got);
}

static void fill_acceptance(struct join_acceptance *acc, const uint8_t *blob,
			    size_t n)
{
	memset(acc, 0, sizeof(*acc));
	acc->cluster_id = CLUSTER_ID;
	acc->family = 4;
	memcpy(acc->mesh_ip, (uint8_t[]){ 10, 42, 0, 2 }, 4);
	memcpy(acc->cidr_addr, (uint8_t[]){ 10, 42, 0, 0 }, 4);
	acc->cidr_prefix = 24;
	acc->members = blob;
	acc->members_len = n;
}

static void test_happy_path(void **state)
{
	static const uint8_t blob[] = "node-1 key endpoint 10.42.0.1";
	struct join_acceptance acc;
	struct join_outcome out;
	struct join_request got;
	struct fx *f = *state;
	size_t len, n;

	assert_int_equal(run_to_request(f, &f->token, &got), JOIN_DONE);
	assert_int_equal(f->st.lookups, 1);
	/* The member sees exactly what the joiner asked for. */
	assert_memory_equal(got.token_id, f->token.id, JOIN_TOKEN_ID_LEN);
	assert_string_equal(got.name, "node-2");
	assert_memory_equal(got.wg_key, f->req.wg_key, JOIN_WG_KEY_LEN);
	assert_string_equal(got.endpoint, "198.51.100.7:51820");
	assert_int_equal(got.wg_port, 51820);
	assert_int_equal(got.join_port, 7700);
	assert_int_equal(got.raft_port, 7000);
	assert_int_equal(got.rpc_port, 7001);
	assert_true(got.voter);
	/* The joiner wiped its secret once it had signed. */
	assert_true(sodium_is_zero(f->j.token.secret, JOIN_TOKEN_SECRET_LEN));

	fill_acceptance(&acc, blob, sizeof(blob));
	assert_int_equal(join_member_accept(&f->m, &acc, f->buf, JOIN_MSG_MAX,
					    &len), 0);
	assert_int_equal(len, join_sealed_accept_len(sizeof(blob)));
	/* Encrypted: the member list is not readable on the wire. */
	for (n = 0; n + sizeof(blob) <= len; n++)
		assert_memory_not_equal(f->buf + n, blob, sizeof(blob));
	assert_int_equal(join_joiner_step(&f->j, f->buf, len, NULL, 0, &n,
					  &out), JOIN_DONE);
	assert_int_equal(out.refusal, 0);
	assert_true(out.acc.cluster_id == CLUSTER_ID);
	assert_int_equal(out.acc.family, 4);
	assert_memory_equal(out.acc.mesh_ip, acc.mesh_ip, 16);
	assert_memory_equal(out.acc.cidr_addr, acc.cidr_addr, 16);
	assert_int_equal(out.acc.cidr_prefix, 24);
	assert_int_equal(out.acc.members_len, sizeof(blob));
	assert_memory_equal(out.acc.members, blob, sizeof(blob));
	join_outcome_release(&out);
	/* Both sides are over and hold no key. */
	assert_true(sodium_is_zero(f->m.seal_key, 32));
	assert_true(sodium_is_zero(f->j.seal_key, 32));
}

static void test_no_endpoint_not_voter(void **state)
{
	struct join_request got;
	struct fx *f = *state;

	f->req.endpoint[0] = '\0';
	f->req.voter = false;
	assert_int_equal(run_to_request(f, &f->token, &got), JOIN_DONE);
	assert_string_equal(got.endpoint, "");
	assert_false(got.voter);
}

static void test_refusal_is_authenticated(void **state)
{
	struct join_outcome out;
	struct join_request got;
	struct fx *f = *state;
	size_t len, n;

	assert_int_equal(run_to_request(f, &f->token, &got), JOIN_DONE);
	assert_int_equal(join_member_refuse(&f->m, JOIN_REFUSE_EXHAUSTED,
					    f->buf, JOIN_MSG_MAX, &len), 0);
	assert_int_equal(join_joiner_step(&f->j, f->buf, len, NULL, 0, &n,
					  &out), JOIN_DONE);
	assert_int_equal(out.refusal, JOIN_REFUSE_EXHAUSTED);
	assert_string_equal(join_refusal_str(out.refusal),
			    "token has no uses left");
	join_outcome_release(&out);
}

/* Runs a handshake with token t; returns the UNAUTHORIZED reply. */
static void refused(struct fx *f, const struct join_token *t,
		    uint8_t *reply, size_t *reply_len)
{
	struct join_outcome out;
	struct join_request got;
	size_t n;

	assert_int_equal(run_to_request(f, t, &got), -EACCES);
	*reply_len = f->challenge_len;
	memcpy(reply, f->buf, *reply_len);
	/* Nothing of the request reaches the caller. */
	assert_true(sodium_is_zero((uint8_t *)&got, sizeof(got)));
	assert_int_equal(join_joiner_step(&f->j, reply, *reply_len, NULL, 0,
					  &n, &out), -EACCES);
}

static void test_wrong_secret_and_unknown_id_look_alike(void **state)
{
	uint8_t a[JOIN_CHALLENGE_LEN], b[JOIN_CHALLENGE_LEN];
	uint8_t r1[16], r2[16];
	struct fx *f = *state;
	struct join_token wrong = f->token, unknown = f->token;
	size_t l1, l2;

	randombytes_buf(wrong.secret, sizeof(wrong.secret));
	randombytes_buf(unknown.id, sizeof(unknown.id));

	refused(f, &wrong, r1, &l1);
	memcpy(a, f->challenge, sizeof(a));
	assert_int_equal(f->st.lookups, 1);
	join_member_release(&f->m);
	join_joiner_release(&f->j);

	refused(f, &unknown, r2, &l2);
	memcpy(b, f->challenge, sizeof(b));
	assert_int_equal(f->st.lookups, 2);

	/* Same shape at every step: challenge, then the same refusal. */
	assert_memory_equal(a, b, JOIN_HDR_LEN);
	assert_memory_equal(a + JOIN_HDR_LEN + JOIN_NONCE_LEN,
			    b + JOIN_HDR_LEN + JOIN_NONCE_LEN, 8);
	assert_int_equal(l1, JOIN_UNAUTHORIZED_LEN);
	assert_int_equal(l1, l2);
	assert_memory_equal(r1, r2, l1);
}

static void test_revoked_token_still_answered(void **state)
{
	/* A token the FSM refuses still gets an authenticated reason. */
	struct join_outcome out;
	struct join_request got;
	struct fx *f = *state;
	size_t len, n;

	assert_int_equal(run_to_request(f, &f->token, &got), JOIN_DONE);
	assert_int_equal(join_member_refuse(&f->m, JOIN_REFUSE_REVOKED, f->buf,
					    JOIN_MSG_MAX, &len), 0);
	assert_int_equal(join_joiner_step(&f->j, f->buf, len, NULL, 0, &n,
					  &out), JOIN_DONE);
	assert_int_equal(out.refusal, JOIN_REFUSE_REVOKED);
}

static void test_replayed_request_refused(void **state)
{
	uint8_t old_hello[JOIN_HELLO_LEN], old_request[JOIN_REQUEST_MAX];
	uint8_t challenge[JOIN_CHALLENGE_LEN], reply[16];
	struct join_request got;
	struct fx *f = *state;
	size_t len, old_len;

	/* A recorded, accepted exchange. */
	assert_int_equal(run_to_request(f, &f->token, &got), JOIN_DONE);
	memcpy(old_hello, f->hello, sizeof(old_hello));
	memcpy(old_request, f->request, f->request_len);
	old_len = f->request_len;
	join_member_release(&f->m);

	/* Replayed to a member: it picks a new nonce, the signature fails. */
	assert_int_equal(join_member_init(&f->m, CLUSTER_ID, lookup, &f->st),
			 0);
	assert_int_equal(join_member_step(&f->m, old_hello, sizeof(old_hello),
					  challenge, sizeof(challenge), &len,
					  &got), 0);
	assert_memory_not_equal(challenge, f->challenge, sizeof(challenge));
	assert_int_equal(join_member_step(&f->m, old_request, old_len, reply,
					  sizeof(reply), &len, &got), -EACCES);
	assert_int_equal(reply[0], JOIN_MSG_UNAUTHORIZED);
}

/* Flip each bit position's byte of msg in turn; the step must refuse. */
static void test_mitm_alters_hello_or_challenge(void **state)
{
	struct join_outcome out;
	struct join_request got;
	struct fx *f = *state;
	uint8_t req[JOIN_REQUEST_MAX], chal[JOIN_CHALLENGE_LEN];
	size_t i, len, rlen, hlen;
	int ret;

	/* Altered HELLO: the member answers, the request fails. */
	for (i = 0; i < JOIN_HELLO_LEN; i++) {
		assert_int_equal(join_joiner_init(&f->j, &f->token, &f->req,
						  f->hello, sizeof(f->hello),
						  &hlen), 0);
		assert_int_equal(join_member_init(&f->m, CLUSTER_ID, lookup,
						  &f->st), 0);
		f->hello[i] ^= 0x01;
		ret = join_member_step(&f->m, f->hello, hlen, chal,
				       sizeof(chal), &len, &got);
		if (i < JOIN_HDR_LEN) {
			assert_int_equal(ret, -EPROTO);
			continue;
		}
		assert_int_equal(ret, 0);
		assert_int_equal(join_joiner_step(&f->j, chal, len, req,
						  sizeof(req), &rlen, &out), 0);
		assert_int_equal(join_member_step(&f->m, req, rlen, f->buf,
						  JOIN_MSG_MAX, &len, &got),
				 -EACCES);
		join_joiner_release(&f->j);
		join_member_release(&f->m);
	}
	/* Altered CHALLENGE: the joiner signs what it saw, the member fails. */
	for (i = JOIN_HDR_LEN; i < JOIN_CHALLENGE_LEN; i++) {
		assert_int_equal(join_joiner_init(&f->j, &f->token, &f->req,
						  f->hello, sizeof(f->hello),
						  &hlen), 0);
		assert_int_equal(join_member_init(&f->m, CLUSTER_ID, lookup,
						  &f->st), 0);
		assert_int_equal(join_member_step(&f->m, f->hello, hlen, chal,
						  sizeof(chal), &len, &got), 0);
		chal[i] ^= 0x80;
		assert_int_equal(join_joiner_step(&f->j, chal, len, req,
						  sizeof(req), &rlen, &out), 0);
		assert_int_equal(join_member_step(&f->m, req, rlen, f->buf,
						  JOIN_MSG_MAX, &len, &got),
				 -EACCES);
		join_joiner_release(&f->j);
		join_member_release(&f->m);
	}
}

static void test_mitm_alters_request(void **state)
{
	uint8_t bad[JOIN_REQUEST_MAX], reply[16];
	struct join_request got;
	struct join_member m;
	struct fx *f = *state;
	size_t i, bit, len;
	int ret;

	run_to_wait(f, &f->token);
	join_member_release(&f->m);
	/* Every bit of every byte, each against a member in the same state. */
	for (i = 0; i < f->request_len; i++) {
		for (bit = 0; bit < 8; bit++) {
			assert_int_equal(join_member_init(&m, CLUSTER_ID,
							  lookup, &f->st), 0);
			assert_int_equal(join_member_step(&m, f->hello,
							  f->hello_len, bad,
							  sizeof(bad), &len,
							  &got), 0);
			/* The nonce the joiner signed, as if it were this
			 * member's: only the flipped bit differs.
			 */
			memcpy(m.challenge, f->challenge, JOIN_CHALLENGE_LEN);
			memcpy(bad, f->request, f->request_len);
			bad[i] ^= (uint8_t)(1u << bit);
			ret = join_member_step(&m, bad, f->request_len, reply,
					       sizeof(reply), &len, &got);
			if (ret != -EACCES && ret != -EPROTO)
				fail_msg("byte %zu bit %zu: %d", i, bit, ret);
			join_member_release(&m);
		}
	}
	/* Unaltered, the same setup admits: the flips were what failed. */
	assert_int_equal(join_member_init(&m, CLUSTER_ID, lookup, &f->st), 0);
	assert_int_equal(join_member_step(&m, f->hello, f->hello_len, bad,
					  sizeof(bad), &len, &got), 0);
	memcpy(m.challenge, f->challenge, JOIN_CHALLENGE_LEN);
	assert_int_equal(join_member_step(&m, f->request, f->request_len,
					  reply, sizeof(reply), &len, &got),
			 JOIN_DONE);
	join_member_release(&m);
}

static void test_stored_keys_cannot_join(void **state)
{
	/*
	 * An attacker who read the state has the verifier and the server
	 * key. Using either as a token secret, or a random signature, with
	 * every field right, still is not a valid REQUEST.
	 */
	struct join_token fake = (*(struct fx **)state)->token;
	struct join_request got;
	struct fx *f = *state;
	uint8_t reply[16];
	size_t len;

	memcpy(fake.secret, f->st.server_key, JOIN_TOKEN_SECRET_LEN);
	refused(f, &fake, reply, &len);
	join_member_release(&f->m);
	join_joiner_release(&f->j);
	memcpy(fake.secret, f->st.verifier, JOIN_TOKEN_SECRET_LEN);
	refused(f, &fake, reply, &len);
	join_member_release(&f->m);
	join_joiner_release(&f->j);

	/* Right transcript and fields, signature made up. */
	run_to_wait(f, &f->token);
	randombytes_buf(f->request + f->request_len - JOIN_SIG_LEN,
			JOIN_SIG_LEN);
	assert_int_equal(join_member_step(&f->m, f->request, f->request_len,
					  reply, sizeof(reply), &len, &got),
			 -EACCES);
}

static void test_accept_tampered_or_replayed(void **state)
{
	static const uint8_t blob[] = "members";
	uint8_t *old = malloc(JOIN_MSG_MAX);
	struct join_acceptance acc;
	struct join_outcome out;
	struct join_request got;
	struct fx *f = *state;
	size_t len, n, i;

	assert_non_null(old);
	fill_acceptance(&acc, blob, sizeof(blob));
	assert_int_equal(run_to_request(f, &f->token, &got), JOIN_DONE);
	assert_int_equal(join_member_accept(&f->m, &acc, old, JOIN_MSG_MAX,
					    &len), 0);
	/* Any flipped byte: refused, never opened. */
	for (i = 0; i < len; i++) {
		struct join_joiner j = f->j;

		memcpy(f->buf, old, len);
		f->buf[i] ^= 0x04;
		assert_int_equal(join_joiner_step(&j, f->buf, len, NULL, 0,
						  &n, &out),
				 i < JOIN_HDR_LEN ? -EPROTO : -EBADMSG);
	}
	/* Truncated: refused. */
	for (i = 0; i < len; i++) {
		struct join_joiner j = f->j;

		assert_true(join_joiner_step(&j, old, i, NULL, 0, &n, &out) <
			    0);
	}
	/* The same acceptance replayed into a new exchange: refused. */
	join_joiner_release(&f->j);
	join_member_release(&f->m);
	assert_int_equal(run_to_request(f, &f->token, &got), JOIN_DONE);
	assert_int_equal(join_joiner_step(&f->j, old, len, NULL, 0, &n, &out),
			 -EBADMSG);
	free(old);
}

static void test_forged_accept_without_server_key(void **state)
{
	struct join_outcome out;
	struct join_request got;
	struct fx *f = *state;
	struct fake_state evil = f->st;
	struct join_acceptance acc;
	size_t len, n;

	/* A fake member knowing the verifier but not the server key. */
	randombytes_buf(evil.server_key, JOIN_SERVER_KEY_LEN);
	f->st = evil;
	assert_int_equal(run_to_request(f, &f->token, &got), JOIN_DONE);
	fill_acceptance(&acc, NULL, 0);
	assert_int_equal(join_member_accept(&f->m, &acc, f->buf, JOIN_MSG_MAX,
					    &len), 0);
	assert_int_equal(join_joiner_step(&f->j, f->buf, len, NULL, 0, &n,
					  &out), -EBADMSG);
}

static void test_truncated_and_oversized(void **state)
{
	struct join_outcome out;
	struct join_request got;
	struct fx *f = *state;
	uint8_t chal[JOIN_CHALLENGE_LEN], big[JOIN_REQUEST_MAX + 2];
	size_t i, len;

	assert_int_equal(run_to_request(f, &f->token, &got), JOIN_DONE);
	/* HELLO: every shorter length, one byte longer, and huge. */
	for (i = 0; i <= JOIN_HELLO_LEN + 1; i++) {
		uint8_t h[JOIN_HELLO_LEN + 1] = { 0 };
		int ret;

		if (i == JOIN_HELLO_LEN)
			continue;
		memcpy(h, f->hello, JOIN_HELLO_LEN);
		join_member_release(&f->m);
		join_member_init(&f->m, CLUSTER_ID, lookup, &f->st);
		ret = join_member_step(&f->m, h, i, chal, sizeof(chal), &len,
				       &got);
		assert_int_equal(ret, i > JOIN_HELLO_LEN ? -EMSGSIZE : -EPROTO);
		assert_int_equal(len, 0);
	}
	join_member_release(&f->m);
	join_member_init(&f->m, CLUSTER_ID, lookup, &f->st);
	assert_int_equal(join_member_step(&f->m, f->buf, JOIN_MSG_MAX + 1,
					  chal, sizeof(chal), &len, &got),
			 -EMSGSIZE);
	/* REQUEST: every shorter length and longer ones. */
	for (i = 0; i <= f->request_len + 1; i++) {
		memset(big, 0, sizeof(big));
		memcpy(big, f->request, f->request_len);
		join_member_release(&f->m);
		join_member_init(&f->m, CLUSTER_ID, lookup, &f->st);
		assert_int_equal(join_member_step(&f->m, f->hello, f->hello_len,
						  chal, sizeof(chal), &len,
						  &got), 0);
		if (i == f->request_len)
			continue;
		assert_true(join_member_step(&f->m, big, i, f->buf,
					     JOIN_MSG_MAX, &len, &got) < 0);
	}
	join_member_release(&f->m);
	join_member_init(&f->m, CLUSTER_ID, lookup, &f->st);
	assert_int_equal(join_member_step(&f->m, f->hello, f->hello_len, chal,
					  sizeof(chal), &len, &got), 0);
	assert_int_equal(join_member_step(&f->m, big, JOIN_REQUEST_MAX + 1,
					  f->buf, JOIN_MSG_MAX, &len, &got),
			 -EMSGSIZE);
	/* CHALLENGE to the joiner: short, long, wrong type. */
	for (i = 0; i <= JOIN_CHALLENGE_LEN + 1; i++) {
		uint8_t c[JOIN_CHALLENGE_LEN + 1] = { JOIN_MSG_CHALLENGE,
						      JOIN_VERSION };
		uint8_t req[JOIN_REQUEST_MAX];

		if (i == JOIN_CHALLENGE_LEN)
			continue;
		join_joiner_release(&f->j);
		join_joiner_init(&f->j, &f->token, &f->req, f->hello,
				 sizeof(f->hello), &len);
		assert_true(join_joiner_step(&f->j, c, i, req, sizeof(req),
					     &len, &out) < 0);
	}
	/* A message of the wrong type or version where another is due. */
	join_member_release(&f->m);
	join_member_init(&f->m, CLUSTER_ID, lookup, &f->st);
	assert_int_equal(join_member_step(&f->m, f->request, JOIN_HELLO_LEN,
					  chal, sizeof(chal), &len, &got),
			 -EPROTO);
	join_member_release(&f->m);
	join_member_init(&f->m, CLUSTER_ID, lookup, &f->st);
	f->hello[1] = JOIN_VERSION + 1;
	assert_int_equal(join_member_step(&f->m, f->hello, f->hello_len, chal,
					  sizeof(chal), &len, &got), -EPROTO);
}

static void test_bounds(void **state)
{
	struct join_acceptance acc;
	struct join_outcome out;
	struct join_request got;
	struct fx *f = *state;
	uint8_t *blob;
	size_t len, n;

	/* Names: 63 characters fit, 64 do not, odd characters do not. */
	memset(f->req.name, 'a', JOIN_NAME_MAX);
	f->req.name[JOIN_NAME_MAX] = '\0';
	assert_int_equal(join_request_check(&f->req), 0);
	memset(f->req.endpoint, 'e', JOIN_ENDPOINT_MAX);
	f->req.endpoint[JOIN_ENDPOINT_MAX] = '\0';
	assert_int_equal(run_to_request(f, &f->token, &got), JOIN_DONE);
	assert_int_equal(f->request_len, JOIN_REQUEST_MAX);
	assert_int_equal(strlen(got.name), JOIN_NAME_MAX);

	/* A member list of exactly the limit goes through. */
	blob = malloc(JOIN_MEMBERS_MAX + 1);
	assert_non_null(blob);
	randombytes_buf(blob, JOIN_MEMBERS_MAX + 1);
	fill_acceptance(&acc, blob, JOIN_MEMBERS_MAX + 1);
	assert_int_equal(join_member_accept(&f->m, &acc, f->buf, JOIN_MSG_MAX,
					    &len), -EINVAL);
	acc.members_len = JOIN_MEMBERS_MAX;
	assert_int_equal(join_member_accept(&f->m, &acc, f->buf, JOIN_MSG_MAX,
					    &len), 0);
	assert_int_equal(len, JOIN_MSG_MAX);
	assert_int_equal(join_joiner_step(&f->j, f->buf, len, NULL, 0, &n,
					  &out), JOIN_DONE);
	assert_int_equal(out.acc.members_len, JOIN_MEMBERS_MAX);
	assert_memory_equal(out.acc.members, blob, JOIN_MEMBERS_MAX);
	join_outcome_release(&out);
	free(blob);

	/* 64 characters, no room for the NUL: past the limit. */
	f->req.name[JOIN_NAME_MAX] = 'a';
	join_joiner_release(&f->j);
	assert_int_equal(join_joiner_init(&f->j, &f->token, &f->req, f->hello,
					  sizeof(f->hello), &len), -EINVAL);
	strcpy(f->req.name, "-lead");
	assert_int_equal(join_request_check(&f->req), -EINVAL);
	strcpy(f->req.name, "a b");
	assert_int_equal(join_request_check(&f->req), -EINVAL);
	strcpy(f->req.name, "");
	assert_int_equal(join_request_check(&f->req), -EINVAL);
	strcpy(f->req.name, "ok");
	strcpy(f->req.endpoint, "host :1");
	assert_int_equal(join_request_check(&f->req), -EINVAL);
	f->req.endpoint[0] = '\0';
	f->req.wg_port = 0;
	assert_int_equal(join_request_check(&f->req), -EINVAL);
	f->req.wg_port = 1;
	memset(f->req.wg_key, 0, JOIN_WG_KEY_LEN);
	assert_int_equal(join_request_check(&f->req), -EINVAL);
}

/* Opens, but says something impossible: refused, nothing handed out. */
static void expect_bad_plain(struct fx *f, const uint8_t *plain, size_t len)
{
	struct join_outcome out;
	struct join_request got;
	size_t n, slen;

	join_joiner_release(&f->j);
	join_member_release(&f->m);
	assert_int_equal(run_to_request(f, &f->token, &got), JOIN_DONE);
	assert_int_equal(join_seal(f->m.seal_key, plain, len, f->buf,
				   JOIN_MSG_MAX, &slen), 0);
	assert_int_equal(join_joiner_step(&f->j, f->buf, slen, NULL, 0, &n,
					  &out), -EPROTO);
	assert_null(out.buf);
	assert_int_equal(out.refusal, 0);
}

static void test_authentic_but_malformed_reply_refused(void **state)
{
	uint8_t good[JOIN_ACCEPT_FIXED_LEN + 2] = {
		JOIN_KIND_ACCEPT, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
		0x88, 4, 10, 42, 0, 2, [26] = 10, 42, 0, 0, [42] = 24,
		0, 0, 0, 2, 'm', 'm',
	};
	uint8_t p[sizeof(good) + 1];
	struct join_outcome out;
	struct join_request got;
	struct fx *f = *state;
	size_t n, slen;

	/* The control: this plaintext is a valid acceptance. */
	assert_int_equal(run_to_request(f, &f->token, &got), JOIN_DONE);
	assert_int_equal(join_seal(f->m.seal_key, good, sizeof(good), f->buf,
				   JOIN_MSG_MAX, &slen), 0);
	assert_int_equal(join_joiner_step(&f->j, f->buf, slen, NULL, 0, &n,
					  &out), JOIN_DONE);
	assert_int_equal(out.acc.members_len, 2);
	join_outcome_release(&out);

	memcpy(p, good, sizeof(good));
	p[8] ^= 1;			/* another cluster's id */
	expect_bad_plain(f, p, sizeof(good));
	memcpy(p, good, sizeof(good));
	p[9] = 5;			/* no such family */
	expect_bad_plain(f, p, sizeof(good));
	memcpy(p, good, sizeof(good));
	p[42] = 33;			/* /33 in IPv4 */
	expect_bad_plain(f, p, sizeof(good));
	memcpy(p, good, sizeof(good));
	p[20] = 1;			/* junk past an IPv4 address */
	expect_bad_plain(f, p, sizeof(good));
	memcpy(p, good, sizeof(good));
	p[46] = 3;			/* list longer than what follows */
	expect_bad_plain(f, p, sizeof(good));
	memcpy(p, good, sizeof(good));
	p[sizeof(good)] = 0;		/* one byte more than the list */
	expect_bad_plain(f, p, sizeof(good) + 1);
	expect_bad_plain(f, good, JOIN_ACCEPT_FIXED_LEN - 1);
	expect_bad_plain(f, (const uint8_t[]){ JOIN_KIND_REFUSE, 0, 0 }, 3);
	expect_bad_plain(f, (const uint8_t[]){ JOIN_KIND_REFUSE, 0, 1, 0 }, 4);
	expect_bad_plain(f, (const uint8_t[]){ 3, 0, 1 }, 3);
	expect_bad_plain(f, good, 0);
}

static void test_steps_after_end_refused(void **state)
{
	struct join_outcome out;
	struct join_request got;
	struct fx *f = *state;
	size_t len;

	assert_int_equal(run_to_request(f, &f->token, &got), JOIN_DONE);
	/* A second request on the same exchange is not a second join. */
	assert_int_equal(join_member_step(&f->m, f->request, f->request_len,
					  f->buf, JOIN_MSG_MAX, &len, &got),
			 -EINVAL);
	assert_int_equal(join_member_refuse(&f->m, JOIN_REFUSE_EXPIRED, f->buf,
					    JOIN_MSG_MAX, &len), -EINVAL);
	/* The joiner waits for a sealed reply: a challenge now ends it. */
	assert_int_equal(join_joiner_step(&f->j, f->challenge,
					  JOIN_CHALLENGE_LEN, f->buf,
					  JOIN_MSG_MAX, &len, &out), -EPROTO);
	assert_int_equal(join_joiner_step(&f->j, f->challenge,
					  JOIN_CHALLENGE_LEN, f->buf,
					  JOIN_MSG_MAX, &len, &out), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_happy_path),
		T(test_no_endpoint_not_voter),
		T(test_refusal_is_authenticated),
		T(test_wrong_secret_and_unknown_id_look_alike),
		T(test_revoked_token_still_answered),
		T(test_replayed_request_refused),
		T(test_mitm_alters_hello_or_challenge),
		T(test_mitm_alters_request),
		T(test_stored_keys_cannot_join),
		T(test_accept_tampered_or_replayed),
		T(test_forged_accept_without_server_key),
		T(test_truncated_and_oversized),
		T(test_bounds),
		T(test_authentic_but_malformed_reply_refused),
		T(test_steps_after_end_refused),
#undef T
	};

	return cmocka_run_group_tests_name("join_handshake", tests, NULL, NULL);
}
