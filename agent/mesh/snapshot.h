/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The mesh state as a snapshot: u32 magic "ATMS", u16 version, the
 * state's fields (nodes in ip order, tokens, tombstones, the request
 * window oldest first), then a 32-byte BLAKE2b (crypto_generichash) of
 * everything before it. Restore checks the hash and every invariant of
 * the state and replaces the whole state, or leaves it untouched.
 */
#ifndef ATOM_MESH_SNAPSHOT_H
#define ATOM_MESH_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "mesh/state.h"

#define MESH_SNAP_MAGIC 0x41544d53u	/* "ATMS" */
#define MESH_SNAP_VERSION 1
#define MESH_SNAP_HASH_LEN 32

/* The encoding's size bound for a full state. */
size_t mesh_snapshot_max(void);
/* *ret (malloc) is the caller's to free. */
int mesh_snapshot_encode(const struct mesh_state *s, uint8_t **ret,
			 size_t *ret_len);
/* Decode into s (replacing it) or return -EBADMSG and leave s as it was. */
int mesh_snapshot_decode(struct mesh_state *s, const uint8_t *buf,
			 size_t len);

#endif /* ATOM_MESH_SNAPSHOT_H */
