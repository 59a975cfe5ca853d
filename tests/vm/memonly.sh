#!/usr/bin/env bash
# VM tier: a memory-only node (no CPUs: how CXL or GPU memory shows up), in a 3-node
# guest whose node 2 is a QEMU `-numa node` without cpus (scripts/vmtest --memory-only 2),
# AutoNUMA off:
#   numalens topo --json: node 2 online with memory, cpus[2] == [] as the guest's sysfs
#     cpulist says, "memory_only" == [2]; the text names it and shows its CPUs as
#     "none (memory only)";
#   nl-place bind --cpu-node 0 --mem-node 2 under numalens top --json: the buffer's pages
#     (numa_maps N2=16384, the kernel's word) are counted with page node 2, faults[0][2]
#     within 2 %, resident_pages[2] as numa_maps says; node 2 never runs a thread: its row
#     of every matrix and its cpu_ns are 0 for every process and thread in every interval,
#     and nothing tells the user to run threads there (no "cpunodebind=2"): the
#     diagnosis says the pages are on a memory-only node by an explicit policy.
. "$(dirname "$0")/../lib.sh"
set -u

GUEST_LIB=$ROOT/tests/vm/guest/lib.sh
GUEST=$ROOT/tests/vm/guest/top.sh
PAGES=16384                # nl-place's default 64 MiB of 4 KiB pages
SLACK=$((PAGES * 2 / 100)) # 2 % of the buffer
for f in "$ROOT/build/static/numalens" "$WORKLOADS/nl-place"; do
	[ -x "$f" ] || { not_ok "prerequisite $f missing (make static workloads)"; finish; }
done
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# Runs in the guest (busybox sh): topo and sysfs facts, then tests/vm/guest/top.sh.
cat > "$TMP/memonly-guest" <<'EOF'
#!/bin/sh
. "$(dirname "$0")/lib.sh"
topo_facts
top.sh "$@"
EOF
chmod 755 "$TMP/memonly-guest"

out=$TMP/guest.out
if vm_boot "3 nodes, node 2 memory-only" "$out" --nodes 3 --memory-only 2 --mem-per-node 256 \
	--balancing 0 --add "$TMP/memonly-guest" --add "$GUEST" --add "$GUEST_LIB" -- memonly-guest \
	"bind02 place --json -i 1 -d 5 -- bind --cpu-node 0 --mem-node 2 --seconds 2"; then
	ok "guest ran"
else
	not_ok "guest ran"; tail -n 30 "$out.err" | diag; finish
fi

# ---- topo ----
topo=$TMP/topo.json
sed -n 's/^JSON //p' "$out" > "$topo"
echo "# guest cpulists: $(sed -n 's/^CPULIST //p' "$out" | paste -sd';' -)"
check "the guest's node 2 has no CPUs (sysfs cpulist empty)" grep -qx 'CPULIST 2 ' "$out"
jq_check "topo: nodes 0, 1, 2" '.nodes == [0,1,2]' "$topo"
jq_check "topo: cpus[2] is empty, nodes 0 and 1 have CPUs" \
	'(.cpus[2] == []) and (.cpus[0] | length) > 0 and (.cpus[1] | length) > 0' "$topo"
jq_check "topo: node 2 has most of its 256 MiB" '.memory[2].total_bytes > 128 * 1048576' "$topo"
jq_check "topo: memory_only == [2]" '.memory_only == [2]' "$topo"
check "topo text exited 0" grep -qx 'TEXTSTATUS 0' "$out"
check_output "topo text names node 2 memory-only" \
	'^TEXT memory-only nodes \(no CPUs: pages live there, threads run elsewhere\): 2$' cat "$out"
check_output "topo text: node 2's CPUs are 'none (memory only)'" '^TEXT 2 +none \(memory only\) ' cat "$out"

# ---- top: pages bound to node 2 from a thread on node 0 ----
fact() { sed -n "s/^$2: $3: //p" "$1" | head -n 1; }
j=$TMP/bind02.json
sed -n 's/^bind02: out: //p' "$out" | grep '^{' | jq -s . > "$j" 2> /dev/null || echo '[]' > "$j"
line=$(fact "$out" bind02 line)
pid=$(tr ' ' '\n' <<< "$line" | sed -n 's/^pid=//p')
buf=$(fact "$out" bind02 numa_maps_buf)
maps=$(fact "$out" bind02 numa_maps)
n2() { grep -oE "(^|[ ,])N2=[0-9]+" <<< "$1" | head -n 1 | sed 's/.*=//'; }
echo "# bind02: $line"
echo "# bind02: buffer's numa_maps: $(grep -oE 'N[0-9]+=[0-9]+' <<< "$buf" | paste -sd, -); process: $maps"
check "bind02: numalens top exited 0" [ "$(fact "$out" bind02 top_exit)" = 0 ]
check "bind02: the kernel put the buffer on node 2 (numa_maps N2=$(n2 "$buf"))" [ "$(n2 "$buf")" = $PAGES ]
P="def P: .processes[]? | select(.pid == ${pid:-0});"
jq_check "top's topology says node 2 is memory-only in every interval" \
	'length > 0 and all(.[]; .topology.memory_only == [2] and (.topology.cpus[2] | length) == 0)' "$j"
jq_check "bind02: intervals about pid ${pid:-?}, 3x3 matrices" \
	"$P length > 0 and any(.[]; [P] | length > 0) and all(.[] | P; (.faults | length) == 3 and all(.faults[]; length == 3))" "$j"
f02=$(jq -r "$P [.[] | P | .faults[0][2]] | add // 0" "$j")
echo "# bind02: faults[0][2] summed: $f02 (buffer $PAGES pages)"
check "bind02: faults[0][2] carries the buffer ($f02 of $PAGES, within $SLACK)" \
	awk -v a="$f02" -v b=$PAGES -v s=$SLACK 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= s) }'
res2=$(jq -r "$P [.[] | P | .resident_pages | select(. != null)] | last | .[2] // \"\"" "$j")
echo "# bind02: resident_pages[2] (last known) $res2; numa_maps N2 $(n2 "$maps")"
check "bind02: resident_pages[2] $res2 matches numa_maps N2 $(n2 "$maps") within $SLACK" \
	awk -v a="$res2" -v b="$(n2 "$maps")" -v s=$SLACK 'BEGIN { if (a == "" || b == "") exit 1; d = a - b; if (d < 0) d = -d; exit !(d <= s) }'
# Node 2 as a CPU node: nowhere, for any process or thread.
ROW2='def row2z: ((.faults // [])[2] // [] | all(. == 0)) and ((.hint_faults // [])[2] // [] | all(. == 0)) and (.cpu_ns[2] // 0) == 0;'
jq_check "node 2 never runs a thread: row 2 of faults and hint_faults and cpu_ns[2] are 0 everywhere" \
	"$ROW2 length > 0 and all(.[] | .processes[]?; row2z and all(.threads[]?; row2z))" "$j"
# The interval with the streaming (CPU time enough to judge placement) has the verdict.
note=$(jq -r "$P [.[] | P | .diagnosis_note // empty | select(test(\"memory-only\"))] | first // \"\"" "$j")
echo "# bind02: diagnosis_note: ${note:-none about a memory-only node; all: $(jq -c "$P [.[] | P | .diagnosis_note]" "$j")}"
check "bind02: some interval's diagnosis calls node 2 memory-only (pages remote by design)" \
	grep -q 'on node 2, a memory-only node (no CPUs), placed by an explicit memory policy' <<< "$note"
check_not_output "nothing says to run threads on node 2" 'cpunodebind=2' cat "$out"
finish
