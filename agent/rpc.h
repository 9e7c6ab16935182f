/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The management protocol: the CLI to its local agent over the unix
 * socket, and (later) an agent to the leader over the mesh RPC. One
 * FRAME_RPC frame per request and per reply; the payload is TLV.
 *
 * Request:  RPC_A_ID, RPC_A_OP, the op's attributes.
 * Reply:    RPC_A_ID (the request's), RPC_A_ERRNO (0 on success; else a
 *           positive errno), RPC_A_ERROR (a message when failed), the
 *           op's results.
 *
 * Only append ops and attributes; never renumber.
 */
#ifndef ATOM_RPC_H
#define ATOM_RPC_H

/* The largest request or reply (a node list of a 1000-node mesh fits). */
#define RPC_MAX_MSG (4u << 20)
/* How long the CLI waits for an answer. */
#define RPC_TIMEOUT_MS 30000

enum rpc_op {
	RPC_OP_UNSPEC,
	RPC_OP_STATUS,		/* -> status attributes */
	RPC_OP_STOP,		/* graceful stop; RPC_A_DOWN: remove the device */
	/*
	 * Raft plumbing for tests and benchmarks (no CLI command): write a
	 * probe entry (RPC_A_PROBE_ID -> RPC_A_INDEX once applied), read the
	 * probe state (-> RPC_A_COUNT, RPC_A_HASH, RPC_A_BITMAP), change the
	 * membership (RPC_A_CONF_OP, RPC_A_MESH_IP), hand leadership over
	 * (RPC_A_MESH_IP). Leader only: -EREMOTE elsewhere, with the leader.
	 */
	RPC_OP_PROBE_WRITE,
	RPC_OP_PROBE_READ,
	RPC_OP_RAFT_MEMBER,
	RPC_OP_RAFT_TRANSFER,
	/*
	 * The mesh, from the CLI (any node; a follower forwards mutating
	 * ones to the leader's mesh RPC, same op and attributes, adding
	 * RPC_A_CLIENT and RPC_A_SEQ, the request id the leader dedups on).
	 *   TOKEN_CREATE  RPC_A_USES, RPC_A_TTL_S (0: never expires),
	 *                 RPC_A_ROLE -> RPC_A_TOKEN, RPC_A_TOKEN_ID,
	 *                 RPC_A_EXPIRES
	 *   TOKEN_LIST    -> one RPC_A_TOKEN_ENTRY nest per token
	 *   TOKEN_REVOKE  RPC_A_TOKEN_ID
	 *   NODE_LIST     -> one RPC_A_NODE nest per node
	 *   NODE_REMOVE   RPC_A_NAME
	 *   NODE_SET      RPC_A_NAME, RPC_A_ENDPOINT
	 */
	RPC_OP_TOKEN_CREATE,
	RPC_OP_TOKEN_LIST,
	RPC_OP_TOKEN_REVOKE,
	RPC_OP_NODE_LIST,
	RPC_OP_NODE_REMOVE,
	RPC_OP_NODE_SET,
	/*
	 * Agent to leader only (mesh RPC): propose an encoded mesh command
	 * (RPC_A_CMD; the leader stamps its clock) -> RPC_A_RESULT_CODE,
	 * RPC_A_RESULT, RPC_A_INDEX; an evicted node's acknowledgment.
	 */
	RPC_OP_MESH_PROPOSE,
	RPC_OP_EVICT_ACK,
	/*
	 * Test plumbing (no CLI command): this node, while it leads, leaves
	 * the Raft membership alone for RPC_A_TTL_S seconds (a join then
	 * commits without its configuration change, as if the leader died
	 * in between).
	 */
	RPC_OP_HOUSE_PAUSE,
	__RPC_OP_MAX
};

enum rpc_attr {
	RPC_A_UNSPEC,
	RPC_A_ID,		/* u64 */
	RPC_A_OP,		/* u32 enum rpc_op */
	RPC_A_ERRNO,		/* u32 */
	RPC_A_ERROR,		/* string */
	RPC_A_NAME,		/* string */
	RPC_A_MESH_IP,		/* string, dotted quad */
	RPC_A_RAFT_ROLE,	/* string: leader, voter, learner, none */
	RPC_A_LEADER,		/* string: the leader's name (or mesh IP), "" */
	RPC_A_TERM,		/* u64 */
	RPC_A_COMMIT,		/* u64 */
	RPC_A_APPLIED,		/* u64 */
	RPC_A_BACKEND,		/* string */
	RPC_A_DOWN,		/* u32 bool */
	RPC_A_VERSION,		/* string: the agent's version */
	RPC_A_PID,		/* u32 */
	RPC_A_PUBLIC_KEY,	/* string: WireGuard public key, base64 */
	RPC_A_PROBE_ID,		/* u64 */
	RPC_A_INDEX,		/* u64: the log index a write was applied at */
	RPC_A_COUNT,		/* u64 */
	RPC_A_HASH,		/* u64 */
	RPC_A_BITMAP,		/* bytes */
	RPC_A_CONF_OP,		/* u32: enum raft_conf_op */
	RPC_A_TRANSFERS,	/* u64: leaderships this node handed off */
	RPC_A_VOTERS,		/* u32 */
	RPC_A_LEARNERS,		/* u32 */
	RPC_A_DISK_FULL,	/* u32 bool */
	RPC_A_LAST_INDEX,	/* u64 */
	RPC_A_USES,		/* u32: token uses (create), uses left (list) */
	RPC_A_TTL_S,		/* u64: token lifetime in seconds, 0: none */
	RPC_A_ROLE,		/* string: admin, member */
	RPC_A_TOKEN,		/* string: atom.<id>.<secret>, create only */
	RPC_A_TOKEN_ID,		/* string: base64url */
	RPC_A_EXPIRES,		/* u64: unix seconds, 0: never */
	RPC_A_REVOKED,		/* u32 bool */
	RPC_A_TOKEN_ENTRY,	/* nest: TOKEN_ID, USES, EXPIRES, ROLE, REVOKED */
	/*
	 * nest: NAME, MESH_IP, PUBLIC_KEY, ENDPOINT, RAFT_ROLE, SELF, ONLINE,
	 * LAST_HANDSHAKE, ROLE, STATE, VOTER
	 */
	RPC_A_NODE,
	RPC_A_ENDPOINT,		/* string: host:port, [v6]:port, "" none */
	RPC_A_SELF,		/* u32 bool */
	RPC_A_ONLINE,		/* u32 bool */
	RPC_A_LAST_HANDSHAKE,	/* u64: unix seconds, 0: never */
	RPC_A_STATE,		/* string: active, evicting */
	RPC_A_VOTER,		/* string: auto, never */
	RPC_A_CLIENT,		/* u64: request id, client part */
	RPC_A_SEQ,		/* u64: request id, sequence part */
	RPC_A_CMD,		/* bytes: an encoded mesh command */
	RPC_A_RESULT_CODE,	/* u32: -(MESH_E_*) or 0 */
	RPC_A_RESULT,		/* bytes: the result payload */
	__RPC_A_MAX
};

#endif /* ATOM_RPC_H */
