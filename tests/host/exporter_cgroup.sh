#!/usr/bin/env bash
# numalens exporter -G: only the tasks of one cgroup v2 directory are counted. A fault
# storm runs inside the cgroup and a bigger one outside; between two scrapes the
# exporter's fault counters may grow by no more than the inside storm's own faults
# (the kernel's minflt around the scrapes), and by a fair part of them.
source "$(dirname "$0")/../lib.sh"
OUT=$(mktemp -d)
cg=
cleanup() {
  kill "${inside:-}" "${outside:-}" "${EXP:-}" 2>/dev/null
  wait 2>/dev/null
  [ -n "$cg" ] && rmdir "$cg" 2>/dev/null
  rm -rf "$OUT"
}
trap cleanup EXIT

if [ "$(id -u)" -ne 0 ]; then
  not_ok "exporter -G: needs root"
  finish
fi
unified=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
if [ -z "$unified" ]; then
  not_ok "exporter -G: no cgroup2 hierarchy mounted on this machine"
  finish
fi
cg="$unified/numalens-exp-test-$$"
mkdir "$cg" || { not_ok "cannot create $cg"; cg=; finish; }
PORT=$((20000 + ($$ + 7) % 20000))
URL=http://127.0.0.1:$PORT/metrics

check_status "exporter -G with a missing cgroup: exit 1" 1 "$NUMALENS" exporter -G /nonexistent-cgroup \
  --listen 127.0.0.1:$PORT -d 1

(echo "$BASHPID" > "$cg/cgroup.procs" && exec "$WORKLOADS/nl-faultstorm" -n 100000000 > /dev/null) &
inside=$!
"$WORKLOADS/nl-faultstorm" -t 2 -n 100000000 > /dev/null &
outside=$!
"$NUMALENS" exporter -G "$cg" --listen 127.0.0.1:$PORT -i 0.5 -q > "$OUT/exp.out" 2> "$OUT/exp.err" &
EXP=$!
up=0
for _ in $(seq 100); do curl -sf -o /dev/null "$URL" && { up=1; break; }; sleep 0.1; done
check "exporter -G serves /metrics" [ "$up" -eq 1 ]

# the faults the exporter counted, and the storms' own counts (field 10 of stat)
faults() { awk '/^numalens_page_faults_total\{/ { s += $2 } /^numalens_page_faults_unresolved_total / { s += $2 } END { print s + 0 }' "$1"; }
minflt() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $8 }'; }
sleep 1
in0=$(minflt "$inside") out0=$(minflt "$outside")
curl -sf "$URL" > "$OUT/m1"
sleep 3
curl -sf "$URL" > "$OUT/m2"
in1=$(minflt "$inside") out1=$(minflt "$outside")
got=$(( $(faults "$OUT/m2") - $(faults "$OUT/m1") ))
kin=$((in1 - in0)) kout=$((out1 - out0))
echo "# between the scrapes: exporter +$got faults; the kernel's counts around them: inside $kin, outside $kout"
check "exporter -G: the outside storm faulted (kernel: $kout)" [ "$kout" -gt 0 ]
# a scrape shows the intervals closed before it (0.5 s each), so the exporter's window
# may start up to 0.5 s before the kernel's (3 s): at most 1/6 more; the outside storm
# (two threads) faults about twice as fast as the inside one and would take the count
# to three times it if the filter let it in
check "exporter -G: counts no more than the cgroup's own faults ($got <= 1.3 x $kin)" \
  awk -v g="$got" -v k="$kin" 'BEGIN { exit !(g <= k * 1.3) }'
check "exporter -G: counts the cgroup's faults ($got >= 25 % of $kin)" \
  awk -v g="$got" -v k="$kin" 'BEGIN { exit !(k > 0 && g >= k / 4) }'
kill -TERM "$EXP"; wait "$EXP"; rc=$?
check "exporter -G: SIGTERM exit 0 ($rc)" [ "$rc" -eq 0 ]
diag < "$OUT/exp.err"
finish
