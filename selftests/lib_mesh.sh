#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A mesh of agents on this host with the none dataplane, driven through the
# atom CLI as an operator would. Node i's underlay address is 127.89.R.i
# (its network.endpoint; its join port listens there); its mesh address is
# whatever the mesh assigns in 127.88.R.0/24 (node 1 bootstraps and gets
# .1). R is drawn per run, so runs never share addresses. Everything lives
# under $MS. Source after lib.sh.

top=${top:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
# the agent and CLI under ASan+UBSan: a memory error fails the test
atom=${ATOM_SAN:-$top/build/san/atom}
MS=$(mktemp -d /tmp/atom-mesh.XXXXXX)
MS_NET=$((20 + $$ % 200))
declare -A MS_PID
exec 9>&1	# the cleanup's own output is discarded: logs go here
on_exit 'mesh_teardown'

mesh_under() { echo "127.89.$MS_NET.$1"; }
mesh_sock() { echo "$MS/run/n$1.sock"; }
mesh_key() { echo "$MS/keys/n$1.key"; }
mesh_dir() { echo "$MS/d$1"; }

# mesh_config i [join-through-node] [extra yaml lines]
mesh_config() {
	local i=$1 via=${2:-1} extra=${3:-}
	mkdir -p "$MS/run" "$MS/keys"
	if [ "$i" = 1 ]; then
		cat >"$MS/n$i.yaml" <<EOC
node:
  name: n$i
  bootstrap: true
  network_layer: {ip: 127.88.$MS_NET.0, cidr: 24}
EOC
	else
		cat >"$MS/n$i.yaml" <<EOC
node:
  name: n$i
  bootstrap: false
join:
  endpoint: $(mesh_under "$via"):7700
EOC
	fi
	cat >>"$MS/n$i.yaml" <<EOC
security:
  private_key_path: $(mesh_key "$i")
network:
  endpoint: $(mesh_under "$i"):51820
  tcp_join_port: 7700
consensus:
  data_dir: $(mesh_dir "$i")
  voters: ${MS_VOTERS:-5}
api:
  socket_path: $(mesh_sock "$i")
dataplane:
  backend: none
log:
  level: ${MS_LOG_LEVEL:-info}
$extra
EOC
}

matom() { # i args...: the CLI against node i
	local i=$1
	shift
	"$atom" -s "$(mesh_sock "$i")" "$@"
}

mesh_field() { # i key: from status -j
	matom "$1" status -j 2>/dev/null | jq -r ".$2 // empty"
}

field_is() { [ "$(mesh_field "$1" "$2")" = "$3" ]; }
# A member: its own copy of the state lists it.
self_listed() {
	local l
	l=$(matom "$1" node list -j 2>/dev/null) && jq -e 'any(.[]; .self)' <<<"$l" >/dev/null
}

# mesh_start i [token]: start node i (joining with token when given) and
# wait until its own state lists it.
mesh_start() {
	local i=$1 tok=${2:-}
	[ -f "$MS/n$i.yaml" ] || mesh_config "$i"
	if [ -n "$tok" ]; then
		"$atom" daemon -c "$MS/n$i.yaml" --join-token "$tok" 2>>"$MS/n$i.log" &
	else
		"$atom" daemon -c "$MS/n$i.yaml" 2>>"$MS/n$i.log" &
	fi
	MS_PID[$i]=$!
	wait_for 20 self_listed "$i"
}

mesh_alive() { kill -0 "${MS_PID[$1]}" 2>/dev/null; }

mesh_kill() { # i: kill -9 and reap
	kill -9 "${MS_PID[$1]}" 2>/dev/null
	wait "${MS_PID[$1]}" 2>/dev/null
	return 0
}

mesh_leader() { # [nodes...]: the node that says it leads
	local i nodes=${*:-1 2 3 4 5 6 7 8 9}
	for i in $nodes; do
		[ -n "${MS_PID[$i]:-}" ] || continue
		mesh_alive "$i" || continue
		[ "$(mesh_field "$i" raft_role)" = leader ] && { echo "$i"; return 0; }
	done
	return 1
}

wait_mesh_leader() { # seconds [nodes...]
	local deadline=$(($(date +%s) + $1)) l
	shift
	until l=$(mesh_leader "$@"); do
		[ "$(date +%s)" -lt "$deadline" ] || return 1
		sleep 0.05
	done
	echo "$l"
}

# The sorted "name ip key" lines of node i's node list.
mesh_members() {
	matom "$1" node list -j 2>/dev/null |
		jq -r '.[] | "\(.name) \(.mesh_ip) \(.public_key) \(.state)"' | sort
}

# Every given node lists the same members, n of them.
mesh_agree() { # n nodes...
	local n=$1 ref i m
	shift
	ref=$(mesh_members "$1") || return 1
	[ "$(printf '%s\n' "$ref" | grep -c .)" = "$n" ] || return 1
	for i in "$@"; do
		m=$(mesh_members "$i") || return 1
		[ "$m" = "$ref" ] || return 1
	done
}

mesh_token() { # i [args]: a token created on node i
	local i=$1
	shift
	matom "$i" token create "$@"
}

mesh_teardown() {
	local i
	for i in "${!MS_PID[@]}"; do
		kill -CONT "${MS_PID[$i]}" 2>/dev/null
		kill -9 "${MS_PID[$i]}" 2>/dev/null
	done
	wait 2>/dev/null
	if [ "${KTAP_FAIL:-0}" != 0 ]; then
		for i in "$MS"/n*.log; do
			echo "# --- $i"
			tail -25 "$i" | sed 's/^/# /'
		done >&9
	fi
	rm -rf "$MS"
}
