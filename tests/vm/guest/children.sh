#!/bin/sh
# Runs INSIDE a vmtest guest (busybox sh): numalens following a command's forked
# children (-- CMD) and a running process's (-p PID --children), printing what numalens
# and the kernel say as "NAME: KEY: VALUE" lines for tests/vm/children.sh to judge.
#   fork    -- sh that forks nl-place bind cpu 0 / mem 1, then nl-migrate move_pages
#           (2048 pages 0 -> 1); pgmigrate_success delta over the run
#   nofork  the same with --no-children
#   an      AutoNUMA on: -- sh that forks nl-firsttouch-bug; numa_pages_migrated delta
#   pid     -p PID --children of a shell whose child exists before numalens starts and
#           execs nl-place bind after numalens has attached
#   pidonly the same without --children
#   reuse   two nl-migrate runs (100 and 200 pages) on the same pid (ns_last_pid) in one
#           interval
#   forkserver  -- nl-forkserver: 3 forked workers on node 1 fill 16 MiB caches
#   stressng    -- stress-ng --numa (when the guest has it): its forked stressor's
#           migrations; pgmigrate_success delta over the run
. "$(dirname "$0")/lib.sh"

PLACE='nl-place bind --cpu-node 0 --mem-node 1 --mib 64 --seconds 1'

# report NAME: numalens's exit, stdout, stderr and the command's output, prefixed
report() {
	echo "$1: exit: $2"
	sed "s/^/$1: out: /" "/tmp/$1.out"
	sed "s/^/$1: err: /" "/tmp/$1.err"
	sed "s/^/$1: cmd: /" "/tmp/$1.cmd" 2>/dev/null
}

# started NAME TOPARGS...: top over a shell that forks the two workloads
started() {
	name=$1; shift
	m0=$(vmstat pgmigrate_success)
	numalens top --json -i 1 "$@" -- sh -c "$PLACE > /tmp/$name.cmd 2>&1; nl-migrate --mode move_pages --pages 2048 >> /tmp/$name.cmd 2>&1; true" \
		> "/tmp/$name.out" 2> "/tmp/$name.err"
	rc=$?
	echo "$name: vmstat_pgmigrate_success: $(( $(vmstat pgmigrate_success) - m0 ))"
	report "$name" $rc
}

# following NAME TOPARGS...: top -p over a shell whose child is forked before top starts
following() {
	name=$1; shift
	sh -c "(sleep 4; exec $PLACE > /tmp/$name.cmd 2>&1) & wait" &
	parent=$!
	sleep 1
	echo "$name: parent: $parent"
	numalens top --json -i 1 -p "$parent" "$@" > "/tmp/$name.out" 2> "/tmp/$name.err"
	report "$name" $?
}

started fork
started nofork --no-children

# reuse: nl-migrate moves 100 pages as pid X and exits, then the next pid is set to X
# (ns_last_pid, as CRIU restores pids) and nl-migrate moves 200 pages as pid X again,
# inside one interval: the two threads of tid X must keep their own counts.
numalens top --json -i 60 -- sh -c '
	nl-migrate --pages 100 > /tmp/reuse.cmd 2>&1 & x=$!; wait $x
	sleep 0.2
	echo $((x - 1)) > /proc/sys/kernel/ns_last_pid
	nl-migrate --pages 200 >> /tmp/reuse.cmd 2>&1 & y=$!; wait $y
	echo "reuse: pids $x $y" >> /tmp/reuse.cmd' > /tmp/reuse.out 2> /tmp/reuse.err
report reuse $?

# Programs the project did not write. nl-forkserver: a pre-forking server whose workers
# (on node 1) calloc+memset their caches; only the workers touch memory.
numalens top --json -i 1 -- nl-forkserver --workers 3 --worker-node 1 --mib 16 --requests 30 \
	> /tmp/forkserver.out 2> /tmp/forkserver.err
report forkserver $?
# stress-ng's NUMA stressor runs in a child that stress-ng forks and moves its pages
# between the nodes with mbind, migrate_pages and move_pages.
if command -v stress-ng > /dev/null; then
	m0=$(vmstat pgmigrate_success)
	numalens top --json -i 1 -- stress-ng --numa 1 -t 4 \
		> /tmp/stressng.out 2> /tmp/stressng.err
	rc=$?
	echo "stressng: vmstat_pgmigrate_success: $(( $(vmstat pgmigrate_success) - m0 ))"
	report stressng $rc
fi
following pid --children
following pidonly

echo 1 > /proc/sys/kernel/numa_balancing
f=/sys/kernel/debug/sched/numa_balancing/scan_size_mb
[ -e "$f" ] || f=/proc/sys/kernel/numa_balancing_scan_size_mb
echo 16 > "$f"
# one unmeasured run lets AutoNUMA settle what others left misplaced (tests/vm/top.sh)
nl-firsttouch-bug --seconds 4 > /dev/null 2>&1
m0=$(vmstat numa_pages_migrated)
numalens top --json -i 1 -- sh -c 'nl-firsttouch-bug --seconds 6 > /tmp/an.cmd 2>&1; true' \
	> /tmp/an.out 2> /tmp/an.err
rc=$?
echo "an: vmstat_numa_pages_migrated: $(( $(vmstat numa_pages_migrated) - m0 ))"
report an $rc
