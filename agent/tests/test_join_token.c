// SPDX-License-Identifier: GPL-2.0
/*
 * Join tokens: a printed token parses back to itself; every malformed
 * spelling is -EINVAL; what the state stores is derived deterministically,
 * differs per token, and is not the secret.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "join/token.h"

static int setup(void **state)
{
	(void)state;
	return sodium_init() < 0 ? -1 : 0;
}

static void test_round_trip(void **state)
{
	char s[JOIN_TOKEN_STR_LEN + 1];
	struct join_token t, u;
	int i;

	(void)state;
	for (i = 0; i < 100; i++) {
		join_token_generate(&t);
		join_token_format(&t, s);
		assert_int_equal(strlen(s), JOIN_TOKEN_STR_LEN);
		assert_memory_equal(s, "atom.", 5);
		assert_int_equal(s[5 + JOIN_TOKEN_ID_B64_LEN], '.');
		assert_int_equal(join_token_parse(s, &u), 0);
		assert_memory_equal(&t, &u, sizeof(t));
	}
}

static void test_generate_is_random(void **state)
{
	struct join_token a, b;

	(void)state;
	join_token_generate(&a);
	join_token_generate(&b);
	assert_memory_not_equal(a.id, b.id, sizeof(a.id));
	assert_memory_not_equal(a.secret, b.secret, sizeof(a.secret));
}

static void expect_invalid(const char *s)
{
	struct join_token t;

	memset(&t, 0xaa, sizeof(t));
	if (join_token_parse(s, &t) != -EINVAL)
		fail_msg("accepted: \"%s\"", s ? s : "(null)");
	/* Nothing half-parsed is left behind. */
	assert_true(sodium_is_zero((const unsigned char *)&t, sizeof(t)));
}

static void test_malformed_refused(void **state)
{
	char good[JOIN_TOKEN_STR_LEN + 1], bad[JOIN_TOKEN_STR_LEN + 8];
	const size_t dot = 5 + JOIN_TOKEN_ID_B64_LEN;
	const size_t last_id = dot - 1, last = JOIN_TOKEN_STR_LEN - 1;
	static const char bad_chars[] = "+/=. \t\n\x80\x01*";
	struct join_token t;
	size_t i, j;

	(void)state;
	join_token_generate(&t);
	join_token_format(&t, good);

	expect_invalid(NULL);
	expect_invalid("");
	expect_invalid("atom.");
	expect_invalid("atom..");
	/* Every truncation, and one extra character. */
	for (i = 0; i < JOIN_TOKEN_STR_LEN; i++) {
		memcpy(bad, good, i);
		bad[i] = '\0';
		expect_invalid(bad);
	}
	snprintf(bad, sizeof(bad), "%sA", good);
	expect_invalid(bad);
	snprintf(bad, sizeof(bad), "%s\n", good);
	expect_invalid(bad);
	snprintf(bad, sizeof(bad), " %s", good);
	expect_invalid(bad);
	/* Wrong prefix, separator, case. */
	for (i = 0; i < 5; i++) {
		strcpy(bad, good);
		bad[i] = 'X';
		expect_invalid(bad);
	}
	strcpy(bad, good);
	bad[0] = 'A';
	expect_invalid(bad);
	strcpy(bad, good);
	bad[dot] = '_';
	expect_invalid(bad);
	/* A character outside base64url anywhere in either field. */
	for (i = 5; i < JOIN_TOKEN_STR_LEN; i++) {
		if (i == dot)
			continue;
		for (j = 0; j < sizeof(bad_chars) - 1; j++) {
			strcpy(bad, good);
			bad[i] = bad_chars[j];
			expect_invalid(bad);
		}
	}
	/* Standard base64 alphabet instead of base64url. */
	strcpy(bad, good);
	bad[6] = '+';
	expect_invalid(bad);
	/* Non-canonical: trailing bits set in the last character. */
	memset(t.id, 0, sizeof(t.id));
	memset(t.secret, 0, sizeof(t.secret));
	join_token_format(&t, good);
	assert_int_equal(good[last_id], 'A');
	assert_int_equal(good[last], 'A');
	strcpy(bad, good);
	bad[last_id] = 'B';
	expect_invalid(bad);
	strcpy(bad, good);
	bad[last] = 'B';
	expect_invalid(bad);
	assert_int_equal(join_token_parse(good, &t), 0);
}

static void test_derive_deterministic_and_distinct(void **state)
{
	uint8_t v1[JOIN_VERIFIER_LEN], v2[JOIN_VERIFIER_LEN];
	uint8_t k1[JOIN_SERVER_KEY_LEN], k2[JOIN_SERVER_KEY_LEN];
	uint8_t sig[JOIN_SIG_LEN];
	struct join_token a, b;
	const uint8_t msg[] = "transcript";

	(void)state;
	join_token_generate(&a);
	b = a;
	assert_int_equal(join_token_derive(&a, v1, k1), 0);
	assert_int_equal(join_token_derive(&b, v2, k2), 0);
	assert_memory_equal(v1, v2, sizeof(v1));
	assert_memory_equal(k1, k2, sizeof(k1));
	/* Verifier, server key and secret are three different values. */
	assert_memory_not_equal(v1, k1, 32);
	assert_memory_not_equal(v1, a.secret, 32);
	assert_memory_not_equal(k1, a.secret, 32);
	/* Same id, other secret: everything differs. */
	randombytes_buf(b.secret, sizeof(b.secret));
	assert_int_equal(join_token_derive(&b, v2, k2), 0);
	assert_memory_not_equal(v1, v2, sizeof(v1));
	assert_memory_not_equal(k1, k2, sizeof(k1));
	/* The verifier checks what the token signs, and only that. */
	assert_int_equal(join_token_sign(&a, msg, sizeof(msg), sig), 0);
	assert_int_equal(crypto_sign_verify_detached(sig, msg, sizeof(msg),
						     v1), 0);
	assert_int_not_equal(crypto_sign_verify_detached(sig, msg, sizeof(msg),
							 v2), 0);
	sig[0] ^= 1;
	assert_int_not_equal(crypto_sign_verify_detached(sig, msg, sizeof(msg),
							 v1), 0);
}

/* For id 0x01..., secret 0x02... */
#define KAT_VERIFIER "4d549bb1680a02b362e37293440ab703d4bc15f1e5130defafa7070a9f88b58e"
#define KAT_SERVER_KEY "86ed02da80d15fdf75562dc2f021e490e46e16d781aea535c2f706952967c2cd"

static void test_known_answer(void **state)
{
	/* Pinned so a change of KDF or context breaks stored tokens loudly. */
	uint8_t v[JOIN_VERIFIER_LEN], k[JOIN_SERVER_KEY_LEN];
	char hex[65];
	struct join_token t;

	(void)state;
	memset(t.id, 1, sizeof(t.id));
	memset(t.secret, 2, sizeof(t.secret));
	assert_int_equal(join_token_derive(&t, v, k), 0);
	sodium_bin2hex(hex, sizeof(hex), v, sizeof(v));
	assert_string_equal(hex, KAT_VERIFIER);
	sodium_bin2hex(hex, sizeof(hex), k, sizeof(k));
	assert_string_equal(hex, KAT_SERVER_KEY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_generate_is_random),
		cmocka_unit_test(test_malformed_refused),
		cmocka_unit_test(test_derive_deterministic_and_distinct),
		cmocka_unit_test(test_known_answer),
	};

	return cmocka_run_group_tests_name("join_token", tests, setup, NULL);
}
