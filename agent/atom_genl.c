// SPDX-License-Identifier: GPL-2.0
/*
 * The atom family from userspace (see atom_genl.h). Two sockets: requests
 * on one, the events group on the other, so that an event that arrives
 * before the reply to the request that queued its job is never lost.
 */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "atom_genl.h"

/* A full batch: ATOM_MAX_BATCH items of at most ~100 bytes each. */
#define REQ_BUF_LEN	(ATOM_MAX_BATCH * 128 + 4096)
#define SOCK_BUF_LEN	(2 * REQ_BUF_LEN)
#define RECV_BUF_LEN	(64 * 1024)
#define DUMP_RETRIES	5

struct ctx {
	struct atom_genl *g;
	mnl_cb_t data_cb;
	void *data;
	bool intr;
};

static const char * const phase_names[__ATOM_PHASE_MAX] = {
	[ATOM_PHASE_NONE] = "none",
	[ATOM_PHASE_CHECK] = "check",
	[ATOM_PHASE_GUARD] = "guard",
	[ATOM_PHASE_LOOKUP] = "lookup",
	[ATOM_PHASE_READ] = "read",
	[ATOM_PHASE_PEER_REMOVE] = "peer-remove",
	[ATOM_PHASE_ROUTE_DEL] = "route-del",
	[ATOM_PHASE_ROUTE_ADD] = "route-add",
	[ATOM_PHASE_PEER_SET] = "peer-set",
	[ATOM_PHASE_ROUTE_DEL_OLD] = "route-del-old",
};

const char *atom_genl_phase_name(uint32_t phase)
{
	if (phase < __ATOM_PHASE_MAX)
		return phase_names[phase];
	return "unknown";
}

static int ack_tlv_cb(const struct nlattr *a, void *data)
{
	struct atom_genl *g = data;

	if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
		snprintf(g->err_msg, sizeof(g->err_msg), "%s",
			 mnl_attr_get_str(a));
	return MNL_CB_OK;
}

static int error_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	struct ctx *c = data;
	unsigned int off;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*err))) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (!err->error)
		return MNL_CB_STOP;
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		off = sizeof(*err);
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			off += err->msg.nlmsg_len - sizeof(err->msg);
		mnl_attr_parse(nlh, off, ack_tlv_cb, c->g);
	}
	errno = -err->error;
	return MNL_CB_ERROR;
}

static int done_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(void)data;
	return MNL_CB_STOP;
}

static int noop_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(void)data;
	return MNL_CB_OK;
}

static int data_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ctx *c = data;

	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		c->intr = true;
	return c->data_cb ? c->data_cb(nlh, c->data) : MNL_CB_OK;
}

static mnl_cb_t ctl_cbs[NLMSG_MIN_TYPE] = {
	[NLMSG_NOOP] = noop_cb,
	[NLMSG_ERROR] = error_cb,
	[NLMSG_DONE] = done_cb,
	[NLMSG_OVERRUN] = noop_cb,
};

/* Send one request, run cb on every reply until the ack or DONE. */
static int talk(struct atom_genl *g, struct nlmsghdr *nlh, mnl_cb_t cb,
		void *data, bool *intr)
{
	struct ctx c = { .g = g, .data_cb = cb, .data = data };
	uint32_t portid = mnl_socket_get_portid(g->req);
	char rbuf[RECV_BUF_LEN];
	ssize_t len;
	int ret;

	g->err_msg[0] = '\0';
	if (mnl_socket_sendto(g->req, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		len = mnl_socket_recvfrom(g->req, rbuf, sizeof(rbuf));
		if (len < 0)
			return -errno;
		ret = mnl_cb_run2(rbuf, len, nlh->nlmsg_seq, portid, data_cb,
				  &c, ctl_cbs, NLMSG_MIN_TYPE);
		if (ret == MNL_CB_ERROR)
			return errno ? -errno : -EPROTO;
		if (ret == MNL_CB_STOP)
			break;
	}
	if (intr)
		*intr = c.intr;
	return 0;
}

static struct nlmsghdr *start(struct atom_genl *g, uint16_t type, uint8_t cmd,
			      uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(g->buf);
	struct genlmsghdr *gh;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = ++g->seq;
	gh = mnl_nlmsg_put_extra_header(nlh, sizeof(*gh));
	gh->cmd = cmd;
	gh->version = type == GENL_ID_CTRL ? 2 : ATOM_GENL_VERSION;
	return nlh;
}

static int group_cb(const struct nlattr *grp, void *data)
{
	struct atom_genl *g = data;
	const struct nlattr *a;
	const char *name = NULL;
	uint32_t id = 0;

	mnl_attr_for_each_nested(a, grp) {
		if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GRP_NAME &&
		    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			name = mnl_attr_get_str(a);
		else if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GRP_ID &&
			 mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			id = mnl_attr_get_u32(a);
	}
	if (name && !strcmp(name, ATOM_MCGRP_EVENTS))
		g->events_group = id;
	return MNL_CB_OK;
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	struct atom_genl *g = data;
	const struct nlattr *a, *grp;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID &&
		    mnl_attr_validate(a, MNL_TYPE_U16) == 0)
			g->family = mnl_attr_get_u16(a);
		if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GROUPS)
			mnl_attr_for_each_nested(grp, a)
				group_cb(grp, g);
	}
	return MNL_CB_OK;
}

static int open_sock(struct mnl_socket **ret)
{
	int one = 1, size = SOCK_BUF_LEN, fd;
	struct mnl_socket *nl;

	nl = mnl_socket_open(NETLINK_GENERIC);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one)) < 0 ||
	    mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one)) < 0) {
		int err = -errno;

		mnl_socket_close(nl);
		return err;
	}
	/* A full batch is one message: the send buffer must hold it. */
	fd = mnl_socket_get_fd(nl);
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	*ret = nl;
	return 0;
}

int atom_genl_open(struct atom_genl *g)
{
	struct nlmsghdr *nlh;
	int ret;

	memset(g, 0, sizeof(*g));
	g->seq = (uint32_t)time(NULL);
	g->buflen = REQ_BUF_LEN;
	g->buf = malloc(g->buflen);
	if (!g->buf)
		return -ENOMEM;
	ret = open_sock(&g->req);
	if (ret < 0)
		goto err;
	nlh = start(g, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, ATOM_GENL_NAME);
	ret = talk(g, nlh, family_cb, g, NULL);
	if (ret < 0)
		goto err;
	if (!g->family || !g->events_group) {
		ret = -EPROTONOSUPPORT;
		goto err;
	}
	return 0;
err:
	atom_genl_close(g);
	return ret;
}

int atom_genl_subscribe(struct atom_genl *g)
{
	int ret;

	if (g->ev)
		return 0;
	ret = open_sock(&g->ev);
	if (ret < 0)
		return ret;
	if (mnl_socket_setsockopt(g->ev, NETLINK_ADD_MEMBERSHIP,
				  &g->events_group,
				  sizeof(g->events_group)) < 0) {
		ret = -errno;
		mnl_socket_close(g->ev);
		g->ev = NULL;
		return ret;
	}
	return 0;
}

void atom_genl_close(struct atom_genl *g)
{
	if (g->req)
		mnl_socket_close(g->req);
	if (g->ev)
		mnl_socket_close(g->ev);
	free(g->buf);
	g->req = NULL;
	g->ev = NULL;
	g->buf = NULL;
}

static int job_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *a;
	uint64_t *job = data;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr))
		if (mnl_attr_get_type(a) == ATOM_A_JOB &&
		    mnl_attr_validate(a, MNL_TYPE_U64) == 0)
			*job = mnl_attr_get_u64(a);
	return MNL_CB_OK;
}

int atom_genl_bind(struct atom_genl *g, uint32_t ifindex, uint64_t *job)
{
	struct nlmsghdr *nlh = start(g, g->family, ATOM_CMD_BIND, 0);

	mnl_attr_put_u32(nlh, ATOM_A_IFINDEX, ifindex);
	*job = 0;
	return talk(g, nlh, job_cb, job, NULL);
}

static void put_item(struct nlmsghdr *nlh, const struct atom_genl_item *it)
{
	const struct sockaddr_in6 *sin6 = (const void *)&it->endpoint;
	const struct sockaddr_in *sin = (const void *)&it->endpoint;
	struct nlattr *nest = mnl_attr_nest_start(nlh, ATOM_A_ITEM);

	mnl_attr_put_u32(nlh, ATOM_ITEM_A_OP, it->op);
	mnl_attr_put(nlh, ATOM_ITEM_A_KEY, ATOM_KEY_LEN, it->key);
	if (it->op != ATOM_OP_REMOVE) {
		mnl_attr_put(nlh, ATOM_ITEM_A_ADDR, 4, &it->addr.s_addr);
		if (it->endpoint.ss_family == AF_INET) {
			mnl_attr_put(nlh, ATOM_ITEM_A_ENDPOINT4, 4,
				     &sin->sin_addr.s_addr);
			mnl_attr_put_u32(nlh, ATOM_ITEM_A_PORT,
					 ntohs(sin->sin_port));
		} else if (it->endpoint.ss_family == AF_INET6) {
			mnl_attr_put(nlh, ATOM_ITEM_A_ENDPOINT6, 16,
				     &sin6->sin6_addr);
			mnl_attr_put_u32(nlh, ATOM_ITEM_A_PORT,
					 ntohs(sin6->sin6_port));
		}
		mnl_attr_put_u32(nlh, ATOM_ITEM_A_KEEPALIVE, it->keepalive);
	}
	mnl_attr_nest_end(nlh, nest);
}

int atom_genl_batch(struct atom_genl *g, uint8_t cmd, uint32_t ifindex,
		    uint64_t index, const uint64_t *expect,
		    const struct atom_genl_item *items, size_t n,
		    uint64_t *job)
{
	struct nlmsghdr *nlh;
	size_t i;

	if (n > ATOM_MAX_BATCH)
		return -E2BIG;
	nlh = start(g, g->family, cmd, 0);
	if (ifindex)
		mnl_attr_put_u32(nlh, ATOM_A_IFINDEX, ifindex);
	mnl_attr_put_u64(nlh, ATOM_A_INDEX, index);
	if (expect)
		mnl_attr_put_u64(nlh, ATOM_A_EXPECT_INDEX, *expect);
	for (i = 0; i < n; i++)
		put_item(nlh, &items[i]);
	*job = 0;
	return talk(g, nlh, job_cb, job, NULL);
}

static int result_cb(const struct nlattr *a, void *data)
{
	struct atom_genl_result *r = data;

	switch (mnl_attr_get_type(a)) {
	case ATOM_RESULT_A_JOB:
		if (mnl_attr_validate(a, MNL_TYPE_U64) == 0)
			r->job = mnl_attr_get_u64(a);
		break;
	case ATOM_RESULT_A_CMD:
		if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			r->cmd = mnl_attr_get_u32(a);
		break;
	case ATOM_RESULT_A_INDEX:
		if (mnl_attr_validate(a, MNL_TYPE_U64) == 0)
			r->index = mnl_attr_get_u64(a);
		break;
	case ATOM_RESULT_A_ERRNO:
		if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			r->err = (int32_t)mnl_attr_get_u32(a);
		break;
	case ATOM_RESULT_A_ITEM:
		if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			r->item = mnl_attr_get_u32(a);
		break;
	case ATOM_RESULT_A_PHASE:
		if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			r->phase = mnl_attr_get_u32(a);
		break;
	case ATOM_RESULT_A_UNDO_ERRNO:
		if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			r->undo_err = (int32_t)mnl_attr_get_u32(a);
		break;
	case ATOM_RESULT_A_MSG:
		if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			snprintf(r->msg, sizeof(r->msg), "%s",
				 mnl_attr_get_str(a));
		break;
	}
	return MNL_CB_OK;
}

static void parse_result(const struct nlattr *nest, struct atom_genl_result *r)
{
	memset(r, 0, sizeof(*r));
	r->item = ATOM_ITEM_NONE;
	mnl_attr_parse_nested(nest, result_cb, r);
}

struct wait_ctx {
	uint64_t job;
	struct atom_genl_result *res;
	bool found;
};

static int event_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct genlmsghdr *gh = mnl_nlmsg_get_payload(nlh);
	struct atom_genl_result r;
	struct wait_ctx *w = data;
	const struct nlattr *a;

	if (gh->cmd != ATOM_CMD_DONE_NTF)
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, sizeof(*gh)) {
		if (mnl_attr_get_type(a) != ATOM_A_LAST)
			continue;
		parse_result(a, &r);
		if (r.job == w->job) {
			*w->res = r;
			w->found = true;
		}
	}
	return MNL_CB_OK;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int atom_genl_wait(struct atom_genl *g, uint64_t job, int timeout_ms,
		   struct atom_genl_result *res)
{
	struct wait_ctx w = { .job = job, .res = res };
	int64_t deadline = now_ms() + timeout_ms;
	char rbuf[RECV_BUF_LEN];
	struct pollfd pfd;
	ssize_t len;
	int ret;

	if (!g->ev)
		return -EINVAL;
	pfd.fd = mnl_socket_get_fd(g->ev);
	pfd.events = POLLIN;
	while (!w.found) {
		int64_t left = deadline - now_ms();

		if (left <= 0)
			return -ETIMEDOUT;
		ret = poll(&pfd, 1, (int)left);
		if (ret < 0 && errno != EINTR)
			return -errno;
		if (ret <= 0)
			continue;
		len = mnl_socket_recvfrom(g->ev, rbuf, sizeof(rbuf));
		if (len < 0)
			return -errno;
		ret = mnl_cb_run(rbuf, len, 0, 0, event_cb, &w);
		if (ret == MNL_CB_ERROR)
			return -errno;
	}
	return 0;
}

struct get_ctx {
	struct atom_genl_state *st;
	struct atom_genl_item *peers;
	size_t n, cap;
	int err;
};

static void parse_peer(const struct nlattr *nest, struct atom_genl_item *p)
{
	struct sockaddr_in6 *sin6 = (void *)&p->endpoint;
	struct sockaddr_in *sin = (void *)&p->endpoint;
	const struct nlattr *a;
	uint32_t port = 0;

	memset(p, 0, sizeof(*p));
	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case ATOM_ITEM_A_KEY:
			if (mnl_attr_get_payload_len(a) == ATOM_KEY_LEN)
				memcpy(p->key, mnl_attr_get_payload(a),
				       ATOM_KEY_LEN);
			break;
		case ATOM_ITEM_A_ADDR:
			if (mnl_attr_get_payload_len(a) == 4)
				memcpy(&p->addr, mnl_attr_get_payload(a), 4);
			break;
		case ATOM_ITEM_A_ENDPOINT4:
			if (mnl_attr_get_payload_len(a) == 4) {
				sin->sin_family = AF_INET;
				memcpy(&sin->sin_addr,
				       mnl_attr_get_payload(a), 4);
			}
			break;
		case ATOM_ITEM_A_ENDPOINT6:
			if (mnl_attr_get_payload_len(a) == 16) {
				sin6->sin6_family = AF_INET6;
				memcpy(&sin6->sin6_addr,
				       mnl_attr_get_payload(a), 16);
			}
			break;
		case ATOM_ITEM_A_PORT:
			if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
				port = mnl_attr_get_u32(a);
			break;
		case ATOM_ITEM_A_KEEPALIVE:
			if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
				p->keepalive = mnl_attr_get_u32(a);
			break;
		case ATOM_ITEM_A_FLAGS:
			if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
				p->flags = mnl_attr_get_u32(a);
			break;
		}
	}
	if (p->endpoint.ss_family == AF_INET)
		sin->sin_port = htons(port);
	else if (p->endpoint.ss_family == AF_INET6)
		sin6->sin6_port = htons(port);
}

static int u32_of(const struct nlattr *a, uint32_t *v)
{
	if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
		*v = mnl_attr_get_u32(a);
	return 0;
}

static int get_cb(const struct nlmsghdr *nlh, void *data)
{
	struct get_ctx *c = data;
	struct atom_genl_state *st = c->st;
	const struct nlattr *a;
	uint32_t bound = 0;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(a)) {
		case ATOM_A_IFINDEX:
			u32_of(a, &st->ifindex);
			break;
		case ATOM_A_IFNAME:
			if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
				snprintf(st->ifname, sizeof(st->ifname), "%s",
					 mnl_attr_get_str(a));
			break;
		case ATOM_A_BOUND:
			u32_of(a, &bound);
			st->bound = bound;
			break;
		case ATOM_A_INDEX:
			if (mnl_attr_validate(a, MNL_TYPE_U64) == 0)
				st->applied = mnl_attr_get_u64(a);
			break;
		case ATOM_A_PENDING:
			u32_of(a, &st->pending);
			break;
		case ATOM_A_PEER_COUNT:
			u32_of(a, &st->peer_count);
			break;
		case ATOM_A_DRIFT:
			u32_of(a, &st->drift);
			break;
		case ATOM_A_LAST:
			parse_result(a, &st->last);
			st->has_last = true;
			break;
		case ATOM_A_PEER:
			if (c->n == c->cap) {
				size_t cap = c->cap ? 2 * c->cap : 64;
				void *np = realloc(c->peers,
						   cap * sizeof(*c->peers));

				if (!np) {
					c->err = -ENOMEM;
					return MNL_CB_OK;
				}
				c->peers = np;
				c->cap = cap;
			}
			parse_peer(a, &c->peers[c->n++]);
			break;
		}
	}
	return MNL_CB_OK;
}

int atom_genl_get(struct atom_genl *g, struct atom_genl_state *st)
{
	struct get_ctx c = { .st = st };
	struct nlmsghdr *nlh = start(g, g->family, ATOM_CMD_GET, 0);

	memset(st, 0, sizeof(*st));
	return talk(g, nlh, get_cb, &c, NULL);
}

int atom_genl_dump(struct atom_genl *g, struct atom_genl_state *st,
		   struct atom_genl_item **peers, size_t *n)
{
	struct get_ctx c;
	struct nlmsghdr *nlh;
	int tries, ret = -EAGAIN;
	bool intr;

	for (tries = 0; tries < DUMP_RETRIES; tries++) {
		memset(st, 0, sizeof(*st));
		memset(&c, 0, sizeof(c));
		c.st = st;
		nlh = start(g, g->family, ATOM_CMD_GET, NLM_F_DUMP);
		ret = talk(g, nlh, get_cb, &c, &intr);
		if (!ret && c.err)
			ret = c.err;
		if (!ret && !intr) {
			*peers = c.peers;
			*n = c.n;
			return 0;
		}
		free(c.peers);
		if (ret < 0)
			return ret;
		ret = -EAGAIN;	/* interrupted by a change: redo it */
	}
	return ret;
}
