#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Each namespace has its own atom device, record and index. Only a caller
# with CAP_NET_ADMIN in the initial user namespace may use the family, GET
# included, and a user namespace of one's own does not help.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_kmod.sh"

ktap_plan 9

wg_dev 1
wg_dev 2
spec=$(mktemp)
s2=$(mktemp)
on_exit rm -f "$spec" "$s2"
atomctl genspec 2 10.100.0.1 192.0.2.9:51820 25 >"$spec"
state 2 >"$s2"

step "apply in namespace 1" actl 1 apply wg0 7 <"$spec"
step "namespace 2 is untouched" same_state 2 "$s2"
step "the same peers apply in namespace 2 independently" \
	actl 2 apply wg0 3 <"$spec"
indexes() {
	actl 1 get | grep -q "index=7 pending=0 peers=2" &&
	actl 2 get | grep -q "index=3 pending=0 peers=2"
}
step "each namespace keeps its own index and record" indexes
ns2_del() {
	local k
	k=$(awk 'NR == 1 {print $2}' "$spec")
	actl 2 apply wg0 4 <<<"del $k" &&
	[ "$(peer_count 1)" = 2 ] && [ "$(peer_count 2)" = 1 ]
}
step "a removal in namespace 2 leaves namespace 1 alone" ns2_del

eperm() { # command...: fails with EPERM
	local out
	out=$("$@" 2>&1)
	echo "$out"
	grep -Eq "Operation not permitted|errno=-1 " <<<"$out"
}
as_nobody() { # netns command: run as uid nobody, without capabilities
	ip netns exec "$(netns_name "$1")" su -s /bin/sh nobody -c "$2"
}
step "get without CAP_NET_ADMIN: EPERM" \
	eperm as_nobody 1 "atomctl get"
# malform sends an APPLY as is: the permission check comes first.
step "an APPLY request without CAP_NET_ADMIN: EPERM" \
	eperm as_nobody 1 "atomctl malform index-zero"
step "joining the events group without CAP_NET_ADMIN: EPERM" \
	eperm as_nobody 1 "atomctl apply wg0 9 </dev/null"
step "get from an own user and network namespace: EPERM" \
	eperm as_nobody 1 "unshare -r -n atomctl get"
ktap_finish
