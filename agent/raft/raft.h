/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Raft core: a pure state machine in the style of etcd's raft.
 *
 * Inputs are ticks (the caller's monotonic milliseconds), received
 * messages and proposals. The output is a ready batch (raft_ready): hard
 * state and entries to persist, a snapshot to persist (and, when it came
 * from the leader, to restore), messages to send, committed entries to
 * apply and read barriers that completed. The caller persists, sends and
 * applies, then calls raft_advance; between raft_ready and raft_advance it
 * calls nothing else on this node.
 *
 * Messages whose after_persist flag is set may leave only once what the
 * same batch asked to persist is durable (votes and acks); the others (a
 * leader's appends) may leave at once.
 *
 * The core reads no clock, does no I/O and draws randomness only from the
 * injected source. Allocation failure is returned as -ENOMEM; the node is
 * then as if the input had not arrived.
 */
#ifndef ATOM_RAFT_H
#define ATOM_RAFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "raft/msg.h"
#include "raft/types.h"

enum raft_state {
	RAFT_FOLLOWER,
	RAFT_PRECANDIDATE,
	RAFT_CANDIDATE,
	RAFT_LEADER,
};

struct raft_cfg {
	uint64_t id;
	uint32_t heartbeat_ms;		/* 50 */
	uint32_t election_ms;		/* 300: timeouts drawn in [t, 2t) */
	uint32_t max_append_entries;	/* entries per append message */
	uint32_t max_append_bytes;	/* payload bytes per append message */
	uint32_t max_inflight;		/* appends in flight per follower */
	uint32_t snapshot_chunk;	/* bytes per InstallSnapshot chunk */
	uint32_t keep_trailing;		/* entries kept behind a snapshot */
	uint64_t (*rand)(void *ctx);
	void *rand_ctx;
};

/* Fill cfg with the defaults of design.md §5 (rand stays the caller's). */
void raft_cfg_defaults(struct raft_cfg *cfg, uint64_t id);

/* What the store recovered. snap may be NULL or have index 0 (none). */
struct raft_init {
	struct raft_hardstate hs;
	const struct raft_snapshot *snap;
	const struct raft_entry *ents;	/* contiguous, after snap->index */
	size_t n_ents;
};

enum raft_conf_op {
	RAFT_CONF_BOOTSTRAP = 1,	/* the initial membership, entry 1 */
	RAFT_CONF_ADD_LEARNER = 2,
	RAFT_CONF_PROMOTE = 3,		/* learner to voter */
	RAFT_CONF_DEMOTE = 4,		/* voter to learner */
	RAFT_CONF_REMOVE = 5,
};

/* A linearizable read: index is safe to serve once applied. */
struct raft_read {
	uint64_t ctx;
	uint64_t index;
};

struct raft_ready {
	bool hs_changed;
	struct raft_hardstate hs;
	/* Persist; ents[0].index may replace the stored tail from there. */
	const struct raft_entry *ents;
	size_t n_ents;
	/*
	 * Persist before ents. snap_install: it came from the leader and
	 * the application must restore its state from it; the stored log
	 * is replaced by it.
	 */
	const struct raft_snapshot *snap;
	bool snap_install;
	struct raft_msg *msgs;
	size_t n_msgs;
	/* Apply, in order (durable on this node already). */
	const struct raft_entry *committed;
	size_t n_committed;
	const struct raft_read *reads;
	size_t n_reads;
};

struct raft;

int raft_new(struct raft **ret, const struct raft_cfg *cfg,
	     const struct raft_init *init, uint64_t now_ms);
void raft_free(struct raft *r);

/*
 * A brand-new cluster: entry 1 (term 1) holds conf, committed at once.
 * Every founding node bootstraps with the same conf; a node that joins
 * later starts empty and learns everything from the leader.
 */
int raft_bootstrap(struct raft *r, const struct raft_conf *conf);

/*
 * Time moves only here: call it on a timer (every 10 ms or so) and also
 * right before raft_step whenever the clock moved, so that a message
 * processed after a stall is judged at the time it arrived.
 */
int raft_tick(struct raft *r, uint64_t now_ms);
int raft_step(struct raft *r, const struct raft_msg *m);

/*
 * Leader only. -EPERM: not the leader; -EBUSY: a leadership transfer or
 * (for conf) another membership change is under way, or the leader has
 * not yet committed an entry of its term; -E2BIG: too large; -EINVAL: the
 * change makes no sense for the current membership.
 */
int raft_propose(struct raft *r, const void *data, uint32_t len,
		 uint64_t *index);
int raft_propose_conf(struct raft *r, enum raft_conf_op op, uint64_t id,
		      uint64_t *index);
int raft_transfer(struct raft *r, uint64_t to);
/* Leader only: answers in a later ready's reads. */
int raft_read_index(struct raft *r, uint64_t ctx);
/* Start an election now (a voter only). */
int raft_campaign(struct raft *r);

/*
 * The application's state at index (<= applied) as a snapshot: the log
 * behind it is compacted (keeping cfg.keep_trailing entries) and the next
 * ready asks to persist it.
 */
int raft_snapshot(struct raft *r, uint64_t index, const void *data,
		  uint64_t len);

bool raft_has_ready(const struct raft *r);
/* Fill rd; 0 when there was something, -EAGAIN when nothing. */
int raft_ready(struct raft *r, struct raft_ready *rd);
void raft_advance(struct raft *r, const struct raft_ready *rd);

enum raft_state raft_state(const struct raft *r);
uint64_t raft_id(const struct raft *r);
uint64_t raft_leader(const struct raft *r);
uint64_t raft_term(const struct raft *r);
uint64_t raft_commit(const struct raft *r);
uint64_t raft_applied(const struct raft *r);
uint64_t raft_last_index(const struct raft *r);
uint64_t raft_last_term(const struct raft *r);
/* The membership in force (committed). */
const struct raft_conf *raft_membership(const struct raft *r);
/* The role of id in the membership in force; 0: not a member. */
int raft_role_of(const struct raft *r, uint64_t id);
/* Term of the entry at index; 0 if unknown (compacted or beyond). */
uint64_t raft_term_at(const struct raft *r, uint64_t index);
/* The entry at index if still in the log, else NULL. */
const struct raft_entry *raft_entry_at(const struct raft *r, uint64_t index);
/* Leader: the follower's match index; 0 if unknown. */
uint64_t raft_match_of(const struct raft *r, uint64_t id);
/* Smoothed round-trip time to the leader (follower) in ms; 0: unknown. */
uint32_t raft_leader_rtt_ms(const struct raft *r);

/* Conf entry payloads (also used by snapshots' conf blobs). */
int raft_conf_encode(const struct raft_conf *c, uint8_t **ret, uint32_t *len);
int raft_conf_decode(const uint8_t *p, uint32_t len, struct raft_conf *c);
void raft_conf_free(struct raft_conf *c);
int raft_conf_copy(struct raft_conf *dst, const struct raft_conf *src);

const char *raft_state_name(enum raft_state s);

#endif /* ATOM_RAFT_H */
