// SPDX-License-Identifier: GPL-2.0
/*
 * The join port's server (see join_srv.h).
 *
 * A connection is freed from a zero timer, never inside an event or an
 * answer, so a callback may answer (and so end) the exchange it is called
 * for without pulling the connection from under its caller.
 */
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "join/evicted.h"
#include "join_io.h"
#include "join_srv.h"
#include "log.h"

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

#define DEFAULT_MAX_CONNS	64
#define DEFAULT_DEADLINE_MS	10000
/* The largest message a joiner sends. */
#define JOINER_MSG_MAX		JOIN_REQUEST_MAX

enum conn_state {
	CONN_HANDSHAKE,		/* reading HELLO/PROBE, then REQUEST */
	CONN_DECIDING,		/* the owner holds the request */
	CONN_ANSWERING,		/* writing the last message, then close */
	CONN_DEAD,		/* waiting for the reaper */
};

struct join_srv_conn {
	struct join_srv_conn *next;
	struct join_srv *srv;
	struct join_io io;
	struct loop_watch watch;
	struct loop_timer deadline, reap;
	enum conn_state state;
	bool first;
	struct join_member m;
	struct sockaddr_storage peer;
	socklen_t peerlen;
	void *owner;
};

struct join_srv {
	struct loop *loop;
	int fd;
	struct loop_watch watch;
	struct join_srv_ops ops;
	void *ctx;
	unsigned int max_conns, n_conns;
	uint32_t deadline_ms;
	uint8_t member_priv[JOIN_WG_KEY_LEN];
	struct join_srv_conn *conns;
};

static void conn_reap(struct loop_timer *t)
{
	struct join_srv_conn *c = container_of(t, struct join_srv_conn, reap);
	struct join_srv_conn **pp;

	for (pp = &c->srv->conns; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	c->srv->n_conns--;
	free(c);
}

/* End the connection; the struct goes at the next loop turn. */
static void conn_end(struct join_srv_conn *c, bool cancel)
{
	if (c->state == CONN_DEAD)
		return;
	if (c->state == CONN_DECIDING && cancel && c->srv->ops.cancel)
		c->srv->ops.cancel(c->srv->ctx, c);
	c->state = CONN_DEAD;
	loop_watch_del(&c->watch);
	loop_timer_cancel(&c->deadline);
	join_member_release(&c->m);
	join_io_release(&c->io);
	loop_timer_arm(&c->reap, 0);
}

/* Write what is queued; once all is out in ANSWERING, close. */
static void conn_flush(struct join_srv_conn *c)
{
	int ret = join_io_flush(&c->io);

	if (ret < 0) {
		conn_end(c, true);
		return;
	}
	if (ret == 1 && c->state == CONN_ANSWERING) {
		conn_end(c, false);
		return;
	}
	loop_watch_set(&c->watch, ret ? EPOLLIN : EPOLLIN | EPOLLOUT);
}

static void conn_send(struct join_srv_conn *c, const uint8_t *msg, size_t len)
{
	if (join_io_queue(&c->io, msg, len)) {
		conn_end(c, true);
		return;
	}
	conn_flush(c);
}

static void on_probe(struct join_srv_conn *c)
{
	uint8_t key[JOIN_WG_KEY_LEN], nonce[JOIN_NONCE_LEN];
	uint8_t out[JOIN_EVICTED_LEN];
	struct join_srv *s = c->srv;

	if (join_probe_decode(c->io.in, c->io.in_len, key, nonce) ||
	    !s->ops.evicted || !s->ops.evicted(s->ctx, key) ||
	    join_evicted_encode(s->member_priv, key, nonce, out)) {
		conn_end(c, false);	/* not evicted: nothing to say */
		return;
	}
	c->state = CONN_ANSWERING;
	conn_send(c, out, sizeof(out));
}

static void on_message(struct join_srv_conn *c)
{
	static uint8_t out[JOIN_CHALLENGE_LEN + JOIN_UNAUTHORIZED_LEN];
	struct join_srv *s = c->srv;
	struct join_request req;
	size_t len = 0;
	int ret;

	if (c->first && c->io.in_len >= 1 && c->io.in[0] == JOIN_MSG_PROBE) {
		on_probe(c);
		return;
	}
	c->first = false;
	ret = join_member_step(&c->m, c->io.in, c->io.in_len, out, sizeof(out),
			       &len, &req);
	if (ret == 0) {
		conn_send(c, out, len);
	} else if (ret == JOIN_DONE) {
		c->state = CONN_DECIDING;
		loop_watch_set(&c->watch, EPOLLIN);
		s->ops.request(s->ctx, c, &req, (struct sockaddr *)&c->peer,
			       c->peerlen);
	} else if (ret == -EACCES) {
		c->state = CONN_ANSWERING;
		conn_send(c, out, len);
	} else {
		log_debug("join port: closing a connection: %s", strerror(-ret));
		conn_end(c, true);
	}
}

static void conn_event(struct loop_watch *w, uint32_t events)
{
	struct join_srv_conn *c = container_of(w, struct join_srv_conn, watch);
	int ret;

	if (events & EPOLLOUT) {
		conn_flush(c);
		if (c->state == CONN_DEAD)
			return;
	}
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	if (c->state != CONN_HANDSHAKE) {
		/* nothing more may come: anything, or the end, closes */
		char b;

		if (recv(c->io.fd, &b, 1, MSG_PEEK) != -1 || errno != EAGAIN)
			conn_end(c, true);
		return;
	}
	ret = join_io_read(&c->io, JOINER_MSG_MAX);
	if (ret == 0)
		return;
	if (ret < 0) {
		if (ret != -ECONNRESET)
			log_debug("join port: closing a connection: %s",
				  strerror(-ret));
		conn_end(c, true);
		return;
	}
	on_message(c);
	if (c->state != CONN_DEAD)
		join_io_consumed(&c->io);
}

static void conn_deadline(struct loop_timer *t)
{
	struct join_srv_conn *c = container_of(t, struct join_srv_conn, deadline);

	log_debug("join port: a connection ran out of time");
	conn_end(c, true);
}

static void on_accept(struct loop_watch *w, uint32_t events)
{
	struct join_srv *s = container_of(w, struct join_srv, watch);
	struct join_srv_conn *c;
	struct sockaddr_storage peer;
	socklen_t len = sizeof(peer);
	uint64_t cid;
	int fd;

	(void)events;
	for (;;) {
		len = sizeof(peer);
		fd = accept4(s->fd, (struct sockaddr *)&peer, &len,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		cid = s->ops.cluster_id(s->ctx);
		if (!cid || s->n_conns >= s->max_conns) {
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->srv = s;
		c->first = true;
		c->peer = peer;
		c->peerlen = len;
		join_io_init(&c->io, fd);
		join_member_init(&c->m, cid, s->ops.lookup, s->ctx);
		loop_watch_init(&c->watch, s->loop, fd, conn_event);
		loop_timer_init(&c->deadline, s->loop, conn_deadline);
		loop_timer_init(&c->reap, s->loop, conn_reap);
		c->next = s->conns;
		s->conns = c;
		s->n_conns++;
		if (loop_watch_set(&c->watch, EPOLLIN) ||
		    loop_timer_arm(&c->deadline, s->deadline_ms))
			conn_end(c, false);
	}
}

int join_srv_open(struct loop *loop, const struct join_srv_config *cfg,
		  const struct join_srv_ops *ops, void *ctx,
		  struct join_srv **ret)
{
	struct join_srv *s = calloc(1, sizeof(*s));
	int one = 1, err;

	if (!s)
		return -ENOMEM;
	s->loop = loop;
	s->ops = *ops;
	s->ctx = ctx;
	s->max_conns = cfg->max_conns ?: DEFAULT_MAX_CONNS;
	s->deadline_ms = cfg->deadline_ms ?: DEFAULT_DEADLINE_MS;
	if (cfg->member_priv)
		memcpy(s->member_priv, cfg->member_priv, JOIN_WG_KEY_LEN);
	s->fd = socket(cfg->addr->sa_family,
		       SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		err = -errno;
		free(s);
		return err;
	}
	setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s->fd, cfg->addr, cfg->addrlen) < 0 || listen(s->fd, 128) < 0) {
		err = -errno;
		close(s->fd);
		free(s);
		return err;
	}
	loop_watch_init(&s->watch, loop, s->fd, on_accept);
	err = loop_watch_set(&s->watch, EPOLLIN);
	if (err) {
		close(s->fd);
		free(s);
		return err;
	}
	*ret = s;
	return 0;
}

int join_srv_local_addr(struct join_srv *s, struct sockaddr_storage *ret,
			socklen_t *ret_len)
{
	*ret_len = sizeof(*ret);
	return getsockname(s->fd, (struct sockaddr *)ret, ret_len) < 0 ? -errno : 0;
}

void join_srv_close(struct join_srv *s)
{
	if (!s)
		return;
	loop_watch_del(&s->watch);
	close(s->fd);
	while (s->conns) {
		struct join_srv_conn *c = s->conns;

		conn_end(c, true);
		loop_timer_cancel(&c->reap);
		s->conns = c->next;
		free(c);
	}
	sodium_memzero(s->member_priv, sizeof(s->member_priv));
	free(s);
}

int join_srv_accept(struct join_srv_conn *c, const struct join_acceptance *acc)
{
	size_t cap = join_sealed_accept_len(acc->members_len), len;
	uint8_t *out;
	int err;

	if (c->state != CONN_DECIDING)
		return -EINVAL;
	out = malloc(cap);
	if (!out)
		return -ENOMEM;
	err = join_member_accept(&c->m, acc, out, cap, &len);
	if (!err) {
		c->state = CONN_ANSWERING;
		conn_send(c, out, len);
	}
	free(out);
	return err;
}

int join_srv_refuse(struct join_srv_conn *c, uint16_t reason)
{
	uint8_t out[JOIN_SEALED_OVERHEAD + JOIN_REFUSE_LEN + 64];
	size_t len;
	int err;

	if (c->state != CONN_DECIDING)
		return -EINVAL;
	err = join_member_refuse(&c->m, reason, out, sizeof(out), &len);
	if (err) {
		conn_end(c, false);
		return err;
	}
	c->state = CONN_ANSWERING;
	conn_send(c, out, len);
	return 0;
}

void join_srv_set_owner(struct join_srv_conn *c, void *owner)
{
	c->owner = owner;
}

void *join_srv_owner(const struct join_srv_conn *c)
{
	return c->owner;
}
