// SPDX-License-Identifier: GPL-2.0
/*
 * atomctl: drive atom.ko from the VM selftests.
 *
 *   atomctl bind IFNAME
 *   atomctl apply IFNAME INDEX [--expect N] [--timeout S] < spec
 *   atomctl replace IFNAME INDEX [--expect N] [--timeout S] < spec
 *   atomctl get [--peers]
 *   atomctl malform CASE     (policy tests: send one malformed request)
 *   atomctl malform list
 *   atomctl genspec N FIRST_IP [ENDPOINT|-] [KEEPALIVE]   (random keys)
 *   atomctl dp IFNAME INDEX < spec   (through agent/dp_kernel.c)
 *
 * spec lines: "add KEY IP ENDPOINT|- KEEPALIVE", "upd KEY IP ENDPOINT|-
 * KEEPALIVE" (the key must exist), "del KEY"; '#' starts a comment.
 *
 * A job's outcome goes to stdout as one line of key=value; a failure also
 * goes to stderr with the kernel's text. Exit 0 on success, 1 on failure
 * (refused, or the job failed), 2 on usage errors.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <sodium.h>
#include <string.h>

#include "atom_genl.h"
#include "dataplane.h"
#include "keyfile.h"

static int timeout_s = 120;

static void print_usage(void)
{
	fprintf(stderr,
		"usage: atomctl bind IFNAME\n"
		"       atomctl apply|replace IFNAME INDEX [--expect N] [--timeout S] < spec\n"
		"       atomctl get [--peers]\n"
		"       atomctl malform CASE|list\n"
		"       atomctl genspec N FIRST_IP [ENDPOINT|-] [KEEPALIVE]\n"
		"       atomctl dp IFNAME INDEX < spec\n");
	exit(2);
}

static void report_refusal(const struct atom_genl *g, const char *what, int err)
{
	printf("refused errno=%d\n", err);
	fprintf(stderr, "atomctl: %s: %s%s%s\n", what, strerror(-err),
		g->err_msg[0] ? ": " : "", g->err_msg);
}

static int parse_endpoint(const char *s, struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *sin6 = (void *)ss;
	struct sockaddr_in *sin = (void *)ss;
	char host[64];
	const char *colon;
	long port;

	memset(ss, 0, sizeof(*ss));
	if (!strcmp(s, "-"))
		return 0;
	colon = strrchr(s, ':');
	if (!colon || (size_t)(colon - s) >= sizeof(host))
		return -EINVAL;
	port = strtol(colon + 1, NULL, 10);
	if (port < 1 || port > 65535)
		return -EINVAL;
	if (s[0] == '[') {
		if (colon - s < 3 || colon[-1] != ']')
			return -EINVAL;
		memcpy(host, s + 1, colon - s - 2);
		host[colon - s - 2] = '\0';
		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			return -EINVAL;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		return 0;
	}
	memcpy(host, s, colon - s);
	host[colon - s] = '\0';
	if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
		return -EINVAL;
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	return 0;
}

static int parse_line(char *line, struct atom_genl_item *it)
{
	char *op, *key, *ip, *ep, *ka;

	memset(it, 0, sizeof(*it));
	op = strtok(line, " \t\n");
	key = strtok(NULL, " \t\n");
	if (!op || !key || wg_key_from_base64(key, it->key))
		return -EINVAL;
	if (!strcmp(op, "del")) {
		it->op = ATOM_OP_REMOVE;
		return 0;
	}
	if (!strcmp(op, "add"))
		it->op = ATOM_OP_UPSERT;
	else if (!strcmp(op, "upd"))
		it->op = ATOM_OP_UPDATE;
	else
		return -EINVAL;
	ip = strtok(NULL, " \t\n");
	ep = strtok(NULL, " \t\n");
	ka = strtok(NULL, " \t\n");
	if (!ip || !ep || !ka || inet_pton(AF_INET, ip, &it->addr) != 1 ||
	    parse_endpoint(ep, &it->endpoint))
		return -EINVAL;
	it->keepalive = strtoul(ka, NULL, 10);
	return 0;
}

static int read_spec(struct atom_genl_item **ret, size_t *n)
{
	struct atom_genl_item *items;
	char line[512];
	size_t cap = 64, lineno = 0;
	char *p;

	items = malloc(cap * sizeof(*items));
	if (!items)
		return -ENOMEM;
	*n = 0;
	while (fgets(line, sizeof(line), stdin)) {
		lineno++;
		p = line + strspn(line, " \t");
		if (*p == '#' || *p == '\n' || !*p)
			continue;
		if (*n == cap) {
			void *np = realloc(items, 2 * cap * sizeof(*items));

			if (!np) {
				free(items);
				return -ENOMEM;
			}
			items = np;
			cap *= 2;
		}
		if (parse_line(p, &items[*n])) {
			fprintf(stderr, "atomctl: spec line %zu: bad line\n",
				lineno);
			free(items);
			return -EINVAL;
		}
		(*n)++;
	}
	*ret = items;
	return 0;
}

static const char *cmd_name(uint32_t cmd)
{
	switch (cmd) {
	case ATOM_CMD_BIND:
		return "bind";
	case ATOM_CMD_APPLY:
		return "apply";
	case ATOM_CMD_REPLACE:
		return "replace";
	}
	return "?";
}

static void print_result(const struct atom_genl_result *r, const char *pfx)
{
	char item[16] = "none";

	if (r->item != ATOM_ITEM_NONE)
		snprintf(item, sizeof(item), "%u", r->item);
	printf("%sjob=%llu cmd=%s index=%llu errno=%d item=%s phase=%s undo=%d msg=%s\n",
	       pfx, (unsigned long long)r->job, cmd_name(r->cmd),
	       (unsigned long long)r->index, r->err, item,
	       atom_genl_phase_name(r->phase), r->undo_err, r->msg);
}

static int finish(struct atom_genl *g, uint64_t job)
{
	struct atom_genl_result r;
	int ret;

	ret = atom_genl_wait(g, job, timeout_s * 1000, &r);
	if (ret < 0) {
		fprintf(stderr, "atomctl: waiting for job %llu: %s\n",
			(unsigned long long)job, strerror(-ret));
		return 1;
	}
	print_result(&r, "");
	if (!r.err)
		return 0;
	fprintf(stderr, "atomctl: %s failed: %s: %s%s\n", cmd_name(r.cmd),
		strerror(-r.err), r.msg,
		r.undo_err ? " (UNDO FAILED: device may differ)" : "");
	return 1;
}

static int do_bind(struct atom_genl *g, unsigned int ifindex)
{
	uint64_t job;
	int ret;

	ret = atom_genl_bind(g, ifindex, &job);
	if (ret < 0) {
		report_refusal(g, "bind", ret);
		return 1;
	}
	return finish(g, job);
}

static int cmd_batch(struct atom_genl *g, uint8_t cmd, int argc, char **argv)
{
	struct atom_genl_item *items;
	struct atom_genl_state st;
	uint64_t index, expect, job;
	bool has_expect = false;
	unsigned int ifindex;
	size_t n;
	int i, ret;

	if (argc < 2)
		print_usage();
	ifindex = if_nametoindex(argv[0]);
	if (!ifindex) {
		fprintf(stderr, "atomctl: %s: no such device\n", argv[0]);
		return 1;
	}
	index = strtoull(argv[1], NULL, 10);
	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--expect") && i + 1 < argc) {
			expect = strtoull(argv[++i], NULL, 10);
			has_expect = true;
		} else if (!strcmp(argv[i], "--timeout") && i + 1 < argc) {
			timeout_s = atoi(argv[++i]);
		} else {
			print_usage();
		}
	}
	if (read_spec(&items, &n))
		return 2;
	ret = atom_genl_get(g, &st);
	if (ret < 0) {
		report_refusal(g, "get", ret);
		free(items);
		return 1;
	}
	if (!st.bound || st.ifindex != ifindex) {
		ret = do_bind(g, ifindex);
		if (ret) {
			free(items);
			return ret;
		}
	}
	ret = atom_genl_batch(g, cmd, ifindex, index,
			      has_expect ? &expect : NULL, items, n, &job);
	free(items);
	if (ret < 0) {
		report_refusal(g, cmd_name(cmd), ret);
		return 1;
	}
	return finish(g, job);
}

static void print_peer_key(const uint8_t *key)
{
	char b64[WG_KEY_B64_LEN + 1];

	wg_key_to_base64(key, b64);
	printf("listed %s\n", b64);
}

static void print_peer(const struct atom_genl_item *p)
{
	const struct sockaddr_in6 *sin6 = (const void *)&p->endpoint;
	const struct sockaddr_in *sin = (const void *)&p->endpoint;
	char key[WG_KEY_B64_LEN + 1], ip[INET_ADDRSTRLEN], a[INET6_ADDRSTRLEN];
	char ep[INET6_ADDRSTRLEN + 16] = "-";

	wg_key_to_base64(p->key, key);
	inet_ntop(AF_INET, &p->addr, ip, sizeof(ip));
	if (p->endpoint.ss_family == AF_INET) {
		inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a));
		snprintf(ep, sizeof(ep), "%s:%u", a, ntohs(sin->sin_port));
	} else if (p->endpoint.ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof(a));
		snprintf(ep, sizeof(ep), "[%s]:%u", a, ntohs(sin6->sin6_port));
	}
	printf("peer %s %s %s %u flags=%u\n", key, ip, ep, p->keepalive,
	       p->flags);
}

static int cmd_get(struct atom_genl *g, int argc, char **argv)
{
	struct atom_genl_item *peers = NULL;
	struct atom_genl_state st;
	bool all = argc > 0 && !strcmp(argv[0], "--peers");
	size_t n = 0, i;
	int ret;

	ret = all ? atom_genl_dump(g, &st, &peers, &n) : atom_genl_get(g, &st);
	if (ret < 0) {
		report_refusal(g, "get", ret);
		return 1;
	}
	printf("ifindex=%u ifname=%s bound=%d index=%llu pending=%u peers=%u drift=%u\n",
	       st.ifindex, st.ifname[0] ? st.ifname : "-", st.bound,
	       (unsigned long long)st.applied, st.pending, st.peer_count,
	       st.drift);
	if (st.has_last)
		print_result(&st.last, "last ");
	for (i = 0; i < n; i++)
		print_peer(&peers[i]);
	free(peers);
	return 0;
}

/*
 * Policy tests: one valid APPLY with one upsert, and one thing wrong with
 * it. Every case must be refused with EINVAL and an extack message.
 */
static const char * const malform_cases[] = {
	"index-missing", "index-short", "index-zero", "expect-short",
	"ifindex-short", "ifindex-zero", "unknown-attr", "item-not-nested",
	"item-empty", "key-missing", "key-short", "key-long", "op-range",
	"op-short", "addr-missing", "addr-short", "addr-zero", "ep4-short",
	"ep6-short", "two-endpoints", "port-missing", "port-zero",
	"port-range", "endpoint-missing", "keepalive-range", "flags-set",
	"unknown-item-attr", "remove-with-addr", "replace-remove",
	"reserved", "bind-empty", "bind-ifname-long", "get-attr",
	"too-many-items", NULL,
};

static void put_case_item(struct nlmsghdr *nlh, const char *c)
{
	static const uint8_t key[ATOM_KEY_LEN] = { 1, 2, 3 };
	static const uint8_t long_key[ATOM_KEY_LEN + 1] = { 1, 2, 3 };
	uint32_t addr = htonl(0x0a640001), ep = htonl(0xc0000201);
	uint8_t six[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	struct nlattr *nest;

	if (!strcmp(c, "item-not-nested")) {
		mnl_attr_put(nlh, ATOM_A_ITEM, sizeof(key), key);
		return;
	}
	nest = mnl_attr_nest_start(nlh, ATOM_A_ITEM);
	if (!strcmp(c, "item-empty"))
		goto end;
	if (!strcmp(c, "op-range"))
		mnl_attr_put_u32(nlh, ATOM_ITEM_A_OP, ATOM_OP_MAX + 1);
	else if (!strcmp(c, "op-short"))
		mnl_attr_put_u16(nlh, ATOM_ITEM_A_OP, 0);
	else if (!strcmp(c, "remove-with-addr") || !strcmp(c, "replace-remove"))
		mnl_attr_put_u32(nlh, ATOM_ITEM_A_OP, ATOM_OP_REMOVE);
	if (!strcmp(c, "key-short"))
		mnl_attr_put(nlh, ATOM_ITEM_A_KEY, ATOM_KEY_LEN - 1, key);
	else if (!strcmp(c, "key-long"))
		mnl_attr_put(nlh, ATOM_ITEM_A_KEY, ATOM_KEY_LEN + 1, long_key);
	else if (strcmp(c, "key-missing"))
		mnl_attr_put(nlh, ATOM_ITEM_A_KEY, ATOM_KEY_LEN, key);
	if (!strcmp(c, "replace-remove"))
		goto end;
	if (!strcmp(c, "addr-short"))
		mnl_attr_put(nlh, ATOM_ITEM_A_ADDR, 3, &addr);
	else if (!strcmp(c, "addr-zero"))
		mnl_attr_put_u32(nlh, ATOM_ITEM_A_ADDR, 0);
	else if (strcmp(c, "addr-missing"))
		mnl_attr_put(nlh, ATOM_ITEM_A_ADDR, 4, &addr);
	if (!strcmp(c, "ep4-short"))
		mnl_attr_put(nlh, ATOM_ITEM_A_ENDPOINT4, 2, &ep);
	else if (!strcmp(c, "ep6-short"))
		mnl_attr_put(nlh, ATOM_ITEM_A_ENDPOINT6, 15, six);
	else if (strcmp(c, "endpoint-missing"))
		mnl_attr_put(nlh, ATOM_ITEM_A_ENDPOINT4, 4, &ep);
	if (!strcmp(c, "two-endpoints"))
		mnl_attr_put(nlh, ATOM_ITEM_A_ENDPOINT6, 16, six);
	if (!strcmp(c, "port-zero"))
		mnl_attr_put_u32(nlh, ATOM_ITEM_A_PORT, 0);
	else if (!strcmp(c, "port-range"))
		mnl_attr_put_u32(nlh, ATOM_ITEM_A_PORT, 65536);
	else if (strcmp(c, "port-missing"))
		mnl_attr_put_u32(nlh, ATOM_ITEM_A_PORT, 51820);
	if (!strcmp(c, "keepalive-range"))
		mnl_attr_put_u32(nlh, ATOM_ITEM_A_KEEPALIVE, 65536);
	else
		mnl_attr_put_u32(nlh, ATOM_ITEM_A_KEEPALIVE, 25);
	if (!strcmp(c, "flags-set"))
		mnl_attr_put_u32(nlh, ATOM_ITEM_A_FLAGS, 1);
	if (!strcmp(c, "unknown-item-attr"))
		mnl_attr_put_u32(nlh, ATOM_ITEM_A_MAX + 1, 1);
end:
	mnl_attr_nest_end(nlh, nest);
}

static int cmd_malform(struct atom_genl *g, const char *c)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(g->buf);
	uint8_t cmd = ATOM_CMD_APPLY;
	struct genlmsghdr *gh;
	uint32_t portid;
	char rbuf[8192];
	ssize_t len;
	int i, ret;

	if (!strcmp(c, "list")) {
		for (i = 0; malform_cases[i]; i++)
			printf("%s\n", malform_cases[i]);
		return 0;
	}
	for (i = 0; malform_cases[i] && strcmp(malform_cases[i], c); i++)
		;
	if (!malform_cases[i])
		print_usage();
	if (!strcmp(c, "replace-remove"))
		cmd = ATOM_CMD_REPLACE;
	else if (!strncmp(c, "bind-", 5))
		cmd = ATOM_CMD_BIND;
	else if (!strcmp(c, "get-attr"))
		cmd = ATOM_CMD_GET;
	nlh->nlmsg_type = g->family;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = 4242;
	gh = mnl_nlmsg_put_extra_header(nlh, sizeof(*gh));
	gh->cmd = cmd;
	gh->version = ATOM_GENL_VERSION;
	if (!strcmp(c, "reserved"))
		gh->reserved = 1;
	if (cmd == ATOM_CMD_BIND) {
		if (!strcmp(c, "bind-ifname-long"))
			mnl_attr_put_strz(nlh, ATOM_A_IFNAME,
					  "a-name-longer-than-ifnamsiz");
		goto send;
	}
	if (cmd == ATOM_CMD_GET) {
		mnl_attr_put_u32(nlh, ATOM_A_IFINDEX, 1);
		goto send;
	}
	if (!strcmp(c, "index-short"))
		mnl_attr_put_u32(nlh, ATOM_A_INDEX, 5);
	else if (!strcmp(c, "index-zero"))
		mnl_attr_put_u64(nlh, ATOM_A_INDEX, 0);
	else if (strcmp(c, "index-missing"))
		mnl_attr_put_u64(nlh, ATOM_A_INDEX, 5);
	if (!strcmp(c, "expect-short"))
		mnl_attr_put_u32(nlh, ATOM_A_EXPECT_INDEX, 5);
	if (!strcmp(c, "ifindex-short"))
		mnl_attr_put_u16(nlh, ATOM_A_IFINDEX, 1);
	else if (!strcmp(c, "ifindex-zero"))
		mnl_attr_put_u32(nlh, ATOM_A_IFINDEX, 0);
	if (!strcmp(c, "unknown-attr"))
		mnl_attr_put_u32(nlh, ATOM_A_MAX + 1, 1);
	if (!strcmp(c, "too-many-items")) {
		for (i = 0; i <= ATOM_MAX_BATCH; i++)
			put_case_item(nlh, "ok");
	} else {
		put_case_item(nlh, c);
	}
send:
	g->err_msg[0] = '\0';
	portid = mnl_socket_get_portid(g->req);
	if (mnl_socket_sendto(g->req, nlh, nlh->nlmsg_len) < 0)
		return 1;
	len = mnl_socket_recvfrom(g->req, rbuf, sizeof(rbuf));
	if (len < 0)
		return 1;
	for (nlh = (void *)rbuf; mnl_nlmsg_ok(nlh, len);
	     nlh = mnl_nlmsg_next(nlh, (int *)&len)) {
		const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
		const struct nlattr *a;

		if (nlh->nlmsg_type != NLMSG_ERROR)
			continue;
		ret = err->error;
		if (nlh->nlmsg_flags & NLM_F_ACK_TLVS)
			mnl_attr_for_each(a, nlh, sizeof(*err))
				if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG)
					snprintf(g->err_msg, sizeof(g->err_msg),
						 "%s", mnl_attr_get_str(a));
		printf("%s errno=%d extack=%s\n", c, ret, g->err_msg);
		(void)portid;
		return ret ? 1 : 0;
	}
	return 1;
}

/*
 * dp IFNAME INDEX < spec: the same batch through the agent's kernel
 * dataplane backend (an item that fails by itself is drift, the rest goes
 * in); prints the result and the peers it then lists.
 */
static int cmd_dp(int argc, char **argv)
{
	struct dp_device dev = { 0 };
	struct atom_genl_item *items;
	struct dp_peer_state *st;
	struct dp_change *c;
	struct dataplane dp;
	size_t n, i, sn;
	int ret, err;

	if (argc != 2)
		print_usage();
	snprintf(dev.ifname, sizeof(dev.ifname), "%s", argv[0]);
	if (read_spec(&items, &n))
		return 2;
	c = calloc(n + 1, sizeof(*c));
	if (!c)
		return 1;
	for (i = 0; i < n; i++) {
		c[i].op = items[i].op == ATOM_OP_REMOVE ? DP_REMOVE : DP_UPSERT;
		memcpy(c[i].peer.key, items[i].key, DP_KEY_LEN);
		c[i].peer.ip = items[i].addr;
		c[i].peer.endpoint = items[i].endpoint;
		c[i].peer.keepalive_s = items[i].keepalive;
	}
	free(items);
	ret = dp_kernel_open(&dp);
	if (ret < 0)
		goto out;
	ret = dp.ops->setup(&dp, &dev);
	if (ret < 0)
		goto out_close;
	err = dp.ops->apply(&dp, c, n, strtoull(argv[1], NULL, 10));
	printf("dp apply=%d applied_index=%llu\n", err,
	       (unsigned long long)dp.applied_index);
	ret = dp.ops->list(&dp, &st, &sn);
	if (ret < 0)
		goto out_close;
	for (i = 0; i < sn; i++)
		print_peer_key(st[i].peer.key);
	free(st);
out_close:
	dp.ops->close(&dp, false);
out:
	free(c);
	if (ret < 0)
		fprintf(stderr, "atomctl: dp: %s\n", strerror(-ret));
	return ret < 0 ? 1 : 0;
}

/* genspec N FIRST_IP [ENDPOINT|-] [KEEPALIVE]: N upserts, random keys. */
static int cmd_genspec(int argc, char **argv)
{
	char b64[WG_KEY_B64_LEN + 1];
	uint8_t key[ATOM_KEY_LEN];
	struct in_addr ip;
	long i, n;

	if (argc < 2 || inet_pton(AF_INET, argv[1], &ip) != 1)
		print_usage();
	n = strtol(argv[0], NULL, 10);
	for (i = 0; i < n; i++) {
		struct in_addr a = { htonl(ntohl(ip.s_addr) + i) };

		randombytes_buf(key, sizeof(key));
		wg_key_to_base64(key, b64);
		printf("add %s %s %s %s\n", b64, inet_ntoa(a),
		       argc > 2 ? argv[2] : "-", argc > 3 ? argv[3] : "0");
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct atom_genl g;
	int ret;

	if (argc < 2)
		print_usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(argv[1], "genspec"))
		return cmd_genspec(argc - 2, argv + 2);
	if (!strcmp(argv[1], "dp"))
		return cmd_dp(argc - 2, argv + 2);
	ret = atom_genl_open(&g);
	if (ret < 0) {
		fprintf(stderr, "atomctl: family %s: %s\n", ATOM_GENL_NAME,
			strerror(-ret));
		return 1;
	}
	if (!strcmp(argv[1], "bind") || !strcmp(argv[1], "apply") ||
	    !strcmp(argv[1], "replace")) {
		ret = atom_genl_subscribe(&g);
		if (ret < 0) {
			report_refusal(&g, "join the events group", ret);
			atom_genl_close(&g);
			return 1;
		}
	}
	if (!strcmp(argv[1], "bind") && argc == 3) {
		unsigned int ifindex = if_nametoindex(argv[2]);

		ret = ifindex ? do_bind(&g, ifindex) : 1;
		if (!ifindex)
			fprintf(stderr, "atomctl: %s: no such device\n",
				argv[2]);
	} else if (!strcmp(argv[1], "apply")) {
		ret = cmd_batch(&g, ATOM_CMD_APPLY, argc - 2, argv + 2);
	} else if (!strcmp(argv[1], "replace")) {
		ret = cmd_batch(&g, ATOM_CMD_REPLACE, argc - 2, argv + 2);
	} else if (!strcmp(argv[1], "get")) {
		ret = cmd_get(&g, argc - 2, argv + 2);
	} else if (!strcmp(argv[1], "malform") && argc == 3) {
		ret = cmd_malform(&g, argv[2]);
	} else {
		print_usage();
	}
	atom_genl_close(&g);
	return ret;
}
