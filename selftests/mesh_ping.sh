#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The real mesh: three agents, each in its own namespace on a bridge (the
# underlay 192.0.2.0/24), with atom.ko driving their WireGuard devices.
# The first founds the mesh 10.99.0.0/24; the others join with tokens, the
# third through the second. Every pair pings over mesh addresses, every
# node lists the same three with recent handshakes; a removed node loses
# its device and every member its peer and route; an agent restarted under
# ping loses no packet and keeps its sessions; a rebooted node (device
# deleted) whose join node is gone for good gets its peers back from its
# own state; drift made with wg, ip route del and a link bounce is
# repaired and logged; a spoofed mesh source from the underlay is never
# served (the listeners are bound to wg0); daemon stop keeps the device,
# stop --down removes it.
#
#   ns1 veth1 192.0.2.1 --+                 wg0 10.99.0.1
#   ns2 veth2 192.0.2.2 --+-- br0 (root)    wg0 10.99.0.2
#   ns3 veth3 192.0.2.3 --+                 wg0 10.99.0.3
set -u
. "$(dirname "$0")/lib.sh"

ktap_plan 11
# routes and links are reconciled on their events, a peer removed with wg
# by the periodic pass
MESH_RECONCILE=${MESH_RECONCILE:-3s}
. "$(dirname "$0")/lib_meshvm.sh"

underlay() {
	local i
	bridge_up || return 1
	for i in 1 2 3; do
		on_bridge "$i" || return 1
	done
}
step "three namespaces on a bridge" underlay

start() { mesh_vm_start "$@"; }

mesh() {
	local t
	start 1 && wait_for 20 listed 1 1 || return 1
	t=$(ma 1 token create) && start 2 "$t" && wait_for 30 listed 2 2 || return 1
	t=$(ma 2 token create) && start 3 "$t" 2 && wait_for 30 listed 3 3 &&
		wait_for 10 listed 1 3 && wait_for 10 listed 2 3
}
step "a bootstrapper and two joins (the second through a follower)" mesh
[ "$KTAP_FAIL" = 0 ] || mesh_vm_diag 1 2 3

pings() {
	local i j
	for i in 1 2 3; do
		for j in 1 2 3; do
			[ "$i" = "$j" ] && continue
			nsx "$i" ping -c 1 -W 5 "10.99.0.$j" >/dev/null || { echo "# $i -> $j"; return 1; }
		done
	done
}
step "every pair pings over the mesh" pings

shows() {
	ma 1 status -j | jq -e ".backend == \"$backend\"" >/dev/null &&
	{ [ "$backend" != netlink ] || ! lsmod | grep -q '^atom '; } &&
	ma 1 node list -j | jq -e 'all(.[]; .online and (.self or .last_handshake != null))' >/dev/null &&
	nsx 2 ip route show proto 247 | grep -q '10.99.0.3' &&
	nsx 2 ip route show table all type unreachable | grep -q '10.99.0.0/24'
}
step "node list shows handshakes; /32 routes and the unreachable CIDR" shows

spoof() {
	# ns4 on the underlay claims n2's mesh address and calls n1's Raft
	# and mesh RPC ports: the sockets are bound to wg0, so n1 answers
	# with a reset and never holds such a connection
	on_bridge 4 && nsx 4 ip addr add 10.99.0.2/32 dev veth4 &&
	nsx 4 ip route add 10.99.0.1/32 via 192.0.2.1 src 10.99.0.2 || return 1
	local port
	for port in 7000 7001; do
		if nsx 4 timeout 5 bash -c "exec 3<>/dev/tcp/10.99.0.1/$port" 2>/dev/null; then
			echo "# a spoofed connection to port $port was accepted"
			return 1
		fi
	done
	# the listeners are bound to the device (ss shows ADDR%wg0)
	modprobe tcp_diag	# ss reads bound devices through sock_diag
	for port in 7000 7001; do
		nsx 1 ss -Htln | grep -q "10.99.0.1%wg0:$port " ||
			{ echo "# port $port is not bound to wg0"; return 1; }
	done
	if [ -n "$(nsx 1 ss -Htn state syn-recv | grep -E ':700[01] ')" ]; then
		echo "# a spoofed connection is half open"
		return 1
	fi
	nsx 1 ping -c 1 -W 5 10.99.0.2 >/dev/null
}
step "a spoofed mesh source from the underlay never reaches Raft or the mesh RPC" spoof

drift() {
	local k2
	k2=$(ma 2 status -j | jq -r .public_key)
	nsx 1 wg set wg0 peer "$k2" remove &&
		nsx 3 ip route del 10.99.0.2 dev wg0 proto 247 &&
		nsx 2 ip link set wg0 down && nsx 2 ip link set wg0 up || return 1
	wait_for 10 nsx 1 ping -c 1 -W 1 10.99.0.2 &&
		wait_for 10 nsx 3 ping -c 1 -W 1 10.99.0.2 &&
		wait_for 10 nsx 2 ping -c 1 -W 1 10.99.0.1 &&
		grep -q "drift repaired: peer 10.99.0.2 .* was missing" "$tmp/n1.log" &&
		grep -q "drift repaired: route to 10.99.0.2 was missing" "$tmp/n3.log" &&
		grep -q "drift repaired: route to 10.99.0.1 was missing" "$tmp/n2.log" &&
		grep -q "reconcile: a routing or link event on wg0" "$tmp/n3.log" &&
		grep -q "reconcile: a routing or link event on wg0" "$tmp/n2.log"
}
step "drift by wg, ip route del and a link bounce is repaired and logged" drift

endpoint_on() { # i key: the endpoint node i's device has for that peer
	nsx "$1" wg show wg0 endpoints | awk -v k="$2" '$1 == k {print $2}'
}
roamed_there() { [ "$(endpoint_on 1 "$1")" = 192.0.2.12:51820 ]; }

roaming() {
	local k2
	k2=$(ma 2 status -j | jq -r .public_key)
	# n2 moves to another underlay address; WireGuard on n1 follows it
	nsx 2 sh -c 'echo 1 >/proc/sys/net/ipv4/conf/veth2/promote_secondaries' &&
		nsx 2 ip addr add 192.0.2.12/24 dev veth2 &&
		nsx 2 ip addr del 192.0.2.2/24 dev veth2 || return 1
	nsx 2 ping -c 2 -W 3 10.99.0.1 >/dev/null
	wait_for 10 roamed_there "$k2" || { echo "# n1 has $(endpoint_on 1 "$k2")"; return 1; }
	# n2 falls silent (agent stopped, no keepalive), so nothing re-roams
	# n1's endpoint; then an event makes n1 reconcile: it must keep .12
	local k1 ep
	k1=$(ma 1 status -j | jq -r .public_key)
	kill -STOP "$pid2"
	nsx 2 wg set wg0 peer "$k1" persistent-keepalive 0
	sleep 1
	nsx 1 ip route del 10.99.0.3 dev wg0 proto 247
	sleep 1.5
	ep=$(endpoint_on 1 "$k2")
	kill -CONT "$pid2"
	echo "# n1's endpoint for n2 after a reconcile: $ep"
	[ "$ep" = 192.0.2.12:51820 ] && grep -q "route to 10.99.0.3 was missing" "$tmp/n1.log" &&
		nsx 1 ping -c 1 -W 5 10.99.0.2 >/dev/null &&
		[ "$(ma 1 node list -j | jq -r '.[] | select(.name=="n2") | .endpoint')" = 192.0.2.2:51820 ]
}
step "a roamed endpoint is left alone by reconcile" roaming

removed() {
	ma 1 node remove n3 && wait "$pid3" || return 1
	! nsx 3 ip link show wg0 2>/dev/null || return 1
	wait_for 10 listed 1 2 && wait_for 10 listed 2 2 || return 1
	for i in 1 2; do
		nsx "$i" wg show wg0 peers | grep -q "$(cat "$tmp/n3.pub")" && return 1
		nsx "$i" ip route show proto 247 | grep -q '10.99.0.3' && return 1
	done
	nsx 1 ping -c 1 -W 5 10.99.0.2 >/dev/null
}
ma 3 status -j | jq -r .public_key >"$tmp/n3.pub"
step "remove: the node's device is gone, its peer and route on every member" removed

peer_hs() { # i key: latest handshake and rx bytes of that peer
	nsx "$1" wg show wg0 dump | awk -v k="$2" '$1 == k {print $5, $6}'
}

hitless() {
	local k1 before after lost
	k1=$(ma 1 status -j | jq -r .public_key)
	before=$(peer_hs 2 "$k1")
	nsx 1 ping -i 0.1 -c 60 -W 1 10.99.0.2 >"$tmp/ping" 2>&1 &
	local p=$!
	sleep 1
	ma 2 daemon stop && wait "$pid2" || return 1
	nsx 2 ip link show wg0 >/dev/null || return 1
	start 2 && wait_for 20 listed 2 2 || return 1
	wait "$p"
	lost=$(sed -n 's/.* \([0-9]*\)% packet loss.*/\1/p' "$tmp/ping")
	after=$(peer_hs 2 "$k1")
	echo "# loss ${lost}%; n1 on n2: handshake,rx $before -> $after"
	[ "$lost" = 0 ] && [ "${before% *}" = "${after% *}" ] &&
		[ "${after#* }" -ge "${before#* }" ]
}
step "hitless restart: stop and start n2, no ping lost, sessions kept" hitless

reboot() {
	# n2's host reboots (device gone) while n1, the node it joined
	# through, is gone for good; n2 must come back from its own state
	ma 2 daemon stop && wait "$pid2" || return 1
	nsx 2 ip link del wg0 || return 1
	ma 1 daemon stop && wait "$pid1" || return 1
	nsx 1 ip link del wg0 || return 1
	start 2 && wait_for 20 listed 2 2 || return 1
	local n1key
	n1key=$(jq -r 'map(select(.name=="n1"))[0].public_key' "$tmp/list1")
	nsx 2 wg show wg0 peers | grep -q "$n1key" &&
		nsx 2 ip route show proto 247 | grep -q '10.99.0.1'
}
ma 1 node list -j >"$tmp/list1"
step "reboot: device deleted, agent restarted with its join node gone: peers back" reboot

stop_keeps() {
	ma 2 daemon stop && wait "$pid2" && nsx 2 ip link show wg0 >/dev/null &&
		nsx 2 wg show wg0 peers | grep -q . &&
		start 2 && wait_for 20 listed 2 2 && ma 2 daemon stop --down && wait "$pid2" &&
		! nsx 2 ip link show wg0 2>/dev/null
}
step "daemon stop keeps the device and its peers; stop --down removes it" stop_keeps

ktap_finish
