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
#include "keyfile.h"
#include "rtnl.h"
#include "wg_genl.h"

#define ERR_LEN 1024

enum phase { PEER_REMOVE, ROUTE_ADD, PEER_SET, ROUTE_DEL, PHASES };

static const char *const phase_name[PHASES] = {
	[PEER_REMOVE] = "peer removal",
	[ROUTE_ADD] = "route addition",
	[PEER_SET] = "peer set",
	[ROUTE_DEL] = "route removal",
};

struct step {
	enum phase phase;
	bool has_old;			/* PEER_SET: an update, not an addition */
	bool new_endpoint;		/* PEER_SET: send the endpoint */
	struct dp_peer old, new;	/* the peer before and after */
	struct in_addr ip;		/* ROUTE_*: the /32 */
};

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
	uint8_t own_key[DP_KEY_LEN];
	struct dp_peer *peers;		/* the record */
	size_t n, cap;
	struct in_addr *routes;		/* atom's /32 routes via the device */
	size_t n_routes, routes_cap;
	struct in_addr network;		/* the unreachable mesh route */
	uint8_t prefix;
	unsigned int fail_step;		/* tests only */
	bool fail_undo;
	char err[ERR_LEN];
	char *buf;			/* one batch of requests */
	int *res;
};

#define BUF_BYTES (NLSOCK_BATCH_BYTES + WG_GENL_MSG_BYTES)

static struct dpnl *priv(const struct dataplane *dp)
{
	return dp->priv;
}

static const char *key_str(const uint8_t *key, char out[WG_KEY_B64_LEN + 1])
{
	wg_key_to_base64(key, out);
	return out;
}

static ssize_t find_peer(const struct dpnl *d, const uint8_t *key)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (!memcmp(d->peers[i].key, key, DP_KEY_LEN))
			return (ssize_t)i;
	return -1;
}

static ssize_t find_route(const struct dpnl *d, struct in_addr ip)
{
	size_t i;

	for (i = 0; i < d->n_routes; i++)
		if (d->routes[i].s_addr == ip.s_addr)
			return (ssize_t)i;
	return -1;
}

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t cap2 = *cap ? *cap : 16;
	void *np;

	if (need <= *cap)
		return 0;
	while (cap2 < need)
		cap2 *= 2;
	np = realloc(*p, cap2 * size);
	if (!np)
		return -ENOMEM;
	*p = np;
	*cap = cap2;
	return 0;
}

static bool same_endpoint(const struct sockaddr_storage *a,
			  const struct sockaddr_storage *b)
{
	const struct sockaddr_in *a4 = (const void *)a, *b4 = (const void *)b;
	const struct sockaddr_in6 *a6 = (const void *)a, *b6 = (const void *)b;

	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return a4->sin_port == b4->sin_port &&
		       a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	if (a->ss_family == AF_INET6)
		return a6->sin6_port == b6->sin6_port &&
		       !memcmp(&a6->sin6_addr, &b6->sin6_addr, 16);
	return true;
}

/* The record from the device: its peers and atom's routes via it. */
static int load_record(struct dpnl *d)
{
	struct wg_device dev;
	size_t i, j;
	int ret;

	ret = wg_genl_get(&d->wg, d->ifindex, &dev);
	if (ret) {
		snprintf(d->err, sizeof(d->err),
			 "cannot read WireGuard device %u: %s", d->ifindex,
			 d->wg.s.err[0] ? d->wg.s.err : strerror(-ret));
		return ret;
	}
	memcpy(d->own_key, dev.public_key, DP_KEY_LEN);
	d->n = 0;
	ret = grow((void **)&d->peers, &d->cap, dev.n_peers, sizeof(*d->peers));
	if (ret)
		goto out;
	for (i = 0; i < dev.n_peers; i++) {
		const struct wg_peer *w = &dev.peers[i];
		struct dp_peer *p = &d->peers[d->n++];

		memset(p, 0, sizeof(*p));
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
	free(d->routes);
	d->routes = NULL;
	d->n_routes = 0;
	d->routes_cap = 0;
	ret = rtnl_routes_list(&d->rt, d->ifindex, &d->routes, &d->n_routes);
	if (ret)
		snprintf(d->err, sizeof(d->err), "cannot list routes: %s",
			 strerror(-ret));
	else
		d->routes_cap = d->n_routes;
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

/* Describe step s for an error message. */
static void step_str(const struct step *s, char *out, size_t len)
{
	char key[WG_KEY_B64_LEN + 1], ip[INET_ADDRSTRLEN];

	if (s->phase == ROUTE_ADD || s->phase == ROUTE_DEL) {
		inet_ntop(AF_INET, &s->ip, ip, sizeof(ip));
		snprintf(out, len, "%s of %s/32", phase_name[s->phase], ip);
		return;
	}
	inet_ntop(AF_INET, s->phase == PEER_REMOVE ? &s->old.ip : &s->new.ip,
		  ip, sizeof(ip));
	snprintf(out, len, "%s of peer %s (%s)", phase_name[s->phase],
		 key_str(s->phase == PEER_REMOVE ? s->old.key : s->new.key,
			 key),
		 ip);
}

struct plan {
	struct step *steps;
	size_t n, cap;
};

static int add_step(struct plan *p, const struct step *s)
{
	int ret = grow((void **)&p->steps, &p->cap, p->n + 1,
		       sizeof(*p->steps));

	if (ret)
		return ret;
	p->steps[p->n++] = *s;
	return 0;
}

static int cmp_ip(const void *a, const void *b)
{
	uint32_t x = ntohl(((const struct in_addr *)a)->s_addr);
	uint32_t y = ntohl(((const struct in_addr *)b)->s_addr);

	return x < y ? -1 : x > y;
}

/*
 * Check a batch against the record and turn it into steps, phase by phase.
 * Nothing is touched; a refusal says why in d->err.
 */
static int plan_batch(struct dpnl *d, const struct dp_change *c, size_t n,
		      struct plan *p)
{
	char key[WG_KEY_B64_LEN + 1], ip[INET_ADDRSTRLEN];
	struct in_addr *touched = NULL, *want = NULL;
	size_t i, j, n_touched = 0, n_want = 0;
	ssize_t *idx = NULL;
	uint8_t *gone = NULL;	/* record peers removed or updated */
	int ret = -ENOMEM;

	idx = calloc(n + 1, sizeof(*idx));
	gone = calloc(d->n + 1, 1);
	touched = calloc(2 * n + 1, sizeof(*touched));
	want = calloc(n + 1, sizeof(*want));
	if (!idx || !gone || !touched || !want)
		goto out;
	ret = -EINVAL;
	for (i = 0; i < n; i++) {
		const struct dp_peer *q = &c[i].peer;

		if (c[i].op != DP_UPSERT && c[i].op != DP_REMOVE) {
			snprintf(d->err, sizeof(d->err),
				 "refused: item %zu has an unknown operation",
				 i);
			goto out;
		}
		for (j = 0; j < i; j++)
			if (c[j].op == c[i].op &&
			    !memcmp(c[j].peer.key, q->key, DP_KEY_LEN)) {
				snprintf(d->err, sizeof(d->err),
					 "refused: peer %s appears twice",
					 key_str(q->key, key));
				goto out;
			}
		idx[i] = find_peer(d, q->key);
		if (c[i].op == DP_REMOVE) {
			if (idx[i] < 0) {
				snprintf(d->err, sizeof(d->err),
					 "refused: removal of unknown peer %s",
					 key_str(q->key, key));
				ret = -ENOENT;
				goto out;
			}
			gone[idx[i]] = 1;
			continue;
		}
		if (!memcmp(q->key, d->own_key, DP_KEY_LEN)) {
			snprintf(d->err, sizeof(d->err),
				 "refused: peer %s has the device's own key",
				 key_str(q->key, key));
			goto out;
		}
		if (!q->ip.s_addr) {
			snprintf(d->err, sizeof(d->err),
				 "refused: peer %s has no address",
				 key_str(q->key, key));
			goto out;
		}
		if (idx[i] >= 0)
			gone[idx[i]] = 1;
		want[n_want++] = q->ip;
	}
	/* An address belongs to one peer after the batch. */
	qsort(want, n_want, sizeof(*want), cmp_ip);
	for (i = 1; i < n_want; i++)
		if (want[i].s_addr == want[i - 1].s_addr)
			break;
	if (n_want && i < n_want) {
		inet_ntop(AF_INET, &want[i], ip, sizeof(ip));
		snprintf(d->err, sizeof(d->err),
			 "refused: %s is given to two peers", ip);
		ret = -EEXIST;
		goto out;
	}
	for (i = 0; i < d->n; i++) {
		if (gone[i] || !d->peers[i].ip.s_addr ||
		    !bsearch(&d->peers[i].ip, want, n_want, sizeof(*want),
			     cmp_ip))
			continue;
		inet_ntop(AF_INET, &d->peers[i].ip, ip, sizeof(ip));
		snprintf(d->err, sizeof(d->err),
			 "refused: %s belongs to peer %s", ip,
			 key_str(d->peers[i].key, key));
		ret = -EEXIST;
		goto out;
	}

	/* Removals, unless the same batch puts the peer back. */
	for (i = 0; i < n; i++) {
		struct step s = { .phase = PEER_REMOVE };

		if (c[i].op != DP_REMOVE)
			continue;
		for (j = 0; j < n; j++)
			if (c[j].op == DP_UPSERT &&
			    !memcmp(c[j].peer.key, c[i].peer.key, DP_KEY_LEN))
				break;
		touched[n_touched++] = d->peers[idx[i]].ip;
		if (j < n)
			continue;
		s.old = d->peers[idx[i]];
		s.has_old = true;
		ret = add_step(p, &s);
		if (ret)
			goto out;
	}
	/* Routes first: every address wanted and not routed yet. */
	for (i = 0; i < n_want; i++) {
		struct step s = { .phase = ROUTE_ADD, .ip = want[i] };

		touched[n_touched++] = want[i];
		if (find_route(d, want[i]) >= 0)
			continue;
		ret = add_step(p, &s);
		if (ret)
			goto out;
	}
	for (i = 0; i < n; i++) {
		const struct dp_peer *q = &c[i].peer;
		struct step s = { .phase = PEER_SET, .new = *q };

		if (c[i].op != DP_UPSERT)
			continue;
		s.new_endpoint = q->endpoint.ss_family != 0;
		if (idx[i] >= 0) {
			s.has_old = true;
			s.old = d->peers[idx[i]];
			touched[n_touched++] = s.old.ip;
			/* An unchanged endpoint keeps what roaming learned. */
			if (!q->endpoint.ss_family ||
			    same_endpoint(&q->endpoint, &s.old.endpoint)) {
				s.new_endpoint = false;
				s.new.endpoint = s.old.endpoint;
			}
			if (!s.new_endpoint && s.old.ip.s_addr == q->ip.s_addr &&
			    s.old.keepalive_s == q->keepalive_s)
				continue;
		}
		ret = add_step(p, &s);
		if (ret)
			goto out;
	}
	/* Routes last: every address touched that nobody wants any more. */
	qsort(touched, n_touched, sizeof(*touched), cmp_ip);
	for (i = 0; i < n_touched; i++) {
		struct step s = { .phase = ROUTE_DEL, .ip = touched[i] };

		if ((i && touched[i].s_addr == touched[i - 1].s_addr) ||
		    !touched[i].s_addr ||
		    bsearch(&touched[i], want, n_want, sizeof(*want), cmp_ip) ||
		    find_route(d, touched[i]) < 0)
			continue;
		ret = add_step(p, &s);
		if (ret)
			goto out;
	}
	ret = 0;
out:
	if (ret == -ENOMEM)
		snprintf(d->err, sizeof(d->err), "out of memory");
	free(idx);
	free(gone);
	free(touched);
	free(want);
	return ret;
}

/* The request that does step s, or undoes it. */
static struct op forward_op(const struct step *s)
{
	struct op o = { .result = 1 };

	switch (s->phase) {
	case PEER_REMOVE:
		o.peer = s->old;
		o.flags = WGPEER_F_REMOVE_ME;
		break;
	case ROUTE_ADD:
		o.kind = OP_ROUTE_ADD;
		o.peer.ip = s->ip;
		break;
	case PEER_SET:
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
static size_t undo_ops(const struct step *s, struct op *o)
{
	memset(o, 0, 2 * sizeof(*o));
	o[0].result = 1;
	o[1].result = 1;
	switch (s->phase) {
	case PEER_REMOVE:
		o->peer = s->old;
		o->flags = WGPEER_F_REPLACE_ALLOWEDIPS;
		o->endpoint = s->old.endpoint.ss_family != 0;
		o->ips = true;
		return 1;
	case ROUTE_ADD:
		o->kind = OP_ROUTE_DEL;
		o->peer.ip = s->ip;
		return 1;
	case PEER_SET:
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

/* Bring the record to the state after a batch that went through. */
static int commit(struct dpnl *d, const struct plan *p)
{
	size_t i;
	ssize_t k;
	int ret;

	for (i = 0; i < p->n; i++) {
		const struct step *s = &p->steps[i];

		switch (s->phase) {
		case PEER_REMOVE:
			k = find_peer(d, s->old.key);
			if (k >= 0)
				d->peers[k] = d->peers[--d->n];
			break;
		case PEER_SET:
			k = find_peer(d, s->new.key);
			if (k < 0) {
				ret = grow((void **)&d->peers, &d->cap,
					   d->n + 1, sizeof(*d->peers));
				if (ret)
					return ret;
				k = (ssize_t)d->n++;
			}
			d->peers[k] = s->new;
			break;
		case ROUTE_ADD:
			ret = grow((void **)&d->routes, &d->routes_cap,
				   d->n_routes + 1, sizeof(*d->routes));
			if (ret)
				return ret;
			d->routes[d->n_routes++] = s->ip;
			break;
		default:
			k = find_route(d, s->ip);
			if (k >= 0)
				d->routes[k] = d->routes[--d->n_routes];
			break;
		}
	}
	return 0;
}

static int run_batch(struct dataplane *dp, const struct dp_change *c,
		     size_t n, uint64_t index)
{
	char what[160], why[NLSOCK_ERR_LEN], uwhy[NLSOCK_ERR_LEN];
	struct dpnl *d = priv(dp);
	struct plan p = { 0 };
	struct op *ops = NULL, *undo = NULL;
	size_t i, failed, first = 0, n_undo = 0, undone = 0, ufailed;
	int ret;

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
	ret = plan_batch(d, c, n, &p);
	if (ret)
		goto out;
	ops = calloc(p.n + 1, sizeof(*ops));
	undo = calloc(2 * p.n + 2, sizeof(*undo));
	if (!ops || !undo) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < p.n; i++)
		ops[i] = forward_op(&p.steps[i]);
	failed = run_ops(d, ops, p.n,
			 d->fail_step ? d->fail_step - 1 : p.n, true, why,
			 sizeof(why));
	if (!failed) {
		ret = commit(d, &p);
		if (ret)
			goto out;
		dp->applied_index = index;
		goto out;
	}
	while (!ops[first].result)
		first++;
	ret = ops[first].result;
	step_str(&p.steps[first], what, sizeof(what));

	/*
	 * Undo, last first, every step done, and a peer set that failed
	 * after it was sent (WireGuard may have created the peer or changed
	 * part of it before refusing the rest).
	 */
	for (i = p.n; i-- > 0;) {
		bool partial = ops[i].result < 0 && ops[i].sent &&
			       p.steps[i].phase == PEER_SET;

		if (ops[i].result && !partial)
			continue;
		n_undo += undo_ops(&p.steps[i], &undo[n_undo]);
		undone++;
	}
	ufailed = run_ops(d, undo, n_undo, d->fail_undo ? 0 : n_undo, false,
			  uwhy, sizeof(uwhy));
	if (!ufailed) {
		snprintf(d->err, sizeof(d->err),
			 "step %zu of %zu, %s, failed: %s; %zu completed steps undone",
			 first + 1, p.n, what, why, undone);
		goto out;
	}
	snprintf(d->err, sizeof(d->err),
		 "step %zu of %zu, %s, failed: %s; undo failed for %zu of %zu requests (%s): the device may differ, reconcile",
		 first + 1, p.n, what, why, ufailed, n_undo, uwhy);
	/* Plan the next batch against what the device now holds. */
	load_record(d);
out:
	free(ops);
	free(undo);
	free(p.steps);
	return ret;
}

static int nl_apply(struct dataplane *dp, const struct dp_change *changes,
		    size_t n, uint64_t index)
{
	return run_batch(dp, changes, n, index);
}

static int nl_replace(struct dataplane *dp, const struct dp_peer *peers,
		      size_t n, uint64_t index)
{
	struct dpnl *d = priv(dp);
	struct dp_change *c;
	size_t i, j, k = 0;
	int ret;

	d->err[0] = '\0';
	if (n > DP_NETLINK_BATCH_MAX) {
		snprintf(d->err, sizeof(d->err),
			 "refused: %zu peers, at most %d in one batch", n,
			 DP_NETLINK_BATCH_MAX);
		return -E2BIG;
	}
	c = calloc(d->n + n + 1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	for (i = 0; i < d->n; i++) {
		for (j = 0; j < n; j++)
			if (!memcmp(peers[j].key, d->peers[i].key, DP_KEY_LEN))
				break;
		if (j < n)
			continue;
		c[k].op = DP_REMOVE;
		c[k++].peer = d->peers[i];
	}
	for (i = 0; i < n; i++) {
		c[k].op = DP_UPSERT;
		c[k++].peer = peers[i];
	}
	ret = run_batch(dp, c, k, index);
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
	free(d->peers);
	free(d->routes);
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

void dp_netlink_fail_step(struct dataplane *dp, unsigned int step, bool undo)
{
	priv(dp)->fail_step = step;
	priv(dp)->fail_undo = undo;
}
