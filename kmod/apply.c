// SPDX-License-Identifier: GPL-2.0
/*
 * atom.ko: running a job in the worker. A batch is checked against the
 * record, turned into a plan of per-peer actions, and executed phase by
 * phase; on any failure the completed steps are undone in reverse order.
 * The record changes only once everything succeeded.
 *
 * The namespace's lock is held while planning and committing, never across
 * a netlink request: the netdevice notifier takes it under rtnl, and every
 * request below takes rtnl.
 */

#include <linux/bsearch.h>
#include <linux/mm.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <net/net_namespace.h>

#include "apply.h"
#include "route.h"
#include "test.h"
#include "wg.h"

enum act_kind { ACT_NEW, ACT_UPD, ACT_DEL };

struct act {
	u8 kind;
	bool ep;		/* endpoint changes: send it */
	bool ka;		/* keepalive changes */
	bool addr;		/* the /32 changes (UPD) */
	bool route_add;		/* add the route of new.addr */
	bool old_route;		/* atom's route of old.addr exists */
	bool route_gone;	/* ... but was already gone when deleted */
	u32 item;
	struct atom_peer_cfg new, old;
	struct atom_peer *rec;	/* UPD, DEL */
	struct atom_peer *fresh; /* NEW */
};

struct exec {
	struct atom_nlsock gs, rs;
	struct atom_wg wg;
	int ifindex;
	struct act *acts;
	u32 n;
	u32 done[__ATOM_PHASE_MAX];
	struct atom_result *res;
};

static const char * const phase_name[__ATOM_PHASE_MAX] = {
	[ATOM_PHASE_NONE] = "none",
	[ATOM_PHASE_CHECK] = "check",
	[ATOM_PHASE_GUARD] = "index guard",
	[ATOM_PHASE_LOOKUP] = "lookup",
	[ATOM_PHASE_READ] = "read device",
	[ATOM_PHASE_PEER_REMOVE] = "peer remove",
	[ATOM_PHASE_ROUTE_DEL] = "route delete",
	[ATOM_PHASE_ROUTE_ADD] = "route add",
	[ATOM_PHASE_PEER_SET] = "peer set",
	[ATOM_PHASE_ROUTE_DEL_OLD] = "old route delete",
};

static void fail(struct atom_result *res, int err, u32 phase, u32 item,
		 const char *what)
{
	res->err = err;
	res->phase = phase;
	res->item = item;
	if (item == ATOM_ITEM_NONE)
		snprintf(res->msg, sizeof(res->msg), "%s: %s",
			 phase_name[phase], what);
	else
		snprintf(res->msg, sizeof(res->msg), "%s, item %u: %s",
			 phase_name[phase], item, what);
}

static int cmp_key(const void *a, const void *b)
{
	const struct atom_item * const *x = a, * const *y = b;

	return memcmp((*x)->cfg.key, (*y)->cfg.key, ATOM_KEY_LEN);
}

static int cmp_addr(const void *a, const void *b)
{
	const struct atom_item * const *x = a, * const *y = b;
	u32 p = ntohl((*x)->cfg.addr), q = ntohl((*y)->cfg.addr);

	return p < q ? -1 : p > q;
}

static const struct atom_item *find_item(const struct atom_item **byk, u32 n,
					 const u8 *key)
{
	struct atom_item probe, *pp = &probe;
	const struct atom_item **hit;

	memcpy(probe.cfg.key, key, ATOM_KEY_LEN);
	hit = bsearch(&pp, byk, n, sizeof(*byk), cmp_key);
	return hit ? *hit : NULL;
}

static const struct atom_item **sorted(const struct atom_item *items, u32 n,
				       int (*cmp)(const void *, const void *))
{
	const struct atom_item **v;
	u32 i;

	v = kvmalloc_array(n ? n : 1, sizeof(*v), GFP_KERNEL);
	if (!v)
		return NULL;
	for (i = 0; i < n; i++)
		v[i] = &items[i];
	sort(v, n, sizeof(*v), cmp, NULL);
	return v;
}

/*
 * Is the batch acceptable for the record d? On refusal, *bad is the item
 * and *why a static string (it goes into extack as is).
 */
int atom_apply_check(struct atom_dev *d, const struct atom_item *items,
		     u32 n, bool replace, u32 *bad, const char **why)
{
	const struct atom_item **byk, **bya, *other;
	struct atom_peer *owner;
	u32 i, adds = 0;
	int ret = -EINVAL;

	*bad = ATOM_ITEM_NONE;
	byk = sorted(items, n, cmp_key);
	bya = sorted(items, n, cmp_addr);
	if (!byk || !bya) {
		*why = "out of memory";
		ret = -ENOMEM;
		goto out;
	}
	for (i = 1; i < n; i++) {
		if (!cmp_key(&byk[i - 1], &byk[i])) {
			*bad = byk[i] - items;
			*why = "the same key twice in one batch";
			goto out;
		}
		if (bya[i]->op != ATOM_OP_REMOVE &&
		    bya[i - 1]->op != ATOM_OP_REMOVE &&
		    !cmp_addr(&bya[i - 1], &bya[i])) {
			*bad = bya[i] - items;
			*why = "the same /32 twice in one batch";
			goto out;
		}
	}
	for (i = 0; i < n; i++) {
		const struct atom_item *it = &items[i];
		struct atom_peer *p = atom_dev_find_key(d, it->cfg.key);

		*bad = i;
		if (d->has_pubkey &&
		    !memcmp(it->cfg.key, d->pubkey, ATOM_KEY_LEN)) {
			*why = "a peer with the device's own public key";
			goto out;
		}
		if (!p && it->op != ATOM_OP_UPSERT) {
			*why = "no peer with this key";
			ret = -ENOENT;
			goto out;
		}
		if (it->op == ATOM_OP_REMOVE)
			continue;
		if (!p)
			adds++;
		owner = atom_dev_find_addr(d, it->cfg.addr);
		if (!owner || owner == p)
			continue;
		other = find_item(byk, n, owner->cfg.key);
		/* Freed only if this batch removes its owner. */
		if (replace ? !other : other && other->op == ATOM_OP_REMOVE)
			continue;
		*why = "the /32 is owned by another peer";
		ret = -EADDRINUSE;
		goto out;
	}
	if (d->n + adds > ATOM_MAX_PEERS) {
		*bad = ATOM_ITEM_NONE;
		*why = "more peers than ATOM_MAX_PEERS";
		ret = -ENOSPC;
		goto out;
	}
	*bad = ATOM_ITEM_NONE;
	ret = 0;
out:
	kvfree(byk);
	kvfree(bya);
	return ret;
}

/* An upsert: NEW, UPD, or nothing to do (returns false). */
static bool plan_upsert(struct act *a, const struct atom_item *it,
			struct atom_peer *p, u32 item)
{
	memset(a, 0, sizeof(*a));
	a->item = item;
	a->new = it->cfg;
	if (!p) {
		a->kind = ACT_NEW;
		a->ep = !!it->cfg.ep.family;
		a->ka = true;
		a->route_add = true;
		return true;
	}
	a->kind = ACT_UPD;
	a->rec = p;
	a->old = p->cfg;
	a->old_route = p->flags & ATOM_PEER_F_ROUTE;
	/* No endpoint, or the same one: keep what roaming taught WireGuard. */
	a->ep = it->cfg.ep.family && !atom_ep_equal(&it->cfg.ep, &p->cfg.ep);
	a->ka = it->cfg.keepalive != p->cfg.keepalive;
	a->addr = it->cfg.addr != p->cfg.addr;
	a->route_add = a->addr || !a->old_route;
	return a->ep || a->ka || a->addr || a->route_add;
}

static void plan_remove(struct act *a, struct atom_peer *p, u32 item)
{
	memset(a, 0, sizeof(*a));
	a->kind = ACT_DEL;
	a->item = item;
	a->rec = p;
	a->old = p->cfg;
	a->new = p->cfg;
	a->old_route = p->flags & ATOM_PEER_F_ROUTE;
}

static void free_plan(struct act *acts, u32 n)
{
	u32 i;

	for (i = 0; i < n; i++)
		kfree(acts[i].fresh);
	kvfree(acts);
}

/* Removals first, so that a /32 freed by the batch can be reused in it. */
static int plan(struct atom_job *job, struct atom_dev *d, struct exec *x)
{
	bool replace = job->cmd == ATOM_CMD_REPLACE;
	const struct atom_item **byk = NULL;
	struct atom_peer *p;
	u32 i, n = 0, max;
	int bkt;

	max = job->n + (replace ? d->n : 0);
	x->acts = kvcalloc(max ? max : 1, sizeof(*x->acts), GFP_KERNEL);
	if (!x->acts)
		return -ENOMEM;
	if (replace) {
		byk = sorted(job->items, job->n, cmp_key);
		if (!byk)
			return -ENOMEM;
		hash_for_each(d->by_key, bkt, p, by_key)
			if (!find_item(byk, job->n, p->cfg.key))
				plan_remove(&x->acts[n++], p, ATOM_ITEM_NONE);
		kvfree(byk);
	}
	for (i = 0; i < job->n; i++) {
		if (job->items[i].op != ATOM_OP_REMOVE)
			continue;
		p = atom_dev_find_key(d, job->items[i].cfg.key);
		plan_remove(&x->acts[n++], p, i);
	}
	for (i = 0; i < job->n; i++) {
		struct atom_item *it = &job->items[i];

		if (it->op == ATOM_OP_REMOVE)
			continue;
		p = atom_dev_find_key(d, it->cfg.key);
		if (!plan_upsert(&x->acts[n], it, p, i))
			continue;
		if (x->acts[n].kind == ACT_NEW) {
			x->acts[n].fresh = kzalloc(sizeof(*p), GFP_KERNEL);
			if (!x->acts[n].fresh) {
				x->n = n;
				return -ENOMEM;
			}
		}
		n++;
	}
	x->n = n;
	return 0;
}

static bool in_phase(const struct act *a, u32 phase)
{
	switch (phase) {
	case ATOM_PHASE_PEER_REMOVE:
		return a->kind == ACT_DEL;
	case ATOM_PHASE_ROUTE_DEL:
		return a->kind == ACT_DEL && a->old_route;
	case ATOM_PHASE_ROUTE_ADD:
		return a->kind != ACT_DEL && a->route_add;
	case ATOM_PHASE_PEER_SET:
		return a->kind == ACT_NEW ||
		       (a->kind == ACT_UPD && (a->ep || a->ka || a->addr));
	case ATOM_PHASE_ROUTE_DEL_OLD:
		return a->kind == ACT_UPD && a->addr && a->old_route;
	}
	return false;
}

static void route_failed(struct exec *x, int err, u32 phase,
			 const struct act *a)
{
	const char *why = x->rs.msg[0] ? x->rs.msg : "rtnetlink refused";
	char buf[ATOM_MSG_LEN];

	if (err == -EIO && !x->rs.msg[0])
		why = "injected fault";
	/* A peer that replace removes is in no item: name it by its key. */
	if (a->item == ATOM_ITEM_NONE) {
		snprintf(buf, sizeof(buf), "peer %8phN...: %s", a->old.key, why);
		why = buf;
	}
	fail(x->res, err, phase, a->item, why);
}

static int route_phase(struct exec *x, u32 phase)
{
	bool add = phase == ATOM_PHASE_ROUTE_ADD;
	u32 i;
	int ret;

	for (i = 0; i < x->n; i++) {
		struct act *a = &x->acts[i];

		x->done[phase] = i;
		if (!in_phase(a, phase))
			continue;
		x->rs.msg[0] = '\0';
		ret = atom_test_fail(phase, a->item);
		if (!ret)
			ret = atom_route(&x->rs, x->ifindex,
					 add ? a->new.addr : a->old.addr, add);
		/*
		 * A route already gone (flushed with its device going down)
		 * is what a delete wants; its undo must not create it.
		 */
		if (ret == -ESRCH && !add) {
			a->route_gone = true;
			ret = 0;
		}
		if (ret < 0) {
			route_failed(x, ret, phase, a);
			return ret;
		}
	}
	x->done[phase] = x->n;
	return 0;
}

static u32 set_what(const struct act *a)
{
	if (a->kind == ACT_DEL)
		return ATOM_WG_REMOVE;
	if (a->kind == ACT_NEW)
		return ATOM_WG_ENDPOINT | ATOM_WG_KEEPALIVE | ATOM_WG_ADDR;
	return (a->ep ? ATOM_WG_ENDPOINT : 0) |
	       (a->ka ? ATOM_WG_KEEPALIVE : 0) |
	       (a->addr ? ATOM_WG_ADDR : 0);
}

static int wg_phase(struct exec *x, u32 phase)
{
	u32 i;
	int ret;

	for (i = 0; i < x->n; i++) {
		struct act *a = &x->acts[i];

		if (!in_phase(a, phase))
			continue;
		ret = atom_test_fail(phase, a->item);
		if (ret < 0) {
			/* What precedes the faulty item really happens. */
			x->done[phase] = i;
			ret = atom_wg_flush(&x->wg);
			if (ret < 0)
				goto err_wg;
			fail(x->res, -EIO, phase, a->item, "injected fault");
			return -EIO;
		}
		x->done[phase] = i + 1;
		ret = atom_wg_peer(&x->wg, &a->new, set_what(a), a->item);
		if (ret < 0)
			goto err_wg;
	}
	x->done[phase] = x->n;
	ret = atom_wg_flush(&x->wg);
	if (ret < 0)
		goto err_wg;
	return 0;

err_wg:
	atom_wg_discard(&x->wg);
	fail(x->res, ret, phase, x->wg.fail_tag,
	     x->gs.msg[0] ? x->gs.msg :
	     "WireGuard refused the message that starts at this item");
	return ret;
}

static void undo_err(struct exec *x, int err)
{
	if (err < 0 && !x->res->undo_err)
		x->res->undo_err = err;
}

/* Put back, in reverse, what the phases before the failure did. */
static void undo(struct exec *x)
{
	int i;
	u32 w;

	for (i = x->done[ATOM_PHASE_ROUTE_DEL_OLD] - 1; i >= 0; i--)
		if (in_phase(&x->acts[i], ATOM_PHASE_ROUTE_DEL_OLD) &&
		    !x->acts[i].route_gone)
			undo_err(x, atom_route(&x->rs, x->ifindex,
					       x->acts[i].old.addr, true));
	for (i = x->done[ATOM_PHASE_PEER_SET] - 1; i >= 0; i--) {
		struct act *a = &x->acts[i];

		if (!in_phase(a, ATOM_PHASE_PEER_SET))
			continue;
		if (a->kind == ACT_NEW) {
			w = ATOM_WG_REMOVE;
		} else {
			/* An endpoint cannot be unset: "none" stays changed. */
			w = (a->ep ? ATOM_WG_ENDPOINT : 0) |
			    (a->ka ? ATOM_WG_KEEPALIVE : 0) |
			    (a->addr ? ATOM_WG_ADDR : 0);
		}
		undo_err(x, atom_wg_peer(&x->wg, a->kind == ACT_NEW ?
					 &a->new : &a->old, w, a->item));
	}
	undo_err(x, atom_wg_flush(&x->wg));
	for (i = x->done[ATOM_PHASE_ROUTE_ADD] - 1; i >= 0; i--)
		if (in_phase(&x->acts[i], ATOM_PHASE_ROUTE_ADD))
			undo_err(x, atom_route(&x->rs, x->ifindex,
					       x->acts[i].new.addr, false));
	for (i = x->done[ATOM_PHASE_ROUTE_DEL] - 1; i >= 0; i--)
		if (in_phase(&x->acts[i], ATOM_PHASE_ROUTE_DEL) &&
		    !x->acts[i].route_gone)
			undo_err(x, atom_route(&x->rs, x->ifindex,
					       x->acts[i].old.addr, true));
	for (i = x->done[ATOM_PHASE_PEER_REMOVE] - 1; i >= 0; i--)
		if (in_phase(&x->acts[i], ATOM_PHASE_PEER_REMOVE))
			undo_err(x, atom_wg_peer(&x->wg, &x->acts[i].old,
						 ATOM_WG_ENDPOINT |
						 ATOM_WG_KEEPALIVE |
						 ATOM_WG_ADDR,
						 x->acts[i].item));
	undo_err(x, atom_wg_flush(&x->wg));
	atom_wg_discard(&x->wg);
}

static int execute(struct exec *x)
{
	static const u32 order[] = {
		ATOM_PHASE_PEER_REMOVE, ATOM_PHASE_ROUTE_DEL,
		ATOM_PHASE_ROUTE_ADD, ATOM_PHASE_PEER_SET,
		ATOM_PHASE_ROUTE_DEL_OLD,
	};
	int i, ret;

	for (i = 0; i < ARRAY_SIZE(order); i++) {
		if (order[i] == ATOM_PHASE_PEER_REMOVE ||
		    order[i] == ATOM_PHASE_PEER_SET)
			ret = wg_phase(x, order[i]);
		else
			ret = route_phase(x, order[i]);
		if (ret < 0) {
			undo(x);
			return ret;
		}
	}
	return 0;
}

static void commit(struct atom_dev *d, struct exec *x)
{
	u32 i;

	for (i = 0; i < x->n; i++) {
		struct act *a = &x->acts[i];

		switch (a->kind) {
		case ACT_DEL:
			atom_dev_remove(d, a->rec);
			break;
		case ACT_NEW:
			a->fresh->cfg = a->new;
			a->fresh->flags = ATOM_PEER_F_ROUTE;
			atom_dev_insert(d, a->fresh);
			a->fresh = NULL;
			break;
		case ACT_UPD:
			if (a->ep)
				a->rec->cfg.ep = a->new.ep;
			a->rec->cfg.keepalive = a->new.keepalive;
			if (a->addr)
				atom_dev_set_addr(d, a->rec, a->new.addr);
			a->rec->flags |= ATOM_PEER_F_ROUTE;
			break;
		}
	}
}

static int open_socks(struct exec *x, struct net *net, bool resolve)
{
	int ret = 0;

	ret = atom_nlsock_open(&x->gs, net, NETLINK_GENERIC);
	if (ret < 0) {
		fail(x->res, ret, ATOM_PHASE_LOOKUP, ATOM_ITEM_NONE,
		     "cannot open a generic netlink socket");
		return ret;
	}
	ret = atom_nlsock_open(&x->rs, net, NETLINK_ROUTE);
	if (ret < 0) {
		fail(x->res, ret, ATOM_PHASE_LOOKUP, ATOM_ITEM_NONE,
		     "cannot open a rtnetlink socket");
		return ret;
	}
	x->wg.s = &x->gs;
	x->wg.ifindex = x->ifindex;
	/* A dump of every family costs more than a small batch: once. */
	if (resolve)
		ret = atom_wg_family(&x->gs, &x->wg.family);
	if (ret < 0)
		fail(x->res, ret, ATOM_PHASE_LOOKUP, ATOM_ITEM_NONE,
		     "no WireGuard generic netlink family");
	/* Test builds hold the job here, with nested requests on both sides. */
	atom_test_delay();
	return ret;
}

static void run_bind(struct atom_job *job, struct atom_net *an, struct exec *x)
{
	struct atom_dev *d, *old;
	int ret;

	d = atom_dev_new(job->ifindex, job->ifname);
	if (!d) {
		fail(x->res, -ENOMEM, ATOM_PHASE_READ, ATOM_ITEM_NONE,
		     "out of memory");
		return;
	}
	d->wg_family = x->wg.family;
	ret = atom_wg_read(&x->gs, x->wg.family, d);
	if (!ret)
		ret = atom_route_read(&x->rs, d);
	if (ret < 0) {
		fail(x->res, ret, ATOM_PHASE_READ, ATOM_ITEM_NONE,
		     "cannot read the WireGuard device and its routes");
		atom_dev_free(d);
		return;
	}
	mutex_lock(&an->lock);
	old = an->dev;
	an->dev = d;
	an->gone = false;
	an->gen++;
	mutex_unlock(&an->lock);
	atom_dev_free(old);
}

static void run_batch(struct atom_job *job, struct atom_net *an,
		      struct exec *x)
{
	struct atom_dev *d;
	const char *why;
	u32 bad;
	int ret;

	mutex_lock(&an->lock);
	d = an->dev;
	if (!d || an->gone) {
		fail(x->res, -ENODEV, ATOM_PHASE_LOOKUP, ATOM_ITEM_NONE,
		     "no WireGuard device bound");
		goto out_unlock;
	}
	if (job->has_expect && job->expect != an->applied) {
		snprintf(x->res->msg, sizeof(x->res->msg),
			 "index guard: expected %llu, device at %llu",
			 job->expect, an->applied);
		x->res->err = -ESTALE;
		x->res->phase = ATOM_PHASE_GUARD;
		goto out_unlock;
	}
	ret = atom_apply_check(d, job->items, job->n,
			       job->cmd == ATOM_CMD_REPLACE, &bad, &why);
	if (ret < 0) {
		fail(x->res, ret, ATOM_PHASE_CHECK, bad, why);
		goto out_unlock;
	}
	ret = plan(job, d, x);
	x->wg.family = d->wg_family;
	mutex_unlock(&an->lock);
	if (ret < 0) {
		fail(x->res, ret, ATOM_PHASE_CHECK, ATOM_ITEM_NONE,
		     "out of memory");
		return;
	}
	x->ifindex = d->ifindex;
	x->wg.ifindex = d->ifindex;
	if (execute(x) < 0)
		return;

	mutex_lock(&an->lock);
	if (an->dev != d || an->gone) {
		fail(x->res, -ENODEV, ATOM_PHASE_LOOKUP, ATOM_ITEM_NONE,
		     "the device went away during the batch");
		goto out_unlock;
	}
	commit(d, x);
	an->applied = job->index;
	an->gen++;
out_unlock:
	mutex_unlock(&an->lock);
}

void atom_apply_run(struct atom_job *job, struct atom_net *an,
		    struct atom_result *res)
{
	struct exec *x;

	x = kzalloc(sizeof(*x), GFP_KERNEL);
	if (!x) {
		res->err = -ENOMEM;
		strscpy(res->msg, "out of memory", sizeof(res->msg));
		return;
	}
	x->res = res;
	x->ifindex = job->ifindex;
	if (open_socks(x, job->net, job->cmd == ATOM_CMD_BIND) < 0)
		goto out;
	if (job->cmd == ATOM_CMD_BIND)
		run_bind(job, an, x);
	else
		run_batch(job, an, x);
out:
	if (x->acts)
		free_plan(x->acts, x->n);
	atom_nlsock_close(&x->gs);
	atom_nlsock_close(&x->rs);
	kfree(x);
}
