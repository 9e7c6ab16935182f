/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The join handshake (design §4) as two pure state machines over whole
 * messages; the caller frames them on the join port, owns the socket
 * and the deadline, and proposes the join to Raft.
 *
 *   joiner                                   member
 *   HELLO      version, token id, nonce_j  ->
 *           <- CHALLENGE  version, nonce_m, cluster id
 *   REQUEST    name, WireGuard key, ports,
 *              endpoint, voter, signature  ->   verify, hand to caller
 *           <- SEALED     ACCEPT or REFUSE(reason), encrypted
 *           <- UNAUTHORIZED                     (unknown id or bad signature)
 *
 * The joiner signs, with the private key derived from the token secret,
 * a hash of HELLO, CHALLENGE and the request fields: a recorded REQUEST
 * does not verify against another challenge and a changed field does
 * not verify at all. The reply is sealed (XChaCha20-Poly1305) under a
 * key hashed from the server key and the whole transcript, so only a
 * holder of the server key can produce one and only for this exchange.
 *
 * An unknown token id costs the member what a wrong secret does (a
 * signature check against a dummy verifier) and yields the same
 * UNAUTHORIZED message, before anything is encrypted.
 *
 * Every message starts with u8 type, u8 version (JOIN_VERSION). Integers
 * are big endian. Callers call sodium_init() once at start-up.
 */
#ifndef ATOM_JOIN_HANDSHAKE_H
#define ATOM_JOIN_HANDSHAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "join/token.h"

#define JOIN_VERSION		1
#define JOIN_NONCE_LEN		32
#define JOIN_WG_KEY_LEN		32
#define JOIN_NAME_MAX		63	/* as config's node.name */
#define JOIN_ENDPOINT_MAX	255	/* as config's network.endpoint */
#define JOIN_MEMBERS_MAX	(1u << 20)	/* the opaque member list */

enum join_msg_type {
	JOIN_MSG_HELLO = 1,
	JOIN_MSG_CHALLENGE = 2,
	JOIN_MSG_REQUEST = 3,
	JOIN_MSG_SEALED = 4,
	JOIN_MSG_UNAUTHORIZED = 5,
	JOIN_MSG_PROBE = 6,		/* evicted.h */
	JOIN_MSG_EVICTED = 7,		/* evicted.h */
	__JOIN_MSG_MAX
};

#define JOIN_HDR_LEN		2
#define JOIN_HELLO_LEN		(JOIN_HDR_LEN + JOIN_TOKEN_ID_LEN + JOIN_NONCE_LEN)
#define JOIN_CHALLENGE_LEN	(JOIN_HDR_LEN + JOIN_NONCE_LEN + 8)
/* wg key, 4 ports, flags, name and endpoint with u8 lengths, signature */
#define JOIN_REQUEST_MAX	(JOIN_HDR_LEN + JOIN_WG_KEY_LEN + 8 + 1 + \
				 1 + JOIN_NAME_MAX + 1 + JOIN_ENDPOINT_MAX + \
				 JOIN_SIG_LEN)
#define JOIN_UNAUTHORIZED_LEN	JOIN_HDR_LEN
/* kind, cluster id, family, mesh ip, cidr address and prefix, list length */
#define JOIN_ACCEPT_FIXED_LEN	(1 + 8 + 1 + 16 + 16 + 1 + 4)
#define JOIN_REFUSE_LEN		(1 + 2)
#define JOIN_SEAL_NONCE_LEN	24
#define JOIN_SEAL_TAG_LEN	16
#define JOIN_SEALED_OVERHEAD	(JOIN_HDR_LEN + JOIN_SEAL_NONCE_LEN + \
				 JOIN_SEAL_TAG_LEN)
/* The largest message of the handshake, in either direction. */
#define JOIN_MSG_MAX		(JOIN_SEALED_OVERHEAD + JOIN_ACCEPT_FIXED_LEN + \
				 JOIN_MEMBERS_MAX)

/* Why an authenticated joiner was refused; only ever appended to. */
enum join_refusal {
	JOIN_REFUSE_EXPIRED = 1,
	JOIN_REFUSE_EXHAUSTED = 2,	/* no uses left */
	JOIN_REFUSE_REVOKED = 3,
	JOIN_REFUSE_NAME_TAKEN = 4,
	JOIN_REFUSE_KEY_TAKEN = 5,
	JOIN_REFUSE_KEY_EVICTED = 6,	/* tombstoned */
	JOIN_REFUSE_CIDR_FULL = 7,
	JOIN_REFUSE_UNAVAILABLE = 8,	/* no leader or quorum: retry later */
	JOIN_REFUSE_BAD_REQUEST = 9,
	__JOIN_REFUSE_MAX
};

const char *join_refusal_str(uint16_t reason);

/* What a joiner asks for. An empty endpoint means "use what you see". */
struct join_request {
	uint8_t token_id[JOIN_TOKEN_ID_LEN];	/* set by the member */
	char name[JOIN_NAME_MAX + 1];
	uint8_t wg_key[JOIN_WG_KEY_LEN];	/* public */
	char endpoint[JOIN_ENDPOINT_MAX + 1];
	uint16_t wg_port;
	uint16_t join_port;
	uint16_t raft_port;
	uint16_t rpc_port;
	bool voter;				/* eligible to vote */
};

/* 0 if the fields are within bounds (name as config's node.name). */
int join_request_check(const struct join_request *req);

/*
 * What an accepted joiner gets. Addresses are 16 bytes; for family 4
 * the first 4 are used and the rest are zero. members is opaque here.
 */
struct join_acceptance {
	uint64_t cluster_id;
	uint8_t family;			/* 4 or 6 */
	uint8_t mesh_ip[16];
	uint8_t cidr_addr[16];
	uint8_t cidr_prefix;
	const uint8_t *members;
	size_t members_len;		/* <= JOIN_MEMBERS_MAX */
};

/* What a joiner learns once the member's reply opened. */
struct join_outcome {
	uint16_t refusal;		/* 0: accepted, else enum join_refusal */
	struct join_acceptance acc;	/* when accepted */
	uint8_t *buf;			/* owns acc.members */
	size_t buf_len;
};

void join_outcome_release(struct join_outcome *o);

/* Return of a step that finished the exchange (not an error). */
#define JOIN_DONE 1

/* Joiner. Holds the token (and so the secret) until released. */
struct join_joiner {
	int state;
	struct join_token token;
	struct join_request req;
	uint64_t cluster_id;
	uint8_t hello[JOIN_HELLO_LEN];
	uint8_t challenge[JOIN_CHALLENGE_LEN];
	uint8_t seal_key[32];
};

/*
 * Start: check req, copy the token and write HELLO to out (cap bytes;
 * JOIN_HELLO_LEN needed). -EINVAL for a bad request, -ENOBUFS for a
 * short out.
 */
int join_joiner_init(struct join_joiner *j, const struct join_token *t,
		     const struct join_request *req, uint8_t *out, size_t cap,
		     size_t *ret_len);

/*
 * Feed one message from the member.
 *   0          out holds REQUEST (*ret_len bytes): send it
 *   JOIN_DONE  the reply opened: *ret says accepted or why refused
 *   -EACCES    UNAUTHORIZED: unknown token id or wrong secret
 *   -EBADMSG   a sealed reply that does not open (forged, replayed)
 *   -EPROTO    malformed or unexpected; -EMSGSIZE too long
 * Every error ends the exchange; so does JOIN_DONE.
 */
int join_joiner_step(struct join_joiner *j, const uint8_t *in, size_t len,
		     uint8_t *out, size_t cap, size_t *ret_len,
		     struct join_outcome *ret);

/* Wipe everything, the token first. Safe on a zeroed or NULL struct. */
void join_joiner_release(struct join_joiner *j);

/*
 * The member's view of the state: fill the verifier and server key of
 * the token with this id and return 0, or -ENOENT when there is none.
 * A revoked or used-up token that is still in the state is found: the
 * joiner then learns the reason, authenticated.
 */
typedef int (*join_lookup_fn)(void *ctx, const uint8_t id[JOIN_TOKEN_ID_LEN],
			      uint8_t verifier[JOIN_VERIFIER_LEN],
			      uint8_t server_key[JOIN_SERVER_KEY_LEN]);

struct join_member {
	int state;
	bool known;
	uint64_t cluster_id;
	join_lookup_fn lookup;
	void *lookup_ctx;
	uint8_t hello[JOIN_HELLO_LEN];
	uint8_t challenge[JOIN_CHALLENGE_LEN];
	uint8_t verifier[JOIN_VERIFIER_LEN];
	uint8_t server_key[JOIN_SERVER_KEY_LEN];
	uint8_t dummy[JOIN_VERIFIER_LEN];
	uint8_t seal_key[32];
};

/*
 * One per connection. m holds the token's server key once HELLO is in:
 * call join_member_release on every path (the steps do it themselves
 * when they end the exchange).
 */
int join_member_init(struct join_member *m, uint64_t cluster_id,
		     join_lookup_fn lookup, void *lookup_ctx);

/*
 * Feed one message from the joiner.
 *   0          out holds CHALLENGE: send it
 *   JOIN_DONE  the request is authentic: *ret_req holds it (token id
 *              included); decide, then join_member_accept/_refuse
 *   -EACCES    out holds UNAUTHORIZED: send it and close
 *   -EPROTO, -EMSGSIZE   malformed or too long: close
 *   other      the lookup's error: close
 */
int join_member_step(struct join_member *m, const uint8_t *in, size_t len,
		     uint8_t *out, size_t cap, size_t *ret_len,
		     struct join_request *ret_req);

/*
 * Seal the answer into out (join_sealed_accept_len or JOIN_MSG_MAX
 * bytes); then the exchange is over. -EINVAL for an acceptance out of
 * bounds or a zero reason (the exchange stays open), -EINVAL also when
 * no authentic request is pending.
 */
int join_member_accept(struct join_member *m, const struct join_acceptance *acc,
		       uint8_t *out, size_t cap, size_t *ret_len);
int join_member_refuse(struct join_member *m, uint16_t reason, uint8_t *out,
		       size_t cap, size_t *ret_len);

/* Bytes join_member_accept writes for a member list of n bytes. */
size_t join_sealed_accept_len(size_t members_len);

void join_member_release(struct join_member *m);

#endif /* ATOM_JOIN_HANDSHAKE_H */
