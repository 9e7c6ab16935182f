// SPDX-License-Identifier: GPL-2.0
/*
 * Mesh requests: a command runs on the leader. On the leader it is
 * stamped with the leader's clock and proposed; elsewhere it is sent to
 * the leader's mesh RPC. Either way it is retried with the same request
 * id after a leader change or a lost reply until a deadline, and the
 * state machine's deduplication makes the retry return the first result.
 *
 * The mesh RPC (TCP on the mesh address) answers current members only,
 * and only these ops: MESH_PROPOSE (mutating commands only from admin
 * nodes; a join from any member, which forwards a joiner; an endpoint
 * update of the caller itself) and EVICT_ACK from an evicting node.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent.h"
#include "log.h"
#include "rpc.h"
#include "rpc_client.h"
#include "util/tlv.h"

struct mreq {
	struct mreq *next;
	struct agent *a;
	struct mesh_cmd cmd;
	uint64_t deadline;
	mreq_done_fn done;
	void *arg;
	struct rpc_pending *rpc;
	struct loop_timer retry;
	bool in_node;			/* a node_propose callback is owed */
	bool cancelled;
	int last_err;
};

int64_t agent_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct in_addr agent_leader(const struct agent *a)
{
	struct node_status st = { 0 };

	if (a->node)
		node_status(a->node, &st);
	return st.leader;
}

const struct mesh_node *agent_self(const struct agent *a)
{
	/* by key: an address is reused after a removal, a key never */
	if (!a->mesh)
		return NULL;
	return mesh_node_by_key(fsm_mesh_state(a->mesh), a->pub);
}

const char *mesh_refusal_str(int code)
{
	switch (code) {
	case MESH_E_NOT_BOOTSTRAPPED: return "the mesh is not bootstrapped yet";
	case MESH_E_BOOTSTRAPPED: return "the mesh is already bootstrapped";
	case MESH_E_NO_TOKEN: return "no such token";
	case MESH_E_TOKEN_EXISTS: return "a token with this id exists";
	case MESH_E_REVOKED: return "the token was revoked";
	case MESH_E_EXPIRED: return "the token expired";
	case MESH_E_EXHAUSTED: return "the token has no uses left";
	case MESH_E_NAME_TAKEN: return "the name is taken";
	case MESH_E_KEY_TAKEN: return "the key belongs to another node";
	case MESH_E_KEY_EVICTED: return "the key was evicted";
	case MESH_E_NO_ADDRESS: return "no free address left in the mesh network";
	case MESH_E_FULL: return "the mesh is full";
	case MESH_E_NO_NODE: return "no such node";
	case MESH_E_NOT_EVICTING: return "the node is not being evicted";
	case MESH_E_EVICTING: return "the node is being evicted";
	case MESH_E_LAST_ADMIN: return "it is the last admin node";
	case MESH_E_FEATURE: return "not every member supports this yet";
	default: return "refused";
	}
}

/* ---- one request ---- */

static void mreq_unlink(struct mreq *r)
{
	struct mreq **pp;

	for (pp = &r->a->reqs; *pp; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			return;
		}
	}
}

static void finish(struct mreq *r, int err, int code, uint32_t ip,
		   uint64_t index)
{
	loop_timer_cancel(&r->retry);
	mreq_unlink(r);
	if (!r->cancelled)
		r->done(r->arg, err, code, ip, index);
	free(r);
}

static void attempt(struct mreq *r);

static void again(struct mreq *r, int err)
{
	r->last_err = err;
	if (r->a->stopping) {
		finish(r, -ESHUTDOWN, 0, 0, 0);
		return;
	}
	if (loop_now_ms(r->a->loop) >= r->deadline) {
		finish(r, -ETIMEDOUT, 0, 0, 0);
		return;
	}
	loop_timer_arm(&r->retry, MESH_REQ_RETRY_MS);
}

static void on_retry(struct loop_timer *t)
{
	attempt((struct mreq *)((char *)t - offsetof(struct mreq, retry)));
}

static void local_done(void *arg, int err, int64_t result, uint64_t index)
{
	struct mreq *r = arg;

	r->in_node = false;
	if (r->cancelled || err == -ESHUTDOWN) {
		finish(r, -ESHUTDOWN, 0, 0, 0);
		return;
	}
	if (err) {			/* leadership lost: the retry dedups */
		again(r, err);
		return;
	}
	if (result < 0)
		finish(r, 0, (int)result, 0, index);
	else
		finish(r, 0, 0, (uint32_t)result, index);
}

/*
 * Propose cmd here, as the leader: stamp it with our clock. done as
 * node_propose's: err < 0 when not applied here.
 */
static int propose_here(struct agent *a, struct mesh_cmd *cmd,
			node_done_fn done, void *arg)
{
	uint8_t buf[MESH_CMD_MAX];
	size_t len;
	int err;

	if (cmd->type == MESH_CMD_NODE_EVICT) {
		err = house_before_evict(a, cmd->evict.name);
		if (err)
			return err;
	}
	cmd->ts_ms = agent_wall_ms();
	err = mesh_cmd_encode(cmd, buf, sizeof(buf), &len);
	if (err)
		return err;
	return node_propose(a->node, buf, (uint32_t)len, done, arg);
}

static int reply_attrs(const uint8_t *attrs, size_t len, uint32_t *errno_,
		       uint32_t *code, uint32_t *ip, uint64_t *index)
{
	struct tlv_reader rd;
	struct tlv t;
	int rc;

	tlv_reader_init(&rd, attrs, len);
	while ((rc = tlv_next(&rd, &t)) > 0) {
		if (t.type == RPC_A_ERRNO)
			rc = tlv_u32(&t, errno_);
		else if (t.type == RPC_A_RESULT_CODE)
			rc = tlv_u32(&t, code);
		else if (t.type == RPC_A_RESULT && t.len == 4)
			*ip = ((uint32_t)t.val[0] << 24) | ((uint32_t)t.val[1] << 16) |
			      ((uint32_t)t.val[2] << 8) | t.val[3];
		else if (t.type == RPC_A_INDEX)
			rc = tlv_u64(&t, index);
		if (rc < 0)
			return rc;
	}
	return rc;
}

static void remote_done(void *arg, int err, const uint8_t *attrs, size_t len)
{
	struct mreq *r = arg;
	uint32_t errno_ = 0, code = 0, ip = 0;
	uint64_t index = 0;

	r->rpc = NULL;
	if (err) {
		again(r, err);
		return;
	}
	if (reply_attrs(attrs, len, &errno_, &code, &ip, &index) < 0) {
		again(r, -EPROTO);
		return;
	}
	switch (errno_) {
	case 0:
		finish(r, 0, -(int)code, ip, index);
		return;
	case EREMOTE:
	case EAGAIN:
	case ENOTCONN:
	case ESHUTDOWN:
	case ENOSPC:
		again(r, -(int)errno_);
		return;
	default:
		finish(r, -(int)errno_, 0, 0, 0);
	}
}

static int forward(struct mreq *r, struct in_addr leader)
{
	struct agent *a = r->a;
	struct sockaddr_in to = { .sin_family = AF_INET }, from = to;
	struct rpc_target target = {
		.addr = (struct sockaddr *)&to, .addrlen = sizeof(to),
		.src = (struct sockaddr *)&from, .srclen = sizeof(from),
		.bind_device = dpa_bind_device(r->a),
	};
	uint8_t buf[MESH_CMD_MAX];
	struct tlv_writer w;
	size_t len;
	int err;

	err = mesh_cmd_encode(&r->cmd, buf, sizeof(buf), &len);
	if (err)
		return err;
	to.sin_addr = leader;
	to.sin_port = htons((uint16_t)a->cfg.rpc_port);
	from.sin_addr = a->mesh_ip;
	tlv_writer_init(&w, RPC_MAX_MSG);
	tlv_put(&w, RPC_A_CMD, buf, len);
	err = tlv_writer_error(&w);
	if (!err)
		err = rpc_call(a->loop, &target, r->cmd.seq, RPC_OP_MESH_PROPOSE,
			       w.buf, w.len, MESH_REQ_DEADLINE_MS / 4,
			       remote_done, r, &r->rpc);
	tlv_writer_release(&w);
	return err;
}

static void attempt(struct mreq *r)
{
	struct agent *a = r->a;
	struct in_addr leader;
	int err;

	if (!a->node) {
		finish(r, -ENOTCONN, 0, 0, 0);
		return;
	}
	leader = agent_leader(a);
	if (!leader.s_addr) {
		again(r, -EREMOTE);
		return;
	}
	if (leader.s_addr == a->mesh_ip.s_addr) {
		/* a lone voter commits and settles inside node_propose */
		r->in_node = true;
		err = propose_here(a, &r->cmd, local_done, r);
		if (!err)
			return;		/* r may be gone already */
		r->in_node = false;
	} else {
		err = forward(r, leader);
		if (!err)
			return;
	}
	if (err == -EINVAL || err == -ENOMEM) {
		finish(r, err, 0, 0, 0);
		return;
	}
	again(r, err);
}

int mreq_submit(struct agent *a, struct mesh_cmd *cmd, mreq_done_fn done,
		void *arg)
{
	struct mreq *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	if (!cmd->client) {
		cmd->client = a->client_id;
		cmd->seq = ++a->seq;
	}
	r->a = a;
	r->cmd = *cmd;
	r->done = done;
	r->arg = arg;
	r->deadline = loop_now_ms(a->loop) + MESH_REQ_DEADLINE_MS;
	loop_timer_init(&r->retry, a->loop, on_retry);
	r->next = a->reqs;
	a->reqs = r;
	/* from the loop, never from inside */
	loop_timer_arm(&r->retry, 0);
	return 0;
}

void mreq_cancel_all(struct agent *a)
{
	while (a->reqs) {
		struct mreq *r = a->reqs;

		if (r->rpc)
			rpc_cancel(r->rpc);
		r->rpc = NULL;
		if (r->in_node) {	/* node_close settles it later */
			r->cancelled = true;
			mreq_unlink(r);
			r->next = NULL;
			r->done(r->arg, -ESHUTDOWN, 0, 0, 0);
			continue;
		}
		finish(r, -ESHUTDOWN, 0, 0, 0);
	}
}

/* ---- the leader's side of the mesh RPC ---- */

static void proxied_done(void *arg, int err, int64_t result, uint64_t index)
{
	struct mgmt_call *call = arg;
	struct tlv_writer *w = mgmt_call_writer(call);

	if (err) {
		mgmt_reply(call, err == -ESHUTDOWN ? -ESHUTDOWN : -EAGAIN, NULL);
		return;
	}
	tlv_put_u64(w, RPC_A_INDEX, index);
	if (result < 0) {
		tlv_put_u32(w, RPC_A_RESULT_CODE, (uint32_t)-result);
	} else {
		uint8_t ip[4] = { (uint8_t)(result >> 24), (uint8_t)(result >> 16),
				  (uint8_t)(result >> 8), (uint8_t)result };

		tlv_put_u32(w, RPC_A_RESULT_CODE, 0);
		if (result)
			tlv_put(w, RPC_A_RESULT, ip, 4);
	}
	mgmt_reply(call, 0, NULL);
}

static const struct mesh_node *caller_node(struct agent *a,
					   struct mgmt_call *call)
{
	const struct sockaddr_in *sin;
	socklen_t len;

	sin = (const struct sockaddr_in *)mgmt_call_peer(call, &len);
	if (!sin || sin->sin_family != AF_INET || len < sizeof(*sin))
		return NULL;
	return mesh_node_by_ip(fsm_mesh_state(a->mesh),
			       ntohl(sin->sin_addr.s_addr));
}

/* May caller have cmd run? NULL when yes, else why not. */
static const char *forbidden(const struct mesh_node *caller,
			     const struct mesh_cmd *cmd)
{
	switch (cmd->type) {
	case MESH_CMD_NODE_JOIN:
		return NULL;		/* a member forwarding a joiner */
	case MESH_CMD_NODE_UPDATE:
	case MESH_CMD_TOKEN_CREATE:
	case MESH_CMD_TOKEN_REVOKE:
	case MESH_CMD_NODE_EVICT:
		if (cmd->type == MESH_CMD_NODE_UPDATE &&
		    !strcmp(cmd->update.name, caller->name))
			return NULL;	/* its own endpoint */
		if (caller->role == MESH_ROLE_ADMIN &&
		    caller->evict == MESH_ACTIVE)
			return NULL;
		return "only admin nodes may change the mesh";
	default:
		return "not a request a member may forward";
	}
}

static void propose_request(struct agent *a, struct mgmt_call *call,
			    const struct mesh_node *caller,
			    const uint8_t *attrs, size_t len)
{
	struct mesh_cmd cmd;
	struct tlv_reader rd;
	struct tlv t;
	const char *why;
	bool have = false;
	int err;

	tlv_reader_init(&rd, attrs, len);
	while ((err = tlv_next(&rd, &t)) > 0) {
		if (t.type != RPC_A_CMD)
			continue;
		if (mesh_cmd_decode(t.val, t.len, &cmd)) {
			mgmt_reply(call, -EINVAL, "malformed mesh command");
			return;
		}
		have = true;
	}
	if (err < 0 || !have) {
		mgmt_reply(call, -EINVAL, "malformed request");
		return;
	}
	why = forbidden(caller, &cmd);
	if (why) {
		mgmt_reply(call, -EPERM, why);
		return;
	}
	err = propose_here(a, &cmd, proxied_done, call);
	if (err)
		mgmt_reply(call, err == -EREMOTE ? -EREMOTE : err, NULL);
}

static void on_mesh_rpc(void *ctx, struct mgmt_call *call, uint32_t op,
			const uint8_t *attrs, size_t len)
{
	struct agent *a = ctx;
	const struct mesh_node *caller = caller_node(a, call);

	if (!caller) {
		mgmt_reply(call, -EPERM, "not a member of this mesh");
		return;
	}
	if (!a->node) {
		mgmt_reply(call, -ENOTCONN, NULL);
		return;
	}
	switch (op) {
	case RPC_OP_MESH_PROPOSE:
		propose_request(a, call, caller, attrs, len);
		return;
	case RPC_OP_EVICT_ACK:
		if (caller->evict != MESH_EVICTING) {
			mgmt_reply(call, -EINVAL, "not being evicted");
			return;
		}
		house_evict_acked(a, caller->ip);
		mgmt_reply(call, 0, NULL);
		return;
	default:
		mgmt_reply(call, -EOPNOTSUPP, "not served on the mesh RPC");
	}
}

static bool accept_member(void *ctx, const struct sockaddr *addr,
			  socklen_t addrlen)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)addr;
	struct agent *a = ctx;

	if (addr->sa_family != AF_INET || addrlen < sizeof(*sin) || !a->mesh)
		return false;
	return mesh_node_by_ip(fsm_mesh_state(a->mesh),
			       ntohl(sin->sin_addr.s_addr)) != NULL;
}

int mreq_listen(struct agent *a)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int err;

	sa.sin_addr = a->mesh_ip;
	sa.sin_port = htons((uint16_t)a->cfg.rpc_port);
	err = mgmt_open_tcp(a->loop, (struct sockaddr *)&sa, sizeof(sa),
			    dpa_bind_device(a), accept_member, on_mesh_rpc, a,
			    &a->mesh_rpc);
	if (err) {
		char ip[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &a->mesh_ip, ip, sizeof(ip));
		log_err("cannot listen for the mesh RPC on %s:%u: %s", ip,
			a->cfg.rpc_port, strerror(-err));
	}
	return err;
}
