#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A Raft cluster of real agents on this host (none dataplane, loopback):
# a bootstrapper leads alone; learners are added, catch up and are
# promoted; writes reach every node; the leader killed with -9 is replaced
# and comes back with its state; SIGTERM hands leadership over; a voter is
# removed; a leader frozen with SIGSTOP (no FIN, no RST) is replaced by
# timeout.
set -u
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib_agents.sh"

ktap_plan 10

write() { # node id
	"$atomrpc" "$(agent_sock "$1")" write "$2" >/dev/null
}

lone_leader() {
	agent_start 1 && l=$(wait_leader 10 1) && [ "$l" = 1 ] &&
	[ "$(agent_field 1 voters)" = 1 ] && write 1 1
}
step "the bootstrapper leads a cluster of one" lone_leader

grow() {
	agent_start 2 && agent_start 3 &&
	[ "$(agent_field 2 role)" = none ] &&
	agent_join_voter 1 2 && agent_join_voter 1 3 &&
	wait_for 10 field_is 1 voters 3
}
step "two empty nodes join as learners, catch up, become voters" grow

replicate() {
	local i
	for i in $(seq 2 50); do write 1 "$i" || return 1; done
	wait_for 10 agents_agree 1 2 3 &&
	[ "$("$atomrpc" "$(agent_sock 3)" read | sed 's/ .*//')" = count=50 ]
}
step "50 writes on the leader are applied on every node" replicate

follower_refuses() {
	! write 2 999 && "$atomrpc" "$(agent_sock 2)" write 999 2>&1 |
		grep -q "not the leader; the leader is $(agent_ip 1)"
}
step "a follower refuses writes and names the leader" follower_refuses

failover() {
	local old_term l
	old_term=$(agent_field 1 term)
	agent_kill 1
	l=$(wait_leader 10 2 3) || return 1
	[ "$(agent_field "$l" term)" -gt "$old_term" ] && write "$l" 51 &&
	agent_start 1 && wait_for 10 agents_agree "$l" 1 2 3 &&
	[ "$(agent_field 1 role)" = voter ]
}
step "leader kill -9: a new leader, the old one back with its state" failover

restart_all() {
	local i l
	for i in 1 2 3; do agent_kill "$i"; done
	for i in 1 2 3; do agent_start "$i" || return 1; done
	l=$(wait_leader 10) && write "$l" 52 &&
	wait_for 10 agents_agree 1 2 3 &&
	[ "$("$atomrpc" "$(agent_sock 1)" read | sed 's/ .*//')" = count=52 ]
}
step "all three killed and restarted: the log is intact" restart_all

handoff() {
	local l n term
	l=$(wait_leader 10) || return 1
	term=$(agent_field "$l" term)
	"$atom" -s "$(agent_sock "$l")" daemon stop || return 1
	unset "AG_PID[$l]"
	n=$(wait_leader 5) || return 1
	[ "$n" != "$l" ] && [ "$(agent_field "$n" term)" = $((term + 1)) ] &&
	grep -q "handing leadership to" "$AG/n$l.log" &&
	agent_start "$l" && wait_for 10 field_is "$l" role voter
}
step "daemon stop on the leader hands leadership off (term + 1)" handoff

transfer() {
	local l t term
	l=$(wait_leader 10) || return 1
	t=$(( l % 3 + 1 ))
	term=$(agent_field "$l" term)
	"$atomrpc" "$(agent_sock "$l")" transfer "$(agent_ip "$t")" &&
	wait_for 5 field_is "$t" role leader &&
	[ "$(agent_field "$l" transfers)" -ge 1 ] &&
	[ "$(agent_field "$t" term)" = $((term + 1)) ]
}
step "a transfer to a named voter; the counter shows it" transfer

sigstop() {
	local l n term
	l=$(wait_leader 10) || return 1
	term=$(agent_field "$l" term)
	agent_signal "$l" STOP
	n=$(wait_leader 10 $(echo 1 2 3 | tr ' ' '\n' | grep -vx "$l")) || return 1
	write "$n" 53 || return 1
	agent_signal "$l" CONT
	wait_for 10 field_is "$l" role voter &&
	[ "$(agent_field "$l" term)" -gt "$term" ] &&
	wait_for 10 agents_agree "$n" 1 2 3
}
step "a leader frozen by SIGSTOP is replaced by timeout, then follows" sigstop

remove() {
	local l v
	l=$(wait_leader 10) || return 1
	v=$(( l % 3 + 1 ))
	"$atomrpc" "$(agent_sock "$l")" member remove "$(agent_ip "$v")" &&
	wait_for 5 field_is "$l" voters 2 &&
	write "$l" 54 && agent_kill "$v" &&
	write "$l" 55
}
step "a voter removed: two voters commit without it" remove

ktap_finish
