#!/usr/bin/env bash
# Host tier: following the processes a command forks (-- CMD follows them unless
# --no-children; -p PID --children), on this kernel (one node: only who is followed is
# judged here; the placement and migration figures of forked children are judged in a
# 2-node guest, tests/vm/children.sh). nl-faultstorm prints its own fault count
# (getrusage minflt), the ground truth for its process's faults.
source "$(dirname "$0")/../lib.sh"
OUT=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$OUT"' EXIT

if [ "$(id -u)" -ne 0 ]; then
  not_ok "children: needs root"
  finish
fi
STORM="$WORKLOADS/nl-faultstorm -t 1 -n 20000"

# storm_pid FILE: nl-faultstorm's pid from numalens's JSON (by comm), or 0
storm_pid() { grep '^{' "$1" | jq -r '.processes[]? | select(.comm == "nl-faultstorm") | .pid' | head -n 1; }
# faults FILE PID: PID's faults over every interval
faults() { grep '^{' "$1" | jq -s --argjson p "${2:-0}" '[.[].processes[]? | select(.pid == $p) | .faults[][]] | add // 0'; }
minflt() { sed -n 's/.*minflt=\([0-9]*\).*/\1/p' "$1" | head -n 1; }
within() { awk -v a="$1" -v b="$2" -v p="$3" 'BEGIN { if (a == "" || b == "" || b == 0) exit 1;
  m = a > b ? a : b; d = a > b ? a - b : b - a; exit !(d <= m * p / 100) }'; }

# ---- usage errors ----
check_status "top --children without -p: exit 2" 2 "$NUMALENS" top --children -d 1
check_output "top --children without -p: says what it is for" "is for -p PID" "$NUMALENS" top --children -d 1
check_status "top --no-children without a command: exit 2" 2 "$NUMALENS" top --no-children -p $$ -d 1
check_status "record --children without -p: exit 2" 2 "$NUMALENS" record -o "$OUT/x.nlt" --children -d 1
check_status "record --no-children without a command: exit 2" 2 "$NUMALENS" record -o "$OUT/x.nlt" --no-children -d 1
check_output "top -h explains --children" "--children" "$NUMALENS" top -h
check_output "record -h explains --no-children" "--no-children" "$NUMALENS" record -h

# ---- -- CMD: a forked child and a grandchild ----
"$NUMALENS" top --json -i 1 -- sh -c "$STORM > $OUT/cmd.txt; true" > "$OUT/fork.json" 2> "$OUT/fork.err"
check "fork: top exits 0" [ $? -eq 0 ]
p=$(storm_pid "$OUT/fork.json") f=$(faults "$OUT/fork.json" "$(storm_pid "$OUT/fork.json")")
check "fork: the forked nl-faultstorm (pid ${p:-none}) is followed, faults $f within 2% of its minflt $(minflt "$OUT/cmd.txt")" \
  within "$f" "$(minflt "$OUT/cmd.txt")" 2
jq_check "fork: the sched source says children are followed" \
  '[.sources.sched.via | test("processes forked by pid [0-9]+ followed too")] | all' <(grep '^{' "$OUT/fork.json" | head -n 1)

"$NUMALENS" top --json -i 1 -- sh -c "sh -c '$STORM > $OUT/cmd2.txt; true'; true" > "$OUT/grand.json" 2> "$OUT/grand.err"
f=$(faults "$OUT/grand.json" "$(storm_pid "$OUT/grand.json")")
check "grandchild: followed, faults $f within 2% of its minflt $(minflt "$OUT/cmd2.txt")" \
  within "$f" "$(minflt "$OUT/cmd2.txt")" 2

"$NUMALENS" top --json -i 1 --no-children -- sh -c "$STORM > /dev/null; true" > "$OUT/nofork.json" 2> "$OUT/nofork.err"
check "--no-children: top exits 0" [ $? -eq 0 ]
check "--no-children: nl-faultstorm is not followed" [ -z "$(storm_pid "$OUT/nofork.json")" ]

# ---- -p PID --children: a child that exists before numalens starts ----
# The child starts its storm once numalens has reported an interval (attached), not
# after a fixed sleep: a loaded machine can take seconds to attach.
sh -c "(while [ ! -e $OUT/go ]; do sleep 0.05; done; exec $STORM > $OUT/cmd3.txt) & wait" &
parent=$!
sleep 0.5
"$NUMALENS" top --json -i 1 -p "$parent" --children > "$OUT/pid.json" 2> "$OUT/pid.err" &
top_pid=$!
for _ in $(seq 600); do grep -q '^{' "$OUT/pid.json" 2>/dev/null && break; sleep 0.1; done
touch "$OUT/go"
wait "$top_pid"
check "-p --children: top exits 0 when the process ends" [ $? -eq 0 ]
f=$(faults "$OUT/pid.json" "$(storm_pid "$OUT/pid.json")")
check "-p --children: the child found in /proc is followed, faults $f within 2% of its minflt $(minflt "$OUT/cmd3.txt")" \
  within "$f" "$(minflt "$OUT/cmd3.txt")" 2
wait "$parent" 2>/dev/null

# ---- record: the children are in the trace ----
"$NUMALENS" record -q -o "$OUT/c.nlt" -- sh -c "$STORM > $OUT/cmd4.txt; true" > /dev/null 2> "$OUT/rec.err"
check "record: exits 0" [ $? -eq 0 ]
"$NUMALENS" report -i "$OUT/c.nlt" --json > "$OUT/rep.json" 2> "$OUT/rep.err"
f=$(faults "$OUT/rep.json" "$(storm_pid "$OUT/rep.json")")
check "record: the report has the forked child, faults $f within 2% of its minflt $(minflt "$OUT/cmd4.txt")" \
  within "$f" "$(minflt "$OUT/cmd4.txt")" 2

finish
