// SPDX-License-Identifier: GPL-2.0
/*
 * atom status [-j]: this node as its agent sees it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "client.h"
#include "json.h"
#include "rpc.h"
#include "subcommands.h"

struct status {
	char name[64], mesh_ip[64], role[16], leader[64], backend[16];
	char public_key[64];
	uint64_t term, commit, applied, transfers;
	uint32_t voters, learners, disk_full;
};

static int parse(const struct rpc_reply *reply, struct status *s)
{
	struct tlv_reader r;
	struct tlv a;
	int ret;

	memset(s, 0, sizeof(*s));
	tlv_reader_init(&r, reply->buf, reply->len);
	while ((ret = tlv_next(&r, &a)) == 1) {
		switch (a.type) {
		case RPC_A_NAME:
			ret = tlv_str(&a, s->name, sizeof(s->name));
			break;
		case RPC_A_MESH_IP:
			ret = tlv_str(&a, s->mesh_ip, sizeof(s->mesh_ip));
			break;
		case RPC_A_RAFT_ROLE:
			ret = tlv_str(&a, s->role, sizeof(s->role));
			break;
		case RPC_A_LEADER:
			ret = tlv_str(&a, s->leader, sizeof(s->leader));
			break;
		case RPC_A_BACKEND:
			ret = tlv_str(&a, s->backend, sizeof(s->backend));
			break;
		case RPC_A_PUBLIC_KEY:
			ret = tlv_str(&a, s->public_key, sizeof(s->public_key));
			break;
		case RPC_A_TERM:
			ret = tlv_u64(&a, &s->term);
			break;
		case RPC_A_COMMIT:
			ret = tlv_u64(&a, &s->commit);
			break;
		case RPC_A_APPLIED:
			ret = tlv_u64(&a, &s->applied);
			break;
		case RPC_A_TRANSFERS:
			ret = tlv_u64(&a, &s->transfers);
			break;
		case RPC_A_VOTERS:
			ret = tlv_u32(&a, &s->voters);
			break;
		case RPC_A_LEARNERS:
			ret = tlv_u32(&a, &s->learners);
			break;
		case RPC_A_DISK_FULL:
			ret = tlv_u32(&a, &s->disk_full);
			break;
		default:
			ret = 0;
		}
		if (ret < 0)
			return ret;
	}
	return ret;
}

int status_main(int argc, char **argv, const struct cli_global *g)
{
	struct rpc_reply reply;
	struct status s;
	int ret;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "Usage: atom status [-j]\n");
		return 2;
	}
	if (client_ask(g, RPC_OP_STATUS, NULL, &reply))
		return 1;
	ret = parse(&reply, &s);
	client_reply_release(&reply);
	if (ret < 0) {
		fprintf(stderr, "atom: malformed status from the agent\n");
		return 1;
	}
	if (g->json) {
		struct json j;

		json_init(&j, stdout);
		json_object_begin(&j, NULL);
		json_str(&j, "name", s.name);
		json_str(&j, "mesh_ip", s.mesh_ip);
		json_str(&j, "raft_role", s.role);
		json_str(&j, "leader", s.leader);
		json_u64(&j, "term", s.term);
		json_u64(&j, "commit_index", s.commit);
		json_u64(&j, "applied_index", s.applied);
		json_str(&j, "backend", s.backend);
		json_str(&j, "public_key", s.public_key);
		json_u64(&j, "transfers", s.transfers);
		json_u64(&j, "voters", s.voters);
		json_u64(&j, "learners", s.learners);
		json_bool(&j, "disk_full", s.disk_full);
		json_object_end(&j);
		putchar('\n');
		return 0;
	}
	printf("name:      %s\n", s.name);
	printf("mesh ip:   %s\n", s.mesh_ip[0] ? s.mesh_ip : "-");
	printf("role:      %s\n", s.role);
	printf("leader:    %s\n", s.leader[0] ? s.leader : "-");
	printf("term:      %" PRIu64 "\n", s.term);
	printf("commit:    %" PRIu64 "\n", s.commit);
	printf("applied:   %" PRIu64 "\n", s.applied);
	printf("members:   %" PRIu32 " voters, %" PRIu32 " learners\n", s.voters,
	       s.learners);
	if (s.disk_full)
		printf("disk:      FULL (not voting or acknowledging)\n");
	printf("backend:   %s\n", s.backend);
	printf("key:       %s\n", s.public_key);
	return 0;
}
