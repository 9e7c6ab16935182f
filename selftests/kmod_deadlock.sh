#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Deadlock regression (research/kmod-feasibility.md §4 #8): a generic
# netlink family registered or unregistered while atom.ko has a batch in
# flight must not hang anything, and GET answers during a long apply.
# The test build's worker delay holds the batch open.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_kmod.sh"

ktap_plan 8

wg_dev 1
spec=$(mktemp)
out=$(mktemp)
on_exit rm -f "$spec" "$out"
on_exit rmmod atom_genl_probe
atomctl genspec 50 10.100.0.1 192.0.2.9:51820 25 >"$spec"

kmod_param test_delay_ms 4000
actl 1 apply wg0 1 <"$spec" >"$out" 2>&1 &
bg=$!
step "GET answers while a batch is in flight" wait_for 10 pending_is 1 1
# Loading the probe registers a family: genl's cb_lock taken for write.
load_overlaps() {
	timeout 20 modprobe atom_genl_probe &&
	pending_is 1 1	# still in flight: the two overlapped
}
step "a genl family registers during the batch, without a hang" load_overlaps
step "genl still answers (wg show) during the batch" \
	timeout 10 ip netns exec "$(netns_name 1)" wg show wg0
done_ok() {
	wait $bg
	local rc=$?
	cat "$out"
	[ $rc = 0 ] && [ "$(peer_count 1)" = 50 ]
}
step "the batch completes with all 50 peers" done_ok

atomctl genspec 50 10.100.1.1 192.0.2.9:51820 25 >"$spec"
actl 1 apply wg0 2 <"$spec" >"$out" 2>&1 &
bg=$!
wait_for 10 pending_is 1 1
unload_overlaps() {
	timeout 20 rmmod atom_genl_probe && pending_is 1 1
}
step "a genl family unregisters during the batch, without a hang" \
	unload_overlaps
kmod_param test_delay_ms 0
done_ok2() {
	wait $bg
	local rc=$?
	cat "$out"
	[ $rc = 0 ] && [ "$(peer_count 1)" = 100 ]
}
step "the second batch completes" done_ok2
step "the probe family is gone" sh -c '! genl ctrl list | grep -q atom_probe'
step "a GET after it all answers" actl 1 get
ktap_finish
