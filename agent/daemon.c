// SPDX-License-Identifier: GPL-2.0
/*
 * The agent process: configuration, data directory, management socket,
 * signals, the Raft node with the mesh state machine, and the loop that
 * runs everything. The mesh itself lives in mesh_*.c (agent.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "version.h"
#include "agent.h"
#include "config.h"
#include "daemon.h"
#include "datadir.h"
#include "keyfile.h"
#include "log.h"
#include "loop.h"
#include "member_file.h"
#include "mgmt.h"
#include "node.h"
#include "rpc.h"
#include "util/tlv.h"

static void stopped(void *arg)
{
	struct agent *a = arg;

	loop_stop(a->loop);
}

void agent_stop(struct agent *a, const char *why, int status)
{
	if (a->stopping)
		return;
	a->stopping = true;
	a->exit_status = status;
	log_info("stopping: %s", why);
	if (a->node)
		node_stop(a->node, stopped, a);	/* a leader hands off first */
	else
		loop_stop(a->loop);
}

static void on_signal(struct loop *loop, int signo, void *arg)
{
	(void)loop;
	agent_stop(arg, signo == SIGTERM ? "SIGTERM" : "SIGINT", 0);
}

static void status_reply(struct agent *a, struct mgmt_call *call)
{
	struct tlv_writer *w = mgmt_call_writer(call);
	char ip[INET_ADDRSTRLEN] = "", leader[MESH_NAME_MAX + 1] = "";
	struct node_status st = { .role = "none" };

	if (a->node)
		node_status(a->node, &st);
	if (a->mesh_ip.s_addr)
		inet_ntop(AF_INET, &a->mesh_ip, ip, sizeof(ip));
	if (st.leader.s_addr) {
		const struct mesh_node *n = a->mesh && !a->raw ?
			mesh_node_by_ip(fsm_mesh_state(a->mesh), ntohl(st.leader.s_addr)) : NULL;

		if (n)		/* the leader's name, once the state has it */
			snprintf(leader, sizeof(leader), "%s", n->name);
		else
			inet_ntop(AF_INET, &st.leader, leader, sizeof(leader));
	}
	tlv_put_str(w, RPC_A_NAME, a->cfg.name);
	tlv_put_str(w, RPC_A_MESH_IP, ip);
	tlv_put_str(w, RPC_A_RAFT_ROLE, st.role);
	tlv_put_str(w, RPC_A_LEADER, leader);
	tlv_put_u64(w, RPC_A_TERM, st.term);
	tlv_put_u64(w, RPC_A_COMMIT, st.commit);
	tlv_put_u64(w, RPC_A_APPLIED, st.applied);
	tlv_put_u64(w, RPC_A_LAST_INDEX, st.last_index);
	tlv_put_u64(w, RPC_A_TRANSFERS, st.transfers);
	tlv_put_u32(w, RPC_A_VOTERS, st.voters);
	tlv_put_u32(w, RPC_A_LEARNERS, st.learners);
	tlv_put_u32(w, RPC_A_DISK_FULL, st.disk_full);
	tlv_put_str(w, RPC_A_BACKEND, a->backend ?: config_backend_name(a->cfg.backend));
	tlv_put_str(w, RPC_A_PUBLIC_KEY, a->public_key);
	tlv_put_str(w, RPC_A_VERSION, ATOM_VERSION);
	tlv_put_u32(w, RPC_A_PID, (uint32_t)getpid());
	mgmt_reply(call, 0, NULL);
}

/* Refuse on a follower, naming the leader the client should ask. */
static void not_leader(struct agent *a, struct mgmt_call *call, int err)
{
	char msg[96], ip[INET_ADDRSTRLEN] = "none known";
	struct node_status st;

	if (err != -EREMOTE) {
		mgmt_reply(call, err, NULL);
		return;
	}
	node_status(a->node, &st);
	if (st.leader.s_addr)
		inet_ntop(AF_INET, &st.leader, ip, sizeof(ip));
	snprintf(msg, sizeof(msg), "not the leader; the leader is %s", ip);
	mgmt_reply(call, err, msg);
}

#define LOST_WRITE \
	"leadership changed before the write was applied; it may or may not have been: retry"

static void applied_reply(void *arg, int err, int64_t result, uint64_t index)
{
	struct mgmt_call *call = arg;

	if (!err) {
		tlv_put_u64(mgmt_call_writer(call), RPC_A_INDEX, index);
		if (result < 0)
			err = (int)result;
	}
	mgmt_reply(call, err, err == -EAGAIN ? LOST_WRITE : NULL);
}

static int get_attrs(const uint8_t *attrs, size_t len, uint64_t *id,
		     uint32_t *conf_op, struct in_addr *ip)
{
	struct tlv_reader r;
	struct tlv t;
	char s[INET_ADDRSTRLEN];
	int rc;

	tlv_reader_init(&r, attrs, len);
	while ((rc = tlv_next(&r, &t)) > 0) {
		if (t.type == RPC_A_PROBE_ID && id) {
			rc = tlv_u64(&t, id);
		} else if (t.type == RPC_A_CONF_OP && conf_op) {
			rc = tlv_u32(&t, conf_op);
		} else if (t.type == RPC_A_MESH_IP && ip) {
			rc = tlv_str(&t, s, sizeof(s));
			if (!rc && inet_pton(AF_INET, s, ip) != 1)
				rc = -EINVAL;
		}
		if (rc < 0)
			return rc;
	}
	return rc;
}

static void raft_request(struct agent *a, struct mgmt_call *call, uint32_t op,
			 const uint8_t *attrs, size_t len)
{
	struct in_addr ip = { 0 };
	uint32_t conf_op = 0;
	uint64_t id = 0;
	uint8_t probe[9];
	int err;

	if (!a->node) {
		mgmt_reply(call, -ENOTCONN, "this node is not a mesh member yet");
		return;
	}
	err = get_attrs(attrs, len, &id, &conf_op, &ip);
	if (err < 0) {
		mgmt_reply(call, -EINVAL, "malformed request");
		return;
	}
	switch (op) {
	case RPC_OP_PROBE_WRITE:
		probe[0] = FSM_PROBE;
		for (int i = 0; i < 8; i++)
			probe[1 + i] = (uint8_t)(id >> (56 - 8 * i));
		err = node_propose(a->node, probe, sizeof(probe), applied_reply,
				   call);
		break;
	case RPC_OP_PROBE_READ: {
		struct tlv_writer *w = mgmt_call_writer(call);

		tlv_put_u64(w, RPC_A_COUNT, fsm_probe_count(a->probe));
		tlv_put_u64(w, RPC_A_HASH, fsm_probe_hash(a->probe));
		tlv_put(w, RPC_A_BITMAP, fsm_probe_bitmap(a->probe),
			FSM_PROBE_MAX / 8);
		mgmt_reply(call, 0, NULL);
		return;
	}
	case RPC_OP_RAFT_MEMBER:
		if (!ip.s_addr || conf_op < RAFT_CONF_ADD_LEARNER ||
		    conf_op > RAFT_CONF_REMOVE) {
			mgmt_reply(call, -EINVAL, "needs a mesh address and a change");
			return;
		}
		err = node_member(a->node, conf_op, ip, applied_reply, call);
		break;
	case RPC_OP_RAFT_TRANSFER:
		err = node_transfer(a->node, ip);
		if (!err)
			mgmt_reply(call, 0, NULL);
		break;
	}
	if (err)
		not_leader(a, call, err);
}

static void house_pause(struct agent *a, const uint8_t *attrs, size_t len)
{
	struct tlv_reader r;
	uint64_t s = 0;
	struct tlv t;

	tlv_reader_init(&r, attrs, len);
	while (tlv_next(&r, &t) > 0)
		if (t.type == RPC_A_TTL_S && tlv_u64(&t, &s) == 0 && s <= 3600)
			a->paused_until = loop_now_ms(a->loop) + s * 1000;
	log_info("membership changes paused for %llu s (test)", (unsigned long long)s);
}

static void on_request(void *ctx, struct mgmt_call *call, uint32_t op,
		       const uint8_t *attrs, size_t len)
{
	struct agent *a = ctx;

	switch (op) {
	case RPC_OP_PROBE_WRITE:
	case RPC_OP_PROBE_READ:
	case RPC_OP_RAFT_MEMBER:
	case RPC_OP_RAFT_TRANSFER:
		raft_request(a, call, op, attrs, len);
		return;
	case RPC_OP_STATUS:
		status_reply(a, call);
		return;
	case RPC_OP_STOP: {
		struct tlv_reader r;
		struct tlv t;
		uint32_t down = 0;

		tlv_reader_init(&r, attrs, len);
		while (tlv_next(&r, &t) > 0)
			if (t.type == RPC_A_DOWN)
				tlv_u32(&t, &down);
		a->down = down;
		mgmt_reply(call, 0, NULL);
		agent_stop(a, down ? "atom daemon stop --down" : "atom daemon stop", 0);
		return;
	}
	case RPC_OP_HOUSE_PAUSE:
		house_pause(a, attrs, len);
		mgmt_reply(call, 0, NULL);
		return;
	case RPC_OP_TOKEN_CREATE:
	case RPC_OP_TOKEN_LIST:
	case RPC_OP_TOKEN_REVOKE:
	case RPC_OP_NODE_LIST:
	case RPC_OP_NODE_REMOVE:
	case RPC_OP_NODE_SET:
		mesh_ops_request(a, call, op, attrs, len);
		return;
	default:
		mgmt_reply(call, -EOPNOTSUPP, "this agent does not know that request");
	}
}

static void fsm_applied(void *arg, uint64_t index,
			const struct mesh_apply_out *out)
{
	dpa_applied(arg, index, out);
	house_applied(arg, index, out);
}

/* A snapshot restored: one replace of the difference. */
static void fsm_replace(void *arg, const struct dp_peer *peers, size_t n)
{
	struct agent *a = arg;

	(void)peers;
	(void)n;
	if (a->dp_live)
		dpa_replace_all(a, "snapshot");
}

/* Raft connections: from any node of the state or of the acceptance. */
static bool raft_accept(void *ctx, uint32_t ip)
{
	struct agent *a = ctx;
	const struct mesh_state *s = fsm_mesh_state(a->mesh);

	if (!s->bootstrapped || mesh_node_by_ip(s, ip))
		return true;	/* before its first entry a node knows nobody */
	for (size_t i = 0; i < a->n_accepted_ips; i++)
		if (a->accepted_ips[i] == ip)
			return true;
	return false;
}

/* A running mesh's network never changes under it (seed flaw F17). */
static int check_network(struct agent *a)
{
	const struct mesh_state *s = fsm_mesh_state(a->mesh);
	char want[INET_ADDRSTRLEN], have[INET_ADDRSTRLEN];
	struct in_addr net = { .s_addr = htonl(s->network) };

	if (!s->bootstrapped || !a->cfg.has_network)
		return 0;
	if (s->network == ntohl(a->cfg.network.s_addr) &&
	    s->prefix == a->cfg.prefix)
		return 0;
	inet_ntop(AF_INET, &a->cfg.network, want, sizeof(want));
	inet_ntop(AF_INET, &net, have, sizeof(have));
	log_err("node.network_layer is %s/%u in the config, but this mesh runs on %s/%u: "
		"the network of a running mesh cannot change (restore the config's network_layer)",
		want, a->cfg.prefix, have, s->prefix);
	return -EINVAL;
}

static int start_raft(struct agent *a)
{
	struct node_config nc = {
		.raft_port = (uint16_t)a->cfg.raft_port,
		.bootstrap = a->cfg.bootstrap,
		.force_new_cluster = a->force_new_cluster,
		.heartbeat_ms = (uint32_t)a->cfg.heartbeat_ms,
		.election_ms = (uint32_t)a->cfg.election_timeout_ms,
		.snapshot_every = 10000,
	};
	char dir[CONFIG_PATH_MAX + 8], err[512] = "";
	int ret;

	snprintf(dir, sizeof(dir), "%s/raft", a->cfg.data_dir);
	nc.ip = a->mesh_ip;
	nc.dir = dir;
	/* the device first: Raft binds to the mesh address on it */
	if (!a->raw && !a->dp.ops) {
		ret = dpa_open(a);
		if (ret < 0)
			return ret;
	}
	nc.bind_device = a->raw ? NULL : dpa_bind_device(a);
	ret = node_open(&a->node, a->loop, &nc, &fsm_mux_ops, &a->mux, err,
			sizeof(err));
	if (ret < 0) {
		log_err("%s", err[0] ? err : strerror(-ret));
		return ret;
	}
	if (a->raw)
		return 0;
	node_set_accept(a->node, raft_accept, a);
	ret = check_network(a);
	if (!ret)
		ret = dpa_live(a);
	if (!ret)
		ret = mreq_listen(a);
	if (!ret)
		ret = mesh_join_listen(a);
	if (!ret)
		ret = house_start(a);
	if (!ret && !a->cfg.bootstrap)
		mesh_join_probe_evicted(a);
	return ret;
}

/*
 * This node's mesh address: node.mesh_ip (a bare Raft node, for the Raft
 * tests), the bootstrapper's first host of the network, or the one its
 * join was given. Without one it joins with its token first.
 */
static int start_mesh(struct agent *a, const char *token)
{
	struct fsm_mesh_hooks hooks = {
		.arg = a, .applied = fsm_applied, .replace = fsm_replace,
	};
	int ret;

	ret = fsm_probe_new(&a->probe);
	if (!ret)
		ret = fsm_mesh_new(&a->mesh, a->pub, &hooks);
	if (ret)
		return ret;
	a->mux = (struct fsm_mux){
		.mesh = &fsm_mesh_ops, .mesh_ctx = a->mesh,
		.probe = &fsm_probe_ops, .probe_ctx = a->probe,
	};
	if (a->cfg.mesh_ip.s_addr) {
		a->raw = true;
		a->mesh_ip = a->cfg.mesh_ip;
		return start_raft(a);
	}
	if (a->cfg.bootstrap) {
		a->mesh_ip.s_addr = htonl(ntohl(a->cfg.network.s_addr) + 1);
		a->network = a->cfg.network;
		a->prefix = a->cfg.prefix;
		return start_raft(a);
	}
	ret = member_file_load(a->cfg.data_dir, &a->mesh_ip, &a->network,
			       &a->prefix);
	if (!ret)
		return start_raft(a);
	if (ret != -ENOENT) {
		log_err("%s/member is damaged: %s", a->cfg.data_dir, strerror(-ret));
		return ret;
	}
	if (!token || !token[0]) {
		log_err("this node is not a mesh member yet: give it a join token "
			"(--join-token, ATOM_JOIN_TOKEN or security.join_token)");
		return -EINVAL;
	}
	return mesh_join_start(a, token, start_raft);
}

int daemon_run(const struct daemon_opts *opts)
{
	static const int signals[] = { SIGTERM, SIGINT };
	struct agent a = { .datadir_fd = -1 };
	const char *token;
	char err[512];
	int ret, status = 1;

	if (!opts->config_path) {
		fprintf(stderr, "atom: daemon needs -c FILE\n");
		return 2;
	}
	ret = config_load(opts->config_path, &a.cfg, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "atom: %s\n", err);
		return 1;
	}
	if (opts->log_level >= 0)
		a.cfg.log_level = opts->log_level;
	log_set_level((enum log_level)a.cfg.log_level);
	if (opts->socket_path)
		snprintf(a.cfg.socket_path, sizeof(a.cfg.socket_path), "%s",
			 opts->socket_path);
	signal(SIGPIPE, SIG_IGN);
	if (sodium_init() < 0) {
		log_err("cannot initialise libsodium");
		return 1;
	}
	randombytes_buf(&a.client_id, sizeof(a.client_id));
	a.force_new_cluster = opts->force_new_cluster;
	a.client_id |= 1;
	token = opts->join_token && opts->join_token[0] ? opts->join_token :
		a.cfg.join_token;

	a.datadir_fd = datadir_open(a.cfg.data_dir);
	if (a.datadir_fd < 0) {
		if (a.datadir_fd == -EWOULDBLOCK)
			log_err("data dir %s is in use by another atom agent",
				a.cfg.data_dir);
		else
			log_err("cannot open data dir %s: %s", a.cfg.data_dir,
				strerror(-a.datadir_fd));
		return 1;
	}
	ret = keyfile_load_or_create(a.cfg.private_key_path, a.private_key,
				     err, sizeof(err));
	if (ret < 0) {
		log_err("%s", err);
		goto out;
	}
	{
		wg_key_public(a.private_key, a.pub);
		wg_key_to_base64(a.pub, a.public_key);
	}
	ret = loop_new(&a.loop);
	if (ret < 0) {
		log_err("cannot create the event loop: %s", strerror(-ret));
		goto out;
	}
	ret = loop_signals(a.loop, signals, 2, on_signal, &a);
	if (ret < 0) {
		log_err("cannot take signals: %s", strerror(-ret));
		goto out;
	}
	ret = mgmt_open(a.loop, a.cfg.socket_path, on_request, &a, &a.mgmt);
	if (ret < 0) {
		if (ret == -EADDRINUSE)
			log_err("an agent already answers on %s",
				a.cfg.socket_path);
		else
			log_err("cannot listen on %s: %s", a.cfg.socket_path,
				strerror(-ret));
		goto out;
	}
	ret = start_mesh(&a, token);
	if (ret < 0)
		goto out;
	log_info("node %s: agent %s started (pid %d), management socket %s",
		 a.cfg.name, ATOM_VERSION, (int)getpid(), a.cfg.socket_path);
	ret = loop_run(a.loop);
	if (ret < 0) {
		log_err("event loop failed: %s", strerror(-ret));
		goto out;
	}
	log_info("node %s: agent stopped", a.cfg.name);
	status = a.exit_status;
out:
	house_stop(&a);
	mesh_join_close(&a);
	mreq_cancel_all(&a);
	node_close(a.node);
	dpa_close(&a, a.down || a.evicted);
	fsm_probe_free(a.probe);
	fsm_mesh_free(a.mesh);
	free(a.accepted_ips);
	mgmt_close(a.mesh_rpc);
	mgmt_close(a.mgmt);
	loop_free(a.loop);
	close(a.datadir_fd);
	explicit_bzero(a.cfg.join_token, sizeof(a.cfg.join_token));
	explicit_bzero(a.private_key, sizeof(a.private_key));
	return status;
}
