// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel dataplane: atom.ko does the work (uapi/linux/atom.h), this
 * backend turns dataplane calls into its jobs and waits for their results.
 *
 * atom.ko applies a batch all or nothing; the dataplane contract wants an
 * item that cannot be installed never to wedge the node. So when a batch
 * fails on one named item, that item is left out, counted as drift, and
 * the rest is applied again, until the batch goes in; the index advances.
 */
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include "atom_genl.h"
#include "dataplane.h"

#define JOB_TIMEOUT_MS	(120 * 1000)

struct kernel {
	struct atom_genl g;
	uint32_t ifindex;
	uint64_t drift;		/* items left out so far */
};

static int run(struct kernel *k, uint8_t cmd, struct atom_genl_item *items,
	       size_t n, uint64_t index, struct atom_genl_result *r)
{
	uint64_t job;
	int ret;

	ret = atom_genl_batch(&k->g, cmd, k->ifindex, index, NULL, items, n,
			      &job);
	if (ret < 0)
		return ret;
	ret = atom_genl_wait(&k->g, job, JOB_TIMEOUT_MS, r);
	if (ret < 0)
		return ret;
	return r->err;
}

static int kernel_setup(struct dataplane *dp, const struct dp_device *dev)
{
	struct kernel *k = dp->priv;
	struct atom_genl_result r;
	uint64_t job;
	int ret;

	/* Creating the device is shared with the netlink backend. */
	k->ifindex = if_nametoindex(dev->ifname);
	if (!k->ifindex)
		return -ENODEV;
	ret = atom_genl_bind(&k->g, k->ifindex, &job);
	if (ret < 0)
		return ret;
	ret = atom_genl_wait(&k->g, job, JOB_TIMEOUT_MS, &r);
	return ret < 0 ? ret : r.err;
}

static void to_item(struct atom_genl_item *it, const struct dp_peer *p,
		    uint32_t op)
{
	memset(it, 0, sizeof(*it));
	it->op = op;
	memcpy(it->key, p->key, ATOM_KEY_LEN);
	it->addr = p->ip;
	it->endpoint = p->endpoint;
	it->keepalive = p->keepalive_s;
}

/*
 * Apply items[0..n) as one job; drop what fails by itself and retry.
 * Returns 0, or the first item's error when something was left out.
 */
static int apply_items(struct dataplane *dp, uint8_t cmd,
		       struct atom_genl_item *items, size_t n, uint64_t index)
{
	struct kernel *k = dp->priv;
	struct atom_genl_result r;
	int ret, first = 0;

	for (;;) {
		ret = run(k, cmd, items, n, index, &r);
		if (!ret)
			break;
		/* Only a failure of one named item is drift. */
		if (ret == -ENODEV || ret == -ENOMEM || ret == -EBUSY ||
		    ret == -ETIMEDOUT || r.item >= n || r.undo_err)
			return ret;
		if (!first)
			first = ret;
		k->drift++;
		items[r.item] = items[--n];
	}
	dp->applied_index = index;
	return first;
}

static int kernel_apply(struct dataplane *dp, const struct dp_change *changes,
			size_t n, uint64_t index)
{
	struct atom_genl_item *items;
	size_t i, off, len;
	int ret = 0, err;

	items = calloc(n ? n : 1, sizeof(*items));
	if (!items)
		return -ENOMEM;
	/* Larger than one job: applied in parts, which are not one unit. */
	for (off = 0; off == 0 || off < n; off += len) {
		len = n - off < ATOM_MAX_BATCH ? n - off : ATOM_MAX_BATCH;
		for (i = 0; i < len; i++)
			to_item(&items[i], &changes[off + i].peer,
				changes[off + i].op == DP_REMOVE ?
				ATOM_OP_REMOVE : ATOM_OP_UPSERT);
		err = apply_items(dp, ATOM_CMD_APPLY, items, len, index);
		if (err && !ret)
			ret = err;
		if (err && dp->applied_index != index)
			break;
		if (!n)
			break;
	}
	free(items);
	return ret;
}

static int kernel_replace(struct dataplane *dp, const struct dp_peer *peers,
			  size_t n, uint64_t index)
{
	struct atom_genl_item *items;
	size_t i;
	int ret;

	if (n > ATOM_MAX_BATCH)
		return -E2BIG;
	items = calloc(n ? n : 1, sizeof(*items));
	if (!items)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		to_item(&items[i], &peers[i], ATOM_OP_UPSERT);
	ret = apply_items(dp, ATOM_CMD_REPLACE, items, n, index);
	free(items);
	return ret;
}

/* The record: configuration only (live counters come from WireGuard). */
static int kernel_list(struct dataplane *dp, struct dp_peer_state **ret,
		       size_t *ret_n)
{
	struct kernel *k = dp->priv;
	struct atom_genl_item *peers;
	struct atom_genl_state st;
	struct dp_peer_state *out;
	size_t n, i;
	int err;

	err = atom_genl_dump(&k->g, &st, &peers, &n);
	if (err < 0)
		return err;
	out = calloc(n + 1, sizeof(*out));
	if (!out) {
		free(peers);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		memcpy(out[i].peer.key, peers[i].key, DP_KEY_LEN);
		out[i].peer.ip = peers[i].addr;
		out[i].peer.endpoint = peers[i].endpoint;
		out[i].peer.keepalive_s = peers[i].keepalive;
	}
	free(peers);
	*ret = out;
	*ret_n = n;
	return 0;
}

static void kernel_close(struct dataplane *dp, bool down)
{
	struct kernel *k = dp->priv;

	(void)down;	/* removing the device is the netlink backend's */
	if (!k)
		return;
	atom_genl_close(&k->g);
	free(k);
	dp->priv = NULL;
}

static const struct dp_ops kernel_ops = {
	.name = "kernel",
	.setup = kernel_setup,
	.apply = kernel_apply,
	.replace = kernel_replace,
	.list = kernel_list,
	.close = kernel_close,
};

int dp_kernel_open(struct dataplane *dp)
{
	struct kernel *k;
	int ret;

	memset(dp, 0, sizeof(*dp));
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	ret = atom_genl_open(&k->g);
	if (!ret)
		ret = atom_genl_subscribe(&k->g);
	if (ret < 0) {
		atom_genl_close(&k->g);
		free(k);
		return ret;
	}
	dp->priv = k;
	dp->ops = &kernel_ops;
	return 0;
}
