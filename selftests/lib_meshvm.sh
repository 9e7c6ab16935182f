#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Agents of a real mesh in the VM: node i in namespace i on a bridge of
# this run (the underlay 192.0.2.0/24, node i at 192.0.2.i), its WireGuard
# device wg0 in the mesh 10.99.0.0/24. Node 1 bootstraps. Everything
# lives under $tmp. Source after lib.sh; MESH_BACKEND picks the backend.

tmp=$(mktemp -d)
on_exit rm -rf "$tmp"
on_exit 'kill $(jobs -p) 2>/dev/null'
backend=${MESH_BACKEND:-kernel}
# Root-side names are per run: a namespace deleted by the previous test
# takes its veth ends away only later (asynchronously).
MVM=$(($$ % 100000))
MVM_BR=mb$MVM
on_exit "ip link del $MVM_BR 2>/dev/null"

bridge_up() {
	ip link add "$MVM_BR" type bridge && ip link set "$MVM_BR" up
}

# on_bridge i: namespace i with veth$i at 192.0.2.i on the bridge
on_bridge() {
	netns_new "$1" &&
	ip link add "veth$1" netns "$(netns_name "$1")" type veth peer name "mv${MVM}x$1" &&
	on_exit "ip link del mv${MVM}x$1 2>/dev/null" &&
	ip link set "mv${MVM}x$1" master "$MVM_BR" up &&
	nsx "$1" ip addr add "192.0.2.$1/24" dev "veth$1" &&
	nsx "$1" ip link set "veth$1" up
}

# mesh_vm_config i via: node i's atom.yaml (joining through node via)
mesh_vm_config() {
	if [ "$1" = 1 ]; then
		printf 'node: {name: n1, bootstrap: true, network_layer: {ip: 10.99.0.0, cidr: 24}}\n'
	else
		printf 'node: {name: n%s, bootstrap: false}\njoin: {endpoint: "192.0.2.%s:7700"}\n' \
			"$1" "$2"
	fi
	cat <<-EOC
	security: {private_key_path: $tmp/n$1.key}
	network: {endpoint: "192.0.2.$1:51820", tcp_join_port: 7700, persistent_keepalive: 5s}
	consensus: {data_dir: $tmp/d$1}
	api: {socket_path: $tmp/n$1.sock}
	dataplane: {backend: $backend, reconcile_interval: ${MESH_RECONCILE:-1s}}
	EOC
}

ma() { local i=$1; shift; atom -s "$tmp/n$i.sock" "$@"; }

listed() { # i n: node i lists n members, itself among them
	local l
	l=$(ma "$1" node list -j 2>/dev/null) &&
		[ "$(jq length <<<"$l")" = "$2" ] && jq -e 'any(.[]; .self)' <<<"$l" >/dev/null
}

# mesh_vm_start i [token [via]]: run node i's agent in its namespace
mesh_vm_start() {
	mesh_vm_config "$1" "${3:-1}" >"$tmp/n$1.yaml"
	if [ -n "${2:-}" ]; then
		ip netns exec "$(netns_name "$1")" atom daemon -c "$tmp/n$1.yaml" \
			--join-token "$2" 2>>"$tmp/n$1.log" &
	else
		ip netns exec "$(netns_name "$1")" atom daemon -c "$tmp/n$1.yaml" \
			2>>"$tmp/n$1.log" &
	fi
	eval "pid$1=$!"
}

mesh_vm_diag() {
	local i
	for i in "$@"; do
		echo "# n$i:"
		sed 's/^/#   /' "$tmp/n$i.log" 2>/dev/null
		ip netns exec "$(netns_name "$i")" sh -c \
			'wg show; ip -4 addr; ip route show table all | grep -v local' 2>&1 |
			sed 's/^/#   /'
	done
}
