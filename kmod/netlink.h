/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ATOM_NETLINK_H
#define _ATOM_NETLINK_H

#define ATOM_MOD_VERSION "0.2.0"

struct net;
struct atom_result;

int atom_genl_init(void);
void atom_genl_uninit(void);
void atom_genl_notify(struct net *net, const struct atom_result *res);

#endif /* _ATOM_NETLINK_H */
