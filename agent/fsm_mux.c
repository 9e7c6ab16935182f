// SPDX-License-Identifier: GPL-2.0
/*
 * Two state machines behind one fsm_ops (see fsm_mux.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fsm_mux.h"
#include "util/bytes.h"

static int64_t mux_apply(void *ctx, uint64_t index, const uint8_t *data,
			 uint32_t len)
{
	struct fsm_mux *m = ctx;

	if (len && data[0] == FSM_PROBE) {
		m->probed = true;
		return m->probe->apply(m->probe_ctx, index, data, len);
	}
	return m->mesh->apply(m->mesh_ctx, index, data, len);
}

static int mux_snapshot(void *ctx, uint8_t **ret, uint64_t *len)
{
	struct fsm_mux *m = ctx;
	uint8_t *mesh = NULL, *probe = NULL, *buf;
	uint64_t mesh_len = 0, probe_len = 0;
	int err;

	err = m->mesh->snapshot(m->mesh_ctx, &mesh, &mesh_len);
	if (!err && m->probed)
		err = m->probe->snapshot(m->probe_ctx, &probe, &probe_len);
	if (err)
		goto out;
	if (mesh_len > UINT32_MAX || probe_len > UINT32_MAX) {
		err = -EOVERFLOW;
		goto out;
	}
	buf = malloc(9 + mesh_len + probe_len);
	if (!buf) {
		err = -ENOMEM;
		goto out;
	}
	buf[0] = FSM_MUX_VERSION;
	put_be32(buf + 1, (uint32_t)mesh_len);
	if (mesh_len)
		memcpy(buf + 5, mesh, mesh_len);
	put_be32(buf + 5 + mesh_len, (uint32_t)probe_len);
	if (probe_len)
		memcpy(buf + 9 + mesh_len, probe, probe_len);
	*ret = buf;
	*len = 9 + mesh_len + probe_len;
out:
	free(mesh);
	free(probe);
	return err;
}

static int mux_restore(void *ctx, const uint8_t *data, uint64_t len)
{
	struct fsm_mux *m = ctx;
	uint64_t mesh_len, probe_len;
	int err;

	if (len < 9 || data[0] != FSM_MUX_VERSION)
		return -EBADMSG;
	mesh_len = get_be32(data + 1);
	if (mesh_len > len - 9)
		return -EBADMSG;
	probe_len = get_be32(data + 5 + mesh_len);
	if (9 + mesh_len + probe_len != len)
		return -EBADMSG;
	err = m->mesh->restore(m->mesh_ctx, data + 5, mesh_len);
	if (err)
		return err;
	m->probed = probe_len != 0;
	if (!probe_len)
		return 0;
	return m->probe->restore(m->probe_ctx, data + 9 + mesh_len, probe_len);
}

const struct fsm_ops fsm_mux_ops = {
	.apply = mux_apply,
	.snapshot = mux_snapshot,
	.restore = mux_restore,
};
