/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What an apply or replace must do to a WireGuard device, worked out from
 * the dataplane's own record of the device (pure: no I/O). A plan is the
 * list of steps, in the order they must run: peer removals, route
 * additions, peer additions and updates, route removals.
 */
#ifndef ATOM_DP_PLAN_H
#define ATOM_DP_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "dataplane.h"

/* What the backend installed: it owns every peer of the device. */
struct dp_record {
	uint8_t own_key[DP_KEY_LEN];	/* the device's public key */
	struct dp_peer *peers;
	size_t n, cap;
	struct in_addr *routes;		/* atom's /32 routes via the device */
	size_t n_routes, routes_cap;
};

enum dp_phase {
	DP_PEER_REMOVE,
	DP_ROUTE_ADD,
	DP_PEER_SET,
	DP_ROUTE_DEL,
	DP_PHASES
};

struct dp_step {
	enum dp_phase phase;
	bool has_old;			/* PEER_SET: an update, not an addition */
	bool new_endpoint;		/* PEER_SET: send the endpoint */
	struct dp_peer old, new;	/* the peer before and after */
	struct in_addr ip;		/* ROUTE_*: the /32 */
	/* ROUTE_ADD: new.key, ROUTE_DEL: old.key is the peer's whose it is. */
};

struct dp_plan {
	struct dp_step *steps;
	size_t n, cap;
};

ssize_t dp_record_find(const struct dp_record *r, const uint8_t *key);
void dp_record_free(struct dp_record *r);

/*
 * The steps of a batch (removals and upserts by key). Refused, with the
 * reason in err, before anything is planned: a peer with the device's own
 * key or no address, an address another peer keeps, the removal of an
 * unknown key, a key twice for the same operation. An upsert that changes
 * nothing is no step; one whose endpoint is absent or unchanged does not
 * send it (WireGuard keeps what roaming learned).
 */
int dp_plan_batch(const struct dp_record *r, const struct dp_change *c,
		  size_t n, struct dp_plan *p, char *err, size_t errlen,
		  size_t *bad);
/*
 * *bad is the index of the refused change, or n when the refusal is not
 * one change's (or there is none).
 */

/* The changes (removals, then upserts) that make the peers peers[]. */
int dp_replace_changes(const struct dp_record *r, const struct dp_peer *peers,
		       size_t n, struct dp_change **ret, size_t *ret_n);
/* The steps that make the record's peers exactly peers[]. */
int dp_plan_replace(const struct dp_record *r, const struct dp_peer *peers,
		    size_t n, struct dp_plan *p, char *err, size_t errlen);
void dp_plan_free(struct dp_plan *p);

/* Room for the plan's additions, so that committing cannot fail. */
int dp_record_reserve(struct dp_record *r, const struct dp_plan *p);
/* The record after every step of p ran (after dp_record_reserve). */
void dp_record_commit(struct dp_record *r, const struct dp_plan *p);

/* The key of the peer a step is about. */
const uint8_t *dp_step_key(const struct dp_step *s);
/* "route addition of 10.0.0.2/32 (peer KEY)", "peer set of peer KEY (10.0.0.2)". */
void dp_step_describe(const struct dp_step *s, char *out, size_t len);

#endif /* ATOM_DP_PLAN_H */
