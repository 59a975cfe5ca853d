#!/usr/bin/env bash
# VM tier: following a command's forked children (-- CMD, the default) and a running
# process's (-p PID --children), in a 2-node guest. tests/vm/guest/children.sh runs the
# cases and prints facts; this side judges them against placement known by
# construction and the guest kernel's /proc/vmstat:
#   fork     a shell forks nl-place bind cpu 0 / mem 1 (16384 pages) and nl-migrate
#            move_pages (2048 pages 0 -> 1): both children appear, the pages in
#            faults[0][1] within 2 %, migrated_pages[0][1] = 2048, and every followed
#            process's migrated pages within 2 % of pgmigrate_success over the run;
#   nofork   the same with --no-children: neither child appears;
#   pid      -p PID --children: a child forked before numalens started (found in /proc)
#            and exec'ing nl-place after it attached is followed, its pages counted;
#   pidonly  -p PID alone: that child is not followed;
#   an       AutoNUMA on, a shell forks nl-firsttouch-bug: the followed processes'
#            migrated pages within 2 % of numa_pages_migrated over the run.
source "$(dirname "$0")/../lib.sh"
set -u

GUEST=$ROOT/tests/vm/guest/children.sh
GUEST_LIB=$ROOT/tests/vm/guest/lib.sh
PAGES=16384
for f in "$ROOT/build/static/numalens" "$WORKLOADS/nl-place" "$WORKLOADS/nl-migrate" \
	"$WORKLOADS/nl-firsttouch-bug"; do
	if [ ! -x "$f" ]; then
		not_ok "prerequisite $f missing (make static workloads)"
		finish
	fi
done
OUT=$(mktemp -d "${TMPDIR:-/tmp}/numalens-vm-children.XXXXXX")
trap '[ -n "${KEEP:-}" ] || rm -rf "$OUT"' EXIT

fact() { sed -n "s/^$2: $3: //p" "$1" | head -n 1; }
within() { awk -v a="$1" -v b="$2" -v p="$3" 'BEGIN { if (a == "" || b == "") exit 1;
  m = a > b ? a : b; d = a > b ? a - b : b - a; exit !(d <= m * p / 100) }'; }
# json NAME: the run's JSON lines as one array
json() {
	sed -n "s/^$1: out: //p" "$out" | grep '^{' | jq -s . > "$OUT/$1.json" 2> /dev/null ||
		echo '[]' > "$OUT/$1.json"
	echo "$OUT/$1.json"
}
jqv() { local f=$1 filt=$2; shift 2; jq -r "$@" "$filt" "$f" 2>/dev/null; }
# wpid NAME WORKLOAD: the pid the workload printed ("WORKLOAD: pid=N ...")
wpid() { sed -n "s/^$1: cmd: $2: pid=\([0-9]*\) .*/\1/p" "$out" | head -n 1; }
# sum NAME PID FILTER: FILTER summed over PID's entries of every interval (PID 0: all)
sum() {
	jqv "$(json "$1")" "[.[] | .processes[]? | select(\$pid == 0 or .pid == \$pid) | $3] | add // 0" \
		--argjson pid "${2:-0}"
}
seen() { [ "$(jqv "$(json "$1")" "[.[] | .processes[]? | select(.pid == $2)] | length")" != 0 ]; }
ran_ok() {
	local name=$1
	if [ "$(fact "$out" "$name" exit)" = 0 ]; then ok "$name: numalens top exits 0"; else
		not_ok "$name: numalens top exit '$(fact "$out" "$name" exit)'"
		grep -E "^$name: (err|cmd):" "$out" | head -20 | diag
	fi
}

# stress-ng comes from Debian (scripts/setup); vmtest brings its shared libraries along.
STRESS_NG=$(command -v stress-ng)
[ -n "$STRESS_NG" ] || not_ok "prerequisite stress-ng missing (scripts/setup installs it)"
out=$OUT/guest
vm_boot "2-node guest" "$out" --nodes 2 --balancing 0 --timeout 500 --add "$GUEST" \
	--add "$GUEST_LIB" ${STRESS_NG:+--add "$STRESS_NG"} -- /usr/local/bin/children.sh
rc=$?
check "2-node guest ran (exit $rc)" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || tail -n 30 "$out.err" | diag

# ---- fork: both children under the followed command ----
ran_ok fork
place=$(wpid fork nl-place) mig=$(wpid fork nl-migrate)
f01=$(sum fork "${place:-1}" '.faults[0][1]')
echo "# fork: nl-place pid ${place:-?} faults[0][1] $f01; nl-migrate pid ${mig:-?}"
check "fork: nl-place (pid ${place:-?}) followed, faults[0][1] $f01 within 2% of $PAGES" \
	within "$f01" "$PAGES" 2
m01=$(sum fork "${mig:-1}" '.migrated_pages[0][1]')
check "fork: nl-migrate (pid ${mig:-?}) followed, migrated_pages[0][1] $m01 = 2048" [ "$m01" = 2048 ]
all=$(sum fork 0 '[.migrated_pages[][]] | add')
vm=$(fact "$out" fork vmstat_pgmigrate_success)
check "fork: followed processes' migrated pages $all within 2% of pgmigrate_success $vm" \
	within "$all" "$vm" 2
check "fork: the sched source says children are followed" \
	grep -q '^fork: out: {.*"via":"[^"]*processes forked by pid [0-9]* followed too' "$out"

# ---- reuse: two processes on one pid in one interval keep their own counts ----
ran_ok reuse
pids=$(sed -n 's/^reuse: cmd: reuse: pids \([0-9]*\) \([0-9]*\)$/\1 \2/p' "$out")
x=${pids% *}
check "reuse: the second nl-migrate got the first one's pid (${pids:-none})" \
	eval "[ -n '$pids' ] && [ '${pids% *}' = '${pids#* }' ]"
moved=$(jqv "$(json reuse)" "[.[] | .processes[]? | select(.pid == ${x:-0}) | .threads[]? | select(.tid == ${x:-0}) | .migrated_pages[0][1]] | map(select(. > 0)) | sort | join(\",\")")
echo "# reuse: pid ${x:-?}: its threads' migrated_pages[0][1]: ${moved:-none}"
check "reuse: tid ${x:-?}'s two threads moved 100 and 200 pages, each its own (${moved:-none})" \
	[ "$moved" = "100,200" ]

# ---- forkserver: a pre-forking server's workers, each its own first touch ----
ran_ok forkserver
workers=$(sed -n 's/^forkserver: out: nl-forkserver: worker pid=\([0-9]*\) node=1 pages=\([0-9]*\) on=N1=\([0-9]*\) .*/\1:\3/p' "$out")
check "forkserver: 3 workers on node 1, each cache entirely on node 1 (move_pages)" \
	[ "$(echo "$workers" | grep -c .)" = 3 ]
for w in $workers; do
	pid=${w%%:*} pages=${w#*:}
	ft=$(sum forkserver "$pid" '.first_touch_pages[1]')
	f10=$(sum forkserver "$pid" '.faults[1][0]')
	check "forkserver: worker $pid followed, first touch on node 1 $ft within 2% of its cache's $pages pages" \
		within "$ft" "$pages" 2
	check "forkserver: worker $pid's faults on node 1 placed no page on node 0 (faults[1][0] $f10)" \
		[ "$f10" = 0 ]
done
server=$(sed -n 's/^forkserver: out: nl-forkserver: pid=\([0-9]*\) workers=3 requests=30$/\1/p' "$out")
check "forkserver: the server (pid ${server:-?}) is followed" eval "[ -n '$server' ] && seen forkserver '$server'"

# ---- stressng: stress-ng --numa, its forked stressor's migrations ----
ran_ok stressng
all=$(sum stressng 0 '[.migrated_pages[][]] | add')
vm=$(fact "$out" stressng vmstat_pgmigrate_success)
parent=$(sed -n 's/^stressng: err: stress-ng: info: *\[\([0-9]*\)\] dispatching.*/\1/p' "$out" | head -n 1)
stressor=$(jqv "$(json stressng)" '[.[] | .processes[]? | select(.pid != $p) | select(([.migrated_pages[][]] | add) > 0) | .pid] | unique | length' --argjson p "${parent:-0}")
echo "# stressng: followed processes migrated $all, pgmigrate_success $vm, migrating children ${stressor:-?}"
check "stressng: pages migrated at all (vmstat ${vm:-?} >= 1000)" [ "${vm:-0}" -ge 1000 ]
check "stressng: the migrations are a child's of stress-ng (pid ${parent:-?}): ${stressor:-0} such processes" \
	[ "${stressor:-0}" -ge 1 ]
check "stressng: followed processes' migrated pages $all within 2% of pgmigrate_success $vm" \
	within "$all" "$vm" 2

# ---- nofork: --no-children ----
ran_ok nofork
place=$(wpid nofork nl-place) mig=$(wpid nofork nl-migrate)
check "nofork: nl-place (pid ${place:-?}) not followed" eval "[ -n '$place' ] && ! seen nofork '$place'"
check "nofork: nl-migrate (pid ${mig:-?}) not followed" eval "[ -n '$mig' ] && ! seen nofork '$mig'"
f01=$(sum nofork 0 '.faults[0][1]')
check "nofork: faults[0][1] over every process $f01 < 10% of $PAGES" [ "$f01" -lt $((PAGES / 10)) ]

# ---- pid: -p PID --children, the child forked before numalens started ----
ran_ok pid
place=$(wpid pid nl-place)
f01=$(sum pid "${place:-1}" '.faults[0][1]')
check "pid: the child forked before attach (pid ${place:-?}) followed, faults[0][1] $f01 within 2% of $PAGES" \
	within "$f01" "$PAGES" 2
at_start=$(sed -n 's/^pid: out: {.*processes forked by pid [0-9]* followed too (tp_btf\/sched_process_fork; \([0-9]*\) at start).*/\1/p' "$out" | head -n 1)
check "pid: the sources count the children found at start (${at_start:-none} >= 1)" [ "${at_start:-0}" -ge 1 ]
ran_ok pidonly
place=$(wpid pidonly nl-place)
check "pidonly: without --children the child (pid ${place:-?}) is not followed" \
	eval "[ -n '$place' ] && ! seen pidonly '$place'"

# ---- an: AutoNUMA's migrations of a forked child ----
ran_ok an
ftb=$(wpid an nl-firsttouch-bug)
all=$(sum an 0 '[.migrated_pages[][]] | add')
vm=$(fact "$out" an vmstat_numa_pages_migrated)
echo "# an: nl-firsttouch-bug pid ${ftb:-?}; followed migrated $all, numa_pages_migrated $vm"
check "an: nl-firsttouch-bug (pid ${ftb:-?}) followed" eval "[ -n '$ftb' ] && seen an '$ftb'"
check "an: pages migrated at all (vmstat $vm >= 8000)" [ "${vm:-0}" -ge 8000 ]
check "an: followed processes' migrated pages $all within 2% of numa_pages_migrated $vm" \
	within "$all" "$vm" 2

finish
