#!/usr/bin/env bash
# VM tier: per-request attribution in a 2-node guest, against causes known by
# construction. Traces are recorded in the guest and reported here.
#   inj  `record --request nl-reqinject:nl_request`, AutoNUMA off: every 5th request
#        moves 8 MiB with mbind(MPOL_MF_MOVE), every 7th (not a 5th) sleeps 2 ms, the
#        rest only compute. The workload logs each request's kind, its own latency
#        (timed around the call) and the time it spent in mbind or nanosleep. Matched
#        request by request (per thread, in order): migrate_stall only on the moves, and
#        their sum close to the time in mbind; off_cpu on the sleeps, none on the plain
#        ones; the count and p99 agree with the workload's; causes sum to the latency.
#   usd  the same through --usdt nl-reqinject:nlserver:request_start:request_end.
#   srv  `record --request nl-server:nl_request` of nl-server in first-touch-bug mode
#        with AutoNUMA on (fast scanning): the tail's excess over the median request is
#        mainly migrate_stall + hint_fault, and windows where the tail clusters with
#        AutoNUMA activity are found.
source "$(dirname "$0")/../lib.sh"
set -u

GUEST=$ROOT/tests/vm/guest/top.sh
GUEST_LIB=$ROOT/tests/vm/guest/lib.sh

for f in "$ROOT/build/static/numalens" "$WORKLOADS/nl-reqinject" "$WORKLOADS/nl-server"; do
	if [ ! -x "$f" ]; then
		not_ok "prerequisite $f missing (make static workloads)"
		finish
	fi
done
OUT=$(mktemp -d "${TMPDIR:-/tmp}/numalens-vm-requests.XXXXXX")
[ -n "${NUMALENS_KEEP:-}" ] && echo "# keeping $OUT" || trap 'rm -rf "$OUT"' EXIT

fact() { sed -n "s/^$2: $3: //p" "$1" | head -n 1; }
decode() { sed -n "s/^$1: b64: //p" "$out" | base64 -d > "$2" 2>/dev/null; }

out=$OUT/guest
dbg=/sys/kernel/debug/sched/numa_balancing
runs=(
	"inj rec_run -o /tmp/inj.nlt --request nl-reqinject:nl_request -- nl-reqinject --requests 100 --out /tmp/inj.log"
	"inj_log b64 /tmp/inj.log"
	"inj_b64 b64 /tmp/inj.nlt"
	"usd rec_run -o /tmp/usd.nlt --usdt nl-reqinject:nlserver:request_start:request_end -- nl-reqinject --requests 40 --out /tmp/usd.log"
	"usd_log b64 /tmp/usd.log"
	"usd_b64 b64 /tmp/usd.nlt"
	"bal1 set /proc/sys/kernel/numa_balancing 1"
	"scan set $dbg/scan_size_mb 16"
	"sdel set $dbg/scan_delay_ms 100"
	"sper set $dbg/scan_period_min_ms 100"
	"srv rec_run -o /tmp/srv.nlt --interval-ms 200 --request nl-server:nl_request -- nl-server --mode ftbug --threads 1 --mb 64 --duration 10 --out /tmp/srv.log"
	"srv_b64 b64 /tmp/srv.nlt"
)
vm_boot "2 nodes" "$out" --nodes 2 --balancing 0 --timeout 400 --add "$GUEST" --add "$GUEST_LIB" \
	-- /usr/local/bin/top.sh "${runs[@]}"
rc=$?
if [ "$rc" -eq 0 ]; then ok "2-node guest ran"; else
	not_ok "2-node guest exit $rc"
	{ grep -m1 -A40 -E 'BUG:|Kernel panic|Oops' "$out.err" || tail -n 30 "$out.err"; } | diag
fi

for name in inj usd srv; do
	st=$(fact "$out" $name top_exit)
	check "$name: record exited 0 ($st)" [ "$st" = 0 ]
	[ "$st" = 0 ] || grep "^$name: err: " "$out" | head -10 | diag
	decode ${name}_b64 "$OUT/$name.nlt"
	"$NUMALENS" report -i "$OUT/$name.nlt" --requests --json > "$OUT/$name.jsonl" 2> "$OUT/$name.err"
	check "$name: report --requests --json read the guest's trace" [ -s "$OUT/$name.jsonl" ]
	cat "$OUT/$name.err" | diag
done

# match NAME: the workload's log beside numalens's requests, per thread in start order:
# seq tid kind log_latency inject | latency on_cpu migrate_stall off_cpu sum_of_causes
match() {
	local name=$1
	decode ${name}_log "$OUT/$name.log"
	sort -k2,2n -k4,4n "$OUT/$name.log" > "$OUT/$name.log.s"
	jq -r '[.tid, .start_ns, .latency_ns, .causes_ns.on_cpu, .causes_ns.migrate_stall,
		.causes_ns.off_cpu, ([.causes_ns[]] | add)] | @tsv' "$OUT/$name.jsonl" |
		sort -k1,1n -k2,2n > "$OUT/$name.nl.s"
	paste "$OUT/$name.log.s" "$OUT/$name.nl.s" |
		awk '{ print $1, $2, $3, $5, $6, "|", $9, $10, $11, $12, $13, ($2 == $7 ? "same" : "other") }' \
		> "$OUT/$name.match"
}

# ---- inj: causes injected by construction ----
match inj
n_log=$(wc -l < "$OUT/inj.log") n_nl=$(wc -l < "$OUT/inj.jsonl")
check "inj: request count equals the workload's ($n_nl vs $n_log)" eval '[ "$n_log" = 100 ] && [ "$n_nl" = "$n_log" ]'
check "inj: every request matched to its thread in order" \
	[ "$(grep -c ' same$' "$OUT/inj.match")" = "$n_log" ]
read -r moves mbind stall stray <<< "$(awk '$3 == "move" { m++; mb += $5; st += $9 }
	$3 != "move" && $9 > 0 { stray++ } END { print m + 0, mb + 0, st + 0, stray + 0 }' "$OUT/inj.match")"
echo "# inj: $moves moves, mbind ${mbind} ns in the workload, migrate_stall ${stall} ns in numalens"
check "inj: migrate_stall on no request but the moves ($stray others)" [ "$stray" = 0 ]
stalled=$(awk '$3 == "move" && $9 > 0' "$OUT/inj.match" | wc -l)
check "inj: every move request has migrate_stall ($stalled of $moves, at least 10)" \
	eval '[ "$stalled" = "$moves" ] && [ "$moves" -ge 10 ]'
check "inj: migrate_stall sum is 75-100 % of the time in mbind ($stall of $mbind ns)" \
	awk -v s="$stall" -v m="$mbind" 'BEGIN { exit !(m > 0 && s >= 0.75 * m && s <= m) }'
read -r sleeps slept off short plain_off <<< "$(awk '$3 == "sleep" { n++; sl += $5; off += $10; if ($10 < 0.5 * $5) short++ }
	$3 == "plain" && $10 > 0 { po++ } END { print n + 0, sl + 0, off + 0, short + 0, po + 0 }' "$OUT/inj.match")"
echo "# inj: $sleeps sleeps, ${slept} ns asleep in the workload, off_cpu ${off} ns in numalens"
check "inj: every sleeping request has off_cpu of at least half its sleep ($short short)" eval '[ "$sleeps" -ge 5 ] && [ "$short" = 0 ]'
check "inj: no plain request has off_cpu ($plain_off do)" [ "$plain_off" = 0 ]
awk '$3 == "move" { print "# move off_cpu (mbind may block):", $10, "of", $7 }' "$OUT/inj.match" | head -3
check "inj: the causes sum to each request's latency" \
	awk '{ if ($11 != $7) bad++ } END { exit bad > 0 }' "$OUT/inj.match"
p99_log=$(awk '{ print $5 }' "$OUT/inj.log" | sort -n | awk '{ v[NR] = $1 } END { i = int(NR * 0.99); if (i < NR * 0.99) i++; print v[i] }')
p99_nl=$("$NUMALENS" report -i "$OUT/inj.nlt" --json | jq .requests.p99_ns)
check "inj: p99 agrees with the workload's own within 10 % ($p99_nl vs $p99_log ns)" \
	awk -v a="$p99_nl" -v b="$p99_log" 'BEGIN { exit !(a > 0 && b > 0 && (a > b ? a - b : b - a) <= 0.1 * b) }'

# ---- usd: the same boundaries through USDT ----
match usd
n_log=$(wc -l < "$OUT/usd.log") n_nl=$(wc -l < "$OUT/usd.jsonl")
check "usd: request count equals the workload's ($n_nl vs $n_log)" eval '[ "$n_log" = 40 ] && [ "$n_nl" = "$n_log" ]'
check "usd: migrate_stall exactly on the moves" \
	awk '($3 == "move") != ($9 > 0) { bad++ } END { exit bad > 0 }' "$OUT/usd.match"

# ---- srv: the first-touch bug under AutoNUMA ----
"$NUMALENS" report -i "$OUT/srv.nlt" --json > "$OUT/srv.json"
jq -c '.requests | {count, p50_ns, p99_ns, share: .tail.share, explained: .tail.explained_share}' \
	"$OUT/srv.json" | diag
mig=$(fact "$out" srv vmstat_numa_pages_migrated)
check "srv: AutoNUMA migrated pages during the run ($mig)" [ "${mig:-0}" -gt 1000 ]
numa_share=$(jq '.requests.tail.share.migrate_stall + .requests.tail.share.hint_fault' "$OUT/srv.json")
check "srv: the tail's excess is mainly migrate_stall + hint_fault ($numa_share)" \
	awk -v s="$numa_share" 'BEGIN { exit !(s > 0.5) }'
thr=$(jq .requests.tail.threshold_ns "$OUT/srv.json")
check "srv: each tail request's causes and on-CPU time account for its latency within 10 %" \
	jq -e -s --argjson t "$thr" '[.[] | select(.latency_ns > $t)
		| (([.causes_ns[]] | add) - .latency_ns | fabs) / .latency_ns] | length > 0 and all(. <= 0.1)' \
		"$OUT/srv.jsonl" > /dev/null
check "srv: windows where the tail clusters with AutoNUMA activity ($(jq '.requests.tail.windows | length' "$OUT/srv.json"))" \
	jq -e '.requests.tail.windows | length > 0' "$OUT/srv.json" > /dev/null
finish
