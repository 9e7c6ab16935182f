/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ATOM_NLSOCK_H
#define _ATOM_NLSOCK_H

#include <linux/netlink.h>
#include <linux/skbuff.h>

struct net;
struct socket;

/*
 * A kernel netlink socket in one namespace, used only by the worker. It
 * holds no reference on the namespace: the job that opens it does.
 */
struct atom_nlsock {
	struct socket *sock;
	u32 seq;
	void *buf;
	char msg[128];		/* extack text of the last failed ack */
};

typedef int (*atom_nlsock_cb)(const struct nlmsghdr *nlh, void *arg);

int atom_nlsock_open(struct atom_nlsock *s, struct net *net, int proto);
void atom_nlsock_close(struct atom_nlsock *s);
struct sk_buff *atom_nlsock_msg(struct atom_nlsock *s, size_t size, u16 type,
				u16 flags, struct nlmsghdr **nlh);
int atom_nlsock_request(struct atom_nlsock *s, struct sk_buff *skb);
int atom_nlsock_dump(struct atom_nlsock *s, struct sk_buff *skb,
		     atom_nlsock_cb cb, void *arg);

#endif /* _ATOM_NLSOCK_H */
