/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The agent's state machine: the mesh (mesh/fsm_mesh.h) and, beside it,
 * the probe machine the Raft tests and benchmarks write to. An entry whose
 * first byte is FSM_PROBE goes to the probe machine; every other entry is
 * a mesh command (whose first byte is its codec version).
 *
 * Snapshot: u8 FSM_MUX_VERSION, u32 mesh length, the mesh snapshot, u32
 * probe length, the probe snapshot (empty while no probe was written).
 */
#ifndef ATOM_FSM_MUX_H
#define ATOM_FSM_MUX_H

#include <stdbool.h>

#include "fsm.h"

#define FSM_MUX_VERSION 1

struct fsm_mux {
	const struct fsm_ops *mesh;
	void *mesh_ctx;
	const struct fsm_ops *probe;
	void *probe_ctx;
	bool probed;			/* a probe was applied: snapshot it */
};

extern const struct fsm_ops fsm_mux_ops;

#endif /* ATOM_FSM_MUX_H */
