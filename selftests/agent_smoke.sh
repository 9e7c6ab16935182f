#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The atom binary runs in the VM as it will on a server: its libraries
# are there, confgen output is accepted by the daemon, the agent answers
# status and stops cleanly.
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
	       -e "s|backend: auto|backend: none|" "$tmp/atom.yaml"
}
step "confgen writes a config" make_config

atom daemon -c "$tmp/atom.yaml" 2>"$tmp/agent.log" &
pid=$!
step "the agent answers status" wait_for 20 atom status -c "$tmp/atom.yaml"
role_none() {
	atom status -j -c "$tmp/atom.yaml" | grep -q '"name":"node-1"'
}
step "status -j names the node" role_none
stop() {
	atom daemon stop -c "$tmp/atom.yaml" && wait "$pid"
}
step "daemon stop ends the agent with exit 0" stop
cat "$tmp/agent.log"

ktap_finish
