#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A full batch of ATOM_MAX_BATCH (4096) peers is one message and one job;
# a fault at its last item undoes all of it; replace removes what is not
# in the new set.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_kmod.sh"

ktap_plan 5

wg_dev 1
spec=$(mktemp)
before=$(mktemp)
on_exit rm -f "$spec" "$before"
atomctl genspec 4096 10.100.0.1 192.0.2.9:51820 0 >"$spec"
actl 1 bind wg0 >/dev/null
state 1 >"$before"

undone() {
	kmod_param test_fail_item 4095
	kmod_param test_fail_phase "$PH_PEER_SET"
	actl 1 apply wg0 1 <"$spec"
	local rc=$?
	kmod_param test_fail_phase 0
	[ $rc = 1 ] && same_state 1 "$before"
}
step "a fault at item 4095 of 4096 undoes the whole batch" undone
step "4096 peers apply in one message" actl 1 apply wg0 1 <"$spec"
all_in() {
	[ "$(peer_count 1)" = 4096 ] && [ "$(route_count 1)" = 4096 ]
}
step "wg show and ip route show all 4096" all_in
step "replace with one of them removes the other 4095" \
	actl 1 replace wg0 2 < <(head -1 "$spec")
one_left() {
	[ "$(peer_count 1)" = 1 ] && [ "$(route_count 1)" = 1 ]
}
step "one peer and one route are left" one_left
ktap_finish
