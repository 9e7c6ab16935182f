// SPDX-License-Identifier: GPL-2.0
/*
 * atom.ko: WireGuard's own generic netlink uapi, spoken through a kernel
 * socket: WireGuard exports no symbols. The family id is resolved with the
 * dump form of CTRL_CMD_GETFAMILY, never by name: a by-name lookup may
 * autoload a module, and that module's genl registration waits for the
 * cb_lock our own request holds.
 */

#include <linux/genetlink.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <linux/wireguard.h>
#include <net/genetlink.h>
#include <net/netlink.h>

#include "wg.h"

/* wg(8) splits large configurations the same way. */
#define WG_MSG_SIZE	(32 * 1024)

static struct nlattr *genl_attrs(const struct nlmsghdr *nlh, int *len)
{
	*len = nlmsg_len(nlh) - GENL_HDRLEN;
	if (*len < 0)
		return NULL;
	return nlmsg_data(nlh) + GENL_HDRLEN;
}

static struct sk_buff *genl_msg(struct atom_nlsock *s, size_t size, u16 family,
				u8 cmd, u8 version, u16 flags)
{
	struct genlmsghdr *g;
	struct nlmsghdr *nlh;
	struct sk_buff *skb;

	skb = atom_nlsock_msg(s, GENL_HDRLEN + size, family, flags, &nlh);
	if (!skb)
		return NULL;
	g = skb_put_zero(skb, GENL_HDRLEN);
	g->cmd = cmd;
	g->version = version;
	return skb;
}

struct family_ctx {
	u16 id;
};

static int family_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *a, *name = NULL, *id = NULL;
	struct family_ctx *ctx = arg;
	struct nlattr *attrs;
	int len, rem;

	attrs = genl_attrs(nlh, &len);
	if (!attrs)
		return 0;
	nla_for_each_attr(a, attrs, len, rem) {
		if (nla_type(a) == CTRL_ATTR_FAMILY_NAME)
			name = a;
		else if (nla_type(a) == CTRL_ATTR_FAMILY_ID &&
			 nla_len(a) == sizeof(u16))
			id = a;
	}
	if (name && id && !nla_strcmp(name, WG_GENL_NAME))
		ctx->id = nla_get_u16(id);
	return 0;
}

int atom_wg_family(struct atom_nlsock *s, u16 *family)
{
	struct family_ctx ctx = {};
	struct sk_buff *skb;
	int ret;

	skb = genl_msg(s, 0, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 2, NLM_F_DUMP);
	if (!skb)
		return -ENOMEM;
	ret = atom_nlsock_dump(s, skb, family_cb, &ctx);
	if (ret < 0)
		return ret;
	if (!ctx.id)
		return -EPROTONOSUPPORT;
	*family = ctx.id;
	return 0;
}

static int start(struct atom_wg *w, u32 tag)
{
	w->skb = genl_msg(w->s, WG_MSG_SIZE + 1024, w->family,
			  WG_CMD_SET_DEVICE, WG_GENL_VERSION, NLM_F_ACK);
	if (!w->skb)
		return -ENOMEM;
	if (nla_put_u32(w->skb, WGDEVICE_A_IFINDEX, w->ifindex))
		goto err_free;
	w->peers = nla_nest_start(w->skb, WGDEVICE_A_PEERS);
	if (!w->peers)
		goto err_free;
	w->first_tag = tag;
	return 0;

err_free:
	atom_wg_discard(w);
	return -EMSGSIZE;
}

static int put_endpoint(struct sk_buff *skb, const struct atom_ep *ep)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in sin = { .sin_family = AF_INET };

	if (ep->family == AF_INET) {
		sin.sin_port = htons(ep->port);
		sin.sin_addr.s_addr = ep->v4;
		return nla_put(skb, WGPEER_A_ENDPOINT, sizeof(sin), &sin);
	}
	sin6.sin6_port = htons(ep->port);
	sin6.sin6_addr = ep->v6;
	return nla_put(skb, WGPEER_A_ENDPOINT, sizeof(sin6), &sin6);
}

static int put_peer(struct sk_buff *skb, const struct atom_peer_cfg *cfg,
		    u32 what)
{
	struct nlattr *peer, *ips, *ip;
	u32 flags = 0;

	peer = nla_nest_start(skb, 0);
	if (!peer)
		return -EMSGSIZE;
	if (what & ATOM_WG_REMOVE)
		flags |= WGPEER_F_REMOVE_ME;
	if (what & ATOM_WG_ADDR)
		flags |= WGPEER_F_REPLACE_ALLOWEDIPS;
	if (nla_put(skb, WGPEER_A_PUBLIC_KEY, ATOM_KEY_LEN, cfg->key) ||
	    nla_put_u32(skb, WGPEER_A_FLAGS, flags))
		goto err_cancel;
	if ((what & ATOM_WG_ENDPOINT) && cfg->ep.family &&
	    put_endpoint(skb, &cfg->ep))
		goto err_cancel;
	if ((what & ATOM_WG_KEEPALIVE) &&
	    nla_put_u16(skb, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL,
			cfg->keepalive))
		goto err_cancel;
	if ((what & ATOM_WG_ADDR) && cfg->addr) {
		ips = nla_nest_start(skb, WGPEER_A_ALLOWEDIPS);
		if (!ips)
			goto err_cancel;
		ip = nla_nest_start(skb, 0);
		if (!ip ||
		    nla_put_u16(skb, WGALLOWEDIP_A_FAMILY, AF_INET) ||
		    nla_put_in_addr(skb, WGALLOWEDIP_A_IPADDR, cfg->addr) ||
		    nla_put_u8(skb, WGALLOWEDIP_A_CIDR_MASK, 32))
			goto err_cancel;
		nla_nest_end(skb, ip);
		nla_nest_end(skb, ips);
	}
	nla_nest_end(skb, peer);
	return 0;

err_cancel:
	nla_nest_cancel(skb, peer);
	return -EMSGSIZE;
}

/*
 * Queue one peer; send the message when it is full. tag names the peer in
 * a failure (WireGuard's errors name no peer: only its message).
 */
int atom_wg_peer(struct atom_wg *w, const struct atom_peer_cfg *cfg,
		 u32 what, u32 tag)
{
	int ret;

	if (w->skb && w->skb->len > WG_MSG_SIZE) {
		ret = atom_wg_flush(w);
		if (ret < 0)
			return ret;
	}
	if (!w->skb) {
		ret = start(w, tag);
		if (ret < 0)
			return ret;
	}
	return put_peer(w->skb, cfg, what);
}

int atom_wg_flush(struct atom_wg *w)
{
	struct sk_buff *skb = w->skb;

	if (!skb)
		return 0;
	w->skb = NULL;
	nla_nest_end(skb, w->peers);
	w->fail_tag = w->first_tag;
	return atom_nlsock_request(w->s, skb);
}

void atom_wg_discard(struct atom_wg *w)
{
	kfree_skb(w->skb);
	w->skb = NULL;
}

/* Reading the device at bind: every peer is adopted into the record. */
struct read_ctx {
	struct atom_dev *d;
	struct atom_peer *last;	/* WireGuard continues a peer's ips */
	u32 nips;
	bool ip_ok;
	int err;
};

static void finish_peer(struct read_ctx *ctx)
{
	struct atom_peer *p = ctx->last;

	if (!p)
		return;
	ctx->last = NULL;
	if (ctx->nips != 1 || !ctx->ip_ok ||
	    atom_dev_find_addr(ctx->d, p->cfg.addr)) {
		/* Not one /32 of its own: atom cannot model it. */
		p->cfg.addr = 0;
		ctx->d->drift++;
	}
	atom_dev_insert(ctx->d, p);
}

static void read_ips(struct read_ctx *ctx, const struct nlattr *ips)
{
	const struct nlattr *ip, *a;
	int rem, rem2, fam, cidr;
	__be32 addr;

	nla_for_each_nested(ip, ips, rem) {
		fam = -1;
		cidr = -1;
		addr = 0;
		nla_for_each_nested(a, ip, rem2) {
			if (nla_type(a) == WGALLOWEDIP_A_FAMILY &&
			    nla_len(a) == 2)
				fam = nla_get_u16(a);
			else if (nla_type(a) == WGALLOWEDIP_A_CIDR_MASK &&
				 nla_len(a) == 1)
				cidr = nla_get_u8(a);
			else if (nla_type(a) == WGALLOWEDIP_A_IPADDR &&
				 nla_len(a) == 4)
				addr = nla_get_in_addr(a);
		}
		ctx->nips++;
		ctx->ip_ok = fam == AF_INET && cidr == 32 && addr;
		if (ctx->ip_ok && ctx->nips == 1)
			ctx->last->cfg.addr = addr;
	}
}

static void read_endpoint(struct atom_ep *ep, const struct nlattr *a)
{
	const struct sockaddr_in6 *sin6 = nla_data(a);
	const struct sockaddr_in *sin = nla_data(a);

	if (nla_len(a) == sizeof(*sin) && sin->sin_family == AF_INET) {
		ep->family = AF_INET;
		ep->port = ntohs(sin->sin_port);
		ep->v4 = sin->sin_addr.s_addr;
	} else if (nla_len(a) == sizeof(*sin6) &&
		   sin6->sin6_family == AF_INET6) {
		ep->family = AF_INET6;
		ep->port = ntohs(sin6->sin6_port);
		ep->v6 = sin6->sin6_addr;
	}
}

static int read_peer(struct read_ctx *ctx, const struct nlattr *peer)
{
	const struct nlattr *a, *key = NULL, *ips = NULL;
	struct atom_peer_cfg cfg = {};
	int rem;

	nla_for_each_nested(a, peer, rem) {
		switch (nla_type(a)) {
		case WGPEER_A_PUBLIC_KEY:
			if (nla_len(a) == ATOM_KEY_LEN)
				key = a;
			break;
		case WGPEER_A_ENDPOINT:
			read_endpoint(&cfg.ep, a);
			break;
		case WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL:
			if (nla_len(a) == 2)
				cfg.keepalive = nla_get_u16(a);
			break;
		case WGPEER_A_ALLOWEDIPS:
			ips = a;
			break;
		}
	}
	if (!key)
		return -EPROTO;
	if (!ctx->last || memcmp(ctx->last->cfg.key, nla_data(key),
				 ATOM_KEY_LEN)) {
		finish_peer(ctx);
		if (ctx->d->n >= ATOM_MAX_PEERS)
			return -E2BIG;
		ctx->last = kzalloc(sizeof(*ctx->last), GFP_KERNEL);
		if (!ctx->last)
			return -ENOMEM;
		memcpy(cfg.key, nla_data(key), ATOM_KEY_LEN);
		ctx->last->cfg = cfg;
		ctx->last->flags = ATOM_PEER_F_ADOPTED;
		ctx->nips = 0;
		ctx->ip_ok = false;
	}
	if (ips)
		read_ips(ctx, ips);
	return 0;
}

static int read_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct read_ctx *ctx = arg;
	const struct nlattr *a, *peer;
	struct nlattr *attrs;
	int len, rem, rem2, ret;

	attrs = genl_attrs(nlh, &len);
	if (!attrs)
		return -EPROTO;
	nla_for_each_attr(a, attrs, len, rem) {
		if (nla_type(a) == WGDEVICE_A_PUBLIC_KEY &&
		    nla_len(a) == ATOM_KEY_LEN) {
			memcpy(ctx->d->pubkey, nla_data(a), ATOM_KEY_LEN);
			ctx->d->has_pubkey = true;
		} else if (nla_type(a) == WGDEVICE_A_PEERS) {
			nla_for_each_nested(peer, a, rem2) {
				ret = read_peer(ctx, peer);
				if (ret < 0)
					return ret;
			}
		}
	}
	return 0;
}

int atom_wg_read(struct atom_nlsock *s, u16 family, struct atom_dev *d)
{
	struct read_ctx ctx = { .d = d };
	struct sk_buff *skb;
	int ret;

	skb = genl_msg(s, 64, family, WG_CMD_GET_DEVICE, WG_GENL_VERSION,
		       NLM_F_DUMP);
	if (!skb)
		return -ENOMEM;
	if (nla_put_u32(skb, WGDEVICE_A_IFINDEX, d->ifindex)) {
		kfree_skb(skb);
		return -EMSGSIZE;
	}
	ret = atom_nlsock_dump(s, skb, read_cb, &ctx);
	finish_peer(&ctx);
	return ret;
}
