// SPDX-License-Identifier: GPL-2.0
/*
 * The management socket server.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "frame.h"
#include "log.h"
#include "mgmt.h"
#include "rpc.h"

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

/* Requests one client may have waiting for an answer. */
#define MAX_CALLS_PER_CLIENT 16

struct client;

struct mgmt_call {
	struct client *client;	/* NULL once the client left */
	struct mgmt_call *next;
	uint64_t id;
	struct tlv_writer results;
};

struct client {
	struct mgmt *m;
	struct sockaddr_storage peer;
	socklen_t peerlen;
	struct client *prev, *next;
	int fd;
	struct loop_watch watch;
	uint8_t *rbuf;
	size_t rlen, rcap;
	uint8_t *wbuf;
	size_t wlen, wcap;
	struct mgmt_call *calls;
	unsigned int n_calls;
	bool dispatching;	/* inside a handler: free later */
	bool dead;
};

struct mgmt {
	struct loop *loop;
	int lfd;
	struct loop_watch lwatch;
	struct sockaddr_un addr;	/* sun_path[0] == 0: TCP */
	mgmt_accept_fn accept_fn;
	mgmt_handler_fn fn;
	void *ctx;
	struct client *clients;
	unsigned int n_clients;
};

static void client_free(struct client *c)
{
	struct mgmt *m = c->m;
	struct mgmt_call *call;

	if (c->dispatching) {
		c->dead = true;
		return;
	}
	/* Calls in flight live on; their replies go nowhere. */
	for (call = c->calls; call; call = call->next)
		call->client = NULL;
	loop_watch_del(&c->watch);
	close(c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		m->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	m->n_clients--;
	free(c->rbuf);
	free(c->wbuf);
	free(c);
}

static void client_flush(struct client *c)
{
	while (c->wlen) {
		ssize_t n = send(c->fd, c->wbuf, c->wlen, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			client_free(c);
			return;
		}
		memmove(c->wbuf, c->wbuf + n, c->wlen - (size_t)n);
		c->wlen -= (size_t)n;
	}
	loop_watch_set(&c->watch, EPOLLIN | (c->wlen ? EPOLLOUT : 0));
}

static int client_queue(struct client *c, const uint8_t *buf, size_t len)
{
	if (c->wlen + len > c->wcap) {
		size_t cap = c->wlen + len;
		uint8_t *b = realloc(c->wbuf, cap);

		if (!b)
			return -ENOMEM;
		c->wbuf = b;
		c->wcap = cap;
	}
	memcpy(c->wbuf + c->wlen, buf, len);
	c->wlen += len;
	return 0;
}

struct tlv_writer *mgmt_call_writer(struct mgmt_call *call)
{
	return &call->results;
}

const struct sockaddr *mgmt_call_peer(struct mgmt_call *call,
				      socklen_t *ret_len)
{
	if (!call->client || call->client->dead)
		return NULL;
	*ret_len = call->client->peerlen;
	return (const struct sockaddr *)&call->client->peer;
}

static void call_unlink(struct mgmt_call *call)
{
	struct client *c = call->client;
	struct mgmt_call **pp;

	if (!c)
		return;
	for (pp = &c->calls; *pp; pp = &(*pp)->next) {
		if (*pp == call) {
			*pp = call->next;
			c->n_calls--;
			break;
		}
	}
}

void mgmt_reply(struct mgmt_call *call, int err, const char *msg)
{
	struct client *c = call->client;
	uint8_t hdr[FRAME_HEADER_LEN];
	struct tlv_writer w;

	call_unlink(call);
	if (!c || c->dead)
		goto out;
	tlv_writer_init(&w, RPC_MAX_MSG);
	tlv_put_u64(&w, RPC_A_ID, call->id);
	tlv_put_u32(&w, RPC_A_ERRNO, (uint32_t)(err < 0 ? -err : err));
	if (msg)
		tlv_put_str(&w, RPC_A_ERROR, msg);
	if (!err) {
		if (tlv_writer_error(&call->results)) {
			tlv_writer_release(&w);
			tlv_writer_init(&w, RPC_MAX_MSG);
			tlv_put_u64(&w, RPC_A_ID, call->id);
			tlv_put_u32(&w, RPC_A_ERRNO,
				    (uint32_t)-tlv_writer_error(&call->results));
			tlv_put_str(&w, RPC_A_ERROR, "reply too large");
		} else {
			tlv_put_raw(&w, call->results.buf, call->results.len);
		}
	}
	if (tlv_writer_error(&w) ||
	    frame_header_encode(hdr, FRAME_RPC, w.len) < 0 ||
	    client_queue(c, hdr, sizeof(hdr)) < 0 ||
	    client_queue(c, w.buf, w.len) < 0) {
		tlv_writer_release(&w);
		client_free(c);
		goto out;
	}
	tlv_writer_release(&w);
	client_flush(c);
out:
	tlv_writer_release(&call->results);
	free(call);
}

static int client_request(struct client *c, const uint8_t *p, size_t len)
{
	struct mgmt_call *call;
	struct tlv_reader r;
	uint32_t op = 0;
	uint64_t id = 0;
	struct tlv a;
	int ret;

	tlv_reader_init(&r, p, len);
	while ((ret = tlv_next(&r, &a)) == 1) {
		if (a.type == RPC_A_ID && tlv_u64(&a, &id) < 0)
			return -EPROTO;
		if (a.type == RPC_A_OP && tlv_u32(&a, &op) < 0)
			return -EPROTO;
	}
	if (ret < 0 || !op)
		return -EPROTO;
	if (c->n_calls >= MAX_CALLS_PER_CLIENT)
		return -EBUSY;
	call = calloc(1, sizeof(*call));
	if (!call)
		return -ENOMEM;
	call->client = c;
	call->id = id;
	tlv_writer_init(&call->results, RPC_MAX_MSG - 256);
	call->next = c->calls;
	c->calls = call;
	c->n_calls++;
	c->m->fn(c->m->ctx, call, op, p, len);
	return 0;
}

static void on_client(struct loop_watch *w, uint32_t events)
{
	struct client *c = container_of(w, struct client, watch);
	struct frame_header h;
	size_t need;
	ssize_t n;
	int ret;

	if (events & EPOLLOUT) {
		client_flush(c);
		return;	/* c may be gone; reads come on the next round */
	}
	if (c->rlen == c->rcap) {
		client_free(c);	/* a request larger than allowed */
		return;
	}
	n = read(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		client_free(c);
		return;
	}
	if (n > 0)
		c->rlen += (size_t)n;
	while (c->rlen >= FRAME_HEADER_LEN) {
		if (frame_header_decode(c->rbuf, RPC_MAX_MSG, &h) < 0 ||
		    h.type != FRAME_RPC) {
			client_free(c);
			return;
		}
		need = FRAME_HEADER_LEN + h.payload_len;
		if (need > c->rcap) {
			uint8_t *b = realloc(c->rbuf, need);

			if (!b) {
				client_free(c);
				return;
			}
			c->rbuf = b;
			c->rcap = need;
		}
		if (c->rlen < need)
			return;
		/* The handler may reply at once, and a failed reply frees c. */
		c->dispatching = true;
		ret = client_request(c, c->rbuf + FRAME_HEADER_LEN,
				     h.payload_len);
		c->dispatching = false;
		if (ret < 0 || c->dead) {
			client_free(c);
			return;
		}
		memmove(c->rbuf, c->rbuf + need, c->rlen - need);
		c->rlen -= need;
	}
}

static bool peer_is_trusted(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return false;
	return cred.uid == 0 || cred.uid == geteuid();
}

static void on_accept(struct loop_watch *w, uint32_t events)
{
	struct mgmt *m = container_of(w, struct mgmt, lwatch);
	struct client *c;
	int fd;

	(void)events;
	for (;;) {
		struct sockaddr_storage peer;
		socklen_t peerlen = sizeof(peer);
		bool trusted;

		fd = accept4(m->lfd, (struct sockaddr *)&peer, &peerlen,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			break;
		if (m->accept_fn)
			trusted = m->accept_fn(m->ctx, (struct sockaddr *)&peer,
					       peerlen);
		else
			trusted = peer_is_trusted(fd);
		if (m->n_clients >= MGMT_MAX_CLIENTS || !trusted) {
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (c) {
			c->rcap = 4096;
			c->rbuf = malloc(c->rcap);
		}
		if (!c || !c->rbuf) {
			free(c);
			close(fd);
			continue;
		}
		c->m = m;
		c->fd = fd;
		c->peer = peer;
		c->peerlen = peerlen;
		c->next = m->clients;
		if (m->clients)
			m->clients->prev = c;
		m->clients = c;
		m->n_clients++;
		loop_watch_init(&c->watch, m->loop, fd, on_client);
		if (loop_watch_set(&c->watch, EPOLLIN) < 0)
			client_free(c);
	}
}

static struct mgmt *mgmt_alloc(struct loop *loop, mgmt_handler_fn fn,
			       void *ctx)
{
	struct mgmt *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->loop = loop;
	m->fn = fn;
	m->ctx = ctx;
	m->lfd = -1;
	return m;
}

/* Listen on the bound m->lfd and serve it from the loop. */
static int mgmt_start(struct mgmt *m, int backlog)
{
	if (listen(m->lfd, backlog) < 0)
		return -errno;
	loop_watch_init(&m->lwatch, m->loop, m->lfd, on_accept);
	return loop_watch_set(&m->lwatch, EPOLLIN);
}

/* Is an agent answering on this socket already? */
static bool socket_in_use(const struct sockaddr_un *addr)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool used;

	if (fd < 0)
		return false;
	used = connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) == 0;
	close(fd);
	return used;
}

static int make_parent(const char *path)
{
	char *copy = strdup(path), *dir;
	struct stat st;
	int ret = 0;

	if (!copy)
		return -ENOMEM;
	dir = dirname(copy);
	if (stat(dir, &st) < 0) {
		if (errno != ENOENT || mkdir(dir, 0700) < 0)
			ret = -errno;
	} else if (st.st_mode & 0002) {
		log_warn("management socket %s is in the world-writable directory %s: accepted, but prefer a root-only directory such as /run/atom",
			 path, dir);
	}
	free(copy);
	return ret;
}

int mgmt_open(struct loop *loop, const char *path, mgmt_handler_fn fn,
	      void *ctx, struct mgmt **ret_mgmt)
{
	struct mgmt *m;
	int ret;

	if (strlen(path) >= sizeof(m->addr.sun_path))
		return -ENAMETOOLONG;
	m = mgmt_alloc(loop, fn, ctx);
	if (!m)
		return -ENOMEM;
	m->addr.sun_family = AF_UNIX;
	strcpy(m->addr.sun_path, path);
	ret = make_parent(path);
	if (ret < 0)
		goto err_free;
	if (socket_in_use(&m->addr)) {
		ret = -EADDRINUSE;
		goto err_free;
	}
	unlink(path);
	m->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (m->lfd < 0) {
		ret = -errno;
		goto err_free;
	}
	/* Born 0600: no window in which others could connect. */
	{
		mode_t old = umask(0177);

		ret = bind(m->lfd, (struct sockaddr *)&m->addr,
			   sizeof(m->addr));
		umask(old);
	}
	if (ret < 0) {
		ret = -errno;
		goto err_close;
	}
	ret = mgmt_start(m, 16);
	if (ret < 0)
		goto err_unlink;
	*ret_mgmt = m;
	return 0;

err_unlink:
	unlink(path);
err_close:
	close(m->lfd);
err_free:
	free(m);
	return ret;
}

int mgmt_open_tcp(struct loop *loop, const struct sockaddr *addr,
		  socklen_t addrlen, const char *bind_device,
		  mgmt_accept_fn accept_fn, mgmt_handler_fn fn, void *ctx,
		  struct mgmt **ret_mgmt)
{
	struct mgmt *m;
	int one = 1, ret;

	if (!accept_fn)
		return -EINVAL;
	m = mgmt_alloc(loop, fn, ctx);
	if (!m)
		return -ENOMEM;
	m->accept_fn = accept_fn;
	m->lfd = socket(addr->sa_family,
			SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (m->lfd < 0) {
		ret = -errno;
		goto err_free;
	}
	if (setsockopt(m->lfd, SOL_SOCKET, SO_REUSEADDR, &one,
		       sizeof(one)) < 0 ||
	    (bind_device &&
	     setsockopt(m->lfd, SOL_SOCKET, SO_BINDTODEVICE, bind_device,
			(socklen_t)strlen(bind_device)) < 0) ||
	    bind(m->lfd, addr, addrlen) < 0) {
		ret = -errno;
		goto err_close;
	}
	ret = mgmt_start(m, 64);
	if (ret < 0)
		goto err_close;
	*ret_mgmt = m;
	return 0;

err_close:
	close(m->lfd);
err_free:
	free(m);
	return ret;
}

int mgmt_local_addr(struct mgmt *m, struct sockaddr_storage *ret,
		    socklen_t *ret_len)
{
	*ret_len = sizeof(*ret);
	if (getsockname(m->lfd, (struct sockaddr *)ret, ret_len) < 0)
		return -errno;
	return 0;
}

void mgmt_close(struct mgmt *m)
{
	if (!m)
		return;
	while (m->clients)
		client_free(m->clients);
	loop_watch_del(&m->lwatch);
	close(m->lfd);
	if (m->addr.sun_path[0])
		unlink(m->addr.sun_path);
	free(m);
}
