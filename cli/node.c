// SPDX-License-Identifier: GPL-2.0
/*
 * atom node list [-j]
 * atom node remove NAME
 * atom node set NAME --endpoint HOST:PORT
 *
 * list is this node's view (design §7): online means a WireGuard
 * handshake in the last 180 s or Raft contact in the last 5 s.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client.h"
#include "json.h"
#include "rpc.h"
#include "subcommands.h"

static int usage(FILE *f)
{
	fprintf(f, "Usage: atom node list [-j]\n"
		   "       atom node remove NAME\n"
		   "       atom node set NAME --endpoint HOST:PORT\n");
	return 2;
}

struct node_entry {
	char name[64], mesh_ip[16], key[64], endpoint[80], raft_role[16];
	char role[16], state[16], voter[8];
	uint32_t self, online;
	uint64_t handshake;
};

static int parse_node(const struct tlv *nest, struct node_entry *e)
{
	struct tlv_reader r;
	struct tlv a;
	int ret;

	memset(e, 0, sizeof(*e));
	tlv_reader_nest(&r, nest);
	while ((ret = tlv_next(&r, &a)) == 1) {
		switch (a.type) {
		case RPC_A_NAME:
			ret = tlv_str(&a, e->name, sizeof(e->name));
			break;
		case RPC_A_MESH_IP:
			ret = tlv_str(&a, e->mesh_ip, sizeof(e->mesh_ip));
			break;
		case RPC_A_PUBLIC_KEY:
			ret = tlv_str(&a, e->key, sizeof(e->key));
			break;
		case RPC_A_ENDPOINT:
			ret = tlv_str(&a, e->endpoint, sizeof(e->endpoint));
			break;
		case RPC_A_RAFT_ROLE:
			ret = tlv_str(&a, e->raft_role, sizeof(e->raft_role));
			break;
		case RPC_A_ROLE:
			ret = tlv_str(&a, e->role, sizeof(e->role));
			break;
		case RPC_A_STATE:
			ret = tlv_str(&a, e->state, sizeof(e->state));
			break;
		case RPC_A_VOTER:
			ret = tlv_str(&a, e->voter, sizeof(e->voter));
			break;
		case RPC_A_SELF:
			ret = tlv_u32(&a, &e->self);
			break;
		case RPC_A_ONLINE:
			ret = tlv_u32(&a, &e->online);
			break;
		case RPC_A_LAST_HANDSHAKE:
			ret = tlv_u64(&a, &e->handshake);
			break;
		default:
			ret = 0;
		}
		if (ret < 0)
			return ret;
	}
	return ret;
}

static void ago(uint64_t when, char *buf, size_t size)
{
	uint64_t now = (uint64_t)time(NULL), s = now > when ? now - when : 0;

	if (!when)
		snprintf(buf, size, "never");
	else if (s < 120)
		snprintf(buf, size, "%" PRIu64 "s ago", s);
	else if (s < 7200)
		snprintf(buf, size, "%" PRIu64 "m ago", s / 60);
	else if (s < 172800)
		snprintf(buf, size, "%" PRIu64 "h ago", s / 3600);
	else
		snprintf(buf, size, "%" PRIu64 "d ago", s / 86400);
}

static void print_json(struct json *j, const struct node_entry *e)
{
	json_object_begin(j, NULL);
	json_str(j, "name", e->name);
	json_str(j, "mesh_ip", e->mesh_ip);
	json_str(j, "public_key", e->key);
	if (e->endpoint[0])
		json_str(j, "endpoint", e->endpoint);
	else
		json_null(j, "endpoint");
	json_str(j, "raft_role", e->raft_role);
	json_bool(j, "self", e->self);
	json_bool(j, "online", e->online);
	if (e->handshake)
		json_u64(j, "last_handshake", e->handshake);
	else
		json_null(j, "last_handshake");
	json_str(j, "role", e->role);
	json_str(j, "state", e->state);
	json_str(j, "voter", e->voter);
	json_object_end(j);
}

static void print_row(const struct node_entry *e)
{
	char raft[32], hs[24], role[40];

	snprintf(raft, sizeof(raft), "%s%s", e->raft_role, e->self ? " (self)" : "");
	snprintf(role, sizeof(role), "%s%s", e->role,
		 strcmp(e->state, "active") ? ", evicting" : "");
	ago(e->handshake, hs, sizeof(hs));
	printf("%-20s %-15s %-16s %-7s %-15s %-17s %s\n", e->name, e->mesh_ip,
	       raft, e->online ? "yes" : "no", hs, role,
	       e->endpoint[0] ? e->endpoint : "-");
}

static int list_main(int argc, const struct cli_global *g)
{
	struct rpc_reply reply;
	struct node_entry e;
	struct tlv_reader r;
	struct json j;
	struct tlv a;
	int ret;

	if (argc != 1)
		return usage(stderr);
	if (client_ask(g, RPC_OP_NODE_LIST, NULL, &reply))
		return 1;
	if (g->json) {
		json_init(&j, stdout);
		json_array_begin(&j, NULL);
	} else {
		printf("%-20s %-15s %-16s %-7s %-15s %-17s %s\n", "NAME", "MESH IP",
		       "RAFT", "ONLINE", "HANDSHAKE", "ROLE", "ENDPOINT");
	}
	tlv_reader_init(&r, reply.buf, reply.len);
	while ((ret = tlv_next(&r, &a)) == 1) {
		if (a.type != RPC_A_NODE)
			continue;
		ret = parse_node(&a, &e);
		if (ret < 0)
			break;
		if (g->json)
			print_json(&j, &e);
		else
			print_row(&e);
	}
	client_reply_release(&reply);
	if (g->json) {
		json_array_end(&j);
		putchar('\n');
	}
	if (ret < 0) {
		fprintf(stderr, "atom: malformed answer from the agent\n");
		return 1;
	}
	return 0;
}

/* HOST:PORT, [IPv6]:PORT; the port 1 to 65535. */
static bool endpoint_ok(const char *s)
{
	const char *colon = strrchr(s, ':');
	unsigned long port;
	char *end;

	if (!colon || colon == s || !colon[1])
		return false;
	port = strtoul(colon + 1, &end, 10);
	if (*end || !port || port > 65535 || colon[1] == '-' || colon[1] == '+')
		return false;
	if (s[0] == '[') {
		char buf[INET6_ADDRSTRLEN];
		struct in6_addr a;
		size_t n = (size_t)(colon - s);

		if (n < 3 || s[n - 1] != ']' || n - 2 >= sizeof(buf))
			return false;
		memcpy(buf, s + 1, n - 2);
		buf[n - 2] = '\0';
		return inet_pton(AF_INET6, buf, &a) == 1;
	}
	return !memchr(s, ':', (size_t)(colon - s));
}

static int change_main(int argc, char **argv, const struct cli_global *g,
		       uint32_t op)
{
	struct rpc_reply reply;
	struct tlv_writer w;
	const char *name = NULL, *endpoint = NULL;
	int i, ret;

	for (i = 1; i < argc; i++) {
		if (op == RPC_OP_NODE_SET && !strcmp(argv[i], "--endpoint") &&
		    i + 1 < argc && !endpoint)
			endpoint = argv[++i];
		else if (argv[i][0] != '-' && !name)
			name = argv[i];
		else
			return usage(stderr);
	}
	if (!name || (op == RPC_OP_NODE_SET && !endpoint))
		return usage(stderr);
	if (endpoint && !endpoint_ok(endpoint)) {
		fprintf(stderr, "atom: --endpoint takes HOST:PORT or [IPv6]:PORT\n");
		return 2;
	}
	tlv_writer_init(&w, 512);
	tlv_put_str(&w, RPC_A_NAME, name);
	if (endpoint)
		tlv_put_str(&w, RPC_A_ENDPOINT, endpoint);
	ret = client_ask(g, op, &w, &reply);
	tlv_writer_release(&w);
	if (ret)
		return 1;
	client_reply_release(&reply);
	return 0;
}

int node_main(int argc, char **argv, const struct cli_global *g)
{
	if (g->help) {
		usage(stdout);
		return 0;
	}
	if (argc < 2)
		return usage(stderr);
	if (!strcmp(argv[1], "list"))
		return list_main(argc - 1, g);
	if (!strcmp(argv[1], "remove"))
		return change_main(argc - 1, argv + 1, g, RPC_OP_NODE_REMOVE);
	if (!strcmp(argv[1], "set"))
		return change_main(argc - 1, argv + 1, g, RPC_OP_NODE_SET);
	return usage(stderr);
}
