/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The agent's Raft node: the pure core (raft/raft.c) on a real disk
 * (raft/store.c over the POSIX file layer) and real sockets (transport.c),
 * driven from the one loop: ready -> persist -> send -> apply -> advance.
 *
 * A node's Raft id is its mesh address (IPv4, host order) and its peers
 * are reached at their mesh address on the Raft port, so membership is
 * all the address book there is.
 */
#ifndef ATOM_NODE_H
#define ATOM_NODE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "fsm.h"
#include "loop.h"
#include "raft/raft.h"

struct node_config {
	struct in_addr ip;		/* this node's mesh address */
	uint16_t raft_port;
	const char *dir;		/* the store's directory */
	bool bootstrap;			/* found a cluster if the store is empty */
	bool force_new_cluster;		/* become the only voter (design §5) */
	const char *bind_device;	/* SO_BINDTODEVICE for Raft, or NULL */
	uint32_t heartbeat_ms;
	uint32_t election_ms;
	uint32_t snapshot_every;	/* applied entries between snapshots */
};

struct node;

/* Called once a proposal is applied (err 0, result) or lost (err < 0). */
typedef void (*node_done_fn)(void *arg, int err, int64_t result,
			     uint64_t index);

int node_open(struct node **ret, struct loop *loop,
	      const struct node_config *cfg, const struct fsm_ops *fsm,
	      void *fsm_ctx, char *err, size_t errlen);
void node_close(struct node *n);

/* Leader only (-EREMOTE otherwise); done runs when it is applied. */
int node_propose(struct node *n, const void *data, uint32_t len,
		 node_done_fn done, void *arg);
/* A membership change of the node at ip; done runs once it commits. */
int node_member(struct node *n, enum raft_conf_op op, struct in_addr ip,
		node_done_fn done, void *arg);
int node_transfer(struct node *n, struct in_addr to);

/*
 * Graceful stop: a leader hands leadership to its most up-to-date voter
 * and waits (up to two election timeouts); then done runs.
 */
void node_stop(struct node *n, void (*done)(void *arg), void *arg);

struct node_status {
	const char *role;		/* leader, voter, learner, none */
	struct in_addr leader;		/* 0.0.0.0: none known */
	uint64_t term, commit, applied, last_index;
	uint64_t transfers;		/* leaderships this node handed off */
	uint32_t voters, learners;
	bool disk_full;
};

void node_status(const struct node *n, struct node_status *st);

/*
 * Who may open a Raft connection to us besides the members of the Raft
 * configuration (e.g. every node of the mesh state); NULL: anyone whose
 * source address is the id it announces.
 */
void node_set_accept(struct node *n, bool (*fn)(void *ctx, uint32_t ip),
		     void *ctx);
/* Milliseconds since ip last sent us a Raft frame; UINT64_MAX: never. */
uint64_t node_contact_age_ms(const struct node *n, struct in_addr ip);
/* The core, for read-only queries (membership, match, leader). */
const struct raft *node_raft(const struct node *n);

uint64_t node_id_of(struct in_addr ip);
struct in_addr node_ip_of(uint64_t id);

#endif /* ATOM_NODE_H */
