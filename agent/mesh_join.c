// SPDX-License-Identifier: GPL-2.0
/*
 * The join plane in the agent (design §4, §9):
 * - every member serves the join port: an authentic request becomes a
 *   NODE_JOIN command run on the leader (mesh_req.c), and the joiner gets
 *   the answer sealed, with every member once this node applied the join;
 * - a node without a mesh address joins with its token, retrying while
 *   no leader can answer, then starts Raft as the address it was given;
 * - a member that starts asks the others' join ports whether it was
 *   evicted while it was down, and wipes itself on an authentic yes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "join/handshake.h"
#include "join/members.h"
#include "join/token.h"
#include "join_cli.h"
#include "join_srv.h"
#include "log.h"
#include "member_file.h"

#define JOIN_TIMEOUT_MS		15000
#define JOIN_BACKOFF_MIN_MS	500
#define JOIN_BACKOFF_MAX_MS	8000
#define APPLY_WAIT_MS		2000
#define APPLY_POLL_MS		20
#define PROBE_TIMEOUT_MS	3000
#define PROBES_MAX		8

/* ---- serving joins ---- */

struct pending_join {
	struct agent *a;
	struct join_srv_conn *conn;	/* NULL once the joiner left */
	uint32_t ip;
	uint64_t index, waited;
	struct loop_timer wait;
};

static uint64_t cluster_id_of(const struct mesh_state *s)
{
	uint64_t id = 0;

	for (int i = 0; i < 8; i++)
		id = id << 8 | s->cluster_id[i];
	return id;
}

static int srv_lookup(void *ctx, const uint8_t id[JOIN_TOKEN_ID_LEN],
		      uint8_t verifier[JOIN_VERIFIER_LEN],
		      uint8_t server_key[JOIN_SERVER_KEY_LEN])
{
	struct agent *a = ctx;
	const struct mesh_token *t = mesh_token_by_id(fsm_mesh_state(a->mesh), id);

	if (!t)
		return -ENOENT;
	memcpy(verifier, t->verifier, JOIN_VERIFIER_LEN);
	memcpy(server_key, t->server_key, JOIN_SERVER_KEY_LEN);
	return 0;
}

static uint64_t srv_cluster_id(void *ctx)
{
	struct agent *a = ctx;
	const struct mesh_state *s = fsm_mesh_state(a->mesh);

	if (!a->node || a->evicted || !s->bootstrapped)
		return 0;
	return cluster_id_of(s) ?: 1;
}

static bool srv_evicted(void *ctx, const uint8_t key[32])
{
	struct agent *a = ctx;
	const struct mesh_state *s = fsm_mesh_state(a->mesh);
	const struct mesh_node *n = mesh_node_by_key(s, key);

	return mesh_tombstoned(s, key) || (n && n->evict != MESH_ACTIVE);
}

static uint16_t refusal_of(int code)
{
	switch (code) {
	case MESH_E_EXPIRED: return JOIN_REFUSE_EXPIRED;
	case MESH_E_EXHAUSTED: return JOIN_REFUSE_EXHAUSTED;
	case MESH_E_REVOKED: return JOIN_REFUSE_REVOKED;
	case MESH_E_NAME_TAKEN: return JOIN_REFUSE_NAME_TAKEN;
	case MESH_E_KEY_TAKEN: return JOIN_REFUSE_KEY_TAKEN;
	case MESH_E_KEY_EVICTED: return JOIN_REFUSE_KEY_EVICTED;
	case MESH_E_NO_ADDRESS:
	case MESH_E_FULL: return JOIN_REFUSE_CIDR_FULL;
	case MESH_E_NO_TOKEN: return JOIN_REFUSE_REVOKED;
	default: return JOIN_REFUSE_BAD_REQUEST;
	}
}

static void pj_free(struct pending_join *pj)
{
	loop_timer_cancel(&pj->wait);
	free(pj);
}

/* The acceptance, from this node's state (every member it knows). */
static int accept_join(struct pending_join *pj)
{
	struct agent *a = pj->a;
	const struct mesh_state *s = fsm_mesh_state(a->mesh);
	struct join_acceptance acc = { .family = 4 };
	struct join_peer *peers;
	uint8_t *buf = NULL;
	size_t len = 0;
	int err;

	peers = calloc(s->n_nodes ?: 1, sizeof(*peers));
	if (!peers)
		return -ENOMEM;
	for (uint32_t i = 0; i < s->n_nodes; i++) {
		const struct mesh_node *n = &s->nodes[i];

		memcpy(peers[i].name, n->name, sizeof(peers[i].name));
		peers[i].ip = n->ip;
		memcpy(peers[i].key, n->key, sizeof(peers[i].key));
		peers[i].endpoint = n->endpoint;
		peers[i].wg_port = n->wg_port;
	}
	err = join_members_encode(peers, s->n_nodes, &buf, &len);
	free(peers);
	if (err)
		return err;
	acc.cluster_id = cluster_id_of(s);
	acc.mesh_ip[0] = (uint8_t)(pj->ip >> 24);
	acc.mesh_ip[1] = (uint8_t)(pj->ip >> 16);
	acc.mesh_ip[2] = (uint8_t)(pj->ip >> 8);
	acc.mesh_ip[3] = (uint8_t)pj->ip;
	acc.cidr_addr[0] = (uint8_t)(s->network >> 24);
	acc.cidr_addr[1] = (uint8_t)(s->network >> 16);
	acc.cidr_addr[2] = (uint8_t)(s->network >> 8);
	acc.cidr_addr[3] = (uint8_t)s->network;
	acc.cidr_prefix = s->prefix;
	acc.members = buf;
	acc.members_len = len;
	err = join_srv_accept(pj->conn, &acc);
	free(buf);
	return err;
}

static void on_apply_wait(struct loop_timer *t)
{
	struct pending_join *pj = (struct pending_join *)((char *)t -
				  offsetof(struct pending_join, wait));
	struct node_status st = { 0 };

	if (!pj->conn) {
		pj_free(pj);
		return;
	}
	if (pj->a->node)
		node_status(pj->a->node, &st);
	if (st.applied < pj->index && pj->waited < APPLY_WAIT_MS) {
		pj->waited += APPLY_POLL_MS;
		loop_timer_arm(&pj->wait, APPLY_POLL_MS);
		return;
	}
	if (accept_join(pj))
		join_srv_refuse(pj->conn, JOIN_REFUSE_UNAVAILABLE);
	pj_free(pj);
}

static void join_decided(void *arg, int err, int code, uint32_t ip,
			 uint64_t index)
{
	struct pending_join *pj = arg;

	if (!pj->conn) {		/* the joiner left */
		pj_free(pj);
		return;
	}
	if (err || code) {
		join_srv_refuse(pj->conn, err ? JOIN_REFUSE_UNAVAILABLE :
				refusal_of(code));
		pj_free(pj);
		return;
	}
	pj->ip = ip;
	pj->index = index;
	on_apply_wait(&pj->wait);
}

static void srv_request(void *ctx, struct join_srv_conn *c,
			const struct join_request *req,
			const struct sockaddr *peer, socklen_t peerlen)
{
	struct agent *a = ctx;
	struct mesh_cmd cmd = { .type = MESH_CMD_NODE_JOIN };
	struct mesh_cmd_node *cn = &cmd.join.node;
	struct pending_join *pj;
	char from[INET6_ADDRSTRLEN] = "?";

	(void)peerlen;
	memcpy(cmd.join.token_id, req->token_id, MESH_TOKEN_ID_LEN);
	snprintf(cn->name, sizeof(cn->name), "%s", req->name);
	memcpy(cn->key, req->wg_key, MESH_KEY_LEN);
	cn->wg_port = req->wg_port;
	cn->voter = req->voter ? MESH_VOTER_AUTO : MESH_VOTER_NEVER;
	if (peer->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)peer;

		inet_ntop(AF_INET, &sin->sin_addr, from, sizeof(from));
		if (!req->endpoint[0]) {
			cn->endpoint.family = AF_INET;
			memcpy(cn->endpoint.addr, &sin->sin_addr, 4);
			cn->endpoint.port = req->wg_port;
		}
	} else if (peer->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)peer;

		inet_ntop(AF_INET6, &sin6->sin6_addr, from, sizeof(from));
		if (!req->endpoint[0]) {
			cn->endpoint.family = AF_INET6;
			memcpy(cn->endpoint.addr, &sin6->sin6_addr, 16);
			cn->endpoint.port = req->wg_port;
		}
	}
	if (req->endpoint[0] &&
	    mesh_endpoint_parse(req->endpoint, &cn->endpoint)) {
		join_srv_refuse(c, JOIN_REFUSE_BAD_REQUEST);
		return;
	}
	pj = calloc(1, sizeof(*pj));
	if (!pj) {
		join_srv_refuse(c, JOIN_REFUSE_UNAVAILABLE);
		return;
	}
	pj->a = a;
	pj->conn = c;
	loop_timer_init(&pj->wait, a->loop, on_apply_wait);
	join_srv_set_owner(c, pj);
	log_info("join request from %s: node %s", from, req->name);
	if (mreq_submit(a, &cmd, join_decided, pj)) {
		join_srv_refuse(c, JOIN_REFUSE_UNAVAILABLE);
		pj_free(pj);
	}
}

static void srv_cancel(void *ctx, struct join_srv_conn *c)
{
	struct pending_join *pj = join_srv_owner(c);

	(void)ctx;
	if (pj)
		pj->conn = NULL;	/* freed when its answer comes */
}

static const struct join_srv_ops srv_ops = {
	.lookup = srv_lookup,
	.cluster_id = srv_cluster_id,
	.request = srv_request,
	.cancel = srv_cancel,
	.evicted = srv_evicted,
};

/*
 * The join port listens on network.endpoint's address when it is one of
 * this host's, else on every address.
 */
int mesh_join_listen(struct agent *a)
{
	struct join_srv_config jc = {
		.max_conns = 64,
		.deadline_ms = 10000,
		.member_priv = a->private_key,
	};
	struct mesh_endpoint ep;
	struct sockaddr_storage ss = { 0 };
	int err;

	if (a->cfg.endpoint[0] && !mesh_endpoint_parse(a->cfg.endpoint, &ep) &&
	    ep.family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, ep.addr, 4);
		jc.addrlen = sizeof(*sin);
	} else if (a->cfg.endpoint[0] && ep.family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, ep.addr, 16);
		jc.addrlen = sizeof(*sin6);
	}
	for (int i = 0; i < 2; i++) {
		if (!jc.addrlen || i) {
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

			memset(&ss, 0, sizeof(ss));
			sin6->sin6_family = AF_INET6;
			sin6->sin6_addr = in6addr_any;
			jc.addrlen = sizeof(*sin6);
		}
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)a->cfg.tcp_join_port);
		jc.addr = (struct sockaddr *)&ss;
		err = join_srv_open(a->loop, &jc, &srv_ops, a, &a->jsrv);
		if (err != -EADDRNOTAVAIL)
			break;
	}
	if (err)
		log_err("cannot listen on the join port %u: %s",
			a->cfg.tcp_join_port, strerror(-err));
	return err;
}

/* ---- joining ---- */

struct joining {
	struct agent *a;
	struct join_token token;
	struct join_request req;
	int (*start)(struct agent *a);
	uint32_t backoff;
	struct loop_timer retry;
};

static struct joining *the_join;

static void join_attempt(struct joining *j);

static void join_finish(struct joining *j)
{
	loop_timer_cancel(&j->retry);
	join_token_wipe(&j->token);
	j->a->jcli = NULL;
	the_join = NULL;
	free(j);
}

static void join_fatal(struct joining *j, const char *why)
{
	struct agent *a = j->a;

	log_err("cannot join the mesh: %s", why);
	join_finish(j);
	agent_stop(a, "the join failed", 1);
}

static void join_later(struct joining *j, const char *why)
{
	log_warn("join through %s: %s; retrying in %u ms", j->a->cfg.join_endpoint,
		 why, j->backoff);
	loop_timer_arm(&j->retry, j->backoff);
	j->backoff = j->backoff * 2 > JOIN_BACKOFF_MAX_MS ? JOIN_BACKOFF_MAX_MS :
		     j->backoff * 2;
}

static int joined(struct joining *j, const struct join_acceptance *acc)
{
	struct agent *a = j->a;
	struct join_peer *peers = NULL;
	struct dp_peer *dpp;
	char ip[INET_ADDRSTRLEN];
	size_t n = 0, k = 0;
	int err;

	if (acc->family != 4 || acc->cidr_prefix < 8 || acc->cidr_prefix > 30)
		return -EPROTO;
	err = join_members_decode(acc->members, acc->members_len, &peers, &n);
	if (err)
		return err;
	a->accepted_ips = calloc(n ?: 1, sizeof(*a->accepted_ips));
	dpp = calloc(n ?: 1, sizeof(*dpp));
	if (!a->accepted_ips || !dpp) {
		free(peers);
		free(dpp);
		return -ENOMEM;
	}
	memcpy(&a->mesh_ip, acc->mesh_ip, 4);
	memcpy(&a->network, acc->cidr_addr, 4);
	a->prefix = acc->cidr_prefix;
	for (size_t i = 0; i < n; i++) {
		struct mesh_node m = { .ip = peers[i].ip };

		a->accepted_ips[i] = peers[i].ip;
		if (peers[i].ip == ntohl(a->mesh_ip.s_addr))
			continue;	/* this node */
		memcpy(m.key, peers[i].key, sizeof(m.key));
		m.endpoint = peers[i].endpoint;
		m.wg_port = peers[i].wg_port;
		mesh_node_peer(&m, &dpp[k++]);
	}
	a->n_accepted_ips = n;
	free(peers);
	err = member_file_save(a->cfg.data_dir, a->mesh_ip, a->network, a->prefix);
	if (err) {
		log_err("cannot write %s/member: %s", a->cfg.data_dir, strerror(-err));
		free(dpp);
		return err;
	}
	inet_ntop(AF_INET, &a->mesh_ip, ip, sizeof(ip));
	log_info("node %s: member of the mesh as %s (%zu members)", a->cfg.name, ip, n);
	/* the device and the peers now: the leader is reached through them */
	err = dpa_open(a);
	if (!err)
		dpa_replace_peers(a, dpp, k);
	free(dpp);
	return err ? err : j->start(a);
}

static void join_done(void *arg, int err, struct join_outcome *o)
{
	struct joining *j = arg;
	char why[128];

	j->a->jcli = NULL;
	if (err == -EACCES) {
		join_fatal(j, "the token was not accepted (unknown token or wrong secret)");
		return;
	}
	if (err) {
		join_later(j, strerror(-err));
		return;
	}
	if (o->refusal == JOIN_REFUSE_UNAVAILABLE) {
		join_outcome_release(o);
		join_later(j, "the mesh cannot take joins right now");
		return;
	}
	if (o->refusal) {
		snprintf(why, sizeof(why), "refused: %s", join_refusal_str(o->refusal));
		join_outcome_release(o);
		join_fatal(j, why);
		return;
	}
	err = joined(j, &o->acc);
	join_outcome_release(o);
	if (err) {
		struct agent *a = j->a;

		join_finish(j);
		agent_stop(a, "cannot start after joining", 1);
		return;
	}
	join_finish(j);
}

static void join_attempt(struct joining *j)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int err;

	err = join_resolve(j->a->cfg.join_endpoint, &ss, &len);
	if (err) {
		join_later(j, "cannot resolve join.endpoint");
		return;
	}
	err = join_cli_start(j->a->loop, (struct sockaddr *)&ss, len, &j->token,
			     &j->req, JOIN_TIMEOUT_MS, join_done, j, &j->a->jcli);
	if (err)
		join_later(j, strerror(-err));
}

static void on_join_retry(struct loop_timer *t)
{
	join_attempt((struct joining *)((char *)t - offsetof(struct joining, retry)));
}

int mesh_join_start(struct agent *a, const char *token,
		    int (*start)(struct agent *a))
{
	struct joining *j;

	if (!a->cfg.join_endpoint[0]) {
		log_err("this node is not a mesh member yet and join.endpoint is not set");
		return -EINVAL;
	}
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	if (join_token_parse(token, &j->token)) {
		free(j);
		log_err("the join token is malformed (expected atom.<id>.<secret>)");
		return -EINVAL;
	}
	j->a = a;
	j->start = start;
	j->backoff = JOIN_BACKOFF_MIN_MS;
	snprintf(j->req.name, sizeof(j->req.name), "%s", a->cfg.name);
	memcpy(j->req.wg_key, a->pub, sizeof(j->req.wg_key));
	snprintf(j->req.endpoint, sizeof(j->req.endpoint), "%s", a->cfg.endpoint);
	j->req.wg_port = (uint16_t)a->cfg.wireguard_port;
	j->req.join_port = (uint16_t)a->cfg.tcp_join_port;
	j->req.raft_port = (uint16_t)a->cfg.raft_port;
	j->req.rpc_port = (uint16_t)a->cfg.rpc_port;
	j->req.voter = a->cfg.voter != CONFIG_VOTER_NEVER;
	loop_timer_init(&j->retry, a->loop, on_join_retry);
	the_join = j;
	log_info("joining the mesh through %s", a->cfg.join_endpoint);
	loop_timer_arm(&j->retry, 0);
	return 0;
}

/* ---- was this node evicted while it was down? ---- */

struct probe {
	struct agent *a;
	struct join_cli_probe *p;
};

static struct probe probes[PROBES_MAX];
static unsigned int n_probes;

static void probe_done(void *arg, int result)
{
	struct probe *pr = arg;
	struct agent *a = pr->a;

	pr->p = NULL;
	if (result != 1 || a->evicted)
		return;
	log_info("node %s: a member says this node was evicted while it was down",
		 a->cfg.name);
	for (unsigned int i = 0; i < n_probes; i++) {
		if (probes[i].p)
			join_cli_probe_cancel(probes[i].p);
		probes[i].p = NULL;
	}
	house_wipe_and_exit(a);
}

void mesh_join_probe_evicted(struct agent *a)
{
	const struct mesh_state *s = fsm_mesh_state(a->mesh);
	uint8_t *keys;
	uint32_t n = 0;

	if (!s->bootstrapped)
		return;
	keys = calloc(s->n_nodes ?: 1, WG_KEY_LEN);
	if (!keys)
		return;
	for (uint32_t i = 0; i < s->n_nodes; i++)
		if (memcmp(s->nodes[i].key, a->pub, WG_KEY_LEN))
			memcpy(keys + WG_KEY_LEN * n++, s->nodes[i].key, WG_KEY_LEN);
	n_probes = 0;
	for (uint32_t i = 0; i < s->n_nodes && n_probes < PROBES_MAX; i++) {
		const struct mesh_node *m = &s->nodes[i];
		struct sockaddr_storage ss = { 0 };
		socklen_t len;

		if (!memcmp(m->key, a->pub, WG_KEY_LEN) || !m->endpoint.family)
			continue;
		if (m->endpoint.family == AF_INET) {
			struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

			sin->sin_family = AF_INET;
			memcpy(&sin->sin_addr, m->endpoint.addr, 4);
			sin->sin_port = htons((uint16_t)a->cfg.tcp_join_port);
			len = sizeof(*sin);
		} else {
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

			sin6->sin6_family = AF_INET6;
			memcpy(&sin6->sin6_addr, m->endpoint.addr, 16);
			sin6->sin6_port = htons((uint16_t)a->cfg.tcp_join_port);
			len = sizeof(*sin6);
		}
		probes[n_probes].a = a;
		if (!join_cli_probe_start(a->loop, (struct sockaddr *)&ss, len,
					  a->private_key, a->pub, keys, n,
					  PROBE_TIMEOUT_MS, probe_done,
					  &probes[n_probes], &probes[n_probes].p))
			n_probes++;
	}
	free(keys);
}

void mesh_join_close(struct agent *a)
{
	for (unsigned int i = 0; i < n_probes; i++) {
		if (probes[i].p)
			join_cli_probe_cancel(probes[i].p);
		probes[i].p = NULL;
	}
	n_probes = 0;
	if (a->jcli)
		join_cli_cancel(a->jcli);
	a->jcli = NULL;
	if (the_join)
		join_finish(the_join);
	if (a->jsrv)
		join_srv_close(a->jsrv);
	a->jsrv = NULL;
}
