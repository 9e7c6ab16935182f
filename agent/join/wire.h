/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal to agent/join: the request codec, the transcript hashes and
 * the seal shared by the joiner and the member.
 */
#ifndef ATOM_JOIN_WIRE_H
#define ATOM_JOIN_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "join/handshake.h"

#define JOIN_HASH_LEN 32
#define JOIN_FLAG_VOTER 0x01
/* First byte of a sealed reply's plaintext. */
#define JOIN_KIND_ACCEPT 1
#define JOIN_KIND_REFUSE 2

/* States shared by both machines. */
enum { JOIN_ST_NONE, JOIN_ST_STARTED, JOIN_ST_WAIT, JOIN_ST_DONE };

void join_put_hdr(uint8_t *out, uint8_t type);
/* 0 if in starts with a header of this type and our version. */
int join_check_hdr(const uint8_t *in, size_t len, uint8_t type);

/* REQUEST without its signature; *ret_len bytes. */
int join_request_encode_body(const struct join_request *req, uint8_t *out,
			     size_t cap, size_t *ret_len);
/*
 * Parse a whole REQUEST: fields into req, the body's length (the bytes
 * signed) into *ret_body_len; the signature follows the body.
 */
int join_request_decode(const uint8_t *in, size_t len,
			struct join_request *req, size_t *ret_body_len);

/* What the joiner signs: a hash of HELLO, CHALLENGE and the body. */
void join_sig_hash(const uint8_t *hello, const uint8_t *challenge,
		   const uint8_t *body, size_t body_len,
		   uint8_t h[JOIN_HASH_LEN]);

/* The reply's key: server key, HELLO, CHALLENGE, the signed REQUEST. */
void join_seal_key(const uint8_t server_key[JOIN_SERVER_KEY_LEN],
		   const uint8_t *hello, const uint8_t *challenge,
		   const uint8_t *request, size_t request_len,
		   uint8_t key[32]);

int join_seal(const uint8_t key[32], const uint8_t *plain, size_t plain_len,
	      uint8_t *out, size_t cap, size_t *ret_len);
/* Open a SEALED message into a new buffer (free with sodium_memzero). */
int join_open(const uint8_t key[32], const uint8_t *in, size_t len,
	      uint8_t **ret_plain, size_t *ret_plain_len);

#endif /* ATOM_JOIN_WIRE_H */
