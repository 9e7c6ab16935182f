// SPDX-License-Identifier: GPL-2.0
/*
 * The CLI's mesh requests (rpc.h): tokens and nodes. Reads answer from
 * this node's copy of the state; changes go to the leader (mesh_req.c).
 * Only an admin node changes the mesh from its CLI (the leader checks
 * again). A token's secret is made here, printed once to the CLI and
 * wiped: only its id, verifier and server key enter the log.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "join/token.h"
#include "log.h"
#include "rpc.h"
#include "util/tlv.h"

#define ONLINE_RAFT_MS 5000

struct op_args {
	uint32_t uses;
	uint64_t ttl_s;
	bool has_uses, has_ttl;
	char role[16];
	char name[MESH_NAME_MAX + 2];
	char token_id[JOIN_TOKEN_ID_B64_LEN + 2];
	char endpoint[CONFIG_STR_MAX + 1];
};

static int parse_args(const uint8_t *attrs, size_t len, struct op_args *o)
{
	struct tlv_reader rd;
	struct tlv t;
	int rc;

	memset(o, 0, sizeof(*o));
	tlv_reader_init(&rd, attrs, len);
	while ((rc = tlv_next(&rd, &t)) > 0) {
		switch (t.type) {
		case RPC_A_USES:
			rc = tlv_u32(&t, &o->uses);
			o->has_uses = true;
			break;
		case RPC_A_TTL_S:
			rc = tlv_u64(&t, &o->ttl_s);
			o->has_ttl = true;
			break;
		case RPC_A_ROLE:
			rc = tlv_str(&t, o->role, sizeof(o->role));
			break;
		case RPC_A_NAME:
			rc = tlv_str(&t, o->name, sizeof(o->name));
			break;
		case RPC_A_TOKEN_ID:
			rc = tlv_str(&t, o->token_id, sizeof(o->token_id));
			break;
		case RPC_A_ENDPOINT:
			rc = tlv_str(&t, o->endpoint, sizeof(o->endpoint));
			break;
		}
		if (rc < 0)
			return rc;
	}
	return rc;
}

void mesh_endpoint_str(const struct mesh_endpoint *ep, char *buf, size_t size)
{
	char ip[INET6_ADDRSTRLEN];

	buf[0] = '\0';
	if (ep->family == AF_INET) {
		inet_ntop(AF_INET, ep->addr, ip, sizeof(ip));
		snprintf(buf, size, "%s:%u", ip, ep->port);
	} else if (ep->family == AF_INET6) {
		inet_ntop(AF_INET6, ep->addr, ip, sizeof(ip));
		snprintf(buf, size, "[%s]:%u", ip, ep->port);
	}
}

int mesh_endpoint_parse(const char *s, struct mesh_endpoint *ep)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon, *h = s;
	size_t hlen;
	char *end;
	unsigned long port;

	memset(ep, 0, sizeof(*ep));
	colon = strrchr(s, ':');
	if (!colon)
		return -EINVAL;
	hlen = (size_t)(colon - s);
	if (hlen >= 2 && s[0] == '[' && s[hlen - 1] == ']') {
		h = s + 1;
		hlen -= 2;
	}
	if (!hlen || hlen >= sizeof(host))
		return -EINVAL;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || *end || end == colon + 1 || !port || port > 65535)
		return -EINVAL;
	ep->port = (uint16_t)port;
	if (h == s && inet_pton(AF_INET, host, ep->addr) == 1) {
		ep->family = AF_INET;
		return 0;
	}
	if (h != s && inet_pton(AF_INET6, host, ep->addr) == 1) {
		ep->family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

static const char *raft_role_str(const struct agent *a, uint32_t ip)
{
	const struct raft *r = node_raft(a->node);

	if (raft_leader(r) == ip)
		return "leader";
	switch (raft_role_of(r, ip)) {
	case RAFT_VOTER: return "voter";
	case RAFT_LEARNER: return "learner";
	default: return "none";
	}
}

#define ONLINE_HANDSHAKE_S 180

static void put_node(struct agent *a, struct tlv_writer *w,
		     const struct mesh_node *n, int64_t handshake)
{
	struct in_addr ip = { .s_addr = htonl(n->ip) };
	char ips[INET_ADDRSTRLEN], key[WG_KEY_B64_LEN + 1], ep[80];
	bool self = !memcmp(n->key, a->pub, WG_KEY_LEN);
	size_t nest = tlv_nest_begin(w, RPC_A_NODE);
	uint64_t age = node_contact_age_ms(a->node, ip);

	inet_ntop(AF_INET, &ip, ips, sizeof(ips));
	wg_key_to_base64(n->key, key);
	mesh_endpoint_str(&n->endpoint, ep, sizeof(ep));
	tlv_put_str(w, RPC_A_NAME, n->name);
	tlv_put_str(w, RPC_A_MESH_IP, ips);
	tlv_put_str(w, RPC_A_PUBLIC_KEY, key);
	tlv_put_str(w, RPC_A_ENDPOINT, ep);
	tlv_put_str(w, RPC_A_RAFT_ROLE, raft_role_str(a, n->ip));
	tlv_put_u32(w, RPC_A_SELF, self);
	tlv_put_u32(w, RPC_A_ONLINE, self || age <= ONLINE_RAFT_MS ||
		    (handshake && agent_wall_ms() / 1000 - handshake <= ONLINE_HANDSHAKE_S));
	tlv_put_u64(w, RPC_A_LAST_HANDSHAKE, handshake > 0 ? (uint64_t)handshake : 0);
	tlv_put_str(w, RPC_A_ROLE, n->role == MESH_ROLE_ADMIN ? "admin" : "member");
	tlv_put_str(w, RPC_A_STATE, n->evict == MESH_ACTIVE ? "active" : "evicting");
	tlv_put_str(w, RPC_A_VOTER, n->voter == MESH_VOTER_NEVER ? "never" : "auto");
	tlv_nest_end(w, nest);
}

static void token_id_str(const uint8_t *id, char *buf, size_t size)
{
	sodium_bin2base64(buf, size, id, JOIN_TOKEN_ID_LEN,
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static void list_tokens(struct agent *a, struct mgmt_call *call)
{
	const struct mesh_state *s = fsm_mesh_state(a->mesh);
	struct tlv_writer *w = mgmt_call_writer(call);

	for (uint32_t i = 0; i < s->n_tokens; i++) {
		const struct mesh_token *t = &s->tokens[i];
		char id[JOIN_TOKEN_ID_B64_LEN + 1];
		size_t nest = tlv_nest_begin(w, RPC_A_TOKEN_ENTRY);

		token_id_str(t->id, id, sizeof(id));
		tlv_put_str(w, RPC_A_TOKEN_ID, id);
		tlv_put_u32(w, RPC_A_USES, t->uses_left);
		tlv_put_u64(w, RPC_A_EXPIRES, t->expiry_ms == INT64_MAX ? 0 :
			    (uint64_t)(t->expiry_ms / 1000));
		tlv_put_str(w, RPC_A_ROLE, t->role == MESH_ROLE_ADMIN ? "admin" : "member");
		tlv_put_u32(w, RPC_A_REVOKED, t->revoked);
		tlv_nest_end(w, nest);
	}
	mgmt_reply(call, 0, NULL);
}

static void list_nodes(struct agent *a, struct mgmt_call *call)
{
	const struct mesh_state *s = fsm_mesh_state(a->mesh);
	struct tlv_writer *w = mgmt_call_writer(call);
	struct dp_peer_state *dev = NULL;
	size_t n_dev = 0;

	for (uint32_t i = 0; i < s->n_nodes; i++)
		put_node(a, w, &s->nodes[i],
			 dpa_last_handshake(a, s->nodes[i].key, &dev, &n_dev));
	free(dev);
	mgmt_reply(call, 0, NULL);
}

/* A change waiting for the leader's answer. */
struct change {
	struct mgmt_call *call;
	uint32_t op;
	struct join_token token;	/* TOKEN_CREATE only */
	int64_t expiry_ms;
	uint32_t uses;
	uint8_t role;
};

static void change_done(void *arg, int err, int code, uint32_t ip,
			uint64_t index)
{
	struct change *c = arg;
	struct tlv_writer *w = mgmt_call_writer(c->call);
	char msg[160];

	(void)ip;
	if (err) {
		if (err == -ETIMEDOUT)
			snprintf(msg, sizeof(msg), "no leader answered: %s",
				 "the mesh may have lost its quorum");
		else if (err == -EPERM)
			snprintf(msg, sizeof(msg), "only admin nodes may change the mesh");
		else
			snprintf(msg, sizeof(msg), "%s", strerror(-err));
		mgmt_reply(c->call, err, msg);
		goto out;
	}
	if (code) {
		mgmt_reply(c->call, -EINVAL, mesh_refusal_str(code));
		goto out;
	}
	tlv_put_u64(w, RPC_A_INDEX, index);
	if (c->op == RPC_OP_TOKEN_CREATE) {
		char tok[JOIN_TOKEN_STR_LEN + 1], id[JOIN_TOKEN_ID_B64_LEN + 1];

		join_token_format(&c->token, tok);
		token_id_str(c->token.id, id, sizeof(id));
		tlv_put_str(w, RPC_A_TOKEN, tok);
		tlv_put_str(w, RPC_A_TOKEN_ID, id);
		tlv_put_u32(w, RPC_A_USES, c->uses);
		tlv_put_u64(w, RPC_A_EXPIRES, c->expiry_ms == INT64_MAX ? 0 :
			    (uint64_t)(c->expiry_ms / 1000));
		tlv_put_str(w, RPC_A_ROLE, c->role == MESH_ROLE_ADMIN ? "admin" : "member");
		sodium_memzero(tok, sizeof(tok));
		log_info("token %s created (%u uses, role %s)", id, c->uses,
			 c->role == MESH_ROLE_ADMIN ? "admin" : "member");
	}
	mgmt_reply(c->call, 0, NULL);
out:
	join_token_wipe(&c->token);
	free(c);
}

static int token_create_cmd(struct change *c, const struct op_args *o,
			    struct mesh_cmd *cmd, const char **why)
{
	uint64_t ttl_s = o->has_ttl ? o->ttl_s : 86400;

	c->uses = o->has_uses ? o->uses : 1;
	if (!c->uses || c->uses > MESH_TOKEN_USES_MAX) {
		*why = "uses must be 1 to 65535";
		return -EINVAL;
	}
	if (ttl_s > 3650ull * 86400) {
		*why = "ttl must be at most 3650 days";
		return -EINVAL;
	}
	if (!o->role[0] || !strcmp(o->role, "admin")) {
		c->role = MESH_ROLE_ADMIN;
	} else if (!strcmp(o->role, "member")) {
		c->role = MESH_ROLE_MEMBER;
	} else {
		*why = "role must be admin or member";
		return -EINVAL;
	}
	c->expiry_ms = ttl_s ? agent_wall_ms() + (int64_t)ttl_s * 1000 : INT64_MAX;
	join_token_generate(&c->token);
	cmd->type = MESH_CMD_TOKEN_CREATE;
	memcpy(cmd->token_create.id, c->token.id, MESH_TOKEN_ID_LEN);
	if (join_token_derive(&c->token, cmd->token_create.verifier,
			      cmd->token_create.server_key)) {
		*why = "cannot derive the token's keys";
		return -EIO;
	}
	cmd->token_create.uses = c->uses;
	cmd->token_create.expiry_ms = c->expiry_ms;
	cmd->token_create.role = c->role;
	return 0;
}

static int build_cmd(struct agent *a, struct change *c, const struct op_args *o,
		     struct mesh_cmd *cmd, const char **why)
{
	size_t n;

	(void)a;
	switch (c->op) {
	case RPC_OP_TOKEN_CREATE:
		return token_create_cmd(c, o, cmd, why);
	case RPC_OP_TOKEN_REVOKE:
		cmd->type = MESH_CMD_TOKEN_REVOKE;
		if (strlen(o->token_id) != JOIN_TOKEN_ID_B64_LEN ||
		    sodium_base642bin(cmd->token_revoke.id, MESH_TOKEN_ID_LEN,
				      o->token_id, strlen(o->token_id), NULL, &n,
				      NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) ||
		    n != MESH_TOKEN_ID_LEN) {
			*why = "not a token id";
			return -EINVAL;
		}
		return 0;
	case RPC_OP_NODE_REMOVE:
	case RPC_OP_NODE_SET:
		n = strlen(o->name);
		if (!mesh_name_valid(o->name, n)) {
			*why = "not a node name";
			return -EINVAL;
		}
		if (c->op == RPC_OP_NODE_REMOVE) {
			cmd->type = MESH_CMD_NODE_EVICT;
			memcpy(cmd->evict.name, o->name, n + 1);
			return 0;
		}
		cmd->type = MESH_CMD_NODE_UPDATE;
		memcpy(cmd->update.name, o->name, n + 1);
		if (mesh_endpoint_parse(o->endpoint, &cmd->update.endpoint)) {
			*why = "the endpoint must be IPv4:PORT or [IPv6]:PORT";
			return -EINVAL;
		}
		return 0;
	}
	*why = "unknown request";
	return -EOPNOTSUPP;
}

static void change(struct agent *a, struct mgmt_call *call, uint32_t op,
		   const struct op_args *o)
{
	const struct mesh_node *self = agent_self(a);
	struct mesh_cmd cmd = { 0 };
	const char *why = NULL;
	struct change *c;
	int err;

	if (!self) {
		mgmt_reply(call, -ENOTCONN, "this node is not a mesh member (yet)");
		return;
	}
	if (self->role != MESH_ROLE_ADMIN) {
		mgmt_reply(call, -EPERM,
			   "this node's role is member: only admin nodes may modify the mesh");
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		mgmt_reply(call, -ENOMEM, NULL);
		return;
	}
	c->call = call;
	c->op = op;
	err = build_cmd(a, c, o, &cmd, &why);
	if (!err)
		err = mreq_submit(a, &cmd, change_done, c);
	if (err) {
		mgmt_reply(call, err, why);
		join_token_wipe(&c->token);
		free(c);
	}
}

void mesh_ops_request(struct agent *a, struct mgmt_call *call, uint32_t op,
		      const uint8_t *attrs, size_t len)
{
	struct op_args o;

	if (!a->node || !a->mesh || a->raw) {
		mgmt_reply(call, -ENOTCONN, "this node is not a mesh member (yet)");
		return;
	}
	if (parse_args(attrs, len, &o) < 0) {
		mgmt_reply(call, -EINVAL, "malformed request");
		return;
	}
	switch (op) {
	case RPC_OP_TOKEN_LIST:
		list_tokens(a, call);
		return;
	case RPC_OP_NODE_LIST:
		list_nodes(a, call);
		return;
	default:
		change(a, call, op, &o);
	}
}
