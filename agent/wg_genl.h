/* SPDX-License-Identifier: GPL-2.0 */
/*
 * WireGuard's generic netlink family from userspace (linux/wireguard.h):
 * get a device with its peers (a dump, peers split across messages put
 * back together) and set a device, its peers batched into as few messages
 * as fit.
 */
#ifndef ATOM_WG_GENL_H
#define ATOM_WG_GENL_H

#include <linux/wireguard.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "nlsock.h"

/* Bytes of one SET_DEVICE message. */
#define WG_GENL_MSG_BYTES (16 * 1024)
/* Allowed IPs of one peer that a dump may give us. */
#define WG_GENL_IPS_MAX 4096

struct wg_genl {
	struct nlsock s;
	uint16_t family;
};

struct wg_allowedip {
	uint16_t family;	/* AF_INET or AF_INET6 */
	uint8_t cidr;
	union {
		struct in_addr ip4;
		struct in6_addr ip6;
	};
};

struct wg_peer {
	uint8_t key[WG_KEY_LEN];
	uint32_t flags;				/* WGPEER_F_* to send */
	struct sockaddr_storage endpoint;	/* ss_family 0: none */
	bool has_keepalive;
	uint16_t keepalive_s;
	bool has_ips;				/* send the (maybe empty) list */
	struct wg_allowedip *ips;
	size_t n_ips;
	/* Only from a get: */
	int64_t last_handshake_s;
	uint64_t rx_bytes, tx_bytes;
};

struct wg_device {
	uint32_t ifindex;
	bool has_private_key;
	uint8_t private_key[WG_KEY_LEN];
	uint8_t public_key[WG_KEY_LEN];	/* from a get */
	bool has_listen_port;
	uint16_t listen_port;
	struct wg_peer *peers;
	size_t n_peers;
};

int wg_genl_open(struct wg_genl *g);
void wg_genl_close(struct wg_genl *g);

/* The device and all its peers; free with wg_device_free. */
int wg_genl_get(struct wg_genl *g, uint32_t ifindex, struct wg_device *ret);
void wg_device_free(struct wg_device *d);

/*
 * Set the device: its private key and port if given, then its peers, as
 * many per message as fit (what wg(8) does). Stops at the first message
 * the kernel refuses: the peers before it are set.
 */
int wg_genl_set(struct wg_genl *g, const struct wg_device *d);

/*
 * Put one SET_DEVICE request holding one peer at buf (cap bytes), with
 * sequence number seq, for nlsock_batch. Its length, or -EMSGSIZE.
 */
int wg_genl_put_peer(struct wg_genl *g, void *buf, size_t cap,
		     uint32_t ifindex, const struct wg_peer *p, uint32_t seq);

#endif /* ATOM_WG_GENL_H */
