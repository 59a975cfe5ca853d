# bash completion for numalens.
# Commands and options are read from the binary being completed (`numalens -h`,
# `numalens COMMAND -h`), so they are always that binary's own; an option's argument is
# completed by the name its help gives it: PID (running processes), FILE and OUT
# (files), DIR (directories), PATH and CGROUP (cgroup v2 directories), BIN:... (the
# binary's file name), or the choices a|b|c the help spells out.

# _numalens_load BIN [COMMAND]: the help text in _numalens_text, read once per shell
# (cached in a variable of the completing shell: no fork after the first TAB)
_numalens_load()
{
	local var=_numalens_help_${1//[^A-Za-z0-9]/_}__${2//[^A-Za-z0-9]/_}
	[[ -n ${!var+set} ]] || printf -v "$var" '%s' "$("$1" ${2:+"$2"} -h 2>/dev/null)"
	_numalens_text=${!var}
}

# _numalens_parse WHAT [OPTION] <<< HELP: one awk over a help text
#   commands  the names in the "commands:" block of numalens -h
#   options   every option name (-p, --pid, ...), and "--" when the command takes -- CMD
#   argname   the name of OPTION's argument in its option line ("PID"), or nothing
#   choices   a|b|c spelled after OPTION's long name anywhere in the help, one a line
# An option line is "-x" or "--xx" indented by 1..8 spaces, its description cut off at
# the first run of two spaces (as scripts/gen-man reads it).
_numalens_parse()
{
	awk -v what="$1" -v o="${2-}" '
	/^commands:/ { c = 1; next }
	c && /^$/ { c = 0 }
	c && what == "commands" && /^  [a-z]/ { print $1 }
	match($0, /^ +-/) && RLENGTH <= 9 {
		l = $0; sub(/^ +/, "", l); sub(/  .*/, "", l)
		n = split(l, w, /[ ,]+/)
		if (what == "options") {
			for (i = 1; i <= n; i++) if (w[i] ~ /^--?[A-Za-z0-9]/) print w[i]
			if (w[1] == "--") print "--"
		}
		for (i = 1; i <= n; i++) if (w[i] == o) {
			for (j = 1; j <= n; j++) if (w[j] ~ /^--./) long = w[j]
			for (j = i + 1; j <= n; j++) if (w[j] !~ /^-/) { arg = w[j]; break }
		}
	}
	{ text = text "\n" $0 }
	END {
		if (what == "argname" && arg != "") print arg
		if (what == "choices" && long != "" && match(text, long " [a-z0-9_-]+([|][a-z0-9_-]+)+")) {
			n = split(substr(text, RSTART + length(long) + 1, RLENGTH - length(long) - 1), w, /[|]/)
			for (i = 1; i <= n; i++) print w[i]
		}
	}'
}

_numalens()
{
	local cur=${COMP_WORDS[COMP_CWORD]} bin=${COMP_WORDS[0]} i cmd= cmd_i=0 dashdash=0 prev opt arg
	bin=${bin/#\~/$HOME}
	[[ $bin == */* ]] || bin=$(type -P "$bin") || return 0
	[[ -x $bin ]] || return 0
	COMPREPLY=()
	_numalens_load "$bin"
	local main_help=$_numalens_text cmd_help

	for ((i = 1; i < COMP_CWORD; i++)); do
		if [[ -z $cmd ]]; then
			[[ ${COMP_WORDS[i]} == -* ]] || { cmd=${COMP_WORDS[i]}; cmd_i=$i; }
		elif [[ ${COMP_WORDS[i]} == -- ]]; then
			dashdash=$i
			break
		fi
	done

	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "$(_numalens_parse options <<< "$main_help")" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$(_numalens_parse commands <<< "$main_help") help" -- "$cur"))
		fi
		return 0
	fi
	if [[ $cmd == help ]]; then
		((COMP_CWORD == cmd_i + 1)) && COMPREPLY=($(compgen -W "$(_numalens_parse commands <<< "$main_help")" -- "$cur"))
		return 0
	fi
	_numalens_load "$bin" "$cmd"
	cmd_help=$_numalens_text
	# after "--": the command to start, then its own arguments
	if ((dashdash)); then
		if ((COMP_CWORD == dashdash + 1)); then
			COMPREPLY=($(compgen -c -- "$cur"))
		else
			compopt -o default 2>/dev/null
		fi
		return 0
	fi

	# the argument of an option: "-p 12", "--pid 12" or "--pid=12" (bash splits at '=')
	prev=${COMP_WORDS[COMP_CWORD - 1]}
	if [[ $prev == = ]] && ((COMP_CWORD >= 2)); then
		opt=${COMP_WORDS[COMP_CWORD - 2]}
	elif [[ $prev == -* && $cur != -* ]] || [[ $prev == -* && -z $cur ]]; then
		opt=$prev
	fi
	if [[ -n ${opt-} ]]; then
		arg=$(_numalens_parse argname "$opt" <<< "$cmd_help")
		if [[ -n $arg ]]; then
			local choices
			choices=$(_numalens_parse choices "$opt" <<< "$cmd_help")
			if [[ -n $choices ]]; then
				COMPREPLY=($(compgen -W "$choices" -- "$cur"))
				return 0
			fi
			case $arg in
			PID)
				COMPREPLY=($(compgen -W "$(cd /proc && compgen -G '[0-9]*')" -- "$cur")) ;;
			DIR)
				compopt -o filenames 2>/dev/null
				COMPREPLY=($(compgen -d -- "$cur")) ;;
			PATH|CGROUP)
				compopt -o filenames 2>/dev/null
				COMPREPLY=($(compgen -d -- "$cur"))
				[[ $cur == /* || $cur == .* ]] ||
					COMPREPLY+=($(cd /sys/fs/cgroup 2>/dev/null && compgen -d -- "$cur")) ;;
			FILE|OUT|FILE*|BIN*)
				compopt -o filenames 2>/dev/null
				COMPREPLY=($(compgen -f -- "$cur")) ;;
			esac
			return 0
		fi
	fi

	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$(_numalens_parse options <<< "$cmd_help")" -- "$cur"))
	fi
	return 0
}
complete -F _numalens numalens
