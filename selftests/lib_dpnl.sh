#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Helpers for the netlink dataplane's selftests (sourced after lib.sh,
# never run): keys, a device set up by dpctl, and a snapshot of what the
# dataplane controls, to compare before and after a batch.

RTPROT_ATOM=247		# uapi/linux/atom.h
DPNL_KEYS=$(mktemp -d)
on_exit rm -rf "$DPNL_KEYS"

# key NAME: the base64 public key of NAME (its private key made on first use).
key() {
	if [ ! -f "$DPNL_KEYS/$1" ]; then
		(umask 077; wg genkey >"$DPNL_KEYS/$1")
		wg pubkey <"$DPNL_KEYS/$1" >"$DPNL_KEYS/$1.pub"
	fi
	cat "$DPNL_KEYS/$1.pub"
}

# keyfile NAME: the file holding NAME's private key.
keyfile() {
	key "$1" >/dev/null
	echo "$DPNL_KEYS/$1"
}

# dp N args...: dpctl in namespace N.
dp() {
	local n=$1
	shift
	nsx "$n" dpctl "$@"
}

# dp_setup N NAME ADDR [PORT]: wg0 in namespace N with NAME's key.
dp_setup() {
	dp "$1" setup wg0 "$(keyfile "$2")" "${4:-51820}" "$3" 10.99.0.0/16 1420
}

# snapshot N: each peer's key, endpoint, allowed-ips and keepalive, and
# atom's routes.
snapshot() {
	ip netns exec "$(netns_name "$1")" wg show wg0 dump | tail -n +2 |
		cut -f1,3,4,8 | sort
	echo "--"
	ip -n "$(netns_name "$1")" route show proto "$RTPROT_ATOM" | sort
}

# unchanged N FILE: the snapshot of N equals FILE (the diff shown if not).
unchanged() {
	snapshot "$1" | diff -u "$2" -
}

# fails_with N TEXT dpctl-args... < spec: dpctl exits 1 and says TEXT.
fails_with() {
	local n=$1 text=$2 err
	shift 2
	err=$(ip netns exec "$(netns_name "$n")" dpctl "$@" 2>&1 >/dev/null)
	local rc=$?
	echo "dpctl said: $err"
	[ "$rc" = 1 ] && [[ $err == *"$text"* ]]
}

# tabs WORD...: the words joined by tabs (as wg show dump prints them).
tabs() {
	local IFS=$'\t'
	echo "$*"
}

# has_line TEXT: stdin holds TEXT as a whole line.
has_line() {
	grep -qxF -- "$1"
}

# peer_field N KEY FIELD: one field (wg show dump numbering) of a peer.
peer_field() {
	ip netns exec "$(netns_name "$1")" wg show wg0 dump |
		awk -F'\t' -v k="$2" -v f="$3" '$1 == k {print $f}'
}
