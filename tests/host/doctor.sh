#!/usr/bin/env bash
# Host tier: `numalens doctor` on this one-node kernel:
#   system-wide, -p PID (a process filling 64 MiB), -G CGROUP and -- CMD: exit 0, JSON in the v1
#     contract with single_node (info) and nothing at warning level or above; the text
#     names single_node; nothing of doctor's stays attached afterwards
#   the fixture trees through --root (no privileges needed): the 4-node server's
#     system-wide huge page reservation, the GPU server silent, the laptop single_node
#   errors: a pid or cgroup that does not exist, an unreadable --root: exit 1; a bad option, a bad
#     duration, -p with a command, --root with -p: exit 2
source "$(dirname "$0")/../lib.sh"
OUT=$(mktemp -d)
bg= cg=
cleanup() {
  [ -n "$bg" ] && kill "$bg" 2>/dev/null && wait "$bg" 2>/dev/null
  [ -n "$cg" ] && rmdir "$cg" 2>/dev/null
  rm -rf "$OUT"
}
trap cleanup EXIT

if [ "$(id -u)" -ne 0 ]; then
  not_ok "doctor: needs root"
  finish
fi
FIX=$ROOT/tests/fixtures

# single_node_only NAME FILE: the JSON in FILE is v1, has single_node, nothing above info
single_node_only() {
  jq_check "$1: v1 JSON with single_node (info)" \
    '.version == 1 and ([.findings[] | select(.id == "single_node" and .severity == "info")] | length == 1)' "$2"
  jq_check "$1: no warning-level finding" '[.findings[] | select(.severity != "info")] | length == 0' "$2"
  jq_check "$1: every finding has id, severity, title, evidence, fix" \
    'all(.findings[]; (.id | type == "string") and (.severity | test("^(info|warning|critical)$")) and (.title | length > 0) and (.evidence | length > 0) and (.fix | length > 0))' "$2"
}

"$NUMALENS" doctor -d 2 --json > "$OUT/all.json" 2> "$OUT/all.err" &
dpid=$!
# its own programs, read from its fds while it runs (other numalens runs on this
# machine may load programs of the same names at the same time)
ours=
for _ in $(seq 40); do
  sleep 0.1
  ours=$(ids_of "$dpid" prog_id)
  [ -n "$ours" ] && break
done
wait "$dpid"
check "system-wide: exit 0" [ $? -eq 0 ]
single_node_only "system-wide" "$OUT/all.json"
check "system-wide: doctor held BPF programs while it ran" [ -n "$ours" ]
left=$(comm -12 <(echo "$ours" | sort -un) <(live_prog_ids))
check "system-wide: none of its programs is left after exit" [ -z "$left" ]

"$WORKLOADS/nl-place" local --cpu-node 0 --pause > "$OUT/place.out" 2>&1 &
bg=$!
for _ in $(seq 100); do grep -q '^nl-place: pid=' "$OUT/place.out" && break; sleep 0.1; done
"$NUMALENS" doctor -p "$bg" -d 1 --json > "$OUT/pid.json" 2> "$OUT/pid.err"
check "-p PID: exit 0" [ $? -eq 0 ]
single_node_only "-p PID" "$OUT/pid.json"
kill "$bg"; wait "$bg" 2>/dev/null; bg=

# -G: a cgroup v2 directory holding the same kind of process
unified=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
if [ -n "$unified" ] && mkdir "$unified/numalens-doctor-$$"; then
  cg=$unified/numalens-doctor-$$
  "$WORKLOADS/nl-place" local --cpu-node 0 --pause > "$OUT/cg.out" 2>&1 &
  bg=$!
  echo "$bg" > "$cg/cgroup.procs"
  "$NUMALENS" doctor -G "${cg#"$unified"/}" -d 1 --json > "$OUT/cg.json" 2> "$OUT/cg.err"
  check "-G CGROUP: exit 0" [ $? -eq 0 ]
  single_node_only "-G CGROUP" "$OUT/cg.json"
  kill "$bg"; wait "$bg" 2>/dev/null; bg=
  rmdir "$cg" && cg=
else
  not_ok "-G CGROUP: no cgroup2 hierarchy to make a directory in"
fi
check_status "-G with no such cgroup: exit 1" 1 "$NUMALENS" doctor -G numalens-no-such-cgroup -d 1

"$NUMALENS" doctor -d 1 -- "$WORKLOADS/nl-place" local --cpu-node 0 --seconds 3 > "$OUT/cmd.txt" 2> "$OUT/cmd.err"
check "-- CMD (text): exit 0" [ $? -eq 0 ]
check_output "-- CMD (text): names single_node as info" '^\[info\] single_node: one NUMA node' cat "$OUT/cmd.txt"
check_output "-- CMD (text): counts no warning" '^1 finding: 0 critical, 0 warning, 1 info$' cat "$OUT/cmd.txt"

# ---- fixture trees ----
"$NUMALENS" doctor --root "$FIX/server-4node" --json > "$OUT/s4.json"
check "--root server-4node: exit 0" [ $? -eq 0 ]
jq_check "--root server-4node: 1 GiB pages reserved system-wide, info" \
  '[.findings[] | select(.id == "hugepages_placement" and .severity == "info" and (.title | test("4 on each of 4 nodes")))] | length == 1' "$OUT/s4.json"
"$NUMALENS" doctor --root "$FIX/gpu-2socket" --json > "$OUT/g2.json"
jq_check "--root gpu-2socket: per-node pool, no finding" '.findings == []' "$OUT/g2.json"
"$NUMALENS" doctor --root "$FIX/laptop" --json > "$OUT/lap.json"
single_node_only "--root laptop" "$OUT/lap.json"

# ---- errors ----
check_status "no such pid: exit 1" 1 "$NUMALENS" doctor -p 999999999 -d 1
check_output "no such pid: says so" 'no such process' "$NUMALENS" doctor -p 999999999 -d 1
check_status "unreadable --root: exit 1" 1 "$NUMALENS" doctor --root /nonexistent
check_status "bad option: exit 2" 2 "$NUMALENS" doctor --bogus
check_status "bad duration: exit 2" 2 "$NUMALENS" doctor -d zero
check_status "-p with a command: exit 2" 2 "$NUMALENS" doctor -p 1 -- true
check_status "--root with -p: exit 2" 2 "$NUMALENS" doctor --root "$FIX/laptop" -p 1
check_status "--help: exit 0" 0 "$NUMALENS" doctor --help
finish
