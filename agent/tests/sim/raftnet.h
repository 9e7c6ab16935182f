/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A tiny hand-driven cluster for Raft unit tests: nodes share one clock,
 * messages wait in a queue (deep copies, through the codec) until a test
 * delivers, drops or inspects them, and every ready batch is consumed at
 * once (persist is instant; committed entries are recorded per node).
 */
#ifndef ATOM_TESTS_SIM_RAFTNET_H
#define ATOM_TESTS_SIM_RAFTNET_H

#include <stdbool.h>
#include <stdint.h>

#include "raft/raft.h"

#define RN_MAX 8
#define RN_QUEUE 4096

struct rn_node {
	struct raft *r;
	uint64_t applied[1024];		/* terms of applied entries by index */
	uint64_t n_applied, last_applied;
	struct raft_read reads[64];
	uint32_t n_reads;
	bool installed;			/* a snapshot from the leader arrived */
	struct raft_hardstate hs;	/* as persisted */
};

struct raftnet {
	struct rn_node node[RN_MAX + 1];	/* by id, 1-based */
	uint32_t n;
	uint64_t now;
	uint64_t rng;
	struct raft_msg q[RN_QUEUE];
	uint32_t nq;
	bool cut[RN_MAX + 1][RN_MAX + 1];
};

/* n founding voters, ids 1..n, plus empty nodes n+1..total (learners-to-be). */
void rn_init(struct raftnet *net, uint32_t n, uint32_t total);
void rn_free(struct raftnet *net);
struct raft *rn(struct raftnet *net, uint64_t id);
/* Consume id's ready batches, queueing its messages. */
void rn_flush(struct raftnet *net, uint64_t id);
void rn_flush_all(struct raftnet *net);
/* Deliver queued messages (and their consequences) until quiet. */
void rn_deliver_all(struct raftnet *net);
/* Deliver only queued messages of one type; the rest stay. */
void rn_deliver_type(struct raftnet *net, uint8_t type);
void rn_drop_all(struct raftnet *net);
/* Deliver the oldest queued message only. */
void rn_deliver_one(struct raftnet *net);
/* The seed of the next rn_init's random source. */
void rn_seed(uint64_t seed);
/* Count queued messages matching from/to/type (0: any). */
uint32_t rn_count(struct raftnet *net, uint64_t from, uint64_t to,
		  uint8_t type);
/* The first queued message matching, or NULL. */
struct raft_msg *rn_find(struct raftnet *net, uint64_t from, uint64_t to,
			 uint8_t type);
/* Advance the shared clock and tick every node. */
void rn_advance(struct raftnet *net, uint64_t ms);
/* Tick one node only (the others' clocks stand still). */
void rn_tick_one(struct raftnet *net, uint64_t id, uint64_t ms);
/* Make id leader by campaigning and delivering everything. */
void rn_elect(struct raftnet *net, uint64_t id);
/* Hand one message to a node directly (tests forge messages). */
int rn_step(struct raftnet *net, uint64_t id, const struct raft_msg *m);
/* Propose on the leader and deliver; returns the index (0 on error). */
uint64_t rn_propose(struct raftnet *net, uint64_t id, const char *s);

#endif /* ATOM_TESTS_SIM_RAFTNET_H */
