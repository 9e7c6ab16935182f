#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The atom binary runs in the VM as it will on a server: its libraries
# are there, confgen output is accepted by the daemon (with the none
# dataplane its mesh network must be local: loopback), the bootstrapper
# founds a cluster of one and leads it, and the agent stops cleanly.
set -u
. "$(dirname "$0")/lib.sh"

ktap_plan 4

tmp=$(mktemp -d)
on_exit rm -rf "$tmp"
on_exit 'kill $(jobs -p) 2>/dev/null'

make_config() {
	atom confgen --output "$tmp/atom.yaml" &&
	sed -i -e "s|/var/lib/atom/data|$tmp/data|" \
	       -e "s|/run/atom/atom.sock|$tmp/run/atom.sock|" \
	       -e "s|/etc/atom/private.key|$tmp/private.key|" \
	       -e "s|backend: auto|backend: none|" \
	       -e "s|10.7.0.0|127.77.0.0|" "$tmp/atom.yaml"
}
step "confgen writes a config" make_config

atom daemon -c "$tmp/atom.yaml" 2>"$tmp/agent.log" &
pid=$!
step "the agent answers status" wait_for 20 atom status -c "$tmp/atom.yaml"
leads() {
	local s
	s=$(atom status -j -c "$tmp/atom.yaml") &&
	grep -q '"name":"node-1"' <<<"$s" &&
	grep -q '"mesh_ip":"127.77.0.1"' <<<"$s" &&
	grep -q '"raft_role":"leader"' <<<"$s"
}
step "the bootstrapper leads a cluster of one" wait_for 10 leads
stop() {
	atom daemon stop -c "$tmp/atom.yaml" && wait "$pid"
}
step "daemon stop ends the agent with exit 0" stop
cat "$tmp/agent.log"

ktap_finish
