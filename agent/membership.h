/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Raft membership follows the mesh state (design §2, §5): the leader
 * asks, after every election and then periodically, which one change
 * brings the Raft configuration closer to the state's membership, and
 * proposes it. Pure: the caller gathers the facts.
 *
 * The order of preference:
 *   1. remove a Raft member the state no longer has (never the leader);
 *   2. add an active node of the state as a learner;
 *   3. demote a voter that is being evicted or may not vote (voter never);
 *   4. below the target: promote the caught-up, reachable, eligible
 *      learner with the highest match;
 *   5. at the target: demote a voter unreachable past the grace period,
 *      when a healthy eligible learner can take its place (step 4 then
 *      promotes it).
 */
#ifndef ATOM_MEMBERSHIP_H
#define ATOM_MEMBERSHIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "raft/raft.h"

/* A node of the mesh state as the planner sees it. */
struct member_fact {
	uint32_t ip;			/* the Raft id */
	bool eligible;			/* consensus.voter auto */
	bool evicting;
	int role;			/* in the Raft configuration: 0, RAFT_VOTER, RAFT_LEARNER */
	uint64_t match;			/* the leader's view */
	uint64_t contact_age_ms;	/* UINT64_MAX: never heard from */
};

struct member_plan_in {
	uint64_t self;			/* the leader */
	uint64_t last_index;		/* the leader's */
	uint32_t voters_target;		/* consensus.voters */
	uint64_t healthy_ms;		/* heard from within: reachable */
	uint64_t grace_ms;		/* silent past this: dead voter */
	uint64_t lag;			/* caught up: match + lag >= last */
	const struct member_fact *nodes;	/* the state's nodes */
	size_t n_nodes;
	const struct raft_conf *conf;	/* in force */
};

/* The one change to propose: 0 with *op, *id set; -ENOENT: none. */
int member_plan(const struct member_plan_in *in, enum raft_conf_op *op,
		uint64_t *id);

#endif /* ATOM_MEMBERSHIP_H */
