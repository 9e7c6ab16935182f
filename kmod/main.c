// SPDX-License-Identifier: GPL-2.0
/*
 * atom.ko: module init and exit.
 */

#include <linux/module.h>
#include <net/genetlink.h>

#include <linux/atom.h>

#include "netlink.h"

static int __init atom_mod_init(void)
{
	int ret;

	ret = atom_genl_init();
	if (ret < 0)
		return ret;

	pr_info("atom " ATOM_MOD_VERSION " loaded\n");
	return 0;
}

static void __exit atom_mod_exit(void)
{
	atom_genl_uninit();
	pr_info("atom unloaded\n");
}

module_init(atom_mod_init);
module_exit(atom_mod_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("atom mesh VPN: WireGuard peers and routes from Raft");
MODULE_VERSION(ATOM_MOD_VERSION);
MODULE_ALIAS_GENL_FAMILY(ATOM_GENL_NAME);
