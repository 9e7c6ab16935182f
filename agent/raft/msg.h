/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Raft messages as the core sees them, and their wire codec
 * (raft/codec.c): versioned, bounded, every malformed input an error.
 */
#ifndef ATOM_RAFT_MSG_H
#define ATOM_RAFT_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "raft/types.h"

enum raft_msg_type {
	RAFT_MSG_PREVOTE = 1,
	RAFT_MSG_PREVOTE_RESP = 2,
	RAFT_MSG_VOTE = 3,
	RAFT_MSG_VOTE_RESP = 4,
	RAFT_MSG_APPEND = 5,		/* no entries: a heartbeat */
	RAFT_MSG_APPEND_RESP = 6,
	RAFT_MSG_SNAPSHOT = 7,		/* one chunk of InstallSnapshot */
	RAFT_MSG_SNAPSHOT_RESP = 8,
	RAFT_MSG_TIMEOUT_NOW = 9,
	RAFT_MSG_TYPE_MAX = RAFT_MSG_TIMEOUT_NOW,
};

#define RAFT_CODEC_VERSION 1
/* Entries in one append message, and bytes of one snapshot chunk. */
#define RAFT_MSG_MAX_ENTRIES 4096
#define RAFT_MSG_MAX_CHUNK (1u << 20)
/* The largest encoded message the codec produces or accepts. */
#define RAFT_MSG_MAX_BYTES (8u << 20)

struct raft_msg {
	uint8_t type;
	bool reject;
	bool transfer;		/* (pre)vote caused by a leadership transfer */
	bool heartbeat;		/* APPEND(_RESP): a heartbeat (or its answer) */
	bool after_persist;	/* not on the wire: see raft.h */
	uint64_t from, to, term;
	/* APPEND: prev index/term. (PRE)VOTE: last index/term. */
	uint64_t index, log_term;
	uint64_t commit;
	/* APPEND_RESP: the follower's last index. */
	uint64_t hint;
	/* Heartbeat round (read barriers) and its send time (RTT). */
	uint64_t seq;
	uint64_t sent_ms;
	uint32_t rtt_ms;
	uint32_t n_ents;
	struct raft_entry *ents;
	/* SNAPSHOT: which snapshot, where this chunk goes, how big in all. */
	uint64_t snap_index, snap_term;
	uint64_t offset, total;
	uint32_t chunk_len;
	uint8_t *chunk;
};

/* Encode into a fresh buffer (*ret is the caller's to free). */
int raft_msg_encode(const struct raft_msg *m, uint8_t **ret, size_t *len);
/*
 * Decode; entries and chunk are copied into allocations that
 * raft_msg_release frees.
 */
int raft_msg_decode(const uint8_t *p, size_t len, struct raft_msg *m);
void raft_msg_release(struct raft_msg *m);

const char *raft_msg_type_name(uint8_t type);

#endif /* ATOM_RAFT_MSG_H */
