#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Eviction in two phases (design §9): a removed node wipes its private key
# and data dir and exits 0, and nobody lists it; a voter is demoted first
# so the mesh keeps its quorum; a node evicted while it was down wipes
# itself when restarted, on an authentic reply from a member's join port;
# its key cannot come back, even with a fresh token.
set -u
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib_mesh.sh"

ktap_plan 5

four() {
	local t i
	mesh_start 1 || return 1
	for i in 2 3 4; do
		t=$(mesh_token 1) && mesh_start "$i" "$t" || return 1
	done
	wait_for 10 mesh_agree 4 1 2 3 4 && wait_for 10 field_is 1 voters 4
}
step "a four-node mesh, four voters" four

remove_running() {
	matom 2 node remove n3 || return 1
	wait "${MS_PID[3]}"
	local rc=$?
	unset "MS_PID[3]"
	[ "$rc" = 0 ] || { echo "# n3 exited $rc"; return 1; }
	[ ! -e "$(mesh_key 3)" ] && [ ! -e "$(mesh_dir 3)" ] &&
		grep -q "evicted from the mesh" "$MS/n3.log" &&
		wait_for 10 mesh_agree 3 1 2 4 && wait_for 10 field_is 1 voters 3
}
step "remove: the node wipes its key and data dir, exits 0; gone everywhere" remove_running

remove_leader() {
	local l rest
	l=$(wait_mesh_leader 5 1 2 4) || return 1
	rest=$(echo 1 2 4 | tr ' ' '\n' | grep -vx "$l" | tr '\n' ' ')
	matom "$l" node remove "n$l" || return 1
	wait "${MS_PID[$l]}"
	[ $? = 0 ] || return 1
	unset "MS_PID[$l]"
	[ ! -e "$(mesh_key "$l")" ] && wait_for 10 mesh_agree 2 $rest &&
		wait_mesh_leader 5 $rest >/dev/null
	echo "$rest" >"$MS/rest"
}
step "removing the leader: it hands off first, then wipes itself" remove_leader

evicted_while_down() {
	local t a b
	read -r a b <"$MS/rest"
	t=$(mesh_token "$a") || return 1
	mesh_config 5 "$a"		# node 1 may be the one removed
	mesh_start 5 "$t" || return 1
	wait_for 10 mesh_agree 3 "$a" "$b" 5 || return 1
	cp "$(mesh_key 5)" "$MS/n5.key.saved"
	mesh_kill 5 && echo "# n5 killed"
	matom "$a" node remove n5 || return 1
	wait_for 15 mesh_agree 2 "$a" "$b" || return 1
	"$atom" daemon -c "$MS/n5.yaml" 2>>"$MS/n5.log" &
	MS_PID[5]=$!
	wait_for 15 eval '! mesh_alive 5' || return 1
	wait "${MS_PID[5]}"
	[ $? = 0 ] && [ ! -e "$(mesh_key 5)" ] && [ ! -e "$(mesh_dir 5)" ] &&
		grep -q "evicted while it was down" "$MS/n5.log"
}
step "a node evicted while down wipes itself when restarted" evicted_while_down

tombstoned() {
	local t a b
	read -r a b <"$MS/rest"
	t=$(mesh_token "$a") || return 1
	cp "$MS/n5.key.saved" "$(mesh_key 5)"
	chmod 600 "$(mesh_key 5)"
	sed -i 's/name: n5/name: n5b/' "$MS/n5.yaml"
	timeout 30 "$atom" daemon -c "$MS/n5.yaml" --join-token "$t" 2>>"$MS/n5.log"
	[ $? = 1 ] && grep -q "evicted" "$MS/n5.log" && mesh_agree 2 "$a" "$b"
}
step "rejoin with a tombstoned key is refused" tombstoned

ktap_finish
