#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Teardown in the middle of a large apply: the namespace deleted, the
# device deleted, atom.ko unloaded. No oops or hang (the VM checks the
# console), and the caller that remains gets a clear result. A killed
# caller does not stop its batch.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_kmod.sh"

ktap_plan 9

spec=$(mktemp)
o1=$(mktemp)
o2=$(mktemp)
o3=$(mktemp)
on_exit rm -f "$spec" "$o1" "$o2" "$o3"
atomctl genspec 500 10.100.0.1 192.0.2.9:51820 25 >"$spec"
wg_dev 1
wg_dev 2
wg_dev 3
wg_dev 4
# Bound first, so that the delayed job the tests catch is the apply.
for n in 1 2 3 4; do
	actl "$n" bind wg0 >/dev/null
done
kmod_param test_delay_ms 3000

# The namespace's last name goes; the batch keeps it alive and finishes.
actl 1 apply wg0 1 <"$spec" >"$o1" 2>&1 &
bg1=$!
wait_for 10 pending_is 1 1
step "namespace deleted during a 500-peer apply" ip netns del "$(netns_name 1)"
ns_done() {
	wait $bg1
	local rc=$?
	cat "$o1"
	[ $rc = 0 ] && grep -q "errno=0" "$o1"
}
step "its caller still gets the result: done" ns_done

actl 2 apply wg0 1 <"$spec" >"$o2" 2>&1 &
bg2=$!
wait_for 10 pending_is 2 1
step "device deleted during a 500-peer apply" nsx 2 ip link del wg0
dev_done() {
	wait $bg2
	local rc=$?
	cat "$o2"
	[ $rc = 1 ] && grep -q "errno=-19" "$o2" &&
	actl 2 get | grep -q "bound=0"
}
step "its caller gets ENODEV and GET says unbound" dev_done

# A started batch runs to completion whatever happens to its caller.
# ip netns exec execs atomctl: $! is atomctl itself.
ip netns exec "$(netns_name 4)" atomctl apply wg0 1 <"$spec" >/dev/null 2>&1 &
bg4=$!
wait_for 10 pending_is 4 1
killed() {
	grep -q atomctl "/proc/$bg4/comm" && kill -9 "$bg4" && ! wait "$bg4"
}
step "the caller of a 500-peer apply is killed" killed
killed_done() {
	wait_for 60 pending_is 4 0 &&
	actl 4 get | grep -q "index=1 pending=0 peers=500" &&
	[ "$(peer_count 4)" = 500 ] && [ "$(route_count 4)" = 500 ]
}
step "its batch still completes" killed_done

actl 3 apply wg0 1 <"$spec" >"$o3" 2>&1 &
bg3=$!
wait_for 10 pending_is 3 1
step "rmmod atom during a 500-peer apply waits for it" \
	timeout 60 rmmod atom
unload_done() {
	wait $bg3
	local rc=$?
	cat "$o3"
	[ $rc = 0 ] && grep -q "errno=0" "$o3" && [ "$(peer_count 3)" = 500 ] &&
	! grep -q '^atom ' /proc/modules
}
step "the batch finished first and its caller got the result" unload_done
step "atom.ko loads again" modprobe atom
ktap_finish
