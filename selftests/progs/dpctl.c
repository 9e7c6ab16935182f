// SPDX-License-Identifier: GPL-2.0
/*
 * dpctl: drive the netlink dataplane from a shell, for the VM selftests.
 *
 *   dpctl setup IFNAME KEYFILE PORT ADDR NETWORK/PREFIX [MTU]
 *   dpctl apply IFNAME INDEX [--fail-step N] [--fail-undo] [--drift] < spec
 *   dpctl replace IFNAME INDEX [--fail-step N] [--fail-undo] [--drift] < spec
 *   dpctl list IFNAME
 *   dpctl down IFNAME
 *   dpctl serve IFNAME
 *   dpctl spec COUNT FIRST_IP
 *
 * A spec has one change a line: "add KEY IP ENDPOINT|- KEEPALIVE" or
 * "del KEY" (replace takes only adds). apply, replace and list take the
 * device over as it is; serve keeps one backend (and its record) across
 * commands read from stdin: "apply|replace INDEX [FAIL_STEP [undo]]", the
 * spec, then a line "end"; each answered by "ok" or "error: why".
 * spec prints COUNT adds of random keys at consecutive addresses.
 * A batch is one all or nothing attempt unless --drift: then, as the
 * agent runs it, a change that fails by itself is left out and the rest
 * applied (exit 1 all the same, saying what was left out).
 * Errors go to stderr, and the exit status is 1 (2 for a usage error).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "dp_netlink.h"
#include "keyfile.h"

#define SPEC_MAX DP_NETLINK_BATCH_MAX

struct spec {
	struct dp_change *c;
	size_t n;
};

static int usage(void)
{
	fprintf(stderr,
		"Usage: dpctl setup IFNAME KEYFILE PORT ADDR NETWORK/PREFIX [MTU]\n"
		"       dpctl apply|replace IFNAME INDEX [--fail-step N] [--fail-undo] [--drift] < spec\n"
		"       dpctl list|down|serve IFNAME\n"
		"       dpctl spec COUNT FIRST_IP\n");
	return 2;
}

static int parse_endpoint(const char *s, struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	char host[64];
	const char *colon;
	unsigned long port;
	char *end;

	memset(ss, 0, sizeof(*ss));
	if (!strcmp(s, "-"))
		return 0;
	colon = strrchr(s, ':');
	if (!colon || (size_t)(colon - s) >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	port = strtoul(colon + 1, &end, 10);
	if (*end || !colon[1] || port > 65535)
		return -EINVAL;
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		host[strlen(host) - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) != 1)
			return -EINVAL;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		return 0;
	}
	if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
		return -EINVAL;
	s4->sin_family = AF_INET;
	s4->sin_port = htons((uint16_t)port);
	return 0;
}

static int parse_line(char *line, struct dp_change *c)
{
	char *w[6];
	int n = 0;
	char *tok, *save = NULL, *end;
	unsigned long ka;

	for (tok = strtok_r(line, " \t\n", &save); tok && n < 6;
	     tok = strtok_r(NULL, " \t\n", &save))
		w[n++] = tok;
	memset(c, 0, sizeof(*c));
	if (n == 2 && !strcmp(w[0], "del")) {
		c->op = DP_REMOVE;
		return wg_key_from_base64(w[1], c->peer.key) ? -EINVAL : 0;
	}
	if (n != 5 || strcmp(w[0], "add"))
		return -EINVAL;
	c->op = DP_UPSERT;
	if (wg_key_from_base64(w[1], c->peer.key) ||
	    inet_pton(AF_INET, w[2], &c->peer.ip) != 1 ||
	    parse_endpoint(w[3], &c->peer.endpoint))
		return -EINVAL;
	ka = strtoul(w[4], &end, 10);
	if (*end || ka > 65535)
		return -EINVAL;
	c->peer.keepalive_s = (uint32_t)ka;
	return 0;
}

/* Read a spec until EOF or a line "end". */
static int read_spec(FILE *f, struct spec *s)
{
	char line[256];
	size_t lineno = 0;

	s->n = 0;
	while (fgets(line, sizeof(line), f)) {
		char *p = line;

		lineno++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!strcmp(p, "end\n") || !strcmp(p, "end"))
			return 0;
		if (*p == '#' || *p == '\n' || !*p)
			continue;
		if (s->n == SPEC_MAX) {
			fprintf(stderr, "dpctl: more than %d changes\n",
				SPEC_MAX);
			return -E2BIG;
		}
		if (parse_line(p, &s->c[s->n])) {
			fprintf(stderr, "dpctl: spec line %zu is not valid\n",
				lineno);
			return -EINVAL;
		}
		s->n++;
	}
	return 0;
}

static int do_batch(struct dataplane *dp, bool replace, uint64_t index,
		    const struct spec *s)
{
	struct dp_peer *peers;
	size_t i;
	int ret;

	if (!replace)
		return dp->ops->apply(dp, s->c, s->n, index);
	peers = calloc(s->n + 1, sizeof(*peers));
	if (!peers)
		return -ENOMEM;
	for (i = 0; i < s->n; i++) {
		if (s->c[i].op != DP_UPSERT) {
			free(peers);
			fprintf(stderr, "dpctl: replace takes only adds\n");
			return -EINVAL;
		}
		peers[i] = s->c[i].peer;
	}
	ret = dp->ops->replace(dp, peers, s->n, index);
	free(peers);
	return ret;
}

static const char *errtext(struct dataplane *dp, int ret)
{
	const char *e = dp_netlink_error(dp);

	return e[0] ? e : strerror(-ret);
}

static int cmd_setup(struct dataplane *dp, int argc, char **argv)
{
	struct dp_device dev = { 0 };
	char keypath[4096], *slash, err[256];
	unsigned long v;
	int ret;

	if (argc < 7 || argc > 8)
		return usage();
	snprintf(dev.ifname, sizeof(dev.ifname), "%s", argv[2]);
	snprintf(keypath, sizeof(keypath), "%s", argv[3]);
	ret = keyfile_load_or_create(keypath, dev.private_key, err,
				     sizeof(err));
	if (ret) {
		fprintf(stderr, "dpctl: %s\n", err);
		return 1;
	}
	dev.listen_port = (uint32_t)strtoul(argv[4], NULL, 10);
	slash = strchr(argv[6], '/');
	if (inet_pton(AF_INET, argv[5], &dev.addr) != 1 || !slash) {
		fprintf(stderr, "dpctl: bad address or network\n");
		return 1;
	}
	*slash = '\0';
	v = strtoul(slash + 1, NULL, 10);
	if (inet_pton(AF_INET, argv[6], &dev.network) != 1 || !v || v > 32) {
		fprintf(stderr, "dpctl: bad network\n");
		return 1;
	}
	dev.prefix = (uint32_t)v;
	if (argc == 8)
		dev.mtu = (uint32_t)strtoul(argv[7], NULL, 10);
	ret = dp->ops->setup(dp, &dev);
	memset(dev.private_key, 0, sizeof(dev.private_key));
	if (ret) {
		fprintf(stderr, "dpctl: setup: %s\n", errtext(dp, ret));
		return 1;
	}
	return 0;
}

static int cmd_list(struct dataplane *dp)
{
	char key[WG_KEY_B64_LEN + 1], ip[INET_ADDRSTRLEN], ep[INET6_ADDRSTRLEN];
	struct dp_peer_state *st;
	size_t n, i;
	int ret;

	ret = dp->ops->list(dp, &st, &n);
	if (ret) {
		fprintf(stderr, "dpctl: list: %s\n", strerror(-ret));
		return 1;
	}
	for (i = 0; i < n; i++) {
		const struct dp_peer *p = &st[i].peer;
		const struct sockaddr_in *s4 = (const void *)&p->endpoint;
		const struct sockaddr_in6 *s6 = (const void *)&p->endpoint;

		wg_key_to_base64(p->key, key);
		inet_ntop(AF_INET, &p->ip, ip, sizeof(ip));
		if (p->endpoint.ss_family == AF_INET)
			printf("%s\t%s\t%s:%u", key, ip,
			       inet_ntop(AF_INET, &s4->sin_addr, ep, sizeof(ep)),
			       ntohs(s4->sin_port));
		else if (p->endpoint.ss_family == AF_INET6)
			printf("%s\t%s\t[%s]:%u", key, ip,
			       inet_ntop(AF_INET6, &s6->sin6_addr, ep,
					 sizeof(ep)),
			       ntohs(s6->sin6_port));
		else
			printf("%s\t%s\t-", key, ip);
		printf("\t%u\t%lld\t%llu\t%llu\n", p->keepalive_s,
		       (long long)st[i].last_handshake_s,
		       (unsigned long long)st[i].rx_bytes,
		       (unsigned long long)st[i].tx_bytes);
	}
	free(st);
	return 0;
}

/* Commands from stdin against one backend, answered on stdout. */
static int cmd_serve(struct dataplane *dp, struct spec *s)
{
	char line[128], kind[16], undo[16];
	unsigned long long index;
	unsigned int step;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while (fgets(line, sizeof(line), stdin)) {
		int n, ret;

		step = 0;
		undo[0] = '\0';
		n = sscanf(line, "%15s %llu %u %15s", kind, &index, &step,
			   undo);
		if (n < 2 || (strcmp(kind, "apply") && strcmp(kind, "replace"))) {
			printf("error: unknown command\n");
			continue;
		}
		ret = read_spec(stdin, s);
		if (ret) {
			printf("error: bad spec\n");
			continue;
		}
		dp_netlink_fail_step(dp, step, !strcmp(undo, "undo"));
		dp_netlink_strict(dp, true);
		ret = do_batch(dp, !strcmp(kind, "replace"), index, s);
		if (ret)
			printf("error: %s\n", errtext(dp, ret));
		else
			printf("ok\n");
	}
	return 0;
}

static int cmd_spec(const char *count, const char *first)
{
	char key[WG_KEY_B64_LEN + 1], ip[INET_ADDRSTRLEN];
	unsigned long n = strtoul(count, NULL, 10), i;
	uint8_t raw[WG_KEY_LEN];
	struct in_addr a;

	if (inet_pton(AF_INET, first, &a) != 1 || n > SPEC_MAX)
		return usage();
	for (i = 0; i < n; i++) {
		struct in_addr b = { htonl(ntohl(a.s_addr) + (uint32_t)i) };

		randombytes_buf(raw, sizeof(raw));
		wg_key_to_base64(raw, key);
		inet_ntop(AF_INET, &b, ip, sizeof(ip));
		printf("add %s %s - 0\n", key, ip);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct dataplane dp;
	struct spec s = { 0 };
	const char *cmd;
	unsigned long long index = 0;
	unsigned int step = 0;
	bool undo = false, drift = false;
	int ret, rc = 1, i;

	if (argc < 3)
		return usage();
	cmd = argv[1];
	if (!strcmp(cmd, "spec"))
		return argc == 4 ? cmd_spec(argv[2], argv[3]) : usage();
	if (dp_netlink_open(&dp)) {
		fprintf(stderr, "dpctl: out of memory\n");
		return 1;
	}
	s.c = calloc(SPEC_MAX, sizeof(*s.c));
	if (!s.c)
		goto out;
	if (!strcmp(cmd, "setup")) {
		rc = cmd_setup(&dp, argc, argv);
		goto out;
	}
	ret = dp_netlink_adopt(&dp, argv[2]);
	if (ret) {
		fprintf(stderr, "dpctl: %s\n", errtext(&dp, ret));
		goto out;
	}
	if (!strcmp(cmd, "list")) {
		rc = cmd_list(&dp);
	} else if (!strcmp(cmd, "down")) {
		dp.ops->close(&dp, true);
		rc = 0;
	} else if (!strcmp(cmd, "serve")) {
		rc = cmd_serve(&dp, &s);
	} else if (!strcmp(cmd, "apply") || !strcmp(cmd, "replace")) {
		if (argc < 4) {
			rc = usage();
			goto out;
		}
		index = strtoull(argv[3], NULL, 10);
		for (i = 4; i < argc; i++) {
			if (!strcmp(argv[i], "--fail-step") && i + 1 < argc) {
				step = (unsigned int)strtoul(argv[++i], NULL,
							     10);
			} else if (!strcmp(argv[i], "--fail-undo")) {
				undo = true;
			} else if (!strcmp(argv[i], "--drift")) {
				drift = true;
			} else {
				rc = usage();
				goto out;
			}
		}
		if (read_spec(stdin, &s))
			goto out;
		dp_netlink_fail_step(&dp, step, undo);
		dp_netlink_strict(&dp, !drift);
		ret = do_batch(&dp, !strcmp(cmd, "replace"), index, &s);
		if (ret) {
			fprintf(stderr, "dpctl: %s: %s\n", cmd,
				errtext(&dp, ret));
			goto out;
		}
		rc = 0;
	} else {
		rc = usage();
	}
out:
	if (dp.ops)
		dp.ops->close(&dp, false);
	free(s.c);
	return rc;
}
