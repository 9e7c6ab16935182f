/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Join tokens: "atom.<id>.<secret>", a 16-byte random id and a 32-byte
 * random secret, both base64url without padding.
 *
 * The secret stays in this module. Members keep only what is derived
 * from it (design §4): a verifier, the Ed25519 public key whose seed is
 * KDF1(secret), and a server key, KDF2(secret). Reading the state gives
 * neither the secret nor the signing key, so it does not let anyone join.
 *
 * Pure code: randomness comes from libsodium, nothing else is read.
 */
#ifndef ATOM_JOIN_TOKEN_H
#define ATOM_JOIN_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#define JOIN_TOKEN_ID_LEN	16
#define JOIN_TOKEN_SECRET_LEN	32
#define JOIN_VERIFIER_LEN	32	/* Ed25519 public key */
#define JOIN_SERVER_KEY_LEN	32
#define JOIN_SIG_LEN		64	/* Ed25519 signature */

#define JOIN_TOKEN_PREFIX	"atom."
#define JOIN_TOKEN_ID_B64_LEN	22	/* base64url, no padding */
#define JOIN_TOKEN_SECRET_B64_LEN 43
/* The whole token string, without the NUL. */
#define JOIN_TOKEN_STR_LEN	(5 + JOIN_TOKEN_ID_B64_LEN + 1 + \
				 JOIN_TOKEN_SECRET_B64_LEN)

struct join_token {
	uint8_t id[JOIN_TOKEN_ID_LEN];
	uint8_t secret[JOIN_TOKEN_SECRET_LEN];
};

/* A fresh random token. */
void join_token_generate(struct join_token *t);

/*
 * The printable form; out holds JOIN_TOKEN_STR_LEN + 1 bytes. It holds
 * the secret: print it once, then sodium_memzero it.
 */
void join_token_format(const struct join_token *t,
		       char out[JOIN_TOKEN_STR_LEN + 1]);

/*
 * Parse the printable form strictly: -EINVAL on anything but exactly
 * "atom.", 22 base64url characters, ".", 43 base64url characters, in
 * canonical form. t is wiped on error.
 */
int join_token_parse(const char *s, struct join_token *t);

/* What the state stores for a token: its verifier and server key. */
int join_token_derive(const struct join_token *t,
		      uint8_t verifier[JOIN_VERIFIER_LEN],
		      uint8_t server_key[JOIN_SERVER_KEY_LEN]);

/* Sign msg with the verifier's private key (derived, used, wiped). */
int join_token_sign(const struct join_token *t, const uint8_t *msg,
		    size_t len, uint8_t sig[JOIN_SIG_LEN]);

void join_token_wipe(struct join_token *t);

#endif /* ATOM_JOIN_TOKEN_H */
