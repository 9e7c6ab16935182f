/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rtnetlink for the WireGuard device: create or adopt the link, its
 * address, MTU and state, the /32 routes of mesh peers and the unreachable
 * route of the whole mesh, all tagged with atom's own rtm_protocol
 * (RTPROT_ATOM, from uapi/linux/atom.h).
 */
#ifndef ATOM_RTNL_H
#define ATOM_RTNL_H

#include <linux/atom.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nlsock.h"

/* Routes of atom's protocol a listing may return. */
#define RTNL_ROUTES_MAX 65536

int rtnl_open(struct nlsock *s);

/*
 * The WireGuard link ifname: created, or adopted when one exists (-EEXIST
 * if a link of that name is not WireGuard). *created says which.
 */
int rtnl_link_wireguard(struct nlsock *s, const char *ifname,
			uint32_t *ifindex, bool *created);
/* The index of ifname, or -ENODEV. */
int rtnl_link_index(struct nlsock *s, const char *ifname, uint32_t *ifindex);
/* MTU (0: leave it) and administrative state. */
int rtnl_link_set(struct nlsock *s, uint32_t ifindex, uint32_t mtu, bool up);
int rtnl_link_del(struct nlsock *s, uint32_t ifindex);
/* Add (or keep) addr/prefix on the link. */
int rtnl_addr_add(struct nlsock *s, uint32_t ifindex, struct in_addr addr,
		  uint8_t prefix);

/*
 * Put an RTM_NEWROUTE (exclusive) or RTM_DELROUTE request for dst/32 via
 * ifindex at buf, with sequence number seq, for nlsock_batch. Its length,
 * or -EMSGSIZE.
 */
int rtnl_put_route(void *buf, size_t cap, uint16_t type, uint32_t ifindex,
		   struct in_addr dst, uint32_t seq);
/* Add or delete one /32 route via ifindex. */
int rtnl_route(struct nlsock *s, uint16_t type, uint32_t ifindex,
	       struct in_addr dst);
/* Add (replacing an existing one) or delete the unreachable mesh route. */
int rtnl_unreachable(struct nlsock *s, bool add, struct in_addr net,
		     uint8_t prefix);
/* The destinations of atom's /32 routes via ifindex; *ret is the caller's. */
int rtnl_routes_list(struct nlsock *s, uint32_t ifindex, struct in_addr **ret,
		     size_t *ret_n);

#endif /* ATOM_RTNL_H */
