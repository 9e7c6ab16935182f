// SPDX-License-Identifier: GPL-2.0
/*
 * atom token create [--uses N] [--ttl DURATION] [--role admin|member]
 * atom token list
 * atom token revoke ID
 *
 * create prints the token and nothing else (with -j, one JSON object);
 * the agent makes it, and the mesh keeps only what cannot join.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client.h"
#include "json.h"
#include "rpc.h"
#include "subcommands.h"
#include "util/duration.h"

#define TTL_MAX_S (3650ull * 86400)

static int usage_to(FILE *f)
{
	fprintf(f,
		"Usage: atom token create [--uses N] [--ttl DURATION] [--role admin|member]\n"
		"       atom token list [-j]\n"
		"       atom token revoke ID\n");
	return 2;
}

static int usage(void)
{
	return usage_to(stderr);
}

struct token_entry {
	char id[32], role[16], token[128];
	uint64_t expires;
	uint32_t uses, revoked;
};

static int parse_entry(const uint8_t *buf, size_t len, struct token_entry *e)
{
	struct tlv_reader r;
	struct tlv a;
	int ret;

	memset(e, 0, sizeof(*e));
	tlv_reader_init(&r, buf, len);
	while ((ret = tlv_next(&r, &a)) == 1) {
		switch (a.type) {
		case RPC_A_TOKEN_ID:
			ret = tlv_str(&a, e->id, sizeof(e->id));
			break;
		case RPC_A_ROLE:
			ret = tlv_str(&a, e->role, sizeof(e->role));
			break;
		case RPC_A_TOKEN:
			ret = tlv_str(&a, e->token, sizeof(e->token));
			break;
		case RPC_A_EXPIRES:
			ret = tlv_u64(&a, &e->expires);
			break;
		case RPC_A_USES:
			ret = tlv_u32(&a, &e->uses);
			break;
		case RPC_A_REVOKED:
			ret = tlv_u32(&a, &e->revoked);
			break;
		default:
			ret = 0;
		}
		if (ret < 0)
			return ret;
	}
	return ret;
}

static void json_expires(struct json *j, uint64_t expires)
{
	if (expires)
		json_u64(j, "expires", expires);
	else
		json_null(j, "expires");
}

static int create_main(int argc, char **argv, const struct cli_global *g)
{
	struct tlv_writer w;
	struct rpc_reply reply;
	struct token_entry e;
	uint64_t ttl_ms;
	char *end;
	int i, ret;

	tlv_writer_init(&w, 1024);
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--uses") && i + 1 < argc) {
			unsigned long uses = strtoul(argv[++i], &end, 10);

			if (*end || !uses || uses > 65535 || argv[i][0] == '-') {
				fprintf(stderr, "atom: --uses takes 1 to 65535\n");
				goto usage;
			}
			tlv_put_u32(&w, RPC_A_USES, (uint32_t)uses);
		} else if (!strcmp(argv[i], "--ttl") && i + 1 < argc) {
			if (duration_parse(argv[++i], &ttl_ms) ||
			    ttl_ms / 1000 > TTL_MAX_S || (ttl_ms && ttl_ms < 1000)) {
				fprintf(stderr,
					"atom: --ttl takes a duration such as 90s, 30m, 24h or 7d (0: never expires)\n");
				goto usage;
			}
			tlv_put_u64(&w, RPC_A_TTL_S, ttl_ms / 1000);
		} else if (!strcmp(argv[i], "--role") && i + 1 < argc) {
			i++;
			if (strcmp(argv[i], "admin") && strcmp(argv[i], "member")) {
				fprintf(stderr, "atom: --role takes admin or member\n");
				goto usage;
			}
			tlv_put_str(&w, RPC_A_ROLE, argv[i]);
		} else {
			goto usage;
		}
	}
	ret = client_ask(g, RPC_OP_TOKEN_CREATE, &w, &reply);
	tlv_writer_release(&w);
	if (ret)
		return 1;
	ret = parse_entry(reply.buf, reply.len, &e);
	client_reply_release(&reply);
	if (ret < 0 || !e.token[0]) {
		fprintf(stderr, "atom: malformed answer from the agent\n");
		return 1;
	}
	if (g->json) {
		struct json j;

		json_init(&j, stdout);
		json_object_begin(&j, NULL);
		json_str(&j, "token", e.token);
		json_str(&j, "id", e.id);
		json_u64(&j, "uses", e.uses);
		json_expires(&j, e.expires);
		json_str(&j, "role", e.role);
		json_object_end(&j);
		putchar('\n');
	} else {
		printf("%s\n", e.token);
	}
	memset(&e, 0, sizeof(e));
	return 0;
usage:
	tlv_writer_release(&w);
	return usage();
}

static const char *token_state(const struct token_entry *e, time_t now)
{
	if (e->revoked)
		return "revoked";
	if (e->expires && (uint64_t)now >= e->expires)
		return "expired";
	if (!e->uses)
		return "used up";
	return "active";
}

static int list_main(int argc, const struct cli_global *g)
{
	struct rpc_reply reply;
	struct tlv_reader r;
	struct token_entry e;
	struct json j;
	struct tlv a;
	time_t now = time(NULL);
	int ret;

	if (argc != 1)
		return usage();
	if (client_ask(g, RPC_OP_TOKEN_LIST, NULL, &reply))
		return 1;
	if (g->json) {
		json_init(&j, stdout);
		json_array_begin(&j, NULL);
	} else {
		printf("%-24s %-9s %-20s %-6s %s\n", "ID", "USES LEFT", "EXPIRES",
		       "ROLE", "STATE");
	}
	tlv_reader_init(&r, reply.buf, reply.len);
	while ((ret = tlv_next(&r, &a)) == 1) {
		if (a.type != RPC_A_TOKEN_ENTRY)
			continue;
		ret = parse_entry(a.val, a.len, &e);
		if (ret < 0)
			break;
		if (g->json) {
			json_object_begin(&j, NULL);
			json_str(&j, "id", e.id);
			json_u64(&j, "uses_left", e.uses);
			json_expires(&j, e.expires);
			json_str(&j, "role", e.role);
			json_bool(&j, "revoked", e.revoked);
			json_object_end(&j);
		} else {
			char exp[32] = "never";
			time_t t = (time_t)e.expires;
			struct tm tm;

			if (e.expires && gmtime_r(&t, &tm))
				strftime(exp, sizeof(exp), "%Y-%m-%dT%H:%M:%SZ", &tm);
			printf("%-24s %-9" PRIu32 " %-20s %-6s %s\n", e.id, e.uses,
			       exp, e.role, token_state(&e, now));
		}
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

static int revoke_main(int argc, char **argv, const struct cli_global *g)
{
	struct rpc_reply reply;
	struct tlv_writer w;
	int ret;

	if (argc != 2 || argv[1][0] == '-')
		return usage();
	tlv_writer_init(&w, 256);
	tlv_put_str(&w, RPC_A_TOKEN_ID, argv[1]);
	ret = client_ask(g, RPC_OP_TOKEN_REVOKE, &w, &reply);
	tlv_writer_release(&w);
	if (ret)
		return 1;
	client_reply_release(&reply);
	return 0;
}

int token_main(int argc, char **argv, const struct cli_global *g)
{
	if (g->help) {
		usage_to(stdout);
		return 0;
	}
	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "create"))
		return create_main(argc - 1, argv + 1, g);
	if (!strcmp(argv[1], "list"))
		return list_main(argc - 1, g);
	if (!strcmp(argv[1], "revoke"))
		return revoke_main(argc - 1, argv + 1, g);
	return usage();
}
