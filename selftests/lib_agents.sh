#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Several agents on this host: the none dataplane, node i at mesh address
# 127.77.R.i (R drawn per run, so runs never share addresses), all on the
# default Raft port, each with its own data dir, key and socket under $AG.
# Node 1 bootstraps; the others start empty and are added by the leader.
# Source after lib.sh.

top=${top:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
atom=${ATOM:-$top/build/atom}
atomrpc=${ATOMRPC:-$top/build/selftests/atomrpc}
AG=$(mktemp -d /tmp/atom-agents.XXXXXX)
AG_NET=$((20 + $$ % 200))
declare -A AG_PID
on_exit 'agents_teardown'

agent_ip() { echo "127.77.$AG_NET.$1"; }
agent_sock() { echo "$AG/run/n$1.sock"; }

agent_config() { # i [extra yaml]
	local i=$1 boot=false net=""
	[ "$i" = 1 ] && boot=true && net="  network_layer: {ip: 127.77.$AG_NET.0, cidr: 24}"
	mkdir -p "$AG/run" "$AG/keys"
	cat >"$AG/n$i.yaml" <<EOC
node:
  name: n$i
  bootstrap: $boot
  mesh_ip: $(agent_ip "$i")
$net
security:
  private_key_path: $AG/keys/n$i.key
consensus:
  data_dir: $AG/d$i
api:
  socket_path: $(agent_sock "$i")
dataplane:
  backend: none
log:
  level: ${AG_LOG_LEVEL:-info}
EOC
}

agent_start() { # i
	[ -f "$AG/n$1.yaml" ] || agent_config "$1"
	"$atom" daemon -c "$AG/n$1.yaml" 2>>"$AG/n$1.log" &
	AG_PID[$1]=$!
	wait_for 10 "$atomrpc" "$(agent_sock "$1")" status
}

agent_signal() { # i SIG
	kill "-$2" "${AG_PID[$1]}" 2>/dev/null
}

agent_kill() { # i: kill -9 and reap
	kill -9 "${AG_PID[$1]}" 2>/dev/null
	wait "${AG_PID[$1]}" 2>/dev/null
	return 0
}

agent_status() { "$atomrpc" "$(agent_sock "$1")" status 2>/dev/null; }

agent_field() { # i key
	agent_status "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# field_is i key value: for wait_for, which re-runs its command.
field_is() { [ "$(agent_field "$1" "$2")" = "$3" ]; }

# The node (of those given, default 1..9) that says it leads, if any.
agent_leader() {
	local i nodes=${*:-1 2 3 4 5 6 7 8 9}
	for i in $nodes; do
		[ -n "${AG_PID[$i]:-}" ] || continue
		[ "$(agent_field "$i" role)" = leader ] && { echo "$i"; return 0; }
	done
	return 1
}

wait_leader() { # seconds [nodes...]: prints the leader
	local deadline=$(($(date +%s) + $1)) l
	shift
	until l=$(agent_leader "$@"); do
		[ "$(date +%s)" -lt "$deadline" ] || return 1
		sleep 0.05
	done
	echo "$l"
}

# Add node i as a learner through the leader and promote it.
agent_join_voter() { # leader i
	"$atomrpc" "$(agent_sock "$1")" member add "$(agent_ip "$2")" &&
	wait_for 10 agent_caught_up "$1" "$2" &&
	"$atomrpc" "$(agent_sock "$1")" member promote "$(agent_ip "$2")"
}

agent_caught_up() { # leader i
	[ "$(agent_field "$2" applied)" = "$(agent_field "$1" applied)" ]
}

# Every given node has applied the same probes as node $1.
agents_agree() {
	local ref i a
	ref=$("$atomrpc" "$(agent_sock "$1")" read 2>/dev/null) || return 1
	for i in "$@"; do
		a=$("$atomrpc" "$(agent_sock "$i")" read 2>/dev/null) || return 1
		[ "$a" = "$ref" ] || return 1
	done
}

agents_teardown() {
	local i
	for i in "${!AG_PID[@]}"; do
		kill -CONT "${AG_PID[$i]}" 2>/dev/null
		kill -9 "${AG_PID[$i]}" 2>/dev/null
	done
	wait 2>/dev/null
	if [ "${KTAP_FAIL:-0}" != 0 ]; then
		for i in "$AG"/n*.log; do
			echo "# --- $i"
			tail -20 "$i" | sed 's/^/# /'
		done
	fi
	rm -rf "$AG"
}
