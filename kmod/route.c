// SPDX-License-Identifier: GPL-2.0
/*
 * atom.ko: the /32 route of each peer, through rtnetlink, with atom's own
 * rtm_protocol so that no other route manager mistakes it for its own and
 * a delete never matches someone else's route.
 */

#include <linux/rtnetlink.h>
#include <net/netlink.h>

#include "route.h"

int atom_route(struct atom_nlsock *s, int ifindex, __be32 addr, bool add)
{
	struct nlmsghdr *nlh;
	struct sk_buff *skb;
	struct rtmsg *rtm;
	u16 flags = NLM_F_ACK;

	if (add)
		flags |= NLM_F_CREATE | NLM_F_EXCL;
	skb = atom_nlsock_msg(s, sizeof(*rtm) + 64,
			      add ? RTM_NEWROUTE : RTM_DELROUTE, flags, &nlh);
	if (!skb)
		return -ENOMEM;
	rtm = skb_put_zero(skb, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = 32;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_ATOM;
	/* On delete, RT_SCOPE_NOWHERE matches any scope. */
	rtm->rtm_scope = add ? RT_SCOPE_LINK : RT_SCOPE_NOWHERE;
	rtm->rtm_type = RTN_UNICAST;
	if (nla_put_in_addr(skb, RTA_DST, addr) ||
	    nla_put_u32(skb, RTA_OIF, ifindex)) {
		kfree_skb(skb);
		return -EMSGSIZE;
	}
	return atom_nlsock_request(s, skb);
}

/* At bind: which adopted peers already have atom's route. */
static int read_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct rtmsg *rtm = nlmsg_data(nlh);
	const struct nlattr *a, *dst = NULL;
	struct atom_dev *d = arg;
	struct atom_peer *p;
	int rem, oif = 0;

	if (nlh->nlmsg_type != RTM_NEWROUTE ||
	    nlmsg_len(nlh) < (int)sizeof(*rtm))
		return 0;
	if (rtm->rtm_family != AF_INET || rtm->rtm_dst_len != 32 ||
	    rtm->rtm_protocol != RTPROT_ATOM || rtm->rtm_table != RT_TABLE_MAIN)
		return 0;
	nlmsg_for_each_attr(a, nlh, sizeof(*rtm), rem) {
		if (nla_type(a) == RTA_DST && nla_len(a) == 4)
			dst = a;
		else if (nla_type(a) == RTA_OIF && nla_len(a) == 4)
			oif = nla_get_u32(a);
	}
	if (!dst || oif != d->ifindex)
		return 0;
	p = atom_dev_find_addr(d, nla_get_in_addr(dst));
	if (p)
		p->flags |= ATOM_PEER_F_ROUTE;
	else
		d->drift++;	/* atom's route, no peer: left alone */
	return 0;
}

int atom_route_read(struct atom_nlsock *s, struct atom_dev *d)
{
	struct nlmsghdr *nlh;
	struct sk_buff *skb;
	struct rtmsg *rtm;

	skb = atom_nlsock_msg(s, sizeof(*rtm), RTM_GETROUTE, NLM_F_DUMP, &nlh);
	if (!skb)
		return -ENOMEM;
	rtm = skb_put_zero(skb, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	return atom_nlsock_dump(s, skb, read_cb, d);
}
