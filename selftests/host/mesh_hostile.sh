#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Hostile bytes against a running mesh: garbage, truncated, oversized and
# stalled frames on the join port; an unknown token id, a wrong secret, a
# request signed without the secret (what a reader of a member's disk
# has), a replayed handshake; garbage, truncated and oversized frames on
# the management socket and on the mesh RPC, which also refuses
# non-members. Each is refused, the agent keeps serving, and the state
# (nodes and tokens, on every node) does not change.
set -u
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib_mesh.sh"

joinctl=${JOINCTL:-$top/build/selftests/joinctl}
ktap_plan 5

snapshot() { # the state as node 1 and node 2 show it
	local i
	for i in 1 2; do
		matom "$i" node list -j | jq -c '[.[] | {name, mesh_ip, public_key, state}]'
		matom "$i" token list -j | jq -c .
	done
}

two() {
	local t
	mesh_start 1 && t=$(mesh_token 1) && mesh_start 2 "$t" &&
		wait_for 10 mesh_agree 2 1 2 && mesh_token 1 --uses 3 >"$MS/token" &&
		snapshot >"$MS/before"
}
step "a two-node mesh and a three-use token" two

unchanged() {
	matom 1 status -j >/dev/null && matom 2 status -j >/dev/null &&
		snapshot >"$MS/after" && diff "$MS/before" "$MS/after"
}

join_port_bytes() {
	local m
	for m in garbage truncated oversized badversion slow; do
		"$joinctl" "$(mesh_under 1)" 7700 "$m" || { echo "# $m"; return 1; }
	done
	unchanged
}
step "garbage, truncated, oversized, bad-version, stalled frames on the join port" \
	join_port_bytes

join_port_handshakes() {
	local m
	for m in unknown-id wrong-secret no-secret replay; do
		"$joinctl" "$(mesh_under 2)" 7700 "$m" "$(cat "$MS/token")" ||
			{ echo "# $m"; return 1; }
	done
	unchanged
}
step "unknown id, wrong secret, no secret, replayed handshake: unauthorized" \
	join_port_handshakes

mgmt_bytes() {
	local s
	s=$(mesh_sock 1)
	head -c 300 /dev/urandom | timeout 5 socat -u - "UNIX-CONNECT:$s" || true
	printf '\x00\x00\x00\x40\x01\x03\x00\x00abc' | timeout 5 socat -u - "UNIX-CONNECT:$s" || true
	printf '\x7f\xff\xff\xff\x01\x03\x00\x00abcdefgh' | timeout 5 socat -u - "UNIX-CONNECT:$s" || true
	unchanged
}
step "garbage, truncated, oversized frames on the management socket" mgmt_bytes

mesh_rpc() {
	local ip2 ip1
	ip1=$(mesh_field 1 mesh_ip)
	ip2=$(mesh_field 2 mesh_ip)
	# a non-member address gets nothing; a member's garbage is dropped
	printf '\x00\x00\x00\x10\x01\x03\x00\x00abcdefghijkl' |
		timeout 5 socat -u - "TCP:$ip1:7001,bind=127.0.0.1" || true
	head -c 200 /dev/urandom | timeout 5 socat -u - "TCP:$ip1:7001,bind=$ip2" || true
	printf '\x7f\xff\xff\xff\x01\x03\x00\x00abcdefgh' |
		timeout 5 socat -u - "TCP:$ip1:7001,bind=$ip2" || true
	unchanged
}
step "the mesh RPC: non-members refused, garbage and oversized frames dropped" mesh_rpc

ktap_finish
