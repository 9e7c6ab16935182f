// SPDX-License-Identifier: GPL-2.0
/*
 * The agent's state machine mux: probe entries reach the probe machine
 * and mesh commands the mesh; a snapshot carries both and restores both;
 * a snapshot without probes stays small; truncated or padded snapshots
 * are refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fsm_mux.h"
#include "mesh/cmd.h"
#include "mesh/fsm_mesh.h"

struct pair {
	struct fsm_probe *probe;
	struct fsm_mesh *mesh;
	struct fsm_mux mux;
};

static void pair_new(struct pair *p)
{
	assert_int_equal(fsm_probe_new(&p->probe), 0);
	assert_int_equal(fsm_mesh_new(&p->mesh, NULL, NULL), 0);
	p->mux = (struct fsm_mux){
		.mesh = &fsm_mesh_ops, .mesh_ctx = p->mesh,
		.probe = &fsm_probe_ops, .probe_ctx = p->probe,
	};
}

static void pair_free(struct pair *p)
{
	fsm_probe_free(p->probe);
	fsm_mesh_free(p->mesh);
}

static void bootstrap(struct pair *p)
{
	struct mesh_cmd c = { .type = MESH_CMD_BOOTSTRAP, .client = 1, .seq = 1 };
	uint8_t buf[MESH_CMD_MAX];
	size_t len;

	c.bootstrap.network = 0x0a000000;
	c.bootstrap.prefix = 24;
	strcpy(c.bootstrap.node.name, "n1");
	c.bootstrap.node.key[0] = 1;
	c.bootstrap.node.wg_port = 51820;
	c.bootstrap.node.voter = MESH_VOTER_AUTO;
	assert_int_equal(mesh_cmd_encode(&c, buf, sizeof(buf), &len), 0);
	assert_int_equal(fsm_mux_ops.apply(&p->mux, 1, buf, (uint32_t)len),
			 0x0a000001);
}

static void probe(struct pair *p, uint64_t id)
{
	uint8_t e[9] = { FSM_PROBE };

	for (int i = 0; i < 8; i++)
		e[1 + i] = (uint8_t)(id >> (56 - 8 * i));
	assert_true(fsm_mux_ops.apply(&p->mux, 2, e, sizeof(e)) > 0);
}

static void routes_and_round_trip(void **state)
{
	struct pair a, b;
	uint8_t *snap;
	uint64_t len, small;

	(void)state;
	pair_new(&a);
	pair_new(&b);
	bootstrap(&a);
	assert_int_equal(fsm_probe_count(a.probe), 0);
	assert_int_equal(fsm_mesh_state(a.mesh)->n_nodes, 1);
	assert_int_equal(fsm_mux_ops.snapshot(&a.mux, &snap, &len), 0);
	small = len;
	assert_true(small < 4096);
	free(snap);
	probe(&a, 7);
	assert_int_equal(fsm_probe_count(a.probe), 1);
	assert_int_equal(fsm_mux_ops.snapshot(&a.mux, &snap, &len), 0);
	assert_true(len > small);
	assert_int_equal(fsm_mux_ops.restore(&b.mux, snap, len), 0);
	assert_int_equal(fsm_probe_count(b.probe), 1);
	assert_int_equal(fsm_probe_hash(b.probe), fsm_probe_hash(a.probe));
	assert_int_equal(fsm_mesh_state(b.mesh)->n_nodes, 1);
	assert_int_equal(fsm_mux_ops.restore(&b.mux, snap, len - 1), -EBADMSG);
	snap[0] = 99;
	assert_int_equal(fsm_mux_ops.restore(&b.mux, snap, len), -EBADMSG);
	free(snap);
	pair_free(&a);
	pair_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(routes_and_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
