#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Helpers for the kmod_* selftests (sourced after lib.sh, never run).

KMOD_PROTO=247			# RTPROT_ATOM in uapi/linux/atom.h
# enum atom_phase, for the test build's fault knob
PH_PEER_REMOVE=5
PH_ROUTE_DEL=6
PH_ROUTE_ADD=7
PH_PEER_SET=8
PH_ROUTE_DEL_OLD=9

kmod_param() { # name value: a knob of the test build of atom.ko
	echo "$2" >"/sys/module/atom/parameters/$1"
}

kmod_knobs_off() {
	[ -d /sys/module/atom/parameters ] || return 0
	kmod_param test_fail_phase 0
	kmod_param test_fail_item 0
	kmod_param test_delay_ms 0
}
on_exit kmod_knobs_off

# wg_dev N: namespace N with wg0 (private key, port 51820, 10.99.0.N/24, up)
wg_dev() {
	local k
	netns_new "$1"
	k=$(mktemp)
	wg genkey >"$k"
	nsx "$1" ip link add wg0 type wireguard &&
	nsx "$1" wg set wg0 private-key "$k" listen-port 51820 &&
	nsx "$1" ip addr add "10.99.0.$1/24" dev wg0 &&
	nsx "$1" ip link set wg0 up
	local rc=$?
	rm -f "$k"
	return $rc
}

# actl N args...: atomctl inside namespace N
actl() {
	local n=$1
	shift
	ip netns exec "$(netns_name "$n")" atomctl "$@"
}

# state N: what a user compares: each peer's key, endpoint, allowed-ips
# and keepalive, and atom's routes.
state() {
	ip netns exec "$(netns_name "$1")" wg show wg0 dump |
		awk 'NR > 1 {print $1, $3, $4, $8}' | sort
	ip -n "$(netns_name "$1")" route show proto "$KMOD_PROTO" | sort
}

peer_count() { # N
	ip netns exec "$(netns_name "$1")" wg show wg0 peers | wc -l
}

route_count() { # N
	ip -n "$(netns_name "$1")" route show proto "$KMOD_PROTO" | wc -l
}

# same_state N FILE: the device is exactly as recorded in FILE
same_state() {
	local now
	now=$(mktemp)
	state "$1" >"$now"
	if ! cmp -s "$2" "$now"; then
		echo "# state changed:"
		diff "$2" "$now" | sed 's/^/# /'
		rm -f "$now"
		return 1
	fi
	rm -f "$now"
}

# atom.ko may have been unloaded by an earlier test; the knobs need it.
modprobe atom

# pending_is N VALUE: GET in namespace N reports VALUE batches in flight
pending_is() {
	ip netns exec "$(netns_name "$1")" atomctl get | grep -q "pending=$2 "
}
