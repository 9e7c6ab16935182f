/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ATOM_PEER_H
#define _ATOM_PEER_H

#include <linux/hashtable.h>
#include <linux/if.h>
#include <linux/in6.h>
#include <linux/types.h>

#include <linux/atom.h>

#define ATOM_HASH_BITS 12

struct atom_ep {
	u16 family;		/* 0: none, AF_INET, AF_INET6 */
	u16 port;
	union {
		__be32 v4;
		struct in6_addr v6;
	};
};

/* What atom sets on a peer. */
struct atom_peer_cfg {
	u8 key[ATOM_KEY_LEN];
	__be32 addr;
	struct atom_ep ep;
	u32 keepalive;
};

/* One entry of the record: a peer of the bound device. */
struct atom_peer {
	struct hlist_node by_key;
	struct hlist_node by_addr;
	struct atom_peer_cfg cfg;
	u32 flags;		/* enum atom_peer_flags */
};

/*
 * The record of the bound device. Only the worker changes it, under the
 * namespace's lock; GET reads it under the same lock.
 */
struct atom_dev {
	int ifindex;
	char ifname[IFNAMSIZ];
	u8 pubkey[ATOM_KEY_LEN];
	bool has_pubkey;
	/*
	 * WireGuard's generic netlink family id, resolved at bind: valid as
	 * long as the device exists (its module cannot leave under it).
	 */
	u16 wg_family;
	u32 n;
	u32 drift;
	DECLARE_HASHTABLE(by_key, ATOM_HASH_BITS);
	DECLARE_HASHTABLE(by_addr, ATOM_HASH_BITS);
};

struct atom_dev *atom_dev_new(int ifindex, const char *ifname);
void atom_dev_free(struct atom_dev *d);
struct atom_peer *atom_dev_find_key(struct atom_dev *d, const u8 *key);
struct atom_peer *atom_dev_find_addr(struct atom_dev *d, __be32 addr);
void atom_dev_insert(struct atom_dev *d, struct atom_peer *p);
void atom_dev_remove(struct atom_dev *d, struct atom_peer *p);
void atom_dev_set_addr(struct atom_dev *d, struct atom_peer *p, __be32 addr);
bool atom_ep_equal(const struct atom_ep *a, const struct atom_ep *b);

#endif /* _ATOM_PEER_H */
