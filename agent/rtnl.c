// SPDX-License-Identifier: GPL-2.0
/*
 * rtnetlink requests, one job each, built with libmnl and always acked.
 */
#include <errno.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rtnl.h"

int rtnl_open(struct nlsock *s)
{
	return nlsock_open(s, NETLINK_ROUTE);
}

static struct nlmsghdr *put_link(void *buf, uint16_t type, uint16_t flags,
				 uint32_t ifindex)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)ifindex;
	return nlh;
}

struct link_info {
	uint32_t ifindex;
	bool wireguard;
};

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	struct link_info *li = data;
	const struct nlattr *a, *b;

	li->ifindex = (uint32_t)ifi->ifi_index;
	mnl_attr_for_each(a, nlh, sizeof(*ifi)) {
		if (mnl_attr_get_type(a) != IFLA_LINKINFO)
			continue;
		mnl_attr_for_each_nested(b, a)
			if (mnl_attr_get_type(b) == IFLA_INFO_KIND &&
			    !mnl_attr_validate(b, MNL_TYPE_STRING) &&
			    !strncmp(mnl_attr_get_str(b), "wireguard",
				     mnl_attr_get_payload_len(b)))
				li->wireguard = true;
	}
	return MNL_CB_OK;
}

static int get_link(struct nlsock *s, const char *ifname,
		    struct link_info *li)
{
	char buf[NLSOCK_BUF];
	struct nlmsghdr *nlh = put_link(buf, RTM_GETLINK, 0, 0);

	memset(li, 0, sizeof(*li));
	mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname);
	return nlsock_talk(s, nlh, link_cb, li);
}

int rtnl_link_index(struct nlsock *s, const char *ifname, uint32_t *ifindex)
{
	struct link_info li;
	int ret = get_link(s, ifname, &li);

	if (ret)
		return ret;
	*ifindex = li.ifindex;
	return 0;
}

int rtnl_link_wireguard(struct nlsock *s, const char *ifname,
			uint32_t *ifindex, bool *created)
{
	char buf[NLSOCK_BUF];
	struct nlmsghdr *nlh;
	struct nlattr *info;
	struct link_info li;
	int ret;

	if (strlen(ifname) >= IFNAMSIZ)
		return -EINVAL;
	nlh = put_link(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "wireguard");
	mnl_attr_nest_end(nlh, info);
	ret = nlsock_talk(s, nlh, NULL, NULL);
	*created = !ret;
	if (ret && ret != -EEXIST)
		return ret;
	ret = get_link(s, ifname, &li);
	if (ret)
		return ret;
	if (!li.wireguard) {
		snprintf(s->err, sizeof(s->err),
			 "%s exists and is not a WireGuard device", ifname);
		return -EEXIST;
	}
	*ifindex = li.ifindex;
	return 0;
}

int rtnl_link_set(struct nlsock *s, uint32_t ifindex, uint32_t mtu, bool up)
{
	char buf[NLSOCK_BUF];
	struct nlmsghdr *nlh = put_link(buf, RTM_NEWLINK, 0, ifindex);
	struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);

	ifi->ifi_change = IFF_UP;
	ifi->ifi_flags = up ? IFF_UP : 0;
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	return nlsock_talk(s, nlh, NULL, NULL);
}

int rtnl_link_del(struct nlsock *s, uint32_t ifindex)
{
	char buf[NLSOCK_BUF];

	return nlsock_talk(s, put_link(buf, RTM_DELLINK, 0, ifindex), NULL,
			   NULL);
}

int rtnl_addr_add(struct nlsock *s, uint32_t ifindex, struct in_addr addr,
		  uint8_t prefix)
{
	char buf[NLSOCK_BUF];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifaddrmsg *ifa;

	nlh->nlmsg_type = RTM_NEWADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = prefix;
	ifa->ifa_index = ifindex;
	mnl_attr_put(nlh, IFA_LOCAL, sizeof(addr), &addr);
	mnl_attr_put(nlh, IFA_ADDRESS, sizeof(addr), &addr);
	return nlsock_talk(s, nlh, NULL, NULL);
}

static struct nlmsghdr *put_route(void *buf, uint16_t type, uint16_t flags,
				  struct in_addr dst, uint8_t len)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = len;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_ATOM;
	rtm->rtm_scope = RT_SCOPE_LINK;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put(nlh, RTA_DST, sizeof(dst), &dst);
	return nlh;
}

int rtnl_put_route(void *buf, size_t cap, uint16_t type, uint32_t ifindex,
		   struct in_addr dst, uint32_t seq)
{
	uint16_t flags = NLM_F_ACK;
	struct nlmsghdr *nlh;

	if (cap < NLSOCK_BUF / 64)
		return -EMSGSIZE;
	if (type == RTM_NEWROUTE)
		flags |= NLM_F_CREATE | NLM_F_EXCL;
	nlh = put_route(buf, type, flags, dst, 32);
	mnl_attr_put_u32(nlh, RTA_OIF, ifindex);
	nlh->nlmsg_seq = seq;
	return (int)nlh->nlmsg_len;
}

int rtnl_route(struct nlsock *s, uint16_t type, uint32_t ifindex,
	       struct in_addr dst)
{
	char buf[NLSOCK_BUF];
	int len = rtnl_put_route(buf, sizeof(buf), type, ifindex, dst, 0);

	if (len < 0)
		return len;
	return nlsock_talk(s, (struct nlmsghdr *)buf, NULL, NULL);
}

int rtnl_unreachable(struct nlsock *s, bool add, struct in_addr net,
		     uint8_t prefix)
{
	char buf[NLSOCK_BUF];
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;

	nlh = put_route(buf, add ? RTM_NEWROUTE : RTM_DELROUTE,
			add ? NLM_F_CREATE | NLM_F_REPLACE : 0, net, prefix);
	rtm = mnl_nlmsg_get_payload(nlh);
	rtm->rtm_type = RTN_UNREACHABLE;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	return nlsock_talk(s, nlh, NULL, NULL);
}

struct list_ctx {
	uint32_t ifindex;
	struct in_addr *dst;
	size_t n, cap;
	int err;
};

static int route_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	struct list_ctx *c = data;
	struct in_addr dst = { 0 };
	const struct nlattr *a;
	uint32_t oif = 0;

	if (rtm->rtm_family != AF_INET || rtm->rtm_protocol != RTPROT_ATOM ||
	    rtm->rtm_dst_len != 32 || rtm->rtm_type != RTN_UNICAST)
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, sizeof(*rtm)) {
		if (mnl_attr_get_type(a) == RTA_DST &&
		    mnl_attr_get_payload_len(a) == sizeof(dst))
			memcpy(&dst, mnl_attr_get_payload(a), sizeof(dst));
		if (mnl_attr_get_type(a) == RTA_OIF &&
		    !mnl_attr_validate(a, MNL_TYPE_U32))
			oif = mnl_attr_get_u32(a);
	}
	if (oif != c->ifindex)
		return MNL_CB_OK;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct in_addr *nd;

		if (cap > RTNL_ROUTES_MAX) {
			c->err = -E2BIG;
			return MNL_CB_OK;
		}
		nd = realloc(c->dst, cap * sizeof(*nd));
		if (!nd) {
			c->err = -ENOMEM;
			return MNL_CB_OK;
		}
		c->dst = nd;
		c->cap = cap;
	}
	c->dst[c->n++] = dst;
	return MNL_CB_OK;
}

int rtnl_routes_list(struct nlsock *s, uint32_t ifindex, struct in_addr **ret,
		     size_t *ret_n)
{
	char buf[NLSOCK_BUF];
	int tries, err = -EINTR;
	struct list_ctx c;

	for (tries = 0; tries < 8 && err == -EINTR; tries++) {
		struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
		struct rtmsg *rtm;

		memset(&c, 0, sizeof(c));
		c.ifindex = ifindex;
		nlh->nlmsg_type = RTM_GETROUTE;
		nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
		rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
		rtm->rtm_family = AF_INET;
		err = nlsock_talk(s, nlh, route_cb, &c);
		if (!err)
			err = c.err;
		if (err)
			free(c.dst);
	}
	if (err)
		return err;
	*ret = c.dst;
	*ret_n = c.n;
	return 0;
}
