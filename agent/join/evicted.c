// SPDX-License-Identifier: GPL-2.0
/*
 * The authenticated "you were evicted" reply. See evicted.h.
 */
#include <errno.h>
#include <string.h>
#include <sodium.h>

#include "join/evicted.h"
#include "join/wire.h"

#define EVICTED_KDF_LABEL	"atom evicted key v1"
#define EVICTED_MAC_LABEL	"evicted"

_Static_assert(crypto_scalarmult_BYTES == JOIN_WG_KEY_LEN, "x25519");
_Static_assert(crypto_auth_hmacsha512256_BYTES == JOIN_EVICTED_MAC_LEN, "mac");
_Static_assert(crypto_auth_hmacsha512256_KEYBYTES == 32, "mac key");

void join_probe_encode(const uint8_t node_pub[JOIN_WG_KEY_LEN],
		       uint8_t nonce_n[JOIN_NONCE_LEN],
		       uint8_t out[JOIN_PROBE_LEN])
{
	randombytes_buf(nonce_n, JOIN_NONCE_LEN);
	join_put_hdr(out, JOIN_MSG_PROBE);
	memcpy(out + JOIN_HDR_LEN, node_pub, JOIN_WG_KEY_LEN);
	memcpy(out + JOIN_HDR_LEN + JOIN_WG_KEY_LEN, nonce_n, JOIN_NONCE_LEN);
}

int join_probe_decode(const uint8_t *in, size_t len,
		      uint8_t node_pub[JOIN_WG_KEY_LEN],
		      uint8_t nonce_n[JOIN_NONCE_LEN])
{
	if (len > JOIN_PROBE_LEN)
		return -EMSGSIZE;
	if (len != JOIN_PROBE_LEN || join_check_hdr(in, len, JOIN_MSG_PROBE))
		return -EPROTO;
	memcpy(node_pub, in + JOIN_HDR_LEN, JOIN_WG_KEY_LEN);
	memcpy(nonce_n, in + JOIN_HDR_LEN + JOIN_WG_KEY_LEN, JOIN_NONCE_LEN);
	return 0;
}

/*
 * The MAC over (label, nonce_n, nonce_m, node key, member key) under a
 * key hashed from the static-static X25519 secret and both public keys.
 */
static int evicted_mac(const uint8_t priv[JOIN_WG_KEY_LEN],
		       const uint8_t peer_pub[JOIN_WG_KEY_LEN],
		       const uint8_t node_pub[JOIN_WG_KEY_LEN],
		       const uint8_t member_pub[JOIN_WG_KEY_LEN],
		       const uint8_t nonce_n[JOIN_NONCE_LEN],
		       const uint8_t nonce_m[JOIN_NONCE_LEN],
		       uint8_t mac[JOIN_EVICTED_MAC_LEN])
{
	uint8_t shared[crypto_scalarmult_BYTES], key[crypto_auth_hmacsha512256_KEYBYTES];
	crypto_generichash_state st;
	crypto_auth_hmacsha512256_state a;
	int ret = 0;

	/* Fails for a low-order peer key (an all-zero secret). */
	if (crypto_scalarmult(shared, priv, peer_pub)) {
		ret = -EINVAL;
		goto out;
	}
	crypto_generichash_init(&st, shared, sizeof(shared), sizeof(key));
	crypto_generichash_update(&st, (const uint8_t *)EVICTED_KDF_LABEL,
				  sizeof(EVICTED_KDF_LABEL));
	crypto_generichash_update(&st, node_pub, JOIN_WG_KEY_LEN);
	crypto_generichash_update(&st, member_pub, JOIN_WG_KEY_LEN);
	crypto_generichash_final(&st, key, sizeof(key));

	crypto_auth_hmacsha512256_init(&a, key, sizeof(key));
	crypto_auth_hmacsha512256_update(&a,
					 (const uint8_t *)EVICTED_MAC_LABEL,
					 sizeof(EVICTED_MAC_LABEL));
	crypto_auth_hmacsha512256_update(&a, nonce_n, JOIN_NONCE_LEN);
	crypto_auth_hmacsha512256_update(&a, nonce_m, JOIN_NONCE_LEN);
	crypto_auth_hmacsha512256_update(&a, node_pub, JOIN_WG_KEY_LEN);
	crypto_auth_hmacsha512256_update(&a, member_pub, JOIN_WG_KEY_LEN);
	crypto_auth_hmacsha512256_final(&a, mac);
out:
	sodium_memzero(shared, sizeof(shared));
	sodium_memzero(key, sizeof(key));
	sodium_memzero(&st, sizeof(st));
	sodium_memzero(&a, sizeof(a));
	return ret;
}

int join_evicted_encode(const uint8_t member_priv[JOIN_WG_KEY_LEN],
			const uint8_t node_pub[JOIN_WG_KEY_LEN],
			const uint8_t nonce_n[JOIN_NONCE_LEN],
			uint8_t out[JOIN_EVICTED_LEN])
{
	uint8_t *member_pub = out + JOIN_HDR_LEN;
	uint8_t *nonce_m = member_pub + JOIN_WG_KEY_LEN;
	int ret;

	join_put_hdr(out, JOIN_MSG_EVICTED);
	crypto_scalarmult_base(member_pub, member_priv);
	randombytes_buf(nonce_m, JOIN_NONCE_LEN);
	ret = evicted_mac(member_priv, node_pub, node_pub, member_pub, nonce_n,
			  nonce_m, nonce_m + JOIN_NONCE_LEN);
	if (ret)
		sodium_memzero(out, JOIN_EVICTED_LEN);
	return ret;
}

int join_evicted_verify(const uint8_t node_priv[JOIN_WG_KEY_LEN],
			const uint8_t nonce_n[JOIN_NONCE_LEN],
			const uint8_t *members, size_t n,
			const uint8_t *in, size_t len)
{
	const uint8_t *member_pub = in + JOIN_HDR_LEN;
	const uint8_t *nonce_m = member_pub + JOIN_WG_KEY_LEN;
	uint8_t node_pub[JOIN_WG_KEY_LEN], mac[JOIN_EVICTED_MAC_LEN];
	size_t i;
	int ret;

	if (len > JOIN_EVICTED_LEN)
		return -EMSGSIZE;
	if (len != JOIN_EVICTED_LEN || join_check_hdr(in, len, JOIN_MSG_EVICTED))
		return -EPROTO;
	crypto_scalarmult_base(node_pub, node_priv);
	for (i = 0; i < n; i++)
		if (!memcmp(members + i * JOIN_WG_KEY_LEN, member_pub,
			    JOIN_WG_KEY_LEN))
			break;
	/* Only a member we knew speaks for the cluster; never ourselves. */
	if (i == n || !memcmp(member_pub, node_pub, JOIN_WG_KEY_LEN))
		return -EACCES;
	ret = evicted_mac(node_priv, member_pub, node_pub, member_pub, nonce_n,
			  nonce_m, mac);
	if (!ret && sodium_memcmp(mac, nonce_m + JOIN_NONCE_LEN, sizeof(mac)))
		ret = -EACCES;
	sodium_memzero(mac, sizeof(mac));
	return ret ? -EACCES : 0;
}
