#!/bin/sh
# Helpers for the scripts that run INSIDE a vmtest guest (busybox sh). Sourced by them
# from their own directory (vmtest --add puts every file in /usr/local/bin).

# wait_line FILE REGEX PID: until FILE has a line matching REGEX or PID is gone (60 s max).
wait_line() {
	i=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		kill -0 "$3" 2>/dev/null || { grep -q "$2" "$1" 2>/dev/null; return; }
		i=$((i + 1))
		[ "$i" -lt 600 ] || return 1
		sleep 0.1
	done
}

# vma_numa_maps PID HEXADDR: the numa_maps line of the VMA that contains HEXADDR.
vma_numa_maps() {
	a=$((0x$2))
	while read -r range rest; do
		s=${range%-*} e=${range#*-}
		if [ "$((0x$s))" -le "$a" ] && [ "$a" -lt "$((0x$e))" ]; then
			grep "^$s " "/proc/$1/numa_maps"
			return
		fi
	done < "/proc/$1/maps"
	echo "no VMA contains 0x$2"
}

# field LINE KEY: the value of KEY=VALUE in LINE
field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

# vmstat KEY: KEY's value in /proc/vmstat
vmstat() { awk -v k="$1" '$1 == k { print $2 }' /proc/vmstat; }

# topo_facts: numalens topo and sysfs, one fact per line for the host to judge:
# "JSON <topo --json>", "CPULIST <node> <cpulist>" per node, "TEXTSTATUS <exit>" and
# "TEXT <line>" of the table.
topo_facts() {
	echo "JSON $(numalens topo --json --compact)"
	for d in /sys/devices/system/node/node[0-9]*; do
		echo "CPULIST ${d##*/node} $(cat $d/cpulist)"
	done
	numalens topo > /tmp/topo.txt 2>&1
	echo "TEXTSTATUS $?"
	sed 's/^/TEXT /' /tmp/topo.txt
}
