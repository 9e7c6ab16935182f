/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Apply: (state, command bytes) -> (new state, result, dataplane delta).
 * Pure and deterministic; every check that depends on the state is here.
 * A refused command leaves the nodes, tokens and tombstones unchanged and
 * returns its reason in the result; a decoded command's result is
 * remembered under its request id, so a retry returns it again without
 * running twice.
 */
#ifndef ATOM_MESH_APPLY_H
#define ATOM_MESH_APPLY_H

#include <stddef.h>
#include <stdint.h>

#include "dataplane.h"
#include "mesh/state.h"

#define MESH_DELTA_MAX 2	/* dataplane changes one command makes */

struct mesh_apply_out {
	struct mesh_result result;	/* join, bootstrap: u32 mesh ip */
	size_t n_changes;
	struct dp_change changes[MESH_DELTA_MAX];
	bool replayed;			/* a retried request id */
};

/*
 * Returns 0 when the command was applied or refused by a rule (see
 * out->result.code), MESH_E_MALFORMED or MESH_E_VERSION when the bytes
 * are not a command this build reads (state untouched, nothing recorded).
 */
int mesh_apply(struct mesh_state *s, const uint8_t *data, size_t len,
	       struct mesh_apply_out *out);

#endif /* ATOM_MESH_APPLY_H */
