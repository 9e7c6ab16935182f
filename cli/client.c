// SPDX-License-Identifier: GPL-2.0
/*
 * Talk to the local agent: connect, check that root answers, one request,
 * one reply, bounded in size and time.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "client.h"
#include "config.h"
#include "frame.h"
#include "loop.h"
#include "rpc.h"

int client_socket_path(const struct cli_global *g, char *buf, size_t size,
		       char *err, size_t errlen)
{
	struct config cfg;
	int ret;

	if (g->socket) {
		snprintf(buf, size, "%s", g->socket);
		return 0;
	}
	if (g->config) {
		ret = config_load(g->config, &cfg, err, errlen);
		if (ret < 0)
			return ret;
		snprintf(buf, size, "%s", cfg.socket_path);
		return 0;
	}
	snprintf(buf, size, "%s", CLI_DEFAULT_SOCKET);
	return 0;
}

static int wait_fd(int fd, short events, uint64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	uint64_t now = loop_clock_ms();
	int n;

	if (now >= deadline)
		return -ETIMEDOUT;
	n = poll(&p, 1, (int)(deadline - now));
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	return n ? 0 : -ETIMEDOUT;
}

/* Read or write exactly len bytes by the deadline. */
static int io_full(int fd, void *buf, size_t len, bool out, uint64_t deadline)
{
	uint8_t *p = buf;
	int ret;

	while (len) {
		ssize_t n = out ? send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT) :
				  recv(fd, p, len, MSG_DONTWAIT);

		if (n == 0 && !out)
			return -ECONNRESET;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return -errno;
			ret = wait_fd(fd, out ? POLLOUT : POLLIN, deadline);
			if (ret < 0)
				return ret;
			continue;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int parse_reply(struct rpc_reply *reply, uint64_t id)
{
	struct tlv_reader r;
	uint64_t got = 0;
	uint32_t e = 0;
	struct tlv a;
	int ret;

	tlv_reader_init(&r, reply->buf, reply->len);
	while ((ret = tlv_next(&r, &a)) == 1) {
		if (a.type == RPC_A_ID && tlv_u64(&a, &got) < 0)
			return -EPROTO;
		if (a.type == RPC_A_ERRNO && tlv_u32(&a, &e) < 0)
			return -EPROTO;
		if (a.type == RPC_A_ERROR &&
		    tlv_str(&a, reply->msg, sizeof(reply->msg)) < 0)
			return -EPROTO;
	}
	if (ret < 0 || got != id || e > 4095)
		return -EPROTO;
	reply->err = -(int)e;
	if (reply->err && !reply->msg[0])
		snprintf(reply->msg, sizeof(reply->msg), "%s", strerror((int)e));
	return 0;
}

int client_call(const char *path, uint32_t op, const struct tlv_writer *args,
		struct rpc_reply *reply, char *err, size_t errlen)
{
	uint64_t deadline = loop_clock_ms() + RPC_TIMEOUT_MS, id;
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	uint8_t hdr[FRAME_HEADER_LEN];
	struct frame_header h;
	struct tlv_writer w;
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	int fd, ret;

	memset(reply, 0, sizeof(*reply));
	reply->fd = -1;
	if (strlen(path) >= sizeof(addr.sun_path)) {
		snprintf(err, errlen, "socket path too long: %s", path);
		return -ENAMETOOLONG;
	}
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		ret = -errno;
		snprintf(err, errlen, "no agent answers on %s (%s); is atom daemon running?",
			 path, strerror(-ret));
		goto err_close;
	}
	/* Talk only to root (or ourselves): never to a squatter. */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0 ||
	    (cred.uid != 0 && cred.uid != geteuid())) {
		ret = -EPERM;
		snprintf(err, errlen, "refusing %s: it is not served by root",
			 path);
		goto err_close;
	}
	reply->pid = cred.pid;
	if (getrandom(&id, sizeof(id), 0) != sizeof(id))
		id = (uint64_t)getpid() << 32 | (uint64_t)loop_clock_ms();
	tlv_writer_init(&w, RPC_MAX_MSG);
	tlv_put_u64(&w, RPC_A_ID, id);
	tlv_put_u32(&w, RPC_A_OP, op);
	if (args)
		tlv_put_raw(&w, args->buf, args->len);
	ret = tlv_writer_error(&w);
	if (!ret)
		ret = frame_header_encode(hdr, FRAME_RPC, w.len);
	if (!ret)
		ret = io_full(fd, hdr, sizeof(hdr), true, deadline);
	if (!ret)
		ret = io_full(fd, w.buf, w.len, true, deadline);
	tlv_writer_release(&w);
	if (!ret)
		ret = io_full(fd, hdr, sizeof(hdr), false, deadline);
	if (!ret)
		ret = frame_header_decode(hdr, RPC_MAX_MSG, &h);
	if (!ret && h.type != FRAME_RPC)
		ret = -EPROTO;
	if (ret < 0) {
		snprintf(err, errlen, "talking to the agent on %s: %s", path,
			 strerror(-ret));
		goto err_close;
	}
	reply->len = h.payload_len;
	reply->buf = malloc(reply->len ? reply->len : 1);
	if (!reply->buf) {
		ret = -ENOMEM;
		goto err_close;
	}
	ret = io_full(fd, reply->buf, reply->len, false, deadline);
	if (!ret)
		ret = parse_reply(reply, id);
	if (ret < 0) {
		snprintf(err, errlen, "bad reply from the agent on %s: %s",
			 path, strerror(-ret));
		client_reply_release(reply);
		goto err_close;
	}
	reply->fd = fd;
	return 0;

err_close:
	close(fd);
	return ret;
}

void client_reply_release(struct rpc_reply *reply)
{
	free(reply->buf);
	reply->buf = NULL;
	if (reply->fd >= 0)
		close(reply->fd);
	reply->fd = -1;
}

int client_ask(const struct cli_global *g, uint32_t op,
	       const struct tlv_writer *args, struct rpc_reply *reply)
{
	char path[256], err[512];

	if (client_socket_path(g, path, sizeof(path), err, sizeof(err)) < 0 ||
	    client_call(path, op, args, reply, err, sizeof(err)) < 0) {
		fprintf(stderr, "atom: %s\n", err);
		return 1;
	}
	if (reply->err) {
		fprintf(stderr, "atom: %s\n", reply->msg);
		client_reply_release(reply);
		return 1;
	}
	return 0;
}
