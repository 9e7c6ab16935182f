/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The log store's record framing (pure, no I/O). Little endian, 8-byte
 * aligned:
 *
 *   u32 type   magic (high 16 bits) | entry type << 8 | record kind
 *   u32 len    payload bytes, bounded per kind
 *   u64 index
 *   u64 term
 *   payload[len], zero padding
 *   u32 crc32c of everything before it, in the last 4 bytes
 *
 * A batch is records closed by two identical COMMITs (either will do, so
 * one flipped bit in the last batch is not taken for a torn write) whose
 * payload is the CRC32C of the batch's records' own CRCs (4 bytes each,
 * in order: a CRC over whole CRC-terminated records would be a constant)
 * and their count. A segment starts with a batch of SEGMENT, HARDSTATE,
 * MARKER, COMMIT, COMMIT.
 */
#ifndef ATOM_RAFT_STORE_REC_H
#define ATOM_RAFT_STORE_REC_H

#include <stddef.h>
#include <stdint.h>

#define SREC_MAGIC	0xa70a0000u
#define SREC_HDR	24u
#define SREC_VERSION	1u

enum srec_kind {
	SREC_SEGMENT = 1,	/* index: first index; u32 version, u32 0, u64 seq */
	SREC_HARDSTATE = 2,	/* u64 term, u64 vote, u64 commit */
	SREC_ENTRY = 3,		/* index, term; payload: the entry's data */
	SREC_MARKER = 4,	/* snapshot index, term; u32 flags, u32 0 */
	SREC_COMMIT = 5,	/* u32 crc32c of the batch's CRCs, u32 records */
};

/* MARKER flags: the log restarts after the snapshot (else keeps later). */
#define SREC_MARKER_RESET 0x1u

#define SREC_SEGMENT_LEN	16u
#define SREC_HARDSTATE_LEN	24u
#define SREC_MARKER_LEN		8u
#define SREC_COMMIT_LEN		8u

struct srec {
	uint8_t kind;		/* enum srec_kind */
	uint8_t etype;		/* ENTRY only: enum raft_entry_type */
	uint32_t len;
	uint64_t index;
	uint64_t term;
	const uint8_t *payload;
	size_t size;		/* bytes the record takes on disk */
};

/* Bytes a record with a len-byte payload takes. */
size_t srec_size(uint32_t len);

/* Encode into buf (srec_size(len) bytes); returns the size. */
size_t srec_put(uint8_t *buf, uint8_t kind, uint8_t etype, uint64_t index,
		uint64_t term, const void *payload, uint32_t len);

/*
 * Decode the record at buf (avail bytes). 0 and *r filled; -ENODATA if
 * the 24-byte header is all zeros (or fewer than 24 zero bytes remain):
 * unwritten, preallocated space; -EBADMSG if anything is wrong.
 */
int srec_get(const uint8_t *buf, size_t avail, struct srec *r);

void srec_le32(uint8_t *p, uint32_t v);
void srec_le64(uint8_t *p, uint64_t v);
uint32_t srec_get32(const uint8_t *p);
uint64_t srec_get64(const uint8_t *p);

#endif /* ATOM_RAFT_STORE_REC_H */
