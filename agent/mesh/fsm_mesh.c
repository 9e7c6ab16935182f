// SPDX-License-Identifier: GPL-2.0
/*
 * The mesh state machine as fsm_ops (see fsm_mesh.h).
 */
#include <stdlib.h>
#include <string.h>

#include "mesh/fsm_mesh.h"
#include "mesh/snapshot.h"
#include "util/bytes.h"

struct fsm_mesh {
	struct mesh_state *state;
	struct fsm_mesh_hooks hooks;
	bool has_self;
	uint8_t self_key[MESH_KEY_LEN];
};

int fsm_mesh_new(struct fsm_mesh **ret, const uint8_t *self_key,
		 const struct fsm_mesh_hooks *hooks)
{
	struct fsm_mesh *m = calloc(1, sizeof(*m));
	int err;

	if (!m)
		return -ENOMEM;
	err = mesh_state_new(&m->state);
	if (err) {
		free(m);
		return err;
	}
	if (hooks)
		m->hooks = *hooks;
	if (self_key) {
		m->has_self = true;
		memcpy(m->self_key, self_key, MESH_KEY_LEN);
	}
	*ret = m;
	return 0;
}

void fsm_mesh_free(struct fsm_mesh *m)
{
	if (!m)
		return;
	mesh_state_free(m->state);
	free(m);
}

const struct mesh_state *fsm_mesh_state(const struct fsm_mesh *m)
{
	return m->state;
}

static bool is_self(const struct fsm_mesh *m, const uint8_t *key)
{
	return m->has_self && !memcmp(m->self_key, key, MESH_KEY_LEN);
}

static int64_t mesh_fsm_apply(void *ctx, uint64_t index, const uint8_t *data,
			      uint32_t len)
{
	struct fsm_mesh *m = ctx;
	struct mesh_apply_out out;
	size_t i, n = 0;
	int err;

	err = mesh_apply(m->state, data, len, &out);
	if (err)
		return err;
	for (i = 0; i < out.n_changes; i++)
		if (!is_self(m, out.changes[i].peer.key))
			out.changes[n++] = out.changes[i];
	out.n_changes = n;
	if (m->hooks.applied)
		m->hooks.applied(m->hooks.arg, index, &out);
	if (out.result.code)
		return out.result.code;
	if (out.result.len == 4)
		return get_be32(out.result.payload);
	return 0;
}

static int mesh_fsm_snapshot(void *ctx, uint8_t **ret, uint64_t *len)
{
	struct fsm_mesh *m = ctx;
	size_t n;
	int err;

	err = mesh_snapshot_encode(m->state, ret, &n);
	if (!err)
		*len = n;
	return err;
}

static int mesh_fsm_restore(void *ctx, const uint8_t *data, uint64_t len)
{
	struct fsm_mesh *m = ctx;
	struct dp_peer *peers;
	size_t i, n, k = 0;
	int err;

	if (len > mesh_snapshot_max())
		return -EBADMSG;
	peers = calloc(MESH_NODES_MAX, sizeof(*peers));
	if (!peers)
		return -ENOMEM;
	err = mesh_snapshot_decode(m->state, data, (size_t)len);
	if (err)
		goto out;
	mesh_state_peers(m->state, peers, &n);
	for (i = 0; i < n; i++)
		if (!is_self(m, peers[i].key))
			peers[k++] = peers[i];
	if (m->hooks.replace)
		m->hooks.replace(m->hooks.arg, peers, k);
out:
	free(peers);
	return err;
}

const struct fsm_ops fsm_mesh_ops = {
	.apply = mesh_fsm_apply,
	.snapshot = mesh_fsm_snapshot,
	.restore = mesh_fsm_restore,
};
