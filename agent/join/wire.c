// SPDX-License-Identifier: GPL-2.0
/*
 * The join handshake's shared pieces: request codec, transcript hashes,
 * seal and open. See handshake.h for the message flow.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "join/wire.h"
#include "util/bytes.h"

#define SIG_LABEL	"atom join request v1"
#define SEAL_LABEL	"atom join seal v1"

_Static_assert(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES ==
	       JOIN_SEAL_NONCE_LEN, "nonce");
_Static_assert(crypto_aead_xchacha20poly1305_ietf_ABYTES ==
	       JOIN_SEAL_TAG_LEN, "tag");
_Static_assert(crypto_aead_xchacha20poly1305_ietf_KEYBYTES == 32, "key");
_Static_assert(JOIN_MSG_MAX < UINT32_MAX, "lengths fit a u32");

static const char *const refusals[__JOIN_REFUSE_MAX] = {
	[JOIN_REFUSE_EXPIRED] = "token expired",
	[JOIN_REFUSE_EXHAUSTED] = "token has no uses left",
	[JOIN_REFUSE_REVOKED] = "token revoked",
	[JOIN_REFUSE_NAME_TAKEN] = "name taken",
	[JOIN_REFUSE_KEY_TAKEN] = "key in use by another node",
	[JOIN_REFUSE_KEY_EVICTED] = "key was evicted",
	[JOIN_REFUSE_CIDR_FULL] = "no free address in the network",
	[JOIN_REFUSE_UNAVAILABLE] = "cluster unavailable, try again",
	[JOIN_REFUSE_BAD_REQUEST] = "bad request",
};

const char *join_refusal_str(uint16_t reason)
{
	if (reason < __JOIN_REFUSE_MAX && refusals[reason])
		return refusals[reason];
	return "refused";
}

void join_put_hdr(uint8_t *out, uint8_t type)
{
	out[0] = type;
	out[1] = JOIN_VERSION;
}

int join_check_hdr(const uint8_t *in, size_t len, uint8_t type)
{
	if (len < JOIN_HDR_LEN || in[0] != type || in[1] != JOIN_VERSION)
		return -EPROTO;
	return 0;
}

static int check_name(const char *s)
{
	size_t n = strnlen(s, JOIN_NAME_MAX + 1), i;

	if (!n || n > JOIN_NAME_MAX || s[0] == '-' || s[0] == '.')
		return -EINVAL;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		      c == '.'))
			return -EINVAL;
	}
	return 0;
}

static int check_endpoint(const char *s)
{
	size_t n = strnlen(s, JOIN_ENDPOINT_MAX + 1), i;

	if (n > JOIN_ENDPOINT_MAX)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~')
			return -EINVAL;
	return 0;
}

int join_request_check(const struct join_request *req)
{
	if (check_name(req->name) || check_endpoint(req->endpoint) ||
	    sodium_is_zero(req->wg_key, sizeof(req->wg_key)) ||
	    !req->wg_port || !req->join_port || !req->raft_port ||
	    !req->rpc_port)
		return -EINVAL;
	return 0;
}

int join_request_encode_body(const struct join_request *req, uint8_t *out,
			     size_t cap, size_t *ret_len)
{
	size_t name_len = strlen(req->name), ep_len = strlen(req->endpoint);
	uint8_t *p = out;
	size_t need;

	if (join_request_check(req))
		return -EINVAL;
	need = JOIN_REQUEST_MAX - JOIN_SIG_LEN - JOIN_NAME_MAX -
	       JOIN_ENDPOINT_MAX + name_len + ep_len;
	if (cap < need)
		return -ENOBUFS;
	join_put_hdr(p, JOIN_MSG_REQUEST);
	p += JOIN_HDR_LEN;
	memcpy(p, req->wg_key, JOIN_WG_KEY_LEN);
	p += JOIN_WG_KEY_LEN;
	put_be16(p, req->wg_port);
	put_be16(p + 2, req->join_port);
	put_be16(p + 4, req->raft_port);
	put_be16(p + 6, req->rpc_port);
	p += 8;
	*p++ = req->voter ? JOIN_FLAG_VOTER : 0;
	*p++ = (uint8_t)name_len;
	memcpy(p, req->name, name_len);
	p += name_len;
	*p++ = (uint8_t)ep_len;
	memcpy(p, req->endpoint, ep_len);
	p += ep_len;
	*ret_len = (size_t)(p - out);
	return 0;
}

int join_request_decode(const uint8_t *in, size_t len,
			struct join_request *req, size_t *ret_body_len)
{
	const uint8_t *p = in, *end;
	size_t n;

	memset(req, 0, sizeof(*req));
	if (len > JOIN_REQUEST_MAX)
		return -EMSGSIZE;
	if (join_check_hdr(in, len, JOIN_MSG_REQUEST))
		return -EPROTO;
	if (len < JOIN_HDR_LEN + JOIN_WG_KEY_LEN + 8 + 3 + JOIN_SIG_LEN)
		return -EPROTO;
	end = in + len - JOIN_SIG_LEN;
	p += JOIN_HDR_LEN;
	memcpy(req->wg_key, p, JOIN_WG_KEY_LEN);
	p += JOIN_WG_KEY_LEN;
	req->wg_port = get_be16(p);
	req->join_port = get_be16(p + 2);
	req->raft_port = get_be16(p + 4);
	req->rpc_port = get_be16(p + 6);
	p += 8;
	if (*p & ~JOIN_FLAG_VOTER)
		goto err;
	req->voter = *p++ & JOIN_FLAG_VOTER;
	n = *p++;
	if (n > JOIN_NAME_MAX || n >= (size_t)(end - p))
		goto err;
	memcpy(req->name, p, n);
	if (strlen(req->name) != n)
		goto err;
	p += n;
	n = *p++;
	if (n != (size_t)(end - p))
		goto err;
	memcpy(req->endpoint, p, n);
	if (strlen(req->endpoint) != n || join_request_check(req))
		goto err;
	*ret_body_len = len - JOIN_SIG_LEN;
	return 0;
err:
	memset(req, 0, sizeof(*req));
	return -EPROTO;
}

void join_sig_hash(const uint8_t *hello, const uint8_t *challenge,
		   const uint8_t *body, size_t body_len,
		   uint8_t h[JOIN_HASH_LEN])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, JOIN_HASH_LEN);
	crypto_generichash_update(&st, (const uint8_t *)SIG_LABEL,
				  sizeof(SIG_LABEL));
	crypto_generichash_update(&st, hello, JOIN_HELLO_LEN);
	crypto_generichash_update(&st, challenge, JOIN_CHALLENGE_LEN);
	crypto_generichash_update(&st, body, body_len);
	crypto_generichash_final(&st, h, JOIN_HASH_LEN);
}

void join_seal_key(const uint8_t server_key[JOIN_SERVER_KEY_LEN],
		   const uint8_t *hello, const uint8_t *challenge,
		   const uint8_t *request, size_t request_len,
		   uint8_t key[32])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, server_key, JOIN_SERVER_KEY_LEN, 32);
	crypto_generichash_update(&st, (const uint8_t *)SEAL_LABEL,
				  sizeof(SEAL_LABEL));
	crypto_generichash_update(&st, hello, JOIN_HELLO_LEN);
	crypto_generichash_update(&st, challenge, JOIN_CHALLENGE_LEN);
	crypto_generichash_update(&st, request, request_len);
	crypto_generichash_final(&st, key, 32);
	sodium_memzero(&st, sizeof(st));
}

int join_seal(const uint8_t key[32], const uint8_t *plain, size_t plain_len,
	      uint8_t *out, size_t cap, size_t *ret_len)
{
	uint8_t *nonce = out + JOIN_HDR_LEN;
	uint8_t *c = nonce + JOIN_SEAL_NONCE_LEN;
	unsigned long long clen;

	if (plain_len > JOIN_MSG_MAX - JOIN_SEALED_OVERHEAD)
		return -EMSGSIZE;
	if (cap < plain_len + JOIN_SEALED_OVERHEAD)
		return -ENOBUFS;
	join_put_hdr(out, JOIN_MSG_SEALED);
	randombytes_buf(nonce, JOIN_SEAL_NONCE_LEN);
	if (crypto_aead_xchacha20poly1305_ietf_encrypt(c, &clen, plain,
						       plain_len, out,
						       JOIN_HDR_LEN, NULL,
						       nonce, key))
		return -EINVAL;
	*ret_len = JOIN_HDR_LEN + JOIN_SEAL_NONCE_LEN + (size_t)clen;
	return 0;
}

int join_open(const uint8_t key[32], const uint8_t *in, size_t len,
	      uint8_t **ret_plain, size_t *ret_plain_len)
{
	const uint8_t *nonce = in + JOIN_HDR_LEN;
	const uint8_t *c = nonce + JOIN_SEAL_NONCE_LEN;
	unsigned long long plen;
	uint8_t *plain;
	size_t n;

	if (len > JOIN_MSG_MAX)
		return -EMSGSIZE;
	if (join_check_hdr(in, len, JOIN_MSG_SEALED) ||
	    len < JOIN_SEALED_OVERHEAD)
		return -EPROTO;
	n = len - JOIN_SEALED_OVERHEAD;
	plain = malloc(n ? n : 1);
	if (!plain)
		return -ENOMEM;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(plain, &plen, NULL, c,
						       n + JOIN_SEAL_TAG_LEN,
						       in, JOIN_HDR_LEN,
						       nonce, key)) {
		free(plain);
		return -EBADMSG;
	}
	*ret_plain = plain;
	*ret_plain_len = (size_t)plen;
	return 0;
}
