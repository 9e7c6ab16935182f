// SPDX-License-Identifier: GPL-2.0
/*
 * The netlink dataplane: atom.ko's apply and replace done from userspace
 * through WireGuard's family and rtnetlink.
 *
 * The backend owns every peer of the device and keeps its own record of
 * them and of its /32 routes, so a batch is planned against the record,
 * never against a fresh dump. A batch is checked before anything is
 * touched (WireGuard would silently accept a peer with the device's own
 * key, an allowed IP taken from another peer, the removal of an unknown
 * key), then runs in four phases: peer removals, route additions, peer
 * additions and updates, route removals. Routes go in before their peers
 * and come out after them, so traffic for a mesh address never leaves by
 * another interface. Requests of one phase go out in batches, each request
 * acked on its own; on the first failure every completed step is undone,
 * last first (compensation, not a transaction: other observers may see
 * the intermediate states, and a killed agent can leave a batch half done).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "dp_netlink.h"
#include "dp_plan.h"
#include "keyfile.h"
#include "rtnl.h"
#include "wg_genl.h"

#define ERR_LEN 1024

enum op_kind { OP_PEER, OP_ROUTE_ADD, OP_ROUTE_DEL };

/* One netlink request: a step going forward, or its undo. */
struct op {
	enum op_kind kind;
	struct dp_peer peer;
	uint32_t flags;			/* WGPEER_F_* */
	bool endpoint, ips;		/* send these */
	int result;			/* 1: not run; 0: done; < 0: failed */
	bool sent;
};

struct dpnl {
	struct wg_genl wg;
	struct nlsock rt;
	uint32_t ifindex;
	struct dp_record rec;
	struct in_addr network;		/* the unreachable mesh route */
	uint8_t prefix;
	unsigned int fail_step;		/* tests only */
	bool fail_undo;
	bool strict;			/* tests only: one attempt */
	uint64_t drift;			/* changes left out so far */
	char err[ERR_LEN];
	bool failed, undo_failed;	/* the last batch, and where */
	uint8_t failed_key[DP_KEY_LEN];
	char *buf;			/* one batch of requests */
	int *res;
};

#define BUF_BYTES (NLSOCK_BATCH_BYTES + WG_GENL_MSG_BYTES)

static struct dpnl *priv(const struct dataplane *dp)
{
	return dp->priv;
}

/* The record from the device: its peers and atom's routes via it. */
static int load_record(struct dpnl *d)
{
	struct dp_record *r = &d->rec;
	struct wg_device dev;
	struct dp_peer *np;
	size_t i, j;
	int ret;

	ret = wg_genl_get(&d->wg, d->ifindex, &dev);
	if (ret) {
		snprintf(d->err, sizeof(d->err),
			 "cannot read WireGuard device %u: %s", d->ifindex,
			 d->wg.s.err[0] ? d->wg.s.err : strerror(-ret));
		return ret;
	}
	dp_record_free(r);
	memcpy(r->own_key, dev.public_key, DP_KEY_LEN);
	np = calloc(dev.n_peers + 1, sizeof(*np));
	if (!np) {
		ret = -ENOMEM;
		goto out;
	}
	r->peers = np;
	r->cap = dev.n_peers + 1;
	for (i = 0; i < dev.n_peers; i++) {
		const struct wg_peer *w = &dev.peers[i];
		struct dp_peer *p = &r->peers[r->n++];

		memcpy(p->key, w->key, DP_KEY_LEN);
		p->endpoint = w->endpoint;
		p->keepalive_s = w->keepalive_s;
		for (j = 0; j < w->n_ips; j++)
			if (w->ips[j].family == AF_INET &&
			    w->ips[j].cidr == 32) {
				p->ip = w->ips[j].ip4;
				break;
			}
	}
	ret = rtnl_routes_list(&d->rt, d->ifindex, &r->routes, &r->n_routes);
	if (ret)
		snprintf(d->err, sizeof(d->err), "cannot list routes: %s",
			 strerror(-ret));
	else
		r->routes_cap = r->n_routes;
out:
	wg_device_free(&dev);
	return ret;
}

static int open_rtnl(struct dpnl *d)
{
	int ret;

	if (d->rt.nl)
		return 0;
	ret = rtnl_open(&d->rt);
	if (ret)
		snprintf(d->err, sizeof(d->err), "cannot open rtnetlink: %s",
			 strerror(-ret));
	return ret;
}

/* The family exists once a WireGuard link does (module loaded). */
static int open_wg(struct dpnl *d)
{
	int ret;

	if (d->wg.s.nl)
		return 0;
	ret = wg_genl_open(&d->wg);
	if (ret)
		snprintf(d->err, sizeof(d->err),
			 "cannot resolve the wireguard family: %s",
			 strerror(-ret));
	return ret;
}

int dp_netlink_adopt(struct dataplane *dp, const char *ifname)
{
	struct dpnl *d = priv(dp);
	int ret;

	d->err[0] = '\0';
	ret = open_rtnl(d);
	if (ret)
		return ret;
	ret = rtnl_link_index(&d->rt, ifname, &d->ifindex);
	if (ret) {
		snprintf(d->err, sizeof(d->err), "no device %s: %s", ifname,
			 d->rt.err[0] ? d->rt.err : strerror(-ret));
		return ret;
	}
	ret = open_wg(d);
	if (ret)
		return ret;
	return load_record(d);
}

static int nl_setup(struct dataplane *dp, const struct dp_device *dev)
{
	static const uint8_t zero[DP_KEY_LEN];
	struct dpnl *d = priv(dp);
	struct wg_device w = { 0 };
	bool created;
	int ret;

	d->err[0] = '\0';
	ret = open_rtnl(d);
	if (ret)
		return ret;
	ret = rtnl_link_wireguard(&d->rt, dev->ifname, &d->ifindex, &created);
	if (ret) {
		snprintf(d->err, sizeof(d->err), "cannot create %s: %s",
			 dev->ifname, d->rt.err[0] ? d->rt.err : strerror(-ret));
		return ret;
	}
	ret = open_wg(d);
	if (ret)
		return ret;
	w.ifindex = d->ifindex;
	if (memcmp(dev->private_key, zero, DP_KEY_LEN)) {
		w.has_private_key = true;
		memcpy(w.private_key, dev->private_key, DP_KEY_LEN);
	}
	if (dev->listen_port) {
		w.has_listen_port = true;
		w.listen_port = (uint16_t)dev->listen_port;
	}
	if (w.has_private_key || w.has_listen_port) {
		ret = wg_genl_set(&d->wg, &w);
		sodium_memzero(&w, sizeof(w));
		if (ret) {
			snprintf(d->err, sizeof(d->err),
				 "cannot configure %s: %s", dev->ifname,
				 d->wg.s.err[0] ? d->wg.s.err : strerror(-ret));
			return ret;
		}
	}
	if (dev->addr.s_addr) {
		ret = rtnl_addr_add(&d->rt, d->ifindex, dev->addr, 32);
		if (ret) {
			snprintf(d->err, sizeof(d->err),
				 "cannot add address to %s: %s", dev->ifname,
				 d->rt.err[0] ? d->rt.err : strerror(-ret));
			return ret;
		}
	}
	ret = rtnl_link_set(&d->rt, d->ifindex, dev->mtu, true);
	if (ret) {
		snprintf(d->err, sizeof(d->err), "cannot bring %s up: %s",
			 dev->ifname, d->rt.err[0] ? d->rt.err : strerror(-ret));
		return ret;
	}
	if (dev->prefix) {
		ret = rtnl_unreachable(&d->rt, true, dev->network,
				       (uint8_t)dev->prefix);
		if (ret) {
			snprintf(d->err, sizeof(d->err),
				 "cannot add the unreachable mesh route: %s",
				 d->rt.err[0] ? d->rt.err : strerror(-ret));
			return ret;
		}
		d->network = dev->network;
		d->prefix = (uint8_t)dev->prefix;
	}
	return load_record(d);
}

/* The request that does step s, or undoes it. */
static struct op forward_op(const struct dp_step *s)
{
	struct op o = { .result = 1 };

	switch (s->phase) {
	case DP_PEER_REMOVE:
		o.peer = s->old;
		o.flags = WGPEER_F_REMOVE_ME;
		break;
	case DP_ROUTE_ADD:
		o.kind = OP_ROUTE_ADD;
		o.peer.ip = s->ip;
		break;
	case DP_PEER_SET:
		o.peer = s->new;
		o.flags = WGPEER_F_REPLACE_ALLOWEDIPS;
		if (s->has_old)
			o.flags |= WGPEER_F_UPDATE_ONLY;
		o.endpoint = s->new_endpoint;
		o.ips = true;
		break;
	default:
		o.kind = OP_ROUTE_DEL;
		o.peer.ip = s->ip;
		break;
	}
	return o;
}

/*
 * The requests that undo step s, in order, at o (at most two). WireGuard
 * cannot take an endpoint away from a peer: undoing a peer set that gave
 * a peer its first endpoint removes the peer and adds it back as it was.
 */
static size_t undo_ops(const struct dp_step *s, struct op *o)
{
	memset(o, 0, 2 * sizeof(*o));
	o[0].result = 1;
	o[1].result = 1;
	switch (s->phase) {
	case DP_PEER_REMOVE:
		o->peer = s->old;
		o->flags = WGPEER_F_REPLACE_ALLOWEDIPS;
		o->endpoint = s->old.endpoint.ss_family != 0;
		o->ips = true;
		return 1;
	case DP_ROUTE_ADD:
		o->kind = OP_ROUTE_DEL;
		o->peer.ip = s->ip;
		return 1;
	case DP_PEER_SET:
		if (!s->has_old) {
			o->peer = s->new;
			o->flags = WGPEER_F_REMOVE_ME;
			return 1;
		}
		if (s->new_endpoint && !s->old.endpoint.ss_family) {
			o->peer = s->old;
			o->flags = WGPEER_F_REMOVE_ME;
			o++;
			o->peer = s->old;
			o->flags = WGPEER_F_REPLACE_ALLOWEDIPS;
			o->ips = true;
			return 2;
		}
		o->peer = s->old;
		o->flags = WGPEER_F_UPDATE_ONLY | WGPEER_F_REPLACE_ALLOWEDIPS;
		o->endpoint = s->new_endpoint;
		o->ips = true;
		return 1;
	default:
		o->kind = OP_ROUTE_ADD;
		o->peer.ip = s->ip;
		return 1;
	}
}

static int put_op(struct dpnl *d, const struct op *o, void *buf, size_t cap,
		  uint32_t seq)
{
	struct wg_allowedip aip = { .family = AF_INET, .cidr = 32 };
	struct wg_peer w = { 0 };

	if (o->kind == OP_ROUTE_ADD || o->kind == OP_ROUTE_DEL)
		return rtnl_put_route(buf, cap,
				      o->kind == OP_ROUTE_ADD ? RTM_NEWROUTE :
				      RTM_DELROUTE, d->ifindex, o->peer.ip, seq);
	memcpy(w.key, o->peer.key, DP_KEY_LEN);
	w.flags = o->flags;
	if (o->endpoint)
		w.endpoint = o->peer.endpoint;
	if (!(o->flags & WGPEER_F_REMOVE_ME)) {
		w.has_keepalive = true;
		w.keepalive_s = (uint16_t)o->peer.keepalive_s;
	}
	if (o->ips) {
		w.has_ips = true;
		aip.ip4 = o->peer.ip;
		w.ips = &aip;
		w.n_ips = o->peer.ip.s_addr ? 1 : 0;
	}
	return wg_genl_put_peer(&d->wg, buf, cap, d->ifindex, &w, seq);
}

/*
 * Run ops in order, batched per socket; op fail_at (or none: n) fails
 * without being sent. With stop, return after the batch holding the first
 * failure; err receives the first failure's text. The number of failures.
 */
static size_t run_ops(struct dpnl *d, struct op *ops, size_t n, size_t fail_at,
		      bool stop, char *err, size_t errlen)
{
	size_t i = 0, failed = 0;

	err[0] = '\0';
	while (i < n) {
		bool peer = ops[i].kind == OP_PEER;
		struct nlsock *s = peer ? &d->wg.s : &d->rt;
		uint32_t seq = s->seq + 1;
		size_t j = i, len = 0, k;
		int ret;

		if (i == fail_at) {
			ops[i].result = -EIO;
			if (!err[0])
				snprintf(err, errlen, "injected failure");
			failed++;
			i++;
			if (stop)
				return failed;
			continue;
		}
		while (j < n && j != fail_at && j - i < NLSOCK_BATCH_MAX &&
		       len < NLSOCK_BATCH_BYTES &&
		       (ops[j].kind == OP_PEER) == peer) {
			ret = put_op(d, &ops[j], d->buf + len, BUF_BYTES - len,
				     seq + (uint32_t)(j - i));
			if (ret < 0)
				break;
			len += NLMSG_ALIGN((size_t)ret);
			j++;
		}
		if (j == i) {
			ops[i].result = -EMSGSIZE;
			snprintf(err, errlen, "request too large");
			return failed + 1;
		}
		s->seq += (uint32_t)(j - i);
		ret = nlsock_batch(s, d->buf, len, seq, (unsigned int)(j - i),
				   d->res);
		for (k = i; k < j; k++) {
			ops[k].sent = true;
			ops[k].result = ret ? ret : d->res[k - i];
			if (!ops[k].result)
				continue;
			if (!err[0])
				snprintf(err, errlen, "%s",
					 ret || !s->err[0] ?
					 strerror(-ops[k].result) : s->err);
			failed++;
		}
		i = j;
		if (stop && failed)
			return failed;
	}
	return failed;
}

/* Run a plan; on a failure, undo what it did. */
static int run_plan(struct dataplane *dp, struct dp_plan *p, uint64_t index)
{
	char what[160], why[NLSOCK_ERR_LEN], uwhy[NLSOCK_ERR_LEN];
	struct dpnl *d = priv(dp);
	struct op *ops = NULL, *undo = NULL;
	size_t i, failed, first = 0, n_undo = 0, undone = 0, ufailed;
	int ret;

	ops = calloc(p->n + 1, sizeof(*ops));
	undo = calloc(2 * p->n + 2, sizeof(*undo));
	ret = dp_record_reserve(&d->rec, p);
	if (!ops || !undo || ret) {
		snprintf(d->err, sizeof(d->err), "out of memory");
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < p->n; i++)
		ops[i] = forward_op(&p->steps[i]);
	failed = run_ops(d, ops, p->n,
			 d->fail_step ? d->fail_step - 1 : p->n, true, why,
			 sizeof(why));
	if (!failed) {
		dp_record_commit(&d->rec, p);
		dp->applied_index = index;
		goto out;
	}
	while (!ops[first].result)
		first++;
	ret = ops[first].result;
	dp_step_describe(&p->steps[first], what, sizeof(what));
	d->failed = true;
	memcpy(d->failed_key, dp_step_key(&p->steps[first]), DP_KEY_LEN);

	/*
	 * Undo, last first, every step done, and a peer set that failed
	 * after it was sent (WireGuard may have created the peer or changed
	 * part of it before refusing the rest).
	 */
	for (i = p->n; i-- > 0;) {
		bool partial = ops[i].result < 0 && ops[i].sent &&
			       p->steps[i].phase == DP_PEER_SET;

		if (ops[i].result && !partial)
			continue;
		n_undo += undo_ops(&p->steps[i], &undo[n_undo]);
		undone += !partial;
	}
	ufailed = run_ops(d, undo, n_undo, d->fail_undo ? 0 : n_undo, false,
			  uwhy, sizeof(uwhy));
	if (!ufailed) {
		snprintf(d->err, sizeof(d->err),
			 "step %zu of %zu, %s, failed: %s; %zu completed steps undone",
			 first + 1, p->n, what, why, undone);
		goto out;
	}
	d->undo_failed = true;
	snprintf(d->err, sizeof(d->err),
		 "step %zu of %zu, %s, failed: %s; undo failed for %zu of %zu requests (%s): the device may differ, reconcile",
		 first + 1, p->n, what, why, ufailed, n_undo, uwhy);
	/* Plan the next batch against what the device now holds. */
	load_record(d);
out:
	free(ops);
	free(undo);
	return ret;
}

static int check_batch(struct dpnl *d, size_t n)
{
	d->err[0] = '\0';
	if (!d->ifindex) {
		snprintf(d->err, sizeof(d->err), "no device: setup first");
		return -ENODEV;
	}
	if (n > DP_NETLINK_BATCH_MAX) {
		snprintf(d->err, sizeof(d->err),
			 "refused: %zu changes, at most %d in one batch", n,
			 DP_NETLINK_BATCH_MAX);
		return -E2BIG;
	}
	return 0;
}

/* One all or nothing attempt; *bad: the change that failed it, or n. */
static int attempt(struct dataplane *dp, const struct dp_change *c, size_t n,
		   uint64_t index, size_t *bad)
{
	struct dpnl *d = priv(dp);
	struct dp_plan p = { 0 };
	size_t i;
	int ret;

	d->failed = false;
	d->undo_failed = false;
	ret = dp_plan_batch(&d->rec, c, n, &p, d->err, sizeof(d->err), bad);
	if (!ret) {
		ret = run_plan(dp, &p, index);
		*bad = n;
		for (i = 0; ret && d->failed && i < n; i++)
			if (!memcmp(c[i].peer.key, d->failed_key, DP_KEY_LEN)) {
				*bad = i;
				break;
			}
	} else if (*bad < n) {
		d->failed = true;
		memcpy(d->failed_key, c[*bad].peer.key, DP_KEY_LEN);
	}
	dp_plan_free(&p);
	return ret;
}

/*
 * The dataplane contract: an item that cannot be installed never wedges
 * the node. Each attempt is all or nothing; when one fails on a named
 * change, that change is left out (drift) and the rest tried again, and
 * the index advances. Returns 0, or the first failure when something was
 * left out. Strict (tests): one attempt, nothing left out.
 */
static int apply_changes(struct dataplane *dp, struct dp_change *c, size_t n,
			 uint64_t index)
{
	char first_err[ERR_LEN];
	uint8_t first_key[DP_KEY_LEN];
	struct dpnl *d = priv(dp);
	unsigned int fail_step = d->fail_step;
	size_t bad, left = 0;
	int ret, first = 0;

	for (;;) {
		ret = attempt(dp, c, n, index, &bad);
		d->fail_step = 0;	/* an injected failure fails one attempt */
		if (!ret)
			break;
		if (d->strict || bad >= n || d->undo_failed ||
		    ret == -ENOMEM || ret == -ENODEV)
			goto out;
		if (!first) {
			first = ret;
			memcpy(first_err, d->err, sizeof(first_err));
			memcpy(first_key, d->failed_key, DP_KEY_LEN);
		}
		left++;
		c[bad] = c[--n];
	}
	dp->applied_index = index;
	d->drift += left;
	if (first) {
		snprintf(d->err, sizeof(d->err),
			 "%zu change(s) left out as drift, the rest applied; first: %.900s",
			 left, first_err);
		d->failed = true;
		memcpy(d->failed_key, first_key, DP_KEY_LEN);
	}
	ret = first;
out:
	d->fail_step = fail_step;
	return ret;
}

static int nl_apply(struct dataplane *dp, const struct dp_change *changes,
		    size_t n, uint64_t index)
{
	struct dpnl *d = priv(dp);
	struct dp_change *c;
	int ret;

	ret = check_batch(d, n);
	if (ret)
		return ret;
	c = malloc((n + 1) * sizeof(*c));
	if (!c)
		return -ENOMEM;
	memcpy(c, changes, n * sizeof(*c));
	ret = apply_changes(dp, c, n, index);
	free(c);
	return ret;
}

static int nl_replace(struct dataplane *dp, const struct dp_peer *peers,
		      size_t n, uint64_t index)
{
	struct dpnl *d = priv(dp);
	struct dp_change *c;
	size_t k;
	int ret;

	ret = check_batch(d, n);
	if (ret)
		return ret;
	ret = dp_replace_changes(&d->rec, peers, n, &c, &k);
	if (ret) {
		snprintf(d->err, sizeof(d->err), "out of memory");
		return ret;
	}
	ret = apply_changes(dp, c, k, index);
	free(c);
	return ret;
}

static int nl_list(struct dataplane *dp, struct dp_peer_state **ret,
		   size_t *ret_n)
{
	struct dpnl *d = priv(dp);
	struct dp_peer_state *out;
	struct wg_device dev;
	size_t i, j;
	int err;

	if (!d->ifindex)
		return -ENODEV;
	err = wg_genl_get(&d->wg, d->ifindex, &dev);
	if (err)
		return err;
	out = calloc(dev.n_peers + 1, sizeof(*out));
	if (!out) {
		wg_device_free(&dev);
		return -ENOMEM;
	}
	for (i = 0; i < dev.n_peers; i++) {
		const struct wg_peer *w = &dev.peers[i];
		struct dp_peer_state *s = &out[i];

		memcpy(s->peer.key, w->key, DP_KEY_LEN);
		s->peer.endpoint = w->endpoint;
		s->peer.keepalive_s = w->keepalive_s;
		for (j = 0; j < w->n_ips; j++)
			if (w->ips[j].family == AF_INET &&
			    w->ips[j].cidr == 32) {
				s->peer.ip = w->ips[j].ip4;
				break;
			}
		s->last_handshake_s = w->last_handshake_s;
		s->rx_bytes = w->rx_bytes;
		s->tx_bytes = w->tx_bytes;
	}
	*ret = out;
	*ret_n = dev.n_peers;
	wg_device_free(&dev);
	return 0;
}

static void nl_close(struct dataplane *dp, bool down)
{
	struct dpnl *d = priv(dp);

	if (!d)
		return;
	if (down && d->ifindex)
		rtnl_link_del(&d->rt, d->ifindex);
	if (down && d->prefix)
		rtnl_unreachable(&d->rt, false, d->network, d->prefix);
	wg_genl_close(&d->wg);
	nlsock_close(&d->rt);
	dp_record_free(&d->rec);
	free(d->buf);
	free(d->res);
	free(d);
	dp->priv = NULL;
}

static const struct dp_ops netlink_ops = {
	.name = "netlink",
	.setup = nl_setup,
	.apply = nl_apply,
	.replace = nl_replace,
	.list = nl_list,
	.close = nl_close,
};

int dp_netlink_open(struct dataplane *dp)
{
	struct dpnl *d;

	memset(dp, 0, sizeof(*dp));
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->buf = malloc(BUF_BYTES);
	d->res = calloc(NLSOCK_BATCH_MAX, sizeof(*d->res));
	if (!d->buf || !d->res) {
		free(d->buf);
		free(d->res);
		free(d);
		return -ENOMEM;
	}
	dp->priv = d;
	dp->ops = &netlink_ops;
	return 0;
}

const char *dp_netlink_error(const struct dataplane *dp)
{
	return priv(dp) ? priv(dp)->err : "";
}

int dp_netlink_failure(const struct dataplane *dp, uint8_t key[DP_KEY_LEN],
		       bool *undo_failed)
{
	const struct dpnl *d = priv(dp);

	if (!d || !d->failed)
		return -ENOENT;
	memcpy(key, d->failed_key, DP_KEY_LEN);
	*undo_failed = d->undo_failed;
	return 0;
}

void dp_netlink_strict(struct dataplane *dp, bool strict)
{
	priv(dp)->strict = strict;
}

void dp_netlink_routes(const struct dataplane *dp, const struct in_addr **ret,
		       size_t *ret_n)
{
	*ret = priv(dp)->rec.routes;
	*ret_n = priv(dp)->rec.n_routes;
}

uint64_t dp_netlink_drift(const struct dataplane *dp)
{
	return priv(dp) ? priv(dp)->drift : 0;
}

void dp_netlink_fail_step(struct dataplane *dp, unsigned int step, bool undo)
{
	priv(dp)->fail_step = step;
	priv(dp)->fail_undo = undo;
}
