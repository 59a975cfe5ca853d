#!/usr/bin/env bash
# numalens top --cgroup: only the tasks of one cgroup v2 directory are followed (the
# filter is set in both BPF objects before load); bad paths and conflicting filters fail.
source "$(dirname "$0")/../lib.sh"
OUT=$(mktemp -d)
cg=
cleanup() {
  [ -n "${storm:-}" ] && kill "$storm" 2>/dev/null
  wait 2>/dev/null
  [ -n "$cg" ] && rmdir "$cg" 2>/dev/null
  rm -rf "$OUT"
}
trap cleanup EXIT

if [ "$(id -u)" -ne 0 ]; then
  not_ok "top --cgroup: needs root"
  finish
fi
unified=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
if [ -z "$unified" ]; then
  not_ok "top --cgroup: no cgroup2 hierarchy mounted on this machine"
  finish
fi
cg="$unified/numalens-test-$$"
mkdir "$cg" || { not_ok "cannot create $cg"; cg=; finish; }

# A fault storm inside the cgroup, a second one outside it.
(echo "$BASHPID" > "$cg/cgroup.procs" && exec "$WORKLOADS/nl-faultstorm" -n 4000000 > /dev/null) &
storm=$!
"$WORKLOADS/nl-faultstorm" -n 2000000 > /dev/null &
outside=$!
sleep 0.3
# The kernel's count of the storm's faults around the run (field 10 of /proc/PID/stat,
# after the parenthesised comm): how fast it faults depends on the machine's load.
minflt() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $8 }'; }
flt0=$(minflt "$storm")
"$NUMALENS" top --cgroup "$cg" --json -d 4 > "$OUT/cg.json" 2> "$OUT/cg.err"
rc=$?
flt1=$(minflt "$storm")
kill "$outside" 2>/dev/null
check "--cgroup run exits 0" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || diag < "$OUT/cg.err"
pids=$(jq -r '.processes[].pid' "$OUT/cg.json" | sort -u | tr '\n' ' ')
echo "# pids reported: $pids (in the cgroup: $storm, outside: $outside)"
check "the cgroup's process is reported" grep -qw "$storm" <<< "$pids"
check "only the cgroup's process is reported" [ "$(echo $pids)" = "$storm" ]
faults=$(jq -s "[.[].processes[] | select(.pid == $storm) | .faults | flatten | add] | add // 0" "$OUT/cg.json")
kflt=$(( ${flt1:-0} - ${flt0:-0} ))
echo "# faults counted for $storm: $faults; the kernel's count over a span that includes the run: $kflt"
# numalens's window is the run minus attaching (under a second, of 4 s): at least a
# quarter of the kernel's count, never more than it
check "its faults are counted ($faults: between 25% and 100% of the kernel's $kflt)" \
  awk -v f="${faults:-0}" -v k="$kflt" 'BEGIN { exit !(k > 0 && f >= k / 4 && f <= k) }'

# Relative paths resolve under the unified hierarchy.
check_status "a relative cgroup path works" 0 "$NUMALENS" top --cgroup "$(basename "$cg")" --json -d 1
check_status "a missing cgroup exits 1" 1 "$NUMALENS" top --cgroup /nonexistent-cgroup --json -d 1
check_output "a missing cgroup is named" "nonexistent-cgroup: No such file" \
  "$NUMALENS" top --cgroup /nonexistent-cgroup --json -d 1
check_output "a directory that is not cgroup v2 is refused" "not a cgroup v2 directory" \
  "$NUMALENS" top --cgroup /tmp --json -d 1
check_status "--cgroup with -p is a usage error" 2 "$NUMALENS" top --cgroup "$cg" -p 1 --json -d 1
check_status "--cgroup with a command is a usage error" 2 "$NUMALENS" top --cgroup "$cg" --json -d 1 -- true
finish
