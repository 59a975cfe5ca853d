#!/usr/bin/env bash
# Host tier: what --max-threads asks of the kernel. Every command that takes it (top,
# record, exporter) refuses a count whose preallocated BPF maps would pass the 1 GiB
# bound, as bad usage (exit 2) with the figure, the bound and the largest count that
# fits, before loading anything; -h says what a thread costs; a run says the figure of
# its maps in the sched and hint_faults source texts, and the kernel's own accounting
# of those maps (bpftool's bytes_memlock, which adds its per-element overhead) is at
# least that and not 25 % more.
source "$(dirname "$0")/../lib.sh"
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

if [ "$(id -u)" -ne 0 ]; then
  not_ok "max_threads: needs root"
  finish
fi

for cmd in "top -d 1 --json" "record -o $OUT/t.nlt -d 1" "exporter -d 1 --textfile $OUT"; do
  name=${cmd%% *}
  # shellcheck disable=SC2086 # cmd is a word list on purpose
  check_status "$name --max-threads 4194304: exit 2" 2 "$NUMALENS" $cmd --max-threads 4194304
  # shellcheck disable=SC2086
  check_output "$name: the message says the figure, the bound and what fits" \
    "--max-threads 4194304 would preallocate up to [0-9.]+ MiB \([0-9]+ bytes\) of BPF maps, [0-9]+ bytes a thread, over the bound of 1024 MiB: at most [0-9]+ threads" \
    "$NUMALENS" $cmd --max-threads 4194304
  check_output "$name -h: the cost of a thread" \
    'up to [0-9]+ bytes of BPF map a thread, preallocated' "$NUMALENS" "$name" -h
done
check "record refused before creating its file" [ ! -e "$OUT/t.nlt" ]

# A run says its figure; the kernel's accounting of the same maps agrees.
"$NUMALENS" top --json -i 1 -d 3 --max-threads 1000 -- sleep 2 > "$OUT/run.json" 2> "$OUT/run.err" &
top=$!
# ours_maps: this run's per-thread maps as "name=entries x value / memlock", by the
# map ids its fds hold (other numalens runs may load maps of the same names)
ours_maps() {
  local idj
  idj=$(ids_of "$top" map_id | paste -sd, -)
  bpftool map show -j 2>/dev/null | jq -r --argjson ids "[${idj:-0}]" '[.[]
    | select(.id as $i | $ids | index($i))
    | select(.name | test("^(exited|exited_procs|an_threads)$"))
    | "\(.name)=\(.max_entries)x\(.bytes_value)/\(.bytes_memlock)"] | sort | join(" ")'
}
mem=''
for _ in $(seq 100); do
  mem=$(ours_maps)
  [ "$(wc -w <<< "$mem")" -ge 3 ] && break
  sleep 0.1
done
wait "$top"; rc=$?
check "top --max-threads 1000 ran (exit $rc)" [ "$rc" -eq 0 ]
jq -s . "$OUT/run.json" > "$OUT/run.arr" 2>/dev/null || echo '[]' > "$OUT/run.arr"
sched=$(jq -r '.[0].sources.sched.via // ""' "$OUT/run.arr")
hint=$(jq -r '.[0].sources.hint_faults.via // ""' "$OUT/run.arr")
echo "# sched: $sched"
echo "# hint_faults: $hint"
check_output "sched text: per-thread maps of 1000 threads and their MiB" \
  'per-thread maps: 1000 threads, [0-9.]+ MiB preallocated' echo "$sched"
check_output "hint_faults text: the AutoNUMA map of 1000 threads and its MiB" \
  'per-thread map: 1000 threads, [0-9.]+ MiB preallocated' echo "$hint"
echo "# this run's maps (name=entries x value / memlock): $mem"
# Ours: entries × (key + value), per map: a 4-byte key, an_threads' 16 (tid, start time).
check "the three per-thread maps are this run's, sized from 1000" \
  grep -Eq '^an_threads=1000x[0-9]+/[0-9]+ exited=1000x[0-9]+/[0-9]+ exited_procs=250x[0-9]+/[0-9]+$' <<< "$mem"
check "kernel memlock >= entries x (key + value), and < 1.25 x, for each" \
  awk -v m="$mem" 'BEGIN { n = split(m, a, " "); if (n != 3) exit 1
    for (i = 1; i <= n; i++) { split(a[i], kv, "="); split(kv[2], p, "[x/]")
      ours = p[1] * ((kv[1] == "an_threads" ? 16 : 4) + p[2]); if (!(p[3] >= ours && p[3] < 1.25 * ours)) exit 1 } }'
finish
