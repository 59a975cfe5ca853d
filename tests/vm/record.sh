#!/usr/bin/env bash
# VM tier: the round trip. Traces are recorded in a 2-node guest (its 6.1 kernel, its
# topology), copied out as base64 on the console, and reported and exported HERE, on
# this one-node host with its own kernel. The report must show the guest's machine and
# agree with the guest kernel's own account, as the live tests require of top:
#   rbind  `record -- nl-place bind cpu 0 / mem 1`: faults[0][1] within 2 % of the
#          16384 pages, resident pages vs the guest's numa_maps totals and first
#          touches vs the buffer's numa_maps line within 2 % of the buffer per node;
#   rftb   `record -- nl-firsttouch-bug`, AutoNUMA off: the post-mortem report diagnoses
#          the first-touch bug (memory node 0, CPU node 1) and names init_weights;
#   tftb   `top --json --record` of the same: the host's report equals the guest's live
#          JSON (faults, first touches, CPU time; one collector, two consumers);
#   ran    `record`, AutoNUMA on: migrated[0][1] and hint faults within 2 % of the
#          guest's /proc/vmstat deltas, under numa_misplaced (the guest kernel's name),
#          with migrate_pages slices on the worker in the Chrome export.
source "$(dirname "$0")/../lib.sh"
set -u

GUEST=$ROOT/tests/vm/guest/top.sh
GUEST_LIB=$ROOT/tests/vm/guest/lib.sh
PAGES=16384
SLACK=$((PAGES * 2 / 100))

for f in "$ROOT/build/static/numalens" "$WORKLOADS/nl-place" "$WORKLOADS/nl-firsttouch-bug"; do
	if [ ! -x "$f" ]; then
		not_ok "prerequisite $f missing (make static workloads)"
		finish
	fi
done
OUT=$(mktemp -d "${TMPDIR:-/tmp}/numalens-vm-record.XXXXXX")
# NUMALENS_KEEP=1 keeps the traces and reports for a look afterwards
[ -n "${NUMALENS_KEEP:-}" ] && echo "# keeping $OUT" || trap 'rm -rf "$OUT"' EXIT

fact() { sed -n "s/^$2: $3: //p" "$1" | head -n 1; }
kv() { tr ' ' '\n' <<< "$1" | sed -n "s/^$2=//p"; }
node_pages() { local v; v=$(grep -oE "(^|[ ,])N$2=[0-9]+" <<< "$1" | head -n 1 | sed 's/.*=//'); echo "${v:-0}"; }
within() { awk -v a="$1" -v b="$2" -v p="$3" 'BEGIN { if (a == "" || b == "") exit 1;
  m = a > b ? a : b; d = a > b ? a - b : b - a; exit !(d <= m * p / 100) }'; }
near() { awk -v a="$1" -v b="$2" -v s="$3" 'BEGIN { if (a == "" || b == "") exit 1;
  d = a > b ? a - b : b - a; exit !(d <= s) }'; }
# trace NAME: the guest's file NAME, decoded here
trace() { sed -n "s/^$1_b64: b64: //p" "$out" | base64 -d > "$OUT/$1.nlt" 2>/dev/null; echo "$OUT/$1.nlt"; }
# report NAME ARGS...: numalens report of the decoded trace, JSON in $OUT/NAME.rep.json
report() {
	local name=$1; shift
	"$NUMALENS" report -i "$OUT/$name.nlt" "$@" > "$OUT/$name.rep.json" 2> "$OUT/$name.rep.err"
}

out=$OUT/guest
runs=(
	"rbind rec_place -o /tmp/rbind.nlt --interval-ms 200 -d 4 -- bind --cpu-node 0 --mem-node 1 --seconds 1"
	"rbind_b64 b64 /tmp/rbind.nlt"
	"rftb rec_run -o /tmp/rftb.nlt --interval-ms 200 -d 10 -- nl-firsttouch-bug --seconds 6"
	"rftb_b64 b64 /tmp/rftb.nlt"
	"tftb run --json -i 1 -d 8 --record /tmp/tftb.nlt --record-interval-ms 200 -- nl-firsttouch-bug --seconds 4"
	"tftb_b64 b64 /tmp/tftb.nlt"
	"bal1 set /proc/sys/kernel/numa_balancing 1"
	"scan set /sys/kernel/debug/sched/numa_balancing/scan_size_mb 16"
	"settle run --json -i 1 -d 8 -- nl-firsttouch-bug --seconds 4"
	"ran rec_run -o /tmp/ran.nlt --interval-ms 200 -d 12 -- nl-firsttouch-bug --seconds 6"
	"ran_b64 b64 /tmp/ran.nlt"
	"uname cat /proc/sys/kernel/osrelease"
)
vm_boot "2 nodes" "$out" --nodes 2 --balancing 0 --timeout 300 --add "$GUEST" --add "$GUEST_LIB" \
	-- /usr/local/bin/top.sh "${runs[@]}"
rc=$?
if [ "$rc" -eq 0 ]; then ok "2-node guest ran"; else
	not_ok "2-node guest exit $rc"
	{ grep -m1 -A40 -E 'BUG:|Kernel panic|Oops' "$out.err" || tail -n 30 "$out.err"; } | diag
fi
guest_kernel=$(fact "$out" uname value)

# ---- every trace: written in the guest, read here ----
for name in rbind rftb tftb ran; do
	f=$(trace $name)
	st=$(fact "$out" $name top_exit)
	check "$name: the guest's numalens exited 0 ($st)" [ "$st" = 0 ]
	[ "$st" = 0 ] || grep "^$name: err: " "$out" | head -10 | diag
	check "$name: the trace came out of the guest ($(stat -c %s "$f" 2>/dev/null) bytes)" [ -s "$f" ]
	report $name --json
	rc=$?
	check "$name: reports here (exit $rc)" [ "$rc" -eq 0 ]
	[ "$rc" -eq 0 ] || diag < "$OUT/$name.rep.err"
	jq_check "$name: the report shows the guest (2 nodes, its distances, its kernel $guest_kernel), not this host" \
		".topology.nodes == [0,1] and .topology.distance == [[10,21],[21,10]] and
		 .recording.kernel_release == \"$guest_kernel\" and .recording.truncated == false" "$OUT/$name.rep.json"
done
[ "$guest_kernel" != "$(uname -r)" ] && ok "the guest's kernel ($guest_kernel) is not this host's ($(uname -r))" ||
	not_ok "guest and host kernels are the same: the round trip proves nothing about names"

# ---- rbind: placement against the guest's numa_maps ----
j=$OUT/rbind.rep.json
line=$(fact "$out" rbind line)
pid=$(kv "$line" pid)
maps=$(fact "$out" rbind numa_maps)
buf=$(fact "$out" rbind numa_maps_buf)
P=".processes[] | select(.pid == ${pid:-0})"
f01=$(jq "$P | .faults[0][1]" "$j")
res=$(jq -r "$P | .resident_pages | map(tostring) | join(\" \")" "$j")
ft=$(jq -r "$P | .first_touch_pages | map(tostring) | join(\" \")" "$j")
echo "# rbind: faults[0][1] $f01; resident [$res] vs numa_maps $maps; first touch [$ft] vs buffer $(grep -oE 'N[0-9]+=[0-9]+' <<< "$buf" | paste -sd, -)"
check "rbind: faults[0][1] carries the buffer ($f01 of $PAGES)" near "$f01" $PAGES $SLACK
read -r -a resv <<< "$res"; read -r -a ftv <<< "$ft"
for k in 0 1; do
	check "rbind: resident pages on node $k (${resv[k]:-?}) match the guest's numa_maps ($(node_pages "$maps" $k))" \
		near "${resv[k]:-}" "$(node_pages "$maps" $k)" $SLACK
	check "rbind: first touches on node $k (${ftv[k]:-?}) match the buffer's numa_maps ($(node_pages "$buf" $k))" \
		near "${ftv[k]:-}" "$(node_pages "$buf" $k)" $SLACK
done
jq_check "rbind: no events lost" '.lost_events == 0' "$j"

# ---- rftb: the post-mortem diagnosis ----
j=$OUT/rftb.rep.json
pid=$(kv "$(fact "$out" rftb cmd)" pid)
echo "# rftb: diagnosis $(jq -c ".processes[] | select(.pid == ${pid:-0}) | .diagnosis | {kind, mem_node, cpu_node, init_tid}" "$j")"
jq_check "rftb: the report diagnoses the first-touch bug (pages on node 0, CPU on node 1)" \
	".processes[] | select(.pid == ${pid:-0}) | .diagnosis.kind == \"first_touch_bug\" and .diagnosis.mem_node == 0 and .diagnosis.cpu_node == 1" "$j"
jq_check "rftb: the initializer's stack names init_weights, with build-id and file offset" \
	"[.processes[] | select(.pid == ${pid:-0}) | .threads[].first_touch_stack[]? |
	  select((.symbol // \"\") | startswith(\"init_weights\")) | select(.build_id != null and .file_offset != null)] | length > 0" "$j"
"$NUMALENS" report -i "$OUT/rftb.nlt" > "$OUT/rftb.txt" 2>&1
check_output "rftb: the table shows the diagnosis" 'DIAGNOSIS' cat "$OUT/rftb.txt"
check_output "rftb: the table names init_weights" 'init_weights' cat "$OUT/rftb.txt"
"$NUMALENS" export -i "$OUT/rftb.nlt" --format folded > "$OUT/rftb.folded" 2>&1
check_output "rftb: folded stacks through main and init_weights" '^[^;]+;.*main;init_weights [0-9]+$' cat "$OUT/rftb.folded"

# ---- tftb: the guest's live JSON and the report of its trace agree ----
sed -n 's/^tftb: out: //p' "$out" | grep '^{' | jq -s . > "$OUT/tftb.live.json"
pid=$(kv "$(fact "$out" tftb cmd)" pid)
T='{faults: ([.faults[][]] | add), unresolved: .faults_unresolved, first_touch: ([.first_touch_pages[]] | add), cpu_ns: .cpu_ns}'
live=$(jq -c "[.[].processes[] | select(.pid == ${pid:-0}) | $T] |
	{faults: (map(.faults) | add), unresolved: (map(.unresolved) | add), first_touch: (map(.first_touch) | add),
	 cpu_ns: (map(.cpu_ns) | transpose | map(add))}" "$OUT/tftb.live.json")
rep=$(jq -c ".processes[] | select(.pid == ${pid:-0}) | $T" "$OUT/tftb.rep.json")
echo "# tftb: live $live"
echo "# tftb: report $rep"
check "tftb: the host's report equals the guest's live top --json (faults, first touch, CPU time per node)" eval '[ -n "$live" ] && [ "$live" = "$rep" ]'

# ---- ran: AutoNUMA against the guest's /proc/vmstat ----
j=$OUT/ran.rep.json
pid=$(kv "$(fact "$out" ran cmd)" pid)
vm_mig=$(fact "$out" ran vmstat_numa_pages_migrated)
vm_hint=$(fact "$out" ran vmstat_numa_hint_faults)
P=".processes[] | select(.pid == ${pid:-0})"
m01=$(jq "$P | .migrated_pages[0][1]" "$j")
hint=$(jq "$P | [.hint_faults[][]] | add" "$j")
mis=$(jq "$P | .migrations_by_reason.numa_misplaced.pages // 0" "$j")
echo "# ran: migrated[0][1] $m01 (numa_misplaced $mis), vmstat numa_pages_migrated $vm_mig; hint faults $hint, vmstat $vm_hint"
check "ran: pages migrated at all (vmstat $vm_mig >= 8000)" [ "${vm_mig:-0}" -ge 8000 ]
# The trace follows the workload; the guest's vmstat counts every process, numalens's
# own pages included (its trace buffers and zstd context, first touched on one node and
# used from both), and AutoNUMA need not have moved the whole buffer by the end (a
# loaded host's run moved 16069 of its 16384 pages). So: the workload's moves within 2 %
# of vmstat's and no more than its buffer, and the trace's system-wide BPF totals
# against vmstat.
bpf_mig=$(jq '.vmstat_check.bpf_pages_migrated' "$j")
bpf_hint=$(jq '.vmstat_check.bpf_hint_faults' "$j")
echo "# ran: system-wide in the trace: pages migrated $bpf_mig, hint faults $bpf_hint"
check "ran: migrated[0][1] $m01 within 2% of the guest's numa_pages_migrated $vm_mig, at most the buffer's $PAGES pages" eval 'within "$m01" "$vm_mig" 2 && [ "${m01:-0}" -le $((PAGES + SLACK)) ]'
check "ran: the trace's system-wide migrations $bpf_mig within 2% of the guest's vmstat $vm_mig" \
	within "$bpf_mig" "$vm_mig" 2
check "ran: the trace's system-wide hint faults $bpf_hint within 2% of the guest's vmstat $vm_hint" \
	within "$bpf_hint" "$vm_hint" 2
check "ran: the workload's hint faults $hint are most of the system's ($bpf_hint)" \
	awk -v a="$hint" -v b="$bpf_hint" 'BEGIN { exit !(a > 0 && a <= b && a >= 0.9 * b) }' 
check "ran: the migrations are under numa_misplaced, the guest kernel's name ($mis)" within "$mis" "$m01" 2
jq_check "ran: no events lost" '.lost_events == 0' "$j"
"$NUMALENS" report -i "$OUT/ran.nlt" --timeline > "$OUT/ran.tl" 2>&1
mig_rows=$(awk 'NR > 1 && $7 > 0' "$OUT/ran.tl" | wc -l)
check "ran: the timeline shows migrations spread over intervals ($mig_rows rows)" [ "$mig_rows" -ge 3 ]
"$NUMALENS" export -i "$OUT/ran.nlt" --format chrome -o "$OUT/ran.chrome.json" 2> "$OUT/ran.exp.err"
slices=$(jq "[.traceEvents[] | select(.ph == \"X\" and .name == \"migrate_pages (numa_misplaced)\" and .pid == ${pid:-0})] | length" "$OUT/ran.chrome.json" 2>/dev/null)
pages=$(jq "[.traceEvents[] | select(.ph == \"X\" and .name == \"migrate_pages (numa_misplaced)\" and .pid == ${pid:-0}) | .args.pages] | add // 0" "$OUT/ran.chrome.json" 2>/dev/null)
echo "# ran: $slices migrate_pages slices in the Chrome export, $pages pages"
check "ran: the Chrome export has migrate_pages slices on the process's threads" [ "${slices:-0}" -gt 0 ]
check "ran: the event slices' pages ($pages) match the counters' numa_misplaced pages ($mis)" [ "${pages:-x}" = "$mis" ]
n01=$(jq "[.traceEvents[] | select(.ph == \"X\" and .name == \"migrate_pages (numa_misplaced)\" and .pid == ${pid:-0} and .args.pages > 0)
	| select(.args.from_node == 0 and .args.to_node == 1)] | length" "$OUT/ran.chrome.json" 2>/dev/null)
moved=$(jq "[.traceEvents[] | select(.ph == \"X\" and .name == \"migrate_pages (numa_misplaced)\" and .pid == ${pid:-0} and .args.pages > 0)] | length" "$OUT/ran.chrome.json" 2>/dev/null)
# Each numa_misplaced call moves one page (or THP) and its slice names the page's
# nodes: the slices saying 0 -> 1 are the counters' migrated[0][1], page for page. A
# few of the process's other pages move too (9 of 15226 in one run, 9 of 16048 in
# another): they are in numa_misplaced but not in [0][1], and their slices say so.
check "ran: the slices saying node 0 -> node 1 ($n01 of $moved) are the counters' migrated[0][1] ($m01)" \
	eval '[ "${moved:-0}" -gt 0 ] && [ "$n01" = "$m01" ]'
finish
