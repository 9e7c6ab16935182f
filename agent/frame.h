/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Frames on atom's TCP connections (raft, mesh RPC):
 *
 *   u32 length   bytes after this field: 4 + payload (big endian)
 *   u8  version  FRAME_VERSION; a receiver closes on a version it lacks
 *   u8  type     enum frame_type
 *   u16 flags    0 (reserved; must be zero)
 *   payload
 *
 * Pure encoding and decoding, no I/O.
 */
#ifndef ATOM_FRAME_H
#define ATOM_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define FRAME_VERSION		1
#define FRAME_HEADER_LEN	8
/* The largest payload anyone may send (a snapshot chunk is 1 MiB). */
#define FRAME_MAX_PAYLOAD	(4u << 20)

enum frame_type {
	FRAME_HELLO = 1,	/* u64 sender node id, u64 cluster id */
	FRAME_RAFT = 2,		/* one raft message */
	FRAME_RPC = 3,		/* one mesh RPC request or reply */
	FRAME_JOIN = 4,		/* one join handshake message (join/handshake.h) */
	__FRAME_TYPE_MAX
};

#define FRAME_HELLO_LEN 16

struct frame_header {
	uint8_t version;
	uint8_t type;
	uint32_t payload_len;
};

/* Write the header for a payload of len bytes into out[FRAME_HEADER_LEN]. */
int frame_header_encode(uint8_t *out, uint8_t type, size_t len);

/*
 * Decode a header from in[FRAME_HEADER_LEN], checking it against
 * max_payload: -EMSGSIZE when too long, -EPROTO for a bad version,
 * type or flags.
 */
int frame_header_decode(const uint8_t *in, uint32_t max_payload,
			struct frame_header *ret_hdr);

void frame_hello_encode(uint8_t *out, uint64_t node_id, uint64_t cluster_id);
int frame_hello_decode(const uint8_t *in, size_t len, uint64_t *ret_node_id,
		       uint64_t *ret_cluster_id);

#endif /* ATOM_FRAME_H */
