/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The simulator's view of one node's durable state. The shadow is what
 * the store acknowledged; with use_store the node also persists through
 * the real log store on the disk model, recovers through the real
 * recovery code, and a recovery that disagrees with the shadow is a
 * durability failure.
 */
#ifndef ATOM_TESTS_SIM_SIMSTORE_H
#define ATOM_TESTS_SIM_SIMSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "raft/raft.h"

struct simstore;

void simstore_new(struct simstore **ret, bool use_store, uint64_t id,
		  uint64_t (*rnd)(void *), void *rnd_arg);
void simstore_free(struct simstore *st);
/* Rebuild a node's starting point; err says why not. */
int simstore_recover(struct simstore *st, struct raft_init *init, char *err,
		     size_t errlen);
void simstore_recover_done(struct simstore *st, struct raft_init *init);
/* Persist a ready batch: snapshot, then hard state and entries. */
int simstore_persist(struct simstore *st, const struct raft_ready *rd);
/* Lose what was not synced; seed drives the disk model's tearing. */
void simstore_crash(struct simstore *st, uint64_t seed);
/* Writes a crash tore on this node's disk so far. */
uint64_t simstore_torn(const struct simstore *st);
/* The disk dies after `calls` more file operations (a crash mid-save). */
void simstore_die_after(struct simstore *st, unsigned int calls);

const struct raft_hardstate *simstore_shadow_hs(const struct simstore *st);
uint64_t simstore_shadow_term_at(const struct simstore *st, uint64_t index);
uint64_t simstore_shadow_snap_index(const struct simstore *st);
/* The application state in the snapshot: its index (0: none), hash. */
uint64_t simstore_snapshot_fsm(const struct simstore *st, uint64_t *hash);

#endif /* ATOM_TESTS_SIM_SIMSTORE_H */
