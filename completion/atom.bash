# bash completion for atom(8)
# shellcheck shell=bash

_atom() {
	local cur prev words cword
	_init_completion || return

	local globals="-c --config -s --socket -j --json"
	case $prev in
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
		-c | --config | -s | --socket | --output | --log-level | --join-token)
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
		opts="confgen daemon status version help"
		;;
	confgen)
		opts="--output --follower"
		;;
	daemon)
		if [[ $sub == stop ]]; then
			opts="--down"
		elif [[ -z $sub ]]; then
			opts="stop --join-token --log-level"
		fi
		;;
	esac
	mapfile -t COMPREPLY < <(compgen -W "$opts $globals" -- "$cur")
}
complete -F _atom atom
