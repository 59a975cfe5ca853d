#!/usr/bin/env bash
# Host tier: the files in contrib/ against the exporter that is built here.
#   grafana/numalens.json: valid JSON, a dashboard with panels, every panel has a query,
#     and every metric a query names is one `numalens exporter` prints (its families
#     with --bpf-stats and --request, which add the families printed conditionally); histogram
#     queries name _bucket of an exported histogram;
#   systemd/numalens.service: `systemd-analyze verify` accepts it (ExecStart pointed at
#     this build), it restarts on failure, and it grants only CAP_BPF and CAP_PERFMON,
#     which are enough: the exporter runs as nobody with exactly those two and every
#     source but pmu comes up (pmu needs hardware counters this machine lacks).
source "$(dirname "$0")/../lib.sh"
OUT=$(mktemp -d)
chmod 755 "$OUT" # nobody writes below it (section 2)
trap 'rm -rf "$OUT"' EXIT
DASH=$ROOT/contrib/grafana/numalens.json
UNIT=$ROOT/contrib/systemd/numalens.service

if [ "$(id -u)" -ne 0 ]; then
  not_ok "contrib: needs root"
  finish
fi

# ---- the dashboard ----
check "the dashboard is valid JSON" json_parses "$DASH"
np=$(jq '.panels | length' "$DASH")
check "the dashboard has panels ($np)" [ "${np:-0}" -ge 5 ]
nq=$(jq '[.panels[] | select((.targets // []) | map(.expr // "") | map(select(length > 0)) | length == 0)] | length' "$DASH")
check "every panel has a query ($nq without)" [ "$nq" -eq 0 ]

mkdir -p "$OUT/tf"
"$NUMALENS" exporter --textfile "$OUT/tf" --bpf-stats --request "$WORKLOADS/nl-reqinject:nl_request" \
  -i 0.5 -d 1.2 -q 2> "$OUT/exp.err"
rc=$?
check "exporter --textfile --bpf-stats --request ran (exit $rc)" [ "$rc" -eq 0 ]
diag < "$OUT/exp.err"
# the families it prints, and for histograms their _bucket/_sum/_count series
awk '/^# TYPE / { print $3; if ($4 == "histogram") { print $3 "_bucket"; print $3 "_sum"; print $3 "_count" } }' \
  "$OUT/tf/numalens.prom" | sort -u > "$OUT/exported"
echo "# the exporter prints $(wc -l < "$OUT/exported") family and series names"
jq -r '.panels[] | .title as $t | .targets[] | "\($t)\t\(.expr)"' "$DASH" > "$OUT/queries"
missing=0
while IFS=$'\t' read -r title expr; do
  names=$(grep -oE 'numalens_[a-zA-Z0-9_]+' <<< "$expr" | sort -u)
  [ -n "$names" ] || { echo "panel '$title': a query names no numalens metric: $expr"; missing=1; }
  for n in $names; do
    grep -qx "$n" "$OUT/exported" || { echo "panel '$title': $n is not exported"; missing=1; }
  done
done < "$OUT/queries" > "$OUT/missing"
check "every panel's query names only metrics the exporter prints ($(wc -l < "$OUT/queries") queries)" [ ! -s "$OUT/missing" ]
diag < "$OUT/missing"
check_output "--bpf-stats exports numalens's own BPF run time" '^numalens_bpf_run_seconds_total [0-9.]+' \
  cat "$OUT/tf/numalens.prom"

# ---- the systemd unit ----
check "the unit restarts on failure" grep -qx 'Restart=on-failure' "$UNIT"
check "the unit grants CAP_BPF and CAP_PERFMON only" grep -qx 'CapabilityBoundingSet=CAP_BPF CAP_PERFMON' "$UNIT"
check "the unit runs as a dynamic user, not root" grep -qx 'DynamicUser=yes' "$UNIT"
if command -v systemd-analyze > /dev/null; then
  sed "s|/usr/bin/numalens|$NUMALENS|" "$UNIT" > "$OUT/numalens.service"
  systemd-analyze verify "$OUT/numalens.service" > "$OUT/verify" 2>&1; rc=$?
  check "systemd-analyze verify accepts the unit (exit $rc)" eval '[ "$rc" -eq 0 ] && [ ! -s "$OUT/verify" ]'
  diag < "$OUT/verify"
else
  echo "# systemd-analyze missing: the unit is not verified"
fi
# what the unit grants is enough: nobody with CAP_BPF and CAP_PERFMON
mkdir -p "$OUT/nobody"
chmod 777 "$OUT/nobody"
setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all,+bpf,+perfmon \
  --ambient-caps=-all,+bpf,+perfmon "$NUMALENS" exporter --textfile "$OUT/nobody" -i 0.5 -d 1.2 -q \
  > "$OUT/nobody.out" 2>&1
rc=$?
check "as nobody with CAP_BPF and CAP_PERFMON only: exit 0 ($rc)" [ "$rc" -eq 0 ]
diag < "$OUT/nobody.out"
down=$(grep '^numalens_source_up' "$OUT/nobody/numalens.prom" 2>/dev/null | grep ' 0$' | grep -v 'source="pmu"\|source="numa_scan"')
check "as nobody: the sources are up as for root (down: ${down:-none})" eval '[ -s "$OUT/nobody/numalens.prom" ] && [ -z "$down" ]'
root_down=$(grep '^numalens_source_up.* 0$' "$OUT/tf/numalens.prom" | sort)
nobody_down=$(grep '^numalens_source_up.* 0$' "$OUT/nobody/numalens.prom" 2>/dev/null | sort)
check "as nobody: the same sources are down as for root ($(echo $nobody_down | tr -d '\n'))" [ "$root_down" = "$nobody_down" ]
finish
