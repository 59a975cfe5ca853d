#!/usr/bin/env bash
# numalens topo on this host (compared with sysfs/procfs), on the fixture roots, and its
# error handling and exit codes.
. "$(dirname "$0")/../lib.sh"
set -u

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
FIX=$ROOT/tests/fixtures

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

# --- the real host ---
if "$NUMALENS" topo --json > "$TMP/host.json" 2> "$TMP/host.err"; then
	ok "topo --json exits 0"
else
	not_ok "topo --json exits 0"; diag < "$TMP/host.err"
fi
jq_check "topo --json is one valid JSON object" 'type == "object"' "$TMP/host.json"

online=$(cat /sys/devices/system/node/online)
jq_check "nodes = /sys/devices/system/node/online ($online)" ".nodes == $(cpulist_json "$online")" "$TMP/host.json"

cpus="[" dist="[" mem="[" sep=
for n in $(jq -r '.nodes[]' "$TMP/host.json"); do
	d=/sys/devices/system/node/node$n
	cpus+="$sep$(cpulist_json "$(cat "$d/cpulist")")"
	dist+="$sep[$(sed 's/^ *//; s/ *$//; s/  */,/g' "$d/distance")]"
	mem+="$sep$(awk '/MemTotal:/ { printf "%.0f", $4 * 1024 }' "$d/meminfo")"
	sep=,
done
cpus+="]" dist+="]" mem+="]"
jq_check "cpus = each node's cpulist" ".cpus == $cpus" "$TMP/host.json"
jq_check "distance = each node's distance row" ".distance == $dist" "$TMP/host.json"
jq_check "memory total = each node's MemTotal" "[.memory[].total_bytes] == $mem" "$TMP/host.json"
jq_check "memory free <= total" "all(.memory[]; .free_bytes <= .total_bytes)" "$TMP/host.json"

if [ -r /proc/sys/kernel/numa_balancing ]; then
	nb=$(cat /proc/sys/kernel/numa_balancing)
	jq_check "numa_balancing = /proc/sys/kernel/numa_balancing ($nb)" ".numa_balancing == $nb" "$TMP/host.json"
else
	jq_check "numa_balancing null without /proc/sys/kernel/numa_balancing" ".numa_balancing == null" "$TMP/host.json"
fi
possible=$(cpulist_json "$(cat /sys/devices/system/cpu/possible)")
jq_check "possible_cpus = count of /sys/devices/system/cpu/possible" ".possible_cpus == ($possible | length)" "$TMP/host.json"

# Devices: every listed one exists in sysfs with that class, and --all lists every PCI device.
"$NUMALENS" topo --json --all > "$TMP/all.json"
npci=$(find /sys/bus/pci/devices/ -mindepth 1 -maxdepth 1 | wc -l)
jq_check "--all lists all $npci PCI devices" "(.devices | length) == $npci" "$TMP/all.json"
bad=0
while read -r addr class_code node; do
	[ "$(cat "/sys/bus/pci/devices/$addr/class")" = "$class_code" ] || bad=1
	sysnode=$(cat "/sys/bus/pci/devices/$addr/numa_node")
	if [ "$node" = null ]; then [ "$sysnode" = -1 ] || bad=1; else [ "$sysnode" = "$node" ] || bad=1; fi
done < <(jq -r '.devices[] | "\(.address) \(.class_code) \(.node)"' "$TMP/all.json")
check "device class codes and nodes match sysfs" [ "$bad" = 0 ]

"$NUMALENS" topo --json --compact > "$TMP/compact.json"
check "--compact is one line" [ "$(wc -l < "$TMP/compact.json")" = 1 ]
# Free memory changes between runs; everything else must be identical.
volatile='del(.memory[].free_bytes, .hugepages[].pools[].free)'
check "--compact has the same content" \
	[ "$(jq -cS "$volatile" "$TMP/compact.json")" = "$(jq -cS "$volatile" "$TMP/host.json")" ]

check_output "text output has the node table" '^node +cpus +mem total +mem free' "$NUMALENS" topo
check_output "text output has the distance matrix" '^distance \(relative memory latency, 10 = local\):' "$NUMALENS" topo
check_output "text output has the AutoNUMA state" '^AutoNUMA \(kernel.numa_balancing\): ' "$NUMALENS" topo

# --- fixture roots through the real binary ---
"$NUMALENS" topo --root "$FIX/gpu-2socket" --json > "$TMP/gpu.json"
jq_check "gpu-2socket: 2 nodes, distance 21" '.nodes == [0,1] and .distance == [[10,21],[21,10]]' "$TMP/gpu.json"
jq_check "gpu-2socket: 48 CPUs split 24/24" '(.cpus | map(length)) == [24,24] and .cpus[1][0] == 24 and .possible_cpus == 48' "$TMP/gpu.json"
jq_check "gpu-2socket: 192 GiB per node" 'all(.memory[]; .total_bytes == 192 * 1073741824)' "$TMP/gpu.json"
jq_check "gpu-2socket: 2 GPUs on each node" '[.devices[] | select(.class == "gpu") | .node] == [0,0,1,1]' "$TMP/gpu.json"
jq_check "gpu-2socket: GPUs are NVIDIA on nvidia" 'all(.devices[] | select(.class == "gpu"); .vendor_name == "NVIDIA" and .driver == "nvidia")' "$TMP/gpu.json"
jq_check "gpu-2socket: Mellanox NIC on node 1 with its interface" '.devices[] | select(.class == "network") | .node == 1 and .netdevs == ["enp152s0f0np0"] and .vendor == "0x15b3"' "$TMP/gpu.json"
jq_check "gpu-2socket: NVMe on node 0" '.devices[] | select(.class == "nvme") | .node == 0 and .nvme == ["nvme0"]' "$TMP/gpu.json"
jq_check "gpu-2socket: 256 2 MiB pages on node 0" '.hugepages[0].pools[0] == {"page_bytes":2097152,"total":256,"free":192}' "$TMP/gpu.json"
jq_check "gpu-2socket: numa_balancing 1" '.numa_balancing == 1 and .numa_balancing_state == "normal"' "$TMP/gpu.json"

NUMALENS_SYSROOT=$FIX/server-4node "$NUMALENS" topo --json > "$TMP/srv.json"
jq_check "NUMALENS_SYSROOT: server-4node 2-hop distances" \
	'.distance == [[10,16,32,32],[16,10,32,32],[32,32,10,16],[32,32,16,10]]' "$TMP/srv.json"
NUMALENS_SYSROOT=/nonexistent "$NUMALENS" topo --root "$FIX/laptop" --json > "$TMP/laptop.json"
jq_check "--root wins over NUMALENS_SYSROOT; laptop devices have node null" \
	'.nodes == [0] and all(.devices[]; .node == null)' "$TMP/laptop.json"
check_output "gpu-2socket text: binding hint for node 1" 'numactl --cpunodebind=1 --membind=1' \
	"$NUMALENS" topo --root "$FIX/gpu-2socket"
check_output "gpu-2socket text: remote ≈2.1× local" 'remote access ≈2\.1× local' \
	"$NUMALENS" topo --root "$FIX/gpu-2socket"
check_output "nonuma text says CONFIG_NUMA=n" 'CONFIG_NUMA=n' "$NUMALENS" topo --root "$FIX/nonuma"

# --- errors and help ---
check_status "topo --bogus exits 2" 2 "$NUMALENS" topo --bogus
check_output "topo --bogus names the option" "unknown option.*--bogus" "$NUMALENS" topo --bogus
check_status "topo with a stray argument exits 2" 2 "$NUMALENS" topo stray
check_status "topo --root without a value exits 2" 2 "$NUMALENS" topo --root
check_status "numalens bogus exits 2" 2 "$NUMALENS" bogus
check_status "topo --root /nonexistent exits 1" 1 "$NUMALENS" topo --root /nonexistent
check_output "topo --root /nonexistent says why" '^numalens: topo: /nonexistent: No such file or directory$' \
	"$NUMALENS" topo --root /nonexistent
check_status "topo --root on a non-sysfs directory exits 1" 1 "$NUMALENS" topo --root "$TMP"
check_output "... and says it is not a sysfs tree" 'not a sysfs tree' "$NUMALENS" topo --root "$TMP"
check_status "numalens --version exits 0" 0 "$NUMALENS" --version
check_output "numalens --version prints the version" '^numalens .+' "$NUMALENS" --version
check_status "numalens help topo exits 0" 0 "$NUMALENS" help topo
check_output "numalens help topo prints usage" '^usage: numalens topo' "$NUMALENS" help topo
# --- 64 nodes: 60 sub-NUMA nodes in 4 sockets and 4 CXL memory-only nodes, generated ---
"$FIX/gen-nodes" "$TMP/n64" 64 4 4 2
"$NUMALENS" topo --root "$TMP/n64" --json > "$TMP/n64.json" 2> "$TMP/n64.err"
check "64 nodes: topo --json exits 0" [ $? -eq 0 ]
jq_check "64 nodes: nodes 0-63" '.nodes == [range(64)]' "$TMP/n64.json"
jq_check "64 nodes: memory_only [60,61,62,63]" '.memory_only == [60,61,62,63]' "$TMP/n64.json"
jq_check "64 nodes: a 64x64 distance matrix, 12 inside a socket, 21 across, 30 to CXL, 40 CXL to CXL" \
	'(.distance | length) == 64 and all(.distance[]; length == 64) and .distance[0][14] == 12 and
	 .distance[0][15] == 21 and .distance[59][60] == 30 and .distance[60][63] == 40 and
	 all(range(64) as $i | .distance[$i][$i]; . == 10)' "$TMP/n64.json"
jq_check "64 nodes: node 59's CPUs [118,119], the memory-only nodes' none" \
	'.cpus[59] == [118,119] and all(.cpus[60:][]; length == 0)' "$TMP/n64.json"
"$NUMALENS" topo --root "$TMP/n64" > "$TMP/n64.txt" 2>&1
check "64 nodes: topo text exits 0" [ $? -eq 0 ]
check "64 nodes: the text lists node 63 as memory only" grep -qE '^63 +none \(memory only\) +64\.0 GiB' "$TMP/n64.txt"
check "64 nodes: the distance table has a row for node 63 with 64 entries" \
	awk '$1 == 63 && NF == 65 { found = 1 } END { exit !found }' "$TMP/n64.txt"

check_status "numalens topo -h exits 0" 0 "$NUMALENS" topo -h
check_output "numalens topo -h prints usage" '^usage: numalens topo' "$NUMALENS" topo -h
check_output "numalens topo --help documents --root" '--root DIR' "$NUMALENS" topo --help

finish
