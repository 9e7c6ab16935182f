// SPDX-License-Identifier: GPL-2.0
/*
 * atom.ko: the record of the bound device's peers, hashed by key and by
 * /32, so that a change costs the same whatever the number of peers.
 */

#include <linux/jhash.h>
#include <linux/socket.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>

#include <asm/unaligned.h>
#include <net/ipv6.h>

#include "peer.h"

static u32 key_hash(const u8 *key)
{
	/* Public keys are uniformly random: their first bytes will do. */
	return get_unaligned((const u32 *)key);
}

static u32 addr_hash(__be32 addr)
{
	return jhash_1word((__force u32)addr, 0);
}

struct atom_dev *atom_dev_new(int ifindex, const char *ifname)
{
	struct atom_dev *d;

	d = kvzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return NULL;
	d->ifindex = ifindex;
	strscpy(d->ifname, ifname, sizeof(d->ifname));
	hash_init(d->by_key);
	hash_init(d->by_addr);
	return d;
}

void atom_dev_free(struct atom_dev *d)
{
	struct hlist_node *tmp;
	struct atom_peer *p;
	int bkt;

	if (!d)
		return;
	hash_for_each_safe(d->by_key, bkt, tmp, p, by_key) {
		hash_del(&p->by_key);
		kfree(p);
	}
	memzero_explicit(d->pubkey, sizeof(d->pubkey));
	kvfree(d);
}

struct atom_peer *atom_dev_find_key(struct atom_dev *d, const u8 *key)
{
	struct atom_peer *p;

	hash_for_each_possible(d->by_key, p, by_key, key_hash(key))
		if (!memcmp(p->cfg.key, key, ATOM_KEY_LEN))
			return p;
	return NULL;
}

struct atom_peer *atom_dev_find_addr(struct atom_dev *d, __be32 addr)
{
	struct atom_peer *p;

	hash_for_each_possible(d->by_addr, p, by_addr, addr_hash(addr))
		if (p->cfg.addr == addr)
			return p;
	return NULL;
}

void atom_dev_insert(struct atom_dev *d, struct atom_peer *p)
{
	hash_add(d->by_key, &p->by_key, key_hash(p->cfg.key));
	hash_add(d->by_addr, &p->by_addr, addr_hash(p->cfg.addr));
	d->n++;
}

void atom_dev_remove(struct atom_dev *d, struct atom_peer *p)
{
	hash_del(&p->by_key);
	hash_del(&p->by_addr);
	d->n--;
	kfree(p);
}

void atom_dev_set_addr(struct atom_dev *d, struct atom_peer *p, __be32 addr)
{
	hash_del(&p->by_addr);
	p->cfg.addr = addr;
	hash_add(d->by_addr, &p->by_addr, addr_hash(addr));
}

bool atom_ep_equal(const struct atom_ep *a, const struct atom_ep *b)
{
	if (a->family != b->family)
		return false;
	if (!a->family)
		return true;
	if (a->port != b->port)
		return false;
	if (a->family == AF_INET)
		return a->v4 == b->v4;
	return ipv6_addr_equal(&a->v6, &b->v6);
}
