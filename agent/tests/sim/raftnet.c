// SPDX-License-Identifier: GPL-2.0
/*
 * The hand-driven test cluster (see raftnet.h).
 */
#include <stdlib.h>
#include <string.h>

#include "tests/sim/raftnet.h"

static uint64_t rn_rand(void *ctx)
{
	struct raftnet *net = ctx;

	net->rng ^= net->rng << 13;
	net->rng ^= net->rng >> 7;
	net->rng ^= net->rng << 17;
	return net->rng;
}

static uint64_t next_seed = 42;

void rn_seed(uint64_t seed)
{
	next_seed = seed ? seed : 42;
}

struct raft *rn(struct raftnet *net, uint64_t id)
{
	return net->node[id].r;
}

void rn_init(struct raftnet *net, uint32_t n, uint32_t total)
{
	struct raft_conf conf = { .n = n };
	struct raft_cfg cfg;

	memset(net, 0, sizeof(*net));
	net->n = total;
	net->rng = next_seed;
	net->now = 1000;
	conf.members = calloc(n, sizeof(*conf.members));
	if (!conf.members)
		abort();
	for (uint32_t i = 0; i < n; i++) {
		conf.members[i].id = i + 1;
		conf.members[i].role = RAFT_VOTER;
	}
	for (uint32_t id = 1; id <= total; id++) {
		raft_cfg_defaults(&cfg, id);
		cfg.rand = rn_rand;
		cfg.rand_ctx = net;
		if (raft_new(&net->node[id].r, &cfg, NULL, net->now))
			abort();
		if (id <= n && raft_bootstrap(net->node[id].r, &conf))
			abort();
		rn_flush(net, id);
	}
	free(conf.members);
}

void rn_free(struct raftnet *net)
{
	rn_drop_all(net);
	for (uint32_t id = 1; id <= net->n; id++)
		raft_free(net->node[id].r);
}

static void enqueue(struct raftnet *net, const struct raft_msg *m)
{
	uint8_t *buf;
	size_t len;

	if (net->nq == RN_QUEUE || raft_msg_encode(m, &buf, &len))
		abort();
	if (raft_msg_decode(buf, len, &net->q[net->nq]))
		abort();
	net->nq++;
	free(buf);
}

void rn_flush(struct raftnet *net, uint64_t id)
{
	struct rn_node *n = &net->node[id];
	struct raft_ready rd;

	while (n->r && raft_ready(n->r, &rd) == 0) {
		if (rd.hs_changed)
			n->hs = rd.hs;
		if (rd.snap && rd.snap_install) {
			n->installed = true;
			n->last_applied = rd.snap->index;
		}
		for (size_t i = 0; i < rd.n_msgs; i++)
			enqueue(net, &rd.msgs[i]);
		for (size_t i = 0; i < rd.n_committed; i++) {
			const struct raft_entry *e = &rd.committed[i];

			if (e->index < 1024)
				n->applied[e->index] = e->term;
			n->last_applied = e->index;
			n->n_applied++;
		}
		for (size_t i = 0; i < rd.n_reads && n->n_reads < 64; i++)
			n->reads[n->n_reads++] = rd.reads[i];
		raft_advance(n->r, &rd);
	}
}

void rn_flush_all(struct raftnet *net)
{
	for (uint32_t id = 1; id <= net->n; id++)
		rn_flush(net, id);
}

int rn_step(struct raftnet *net, uint64_t id, const struct raft_msg *m)
{
	int rc;

	raft_tick(net->node[id].r, net->now);
	rc = raft_step(net->node[id].r, m);
	rn_flush(net, id);
	return rc;
}

static void deliver(struct raftnet *net, uint32_t k)
{
	struct raft_msg m = net->q[k];

	memmove(&net->q[k], &net->q[k + 1], (net->nq - k - 1) * sizeof(m));
	net->nq--;
	if (m.to <= net->n && net->node[m.to].r && !net->cut[m.from][m.to])
		rn_step(net, m.to, &m);
	raft_msg_release(&m);
}

void rn_deliver_all(struct raftnet *net)
{
	uint32_t guard = 0;

	while (net->nq && guard++ < 100000)
		deliver(net, 0);
}

void rn_deliver_one(struct raftnet *net)
{
	if (net->nq)
		deliver(net, 0);
}

void rn_deliver_type(struct raftnet *net, uint8_t type)
{
	uint32_t k = 0;

	while (k < net->nq) {
		if (net->q[k].type == type)
			deliver(net, k);
		else
			k++;
	}
}

void rn_drop_all(struct raftnet *net)
{
	for (uint32_t k = 0; k < net->nq; k++)
		raft_msg_release(&net->q[k]);
	net->nq = 0;
}

static bool match(const struct raft_msg *m, uint64_t from, uint64_t to,
		  uint8_t type)
{
	return (!from || m->from == from) && (!to || m->to == to) &&
	       (!type || m->type == type);
}

uint32_t rn_count(struct raftnet *net, uint64_t from, uint64_t to,
		  uint8_t type)
{
	uint32_t c = 0;

	for (uint32_t k = 0; k < net->nq; k++)
		c += match(&net->q[k], from, to, type);
	return c;
}

struct raft_msg *rn_find(struct raftnet *net, uint64_t from, uint64_t to,
			 uint8_t type)
{
	for (uint32_t k = 0; k < net->nq; k++)
		if (match(&net->q[k], from, to, type))
			return &net->q[k];
	return NULL;
}

void rn_advance(struct raftnet *net, uint64_t ms)
{
	net->now += ms;
	for (uint32_t id = 1; id <= net->n; id++) {
		if (!net->node[id].r)
			continue;
		raft_tick(net->node[id].r, net->now);
		rn_flush(net, id);
	}
}

void rn_tick_one(struct raftnet *net, uint64_t id, uint64_t ms)
{
	net->now += ms;
	raft_tick(net->node[id].r, net->now);
	rn_flush(net, id);
}

void rn_elect(struct raftnet *net, uint64_t id)
{
	raft_campaign(net->node[id].r);
	rn_flush(net, id);
	rn_deliver_all(net);
}

uint64_t rn_propose(struct raftnet *net, uint64_t id, const char *s)
{
	uint64_t index = 0;

	if (raft_propose(net->node[id].r, s, (uint32_t)strlen(s), &index))
		return 0;
	rn_flush(net, id);
	rn_deliver_all(net);
	return index;
}
