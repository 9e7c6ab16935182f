/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Framed messages on a non-blocking join-port socket (FRAME_JOIN frames
 * of frame.h), for join_srv.c and join_cli.c: read one whole message at
 * a time, refusing a length above the caller's bound before reading it;
 * write queued frames as the socket takes them.
 */
#ifndef ATOM_JOIN_IO_H
#define ATOM_JOIN_IO_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"

struct join_io {
	int fd;
	uint8_t hdr[FRAME_HEADER_LEN];
	size_t hdr_got;
	uint8_t *in;			/* the message being read */
	size_t in_len, in_got;
	uint8_t *out;			/* frames not yet written */
	size_t out_len, out_off;
};

void join_io_init(struct join_io *io, int fd);
/* Close the socket, free the buffers. */
void join_io_release(struct join_io *io);

/*
 * Read what the socket has: 1 when a whole message is in io->in
 * (io->in_len bytes; call join_io_consumed next), 0 for more to come,
 * -ECONNRESET at the peer's end of stream, -EMSGSIZE above max,
 * -EPROTO for a frame that is not FRAME_JOIN, another negative errno.
 */
int join_io_read(struct join_io *io, uint32_t max);
void join_io_consumed(struct join_io *io);

/* Queue msg as one frame. */
int join_io_queue(struct join_io *io, const uint8_t *msg, size_t len);
/* Write: 1 when nothing is left, 0 when the socket is full, < 0 error. */
int join_io_flush(struct join_io *io);

#endif /* ATOM_JOIN_IO_H */
