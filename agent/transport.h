/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TCP transport between agents. Each node dials every peer it sends to and
 * sends on that connection only; it receives on the connections others
 * dialled. A dead or slow peer never blocks the loop: sends are queued per
 * peer up to a bound and dropped beyond it (Raft retransmits), and a lost
 * connection is redialled with exponential backoff and jitter.
 */
#ifndef ATOM_TRANSPORT_H
#define ATOM_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "loop.h"

struct transport;

struct transport_config {
	uint64_t self_id;
	uint64_t cluster_id;
	uint32_t max_payload;		/* <= FRAME_MAX_PAYLOAD */
	size_t max_queue_bytes;		/* per peer */
	unsigned int max_queue_frames;	/* per peer */
	unsigned int max_inbound;	/* accepted connections */
	uint32_t backoff_min_ms;
	uint32_t backoff_max_ms;
	uint32_t hello_timeout_ms;	/* inbound: hello must arrive by then */
	uint32_t user_timeout_ms;	/* TCP_USER_TIMEOUT on every socket */
	const char *bind_device;	/* SO_BINDTODEVICE, or NULL */
};

#define TRANSPORT_DEFAULT_QUEUE_BYTES	(16u << 20)
#define TRANSPORT_DEFAULT_QUEUE_FRAMES	4096
#define TRANSPORT_DEFAULT_MAX_INBOUND	4096

void transport_config_defaults(struct transport_config *cfg);

struct transport_ops {
	/* A complete frame from node `from`; buf is valid during the call. */
	void (*on_frame)(void *ctx, uint64_t from, uint8_t type,
			 const uint8_t *buf, size_t len);
	/*
	 * Optional: may node `id` talk to us from this address? Called once
	 * per inbound connection, after its hello. false closes it.
	 */
	bool (*accept_peer)(void *ctx, uint64_t id, const struct sockaddr *addr,
			    socklen_t addrlen);
};

struct transport_peer_stats {
	bool connected;
	size_t queued_bytes;
	unsigned int queued_frames;
	uint64_t dropped_frames;
	uint64_t connects;
};

int transport_new(struct loop *loop, const struct transport_config *cfg,
		  const struct transport_ops *ops, void *ctx,
		  struct transport **ret_t);
void transport_free(struct transport *t);

int transport_listen(struct transport *t, const struct sockaddr *addr,
		     socklen_t addrlen);

/* The address we listen on (with the port the kernel chose for 0). */
int transport_local_addr(struct transport *t, struct sockaddr_storage *ret,
			 socklen_t *ret_len);

/* Add a peer or change its address (the connection is redialled). */
int transport_peer_set(struct transport *t, uint64_t id,
		       const struct sockaddr *addr, socklen_t addrlen);
void transport_peer_remove(struct transport *t, uint64_t id);

/*
 * Queue one frame to peer `to`. 0 when queued; -ENOENT for an unknown
 * peer; -ENOBUFS when its queue is full (the frame is dropped);
 * -EMSGSIZE above max_payload; -ENOMEM.
 */
int transport_send(struct transport *t, uint64_t to, uint8_t type,
		   const void *buf, size_t len);

int transport_peer_stats(struct transport *t, uint64_t id,
			 struct transport_peer_stats *ret_stats);

#endif /* ATOM_TRANSPORT_H */
