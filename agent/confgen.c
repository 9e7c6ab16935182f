// SPDX-License-Identifier: GPL-2.0
/*
 * The configuration atom confgen writes. Every key config.c knows is here
 * with its default and what it does; test_confgen holds the two in step.
 */
#include "confgen.h"

#define HEAD \
"# atom.yaml: configuration of one atom node (atom daemon -c FILE).\n" \
"# Every key is shown with its default. Durations take units: 250ms, 10s,\n" \
"# 5m, 1h30m.\n" \
"\n" \
"node:\n" \
"  # This node's name in the mesh: letters, digits, '-', '_', '.'.\n" \
"  name: \"node-1\"\n" \
"  # Raft tests only: a bare Raft node at this address, outside the\n" \
"  # mesh. Keep it empty: the bootstrapper takes the first host of the\n" \
"  # network, a follower gets one from the mesh when it joins.\n" \
"  mesh_ip: \"\"\n"

#define BOOTSTRAP \
"  # true on the one node that creates the mesh. With existing state it\n" \
"  # simply restarts; the network below can never change afterwards.\n" \
"  bootstrap: true\n" \
"  # The mesh network. Every node gets a /32 from it, the lowest free\n" \
"  # host address first. Only the bootstrapper sets it.\n" \
"  network_layer:\n" \
"    ip: \"10.7.0.0\"\n" \
"    cidr: 24\n" \
"\n" \
"join:\n" \
"  # Where a joining node reaches an existing member's join port. The\n" \
"  # bootstrapper joins nobody.\n" \
"  endpoint: \"\"\n"

#define FOLLOWER \
"  # Followers join an existing mesh and receive its network from it.\n" \
"  bootstrap: false\n" \
"\n" \
"join:\n" \
"  # Any member's underlay address and network.tcp_join_port. Needed only\n" \
"  # for the first start; a node with state rejoins by itself.\n" \
"  endpoint: \"192.168.1.100:8080\"\n"

#define SECURITY_HEAD \
"\n" \
"security:\n" \
"  # This node's WireGuard private key: created 0600 if missing, refused\n" \
"  # if readable by others. Wiped when the node is evicted.\n" \
"  private_key_path: \"/etc/atom/private.key\"\n"

#define TOKEN_BOOTSTRAP \
"  # A join token (atom.<id>.<secret>) for a first start of a follower;\n" \
"  # prefer --join-token or ATOM_JOIN_TOKEN to keeping it in this file.\n" \
"  join_token: \"\"\n"

#define TOKEN_FOLLOWER \
"  # The join token from `atom token create` on any member, used on the\n" \
"  # first start only; prefer --join-token or ATOM_JOIN_TOKEN.\n" \
"  join_token: \"atom.<id>.<secret>\"\n"

#define TAIL \
"\n" \
"network:\n" \
"  # The WireGuard device atom owns, and its UDP port.\n" \
"  interface: \"wg0\"\n" \
"  wireguard_port: 51820\n" \
"  # TCP port of the join handshake, on the underlay.\n" \
"  tcp_join_port: 8080\n" \
"  # HOST:PORT other nodes use to reach this node's WireGuard port. Empty:\n" \
"  # the address the join came from. A change is announced at start-up.\n" \
"  endpoint: \"\"\n" \
"  # MTU of the WireGuard device.\n" \
"  mtu: 1420\n" \
"  # WireGuard persistent keepalive to every peer, for NAT; 0 turns it off.\n" \
"  persistent_keepalive: 25s\n" \
"\n" \
"consensus:\n" \
"  # Raft's TCP port, bound to this node's mesh address on the device.\n" \
"  raft_port: 7000\n" \
"  # Raft log, snapshots and this node's mesh state. Wiped on eviction.\n" \
"  data_dir: \"/var/lib/atom/data\"\n" \
"  # How many nodes vote; every other node is a learner that replicates.\n" \
"  voters: 5\n" \
"  # auto: this node may become a voter. never: keep it a learner\n" \
"  # (laptops, flaky hosts).\n" \
"  voter: auto\n" \
"  # Leader heartbeat, and the election timeout (randomized in [T, 2T),\n" \
"  # and never below ten round trips to the leader).\n" \
"  heartbeat_interval: 50ms\n" \
"  election_timeout: 300ms\n" \
"\n" \
"api:\n" \
"  # The CLI's unix socket, root only (its directory is made 0700).\n" \
"  socket_path: \"/run/atom/atom.sock\"\n" \
"  # Mesh RPC port (forwarding to the leader), on the mesh address.\n" \
"  rpc_port: 7001\n" \
"\n" \
"dataplane:\n" \
"  # auto: atom.ko when it loads, else netlink. kernel, netlink, or none\n" \
"  # (no WireGuard at all: control-plane tests on loopback).\n" \
"  backend: auto\n" \
"  # How often the kernel is compared with the mesh state and repaired.\n" \
"  reconcile_interval: 10s\n" \
"\n" \
"log:\n" \
"  # err, warn, info or debug (the --log-level option overrides it).\n" \
"  level: info\n"

static const char bootstrapper[] =
	HEAD BOOTSTRAP SECURITY_HEAD TOKEN_BOOTSTRAP TAIL;
static const char follower[] =
	HEAD FOLLOWER SECURITY_HEAD TOKEN_FOLLOWER TAIL;

const char *confgen_text(bool is_follower)
{
	return is_follower ? follower : bootstrapper;
}
