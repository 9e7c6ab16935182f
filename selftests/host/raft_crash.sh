#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Agents killed with -9 at random moments under a write load lose nothing
# they acknowledged: after 200 kills (and restarts), every id a client saw
# acknowledged is applied on every node, and the nodes agree.
# (A process kill keeps the page cache; durability against power loss is
# the simulator's disk model and raft_fsync.sh.)
set -u
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib_agents.sh"

KILLS=${KILLS:-200}
ktap_plan 3

cluster() {
	agent_start 1 && wait_leader 10 1 >/dev/null &&
	agent_start 2 && agent_start 3 &&
	agent_join_voter 1 2 && agent_join_voter 1 3
}
step "three voters" cluster

"$atomrpc" load 1 1000000 "$(agent_sock 1)" "$(agent_sock 2)" \
	"$(agent_sock 3)" >"$AG/acks" 2>"$AG/load.err" &
load=$!
on_exit "kill $load"

kills() {
	local k i
	for k in $(seq "$KILLS"); do
		i=$((RANDOM % 3 + 1))
		sleep "0.0$((RANDOM % 10))"
		agent_kill "$i"
		agent_start "$i" || { echo "node $i did not come back"; return 1; }
	done
	kill "$load"
	wait "$load" 2>/dev/null
	echo "# $KILLS kills, $(grep -c '^ack' "$AG/acks") writes acknowledged"
	[ "$(grep -c '^ack' "$AG/acks")" -ge 100 ]
}
step "$KILLS kills under a write load; writes keep being acknowledged" kills

nothing_lost() {
	local i
	awk '/^ack/ {print $2}' "$AG/acks" >"$AG/ids"
	wait_for 20 agents_agree 1 2 3 || { echo "nodes disagree"; return 1; }
	for i in 1 2 3; do
		"$atomrpc" "$(agent_sock "$i")" read "$AG/ids" || return 1
	done
}
step "every acknowledged write is on every node" nothing_lost

ktap_finish
