// SPDX-License-Identifier: GPL-2.0
/*
 * Asynchronous RPC calls: one connection per call, which is all that
 * forwarding needs (mutating commands are rare).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "frame.h"
#include "rpc.h"
#include "rpc_client.h"
#include "util/tlv.h"

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

struct rpc_pending {
	struct loop *loop;
	int fd;
	struct loop_watch watch;
	struct loop_timer deadline;
	struct loop_timer kick;	/* reports an immediate failure later */
	int kick_err;
	rpc_done_fn done;
	void *arg;
	uint8_t *out;
	size_t out_len, out_off;
	uint8_t hdr[FRAME_HEADER_LEN];
	size_t hdr_got;
	uint8_t *in;
	size_t in_len, in_got;
};

static void pending_free(struct rpc_pending *p)
{
	loop_watch_del(&p->watch);
	loop_timer_cancel(&p->deadline);
	loop_timer_cancel(&p->kick);
	if (p->fd >= 0)
		close(p->fd);
	free(p->out);
	free(p->in);
	free(p);
}

static void finish(struct rpc_pending *p, int err)
{
	rpc_done_fn done = p->done;
	void *arg = p->arg;
	uint8_t *in = p->in;
	size_t len = p->in_len;

	p->in = NULL;
	pending_free(p);
	done(arg, err, err ? NULL : in, err ? 0 : len);
	free(in);
}

static void on_deadline(struct loop_timer *t)
{
	finish(container_of(t, struct rpc_pending, deadline), -ETIMEDOUT);
}

static void on_kick(struct loop_timer *t)
{
	struct rpc_pending *p = container_of(t, struct rpc_pending, kick);

	finish(p, p->kick_err);
}

static int do_write(struct rpc_pending *p)
{
	while (p->out_off < p->out_len) {
		ssize_t n = send(p->fd, p->out + p->out_off,
				 p->out_len - p->out_off, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return loop_watch_set(&p->watch,
						      EPOLLIN | EPOLLOUT);
			return -errno;
		}
		p->out_off += (size_t)n;
	}
	return loop_watch_set(&p->watch, EPOLLIN);
}

/* 1 when the whole reply is in, 0 for more, or a negative errno. */
static int do_read(struct rpc_pending *p)
{
	struct frame_header h;
	ssize_t n;
	int ret;

	while (p->hdr_got < FRAME_HEADER_LEN) {
		n = read(p->fd, p->hdr + p->hdr_got,
			 FRAME_HEADER_LEN - p->hdr_got);
		if (n == 0)
			return -ECONNRESET;
		if (n < 0)
			return errno == EAGAIN ? 0 : -errno;
		p->hdr_got += (size_t)n;
		if (p->hdr_got < FRAME_HEADER_LEN)
			continue;
		ret = frame_header_decode(p->hdr, RPC_MAX_MSG, &h);
		if (ret < 0 || h.type != FRAME_RPC)
			return -EPROTO;
		p->in_len = h.payload_len;
		p->in = malloc(p->in_len ? p->in_len : 1);
		if (!p->in)
			return -ENOMEM;
	}
	while (p->in_got < p->in_len) {
		n = read(p->fd, p->in + p->in_got, p->in_len - p->in_got);
		if (n == 0)
			return -ECONNRESET;
		if (n < 0)
			return errno == EAGAIN ? 0 : -errno;
		p->in_got += (size_t)n;
	}
	return 1;
}

static void on_event(struct loop_watch *w, uint32_t events)
{
	struct rpc_pending *p = container_of(w, struct rpc_pending, watch);
	int err = 0, ret;
	socklen_t len = sizeof(err);

	if (events & EPOLLOUT) {
		if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err) {
			finish(p, -err);
			return;
		}
		ret = do_write(p);
		if (ret < 0) {
			finish(p, ret);
			return;
		}
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		ret = do_read(p);
		if (ret == 0 && (events & (EPOLLHUP | EPOLLERR)))
			ret = -ECONNRESET;
		if (ret != 0)
			finish(p, ret < 0 ? ret : 0);
	}
}

static int build_request(struct rpc_pending *p, uint64_t id, uint32_t op,
			 const uint8_t *attrs, size_t len)
{
	struct tlv_writer w;
	int ret;

	tlv_writer_init(&w, RPC_MAX_MSG);
	tlv_put_u64(&w, RPC_A_ID, id);
	tlv_put_u32(&w, RPC_A_OP, op);
	tlv_put_raw(&w, attrs, len);
	ret = tlv_writer_error(&w);
	if (!ret) {
		p->out = malloc(FRAME_HEADER_LEN + w.len);
		if (!p->out)
			ret = -ENOMEM;
	}
	if (!ret)
		ret = frame_header_encode(p->out, FRAME_RPC, w.len);
	if (!ret) {
		memcpy(p->out + FRAME_HEADER_LEN, w.buf, w.len);
		p->out_len = FRAME_HEADER_LEN + w.len;
	}
	tlv_writer_release(&w);
	return ret;
}

int rpc_call(struct loop *loop, const struct rpc_target *target,
	     uint64_t id, uint32_t op, const uint8_t *attrs, size_t len,
	     uint32_t timeout_ms, rpc_done_fn done, void *arg,
	     struct rpc_pending **ret)
{
	struct rpc_pending *p;
	int err;

	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->loop = loop;
	p->done = done;
	p->arg = arg;
	p->fd = -1;
	loop_timer_init(&p->deadline, loop, on_deadline);
	loop_timer_init(&p->kick, loop, on_kick);
	err = build_request(p, id, op, attrs, len);
	if (err < 0)
		goto err_free;
	p->fd = socket(target->addr->sa_family,
		       SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->fd < 0) {
		err = -errno;
		goto err_free;
	}
	loop_watch_init(&p->watch, loop, p->fd, on_event);
	err = loop_timer_arm(&p->deadline, timeout_ms);
	if (err < 0)
		goto err_free;
	if ((target->bind_device &&
	     setsockopt(p->fd, SOL_SOCKET, SO_BINDTODEVICE,
			target->bind_device,
			(socklen_t)strlen(target->bind_device)) < 0) ||
	    (target->src && bind(p->fd, target->src, target->srclen) < 0) ||
	    (connect(p->fd, target->addr, target->addrlen) < 0 &&
	     errno != EINPROGRESS)) {
		/* Report from the loop, never from inside rpc_call. */
		p->kick_err = -errno;
		err = loop_timer_arm(&p->kick, 0);
		if (err < 0)
			goto err_free;
	} else {
		err = loop_watch_set(&p->watch, EPOLLOUT | EPOLLIN);
		if (err < 0)
			goto err_free;
	}
	*ret = p;
	return 0;

err_free:
	pending_free(p);
	return err;
}

void rpc_cancel(struct rpc_pending *p)
{
	if (p)
		pending_free(p);
}
