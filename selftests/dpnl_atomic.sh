#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# All or nothing: a batch that fails at any of its steps (peer removal,
# route addition, peer set, route removal; first, middle and last of each)
# or fails by itself (a /32 route someone else holds, the device down)
# leaves every peer's key, endpoint, allowed-ips and keepalive and atom's
# routes as they were, and the error names the failing step.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_dpnl.sh"

ktap_plan 24

netns_new 1
dp_setup 1 self 10.99.0.1
dp 1 apply wg0 1 <<SPEC
add $(key a) 10.99.0.2 192.0.2.2:51820 25
add $(key b) 10.99.0.3 - 0
add $(key c) 10.99.0.4 192.0.2.4:51820 0
add $(key d) 10.99.0.5 - 0
SPEC

# 12 steps: 2 peer removals, 3 route additions, 4 peer sets (2 new, 2
# updates), 3 route removals.
batch() {
	cat <<-SPEC
	del $(key a)
	del $(key b)
	add $(key c) 10.99.0.14 192.0.2.4:51820 0
	add $(key e) 10.99.0.6 - 0
	add $(key f) 10.99.0.7 192.0.2.7:51820 5
	add $(key d) 10.99.0.5 192.0.2.5:51820 15
	SPEC
}

before=$(mktemp)
on_exit rm -f "$before"
snapshot 1 >"$before"
cat "$before"

fail_at() { # N phase
	fails_with 1 "step $1 of 12, $2" apply wg0 2 --fail-step "$1" \
		< <(batch) && unchanged 1 "$before"
}
step "fail at step 1 (first peer removal): nothing changed" fail_at 1 "peer removal"
step "fail at step 2 (last peer removal): nothing changed" fail_at 2 "peer removal"
step "fail at step 3 (first route addition): nothing changed" fail_at 3 "route addition"
step "fail at step 4 (middle route addition): nothing changed" fail_at 4 "route addition"
step "fail at step 5 (last route addition): nothing changed" fail_at 5 "route addition"
step "fail at step 6 (first peer set): nothing changed" fail_at 6 "peer set"
step "fail at step 7 (middle peer set): nothing changed" fail_at 7 "peer set"
step "fail at step 9 (last peer set): nothing changed" fail_at 9 "peer set"
step "fail at step 10 (first route removal): nothing changed" fail_at 10 "route removal"
step "fail at step 11 (middle route removal): nothing changed" fail_at 11 "route removal"
step "fail at step 12 (last step): nothing changed" fail_at 12 "route removal"

undo_fails() {
	fails_with 1 "undo failed" apply wg0 2 --fail-step 9 --fail-undo < <(batch)
}
step "a failed undo is reported as such" undo_fails
# Put the device back for what follows (a replace is one batch too).
dp 1 replace wg0 3 <<SPEC
add $(key a) 10.99.0.2 192.0.2.2:51820 25
add $(key b) 10.99.0.3 - 0
add $(key c) 10.99.0.4 192.0.2.4:51820 0
add $(key d) 10.99.0.5 - 0
SPEC
step "replace restored the device" unchanged 1 "$before"

replace_fails() {
	fails_with 1 "step 3 of" replace wg0 4 --fail-step 3 <<-SPEC &&
	add $(key a) 10.99.0.2 192.0.2.2:51820 25
	add $(key e) 10.99.0.6 - 0
	add $(key f) 10.99.0.7 - 0
	SPEC
	unchanged 1 "$before"
}
step "a replace that fails changes nothing" replace_fails

batch_applies() {
	local ns
	ns=$(netns_name 1)
	batch | dp 1 apply wg0 5 &&
	[ "$(ip netns exec "$ns" wg show wg0 peers | sort)" = \
	  "$(printf '%s\n' "$(key c)" "$(key d)" "$(key e)" "$(key f)" | sort)" ] &&
	[ "$(ip -n "$ns" route show proto "$RTPROT_ATOM" dev wg0 | cut -d' ' -f1 | sort)" = \
	  "$(printf '%s\n' 10.99.0.14 10.99.0.5 10.99.0.6 10.99.0.7)" ]
}
step "the same batch without a fault applies in full" batch_applies
snapshot 1 >"$before"

taken_route() {
	ip -n "$(netns_name 1)" route add 10.99.0.9/32 dev lo &&
	fails_with 1 "route addition of 10.99.0.9/32 (peer $(key h))" apply wg0 6 <<-SPEC &&
	del $(key c)
	add $(key g) 10.99.0.8 - 0
	add $(key h) 10.99.0.9 - 0
	add $(key d) 10.99.0.5 - 7
	SPEC
	unchanged 1 "$before" &&
	ip -n "$(netns_name 1)" route show 10.99.0.9/32 | grep -q "dev lo"
}
step "a /32 route held by someone else fails the batch, changing nothing" taken_route

# As the agent runs it (--drift): the change that fails by itself is left
# out, the rest goes in.
drift() {
	local ns
	ns=$(netns_name 1)
	fails_with 1 "1 change(s) left out as drift, the rest applied; first: step 3 of 7, route addition of 10.99.0.9/32 (peer $(key h))" \
		apply wg0 6 --drift <<-SPEC &&
	del $(key c)
	add $(key g) 10.99.0.8 - 0
	add $(key h) 10.99.0.9 - 0
	add $(key d) 10.99.0.5 - 7
	SPEC
	[ "$(ip netns exec "$ns" wg show wg0 peers | sort)" = \
	  "$(printf '%s\n' "$(key d)" "$(key e)" "$(key f)" "$(key g)" | sort)" ] &&
	[ "$(peer_field 1 "$(key d)" 8)" = 7 ] &&
	ip -n "$ns" route show proto "$RTPROT_ATOM" | grep -q "^10.99.0.8 dev wg0" &&
	! ip -n "$ns" route show proto "$RTPROT_ATOM" | grep -q "^10.99.0.9 " &&
	ip -n "$ns" route show 10.99.0.9/32 | grep -q "dev lo"
}
step "with --drift the failing change is left out and the rest applied" drift

# A device that is down loses its routes; what matters is that the batch
# adds nothing to it.
ip -n "$(netns_name 1)" link set wg0 down
snapshot 1 >"$before"
device_down() {
	fails_with 1 "route addition of 10.99.0.10/32" apply wg0 7 <<-SPEC &&
	del $(key e)
	add $(key i) 10.99.0.10 - 0
	SPEC
	unchanged 1 "$before"
}
step "a device that is down fails the batch, changing nothing" device_down

# The agent's record differs from the device now (the kernel flushed the
# routes): dpctl adopts it as it is; bring it up and make it whole again.
ip -n "$(netns_name 1)" link set wg0 up
restore() {
	dp 1 replace wg0 8 <<-SPEC
	add $(key c) 10.99.0.14 192.0.2.4:51820 0
	add $(key d) 10.99.0.5 192.0.2.5:51820 15
	add $(key e) 10.99.0.6 - 0
	add $(key f) 10.99.0.7 192.0.2.7:51820 5
	SPEC
}
step "after the device is up again a replace succeeds" restore

# Steps of a large batch go out in several netlink batches: a failure at
# the very end undoes them all.
bigspec=$(mktemp)
on_exit rm -f "$bigspec"
dpctl spec 200 10.99.1.10 >"$bigspec"
big() {
	cat "$bigspec"
}
snapshot 1 >"$before"
big_fails() {
	fails_with 1 "step 400 of 400" apply wg0 9 --fail-step 400 < <(big) &&
	unchanged 1 "$before"
}
step "200 peers failing at the last step: nothing changed" big_fails
big_applies() {
	big | dp 1 apply wg0 9 &&
	[ "$(ip netns exec "$(netns_name 1)" wg show wg0 peers | wc -l)" = 204 ] &&
	[ "$(ip -n "$(netns_name 1)" route show proto "$RTPROT_ATOM" dev wg0 | wc -l)" = 204 ]
}
step "200 peers apply in one batch" big_applies
snapshot 1 >"$before"
taken_big() {
	ip -n "$(netns_name 1)" route add 10.99.2.110/32 dev lo &&
	fails_with 1 "route addition of 10.99.2.110/32" apply wg0 10 \
		< <(dpctl spec 200 10.99.2.10) &&
	unchanged 1 "$before"
}
step "200 more peers failing by a taken route in the middle: nothing changed" taken_big
remove_all() {
	dp 1 replace wg0 11 </dev/null &&
	[ -z "$(ip netns exec "$(netns_name 1)" wg show wg0 peers)" ] &&
	[ "$(ip -n "$(netns_name 1)" route show proto "$RTPROT_ATOM")" = \
	  "$(ip -n "$(netns_name 1)" route show proto "$RTPROT_ATOM" type unreachable)" ]
}
step "an empty replace removes every peer and route" remove_all
step "no peer left" eval '[ -z "$(ip netns exec "$(netns_name 1)" wg show wg0 peers)" ]'

ktap_finish
