// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only: registers a generic netlink family on load and unregisters it
 * on unload. Both take genl's cb_lock for write: the deadlock regression
 * test loads it while atom.ko is in the middle of a batch.
 */
#include <linux/module.h>
#include <net/genetlink.h>

static const struct nla_policy probe_policy[2] = {
	[1] = { .type = NLA_U32 },
};

static int probe_doit(struct sk_buff *skb, struct genl_info *info)
{
	return 0;
}

static const struct genl_small_ops probe_ops[] = {
	{ .cmd = 1, .doit = probe_doit, .flags = GENL_ADMIN_PERM },
};

static struct genl_family probe_family __ro_after_init = {
	.name = "atom_probe",
	.version = 1,
	.maxattr = 1,
	.policy = probe_policy,
	.module = THIS_MODULE,
	.small_ops = probe_ops,
	.n_small_ops = ARRAY_SIZE(probe_ops),
	.resv_start_op = 0,
	.netnsok = true,
	.parallel_ops = true,
};

static int __init probe_init(void)
{
	return genl_register_family(&probe_family);
}

static void __exit probe_exit(void)
{
	genl_unregister_family(&probe_family);
}

module_init(probe_init);
module_exit(probe_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("atom VM test: register a genl family on load");
