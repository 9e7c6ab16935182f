// SPDX-License-Identifier: GPL-2.0
/*
 * The agent's Raft node (see node.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "log.h"
#include "node.h"
#include "raft/fileops.h"
#include "raft/store.h"
#include "transport.h"

#define TICK_MS 10
#define KEEP_TRAILING 1024
#define DISK_RETRY_MS 1000

struct pending {
	uint64_t index, term;
	node_done_fn done;
	void *arg;
};

struct node {
	struct node_config cfg;
	uint64_t id;
	struct loop *loop;
	struct loop_timer tick, retry, stop_timer;
	struct transport *tp;
	struct raft *r;
	struct raft_store *st;
	const struct fsm_ops *fsm;
	void *fsm_ctx;
	struct pending *pend;
	size_t n_pend, cap_pend;
	uint64_t *peers;		/* ids known to the transport */
	uint64_t *seen;			/* when each last sent us a frame */
	size_t n_peers, cap_peers;
	bool (*accept)(void *ctx, uint32_t ip);
	void *accept_ctx;
	uint64_t last_snapshot;
	/* a ready that could not be persisted (disk full), retried */
	bool stuck;
	struct raft_ready stuck_rd;
	struct raft_hardstate synced;	/* term and vote on disk */
	bool transferring, was_leader;
	uint64_t transfers;
	bool stopping;
	void (*stop_done)(void *arg);
	void *stop_arg;
};

uint64_t node_id_of(struct in_addr ip)
{
	return ntohl(ip.s_addr);
}

struct in_addr node_ip_of(uint64_t id)
{
	struct in_addr ip = { .s_addr = htonl((uint32_t)id) };

	return ip;
}

static void ip_str(uint64_t id, char *buf)
{
	struct in_addr ip = node_ip_of(id);

	inet_ntop(AF_INET, &ip, buf, INET_ADDRSTRLEN);
}

/* ---- peers ---- */

static int ensure_peer(struct node *n, uint64_t id)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	uint64_t *p;
	int err;

	if (id == n->id || id == 0 || id > UINT32_MAX)
		return 0;
	for (size_t i = 0; i < n->n_peers; i++)
		if (n->peers[i] == id)
			return 0;
	if (n->n_peers == n->cap_peers) {
		size_t cap = n->cap_peers ? n->cap_peers * 2 : 16;

		p = realloc(n->peers, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		n->peers = p;
		p = realloc(n->seen, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		n->seen = p;
		n->cap_peers = cap;
	}
	sa.sin_addr = node_ip_of(id);
	sa.sin_port = htons(n->cfg.raft_port);
	err = transport_peer_set(n->tp, id, (struct sockaddr *)&sa, sizeof(sa));
	if (err)
		return err;
	n->seen[n->n_peers] = 0;
	n->peers[n->n_peers++] = id;
	return 0;
}

static void saw_peer(struct node *n, uint64_t id)
{
	for (size_t i = 0; i < n->n_peers; i++) {
		if (n->peers[i] == id) {
			n->seen[i] = loop_now_ms(n->loop) ?: 1;
			return;
		}
	}
}

static void sync_peers(struct node *n)
{
	const struct raft_conf *c = raft_membership(n->r);

	for (uint32_t i = 0; i < c->n; i++)
		ensure_peer(n, c->members[i].id);
}

/* ---- proposals ---- */

static int pend_add(struct node *n, uint64_t index, node_done_fn done,
		    void *arg)
{
	struct pending *p;

	if (n->n_pend == n->cap_pend) {
		size_t cap = n->cap_pend ? n->cap_pend * 2 : 64;

		p = realloc(n->pend, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		n->pend = p;
		n->cap_pend = cap;
	}
	p = &n->pend[n->n_pend++];
	p->index = index;
	p->term = raft_term(n->r);
	p->done = done;
	p->arg = arg;
	return 0;
}

/* Entry index was applied with term: settle whoever waits on it. */
static void pend_settle(struct node *n, uint64_t index, uint64_t term,
			int64_t result)
{
	size_t k = 0;

	for (size_t i = 0; i < n->n_pend; i++) {
		struct pending p = n->pend[i];

		if (p.index > index) {
			n->pend[k++] = p;
			continue;
		}
		if (p.index == index && p.term == term)
			p.done(p.arg, 0, result, index);
		else
			p.done(p.arg, -EAGAIN, 0, p.index);
	}
	n->n_pend = k;
}

/* ---- the driver ---- */

static void send_msgs(struct node *n, const struct raft_ready *rd,
		      bool after_persist)
{
	for (size_t i = 0; i < rd->n_msgs; i++) {
		const struct raft_msg *m = &rd->msgs[i];
		uint8_t *buf;
		size_t len;
		int err;

		if (m->after_persist != after_persist)
			continue;
		if (ensure_peer(n, m->to))
			continue;
		err = raft_msg_encode(m, &buf, &len);
		if (err) {
			log_warn("cannot encode a raft %s: %s",
				 raft_msg_type_name(m->type), strerror(-err));
			continue;
		}
		/* A full queue drops the message: Raft retransmits. */
		transport_send(n->tp, m->to, FRAME_RAFT, buf, len);
		free(buf);
	}
}

/*
 * A hard state that differs only in its commit index need not be synced
 * (as etcd's MustSync): after a crash the commit index is learned again.
 * It is written with the next entries or term change.
 */
static bool must_sync(const struct node *n, const struct raft_ready *rd)
{
	return rd->n_ents || rd->snap || (rd->hs_changed &&
	       (rd->hs.term != n->synced.term || rd->hs.vote != n->synced.vote));
}

static int persist(struct node *n, const struct raft_ready *rd)
{
	int err = 0;

	if (!must_sync(n, rd))
		return 0;
	if (rd->snap)
		err = raft_store_snapshot(n->st, rd->snap, KEEP_TRAILING);
	if (!err && (rd->hs_changed || rd->n_ents))
		err = raft_store_save(n->st, &rd->hs, rd->ents, rd->n_ents);
	if (!err)
		n->synced = rd->hs;
	return err;
}

static void apply(struct node *n, const struct raft_ready *rd)
{
	if (rd->snap && rd->snap_install) {
		int err = n->fsm->restore(n->fsm_ctx, rd->snap->data,
					  rd->snap->data_len);

		if (err) {
			/* The leader's state cannot be wrong; our copy is. */
			log_err("cannot restore the snapshot at index %llu: %s",
				(unsigned long long)rd->snap->index,
				strerror(-err));
			abort();
		}
		n->last_snapshot = rd->snap->index;
		pend_settle(n, rd->snap->index, 0, 0);
	}
	for (size_t i = 0; i < rd->n_committed; i++) {
		const struct raft_entry *e = &rd->committed[i];
		int64_t result = 0;

		if (e->type == RAFT_ENTRY_NORMAL && e->len)
			result = n->fsm->apply(n->fsm_ctx, e->index, e->data,
					       e->len);
		pend_settle(n, e->index, e->term, result);
	}
}

static void maybe_snapshot(struct node *n)
{
	uint64_t applied = raft_applied(n->r), len;
	uint8_t *data;
	int err;

	if (!n->cfg.snapshot_every ||
	    applied < n->last_snapshot + n->cfg.snapshot_every)
		return;
	err = n->fsm->snapshot(n->fsm_ctx, &data, &len);
	if (!err) {
		err = raft_snapshot(n->r, applied, data, len);
		free(data);
	}
	if (err)
		log_warn("cannot take a snapshot at index %llu: %s",
			 (unsigned long long)applied, strerror(-err));
	else
		n->last_snapshot = applied;
}

static void finish_stop(struct node *n)
{
	void (*done)(void *arg) = n->stop_done;

	n->stop_done = NULL;
	loop_timer_cancel(&n->stop_timer);
	if (done)
		done(n->stop_arg);
}

static void drive(struct node *n);

/* The rest of a ready once it is durable. */
static void complete(struct node *n, struct raft_ready *rd)
{
	send_msgs(n, rd, true);
	apply(n, rd);
	raft_advance(n->r, rd);
}

static void drive(struct node *n)
{
	struct raft_ready rd;
	int err;

	while (!n->stuck && raft_ready(n->r, &rd) == 0) {
		send_msgs(n, &rd, false);
		err = persist(n, &rd);
		if (err == -ENOSPC) {
			log_err("disk full in %s: not voting or acknowledging until space is freed",
				n->cfg.dir);
			n->stuck = true;
			n->stuck_rd = rd;
			loop_timer_arm(&n->retry, DISK_RETRY_MS);
			return;
		}
		if (err) {
			/* The log can no longer be trusted: stop here. */
			log_err("cannot write the raft log in %s: %s",
				n->cfg.dir, strerror(-err));
			abort();
		}
		complete(n, &rd);
		maybe_snapshot(n);
	}
	sync_peers(n);
	if (raft_state(n->r) != RAFT_LEADER) {
		if (n->was_leader && n->transferring)
			n->transfers++;
		n->transferring = false;
		/* Outcome unknown: the entries may still commit elsewhere. */
		if (n->was_leader)
			pend_settle(n, UINT64_MAX, 0, 0);
	}
	n->was_leader = raft_state(n->r) == RAFT_LEADER;
	if (n->stopping && n->stop_done && raft_state(n->r) != RAFT_LEADER)
		finish_stop(n);
}

static void on_retry(struct loop_timer *t)
{
	struct node *n = (struct node *)((char *)t - offsetof(struct node, retry));
	int err;

	err = persist(n, &n->stuck_rd);
	if (err == -ENOSPC) {
		loop_timer_arm(&n->retry, DISK_RETRY_MS);
		return;
	}
	if (err) {
		log_err("cannot write the raft log in %s: %s", n->cfg.dir,
			strerror(-err));
		abort();
	}
	log_info("disk space is back in %s: voting and acknowledging again",
		 n->cfg.dir);
	n->stuck = false;
	complete(n, &n->stuck_rd);
	drive(n);
}

static void on_tick(struct loop_timer *t)
{
	struct node *n = (struct node *)((char *)t - offsetof(struct node, tick));

	loop_timer_arm(&n->tick, TICK_MS);
	if (n->stuck)
		return;
	raft_tick(n->r, loop_now_ms(n->loop));
	drive(n);
}

static void on_frame(void *ctx, uint64_t from, uint8_t type,
		     const uint8_t *buf, size_t len)
{
	struct node *n = ctx;
	struct raft_msg m;
	int err;

	if (type != FRAME_RAFT || n->stuck)
		return;
	err = raft_msg_decode(buf, len, &m);
	if (err) {
		log_debug("dropped a malformed raft message from %llu: %s",
			  (unsigned long long)from, strerror(-err));
		return;
	}
	if (m.from != from || m.to != n->id) {
		raft_msg_release(&m);
		return;
	}
	saw_peer(n, from);
	raft_tick(n->r, loop_now_ms(n->loop));
	err = raft_step(n->r, &m);
	raft_msg_release(&m);
	if (err && err != -ENOMEM)
		log_debug("raft step: %s", strerror(-err));
	drive(n);
}

/* A peer's connection must come from the mesh address its id names. */
static bool accept_peer(void *ctx, uint64_t id, const struct sockaddr *addr,
			socklen_t addrlen)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)addr;
	struct node *n = ctx;

	if (addr->sa_family != AF_INET || addrlen < sizeof(*sin))
		return false;
	if (id > UINT32_MAX || ntohl(sin->sin_addr.s_addr) != id)
		return false;
	return !n->accept || raft_role_of(n->r, id) ||
	       n->accept(n->accept_ctx, (uint32_t)id);
}

void node_set_accept(struct node *n, bool (*fn)(void *ctx, uint32_t ip),
		     void *ctx)
{
	n->accept = fn;
	n->accept_ctx = ctx;
}

uint64_t node_contact_age_ms(const struct node *n, struct in_addr ip)
{
	uint64_t id = node_id_of(ip);

	if (id == n->id)
		return 0;
	for (size_t i = 0; i < n->n_peers; i++)
		if (n->peers[i] == id && n->seen[i])
			return loop_now_ms(n->loop) - n->seen[i];
	return UINT64_MAX;
}

const struct raft *node_raft(const struct node *n)
{
	return n->r;
}

static const struct transport_ops node_transport_ops = {
	.on_frame = on_frame,
	.accept_peer = accept_peer,
};

/* ---- requests ---- */

int node_propose(struct node *n, const void *data, uint32_t len,
		 node_done_fn done, void *arg)
{
	uint64_t index;
	int err;

	if (n->stuck)
		return -ENOSPC;
	if (n->stopping)
		return -ESHUTDOWN;
	if (raft_state(n->r) != RAFT_LEADER)
		return -EREMOTE;
	err = raft_propose(n->r, data, len, &index);
	if (err)
		return err;
	err = pend_add(n, index, done, arg);
	drive(n);
	return err;
}

int node_member(struct node *n, enum raft_conf_op op, struct in_addr ip,
		node_done_fn done, void *arg)
{
	uint64_t index;
	int err;

	if (n->stuck)
		return -ENOSPC;
	if (raft_state(n->r) != RAFT_LEADER)
		return -EREMOTE;
	err = raft_propose_conf(n->r, op, node_id_of(ip), &index);
	if (err)
		return err;
	ensure_peer(n, node_id_of(ip));
	err = pend_add(n, index, done, arg);
	drive(n);
	return err;
}

int node_transfer(struct node *n, struct in_addr to)
{
	int err;

	if (raft_state(n->r) != RAFT_LEADER)
		return -EREMOTE;
	err = raft_transfer(n->r, node_id_of(to));
	if (!err)
		n->transferring = true;
	drive(n);
	return err;
}

static void on_stop_timeout(struct loop_timer *t)
{
	struct node *n = (struct node *)((char *)t -
					 offsetof(struct node, stop_timer));

	log_warn("leadership transfer did not complete: stopping anyway");
	finish_stop(n);
}

void node_stop(struct node *n, void (*done)(void *arg), void *arg)
{
	const struct raft_conf *c = raft_membership(n->r);
	uint64_t best = 0, best_match = 0;

	n->stopping = true;
	n->stop_done = done;
	n->stop_arg = arg;
	if (raft_state(n->r) != RAFT_LEADER || n->stuck) {
		finish_stop(n);
		return;
	}
	for (uint32_t i = 0; i < c->n; i++) {
		uint64_t id = c->members[i].id, m = raft_match_of(n->r, id);

		if (id == n->id || c->members[i].role != RAFT_VOTER)
			continue;
		if (!best || m > best_match) {
			best = id;
			best_match = m;
		}
	}
	if (!best) {
		finish_stop(n);
		return;
	}
	{
		char ip[INET_ADDRSTRLEN];

		ip_str(best, ip);
		log_info("handing leadership to %s before stopping", ip);
	}
	n->transferring = true;
	raft_transfer(n->r, best);
	loop_timer_arm(&n->stop_timer, 2 * (uint64_t)n->cfg.election_ms);
	drive(n);
}

void node_status(const struct node *n, struct node_status *st)
{
	const struct raft_conf *c = raft_membership(n->r);

	memset(st, 0, sizeof(*st));
	if (raft_state(n->r) == RAFT_LEADER)
		st->role = "leader";
	else if (raft_role_of(n->r, n->id) == RAFT_VOTER)
		st->role = "voter";
	else if (raft_role_of(n->r, n->id) == RAFT_LEARNER)
		st->role = "learner";
	else
		st->role = "none";
	st->leader = node_ip_of(raft_leader(n->r));
	st->term = raft_term(n->r);
	st->commit = raft_commit(n->r);
	st->applied = raft_applied(n->r);
	st->last_index = raft_last_index(n->r);
	st->transfers = n->transfers;
	st->disk_full = n->stuck;
	for (uint32_t i = 0; i < c->n; i++) {
		if (c->members[i].role == RAFT_VOTER)
			st->voters++;
		else
			st->learners++;
	}
}

/* ---- life ---- */

static uint64_t node_rand(void *ctx)
{
	(void)ctx;
	return ((uint64_t)random() << 31) ^ (uint64_t)random();
}

static int start_transport(struct node *n)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct transport_config tc;
	int err;

	transport_config_defaults(&tc);
	tc.self_id = n->id;
	tc.bind_device = n->cfg.bind_device;
	err = transport_new(n->loop, &tc, &node_transport_ops, n, &n->tp);
	if (err)
		return err;
	sa.sin_addr = n->cfg.ip;
	sa.sin_port = htons(n->cfg.raft_port);
	return transport_listen(n->tp, (struct sockaddr *)&sa, sizeof(sa));
}

/*
 * --force-new-cluster (design §5): this node's state becomes the whole
 * cluster's. Every entry it holds is applied (as etcd does, the survivor's
 * log is taken as committed), then an empty entry and a snapshot on top of
 * it whose configuration is this node alone, as a voter. The membership
 * of the mesh state is untouched: the leader adds the others back as
 * learners, and an operator removes the ones that are gone for good.
 */
static int force_new_cluster(struct node *n, struct raft_store_state *rec,
			     struct raft_snapshot *snap, char *errbuf,
			     size_t errlen)
{
	struct raft_member self = { .id = n->id, .role = RAFT_VOTER };
	struct raft_conf conf = { .n = 1, .members = &self };
	struct raft_entry noop = { .type = RAFT_ENTRY_NORMAL };
	struct raft_hardstate hs = rec->hs;
	uint64_t last = rec->snap.index;
	int err;

	if (!rec->hs.term) {
		snprintf(errbuf, errlen,
			 "--force-new-cluster: %s holds no raft state to recover from",
			 n->cfg.dir);
		return -ENOENT;
	}
	for (size_t i = 0; i < rec->n_ents; i++) {
		const struct raft_entry *e = &rec->ents[i];

		if (e->type == RAFT_ENTRY_NORMAL && e->len)
			n->fsm->apply(n->fsm_ctx, e->index, e->data, e->len);
		last = e->index;
	}
	noop.index = last + 1;
	noop.term = hs.term;
	hs.vote = n->id;
	hs.commit = noop.index;
	err = raft_store_save(n->st, &hs, &noop, 1);
	if (!err)
		err = n->fsm->snapshot(n->fsm_ctx, &snap->data, &snap->data_len);
	if (!err)
		err = raft_conf_encode(&conf, &snap->conf, &snap->conf_len);
	if (!err) {
		snap->index = noop.index;
		snap->term = noop.term;
		err = raft_store_snapshot(n->st, snap, 0);
	}
	if (err) {
		snprintf(errbuf, errlen, "--force-new-cluster: cannot write %s: %s",
			 n->cfg.dir, strerror(-err));
		return err;
	}
	raft_store_state_free(rec);
	memset(rec, 0, sizeof(*rec));
	rec->hs = hs;
	log_warn("forced a new cluster from this node's state at index %llu: "
		 "it is the only voter; the others come back as learners",
		 (unsigned long long)snap->index);
	return 0;
}

int node_open(struct node **ret, struct loop *loop,
	      const struct node_config *cfg, const struct fsm_ops *fsm,
	      void *fsm_ctx, char *errbuf, size_t errlen)
{
	struct raft_store_state rec = { 0 };
	struct raft_snapshot forced = { 0 };
	struct raft_init init = { 0 };
	struct raft_cfg rc;
	struct node *n;
	int err;

	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->cfg = *cfg;
	n->id = node_id_of(cfg->ip);
	n->loop = loop;
	n->fsm = fsm;
	n->fsm_ctx = fsm_ctx;
	loop_timer_init(&n->tick, loop, on_tick);
	loop_timer_init(&n->retry, loop, on_retry);
	loop_timer_init(&n->stop_timer, loop, on_stop_timeout);
	if (!n->id) {
		snprintf(errbuf, errlen, "this node has no mesh address");
		err = -EINVAL;
		goto fail;
	}
	err = raft_store_open(&n->st, &raft_fileops_posix, NULL, cfg->dir,
			      &rec, errbuf, errlen);
	if (err)
		goto fail;
	if (rec.snap.index) {
		err = fsm->restore(fsm_ctx, rec.snap.data, rec.snap.data_len);
		if (err) {
			snprintf(errbuf, errlen,
				 "the snapshot at index %llu does not restore: %s",
				 (unsigned long long)rec.snap.index,
				 strerror(-err));
			goto fail;
		}
		n->last_snapshot = rec.snap.index;
	}
	if (cfg->force_new_cluster) {
		err = force_new_cluster(n, &rec, &forced, errbuf, errlen);
		if (err)
			goto fail;
		n->last_snapshot = forced.index;
	}
	raft_cfg_defaults(&rc, n->id);
	rc.heartbeat_ms = cfg->heartbeat_ms;
	rc.election_ms = cfg->election_ms;
	rc.rand = node_rand;
	init.hs = rec.hs;
	n->synced = rec.hs;
	init.snap = forced.index ? &forced : &rec.snap;
	init.ents = rec.ents;
	init.n_ents = rec.n_ents;
	srandom((unsigned int)(loop_clock_ms() ^ n->id));
	err = raft_new(&n->r, &rc, &init, loop_now_ms(loop));
	raft_store_state_free(&rec);
	free(forced.conf);
	free(forced.data);
	forced = (struct raft_snapshot){ 0 };
	if (err) {
		snprintf(errbuf, errlen, "cannot start raft from %s: %s",
			 cfg->dir, strerror(-err));
		goto fail;
	}
	if (cfg->bootstrap && raft_last_index(n->r) == 0) {
		struct raft_member self = { .id = n->id, .role = RAFT_VOTER };
		struct raft_conf conf = { .n = 1, .members = &self };

		err = raft_bootstrap(n->r, &conf);
		if (err) {
			snprintf(errbuf, errlen, "cannot bootstrap: %s",
				 strerror(-err));
			goto fail;
		}
		log_info("founding a new cluster");
	}
	err = start_transport(n);
	if (err) {
		snprintf(errbuf, errlen, "cannot listen on the raft port %u: %s",
			 cfg->raft_port, strerror(-err));
		goto fail;
	}
	drive(n);
	loop_timer_arm(&n->tick, TICK_MS);
	*ret = n;
	return 0;
fail:
	raft_store_state_free(&rec);
	free(forced.conf);
	free(forced.data);
	node_close(n);
	return err;
}

void node_close(struct node *n)
{
	if (!n)
		return;
	loop_timer_cancel(&n->tick);
	loop_timer_cancel(&n->retry);
	loop_timer_cancel(&n->stop_timer);
	for (size_t i = 0; i < n->n_pend; i++)
		n->pend[i].done(n->pend[i].arg, -ESHUTDOWN, 0, n->pend[i].index);
	free(n->pend);
	transport_free(n->tp);
	raft_free(n->r);
	raft_store_close(n->st);
	free(n->peers);
	free(n->seen);
	free(n);
}
