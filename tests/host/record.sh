#!/usr/bin/env bash
# Host tier: `numalens record`, `report` and `export` on this kernel.
#   errors: no -o, not root, no such pid, an unwritable file, a missing or garbage
#     trace, bad options: clear messages, exit 1 or 2, nothing left attached;
#   the file is mode 0600 and names this machine, its kernel and the target;
#   `top --json --record FILE`: the report of the file equals what top printed live
#     (one collector, two consumers at 1 s and 100 ms): faults, unresolved faults,
#     first touches, CPU time per node, threads;
#   the recording against the workload's own getrusage (minflt); thread birth, rename
#     (exec) and exit records;
#   crash safety: recordings SIGKILLed at random moments, and prefixes of a complete
#     file cut at random offsets, report the intervals of their complete chunks (the
#     full file's first ones, in order) and say the file was cut short; flipped bytes
#     give a clean error or a partial report, never a crash or a hang;
#   export: chrome JSON with the process and thread tracks, CSV with one row per
#     interval, folded stacks naming the workload's function;
#   rotation (--max-size) gives numbered files that each report on their own.
source "$(dirname "$0")/../lib.sh"
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
KILLS=${NUMALENS_RECORD_KILLS:-100}

if [ "$(id -u)" -ne 0 ]; then
  not_ok "record: needs root"
  finish
fi

# ---- 1. errors ----
check_status "record without -o: exit 2" 2 "$NUMALENS" record -d 1
check_output "record without -o: says -o is required" '-o FILE is required' "$NUMALENS" record -d 1
check_status "record not root: exit 1" 1 setpriv --reuid=65534 --regid=65534 --clear-groups \
  "$NUMALENS" record -o "$OUT/nobody.nlt" -d 1
check_status "record -p of no process: exit 1" 1 "$NUMALENS" record -o "$OUT/x.nlt" -p 999999999 -d 1
check_output "record -p of no process: says so" 'no such process' "$NUMALENS" record -o "$OUT/x.nlt" -p 999999999 -d 1
check_status "record into an unwritable path: exit 1" 1 "$NUMALENS" record -o /proc/no/such.nlt -d 1 -- true
check_output "record into an unwritable path: names the file" 'cannot write /proc/no/such.nlt' \
  "$NUMALENS" record -o /proc/no/such.nlt -d 1 -- true
check_status "record --interval-ms 5: exit 2" 2 "$NUMALENS" record -o "$OUT/x.nlt" --interval-ms 5
check_status "record --compress lz4: exit 2" 2 "$NUMALENS" record -o "$OUT/x.nlt" --compress lz4
check_status "report without -i: exit 2" 2 "$NUMALENS" report
check_status "report of a missing file: exit 1" 1 "$NUMALENS" report -i "$OUT/none.nlt"
head -c 5000 /dev/urandom > "$OUT/garbage"
check_status "report of a garbage file: exit 1" 1 "$NUMALENS" report -i "$OUT/garbage"
check_output "report of a garbage file: says it is not a trace" 'not a numalens trace|magic' \
  "$NUMALENS" report -i "$OUT/garbage"
: > "$OUT/empty"
check_status "report of an empty file: exit 1" 1 "$NUMALENS" report -i "$OUT/empty"
check_status "report --from 5 --to 2: exit 2" 2 "$NUMALENS" report -i "$OUT/garbage" --from 5 --to 2
check_status "export without --format: exit 2" 2 "$NUMALENS" export -i "$OUT/garbage"
check_status "export --format svg: exit 2" 2 "$NUMALENS" export -i "$OUT/garbage" --format svg
check_status "record --help: exit 0" 0 "$NUMALENS" record --help
check_status "report --help: exit 0" 0 "$NUMALENS" report --help
check_status "export --help: exit 0" 0 "$NUMALENS" export --help

# ---- 2. top and record on one collector agree ----
"$NUMALENS" top --json -i 0.5 --record "$OUT/live.nlt" -- "$WORKLOADS/nl-faultstorm" -t 2 -n 200000 \
  > "$OUT/live.out" 2> "$OUT/live.err"
rc=$?
check "top --record: exit 0 ($rc)" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || diag < "$OUT/live.err"
check "the trace file is mode 0600" [ "$(stat -c %a "$OUT/live.nlt")" = 600 ]
grep '^{' "$OUT/live.out" | jq -s . > "$OUT/live.json"
"$NUMALENS" report -i "$OUT/live.nlt" --json > "$OUT/rep.json" 2> "$OUT/rep.err"
rc=$?
check "report: exit 0 ($rc)" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || diag < "$OUT/rep.err"
totals='def T: {faults: ([.faults[][]] | add), unresolved: .faults_unresolved,
                 first_touch: ([.first_touch_pages[]] | add), cpu_ns: ([.cpu_ns[]] | add)};'
live=$(jq -c "$totals"' [.[].processes[] | select(.comm == "nl-faultstorm") | T] |
              {faults: (map(.faults) | add), unresolved: (map(.unresolved) | add),
               first_touch: (map(.first_touch) | add), cpu_ns: (map(.cpu_ns) | add)}' "$OUT/live.json")
rep=$(jq -c "$totals"' .processes[] | select(.comm == "nl-faultstorm") | T' "$OUT/rep.json")
echo "# top --json summed: $live"
echo "# report --json:     $rep"
check "report equals what top showed live (faults, unresolved, first touch, CPU time)" eval '[ -n "$live" ] && [ "$live" = "$rep" ]'
lt=$(jq '[.[].processes[] | select(.comm == "nl-faultstorm") | .threads[].tid] | unique | length' "$OUT/live.json")
rt=$(jq '[.processes[] | select(.comm == "nl-faultstorm") | .threads[].tid] | unique | length' "$OUT/rep.json")
check "report lists the threads top listed ($rt vs $lt)" eval '[ "$lt" -gt 0 ] && [ "$lt" = "$rt" ]'
minflt=$(sed -n 's/.* minflt=\([0-9]*\).*/\1/p' "$OUT/live.out")
f=$(jq '[.processes[] | select(.comm == "nl-faultstorm") | ([.faults[][]] | add) + .faults_unresolved] | add' "$OUT/rep.json")
echo "# recorded faults + unresolved $f, workload minflt $minflt"
check "recorded faults within 2% of the workload's minflt" \
  awk -v f="$f" -v m="${minflt:-0}" 'BEGIN { d = f - m; if (d < 0) d = -d; exit !(m > 0 && d <= 0.02 * m) }'
jq_check "the report names this machine and kernel" \
  ".recording.hostname == \"$(uname -n)\" and .recording.kernel_release == \"$(uname -r)\" and .recording.truncated == false" "$OUT/rep.json"
jq_check "the report carries the kernel's reason names and topology" \
  '(.topology.nodes | length) >= 1 and (.sources.faults.active == true)' "$OUT/rep.json"
"$NUMALENS" report -i "$OUT/live.nlt" > "$OUT/rep.txt" 2>&1
check_output "report (table) starts with the recording line" '^recording: .*live.nlt: recorded on' cat "$OUT/rep.txt"
check_output "report (table) shows the workload's row" '^[0-9]+ +nl-faultstorm ' cat "$OUT/rep.txt"
nint=$("$NUMALENS" report -i "$OUT/live.nlt" --timeline --json | wc -l)
check "report --timeline --json: one line per interval ($nint)" [ "$nint" -ge 5 ]
check_status "report -p of a pid not in the file: exit 1 (nothing to report)" 1 \
  "$NUMALENS" report -i "$OUT/live.nlt" -p 1 --timeline
check_output "report -p of a pid not in the file: says so" 'process 1 did nothing' \
  "$NUMALENS" report -i "$OUT/live.nlt" -p 1
check_status "report of a window past the end: exit 1" 1 "$NUMALENS" report -i "$OUT/live.nlt" --from 1000
check_output "report of a window past the end: says what the file holds" 'no interval .* ends between' \
  "$NUMALENS" report -i "$OUT/live.nlt" --from 1000

# thread records: a birth, a rename by exec, the exits
"$NUMALENS" record -q -o "$OUT/names.nlt" -- sh -c 'i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done;
  exec "$0" -t 1 -n 20000' "$WORKLOADS/nl-faultstorm" > /dev/null 2>&1
"$ROOT/build/tests/trace_tool" dump "$OUT/names.nlt" > "$OUT/names.dump" 2>&1
check_output "thread records: the shell's birth" '^thread [0-9]+: kind 1 comm sh$' cat "$OUT/names.dump"
check_output "thread records: its rename by exec" '^thread [0-9]+: kind 3 comm nl-faultstorm$' cat "$OUT/names.dump"
check_output "thread records: the exits" '^thread [0-9]+: kind 2 comm nl-faultstorm$' cat "$OUT/names.dump"

# ---- 3. export ----
"$NUMALENS" export -i "$OUT/live.nlt" --format chrome -o "$OUT/chrome.json" 2> "$OUT/exp.err"
check "export chrome: exit 0" [ $? -eq 0 ]
jq_check "export chrome: valid JSON with process and thread names and counter tracks" \
  '(.traceEvents | map(select(.ph == "M" and .name == "process_name" and .args.name == "nl-faultstorm")) | length) == 1
   and (.traceEvents | map(select(.ph == "M" and .name == "thread_name")) | length) >= 2
   and (.traceEvents | map(select(.ph == "C" and .name == "faults by page node")) | length) >= 5' "$OUT/chrome.json"
"$NUMALENS" export -i "$OUT/live.nlt" --format csv > "$OUT/tl.csv"
rows=$(($(wc -l < "$OUT/tl.csv") - 1))
check "export csv: a header and one row per interval ($rows of $nint)" [ "$rows" -eq "$nint" ]
check "export csv: faults add up to the report's" \
  [ "$(awk -F, 'NR > 1 { s += $4 + $5 } END { print s }' "$OUT/tl.csv")" = \
    "$(jq '[.processes[] | [.faults[][]] | add] | add' "$OUT/rep.json")" ]
"$NUMALENS" export -i "$OUT/live.nlt" --format folded > "$OUT/folded"
check_output "export folded: stacks through the workload's function, weighted" \
  '^nl-faultstorm;.*work [0-9]+$' cat "$OUT/folded"

# ---- 4. crash safety: SIGKILL at random moments ----
# The full file's timeline is the reference: a cut file must give its first lines.
"$NUMALENS" report -i "$OUT/live.nlt" --timeline > "$OUT/full.tl" 2>/dev/null
bad=0 cut_short=0 nonempty=0 early=0
for i in $(seq "$KILLS"); do
  f="$OUT/kill.nlt"
  rm -f "$f"
  "$NUMALENS" record -o "$f" --interval-ms 20 -- "$WORKLOADS/nl-faultstorm" -t 1 -n 100000000 \
    > /dev/null 2>&1 &
  rec=$!
  sleep "$(awk -v r="$RANDOM" 'BEGIN { printf "%.2f", 1.0 + (r % 150) / 100 }')"
  kill -KILL "$rec"
  wait "$rec" 2>/dev/null
  pkill -KILL -f "nl-faultstorm -t 1 -n 100000000" 2>/dev/null
  timeout 20 "$NUMALENS" report -i "$f" --timeline > "$OUT/k.tl" 2> "$OUT/k.err"
  rc=$?
  if [ "$rc" -ge 2 ]; then
    bad=$((bad + 1))
    echo "# kill $i: report exit $rc: $(head -c 300 "$OUT/k.err")"
    continue
  fi
  if [ "$rc" -eq 1 ] && grep -q 'not a numalens trace\|No such file\|header' "$OUT/k.err"; then
    early=$((early + 1)) # killed while the programs loaded, or before the first chunk
    continue
  fi
  grep -q 'cut short' "$OUT/k.err" && cut_short=$((cut_short + 1))
  [ -s "$OUT/k.tl" ] && nonempty=$((nonempty + 1))
done
echo "# $KILLS recordings killed: $nonempty reported intervals, $cut_short said they were cut short, $early were killed before the header, $bad failed"
check "SIGKILLed recordings: the report never crashes or hangs (exit 0 or 1)" [ "$bad" -eq 0 ]
check "SIGKILLed recordings: every one with a header says it was cut short" \
  [ "$cut_short" -eq $((KILLS - early - bad)) ]
# Of those killed after the header (attaching takes longer on a loaded machine, so how
# many are killed before it varies), most have intervals to report.
check "SIGKILLed recordings: most of those with a header report intervals ($nonempty of $((KILLS - early)))" \
  awk -v n="$nonempty" -v h=$((KILLS - early)) -v k="$KILLS" 'BEGIN { exit !(h >= k / 4 && n >= h / 2) }'
check_not_output "no record process left behind" 'numalens record' pgrep -af 'numalens record'

# ---- 5. prefixes and flipped bytes of a complete file ----
size=$(stat -c %s "$OUT/live.nlt")
bad=0 notprefix=0
for i in $(seq 60); do
  cut=$(( (RANDOM * 32768 + RANDOM) % size ))
  head -c "$cut" "$OUT/live.nlt" > "$OUT/cut.nlt"
  timeout 20 "$NUMALENS" report -i "$OUT/cut.nlt" --timeline > "$OUT/cut.tl" 2> "$OUT/cut.err"
  rc=$?
  if [ "$rc" -ge 2 ]; then bad=$((bad + 1)); echo "# cut at $cut: exit $rc"; continue; fi
  n=$(wc -l < "$OUT/cut.tl")
  if [ "$n" -gt 0 ] && ! head -n "$n" "$OUT/full.tl" | cmp -s - "$OUT/cut.tl"; then
    notprefix=$((notprefix + 1)); echo "# cut at $cut: its timeline is not the full one's first $n lines"
  fi
done
check "60 random prefixes: clean exit (0 or 1) every time" [ "$bad" -eq 0 ]
check "60 random prefixes: each reports the full file's first intervals, in order" [ "$notprefix" -eq 0 ]
bad=0
for i in $(seq 60); do
  cp "$OUT/live.nlt" "$OUT/flip.nlt"
  off=$(( (RANDOM * 32768 + RANDOM) % size ))
  printf "$(printf '\\%03o' $((RANDOM % 256)))" | dd of="$OUT/flip.nlt" bs=1 seek="$off" conv=notrunc status=none
  timeout 20 "$NUMALENS" report -i "$OUT/flip.nlt" --json > /dev/null 2> "$OUT/flip.err"
  rc=$?
  if [ "$rc" -ge 2 ]; then bad=$((bad + 1)); echo "# flip at $off: exit $rc: $(head -c 200 "$OUT/flip.err")"; fi
done
check "60 flipped bytes: a clean error or a partial report, never a crash or hang" [ "$bad" -eq 0 ]

# ---- 6. rotation ----
"$NUMALENS" record -o "$OUT/rot.nlt" --max-size 1 --interval-ms 10 --compress none -d 6 \
  -- "$WORKLOADS/nl-threadchurn" -n 20000 -k 8 > /dev/null 2> "$OUT/rot.err"
rc=$?
check "record --max-size 1: exit 0 ($rc)" [ "$rc" -eq 0 ]
nfiles=$(ls "$OUT"/rot.nlt* | wc -l)
echo "# rotation: $nfiles files: $(ls -l "$OUT"/rot.nlt* | awk '{ print $5 }' | tr '\n' ' ')"
check "record --max-size 1: more than one file" [ "$nfiles" -ge 2 ]
ok_all=1
for f in "$OUT"/rot.nlt*; do
  "$NUMALENS" report -i "$f" --json > /dev/null 2> "$OUT/rot.rep.err" ||
    { ok_all=0; echo "# $f does not report: $(cat "$OUT/rot.rep.err")"; }
done
check "each rotated file reports on its own" [ "$ok_all" -eq 1 ]
finish
