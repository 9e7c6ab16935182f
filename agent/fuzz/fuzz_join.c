// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: bytes from the join port never crash the member or the
 * joiner, never read past what they were given, never leak.
 *
 * Input: one mode byte, then messages as u16 length (big endian) and
 * bytes.
 *   0  member: each message fed to join_member_step; an authentic
 *      request (the corpus holds one) is answered with the rest
 *   1  joiner: after a real HELLO, each message to join_joiner_step
 *   2  joiner: a real exchange, then the rest sealed under the right
 *      key, so the acceptance decoder sees arbitrary plaintext
 *   3  evicted: PROBE decode and EVICTED verify
 * Randomness is a fixed stream, reset per input, so runs repeat and a
 * seed can carry a valid signature for the member's challenge.
 *
 * Built with -DFUZZ_JOIN_SEEDS and a main, it writes such seeds.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "fuzz.h"
#include "join/evicted.h"
#include "join/handshake.h"
#include "join/token.h"
#include "join/wire.h"
#include "util/bytes.h"

#define CLUSTER_ID 42

static uint64_t rng_state;

static const char *rng_name(void)
{
	return "fuzz";
}

static uint32_t rng_random(void)
{
	/* splitmix64: deterministic, good enough to be varied. */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (uint32_t)(z ^ (z >> 31));
}

static void rng_stir(void)
{
}

static void rng_buf(void *const buf, const size_t size)
{
	uint8_t *p = buf;
	size_t i;

	for (i = 0; i < size; i++)
		p[i] = (uint8_t)rng_random();
}

static struct randombytes_implementation rng = {
	.implementation_name = rng_name,
	.random = rng_random,
	.stir = rng_stir,
	.buf = rng_buf,
};

static struct join_token token;
static uint8_t verifier[JOIN_VERIFIER_LEN], server_key[JOIN_SERVER_KEY_LEN];
static uint8_t out[JOIN_MSG_MAX];

static int lookup(void *ctx, const uint8_t id[JOIN_TOKEN_ID_LEN],
		  uint8_t v[JOIN_VERIFIER_LEN], uint8_t k[JOIN_SERVER_KEY_LEN])
{
	(void)ctx;
	if (memcmp(id, token.id, JOIN_TOKEN_ID_LEN))
		return -ENOENT;
	memcpy(v, verifier, JOIN_VERIFIER_LEN);
	memcpy(k, server_key, JOIN_SERVER_KEY_LEN);
	return 0;
}

static void init(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	randombytes_set_implementation(&rng);
	if (sodium_init() < 0)
		abort();
	memset(token.id, 0x11, sizeof(token.id));
	memset(token.secret, 0x22, sizeof(token.secret));
	if (join_token_derive(&token, verifier, server_key))
		abort();
}

static void fill_request(struct join_request *req)
{
	memset(req, 0, sizeof(*req));
	strcpy(req->name, "fuzz");
	memset(req->wg_key, 0x33, sizeof(req->wg_key));
	req->wg_port = 51820;
	req->join_port = 7700;
	req->raft_port = 7000;
	req->rpc_port = 7001;
}

/* Next message of the input; 0 at the end. An exact copy for ASan. */
static int next_msg(const uint8_t **p, const uint8_t *end, uint8_t **msg,
		    size_t *len)
{
	if (end - *p < 2)
		return 0;
	*len = get_be16(*p);
	*p += 2;
	if (*len > (size_t)(end - *p))
		*len = (size_t)(end - *p);
	*msg = malloc(*len ? *len : 1);
	if (!*msg)
		return 0;
	memcpy(*msg, *p, *len);
	*p += *len;
	return 1;
}

static void fuzz_member(const uint8_t *p, const uint8_t *end)
{
	struct join_acceptance acc = { .cluster_id = CLUSTER_ID, .family = 4,
				       .cidr_prefix = 24 };
	struct join_request req;
	struct join_member m;
	size_t len, olen;
	uint8_t *msg;
	int ret = 0;

	join_member_init(&m, CLUSTER_ID, lookup, NULL);
	while (ret == 0 && next_msg(&p, end, &msg, &len)) {
		ret = join_member_step(&m, msg, len, out, sizeof(out), &olen,
				       &req);
		free(msg);
	}
	if (ret == JOIN_DONE) {
		acc.members = p;
		acc.members_len = (size_t)(end - p);
		if (acc.members_len & 1)
			join_member_accept(&m, &acc, out, sizeof(out), &olen);
		else
			join_member_refuse(&m, (uint16_t)acc.members_len, out,
					   sizeof(out), &olen);
	}
	join_member_release(&m);
}

static void fuzz_joiner(const uint8_t *p, const uint8_t *end)
{
	struct join_outcome o = { 0 };
	struct join_request req;
	struct join_joiner j;
	size_t len, olen;
	uint8_t *msg;
	int ret;

	fill_request(&req);
	ret = join_joiner_init(&j, &token, &req, out, sizeof(out), &olen);
	while (ret == 0 && next_msg(&p, end, &msg, &len)) {
		ret = join_joiner_step(&j, msg, len, out, sizeof(out), &olen,
				       &o);
		free(msg);
	}
	join_outcome_release(&o);
	join_joiner_release(&j);
}

static void fuzz_accept(const uint8_t *p, const uint8_t *end)
{
	uint8_t hello[JOIN_HELLO_LEN], chal[JOIN_CHALLENGE_LEN];
	uint8_t request[JOIN_REQUEST_MAX], *sealed;
	struct join_outcome o = { 0 };
	struct join_request req;
	struct join_joiner j;
	struct join_member m;
	size_t len, n;

	fill_request(&req);
	if (join_joiner_init(&j, &token, &req, hello, sizeof(hello), &len) ||
	    join_member_init(&m, CLUSTER_ID, lookup, NULL) ||
	    join_member_step(&m, hello, len, chal, sizeof(chal), &len, &req) ||
	    join_joiner_step(&j, chal, len, request, sizeof(request), &len,
			     &o) ||
	    join_member_step(&m, request, len, out, sizeof(out), &n, &req) !=
	    JOIN_DONE)
		abort();	/* the real exchange must work */
	n = (size_t)(end - p);
	sealed = malloc(n + JOIN_SEALED_OVERHEAD);
	if (sealed && !join_seal(m.seal_key, p, n, sealed,
				 n + JOIN_SEALED_OVERHEAD, &len)) {
		if (join_joiner_step(&j, sealed, len, NULL, 0, &n, &o) ==
		    JOIN_DONE && !o.refusal && o.acc.members_len &&
		    o.acc.members[o.acc.members_len - 1] == 0xff)
			rng_stir();	/* touch the last byte */
	}
	free(sealed);
	join_outcome_release(&o);
	join_joiner_release(&j);
	join_member_release(&m);
}

static void fuzz_evicted(const uint8_t *p, const uint8_t *end)
{
	uint8_t members[1][JOIN_WG_KEY_LEN], priv[JOIN_WG_KEY_LEN];
	uint8_t pub[JOIN_WG_KEY_LEN], nonce[JOIN_NONCE_LEN];
	size_t len;
	uint8_t *msg;

	memset(priv, 0x44, sizeof(priv));
	memset(nonce, 0x55, sizeof(nonce));
	memset(members[0], 0x66, sizeof(members[0]));
	while (next_msg(&p, end, &msg, &len)) {
		join_probe_decode(msg, len, pub, nonce);
		join_evicted_verify(priv, nonce, members[0], 1, msg, len);
		free(msg);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *end = data + size;

	init();
	rng_state = 0;
	if (!size)
		return 0;
	switch (data[0] & 3) {
	case 0:
		fuzz_member(data + 1, end);
		break;
	case 1:
		fuzz_joiner(data + 1, end);
		break;
	case 2:
		fuzz_accept(data + 1, end);
		break;
	default:
		fuzz_evicted(data + 1, end);
		break;
	}
	return 0;
}

#ifdef FUZZ_JOIN_SEEDS
static void put_msg(FILE *f, const uint8_t *msg, size_t len)
{
	uint8_t l[2];

	put_be16(l, (uint16_t)len);
	fwrite(l, 1, 2, f);
	fwrite(msg, 1, len, f);
}

/* A seed the member admits: HELLO and a REQUEST signed for its nonce. */
static void seed_member(FILE *f, const char *tail)
{
	uint8_t hello[JOIN_HELLO_LEN], chal[JOIN_CHALLENGE_LEN];
	uint8_t request[JOIN_REQUEST_MAX], h[JOIN_HASH_LEN];
	struct join_request req;
	struct join_member m;
	size_t len, body;

	rng_state = 0;
	join_member_init(&m, CLUSTER_ID, lookup, NULL);
	join_put_hdr(hello, JOIN_MSG_HELLO);
	memcpy(hello + JOIN_HDR_LEN, token.id, JOIN_TOKEN_ID_LEN);
	memset(hello + JOIN_HDR_LEN + JOIN_TOKEN_ID_LEN, 0x77, JOIN_NONCE_LEN);
	if (join_member_step(&m, hello, sizeof(hello), chal, sizeof(chal),
			     &len, &req))
		abort();
	fill_request(&req);
	join_request_encode_body(&req, request, sizeof(request), &body);
	join_sig_hash(hello, chal, request, body, h);
	join_token_sign(&token, h, sizeof(h), request + body);
	if (join_member_step(&m, request, body + JOIN_SIG_LEN, out,
			     sizeof(out), &len, &req) != JOIN_DONE)
		abort();
	join_member_release(&m);
	fputc(0, f);
	put_msg(f, hello, sizeof(hello));
	put_msg(f, request, body + JOIN_SIG_LEN);
	fputs(tail, f);
}

static FILE *seed_file(const char *dir, const char *name)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f)
		abort();
	return f;
}

int main(int argc, char **argv)
{
	static const uint8_t accept[] = {
		JOIN_KIND_ACCEPT, 0, 0, 0, 0, 0, 0, 0, CLUSTER_ID, 4,
		10, 42, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		10, 42, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		24, 0, 0, 0, 3, 'a', 'b', 'c',
	};
	static const uint8_t refuse[] = { JOIN_KIND_REFUSE, 0, 3 };
	static const uint8_t unauth[] = { JOIN_MSG_UNAUTHORIZED, JOIN_VERSION };
	uint8_t probe[JOIN_PROBE_LEN], nonce[JOIN_NONCE_LEN];
	FILE *f;

	if (argc != 2)
		return 2;
	init();
	f = seed_file(argv[1], "member-accept");
	seed_member(f, "members");
	fclose(f);
	f = seed_file(argv[1], "member-refuse");
	seed_member(f, "xx");
	fclose(f);
	f = seed_file(argv[1], "joiner-unauthorized");
	fputc(1, f);
	put_msg(f, unauth, sizeof(unauth));
	fclose(f);
	f = seed_file(argv[1], "accept-plain");
	fputc(2, f);
	fwrite(accept, 1, sizeof(accept), f);
	fclose(f);
	f = seed_file(argv[1], "refuse-plain");
	fputc(2, f);
	fwrite(refuse, 1, sizeof(refuse), f);
	fclose(f);
	f = seed_file(argv[1], "probe");
	fputc(3, f);
	join_probe_encode(verifier, nonce, probe);
	put_msg(f, probe, sizeof(probe));
	fclose(f);
	return 0;
}
#endif
