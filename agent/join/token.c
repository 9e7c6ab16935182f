// SPDX-License-Identifier: GPL-2.0
/*
 * Join tokens: generate, print, parse, derive. See token.h.
 */
#include <errno.h>
#include <string.h>
#include <sodium.h>

#include "join/token.h"

/* crypto_kdf contexts are 8 bytes; subkey ids keep the keys distinct. */
#define KDF_CTX			"atomjoin"
#define KDF_ID_VERIFIER		1
#define KDF_ID_SERVER		2

_Static_assert(crypto_kdf_KEYBYTES == JOIN_TOKEN_SECRET_LEN,
	       "the secret is the KDF key");
_Static_assert(crypto_sign_PUBLICKEYBYTES == JOIN_VERIFIER_LEN, "verifier");
_Static_assert(crypto_sign_SEEDBYTES == 32, "seed");
_Static_assert(crypto_sign_BYTES == JOIN_SIG_LEN, "signature");

void join_token_generate(struct join_token *t)
{
	randombytes_buf(t->id, sizeof(t->id));
	randombytes_buf(t->secret, sizeof(t->secret));
}

void join_token_format(const struct join_token *t,
		       char out[JOIN_TOKEN_STR_LEN + 1])
{
	char *p = out;

	memcpy(p, JOIN_TOKEN_PREFIX, 5);
	p += 5;
	sodium_bin2base64(p, JOIN_TOKEN_ID_B64_LEN + 1, t->id, sizeof(t->id),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	p += JOIN_TOKEN_ID_B64_LEN;
	*p++ = '.';
	sodium_bin2base64(p, JOIN_TOKEN_SECRET_B64_LEN + 1, t->secret,
			  sizeof(t->secret),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* Exactly b64len characters decoding to exactly len bytes, canonical. */
static int decode_field(const char *s, size_t b64len, uint8_t *bin,
			size_t len)
{
	char again[JOIN_TOKEN_SECRET_B64_LEN + 1];
	const char *end = NULL;
	size_t got = 0;
	size_t i;
	int ret;

	for (i = 0; i < b64len; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return -EINVAL;
	}
	if (sodium_base642bin(bin, len, s, b64len, NULL, &got, &end,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) ||
	    got != len || end != s + b64len)
		return -EINVAL;
	/* Refuse non-zero trailing bits: one token, one spelling. */
	sodium_bin2base64(again, sizeof(again), bin, len,
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	ret = memcmp(again, s, b64len) ? -EINVAL : 0;
	sodium_memzero(again, sizeof(again));
	return ret;
}

int join_token_parse(const char *s, struct join_token *t)
{
	const char *id, *secret;

	if (!s || strnlen(s, JOIN_TOKEN_STR_LEN + 1) != JOIN_TOKEN_STR_LEN ||
	    memcmp(s, JOIN_TOKEN_PREFIX, 5))
		goto err;
	id = s + 5;
	secret = id + JOIN_TOKEN_ID_B64_LEN + 1;
	if (secret[-1] != '.')
		goto err;
	if (decode_field(id, JOIN_TOKEN_ID_B64_LEN, t->id, sizeof(t->id)) ||
	    decode_field(secret, JOIN_TOKEN_SECRET_B64_LEN, t->secret,
			 sizeof(t->secret)))
		goto err;
	return 0;
err:
	join_token_wipe(t);
	return -EINVAL;
}

static int signing_key(const struct join_token *t,
		       uint8_t pk[crypto_sign_PUBLICKEYBYTES],
		       uint8_t sk[crypto_sign_SECRETKEYBYTES])
{
	uint8_t seed[crypto_sign_SEEDBYTES];
	int ret = 0;

	if (crypto_kdf_derive_from_key(seed, sizeof(seed), KDF_ID_VERIFIER,
				       KDF_CTX, t->secret) ||
	    crypto_sign_seed_keypair(pk, sk, seed))
		ret = -EINVAL;
	sodium_memzero(seed, sizeof(seed));
	return ret;
}

int join_token_derive(const struct join_token *t,
		      uint8_t verifier[JOIN_VERIFIER_LEN],
		      uint8_t server_key[JOIN_SERVER_KEY_LEN])
{
	uint8_t sk[crypto_sign_SECRETKEYBYTES];
	int ret;

	ret = signing_key(t, verifier, sk);
	sodium_memzero(sk, sizeof(sk));
	if (ret)
		goto err;
	if (crypto_kdf_derive_from_key(server_key, JOIN_SERVER_KEY_LEN,
				       KDF_ID_SERVER, KDF_CTX, t->secret)) {
		ret = -EINVAL;
		goto err;
	}
	return 0;
err:
	sodium_memzero(verifier, JOIN_VERIFIER_LEN);
	sodium_memzero(server_key, JOIN_SERVER_KEY_LEN);
	return ret;
}

int join_token_sign(const struct join_token *t, const uint8_t *msg,
		    size_t len, uint8_t sig[JOIN_SIG_LEN])
{
	uint8_t pk[crypto_sign_PUBLICKEYBYTES];
	uint8_t sk[crypto_sign_SECRETKEYBYTES];
	int ret;

	ret = signing_key(t, pk, sk);
	if (!ret && crypto_sign_detached(sig, NULL, msg, len, sk))
		ret = -EINVAL;
	sodium_memzero(sk, sizeof(sk));
	return ret;
}

void join_token_wipe(struct join_token *t)
{
	sodium_memzero(t, sizeof(*t));
}
