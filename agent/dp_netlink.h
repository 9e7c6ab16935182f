/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The netlink dataplane (design §6): WireGuard's family and rtnetlink
 * from userspace, with the semantics of atom.ko's apply and replace: each
 * attempt all or nothing (compensated). As the kernel backend does, a
 * change that fails by itself is left out as drift and the rest applied
 * again, so the index advances (dataplane.h).
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
 * The peer whose change failed (or was left out of) the last apply or
 * replace, -ENOENT when none or not one peer's; and whether undoing a
 * failed attempt failed too (then nothing more was tried).
 */
int dp_netlink_failure(const struct dataplane *dp, uint8_t key[DP_KEY_LEN],
		       bool *undo_failed);

/* The /32 routes of atom's protocol the record holds (after adopt: the kernel's). */
void dp_netlink_routes(const struct dataplane *dp, const struct in_addr **ret,
		       size_t *ret_n);

/* Changes left out as drift since open. */
uint64_t dp_netlink_drift(const struct dataplane *dp);

/*
 * Tests only: one all or nothing attempt per apply or replace, a failure
 * returned as such, nothing left out, the index unchanged.
 */
void dp_netlink_strict(struct dataplane *dp, bool strict);

/*
 * Tests only: make step (1-based, in execution order; 0: never) of the
 * next applies fail as if the kernel had refused it, and with undo, make
 * the first step of the undo fail too. Nothing else sets these.
 */
void dp_netlink_fail_step(struct dataplane *dp, unsigned int step, bool undo);

#endif /* ATOM_DP_NETLINK_H */
