/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The atom generic netlink family (uapi/linux/atom.h) from userspace, over
 * libmnl: resolve the family, bind, apply, replace, get, and wait for the
 * done event of a queued job. Every request asks for an ack with
 * NETLINK_EXT_ACK and NETLINK_CAP_ACK; the kernel's extack text of the
 * last refusal is kept in err_msg.
 */
#ifndef ATOM_GENL_H
#define ATOM_GENL_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <linux/atom.h>

struct mnl_socket;

struct atom_genl {
	struct mnl_socket *req;		/* requests and their acks */
	struct mnl_socket *ev;		/* the "events" group */
	uint16_t family;
	uint32_t events_group;
	uint32_t seq;
	char *buf;			/* holds an ATOM_MAX_BATCH request */
	size_t buflen;
	char err_msg[256];		/* extack of the last refusal */
};

struct atom_genl_item {
	uint32_t op;				/* enum atom_op */
	uint8_t key[ATOM_KEY_LEN];
	struct in_addr addr;
	struct sockaddr_storage endpoint;	/* ss_family 0: none */
	uint32_t keepalive;
	uint32_t flags;				/* GET: enum atom_peer_flags */
};

struct atom_genl_result {
	uint64_t job;
	uint32_t cmd;
	uint64_t index;
	int err;
	uint32_t item;
	uint32_t phase;
	int undo_err;
	char msg[ATOM_MSG_LEN];
};

struct atom_genl_state {
	uint32_t ifindex;
	char ifname[16];
	bool bound;
	uint64_t applied;
	uint32_t pending, peer_count, drift;
	bool has_last;
	struct atom_genl_result last;
};

int atom_genl_open(struct atom_genl *g);
/* Join the events group: needs CAP_NET_ADMIN. Join before sending. */
int atom_genl_subscribe(struct atom_genl *g);
void atom_genl_close(struct atom_genl *g);

/* Queue a job; *job is its id for atom_genl_wait. */
int atom_genl_bind(struct atom_genl *g, uint32_t ifindex, uint64_t *job);
/* cmd: ATOM_CMD_APPLY or ATOM_CMD_REPLACE; expect NULL: no guard. */
int atom_genl_batch(struct atom_genl *g, uint8_t cmd, uint32_t ifindex,
		    uint64_t index, const uint64_t *expect,
		    const struct atom_genl_item *items, size_t n,
		    uint64_t *job);
/* Wait for the done event of job; -ETIMEDOUT after timeout_ms. */
int atom_genl_wait(struct atom_genl *g, uint64_t job, int timeout_ms,
		   struct atom_genl_result *res);

int atom_genl_get(struct atom_genl *g, struct atom_genl_state *st);
/* State and every peer of the record; *peers is the caller's to free. */
int atom_genl_dump(struct atom_genl *g, struct atom_genl_state *st,
		   struct atom_genl_item **peers, size_t *n);

const char *atom_genl_phase_name(uint32_t phase);

#endif /* ATOM_GENL_H */
