// SPDX-License-Identifier: GPL-2.0
/*
 * The member's side of the join handshake. See handshake.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "join/wire.h"
#include "util/bytes.h"

/* The request is authentic; the caller decides. */
#define ST_DECIDE (JOIN_ST_DONE + 1)

void join_member_release(struct join_member *m)
{
	if (m)
		sodium_memzero(m, sizeof(*m));
}

int join_member_init(struct join_member *m, uint64_t cluster_id,
		     join_lookup_fn lookup, void *lookup_ctx)
{
	uint8_t seed[crypto_sign_SEEDBYTES];
	uint8_t sk[crypto_sign_SECRETKEYBYTES];
	int ret = 0;

	memset(m, 0, sizeof(*m));
	if (!lookup)
		return -EINVAL;
	m->cluster_id = cluster_id;
	m->lookup = lookup;
	m->lookup_ctx = lookup_ctx;
	/*
	 * A real-looking verifier nobody holds the key of, checked when the
	 * token id is unknown, so that costs what a wrong secret does.
	 * Made for every handshake, so both paths pay for it.
	 */
	randombytes_buf(seed, sizeof(seed));
	if (crypto_sign_seed_keypair(m->dummy, sk, seed))
		ret = -EINVAL;
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(sk, sizeof(sk));
	m->state = ret ? JOIN_ST_DONE : JOIN_ST_STARTED;
	return ret;
}

static int on_hello(struct join_member *m, const uint8_t *in, size_t len,
		    uint8_t *out, size_t cap, size_t *ret_len)
{
	int ret;

	if (len > JOIN_HELLO_LEN)
		return -EMSGSIZE;
	if (len != JOIN_HELLO_LEN || join_check_hdr(in, len, JOIN_MSG_HELLO))
		return -EPROTO;
	if (cap < JOIN_CHALLENGE_LEN)
		return -ENOBUFS;
	memcpy(m->hello, in, JOIN_HELLO_LEN);
	ret = m->lookup(m->lookup_ctx, in + JOIN_HDR_LEN, m->verifier,
			m->server_key);
	if (ret && ret != -ENOENT)
		return ret < 0 ? ret : -EINVAL;
	m->known = !ret;
	if (!m->known) {
		memcpy(m->verifier, m->dummy, sizeof(m->verifier));
		randombytes_buf(m->server_key, sizeof(m->server_key));
	}
	/* Same answer for a known and an unknown id. */
	join_put_hdr(m->challenge, JOIN_MSG_CHALLENGE);
	randombytes_buf(m->challenge + JOIN_HDR_LEN, JOIN_NONCE_LEN);
	put_be64(m->challenge + JOIN_HDR_LEN + JOIN_NONCE_LEN, m->cluster_id);
	memcpy(out, m->challenge, JOIN_CHALLENGE_LEN);
	*ret_len = JOIN_CHALLENGE_LEN;
	m->state = JOIN_ST_WAIT;
	return 0;
}

static int on_request(struct join_member *m, const uint8_t *in, size_t len,
		      uint8_t *out, size_t cap, size_t *ret_len,
		      struct join_request *req)
{
	uint8_t h[JOIN_HASH_LEN];
	size_t body_len;
	int bad, ret;

	ret = join_request_decode(in, len, req, &body_len);
	if (ret)
		return ret;
	if (cap < JOIN_UNAUTHORIZED_LEN)
		return -ENOBUFS;
	join_sig_hash(m->hello, m->challenge, in, body_len, h);
	bad = crypto_sign_verify_detached(in + body_len, h, sizeof(h),
					  m->verifier);
	if (bad || !m->known) {
		memset(req, 0, sizeof(*req));
		join_put_hdr(out, JOIN_MSG_UNAUTHORIZED);
		*ret_len = JOIN_UNAUTHORIZED_LEN;
		return -EACCES;
	}
	memcpy(req->token_id, m->hello + JOIN_HDR_LEN, JOIN_TOKEN_ID_LEN);
	join_seal_key(m->server_key, m->hello, m->challenge, in, len,
		      m->seal_key);
	sodium_memzero(m->server_key, sizeof(m->server_key));
	m->state = ST_DECIDE;
	return JOIN_DONE;
}

int join_member_step(struct join_member *m, const uint8_t *in, size_t len,
		     uint8_t *out, size_t cap, size_t *ret_len,
		     struct join_request *ret_req)
{
	int ret;

	memset(ret_req, 0, sizeof(*ret_req));
	*ret_len = 0;
	if (len > JOIN_MSG_MAX) {
		ret = -EMSGSIZE;
		goto err;
	}
	switch (m->state) {
	case JOIN_ST_STARTED:
		ret = on_hello(m, in, len, out, cap, ret_len);
		break;
	case JOIN_ST_WAIT:
		ret = on_request(m, in, len, out, cap, ret_len, ret_req);
		break;
	default:
		ret = -EINVAL;
		break;
	}
	if (ret >= 0)
		return ret;
err:
	/* -EACCES keeps *ret_len: UNAUTHORIZED is to be sent. */
	if (ret != -EACCES)
		*ret_len = 0;
	join_member_release(m);
	m->state = JOIN_ST_DONE;
	return ret;
}

static int seal_and_finish(struct join_member *m, const uint8_t *plain,
			   size_t plain_len, uint8_t *out, size_t cap,
			   size_t *ret_len)
{
	int ret = -EINVAL;

	*ret_len = 0;
	if (m->state == ST_DECIDE)
		ret = join_seal(m->seal_key, plain, plain_len, out, cap,
				ret_len);
	join_member_release(m);
	m->state = JOIN_ST_DONE;
	return ret;
}

size_t join_sealed_accept_len(size_t members_len)
{
	return JOIN_SEALED_OVERHEAD + JOIN_ACCEPT_FIXED_LEN + members_len;
}

int join_member_accept(struct join_member *m, const struct join_acceptance *acc,
		       uint8_t *out, size_t cap, size_t *ret_len)
{
	size_t plen = JOIN_ACCEPT_FIXED_LEN + acc->members_len;
	uint8_t *plain, *p;
	int ret;

	*ret_len = 0;
	if (acc->members_len > JOIN_MEMBERS_MAX ||
	    (acc->members_len && !acc->members) ||
	    (acc->family != 4 && acc->family != 6) ||
	    acc->cidr_prefix > (acc->family == 4 ? 32 : 128))
		return -EINVAL;
	plain = malloc(plen);
	if (!plain)
		return -ENOMEM;
	p = plain;
	*p++ = JOIN_KIND_ACCEPT;
	put_be64(p, acc->cluster_id);
	p += 8;
	*p++ = acc->family;
	memcpy(p, acc->mesh_ip, 16);
	p += 16;
	memcpy(p, acc->cidr_addr, 16);
	p += 16;
	*p++ = acc->cidr_prefix;
	put_be32(p, (uint32_t)acc->members_len);
	p += 4;
	if (acc->members_len)
		memcpy(p, acc->members, acc->members_len);
	ret = seal_and_finish(m, plain, plen, out, cap, ret_len);
	sodium_memzero(plain, plen);
	free(plain);
	return ret;
}

int join_member_refuse(struct join_member *m, uint16_t reason, uint8_t *out,
		       size_t cap, size_t *ret_len)
{
	uint8_t plain[JOIN_REFUSE_LEN];

	*ret_len = 0;
	if (!reason)
		return -EINVAL;
	plain[0] = JOIN_KIND_REFUSE;
	put_be16(plain + 1, reason);
	return seal_and_finish(m, plain, sizeof(plain), out, cap, ret_len);
}
