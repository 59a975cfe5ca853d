#!/usr/bin/env bash
# VM tier: first-touch stacks without frame pointers, on a 2-node guest with AutoNUMA
# off. nl-firsttouch-nofp (init_weights() first-touches with memset; -O2
# -fomit-frame-pointer) pinned init on node 0, worker on node 1: the first-touch
# diagnosis's initializer stack, with the default --call-graph (auto: DWARF here),
# is memset <- init_weights <- main, every frame in a mapping and not cut; with
# --call-graph fp the same binary's stack misses init_weights (so the DWARF path is
# what names it). The frame-pointer build (nl-firsttouch-bug) gets the same init stack
# from fp and dwarf. A stripped copy of nl-firsttouch-nofp shows [module+0xoffset] frames
# with its build-id, and with its debug file installed by build-id the same names as the
# original. Optionally (NUMALENS_UNWIND_OLD_KERNEL=1) a 5.10 guest, which has
# no bpf_task_pt_regs: auto falls back to frame pointers and says why, dwarf is refused.
source "$(dirname "$0")/../lib.sh"
set -u

GUEST=$ROOT/tests/vm/guest/unwind.sh
for f in "$ROOT/build/static/numalens" "$WORKLOADS/nl-firsttouch-nofp" \
         "$WORKLOADS/nl-firsttouch-bug"; do
	if [ ! -x "$f" ]; then
		not_ok "prerequisite $f missing (make static workloads)"
		finish
	fi
done
OUT=$(mktemp -d "${TMPDIR:-/tmp}/numalens-vm-unwind.XXXXXX")
trap 'rm -rf "$OUT"' EXIT

# json OUT NAME: run NAME's JSON lines, as one array
json() { sed -n "s/^$2: json: //p" "$1" | jq -s -c '.' 2> /dev/null || echo '[]'; }
# diag_of JSON: the first first_touch_bug diagnosis of any interval
diag_of() {
	jq -c '[.[].processes[]?.diagnosis | select(.kind? == "first_touch_bug")] | first' <<< "$1"
}
# syms DIAG: its init_stack's symbols, as a JSON array
syms() { jq -c '[.init_stack[]?.symbol // "?"]' <<< "${1:-null}" 2> /dev/null; }
jqt() { jq -e "$@" > /dev/null 2>&1; }

# A stripped copy of the frame-pointer-less binary, as distributions ship programs, and
# its debug file, installed in the guest where debuggers look for it by build-id after
# the first run of the copy.
STRIPPED=$OUT/nl-ftnofp-stripped
cp "$WORKLOADS/nl-firsttouch-nofp" "$OUT/nofp"
objcopy --only-keep-debug "$OUT/nofp" "$OUT/nl-ftnofp.debug"
strip -s "$OUT/nofp" -o "$STRIPPED"
build_id=$(readelf -n "$STRIPPED" | awk '/Build ID:/ { print $3 }')
check "the stripped copy has no symbols and a build-id (${build_id:-none})" \
	eval "[ -n '$build_id' ] && nm '$STRIPPED' 2>&1 | grep -q 'no symbols'"
dbg=/usr/lib/debug/.build-id/${build_id:0:2}
install_debug="mkdir -p $dbg && cp /usr/local/bin/nl-ftnofp.debug $dbg/${build_id:2}.debug"

out=$OUT/guest.out
vm_boot_ok "2 nodes" "$out" --nodes 2 --balancing 0 --timeout 600 --add "$GUEST" \
	--add "$STRIPPED" --add "$OUT/nl-ftnofp.debug" -- sh -c "
	/usr/local/bin/unwind.sh auto:auto:nl-firsttouch-nofp fp:fp:nl-firsttouch-nofp \
		fpbug:fp:nl-firsttouch-bug dwbug:dwarf:nl-firsttouch-bug stripped:auto:nl-ftnofp-stripped
	$install_debug && /usr/local/bin/unwind.sh debug:auto:nl-ftnofp-stripped"

for name in auto fp fpbug dwbug stripped debug; do
	rc=$(sed -n "s/^$name: rc: //p" "$out" | head -n 1)
	check "$name: top exits 0" [ "${rc:-x}" = 0 ]
	[ "${rc:-x}" = 0 ] || sed -n "s/^$name: err: //p" "$out" | tail -n 5 | diag
done

j=$(json "$out" auto)
d=$(diag_of "$j")
echo "# auto: faults source: $(jq -r '.[-1].sources.faults.via // "?"' <<< "$j" | sed 's/.*first-touch stacks/first-touch stacks/')"
echo "# auto: init_stack: $(syms "$d")"
check "auto: an interval diagnoses the first-touch bug" jqt '.kind == "first_touch_bug"' <<< "${d:-null}"
check "auto: the faults source says DWARF stacks" \
	jqt '.[-1].sources.faults.via | test("first-touch stacks: DWARF CFI")' <<< "$j"
check "auto: the diagnosis names init_weights as memset's caller" \
	jqt '(.init_stack[0].symbol | test("memset")) and (.init_stack[1].symbol | startswith("init_weights+"))
	     and (.init_stack[2].symbol | startswith("main+"))' <<< "${d:-null}"
check "auto: the initializer's stack is not cut" jqt '.init_stack_cut != true' <<< "${d:-null}"
check "auto: no frame of any stack lies outside the mappings" \
	jqt '[.[].processes[]? | (.diagnosis.init_stack[]?, .threads[]?.first_touch_stack[]?)]
	     | length > 0 and all(.module != null and .module != "[unknown]")' <<< "$j"

j=$(json "$out" fp)
d=$(diag_of "$j")
echo "# fp: init_stack: $(syms "$d")"
check "fp: a frame-pointer walk of the same binary does not reach init_weights" \
	jqt '(.init_stack | length > 0) and (.init_stack[0].symbol | test("memset"))
	     and ([.init_stack[].symbol // "" | startswith("init_weights")] | any | not)' <<< "${d:-null}"
check "fp: no frame of any stack lies outside the mappings" \
	jqt '[.[].processes[]? | (.diagnosis.init_stack[]?, .threads[]?.first_touch_stack[]?)]
	     | all(.module != null and .module != "[unknown]")' <<< "$j"

d=$(diag_of "$(json "$out" stripped)")
echo "# stripped, no debug file: init_stack: $(syms "$d")"
check "stripped: DWARF unwinds it (.eh_frame survives strip), each frame [nl-ftnofp-stripped+0x..]" \
	jqt '(.init_stack | length >= 3) and all(.init_stack[]; .symbol | test("^\\[nl-ftnofp-stripped\\+0x[0-9a-f]+\\]$"))' <<< "${d:-null}"
check "stripped: the frames carry the build-id $build_id and file offsets" \
	jqt --arg b "$build_id" 'all(.init_stack[]; .build_id == $b and .file_offset != null)' <<< "${d:-null}"
check "stripped: not cut" jqt '.init_stack_cut != true' <<< "${d:-null}"
d=$(diag_of "$(json "$out" debug)")
echo "# stripped, debug file by build-id: init_stack: $(syms "$d")"
check "stripped with its debug file: memset <- init_weights <- main" \
	jqt '(.init_stack[0].symbol | test("memset")) and (.init_stack[1].symbol | startswith("init_weights+"))
	     and (.init_stack[2].symbol | startswith("main+"))' <<< "${d:-null}"

fps=$(syms "$(diag_of "$(json "$out" fpbug)")")
dws=$(syms "$(diag_of "$(json "$out" dwbug)")")
echo "# frame-pointer binary: fp $fps, dwarf $dws"
check "frame-pointer binary: fp names init_weights first" jqt '.[0] | startswith("init_weights+")' <<< "${fps:-null}"
check "frame-pointer binary: dwarf gives the same init stack as fp" eval '[ -n "$fps" ] && [ "$fps" = "$dws" ]'

if [ "${NUMALENS_UNWIND_OLD_KERNEL:-0}" = 1 ]; then
	out=$OUT/old.out
	vm_boot_ok "5.10" "$out" --kernel bullseye --nodes 2 --balancing 0 --timeout 600 --add "$GUEST" -- \
		/usr/local/bin/unwind.sh old:auto:nl-firsttouch-bug olddw:dwarf:nl-firsttouch-bug
	j=$(json "$out" old)
	check "5.10: auto falls back to frame pointers and says why" \
		jqt '.[-1].sources.faults.via | test("frame pointers \\(bpf_get_stackid\\); DWARF stacks need bpf_task_pt_regs, 5.15")' <<< "$j"
	check "5.10: fp stacks still name init_weights" \
		jqt '.init_stack[0].symbol | startswith("init_weights+")' <<< "$(diag_of "$j")"
	check "5.10: --call-graph dwarf is refused with the reason" \
		grep -q '^olddw: err: .*--call-graph dwarf: DWARF stacks need bpf_task_pt_regs, 5.15' "$out"
fi
finish
