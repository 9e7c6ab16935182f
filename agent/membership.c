// SPDX-License-Identifier: GPL-2.0
/*
 * The membership planner (see membership.h).
 */
#include <errno.h>

#include "membership.h"

static const struct member_fact *fact_of(const struct member_plan_in *in,
					 uint64_t id)
{
	for (size_t i = 0; i < in->n_nodes; i++)
		if (in->nodes[i].ip == id)
			return &in->nodes[i];
	return NULL;
}

static bool healthy(const struct member_plan_in *in,
		    const struct member_fact *f)
{
	return f->ip == in->self || f->contact_age_ms <= in->healthy_ms;
}

static bool can_vote(const struct member_plan_in *in,
		     const struct member_fact *f)
{
	return f->eligible && !f->evicting && healthy(in, f) &&
	       f->match + in->lag >= in->last_index;
}

/* The best learner to promote, or NULL. */
static const struct member_fact *best_learner(const struct member_plan_in *in)
{
	const struct member_fact *best = NULL;

	for (size_t i = 0; i < in->n_nodes; i++) {
		const struct member_fact *f = &in->nodes[i];

		if (f->role != RAFT_LEARNER || !can_vote(in, f))
			continue;
		if (!best || f->match > best->match)
			best = f;
	}
	return best;
}

int member_plan(const struct member_plan_in *in, enum raft_conf_op *op,
		uint64_t *id)
{
	const struct raft_conf *c = in->conf;
	const struct member_fact *f;
	uint32_t voters = 0;

	for (uint32_t i = 0; i < c->n; i++) {
		if (c->members[i].id != in->self &&
		    !fact_of(in, c->members[i].id)) {
			*op = RAFT_CONF_REMOVE;
			*id = c->members[i].id;
			return 0;
		}
		if (c->members[i].role == RAFT_VOTER)
			voters++;
	}
	for (size_t i = 0; i < in->n_nodes; i++) {
		f = &in->nodes[i];
		if (!f->role && !f->evicting) {
			*op = RAFT_CONF_ADD_LEARNER;
			*id = f->ip;
			return 0;
		}
	}
	for (size_t i = 0; i < in->n_nodes; i++) {
		f = &in->nodes[i];
		if (f->role == RAFT_VOTER && f->ip != in->self &&
		    (f->evicting || !f->eligible)) {
			*op = RAFT_CONF_DEMOTE;
			*id = f->ip;
			return 0;
		}
	}
	f = best_learner(in);
	if (!f)
		return -ENOENT;
	if (voters < in->voters_target) {
		*op = RAFT_CONF_PROMOTE;
		*id = f->ip;
		return 0;
	}
	for (size_t i = 0; i < in->n_nodes; i++) {
		const struct member_fact *v = &in->nodes[i];

		if (v->role == RAFT_VOTER && v->ip != in->self &&
		    v->contact_age_ms > in->grace_ms) {
			*op = RAFT_CONF_DEMOTE;
			*id = v->ip;
			return 0;
		}
	}
	return -ENOENT;
}
