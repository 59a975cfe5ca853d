#!/bin/sh
# Runs INSIDE a 2-node vmtest guest (busybox sh), booted with numa_balancing 0: runs
# `numalens doctor` on workloads built to trigger a rule and on well-placed ones, and
# prints each run as "NAME: exit: N", "NAME: out: LINE" (doctor's stdout) and
# "NAME: err: LINE", plus the held workloads' own lines ("NAME: cmd: LINE"), for
# tests/vm/doctor.sh to judge. It judges nothing itself.

. "$(dirname "$0")/lib.sh"

# doctor NAME ARGS...: numalens doctor ARGS, its output as facts
doctor() {
	name=$1
	shift
	numalens doctor "$@" > "/tmp/$name.out" 2> "/tmp/$name.err"
	echo "$name: exit: $?"
	sed "s/^/$name: out: /" "/tmp/$name.out"
	sed "s/^/$name: err: /" "/tmp/$name.err"
}

# held NAME DOCTORARGS -- PLACEARGS...: nl-place PLACEARGS --pause, judged with -p
# once it holds its buffer, then ended.
held() {
	name=$1 dargs=''
	shift
	while [ "$1" != -- ]; do dargs="$dargs $1"; shift; done
	shift
	nl-place "$@" --pause > "/tmp/$name.cmd" 2>&1 &
	p=$!
	wait_line "/tmp/$name.cmd" '^nl-place: pid=' "$p"
	sed "s/^/$name: cmd: /" "/tmp/$name.cmd"
	if [ -n "${held_maps:-}" ]; then # the buffer's numa_maps line, as "NAME: maps: LINE"
		addr=$(field "$(grep '^nl-place: pid=' "/tmp/$name.cmd")" addr)
		echo "$name: maps: $(vma_numa_maps "$p" "${addr#0x}")"
	fi
	# shellcheck disable=SC2086 # dargs is a word list on purpose
	doctor "$name" -p "$p" $dargs
	kill "$p"
	wait "$p" 2> /dev/null
}

# The first-touch bug (init on node 0, worker on node 1), as text and as JSON.
doctor ftb_text -d 5 -- nl-firsttouch-bug --seconds 10
doctor ftb --json -d 5 -- nl-firsttouch-bug --seconds 10
# The same workload placed well: init and worker both on node 1.
doctor ftb_local --json -d 5 -- nl-firsttouch-bug --init-node 1 --worker-node 1 --seconds 10
# numactl --cpunodebind=0 --membind=1, and the correct bind.
held bind01 --json -d 2 -- bind --cpu-node 0 --mem-node 1
held bind00 --json -d 2 -- bind --cpu-node 0 --mem-node 0
# A latency-sensitive process reading interleaved memory, and one reading local memory
# (both stream for 8 s, within which doctor's 2 s window falls).
held il_lat --json --latency-sensitive -d 2 -- interleave --nodes 0-1 --cpu-node 0 --seconds 8
held local_lat --json --latency-sensitive -d 2 -- bind --cpu-node 0 --mem-node 0 --seconds 8
# Memory first-touched on node 0, then read by a process that moves between node 0's
# and node 1's CPUs every 100 ms.
held hopping --json -d 2 -- local --cpu-node 0 --hop-node 1 --hop-ms 100 --seconds 8
# numa_miss: node 0 filled up to its last 16 MiB by a bound buffer, then a 96 MiB
# first-touch allocation from node 0 spills onto node 1.
free0=$(awk '/MemFree/ { print int($4 / 1024) }' /sys/devices/system/node/node0/meminfo)
echo "hog: memfree0_mib: $free0"
nl-place bind --cpu-node 0 --mem-node 0 --mib $((free0 - 16)) --pause > /tmp/hog.cmd 2>&1 &
hog=$!
wait_line /tmp/hog.cmd '^nl-place: pid=' "$hog"
sed "s/^/hog: cmd: /" /tmp/hog.cmd
doctor spill --json -d 4 -- nl-place local --cpu-node 0 --mib 96 --seconds 6
kill "$hog"
wait "$hog" 2> /dev/null
# Huge pages. A system-wide reservation (vm.nr_hugepages) the kernel deals out over both
# nodes, with a well-placed process; then 2 MiB pages reserved on node 1 only, used by a
# process running on node 0 (bound there) and by one running on node 1.
hp_pools() { echo "$1: pools: $(cat /sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages) $(cat /sys/devices/system/node/node1/hugepages/hugepages-2048kB/nr_hugepages)"; }
echo 32 > /proc/sys/vm/nr_hugepages
hp_pools hp_sys
doctor hp_sys --json -d 2 -- nl-place bind --cpu-node 0 --mem-node 0 --mib 16 --seconds 1
echo 0 > /proc/sys/vm/nr_hugepages
echo 16 > /sys/devices/system/node/node1/hugepages/hugepages-2048kB/nr_hugepages
hp_pools hp_remote
held_maps=1
held hp_remote --json -d 2 -- bind --cpu-node 0 --mem-node 1 --mib 16 --hugetlb
held hp_local --json -d 2 -- bind --cpu-node 1 --mem-node 1 --mib 16 --hugetlb
held_maps=
echo 0 > /sys/devices/system/node/node1/hugepages/hugepages-2048kB/nr_hugepages
hp_pools hp_after
# AutoNUMA on, fast scanning, for a latency-sensitive process and for one that is not.
echo 1 > /proc/sys/kernel/numa_balancing
echo 16 > /sys/kernel/debug/sched/numa_balancing/scan_size_mb 2> /dev/null
doctor an_lat --json --latency-sensitive -d 5 -- nl-firsttouch-bug --seconds 10
doctor an_plain --json -d 5 -- nl-firsttouch-bug --init-node 1 --worker-node 1 --seconds 10
# requests: AutoNUMA scanning fast enough to act within the window
echo 100 > /sys/kernel/debug/sched/numa_balancing/scan_delay_ms 2> /dev/null
echo 100 > /sys/kernel/debug/sched/numa_balancing/scan_period_min_ms 2> /dev/null
doctor an_rq --json -d 6 --request nl-server:nl_request -- nl-server --mode ftbug --threads 1 --mb 64 --duration 10
echo 0 > /proc/sys/kernel/numa_balancing
exit 0
