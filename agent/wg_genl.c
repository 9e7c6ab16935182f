// SPDX-License-Identifier: GPL-2.0
/*
 * WireGuard's family, read the way wireguard-tools' ipc-linux.h reads it
 * (a dump whose peers, and a peer's allowed IPs, may continue in the next
 * message) and written with every request acked and its extack kept.
 */
#include <errno.h>
#include <linux/genetlink.h>
#include <linux/time_types.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "wg_genl.h"

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID &&
		    !mnl_attr_validate(a, MNL_TYPE_U16))
			*(uint16_t *)data = mnl_attr_get_u16(a);
	}
	return MNL_CB_OK;
}

static struct nlmsghdr *put_genl(void *buf, uint16_t type, uint8_t cmd,
				 uint8_t version, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = version;
	return nlh;
}

int wg_genl_open(struct wg_genl *g)
{
	char buf[NLSOCK_BUF];
	struct nlmsghdr *nlh;
	int ret;

	memset(g, 0, sizeof(*g));
	ret = nlsock_open(&g->s, NETLINK_GENERIC);
	if (ret)
		return ret;
	nlh = put_genl(buf, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, 0);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, WG_GENL_NAME);
	ret = nlsock_talk(&g->s, nlh, family_cb, &g->family);
	if (!ret && !g->family)
		ret = -ENOENT;
	if (ret)
		nlsock_close(&g->s);
	return ret;
}

void wg_genl_close(struct wg_genl *g)
{
	nlsock_close(&g->s);
}

void wg_device_free(struct wg_device *d)
{
	size_t i;

	if (!d)
		return;
	for (i = 0; i < d->n_peers; i++)
		free(d->peers[i].ips);
	free(d->peers);
	sodium_memzero(d, sizeof(*d));
}

struct get_ctx {
	struct wg_device *d;
	size_t cap;
	int err;
};

static int parse_ip(const struct nlattr *nest, struct wg_peer *p)
{
	struct wg_allowedip ip = { 0 };
	const struct nlattr *a;
	struct wg_allowedip *n;
	bool have_addr = false;

	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case WGALLOWEDIP_A_FAMILY:
			if (!mnl_attr_validate(a, MNL_TYPE_U16))
				ip.family = mnl_attr_get_u16(a);
			break;
		case WGALLOWEDIP_A_IPADDR:
			if (mnl_attr_get_payload_len(a) == sizeof(ip.ip4)) {
				memcpy(&ip.ip4, mnl_attr_get_payload(a), 4);
				have_addr = true;
			} else if (mnl_attr_get_payload_len(a) ==
				   sizeof(ip.ip6)) {
				memcpy(&ip.ip6, mnl_attr_get_payload(a), 16);
				have_addr = true;
			}
			break;
		case WGALLOWEDIP_A_CIDR_MASK:
			if (!mnl_attr_validate(a, MNL_TYPE_U8))
				ip.cidr = mnl_attr_get_u8(a);
			break;
		}
	}
	if (!have_addr || (ip.family != AF_INET && ip.family != AF_INET6))
		return -EBADMSG;
	if (p->n_ips >= WG_GENL_IPS_MAX)
		return -E2BIG;
	n = realloc(p->ips, (p->n_ips + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	p->ips = n;
	p->ips[p->n_ips++] = ip;
	return 0;
}

static int parse_peer(const struct nlattr *nest, struct get_ctx *c)
{
	struct wg_device *d = c->d;
	const struct nlattr *a, *key = NULL;
	struct wg_peer *p;
	int ret;

	mnl_attr_for_each_nested(a, nest)
		if (mnl_attr_get_type(a) == WGPEER_A_PUBLIC_KEY &&
		    mnl_attr_get_payload_len(a) == WG_KEY_LEN)
			key = a;
	if (!key)
		return -EBADMSG;
	/* A peer whose allowed IPs did not fit continues in this message. */
	if (d->n_peers &&
	    !memcmp(d->peers[d->n_peers - 1].key, mnl_attr_get_payload(key),
		    WG_KEY_LEN)) {
		p = &d->peers[d->n_peers - 1];
	} else {
		if (d->n_peers == c->cap) {
			size_t cap = c->cap ? c->cap * 2 : 64;
			struct wg_peer *np = realloc(d->peers,
						     cap * sizeof(*np));

			if (!np)
				return -ENOMEM;
			d->peers = np;
			c->cap = cap;
		}
		p = &d->peers[d->n_peers++];
		memset(p, 0, sizeof(*p));
		memcpy(p->key, mnl_attr_get_payload(key), WG_KEY_LEN);
	}
	mnl_attr_for_each_nested(a, nest) {
		size_t len = mnl_attr_get_payload_len(a);
		struct __kernel_timespec ts;
		const struct nlattr *ipn;

		switch (mnl_attr_get_type(a)) {
		case WGPEER_A_ENDPOINT:
			if (len == sizeof(struct sockaddr_in) ||
			    len == sizeof(struct sockaddr_in6))
				memcpy(&p->endpoint, mnl_attr_get_payload(a),
				       len);
			break;
		case WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL:
			if (!mnl_attr_validate(a, MNL_TYPE_U16)) {
				p->has_keepalive = true;
				p->keepalive_s = mnl_attr_get_u16(a);
			}
			break;
		case WGPEER_A_LAST_HANDSHAKE_TIME:
			/* Attributes are only 4-byte aligned. */
			if (len == sizeof(ts)) {
				memcpy(&ts, mnl_attr_get_payload(a), sizeof(ts));
				p->last_handshake_s = ts.tv_sec;
			}
			break;
		case WGPEER_A_RX_BYTES:
			if (!mnl_attr_validate(a, MNL_TYPE_U64))
				p->rx_bytes = mnl_attr_get_u64(a);
			break;
		case WGPEER_A_TX_BYTES:
			if (!mnl_attr_validate(a, MNL_TYPE_U64))
				p->tx_bytes = mnl_attr_get_u64(a);
			break;
		case WGPEER_A_ALLOWEDIPS:
			mnl_attr_for_each_nested(ipn, a) {
				ret = parse_ip(ipn, p);
				if (ret)
					return ret;
			}
			break;
		}
	}
	return 0;
}

static int get_cb(const struct nlmsghdr *nlh, void *data)
{
	struct get_ctx *c = data;
	struct wg_device *d = c->d;
	const struct nlattr *a, *pn;
	int ret;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		size_t len = mnl_attr_get_payload_len(a);

		switch (mnl_attr_get_type(a)) {
		case WGDEVICE_A_IFINDEX:
			if (!mnl_attr_validate(a, MNL_TYPE_U32))
				d->ifindex = mnl_attr_get_u32(a);
			break;
		case WGDEVICE_A_PRIVATE_KEY:
			if (len == WG_KEY_LEN) {
				memcpy(d->private_key, mnl_attr_get_payload(a),
				       WG_KEY_LEN);
				d->has_private_key = true;
			}
			break;
		case WGDEVICE_A_PUBLIC_KEY:
			if (len == WG_KEY_LEN)
				memcpy(d->public_key, mnl_attr_get_payload(a),
				       WG_KEY_LEN);
			break;
		case WGDEVICE_A_LISTEN_PORT:
			if (!mnl_attr_validate(a, MNL_TYPE_U16)) {
				d->has_listen_port = true;
				d->listen_port = mnl_attr_get_u16(a);
			}
			break;
		case WGDEVICE_A_PEERS:
			mnl_attr_for_each_nested(pn, a) {
				ret = parse_peer(pn, c);
				if (ret && !c->err)
					c->err = ret;
			}
			break;
		}
	}
	return MNL_CB_OK;
}

int wg_genl_get(struct wg_genl *g, uint32_t ifindex, struct wg_device *ret)
{
	char buf[NLSOCK_BUF];
	struct get_ctx c;
	int tries, err = -EINTR;

	for (tries = 0; tries < 8 && err == -EINTR; tries++) {
		struct nlmsghdr *nlh;

		memset(ret, 0, sizeof(*ret));
		memset(&c, 0, sizeof(c));
		c.d = ret;
		nlh = put_genl(buf, g->family, WG_CMD_GET_DEVICE,
			       WG_GENL_VERSION, NLM_F_DUMP);
		mnl_attr_put_u32(nlh, WGDEVICE_A_IFINDEX, ifindex);
		err = nlsock_talk(&g->s, nlh, get_cb, &c);
		if (!err)
			err = c.err;
		if (err)
			wg_device_free(ret);
	}
	sodium_memzero(buf, sizeof(buf));
	return err;
}

/* One peer's nest; false (nothing added) when it does not fit. */
static bool put_peer(struct nlmsghdr *nlh, size_t cap, const struct wg_peer *p)
{
	struct nlattr *peer, *ips, *ip;
	size_t i;

	peer = mnl_attr_nest_start_check(nlh, cap, 0);
	if (!peer)
		return false;
	if (!mnl_attr_put_check(nlh, cap, WGPEER_A_PUBLIC_KEY, WG_KEY_LEN,
				p->key))
		goto cancel;
	if (p->flags &&
	    !mnl_attr_put_u32_check(nlh, cap, WGPEER_A_FLAGS, p->flags))
		goto cancel;
	if (p->endpoint.ss_family == AF_INET &&
	    !mnl_attr_put_check(nlh, cap, WGPEER_A_ENDPOINT,
				sizeof(struct sockaddr_in), &p->endpoint))
		goto cancel;
	if (p->endpoint.ss_family == AF_INET6 &&
	    !mnl_attr_put_check(nlh, cap, WGPEER_A_ENDPOINT,
				sizeof(struct sockaddr_in6), &p->endpoint))
		goto cancel;
	if (p->has_keepalive &&
	    !mnl_attr_put_u16_check(nlh, cap,
				    WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL,
				    p->keepalive_s))
		goto cancel;
	if (p->has_ips) {
		ips = mnl_attr_nest_start_check(nlh, cap, WGPEER_A_ALLOWEDIPS);
		if (!ips)
			goto cancel;
		for (i = 0; i < p->n_ips; i++) {
			const struct wg_allowedip *a = &p->ips[i];

			ip = mnl_attr_nest_start_check(nlh, cap, 0);
			if (!ip ||
			    !mnl_attr_put_u16_check(nlh, cap,
						    WGALLOWEDIP_A_FAMILY,
						    a->family) ||
			    !mnl_attr_put_check(nlh, cap, WGALLOWEDIP_A_IPADDR,
						a->family == AF_INET ? 4 : 16,
						&a->ip4) ||
			    !mnl_attr_put_u8_check(nlh, cap,
						   WGALLOWEDIP_A_CIDR_MASK,
						   a->cidr))
				goto cancel;
			mnl_attr_nest_end(nlh, ip);
		}
		mnl_attr_nest_end(nlh, ips);
	}
	mnl_attr_nest_end(nlh, peer);
	return true;
cancel:
	mnl_attr_nest_cancel(nlh, peer);
	return false;
}

static struct nlmsghdr *put_set(struct wg_genl *g, void *buf, uint32_t ifindex)
{
	struct nlmsghdr *nlh = put_genl(buf, g->family, WG_CMD_SET_DEVICE,
					WG_GENL_VERSION, NLM_F_ACK);

	mnl_attr_put_u32(nlh, WGDEVICE_A_IFINDEX, ifindex);
	return nlh;
}

int wg_genl_put_peer(struct wg_genl *g, void *buf, size_t cap,
		     uint32_t ifindex, const struct wg_peer *p, uint32_t seq)
{
	struct nlmsghdr *nlh;
	struct nlattr *peers;

	if (cap < MNL_NLMSG_HDRLEN + 64)
		return -EMSGSIZE;
	nlh = put_set(g, buf, ifindex);
	nlh->nlmsg_seq = seq;
	peers = mnl_attr_nest_start_check(nlh, cap, WGDEVICE_A_PEERS);
	if (!peers || !put_peer(nlh, cap, p))
		return -EMSGSIZE;
	mnl_attr_nest_end(nlh, peers);
	return (int)nlh->nlmsg_len;
}

int wg_genl_set(struct wg_genl *g, const struct wg_device *d)
{
	static char buf[WG_GENL_MSG_BYTES];
	struct nlmsghdr *nlh;
	struct nlattr *peers;
	size_t i = 0;
	int ret = 0;

	do {
		bool first = i == 0;

		nlh = put_set(g, buf, d->ifindex);
		if (first && d->has_private_key)
			mnl_attr_put(nlh, WGDEVICE_A_PRIVATE_KEY, WG_KEY_LEN,
				     d->private_key);
		if (first && d->has_listen_port)
			mnl_attr_put_u16(nlh, WGDEVICE_A_LISTEN_PORT,
					 d->listen_port);
		if (i < d->n_peers) {
			size_t start = i;

			peers = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
			while (i < d->n_peers &&
			       put_peer(nlh, sizeof(buf), &d->peers[i]))
				i++;
			if (i == start) {
				ret = -EMSGSIZE;
				break;
			}
			mnl_attr_nest_end(nlh, peers);
		}
		ret = nlsock_talk(&g->s, nlh, NULL, NULL);
	} while (!ret && i < d->n_peers);
	sodium_memzero(buf, MNL_NLMSG_HDRLEN + 64);
	return ret;
}
