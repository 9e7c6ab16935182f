#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The agent's kernel dataplane backend (agent/dp_kernel.c) over atom.ko:
# an item that cannot be installed (an operator's route holds its /32)
# does not wedge the node: the rest is applied, the index advances, and
# list shows what the device holds.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_kmod.sh"

ktap_plan 4

wg_dev 1
spec=$(mktemp)
out=$(mktemp)
on_exit rm -f "$spec" "$out"
atomctl genspec 3 10.100.0.1 192.0.2.9:51820 25 >"$spec"
k2=$(awk 'NR == 2 {print $2}' "$spec")
nsx 1 ip route add 10.100.0.2/32 dev wg0

dp_apply() {
	actl 1 dp wg0 5 <"$spec" >"$out"
	cat "$out"
	grep -q 'dp apply=-17 applied_index=5' "$out"
}
step "dp apply reports the item it left out (EEXIST)" dp_apply
others() {
	[ "$(peer_count 1)" = 2 ] && [ "$(route_count 1)" = 2 ] &&
	! state 1 | grep -q "$k2"
}
step "the other two peers and routes are installed" others
advanced() {
	actl 1 get | grep -q 'index=5 pending=0 peers=2'
}
step "the index advanced" advanced
listed() {
	[ "$(grep -c '^listed ' "$out")" = 2 ]
}
step "list shows the two peers" listed
ktap_finish
