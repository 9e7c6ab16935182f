/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The member list an accepted joiner gets (the opaque `members` of
 * struct join_acceptance): everything it needs to build its peer set at
 * once. Pure codec, bounded:
 *
 *   u8 version (JOIN_MEMBERS_VERSION), u16 count (<= JOIN_PEERS_MAX),
 *   then per member: u8 name length (1..63), name, u32 mesh IPv4 (host
 *   order value, big endian), 32-byte WireGuard key, endpoint (as the
 *   mesh command codec: u8 family 0/4/6, address, u16 port), u16
 *   WireGuard port.
 *
 * Decode consumes exactly the input and refuses anything else.
 */
#ifndef ATOM_JOIN_MEMBERS_H
#define ATOM_JOIN_MEMBERS_H

#include <stddef.h>
#include <stdint.h>

#include "mesh/state.h"

#define JOIN_MEMBERS_VERSION	1
#define JOIN_PEERS_MAX		MESH_NODES_MAX

struct join_peer {
	char name[MESH_NAME_MAX + 1];
	uint32_t ip;
	uint8_t key[MESH_KEY_LEN];
	struct mesh_endpoint endpoint;
	uint16_t wg_port;
};

/* *ret is the caller's to free. -EINVAL for a member decode would refuse. */
int join_members_encode(const struct join_peer *p, size_t n, uint8_t **ret,
			size_t *ret_len);
/* *ret (n entries) is the caller's to free. -EBADMSG when malformed. */
int join_members_decode(const uint8_t *buf, size_t len, struct join_peer **ret,
			size_t *ret_n);

#endif /* ATOM_JOIN_MEMBERS_H */
