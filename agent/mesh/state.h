/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The replicated mesh state (design §2): cluster id, network, nodes, join
 * tokens, tombstones, recently applied requests and the feature version.
 * Pure data: no I/O, no clock, no globals. Every table has a fixed named
 * bound; nodes are kept sorted by mesh IP, so every walk (allocation,
 * snapshot, diff) is in one deterministic order.
 *
 * The mesh is IPv4 (the Raft id of a node is its mesh IP as a host-order
 * u32); underlay endpoints are IPv4 or IPv6.
 */
#ifndef ATOM_MESH_STATE_H
#define ATOM_MESH_STATE_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dataplane.h"

#define MESH_NAME_MAX 63	/* [A-Za-z0-9._-]{1,63} */
#define MESH_KEY_LEN 32		/* WireGuard public key */
#define MESH_CLUSTER_ID_LEN 16
#define MESH_TOKEN_ID_LEN 16
#define MESH_VERIFIER_LEN 32
#define MESH_SERVER_KEY_LEN 32
#define MESH_NODES_MAX 1024
#define MESH_TOKENS_MAX 256
#define MESH_TOKEN_USES_MAX 65535
#define MESH_TOMBS_MAX 4096
#define MESH_DEDUP_MAX 4096	/* recently applied request ids kept */
#define MESH_RESULT_MAX 16	/* result payload bytes */
#define MESH_PREFIX_MIN 8	/* CIDR prefix length bounds (IPv4) */
#define MESH_PREFIX_MAX 30
#define MESH_KEEPALIVE_S 25	/* persistent keepalive of every peer */

/* Feature versions this build understands (gates entry types). */
#define MESH_FEATURE_BASE 1
#define MESH_FEATURE_MAX 1

enum mesh_role { MESH_ROLE_ADMIN = 1, MESH_ROLE_MEMBER = 2 };
enum mesh_voter { MESH_VOTER_AUTO = 1, MESH_VOTER_NEVER = 2 };
/* A removed node leaves the state (its key is tombstoned). */
enum mesh_evict { MESH_ACTIVE = 0, MESH_EVICTING = 1, MESH_REMOVED = 2 };

/* Why apply refused a command (the proposer, and a joiner, learn it). */
#define MESH_E_MALFORMED	(-EBADMSG)	/* not a command */
#define MESH_E_VERSION		(-EPROTONOSUPPORT) /* codec version */
#define MESH_E_FEATURE		(-EOPNOTSUPP)	/* above feature version */
#define MESH_E_NOT_BOOTSTRAPPED	(-ENOTCONN)
#define MESH_E_BOOTSTRAPPED	(-EALREADY)
#define MESH_E_NO_TOKEN		(-ENOENT)
#define MESH_E_TOKEN_EXISTS	(-EEXIST)
#define MESH_E_REVOKED		(-EKEYREVOKED)
#define MESH_E_EXPIRED		(-EKEYEXPIRED)
#define MESH_E_EXHAUSTED	(-EDQUOT)
#define MESH_E_NAME_TAKEN	(-ENOTUNIQ)
#define MESH_E_KEY_TAKEN	(-EADDRINUSE)
#define MESH_E_KEY_EVICTED	(-EKEYREJECTED)
#define MESH_E_NO_ADDRESS	(-EADDRNOTAVAIL)
#define MESH_E_FULL		(-ENOSPC)
#define MESH_E_NO_NODE		(-ESRCH)
#define MESH_E_NOT_EVICTING	(-EINPROGRESS)	/* remove before evict */
#define MESH_E_EVICTING		(-ESTALE)	/* node is being evicted */
#define MESH_E_LAST_ADMIN	(-EPERM)	/* would leave no admin */
#define MESH_E_INVALID		(-EINVAL)

/* An underlay endpoint; family 0: none known. */
struct mesh_endpoint {
	uint8_t family;		/* 0, AF_INET or AF_INET6 */
	uint8_t addr[16];	/* 4 or 16 bytes used, network order */
	uint16_t port;
};

struct mesh_node {
	char name[MESH_NAME_MAX + 1];
	uint32_t ip;			/* host order; also the Raft id */
	uint8_t key[MESH_KEY_LEN];
	struct mesh_endpoint endpoint;
	uint16_t wg_port;
	uint8_t role;			/* enum mesh_role */
	uint8_t voter;			/* enum mesh_voter */
	uint8_t evict;			/* enum mesh_evict */
	uint8_t token_id[MESH_TOKEN_ID_LEN]; /* joined with; 0s: bootstrap */
};

/* What a member keeps of a token: never the secret (design §4). */
struct mesh_token {
	uint8_t id[MESH_TOKEN_ID_LEN];
	uint8_t verifier[MESH_VERIFIER_LEN];
	uint8_t server_key[MESH_SERVER_KEY_LEN];
	uint32_t uses_left;
	int64_t expiry_ms;		/* unix ms, leader's clock */
	uint8_t role;			/* granted to joiners */
	bool revoked;
};

struct mesh_result {
	int32_t code;			/* 0 or MESH_E_* */
	uint8_t len;
	uint8_t payload[MESH_RESULT_MAX];
};

struct mesh_dedup {
	uint64_t client, seq;
	struct mesh_result result;
};

struct mesh_state {
	bool bootstrapped;
	uint8_t cluster_id[MESH_CLUSTER_ID_LEN];
	uint32_t network;		/* host order, host bits zero */
	uint8_t prefix;
	uint32_t feature;
	uint32_t n_nodes, n_tokens, n_tombs;
	struct mesh_node nodes[MESH_NODES_MAX];		/* sorted by ip */
	struct mesh_token tokens[MESH_TOKENS_MAX];	/* creation order */
	uint8_t tombs[MESH_TOMBS_MAX][MESH_KEY_LEN];	/* eviction order */
	uint32_t dedup_head, n_dedup;	/* ring, oldest at head */
	struct mesh_dedup dedup[MESH_DEDUP_MAX];
};

int mesh_state_new(struct mesh_state **ret);
void mesh_state_free(struct mesh_state *s);
void mesh_state_reset(struct mesh_state *s);

bool mesh_name_valid(const char *name, size_t len);
bool mesh_endpoint_valid(const struct mesh_endpoint *ep);

/* Lookups: NULL when absent. */
struct mesh_node *mesh_node_by_name(const struct mesh_state *s,
				    const char *name);
struct mesh_node *mesh_node_by_key(const struct mesh_state *s,
				   const uint8_t *key);
struct mesh_node *mesh_node_by_ip(const struct mesh_state *s, uint32_t ip);
struct mesh_token *mesh_token_by_id(const struct mesh_state *s,
				    const uint8_t *id);
bool mesh_tombstoned(const struct mesh_state *s, const uint8_t *key);
const struct mesh_result *mesh_dedup_find(const struct mesh_state *s,
					  uint64_t client, uint64_t seq);
void mesh_dedup_add(struct mesh_state *s, uint64_t client, uint64_t seq,
		    const struct mesh_result *r);

/* The lowest free host address of the network: 0 or MESH_E_NO_ADDRESS. */
int mesh_ip_lowest_free(const struct mesh_state *s, uint32_t *ret);
/* Insert keeping the order by ip; 0, MESH_E_FULL or MESH_E_INVALID. */
int mesh_node_insert(struct mesh_state *s, const struct mesh_node *n);
void mesh_node_delete(struct mesh_state *s, struct mesh_node *n);

/* A node as a dataplane peer. */
void mesh_node_peer(const struct mesh_node *n, struct dp_peer *ret);
/* Every node as a peer (out holds MESH_NODES_MAX), in ip order. */
int mesh_state_peers(const struct mesh_state *s, struct dp_peer *out,
		     size_t *ret_n);
/*
 * What takes a dataplane from a's peers to b's: removals first, then
 * upserts of new or changed peers. out holds 2 * MESH_NODES_MAX.
 */
int mesh_state_diff(const struct mesh_state *a, const struct mesh_state *b,
		    struct dp_change *out, size_t *ret_n);

#endif /* ATOM_MESH_STATE_H */
