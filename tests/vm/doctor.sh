#!/usr/bin/env bash
# VM tier: `numalens doctor` in a 2-node guest (booted with numa_balancing 0), through
# tests/vm/guest/doctor.sh, which prints each run; this side judges them.
#   nl-firsttouch-bug (init node 0, worker node 1): first_touch_bug, critical, about its
#     pid, naming init_weights, with the numactl/migratepages fix and the distance cost;
#     the text form says the same
#   the same workload with init and worker on node 1: no warning-level finding
#   nl-place bind cpu 0 / mem 1 (idle, held): remote_bind with numactl --cpunodebind=0
#     --membind=0; bind cpu 0 / mem 0: no warning-level finding
#   --latency-sensitive: nl-place interleaved over 0-1 streaming from node 0:
#     policy_mismatch; bound to node 0 streaming from node 0: no warning-level finding
#   nl-place local on node 0 moving itself between node 0 and node 1 every 100 ms while it
#     reads: unpinned_threads, with a taskset fix for node 0's CPUs
#   node 0 filled by a bound 192 MiB buffer, then a first-touch allocation from node 0:
#     numa_miss (numastat's numa_miss on node 1, and the process's own spill), and no
#     first_touch_bug for it (its pages were touched on node 0, placed on 1)
#   huge pages: vm.nr_hugepages=32 (16 on each node) with a well-placed nl-place: the
#     info-level hugepages_placement about the machine (pid 0); 16 pages reserved on node 1
#     only and nl-place --hugetlb bound cpu 0 / mem 1: its numa_maps line is `huge`,
#     kernelpagesize_kB=2048, N1=8, and hugepages_placement (warning) names its pid; the
#     same bound cpu 1 / mem 1: no warning-level finding
#   numa_balancing 1: --latency-sensitive on the first-touch bug gives autonuma_latency
#     (warning, hinting faults seen); a well-placed run without it: nothing above info
source "$(dirname "$0")/../lib.sh"
set -u

for f in "$ROOT/build/static/numalens" "$WORKLOADS/nl-place" "$WORKLOADS/nl-firsttouch-bug" "$WORKLOADS/nl-server"; do
	if [ ! -x "$f" ]; then
		not_ok "prerequisite $f missing (make static workloads)"
		finish
	fi
done

OUT=$(mktemp -d "${TMPDIR:-/tmp}/numalens-vm-doctor.XXXXXX")
trap 'rm -rf "$OUT"' EXIT
out=$OUT/guest

vm_boot "2 nodes" "$out" --nodes 2 --balancing 0 --timeout 300 \
	--add "$ROOT/tests/vm/guest/doctor.sh" --add "$ROOT/tests/vm/guest/lib.sh" \
	-- /usr/local/bin/doctor.sh
rc=$?
if [ "$rc" -eq 0 ]; then ok "2-node guest ran"; else
	not_ok "2-node guest exit $rc"
	tail -n 30 "$out.err" | diag
fi

# json NAME: the run's JSON in $OUT/NAME.json ({} when there is none)
json() {
	sed -n "s/^$1: out: //p" "$out" | grep '^{' > "$OUT/$1.json"
	[ -s "$OUT/$1.json" ] || echo '{}' > "$OUT/$1.json"
	echo "$OUT/$1.json"
}
exit_of() { sed -n "s/^$1: exit: //p" "$out" | head -n 1; }
# pid_of NAME PREFIX: pid= of the workload's line (its cmd line, or doctor's text)
pid_of() { sed -n "s/^$1: $2: .*nl-[a-z-]*: pid=\([0-9]*\) .*/\1/p" "$out" | head -n 1; }
fires() { # NAME ID SEVERITY PID: a finding ID of SEVERITY about PID
	jq_check "$1: $2 ($3) about pid $4" \
		"[.findings[] | select(.id == \"$2\" and .severity == \"$3\" and .pid == $4)] | length == 1" \
		"$(json "$1")"
}
quiet() { # NAME: doctor exits 0 with no warning or critical finding
	local j
	j=$(json "$1")
	[ "$(exit_of "$1")" = 0 ] && ok "$1: doctor exits 0" || not_ok "$1: doctor exit '$(exit_of "$1")'"
	jq_check "$1: no warning-level finding" \
		'(.version == 1) and ([.findings[] | select(.severity != "info")] | length == 0)' "$j"
}

# ---- the first-touch bug ----
j=$(json ftb)
pid=$(jq -r '[.findings[] | select(.id == "first_touch_bug") | .pid] | first // 0' "$j")
[ "$(exit_of ftb)" = 0 ] && ok "ftb: doctor exits 0" || not_ok "ftb: doctor exit '$(exit_of ftb)'"
fires ftb first_touch_bug critical "$pid"
jq_check "ftb: the most severe finding comes first" '.findings[0].id == "first_touch_bug"' "$j"
jq_check "ftb: evidence names init_weights, node 0 and node 1, and the distance cost" \
	'.findings[0].evidence | test("init_weights") and test("node 0") and test("node 1") and test("distance 21")' "$j"
jq_check "ftb: fix is numactl --cpunodebind=1 --membind=1 and migratepages PID 0 1" \
	"(.findings[0].fix | test(\"numactl --cpunodebind=1 --membind=1 nl-firsttouch-bug\") and test(\"migratepages $pid 0 1\"))" "$j"
jq_check "ftb: no remote_bind for a first touch" '[.findings[] | select(.id == "remote_bind")] | length == 0' "$j"
if grep -q '^ftb_text: out: \[critical\] first_touch_bug: ' "$out" && grep -q '^ftb_text: out: .*init_weights' "$out"; then
	ok "ftb_text: the text names first_touch_bug as critical and init_weights"
else
	not_ok "ftb_text: no [critical] first_touch_bug line naming init_weights"
	grep '^ftb_text:' "$out" | head -20 | diag
fi
quiet ftb_local

# ---- numactl --cpunodebind=0 --membind=1 and the correct bind ----
pid=$(pid_of bind01 cmd)
fires bind01 remote_bind critical "${pid:-0}"
jq_check "bind01: evidence is bind:1 from numa_maps; fix binds both to node 0" \
	'[.findings[] | select(.id == "remote_bind")][0] | (.evidence | test("bind:1") and test("numa_maps")) and (.fix | test("numactl --cpunodebind=0 --membind=0"))' \
	"$(json bind01)"
quiet bind00

# ---- latency-sensitive: interleaved against local ----
pid=$(pid_of il_lat cmd)
fires il_lat policy_mismatch warning "${pid:-0}"
jq_check "il_lat: evidence names the interleaved pages; fix keeps it on node 0" \
	'[.findings[] | select(.id == "policy_mismatch")][0] | (.title | test("interleaved")) and (.fix | test("numactl --cpunodebind=0 --membind=0"))' \
	"$(json il_lat)"
quiet local_lat

# ---- threads moving across nodes ----
pid=$(pid_of hopping cmd)
fires hopping unpinned_threads warning "${pid:-0}"
jq_check "hopping: evidence counts cross-node migrations; fix pins to node 0's CPUs" \
	"[.findings[] | select(.id == \"unpinned_threads\")][0] | (.evidence | test(\"[1-9][0-9]* cross-node CPU migrations\")) and (.fix | test(\"taskset -a -cp 0 ${pid:-0}\"))" \
	"$(json hopping)"
jq_check "hopping: not called a first-touch bug or a remote bind" \
	'[.findings[] | select(.id == "first_touch_bug" or .id == "remote_bind")] | length == 0' "$(json hopping)"

# ---- memory spilling off a full node ----
pid=$(sed -n 's/^spill: err: .*(pid \([0-9]*\)).*/\1/p' "$out" | head -n 1)
j=$(json spill)
jq_check "spill: numastat's numa_miss on node 1 (machine-wide)" \
	'[.findings[] | select(.id == "numa_miss" and .pid == 0 and (.title | test("node 1")) and (.evidence | test("node1/numastat")))] | length == 1' "$j"
fires spill numa_miss warning "${pid:-0}"
jq_check "spill: a spill is not called a first-touch bug" '[.findings[] | select(.id == "first_touch_bug")] | length == 0' "$j"

# ---- huge pages ----
grep -q '^hp_sys: pools: 16 16$' "$out" && ok "hp_sys: vm.nr_hugepages=32 gives 16 on each node" ||
	not_ok "hp_sys: pools '$(sed -n 's/^hp_sys: pools: //p' "$out")', not 16 16"
[ "$(exit_of hp_sys)" = 0 ] && ok "hp_sys: doctor exits 0" || not_ok "hp_sys: doctor exit '$(exit_of hp_sys)'"
fires hp_sys hugepages_placement info 0
jq_check "hp_sys: the machine's finding says 16 on each of 2 nodes; no process-level one" \
	'([.findings[] | select(.id == "hugepages_placement" and .pid == 0)][0].title | test("2048 kB huge pages reserved system-wide: 16 on each of 2 nodes")) and ([.findings[] | select(.id == "hugepages_placement" and .pid != 0)] | length == 0)' \
	"$(json hp_sys)"
grep -q '^hp_remote: pools: 0 16$' "$out" && ok "hp_remote: 16 pages reserved on node 1 only" ||
	not_ok "hp_remote: pools '$(sed -n 's/^hp_remote: pools: //p' "$out")', not 0 16"
pid=$(pid_of hp_remote cmd)
maps=$(sed -n 's/^hp_remote: maps: //p' "$out")
case " $maps " in
*" huge "*kernelpagesize_kB=2048*)
	if echo " $maps " | grep -q ' N1=8 ' && ! echo " $maps " | grep -q ' N0='; then
		ok "hp_remote: numa_maps shows huge, kernelpagesize_kB=2048, N1=8"
	else not_ok "hp_remote: numa_maps not N1=8 alone: $maps"; fi ;;
*) not_ok "hp_remote: numa_maps line is not a 2 MiB hugetlb mapping: $maps" ;;
esac
[ "$(exit_of hp_remote)" = 0 ] && ok "hp_remote: doctor exits 0" || not_ok "hp_remote: doctor exit '$(exit_of hp_remote)'"
fires hp_remote hugepages_placement warning "${pid:-0}"
jq_check "hp_remote: 8 of 8 huge pages off node 0; fix reserves 8 on node 0 and binds there" \
	'[.findings[] | select(.id == "hugepages_placement" and .pid != 0)][0] | (.title | test("8 of its 8 huge pages")) and (.evidence | test("2048 kB pages") and test("off node 0") and test("0 free of 0")) and (.fix | test("echo 8 > /sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages") and test("numactl --cpunodebind=0 --membind=0"))' \
	"$(json hp_remote)"
jq_check "hp_remote: no machine-level finding for a pool on one node" \
	'[.findings[] | select(.id == "hugepages_placement" and .pid == 0)] | length == 0' "$(json hp_remote)"
quiet hp_local
jq_check "hp_local: no hugepages_placement at all" \
	'[.findings[] | select(.id == "hugepages_placement")] | length == 0' "$(json hp_local)"
grep -q '^hp_after: pools: 0 0$' "$out" && ok "hp_after: the pools are back to 0" ||
	not_ok "hp_after: pools '$(sed -n 's/^hp_after: pools: //p' "$out")'"

# ---- AutoNUMA on ----
j=$(json an_lat)
pid=$(jq -r '[.findings[] | select(.id == "autonuma_latency") | .pid] | first // 0' "$j")
fires an_lat autonuma_latency warning "$pid"
jq_check "an_lat: evidence counts hinting faults and migrations; fix turns numa_balancing off" \
	'[.findings[] | select(.id == "autonuma_latency")][0] | (.evidence | test("[1-9][0-9]* hinting faults") and test("pages migrated")) and (.fix | test("kernel.numa_balancing=0"))' "$j"
quiet an_plain
jq_check "an_plain: no autonuma_latency without --latency-sensitive" \
	'[.findings[] | select(.id == "autonuma_latency")] | length == 0' "$(json an_plain)"
j=$(json an_rq)
pid=$(jq -r '[.findings[] | select(.id == "autonuma_latency") | .pid] | first // 0' "$j")
fires an_rq autonuma_latency warning "$pid"
jq_check "an_rq: --request gives the window's p99 and the share AutoNUMA's causes explain" \
	'[.findings[] | select(.id == "autonuma_latency")][0].evidence | test("p99 [0-9.]+ ms; of the excess") and test("AutoNUMA.s causes explain [1-9][0-9]*%")' "$j"
# what each run found, for the log
for name in ftb ftb_local bind01 bind00 il_lat local_lat hopping spill hp_sys hp_remote hp_local an_lat an_plain an_rq; do
	jq -r --arg n "$name" '"\($n): " + ([.findings[]? | "\(.severity) \(.id)"] | join(", "))' "$(json "$name")" | diag
done
jq -r '[.findings[] | select(.id == "unpinned_threads")][0].evidence // empty' "$(json hopping)" | diag
sed -n 's/^hp_remote: maps: /hp_remote numa_maps: /p' "$out" | diag
jq -r '[.findings[] | select(.id == "hugepages_placement")][] | .title + " | " + .evidence' "$(json hp_sys)" "$(json hp_remote)" | diag
finish
