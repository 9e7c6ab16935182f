// SPDX-License-Identifier: GPL-2.0
/*
 * Framed join-port messages (see join_io.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "join_io.h"

void join_io_init(struct join_io *io, int fd)
{
	memset(io, 0, sizeof(*io));
	io->fd = fd;
}

void join_io_release(struct join_io *io)
{
	if (io->fd >= 0)
		close(io->fd);
	io->fd = -1;
	free(io->in);
	free(io->out);
	io->in = NULL;
	io->out = NULL;
}

int join_io_read(struct join_io *io, uint32_t max)
{
	struct frame_header h;
	ssize_t n;
	int err;

	while (io->hdr_got < FRAME_HEADER_LEN) {
		n = recv(io->fd, io->hdr + io->hdr_got,
			 FRAME_HEADER_LEN - io->hdr_got, 0);
		if (n == 0)
			return -ECONNRESET;
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -errno;
		io->hdr_got += (size_t)n;
		if (io->hdr_got < FRAME_HEADER_LEN)
			continue;
		err = frame_header_decode(io->hdr, max, &h);
		if (err)
			return err;
		if (h.type != FRAME_JOIN || !h.payload_len)
			return -EPROTO;
		io->in_len = h.payload_len;
		io->in_got = 0;
		io->in = malloc(io->in_len);
		if (!io->in)
			return -ENOMEM;
	}
	while (io->in_got < io->in_len) {
		n = recv(io->fd, io->in + io->in_got, io->in_len - io->in_got, 0);
		if (n == 0)
			return -ECONNRESET;
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -errno;
		io->in_got += (size_t)n;
	}
	return 1;
}

void join_io_consumed(struct join_io *io)
{
	free(io->in);
	io->in = NULL;
	io->in_len = 0;
	io->in_got = 0;
	io->hdr_got = 0;
}

int join_io_queue(struct join_io *io, const uint8_t *msg, size_t len)
{
	size_t left = io->out_len - io->out_off;
	uint8_t *buf;
	int err;

	buf = malloc(left + FRAME_HEADER_LEN + len);
	if (!buf)
		return -ENOMEM;
	if (left)
		memcpy(buf, io->out + io->out_off, left);
	err = frame_header_encode(buf + left, FRAME_JOIN, len);
	if (err) {
		free(buf);
		return err;
	}
	memcpy(buf + left + FRAME_HEADER_LEN, msg, len);
	free(io->out);
	io->out = buf;
	io->out_off = 0;
	io->out_len = left + FRAME_HEADER_LEN + len;
	return 0;
}

int join_io_flush(struct join_io *io)
{
	while (io->out_off < io->out_len) {
		ssize_t n = send(io->fd, io->out + io->out_off,
				 io->out_len - io->out_off, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? 0 : -errno;
		}
		io->out_off += (size_t)n;
	}
	return 1;
}
