#!/bin/sh
# Runs INSIDE a vmtest guest (busybox sh): runs placement workloads and prints what the
# kernel says about them, one fact per line as "NAME: KEY: VALUE", for the host side
# (tests/vm/workloads.sh) to check. It judges nothing itself.
#
# usage: placement.sh SPEC...   each SPEC one word list "NAME KIND ARGS...":
#   NAME place ARGS...   nl-place ARGS --verify --pause; facts: line, verify, numa_maps, exit
#   NAME ftb ARGS...     nl-firsttouch-bug ARGS; facts while the worker runs: line,
#                        worker_cpu, worker_cpu_node, init_comm, worker_comm, numa_maps;
#                        then exit, done, and the /proc/vmstat deltas migrated, hint_faults
#   NAME cat FILE        value: FILE's first line
#   NAME run CMD...      output: each output line; exit: CMD's status

. "$(dirname "$0")/lib.sh"

cpu_node() { ls -d /sys/devices/system/cpu/cpu"$1"/node* 2>/dev/null | sed 's/.*node//'; }

place() {
	name=$1; shift
	out=/tmp/$name.out
	nl-place "$@" --verify --pause > "$out" 2>&1 &
	pid=$!
	wait_line "$out" '^nl-place: verify' "$pid"
	line=$(grep '^nl-place: pid=' "$out")
	echo "$name: line: $line"
	echo "$name: verify: $(grep '^nl-place: verify' "$out")"
	if kill -0 "$pid" 2>/dev/null && [ -n "$line" ]; then
		echo "$name: numa_maps: $(vma_numa_maps "$pid" "$(field "$line" addr | sed 's/^0x//')")"
		kill -USR1 "$pid"
	fi
	wait "$pid"
	echo "$name: exit: $?"
	grep -v '^nl-place: ' "$out" | sed "s/^/$name: output: /"
}

ftb() {
	name=$1; shift
	out=/tmp/$name.out
	migrated0=$(vmstat numa_pages_migrated) hint0=$(vmstat numa_hint_faults)
	nl-firsttouch-bug "$@" > "$out" 2>&1 &
	pid=$!
	wait_line "$out" '^nl-firsttouch-bug: pid=' "$pid"
	line=$(grep '^nl-firsttouch-bug: pid=' "$out")
	echo "$name: line: $line"
	if kill -0 "$pid" 2>/dev/null && [ -n "$line" ]; then
		wtid=$(field "$line" worker_tid)
		# stat field 39 is the CPU the thread last ran on; comm may hold spaces, so
		# count fields after its closing parenthesis (field 3 onwards).
		cpu=$(sed 's/.*) //' "/proc/$pid/task/$wtid/stat" | awk '{ print $37 }')
		echo "$name: worker_cpu: $cpu"
		echo "$name: worker_cpu_node: $(cpu_node "$cpu")"
		echo "$name: init_comm: $(cat "/proc/$pid/task/$pid/comm")"
		echo "$name: worker_comm: $(cat "/proc/$pid/task/$wtid/comm")"
		echo "$name: numa_maps: $(vma_numa_maps "$pid" "$(field "$line" addr | sed 's/^0x//')")"
	fi
	wait "$pid"
	echo "$name: exit: $?"
	echo "$name: done: $(grep '^nl-firsttouch-bug: done' "$out")"
	echo "$name: migrated: $(( $(vmstat numa_pages_migrated) - migrated0 ))"
	echo "$name: hint_faults: $(( $(vmstat numa_hint_faults) - hint0 ))"
	grep -v '^nl-firsttouch-bug: ' "$out" | sed "s/^/$name: output: /"
}

for spec in "$@"; do
	# shellcheck disable=SC2086 # a spec is a word list on purpose
	set -- $spec
	name=$1 kind=$2
	shift 2
	case $kind in
	place) place "$name" "$@" ;;
	ftb)   ftb "$name" "$@" ;;
	cat)   echo "$name: value: $(head -n 1 "$1")" ;;
	run)   "$@" > "/tmp/$name.out" 2>&1; rc=$?
	       sed "s/^/$name: output: /" "/tmp/$name.out"; echo "$name: exit: $rc" ;;
	*)     echo "$name: error: unknown kind '$kind'" ;;
	esac
done
