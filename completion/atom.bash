# bash completion for atom(8)
# shellcheck shell=bash

# Ask the agent (with the -c/-s given on the line) and pick a field of
# its JSON: node names, token ids. Silent when there is no agent.
_atom_ask() {
	local args=() w
	while [[ $# -gt 0 && $1 != -- ]]; do
		case $1 in
		-c | --config | -s | --socket) args+=("$1" "$2") && shift ;;
		esac
		shift
	done
	shift
	local filter=${*: -1}
	set -- "${@:1:$#-1}"
	w=$(atom "${args[@]}" "$@" 2>/dev/null) || return 0
	command -v jq >/dev/null || return 0
	jq -r "$filter" <<<"$w" 2>/dev/null
}

_atom() {
	local cur prev words cword
	_init_completion || return

	local globals="-c --config -s --socket -j --json"
	case $prev in
	--role)
		mapfile -t COMPREPLY < <(compgen -W "admin member" -- "$cur")
		return
		;;
	--uses | --ttl | --endpoint | --join-token)
		return
		;;
	-c | --config | --output)
		_filedir
		return
		;;
	-s | --socket)
		_filedir sock
		return
		;;
	--log-level)
		mapfile -t COMPREPLY < <(compgen -W "err warn info debug" -- "$cur")
		return
		;;
	esac

	# The first word that is neither an option nor an option's value.
	local i cmd="" sub=""
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		-c | --config | -s | --socket | --output | --log-level | --join-token | \
			--uses | --ttl | --role | --endpoint)
			((i++))
			;;
		-*) ;;
		*)
			if [[ -z $cmd ]]; then
				cmd=${words[i]}
			elif [[ -z $sub ]]; then
				sub=${words[i]}
			fi
			;;
		esac
	done

	local opts=""
	case $cmd in
	"")
		opts="confgen daemon status token node version help"
		;;
	confgen)
		opts="--output --follower"
		;;
	daemon)
		if [[ $sub == stop ]]; then
			opts="--down"
		elif [[ -z $sub ]]; then
			opts="stop --join-token --force-new-cluster --log-level"
		fi
		;;
	token)
		case $sub in
		"") opts="create list revoke" ;;
		create) opts="--uses --ttl --role" ;;
		revoke) opts=$(_atom_ask "${words[@]:1:cword-1}" -- token list -j '.[].id') ;;
		esac
		;;
	node)
		case $sub in
		"") opts="list remove set" ;;
		remove) opts=$(_atom_ask "${words[@]:1:cword-1}" -- node list -j '.[].name') ;;
		set)
			opts="--endpoint $(_atom_ask "${words[@]:1:cword-1}" -- node list -j '.[].name')"
			;;
		esac
		;;
	esac
	mapfile -t COMPREPLY < <(compgen -W "$opts $globals" -- "$cur")
}
complete -F _atom atom
