#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Bash completion offers atom's commands and each command's options, and
# every command it offers exists.
set -u
. "$(dirname "$0")/../lib.sh"

top=$(cd "$(dirname "$0")/../.." && pwd)
atom=${ATOM:-$top/build/atom}

ktap_plan 3

# shellcheck disable=SC1091
. /usr/share/bash-completion/bash_completion
# shellcheck disable=SC1091
. "$top/completion/atom.bash"

complete_line() { # words...: print the candidates for the last word
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE="$*"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_atom
	printf '%s\n' "${COMPREPLY[@]}"
}

offers() { # want words...
	local want=$1
	shift
	complete_line "$@" | grep -qx -- "$want" ||
		{ echo "'$*' does not offer $want"; return 1; }
}

commands_match_help() {
	local cmd offered
	offered=$(complete_line atom "" | grep -v '^-' | sort)
	[ "$offered" = "$("$atom" help | awk '/^Commands:/{on=1; next} /^$/{on=0} on {print $1}' | sort)" ]
}
step "the commands offered are exactly those of atom help" commands_match_help
step "confgen offers --follower" offers --follower atom confgen --f
daemon_stop() {
	offers stop atom daemon s && offers --down atom daemon stop --
}
step "daemon offers stop, and stop offers --down" daemon_stop

ktap_finish
