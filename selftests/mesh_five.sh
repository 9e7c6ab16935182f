#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Five nodes of a real mesh (atom.ko) in namespaces on a bridge: every
# pair pings; the leader is killed with kill -9 while pings flow between
# the others: not one is lost (the data plane does not need a leader), a
# new leader is elected, and a join through a survivor still works.
set -u
. "$(dirname "$0")/lib.sh"

ktap_plan 4
. "$(dirname "$0")/lib_meshvm.sh"

five() {
	local i t
	bridge_up || return 1
	for i in 1 2 3 4 5 6; do
		on_bridge "$i" || return 1
	done
	mesh_vm_start 1 && wait_for 20 listed 1 1 || return 1
	for i in 2 3 4 5; do
		t=$(ma 1 token create) && mesh_vm_start "$i" "$t" &&
			wait_for 30 listed "$i" "$i" || return 1
	done
	for i in 1 2 3 4 5; do
		wait_for 20 listed "$i" 5 || return 1
	done
}
step "a five-node mesh" five
[ "$KTAP_FAIL" = 0 ] || mesh_vm_diag 1 2 3 4 5

all_pairs() {
	local i j
	for i in 1 2 3 4 5; do
		for j in 1 2 3 4 5; do
			[ "$i" = "$j" ] && continue
			nsx "$i" ping -c 1 -W 5 "10.99.0.$j" >/dev/null ||
				{ echo "# $i -> $j"; return 1; }
		done
	done
}
step "every pair of five pings" all_pairs

leader() { # the node that leads, among those given
	local i
	for i in "$@"; do
		[ "$(ma "$i" status -j 2>/dev/null | jq -r .raft_role)" = leader ] &&
			{ echo "$i"; return 0; }
	done
	return 1
}
new_leader() { leader "$@" >/dev/null; }

failover() {
	local l rest a b lost
	l=$(leader 1 2 3 4 5) || return 1
	rest=$(echo 1 2 3 4 5 | tr ' ' '\n' | grep -vx "$l" | xargs)
	a=$(echo "$rest" | cut -d' ' -f1)
	b=$(echo "$rest" | cut -d' ' -f2)
	nsx "$a" ping -i 0.1 -c 40 -W 1 "10.99.0.$b" >"$tmp/ping" 2>&1 &
	local p=$!
	sleep 1
	eval "kill -9 \$pid$l"
	wait_for 15 new_leader $rest || return 1
	wait "$p"
	lost=$(sed -n 's/.* \([0-9]*\)% packet loss.*/\1/p' "$tmp/ping")
	echo "# leader n$l killed; n$a -> n$b lost ${lost}%; new leader n$(leader $rest)"
	[ "$lost" = 0 ] && echo "$rest" >"$tmp/rest"
}
step "leader kill -9: pings keep flowing, a new leader is elected" failover

join_survivor() {
	local via t
	via=$(cut -d' ' -f1 <"$tmp/rest")
	t=$(ma "$via" token create) || return 1
	mesh_vm_start 6 "$t" "$via" && wait_for 30 listed 6 6 || return 1
	nsx 6 ping -c 1 -W 5 "10.99.0.$via" >/dev/null
}
step "a join through a survivor" join_survivor

ktap_finish
