/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A netlink socket as atom uses it (libmnl): NETLINK_EXT_ACK and
 * NETLINK_CAP_ACK set, every request acked, the kernel's extack text kept
 * for the caller, and batches of requests sent in one sendmsg with each
 * request's ack collected on its own.
 */
#ifndef ATOM_NLSOCK_H
#define ATOM_NLSOCK_H

#include <libmnl/libmnl.h>
#include <stddef.h>
#include <stdint.h>

#define NLSOCK_ERR_LEN 256
/* A request, or a receive buffer (MNL_SOCKET_BUFFER_SIZE is not constant). */
#define NLSOCK_BUF 8192
#define NLSOCK_DUMP_BUF 32768
/* Requests per sendmsg: their acks must fit the receive buffer. */
#define NLSOCK_BATCH_MAX 64
/* Bytes per sendmsg. */
#define NLSOCK_BATCH_BYTES (64 * 1024)

struct nlsock {
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq;
	char err[NLSOCK_ERR_LEN];	/* why the last request failed */
};

int nlsock_open(struct nlsock *s, int bus);
void nlsock_close(struct nlsock *s);

/*
 * Send one request (NLM_F_ACK is added) and feed each reply to cb until
 * the ack or the end of the dump. 0 or a negative errno; s->err holds the
 * kernel's message, if any. -EINTR: an interrupted dump, to be redone.
 */
int nlsock_talk(struct nlsock *s, struct nlmsghdr *req, mnl_cb_t cb,
		void *data);

/*
 * A batch: count requests back to back in buf, sequence numbers first_seq
 * onwards, each with NLM_F_ACK. res[i] receives request i's result. Returns
 * 0 when every ack came back (whatever it said), else a negative errno.
 * s->err holds the text of the first failed request.
 */
int nlsock_batch(struct nlsock *s, const void *buf, size_t len,
		 uint32_t first_seq, unsigned int count, int *res);

#endif /* ATOM_NLSOCK_H */
