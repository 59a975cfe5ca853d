#!/usr/bin/env bash
# VM tier: faults that allocate no page, resolved to the node of the page they map
# (the mapped_faults source), in a 2-node guest. tests/vm/guest/mapped.sh runs the cases
# and prints facts; this side judges them against placement known by construction and
# the kernel's own answers (numa_maps; move_pages(2) inside nl-mapfile):
#   huge     nl-place bind cpu 0 / mem 1 on 32 hugetlb pages of 2 MiB (pool on node 1):
#            faults[0][1] less the faults_mapped[0][1] (the binary's page cache may be
#            on node 1) = 32, first_touch_pages[1] = 32 x 512 (the process runs on
#            node 0 from its start), resident_huge_pages[1] = the VMA's N1= in
#            numa_maps = 32;
#   mapfile  a file written on node 0, mapped and read by a worker on node 1: the
#            worker's faults_mapped[1][0] within 2 % of the faults it counted itself
#            (getrusage), its remote ratio > 0.9, the file's pages on node 0 by
#            move_pages and numa_maps;
#   mftp     the same in the tracepoint fault mode.
source "$(dirname "$0")/../lib.sh"
set -u

GUEST=$ROOT/tests/vm/guest/mapped.sh
GUEST_LIB=$ROOT/tests/vm/guest/lib.sh
for f in "$ROOT/build/static/numalens" "$WORKLOADS/nl-place" "$WORKLOADS/nl-mapfile"; do
	if [ ! -x "$f" ]; then
		not_ok "prerequisite $f missing (make static workloads)"
		finish
	fi
done
OUT=$(mktemp -d "${TMPDIR:-/tmp}/numalens-vm-mapped.XXXXXX")
trap 'rm -rf "$OUT"' EXIT

fact() { sed -n "s/^$2: $3: //p" "$1" | head -n 1; }
within() { awk -v a="$1" -v b="$2" -v p="$3" 'BEGIN { if (a == "" || b == "") exit 1;
  m = a > b ? a : b; d = a > b ? a - b : b - a; exit !(d <= m * p / 100) }'; }
json() {
	sed -n "s/^$1: out: //p" "$out" | grep '^{' | jq -s . > "$OUT/$1.json" 2> /dev/null ||
		echo '[]' > "$OUT/$1.json"
	echo "$OUT/$1.json"
}
jqv() { local f=$1 filt=$2; shift 2; jq -r "$@" "$filt" "$f" 2>/dev/null; }
# psum NAME PID FILTER: FILTER summed over PID's entries of every interval
psum() { jqv "$(json "$1")" "[.[] | .processes[]? | select(.pid == \$pid) | $3] | add // 0" --argjson pid "$2"; }
# tsum NAME TID FILTER: the same over thread TID's entries
tsum() { jqv "$(json "$1")" "[.[] | .processes[]?.threads[]? | select(.tid == \$tid) | $3] | add // 0" --argjson tid "$2"; }
ran_ok() {
	if [ "$(fact "$out" "$1" exit)" = 0 ]; then ok "$1: numalens top exits 0"; else
		not_ok "$1: numalens top exit '$(fact "$out" "$1" exit)'"
		grep -E "^$1: (err|cmd):" "$out" | head -20 | diag
	fi
}

out=$OUT/guest
vm_boot "2-node guest" "$out" --nodes 2 --balancing 0 --timeout 400 --add "$GUEST" \
	--add "$GUEST_LIB" -- /usr/local/bin/mapped.sh
rc=$?
check "2-node guest ran (exit $rc)" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || tail -n 30 "$out.err" | diag

# ---- huge: a hugetlb buffer bound to the remote node ----
ran_ok huge
line=$(fact "$out" huge cmd)
pid=$(sed -n 's/.*pid=\([0-9]*\) .*/\1/p' <<< "$line")
hp=$(sed -n 's/.* pages=\([0-9]*\) .*/\1/p' <<< "$line")
nm=$(fact "$out" huge numa_maps)
nm1=$(sed -n 's/.* N1=\([0-9]*\).*/\1/p' <<< "$nm")
echo "# huge: pool on node 1 $(fact "$out" huge pool_node1); $line"
echo "# huge: numa_maps: $nm"
f01=$(psum huge "${pid:-0}" '.faults[0][1]')
m01=$(psum huge "${pid:-0}" '.faults_mapped[0][1]')
ft1=$(psum huge "${pid:-0}" '.first_touch_pages[1]')
rh1=$(jqv "$(json huge)" "[.[] | .processes[]? | select(.pid == ${pid:-0}) | .resident_huge_pages[1] // empty] | last // empty")
src=$(jqv "$(json huge)" '[.[] | .sources.mapped_faults.via] | last')
echo "# huge: faults[0][1] $f01 (faults_mapped[0][1] $m01), first_touch_pages[1] $ft1, resident_huge_pages[1] $rh1"
echo "# huge: mapped_faults: $src"
check "huge: numa_maps puts the buffer's ${hp:-?} huge pages on node 1 (N1=${nm1:-none}, kernelpagesize_kB=2048)" \
	eval "[ -n '$nm1' ] && [ '$nm1' = '${hp:-x}' ] && grep -q 'kernelpagesize_kB=2048' <<< '$nm'"
check "huge: faults[0][1] $f01 less faults_mapped[0][1] $m01 = the ${hp:-?} hugetlb faults" \
	[ "$((f01 - m01))" = "${hp:-x}" ]
check "huge: first_touch_pages[1] $ft1 = ${hp:-?} x 512" [ "$ft1" = "$(( ${hp:-0} * 512 ))" ]
check "huge: resident_huge_pages[1] ${rh1:-none} = numa_maps N1=${nm1:-none}" eval '[ -n "$rh1" ] && [ "$rh1" = "${nm1:-x}" ]'
check "huge: the mapped_faults source counts ${hp:-?} hugetlb first touches" \
	grep -q "(0 mapped, ${hp:-x} hugetlb first touches)\|, ${hp:-x} hugetlb first touches)" <<< "$src"

# ---- mapfile, mftp: a file's page cache mapped from the other node ----
mapfile_case() {
	local name=$1 line pid tid wf nm m10 all r10 ratio
	ran_ok "$name"
	line=$(fact "$out" "$name" cmd)
	pid=$(sed -n 's/.*pid=\([0-9]*\) .*/\1/p' <<< "$line")
	tid=$(sed -n 's/.* tid=\([0-9]*\) .*/\1/p' <<< "$line")
	wf=$(sed -n 's/.* faults=\([0-9]*\) .*/\1/p' <<< "$line")
	nm=$(fact "$out" "$name" numa_maps)
	echo "# $name: $line"
	echo "# $name: numa_maps: $nm"
	echo "# $name: mapped_faults: $(jqv "$(json "$name")" '[.[] | .sources.mapped_faults.via] | last')"
	m10=$(tsum "$name" "${tid:-0}" '.faults_mapped[1][0]')
	r10=$(tsum "$name" "${tid:-0}" '.faults[1][0]')
	all=$(tsum "$name" "${tid:-0}" '[.faults[][]] | add')
	ratio=$(awk -v r="$r10" -v a="$all" 'BEGIN { printf "%.3f", a ? r / a : 0 }')
	echo "# $name: worker tid ${tid:-?}: faults_mapped[1][0] $m10, faults[1][0] $r10 of $all placed, own count $wf"
	check "$name: the file's pages are on node 0 (move_pages: file_pages=N0=16384 missing=0)" \
		grep -q 'file_pages=N0=16384 missing=0' <<< "$line"
	check "$name: numa_maps puts the mapped file on node 0 (N0= only)" \
		eval "grep -q ' N0=' <<< '$nm' && ! grep -q ' N1=' <<< '$nm'"
	check "$name: worker's faults_mapped[1][0] $m10 within 2% of its own fault count ${wf:-?}" \
		within "$m10" "${wf:-x}" 2
	check "$name: worker's remote ratio $ratio > 0.9" \
		awk -v x="$ratio" 'BEGIN { exit !(x > 0.9) }'
	check "$name: the process's faults_mapped are all in its faults" \
		[ "$(psum "$name" "${pid:-0}" '[.faults_mapped[][]] | add')" -le \
		  "$(psum "$name" "${pid:-0}" '[.faults[][]] | add')" ]
}
mapfile_case mapfile
mapfile_case mftp

finish
