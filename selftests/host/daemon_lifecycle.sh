#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The agent process on this host: it answers on its socket, refuses to
# share a data dir or a socket with another agent, stops gracefully on
# SIGTERM and on `atom daemon stop`, and survives garbage on its socket.
set -u
. "$(dirname "$0")/../lib.sh"

atom=${ATOM:-$(dirname "$0")/../../build/atom}
tmp=$(mktemp -d)
on_exit 'kill $(jobs -p) 2>/dev/null; rm -rf "'"$tmp"'"'

ktap_plan 13

config() { # name file data-dir socket
	cat >"$2" <<EOC
node:
  name: $1
  bootstrap: true
  network_layer: {ip: 127.77.0.0, cidr: 24}
security:
  private_key_path: $tmp/keys/$1.key
consensus:
  data_dir: $3
api:
  socket_path: $4
dataplane:
  backend: none
EOC
}

config n1 "$tmp/n1.yaml" "$tmp/d1" "$tmp/run/n1.sock"
config n1b "$tmp/n1b.yaml" "$tmp/d1" "$tmp/run/other.sock"
config n2 "$tmp/n2.yaml" "$tmp/d2" "$tmp/run/n1.sock"
config n3 "$tmp/n3.yaml" "$tmp/d3" "$tmp/run/n3.sock"

"$atom" daemon -c "$tmp/n1.yaml" 2>"$tmp/n1.log" &
pid=$!
step "agent answers status on its socket" \
	wait_for 10 "$atom" -c "$tmp/n1.yaml" status
status_json() {
	local s
	s=$("$atom" status -j -s "$tmp/run/n1.sock") &&
	for k in name mesh_ip raft_role leader term commit_index applied_index backend; do
		grep -q "\"$k\":" <<<"$s" || { echo "no $k in $s"; return 1; }
	done &&
	grep -q '"name":"n1"' <<<"$s" && grep -q '"backend":"none"' <<<"$s"
}
step "status -j has the contract's keys" status_json
perms() {
	[ "$(stat -c %a "$tmp/run/n1.sock")" = 600 ] &&
	[ "$(stat -c %a "$tmp/run")" = 700 ] &&
	[ "$(stat -c %a "$tmp/d1")" = 700 ]
}
step "socket 0600 in a 0700 directory, data dir 0700" perms
key_created() {
	[ "$(stat -c %a "$tmp/keys/n1.key")" = 600 ] &&
	[ "$(status_of public_key)" = "$(wg pubkey <"$tmp/keys/n1.key")" ]
}
status_of() {
	"$atom" status -j -s "$tmp/run/n1.sock" |
		sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"
}
step "the private key is created 0600 and status shows its public key" \
	key_created
key_readable_refused() {
	wg genkey >"$tmp/keys/n3.key" && chmod 644 "$tmp/keys/n3.key" &&
	! timeout 10 "$atom" daemon -c "$tmp/n3.yaml" 2>"$tmp/n3.log" &&
	grep -q "private key $tmp/keys/n3.key is accessible by others (mode 0644)" \
		"$tmp/n3.log" &&
	[ "$(wc -c <"$tmp/keys/n3.key")" = 45 ]
}
step "a key file others can read stops the start, untouched" \
	key_readable_refused
refused_datadir() {
	! timeout 10 "$atom" daemon -c "$tmp/n1b.yaml" 2>"$tmp/n1b.log" &&
	grep -q "data dir $tmp/d1 is in use by another atom agent" "$tmp/n1b.log"
}
step "a second agent on the same data dir is refused" refused_datadir
refused_socket() {
	! timeout 10 "$atom" daemon -c "$tmp/n2.yaml" 2>"$tmp/n2.log" &&
	grep -q "an agent already answers on $tmp/run/n1.sock" "$tmp/n2.log"
}
step "a second agent on the same socket is refused" refused_socket
garbage() {
	head -c 4096 /dev/urandom | timeout 5 socat - "UNIX-CONNECT:$tmp/run/n1.sock" >/dev/null 2>&1
	printf '\x7f\xff\xff\xff\x01\x03\x00\x00' |
		timeout 5 socat - "UNIX-CONNECT:$tmp/run/n1.sock" >/dev/null 2>&1
	kill -0 "$pid" && "$atom" status -s "$tmp/run/n1.sock" >/dev/null
}
step "garbage and an oversized frame leave the agent serving" garbage
sigterm() {
	kill -TERM "$pid" && wait "$pid"
}
step "SIGTERM stops the agent with exit 0" sigterm
step "the socket is removed on stop" test ! -e "$tmp/run/n1.sock"
no_agent() {
	local out rc
	out=$("$atom" status -s "$tmp/run/n1.sock" 2>&1)
	rc=$?
	[ "$rc" = 1 ] && grep -q '^atom: no agent answers on' <<<"$out"
}
step "status with no agent fails with one atom: line (exit 1)" no_agent

# A stale socket file (agent killed) is replaced on restart.
"$atom" daemon -c "$tmp/n1.yaml" 2>>"$tmp/n1.log" &
pid=$!
wait_for 10 "$atom" status -s "$tmp/run/n1.sock"
kill -9 "$pid"
wait "$pid" 2>/dev/null
restart_after_kill() {
	[ -S "$tmp/run/n1.sock" ] &&
	{ "$atom" daemon -c "$tmp/n1.yaml" 2>>"$tmp/n1.log" & pid=$!; } &&
	wait_for 10 "$atom" status -s "$tmp/run/n1.sock"
}
step "restart after kill -9 replaces the stale socket and lock" \
	restart_after_kill
stop_cmd() {
	"$atom" daemon stop -c "$tmp/n1.yaml" && ! kill -0 "$pid" 2>/dev/null &&
	wait "$pid"
}
step "atom daemon stop returns once the agent exited 0" stop_cmd

ktap_finish
