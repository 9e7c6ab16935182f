#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A full disk stops a node's acks without corrupting anything: a learner
# whose data dir (a small tmpfs) is full reports disk_full, acknowledges
# nothing and keeps running while the others commit; once space is freed
# it catches up by itself and agrees with the others; restarted, its log
# is intact.
set -u
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib_agents.sh"

ktap_plan 4
mnt=$AG/d3
mkdir -p "$mnt"
mount -t tmpfs -o size=2m,mode=0700 tmpfs "$mnt" || { ktap_skip_all "cannot mount a tmpfs"; exit 4; }
on_exit "umount -l $mnt"

write() { "$atomrpc" "$(agent_sock "$1")" write "$2" >/dev/null; }

full() {
	local i
	agent_start 1 && wait_leader 10 1 >/dev/null && agent_start 2 &&
	agent_join_voter 1 2 || return 1
	for i in $(seq 1 20); do write 1 "$i" || return 1; done
	# Fill node 3's disk, leaving no room for a log segment.
	dd if=/dev/zero of="$mnt/filler" bs=64k 2>/dev/null
	agent_start 3 &&
	"$atomrpc" "$(agent_sock 1)" member add "$(agent_ip 3)" &&
	wait_for 10 field_is 3 disk_full 1 &&
	grep -q "disk full" "$AG/n3.log"
}
step "a learner with a full disk says so and keeps running" full

others_commit() {
	local i
	for i in $(seq 21 40); do write 1 "$i" || return 1; done
	kill -0 "${AG_PID[3]}" && [ "$(agent_field 3 applied)" = 0 ]
}
step "the others commit; the full node applies nothing" others_commit

recovers() {
	rm -f "$mnt/filler"
	wait_for 10 agents_agree 1 1 2 3 &&
	grep -q "disk space is back" "$AG/n3.log"
}
step "space freed: it catches up by itself" recovers

intact() {
	agent_kill 3 && agent_start 3 && wait_for 10 agents_agree 1 1 2 3 &&
	[ "$("$atomrpc" "$(agent_sock 3)" read | sed 's/ .*//')" = count=40 ]
}
step "restarted, its log is intact" intact

ktap_finish
