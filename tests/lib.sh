# Shared helpers for shell tests. Every test prints TAP lines ("ok - name" /
# "not ok - name"); tests/run counts them. Source this file; set -u is safe.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NUMALENS=${NUMALENS:-$ROOT/build/numalens}
WORKLOADS=$ROOT/build/workloads
# The vm tests' guest architecture (scripts/vmtest reads the same variable): arm64 runs
# them in the arm64 guest with the arm64 build (make ARCH=arm64 static workloads).
VM_ARCH=${NUMALENS_VMTEST_ARCH:-x86}
GUEST_BUILD=$ROOT/build
[ "$VM_ARCH" = x86 ] || GUEST_BUILD=$ROOT/build/$VM_ARCH
TEST_FAILED=0

ok()     { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; TEST_FAILED=1; }
diag()   { sed 's/^/# /'; }          # pipe output in as TAP comments
# check NAME CMD...: ok when CMD succeeds
check()  { local name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name"; fi; }
# check_fails NAME EXPECTED_STATUS CMD...: ok when CMD exits with that status
check_status() {
  local name=$1 want=$2; shift 2
  local out rc
  out=$("$@" 2>&1); rc=$?
  if [ "$rc" -eq "$want" ]; then ok "$name"; else not_ok "$name (exit $rc, wanted $want)"; echo "$out" | diag; fi
}
# check_output NAME REGEX CMD...: ok when CMD's combined output matches the regex
check_output() {
  local name=$1 re=$2; shift 2
  local out
  out=$("$@" 2>&1)
  if echo "$out" | grep -Eq -- "$re"; then ok "$name"; else not_ok "$name (no /$re/)"; echo "$out" | diag; fi
}
# check_not_output NAME REGEX CMD...: ok when CMD's combined output does not match
check_not_output() {
  local name=$1 re=$2; shift 2
  local out
  out=$("$@" 2>&1)
  if echo "$out" | grep -Eq -- "$re"; then not_ok "$name (/$re/ found)"; echo "$out" | grep -E -- "$re" | head -5 | diag; else ok "$name"; fi
}
# jq_check NAME FILTER FILE: ok when the jq filter yields true on the JSON in FILE
jq_check() {
  local name=$1 filter=$2 file=$3
  if [ "$(jq -e "$filter" "$file" 2>/dev/null)" = true ]; then ok "$name"; else not_ok "$name (jq: $filter)"; head -c 2000 "$file" | diag; fi
}
finish() { exit "$TEST_FAILED"; }
# static_probe NAME: the statically linked tests/host/NAME.c for the guest (make static
# builds it); reports a failure and ends the test file when it is missing.
static_probe() {
  PROBE=$GUEST_BUILD/static/probes/$1
  if [ ! -x "$PROBE" ]; then
    not_ok "static $1 built for $VM_ARCH (run make static; arm64: make ARCH=arm64 static)"
    finish
  fi
}
# vm_boot NAME OUTFILE VMTEST-ARGS...: runs a guest through scripts/vmtest (stdout in
# OUTFILE, stderr in OUTFILE.err), reports its wall time, returns its status
vm_boot() {
  local name=$1 out=$2 start rc ms
  shift 2
  start=$(date +%s%N)
  "$ROOT/scripts/vmtest" "$@" > "$out" 2> "$out.err"; rc=$?
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  echo "# $name: guest ran in $((ms / 1000)).$(printf %03d $((ms % 1000))) s (exit $rc)"
  return "$rc"
}
# vm_boot_ok NAME OUTFILE VMTEST-ARGS...: vm_boot as a test: ok when the guest exits
# 0, else not ok with the guest kernel's BUG/panic (its first lines name the cause) or
# the end of its output
vm_boot_ok() {
  local name=$1 out=$2 rc
  vm_boot "$@"; rc=$?
  if [ "$rc" -eq 0 ]; then ok "$name guest ran"; else
    not_ok "$name guest exit $rc"
    { grep -m1 -A40 -E 'BUG:|Kernel panic|Oops' "$out.err" || tail -n 30 "$out.err"; } | diag
  fi
}
# json_parses FILE: FILE is non-empty and all of it parses as JSON (one or many values)
json_parses() { [ -s "$1" ] && jq -e . "$1" > /dev/null 2>&1; }
# gone PID: the process no longer exists
gone() { [ -n "$1" ] && [ ! -e "/proc/$1" ]; }
# ids_of PID KEY: the prog_id / link_id values in PID's fdinfo: the BPF objects that
# process holds (other numalens runs on the machine may load programs of the same names)
ids_of() { grep -h "^$2:" /proc/"$1"/fdinfo/* 2>/dev/null | awk '{ print $2 }' | sort -un; }
live_prog_ids() { bpftool prog show -j 2>/dev/null | jq -r '.[].id' | sort -un; }
live_link_ids() { bpftool link show -j 2>/dev/null | jq -r '.[].id' | sort -un; }
