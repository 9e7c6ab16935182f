// SPDX-License-Identifier: GPL-2.0
/*
 * atom.ko: the generic netlink family "atom": policies, doits, the GET
 * dump and the done notification. No doit sends a netlink request: a
 * batch is validated here, queued for the worker, and answered with its
 * job id (see work.c for why).
 *
 * The permission check here is the only gate: the worker's own requests
 * to WireGuard and rtnetlink carry a kworker's credentials. So every op,
 * GET included, is GENL_ADMIN_PERM (CAP_NET_ADMIN in the initial user
 * namespace), and a job only ever acts in the namespace of the socket
 * that queued it.
 */

#include <linux/netdevice.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <net/rtnetlink.h>
#include <net/sock.h>

#include <linux/atom.h>

#include "apply.h"
#include "netlink.h"
#include "work.h"

static struct netlink_range_validation port_range = {
	.min = 1,
	.max = 65535,
};

static struct netlink_range_validation keepalive_range = {
	.max = 65535,
};

static const struct nla_policy item_policy[ATOM_ITEM_A_MAX + 1] = {
	[ATOM_ITEM_A_OP] = NLA_POLICY_MAX(NLA_U32, ATOM_OP_MAX),
	[ATOM_ITEM_A_KEY] = NLA_POLICY_EXACT_LEN(ATOM_KEY_LEN),
	[ATOM_ITEM_A_ADDR] = { .type = NLA_BE32 },
	[ATOM_ITEM_A_ENDPOINT4] = { .type = NLA_BE32 },
	[ATOM_ITEM_A_ENDPOINT6] = NLA_POLICY_EXACT_LEN(sizeof(struct in6_addr)),
	[ATOM_ITEM_A_PORT] = NLA_POLICY_FULL_RANGE(NLA_U32, &port_range),
	[ATOM_ITEM_A_KEEPALIVE] = NLA_POLICY_FULL_RANGE(NLA_U32,
							&keepalive_range),
	[ATOM_ITEM_A_FLAGS] = { .type = NLA_REJECT },
};

static const struct nla_policy bind_policy[ATOM_A_MAX + 1] = {
	[ATOM_A_IFINDEX] = NLA_POLICY_MIN(NLA_U32, 1),
	[ATOM_A_IFNAME] = { .type = NLA_NUL_STRING, .len = IFNAMSIZ - 1 },
};

static const struct nla_policy apply_policy[ATOM_A_MAX + 1] = {
	[ATOM_A_IFINDEX] = NLA_POLICY_MIN(NLA_U32, 1),
	[ATOM_A_INDEX] = NLA_POLICY_MIN(NLA_U64, 1),
	[ATOM_A_EXPECT_INDEX] = { .type = NLA_U64 },
	[ATOM_A_ITEM] = NLA_POLICY_NESTED(item_policy),
};

/* GET takes no attribute: strict validation refuses any. */
static const struct nla_policy get_policy[ATOM_A_MAX + 1] = {
};

static struct genl_family atom_genl_family;

/* NL_SET_ERR_MSG takes literals only; these messages are static too. */
static void set_err(struct netlink_ext_ack *extack, const struct nlattr *attr,
		    const char *msg)
{
	if (!extack)
		return;
	extack->_msg = msg;
	if (attr)
		extack->bad_attr = attr;
}

static bool require(struct genl_info *info, int attr, const char *msg)
{
	if (!GENL_REQ_ATTR_CHECK(info, attr))
		return true;
	set_err(info->extack, NULL, msg);
	return false;
}

static u32 get_u32_or(const struct nlattr *a, u32 dflt)
{
	return a ? nla_get_u32(a) : dflt;
}

static int reply_job(struct genl_info *info, u64 id)
{
	struct sk_buff *skb;
	void *hdr;

	skb = genlmsg_new(nla_total_size_64bit(sizeof(u64)), GFP_KERNEL);
	if (!skb)
		return -ENOMEM;
	hdr = genlmsg_put_reply(skb, info, &atom_genl_family, 0,
				info->genlhdr->cmd);
	if (!hdr || nla_put_u64_64bit(skb, ATOM_A_JOB, id, ATOM_A_PAD)) {
		nlmsg_free(skb);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return genlmsg_reply(skb, info);
}

/* Queue the job and answer with its id; the job is consumed. */
static int queue_and_reply(struct atom_job *job, struct genl_info *info)
{
	u64 id;
	int ret;

	ret = atom_job_queue(job, genl_info_net(info), &id, info->extack);
	if (ret < 0) {
		atom_job_free(job);
		return ret;
	}
	/* The job runs whatever happens to this reply. */
	return reply_job(info, id);
}

static int atom_nl_bind(struct sk_buff *skb, struct genl_info *info)
{
	struct net *net = genl_info_net(info);
	struct net_device *dev = NULL;
	struct atom_job *job;
	int ret;

	if (info->attrs[ATOM_A_IFINDEX]) {
		dev = dev_get_by_index(net,
				       nla_get_u32(info->attrs[ATOM_A_IFINDEX]));
	} else if (info->attrs[ATOM_A_IFNAME]) {
		dev = dev_get_by_name(net, nla_data(info->attrs[ATOM_A_IFNAME]));
	} else {
		NL_SET_ERR_MSG_MOD(info->extack,
				   "ATOM_A_IFINDEX or ATOM_A_IFNAME required");
		return -EINVAL;
	}
	if (!dev) {
		NL_SET_ERR_MSG_MOD(info->extack, "no such device");
		return -ENODEV;
	}
	if (!dev->rtnl_link_ops ||
	    strcmp(dev->rtnl_link_ops->kind, "wireguard")) {
		NL_SET_ERR_MSG_MOD(info->extack, "not a WireGuard device");
		ret = -EOPNOTSUPP;
		goto out_put;
	}
	job = atom_job_alloc(0);
	if (!job) {
		ret = -ENOMEM;
		goto out_put;
	}
	job->cmd = ATOM_CMD_BIND;
	job->ifindex = dev->ifindex;
	strscpy(job->ifname, dev->name, sizeof(job->ifname));
	ret = queue_and_reply(job, info);
out_put:
	dev_put(dev);
	return ret;
}

static const struct nlattr *nth_item(struct genl_info *info, u32 n)
{
	const struct nlattr *a;
	int rem;

	nla_for_each_attr(a, genlmsg_data(info->genlhdr),
			  genlmsg_len(info->genlhdr), rem)
		if (nla_type(a) == ATOM_A_ITEM && !n--)
			return a;
	return NULL;
}

static int parse_item(struct atom_item *it, const struct nlattr *nest,
		      bool replace, struct netlink_ext_ack *extack)
{
	struct nlattr *tb[ATOM_ITEM_A_MAX + 1];
	struct atom_ep *ep = &it->cfg.ep;
	bool has_ep;
	int ret;

	ret = nla_parse_nested(tb, ATOM_ITEM_A_MAX, nest, item_policy, extack);
	if (ret < 0)
		return ret;
	if (NL_REQ_ATTR_CHECK(extack, nest, tb, ATOM_ITEM_A_KEY)) {
		NL_SET_ERR_MSG_MOD(extack, "item without ATOM_ITEM_A_KEY");
		return -EINVAL;
	}
	memcpy(it->cfg.key, nla_data(tb[ATOM_ITEM_A_KEY]), ATOM_KEY_LEN);
	it->op = get_u32_or(tb[ATOM_ITEM_A_OP], ATOM_OP_UPSERT);
	has_ep = tb[ATOM_ITEM_A_ENDPOINT4] || tb[ATOM_ITEM_A_ENDPOINT6];
	if (replace && it->op != ATOM_OP_UPSERT) {
		NL_SET_ERR_MSG_ATTR(extack, tb[ATOM_ITEM_A_OP],
				    "replace takes upserts only");
		return -EINVAL;
	}
	if (it->op == ATOM_OP_REMOVE) {
		if (tb[ATOM_ITEM_A_ADDR] || has_ep || tb[ATOM_ITEM_A_PORT] ||
		    tb[ATOM_ITEM_A_KEEPALIVE]) {
			NL_SET_ERR_MSG_ATTR(extack, nest,
					    "a removal carries only its key");
			return -EINVAL;
		}
		return 0;
	}
	if (NL_REQ_ATTR_CHECK(extack, nest, tb, ATOM_ITEM_A_ADDR)) {
		NL_SET_ERR_MSG_MOD(extack, "item without ATOM_ITEM_A_ADDR");
		return -EINVAL;
	}
	it->cfg.addr = nla_get_be32(tb[ATOM_ITEM_A_ADDR]);
	if (!it->cfg.addr || ipv4_is_multicast(it->cfg.addr) ||
	    ipv4_is_lbcast(it->cfg.addr)) {
		NL_SET_ERR_MSG_ATTR(extack, tb[ATOM_ITEM_A_ADDR],
				    "not a unicast IPv4 address");
		return -EINVAL;
	}
	if (tb[ATOM_ITEM_A_ENDPOINT4] && tb[ATOM_ITEM_A_ENDPOINT6]) {
		NL_SET_ERR_MSG_ATTR(extack, tb[ATOM_ITEM_A_ENDPOINT6],
				    "two endpoints");
		return -EINVAL;
	}
	if (has_ep != !!tb[ATOM_ITEM_A_PORT]) {
		NL_SET_ERR_MSG_ATTR(extack, nest,
				    "an endpoint needs a port, a port an endpoint");
		return -EINVAL;
	}
	if (tb[ATOM_ITEM_A_ENDPOINT4]) {
		ep->family = AF_INET;
		ep->v4 = nla_get_be32(tb[ATOM_ITEM_A_ENDPOINT4]);
	} else if (tb[ATOM_ITEM_A_ENDPOINT6]) {
		ep->family = AF_INET6;
		nla_memcpy(&ep->v6, tb[ATOM_ITEM_A_ENDPOINT6], sizeof(ep->v6));
	}
	if (has_ep)
		ep->port = nla_get_u32(tb[ATOM_ITEM_A_PORT]);
	it->cfg.keepalive = get_u32_or(tb[ATOM_ITEM_A_KEEPALIVE], 0);
	return 0;
}

/*
 * With nothing queued the record is what the worker will see, so the
 * checks that need it can answer here, with extack. The worker checks
 * again in any case.
 */
static int check_now(struct atom_job *job, struct genl_info *info)
{
	struct atom_net *an = atom_net(genl_info_net(info));
	const char *why;
	int ret = 0;
	u32 bad;

	mutex_lock(&an->lock);
	if (an->pending)
		goto out;
	if (!an->dev || an->gone) {
		NL_SET_ERR_MSG_MOD(info->extack, "no WireGuard device bound");
		ret = -ENODEV;
		goto out;
	}
	if (info->attrs[ATOM_A_IFINDEX] &&
	    nla_get_u32(info->attrs[ATOM_A_IFINDEX]) != an->dev->ifindex) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[ATOM_A_IFINDEX],
				    "not the bound device");
		ret = -ENODEV;
		goto out;
	}
	if (job->has_expect && job->expect != an->applied) {
		NL_SET_ERR_MSG_ATTR(info->extack,
				    info->attrs[ATOM_A_EXPECT_INDEX],
				    "the device is not at the expected index");
		ret = -ESTALE;
		goto out;
	}
	ret = atom_apply_check(an->dev, job->items, job->n,
			       job->cmd == ATOM_CMD_REPLACE, &bad, &why);
	if (ret < 0) {
		set_err(info->extack, bad == ATOM_ITEM_NONE ? NULL :
			nth_item(info, bad), why);
	}
out:
	mutex_unlock(&an->lock);
	return ret;
}

static int atom_nl_batch(struct sk_buff *skb, struct genl_info *info)
{
	bool replace = info->genlhdr->cmd == ATOM_CMD_REPLACE;
	const struct nlattr *a;
	struct atom_job *job;
	u32 n = 0, i = 0;
	int rem, ret;

	if (!require(info, ATOM_A_INDEX, "ATOM_A_INDEX required"))
		return -EINVAL;
	nla_for_each_attr(a, genlmsg_data(info->genlhdr),
			  genlmsg_len(info->genlhdr), rem)
		if (nla_type(a) == ATOM_A_ITEM && ++n > ATOM_MAX_BATCH) {
			NL_SET_ERR_MSG_ATTR(info->extack, a,
					    "more items than ATOM_MAX_BATCH");
			return -EINVAL;
		}
	job = atom_job_alloc(n);
	if (!job)
		return -ENOMEM;
	job->cmd = info->genlhdr->cmd;
	job->index = nla_get_u64(info->attrs[ATOM_A_INDEX]);
	if (info->attrs[ATOM_A_EXPECT_INDEX]) {
		job->has_expect = true;
		job->expect = nla_get_u64(info->attrs[ATOM_A_EXPECT_INDEX]);
	}
	nla_for_each_attr(a, genlmsg_data(info->genlhdr),
			  genlmsg_len(info->genlhdr), rem) {
		if (nla_type(a) != ATOM_A_ITEM)
			continue;
		ret = parse_item(&job->items[i++], a, replace, info->extack);
		if (ret < 0)
			goto err_free;
	}
	ret = check_now(job, info);
	if (ret < 0)
		goto err_free;
	return queue_and_reply(job, info);

err_free:
	atom_job_free(job);
	return ret;
}

static int put_result(struct sk_buff *skb, const struct atom_result *res)
{
	struct nlattr *nest;

	nest = nla_nest_start(skb, ATOM_A_LAST);
	if (!nest ||
	    nla_put_u64_64bit(skb, ATOM_RESULT_A_JOB, res->job,
			      ATOM_RESULT_A_PAD) ||
	    nla_put_u32(skb, ATOM_RESULT_A_CMD, res->cmd) ||
	    nla_put_u64_64bit(skb, ATOM_RESULT_A_INDEX, res->index,
			      ATOM_RESULT_A_PAD) ||
	    nla_put_s32(skb, ATOM_RESULT_A_ERRNO, res->err) ||
	    nla_put_u32(skb, ATOM_RESULT_A_ITEM, res->item) ||
	    nla_put_u32(skb, ATOM_RESULT_A_PHASE, res->phase) ||
	    nla_put_s32(skb, ATOM_RESULT_A_UNDO_ERRNO, res->undo_err) ||
	    nla_put_string(skb, ATOM_RESULT_A_MSG, res->msg))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static int put_state(struct sk_buff *skb, struct atom_net *an)
{
	struct atom_dev *d = an->dev;
	bool bound = d && !an->gone;

	if (d && (nla_put_u32(skb, ATOM_A_IFINDEX, d->ifindex) ||
		  nla_put_string(skb, ATOM_A_IFNAME, d->ifname)))
		return -EMSGSIZE;
	if (nla_put_u32(skb, ATOM_A_BOUND, bound) ||
	    nla_put_u64_64bit(skb, ATOM_A_INDEX, an->applied, ATOM_A_PAD) ||
	    nla_put_u32(skb, ATOM_A_PENDING, an->pending) ||
	    nla_put_u32(skb, ATOM_A_PEER_COUNT, d ? d->n : 0) ||
	    nla_put_u32(skb, ATOM_A_DRIFT, d ? d->drift : 0))
		return -EMSGSIZE;
	if (an->has_last)
		return put_result(skb, &an->last);
	return 0;
}

static int put_peer(struct sk_buff *skb, const struct atom_peer *p)
{
	const struct atom_ep *ep = &p->cfg.ep;
	struct nlattr *nest;

	nest = nla_nest_start(skb, ATOM_A_PEER);
	if (!nest ||
	    nla_put(skb, ATOM_ITEM_A_KEY, ATOM_KEY_LEN, p->cfg.key) ||
	    nla_put_be32(skb, ATOM_ITEM_A_ADDR, p->cfg.addr) ||
	    nla_put_u32(skb, ATOM_ITEM_A_KEEPALIVE, p->cfg.keepalive) ||
	    nla_put_u32(skb, ATOM_ITEM_A_FLAGS, p->flags))
		goto err_cancel;
	if (ep->family == AF_INET &&
	    nla_put_be32(skb, ATOM_ITEM_A_ENDPOINT4, ep->v4))
		goto err_cancel;
	if (ep->family == AF_INET6 &&
	    nla_put(skb, ATOM_ITEM_A_ENDPOINT6, sizeof(ep->v6), &ep->v6))
		goto err_cancel;
	if (ep->family && nla_put_u32(skb, ATOM_ITEM_A_PORT, ep->port))
		goto err_cancel;
	nla_nest_end(skb, nest);
	return 0;

err_cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

static int atom_nl_get(struct sk_buff *skb, struct genl_info *info)
{
	struct atom_net *an = atom_net(genl_info_net(info));
	struct sk_buff *msg;
	void *hdr;
	int ret;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &atom_genl_family, 0, ATOM_CMD_GET);
	if (!hdr) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	mutex_lock(&an->lock);
	ret = put_state(msg, an);
	mutex_unlock(&an->lock);
	if (ret < 0) {
		nlmsg_free(msg);
		return ret;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/* cb->args: [0] state sent, [1] bucket, [2] peers of it already sent. */
static int atom_nl_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct atom_net *an = atom_net(sock_net(skb->sk));
	long bkt = cb->args[1], skip, i;
	bool state_now = false;
	struct atom_peer *p;
	int ret, count = 0;
	void *hdr;

	mutex_lock(&an->lock);
	cb->seq = an->gen;
	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &atom_genl_family, NLM_F_MULTI, ATOM_CMD_GET);
	if (!hdr) {
		ret = -EMSGSIZE;
		goto out_unlock;
	}
	genl_dump_check_consistent(cb, hdr);
	if (!cb->args[0]) {
		ret = put_state(skb, an);
		if (ret < 0)
			goto out_cancel;
		cb->args[0] = 1;
		state_now = true;
	}
	for (; an->dev && bkt < HASH_SIZE(an->dev->by_key); bkt++) {
		skip = cb->args[2];
		i = 0;
		hlist_for_each_entry(p, &an->dev->by_key[bkt], by_key) {
			if (i++ < skip)
				continue;
			if (put_peer(skb, p) < 0)
				goto out_full;
			cb->args[2] = i;
			count++;
		}
		cb->args[2] = 0;
	}
	cb->args[1] = bkt;
	if (!count && !state_now) {
		/* Nothing left: an empty return ends the dump. */
		ret = 0;
		goto out_cancel;
	}
out_full:
	cb->args[1] = bkt;
	genlmsg_end(skb, hdr);
	mutex_unlock(&an->lock);
	return skb->len;
out_cancel:
	genlmsg_cancel(skb, hdr);
out_unlock:
	mutex_unlock(&an->lock);
	return ret;
}

static const struct genl_ops atom_genl_ops[] = {
	{
		.cmd = ATOM_CMD_BIND,
		.doit = atom_nl_bind,
		.policy = bind_policy,
		.maxattr = ATOM_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = ATOM_CMD_APPLY,
		.doit = atom_nl_batch,
		.policy = apply_policy,
		.maxattr = ATOM_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = ATOM_CMD_REPLACE,
		.doit = atom_nl_batch,
		.policy = apply_policy,
		.maxattr = ATOM_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = ATOM_CMD_GET,
		.doit = atom_nl_get,
		.dumpit = atom_nl_dump,
		.policy = get_policy,
		.maxattr = ATOM_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
};

static const struct genl_multicast_group atom_mcgrps[] = {
	{ .name = ATOM_MCGRP_EVENTS, .flags = GENL_MCAST_CAP_NET_ADMIN },
};

static struct genl_family atom_genl_family __ro_after_init = {
	.name = ATOM_GENL_NAME,
	.version = ATOM_GENL_VERSION,
	.module = THIS_MODULE,
	.ops = atom_genl_ops,
	.n_ops = ARRAY_SIZE(atom_genl_ops),
	.mcgrps = atom_mcgrps,
	.n_mcgrps = ARRAY_SIZE(atom_mcgrps),
	.netnsok = true,
	.parallel_ops = true,
	.resv_start_op = 0,
};

void atom_genl_notify(struct net *net, const struct atom_result *res)
{
	struct sk_buff *skb;
	void *hdr;

	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return;
	hdr = genlmsg_put(skb, 0, 0, &atom_genl_family, 0, ATOM_CMD_DONE_NTF);
	if (!hdr || put_result(skb, res) < 0) {
		nlmsg_free(skb);
		return;
	}
	genlmsg_end(skb, hdr);
	genlmsg_multicast_netns(&atom_genl_family, net, skb, 0, 0, GFP_KERNEL);
}

int __init atom_genl_init(void)
{
	return genl_register_family(&atom_genl_family);
}

void atom_genl_uninit(void)
{
	genl_unregister_family(&atom_genl_family);
}
