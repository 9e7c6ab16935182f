// SPDX-License-Identifier: GPL-2.0
/*
 * atom.ko: module init and exit.
 */

#include <linux/module.h>
#include <net/genetlink.h>

#include <linux/atom.h>

#include "netlink.h"
#include "work.h"

static int __init atom_mod_init(void)
{
	int ret;

	ret = atom_work_init();
	if (ret < 0)
		return ret;
	ret = atom_genl_init();
	if (ret < 0)
		goto err_work;
	pr_info("atom " ATOM_MOD_VERSION " loaded\n");
	return 0;

err_work:
	atom_work_uninit();
	return ret;
}

/*
 * Queued jobs run to the end first, while the family can still announce
 * their results; then nothing is left to reach the family or the queue.
 */
static void __exit atom_mod_exit(void)
{
	atom_work_stop();
	atom_genl_uninit();
	atom_work_uninit();
	pr_info("atom unloaded\n");
}

module_init(atom_mod_init);
module_exit(atom_mod_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("atom mesh VPN: WireGuard peers and routes from Raft");
MODULE_VERSION(ATOM_MOD_VERSION);
MODULE_ALIAS_GENL_FAMILY(ATOM_GENL_NAME);
