#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Strict netlink: every attribute malformed in turn (wrong length, wrong
# type, out of range, missing, unknown, reserved header bits) is refused
# with EINVAL (ERANGE where the kernel's policy core reports a value out of
# range) and an extack message, and nothing changes.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_kmod.sh"

cases=$(atomctl malform list)
ktap_plan $(($(wc -w <<<"$cases") + 1))

wg_dev 1
before=$(mktemp)
on_exit rm -f "$before"
atomctl genspec 2 10.100.0.1 192.0.2.9:51820 25 | actl 1 apply wg0 1
state 1 >"$before"

malformed() {
	local out
	out=$(actl 1 malform "$1")
	echo "# $out"
	grep -Eq "errno=-(22|34) extack=." <<<"$out" && same_state 1 "$before"
}
for c in $cases; do
	step "$c: refused with a message, nothing changes" malformed "$c"
done
index_kept() {
	actl 1 get | tee /dev/stderr | grep -q 'index=1 pending=0 peers=2'
}
step "the index did not move" index_kept
ktap_finish
