// SPDX-License-Identifier: GPL-2.0
/*
 * The joiner's side of the join handshake. See handshake.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "join/wire.h"
#include "util/bytes.h"

void join_outcome_release(struct join_outcome *o)
{
	if (!o)
		return;
	if (o->buf) {
		sodium_memzero(o->buf, o->buf_len);
		free(o->buf);
	}
	memset(o, 0, sizeof(*o));
}

void join_joiner_release(struct join_joiner *j)
{
	if (j)
		sodium_memzero(j, sizeof(*j));
}

int join_joiner_init(struct join_joiner *j, const struct join_token *t,
		     const struct join_request *req, uint8_t *out, size_t cap,
		     size_t *ret_len)
{
	memset(j, 0, sizeof(*j));
	if (join_request_check(req))
		return -EINVAL;
	if (cap < JOIN_HELLO_LEN)
		return -ENOBUFS;
	j->token = *t;
	j->req = *req;
	memcpy(j->req.token_id, t->id, JOIN_TOKEN_ID_LEN);
	join_put_hdr(j->hello, JOIN_MSG_HELLO);
	memcpy(j->hello + JOIN_HDR_LEN, t->id, JOIN_TOKEN_ID_LEN);
	randombytes_buf(j->hello + JOIN_HDR_LEN + JOIN_TOKEN_ID_LEN,
			JOIN_NONCE_LEN);
	memcpy(out, j->hello, JOIN_HELLO_LEN);
	*ret_len = JOIN_HELLO_LEN;
	j->state = JOIN_ST_STARTED;
	return 0;
}

/* CHALLENGE in, REQUEST out. */
static int on_challenge(struct join_joiner *j, const uint8_t *in, size_t len,
			uint8_t *out, size_t cap, size_t *ret_len)
{
	uint8_t verifier[JOIN_VERIFIER_LEN], server_key[JOIN_SERVER_KEY_LEN];
	uint8_t h[JOIN_HASH_LEN];
	size_t body_len;
	int ret;

	if (len > JOIN_CHALLENGE_LEN)
		return -EMSGSIZE;
	if (len != JOIN_CHALLENGE_LEN ||
	    join_check_hdr(in, len, JOIN_MSG_CHALLENGE))
		return -EPROTO;
	memcpy(j->challenge, in, JOIN_CHALLENGE_LEN);
	j->cluster_id = get_be64(in + JOIN_HDR_LEN + JOIN_NONCE_LEN);
	ret = join_request_encode_body(&j->req, out, cap, &body_len);
	if (ret)
		return ret;
	if (cap - body_len < JOIN_SIG_LEN)
		return -ENOBUFS;
	join_sig_hash(j->hello, j->challenge, out, body_len, h);
	ret = join_token_sign(&j->token, h, sizeof(h), out + body_len);
	if (ret)
		return ret;
	*ret_len = body_len + JOIN_SIG_LEN;

	/* The member answers under a key only the server key gives. */
	ret = join_token_derive(&j->token, verifier, server_key);
	if (!ret)
		join_seal_key(server_key, j->hello, j->challenge, out,
			      *ret_len, j->seal_key);
	sodium_memzero(server_key, sizeof(server_key));
	/* The secret is not needed any more. */
	join_token_wipe(&j->token);
	if (ret)
		return ret;
	j->state = JOIN_ST_WAIT;
	return 0;
}

static int decode_accept(const struct join_joiner *j, uint8_t *plain,
			 size_t len, struct join_outcome *ret)
{
	struct join_acceptance *acc = &ret->acc;
	const uint8_t *p = plain + 1;
	uint32_t n;
	size_t i;

	if (len < JOIN_ACCEPT_FIXED_LEN)
		return -EPROTO;
	acc->cluster_id = get_be64(p);
	p += 8;
	acc->family = *p++;
	memcpy(acc->mesh_ip, p, 16);
	p += 16;
	memcpy(acc->cidr_addr, p, 16);
	p += 16;
	acc->cidr_prefix = *p++;
	n = get_be32(p);
	p += 4;
	if (acc->cluster_id != j->cluster_id ||
	    (acc->family != 4 && acc->family != 6) ||
	    acc->cidr_prefix > (acc->family == 4 ? 32 : 128) ||
	    n > JOIN_MEMBERS_MAX || n != len - JOIN_ACCEPT_FIXED_LEN)
		return -EPROTO;
	if (acc->family == 4) {
		for (i = 4; i < 16; i++)
			if (acc->mesh_ip[i] || acc->cidr_addr[i])
				return -EPROTO;
	}
	acc->members = n ? p : NULL;
	acc->members_len = n;
	return 0;
}

/* SEALED in: accepted or refused, authenticated. */
static int on_sealed(struct join_joiner *j, const uint8_t *in, size_t len,
		     struct join_outcome *ret)
{
	uint8_t *plain = NULL;
	size_t plen = 0;
	int err;

	err = join_open(j->seal_key, in, len, &plain, &plen);
	if (err)
		return err;
	err = -EPROTO;
	if (plen == JOIN_REFUSE_LEN && plain[0] == JOIN_KIND_REFUSE) {
		ret->refusal = get_be16(plain + 1);
		if (!ret->refusal)
			goto err;
		sodium_memzero(plain, plen);
		free(plain);
		return JOIN_DONE;
	}
	if (!plen || plain[0] != JOIN_KIND_ACCEPT)
		goto err;
	err = decode_accept(j, plain, plen, ret);
	if (err)
		goto err;
	ret->buf = plain;
	ret->buf_len = plen;
	return JOIN_DONE;
err:
	sodium_memzero(plain, plen);
	free(plain);
	memset(ret, 0, sizeof(*ret));
	return err;
}

int join_joiner_step(struct join_joiner *j, const uint8_t *in, size_t len,
		     uint8_t *out, size_t cap, size_t *ret_len,
		     struct join_outcome *ret)
{
	int err = -EPROTO;

	memset(ret, 0, sizeof(*ret));
	*ret_len = 0;
	if (len > JOIN_MSG_MAX) {
		err = -EMSGSIZE;
		goto done;
	}
	if (len == JOIN_UNAUTHORIZED_LEN &&
	    !join_check_hdr(in, len, JOIN_MSG_UNAUTHORIZED) &&
	    (j->state == JOIN_ST_STARTED || j->state == JOIN_ST_WAIT)) {
		err = -EACCES;
		goto done;
	}
	switch (j->state) {
	case JOIN_ST_STARTED:
		err = on_challenge(j, in, len, out, cap, ret_len);
		if (!err)
			return 0;
		break;
	case JOIN_ST_WAIT:
		err = on_sealed(j, in, len, ret);
		break;
	default:
		err = -EINVAL;
		break;
	}
done:
	/* Over, one way or the other: keep nothing secret around. */
	*ret_len = err ? 0 : *ret_len;
	join_joiner_release(j);
	j->state = JOIN_ST_DONE;
	return err;
}
