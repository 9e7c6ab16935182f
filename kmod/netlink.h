/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ATOM_NETLINK_H
#define _ATOM_NETLINK_H

#define ATOM_MOD_VERSION "0.1.0"

int atom_genl_init(void);
void atom_genl_uninit(void);

#endif /* _ATOM_NETLINK_H */
