#!/bin/sh
# Runs INSIDE a vmtest guest (busybox sh): faults that allocate no page, resolved by
# numalens to the node of the page they map, printing what numalens and the kernel say
# as "NAME: KEY: VALUE" lines for tests/vm/mapped.sh to judge.
#   huge    nl-place bind cpu 0 / mem 1 on 2 MiB hugetlb pool pages (the pool on node 1
#           only); the buffer VMA's numa_maps line while the buffer is held
#   mapfile nl-mapfile: the main thread on node 0 writes a 64 MiB file on /tmp (tmpfs),
#           a worker on node 1 maps it and reads every page; the file VMA's numa_maps
#   mftp    mapfile with NUMALENS_FAULT_TRACEPOINT=1 (the tracepoint fault mode)
. "$(dirname "$0")/lib.sh"

report() {
	echo "$1: exit: $2"
	sed "s/^/$1: out: /" "/tmp/$1.out"
	sed "s/^/$1: err: /" "/tmp/$1.err"
	sed "s/^/$1: cmd: /" "/tmp/$1.cmd" 2>/dev/null
}

POOL=/sys/devices/system/node/node1/hugepages/hugepages-2048kB/nr_hugepages
echo 40 > "$POOL"
echo "huge: pool_node1: $(cat "$POOL")"
# numalens and so the command on node 0's CPU from the start (taskset), so every page
# first touched on node 1 is the bound buffer's
taskset 1 numalens top --json -i 1 -d 8 --cmd-output /tmp/huge.cmd -- \
	nl-place bind --cpu-node 0 --mem-node 1 --mib 64 --hugetlb --pause \
	> /tmp/huge.out 2> /tmp/huge.err &
top=$!
wait_line /tmp/huge.cmd 'nl-place: pid=' "$top"
line=$(grep 'nl-place: pid=' /tmp/huge.cmd)
pid=$(field "$line" pid) addr=$(field "$line" addr)
sleep 3
echo "huge: numa_maps: $(vma_numa_maps "$pid" "${addr#0x}")"
wait "$top"
report huge $?
echo 0 > "$POOL"

# mapfile NAME [ENV=VALUE]: top over nl-mapfile, the file's numa_maps while held
mapfile() {
	name=$1; shift
	env "$@" numalens top --json -i 1 -d 8 --threads --cmd-output "/tmp/$name.cmd" -- \
		nl-mapfile --file "/tmp/$name.data" --writer-node 0 --reader-node 1 --mib 64 --pause \
		> "/tmp/$name.out" 2> "/tmp/$name.err" &
	top=$!
	wait_line "/tmp/$name.cmd" 'nl-mapfile: pid=' "$top"
	pid=$(field "$(grep 'nl-mapfile: pid=' "/tmp/$name.cmd")" pid)
	sleep 3
	echo "$name: numa_maps: $(grep "/tmp/$name.data" "/proc/$pid/numa_maps")"
	wait "$top"
	report "$name" $?
}

mapfile mapfile
mapfile mftp NUMALENS_FAULT_TRACEPOINT=1
