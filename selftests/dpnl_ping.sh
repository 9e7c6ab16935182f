#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Two namespaces whose WireGuard devices dpctl set up and filled ping each
# other through the tunnel; a replace that adds and removes other peers
# keeps the session of a peer it leaves unchanged (same handshake, counters
# not reset), where WireGuard's own replace-all would drop it.
#
#   ns1: veth1 192.0.2.1/24  <--veth-->  ns2: veth2 192.0.2.2/24
#        wg0   10.99.0.1                      wg0   10.99.0.2
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_dpnl.sh"

ktap_plan 8

netns_new 1
netns_new 2
veth_link 1 2

configure() {
	dp_setup 1 n1 10.99.0.1 &&
	dp_setup 2 n2 10.99.0.2 &&
	dp 1 apply wg0 1 <<-SPEC &&
	add $(key n2) 10.99.0.2 192.0.2.2:51820 0
	add $(key x) 10.99.0.7 - 0
	SPEC
	dp 2 apply wg0 1 <<-SPEC
	add $(key n1) 10.99.0.1 192.0.2.1:51820 0
	SPEC
}
step "both devices set up and filled by dpctl" configure
step "ping across the tunnel" nsx 1 ping -c 2 -W 3 10.99.0.2

hs=$(peer_field 1 "$(key n2)" 5)
rx=$(peer_field 1 "$(key n2)" 6)
echo "# handshake $hs, rx $rx"
step "a handshake happened" [ "${hs:-0}" != 0 ]

replace() {
	dp 1 replace wg0 2 <<-SPEC
	add $(key n2) 10.99.0.2 192.0.2.2:51820 0
	add $(key y) 10.99.0.8 - 0
	add $(key z) 10.99.0.9 192.0.2.9:51820 0
	SPEC
}
step "replace removes one peer and adds two" replace
peers_now() {
	[ "$(ip netns exec "$(netns_name 1)" wg show wg0 peers | sort)" = \
	  "$(printf '%s\n' "$(key n2)" "$(key y)" "$(key z)" | sort)" ]
}
step "the device holds exactly the replaced set" peers_now
session_kept() {
	local hs2 rx2
	hs2=$(peer_field 1 "$(key n2)" 5)
	rx2=$(peer_field 1 "$(key n2)" 6)
	echo "handshake $hs -> $hs2, rx $rx -> $rx2"
	[ "$hs2" = "$hs" ] && [ "$rx2" -ge "$rx" ]
}
step "the unchanged peer kept its session (handshake, counters)" session_kept
ping_again() {
	nsx 1 ping -c 1 -W 3 10.99.0.2 && [ "$(peer_field 1 "$(key n2)" 5)" = "$hs" ]
}
step "ping works on the same session" ping_again

removed() {
	dp 1 apply wg0 3 <<-SPEC &&
	del $(key n2)
	SPEC
	! nsx 1 ping -c 1 -W 1 10.99.0.2
}
step "no ping once dpctl removed the peer" removed

ktap_finish
