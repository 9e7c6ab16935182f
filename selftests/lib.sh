#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Shared helpers for atom's kselftest-style scripts (sourced, never run).
#
# A test script: sources this file, calls ktap_plan N, runs steps with
# `step "what" cmd...` (echoed, then reported as one KTAP result), and ends
# with ktap_finish, which prints "N passed, N failed" and exits 0, 1, or
# 4 (skip; make check treats a skip as a failure).

ksft_skip=4
KTAP_N=0
KTAP_PASS=0
KTAP_FAIL=0
KTAP_PLAN=0
ATOM_NS_PREFIX=atom-$$
ATOM_CLEANUPS=()

ktap_plan() {
	KTAP_PLAN=$1
	echo "TAP version 13"
	echo "1..$1"
}

ktap_ok() {
	KTAP_N=$((KTAP_N + 1))
	KTAP_PASS=$((KTAP_PASS + 1))
	echo "ok $KTAP_N $*"
}

ktap_not_ok() {
	KTAP_N=$((KTAP_N + 1))
	KTAP_FAIL=$((KTAP_FAIL + 1))
	echo "not ok $KTAP_N $*"
}

ktap_skip_all() {
	echo "1..0 # SKIP $*"
	exit $ksft_skip
}

# step "description" command...: echo the command, run it, report it.
step() {
	local what=$1
	shift
	echo "[+] $*"
	if "$@"; then
		ktap_ok "$what"
	else
		ktap_not_ok "$what"
	fi
}

# Run in namespace N (created by netns_new).
nsx() {
	local n=$1
	shift
	echo "[+] ns$n: $*"
	ip netns exec "$ATOM_NS_PREFIX-$n" "$@"
}

netns_new() {
	ip netns add "$ATOM_NS_PREFIX-$1"
	ip -n "$ATOM_NS_PREFIX-$1" link set lo up
}

netns_name() {
	echo "$ATOM_NS_PREFIX-$1"
}

# veth_link A B: veth$A in namespace A (192.0.2.A/24) wired to veth$B in
# namespace B (192.0.2.B/24), both up: the underlay between two nodes.
veth_link() {
	ip link add "veth$1" netns "$(netns_name "$1")" type veth \
		peer name "veth$2" netns "$(netns_name "$2")" &&
	nsx "$1" ip addr add "192.0.2.$1/24" dev "veth$1" &&
	nsx "$2" ip addr add "192.0.2.$2/24" dev "veth$2" &&
	nsx "$1" ip link set "veth$1" up &&
	nsx "$2" ip link set "veth$2" up
}

# on_exit "command": run at exit, last registered first.
on_exit() {
	ATOM_CLEANUPS=("$*" "${ATOM_CLEANUPS[@]}")
}

atom_cleanup() {
	local c ns
	for c in "${ATOM_CLEANUPS[@]}"; do
		eval "$c" >/dev/null 2>&1 || true
	done
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
		case $ns in
		"$ATOM_NS_PREFIX"-*) ip netns del "$ns" 2>/dev/null || true ;;
		esac
	done
}
trap atom_cleanup EXIT

# wait_for SECONDS command...: poll until the command succeeds.
wait_for() {
	local deadline=$(($(date +%s) + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

ktap_finish() {
	if [ "$KTAP_N" != "$KTAP_PLAN" ]; then
		echo "# planned $KTAP_PLAN results, reported $KTAP_N"
		KTAP_FAIL=$((KTAP_FAIL + 1))
	fi
	echo "$KTAP_PASS passed, $KTAP_FAIL failed"
	[ "$KTAP_FAIL" = 0 ] && exit 0
	exit 1
}
