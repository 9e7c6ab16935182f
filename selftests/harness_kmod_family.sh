#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# atom.ko autoloads by its genetlink family name, the family is visible in
# every namespace, and the module unloads cleanly.
set -u
. "$(dirname "$0")/lib.sh"

ktap_plan 5

family_visible() { # [netns]
	if [ -n "${1:-}" ]; then
		ip netns exec "$1" genl ctrl get name atom
	else
		genl ctrl get name atom
	fi | grep -q 'Name: atom'
}

module_loaded() {
	grep -q '^atom ' /proc/modules
}

! module_loaded || rmmod atom
step "genl lookup of family atom autoloads atom.ko" family_visible
step "atom.ko is loaded after the lookup" module_loaded
netns_new 1
step "family visible from another network namespace" \
	family_visible "$(netns_name 1)"
step "atom.ko unloads cleanly" rmmod atom
family_gone() {
	! grep -q '^atom ' /proc/modules &&
	! genl ctrl list 2>/dev/null | grep -q 'Name: atom'
}
step "family gone after unload" family_gone

ktap_finish
