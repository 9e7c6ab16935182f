#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The man pages keep up with the code: every configuration key the parser
# knows is in atom.yaml(5), every command `atom help` lists is in atom(8).
set -u
. "$(dirname "$0")/../lib.sh"

top=$(cd "$(dirname "$0")/../.." && pwd)
atom=${ATOM:-$top/build/atom}

ktap_plan 2

config_keys_documented() {
	local key leaf missing=0
	for key in $(sed -n 's/^\t{ "\([a-z_.]*\)", T_.*/\1/p' "$top/agent/config.c"); do
		leaf=${key#*.}
		grep -qE "^\.It Cm ${leaf%%.*}|Cm ${leaf//./\\.}" "$top/man/atom.yaml.5" ||
			{ echo "atom.yaml.5 lacks $key"; missing=1; }
	done
	[ "$missing" = 0 ]
}
step "every config key is in atom.yaml(5)" config_keys_documented

commands_documented() {
	local cmd missing=0
	for cmd in $("$atom" help | awk '/^Commands:/{on=1; next} /^$/{on=0} on {print $1}'); do
		grep -q "^\.It Ic $cmd" "$top/man/atom.8" ||
			{ echo "atom.8 lacks $cmd"; missing=1; }
	done
	[ "$missing" = 0 ]
}
step "every command of atom help is in atom(8)" commands_documented

ktap_finish
