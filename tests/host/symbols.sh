#!/usr/bin/env bash
# Host tier: first-touch stacks of a stripped binary. A stripped copy of
# nl-firsttouch-bug shows its frames as [module+0xaddr] with the GNU build-id (so the
# stack can be symbolized later, elsewhere); with its debug file where debuggers look
# for it by build-id (/usr/lib/debug/.build-id/xx/yyyy.debug) the same frames carry
# init_weights and main. No stack ever shows a frame outside the process's mappings.
source "$(dirname "$0")/../lib.sh"
OUT=$(mktemp -d)
DEBUG_ROOT=/usr/lib/debug/.build-id
made_dirs=()
cleanup() {
  [ -n "${debug_file:-}" ] && rm -f "$debug_file"
  for d in "${made_dirs[@]}"; do rmdir "$d" 2> /dev/null; done
  rm -rf "$OUT"
}
trap cleanup EXIT

if [ "$(id -u)" -ne 0 ]; then
  not_ok "symbols: needs root"
  finish
fi

cp "$WORKLOADS/nl-firsttouch-bug" "$OUT/app"
objcopy --only-keep-debug "$OUT/app" "$OUT/app.debug"
strip -s "$OUT/app" -o "$OUT/app.stripped"
check "the copy is stripped (no symbols)" bash -c "nm '$OUT/app.stripped' 2>&1 | grep -q 'no symbols'"
build_id=$(readelf -n "$OUT/app.stripped" | awk '/Build ID:/ { print $3 }')
check "the stripped copy has a build-id ($build_id)" [ -n "$build_id" ]

# jqt FILTER...: jq -e on stdin, quietly
jqt() { jq -e "$@" > /dev/null; }
# stacks NAME: every first-touch stack of the run's intervals, one JSON array a line
stacks() {
  "$NUMALENS" top --json -d 3 -- "$OUT/app.stripped" --mib 16 --seconds 1 \
    --init-node 0 --worker-node 0 > "$OUT/$1.out" 2> "$OUT/$1.err"
  grep '^{' "$OUT/$1.out" |
    jq -c '.processes[]?.threads[]? | select(.first_touch_stack != null) | .first_touch_stack' \
      > "$OUT/$1.stacks"
}

stacks plain
check "stripped: stacks were taken" [ -s "$OUT/plain.stacks" ]
first=$(head -n 1 "$OUT/plain.stacks")
echo "# stripped, no debug file: $(jq -c 'map(.symbol)' <<< "$first")"
check "stripped: frames are [app.stripped+0x..]" \
  jqt '.[0].symbol | test("^\\[app\\.stripped\\+0x[0-9a-f]+\\]$")' <<< "$first"
check "stripped: frames carry the build-id $build_id" \
  jqt --arg b "$build_id" '.[0].build_id == $b and .[0].file_offset != null' <<< "$first"
check "stripped: no frame outside the mappings" \
  jq -s -e 'all(.[][]; .module != "[unknown]" and .module != null)' "$OUT/plain.stacks"

debug_file=$DEBUG_ROOT/${build_id:0:2}/${build_id:2}.debug
for d in /usr/lib/debug "$DEBUG_ROOT" "$DEBUG_ROOT/${build_id:0:2}"; do
  [ -d "$d" ] || { mkdir "$d" && made_dirs=("$d" "${made_dirs[@]}"); }
done
cp "$OUT/app.debug" "$debug_file"
stacks debug
first=$(head -n 1 "$OUT/debug.stacks")
echo "# stripped, debug file by build-id: $(jq -c 'map(.symbol)' <<< "$first")"
check "debug file: the stack names init_weights then main" \
  jqt '(.[0].symbol | startswith("init_weights+")) and (.[1].symbol | startswith("main+"))' <<< "$first"
check "debug file: the module is still the stripped binary" \
  jqt --arg m "$OUT/app.stripped" '.[0].module == $m' <<< "$first"
finish
