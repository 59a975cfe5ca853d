#!/usr/bin/env bash
# numalens topo inside real multi-node NUMA guests (scripts/vmtest): a 2-node guest with
# the default distances and a 4-node guest with an explicit 2-hop matrix. Each guest boots
# once and runs a script that prints `numalens topo --json` and the guest's own sysfs
# values; the host compares them, and compares the distances with what QEMU was given.
. "$(dirname "$0")/../lib.sh"
set -u

VMTEST=$ROOT/scripts/vmtest
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# Runs in the guest (busybox sh). One tagged line per fact, so kernel-free parsing is easy.
cat > "$TMP/topo-guest" <<'EOF'
#!/bin/sh
echo "JSON $(numalens topo --json --compact)"
echo "STATUS $?"
echo "ONLINE $(cat /sys/devices/system/node/online)"
for d in /sys/devices/system/node/node[0-9]*; do
	n=${d##*/node}
	echo "CPULIST $n $(cat $d/cpulist)"
	echo "DISTANCE $n $(cat $d/distance)"
	echo "MEMINFO $n $(grep -E 'MemTotal|MemFree' $d/meminfo | tr -s ' ' | cut -d' ' -f4 | tr '\n' ' ')"
done
echo "BALANCING $(cat /proc/sys/kernel/numa_balancing)"
numalens topo > /tmp/topo.txt 2>&1
echo "TEXTSTATUS $?"
sed 's/^/TEXT /' /tmp/topo.txt
EOF
chmod 755 "$TMP/topo-guest"

# "0-2,5" -> [0,1,2,5]
cpulist_json() {
	local parts r i out=()
	IFS=, read -ra parts <<<"$1"
	for r in "${parts[@]}"; do
		[ -z "$r" ] && continue
		if [[ $r == *-* ]]; then
			for ((i = ${r%-*}; i <= ${r#*-}; i++)); do out+=("$i"); done
		else
			out+=("$r")
		fi
	done
	(IFS=,; echo "[${out[*]}]")
}

# guest_check NAME NODES MEM_MIB WANT_DISTANCE_JSON VMTEST_ARGS...
guest_check() {
	local name=$1 nodes=$2 mem=$3 want=$4; shift 4
	local out=$TMP/$name.out json=$TMP/$name.json rc

	"$VMTEST" --nodes "$nodes" --mem-per-node "$mem" --add "$TMP/topo-guest" "$@" -- topo-guest > "$out" 2>&1
	rc=$?
	if [ "$rc" -ne 0 ]; then
		not_ok "$name: guest ran (vmtest exit $rc)"; tail -40 "$out" | diag
		return
	fi
	ok "$name: guest ran"
	sed -n 's/^JSON //p' "$out" > "$json"
	check "$name: numalens topo --json exited 0" grep -qx 'STATUS 0' "$out"
	jq_check "$name: one JSON object" 'type == "object"' "$json"

	local online cpus="[" dist="[" memt="[" memf="[" sep= n list row t f
	online=$(sed -n 's/^ONLINE //p' "$out")
	for n in $(jq -r '.nodes[]' "$json" 2>/dev/null); do
		list=$(sed -n "s/^CPULIST $n //p" "$out")
		row=$(sed -n "s/^DISTANCE $n //p" "$out" | sed 's/^ *//; s/ *$//; s/  */,/g')
		read -r t f <<<"$(sed -n "s/^MEMINFO $n //p" "$out")"
		cpus+="$sep$(cpulist_json "$list")" dist+="$sep[$row]"
		memt+="$sep$((t * 1024))" memf+="$sep$((f * 1024))"
		sep=,
	done
	cpus+="]" dist+="]" memt+="]" memf+="]"
	jq_check "$name: nodes = guest's node/online ($online)" ".nodes == $(cpulist_json "$online")" "$json"
	jq_check "$name: $nodes nodes" "(.nodes | length) == $nodes" "$json"
	jq_check "$name: cpus = guest's cpulists" ".cpus == $cpus" "$json"
	jq_check "$name: distance = guest's sysfs" ".distance == $dist" "$json"
	jq_check "$name: distance = the matrix given to QEMU" ".distance == $want" "$json"
	jq_check "$name: memory total = guest's MemTotal" "[.memory[].total_bytes] == $memt" "$json"
	# Free memory moves while the script runs; within 16 MiB of what sysfs said after.
	jq_check "$name: memory free ≈ guest's MemFree" \
		"[.memory[].free_bytes] as \$a | $memf as \$b | all(range(0; $nodes); (\$a[.] - \$b[.]) | fabs < 16777216)" "$json"
	jq_check "$name: each node has most of its ${mem} MiB" \
		"all(.memory[]; .total_bytes > $((mem * 1024 * 1024 / 2)) and .total_bytes <= $((mem * 1024 * 1024)))" "$json"
	local nb
	nb=$(sed -n 's/^BALANCING //p' "$out")
	jq_check "$name: numa_balancing = guest's /proc ($nb)" ".numa_balancing == ${nb:-null}" "$json"
	check "$name: text output exited 0" grep -qx 'TEXTSTATUS 0' "$out"
	check_output "$name: text says $nodes NUMA nodes" "^TEXT $nodes NUMA nodes" cat "$out"
}

if [ ! -x "$VMTEST" ]; then
	not_ok "scripts/vmtest is missing"
	finish
fi

# 2 nodes, vmtest's default distances (10 local, 21 remote), AutoNUMA forced on.
guest_check two-node 2 256 '[[10,21],[21,10]]' --balancing 1

# 4 nodes as two pairs (0-1 and 2-3 close, the pairs 2 hops apart), AutoNUMA off.
guest_check four-node 4 192 '[[10,21,31,31],[21,10,31,31],[31,31,10,21],[31,31,21,10]]' \
	--distance "10,21,31,31;21,10,31,31;31,31,10,21;31,31,21,10" --balancing 0 --cpus-per-node 2

finish
