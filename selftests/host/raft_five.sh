#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Five voters survive any two losses and stop at three: with two killed
# the survivors elect and commit; with a third gone nothing commits (the
# write fails instead of hanging); with one back the cluster commits again
# and the returning nodes catch up.
set -u
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib_agents.sh"

ktap_plan 4

write() { "$atomrpc" "$(agent_sock "$1")" write "$2" >/dev/null; }

five() {
	local i
	agent_start 1 && wait_leader 10 1 >/dev/null || return 1
	for i in 2 3 4 5; do
		agent_start "$i" && agent_join_voter 1 "$i" || return 1
	done
	wait_for 10 field_is 1 voters 5 && write 1 1
}
step "five voters" five

up=$(seq 5)
down=""
take_down() { # node
	agent_kill "$1"
	up=$(echo "$up" | grep -vx "$1")
	down="$down $1"
}

minority_lost() {
	local l n
	l=$(wait_leader 10) || return 1
	take_down "$l"
	take_down "$(echo "$up" | head -1)"
	n=$(wait_leader 10 $up) || return 1
	write "$n" 2
}
step "two of five killed (the leader among them): a new leader commits" minority_lost

majority_lost() {
	local i
	take_down "$(echo "$up" | head -1)"
	sleep 1.5	# past check-quorum: no leader may remain
	! agent_leader $up || return 1
	for i in $up; do
		! timeout 20 "$atomrpc" "$(agent_sock "$i")" write 3 || return 1
	done
}
step "three of five down: no leader, writes fail" majority_lost

back() {
	local i n
	for i in $down; do agent_start "$i" || return 1; done
	n=$(wait_leader 10) && write "$n" 4 && wait_for 10 agents_agree "$n" 1 2 3 4 5
}
step "the lost nodes come back: commits resume, all agree" back

ktap_finish
