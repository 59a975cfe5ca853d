#!/usr/bin/env bash
# VM tier: `numalens exporter` in a 2-node guest (AutoNUMA off), scraped with busybox
# wget around workloads whose placement is known by construction:
#   b01  nl-place bind, CPU node 0, memory node 1: numalens_page_faults_total
#        {cpu_node="0",mem_node="1"} grows by its 16384 pages (within 2 %), and the
#        other remote pair does not;
#   b10  the same with the nodes swapped moves {cpu_node="1",mem_node="0"};
#   counters never decrease from scrape to scrape; no pid or tid label; promtool (when
#   installed) accepts the guest's exposition;
#   flight recorder, dumps reported HERE: the remote>0.5 trigger fires inside the b01
#   workload's faulting (the first interval with 100 accesses, most remote) and its
#   dump holds remote faults of it and not b10 (fewer than 100 {1,0} faults: b01's own
#   start-up before it pins itself); a SIGUSR1 after b01 ended dumps
#   the seconds before it, which hold all 16384 of b01's remote faults (2 %); the
#   remote b10 does not fire the trigger again (within --flight-seconds 30 of it);
#   requests (--request nl-reqinject:nl_request): every request of the workload is
#     counted, the causes add up to _sum, and migrate_stall is 75-100 % of the time
#     the workload spent in mbind moving pages (the bounds of tests/vm/requests.sh);
#   SIGTERM: exit 0.
source "$(dirname "$0")/../lib.sh"
set -u

GUEST=$ROOT/tests/vm/guest/exporter.sh
GUEST_LIB=$ROOT/tests/vm/guest/lib.sh
PAGES=16384
SLACK=$((PAGES * 2 / 100))

for f in "$ROOT/build/static/numalens" "$WORKLOADS/nl-place"; do
	if [ ! -x "$f" ]; then
		not_ok "prerequisite $f missing (make static workloads)"
		finish
	fi
done
OUT=$(mktemp -d "${TMPDIR:-/tmp}/numalens-vm-exporter.XXXXXX")
[ -n "${NUMALENS_KEEP:-}" ] && echo "# keeping $OUT" || trap 'rm -rf "$OUT"' EXIT

out=$OUT/guest
vm_boot "2 nodes" "$out" --nodes 2 --balancing 0 --timeout 300 --add "$GUEST" --add "$GUEST_LIB" \
	-- /usr/local/bin/exporter.sh
rc=$?
if [ "$rc" -eq 0 ]; then ok "2-node guest ran"; else
	not_ok "2-node guest exit $rc"
	{ grep -m1 -A40 -E 'BUG:|Kernel panic|Oops' "$out.err" || tail -n 30 "$out.err"; cat "$out"; } | head -60 | diag
fi

# scrape NAME: the guest's metrics after step NAME, as an exposition file
scrape() { sed -n "s/^$1: m: //p" "$out" > "$OUT/$1.prom"; echo "$OUT/$1.prom"; }
# val FILE SERIES: a sample's value (0 when absent)
val() { awk -v s="$2" '$1 == s { v = $2 } END { print v + 0 }' "$1"; }
pair() { echo "numalens_page_faults_total{cpu_node=\"$1\",mem_node=\"$2\"}"; }

s0=$(scrape s0) b01=$(scrape b01) b10=$(scrape b10)
check "the guest served /metrics ($(grep -c '^numalens' "$s0") samples before, $(grep -c '^numalens' "$b10") after)" \
	[ -s "$s0" ] && [ -s "$b01" ] && [ -s "$b10" ]
grep -E '^(b01|b10): (exit|line):' "$out" | diag

d01=$(( $(val "$b01" "$(pair 0 1)") - $(val "$s0" "$(pair 0 1)") ))
d10_during_b01=$(( $(val "$b01" "$(pair 1 0)") - $(val "$s0" "$(pair 1 0)") ))
d10=$(( $(val "$b10" "$(pair 1 0)") - $(val "$b01" "$(pair 1 0)") ))
d01_during_b10=$(( $(val "$b10" "$(pair 0 1)") - $(val "$b01" "$(pair 0 1)") ))
echo "# b01: {cpu 0, mem 1} +$d01, {cpu 1, mem 0} +$d10_during_b01; b10: {cpu 1, mem 0} +$d10, {cpu 0, mem 1} +$d01_during_b10 ($PAGES pages each)"
within() { local d=$(( $1 > $2 ? $1 - $2 : $2 - $1 )); [ "$d" -le "$3" ]; }
check "bind cpu 0 / mem 1: page_faults_total{0,1} grows by its $PAGES pages (+$d01, 2 %)" within "$d01" $PAGES $SLACK
check "bind cpu 0 / mem 1: {1,0} does not grow by pages (+$d10_during_b01)" [ "$d10_during_b01" -le $SLACK ]
check "bind cpu 1 / mem 0: page_faults_total{1,0} grows by its $PAGES pages (+$d10, 2 %)" within "$d10" $PAGES $SLACK
check "bind cpu 1 / mem 0: {0,1} does not grow by pages (+$d01_during_b10)" [ "$d01_during_b10" -le $SLACK ]

# counters never go down: s0 <= b01 <= b10 for every counter and histogram sample
mono() {
	awk 'FNR == 1 { f++ }
	     /^# / { next }
	     { name = $1; sub(/\{.*/, "", name) }
	     name !~ /(_total|_bucket|_sum|_count)$/ { next }
	     f == 1 { a[$1] = $2; next }
	     ($1 in a) && $2 + 0 < a[$1] + 0 { print "decreased: " $1 " " a[$1] " -> " $2; bad++ }
	     END { exit bad > 0 }' "$1" "$2"
}
check "no counter decreased from s0 to b01" bash -c "[ -s '$b01' ] && $(declare -f mono); mono '$s0' '$b01'"
check "no counter decreased from b01 to b10" bash -c "[ -s '$b10' ] && $(declare -f mono); mono '$b01' '$b10'"
check "no pid or tid label" bash -c "[ -s '$b10' ] && ! grep -Eq '[{,](pid|tid)=\"' '$b10'"
check_output "the guest's 2 nodes are labelled" 'numalens_node_memory_size_bytes\{node="1"\} [1-9]' cat "$b10"
if command -v promtool > /dev/null; then
	promtool check metrics < "$b10" > "$OUT/promtool" 2>&1
	prc=$?
	check "promtool check metrics accepts the guest's exposition" eval '[ "$prc" -eq 0 ] && [ -s "$b10" ]'
	diag < "$OUT/promtool"
fi

# ---- the flight recorder ----
nfiles=$(grep -c '^flight: file: ' "$out")
check "two dumps: the remote>0.5 trigger's and SIGUSR1's ($nfiles)" [ "$nfiles" -eq 2 ]
grep '^flight: file: \|flight recorder (' "$out" | diag
# dump K: decode it and report it here; prints the report's JSON file
dump() {
	sed -n "s/^flight$1: b64: //p" "$out" | base64 -d > "$OUT/flight$1.nlt" 2>/dev/null
	"$NUMALENS" report -i "$OUT/flight$1.nlt" --json > "$OUT/flight$1.json" 2> "$OUT/flight$1.err"
}
place_faults() { jq "[.processes[] | select(.comm == \"nl-place\") | .faults[$2][$3]] | add // 0" "$1" 2>/dev/null; }
dump 1; rc=$?
check "numalens report reads the trigger's dump here (exit $rc)" [ "$rc" -eq 0 ]
diag < "$OUT/flight1.err"
t01=$(place_faults "$OUT/flight1.json" 0 1) t10=$(place_faults "$OUT/flight1.json" 1 0)
check "the trigger's dump holds b01's remote faults up to the trigger ($t01, at least 100, at most $PAGES)" eval '[ "${t01:-0}" -ge 100 ] && [ "${t01:-0}" -le $((PAGES + SLACK)) ]'
# b10 came after the trigger: its process is not in the dump. b01's nl-place can have a
# few {1,0} faults of its own (its executable's page-cache pages, mapped faults, when it
# starts on node 1's CPU before it pins itself to node 0), never b10's pages.
b10pid=$(sed -n 's/^b10: line: nl-place: pid=\([0-9]*\) .*/\1/p' "$out")
check "the trigger's dump has no process of b10 (pid ${b10pid:-?})" eval '[ -n "$b10pid" ] && [ "$(jq "[.processes[] | select(.pid == ${b10pid:-0})] | length" "$OUT/flight1.json")" = 0 ]'
check "the trigger's dump has no {1,0} pages of nl-place, at most b01's start-up faults (${t10:-?} < 100)" \
	[ "${t10:-100}" -lt 100 ]
dump 2; rc=$?
check "numalens report reads the SIGUSR1 dump here (exit $rc)" [ "$rc" -eq 0 ]
diag < "$OUT/flight2.err"
u01=$(place_faults "$OUT/flight2.json" 0 1)
check "the SIGUSR1 dump covers the seconds before it: all of b01's $PAGES remote faults (${u01:-0}, 2 %)" \
	within "${u01:-0}" $PAGES $SLACK
# ---- requests ----
rq=$(scrape rq)
grep '^rq: \(exit\|line\):' "$out" | diag
n=$(sed -n 's/^rq: line: .*requests=\([0-9]*\).*/\1/p' "$out")
mb=$(sed -n 's/^rq: line: .*mbind_ns=\([0-9]*\).*/\1/p' "$out")
cnt=$(val "$rq" numalens_request_latency_seconds_count)
check "requests: the histogram counts the workload's ${n:-?} requests ($cnt)" eval '[ -n "$n" ] && [ "$cnt" -eq "$n" ]'
# as printed (val's awk would round them to 6 digits)
raw() { awk -v s="$2" '$1 == s { v = $2 } END { print v }' "$1"; }
sum=$(raw "$rq" numalens_request_latency_seconds_sum)
causes=$(awk '/^numalens_request_cause_seconds_total\{/ { s += $2 } END { printf "%.9f", s }' "$rq")
lost=$(val "$rq" 'numalens_request_drops_total{reason="record_lost"}')
check "requests: no record lost and the causes add up to _sum ($causes of $sum s)" \
	awk -v a="$causes" -v b="${sum:-0}" -v l="$lost" 'BEGIN { d = a - b; exit !(l == 0 && b > 0 && d < 1e-6 && d > -1e-6) }'
st=$(raw "$rq" 'numalens_request_cause_seconds_total{cause="migrate_stall"}')
echo "# requests: migrate_stall $st s, the workload's time in mbind ${mb:-?} ns"
check "requests: migrate_stall is 75-100 % of the time in mbind ($st s of ${mb:-?} ns)" \
	awk -v s="${st:-0}" -v m="${mb:-0}" 'BEGIN { m /= 1e9; exit !(m > 0 && s >= 0.75 * m && s <= m) }'
grep '^stop: err: ' "$out" | diag
check "SIGTERM: the exporter exited 0 ($(sed -n 's/^stop: exit: //p' "$out"))" \
	[ "$(sed -n 's/^stop: exit: //p' "$out")" = 0 ]
finish
