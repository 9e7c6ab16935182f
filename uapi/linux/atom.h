/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * atom: the generic netlink family that installs mesh peers and their /32
 * routes on the namespace's WireGuard device.
 *
 * This is the only header shared by atom.ko and the agent. Only append
 * commands and attributes; never renumber.
 *
 * Model
 * -----
 * One WireGuard device per network namespace is bound to atom. From then on
 * atom owns every peer of that device: it keeps its own record of them
 * (key, /32, endpoint, keepalive, whether it installed the /32 route), and
 * every change goes through that record, so a one-peer change costs the same
 * on a device of 1000 peers as on an empty one.
 *
 * Every command is asynchronous. Its doit validates the request (strict
 * policies, extack on every rejection), checks it against the record when
 * no other batch is queued, pins the namespace, queues the batch on the
 * module's ordered work queue, replies with ATOM_A_JOB and returns. The
 * outcome is announced to the "events" multicast group as
 * ATOM_CMD_DONE_NTF and kept for ATOM_CMD_GET (ATOM_A_LAST). The doit never
 * sends a nested netlink request: genl's cb_lock would be held across it.
 *
 * All or nothing
 * --------------
 * Each batch is applied by compensation, not as a kernel transaction:
 *   - the outcome is all of the batch or none of it: on any failure every
 *     completed step is undone in reverse order and the result names the
 *     failing item and phase; if an undo step fails too, the result says so
 *     (ATOM_RESULT_A_UNDO_ERRNO) and the device may differ from the record
 *     until the next replace;
 *   - atom callers are serialized: batches of all namespaces run one at a
 *     time, in the order they were queued;
 *   - a started batch runs to completion, undo included, whatever happens to
 *     its caller (killed, socket closed, namespace deleted);
 *   - it is not isolated: other observers (wg show, ip route, packets) can
 *     see intermediate states, and changes made by other tools in the
 *     middle of a batch are not detected.
 * Undoing a removal restores the peer's configuration, not its session.
 *
 * Ordering within a batch (fail closed: traffic for a mesh address never
 * leaves through another interface):
 *   1. removals: the peer is removed, then its route;
 *   2. additions: the route is added, then the peer;
 *   3. updates that move a peer's /32: new route, peer, old route removed.
 * An upsert that leaves a peer's endpoint unchanged does not send it, so an
 * endpoint WireGuard learned by roaming is kept. An upsert that changes
 * nothing costs nothing.
 *
 * Refused (WireGuard would silently accept these): a peer with the device's
 * own public key, a /32 owned by another peer that this batch does not
 * remove, the same key or /32 twice in a batch, ATOM_OP_UPDATE or
 * ATOM_OP_REMOVE of a key the record does not have.
 *
 * Attribute tree
 * --------------
 * ATOM_CMD_BIND (doit; flags GENL_ADMIN_PERM)
 *	ATOM_A_IFINDEX or ATOM_A_IFNAME: the namespace's WireGuard device.
 *	Binding reads the device once and adopts every peer on it into the
 *	record (a peer whose allowed-ips are not exactly one IPv4 /32 is
 *	counted in ATOM_A_DRIFT). Rebinding the same device resyncs.
 *	reply: ATOM_A_JOB; done: ATOM_CMD_DONE_NTF.
 *
 * ATOM_CMD_APPLY (doit)
 *	ATOM_A_INDEX: the Raft index the batch brings the device to (> 0).
 *	ATOM_A_EXPECT_INDEX (optional): the batch runs only if the device is at
 *	exactly this index when the batch starts; else -ESTALE, no change.
 *	ATOM_A_IFINDEX (optional): must be the bound device.
 *	ATOM_A_ITEM, repeated, 0 to ATOM_MAX_BATCH times:
 *		ATOM_ITEM_A_OP: enum atom_op (default ATOM_OP_UPSERT).
 *		ATOM_ITEM_A_KEY: the peer's public key (32 bytes), required.
 *		ATOM_ITEM_A_ADDR: its /32, IPv4, network order; required
 *		unless REMOVE.
 *		ATOM_ITEM_A_ENDPOINT4 (4 bytes, network order) or
 *		ATOM_ITEM_A_ENDPOINT6 (16 bytes) with ATOM_ITEM_A_PORT: the
 *		peer's endpoint; absent: none known (an existing endpoint is
 *		kept).
 *		ATOM_ITEM_A_KEEPALIVE: persistent keepalive in seconds, 0 off.
 *	An empty batch only advances the index.
 *
 * ATOM_CMD_REPLACE (doit): as APPLY, but the items are the device's
 *	complete peer set (ATOM_OP_UPSERT only): peers not in it are removed,
 *	changed ones updated, new ones added; unchanged peers are not touched,
 *	so their sessions survive.
 *
 * ATOM_CMD_GET (doit: state only; dump: state, then every peer)
 *	reply: ATOM_A_IFINDEX, ATOM_A_IFNAME (when bound), ATOM_A_BOUND,
 *	ATOM_A_INDEX (applied), ATOM_A_PENDING (batches queued or running),
 *	ATOM_A_PEER_COUNT, ATOM_A_DRIFT, ATOM_A_LAST (nest of ATOM_RESULT_A_*),
 *	and in a dump ATOM_A_PEER nests (ATOM_ITEM_A_KEY, _ADDR, _ENDPOINT4/6,
 *	_PORT, _KEEPALIVE, ATOM_ITEM_A_FLAGS).
 *
 * ATOM_CMD_DONE_NTF (multicast, group ATOM_MCGRP_EVENTS, needs
 *	CAP_NET_ADMIN to join): ATOM_A_LAST, a nest of
 *	ATOM_RESULT_A_JOB, _CMD, _INDEX, _ERRNO, _ITEM, _PHASE, _UNDO_ERRNO,
 *	_MSG.
 *
 * Limits: ATOM_MAX_BATCH items per message (about 330 KB at its maximum:
 * the sender's socket buffer must hold it, see SO_SNDBUFFORCE), ATOM_MAX_PEERS
 * peers per device, ATOM_MAX_QUEUED batches queued per namespace (-EBUSY).
 */
#ifndef _UAPI_LINUX_ATOM_H
#define _UAPI_LINUX_ATOM_H

#define ATOM_GENL_NAME		"atom"
#define ATOM_GENL_VERSION	1
#define ATOM_MCGRP_EVENTS	"events"

/* rtm_protocol of every route atom installs (iproute2: "proto 247"). */
#define RTPROT_ATOM		247

#define ATOM_KEY_LEN		32
#define ATOM_MAX_BATCH		4096
#define ATOM_MAX_PEERS		65536
#define ATOM_MAX_QUEUED		8
#define ATOM_MSG_LEN		128
/* ATOM_RESULT_A_ITEM when no single item is to blame. */
#define ATOM_ITEM_NONE		0xffffffffU

enum atom_cmd {
	ATOM_CMD_UNSPEC,
	ATOM_CMD_BIND,
	ATOM_CMD_APPLY,
	ATOM_CMD_REPLACE,
	ATOM_CMD_GET,
	ATOM_CMD_DONE_NTF,

	__ATOM_CMD_MAX
};

#define ATOM_CMD_MAX (__ATOM_CMD_MAX - 1)

enum atom_attr {
	ATOM_A_UNSPEC,
	ATOM_A_IFINDEX,		/* u32 */
	ATOM_A_IFNAME,		/* string, < IFNAMSIZ */
	ATOM_A_INDEX,		/* u64: Raft index (applied, or to apply) */
	ATOM_A_EXPECT_INDEX,	/* u64: guard, the index expected before */
	ATOM_A_ITEM,		/* nest of ATOM_ITEM_A_*, repeated */
	ATOM_A_JOB,		/* u64: id of the queued batch */
	ATOM_A_BOUND,		/* u32: 1 bound, 0 not (or device gone) */
	ATOM_A_PENDING,		/* u32: batches queued or running */
	ATOM_A_PEER_COUNT,	/* u32: peers in the record */
	ATOM_A_DRIFT,		/* u32: peers seen at bind atom cannot model */
	ATOM_A_LAST,		/* nest of ATOM_RESULT_A_*: last outcome */
	ATOM_A_PEER,		/* nest of ATOM_ITEM_A_*: a record entry */
	ATOM_A_PAD,

	__ATOM_A_MAX
};

#define ATOM_A_MAX (__ATOM_A_MAX - 1)

enum atom_op {
	ATOM_OP_UPSERT,		/* add, or update an existing key */
	ATOM_OP_UPDATE,		/* update; the key must exist */
	ATOM_OP_REMOVE,		/* remove; the key must exist */

	__ATOM_OP_MAX
};

#define ATOM_OP_MAX (__ATOM_OP_MAX - 1)

/* ATOM_ITEM_A_FLAGS of a record entry (GET only) */
enum atom_peer_flags {
	ATOM_PEER_F_ROUTE = 1U << 0,	/* atom installed its /32 route */
	ATOM_PEER_F_ADOPTED = 1U << 1,	/* found on the device at bind */
};

enum atom_item_attr {
	ATOM_ITEM_A_UNSPEC,
	ATOM_ITEM_A_OP,		/* u32: enum atom_op */
	ATOM_ITEM_A_KEY,	/* binary, ATOM_KEY_LEN */
	ATOM_ITEM_A_ADDR,	/* be32: the peer's /32 */
	ATOM_ITEM_A_ENDPOINT4,	/* be32 */
	ATOM_ITEM_A_ENDPOINT6,	/* binary, 16 */
	ATOM_ITEM_A_PORT,	/* u32: 1..65535, with an endpoint */
	ATOM_ITEM_A_KEEPALIVE,	/* u32: seconds, 0..65535 */
	ATOM_ITEM_A_FLAGS,	/* u32: enum atom_peer_flags (GET only) */

	__ATOM_ITEM_A_MAX
};

#define ATOM_ITEM_A_MAX (__ATOM_ITEM_A_MAX - 1)

/* Where a batch failed. */
enum atom_phase {
	ATOM_PHASE_NONE,
	ATOM_PHASE_CHECK,	/* the batch does not fit the record */
	ATOM_PHASE_GUARD,	/* ATOM_A_EXPECT_INDEX did not match */
	ATOM_PHASE_LOOKUP,	/* device or WireGuard family not found */
	ATOM_PHASE_READ,	/* reading the device (bind) */
	ATOM_PHASE_PEER_REMOVE,
	ATOM_PHASE_ROUTE_DEL,
	ATOM_PHASE_ROUTE_ADD,
	ATOM_PHASE_PEER_SET,
	ATOM_PHASE_ROUTE_DEL_OLD, /* old /32 of a peer whose /32 moved */

	__ATOM_PHASE_MAX
};

enum atom_result_attr {
	ATOM_RESULT_A_UNSPEC,
	ATOM_RESULT_A_JOB,	/* u64: ATOM_A_JOB of the batch */
	ATOM_RESULT_A_CMD,	/* u32: the command (BIND, APPLY, REPLACE) */
	ATOM_RESULT_A_INDEX,	/* u64: its ATOM_A_INDEX (0 for BIND) */
	ATOM_RESULT_A_ERRNO,	/* s32: 0 or a negative errno */
	ATOM_RESULT_A_ITEM,	/* u32: failing item, or ATOM_ITEM_NONE */
	ATOM_RESULT_A_PHASE,	/* u32: enum atom_phase */
	ATOM_RESULT_A_UNDO_ERRNO, /* s32: 0, or the first undo failure */
	ATOM_RESULT_A_MSG,	/* string: what failed, for humans */
	ATOM_RESULT_A_PAD,

	__ATOM_RESULT_A_MAX
};

#define ATOM_RESULT_A_MAX (__ATOM_RESULT_A_MAX - 1)

#endif /* _UAPI_LINUX_ATOM_H */
