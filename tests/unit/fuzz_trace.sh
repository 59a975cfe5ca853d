#!/usr/bin/env bash
# The trace reader under libFuzzer for 20 s (tests/fuzz/run): every seed and every input
# of tests/fuzz/corpus, then mutations of them, from a fresh work directory each time.
# A crash, leak, timeout or out-of-memory fails it; its input is in build/fuzz/artifacts/.
set -u
cd "$(dirname "$0")/../.."
echo "1..1"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if FUZZ_WORK=$work tests/fuzz/run -max_total_time=20 > "$work/log" 2>&1; then
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")
  echo "ok 1 - trace reader fuzzed for 20 s, ${runs:-?} inputs, no finding"
else
  echo "not ok 1 - trace reader fuzzer: a finding (input in build/fuzz/artifacts/)"
  grep -v '^#[0-9]' "$work/log" | tail -40 | sed 's/^/# /'
  exit 1
fi
