#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Joins race only inside the state machine: eight nodes joining at once
# with one one-use token admit exactly one (the others learn why); eight
# at once with eight tokens, through three different members, all get in
# with eight distinct mesh addresses, and every node agrees.
set -u
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib_mesh.sh"

ktap_plan 3

three() {
	local t i
	mesh_start 1 || return 1
	for i in 2 3; do
		t=$(mesh_token 1) && mesh_start "$i" "$t" || return 1
	done
	wait_for 10 mesh_agree 3 1 2 3
}
step "a three-node mesh" three

one_use_race() {
	local t i ok=0 refused=0 pids=()
	t=$(mesh_token 1 --uses 1) || return 1
	for i in $(seq 10 17); do
		mesh_config "$i" $((i % 3 + 1))
		"$atom" daemon -c "$MS/n$i.yaml" --join-token "$t" 2>"$MS/n$i.log" &
		pids[i]=$!
	done
	sleep 3
	for i in $(seq 10 17); do
		if kill -0 "${pids[i]}" 2>/dev/null; then
			ok=$((ok + 1))
			MS_PID[$i]=${pids[i]}
		else
			wait "${pids[i]}"
			[ $? = 1 ] && grep -q "no uses left" "$MS/n$i.log" &&
				refused=$((refused + 1))
		fi
	done
	echo "# admitted $ok, refused $refused"
	[ "$ok" = 1 ] && [ "$refused" = 7 ] && wait_for 10 mesh_agree 4 1 2 3
}
step "8 concurrent joins with a one-use token admit exactly one" one_use_race

many_tokens() {
	local i t
	for i in $(seq 20 27); do
		t=$(mesh_token $((i % 3 + 1))) || return 1
		mesh_config "$i" $((i % 3 + 1))
		"$atom" daemon -c "$MS/n$i.yaml" --join-token "$t" 2>"$MS/n$i.log" &
		MS_PID[$i]=$!
	done
	wait_for 30 mesh_agree 12 1 2 3 20 27 || return 1
	[ "$(matom 2 node list -j | jq -r '.[].mesh_ip' | sort -u | wc -l)" = 12 ] &&
		! matom 2 node list -j | jq -r '.[].mesh_ip' | grep -qE '\.(0|255)$'
}
step "8 concurrent joins with 8 tokens: 8 distinct mesh addresses" many_tokens

ktap_finish
