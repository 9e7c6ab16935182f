// SPDX-License-Identifier: GPL-2.0
/*
 * libmnl with the extack habits of iproute2's lib/mnl_utils.c: ask for
 * extended and capped acks, keep the kernel's message, check that each
 * reply answers our own request.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "nlsock.h"

#define RCVBUF_BYTES (1024 * 1024)

int nlsock_open(struct nlsock *s, int bus)
{
	int one = 1, rcvbuf = RCVBUF_BYTES;

	memset(s, 0, sizeof(*s));
	s->nl = mnl_socket_open(bus);
	if (!s->nl)
		return -errno;
	if (mnl_socket_setsockopt(s->nl, NETLINK_EXT_ACK, &one, sizeof(one)) ||
	    mnl_socket_setsockopt(s->nl, NETLINK_CAP_ACK, &one, sizeof(one)) ||
	    mnl_socket_bind(s->nl, 0, MNL_SOCKET_AUTOPID)) {
		int err = -errno;

		mnl_socket_close(s->nl);
		s->nl = NULL;
		return err;
	}
	/* Best effort: the batch size keeps acks within the default. */
	setsockopt(mnl_socket_get_fd(s->nl), SOL_SOCKET, SO_RCVBUF, &rcvbuf,
		   sizeof(rcvbuf));
	s->portid = mnl_socket_get_portid(s->nl);
	s->seq = (uint32_t)time(NULL);
	return 0;
}

void nlsock_close(struct nlsock *s)
{
	if (s->nl)
		mnl_socket_close(s->nl);
	s->nl = NULL;
}

/* The error and extack message of an NLMSG_ERROR or NLMSG_DONE. */
static int parse_error(struct nlsock *s, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	size_t off = sizeof(*e);
	const struct nlattr *attr;
	int error;

	if (nlh->nlmsg_type == NLMSG_DONE) {
		if (mnl_nlmsg_get_payload_len(nlh) < sizeof(int))
			return 0;
		error = *(const int *)mnl_nlmsg_get_payload(nlh);
		off = sizeof(int);
	} else {
		if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e))
			return -EBADMSG;
		error = e->error;
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	}
	if (error && !s->err[0])
		snprintf(s->err, sizeof(s->err), "%s", strerror(-error));
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) ||
	    off > mnl_nlmsg_get_payload_len(nlh))
		return error;
	mnl_attr_for_each_payload((const void *)((const char *)
						 mnl_nlmsg_get_payload(nlh) + off),
				  mnl_nlmsg_get_payload_len(nlh) - off) {
		if (mnl_attr_get_type(attr) != NLMSGERR_ATTR_MSG ||
		    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
			continue;
		if (error)
			snprintf(s->err, sizeof(s->err), "%s",
				 mnl_attr_get_str(attr));
	}
	return error;
}

static ssize_t recv_some(struct nlsock *s, char *buf, size_t len)
{
	ssize_t n;

	do {
		n = mnl_socket_recvfrom(s->nl, buf, len);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n;
}

int nlsock_talk(struct nlsock *s, struct nlmsghdr *req, mnl_cb_t cb,
		void *data)
{
	static char buf[NLSOCK_DUMP_BUF];
	bool intr = false;
	int ret = 0;

	s->err[0] = '\0';
	req->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	req->nlmsg_seq = ++s->seq;
	req->nlmsg_pid = 0;
	if (mnl_socket_sendto(s->nl, req, req->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		ssize_t n = recv_some(s, buf, sizeof(buf));
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
		int left;

		if (n < 0)
			return (int)n;
		left = (int)n;
		for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
			if (nlh->nlmsg_seq != req->nlmsg_seq ||
			    nlh->nlmsg_pid != s->portid)
				continue;	/* a stale reply */
			if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
				intr = true;
			if (nlh->nlmsg_type == NLMSG_ERROR ||
			    nlh->nlmsg_type == NLMSG_DONE) {
				ret = parse_error(s, nlh);
				if (!ret && intr)
					ret = -EINTR;
				explicit_bzero(buf, (size_t)n);
				return ret;
			}
			if (nlh->nlmsg_type < NLMSG_MIN_TYPE)
				continue;
			if (cb && !ret && cb(nlh, data) < MNL_CB_OK)
				ret = errno ? -errno : -EINVAL;
		}
		/* A device dump holds its private key. */
		explicit_bzero(buf, (size_t)n);
	}
}

int nlsock_batch(struct nlsock *s, const void *buf, size_t len,
		 uint32_t first_seq, unsigned int count, int *res)
{
	static char rbuf[NLSOCK_BUF];
	unsigned int got = 0, i;

	s->err[0] = '\0';
	for (i = 0; i < count; i++)
		res[i] = 1;	/* no ack yet */
	if (mnl_socket_sendto(s->nl, buf, len) < 0)
		return -errno;
	while (got < count) {
		ssize_t n = recv_some(s, rbuf, sizeof(rbuf));
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)rbuf;
		int left;

		if (n < 0)
			return (int)n;
		left = (int)n;
		for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
			uint32_t k = nlh->nlmsg_seq - first_seq;
			char keep[NLSOCK_ERR_LEN];

			if (nlh->nlmsg_type != NLMSG_ERROR ||
			    nlh->nlmsg_pid != s->portid || k >= count ||
			    res[k] != 1)
				continue;
			/* Keep the first failure's text. */
			memcpy(keep, s->err, sizeof(keep));
			s->err[0] = '\0';
			res[k] = parse_error(s, nlh);
			if (keep[0])
				memcpy(s->err, keep, sizeof(keep));
			got++;
		}
	}
	return 0;
}
