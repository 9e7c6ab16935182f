// SPDX-License-Identifier: GPL-2.0
/*
 * atomrpc: drive an agent's Raft plumbing over its management socket, for
 * tests and benchmarks (the operator's CLI has no such commands).
 *
 *   atomrpc SOCK status                 key=value line
 *   atomrpc SOCK write ID               index the probe was applied at
 *   atomrpc SOCK read [IDFILE]          count and hash; with IDFILE (one
 *                                       id per line), exit 1 naming any
 *                                       id the node has not applied
 *   atomrpc SOCK member OP IP           OP: add, promote, demote, remove
 *   atomrpc SOCK transfer IP
 *   atomrpc load FIRST COUNT SOCK...    write ids FIRST.. to whichever
 *                                       socket's agent leads; print
 *                                       "ack ID MICROSECONDS" per write
 *
 * Exit: 0 done, 1 refused or failed (reason on stderr), 2 usage,
 * 3 not the leader.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client.h"
#include "raft/raft.h"
#include "rpc.h"

static int print_usage(void)
{
	fprintf(stderr, "atomrpc SOCK status|write ID|read [IDFILE]|member OP IP|transfer IP\n"
		"atomrpc SOCK pause SECONDS\n"
		"atomrpc load FIRST COUNT SOCK...\n");
	return 2;
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* 0 ok, 1 failed, 3 not the leader; reply kept on 0 only. */
static int call(const char *sock, uint32_t op, struct tlv_writer *args,
		struct rpc_reply *reply, bool quiet)
{
	char err[512];

	if (client_call(sock, op, args, reply, err, sizeof(err)) < 0) {
		if (!quiet)
			fprintf(stderr, "atomrpc: %s\n", err);
		return 1;
	}
	if (reply->err) {
		int rc = reply->err == -EREMOTE ? 3 : 1;

		if (!quiet)
			fprintf(stderr, "atomrpc: %s: %s\n", sock,
				reply->msg[0] ? reply->msg : strerror(-reply->err));
		client_reply_release(reply);
		return rc;
	}
	return 0;
}

static int find_u64(const struct rpc_reply *r, uint16_t type, uint64_t *v)
{
	struct tlv_reader rd;
	struct tlv a;

	tlv_reader_init(&rd, r->buf, r->len);
	while (tlv_next(&rd, &a) == 1)
		if (a.type == type)
			return tlv_u64(&a, v);
	return -ENOENT;
}

static int do_status(const char *sock)
{
	struct rpc_reply r;
	struct tlv_reader rd;
	struct tlv a;
	char s[64];
	uint64_t u;
	uint32_t w;
	int rc = call(sock, RPC_OP_STATUS, NULL, &r, false);

	if (rc)
		return rc;
	tlv_reader_init(&rd, r.buf, r.len);
	while (tlv_next(&rd, &a) == 1) {
		switch (a.type) {
		case RPC_A_RAFT_ROLE:
			tlv_str(&a, s, sizeof(s));
			printf("role=%s ", s);
			break;
		case RPC_A_LEADER:
			tlv_str(&a, s, sizeof(s));
			printf("leader=%s ", s[0] ? s : "-");
			break;
		case RPC_A_MESH_IP:
			tlv_str(&a, s, sizeof(s));
			printf("ip=%s ", s[0] ? s : "-");
			break;
		case RPC_A_TERM:
			tlv_u64(&a, &u);
			printf("term=%" PRIu64 " ", u);
			break;
		case RPC_A_COMMIT:
			tlv_u64(&a, &u);
			printf("commit=%" PRIu64 " ", u);
			break;
		case RPC_A_APPLIED:
			tlv_u64(&a, &u);
			printf("applied=%" PRIu64 " ", u);
			break;
		case RPC_A_TRANSFERS:
			tlv_u64(&a, &u);
			printf("transfers=%" PRIu64 " ", u);
			break;
		case RPC_A_VOTERS:
			tlv_u32(&a, &w);
			printf("voters=%u ", w);
			break;
		case RPC_A_LEARNERS:
			tlv_u32(&a, &w);
			printf("learners=%u ", w);
			break;
		case RPC_A_PID:
			tlv_u32(&a, &w);
			printf("pid=%u ", w);
			break;
		case RPC_A_DISK_FULL:
			tlv_u32(&a, &w);
			printf("disk_full=%u ", w);
			break;
		}
	}
	printf("\n");
	client_reply_release(&r);
	return 0;
}

static int write_one(const char *sock, uint64_t id, uint64_t *index,
		     bool quiet)
{
	struct tlv_writer w;
	struct rpc_reply r;
	int rc;

	tlv_writer_init(&w, 64);
	tlv_put_u64(&w, RPC_A_PROBE_ID, id);
	rc = call(sock, RPC_OP_PROBE_WRITE, &w, &r, quiet);
	tlv_writer_release(&w);
	if (rc)
		return rc;
	find_u64(&r, RPC_A_INDEX, index);
	client_reply_release(&r);
	return 0;
}

static int do_read(const char *sock, const char *idfile)
{
	const uint8_t *bits = NULL;
	uint64_t count = 0, hash = 0, id, missing = 0;
	struct rpc_reply r;
	struct tlv_reader rd;
	struct tlv a;
	FILE *f;
	int rc = call(sock, RPC_OP_PROBE_READ, NULL, &r, false);

	if (rc)
		return rc;
	find_u64(&r, RPC_A_COUNT, &count);
	find_u64(&r, RPC_A_HASH, &hash);
	tlv_reader_init(&rd, r.buf, r.len);
	while (tlv_next(&rd, &a) == 1)
		if (a.type == RPC_A_BITMAP && a.len == (1u << 20) / 8)
			bits = a.val;
	printf("count=%" PRIu64 " hash=%016" PRIx64 "\n", count, hash);
	if (idfile) {
		f = fopen(idfile, "r");
		if (!f || !bits) {
			fprintf(stderr, "atomrpc: cannot check %s\n", idfile);
			client_reply_release(&r);
			return 1;
		}
		while (fscanf(f, "%" SCNu64, &id) == 1) {
			if (id >= (1u << 20) || !(bits[id / 8] & (1u << (id % 8)))) {
				fprintf(stderr, "atomrpc: %s lacks acknowledged id %" PRIu64 "\n",
					sock, id);
				missing++;
			}
		}
		fclose(f);
	}
	client_reply_release(&r);
	return missing ? 1 : 0;
}

static int do_member(const char *sock, const char *op, const char *ip)
{
	static const char *const ops[] = { "add", "promote", "demote", "remove" };
	struct tlv_writer w;
	struct rpc_reply r;
	uint32_t code = 0;
	int rc;

	for (uint32_t i = 0; i < 4; i++)
		if (!strcmp(op, ops[i]))
			code = RAFT_CONF_ADD_LEARNER + i;
	if (!code)
		return print_usage();
	tlv_writer_init(&w, 128);
	tlv_put_u32(&w, RPC_A_CONF_OP, code);
	tlv_put_str(&w, RPC_A_MESH_IP, ip);
	rc = call(sock, RPC_OP_RAFT_MEMBER, &w, &r, false);
	tlv_writer_release(&w);
	if (!rc)
		client_reply_release(&r);
	return rc;
}

static int do_transfer(const char *sock, const char *ip)
{
	struct tlv_writer w;
	struct rpc_reply r;
	int rc;

	tlv_writer_init(&w, 128);
	tlv_put_str(&w, RPC_A_MESH_IP, ip);
	rc = call(sock, RPC_OP_RAFT_TRANSFER, &w, &r, false);
	tlv_writer_release(&w);
	if (!rc)
		client_reply_release(&r);
	return rc;
}

static int do_pause(const char *sock, const char *secs)
{
	struct tlv_writer w;
	struct rpc_reply r;
	int rc;

	tlv_writer_init(&w, 128);
	tlv_put_u64(&w, RPC_A_TTL_S, strtoull(secs, NULL, 0));
	rc = call(sock, RPC_OP_HOUSE_PAUSE, &w, &r, false);
	tlv_writer_release(&w);
	if (!rc)
		client_reply_release(&r);
	return rc;
}

/* Write ids to whichever agent leads; keep going through failovers. */
static int do_load(uint64_t first, uint64_t count, char **socks, int n)
{
	int cur = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (uint64_t id = first; id < first + count; id++) {
		int tries = 0;

		for (;;) {
			uint64_t t0 = now_us(), index = 0;
			int rc = write_one(socks[cur], id, &index, true);

			if (!rc) {
				printf("ack %" PRIu64 " %" PRIu64 "\n", id,
				       now_us() - t0);
				break;
			}
			cur = (cur + 1) % n;
			if (++tries % n == 0) {
				struct timespec ts = { 0, 20 * 1000 * 1000 };

				nanosleep(&ts, NULL);	/* no leader yet */
			}
			if (tries > 50 * n * 10)
				return 1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 5 && !strcmp(argv[1], "load"))
		return do_load(strtoull(argv[2], NULL, 0),
			       strtoull(argv[3], NULL, 0), argv + 4, argc - 4);
	if (argc < 3)
		return print_usage();
	if (!strcmp(argv[2], "status") && argc == 3)
		return do_status(argv[1]);
	if (!strcmp(argv[2], "write") && argc == 4) {
		uint64_t index = 0;
		int rc = write_one(argv[1], strtoull(argv[3], NULL, 0), &index,
				   false);

		if (!rc)
			printf("%" PRIu64 "\n", index);
		return rc;
	}
	if (!strcmp(argv[2], "read") && argc <= 4)
		return do_read(argv[1], argc == 4 ? argv[3] : NULL);
	if (!strcmp(argv[2], "member") && argc == 5)
		return do_member(argv[1], argv[3], argv[4]);
	if (!strcmp(argv[2], "transfer") && argc == 4)
		return do_transfer(argv[1], argv[3]);
	if (!strcmp(argv[2], "pause") && argc == 4)
		return do_pause(argv[1], argv[3]);
	return print_usage();
}
