// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: mesh command bytes from the log. Decode stays within its
 * buffer; what decodes re-encodes to the same bytes; and apply on a
 * bootstrapped state with a live token either refuses the bytes or
 * keeps the state's invariants (a snapshot of what it accepted restores).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "mesh/apply.h"
#include "mesh/cmd.h"
#include "mesh/snapshot.h"
#include "tests/mesh_test.h"

static struct mesh_state *base, *work;

/* The seed corpus's world: node-0 (bootstrap), token 0 (2 uses), node-1. */
static void seed(struct mesh_state *s)
{
	struct mesh_apply_out out;
	struct mesh_cmd c;

	t_bootstrap(&c, 1, 24);
	t_apply(s, &c, &out);
	t_token(&c, 2, 0, 2, 60000, MESH_ROLE_MEMBER);
	t_apply(s, &c, &out);
	t_join(&c, 3, 0, 1);
	t_apply(s, &c, &out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1), again[MESH_CMD_MAX];
	struct mesh_apply_out out;
	struct mesh_cmd c;
	uint8_t *snap;
	size_t len;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (!mesh_cmd_decode(copy, size, &c)) {
		if (mesh_cmd_encode(&c, again, sizeof(again), &len) ||
		    len != size || memcmp(again, copy, size))
			abort();
	}
	if (!base) {	/* kept for the whole run */
		if (mesh_state_new(&base) || mesh_state_new(&work))
			goto out;
		seed(base);
	}
	memcpy(work, base, sizeof(*work));
	/* a state apply changed must still be a valid snapshot */
	if (mesh_apply(work, copy, size, &out) || out.result.code ||
	    out.replayed)
		goto out;
	if (mesh_snapshot_encode(work, &snap, &len))
		goto out;
	if (mesh_snapshot_decode(work, snap, len))
		abort();
	free(snap);
out:
	free(copy);
	return 0;
}
