#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Crashes in the middle of mesh operations: a join committed whose leader
# dies before the Raft configuration change still ends with the node a
# member of both (the next leader converges); a token create whose reply
# is lost while the leader changes is retried with the same request id
# and makes exactly one token; --force-new-cluster brings back a mesh that
# lost its quorum from one survivor's state; a voter silent past the grace
# period is replaced by a healthy learner.
set -u
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib_mesh.sh"

atomrpc=${ATOMRPC:-$top/build/selftests/atomrpc}
MS_VOTERS=3		# four nodes: three voters and a learner
ktap_plan 5

three() {
	local t i
	mesh_start 1 || return 1
	for i in 2 3; do
		t=$(mesh_token 1) && mesh_start "$i" "$t" || return 1
	done
	wait_for 10 mesh_agree 3 1 2 3 && wait_for 10 field_is 1 voters 3
}
step "a three-node mesh, three voters" three

raft_role_of() { # i name
	matom "$1" node list -j | jq -r --arg n "$2" '.[] | select(.name==$n) | .raft_role'
}
role_in() { # i name role...
	local r
	r=$(raft_role_of "$1" "$2")
	shift 2
	echo "$@" | grep -qw -- "$r"
}

join_then_leader_dies() {
	local l n t
	l=$(wait_mesh_leader 5) || return 1
	"$atomrpc" "$(mesh_sock "$l")" pause 60 || return 1
	t=$(mesh_token "$l") || return 1
	mesh_config 4 "$l"
	# accepted, but not in the Raft configuration: it gets no log yet
	"$atom" daemon -c "$MS/n4.yaml" --join-token "$t" 2>>"$MS/n4.log" &
	MS_PID[4]=$!
	wait_for 10 mesh_agree 4 1 2 3 || return 1
	sleep 0.5
	role_in "$l" n4 none || { echo "# n4 is $(raft_role_of "$l" n4) already"; return 1; }
	mesh_kill "$l"
	n=$(wait_mesh_leader 10 $(seq 3 | grep -vx "$l")) || return 1
	wait_for 10 role_in "$n" n4 learner voter && wait_for 10 self_listed 4 || return 1
	mesh_start "$l" && wait_for 10 mesh_agree 4 1 2 3 4 &&
		wait_for 10 role_in "$l" n4 learner voter
}
step "a join whose leader dies before the configuration change: member of both" \
	join_then_leader_dies

count_tokens() { matom "$1" token list -j | jq length; }

retried_create() {
	local l f before out pid rule
	l=$(wait_mesh_leader 5 1 2 3 4) || return 1
	f=$(seq 4 | grep -vx "$l" | head -1)
	before=$(count_tokens "$f")
	# the leader's answers on the mesh RPC get lost (not its handshakes)
	rule="OUTPUT -o lo -p tcp -s $(mesh_field "$l" mesh_ip) --sport 7001 -m length --length 100:65535 -j DROP"
	on_exit "iptables -D $rule 2>/dev/null"
	iptables -I $rule || return 1
	matom "$f" token create >"$MS/tok" 2>"$MS/tok.err" &
	pid=$!
	sleep 1.5
	mesh_kill "$l"
	iptables -D $rule
	wait "$pid" || { cat "$MS/tok.err"; return 1; }
	out=$(cat "$MS/tok")
	[ "${out#atom.}" != "$out" ] || return 1
	wait_for 10 tokens_are "$f" $((before + 1)) || return 1
	matom "$f" token list -j | jq -e --arg id "$(echo "$out" | cut -d. -f2)" \
		'[.[] | select(.id==$id)] | length == 1' >/dev/null || return 1
	mesh_start "$l" && wait_for 10 mesh_agree 4 1 2 3 4
}
tokens_are() { [ "$(count_tokens "$1")" = "$2" ]; }
step "a token create retried across a leader change makes one token" retried_create

voters_are() { # i names...: exactly these nodes vote (the leader included)
	local i=$1 got
	shift
	got=$(matom "$i" node list -j |
		jq -r '.[] | select(.raft_role=="voter" or .raft_role=="leader") | .name' | sort | xargs)
	[ "$got" = "$(echo "$@" | tr ' ' '\n' | sort | xargs)" ]
}

dead_voter() {
	local l v lr voters
	l=$(wait_mesh_leader 5) || return 1
	wait_for 10 field_is "$l" voters 3 || return 1
	voters=$(matom "$l" node list -j | jq -r '.[] | select(.raft_role=="voter") | .name' | xargs)
	lr=$(matom "$l" node list -j | jq -r '.[] | select(.raft_role=="learner") | .name')
	v=$(echo "$voters" | cut -d' ' -f1)
	echo "# stopping voter $v; learner $lr should take its place"
	kill -STOP "${MS_PID[${v#n}]}"
	wait_for 40 voters_are "$l" "n$l" $(echo "$voters" | sed "s/$v//") "$lr"
	local rc=$?
	kill -CONT "${MS_PID[${v#n}]}"
	[ $rc = 0 ] && grep -q "demoting to raft learner" "$MS/n$l.log" &&
		wait_for 10 mesh_agree 4 1 2 3 4
}
step "a voter silent past the grace period is replaced by a healthy learner" dead_voter

force_new_cluster() {
	local s i others
	s=$(wait_mesh_leader 5) || return 1
	others=$(seq 4 | grep -vx "$s")
	for i in $others; do mesh_kill "$i"; done
	mesh_kill "$s"
	"$atom" daemon -c "$MS/n$s.yaml" --force-new-cluster 2>>"$MS/n$s.log" &
	MS_PID[$s]=$!
	wait_for 10 field_is "$s" raft_role leader || return 1
	matom "$s" token create >/dev/null || return 1
	wait_for 5 mesh_agree 4 "$s" || return 1
	for i in $others; do
		"$atom" daemon -c "$MS/n$i.yaml" 2>>"$MS/n$i.log" &
		MS_PID[$i]=$!
	done
	wait_for 15 mesh_agree 4 1 2 3 4 &&
		[ "$(count_tokens "$s")" = "$(count_tokens "$(echo "$others" | head -1)")" ]
}
step "--force-new-cluster: one survivor restarts the mesh, the others rejoin" \
	force_new_cluster

ktap_finish
