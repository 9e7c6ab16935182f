/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the agent's Raft node drives: a replicated state machine. Apply
 * is pure and deterministic (same entries, same state, on every node);
 * snapshot and restore move the whole state. The mesh state machine
 * plugs in here; until then the probe machine (fsm_probe.c) does.
 */
#ifndef ATOM_FSM_H
#define ATOM_FSM_H

#include <stdint.h>

struct fsm_ops {
	/* Apply a committed command; the result goes to its proposer. */
	int64_t (*apply)(void *ctx, uint64_t index, const uint8_t *data,
			 uint32_t len);
	/* The whole state; *ret is the caller's to free. */
	int (*snapshot)(void *ctx, uint8_t **ret, uint64_t *len);
	/* Replace the state by a snapshot's (from this node or the leader). */
	int (*restore)(void *ctx, const uint8_t *data, uint64_t len);
};

/*
 * The probe machine: commands are u8 FSM_PROBE, u64 id; it remembers
 * which ids it applied (below FSM_PROBE_MAX), how many and a hash of the
 * sequence. Tests and benchmarks write probes and check them on every
 * node.
 */
#define FSM_PROBE 0x7f
#define FSM_PROBE_MAX (1u << 20)

struct fsm_probe;

int fsm_probe_new(struct fsm_probe **ret);
void fsm_probe_free(struct fsm_probe *p);
extern const struct fsm_ops fsm_probe_ops;
uint64_t fsm_probe_count(const struct fsm_probe *p);
uint64_t fsm_probe_hash(const struct fsm_probe *p);
/* Bitmap of applied ids, FSM_PROBE_MAX / 8 bytes. */
const uint8_t *fsm_probe_bitmap(const struct fsm_probe *p);

#endif /* ATOM_FSM_H */
