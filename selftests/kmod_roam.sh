#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# An upsert that leaves a peer's endpoint unchanged keeps the endpoint
# WireGuard learned by roaming; a changed endpoint is still set.
#
#   ns1: veth1 192.0.2.1/24, wg0 10.99.0.1 (atom)
#   ns2: veth2 192.0.2.2/24, wg0 10.99.0.2 (wg set), moves to port 51821
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_kmod.sh"

ktap_plan 6

wg_dev 1
wg_dev 2
veth_link 1 2
pub1=$(ip netns exec "$(netns_name 1)" wg show wg0 public-key)
pub2=$(ip netns exec "$(netns_name 2)" wg show wg0 public-key)
nsx 2 wg set wg0 peer "$pub1" endpoint 192.0.2.1:51820 allowed-ips 10.99.0.1/32

step "atom installs ns2 as a peer of ns1" \
	actl 1 apply wg0 1 <<<"add $pub2 10.99.0.2 192.0.2.2:51820 0"
step "ping across the tunnel" nsx 1 ping -c 1 -W 3 10.99.0.2

endpoint_is() {
	local got
	got=$(ip netns exec "$(netns_name 1)" wg show wg0 endpoints |
		awk '{print $2}')
	echo "# endpoint of ns2 seen by ns1: $got"
	[ "$got" = "$1" ]
}
roam() {
	nsx 2 wg set wg0 listen-port 51821 &&
	nsx 2 ping -c 1 -W 3 10.99.0.1 &&
	endpoint_is 192.0.2.2:51821
}
step "ns2 roams to port 51821 and ns1 learns it" roam
step "re-applying the peer unchanged succeeds" \
	actl 1 apply wg0 2 <<<"add $pub2 10.99.0.2 192.0.2.2:51820 0"
step "the roamed endpoint is kept" endpoint_is 192.0.2.2:51821
changed() {
	actl 1 apply wg0 3 <<<"add $pub2 10.99.0.2 192.0.2.2:51822 0" &&
	endpoint_is 192.0.2.2:51822
}
step "a changed endpoint is set" changed
ktap_finish
