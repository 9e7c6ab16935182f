/* SPDX-License-Identifier: GPL-2.0 */
/*
 * "You were evicted", told to a node that was down (design §9).
 *
 *   node                                         member
 *   PROBE    version, node key, nonce_n     ->
 *         <- EVICTED  version, member key, nonce_m, MAC
 *
 * The MAC is keyed by the X25519 secret between the member's and the
 * node's WireGuard keys (static-static: only those two can compute it)
 * and covers both nonces, both public keys and the word "evicted". The
 * node accepts it only from a key it knows as a member and only for
 * the nonce it just sent, so a forged or replayed reply fails; only
 * then may it wipe itself. Pure code: keys and nonces come from the
 * caller or libsodium's randombytes.
 */
#ifndef ATOM_JOIN_EVICTED_H
#define ATOM_JOIN_EVICTED_H

#include <stddef.h>
#include <stdint.h>

#include "join/handshake.h"

#define JOIN_PROBE_LEN		(JOIN_HDR_LEN + JOIN_WG_KEY_LEN + JOIN_NONCE_LEN)
#define JOIN_EVICTED_MAC_LEN	32
#define JOIN_EVICTED_LEN	(JOIN_HDR_LEN + JOIN_WG_KEY_LEN + \
				 JOIN_NONCE_LEN + JOIN_EVICTED_MAC_LEN)

/* Node: a fresh nonce_n and PROBE (JOIN_PROBE_LEN bytes) into out. */
void join_probe_encode(const uint8_t node_pub[JOIN_WG_KEY_LEN],
		       uint8_t nonce_n[JOIN_NONCE_LEN],
		       uint8_t out[JOIN_PROBE_LEN]);

/* Member: the node's key and nonce from a PROBE; -EPROTO, -EMSGSIZE. */
int join_probe_decode(const uint8_t *in, size_t len,
		      uint8_t node_pub[JOIN_WG_KEY_LEN],
		      uint8_t nonce_n[JOIN_NONCE_LEN]);

/*
 * Member, once its state says node_pub is evicted: EVICTED into out.
 * -EINVAL if the keys give no shared secret (a low-order node key).
 */
int join_evicted_encode(const uint8_t member_priv[JOIN_WG_KEY_LEN],
			const uint8_t node_pub[JOIN_WG_KEY_LEN],
			const uint8_t nonce_n[JOIN_NONCE_LEN],
			uint8_t out[JOIN_EVICTED_LEN]);

/*
 * Node: 0 only if in is an EVICTED for this node and nonce_n, MACed by
 * one of the n member keys it knows (its last view of the state), given
 * as n * JOIN_WG_KEY_LEN bytes.
 * -EACCES for a MAC that does not verify or an unknown member key,
 * -EPROTO or -EMSGSIZE for a malformed message.
 */
int join_evicted_verify(const uint8_t node_priv[JOIN_WG_KEY_LEN],
			const uint8_t nonce_n[JOIN_NONCE_LEN],
			const uint8_t *members, size_t n,
			const uint8_t *in, size_t len);

#endif /* ATOM_JOIN_EVICTED_H */
