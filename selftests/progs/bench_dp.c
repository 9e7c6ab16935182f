// SPDX-License-Identifier: GPL-2.0
/*
 * bench_dp: what one apply of N peers with their /32 routes costs, in the
 * current network namespace, each WireGuard device with its private key
 * set (as in real use). Rows, each the median of a few runs:
 *   atom.ko  the kernel dataplane (dp_kernel over atom.ko): peers and
 *            routes, applied by the module's worker;
 *   netlink  the userspace dataplane (dp_netlink): peers and routes;
 *   floor    one WG_CMD_SET_DEVICE sequence, the same peers, no routes;
 *   wg+ip    wg syncconf then ip -batch, for reference;
 *   one peer applied (by atom.ko and by dp_netlink) to a device of N
 *            peers and to an empty one.
 *
 *   bench_dp [N [RUNS]]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>

#include "dataplane.h"
#include "dp_netlink.h"
#include "keyfile.h"
#include "rtnl.h"
#include "wg_genl.h"

#define ONE_RUNS 21
#define RUNS_MAX 15

static struct dp_peer *peers;
static uint8_t priv_key[DP_KEY_LEN];
static unsigned int n_peers = 1000, runs = 3, dev_no;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_d);
	return v[n / 2];
}

static void die(const char *what, int err, const char *why)
{
	fprintf(stderr, "bench_dp: %s: %s\n", what,
		why && why[0] ? why : strerror(-err));
	exit(1);
}

static void make_peer(struct dp_peer *p, unsigned int i)
{
	struct sockaddr_in *ep = (struct sockaddr_in *)&p->endpoint;

	memset(p, 0, sizeof(*p));
	randombytes_buf(p->key, DP_KEY_LEN);
	p->ip.s_addr = htonl(0x0a640000 + 2 + i);	/* 10.100.0.2 + i */
	ep->sin_family = AF_INET;
	ep->sin_addr.s_addr = htonl(0xc0000200 + 1 + i % 250);
	ep->sin_port = htons((uint16_t)(51820 + i / 250));
}

/* A fresh device through dp_netlink, key, port and address set. */
static void dp_new(struct dataplane *dp, char *name)
{
	struct dp_device dev = { 0 };
	int ret;

	snprintf(name, 16, "wgb%u", dev_no++);
	if (dp_netlink_open(dp))
		die("open", -ENOMEM, NULL);
	snprintf(dev.ifname, sizeof(dev.ifname), "%s", name);
	memcpy(dev.private_key, priv_key, DP_KEY_LEN);
	dev.listen_port = 0;
	dev.addr.s_addr = htonl(0x0a640001);
	dev.network.s_addr = htonl(0x0a640000);
	dev.prefix = 16;
	ret = dp->ops->setup(dp, &dev);
	if (ret)
		die("setup", ret, dp_netlink_error(dp));
}

/* A fresh device (made by dp_netlink) handed to atom.ko. */
static void kernel_new(struct dataplane *nl, struct dataplane *k, char *name)
{
	struct dp_device dev = { 0 };
	int ret;

	dp_new(nl, name);
	if (dp_kernel_open(k))
		die("atom.ko open", -ENOMEM, NULL);
	snprintf(dev.ifname, sizeof(dev.ifname), "%s", name);
	ret = k->ops->setup(k, &dev);
	if (ret)
		die("atom.ko bind", ret, NULL);
}

static struct dp_change *all_changes(void)
{
	struct dp_change *c = calloc(n_peers, sizeof(*c));

	if (!c)
		die("calloc", -ENOMEM, NULL);
	for (unsigned int i = 0; i < n_peers; i++) {
		c[i].op = DP_UPSERT;
		c[i].peer = peers[i];
	}
	return c;
}

static double run_kernel(void)
{
	struct dp_change *c = all_changes();
	struct dataplane nl, k;
	char name[16];
	double t;
	int ret;

	kernel_new(&nl, &k, name);
	t = now_ms();
	ret = k.ops->apply(&k, c, n_peers, 1);
	t = now_ms() - t;
	if (ret)
		die("atom.ko apply", ret, NULL);
	k.ops->close(&k, false);
	nl.ops->close(&nl, true);
	free(c);
	return t;
}

/*
 * One new peer applied to dp ONE_RUNS times (removed untimed in between),
 * after filling it with the N peers if full; the median.
 */
static double time_one(struct dataplane *dp, bool full, const char *what)
{
	struct dp_change c = { .op = DP_UPSERT }, *all;
	double v[ONE_RUNS];
	unsigned int i;
	int ret;

	if (full) {
		all = all_changes();
		ret = dp->ops->apply(dp, all, n_peers, 1);
		free(all);
		if (ret)
			die(what, ret, NULL);
	}
	for (i = 0; i < ONE_RUNS; i++) {
		double t;

		make_peer(&c.peer, n_peers + 1);
		c.op = DP_UPSERT;
		t = now_ms();
		ret = dp->ops->apply(dp, &c, 1, 2 + 2 * i);
		v[i] = now_ms() - t;
		if (ret)
			die(what, ret, NULL);
		c.op = DP_REMOVE;
		ret = dp->ops->apply(dp, &c, 1, 3 + 2 * i);
		if (ret)
			die(what, ret, NULL);
	}
	return median(v, ONE_RUNS);
}

static double run_one_kernel(bool full)
{
	struct dataplane nl, k;
	char name[16];
	double t;

	kernel_new(&nl, &k, name);
	t = time_one(&k, full, "atom.ko, one peer");
	k.ops->close(&k, false);
	nl.ops->close(&nl, true);
	return t;
}

static double run_netlink(void)
{
	struct dp_change *c = all_changes();
	struct dataplane dp;
	char name[16];
	double t;
	int ret;

	dp_new(&dp, name);
	t = now_ms();
	ret = dp.ops->apply(&dp, c, n_peers, 1);
	t = now_ms() - t;
	if (ret)
		die("apply", ret, dp_netlink_error(&dp));
	dp.ops->close(&dp, true);
	free(c);
	return t;
}

static double run_floor(void)
{
	struct wg_allowedip *ips = calloc(n_peers, sizeof(*ips));
	struct wg_peer *wp = calloc(n_peers, sizeof(*wp));
	struct wg_device d = { 0 };
	struct wg_genl g;
	struct nlsock rt;
	char name[16];
	bool created;
	unsigned int i;
	double t;
	int ret;

	if (!ips || !wp)
		die("calloc", -ENOMEM, NULL);
	snprintf(name, sizeof(name), "wgb%u", dev_no++);
	if (rtnl_open(&rt) ||
	    rtnl_link_wireguard(&rt, name, &d.ifindex, &created) ||
	    rtnl_link_set(&rt, d.ifindex, 0, true) || wg_genl_open(&g))
		die("floor device", -EIO, rt.err);
	d.has_private_key = true;
	memcpy(d.private_key, priv_key, DP_KEY_LEN);
	ret = wg_genl_set(&g, &d);
	if (ret)
		die("floor key", ret, g.s.err);
	d.has_private_key = false;
	for (i = 0; i < n_peers; i++) {
		memcpy(wp[i].key, peers[i].key, DP_KEY_LEN);
		wp[i].flags = WGPEER_F_REPLACE_ALLOWEDIPS;
		wp[i].endpoint = peers[i].endpoint;
		wp[i].has_keepalive = true;
		wp[i].has_ips = true;
		ips[i].family = AF_INET;
		ips[i].cidr = 32;
		ips[i].ip4 = peers[i].ip;
		wp[i].ips = &ips[i];
		wp[i].n_ips = 1;
	}
	d.peers = wp;
	d.n_peers = n_peers;
	t = now_ms();
	ret = wg_genl_set(&g, &d);
	t = now_ms() - t;
	if (ret)
		die("floor set", ret, g.s.err);
	rtnl_link_del(&rt, d.ifindex);
	wg_genl_close(&g);
	nlsock_close(&rt);
	free(ips);
	free(wp);
	return t;
}

/* Run a command line (words split at spaces); 0 if it exited 0. */
static int spawn(const char *line)
{
	char buf[512], *argv[16], *save = NULL;
	size_t n = 0;
	pid_t pid;
	int st;

	snprintf(buf, sizeof(buf), "%s", line);
	for (argv[n] = strtok_r(buf, " ", &save); argv[n] && n < 15;
	     argv[++n] = strtok_r(NULL, " ", &save))
		;
	argv[n] = NULL;
	if (posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ))
		return -errno;
	if (waitpid(pid, &st, 0) < 0)
		return -errno;
	return WIFEXITED(st) && !WEXITSTATUS(st) ? 0 : -EIO;
}

static double run_wg_ip(void)
{
	char key[WG_KEY_B64_LEN + 1], ip[INET_ADDRSTRLEN], ep[INET_ADDRSTRLEN];
	char conf[] = "/tmp/bench_dp_conf", batch[] = "/tmp/bench_dp_batch";
	char name[16], cmd[128], line[128];
	FILE *fc, *fb;
	unsigned int i;
	double t;

	snprintf(name, sizeof(name), "wgb%u", dev_no++);
	snprintf(cmd, sizeof(cmd), "ip link add %s type wireguard", name);
	if (spawn(cmd))
		die(cmd, -EIO, NULL);
	snprintf(cmd, sizeof(cmd), "ip link set %s up", name);
	if (spawn(cmd))
		die(cmd, -EIO, NULL);
	fc = fopen(conf, "w");
	fb = fopen(batch, "w");
	if (!fc || !fb)
		die("tmp files", -errno, NULL);
	wg_key_to_base64(priv_key, key);
	fprintf(fc, "[Interface]\nPrivateKey = %s\n", key);
	for (i = 0; i < n_peers; i++) {
		const struct sockaddr_in *s = (const void *)&peers[i].endpoint;

		wg_key_to_base64(peers[i].key, key);
		inet_ntop(AF_INET, &peers[i].ip, ip, sizeof(ip));
		inet_ntop(AF_INET, &s->sin_addr, ep, sizeof(ep));
		fprintf(fc, "[Peer]\nPublicKey = %s\nAllowedIPs = %s/32\nEndpoint = %s:%u\n",
			key, ip, ep, ntohs(s->sin_port));
		fprintf(fb, "route add %s/32 dev %s proto %d\n", ip, name,
			RTPROT_ATOM);
	}
	fclose(fc);
	fclose(fb);
	snprintf(cmd, sizeof(cmd), "wg syncconf %s %s", name, conf);
	snprintf(line, sizeof(line), "ip -batch %s", batch);
	t = now_ms();
	if (spawn(cmd) || spawn(line))
		die("wg syncconf / ip -batch", -EIO, NULL);
	t = now_ms() - t;
	snprintf(cmd, sizeof(cmd), "ip link del %s", name);
	spawn(cmd);
	unlink(conf);
	unlink(batch);
	return t;
}

static double run_one(bool full)
{
	struct dataplane dp;
	char name[16];
	double t;

	dp_new(&dp, name);
	t = time_one(&dp, full, "netlink backend, one peer");
	dp.ops->close(&dp, true);
	return t;
}

int main(int argc, char **argv)
{
	double nl[RUNS_MAX], fl[RUNS_MAX], wi[RUNS_MAX], ko[RUNS_MAX];
	double m_nl, m_fl, m_wi, m_ko, one_empty, one_full, k_empty, k_full;
	unsigned int i;

	if (argc > 1)
		n_peers = (unsigned int)strtoul(argv[1], NULL, 10);
	if (argc > 2)
		runs = (unsigned int)strtoul(argv[2], NULL, 10);
	if (!n_peers || n_peers > 60000 || !runs || runs > RUNS_MAX) {
		fprintf(stderr, "Usage: bench_dp [N [RUNS]]\n");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (sodium_init() < 0)
		die("sodium", -EIO, NULL);
	peers = calloc(n_peers, sizeof(*peers));
	if (!peers)
		die("calloc", -ENOMEM, NULL);
	randombytes_buf(priv_key, sizeof(priv_key));
	for (i = 0; i < n_peers; i++)
		make_peer(&peers[i], i);
	/* Interleaved, so that drift in the machine hits every row. */
	for (i = 0; i < runs; i++) {
		ko[i] = run_kernel();
		nl[i] = run_netlink();
		fl[i] = run_floor();
		wi[i] = run_wg_ip();
		printf("bench: run %u: atom.ko %.1f ms, netlink %.1f ms, ", i + 1,
		       ko[i], nl[i]);
		printf("floor %.1f ms, wg+ip %.1f ms\n", fl[i], wi[i]);
	}
	m_ko = median(ko, runs);
	m_nl = median(nl, runs);
	m_fl = median(fl, runs);
	m_wi = median(wi, runs);
	one_empty = run_one(false);
	one_full = run_one(true);
	k_empty = run_one_kernel(false);
	k_full = run_one_kernel(true);
	printf("bench: %u peers with /32 routes, private key set, median of %u runs\n",
	       n_peers, runs);
	printf("bench: %-44s %10s %8s\n", "path", "ms", "x floor");
	printf("bench: %-44s %10.1f %8.2f\n", "atom.ko apply (peers + routes)",
	       m_ko, m_ko / m_fl);
	printf("bench: %-44s %10.1f %8.2f\n", "netlink backend apply (peers + routes)",
	       m_nl, m_nl / m_fl);
	printf("bench: %-44s %10.1f %8.2f\n", "floor: WG_CMD_SET_DEVICE only, no routes",
	       m_fl, 1.0);
	printf("bench: %-44s %10.1f %8.2f\n", "wg syncconf + ip -batch", m_wi,
	       m_wi / m_fl);
	printf("bench: atom.ko / netlink backend                      %8.2f\n",
	       m_ko / m_nl);
	printf("bench: atom.ko, one peer on an empty device   %10.3f ms\n",
	       k_empty);
	printf("bench: atom.ko, one peer on a device of %5u %10.3f ms (%.2fx empty)\n",
	       n_peers, k_full, k_full / k_empty);
	printf("bench: one peer on an empty device            %10.3f ms\n",
	       one_empty);
	printf("bench: one peer on a device of %5u peers     %10.3f ms (%.2fx empty)\n",
	       n_peers, one_full, one_full / one_empty);
	free(peers);
	return 0;
}
