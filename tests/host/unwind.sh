#!/usr/bin/env bash
# Host tier: first-touch stacks of code built without frame pointers
# (nl-firsttouch-nofp: init_weights() first-touches its buffer with memset, -O2
# -fomit-frame-pointer). DWARF mode (the default where the kernel allows it) names
# init_weights as memset's caller, also in a stripped copy (.eh_frame survives strip)
# and through record/report; a frame-pointer walk of the same binary does not, which is
# what the DWARF path is for. A frame-pointer binary gives the same initializer stack
# either way. No stack ever shows a frame outside the process's mappings.
source "$(dirname "$0")/../lib.sh"
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

if [ "$(id -u)" -ne 0 ]; then
  not_ok "unwind: needs root"
  finish
fi

# jqt FILTER...: jq -e on stdin, quietly
jqt() { jq -e "$@" > /dev/null; }
# run NAME BINARY TOP-ARGS...: top --json on BINARY; NAME.init holds init's stacks (a
# JSON array of symbols a line), NAME.all every stack's frames, NAME.faults the source
run() {
  local name=$1 bin=$2
  shift 2
  "$NUMALENS" top --json -d 3 "$@" -- "$bin" --mib 16 --seconds 1 \
    --init-node 0 --worker-node 0 > "$OUT/$name.out" 2> "$OUT/$name.err"
  echo "$?" > "$OUT/$name.rc"
  grep '^{' "$OUT/$name.out" > "$OUT/$name.json"
  jq -c '.processes[]?.threads[]? | select(.comm == "init" and .first_touch_stack != null)
         | .first_touch_stack | map(.symbol)' "$OUT/$name.json" > "$OUT/$name.init"
  jq -c '.processes[]?.threads[]? | select(.first_touch_stack != null)
         | {cut: .first_touch_stack_cut, frames: .first_touch_stack}' "$OUT/$name.json" \
    > "$OUT/$name.all"
  tail -n 1 "$OUT/$name.json" | jq -r '.sources.faults.via' > "$OUT/$name.faults"
}
# no_stray NAME: no frame outside the mappings, in any stack of the run
no_stray() {
  check "$1: no frame outside the process's mappings" \
    jqt -s 'length > 0 and all(.[].frames[]; .module != "[unknown]" and .module != null)' \
    "$OUT/$1.all"
}
# init_calls_memset NAME: init's stack is memset, then init_weights, then main
init_calls_memset() {
  local first
  first=$(tail -n 1 "$OUT/$1.init")
  echo "# $1: init's stack: $first"
  check "$1: init's stack is memset <- init_weights <- main" \
    jqt '(.[0] | test("memset")) and (.[1] | startswith("init_weights+")) and
           (.[2] | startswith("main+"))' <<< "${first:-null}"
}

NOFP=$WORKLOADS/nl-firsttouch-nofp
check "nl-firsttouch-nofp is built without frame pointers (init_weights never sets rbp)" \
  bash -c "objdump -d --no-show-raw-insn '$NOFP' | awk '/<init_weights>:/,/ret/' > '$OUT/iw.s' &&
           grep -q 'call' '$OUT/iw.s' && ! grep -q 'mov  *%rsp,%rbp' '$OUT/iw.s'"

run auto "$NOFP"
check "default: top exits 0" [ "$(cat "$OUT/auto.rc")" = 0 ]
check "default: the faults source says DWARF stacks" grep -q 'first-touch stacks: DWARF CFI' "$OUT/auto.faults"
init_calls_memset auto
check "default: init's stack is not cut" \
  jqt -s 'map(select(.frames[0].symbol | test("memset"))) | length > 0 and all(.cut != true)' "$OUT/auto.all"
no_stray auto

run fp "$NOFP" --call-graph fp
check "fp: the faults source says frame pointers, as asked" \
  grep -q 'first-touch stacks: frame pointers (bpf_get_stackid), as asked' "$OUT/fp.faults"
first=$(tail -n 1 "$OUT/fp.init")
echo "# fp: init's stack: $first"
check "fp: a frame-pointer walk of the binary misses init_weights (why DWARF is needed)" \
  jqt 'length > 0 and (.[0] | test("memset")) and (map(startswith("init_weights")) | any | not)' \
  <<< "${first:-null}"
no_stray fp

run dwarf "$NOFP" --call-graph dwarf
init_calls_memset dwarf
no_stray dwarf

# Through an exec: the shell's samples (another executable, same pid) must not make
# the workload's be unwound with the shell's binaries, nor the other way round.
"$NUMALENS" top --json -d 3 -- sh -c 'touch_some=$(seq 1 2000); exec "$0" "$@"' "$NOFP" \
  --mib 16 --seconds 1 --init-node 0 --worker-node 0 > "$OUT/exec.out" 2> "$OUT/exec.err"
grep '^{' "$OUT/exec.out" > "$OUT/exec.json"
jq -c '.processes[]?.threads[]? | select(.comm == "init" and .first_touch_stack != null)
       | .first_touch_stack | map(.symbol)' "$OUT/exec.json" > "$OUT/exec.init"
jq -c '.processes[]?.threads[]? | select(.first_touch_stack != null)
       | {cut: .first_touch_stack_cut, frames: .first_touch_stack}' "$OUT/exec.json" > "$OUT/exec.all"
init_calls_memset exec
no_stray exec

# A stripped copy: no symbols, but the CFI is still there; frames carry the build-id.
strip -s "$NOFP" -o "$OUT/nofp.stripped"
run stripped "$OUT/nofp.stripped" --call-graph dwarf
first=$(jq -c '.processes[]?.threads[]? | select(.comm == "init" and .first_touch_stack != null)
              | .first_touch_stack' "$OUT/stripped.json" | tail -n 1)
echo "# stripped: init's stack: $(jq -c 'map(.symbol)' <<< "${first:-null}")"
check "stripped: the CFI still unwinds past memset (4+ frames, all in the binary, with its build-id)" \
  jqt 'length >= 4 and all(.[]; (.symbol | test("^\\[nofp\\.stripped\\+0x")) and .build_id != null)' \
  <<< "${first:-null}"
no_stray stripped

# A frame-pointer binary: the initializer's stack is the same in both modes.
run fp_bug "$WORKLOADS/nl-firsttouch-bug" --call-graph fp
run dwarf_bug "$WORKLOADS/nl-firsttouch-bug" --call-graph dwarf
fp_stack=$(tail -n 1 "$OUT/fp_bug.init")
dwarf_stack=$(tail -n 1 "$OUT/dwarf_bug.init")
echo "# frame-pointer binary: fp $fp_stack, dwarf $dwarf_stack"
check "frame-pointer binary: init's stack starts at init_weights" \
  jqt '.[0] | startswith("init_weights+")' <<< "${fp_stack:-null}"
check "frame-pointer binary: DWARF gives the same init stack as frame pointers" eval '[ -n "$fp_stack" ] && [ "$fp_stack" = "$dwarf_stack" ]'
no_stray fp_bug
no_stray dwarf_bug

# Through a recording: the frames are in the trace's stack model like any other.
"$NUMALENS" record -q -o "$OUT/t.nlt" -- "$NOFP" --mib 16 --seconds 0 --init-node 0 \
  --worker-node 0 > /dev/null 2> "$OUT/record.err"
"$NUMALENS" report -i "$OUT/t.nlt" --json > "$OUT/report.json" 2> "$OUT/report.err"
jq -c '.processes[]?.threads[]? | select(.comm == "init" and .first_touch_stack != null)
       | .first_touch_stack | map(.symbol)' "$OUT/report.json" > "$OUT/report.init"
init_calls_memset report

check_status "--call-graph with an unknown mode is a usage error" 2 \
  "$NUMALENS" top --call-graph frames -- true
finish
