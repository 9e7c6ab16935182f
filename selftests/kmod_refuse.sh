#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# What WireGuard would silently accept, atom.ko refuses with a message and
# without touching the device: a peer with the device's own key, a /32
# owned by another peer, a key twice, updating or removing an unknown key.
# A stale expected index changes nothing, whether it is caught at once or
# by the worker behind another batch.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_kmod.sh"

ktap_plan 10

wg_dev 1
spec=$(mktemp)
before=$(mktemp)
err=$(mktemp)
on_exit rm -f "$spec" "$before" "$err"
atomctl genspec 2 10.100.0.1 192.0.2.9:51820 25 >"$spec"
k1=$(awk 'NR == 1 {print $2}' "$spec")
actl 1 apply wg0 1 <"$spec" >/dev/null || echo "# setup apply failed"
state 1 >"$before"
own=$(ip netns exec "$(netns_name 1)" wg show wg0 public-key)
new=$(atomctl genspec 1 10.100.0.9 | awk '{print $2}')

# refused "what" pattern-on-stderr spec-line...
refused() {
	local pattern=$1
	shift
	printf '%s\n' "$@" | actl 1 apply wg0 7 2>"$err"
	local rc=$?
	cat "$err"
	[ $rc = 1 ] && grep -q "$pattern" "$err" && same_state 1 "$before"
}

step "a peer with the device's own key is refused" \
	refused "own public key" "add $own 10.100.0.9 - 0"
step "a /32 owned by another peer is refused" \
	refused "owned by another peer" "add $new 10.100.0.2 - 0"
step "the same key twice in one batch is refused" \
	refused "same key twice" "add $new 10.100.0.9 - 0" \
	"add $new 10.100.0.10 - 0"
step "updating an unknown key is refused" \
	refused "no peer with this key" "upd $new 10.100.0.9 - 0"
step "removing an unknown key is refused" \
	refused "no peer with this key" "del $new"
step "a /32 freed by a removal in the same batch can be reused" \
	actl 1 apply wg0 2 <<<"del $k1
add $new 10.100.0.1 - 0"
state 1 >"$before"

stale() {
	actl 1 apply wg0 9 --expect 1 <<<"del $new" 2>"$err"
	local rc=$?
	cat "$err"
	[ $rc = 1 ] && grep -q "expected index" "$err" &&
	same_state 1 "$before" && actl 1 get | grep -q "index=2 "
}
step "a stale expected index is refused at once, nothing changes" stale

# Behind a slow batch the doit cannot know the index: the worker checks.
stale_queued() {
	local out rc
	kmod_param test_delay_ms 5000
	actl 1 apply wg0 3 </dev/null >/dev/null &
	local bg=$!
	wait_for 10 pending_is 1 1 || echo "# the first batch was not seen pending"
	actl 1 get
	out=$(actl 1 apply wg0 4 --expect 2 <<<"del $new" 2>"$err")
	rc=$?
	echo "$out"
	cat "$err"
	wait $bg
	kmod_param test_delay_ms 0
	[ $rc = 1 ] && grep -q "errno=-116 item=none phase=guard" <<<"$out" &&
	same_state 1 "$before"
}
step "a stale expected index caught by the worker changes nothing" \
	stale_queued
step "the right expected index applies" \
	actl 1 apply wg0 5 --expect 3 <<<"del $new"

# The work queued per namespace is bounded (ATOM_MAX_QUEUED = 8).
bounded() {
	local i pids=() rc
	kmod_param test_delay_ms 6000
	for i in 1 2 3 4 5 6 7 8; do
		actl 1 apply wg0 $((10 + i)) </dev/null >/dev/null 2>&1 &
		pids+=($!)
	done
	wait_for 15 pending_is 1 8 || echo "# 8 batches were not seen queued"
	actl 1 apply wg0 30 </dev/null 2>"$err"
	rc=$?
	cat "$err"
	kmod_param test_delay_ms 0
	wait "${pids[@]}"
	[ $rc = 1 ] && grep -q "ATOM_MAX_QUEUED" "$err"
}
step "a ninth queued batch in one namespace is refused (EBUSY)" bounded
ktap_finish
