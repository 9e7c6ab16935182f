// SPDX-License-Identifier: GPL-2.0
/*
 * What the leader keeps doing on its own, every MESH_HOUSE_MS:
 * - the bootstrap entry, once, when it founded the cluster;
 * - Raft membership converging to the state's (membership.h), one change
 *   at a time, from its first tick as leader on;
 * - eviction's second phase: an evicting node that acknowledged, or
 *   stayed silent past MESH_EVICT_TIMEOUT_MS, is removed.
 * And what every node does when the state says it was evicted: once the
 * entry is committed and applied here, it acknowledges to the leader,
 * wipes its private key and data dir, and exits 0.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "datadir.h"
#include "log.h"
#include "membership.h"
#include "rpc.h"
#include "rpc_client.h"

#define HEALTHY_MS	1000
#define CATCH_UP_LAG	16
#define HOLD_MS		5000
#define ACK_TIMEOUT_MS	1000

static void ip_str(uint32_t ip, char *buf)
{
	struct in_addr a = { .s_addr = htonl(ip) };

	inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

/* ---- bootstrap ---- */

static void boot_done(void *arg, int err, int code, uint32_t ip,
		      uint64_t index)
{
	struct agent *a = arg;
	char s[INET_ADDRSTRLEN];

	(void)index;
	a->boot_busy = false;
	if (err == -ESHUTDOWN)
		return;
	if (err || (code && code != MESH_E_BOOTSTRAPPED)) {
		log_warn("bootstrap entry: %s", err ? strerror(-err) :
			 mesh_refusal_str(code));
		return;
	}
	if (!code) {
		ip_str(ip, s);
		log_info("mesh founded: %s is %s", a->cfg.name, s);
	}
}

static void bootstrap(struct agent *a)
{
	struct mesh_cmd cmd = { .type = MESH_CMD_BOOTSTRAP };

	randombytes_buf(cmd.bootstrap.cluster_id, MESH_CLUSTER_ID_LEN);
	cmd.bootstrap.network = ntohl(a->cfg.network.s_addr);
	cmd.bootstrap.prefix = (uint8_t)a->cfg.prefix;
	snprintf(cmd.bootstrap.node.name, sizeof(cmd.bootstrap.node.name),
		 "%s", a->cfg.name);
	memcpy(cmd.bootstrap.node.key, a->pub, MESH_KEY_LEN);
	if (a->cfg.endpoint[0])
		mesh_endpoint_parse(a->cfg.endpoint, &cmd.bootstrap.node.endpoint);
	cmd.bootstrap.node.wg_port = (uint16_t)a->cfg.wireguard_port;
	cmd.bootstrap.node.voter = a->cfg.voter == CONFIG_VOTER_NEVER ?
				   MESH_VOTER_NEVER : MESH_VOTER_AUTO;
	if (!mreq_submit(a, &cmd, boot_done, a))
		a->boot_busy = true;
}

/* ---- membership ---- */

static void conf_done(void *arg, int err, int64_t result, uint64_t index)
{
	struct agent *a = arg;

	(void)result;
	(void)index;
	a->conf_busy = false;
	if (err && err != -ESHUTDOWN && err != -EAGAIN)
		log_warn("membership change failed: %s", strerror(-err));
}

static const char *conf_op_str(enum raft_conf_op op)
{
	switch (op) {
	case RAFT_CONF_ADD_LEARNER: return "adding as a raft learner";
	case RAFT_CONF_PROMOTE: return "promoting to raft voter";
	case RAFT_CONF_DEMOTE: return "demoting to raft learner";
	case RAFT_CONF_REMOVE: return "removing from raft";
	default: return "changing";
	}
}

static void converge(struct agent *a, uint64_t now)
{
	const struct mesh_state *s = fsm_mesh_state(a->mesh);
	const struct raft *r = node_raft(a->node);
	struct member_fact *facts;
	struct member_plan_in in = {
		.self = raft_id(r),
		.last_index = raft_last_index(r),
		.voters_target = a->cfg.voters,
		.healthy_ms = HEALTHY_MS,
		.grace_ms = MESH_VOTER_GRACE_MS,
		.lag = CATCH_UP_LAG,
		.conf = raft_membership(r),
	};
	enum raft_conf_op op;
	uint64_t id, led = now - a->leader_since;
	char ip[INET_ADDRSTRLEN];
	int err;

	facts = calloc(s->n_nodes ?: 1, sizeof(*facts));
	if (!facts)
		return;
	for (uint32_t i = 0; i < s->n_nodes; i++) {
		const struct mesh_node *n = &s->nodes[i];
		struct member_fact *f = &facts[i];
		uint64_t age = node_contact_age_ms(a->node, (struct in_addr){ htonl(n->ip) });

		f->ip = n->ip;
		f->eligible = n->voter == MESH_VOTER_AUTO &&
			      !(n->ip == a->hold_ip && now < a->hold_until);
		f->evicting = n->evict != MESH_ACTIVE;
		f->role = raft_role_of(r, n->ip);
		f->match = n->ip == in.self ? in.last_index : raft_match_of(r, n->ip);
		f->contact_age_ms = age < led ? age : led;
	}
	in.nodes = facts;
	in.n_nodes = s->n_nodes;
	err = member_plan(&in, &op, &id);
	free(facts);
	if (err)
		return;
	a->conf_busy = true;	/* conf_done may run inside node_member */
	err = node_member(a->node, op, node_ip_of(id), conf_done, a);
	if (err) {
		a->conf_busy = false;
		log_debug("membership change: %s", strerror(-err));
		return;
	}
	ip_str((uint32_t)id, ip);
	log_info("membership: %s %s", ip, conf_op_str(op));
}

/* ---- eviction, leader side ---- */

static void remove_done(void *arg, int err, int code, uint32_t ip,
			uint64_t index)
{
	struct agent *a = arg;

	(void)ip;
	(void)index;
	a->remove_busy = false;
	if (err && err != -ESHUTDOWN)
		log_warn("removing an evicted node: %s", strerror(-err));
	else if (code && code != MESH_E_NO_NODE)
		log_warn("removing an evicted node: %s", mesh_refusal_str(code));
}

static void evictions(struct agent *a, uint64_t now)
{
	const struct mesh_state *s = fsm_mesh_state(a->mesh);
	unsigned int k = 0;

	/* forget entries whose node left the evicting state */
	for (unsigned int i = 0; i < a->n_evq; i++) {
		const struct mesh_node *n = mesh_node_by_ip(s, a->evq[i].ip);

		if (n && n->evict == MESH_EVICTING)
			a->evq[k++] = a->evq[i];
	}
	a->n_evq = k;
	for (uint32_t i = 0; i < s->n_nodes; i++) {
		const struct mesh_node *n = &s->nodes[i];
		unsigned int j;

		if (n->evict != MESH_EVICTING)
			continue;
		for (j = 0; j < a->n_evq && a->evq[j].ip != n->ip; j++)
			;
		if (j == a->n_evq) {
			if (a->n_evq == sizeof(a->evq) / sizeof(a->evq[0]))
				continue;
			a->evq[j].ip = n->ip;
			a->evq[j].since = now;
			a->evq[j].acked = false;
			a->n_evq++;
		}
		if (a->remove_busy)
			continue;
		if (a->evq[j].acked || now - a->evq[j].since >= MESH_EVICT_TIMEOUT_MS) {
			struct mesh_cmd cmd = { .type = MESH_CMD_NODE_REMOVE };

			memcpy(cmd.remove.name, n->name, sizeof(cmd.remove.name));
			if (!mreq_submit(a, &cmd, remove_done, a)) {
				a->remove_busy = true;
				log_info("removing %s: %s", n->name, a->evq[j].acked ?
					 "it acknowledged its eviction" :
					 "it did not acknowledge in time");
			}
		}
	}
}

void house_evict_acked(struct agent *a, uint32_t ip)
{
	for (unsigned int i = 0; i < a->n_evq; i++)
		if (a->evq[i].ip == ip)
			a->evq[i].acked = true;
	if (a->n_evq < sizeof(a->evq) / sizeof(a->evq[0])) {
		for (unsigned int i = 0; i < a->n_evq; i++)
			if (a->evq[i].ip == ip)
				return;
		a->evq[a->n_evq].ip = ip;
		a->evq[a->n_evq].since = loop_now_ms(a->loop);
		a->evq[a->n_evq].acked = true;
		a->n_evq++;
	}
}

/* The voter with the highest match other than us, or 0. */
static uint64_t best_voter(const struct raft *r)
{
	const struct raft_conf *c = raft_membership(r);
	uint64_t best = 0, best_match = 0;

	for (uint32_t i = 0; i < c->n; i++) {
		uint64_t id = c->members[i].id, m = raft_match_of(r, id);

		if (id == raft_id(r) || c->members[i].role != RAFT_VOTER)
			continue;
		if (!best || m > best_match) {
			best = id;
			best_match = m;
		}
	}
	return best;
}

int house_before_evict(struct agent *a, const char *name)
{
	const struct mesh_node *n = mesh_node_by_name(fsm_mesh_state(a->mesh), name);
	const struct raft *r = node_raft(a->node);
	uint64_t to;
	int err;

	if (!n || n->evict != MESH_ACTIVE)
		return 0;		/* apply answers */
	if (n->ip == raft_id(r)) {
		to = best_voter(r);
		if (!to)
			return 0;
		log_info("handing leadership over before evicting this node");
		err = node_transfer(a->node, node_ip_of(to));
		return err ? err : -EAGAIN;
	}
	if (raft_role_of(r, n->ip) != RAFT_VOTER)
		return 0;
	a->hold_ip = n->ip;
	a->hold_until = loop_now_ms(a->loop) + HOLD_MS;
	if (!a->conf_busy) {
		a->conf_busy = true;
		if (node_member(a->node, RAFT_CONF_DEMOTE, node_ip_of(n->ip), conf_done, a))
			a->conf_busy = false;
		else
			log_info("demoting %s to raft learner before evicting it", name);
	}
	return -EAGAIN;
}

/* ---- endpoint ---- */

static void update_done(void *arg, int err, int code, uint32_t ip,
			uint64_t index)
{
	struct agent *a = arg;

	(void)ip;
	(void)index;
	a->update_busy = false;
	if (!err && !code)
		a->endpoint_checked = true;
}

/* network.endpoint changed since this node joined: record the new one. */
static void check_endpoint(struct agent *a)
{
	const struct mesh_node *self = agent_self(a);
	struct mesh_cmd cmd = { .type = MESH_CMD_NODE_UPDATE };

	if (!self || a->update_busy || !a->cfg.endpoint[0])
		return;
	if (mesh_endpoint_parse(a->cfg.endpoint, &cmd.update.endpoint) ||
	    !memcmp(&cmd.update.endpoint, &self->endpoint, sizeof(self->endpoint))) {
		a->endpoint_checked = true;
		return;
	}
	memcpy(cmd.update.name, self->name, sizeof(cmd.update.name));
	if (!mreq_submit(a, &cmd, update_done, a)) {
		a->update_busy = true;
		log_info("network.endpoint changed to %s: recording it", a->cfg.endpoint);
	}
}

/* ---- the timer ---- */

static void on_house(struct loop_timer *t)
{
	struct agent *a = (struct agent *)((char *)t - offsetof(struct agent, house));
	const struct mesh_state *s;
	uint64_t now = loop_now_ms(a->loop);

	loop_timer_arm(&a->house, MESH_HOUSE_MS);
	if (!a->node || a->stopping || a->evicted || a->raw)
		return;
	s = fsm_mesh_state(a->mesh);
	if (s->bootstrapped && !a->endpoint_checked && agent_leader(a).s_addr)
		check_endpoint(a);
	if (agent_leader(a).s_addr != a->mesh_ip.s_addr) {
		a->leader_since = 0;
		return;
	}
	if (!a->leader_since) {
		a->leader_since = now ?: 1;
		a->n_evq = 0;
	}
	if (!s->bootstrapped) {
		if (a->cfg.bootstrap && !a->boot_busy)
			bootstrap(a);
		return;
	}
	if (!a->conf_busy && now >= a->paused_until)
		converge(a, now);
	evictions(a, now);
}

/* ---- this node evicted ---- */

void house_wipe_and_exit(struct agent *a)
{
	char dir[CONFIG_PATH_MAX];
	int err;

	mreq_cancel_all(a);
	node_close(a->node);
	a->node = NULL;
	err = keyfile_wipe(a->cfg.private_key_path);
	if (err && err != -ENOENT)
		log_err("cannot wipe the private key %s: %s",
			a->cfg.private_key_path, strerror(-err));
	snprintf(dir, sizeof(dir), "%s", a->cfg.data_dir);
	err = datadir_wipe(dir);
	if (err)
		log_err("cannot wipe the data dir %s: %s", dir, strerror(-err));
	log_info("node %s: evicted from the mesh: private key and data wiped",
		 a->cfg.name);
	agent_stop(a, "evicted", 0);
}

static void ack_done(void *arg, int err, const uint8_t *attrs, size_t len)
{
	(void)err;
	(void)attrs;
	(void)len;
	house_wipe_and_exit(arg);
}

static void on_evicted(struct loop_timer *t)
{
	struct agent *a = (struct agent *)((char *)t - offsetof(struct agent, evict_timer));
	struct in_addr leader = agent_leader(a);
	struct sockaddr_in to = { .sin_family = AF_INET }, from = to;
	struct rpc_target target = {
		.addr = (struct sockaddr *)&to, .addrlen = sizeof(to),
		.src = (struct sockaddr *)&from, .srclen = sizeof(from),
		.bind_device = dpa_bind_device(a),
	};
	static const uint8_t no_attrs[1];
	struct rpc_pending *p;

	if (!leader.s_addr || leader.s_addr == a->mesh_ip.s_addr) {
		house_wipe_and_exit(a);
		return;
	}
	to.sin_addr = leader;
	to.sin_port = htons((uint16_t)a->cfg.rpc_port);
	from.sin_addr = a->mesh_ip;
	if (rpc_call(a->loop, &target, 1, RPC_OP_EVICT_ACK, no_attrs, 0,
		     ACK_TIMEOUT_MS, ack_done, a, &p))
		house_wipe_and_exit(a);
}

void house_applied(struct agent *a, uint64_t index,
		   const struct mesh_apply_out *out)
{
	const struct mesh_node *self;

	(void)index;
	(void)out;
	if (a->evicted || a->raw)
		return;
	self = agent_self(a);
	if ((self && self->evict != MESH_ACTIVE) ||
	    mesh_tombstoned(fsm_mesh_state(a->mesh), a->pub)) {
		a->evicted = true;
		log_info("node %s: evicting: this node was removed from the mesh",
			 a->cfg.name);
		loop_timer_init(&a->evict_timer, a->loop, on_evicted);
		loop_timer_arm(&a->evict_timer, 0);
	}
}

int house_start(struct agent *a)
{
	loop_timer_init(&a->house, a->loop, on_house);
	return loop_timer_arm(&a->house, MESH_HOUSE_MS);
}

void house_stop(struct agent *a)
{
	loop_timer_cancel(&a->house);
}
