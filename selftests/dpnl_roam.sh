#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A peer that roamed (its traffic now comes from another address) keeps
# the endpoint WireGuard learned when the agent re-applies it unchanged;
# a changed endpoint in a batch still goes in. One dpctl process serves
# every batch, as the agent would: its record, not a dump, says what the
# last apply set.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_dpnl.sh"

ktap_plan 6

netns_new 1
netns_new 2
veth_link 1 2
dp_setup 1 n1 10.99.0.1
dp_setup 2 n2 10.99.0.2
dp 2 apply wg0 1 <<SPEC
add $(key n1) 10.99.0.1 192.0.2.1:51820 0
SPEC

coproc DPS { ip netns exec "$(netns_name 1)" dpctl serve wg0 2>&1; }
on_exit "kill $DPS_PID"

# serve CMD < spec: one batch through the serving dpctl.
serve() {
	local reply
	{ echo "$1"; cat; echo end; } >&"${DPS[1]}"
	read -r -t 30 reply <&"${DPS[0]}" || reply="(no answer)"
	echo "serve: $reply"
	[ "$reply" = ok ]
}

spec() { # endpoint of n2
	echo "add $(key n2) 10.99.0.2 $1 0"
}
step "apply through dpctl serve" serve "apply 1" < <(spec 192.0.2.2:51820)
step "ping across the tunnel" nsx 1 ping -c 1 -W 3 10.99.0.2

roam() {
	# Keep the new address when the old (primary) one goes.
	nsx 2 sh -c 'echo 1 >/proc/sys/net/ipv4/conf/veth2/promote_secondaries' &&
	nsx 2 ip addr add 192.0.2.3/24 dev veth2 &&
	nsx 2 ip addr del 192.0.2.2/24 dev veth2 &&
	nsx 2 ping -c 1 -W 3 10.99.0.1 &&
	wait_for 10 eval '[ "$(peer_field 1 "$(key n2)" 3)" = 192.0.2.3:51820 ]'
}
step "the peer roamed: ns1 sees it at 192.0.2.3" roam

reapply() {
	serve "apply 2" < <(spec 192.0.2.2:51820; echo "add $(key x) 10.99.0.7 - 0") &&
	[ "$(peer_field 1 "$(key n2)" 3)" = 192.0.2.3:51820 ]
}
step "an unchanged re-apply keeps the roamed endpoint" reapply
step "ping still works after the re-apply" nsx 1 ping -c 1 -W 3 10.99.0.2

changed() {
	serve "apply 3" < <(spec 192.0.2.4:51820) &&
	[ "$(peer_field 1 "$(key n2)" 3)" = 192.0.2.4:51820 ]
}
step "a changed endpoint is set" changed

exec {DPS[1]}>&-
ktap_finish
