/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Raft's shared vocabulary: log entries, hard state and snapshots, as the
 * core (raft.c), the message codec and the log store (store.c) all see
 * them. Nothing here does I/O.
 */
#ifndef ATOM_RAFT_TYPES_H
#define ATOM_RAFT_TYPES_H

#include <stddef.h>
#include <stdint.h>

/* Node id 0 means "nobody" (no vote, no leader). */
#define RAFT_NONE 0

/* Largest payload of one entry: a join or a token, never a bulk blob. */
#define RAFT_MAX_ENTRY 65536
/* Largest snapshot (application data plus configuration). */
#define RAFT_MAX_SNAPSHOT (64u << 20)
/* Largest membership: a 1000-node mesh with room to spare. */
#define RAFT_MAX_MEMBERS 4096

enum raft_entry_type {
	RAFT_ENTRY_NORMAL = 1,	/* application command; empty: the no-op */
	RAFT_ENTRY_CONF = 2,	/* a single-server membership change */
};

struct raft_entry {
	uint64_t term;
	uint64_t index;
	uint8_t type;		/* enum raft_entry_type */
	uint32_t len;
	uint8_t *data;		/* len bytes, owned by whoever holds the entry */
};

/* What must be durable before a vote or an ack leaves the node. */
struct raft_hardstate {
	uint64_t term;
	uint64_t vote;
	uint64_t commit;
};

enum raft_role {
	RAFT_VOTER = 1,
	RAFT_LEARNER = 2,
};

struct raft_member {
	uint64_t id;
	uint8_t role;		/* enum raft_role */
};

/* A membership configuration; members is owned by the holder. */
struct raft_conf {
	uint32_t n;
	struct raft_member *members;
};

/*
 * A snapshot as the store keeps it: the index and term of the last entry
 * it covers, the configuration in force at that index (encoded by the
 * core, opaque to the store) and the application's state.
 */
struct raft_snapshot {
	uint64_t index;
	uint64_t term;
	uint32_t conf_len;
	uint8_t *conf;
	uint64_t data_len;
	uint8_t *data;
};

#endif /* ATOM_RAFT_TYPES_H */
