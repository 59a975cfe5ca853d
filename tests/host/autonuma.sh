#!/usr/bin/env bash
# AutoNUMA module on this host (one NUMA node, no kprobes, fentry EPERM): it must load
# on the fallback path, say why the better paths are out, say AutoNUMA has nothing to
# do here, count nothing, agree with /proc/vmstat, and leave nothing attached.
source "$(dirname "$0")/../lib.sh"
PROBE=$ROOT/build/tests/host/autonuma_probe
out=$(mktemp); trap 'rm -f "$out"' EXIT

attached() { bpftool prog show 2>/dev/null | grep -Ec ' name an_' ; }
check "no AutoNUMA programs attached before" [ "$(attached)" -eq 0 ]

"$PROBE" --interval 0.5 -- "$WORKLOADS/nl-firsttouch-bug" --seconds 1 --worker-node 0 >"$out" 2>&1
check_status "probe runs a workload and exits 0" 0 grep -q '^cmd_status=0$' "$out"
check_output "auto path is the fallback here" '^path=fallback$' cat "$out"
check_output "says why fentry is out" '^path_why=.*fentry: ' cat "$out"
check_output "says why kprobe is out" '^path_why=.*kprobe: ' cat "$out"
check_output "says AutoNUMA has nothing to do on one node" '^state=AutoNUMA (off|inactive).*1 NUMA node' cat "$out"
check_output "hint-fault source names the fallback" '^source_hint_faults=active fallback' cat "$out"
check_output "scanner cost says not measured" '^source_numa_scan=inactive not measured' cat "$out"
check_output "target process reported" '^process pid=[0-9]+ comm=' cat "$out"
check_output "no hint faults" '^proc_hint_faults=0$' cat "$out"
check_output "no migrated pages" '^proc_migrated_pages=0$' cat "$out"
check_output "no NUMA task moves" '^proc_numa_task_moves=0 ' cat "$out"
check_output "vmstat agrees: no hint faults" '^vmstat_numa_hint_faults=0$' cat "$out"
check_output "vmstat agrees: no NUMA migrations" '^vmstat_numa_pages_migrated=0$' cat "$out"
if grep -q 'disagree=1' "$out"; then not_ok "no interval disagrees with vmstat"; grep disagree=1 "$out" | diag
else ok "no interval disagrees with vmstat"; fi
check_output "nothing lost" '^lost_events=0$' cat "$out"

# Attached while running, detached after close.
"$PROBE" --interval 2 --count 1 >"$out" 2>&1 &
pid=$!
# open=ok is printed once every program is attached (the probe opens the whole
# collector, as top does: a second or more under load)
for _ in $(seq 100); do grep -q '^open=' "$out" && break; sleep 0.1; done
n=$(attached)
wait "$pid"; rc=$?
check "programs attached while open ($n)" [ "$n" -gt 0 ]
check "probe without a command exits 0" [ "$rc" -eq 0 ]
# Programs are freed after an RCU grace period: give it a moment.
for _ in 1 2 3 4 5 6 7 8 9 10; do [ "$(attached)" -eq 0 ] && break; sleep 0.2; done
check "nothing left attached after close" [ "$(attached)" -eq 0 ]

# Forced paths this kernel cannot do fail loudly, with the reason, and leave nothing.
check_status "forced fentry fails here" 1 "$PROBE" --path fentry --count 1 --interval 0.1
check_output "forced fentry says why" '^error=AutoNUMA programs: fentry: ' "$PROBE" --path fentry --count 1 --interval 0.1
check_output "forced kprobe says why" '^error=AutoNUMA programs: kprobe: ' "$PROBE" --path kprobe --count 1 --interval 0.1
for _ in 1 2 3 4 5 6 7 8 9 10; do [ "$(attached)" -eq 0 ] && break; sleep 0.2; done
check "nothing left attached after failures" [ "$(attached)" -eq 0 ]
finish
