#!/bin/sh
# Runs INSIDE a vmtest guest (busybox sh): runs `numalens top` over workloads and prints
# what numalens and the kernel say, one fact per line as "NAME: KEY: VALUE", for the host
# side (tests/vm/top.sh) to judge. It judges nothing itself.
#
# usage: top.sh SPEC...   each SPEC one word list "NAME KIND ARGS...":
#   NAME place TOPARGS... -- PLACEARGS...
#        numalens top TOPARGS -- nl-place PLACEARGS --pause; while nl-place holds its
#        buffer: facts line (its "nl-place: pid=" line), numa_maps (N<k>= totals over
#        the whole process), numa_maps_buf (the buffer's VMA line)
#   NAME run TOPARGS... -- CMD ARGS...
#        numalens top TOPARGS -- CMD ARGS
#   both: cmd (each line CMD printed; it writes to a file, not numalens's stdout),
#        out (each line numalens printed on stdout), err (its stderr), top_exit, and the
#        /proc/vmstat deltas over the run: vmstat_numa_pages_migrated,
#        vmstat_numa_hint_faults, vmstat_numa_hint_faults_local
#   NAME rec_place RECORDARGS... -- PLACEARGS... / NAME rec_run RECORDARGS... -- CMD ARGS...
#        the same through `numalens record RECORDARGS` (top_exit is record's status)
#   NAME set FILE VALUE   write VALUE to FILE; value: FILE's first line afterwards
#   NAME cat FILE         value: FILE's first line
#   NAME b64 FILE         b64: FILE in base64, one line each (the host decodes it)

. "$(dirname "$0")/lib.sh"

# numa_totals PID: "N0=..,N1=.." summed over every VMA of /proc/PID/numa_maps
numa_totals() {
	tr ' ' '\n' < "/proc/$1/numa_maps" | awk -F= '/^N[0-9]+=/ { n[$1] += $2 }
		END { for (k in n) print k "=" n[k] }' | sort | paste -sd, -
}

# run_top NAME KIND ARGS...: numalens top with the args before "--", then the command
# (nl-place ... --pause for KIND place) writing its output to /tmp/NAME.cmd.
run_top() {
	name=$1 kind=$2 tool=top
	shift 2
	case $kind in rec_*) tool=record kind=${kind#rec_} ;; esac
	topargs=''
	while [ $# -gt 0 ] && [ "$1" != -- ]; do topargs="$topargs $1"; shift; done
	[ $# -gt 0 ] && shift
	cmdf=/tmp/$name.cmd
	: > "$cmdf"
	[ "$kind" = place ] && set -- nl-place "$@" --pause
	mig0=$(vmstat numa_pages_migrated) hint0=$(vmstat numa_hint_faults) local0=$(vmstat numa_hint_faults_local)
	# shellcheck disable=SC2086 # topargs is a word list on purpose
	numalens $tool $topargs -- sh -c 'exec "$@" > "$0" 2>&1' "$cmdf" "$@" \
		> "/tmp/$name.out" 2> "/tmp/$name.err" &
	top=$!
	if [ "$kind" = place ]; then
		wait_line "$cmdf" '^nl-place: pid=' "$top"
		line=$(grep '^nl-place: pid=' "$cmdf")
		echo "$name: line: $line"
		pid=$(field "$line" pid)
		if [ -n "$pid" ] && [ -r "/proc/$pid/numa_maps" ]; then
			echo "$name: numa_maps: $(numa_totals "$pid")"
			echo "$name: numa_maps_buf: $(vma_numa_maps "$pid" "$(field "$line" addr | sed 's/^0x//')")"
		fi
	fi
	wait "$top"
	echo "$name: top_exit: $?"
	echo "$name: vmstat_numa_pages_migrated: $(( $(vmstat numa_pages_migrated) - mig0 ))"
	echo "$name: vmstat_numa_hint_faults: $(( $(vmstat numa_hint_faults) - hint0 ))"
	echo "$name: vmstat_numa_hint_faults_local: $(( $(vmstat numa_hint_faults_local) - local0 ))"
	sed "s/^/$name: cmd: /" "$cmdf"
	sed "s/^/$name: err: /" "/tmp/$name.err"
	sed "s/^/$name: out: /" "/tmp/$name.out"
}

for spec in "$@"; do
	# shellcheck disable=SC2086 # a spec is a word list on purpose
	set -- $spec
	name=$1 kind=$2
	shift 2
	case $kind in
	place|run|rec_place|rec_run) run_top "$name" "$kind" "$@" ;;
	b64)       base64 "$1" | sed "s/^/$name: b64: /" ;;
	set)       f=$1
	           # Before 5.13 (8a99b6833c88 "sched: Move SCHED_DEBUG sysctl to debugfs")
	           # the scanner's knobs were sysctls, kernel.numa_balancing_<knob> (5.10).
	           case $f in /sys/kernel/debug/sched/numa_balancing/*)
	             [ -e "$f" ] || f=/proc/sys/kernel/numa_balancing_${f##*/} ;;
	           esac
	           echo "$2" > "$f"; echo "$name: value: $(head -n 1 "$f")" ;;
	cat)       echo "$name: value: $(head -n 1 "$1")" ;;
	*)         echo "$name: error: unknown kind '$kind'" ;;
	esac
done
