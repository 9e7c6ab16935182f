#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The atom command's contract on this host: exit codes, global options
# anywhere, and confgen that never clobbers a file.
set -u
. "$(dirname "$0")/../lib.sh"

atom=${ATOM:-$(dirname "$0")/../../build/atom}
tmp=$(mktemp -d)
on_exit rm -rf "$tmp"

ktap_plan 8

exit_is() { # want command...
	local want=$1 rc
	shift
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ "$rc" = "$want" ] || { echo "exit $rc, want $want"; cat "$tmp/err"; return 1; }
}

step "unknown command is a usage error (exit 2)" exit_is 2 "$atom" frobnicate
step "option missing its value is a usage error (exit 2)" \
	exit_is 2 "$atom" version -c
json_anywhere() {
	[ "$("$atom" -j version)" = "$("$atom" version --json)" ] &&
	grep -q '^{"version":"' <<<"$("$atom" version -j)"
}
step "-j works before and after the command" json_anywhere
creates_0600() {
	"$atom" confgen --output "$tmp/a.yaml" &&
	[ "$(stat -c %a "$tmp/a.yaml")" = 600 ] &&
	grep -q 'bootstrap: true' "$tmp/a.yaml"
}
step "confgen --output creates a 0600 bootstrapper config" creates_0600
never_clobbers() {
	echo "mine" >"$tmp/b.yaml"
	exit_is 1 "$atom" confgen --output "$tmp/b.yaml" --follower &&
	[ "$(cat "$tmp/b.yaml")" = mine ] &&
	grep -q '^atom: cannot create .*File exists' "$tmp/err"
}
step "confgen refuses to overwrite an existing file (exit 1)" never_clobbers
step "confgen --follower prints a follower config" \
	bash -c "'$atom' confgen --follower | grep -q 'bootstrap: false'"
step "confgen with a stray argument is a usage error" \
	exit_is 2 "$atom" confgen --outptu x
step "help lists confgen" bash -c "'$atom' help | grep -q confgen"

ktap_finish
