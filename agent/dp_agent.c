// SPDX-License-Identifier: GPL-2.0
/*
 * The agent's dataplane (design §3, §6, §9): which backend, the device,
 * and the state machine's peers in the kernel.
 *
 * The device is set up before Raft starts (its mesh address must exist
 * for Raft to bind to it). While the log replays, deltas are not applied
 * one by one: once the node is open, one replace makes the device match
 * the state (offline-first boot), and from then on every committed delta
 * is applied tagged with its index. A restored snapshot is one replace;
 * so is the periodic reconcile. A failure is logged and never stops the
 * node: the next reconcile repairs it.
 *
 * kernel: atom.ko applies; the netlink backend still makes, lists and
 * (with --down) deletes the device. auto: kernel when atom.ko loads
 * (autoloaded by its genetlink family name), else netlink, said loudly.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/atom.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/epoll.h>

#include "agent.h"
#include "dp_netlink.h"
#include "log.h"

/* After a routing or link event, reconcile this much later (bursts). */
#define EVENT_DELAY_MS 200

static uint32_t keepalive_s(const struct agent *a)
{
	return (uint32_t)(a->cfg.keepalive_ms / 1000);
}

static int setup_device(struct agent *a, struct dataplane *dp)
{
	struct dp_device dev = {
		.listen_port = a->cfg.wireguard_port,
		.mtu = a->cfg.mtu,
		.addr = a->mesh_ip,
		.network = a->network,
		.prefix = a->prefix,
	};
	int err;

	snprintf(dev.ifname, sizeof(dev.ifname), "%s", a->cfg.interface);
	memcpy(dev.private_key, a->private_key, DP_KEY_LEN);
	err = dp->ops->setup(dp, &dev);
	explicit_bzero(dev.private_key, sizeof(dev.private_key));
	return err;
}

static int open_netlink(struct agent *a, struct dataplane *dp)
{
	int err = dp_netlink_open(dp);

	if (err)
		return err;
	err = setup_device(a, dp);
	if (err) {
		log_err("cannot set up %s: %s", a->cfg.interface,
			dp_netlink_error(dp)[0] ? dp_netlink_error(dp) : strerror(-err));
		dp->ops->close(dp, false);
		dp->ops = NULL;
	}
	return err;
}

static int open_kernel(struct agent *a)
{
	int err = dp_kernel_open(&a->dp);

	if (err)
		return err;
	err = setup_device(a, &a->dp);	/* binds atom.ko to the device */
	if (err) {
		a->dp.ops->close(&a->dp, false);
		a->dp.ops = NULL;
	}
	return err;
}

int dpa_open(struct agent *a)
{
	enum config_backend b = a->cfg.backend;
	int err;

	if (b == CONFIG_BACKEND_NONE) {
		err = dp_none_open(&a->dp);
		if (!err)
			err = setup_device(a, &a->dp);
		a->backend = "none";
		return err;
	}
	/* the device: made and configured from userspace in every case */
	err = open_netlink(a, &a->dev);
	if (err)
		return err;
	a->has_dev = true;
	if (b == CONFIG_BACKEND_KERNEL || b == CONFIG_BACKEND_AUTO) {
		err = open_kernel(a);
		if (!err) {
			a->backend = "kernel";
			return 0;
		}
		if (b == CONFIG_BACKEND_KERNEL) {
			log_err("cannot use atom.ko: %s (is the module installed?)",
				strerror(-err));
			return err;
		}
		log_warn("atom.ko is not available (%s): using the netlink backend",
			 strerror(-err));
	}
	err = open_netlink(a, &a->dp);
	if (err)
		return err;
	a->backend = "netlink";
	log_warn("netlink backend: a batch is not atomic against a kill of the agent; "
		 "it is repaired at the next start-up");
	return 0;
}

void dpa_close(struct agent *a, bool down)
{
	loop_timer_cancel(&a->reconcile);
	if (a->ev_nl) {
		loop_watch_del(&a->ev_watch);
		loop_timer_cancel(&a->ev_timer);
		mnl_socket_close(a->ev_nl);
		a->ev_nl = NULL;
	}
	if (a->dp.ops)
		a->dp.ops->close(&a->dp, down && !a->has_dev);
	a->dp.ops = NULL;
	if (a->has_dev)
		a->dev.ops->close(&a->dev, down);
	a->has_dev = false;
	if (down)
		log_info("removed %s", a->cfg.interface);
}

static void fix_keepalive(const struct agent *a, struct dp_peer *p)
{
	p->keepalive_s = keepalive_s(a);
}

/* Every peer of the state but this node, into the device. */
int dpa_replace_all(struct agent *a, const char *why)
{
	const struct mesh_state *s = fsm_mesh_state(a->mesh);
	struct dp_peer *peers;
	size_t i, n = 0;
	uint64_t index = 0;
	int err;

	/* a joiner before its first entry: keep the acceptance's peers */
	if (!a->dp.ops || !s->bootstrapped)
		return 0;
	peers = calloc(s->n_nodes ?: 1, sizeof(*peers));
	if (!peers)
		return -ENOMEM;
	for (i = 0; i < s->n_nodes; i++) {
		if (!memcmp(s->nodes[i].key, a->pub, WG_KEY_LEN))
			continue;
		mesh_node_peer(&s->nodes[i], &peers[n]);
		fix_keepalive(a, &peers[n++]);
	}
	if (a->node) {
		struct node_status st;

		node_status(a->node, &st);
		index = st.applied;
	}
	/* atom.ko takes indexes from 1: nothing applied yet is 1 too */
	err = a->dp.ops->replace(&a->dp, peers, n, index ?: 1);
	free(peers);
	if (err)
		log_warn("%s: cannot bring %s to the state: %s", why,
			 a->cfg.interface, strerror(-err));
	return err;
}

/* The members an acceptance named, before this node has any state. */
int dpa_replace_peers(struct agent *a, struct dp_peer *peers, size_t n)
{
	int err;

	if (!a->dp.ops)
		return 0;
	for (size_t i = 0; i < n; i++)
		fix_keepalive(a, &peers[i]);
	err = a->dp.ops->replace(&a->dp, peers, n, 1);
	if (err)
		log_warn("cannot install the mesh's peers: %s", strerror(-err));
	return err;
}

void dpa_applied(struct agent *a, uint64_t index, const struct mesh_apply_out *out)
{
	struct dp_change ch[MESH_DELTA_MAX];
	int err;

	if (!a->dp_live || !a->dp.ops || !out->n_changes)
		return;
	memcpy(ch, out->changes, out->n_changes * sizeof(ch[0]));
	for (size_t i = 0; i < out->n_changes; i++)
		fix_keepalive(a, &ch[i].peer);
	err = a->dp.ops->apply(&a->dp, ch, out->n_changes, index);
	if (err)
		log_warn("entry %llu: %s: %s (the next reconcile repairs it)",
			 (unsigned long long)index, a->cfg.interface, strerror(-err));
}

static void key_str(const uint8_t *key, char *buf)
{
	wg_key_to_base64(key, buf);
}

/*
 * Reconcile (design §9): read the device and atom's routes as they are,
 * log what differs from the state, and replace by the difference. A
 * peer's endpoint on the device is kept: it may be WireGuard's roaming.
 * The netlink backend does the repair for both backends: it only moves
 * the kernel back to what atom.ko recorded, which is the state.
 */
static void reconcile_device(struct agent *a)
{
	struct dataplane *nd = a->has_dev ? &a->dev : &a->dp;
	const struct mesh_state *s = fsm_mesh_state(a->mesh);
	struct dp_peer_state *have = NULL;
	const struct in_addr *routes;
	struct dp_peer *want;
	size_t n_have = 0, n_routes, n = 0, i, j;
	char key[WG_KEY_B64_LEN + 1], ip[INET_ADDRSTRLEN];
	struct node_status st = { 0 };
	int err;

	if (!s->bootstrapped)
		return;
	err = dp_netlink_adopt(nd, a->cfg.interface);
	if (!err)
		err = nd->ops->list(nd, &have, &n_have);
	if (err) {
		log_warn("reconcile: cannot read %s: %s", a->cfg.interface,
			 strerror(-err));
		return;
	}
	dp_netlink_routes(nd, &routes, &n_routes);
	want = calloc(s->n_nodes ?: 1, sizeof(*want));
	if (!want) {
		free(have);
		return;
	}
	for (i = 0; i < s->n_nodes; i++) {
		struct dp_peer *p = &want[n];

		if (!memcmp(s->nodes[i].key, a->pub, WG_KEY_LEN))
			continue;
		mesh_node_peer(&s->nodes[i], p);
		fix_keepalive(a, p);
		n++;
		key_str(p->key, key);
		inet_ntop(AF_INET, &p->ip, ip, sizeof(ip));
		for (j = 0; j < n_have; j++)
			if (!memcmp(have[j].peer.key, p->key, DP_KEY_LEN))
				break;
		if (j == n_have) {
			log_info("drift repaired: peer %s (%s) was missing", ip, key);
		} else {
			if (have[j].peer.ip.s_addr != p->ip.s_addr)
				log_info("drift repaired: peer %s allowed-ips", ip);
			if (have[j].peer.keepalive_s != p->keepalive_s)
				log_info("drift repaired: peer %s keepalive", ip);
			if (have[j].peer.endpoint.ss_family)
				p->endpoint = have[j].peer.endpoint;	/* roaming */
		}
		for (j = 0; j < n_routes; j++)
			if (routes[j].s_addr == p->ip.s_addr)
				break;
		if (j == n_routes)
			log_info("drift repaired: route to %s was missing", ip);
	}
	for (j = 0; j < n_have; j++) {
		for (i = 0; i < n; i++)
			if (!memcmp(have[j].peer.key, want[i].key, DP_KEY_LEN))
				break;
		if (i == n) {
			key_str(have[j].peer.key, key);
			log_info("drift repaired: removed a peer the mesh does not have (%s)",
				 key);
		}
	}
	if (a->node)
		node_status(a->node, &st);
	err = nd->ops->replace(nd, want, n, st.applied ?: 1);
	if (err)
		log_warn("reconcile: %s", strerror(-err));
	free(want);
	free(have);
}

static void on_reconcile(struct loop_timer *t)
{
	struct agent *a = (struct agent *)((char *)t - offsetof(struct agent, reconcile));

	loop_timer_arm(&a->reconcile, a->cfg.reconcile_ms);
	if (!a->dp_live || a->evicted)
		return;
	if (a->cfg.backend == CONFIG_BACKEND_NONE)
		dpa_replace_all(a, "reconcile");
	else
		reconcile_device(a);
}

/* ---- routing and link events ---- */

static int event_cb(const struct nlmsghdr *nlh, void *data)
{
	struct agent *a = data;

	if (nlh->nlmsg_type == RTM_NEWLINK || nlh->nlmsg_type == RTM_DELLINK) {
		const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);

		if ((unsigned int)ifi->ifi_index == a->ifindex)
			a->event_seen = true;
	} else if (nlh->nlmsg_type == RTM_DELROUTE) {
		const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);

		/* our routes only; our own additions are not events */
		if (rtm->rtm_protocol == RTPROT_ATOM)
			a->event_seen = true;
	}
	return MNL_CB_OK;
}

static void on_events(struct loop_watch *w, uint32_t events)
{
	struct agent *a = (struct agent *)((char *)w - offsetof(struct agent, ev_watch));
	char buf[16384];
	ssize_t n;

	(void)events;
	while ((n = mnl_socket_recvfrom(a->ev_nl, buf, sizeof(buf))) > 0)
		mnl_cb_run(buf, (size_t)n, 0, 0, event_cb, a);
	if (a->event_seen && !loop_timer_armed(&a->ev_timer))
		loop_timer_arm(&a->ev_timer, EVENT_DELAY_MS);
	a->event_seen = false;
}

static void on_event_timer(struct loop_timer *t)
{
	struct agent *a = (struct agent *)((char *)t - offsetof(struct agent, ev_timer));

	if (a->dp_live && !a->evicted) {
		log_info("reconcile: a routing or link event on %s", a->cfg.interface);
		reconcile_device(a);
	}
}

/* Subscribe to link and IPv4 route changes; failure only costs speed. */
static void watch_events(struct agent *a)
{
	int fd;

	a->ifindex = if_nametoindex(a->cfg.interface);
	a->ev_nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!a->ev_nl || mnl_socket_bind(a->ev_nl, RTMGRP_LINK | RTMGRP_IPV4_ROUTE,
					 MNL_SOCKET_AUTOPID) < 0) {
		log_warn("no routing events (%s): reconciling every %llu ms only",
			 strerror(errno), (unsigned long long)a->cfg.reconcile_ms);
		if (a->ev_nl)
			mnl_socket_close(a->ev_nl);
		a->ev_nl = NULL;
		return;
	}
	fd = mnl_socket_get_fd(a->ev_nl);
	loop_watch_init(&a->ev_watch, a->loop, fd, on_events);
	loop_timer_init(&a->ev_timer, a->loop, on_event_timer);
	loop_watch_set(&a->ev_watch, EPOLLIN);
}

/* After the node replayed its log: the device becomes the state. */
int dpa_live(struct agent *a)
{
	a->dp_live = true;
	dpa_replace_all(a, "start-up");
	if (a->cfg.backend != CONFIG_BACKEND_NONE)
		watch_events(a);
	loop_timer_init(&a->reconcile, a->loop, on_reconcile);
	if (a->cfg.reconcile_ms)
		loop_timer_arm(&a->reconcile, a->cfg.reconcile_ms);
	return 0;
}

int64_t dpa_last_handshake(struct agent *a, const uint8_t *key,
			   struct dp_peer_state **cache, size_t *n_cache)
{
	struct dataplane *dp = a->has_dev ? &a->dev : &a->dp;

	if (!dp->ops)
		return 0;
	if (!*cache && dp->ops->list(dp, cache, n_cache))
		return 0;
	for (size_t i = 0; i < *n_cache; i++)
		if (!memcmp((*cache)[i].peer.key, key, DP_KEY_LEN))
			return (*cache)[i].last_handshake_s;
	return 0;
}

const char *dpa_bind_device(const struct agent *a)
{
	return a->cfg.backend == CONFIG_BACKEND_NONE ? NULL : a->cfg.interface;
}
