#!/usr/bin/env bash
# Host tier: the BPF collector (user/collect.c + bpf/access.bpf.c) loads on this kernel
# and counts what the workloads do, against ground truth the kernel gives
# (getrusage minflt, /proc/PID/numa_maps) and what the workloads do by construction.
# One NUMA node here: everything must be node 0 and nothing remote.
source "$(dirname "$0")/../lib.sh"
PROBE=$ROOT/build/tests/host/collect_probe
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

if [ "$(id -u)" -ne 0 ]; then
  not_ok "collect: needs root"
  finish
fi

val() { sed -n "s/^$1=//p" "$2" | head -1; }
# within A B PCT: |A - B| <= PCT% of B
within() { awk -v a="$1" -v b="$2" -v p="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(b > 0 && d <= b * p / 100) }'; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }

nl_prog_ids() { bpftool prog show -j 2>/dev/null | jq -r '.[] | select(.name | test("^nl_")) | .id' | sort -n; }

# 1. 64 MiB first-touched locally: 16384 pages, one fault each (4 KiB pages).
before=$(nl_prog_ids)
"$PROBE" -s -k 2 -- "$WORKLOADS/nl-place" local --cpu-node 0 --mib 64 --seconds 1 --pause \
  > "$OUT/place" 2> "$OUT/place.err" &
probe=$!
sleep 1
during=$(nl_prog_ids)
wait "$probe"; rc=$?
check "probe around nl-place exits 0" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || diag < "$OUT/place.err"
diag < "$OUT/place"
pages=16384
faults=$(val faults "$OUT/place"); ft=$(val first_touch "$OUT/place")
check "faults ($faults) within 2% of the $pages pages touched" within "${faults:-0}" $pages 2
check "every classified fault is [0][0]" [ "$(val 'faults\[0\]\[0\]' "$OUT/place")" = "$faults" ]
check "first_touch ($ft) within 2% of $pages pages" within "${ft:-0}" $pages 2
check "first_touch[0] is all of it" [ "$(val 'first_touch\[0\]' "$OUT/place")" = "$ft" ]
check "remote_ratio is 0" [ "$(val remote_ratio "$OUT/place")" = "0.0000" ]
res=$(val 'resident\[0\]' "$OUT/place")
check "first_touch ($ft) within 3% of numa_maps resident pages (${res:-none})" within "${ft:-0}" "${res:-0}" 3
check "cpu_ns on node 0 > 0.2 s (1 s of streaming)" ge "$(val 'cpu_ns\[0\]' "$OUT/place")" 200000000
check "lost events 0" [ "$(val lost "$OUT/place")" = 0 ]
check "first-touch stack names main()" grep -Eq '^stack=main\+' "$OUT/place"
check "stack's page estimate within 5% of $pages" within "$(val stack_pages "$OUT/place")" $pages 5
check "sources say faults on" grep -q '^source.faults=on' "$OUT/place"

# 2. The programs and links are gone after close.
ours=$(comm -13 <(echo "$before") <(echo "$during"))
check "programs were loaded during the run" [ -n "$ours" ]
after=$(nl_prog_ids)
left=$(comm -12 <(echo "$ours") <(echo "$after"))
check "no program of the run is left after close" [ -z "$left" ]
links_left=$(bpftool link show -j 2>/dev/null | jq -r '.[].prog_id' | grep -Fxf <(echo "$ours") || true)
check "no link of the run is left after close" [ -z "$links_left" ]

# 3. Thread churn: 5000 short threads, 4 pages each. Every exit is folded (no map
#    exhaustion with a 16384-entry exited map drained every 0.2 s), nothing lost.
"$PROBE" -- "$WORKLOADS/nl-threadchurn" -n 5000 -k 8 -p 4 > "$OUT/churn" 2> "$OUT/churn.err"
rc=$?
check "probe around 5000-thread churn exits 0" [ "$rc" -eq 0 ]
diag < "$OUT/churn"
minflt=$(sed -n 's/.*minflt=\([0-9]*\).*/\1/p' "$OUT/churn")
faults=$(val faults "$OUT/churn")
check "churn: faults ($faults) within 1% of getrusage minflt (${minflt:-none})" within "${faults:-0}" "${minflt:-0}" 1
# 5000 workers and the main thread, each once (a thread may fill two intervals' rows)
n=$(val exited_threads "$OUT/churn")
check "churn: all 5001 threads reported exited ($n)" [ "${n:-0}" -eq 5001 ]
check "churn: lost events 0" [ "$(val lost "$OUT/churn")" = 0 ]

# 4. A tiny exited map (64) under the same churn: overflow is folded into the
#    process, still counted (faults match), lost stays 0. The access collector alone
#    (-A): AutoNUMA's per-thread map, sized alike, would count its own drops as lost.
"$PROBE" -A -T 64 -i 1 -- "$WORKLOADS/nl-threadchurn" -n 2000 -k 8 -p 4 > "$OUT/small" 2> "$OUT/small.err"
rc=$?
check "probe with a 64-entry exited map exits 0" [ "$rc" -eq 0 ]
diag < "$OUT/small"
minflt=$(sed -n 's/.*minflt=\([0-9]*\).*/\1/p' "$OUT/small")
check "small map: faults within 1% of minflt" within "$(val faults "$OUT/small")" "${minflt:-0}" 1
check "small map: lost events 0" [ "$(val lost "$OUT/small")" = 0 ]

# 5. The two ways of tying a fault to its page agree: the kernel's fault counter (one
#    program per fault, the default here) and tp_btf/page_fault_user (two, forced).
check "default: faults tied by the kernel's fault counter" grep -q '^source.faults=on .*min_flt+maj_flt' "$OUT/place"
NUMALENS_FAULT_TRACEPOINT=1 "$PROBE" -- "$WORKLOADS/nl-threadchurn" -n 2000 -k 8 -p 4 > "$OUT/tp" 2> "$OUT/tp.err"
rc=$?
check "tracepoint mode: probe exits 0" [ "$rc" -eq 0 ]
check "tracepoint mode: faults tied by tp_btf/page_fault_user" grep -q '^source.faults=on .*page_fault_user' "$OUT/tp"
minflt=$(sed -n 's/.*minflt=\([0-9]*\).*/\1/p' "$OUT/tp")
check "tracepoint mode: churn faults ($(val faults "$OUT/tp")) within 1% of minflt (${minflt:-none})" \
  within "$(val faults "$OUT/tp")" "${minflt:-0}" 1
check "tracepoint mode: all 2001 threads reported exited" [ "$(val exited_threads "$OUT/tp")" = 2001 ]

# 6. Exits handed over at task free (nl_free), as where the kernel skips nl_exit
#    (tracepoint programs preempted on 7.x, collect/prog_misses.h): forced for every
#    exit here, nothing may be lost.
NUMALENS_EXIT_AT_FREE=1 "$PROBE" -i 1 -- "$WORKLOADS/nl-threadchurn" -n 2000 -k 8 -p 4 > "$OUT/free" 2> "$OUT/free.err"
rc=$?
check "exits at free: probe exits 0" [ "$rc" -eq 0 ]
check "exits at free: the sources say so" grep -q '^source.sched=on .*exits seen at task free (forced by env)' "$OUT/free"
minflt=$(sed -n 's/.*minflt=\([0-9]*\).*/\1/p' "$OUT/free")
check "exits at free: churn faults ($(val faults "$OUT/free")) within 1% of minflt (${minflt:-none})" \
  within "$(val faults "$OUT/free")" "${minflt:-0}" 1
check "exits at free: all 2001 threads reported exited ($(val exited_threads "$OUT/free"))" [ "$(val exited_threads "$OUT/free")" = 2001 ]
check "exits at free: lost events 0" [ "$(val lost "$OUT/free")" = 0 ]

finish
