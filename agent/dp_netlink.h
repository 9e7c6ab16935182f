/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The netlink dataplane (design §6): WireGuard's family and rtnetlink
 * from userspace, with the semantics of atom.ko's apply and replace.
 */
#ifndef ATOM_DP_NETLINK_H
#define ATOM_DP_NETLINK_H

#include <stdbool.h>

#include "dataplane.h"

/* Peers and routes of one apply or replace. */
#define DP_NETLINK_BATCH_MAX 8192

int dp_netlink_open(struct dataplane *dp);

/*
 * Take over the existing WireGuard device ifname as it is, changing
 * nothing (tools and tests; the agent calls setup).
 */
int dp_netlink_adopt(struct dataplane *dp, const char *ifname);

/* Why the last setup, apply or replace failed ("" when it did not). */
const char *dp_netlink_error(const struct dataplane *dp);

/*
 * The peer whose step failed the last apply or replace (a refusal has
 * none: -ENOENT), and whether undoing the rest failed too. For the agent:
 * it may retry without that peer and report it as drift.
 */
int dp_netlink_failure(const struct dataplane *dp, uint8_t key[DP_KEY_LEN],
		       bool *undo_failed);

/*
 * Tests only: make step (1-based, in execution order; 0: never) of the
 * next applies fail as if the kernel had refused it, and with undo, make
 * the first step of the undo fail too. Nothing else sets these.
 */
void dp_netlink_fail_step(struct dataplane *dp, unsigned int step, bool undo);

#endif /* ATOM_DP_NETLINK_H */
