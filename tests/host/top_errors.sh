#!/usr/bin/env bash
# Host tier: `numalens top` when things go wrong or get big, on this kernel (one node):
#   no kernel BTF (hidden in a private mount namespace): exit 1, a message naming BTF;
#   a followed multi-threaded pid that exits mid-run: exit 0, says so, threads marked exited;
#   Ctrl-C during `-- CMD` (SIGINT to numalens, and to the whole process group as a
#     terminal does): the command is gone, exit 0, none of this run's BPF programs or links
#     left (its own ids, read from /proc/PID/fdinfo while it runs: other numalens runs on
#     this machine may load programs of the same names at the same time);
#   thread churn (5000 threads, and 50000 to overflow the per-thread maps): no crash,
#     faults match the workload's page touches, dropped entries are counted, memory sane;
#   system-wide mode (no -p, no CMD) lists several processes, a known one among them.
source "$(dirname "$0")/../lib.sh"
OUT=$(mktemp -d)
bg_pids=()
cleanup() {
  for p in "${bg_pids[@]}"; do kill "$p" 2>/dev/null; done
  rm -rf "$OUT"
}
trap cleanup EXIT

if [ "$(id -u)" -ne 0 ]; then
  not_ok "top_errors: needs root"
  finish
fi

# max_rss_kib FILE: the "maxrss_kib=N" /usr/bin/time wrote
max_rss_kib() { sed -n 's/^maxrss_kib=//p' "$1" | tail -n 1; }
TIME=(/usr/bin/time -f maxrss_kib=%M)
[ -x /usr/bin/time ] || TIME=()

# ---- 1. No BTF: the kernel's BTF hidden in a private mount namespace ----
for how in "devnull:mount --bind /dev/null /sys/kernel/btf/vmlinux" "tmpfs:mount -t tmpfs none /sys/kernel/btf"; do
  name=${how%%:*} mnt=${how#*:}
  unshare -m sh -c "$mnt || exit 99; exec \"\$0\" top -d 1 --json" "$NUMALENS" > "$OUT/btf.$name" 2> "$OUT/btf.$name.err"
  rc=$?
  if [ "$rc" -eq 99 ]; then not_ok "no BTF ($name): cannot hide BTF ($mnt)"; diag < "$OUT/btf.$name.err"; continue; fi
  echo "# no BTF ($name): exit $rc: $(head -n 3 "$OUT/btf.$name.err" | tr '\n' ' ')"
  check "no BTF ($name): exit 1" [ "$rc" -eq 1 ]
  check_output "no BTF ($name): the message names BTF" 'BTF' cat "$OUT/btf.$name.err"
  # libbpf's ESRCH ("No such process") means "no valid kernel BTF found"; printed raw it
  # points the user at a process, not at the kernel's BTF.
  if grep -q 'No such process' "$OUT/btf.$name.err"; then
    not_ok "no BTF ($name): the message says why plainly, not a raw libbpf errno ('No such process')"
  else
    ok "no BTF ($name): the message says why plainly, not a raw libbpf errno"
  fi
  check "no BTF ($name): nothing on stdout" [ ! -s "$OUT/btf.$name" ]
done

# ---- 2. A followed multi-threaded process exits mid-run ----
"$WORKLOADS/nl-firsttouch-bug" --worker-node 0 --mib 16 --seconds 3 > "$OUT/ftb" 2>&1 &
victim=$!
bg_pids+=("$victim")
for _ in $(seq 50); do grep -q 'worker_tid=' "$OUT/ftb" && break; sleep 0.1; done
worker=$(sed -n 's/.*worker_tid=\([0-9]*\).*/\1/p' "$OUT/ftb")
start=$SECONDS
"$NUMALENS" top --json -i 0.5 -d 30 -p "$victim" > "$OUT/exit" 2> "$OUT/exit.err"
rc=$?
echo "# pid $victim (worker $worker) exited after $((SECONDS - start)) s of a -d 30 run, top exit $rc"
check "pid exits mid-run: exit 0" [ "$rc" -eq 0 ]
check "pid exits mid-run: stops well before -d 30 ($((SECONDS - start)) s)" [ $((SECONDS - start)) -lt 15 ]
check_output "pid exits mid-run: says the process exited" "process $victim exited" cat "$OUT/exit.err"
check "pid exits mid-run: every line is JSON" json_parses "$OUT/exit"
jq -s . "$OUT/exit" > "$OUT/exit.all" 2>/dev/null || echo '[]' > "$OUT/exit.all"
jq_check "pid exits mid-run: the worker thread ($worker) is seen and finally marked exited" \
  "[.[].processes[]? | select(.pid == $victim) | .threads[]? | select(.tid == ${worker:-0})] |
   length > 0 and last.exited == true" "$OUT/exit.all"
wait "$victim" 2>/dev/null

# ---- 3. Ctrl-C during -- CMD ----
# ctrl_c NAME HOW: HOW is "top" (SIGINT to numalens) or "group" (SIGINT to the process
# group, numalens and the command both, as a terminal's Ctrl-C).
ctrl_c() {
  local name=$1 how=$2 top child progs links left_p left_l rc
  setsid "$NUMALENS" top --json -i 0.5 -- "$WORKLOADS/nl-faultstorm" -n 1000000000 > "$OUT/$name" 2> "$OUT/$name.err" &
  top=$!
  bg_pids+=("$top")
  child='' progs='' links=''
  for _ in $(seq 50); do
    sleep 0.1
    child=$(pgrep -P "$top" | head -n 1)
    progs=$(ids_of "$top" prog_id); links=$(ids_of "$top" link_id)
    [ -n "$child" ] && [ -n "$progs" ] && grep -q '^{' "$OUT/$name" && break
  done
  sleep 1
  progs=$(ids_of "$top" prog_id); links=$(ids_of "$top" link_id)
  echo "# $name: numalens $top, command $child, holding $(wc -w <<< "$progs") programs and $(wc -w <<< "$links") links"
  check "$name: while running, the command runs and numalens holds BPF programs and links" \
    test -n "$child" -a -n "$progs" -a -n "$links"
  if [ "$how" = group ]; then kill -INT -- "-$top"; else kill -INT "$top"; fi
  wait "$top"; rc=$?
  check "$name: exit 0 ($rc)" [ "$rc" -eq 0 ]
  [ "$rc" -eq 0 ] || diag < "$OUT/$name.err"
  for _ in $(seq 20); do gone "$child" && break; sleep 0.1; done
  check "$name: the command ($child) is gone" gone "$child"
  check_output "$name: the command's end is reported" "command '[^']*nl-faultstorm' \\(pid $child\\)" cat "$OUT/$name.err"
  check "$name: the last interval is printed, all lines JSON" json_parses "$OUT/$name"
  # programs are freed after an RCU grace period once the last fd is closed
  for _ in $(seq 50); do
    [ -z "$(comm -12 <(echo "$progs") <(live_prog_ids))" ] && break
    sleep 0.1
  done
  left_p=$(comm -12 <(echo "$progs") <(live_prog_ids) | paste -sd' ' -)
  left_l=$(comm -12 <(echo "$links") <(live_link_ids) | paste -sd' ' -)
  if [ -n "$progs" ] && [ -z "$left_p" ]; then ok "$name: none of its programs left (bpftool prog show)"
  else not_ok "$name: programs left: '$left_p'"; fi
  if [ -n "$links" ] && [ -z "$left_l" ]; then ok "$name: none of its links left (bpftool link show)"
  else not_ok "$name: links left: '$left_l'"; fi
}
ctrl_c sigint-top top
ctrl_c sigint-group group

# Ctrl-C while the programs are still attaching, to a numalens started with SIGINT
# ignored (as bash starts a background job): the signal is held until the loop runs,
# then ends the run cleanly, well before -d.
start=$SECONDS
bash -c 'trap "" INT; exec "$0" top --json -d 60 -- "$1" -n 1000000000' \
  "$NUMALENS" "$WORKLOADS/nl-faultstorm" > "$OUT/early" 2> "$OUT/early.err" &
early=$!
bg_pids+=("$early")
for _ in $(seq 100); do [ -r "/proc/$early/fdinfo" ] && break; sleep 0.01; done
sleep 0.2
attached_yet=$(ids_of "$early" prog_id | wc -w)
kill -INT "$early"
wait "$early"; rc=$?
echo "# early SIGINT: sent with $attached_yet programs attached; exit $rc after $((SECONDS - start)) s"
check "SIGINT during attach (SIGINT inherited ignored): exit 0 ($rc)" [ "$rc" -eq 0 ]
check "SIGINT during attach: ends well before -d 60 ($((SECONDS - start)) s)" [ $((SECONDS - start)) -lt 30 ]
check "SIGINT during attach: every line is JSON" json_parses "$OUT/early"

# ---- 4. Thread churn ----
# churn NAME DURATION THREADS CONCURRENCY MAX_RSS_MIB
churn() {
  local name=$1 dur=$2 n=$3 k=$4 rss_max=$5 rc line minflt touched faults lost tids rss peak bound
  "${TIME[@]}" "$NUMALENS" top --json -d "$dur" -- "$WORKLOADS/nl-threadchurn" -n "$n" -k "$k" \
    > "$OUT/$name" 2> "$OUT/$name.err"
  rc=$?
  check "$name: exit 0 ($rc)" [ "$rc" -eq 0 ]
  [ "$rc" -eq 0 ] || tail -n 5 "$OUT/$name.err" | diag
  line=$(grep '^threadchurn:' "$OUT/$name")
  check "$name: the workload ran to the end under top" [ -n "$line" ]
  grep '^{' "$OUT/$name" > "$OUT/$name.json"
  check "$name: every JSON line parses" json_parses "$OUT/$name.json"
  jq -s . "$OUT/$name.json" > "$OUT/$name.all" 2>/dev/null || echo '[]' > "$OUT/$name.all"
  minflt=$(sed -n 's/.* minflt=\([0-9]*\).*/\1/p' <<< "$line")
  touched=$((n * 4))
  faults=$(jq '[.[].processes[]? | select(.comm == "nl-threadchurn") |
                ([.faults[][]] | add // 0) + (.faults_unresolved // 0)] | add // 0' "$OUT/$name.all")
  lost=$(jq '[.[].lost_events] | add // 0' "$OUT/$name.all")
  tids=$(jq '[.[].processes[]? | select(.comm == "nl-threadchurn") | .threads[]?.tid] | unique | length' "$OUT/$name.all")
  # Threads, not tids: past pid_max (32768 here) tids come round again, so each thread
  # is counted once where its exit is reported, and the threads still alive at the end.
  exits=$(jq '[.[].processes[]? | select(.comm == "nl-threadchurn") | .threads[]? | select(.exited == true)] | length' "$OUT/$name.all")
  rss=$(max_rss_kib "$OUT/$name.err")
  echo "# $name: $line"
  echo "# $name: faults $faults (workload touched $touched pages, minflt ${minflt:-?}); $exits thread exits reported ($tids distinct tids), lost_events $lost; numalens max RSS ${rss:-?} KiB"
  # A thread whose exit record found the maps full is lost with the faults it took
  # since the last snapshot (its 4 pages and a stack page at most), and counted in
  # lost_events: a shortfall past 2 % is fine when those counted losses explain it
  # (CI: 195263 of 200071 with 14089 lost events; how many are lost depends on the
  # machine's load).
  check "$name: faults $faults within 2% of the workload's minflt ${minflt:-?}, or short by no more than the lost threads took (lost $lost)" \
    awk -v f="$faults" -v m="${minflt:-0}" -v l="$lost" 'BEGIN { d = f - m; if (d < 0) d = -d
      exit !(m > 0 && (d <= 0.02 * m || (f < m && m - f <= 5 * l))) }'
  check "$name: faults $faults cover the $touched pages the threads touched, or the shortfall is counted (lost $lost)" \
    awk -v f="$faults" -v t="$touched" -v l="$lost" 'BEGIN { exit !(f >= t || l > 0) }'
  # (An exit can be listed in two intervals, the second with nothing in it: counted
  # here as seen, hence at least, not exactly.)
  check "$name: every thread's exit reported, or the shortfall counted in lost_events ($exits of $((n + 1)), lost $lost)" \
    awk -v t="$exits" -v n="$((n + 1))" -v l="$lost" 'BEGIN { exit !(t >= n || l > 0) }'
  # Memory follows the threads of one interval, not of the run (exited threads are
  # pruned once reported). On 2 loaded CPUs the intervals stretch (a 1 s interval took
  # 3-7 s here), so one interval may hold 15 000+ threads: the bound is 24 KiB per
  # thread of the largest interval (measured ~17.6 KiB: the dense per-thread counts are
  # copied into the tracked table, two snapshots and the delta, plus its JSON text) over
  # a fixed 128 MiB, and never more than rss_max.
  peak=$(jq '[.[] | [.processes[]? | select(.comm == "nl-threadchurn") | .threads[]?] | length] | max // 0' "$OUT/$name.all")
  if [ -n "$rss" ]; then
    echo "# $name: largest interval $peak threads: $((rss / 1024)) MiB"
    bound=$((128 * 1024 + 24 * peak))
    [ "$bound" -gt $((rss_max * 1024)) ] && bound=$((rss_max * 1024))
    check "$name: numalens max RSS $((rss / 1024)) MiB < $((bound / 1024)) MiB (128 MiB + 24 KiB x $peak threads, at most $rss_max MiB)" [ "$rss" -lt "$bound" ]
  fi
}
churn churn-5000 4 5000 8 256
churn churn-50000 30 50000 64 1024

# ---- 5. System-wide ----
# Three busy processes of our own, so the check does not depend on what else runs here.
"$WORKLOADS/nl-faultstorm" -t 1 -n 1000000000 > /dev/null 2>&1 &
storm=$!
"$WORKLOADS/nl-pingpong" -n 1000000000 > /dev/null 2>&1 &
ping=$!
sh -c 'while :; do :; done' &
spin=$!
bg_pids+=("$storm" "$ping" "$spin")
sleep 0.3
"$NUMALENS" top --json -d 2 > "$OUT/all" 2> "$OUT/all.err"
rc=$?
kill "$storm" "$ping" "$spin" 2>/dev/null; wait "$storm" "$ping" "$spin" 2>/dev/null
check "system-wide: exit 0 ($rc)" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || diag < "$OUT/all.err"
check "system-wide: every line is JSON" json_parses "$OUT/all"
jq -s . "$OUT/all" > "$OUT/all.all" 2>/dev/null || echo '[]' > "$OUT/all.all"
echo "# system-wide: $(jq -r '[.[] | .processes | length | tostring] | join(", ")' "$OUT/all.all") processes per interval; nl-faultstorm $storm: $(jq -c --argjson p "$storm" '[.[].processes[]? | select(.pid == $p) | .faults[0][0]]' "$OUT/all.all") faults"
jq_check "system-wide: two intervals, each listing several processes" 'length >= 2 and all(.[]; (.processes | length) >= 3)' "$OUT/all.all"
jq_check "system-wide: every interval lists our busy processes $storm, $ping, $spin" \
  "length >= 2 and all(.[]; [.processes[].pid] as \$p | all($storm, $ping, $spin; . as \$x | \$p | index(\$x) != null))" "$OUT/all.all"
jq_check "system-wide: distinct pids in each interval" 'all(.[]; (.processes | map(.pid) | unique | length) == (.processes | length))' "$OUT/all.all"
jq_check "system-wide: the background nl-faultstorm ($storm) is listed with its faults" \
  "[.[].processes[]? | select(.pid == $storm and .comm == \"nl-faultstorm\") | .faults[0][0]] | length > 0 and add > 0" "$OUT/all.all"

finish
