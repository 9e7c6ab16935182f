#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# All or nothing: a batch that fails at any step (the test build's fault
# knob at the first, a middle and the last item of every phase, and the
# natural failures: a route already present, the device down) leaves every
# peer's key, endpoint, allowed-ips and keepalive and atom's routes as they
# were, and the result names the failing item and phase.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_kmod.sh"

ktap_plan 16

wg_dev 1
base=$(mktemp)
batch=$(mktemp)
before=$(mktemp)
out=$(mktemp)
on_exit rm -f "$base" "$batch" "$before" "$out"

# Three peers installed; then one batch that touches every phase:
#   item 0 removes p1, item 1 moves p2 to a new /32 with a new endpoint,
#   items 2..6 add five peers.
atomctl genspec 3 10.100.0.1 192.0.2.9:51820 25 >"$base"
actl 1 apply wg0 1 <"$base" >/dev/null || echo "# setup apply failed"
p1=$(awk 'NR == 1 {print $2}' "$base")
p2=$(awk 'NR == 2 {print $2}' "$base")
{
	echo "del $p1"
	echo "add $p2 10.100.0.22 192.0.2.8:4000 5"
	atomctl genspec 5 10.100.1.1 192.0.2.7:51820 25
} >"$batch"
state 1 >"$before"

# fails_cleanly PHASE ITEM NAME: the fault at ITEM in PHASE undoes it all
fails_cleanly() {
	kmod_param test_fail_item "$2"
	kmod_param test_fail_phase "$1"
	actl 1 apply wg0 2 <"$batch" >"$out" 2>&1
	local rc=$?
	kmod_param test_fail_phase 0
	cat "$out"
	[ $rc = 1 ] && grep -q "item=$2 phase=$3 undo=0" "$out" &&
	same_state 1 "$before" && actl 1 get | grep -q "index=1 "
}

step "fault removing the peer (item 0): all undone" \
	fails_cleanly "$PH_PEER_REMOVE" 0 peer-remove
step "fault deleting its route (item 0): all undone" \
	fails_cleanly "$PH_ROUTE_DEL" 0 route-del
step "fault at the first route added (item 1): all undone" \
	fails_cleanly "$PH_ROUTE_ADD" 1 route-add
step "fault at a middle route added (item 4): all undone" \
	fails_cleanly "$PH_ROUTE_ADD" 4 route-add
step "fault at the last route added (item 6): all undone" \
	fails_cleanly "$PH_ROUTE_ADD" 6 route-add
step "fault at the first peer set (item 1): all undone" \
	fails_cleanly "$PH_PEER_SET" 1 peer-set
step "fault at a middle peer set (item 4): all undone" \
	fails_cleanly "$PH_PEER_SET" 4 peer-set
step "fault at the last peer set (item 6): all undone" \
	fails_cleanly "$PH_PEER_SET" 6 peer-set
step "fault deleting the moved peer's old route (item 1): all undone" \
	fails_cleanly "$PH_ROUTE_DEL_OLD" 1 route-del-old

# natural NAME PATTERN: the batch fails by itself, naming the item
natural() {
	actl 1 apply wg0 2 <"$batch" >"$out" 2>&1
	local rc=$?
	cat "$out"
	[ $rc = 1 ] && grep -q "$1" "$out" && same_state 1 "$before"
}
taken=10.100.1.4
nsx 1 ip route add "$taken/32" dev wg0
state 1 >"$before"
step "a route already present for item 5's /32: EEXIST, all undone" \
	natural "errno=-17 item=5 phase=route-add undo=0"
nsx 1 ip route del "$taken/32" dev wg0

nsx 1 ip link set wg0 down
state 1 >"$before"
step "device down: the first route fails, all undone" \
	natural "errno=-100 item=1 phase=route-add undo=0"
nsx 1 ip link set wg0 up
# Routes through a device are flushed when it goes down: rebinding reads
# the device again, and a replace puts the missing routes back.
actl 1 bind wg0 >/dev/null
actl 1 replace wg0 1 <"$base" >/dev/null
resynced() {
	[ "$(route_count 1)" = 3 ] && [ "$(peer_count 1)" = 3 ]
}
step "rebind and replace resync after the device came back" resynced
state 1 >"$before"

step "the same batch applies once nothing fails" actl 1 apply wg0 2 <"$batch"
applied() {
	[ "$(peer_count 1)" = 7 ] && [ "$(route_count 1)" = 7 ] &&
	state 1 | grep -q "^$p2 192.0.2.8:4000 10.100.0.22/32 5$" &&
	! state 1 | grep -q "10.100.0.2 " && ! state 1 | grep -q "$p1"
}
step "wg show and ip route show the whole batch" applied

# A failure during undo is reported, not hidden: fail the first route,
# with the device deleted under the worker there is nothing to undo into.
state 1 >"$before"
undo_reported() {
	kmod_param test_fail_item 6
	kmod_param test_fail_phase "$PH_ROUTE_ADD"
	atomctl genspec 7 10.100.2.1 - 0 | actl 1 apply wg0 3 >"$out" 2>&1
	local rc=$?
	kmod_param test_fail_phase 0
	cat "$out"
	[ $rc = 1 ] && grep -q "item=6 phase=route-add undo=0" "$out" &&
	same_state 1 "$before"
}
step "fault at the last of seven new peers: all undone" undo_reported
big() {
	atomctl genspec 300 10.101.0.1 192.0.2.1:51820 25 >"$out.big"
	kmod_param test_fail_item 299
	kmod_param test_fail_phase "$PH_PEER_SET"
	actl 1 apply wg0 3 <"$out.big" >"$out" 2>&1
	local rc=$?
	kmod_param test_fail_phase 0
	rm -f "$out.big"
	cat "$out"
	[ $rc = 1 ] && grep -q "item=299 phase=peer-set undo=0" "$out" &&
	same_state 1 "$before"
}
step "fault at the last peer of 300 (two WireGuard messages): all undone" big
ktap_finish
