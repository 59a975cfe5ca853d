#!/usr/bin/env bash
# The wide-cell reader (user/collect/wide_cells.c) on a real BPF hash shaped as
# bpf/wide.bpf.h's (struct nl_wide_key -> __u64, no preallocation): a walk sees every
# cell once with its value, deletes exactly the cells its callback asked for (after the
# walk, so none is skipped or seen twice), and a walk the callback stops still deletes
# what was asked before the stop and returns the callback's error.
source "$(dirname "$0")/../lib.sh"
PROBE=$ROOT/build/tests/host/wide_cells_probe
[ -x "$PROBE" ] || { not_ok "prerequisite $PROBE missing (make tests)"; finish; }
N=3000 # 1000 threads (tids 100..1099), 3 cells each; cell i holds i + 1
out=$("$PROBE" $N 2>&1)
echo "$out" | diag
v() { sed -n "s/^$1=//p" <<< "$out"; }
check "the probe made its map" [ -z "$(v error)" ]
check "walk 1 returned 0 ($(v walk1_rc))" [ "$(v walk1_rc)" = 0 ]
check "walk 1 saw every cell once ($(v walk1_seen) of $N)" [ "$(v walk1_seen)" = $N -a "$(v walk1_callback_seen)" = $N ]
check "walk 1 read every value (sum $(v walk1_sum) = N(N+1)/2 = $((N * (N + 1) / 2)))" [ "$(v walk1_sum)" = $((N * (N + 1) / 2)) ]
check "walk 1 deleted the odd tids' 1500 cells, kept the others ($(v left) left, $(v left_odd) odd)" \
  [ "$(v walk1_deleted)" = 1500 -a "$(v left)" = 1500 -a "$(v left_odd)" = 0 ]
check "walk 2 saw the 1500 cells kept ($(v walk2_seen))" [ "$(v walk2_seen)" = 1500 ]
check "a walk stopped by the callback returns its error ($(v stop_rc))" [ "$(v stop_rc)" = -5 ]
check "and deletes exactly what was asked before the stop ($(v stop_deleted) asked, $(v stop_removed) removed)" \
  [ "$(v stop_deleted)" = "$(v stop_removed)" -a "$(v stop_deleted)" -gt 0 ]
finish
