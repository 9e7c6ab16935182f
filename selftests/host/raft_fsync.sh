#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The POSIX file layer really syncs: under strace, every acknowledged write
# of a one-node cluster costs an fdatasync (the log) and new segments and
# snapshots an fsync (file and directory). The same check run on an agent
# built with its store's syncs switched off (MUTANT_SKIP_FSYNC) fails, so
# the check can fail.
set -u
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib_agents.sh"

WRITES=20
mutant=$top/build/mutant/SKIP_FSYNC/atom
ktap_plan 2

# syncs_per_write BINARY: run a bootstrapper under strace, write, count.
syncs() {
	local bin=$1 st
	rm -rf "$AG/d1"
	agent_config 1
	strace -f -qq -e trace=fdatasync,fsync -o "$AG/trace" \
		"$bin" daemon -c "$AG/n1.yaml" 2>>"$AG/n1.log" &
	AG_PID[1]=$!
	wait_for 10 "$atomrpc" "$(agent_sock 1)" status &&
	wait_leader 10 1 >/dev/null || return 1
	: >"$AG/trace.count"
	before=$(grep -c 'fdatasync(' "$AG/trace")
	for i in $(seq "$WRITES"); do
		"$atomrpc" "$(agent_sock 1)" write "$i" >/dev/null || return 1
	done
	after=$(grep -c 'fdatasync(' "$AG/trace")
	fsyncs=$(grep -c 'fsync(' "$AG/trace")
	"$atom" -s "$(agent_sock 1)" daemon stop
	wait "${AG_PID[1]}" 2>/dev/null
	unset "AG_PID[1]"
	echo "# $bin: $((after - before)) fdatasync for $WRITES writes, $fsyncs fsync in all"
	[ $((after - before)) -ge "$WRITES" ] && [ "$fsyncs" -ge 1 ]
}

step "every acknowledged write is fdatasync'ed; segments are fsync'ed" syncs "$atom"
mutant_fails() { ! syncs "$mutant"; }
step "the same check fails on a build that skips the syncs" mutant_fails

ktap_finish
