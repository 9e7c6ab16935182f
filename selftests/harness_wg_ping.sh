#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The VM's kernel, WireGuard and tools work end to end: two namespaces
# joined by veth, a WireGuard device in each configured with wg(8), and a
# ping across the tunnel.
#
#   ns1: veth1 192.0.2.1/24  <--veth-->  ns2: veth2 192.0.2.2/24
#        wg0   10.99.0.1/32                   wg0   10.99.0.2/32
set -u
. "$(dirname "$0")/lib.sh"

ktap_plan 6

netns_new 1
netns_new 2
veth_link 1 2

keys=$(mktemp -d)
on_exit rm -rf "$keys"
(umask 077; wg genkey >"$keys/1"; wg genkey >"$keys/2")
pub1=$(wg pubkey <"$keys/1")
pub2=$(wg pubkey <"$keys/2")

setup_wg() { # n addr keyfile peer-pub peer-endpoint peer-addr
	nsx "$1" ip link add wg0 type wireguard &&
	nsx "$1" wg set wg0 private-key "$3" listen-port 51820 \
		peer "$4" endpoint "$5:51820" allowed-ips "$6/32" &&
	nsx "$1" ip addr add "$2/32" dev wg0 &&
	nsx "$1" ip link set wg0 up &&
	nsx "$1" ip route add "$6/32" dev wg0
}

step "wireguard device configured in ns1" \
	setup_wg 1 10.99.0.1 "$keys/1" "$pub2" 192.0.2.2 10.99.0.2
step "wireguard device configured in ns2" \
	setup_wg 2 10.99.0.2 "$keys/2" "$pub1" 192.0.2.1 10.99.0.1
step "underlay ping across veth" nsx 1 ping -c 1 -W 2 192.0.2.2
step "ping across the WireGuard tunnel" nsx 1 ping -c 2 -W 3 10.99.0.2

has_handshake() {
	local t
	t=$(ip netns exec "$(netns_name 1)" wg show wg0 latest-handshakes |
		awk '{print $2}')
	[ -n "$t" ] && [ "$t" != 0 ]
}
step "handshake recorded by wg show" has_handshake

unreachable_without_peer() {
	nsx 2 wg set wg0 peer "$pub1" remove &&
	! nsx 1 ping -c 1 -W 1 10.99.0.2
}
step "no ping once the peer is removed" unreachable_without_peer

ktap_finish
