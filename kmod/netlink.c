// SPDX-License-Identifier: GPL-2.0
/*
 * atom.ko: the generic netlink family "atom".
 */

#include <net/genetlink.h>

#include <linux/atom.h>

#include "netlink.h"

static struct genl_family atom_genl_family __ro_after_init = {
	.name = ATOM_GENL_NAME,
	.version = ATOM_GENL_VERSION,
	.module = THIS_MODULE,
	.netnsok = true,
	.resv_start_op = 0,
};

int __init atom_genl_init(void)
{
	return genl_register_family(&atom_genl_family);
}

void atom_genl_uninit(void)
{
	genl_unregister_family(&atom_genl_family);
}
