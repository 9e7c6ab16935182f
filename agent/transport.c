// SPDX-License-Identifier: GPL-2.0
/*
 * TCP transport: outbound connections carry our frames to one peer each,
 * inbound connections carry theirs to us.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/uio.h>
#include <unistd.h>

#include "frame.h"
#include "transport.h"

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

#define RBUF_MIN (64u << 10)
#define MAX_IOV 64

struct out_frame {
	struct out_frame *next;
	size_t len;
	size_t off;
	bool hello;	/* belongs to one connection only */
	uint8_t data[];
};

enum peer_state { PEER_IDLE, PEER_CONNECTING, PEER_CONNECTED };

struct peer {
	struct transport *t;
	uint64_t id;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	int fd;
	enum peer_state state;
	struct loop_watch watch;
	struct loop_timer retry;
	uint32_t backoff_ms;
	struct out_frame *head, *tail;
	size_t queued_bytes;
	unsigned int queued_frames;
	uint64_t dropped;
	uint64_t connects;
};

struct conn {
	struct transport *t;
	struct conn *prev, *next;
	int fd;
	struct loop_watch watch;
	struct loop_timer hello_timer;
	uint64_t peer_id;	/* 0 until its hello */
	struct sockaddr_storage addr;
	socklen_t addrlen;
	uint8_t *rbuf;
	size_t rcap, rlen;
};

struct transport {
	struct loop *loop;
	struct transport_config cfg;
	struct transport_ops ops;
	void *ctx;
	int lfd;
	struct loop_watch lwatch;
	struct sockaddr_storage local;
	socklen_t locallen;
	struct peer **peers;	/* sorted by id */
	unsigned int n_peers, cap_peers;
	struct conn *conns;
	unsigned int n_conns;
	uint64_t rng;
};

void transport_config_defaults(struct transport_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_payload = FRAME_MAX_PAYLOAD;
	cfg->max_queue_bytes = TRANSPORT_DEFAULT_QUEUE_BYTES;
	cfg->max_queue_frames = TRANSPORT_DEFAULT_QUEUE_FRAMES;
	cfg->max_inbound = TRANSPORT_DEFAULT_MAX_INBOUND;
	cfg->backoff_min_ms = 50;
	cfg->backoff_max_ms = 2000;
	cfg->hello_timeout_ms = 5000;
	cfg->user_timeout_ms = 10000;
}

static uint32_t jitter(struct transport *t, uint32_t ms)
{
	/* xorshift64: spreads redials, needs no quality. */
	t->rng ^= t->rng << 13;
	t->rng ^= t->rng >> 7;
	t->rng ^= t->rng << 17;
	return ms / 2 + (uint32_t)(t->rng % (ms / 2 + 1));
}

static int set_sockopts(struct transport *t, int fd)
{
	int one = 1;
	unsigned int ut = t->cfg.user_timeout_ms;

	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
		return -errno;
	if (ut && setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ut,
			     sizeof(ut)) < 0)
		return -errno;
	if (t->cfg.bind_device &&
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, t->cfg.bind_device,
		       (socklen_t)strlen(t->cfg.bind_device)) < 0)
		return -errno;
	return 0;
}

/* Peers: a sorted array, so sends find their peer in log time. */

static int peer_index(struct transport *t, uint64_t id, bool *found)
{
	unsigned int lo = 0, hi = t->n_peers;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (t->peers[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < t->n_peers && t->peers[lo]->id == id;
	return (int)lo;
}

static struct peer *peer_find(struct transport *t, uint64_t id)
{
	bool found;
	int i = peer_index(t, id, &found);

	return found ? t->peers[i] : NULL;
}

/* Take the first frame off the queue and free it. */
static void queue_pop(struct peer *p)
{
	struct out_frame *f = p->head;

	p->head = f->next;
	if (!p->head)
		p->tail = NULL;
	p->queued_bytes -= f->len - FRAME_HEADER_LEN;
	p->queued_frames--;
	free(f);
}

static void queue_drop_all(struct peer *p)
{
	while (p->head)
		queue_pop(p);
}

static void peer_close(struct peer *p)
{
	if (p->fd >= 0) {
		loop_watch_del(&p->watch);
		close(p->fd);
		p->fd = -1;
	}
	p->state = PEER_IDLE;
	/* The next connection says hello anew. */
	while (p->head && p->head->hello)
		queue_pop(p);
	/* A frame cut short is sent again whole on the next connection. */
	if (p->head)
		p->head->off = 0;
}

static void peer_retry_later(struct peer *p)
{
	struct transport *t = p->t;

	peer_close(p);
	loop_timer_arm(&p->retry, jitter(t, p->backoff_ms));
	p->backoff_ms *= 2;
	if (p->backoff_ms > t->cfg.backoff_max_ms)
		p->backoff_ms = t->cfg.backoff_max_ms;
}

static int queue_frame(struct peer *p, uint8_t type, const void *buf,
		       size_t len, bool front)
{
	struct transport *t = p->t;
	struct out_frame *f;
	int ret;

	if (!front && (p->queued_frames >= t->cfg.max_queue_frames ||
		       p->queued_bytes + len > t->cfg.max_queue_bytes)) {
		p->dropped++;
		return -ENOBUFS;
	}
	f = malloc(sizeof(*f) + FRAME_HEADER_LEN + len);
	if (!f)
		return -ENOMEM;
	ret = frame_header_encode(f->data, type, len);
	if (ret < 0) {
		free(f);
		return ret;
	}
	if (len)
		memcpy(f->data + FRAME_HEADER_LEN, buf, len);
	f->len = FRAME_HEADER_LEN + len;
	f->off = 0;
	f->hello = type == FRAME_HELLO;
	if (front) {
		f->next = p->head;
		p->head = f;
		if (!p->tail)
			p->tail = f;
	} else {
		f->next = NULL;
		if (p->tail)
			p->tail->next = f;
		else
			p->head = f;
		p->tail = f;
	}
	p->queued_bytes += len;
	p->queued_frames++;
	return 0;
}

static void peer_flush(struct peer *p)
{
	struct iovec iov[MAX_IOV];

	while (p->head) {
		struct out_frame *f;
		ssize_t n;
		int cnt = 0;

		for (f = p->head; f && cnt < MAX_IOV; f = f->next, cnt++) {
			iov[cnt].iov_base = f->data + f->off;
			iov[cnt].iov_len = f->len - f->off;
		}
		n = writev(p->fd, iov, cnt);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == EINTR)
				continue;
			peer_retry_later(p);
			return;
		}
		while (n > 0) {
			f = p->head;
			if ((size_t)n < f->len - f->off) {
				f->off += (size_t)n;
				break;
			}
			n -= (ssize_t)(f->len - f->off);
			queue_pop(p);
		}
	}
	loop_watch_set(&p->watch, EPOLLIN | EPOLLRDHUP |
		       (p->head ? EPOLLOUT : 0));
}

static void on_peer_event(struct loop_watch *w, uint32_t events)
{
	struct peer *p = container_of(w, struct peer, watch);
	uint8_t hello[FRAME_HELLO_LEN];
	char junk[64];

	if (p->state == PEER_CONNECTING) {
		int err = 0;
		socklen_t len = sizeof(err);

		if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 ||
		    err || (events & (EPOLLERR | EPOLLHUP))) {
			peer_retry_later(p);
			return;
		}
		p->state = PEER_CONNECTED;
		p->connects++;
		p->backoff_ms = p->t->cfg.backoff_min_ms;
		frame_hello_encode(hello, p->t->cfg.self_id,
				   p->t->cfg.cluster_id);
		if (queue_frame(p, FRAME_HELLO, hello, sizeof(hello), true)) {
			peer_retry_later(p);
			return;
		}
		peer_flush(p);
		return;
	}
	if (events & (EPOLLERR | EPOLLHUP | EPOLLRDHUP)) {
		peer_retry_later(p);
		return;
	}
	if (events & EPOLLIN) {
		/* Nobody speaks on our outbound connections. */
		if (read(p->fd, junk, sizeof(junk)) != -1 || errno != EAGAIN) {
			peer_retry_later(p);
			return;
		}
	}
	if (events & EPOLLOUT)
		peer_flush(p);
}

static void peer_connect(struct peer *p)
{
	struct transport *t = p->t;
	int fd, ret;

	fd = socket(p->addr.ss_family,
		    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto retry;
	if (set_sockopts(t, fd) < 0)
		goto err_close;
	if (t->locallen) {
		/* Speak from our own address so peers can tell who we are. */
		struct sockaddr_storage src = t->local;

		if (src.ss_family == AF_INET)
			((struct sockaddr_in *)&src)->sin_port = 0;
		else if (src.ss_family == AF_INET6)
			((struct sockaddr_in6 *)&src)->sin6_port = 0;
		if (src.ss_family == p->addr.ss_family &&
		    bind(fd, (struct sockaddr *)&src, t->locallen) < 0)
			goto err_close;
	}
	ret = connect(fd, (struct sockaddr *)&p->addr, p->addrlen);
	if (ret < 0 && errno != EINPROGRESS)
		goto err_close;
	p->fd = fd;
	p->state = PEER_CONNECTING;
	loop_watch_init(&p->watch, t->loop, fd, on_peer_event);
	if (loop_watch_set(&p->watch, EPOLLOUT | EPOLLIN | EPOLLRDHUP) < 0)
		goto retry;
	return;

err_close:
	close(fd);
retry:
	peer_retry_later(p);
}

static void on_retry(struct loop_timer *timer)
{
	struct peer *p = container_of(timer, struct peer, retry);

	if (p->state == PEER_IDLE)
		peer_connect(p);
}

int transport_peer_set(struct transport *t, uint64_t id,
		       const struct sockaddr *addr, socklen_t addrlen)
{
	struct peer *p;
	bool found;
	int i;

	if (!id || id == t->cfg.self_id || addrlen > sizeof(p->addr))
		return -EINVAL;
	i = peer_index(t, id, &found);
	if (found) {
		p = t->peers[i];
		if (p->addrlen == addrlen && !memcmp(&p->addr, addr, addrlen))
			return 0;
		memcpy(&p->addr, addr, addrlen);
		p->addrlen = addrlen;
		peer_close(p);
		loop_timer_cancel(&p->retry);
		peer_connect(p);
		return 0;
	}
	if (t->n_peers == t->cap_peers) {
		unsigned int cap = t->cap_peers ? t->cap_peers * 2 : 16;
		struct peer **n = realloc(t->peers, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		t->peers = n;
		t->cap_peers = cap;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->t = t;
	p->id = id;
	p->fd = -1;
	memcpy(&p->addr, addr, addrlen);
	p->addrlen = addrlen;
	p->backoff_ms = t->cfg.backoff_min_ms;
	loop_timer_init(&p->retry, t->loop, on_retry);
	memmove(&t->peers[i + 1], &t->peers[i],
		(t->n_peers - (unsigned int)i) * sizeof(*t->peers));
	t->peers[i] = p;
	t->n_peers++;
	peer_connect(p);
	return 0;
}

static void peer_free(struct peer *p)
{
	peer_close(p);
	loop_timer_cancel(&p->retry);
	queue_drop_all(p);
	free(p);
}

void transport_peer_remove(struct transport *t, uint64_t id)
{
	bool found;
	int i = peer_index(t, id, &found);

	if (!found)
		return;
	peer_free(t->peers[i]);
	t->n_peers--;
	memmove(&t->peers[i], &t->peers[i + 1],
		(t->n_peers - (unsigned int)i) * sizeof(*t->peers));
}

int transport_send(struct transport *t, uint64_t to, uint8_t type,
		   const void *buf, size_t len)
{
	struct peer *p = peer_find(t, to);
	int ret;

	if (!p)
		return -ENOENT;
	if (len > t->cfg.max_payload)
		return -EMSGSIZE;
	ret = queue_frame(p, type, buf, len, false);
	if (ret < 0)
		return ret;
	if (p->state == PEER_CONNECTED && p->head == p->tail)
		peer_flush(p);
	else if (p->state == PEER_CONNECTED)
		loop_watch_set(&p->watch, EPOLLIN | EPOLLRDHUP | EPOLLOUT);
	return 0;
}

int transport_peer_stats(struct transport *t, uint64_t id,
			 struct transport_peer_stats *ret_stats)
{
	struct peer *p = peer_find(t, id);

	if (!p)
		return -ENOENT;
	ret_stats->connected = p->state == PEER_CONNECTED;
	ret_stats->queued_bytes = p->queued_bytes;
	ret_stats->queued_frames = p->queued_frames;
	ret_stats->dropped_frames = p->dropped;
	ret_stats->connects = p->connects;
	return 0;
}

/* Inbound connections. */

static void conn_free(struct conn *c)
{
	struct transport *t = c->t;

	loop_watch_del(&c->watch);
	loop_timer_cancel(&c->hello_timer);
	close(c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		t->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	t->n_conns--;
	free(c->rbuf);
	free(c);
}

static void on_hello_timeout(struct loop_timer *timer)
{
	conn_free(container_of(timer, struct conn, hello_timer));
}

/* Handle one frame; false closes the connection. */
static bool conn_frame(struct conn *c, const struct frame_header *h,
		       const uint8_t *payload)
{
	struct transport *t = c->t;
	uint64_t id, cluster;

	if (!c->peer_id) {
		if (h->type != FRAME_HELLO ||
		    frame_hello_decode(payload, h->payload_len, &id,
				       &cluster) < 0)
			return false;
		if (t->cfg.cluster_id && cluster && cluster != t->cfg.cluster_id)
			return false;
		if (t->ops.accept_peer &&
		    !t->ops.accept_peer(t->ctx, id, (struct sockaddr *)&c->addr,
					c->addrlen))
			return false;
		c->peer_id = id;
		loop_timer_cancel(&c->hello_timer);
		return true;
	}
	if (h->type == FRAME_HELLO)
		return false;
	t->ops.on_frame(t->ctx, c->peer_id, h->type, payload, h->payload_len);
	return true;
}

static void on_conn_event(struct loop_watch *w, uint32_t events)
{
	struct conn *c = container_of(w, struct conn, watch);
	struct transport *t = c->t;
	size_t pos = 0;

	(void)events;
	for (;;) {
		ssize_t n;

		if (c->rlen == c->rcap)
			break;	/* parse first; the buffer grows below */
		n = read(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen);
		if (n == 0)
			goto close;
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == EINTR)
				continue;
			goto close;
		}
		c->rlen += (size_t)n;
	}
	for (;;) {
		struct frame_header h;
		size_t need;

		if (c->rlen - pos < FRAME_HEADER_LEN)
			break;
		if (frame_header_decode(c->rbuf + pos, t->cfg.max_payload,
					&h) < 0)
			goto close;
		need = FRAME_HEADER_LEN + h.payload_len;
		if (c->rlen - pos < need) {
			if (need > c->rcap) {
				uint8_t *nb;

				memmove(c->rbuf, c->rbuf + pos, c->rlen - pos);
				c->rlen -= pos;
				pos = 0;
				nb = realloc(c->rbuf, need);
				if (!nb)
					goto close;
				c->rbuf = nb;
				c->rcap = need;
			}
			break;
		}
		if (!conn_frame(c, &h, c->rbuf + pos + FRAME_HEADER_LEN))
			goto close;
		pos += need;
	}
	memmove(c->rbuf, c->rbuf + pos, c->rlen - pos);
	c->rlen -= pos;
	if (!c->rlen && c->rcap > RBUF_MIN) {
		uint8_t *nb = realloc(c->rbuf, RBUF_MIN);

		if (nb) {
			c->rbuf = nb;
			c->rcap = RBUF_MIN;
		}
	}
	/* More may be waiting if the buffer filled: level-triggered epoll
	 * calls us again.
	 */
	return;
close:
	conn_free(c);
}

static void on_accept(struct loop_watch *w, uint32_t events)
{
	struct transport *t = container_of(w, struct transport, lwatch);

	(void)events;
	for (;;) {
		struct sockaddr_storage addr;
		socklen_t addrlen = sizeof(addr);
		struct conn *c;
		int fd;

		fd = accept4(t->lfd, (struct sockaddr *)&addr, &addrlen,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;	/* EAGAIN, or a transient error: try later */
		if (t->n_conns >= t->cfg.max_inbound ||
		    set_sockopts(t, fd) < 0) {
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (c)
			c->rbuf = malloc(RBUF_MIN);
		if (!c || !c->rbuf) {
			free(c);
			close(fd);
			continue;
		}
		c->t = t;
		c->fd = fd;
		c->rcap = RBUF_MIN;
		c->addr = addr;
		c->addrlen = addrlen;
		c->next = t->conns;
		if (t->conns)
			t->conns->prev = c;
		t->conns = c;
		t->n_conns++;
		loop_timer_init(&c->hello_timer, t->loop, on_hello_timeout);
		loop_timer_arm(&c->hello_timer, t->cfg.hello_timeout_ms);
		loop_watch_init(&c->watch, t->loop, fd, on_conn_event);
		if (loop_watch_set(&c->watch, EPOLLIN | EPOLLRDHUP) < 0)
			conn_free(c);
	}
}

int transport_listen(struct transport *t, const struct sockaddr *addr,
		     socklen_t addrlen)
{
	int one = 1, fd, ret;

	if (t->lfd >= 0 || addrlen > sizeof(t->local))
		return -EINVAL;
	fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		goto err_errno;
	if (t->cfg.bind_device &&
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, t->cfg.bind_device,
		       (socklen_t)strlen(t->cfg.bind_device)) < 0)
		goto err_errno;
	if (bind(fd, addr, addrlen) < 0 || listen(fd, 512) < 0)
		goto err_errno;
	t->lfd = fd;
	memcpy(&t->local, addr, addrlen);
	t->locallen = addrlen;
	loop_watch_init(&t->lwatch, t->loop, fd, on_accept);
	ret = loop_watch_set(&t->lwatch, EPOLLIN);
	if (ret < 0) {
		t->lfd = -1;
		t->locallen = 0;
		close(fd);
	}
	return ret;

err_errno:
	ret = -errno;
	close(fd);
	return ret;
}

int transport_local_addr(struct transport *t, struct sockaddr_storage *ret,
			 socklen_t *ret_len)
{
	*ret_len = sizeof(*ret);
	if (t->lfd < 0)
		return -ENOTCONN;
	if (getsockname(t->lfd, (struct sockaddr *)ret, ret_len) < 0)
		return -errno;
	return 0;
}

int transport_new(struct loop *loop, const struct transport_config *cfg,
		  const struct transport_ops *ops, void *ctx,
		  struct transport **ret_t)
{
	struct transport *t;

	if (!cfg->self_id || !ops->on_frame ||
	    cfg->max_payload > FRAME_MAX_PAYLOAD || !cfg->backoff_min_ms ||
	    cfg->backoff_max_ms < cfg->backoff_min_ms)
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->loop = loop;
	t->cfg = *cfg;
	t->ops = *ops;
	t->ctx = ctx;
	t->lfd = -1;
	t->rng = cfg->self_id * 0x9e3779b97f4a7c15ULL | 1;
	*ret_t = t;
	return 0;
}

void transport_free(struct transport *t)
{
	unsigned int i;

	if (!t)
		return;
	for (i = 0; i < t->n_peers; i++)
		peer_free(t->peers[i]);
	free(t->peers);
	while (t->conns)
		conn_free(t->conns);
	if (t->lfd >= 0) {
		loop_watch_del(&t->lwatch);
		close(t->lfd);
	}
	free(t);
}
