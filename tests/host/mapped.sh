#!/usr/bin/env bash
# Host tier: the mapped_faults source on this kernel (one node: every page is local,
# so what is judged is that the faults are resolved and counted; where they land in a
# 2-node machine is tests/vm/mapped.sh's). nl-mapfile's worker maps a file and reads
# every page, and prints its own count of the faults that took (getrusage
# RUSAGE_THREAD): the ground truth for the worker's faults_mapped[0][0].
source "$(dirname "$0")/../lib.sh"
OUT=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$OUT"' EXIT

if [ "$(id -u)" -ne 0 ]; then
  not_ok "mapped: needs root"
  finish
fi

within() { awk -v a="$1" -v b="$2" -v p="$3" 'BEGIN { if (a == "" || b == "" || b == 0) exit 1;
  m = a > b ? a : b; d = a > b ? a - b : b - a; exit !(d <= m * p / 100) }'; }
# fact FILE KEY: KEY= from nl-mapfile's line
fact() { sed -n "s/.*nl-mapfile: .* $2=\([0-9]*\) .*/\1/p" "$1" | head -n 1; }
# tsum FILE TID FILTER: FILTER summed over thread TID in every interval
tsum() { grep '^{' "$1" | jq -s --argjson t "${2:-0}" "[.[].processes[]?.threads[]? | select(.tid == \$t) | $3] | add // 0"; }
via() { grep '^{' "$1" | jq -rs '[.[].sources.mapped_faults | .via // .reason] | last'; }
active() { grep '^{' "$1" | jq -rs '[.[].sources.mapped_faults.active] | last'; }

# run NAME [ENV=VALUE...] -- NL-MAPFILE-ARGS: top over nl-mapfile, held 3 s after reading
run() {
  local name=$1; shift
  local envs=()
  while [ "$1" != -- ]; do envs+=("$1"); shift; done
  shift
  env "${envs[@]}" "$NUMALENS" top --json -i 1 -d 4 --threads --cmd-output "$OUT/$name.cmd" -- \
    "$WORKLOADS/nl-mapfile" --mib 64 --pause "$@" > "$OUT/$name.json" 2> "$OUT/$name.err"
  check "$name: top exits 0" [ $? -eq 0 ]
  echo "# $name: $(grep nl-mapfile: "$OUT/$name.cmd")"
  echo "# $name: mapped_faults: $(via "$OUT/$name.json")"
}

# mapped NAME: the worker's faults_mapped[0][0] against its own count
mapped() {
  local name=$1 tid wf m u
  tid=$(fact "$OUT/$1.cmd" tid) wf=$(fact "$OUT/$1.cmd" faults)
  m=$(tsum "$OUT/$name.json" "$tid" '.faults_mapped[0][0]')
  u=$(tsum "$OUT/$name.json" "$tid" '.faults_unresolved')
  echo "# $name: worker tid ${tid:-?}: faults_mapped[0][0] $m, unresolved $u, its own count ${wf:-?}"
  check "$name: the mapped_faults source is on" [ "$(active "$OUT/$name.json")" = true ]
  check "$name: worker's faults_mapped[0][0] $m within 2% of its own count ${wf:-?}" within "$m" "$wf" 2
}

# ---- a tmpfs file (shmem page cache), mapped shared ----
run shm -- --file /dev/shm/numalens-mapped.$$
mapped shm
check "shm: the source says how (bpf_find_vma, move_pages)" \
  grep -q 'bpf_find_vma.*move_pages(2)' <<< "$(via "$OUT/shm.json")"

# ---- a file on the disk file system, mapped private (read faults map the page cache) ----
run disk -- --file "$OUT/disk.data" --private
mapped disk

# ---- the tracepoint fault mode ----
run tp NUMALENS_FAULT_TRACEPOINT=1 -- --file /dev/shm/numalens-mapped-tp.$$
mapped tp

# ---- off: the faults stay unresolved, and the source says why ----
run off NUMALENS_NO_MAPPED=1 -- --file /dev/shm/numalens-mapped-off.$$
tid=$(fact "$OUT/off.cmd" tid) wf=$(fact "$OUT/off.cmd" faults)
m=$(tsum "$OUT/off.json" "$tid" '[.faults_mapped[][]] | add')
u=$(tsum "$OUT/off.json" "$tid" '.faults_unresolved')
check "off: the source is off and says why" \
  eval "[ \"\$(active '$OUT/off.json')\" = false ] && grep -q 'NUMALENS_NO_MAPPED' <<< \"\$(via '$OUT/off.json')\""
check "off: no faults_mapped ($m), the worker's ${wf:-?} faults unresolved ($u)" \
  eval "[ '$m' = 0 ] && [ '$u' -ge '${wf:-1}' ]"

finish
