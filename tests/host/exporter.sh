#!/usr/bin/env bash
# Host tier: `numalens exporter` on this kernel.
#   errors: a malformed --listen (exit 2), an address that cannot be bound (exit 1,
#     said before anything loads), --trigger without --flight, not root;
#   /metrics scraped twice during a fault storm: every counter, bucket, _sum and
#     _count never decreases; the storm's faults are counted; no pid or tid label;
#     the exposition passes promtool check metrics (Debian's prometheus package; a
#     small format checker below when promtool is missing);
#   HTTP: 404 on other paths, 405 on POST, 400 on garbage, HEAD without a body, 20
#     scrapers at once all answered, a client that never sends its request does not
#     stop the intervals;
#   --textfile: DIR/numalens.prom is always a whole exposition while it is rewritten
#     every 100 ms, mode 0644, no temp file left;
#   SIGINT and SIGTERM: exit 0, the port is closed, none of its BPF programs stays;
#   flight recorder: a SIGUSR1 dump is a trace `numalens report` reads, holding the
#     workload that ran in the seconds before the signal, and the births and exits of
#     threads that lived inside the window (trace_tool dump, report --json's exited
#     threads, export chrome's thread tracks); rotation keeps K files; a later dump,
#     whose window starts after the births of threads it shows, still reports and
#     exports;
#     --flight-after delays the dump and it holds a workload started after the signal;
#   requests (--request on nl-reqinject, whose requests sleep a known time): option
#     errors (a p99 trigger without requests, a bad unit, a bad --request); the request
#     histogram counts every request the workloads made, its slow buckets hold the slow
#     ones, the causes add up to _sum, off_cpu holds at least the sleeps; promtool
#     accepts it; a p99>50ms trigger dumps a trace whose `report --requests --json`
#     lists the slow requests and the fast ones of the seconds before them.
source "$(dirname "$0")/../lib.sh"
OUT=$(mktemp -d)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$OUT"' EXIT

if [ "$(id -u)" -ne 0 ]; then
  not_ok "exporter: needs root"
  finish
fi

PORT=$((20000 + $$ % 20000))
URL=http://127.0.0.1:$PORT

# ---- 1. errors ----
check_status "exporter --listen nonsense: exit 2" 2 "$NUMALENS" exporter --listen nonsense -d 1
check_output "exporter --listen nonsense: says what it wants" 'wants ADDR:PORT' \
  "$NUMALENS" exporter --listen nonsense -d 1
check_status "exporter --listen :70000: exit 2" 2 "$NUMALENS" exporter --listen :70000 -d 1
check_status "exporter --listen on an address not ours: exit 1" 1 "$NUMALENS" exporter --listen 192.0.2.1:$PORT -d 1
check_output "exporter --listen on an address not ours: says it cannot listen" 'cannot listen on 192.0.2.1' \
  "$NUMALENS" exporter --listen 192.0.2.1:$PORT -d 1
check_status "exporter --trigger without --flight: exit 2" 2 "$NUMALENS" exporter --trigger 'remote>0.5' -d 1
check_status "exporter --trigger garbage: exit 2" 2 "$NUMALENS" exporter --flight "$OUT" --trigger 'latency>5ms' -d 1
RQBIN=$WORKLOADS/nl-reqinject
check_status "exporter --trigger p99 without requests: exit 2" 2 "$NUMALENS" exporter --flight "$OUT" --trigger 'p99>5ms' -d 1
check_output "exporter --trigger p99 without requests: says to add one" 'p99>5ms needs requests to measure: add --request, --usdt or --syscalls' \
  "$NUMALENS" exporter --flight "$OUT" --trigger 'p99>5ms' -d 1
for bad in 'p99>5' 'p99>5xs' 'p99>0ms' 'p99>-1ms' 'p99>ms' 'p99>infs'; do
  check_status "exporter --trigger '$bad' (bad duration or unit): exit 2" 2 \
    "$NUMALENS" exporter --flight "$OUT" --request "$RQBIN:nl_request" --trigger "$bad" -d 1
done
check_output "exporter --trigger with a bad unit: names the units" 'unit: ns, us, ms or s' \
  "$NUMALENS" exporter --flight "$OUT" --request "$RQBIN:nl_request" --trigger 'p99>5xs' -d 1
check_status "exporter --request without :FUNC: exit 2" 2 "$NUMALENS" exporter --request "$RQBIN" -d 1
check_status "exporter --request and --usdt at once: exit 2" 2 "$NUMALENS" exporter --request "$RQBIN:nl_request" \
  --usdt "$RQBIN:nlserver:request_start" -d 1
check_status "exporter --max-inflight 0: exit 2" 2 "$NUMALENS" exporter --request "$RQBIN:nl_request" --max-inflight 0 -d 1
check_status "exporter --flight into no directory: exit 1" 1 "$NUMALENS" exporter --listen 127.0.0.1:$PORT \
  --flight /nonexistent/dir -d 1
check_status "exporter not root: exit 1" 1 setpriv --reuid=65534 --regid=65534 --clear-groups \
  "$NUMALENS" exporter --listen 127.0.0.1:$PORT -d 1
check_status "exporter --help: exit 0" 0 "$NUMALENS" exporter --help

# A taken port is an error before anything loads.
python3 -c 'import socket,sys,time
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); open(sys.argv[2], "w").close(); time.sleep(30)' \
  "$PORT" "$OUT/held" &
HOLDER=$!
PIDS+=("$HOLDER")
for _ in $(seq 100); do [ -e "$OUT/held" ] && break; sleep 0.1; done
check_output "exporter on a taken port: exit 1 and says the address is in use" 'Address already in use' \
  "$NUMALENS" exporter --listen 127.0.0.1:$PORT -d 1
kill "$HOLDER"; wait "$HOLDER" 2>/dev/null

# wait_http URL: until it answers (5 s)
wait_http() {
  for _ in $(seq 50); do curl -sf -o /dev/null "$1" && return 0; sleep 0.1; done
  return 1
}

# ---- 2. scrapes during a fault storm ----
"$NUMALENS" exporter --listen 127.0.0.1:$PORT -i 0.5 > "$OUT/exp.out" 2> "$OUT/exp.err" &
EXP=$!
PIDS+=("$EXP")
check "the exporter answers on $URL/metrics" wait_http "$URL/metrics"
curl -s "$URL/metrics" > "$OUT/m1"
"$WORKLOADS/nl-faultstorm" -t 2 -n 100000 > "$OUT/storm.out"
sleep 1.2
curl -s "$URL/metrics" > "$OUT/m2"
faults() { awk '/^numalens_page_faults_total\{/ { s += $2 } /^numalens_page_faults_unresolved_total / { s += $2 } END { print s + 0 }' "$1"; }
d=$(( $(faults "$OUT/m2") - $(faults "$OUT/m1") ))
echo "# page faults counted between the scrapes: $d (the storm touched 100000 pages)"
check "the storm's 100000 faults are counted between two scrapes ($d)" [ "$d" -ge 100000 ]
# every sample of a counter or histogram in m1 is <= the same series in m2
awk 'FNR == 1 { f++ }
     /^# TYPE/ { type[$3] = $4; next }
     /^#/ { next }
     { name = $1; sub(/\{.*/, "", name); base = name; sub(/_(bucket|sum|count)$/, "", base)
       t = type[name]; if (t == "") t = type[base]
       if (t != "counter" && t != "histogram") next
       if (f == 1) a[$1] = $2; else if (($1 in a) && $2 + 0 < a[$1] + 0) { print "decreased: " $1 " " a[$1] " -> " $2; bad++ } }
     END { exit bad > 0 }' "$OUT/m1" "$OUT/m2" > "$OUT/decreased"
check "no counter, bucket, _sum or _count decreased between two scrapes" [ ! -s "$OUT/decreased" ]
diag < "$OUT/decreased"
n=$(grep -c '^numalens_' "$OUT/m2")
check "the scrape has samples ($n)" [ "$n" -gt 50 ]
check_not_output "no pid or tid label" '[{,](pid|tid)="' cat "$OUT/m2"
check_output "the stall histogram has cumulative buckets up to +Inf" 'numalens_migration_stall_seconds_bucket\{le="\+Inf"\}' cat "$OUT/m2"
check_output "source states are exported" 'numalens_source_up\{source="faults"\} 1' cat "$OUT/m2"
check_output "node memory is exported" 'numalens_node_memory_size_bytes\{node="0"\} [1-9]' cat "$OUT/m2"
check_output "numastat is exported" 'numalens_node_numa_hit_total\{node="0"\} [1-9]' cat "$OUT/m2"
check_output "lost events are exported" '^numalens_lost_events_total [0-9]+' cat "$OUT/m2"

# The text format: promtool when it is there (scripts/setup installs it), else the
# rules it checks that matter here: HELP and TYPE before a family's samples, names
# and labels well-formed, values numbers, each series once.
fmt_check() {
  awk 'function fail(m) { print FILENAME ":" FNR ": " m ": " $0; bad++ }
       /^# HELP / { help[$3] = 1; next }
       /^# TYPE / { if ($3 in type) fail("second TYPE"); type[$3] = $4
                    if ($4 !~ /^(counter|gauge|histogram|summary|untyped)$/) fail("bad type"); next }
       /^#/ || /^$/ { next }
       { if ($0 !~ /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? [-+0-9.eEInfNa]+$/) fail("malformed")
         name = $1; sub(/\{.*/, "", name); base = name; sub(/_(bucket|sum|count)$/, "", base)
         if (!(name in type) && !(base in type)) fail("no TYPE")
         if (!(name in help) && !(base in help)) fail("no HELP")
         if ($1 in seen) fail("series twice"); seen[$1] = 1 }
       END { exit bad > 0 }' "$1"
}
if command -v promtool > /dev/null; then
  promtool check metrics < "$OUT/m2" > "$OUT/promtool" 2>&1; rc=$?
  check "promtool check metrics accepts the exposition (exit $rc)" [ "$rc" -eq 0 ]
  diag < "$OUT/promtool"
else
  echo "# promtool missing (scripts/setup installs Debian's prometheus): using the awk checker"
fi
fmt_check "$OUT/m2" > "$OUT/fmt" 2>&1
check "the exposition passes the format checker" [ ! -s "$OUT/fmt" ]
diag < "$OUT/fmt"

# ---- 3. HTTP ----
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
check "GET /nope is 404 ($(code "$URL/nope"))" [ "$(code "$URL/nope")" = 404 ]
check "GET /metricsx is 404" [ "$(code "$URL/metricsx")" = 404 ]
check "POST /metrics is 405" [ "$(code -X POST "$URL/metrics")" = 405 ]
check "GET /metrics?x=1 is 200" [ "$(code "$URL/metrics?x=1")" = 200 ]
hb=$(curl -s -I "$URL/metrics" | tr -d '\r')
check "HEAD /metrics: 200 and a length, no body" bash -c \
  "echo '$hb' | grep -q '^HTTP/1.0 200' && echo '$hb' | grep -q '^Content-Length: [1-9]'"
check_output "a Content-Type of the text format" 'text/plain; version=0.0.4' curl -s -D - -o /dev/null "$URL/metrics"
garbage=$(exec 3<>/dev/tcp/127.0.0.1/$PORT; printf 'hello\r\n\r\n' >&3; head -1 <&3 | tr -d '\r')
check "garbage is 400 ($garbage)" [ "$garbage" = "HTTP/1.0 400 Bad Request" ]
long=$(exec 3<>/dev/tcp/127.0.0.1/$PORT; { printf 'GET /metrics HTTP/1.0\r\nX: '; head -c 9000 /dev/zero | tr '\0' a; } >&3 2>/dev/null; head -1 <&3 | tr -d '\r')
check "a 9 KB request head is 431 ($long)" [ "$long" = "HTTP/1.0 431 Request Header Fields Too Large" ]
# a client that connects and says nothing holds one slot, not the collector
exec 4<>/dev/tcp/127.0.0.1/$PORT
i1=$(curl -s "$URL/metrics" | awk '/^numalens_intervals_total/ { print $2 }')
sleep 1.6
i2=$(curl -s "$URL/metrics" | awk '/^numalens_intervals_total/ { print $2 }')
exec 4>&-
check "intervals go on while a client holds a connection open ($i1 -> $i2)" [ "${i2:-0}" -gt "${i1:-0}" ]
for k in $(seq 20); do curl -s -o "$OUT/par.$k" -w '%{http_code}\n' "$URL/metrics" > "$OUT/code.$k" & done
wait $(jobs -p | grep -v "^$EXP$") 2>/dev/null
okc=$(cat "$OUT"/code.* | grep -c '^200$')
whole=$(grep -l '^numalens_last_interval_timestamp_seconds' "$OUT"/par.* | wc -l)
check "20 scrapers at once: all 200 ($okc) and whole ($whole)" eval '[ "$okc" -eq 20 ] && [ "$whole" -eq 20 ]'

# SIGUSR1 without a flight recorder is said, not fatal
kill -USR1 "$EXP"
sleep 1.2
check "SIGUSR1 without --flight: the exporter lives on" kill -0 "$EXP"
check_output "SIGUSR1 without --flight: says there is no flight recorder" 'no flight recorder' cat "$OUT/exp.err"

# ---- 4. SIGTERM ----
ids=$(ids_of "$EXP" prog_id)
kill -TERM "$EXP"
rc=0
for _ in $(seq 50); do gone "$EXP" && break; sleep 0.1; done
wait "$EXP"; rc=$?
check "SIGTERM: exit 0 ($rc)" [ "$rc" -eq 0 ]
check "SIGTERM: the port is closed" [ "$(code "$URL/metrics")" = 000 ]
left=$(comm -12 <(echo "$ids") <(live_prog_ids) | grep -c .)
check "SIGTERM: none of its $(echo "$ids" | grep -c .) BPF programs stays ($left)" [ -n "$ids" ] && [ "$left" -eq 0 ]
check "nothing on stderr but the start and SIGUSR1 messages" [ "$(grep -vc 'serving http\|no flight recorder' "$OUT/exp.err")" -eq 0 ]
diag < "$OUT/exp.err"

# ---- 5. --textfile ----
mkdir -p "$OUT/tf"
"$NUMALENS" exporter --textfile "$OUT/tf" -i 0.1 -q 2> "$OUT/tf.err" &
EXP=$!
PIDS+=("$EXP")
for _ in $(seq 50); do [ -s "$OUT/tf/numalens.prom" ] && break; sleep 0.1; done
partial=0 reads=0
end=$((SECONDS + 3))
while [ $SECONDS -lt $end ]; do
  cp "$OUT/tf/numalens.prom" "$OUT/tf.read" 2>/dev/null || continue
  reads=$((reads + 1))
  tail -1 "$OUT/tf.read" | grep -q '^numalens_last_interval_timestamp_seconds ' || partial=$((partial + 1))
done
check "textfile: $reads reads while it is rewritten every 100 ms, none partial ($partial)" eval '[ "$reads" -ge 5 ] && [ "$partial" -eq 0 ]'
check "textfile: no server (--textfile alone)" [ "$(code "$URL/metrics")" = 000 ]
kill -INT "$EXP"; wait "$EXP"; rc=$?
check "SIGINT: exit 0 ($rc)" [ "$rc" -eq 0 ]
check "textfile: mode 0644" [ "$(stat -c %a "$OUT/tf/numalens.prom")" = 644 ]
check "textfile: no temp file left ($(ls -A "$OUT/tf" | tr '\n' ' '))" [ "$(ls -A "$OUT/tf")" = numalens.prom ]
if command -v promtool > /dev/null; then
  check "textfile: promtool accepts it" promtool check metrics < "$OUT/tf/numalens.prom"
fi

# ---- 6. flight recorder ----
mkdir -p "$OUT/fl"
"$NUMALENS" exporter --listen 127.0.0.1:$PORT -i 0.5 --flight "$OUT/fl" --flight-seconds 6 --flight-keep 2 \
  2> "$OUT/fl.err" &
EXP=$!
PIDS+=("$EXP")
wait_http "$URL/metrics"
sleep 1
before=$(date +%s%N)
"$WORKLOADS/nl-faultstorm" -t 1 -n 50000 > /dev/null
# threads born and exited inside the window
"$WORKLOADS/nl-threadchurn" -n 12 -k 4 -p 256 > /dev/null &
CHURN=$!
wait "$CHURN"
sleep 1.5
kill -USR1 "$EXP"
for _ in $(seq 40); do ls "$OUT"/fl/*.nlt > /dev/null 2>&1 && break; sleep 0.1; done
dump=$(ls "$OUT"/fl/numalens-flight-*.nlt 2>/dev/null | head -1)
check "SIGUSR1: a dump is written ($dump)" [ -n "$dump" ]
sleep 0.6
"$NUMALENS" report -i "$dump" --json > "$OUT/fl.json" 2> "$OUT/fl.rep.err"
rc=$?
check "numalens report reads the dump (exit $rc)" [ "$rc" -eq 0 ]
diag < "$OUT/fl.rep.err"
ff=$(jq '[.processes[] | select(.comm == "nl-faultstorm") | .faults[][]] | add // 0' "$OUT/fl.json")
check "the dump holds the storm that ran in the seconds before the signal ($ff faults)" [ "${ff:-0}" -ge 50000 ]
"$NUMALENS" report -i "$dump" > "$OUT/fl.txt" 2>&1
span=$(sed -n 's/.* to \([0-9.]*\) s,.*/\1/p' "$OUT/fl.txt" | head -1)
echo "# the dump covers 0 .. ${span:-?} s; the storm ran $(( ($(date +%s%N) - before) / 1000000 )) ms before now"
check "the dump covers the seconds before the trigger (${span:-?} s of the 6 kept)" \
  awk -v s="${span:-0}" 'BEGIN { exit !(s >= 2.5) }'
# the churn's threads (its pid's tids: other tests may churn threads of the same name
# meanwhile): their births and exits are in the dump, each birth before its exit, and
# report and export show them
"$ROOT/build/tests/trace_tool" dump "$dump" > "$OUT/fl.dump" 2>&1
check "the dump reads to its END record" grep -q '^end: .* ended 1 ' "$OUT/fl.dump"
jq --argjson p "$CHURN" -r '.processes[] | select(.pid == $p) | .threads[] | select(.exited) | .tid' \
  "$OUT/fl.json" | sort -u > "$OUT/churn.tids"
ex=$(wc -l < "$OUT/churn.tids")
check "report --json of the dump: the churn's threads exited ($ex)" [ "$ex" -ge 12 ]
# per tid: 1 when its birth comes before its exit, in the dump's order
awk 'NR == FNR { want[$1] = 1; next }
     /^thread [0-9]*: kind [12] comm nl-threadchurn$/ { t = $2; sub(":", "", t); if (!(t in want)) next
       if ($4 == 1) born[t] = 1; else if ($4 == 2 && born[t]) ok[t] = 1 }
     END { for (t in ok) n++; print n + 0 }' "$OUT/churn.tids" "$OUT/fl.dump" > "$OUT/churn.ok"
both=$(cat "$OUT/churn.ok")
check "the dump holds each exited churn thread's birth, then its exit ($both of $ex)" eval '[ "$ex" -ge 12 ] && [ "$both" -eq "$ex" ]'
"$NUMALENS" export -i "$dump" --format chrome -o "$OUT/fl.chrome.json" 2>> "$OUT/fl.rep.err"
tn=$(jq --argjson p "$CHURN" '[.traceEvents[] | select(.ph == "M" and .name == "thread_name" and .pid == $p)] | length' \
  "$OUT/fl.chrome.json")
check "export chrome of the dump: the churn's threads have tracks ($tn)" [ "${tn:-0}" -ge 12 ]
kill -USR1 "$EXP"; sleep 1.2; kill -USR1 "$EXP"; sleep 1.2; kill -USR1 "$EXP"; sleep 1.2
n=$(ls "$OUT"/fl/numalens-flight-*.nlt | wc -l)
check "rotation: --flight-keep 2 keeps 2 dumps of 4 ($n)" [ "$n" -eq 2 ]
# a later dump's window starts after the births of threads it shows: it still reads
late=$(ls "$OUT"/fl/numalens-flight-*.nlt | tail -1)
"$ROOT/build/tests/trace_tool" dump "$late" > "$OUT/late.dump" 2>&1
"$NUMALENS" report -i "$late" --json > "$OUT/late.json" 2>> "$OUT/fl.rep.err"
check "report --json of a later dump: exit 0" [ $? -eq 0 ]
unborn=$(jq -r '.processes[].threads[].tid' "$OUT/late.json" | sort -u |
  comm -23 - <(sed -n 's/^thread \([0-9]*\): kind 1 .*/\1/p' "$OUT/late.dump" | sort -u) | wc -l)
echo "# the later dump shows $unborn threads whose births it does not hold"
check_status "report of a later dump: exit 0" 0 "$NUMALENS" report -i "$late"
check_status "report --timeline of a later dump: exit 0" 0 "$NUMALENS" report -i "$late" --timeline
check_status "export chrome of a later dump: exit 0" 0 "$NUMALENS" export -i "$late" --format chrome -o "$OUT/late.chrome.json"
jq_check "export chrome of a later dump: valid JSON" '.traceEvents | length > 0' "$OUT/late.chrome.json"
kill -TERM "$EXP"; wait "$EXP"; rc=$?
check "flight recorder: SIGTERM exit 0 ($rc)" [ "$rc" -eq 0 ]
check "flight recorder: each dump said on stderr" [ "$(grep -c 'flight recorder (SIGUSR1)' "$OUT/fl.err")" -eq 4 ]
diag < "$OUT/fl.err"

# --flight-after: the dump is written later and holds what ran after the signal
mkdir -p "$OUT/fa"
"$NUMALENS" exporter --listen 127.0.0.1:$PORT -i 0.5 --flight "$OUT/fa" --flight-seconds 8 \
  --flight-after 2 -q 2> "$OUT/fa.err" &
EXP=$!
PIDS+=("$EXP")
wait_http "$URL/metrics"
sleep 1
kill -USR1 "$EXP"
"$WORKLOADS/nl-faultstorm" -t 1 -n 30000 > /dev/null
early=$(ls "$OUT"/fa/*.nlt 2>/dev/null | wc -l)
sleep 3
dump=$(ls "$OUT"/fa/numalens-flight-*.nlt 2>/dev/null | head -1)
check "--flight-after 2: no dump right after the signal ($early), one 2 s later" eval '[ "$early" -eq 0 ] && [ -n "$dump" ]'
"$NUMALENS" report -i "$dump" --json > "$OUT/fa.json" 2>> "$OUT/fa.err"
ff=$(jq '[.processes[] | select(.comm == "nl-faultstorm") | .faults[][]] | add // 0' "$OUT/fa.json")
check "--flight-after 2: the dump holds the storm started after the signal ($ff faults)" [ "${ff:-0}" -ge 30000 ]
kill -TERM "$EXP"; wait "$EXP"
diag < "$OUT/fa.err"
# ---- 7. requests: metrics and the p99 trigger ----
# nl-reqinject's requests sleep a known time inside nl_request (--sleep-every 1): phase
# 1 makes fast ones (1 ms), phase 2 slow ones (100 ms). A p99>50ms trigger must dump
# the slow ones with the fast ones of the seconds before them.
mono_ns() { python3 -c 'import time; print(time.clock_gettime_ns(time.CLOCK_MONOTONIC))'; }
metric() { awk -v k="$2" '$1 == k { print $2 }' "$1"; }
# intervals_after N: waits until the exporter has added N more intervals (20 s at most)
intervals_after() {
  local i0 i
  i0=$(curl -s "$URL/metrics" | awk '/^numalens_intervals_total/ { print $2 }')
  for _ in $(seq 200); do
    i=$(curl -s "$URL/metrics" | awk '/^numalens_intervals_total/ { print $2 }')
    [ "${i:-0}" -ge $(( ${i0:-0} + $1 )) ] && return 0
    sleep 0.1
  done
  return 1
}
mkdir -p "$OUT/rq"
"$NUMALENS" exporter --listen 127.0.0.1:$PORT -i 0.5 --request "$RQBIN:nl_request" \
  --flight "$OUT/rq" --flight-seconds 20 --trigger 'p99>50ms' 2> "$OUT/rq.err" &
EXP=$!
PIDS+=("$EXP")
check "requests: the exporter answers" wait_http "$URL/metrics"
curl -s "$URL/metrics" > "$OUT/rq.m0"
check_output "requests: the families are there from the first scrape, at 0" \
  '^numalens_request_latency_seconds_count 0$' cat "$OUT/rq.m0"
"$RQBIN" --threads 2 --requests 300 --move-every 0 --sleep-every 1 --sleep-us 1000 --local-kb 4 \
  > /dev/null 2> "$OUT/rq.fast"
n1=$(sed -n 's/.*requests=\([0-9]*\).*/\1/p' "$OUT/rq.fast")
intervals_after 2
curl -s "$URL/metrics" > "$OUT/rq.m1"
t1=$(mono_ns)
"$RQBIN" --threads 1 --requests 15 --move-every 0 --sleep-every 1 --sleep-us 100000 --local-kb 4 \
  > /dev/null 2> "$OUT/rq.slow"
n2=$(sed -n 's/.*requests=\([0-9]*\).*/\1/p' "$OUT/rq.slow")
intervals_after 2
curl -s "$URL/metrics" > "$OUT/rq.m2"
t2=$(mono_ns)
echo "# workloads: ${n1:-?} fast requests (1 ms sleeps), then ${n2:-?} slow ones (100 ms sleeps)"
cnt=$(metric "$OUT/rq.m2" numalens_request_latency_seconds_count)
tot=$(metric "$OUT/rq.m2" numalens_requests_total)
check "requests: the histogram counts every request the workloads made (${cnt:-none} of $((n1 + n2)))" eval '[ -n "$n1" ] && [ -n "$n2" ] && [ "${cnt:-0}" -eq $((n1 + n2)) ] && [ "${tot:-0}" -eq $((n1 + n2)) ]'
# the slow requests sit above every bucket below 100 ms: count - bucket(largest le < 0.1)
# (at least them: a fast request held up 100 ms on a loaded machine would be there too)
below=$(awk -F'[{}" ]+' '/^numalens_request_latency_seconds_bucket/ && $3 != "+Inf" && $3 + 0 < 0.1 { v = $4 } END { print v + 0 }' "$OUT/rq.m2")
check "requests: the $n2 slow requests are in the buckets above 100 ms ($(( ${cnt:-0} - below )))" eval '[ -n "$n2" ] && [ $(( ${cnt:-0} - below )) -ge "$n2" ]'
lost=$(metric "$OUT/rq.m2" 'numalens_request_drops_total{reason="record_lost"}')
sum=$(metric "$OUT/rq.m2" numalens_request_latency_seconds_sum)
causes=$(awk '/^numalens_request_cause_seconds_total\{/ { s += $2 } END { printf "%.9f", s }' "$OUT/rq.m2")
echo "# latency _sum ${sum:-?} s, causes summed $causes s, records lost ${lost:-?}"
check "requests: no record lost, and the causes add up to _sum ($causes vs ${sum:-none})" \
  awk -v a="$causes" -v b="${sum:-x}" -v l="${lost:-x}" 'BEGIN { d = a - b; exit !(l == 0 && b > 0 && d < 1e-6 && d > -1e-6) }'
off=$(metric "$OUT/rq.m2" 'numalens_request_cause_seconds_total{cause="off_cpu"}')
want=$(awk -v a="${n1:-0}" -v b="${n2:-0}" 'BEGIN { printf "%.3f", 0.95 * (a * 0.001 + b * 0.1) }')
check "requests: off_cpu holds the sleeps (${off:-none} s >= $want s)" \
  awk -v o="${off:-0}" -v w="$want" 'BEGIN { exit !(o >= w) }'
check_not_output "requests: no pid or tid label" '[{,](pid|tid)="' cat "$OUT/rq.m2"
awk 'FNR == 1 { f++ }
     /^# TYPE/ { type[$3] = $4; next }
     /^#/ { next }
     /^numalens_request/ { if (f == 1) a[$1] = $2; else if (($1 in a) && $2 + 0 < a[$1] + 0) { print "decreased: " $1; bad++ } }
     END { exit bad > 0 }' "$OUT/rq.m1" "$OUT/rq.m2" > "$OUT/rq.decreased"
check "requests: no request series decreased between two scrapes" [ ! -s "$OUT/rq.decreased" ]
diag < "$OUT/rq.decreased"
if command -v promtool > /dev/null; then
  promtool check metrics < "$OUT/rq.m2" > "$OUT/rq.promtool" 2>&1; rc=$?
  check "requests: promtool check metrics accepts the exposition (exit $rc)" [ "$rc" -eq 0 ]
  diag < "$OUT/rq.promtool"
fi
fmt_check "$OUT/rq.m2" > "$OUT/rq.fmt" 2>&1
check "requests: the exposition passes the format checker" [ ! -s "$OUT/rq.fmt" ]
diag < "$OUT/rq.fmt"

# the trigger: exactly one dump (the fast phase stays far below 50 ms; the trigger
# then waits for a new ring), said on stderr with the p99 that fired it
dumps=$(ls "$OUT"/rq/numalens-flight-*.nlt 2>/dev/null)
check "p99 trigger: one dump ($(echo "$dumps" | grep -c .))" [ "$(echo "$dumps" | grep -c .)" -eq 1 ]
check_output "p99 trigger: said on stderr with the p99 that fired it" \
  'flight recorder \(p99>50ms: p99 [0-9.]+ ms of [0-9]+ requests\)' cat "$OUT/rq.err"
dump=$(echo "$dumps" | head -1)
"$NUMALENS" report -i "$dump" --requests --json > "$OUT/rq.json" 2> "$OUT/rq.rep.err"; rc=$?
check "p99 trigger: report --requests --json reads the dump (exit $rc)" eval '[ "$rc" -eq 0 ] && json_parses "$OUT/rq.json"'
diag < "$OUT/rq.rep.err"
slow=$(jq -s --argjson t1 "$t1" '[.[] | select(.latency_ns > 50000000 and .start_ns >= $t1)] | length' "$OUT/rq.json")
fast=$(jq -s --argjson t1 "$t1" '[.[] | select(.start_ns < $t1)] | length' "$OUT/rq.json")
late=$(jq -s --argjson t2 "$t2" '[.[] | select(.start_ns + .latency_ns > $t2)] | length' "$OUT/rq.json")
echo "# the dump lists $slow slow requests (> 50 ms) and $fast fast ones from before them"
check "p99 trigger: the dump lists slow requests (> 50 ms) of the slow phase ($slow)" [ "${slow:-0}" -ge 1 ]
check "p99 trigger: and the fast requests of the seconds before them ($fast)" [ "${fast:-0}" -ge 1 ]
check "p99 trigger: nothing from after the run ($late)" [ "${late:-1}" -eq 0 ]
jq_check "p99 trigger: every slow request of the dump was off CPU for its 100 ms sleep" \
  '[.[] | select(.latency_ns > 50000000) | .causes_ns.off_cpu >= 95000000] | all' <(jq -s . "$OUT/rq.json")
kill -TERM "$EXP"; wait "$EXP"; rc=$?
check "requests: SIGTERM exit 0 ($rc)" [ "$rc" -eq 0 ]
diag < "$OUT/rq.err"
finish
