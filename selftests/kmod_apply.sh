#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# atom.ko installs, updates, removes and replaces WireGuard peers with
# their /32 routes, as wg(8) and ip(8) show them.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_kmod.sh"

ktap_plan 13

wg_dev 1
spec=$(mktemp)
on_exit rm -f "$spec"
atomctl genspec 3 10.100.0.1 192.0.2.9:51820 25 >"$spec"
k1=$(awk 'NR == 1 {print $2}' "$spec")
k2=$(awk 'NR == 2 {print $2}' "$spec")
k3=$(awk 'NR == 3 {print $2}' "$spec")

step "apply of 3 peers at index 1 succeeds" actl 1 apply wg0 1 <"$spec"

has_peer() { # key endpoint allowed-ips keepalive
	state 1 | grep -Fqx "$1 $2 $3 $4"
}
three_peers() {
	[ "$(peer_count 1)" = 3 ] &&
	has_peer "$k1" 192.0.2.9:51820 10.100.0.1/32 25 &&
	has_peer "$k2" 192.0.2.9:51820 10.100.0.2/32 25 &&
	has_peer "$k3" 192.0.2.9:51820 10.100.0.3/32 25
}
step "wg show has the 3 peers with endpoint, /32 and keepalive" three_peers

routes_are() { # expected routes of proto atom, sorted, one per line
	local got
	got=$(ip -n "$(netns_name 1)" route show proto "$KMOD_PROTO" |
		awk '{print $1, $2, $3}' | sort | tr '\n' ' ')
	[ "$got" = "$*" ] || { echo "# routes: $got"; return 1; }
}
step "ip route shows their /32 routes, proto atom, dev wg0" \
	routes_are "10.100.0.1 dev wg0 10.100.0.2 dev wg0 10.100.0.3 dev wg0 "

get_is() { # pattern
	actl 1 get | tee /dev/stderr | grep -q "$1"
}
step "get reports index 1 and 3 peers" get_is "index=1 pending=0 peers=3"

step "update of a peer's endpoint and keepalive" \
	actl 1 apply wg0 2 <<<"upd $k2 10.100.0.2 192.0.2.7:4000 10"
step "wg show has the new endpoint and keepalive" \
	has_peer "$k2" 192.0.2.7:4000 10.100.0.2/32 10

v6() {
	actl 1 apply wg0 2 <<<"add $k1 10.100.0.1 [2001:db8::1]:51820 25" &&
	has_peer "$k1" "[2001:db8::1]:51820" 10.100.0.1/32 25
}
step "an IPv6 endpoint is set" v6

step "moving a peer to another /32" \
	actl 1 apply wg0 3 <<<"add $k3 10.100.0.33 192.0.2.9:51820 25"
moved() {
	has_peer "$k3" 192.0.2.9:51820 10.100.0.33/32 25 &&
	routes_are "10.100.0.1 dev wg0 10.100.0.2 dev wg0 10.100.0.33 dev wg0 "
}
step "the peer and its route moved, the old route is gone" moved

step "removal of a peer" actl 1 apply wg0 4 <<<"del $k1"
removed() {
	[ "$(peer_count 1)" = 2 ] && ! state 1 | grep -q "$k1" &&
	routes_are "10.100.0.2 dev wg0 10.100.0.33 dev wg0 "
}
step "the peer and its route are gone" removed

atomctl genspec 1 10.100.0.4 192.0.2.4:51820 0 >"$spec"
k4=$(awk '{print $2}' "$spec")
replaced() {
	{ echo "add $k2 10.100.0.2 192.0.2.7:4000 10"; cat "$spec"; } |
		actl 1 replace wg0 5 &&
	[ "$(peer_count 1)" = 2 ] &&
	has_peer "$k2" 192.0.2.7:4000 10.100.0.2/32 10 &&
	has_peer "$k4" 192.0.2.4:51820 10.100.0.4/32 off &&
	routes_are "10.100.0.2 dev wg0 10.100.0.4 dev wg0 "
}
step "replace makes the peer set exactly the given one" replaced
dumped() {
	local out
	out=$(actl 1 get --peers)
	echo "$out"
	[ "$(grep -c '^peer ' <<<"$out")" = 2 ] &&
	grep -q "^peer $k2 10.100.0.2 192.0.2.7:4000 10 flags=1$" <<<"$out" &&
	grep -q "^peer $k4 10.100.0.4 192.0.2.4:51820 0 flags=1$" <<<"$out"
}
step "the GET dump lists the record: both peers, with their routes" dumped
ktap_finish
