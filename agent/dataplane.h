/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The dataplane: what the agent asks of the machine's WireGuard device.
 * Three backends share this interface (design §6): kernel (atom.ko),
 * netlink (WireGuard's family and rtnetlink from userspace) and none (no
 * device at all: control-plane tests on loopback).
 *
 * Every change carries the Raft index it brings the device to. An item
 * that cannot be installed never wedges the node: apply installs the rest,
 * reports the item as drift, and the index advances.
 */
#ifndef ATOM_DATAPLANE_H
#define ATOM_DATAPLANE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define DP_KEY_LEN 32

struct dp_peer {
	uint8_t key[DP_KEY_LEN];		/* WireGuard public key */
	struct in_addr ip;			/* its mesh address: the /32 */
	struct sockaddr_storage endpoint;	/* ss_family 0: none known */
	uint32_t keepalive_s;			/* 0: off */
};

enum dp_op { DP_UPSERT, DP_REMOVE };

struct dp_change {
	enum dp_op op;
	struct dp_peer peer;	/* for DP_REMOVE only the key counts */
};

struct dp_device {
	char ifname[16];
	uint8_t private_key[DP_KEY_LEN];
	uint32_t listen_port;
	uint32_t mtu;
	struct in_addr addr;	/* this node's mesh address */
	struct in_addr network;	/* the mesh CIDR, held unreachable */
	uint32_t prefix;
};

/* A peer as the device has it now (for node list and reconcile). */
struct dp_peer_state {
	struct dp_peer peer;
	int64_t last_handshake_s;	/* unix seconds; 0: never */
	uint64_t rx_bytes, tx_bytes;
};

struct dataplane;

struct dp_ops {
	const char *name;
	/* Create or adopt the device; secrets in dev are the caller's. */
	int (*setup)(struct dataplane *dp, const struct dp_device *dev);
	/* Apply changes (removals first) and record index. */
	int (*apply)(struct dataplane *dp, const struct dp_change *changes,
		     size_t n, uint64_t index);
	/* Make the peer set exactly peers[] (restore, reconcile). */
	int (*replace)(struct dataplane *dp, const struct dp_peer *peers,
		       size_t n, uint64_t index);
	/* The device's peers now; *ret is the caller's to free. */
	int (*list)(struct dataplane *dp, struct dp_peer_state **ret,
		    size_t *ret_n);
	/* Release the backend; down: also remove the device. */
	void (*close)(struct dataplane *dp, bool down);
};

struct dataplane {
	const struct dp_ops *ops;
	uint64_t applied_index;
	void *priv;
};

/* The none backend: keeps the peer set in memory, touches nothing. */
int dp_none_open(struct dataplane *dp);
/* The kernel backend: atom.ko's family (needs the module and the device). */
int dp_kernel_open(struct dataplane *dp);

#endif /* ATOM_DATAPLANE_H */
