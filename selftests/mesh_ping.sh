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
# own state; daemon stop keeps the device, stop --down removes it.
#
#   ns1 veth1 192.0.2.1 --+                 wg0 10.99.0.1
#   ns2 veth2 192.0.2.2 --+-- br0 (root)    wg0 10.99.0.2
#   ns3 veth3 192.0.2.3 --+                 wg0 10.99.0.3
set -u
. "$(dirname "$0")/lib.sh"

ktap_plan 8
tmp=$(mktemp -d)
on_exit rm -rf "$tmp"
on_exit 'kill $(jobs -p) 2>/dev/null'
on_exit 'ip link del atombr0 2>/dev/null'
backend=${MESH_BACKEND:-kernel}

underlay() {
	local i
	ip link add atombr0 type bridge && ip link set atombr0 up || return 1
	for i in 1 2 3; do
		netns_new "$i" &&
		ip link add "veth$i" netns "$(netns_name "$i")" type veth peer name "atbr$i" &&
		ip link set "atbr$i" master atombr0 up &&
		nsx "$i" ip addr add "192.0.2.$i/24" dev "veth$i" &&
		nsx "$i" ip link set "veth$i" up || return 1
	done
}
step "three namespaces on a bridge" underlay

config() { # i via
	if [ "$1" = 1 ]; then
		printf 'node: {name: n1, bootstrap: true, network_layer: {ip: 10.99.0.0, cidr: 24}}\n'
	else
		printf 'node: {name: n%s, bootstrap: false}\njoin: {endpoint: "192.0.2.%s:7700"}\n' "$1" "$2"
	fi
	cat <<-EOC
	security: {private_key_path: $tmp/n$1.key}
	network: {endpoint: "192.0.2.$1:51820", tcp_join_port: 7700, persistent_keepalive: 5s}
	consensus: {data_dir: $tmp/d$1}
	api: {socket_path: $tmp/n$1.sock}
	dataplane: {backend: $backend}
	EOC
}

ma() { local i=$1; shift; atom -s "$tmp/n$i.sock" "$@"; }
listed() { # i n: node i lists n members, itself among them
	local l
	l=$(ma "$1" node list -j 2>/dev/null) &&
		[ "$(jq length <<<"$l")" = "$2" ] && jq -e 'any(.[]; .self)' <<<"$l" >/dev/null
}

start() { # i [token]
	config "$1" "${3:-1}" >"$tmp/n$1.yaml"
	if [ -n "${2:-}" ]; then
		ip netns exec "$(netns_name "$1")" atom daemon -c "$tmp/n$1.yaml" \
			--join-token "$2" 2>>"$tmp/n$1.log" &
	else
		ip netns exec "$(netns_name "$1")" atom daemon -c "$tmp/n$1.yaml" \
			2>>"$tmp/n$1.log" &
	fi
	eval "pid$1=$!"
}

mesh() {
	local t
	start 1 && wait_for 20 listed 1 1 || return 1
	t=$(ma 1 token create) && start 2 "$t" && wait_for 30 listed 2 2 || return 1
	t=$(ma 2 token create) && start 3 "$t" 2 && wait_for 30 listed 3 3 &&
		wait_for 10 listed 1 3 && wait_for 10 listed 2 3
}
step "a bootstrapper and two joins (the second through a follower)" mesh
diag() {
	local i
	for i in 1 2 3; do
		echo "# n$i:"
		sed 's/^/#   /' "$tmp/n$i.log" 2>/dev/null
		ip netns exec "$(netns_name "$i")" sh -c 'wg show; ip -4 addr; ip route show table all | grep -v local' 2>&1 | sed 's/^/#   /'
	done
}
[ "$KTAP_FAIL" = 0 ] || diag

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
