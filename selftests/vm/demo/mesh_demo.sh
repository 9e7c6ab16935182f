#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make demo: a three-node atom mesh in the VM, as an operator builds one.
# Three "machines" (network namespaces on a bridge, 192.0.2.1-3); each
# runs the atom agent on Debian's kernel with atom.ko and WireGuard. The
# commands an operator types are shown with their output.
set -u
cd "$(dirname "$0")/.." || exit 1
. ./lib.sh
. ./lib_meshvm.sh

ktap_plan 4

machines() {
	bridge_up && on_bridge 1 && on_bridge 2 && on_bridge 3
}
step "three machines on one LAN (192.0.2.1, .2, .3)" machines

found() {
	local t1 t2
	echo "--- node1 founds the mesh 10.99.0.0/24 -----------------------------"
	mesh_vm_config 1 >"$tmp/n1.yaml"
	echo "node1\$ cat atom.yaml"
	sed 's/^/    /' "$tmp/n1.yaml"
	echo "node1\$ atom daemon -c atom.yaml &"
	mesh_vm_start 1
	wait_for 20 listed 1 1 || return 1
	echo "node1\$ atom token create --uses 1 --ttl 1h"
	t1=$(ma 1 token create --uses 1 --ttl 1h) || return 1
	echo "$t1"
	echo "--- node2 joins with that token --------------------------------------"
	echo "node2\$ atom daemon -c atom.yaml --join-token $t1 &"
	mesh_vm_start 2 "$t1"
	wait_for 30 listed 2 2 || return 1
	echo "--- node3 joins through node2 (any member takes joins) ---------------"
	echo "node2\$ atom token create"
	t2=$(ma 2 token create) || return 1
	echo "$t2"
	echo "node3\$ atom daemon -c atom.yaml --join-token $t2 &"
	mesh_vm_start 3 "$t2" 2
	wait_for 30 listed 3 3 && wait_for 10 listed 1 3 && wait_for 10 listed 2 3
}
step "node1 founds the mesh, node2 and node3 join with tokens" found

lists() {
	local i
	sleep 6		# a keepalive round, so handshakes show
	for i in 1 2 3; do
		echo "node$i\$ atom node list"
		ma "$i" node list | sed 's/^/    /' || return 1
	done
	echo "node2\$ atom status"
	ma 2 status | sed 's/^/    /'
}
step "atom node list on every node" lists

pings() {
	local i j
	for i in 1 2 3; do
		for j in 1 2 3; do
			[ "$i" = "$j" ] && continue
			echo "node$i\$ ping -c 1 10.99.0.$j"
			ip netns exec "$(netns_name "$i")" ping -c 1 -W 5 "10.99.0.$j" |
				sed -n 's/^/    /;2p'
			[ "${PIPESTATUS[0]}" = 0 ] || return 1
		done
	done
	echo "node1\$ wg show wg0"
	ip netns exec "$(netns_name 1)" wg show wg0 | sed 's/^/    /'
}
step "pings across the mesh (WireGuard, peers installed by atom.ko)" pings

ktap_finish
