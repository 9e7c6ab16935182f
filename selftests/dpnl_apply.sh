#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The netlink dataplane installs, updates and removes peers with their /32
# routes (atom's protocol), and refuses, changing nothing, what WireGuard
# would silently accept: a peer with the device's own key, an address
# taken by another peer, the removal of an unknown key.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_dpnl.sh"

ktap_plan 16

netns_new 1
step "dpctl creates wg0 with key, port, address, MTU, up" dp_setup 1 self 10.99.0.1

dev_ready() {
	local ns
	ns=$(netns_name 1)
	ip -n "$ns" link show wg0
	ip -n "$ns" addr show dev wg0
	ip -n "$ns" route show proto "$RTPROT_ATOM"
	ip netns exec "$ns" wg show wg0 public-key | grep -qx "$(key self)" &&
	ip netns exec "$ns" wg show wg0 listen-port | grep -qx 51820 &&
	ip -n "$ns" -o addr show dev wg0 | grep -q "inet 10.99.0.1/32" &&
	ip -n "$ns" link show wg0 | grep -q "<POINTOPOINT,NOARP,UP,LOWER_UP> mtu 1420" &&
	ip -n "$ns" route show proto "$RTPROT_ATOM" | grep -q "^unreachable 10.99.0.0/16 *$"
}
step "wg show and ip show the device as set up" dev_ready

apply3() {
	dp 1 apply wg0 1 <<-SPEC
	add $(key a) 10.99.0.2 192.0.2.2:51820 25
	add $(key b) 10.99.0.3 - 0
	add $(key c) 10.99.0.4 [2001:db8::4]:51821 0
	SPEC
}
step "apply of three peers succeeds" apply3

three_installed() {
	local ns d
	ns=$(netns_name 1)
	d=$(ip netns exec "$ns" wg show wg0 dump)
	echo "$d"
	echo "$d" | has_line "$(tabs "$(key a)" "(none)" 192.0.2.2:51820 10.99.0.2/32 0 0 0 25)" &&
	echo "$d" | has_line "$(tabs "$(key b)" "(none)" "(none)" 10.99.0.3/32 0 0 0 off)" &&
	echo "$d" | has_line "$(tabs "$(key c)" "(none)" "[2001:db8::4]:51821" 10.99.0.4/32 0 0 0 off)" &&
	[ "$(ip -n "$ns" route show proto "$RTPROT_ATOM" dev wg0 | sort | tr -s ' ' | sed 's/ $//')" = \
	  "$(printf '10.99.0.2 scope link\n10.99.0.3 scope link\n10.99.0.4 scope link')" ]
}
step "wg show has the three peers, ip route their /32s" three_installed

update_b() {
	dp 1 apply wg0 2 <<-SPEC
	add $(key b) 10.99.0.13 192.0.2.3:51820 10
	SPEC
}
b_moved() {
	local ns
	ns=$(netns_name 1)
	ip netns exec "$ns" wg show wg0 dump |
		has_line "$(tabs "$(key b)" "(none)" 192.0.2.3:51820 10.99.0.13/32 0 0 0 10)" &&
	ip -n "$ns" route show proto "$RTPROT_ATOM" | grep -q "^10.99.0.13 dev wg0" &&
	! ip -n "$ns" route show proto "$RTPROT_ATOM" | grep -q "^10.99.0.3 "
}
step "an update moves a peer's address, endpoint, keepalive and route" \
	eval 'update_b && b_moved'

del_a() {
	dp 1 apply wg0 3 <<-SPEC
	del $(key a)
	SPEC
}
a_gone() {
	local ns
	ns=$(netns_name 1)
	! ip netns exec "$ns" wg show wg0 peers | grep -qx "$(key a)" &&
	! ip -n "$ns" route show proto "$RTPROT_ATOM" | grep -q "^10.99.0.2 " &&
	[ "$(ip netns exec "$ns" wg show wg0 peers | wc -l)" = 2 ]
}
step "a removal takes the peer and its route away" eval 'del_a && a_gone'

before=$(mktemp)
on_exit rm -f "$before"
snapshot 1 >"$before"

step "own key refused" fails_with 1 "own key" apply wg0 4 <<-SPEC
add $(key d) 10.99.0.5 - 0
add $(key self) 10.99.0.6 - 0
SPEC
step "address of another peer refused" fails_with 1 "belongs to peer $(key c)" apply wg0 4 <<-SPEC
add $(key d) 10.99.0.5 - 0
add $(key e) 10.99.0.4 - 0
SPEC
step "removal of an unknown key refused" fails_with 1 "unknown peer $(key a)" apply wg0 4 <<-SPEC
add $(key d) 10.99.0.5 - 0
del $(key a)
SPEC
step "the refusals changed nothing" unchanged 1 "$before"

reuse() {
	dp 1 apply wg0 5 <<-SPEC
	del $(key c)
	add $(key d) 10.99.0.4 - 0
	SPEC
}
reused() {
	local ns
	ns=$(netns_name 1)
	ip netns exec "$ns" wg show wg0 allowed-ips | has_line "$(tabs "$(key d)" 10.99.0.4/32)" &&
	! ip netns exec "$ns" wg show wg0 peers | grep -qx "$(key c)" &&
	ip -n "$ns" route show proto "$RTPROT_ATOM" | grep -q "^10.99.0.4 dev wg0"
}
step "an address freed in a batch is reused in the same batch" \
	eval 'reuse && reused'

listed() {
	local out
	out=$(ip netns exec "$(netns_name 1)" dpctl list wg0)
	echo "$out"
	echo "$out" | has_line "$(tabs "$(key b)" 10.99.0.13 192.0.2.3:51820 10 0 0 0)" &&
	[ "$(echo "$out" | wc -l)" = 2 ]
}
step "dpctl list shows the device's peers" listed

# 2000 allowed IPs (56 KiB) do not fit one dump message (32 KiB at most):
# the peer continues in the next one, and must come back as one peer.
split_peer() {
	local i ips=
	for i in $(seq 0 1999); do
		ips=$ips${ips:+,}10.98.$((i / 250)).$((i % 250))/32
	done
	nsx 1 wg set wg0 peer "$(key big)" allowed-ips "$ips" &&
	[ "$(ip netns exec "$(netns_name 1)" dpctl list wg0 | grep -c "$(key big)")" = 1 ] &&
	[ "$(ip netns exec "$(netns_name 1)" dpctl list wg0 | wc -l)" = 3 ] &&
	nsx 1 wg set wg0 peer "$(key big)" remove
}
step "a peer split across dump messages is listed once" split_peer

adopted() {
	local before_peers
	before_peers=$(ip netns exec "$(netns_name 1)" wg show wg0 dump | tail -n +2)
	dp_setup 1 self 10.99.0.1 &&
	[ "$(ip netns exec "$(netns_name 1)" wg show wg0 dump | tail -n +2)" = "$before_peers" ]
}
step "setup again adopts the device and keeps its peers" adopted

not_wireguard() {
	nsx 1 ip link add dummy0 type veth peer name dummy1 &&
	fails_with 1 "dummy0 exists and is not a WireGuard device" \
		setup dummy0 "$(keyfile self)" 51820 10.99.0.1 10.99.0.0/16
}
step "setup refuses a link of that name that is not WireGuard" not_wireguard

down() {
	dp 1 down wg0 && ! ip -n "$(netns_name 1)" link show wg0 2>/dev/null
}
step "dpctl down removes the device" down

ktap_finish
