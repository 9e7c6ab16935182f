// SPDX-License-Identifier: GPL-2.0
/*
 * The joiner's side of the join port (see join_cli.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "join/evicted.h"
#include "join_cli.h"
#include "join_io.h"

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

/* One exchange: a join, or a probe. */
struct exch {
	struct loop *loop;
	struct join_io io;
	struct loop_watch watch;
	struct loop_timer deadline, kick;
	int kick_err;
	bool probe;
	/* join */
	struct join_joiner j;
	join_cli_done_fn done;
	/* probe */
	uint8_t priv[JOIN_WG_KEY_LEN], nonce[JOIN_NONCE_LEN];
	uint8_t *keys;
	size_t n_keys;
	join_probe_done_fn probe_done;
	void *arg;
};

struct join_cli {
	struct exch x;
};

struct join_cli_probe {
	struct exch x;
};

static void exch_free(struct exch *x)
{
	loop_watch_del(&x->watch);
	loop_timer_cancel(&x->deadline);
	loop_timer_cancel(&x->kick);
	join_io_release(&x->io);
	join_joiner_release(&x->j);
	sodium_memzero(x->priv, sizeof(x->priv));
	free(x->keys);
	free(x);
}

/* The end of an exchange: err for a join, result for a probe. */
static void finish(struct exch *x, int err, struct join_outcome *o)
{
	void *arg = x->arg;

	if (x->probe) {
		join_probe_done_fn done = x->probe_done;

		exch_free(x);
		done(arg, err);
	} else {
		join_cli_done_fn done = x->done;

		exch_free(x);
		done(arg, err, o);
	}
}

static void on_deadline(struct loop_timer *t)
{
	finish(container_of(t, struct exch, deadline), -ETIMEDOUT, NULL);
}

static void on_kick(struct loop_timer *t)
{
	struct exch *x = container_of(t, struct exch, kick);

	finish(x, x->kick_err, NULL);
}

static void on_message(struct exch *x)
{
	static uint8_t out[JOIN_REQUEST_MAX];
	struct join_outcome o = { 0 };
	size_t len = 0;
	int ret;

	if (x->probe) {
		ret = join_evicted_verify(x->priv, x->nonce, x->keys, x->n_keys,
					  x->io.in, x->io.in_len);
		finish(x, ret ? ret : 1, NULL);
		return;
	}
	ret = join_joiner_step(&x->j, x->io.in, x->io.in_len, out, sizeof(out),
			       &len, &o);
	if (ret == JOIN_DONE) {
		finish(x, 0, &o);
		return;
	}
	if (ret < 0) {
		finish(x, ret, NULL);
		return;
	}
	join_io_consumed(&x->io);
	ret = join_io_queue(&x->io, out, len);
	if (!ret)
		ret = join_io_flush(&x->io);
	if (ret < 0) {
		finish(x, ret, NULL);
		return;
	}
	loop_watch_set(&x->watch, ret ? EPOLLIN : EPOLLIN | EPOLLOUT);
}

static void on_event(struct loop_watch *w, uint32_t events)
{
	struct exch *x = container_of(w, struct exch, watch);
	socklen_t len = sizeof(int);
	int err = 0, ret;

	if (events & (EPOLLOUT | EPOLLERR)) {
		if (getsockopt(x->io.fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err) {
			finish(x, -err, NULL);
			return;
		}
		ret = join_io_flush(&x->io);
		if (ret < 0) {
			finish(x, ret, NULL);
			return;
		}
		loop_watch_set(&x->watch, ret ? EPOLLIN : EPOLLIN | EPOLLOUT);
	}
	if (!(events & (EPOLLIN | EPOLLHUP)))
		return;
	ret = join_io_read(&x->io, JOIN_MSG_MAX);
	if (ret == 0)
		return;
	if (ret < 0) {
		/* a member with nothing to say closes: "not evicted" */
		finish(x, x->probe && ret == -ECONNRESET ? 0 : ret, NULL);
		return;
	}
	on_message(x);
}

static int exch_start(struct exch *x, struct loop *loop,
		      const struct sockaddr *addr, socklen_t addrlen,
		      const uint8_t *first, size_t first_len,
		      uint32_t timeout_ms)
{
	int fd, err;

	x->loop = loop;
	loop_timer_init(&x->deadline, loop, on_deadline);
	loop_timer_init(&x->kick, loop, on_kick);
	fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	join_io_init(&x->io, fd);
	loop_watch_init(&x->watch, loop, fd, on_event);
	err = join_io_queue(&x->io, first, first_len);
	if (!err)
		err = loop_timer_arm(&x->deadline, timeout_ms);
	if (err)
		return err;
	if (connect(fd, addr, addrlen) < 0 && errno != EINPROGRESS) {
		x->kick_err = -errno;	/* reported from the loop */
		return loop_timer_arm(&x->kick, 0);
	}
	return loop_watch_set(&x->watch, EPOLLOUT | EPOLLIN);
}

int join_cli_start(struct loop *loop, const struct sockaddr *addr,
		   socklen_t addrlen, const struct join_token *t,
		   const struct join_request *req, uint32_t timeout_ms,
		   join_cli_done_fn done, void *arg, struct join_cli **ret)
{
	struct join_cli *c = calloc(1, sizeof(*c));
	uint8_t hello[JOIN_HELLO_LEN];
	size_t len;
	int err;

	if (!c)
		return -ENOMEM;
	c->x.io.fd = -1;
	c->x.done = done;
	c->x.arg = arg;
	err = join_joiner_init(&c->x.j, t, req, hello, sizeof(hello), &len);
	if (!err)
		err = exch_start(&c->x, loop, addr, addrlen, hello, len, timeout_ms);
	if (err) {
		exch_free(&c->x);
		return err;
	}
	*ret = c;
	return 0;
}

void join_cli_cancel(struct join_cli *c)
{
	if (c)
		exch_free(&c->x);
}

int join_cli_probe_start(struct loop *loop, const struct sockaddr *addr,
			 socklen_t addrlen, const uint8_t *node_priv,
			 const uint8_t *node_pub, const uint8_t *member_keys,
			 size_t n_members, uint32_t timeout_ms,
			 join_probe_done_fn done, void *arg,
			 struct join_cli_probe **ret)
{
	struct join_cli_probe *p = calloc(1, sizeof(*p));
	uint8_t probe[JOIN_PROBE_LEN];
	int err;

	if (!p)
		return -ENOMEM;
	p->x.io.fd = -1;
	p->x.probe = true;
	p->x.probe_done = done;
	p->x.arg = arg;
	memcpy(p->x.priv, node_priv, JOIN_WG_KEY_LEN);
	p->x.keys = malloc(n_members * JOIN_WG_KEY_LEN ?: 1);
	if (!p->x.keys) {
		exch_free(&p->x);
		return -ENOMEM;
	}
	if (n_members)
		memcpy(p->x.keys, member_keys, n_members * JOIN_WG_KEY_LEN);
	p->x.n_keys = n_members;
	join_probe_encode(node_pub, p->x.nonce, probe);
	err = exch_start(&p->x, loop, addr, addrlen, probe, sizeof(probe),
			 timeout_ms);
	if (err) {
		exch_free(&p->x);
		return err;
	}
	*ret = p;
	return 0;
}

void join_cli_probe_cancel(struct join_cli_probe *p)
{
	if (p)
		exch_free(&p->x);
}

int join_resolve(const char *hostport, struct sockaddr_storage *ret,
		 socklen_t *ret_len)
{
	struct addrinfo hints = {
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_NUMERICSERV,
	}, *res;
	char host[256];
	const char *colon = strrchr(hostport, ':'), *h = hostport;
	size_t hlen;

	if (!colon || !colon[1])
		return -EINVAL;
	hlen = (size_t)(colon - hostport);
	if (hlen >= 2 && h[0] == '[' && h[hlen - 1] == ']') {
		h++;
		hlen -= 2;
	}
	if (!hlen || hlen >= sizeof(host))
		return -EINVAL;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	if (getaddrinfo(host, colon + 1, &hints, &res))
		return -EINVAL;
	if (res->ai_addrlen > sizeof(*ret)) {
		freeaddrinfo(res);
		return -EINVAL;
	}
	memcpy(ret, res->ai_addr, res->ai_addrlen);
	*ret_len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}
