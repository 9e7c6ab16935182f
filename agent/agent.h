/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The agent process's shared state: what daemon.c assembles and the mesh
 * glue (mesh_req.c, mesh_ops.c, mesh_house.c, mesh_join.c) works on.
 */
#ifndef ATOM_AGENT_H
#define ATOM_AGENT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "dataplane.h"
#include "fsm_mux.h"
#include "keyfile.h"
#include "loop.h"
#include "mesh/cmd.h"
#include "mesh/fsm_mesh.h"
#include "mgmt.h"
#include "node.h"

struct join_srv;
struct mnl_socket;
struct join_cli;
struct mreq;

/* How long a mesh request keeps trying to reach a leader. */
#define MESH_REQ_DEADLINE_MS	10000
#define MESH_REQ_RETRY_MS	100
/* A voter silent this long is replaced when a learner can take its place. */
#define MESH_VOTER_GRACE_MS	20000
/* An evicting node that never acknowledged is removed after this. */
#define MESH_EVICT_TIMEOUT_MS	5000
/* Leader housekeeping: bootstrap entry, membership, eviction. */
#define MESH_HOUSE_MS		100

struct agent {
	struct config cfg;
	struct loop *loop;
	struct mgmt *mgmt;		/* the CLI's unix socket */
	struct mgmt *mesh_rpc;		/* TCP on mesh ip:api.rpc_port */
	int datadir_fd;
	uint8_t private_key[WG_KEY_LEN];
	uint8_t pub[WG_KEY_LEN];
	char public_key[WG_KEY_B64_LEN + 1];
	struct in_addr mesh_ip;		/* 0.0.0.0: not yet a member */
	struct in_addr network;		/* the mesh CIDR, once known */
	uint32_t prefix;
	/* dataplane (dp_agent.c) */
	struct dataplane dp;		/* applies peers */
	struct dataplane dev;		/* kernel backend: makes the device */
	bool has_dev, dp_live, down;
	const char *backend;		/* in use: kernel, netlink, none */
	struct loop_timer reconcile;
	struct mnl_socket *ev_nl;	/* routing and link events */
	struct loop_watch ev_watch;
	struct loop_timer ev_timer;
	unsigned int ifindex;
	bool event_seen;
	bool raw;			/* node.mesh_ip: a bare Raft node */
	bool force_new_cluster;
	struct fsm_probe *probe;
	struct fsm_mesh *mesh;
	struct fsm_mux mux;
	struct node *node;
	bool stopping;
	int exit_status;		/* loop_run's outcome */
	/* request ids: this agent's random client id and a sequence */
	uint64_t client_id, seq;
	struct mreq *reqs;		/* in flight */
	/* leader housekeeping */
	struct loop_timer house;
	uint64_t leader_since;		/* loop ms; 0: not the leader */
	bool conf_busy, remove_busy, boot_busy, update_busy, endpoint_checked;
	uint64_t paused_until;		/* RPC_OP_HOUSE_PAUSE */
	uint32_t hold_ip;		/* being demoted for eviction */
	uint64_t hold_until;
	/* evicting nodes as this leader saw them: since when, acknowledged */
	struct {
		uint32_t ip;
		uint64_t since;
		bool acked;
	} evq[64];
	unsigned int n_evq;
	/* this node's own eviction */
	bool evicted;
	struct loop_timer evict_timer;
	/* join plane */
	struct join_srv *jsrv;
	struct join_cli *jcli;
	struct loop_timer join_retry;
	/* members the acceptance named, accepted on Raft before the state */
	uint32_t *accepted_ips;
	size_t n_accepted_ips;
};

/* Stop the agent (a leader hands off first); status: the exit status. */
void agent_stop(struct agent *a, const char *why, int status);

/* Wall clock, unix ms (the leader stamps entries with it). */
int64_t agent_wall_ms(void);

/* ---- mesh_req.c: requests to the leader ---- */

/*
 * A mesh command's outcome: err < 0 when it could not be run (no leader
 * within the deadline, -ESHUTDOWN), else 0 with the state machine's
 * result code (0 or MESH_E_*), the mesh IP of a join or bootstrap and
 * the index it was applied at.
 */
typedef void (*mreq_done_fn)(void *arg, int err, int code, uint32_t ip,
			     uint64_t index);

/*
 * Run cmd on the leader, this node or the one it forwards to, retrying
 * with the same request id until MESH_REQ_DEADLINE_MS: the client and
 * sequence are filled here unless set. done never runs from inside.
 */
int mreq_submit(struct agent *a, struct mesh_cmd *cmd, mreq_done_fn done,
		void *arg);
/* Cancel every request (done runs with -ESHUTDOWN). */
void mreq_cancel_all(struct agent *a);
/* Listen for the mesh RPC on mesh ip:api.rpc_port. */
int mreq_listen(struct agent *a);
/* The text for a state machine refusal. */
const char *mesh_refusal_str(int code);
/* The leader's mesh address, or 0.0.0.0. */
struct in_addr agent_leader(const struct agent *a);
/* This node in the state, or NULL. */
const struct mesh_node *agent_self(const struct agent *a);

/* ---- mesh_ops.c: the CLI's mesh requests ---- */

/* "1.2.3.4:51820", "[::1]:51820", "" for none. */
void mesh_endpoint_str(const struct mesh_endpoint *ep, char *buf, size_t size);
/* The inverse for an address (no host names): 0 or -EINVAL. */
int mesh_endpoint_parse(const char *s, struct mesh_endpoint *ep);

void mesh_ops_request(struct agent *a, struct mgmt_call *call, uint32_t op,
		      const uint8_t *attrs, size_t len);

/* ---- mesh_house.c: leader housekeeping and eviction ---- */

int house_start(struct agent *a);
void house_stop(struct agent *a);
/* The fsm hook: one entry applied. */
void house_applied(struct agent *a, uint64_t index,
		   const struct mesh_apply_out *out);
void house_evict_acked(struct agent *a, uint32_t ip);
/*
 * This node was evicted (a committed entry or an authentic reply): wipe
 * its private key and data dir, and exit 0.
 */
void house_wipe_and_exit(struct agent *a);
/*
 * Before the leader proposes evicting name: 0 to go ahead, or -EAGAIN
 * after starting what must come first (the node is a voter: demote it;
 * it is this leader: hand leadership over), to be retried.
 */
int house_before_evict(struct agent *a, const char *name);

/* ---- dp_agent.c: the dataplane ---- */

/* Pick the backend and set up the device (mesh_ip, network known). */
int dpa_open(struct agent *a);
/* The log is replayed: make the device the state, then follow deltas. */
int dpa_live(struct agent *a);
void dpa_applied(struct agent *a, uint64_t index,
		 const struct mesh_apply_out *out);
int dpa_replace_all(struct agent *a, const char *why);
int dpa_replace_peers(struct agent *a, struct dp_peer *peers, size_t n);
/* down: remove the device too. */
void dpa_close(struct agent *a, bool down);
/* A peer's last handshake (unix s, 0: never); *cache is the caller's. */
int64_t dpa_last_handshake(struct agent *a, const uint8_t *key,
			   struct dp_peer_state **cache, size_t *n_cache);
/* The interface to bind control-plane sockets to, or NULL (none). */
const char *dpa_bind_device(const struct agent *a);

/* ---- mesh_join.c: the join plane ---- */

/* Serve joins on network.tcp_join_port (members only answer). */
int mesh_join_listen(struct agent *a);
/*
 * A node without a mesh address: join with the token, then start Raft
 * (start runs once accepted). 0 when started; < 0 fatal.
 */
int mesh_join_start(struct agent *a, const char *token,
		    int (*start)(struct agent *a));
/* At start-up of a member: ask members' join ports if we were evicted. */
void mesh_join_probe_evicted(struct agent *a);
void mesh_join_close(struct agent *a);

#endif /* ATOM_AGENT_H */
