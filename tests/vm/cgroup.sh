#!/usr/bin/env bash
# top --cgroup in the 6.1 guest: the access programs filter on the current task's cgroup
# id, the AutoNUMA programs on the task's own default-hierarchy cgroup (CO-RE read of
# task->cgroups->dfl_cgrp->kn->id); only the cgroup's process may appear.
source "$(dirname "$0")/../lib.sh"
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

"$ROOT/scripts/vmtest" --nodes 2 --balancing 1 --add "$ROOT/tests/vm/guest/cgroup.sh" \
  -- sh /usr/local/bin/cgroup.sh > "$OUT/vm" 2>&1
rc=$?
check "guest run exits 0 ($rc)" [ "$rc" -eq 0 ]
grep -v '^{' "$OUT/vm" | diag
check_output "top --cgroup exits 0 in the guest" "^top_rc=0" cat "$OUT/vm"
inside=$(sed -n 's/^inside_pid=//p' "$OUT/vm")
outside=$(sed -n 's/^outside_pid=//p' "$OUT/vm")
grep '^{' "$OUT/vm" > "$OUT/json"
check "JSON lines were printed" [ -s "$OUT/json" ]
pids=$(jq -r '.processes[].pid' "$OUT/json" | sort -u | tr '\n' ' ')
echo "# pids reported: $pids (inside: $inside, outside: $outside)"
check "the cgroup's process is reported" grep -qw "${inside:-none}" <<< "$pids"
check "nothing outside the cgroup is reported" [ "$(echo $pids)" = "$inside" ]
f01=$(jq -s "[.[].processes[] | select(.pid == ${inside:-0}) | .faults[0][1]] | add // 0" "$OUT/json")
echo "# faults[0][1] of the bound process: $f01 (8192 pages of 32 MiB)"
check "its faults are counted: faults[0][1] $f01 >= 98% of 8192" [ "${f01:-0}" -ge 8028 ]
finish
