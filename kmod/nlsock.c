// SPDX-License-Identifier: GPL-2.0
/*
 * atom.ko: requests to WireGuard's family and to rtnetlink through kernel
 * netlink sockets (research/kmod-feasibility.md §3).
 *
 * Every message is sent with kernel_sendmsg() and an explicit sockaddr_nl
 * destination: netlink_sendmsg() then marks the skb NETLINK_SKB_DST, the
 * receiver checks only the capabilities of the current task (the worker),
 * and its ack comes back to this socket. netlink_unicast() into the
 * kernel's socket instead oopses or never sees an error. Acks and dump
 * chunks are produced synchronously inside the send or the receive, so
 * MSG_DONTWAIT never finds an empty queue that is still to be filled.
 */

#include <linux/net.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/sockptr.h>
#include <net/netlink.h>
#include <net/sock.h>

#include "nlsock.h"

#define NLSOCK_BUF	(64 * 1024)
#define NLSOCK_SKBUF	(16 * 1024 * 1024)

int atom_nlsock_open(struct atom_nlsock *s, struct net *net, int proto)
{
	int one = 1;
	int ret;

	memset(s, 0, sizeof(*s));
	s->buf = kvmalloc(NLSOCK_BUF, GFP_KERNEL);
	if (!s->buf)
		return -ENOMEM;
	ret = sock_create_kern(net, AF_NETLINK, SOCK_RAW, proto, &s->sock);
	if (ret < 0)
		goto err_free_buf;
	WRITE_ONCE(s->sock->sk->sk_sndbuf, NLSOCK_SKBUF);
	WRITE_ONCE(s->sock->sk->sk_rcvbuf, NLSOCK_SKBUF);
	ret = s->sock->ops->setsockopt(s->sock, SOL_NETLINK, NETLINK_EXT_ACK,
				       KERNEL_SOCKPTR(&one), sizeof(one));
	if (ret < 0)
		goto err_release;
	ret = s->sock->ops->setsockopt(s->sock, SOL_NETLINK, NETLINK_CAP_ACK,
				       KERNEL_SOCKPTR(&one), sizeof(one));
	if (ret < 0)
		goto err_release;
	return 0;

err_release:
	sock_release(s->sock);
	s->sock = NULL;
err_free_buf:
	kvfree(s->buf);
	s->buf = NULL;
	return ret;
}

void atom_nlsock_close(struct atom_nlsock *s)
{
	if (s->sock)
		sock_release(s->sock);
	s->sock = NULL;
	kvfree(s->buf);
	s->buf = NULL;
}

struct sk_buff *atom_nlsock_msg(struct atom_nlsock *s, size_t size, u16 type,
				u16 flags, struct nlmsghdr **nlh)
{
	struct sk_buff *skb;

	skb = alloc_skb(nlmsg_total_size(size), GFP_KERNEL);
	if (!skb)
		return NULL;
	*nlh = nlmsg_put(skb, 0, ++s->seq, type, 0, NLM_F_REQUEST | flags);
	if (!*nlh) {
		kfree_skb(skb);
		return NULL;
	}
	return skb;
}

static int send_skb(struct atom_nlsock *s, struct sk_buff *skb)
{
	struct sockaddr_nl dst = { .nl_family = AF_NETLINK };
	struct msghdr msg = {
		.msg_name = &dst,
		.msg_namelen = sizeof(dst),
	};
	struct kvec iov;
	int ret;

	nlmsg_hdr(skb)->nlmsg_len = skb->len;
	iov.iov_base = skb->data;
	iov.iov_len = skb->len;
	ret = kernel_sendmsg(s->sock, &msg, &iov, 1, skb->len);
	kfree_skb(skb);
	if (ret < 0)
		return ret;
	return 0;
}

static int recv_some(struct atom_nlsock *s)
{
	struct msghdr msg = {};
	struct kvec iov = { .iov_base = s->buf, .iov_len = NLSOCK_BUF };
	int ret;

	ret = kernel_recvmsg(s->sock, &msg, &iov, 1, NLSOCK_BUF, MSG_DONTWAIT);
	/* Acks and dump chunks are queued synchronously: none is a bug. */
	if (ret == -EAGAIN)
		return -EPROTO;
	if (ret >= 0 && (msg.msg_flags & MSG_TRUNC))
		return -EMSGSIZE;
	return ret;
}

static int ack_error(struct atom_nlsock *s, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *err = nlmsg_data(nlh);
	const struct nlattr *attrs, *m;
	int len;

	if (nlh->nlmsg_len < nlmsg_msg_size(sizeof(*err)))
		return -EPROTO;
	s->msg[0] = '\0';
	if (err->error && (nlh->nlmsg_flags & NLM_F_ACK_TLVS)) {
		attrs = (const void *)err + sizeof(*err);
		len = nlh->nlmsg_len - nlmsg_msg_size(sizeof(*err));
		m = nla_find(attrs, len, NLMSGERR_ATTR_MSG);
		if (m)
			nla_strscpy(s->msg, m, sizeof(s->msg));
	}
	return err->error;
}

/* Walk what one receive returned; stop at our ack or NLMSG_DONE. */
static int walk(struct atom_nlsock *s, int len, u32 seq, atom_nlsock_cb cb,
		void *arg, bool *done)
{
	const struct nlmsghdr *nlh = s->buf;
	int ret;

	for (; nlmsg_ok(nlh, len); nlh = nlmsg_next(nlh, &len)) {
		if (nlh->nlmsg_seq != seq)
			continue;
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			*done = true;
			return ack_error(s, nlh);
		}
		if (nlh->nlmsg_type == NLMSG_DONE) {
			*done = true;
			return 0;
		}
		if (cb) {
			ret = cb(nlh, arg);
			if (ret < 0)
				return ret;
		}
	}
	return 0;
}

static int exchange(struct atom_nlsock *s, struct sk_buff *skb,
		    atom_nlsock_cb cb, void *arg)
{
	u32 seq = nlmsg_hdr(skb)->nlmsg_seq;
	bool done = false;
	int ret, len;

	s->msg[0] = '\0';
	ret = send_skb(s, skb);
	if (ret < 0)
		return ret;
	while (!done) {
		len = recv_some(s);
		if (len < 0)
			return len;
		ret = walk(s, len, seq, cb, arg, &done);
		if (ret < 0) {
			/* Drain the rest, so the next request starts clean. */
			while (!done && recv_some(s) > 0)
				;
			return ret;
		}
	}
	return 0;
}

/* Send one request with NLM_F_ACK; return the ack's error. */
int atom_nlsock_request(struct atom_nlsock *s, struct sk_buff *skb)
{
	return exchange(s, skb, NULL, NULL);
}

/* Send one NLM_F_DUMP request; call cb for every message until DONE. */
int atom_nlsock_dump(struct atom_nlsock *s, struct sk_buff *skb,
		     atom_nlsock_cb cb, void *arg)
{
	return exchange(s, skb, cb, arg);
}
