#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The mesh control plane as an operator drives it (none dataplane, loopback):
# bootstrap; four joins, one through a follower; every node lists the same
# members; a token made on a follower; uses and expiry enforced; revoke; a
# taken name refused; a member-role node may not change the mesh; Raft
# membership follows (voters up to consensus.voters, then learners); a
# leader killed, then a join through a survivor; daemon stop on the leader
# hands off; every node restarted, the mesh is intact.
set -u
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib_mesh.sh"

joinctl=${JOINCTL:-$top/build/selftests/joinctl}

ktap_plan 14

refused() { # i token...: the join must fail (exit 1) with a message
	local i=$1 tok=$2
	mesh_config "$i" "${3:-1}"
	timeout 30 "$atom" daemon -c "$MS/n$i.yaml" --join-token "$tok" 2>"$MS/n$i.log"
	local rc=$?
	[ "$rc" = 1 ] && grep -q "cannot join the mesh" "$MS/n$i.log"
}

bootstrap() {
	MS_VOTERS=3 mesh_config 1
	mesh_start 1 && wait_for 10 field_is 1 raft_role leader &&
		[ "$(mesh_field 1 mesh_ip)" = "127.88.$MS_NET.1" ] &&
		mesh_agree 1 1
}
step "bootstrap: the first node leads and lists itself at .1" bootstrap

joins() {
	local t i
	for i in 2 3 4; do
		t=$(mesh_token 1 --uses 1) || return 1
		mesh_start "$i" "$t" || return 1
	done
	wait_for 10 mesh_agree 4 1 2 3 4
}
step "three nodes join with one-use tokens; all four list the same four" joins

through_follower() {
	local t f
	t=$(mesh_token 2) || return 1		# made on a follower
	mesh_config 5 2				# joins through node 2
	mesh_start 5 "$t" && wait_for 10 mesh_agree 5 1 2 3 4 5 &&
		[ "$(mesh_field 5 mesh_ip)" = "127.88.$MS_NET.5" ]
}
step "a token made on a follower; a join through a follower" through_follower

voters() {
	# consensus.voters 3 on the bootstrapper: three voters, two learners
	wait_for 15 field_is 1 voters 3 && wait_for 5 field_is 1 learners 2 &&
		[ "$(matom 3 node list -j | jq '[.[] | select(.raft_role=="learner")] | length')" = 2 ]
}
step "raft membership follows: 3 voters (consensus.voters), the rest learners" voters

uses_and_ttl() {
	local t
	t=$(mesh_token 1 --uses 1) || return 1
	mesh_start 6 "$t" || return 1
	refused 7 "$t" && grep -q "no uses left" "$MS/n7.log" || return 1
	rm -rf "$(mesh_dir 7)"
	t=$(mesh_token 1 --ttl 1s) || return 1
	sleep 1.5
	refused 7 "$t" && grep -q "expired" "$MS/n7.log"
}
step "a one-use token admits one node; an expired token none" uses_and_ttl

revoke_and_names() {
	local t id
	t=$(mesh_token 1 --uses 5) || return 1
	id=$(echo "$t" | cut -d. -f2)
	matom 2 token list -j | jq -e --arg id "$id" '.[] | select(.id==$id and .uses_left==5)' >/dev/null || return 1
	matom 3 token revoke "$id" || return 1
	rm -rf "$(mesh_dir 7)"
	refused 7 "$t" && grep -q "revoked" "$MS/n7.log" || return 1
	t=$(mesh_token 1) || return 1
	rm -rf "$(mesh_dir 7)" "$(mesh_key 7)"
	mesh_config 7
	sed -i "s/name: n7/name: n3/" "$MS/n7.yaml"
	timeout 30 "$atom" daemon -c "$MS/n7.yaml" --join-token "$t" 2>"$MS/n7.log"
	[ $? = 1 ] && grep -q "name" "$MS/n7.log" && mesh_agree 6 1 2 3 4 5 6
}
step "revoke from any node; a taken name refused; nothing else changed" revoke_and_names

member_role() {
	local t
	t=$(mesh_token 1 --role member) || return 1
	rm -rf "$(mesh_dir 7)" "$(mesh_key 7)"
	mesh_config 7
	mesh_start 7 "$t" || return 1
	wait_for 10 mesh_agree 7 1 7 || return 1
	[ "$(matom 7 node list -j | jq -r '.[] | select(.name=="n7") | .role')" = member ] || return 1
	! matom 7 token create 2>"$MS/err" && grep -q "admin" "$MS/err" || return 1
	! matom 7 node remove n2 2>"$MS/err" && grep -q "admin" "$MS/err" || return 1
	mesh_agree 7 1 2 7
}
step "a member-role node cannot create tokens or remove nodes" member_role

leader_killed() {
	local l n t
	l=$(wait_mesh_leader 5) || return 1
	mesh_kill "$l"
	n=$(wait_mesh_leader 10 $(seq 7 | grep -vx "$l")) || return 1
	t=$(mesh_token "$n") || return 1
	mesh_config 8 "$n"
	mesh_start 8 "$t" || return 1
	wait_for 10 mesh_agree 8 "$n" 8 || return 1
	mesh_start "$l" && wait_for 10 mesh_agree 8 $(seq 8)
}
step "leader kill -9; a join through a survivor; the old leader catches up" leader_killed

stop_handoff() {
	local l term n
	l=$(wait_mesh_leader 5) || return 1
	term=$(mesh_field "$l" term)
	matom "$l" daemon stop || return 1
	wait "${MS_PID[$l]}"
	[ $? = 0 ] || return 1
	grep -q "handing leadership to" "$MS/n$l.log" || return 1
	n=$(wait_mesh_leader 5 $(seq 8 | grep -vx "$l")) || return 1
	[ "$(mesh_field "$n" term)" = $((term + 1)) ] || return 1
	mesh_start "$l" && wait_for 10 mesh_agree 8 $(seq 8)
}
step "daemon stop on the leader hands off: term up by one" stop_handoff

restart_all() {
	local i
	for i in $(seq 8); do mesh_kill "$i"; done
	for i in $(seq 8); do
		"$atom" daemon -c "$MS/n$i.yaml" 2>>"$MS/n$i.log" &
		MS_PID[$i]=$!
	done
	wait_mesh_leader 15 >/dev/null && wait_for 15 mesh_agree 8 $(seq 8)
}
step "every node killed and restarted without tokens: the mesh is intact" restart_all

endpoint_of() { # i name
	matom "$1" node list -j | jq -r --arg n "$2" '.[] | select(.name==$n) | .endpoint'
}
endpoint_is() { [ "$(endpoint_of "$1" "$2")" = "$3" ]; }

node_set() {
	local ep=127.89.$MS_NET.44:51820
	matom 4 node set n4 --endpoint "$ep" && wait_for 5 endpoint_is 2 n4 "$ep"
}
step "node set records a new endpoint, seen on every node" node_set

status_json() {
	matom 2 status -j | jq -e '.name=="n2" and (.term|type)=="number" and .backend=="none"' >/dev/null
}
step "status -j answers with the contract's fields" status_json

changed_cidr() {
	mesh_kill 1
	sed -i "s/ip: 127.88.$MS_NET.0, cidr: 24/ip: 127.88.$MS_NET.0, cidr: 25/" "$MS/n1.yaml"
	timeout 20 "$atom" daemon -c "$MS/n1.yaml" 2>"$MS/n1.err"
	local rc=$?
	cat "$MS/n1.err" >>"$MS/n1.log"
	[ "$rc" = 1 ] && grep -q "network of a running mesh cannot change" "$MS/n1.err" || return 1
	sed -i "s/cidr: 25/cidr: 24/" "$MS/n1.yaml"
	mesh_start 1 && wait_for 10 mesh_agree 8 $(seq 8)
}
step "a changed network_layer on the bootstrapper is refused; restored, it rejoins" changed_cidr

forged_forward() {
	local l m
	l=$(wait_mesh_leader 5) || return 1
	m=$(mesh_field 7 mesh_ip)		# n7 has the member role
	"$joinctl" "$(mesh_field "$l" mesh_ip)" 7001 forward-token-create "$m" >"$MS/ff" 2>&1
	cat "$MS/ff"
	grep -q "refused: only admin nodes may change the mesh" "$MS/ff" &&
		"$joinctl" "$(mesh_field "$l" mesh_ip)" 7001 forward-token-create 127.0.0.1 |
		grep -q "refused: not a member" && mesh_agree 8 $(seq 8)
}
step "the leader's mesh RPC refuses a member-role node's change and a non-member" \
	forged_forward

ktap_finish
