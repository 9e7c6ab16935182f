// SPDX-License-Identifier: GPL-2.0
/*
 * The membership planner: joiners come in as learners, are promoted
 * only while voters are below the target and only when caught up,
 * reachable and eligible; removed nodes leave the configuration; an
 * evicting or never-voter voter is demoted; a dead voter is replaced
 * only when a healthy learner can take its place; the leader is never
 * removed or demoted by the plan.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "membership.h"

#define SELF 1

struct world {
	struct member_fact f[8];
	size_t n;
	struct raft_member m[8];
	struct raft_conf conf;
	struct member_plan_in in;
};

static void world_init(struct world *w, uint32_t target)
{
	*w = (struct world){ 0 };
	w->conf.members = w->m;
	w->in = (struct member_plan_in){
		.self = SELF, .last_index = 100, .voters_target = target,
		.healthy_ms = 1000, .grace_ms = 10000, .lag = 10,
		.nodes = w->f, .conf = &w->conf,
	};
}

/* A node of the state; role 0: not in the configuration. */
static void node(struct world *w, uint32_t ip, int role, uint64_t match,
		 uint64_t age)
{
	w->f[w->n++] = (struct member_fact){
		.ip = ip, .eligible = true, .role = role, .match = match,
		.contact_age_ms = age,
	};
	w->in.n_nodes = w->n;
	if (role) {
		w->m[w->conf.n].id = ip;
		w->m[w->conf.n].role = role;
		w->conf.n++;
	}
}

static void expect_plan(struct world *w, enum raft_conf_op op, uint64_t id)
{
	enum raft_conf_op got_op = 0;
	uint64_t got_id = 0;

	assert_int_equal(member_plan(&w->in, &got_op, &got_id), 0);
	assert_int_equal(got_op, op);
	assert_int_equal(got_id, id);
}

static void expect_none(struct world *w)
{
	enum raft_conf_op op;
	uint64_t id;

	assert_int_equal(member_plan(&w->in, &op, &id), -ENOENT);
}

static void joiner_is_learner_first(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, 5);
	node(&w, SELF, RAFT_VOTER, 100, 0);
	node(&w, 2, 0, 0, UINT64_MAX);	/* joined, not up yet */
	expect_plan(&w, RAFT_CONF_ADD_LEARNER, 2);
}

static void promote_only_when_caught_up_and_heard(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, 5);
	node(&w, SELF, RAFT_VOTER, 100, 0);
	node(&w, 2, RAFT_LEARNER, 0, 50);	/* far behind */
	node(&w, 3, RAFT_LEARNER, 100, UINT64_MAX);	/* never heard */
	expect_none(&w);
	w.f[1].match = 95;
	expect_plan(&w, RAFT_CONF_PROMOTE, 2);
}

static void promote_the_most_advanced(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, 5);
	node(&w, SELF, RAFT_VOTER, 100, 0);
	node(&w, 2, RAFT_LEARNER, 95, 5);
	node(&w, 3, RAFT_LEARNER, 100, 5);
	expect_plan(&w, RAFT_CONF_PROMOTE, 3);
}

static void never_voter_stays_learner(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, 5);
	node(&w, SELF, RAFT_VOTER, 100, 0);
	node(&w, 2, RAFT_LEARNER, 100, 5);
	w.f[1].eligible = false;
	expect_none(&w);
	w.f[1].role = RAFT_VOTER;	/* became never after promotion */
	w.m[1].role = RAFT_VOTER;
	expect_plan(&w, RAFT_CONF_DEMOTE, 2);
}

static void target_reached_no_more_voters(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, 3);
	node(&w, SELF, RAFT_VOTER, 100, 0);
	node(&w, 2, RAFT_VOTER, 100, 5);
	node(&w, 3, RAFT_VOTER, 100, 5);
	node(&w, 4, RAFT_LEARNER, 100, 5);
	expect_none(&w);
}

static void dead_voter_replaced_by_healthy_learner(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, 3);
	node(&w, SELF, RAFT_VOTER, 100, 0);
	node(&w, 2, RAFT_VOTER, 40, 60000);	/* silent past grace */
	node(&w, 3, RAFT_VOTER, 100, 5);
	expect_none(&w);		/* nobody can take its place */
	node(&w, 4, RAFT_LEARNER, 100, 5);
	expect_plan(&w, RAFT_CONF_DEMOTE, 2);
	w.f[1].contact_age_ms = 9000;	/* within grace: kept */
	expect_none(&w);
}

static void removed_node_leaves_configuration(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, 5);
	node(&w, SELF, RAFT_VOTER, 100, 0);
	node(&w, 2, RAFT_VOTER, 100, 5);
	w.m[w.conf.n++] = (struct raft_member){ .id = 9, .role = RAFT_LEARNER };
	expect_plan(&w, RAFT_CONF_REMOVE, 9);
}

static void evicting_voter_demoted_not_readded(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, 5);
	node(&w, SELF, RAFT_VOTER, 100, 0);
	node(&w, 2, RAFT_VOTER, 100, 5);
	w.f[1].evicting = true;
	expect_plan(&w, RAFT_CONF_DEMOTE, 2);
	w.f[1].role = 0;		/* gone from the configuration */
	w.conf.n = 1;
	expect_none(&w);
}

static void leader_never_touched(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, 5);
	node(&w, SELF, RAFT_VOTER, 100, 0);
	w.f[0].eligible = false;
	w.f[0].evicting = true;
	expect_none(&w);
	w.n = 0;			/* not even in the state */
	w.in.n_nodes = 0;
	expect_none(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(joiner_is_learner_first),
		cmocka_unit_test(promote_only_when_caught_up_and_heard),
		cmocka_unit_test(promote_the_most_advanced),
		cmocka_unit_test(never_voter_stays_learner),
		cmocka_unit_test(target_reached_no_more_voters),
		cmocka_unit_test(dead_voter_replaced_by_healthy_learner),
		cmocka_unit_test(removed_node_leaves_configuration),
		cmocka_unit_test(evicting_voter_demoted_not_readded),
		cmocka_unit_test(leader_never_touched),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
