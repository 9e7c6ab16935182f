/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The mesh state machine behind the agent's fsm_ops (fsm.h), in place of
 * the probe machine. The state itself is pure (state.h, apply.h); this
 * adapter hands each entry's dataplane delta, and after a restore the
 * whole peer set, to hooks the agent provides, leaving out this node's
 * own key.
 *
 * apply's int64 result: the refusal (a negative MESH_E_*), the mesh IP
 * (host order) for an accepted join or bootstrap, 0 otherwise.
 */
#ifndef ATOM_MESH_FSM_MESH_H
#define ATOM_MESH_FSM_MESH_H

#include <stddef.h>
#include <stdint.h>

#include "dataplane.h"
#include "fsm.h"
#include "mesh/apply.h"
#include "mesh/state.h"

struct fsm_mesh_hooks {
	void *arg;
	/* One applied entry: its result and dataplane delta (may be 0). */
	void (*applied)(void *arg, uint64_t index,
			const struct mesh_apply_out *out);
	/* After a restore: make the peer set exactly peers[]. */
	void (*replace)(void *arg, const struct dp_peer *peers, size_t n);
};

struct fsm_mesh;

/* hooks may be NULL; self_key (MESH_KEY_LEN) may be NULL: none left out. */
int fsm_mesh_new(struct fsm_mesh **ret, const uint8_t *self_key,
		 const struct fsm_mesh_hooks *hooks);
void fsm_mesh_free(struct fsm_mesh *m);
const struct mesh_state *fsm_mesh_state(const struct fsm_mesh *m);
extern const struct fsm_ops fsm_mesh_ops;

#endif /* ATOM_MESH_FSM_MESH_H */
