#!/usr/bin/env bash
# VM tier: the kernel matrix. Debian's cloud kernel of each release in a 2-node guest
# (scripts/vmtest --kernel RELEASE): which path each source takes there, and the
# placement (tests/vm/access.sh) and AutoNUMA-against-vmstat (tests/vm/autonuma.sh)
# checks run on it, their results prefixed with the release. bookworm (6.1) is the
# kernel of the rest of the vm tier, so only its sources are read here.
#
# The sources of every kernel, and of this host, make a table (build/kernel-matrix.md)
# that must be the one in the README between the kernel-matrix markers: a kernel whose
# sources change fails here until the README says so.
#
# The arm64 columns are Debian's arm64 cloud kernels in the arm64 guest (scripts/vmtest
# --arch arm64, the make ARCH=arm64 build), read the same way: "arm64" is this system's
# release (6.1), "arm64-RELEASE" another one (trixie: 6.12, where faults take the
# fault-entry hook: no in_user_fault). In NUMALENS_MATRIX_CHECKS they run a test there
# (NUMALENS_VMTEST_ARCH=arm64, and NUMALENS_VMTEST_KERNEL=RELEASE).
#
# NUMALENS_MATRIX_CHECKS overrides which test runs on which release (default below;
# empty: the table only). autonuma.sh tries every AutoNUMA path on every kernel and
# expects the ones a kernel cannot run to say why: 5.10 has no fallback (BPF cmpxchg,
# 5.12) and runs fentry and kprobe; arm64 has no fallback (x86's page_fault_user
# tracepoint), 6.1 only kprobe (no BPF trampoline), 6.12 fentry and kprobe.
source "$(dirname "$0")/../lib.sh"
VMTEST=$ROOT/scripts/vmtest
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
CHECKS=${NUMALENS_MATRIX_CHECKS-bullseye:access bullseye:autonuma trixie:access trixie:autonuma sid:access sid:autonuma arm64:access arm64:autonuma arm64-trixie:access arm64-trixie:autonuma}
TABLE=$ROOT/build/kernel-matrix.md
SOURCES=(faults mapped_faults sched residency hint_faults numa_scan migrations numa_sched tlb pmu)

# sources_of NAME: the sources object of one `numalens top --json` interval on kernel
# NAME (or on this host), and its release, into $OUT/NAME.json and $OUT/NAME.release.
top_cmd='numalens top --json -d 2 -- nl-place local --cpu-node 0 --mib 8 --seconds 1'
sources_of() {
  local name=$1 out=$OUT/$1.out
  if [ "$name" = host ]; then
    uname -r | cut -d. -f1,2 > "$OUT/host.release"
    sh -c "PATH=$ROOT/build/workloads:\$PATH; ${top_cmd/numalens/$ROOT/build/numalens}" > "$out" 2>&1
  elif [ "$name" = arm64 ] || [[ $name == arm64-* ]]; then
    local rel=${name#arm64}
    NUMALENS_VMTEST_KERNEL=${rel#-} "$VMTEST" --arch arm64 --nodes 2 --balancing 1 -- sh -c "uname -r; $top_cmd" > "$out" 2>&1
    head -n 1 "$out" | cut -d. -f1,2 > "$OUT/$name.release"
  else
    "$VMTEST" --kernel "$name" --nodes 2 --balancing 1 -- sh -c "uname -r; $top_cmd" > "$out" 2>&1
    head -n 1 "$out" | cut -d. -f1,2 > "$OUT/$name.release"
  fi
  grep '^{' "$out" | head -n 1 | jq -c '.sources' > "$OUT/$name.json" 2>/dev/null
  if [ -s "$OUT/$name.json" ]; then
    ok "$name: numalens top runs ($(cat "$OUT/$name.release"))"
  else
    not_ok "$name: numalens top runs"; tail -n 5 "$out" | diag
    echo '{}' > "$OUT/$name.json"
  fi
}

# cell NAME SOURCE: the short status of a source on a kernel: the path (fentry,
# kprobe, fallback, counter, tracepoint) where there are several, else on/off.
cell() {
  jq -r --arg s "$2" '.[$s] as $x | if $x == null then "?" elif ($x.active | not) then "off"
    elif $s == "faults" then (if ($x.via | test("fault count")) then "counter"
      elif ($x.via | test("^fentry")) then "fentry" else "tracepoint" end)
    elif ($x.via | test("^(fentry|kprobe|fallback)")) then ($x.via | capture("^(?<p>[a-z]+)").p)
    else "on" end' "$OUT/$1.json"
}

# The table: a column per kernel (the host last; releases as major.minor, so a Debian
# point release does not change it), then the reason of each cell that is neither on
# nor the best path (the text up to its first "; ", which only adds state).
write_table() {
  local cols=("$@") k s line
  line='| source |'
  for k in "${cols[@]}"; do line+=" $(cat "$OUT/$k.release") ($k) |"; done
  echo "$line"
  line='|---|'
  for k in "${cols[@]}"; do line+='---|'; done
  echo "$line"
  for s in "${SOURCES[@]}"; do
    line="| $s |"
    for k in "${cols[@]}"; do line+=" $(cell "$k" "$s") |"; done
    echo "$line"
  done
  echo
  for k in "${cols[@]}"; do
    for s in "${SOURCES[@]}"; do
      [ "$s" = pmu ] && continue # not in this version, on any kernel
      # (a fentry fault hook is arm64's stand-in for x86's tracepoint: said why)
      case $(cell "$k" "$s") in on|counter) continue ;; fentry) [ "$s" = faults ] || continue ;; esac
      jq -r --arg s "$s" --arg k "$k" '.[$s] | "- \($k) \($s): \(.via // .reason // "absent")"' \
        "$OUT/$k.json" | sed -E 's/; .*//'
    done
  done
}

kernels=(bullseye bookworm trixie sid)
for k in "${kernels[@]}"; do sources_of "$k"; done
arm64s=(arm64 arm64-trixie)
for k in "${arm64s[@]}"; do sources_of "$k"; done
sources_of host
mkdir -p "$(dirname "$TABLE")"
write_table "${kernels[@]}" "${arm64s[@]}" host > "$TABLE"
diag < "$TABLE"
readme_table=$(sed -n '/<!-- kernel-matrix:begin -->/,/<!-- kernel-matrix:end -->/p' "$ROOT/README.md" |
  sed '1d;$d')
if [ "$readme_table" = "$(cat "$TABLE")" ]; then ok "README's kernel table is the one measured here"
else not_ok "README's kernel table is the one measured here (copy $TABLE between the kernel-matrix markers)"
  diff <(echo "$readme_table") "$TABLE" | diag; fi

# The placement and AutoNUMA tests on the other kernels of the matrix.
for kt in $CHECKS; do
  k=${kt%%:*} t=${kt#*:}
  if [ "$k" = arm64 ] || [[ $k == arm64-* ]]; then
    rel=${k#arm64}
    NUMALENS_VMTEST_ARCH=arm64 NUMALENS_VMTEST_KERNEL=${rel#-} bash "$ROOT/tests/vm/$t.sh" 2>&1 |
      sed -E "s/^(not ok|ok) - /\1 - $k $t: /"
  else
    NUMALENS_VMTEST_KERNEL=$k bash "$ROOT/tests/vm/$t.sh" 2>&1 |
      sed -E "s/^(not ok|ok) - /\1 - $k $t: /"
  fi
done
finish
