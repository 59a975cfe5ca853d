#!/usr/bin/env bash
# Host tier: per-request attribution (--request, --usdt) on this kernel.
#   errors: a missing binary, function or USDT probe, a malformed spec, two boundaries,
#     report --requests of a trace without requests: clear messages, exit 1 or 2;
#     no request program stays loaded;
#   shapes with known totals (tests/workloads/nl-reqshapes): T threads x N requests that
#     recurse to depth D count T x N requests (the outermost call), each with depth_max D;
#     K threads that exit inside a request give K requests flagged exited, left out of
#     the percentiles; every request's causes sum to its latency;
#   USDT START:END gives the same count; START alone (each START ends the thread's last
#     request) gives one request fewer per thread, its last cut by the thread's exit;
#   top --json --request counts the same requests over its intervals;
#   this host has no fentry or kprobe: hint_fault and numa_scan say so;
#   report --html of a real recording is one page with its SVG.
source "$(dirname "$0")/../lib.sh"
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
SHAPES=$WORKLOADS/nl-reqshapes
T=6 N=150 D=3 K=3

if [ "$(id -u)" -ne 0 ]; then
	not_ok "requests: needs root"
	finish
fi

# ---- errors ----
check_status "--request on a missing binary: exit 2" 2 \
	"$NUMALENS" record -o "$OUT/x.nlt" --request /nonexistent/bin:f -- true
check_output "--request on a missing binary: says so" 'cannot read binary /nonexistent/bin' \
	"$NUMALENS" record -o "$OUT/x.nlt" --request /nonexistent/bin:f -- true
check_status "--request without :FUNC: exit 2" 2 "$NUMALENS" top --request "$SHAPES" -- true
check_status "two boundaries: exit 2" 2 "$NUMALENS" record -o "$OUT/x.nlt" \
	--request "$SHAPES:nl_request" --usdt "$SHAPES:nlserver:request_start" -- true
check_status "--request on a function the binary lacks: exit 1" 1 \
	"$NUMALENS" record -o "$OUT/x.nlt" --request "$SHAPES:no_such_function" -- "$SHAPES"
check_output "--request on a function the binary lacks: names it" 'no function no_such_function in' \
	"$NUMALENS" record -o "$OUT/x.nlt" --request "$SHAPES:no_such_function" -- "$SHAPES"
check_output "--usdt on a probe the binary lacks: names it" 'no USDT probe nlserver:nope in' \
	"$NUMALENS" record -o "$OUT/x.nlt" --usdt "$SHAPES:nlserver:nope" -- "$SHAPES"
"$NUMALENS" record -q -o "$OUT/plain.nlt" -d 0.5 > /dev/null 2>&1
check_output "report --requests of a trace without requests: says so" 'has no requests' \
	"$NUMALENS" report -i "$OUT/plain.nlt" --requests
check_status "report --requests of a trace without requests: exit 1" 1 \
	"$NUMALENS" report -i "$OUT/plain.nlt" --requests

# ---- shapes through the uprobe pair ----
rec() { # NAME BOUNDARY...: record nl-reqshapes, then report its requests as JSON Lines
	local name=$1; shift
	"$NUMALENS" record -q -o "$OUT/$name.nlt" "$@" -- "$SHAPES" --threads $T --requests $N \
		--depth $D --exit-inside $K > "$OUT/$name.cmd" 2> "$OUT/$name.err"
	echo $? > "$OUT/$name.rc"
	"$NUMALENS" report -i "$OUT/$name.nlt" --requests --json > "$OUT/$name.jsonl" 2>> "$OUT/$name.err"
}
count() { jq -s "[.[] | select($2)] | length" "$OUT/$1.jsonl"; }

rec up --request "$SHAPES:nl_request"
check "uprobe: record exit 0" [ "$(cat "$OUT/up.rc")" = 0 ]
diag < "$OUT/up.err"
fin=$(count up '.exited | not') ex=$(count up '.exited')
check "uprobe: $((T * N)) finished requests, recursion counted once ($fin)" [ "$fin" = $((T * N)) ]
check "uprobe: every finished request was $D calls deep" [ "$(count up ".depth_max == $D and (.exited | not)")" = "$fin" ]
check "uprobe: $K requests cut by their thread's exit ($ex)" [ "$ex" = $K ]
check "uprobe: $N requests on each of the $T worker threads" \
	[ "$(jq -r 'select(.exited | not) | .tid' "$OUT/up.jsonl" | sort | uniq -c | awk -v n=$N '$1 == n' | wc -l)" = $T ]
check "uprobe: every request's causes sum to its latency" \
	[ "$(count up '([.causes_ns[]] | add) != .latency_ns')" = 0 ]
"$NUMALENS" report -i "$OUT/up.nlt" --json > "$OUT/up.json"
jq_check "uprobe: report --json counts the finished requests and the exited apart" \
	".requests.count == $((T * N)) and .requests.exited == $K" "$OUT/up.json"
jq_check "uprobe: no request lost" '.requests.lost | .inflight_full == 0 and .records == 0' "$OUT/up.json"
jq_check "this host has no fentry/kprobe: the source says hint_fault is not measured" \
	'.sources.requests.via | test("hint_fault and numa_scan not measured")' "$OUT/up.json"
check "and every request says so" [ "$(count up '.hint_fault_measured')" = 0 ]
check_status "report --html of the recording: exit 0" 0 "$NUMALENS" report -i "$OUT/up.nlt" --html "$OUT/up.html"
check "report --html: one page with its SVG" grep -q '<svg' "$OUT/up.html"

# ---- many threads at once: 64 x 20 requests ----
"$NUMALENS" record -q -o "$OUT/many.nlt" --request "$SHAPES:nl_request" -- "$SHAPES" --threads 64 \
	--requests 20 --depth 1 --exit-inside 0 > /dev/null 2>&1
"$NUMALENS" report -i "$OUT/many.nlt" --requests --json > "$OUT/many.jsonl"
check "64 concurrent threads: 1280 requests ($(count many '.exited | not'))" [ "$(count many '.exited | not')" = 1280 ]
check "64 concurrent threads: 20 on each" \
	[ "$(jq -r .tid "$OUT/many.jsonl" | sort | uniq -c | awk '$1 == 20' | wc -l)" = 64 ]

# ---- USDT ----
rec usdt --usdt "$SHAPES:nlserver:request_start:request_end"
check "usdt START:END: $((T * N)) finished requests ($(count usdt '.exited | not'))" \
	[ "$(count usdt '.exited | not')" = $((T * N)) ]
rec start --usdt "$SHAPES:nlserver:request_start"
check "usdt START only: one request fewer per thread finished ($(count start '.exited | not'))" \
	[ "$(count start '.exited | not')" = $((T * (N - 1))) ]
check "usdt START only: each thread's last request cut by its exit ($(count start '.exited'))" \
	[ "$(count start '.exited')" = $((T + K)) ]

# ---- system-call boundaries (tests/workloads/nl-echo: the server alone uses recv/send) ----
ECHO=$WORKLOADS/nl-echo
check_status "--syscalls with an unknown call: exit 2" 2 "$NUMALENS" top --syscalls nosuch:sendto -- true
check_status "--syscalls without END: exit 2" 2 "$NUMALENS" top --syscalls recvfrom -- true
"$NUMALENS" record -q -o "$OUT/echo.nlt" --syscalls recvfrom:sendto -- "$ECHO" --requests 3000 \
	> "$OUT/echo.cmd" 2> "$OUT/echo.err"
"$NUMALENS" report -i "$OUT/echo.nlt" --requests --json > "$OUT/echo.jsonl"
server=$(sed -n 's/.*server_tid=//p' "$OUT/echo.cmd")
check "--syscalls recvfrom:sendto: the server's 3000 requests ($(count echo '.exited | not'))" \
	[ "$(count echo '.exited | not')" = 3000 ]
check "--syscalls recvfrom:sendto: all on the server thread ($server)" eval '[ -n "$server" ] && [ "$(count echo ".tid != $server")" = 0 ]'
jq_check "--syscalls: the boundary is said in the sources" \
	'.sources.requests.via | test("from recvfrom returning > 0 to the thread.s next sendto")' \
	<("$NUMALENS" report -i "$OUT/echo.nlt" --json)

# ---- top ----
"$NUMALENS" top --json -i 0.5 --cmd-output "$OUT/top.cmd" --request "$SHAPES:nl_request" -- "$SHAPES" --threads $T \
	--requests $N --depth $D --exit-inside $K > "$OUT/top.json" 2> "$OUT/top.err"
sum=$(jq -s '[.[].requests.count] | add' "$OUT/top.json")
check "top --json --request: the intervals count $((T * N)) requests ($sum)" [ "$sum" = $((T * N)) ]

# ---- prove on this one-node host: 2 + 2 runs cannot decide, and it says so ----
check_status "prove without a command: exit 2" 2 "$NUMALENS" prove --request "$SHAPES:nl_request"
check_status "prove without a boundary: exit 2" 2 "$NUMALENS" prove -- "$SHAPES"
check_status "prove --runs 3: exit 2" 2 "$NUMALENS" prove --runs 3 --request "$SHAPES:nl_request" -- "$SHAPES"
bal=$(cat /proc/sys/kernel/numa_balancing)
"$NUMALENS" prove --json --yes --runs 4 --seed 1 -o "$OUT/prove" --request "$SHAPES:nl_request" \
	-- "$SHAPES" --threads 2 --requests 200 > "$OUT/prove.json" 2> "$OUT/prove.err"
check "prove: exit 0" [ $? = 0 ]
jq_check "prove: 2 runs per arm, each with its 400 requests and its trace" \
	'[.runs[] | select(.requests == 400)] | length == 4' "$OUT/prove.json"
check "prove: each run's trace written" [ "$(ls "$OUT"/prove/run-0[1-4]-o*.nlt | wc -l)" = 4 ]
jq_check "prove: 2+2 runs cannot decide, and it says so" \
	'.effect.verdict == "undecided" and (.effect.why | test("smallest p-value possible"))' "$OUT/prove.json"
check "prove: kernel.numa_balancing back to $bal" [ "$(cat /proc/sys/kernel/numa_balancing)" = "$bal" ]

rq_progs=$(bpftool prog show -j 2>/dev/null | jq '[.[] | select(.name // "" | startswith("rq_"))] | length')
check "no request program left loaded ($rq_progs)" [ "$rq_progs" = 0 ]
finish
