#!/usr/bin/env bash
# vm tier: scripts/vmtest's own behavior, and the placement workloads (nl-place,
# nl-firsttouch-bug) against the kernel's ground truth (/proc/PID/numa_maps, move_pages(2))
# in a 2-node and a 4-node guest. Boots four guests: 1 node (exit status, quoting, mounts),
# 1 node killed by --timeout, 2 nodes with balancing 0, 4 nodes with balancing 1. Each
# guest runs tests/vm/guest/placement.sh, which prints facts; this side judges them.
source "$(dirname "$0")/../lib.sh"
set -u

VMTEST=$ROOT/scripts/vmtest
GUEST_LIB=$ROOT/tests/vm/guest/lib.sh
GUEST=$ROOT/tests/vm/guest/placement.sh
PAGES=16384   # nl-place and nl-firsttouch-bug default to 64 MiB of 4 KiB pages

for f in "$ROOT/build/static/numalens" "$WORKLOADS/nl-place" "$WORKLOADS/nl-firsttouch-bug"; do
	if [ ! -x "$f" ]; then
		not_ok "prerequisite $f missing (make static workloads)"
		finish
	fi
done

# vmtest's temp files go to $tmp, so the end can check that nothing is left behind.
logs=$(mktemp -d "${TMPDIR:-/tmp}/numalens-vm-logs.XXXXXX")
tmp=$(mktemp -d "${TMPDIR:-/tmp}/numalens-vmtest-test.XXXXXX")
trap 'rm -rf "$tmp" "$logs"' EXIT
export TMPDIR=$tmp

# fact FILE NAME KEY: the VALUE of the guest's "NAME: KEY: VALUE" line
fact() { sed -n "s/^$2: $3: //p" "$1" | head -n 1; }
# node_counts: "N0=8192,N1=8192" from any text with numa_maps-style N<k>=<pages> words
node_counts() { grep -oE '(^| )N[0-9]+=[0-9]+' | tr -d ' ' | paste -sd, -; }
# kv LINE KEY: VALUE of KEY=VALUE in LINE
kv() { tr ' ' '\n' <<< "$1" | sed -n "s/^$2=//p"; }

# check_place FILE NAME WANT: nl-place check NAME put exactly WANT ("N1=16384") where
# the kernel says, both per move_pages(2) (its --verify) and per /proc/PID/numa_maps.
check_place() {
	local file=$1 name=$2 want=$3 line verify maps expect measured
	line=$(fact "$file" "$name" line)
	verify=$(fact "$file" "$name" verify)
	maps=$(fact "$file" "$name" numa_maps)
	expect=$(kv "$line" expect)
	measured=$(kv "$verify" measured)
	echo "# $name: want $want; nl-place expects $expect; move_pages $measured; numa_maps $(node_counts <<< "$maps")"
	[ "$expect" = "$want" ] && ok "$name: nl-place expects $want" || not_ok "$name: nl-place expects '$expect', not $want"
	[ "$measured" = "$want" ] && [[ $verify == *" ok" ]] && ok "$name: move_pages --verify finds $want" ||
		not_ok "$name: move_pages --verify: '$verify'"
	[ "$(node_counts <<< "$maps")" = "$want" ] && ok "$name: numa_maps shows $want" ||
		not_ok "$name: numa_maps: '$maps'"
	[ "$(fact "$file" "$name" exit)" = 0 ] && ok "$name: nl-place exits 0" ||
		{ not_ok "$name: nl-place exit '$(fact "$file" "$name" exit)'"; grep "^$name: output:" "$file" | diag; }
}

# share WANT-NODES: "N0=50.0% N1=50.0%" from "N0=8192,N1=8192"
shares() { tr ',' '\n' <<< "$1" | awk -F= -v p=$PAGES '{ printf "%s=%.1f%% ", $1, 100 * $2 / p }'; }

boot() { vm_boot "$@"; }

# ---- argument validation (no guest) ----
check_status "vmtest --nodes 0 is a usage error" 2 "$VMTEST" --nodes 0 -- true
check_output "vmtest --nodes 0 says why" 'nodes must be 1\.\.64' "$VMTEST" --nodes 0 -- true
check_status "vmtest --nodes 65 is a usage error" 2 "$VMTEST" --nodes 65 -- true
check_status "vmtest without a command is a usage error" 2 "$VMTEST" --nodes 2
check_status "vmtest rejects an asymmetric --distance" 2 "$VMTEST" --nodes 2 --distance "10,21;22,10" -- true
check_status "vmtest rejects a --distance of the wrong size" 2 "$VMTEST" --nodes 4 --distance "10,21;21,10" -- true
check_status "vmtest rejects a --distance diagonal other than 10" 2 "$VMTEST" --nodes 2 --distance "11,21;21,10" -- true
check_status "vmtest rejects --mem-per-node 12x" 2 "$VMTEST" --mem-per-node 12x -- true
check_status "vmtest rejects --balancing 2" 2 "$VMTEST" --balancing 2 -- true
check_status "vmtest rejects --env without =" 2 "$VMTEST" --env FOO -- true

# ---- 1 node: exit status, argument quoting, --env, raw output, mounts ----
out=$logs/one
# shellcheck disable=SC2016 # expanded by the guest's sh
script='printf "%s|" "$@"; echo "$GREETING"; cat /sys/devices/system/node/online
for m in /sys/kernel/tracing /sys/kernel/debug /sys/fs/bpf /sys/fs/cgroup; do
	awk -v m=$m "\$2 == m { printf \"%s \", \$3 }" /proc/mounts
done
echo; pwd; id -u; exit 3'
boot "1 node" "$out" --nodes 1 --env 'GREETING=a b' -- sh -c "$script" sh 'x y' "it's"
rc=$?
[ "$rc" -eq 3 ] && ok "vmtest exits with the command's status (3)" ||
	{ not_ok "vmtest exit $rc, wanted the command's 3"; diag < "$out.err"; }
want=$(printf '%s\n' "x y|it's|a b" 0 "tracefs debugfs bpf cgroup2 " /root 0)
if [ "$(cat "$out")" = "$want" ]; then
	ok "guest output arrives byte for byte (quoting, --env, no \\r, mounts, /root, uid 0)"
else
	not_ok "guest output differs from what the command printed"
	od -c "$out" | head -20 | diag
fi

# ---- --timeout: killed, 124, quickly ----
start=$SECONDS
boot "timeout" "$logs/timeout" --nodes 1 --timeout 5 -- sleep 600
rc=$?
[ "$rc" -eq 124 ] && [ $((SECONDS - start)) -lt 30 ] && ok "vmtest --timeout 5 kills the guest and exits 124" ||
	{ not_ok "vmtest --timeout: exit $rc after $((SECONDS - start)) s"; diag < "$logs/timeout.err"; }

# ---- 2 nodes, 2 CPUs each, AutoNUMA off, a custom distance ----
out=$logs/two
boot "2 nodes" "$out" --nodes 2 --cpus-per-node 2 --balancing 0 --distance "10,32;32,10" \
	--add "$GUEST" --add "$GUEST_LIB" -- /usr/local/bin/placement.sh \
	"bal cat /proc/sys/kernel/numa_balancing" \
	"dist cat /sys/devices/system/node/node0/distance" \
	"cpus1 cat /sys/devices/system/node/node1/cpulist" \
	"bind01 place bind --cpu-node 0 --mem-node 1" \
	"bind10 place bind --cpu-node 1 --mem-node 0" \
	"il2 place interleave --nodes 0-1" \
	"local0 place local --cpu-node 0" \
	"local1 place local --cpu-node 1" \
	"ftb ftb --seconds 3" \
	"nonode run nl-place bind --cpu-node 0 --mem-node 2"
rc=$?
[ "$rc" -eq 0 ] && ok "2-node guest ran the checks" || { not_ok "2-node guest exit $rc"; diag < "$out.err"; }
[ "$(fact "$out" bal value)" = 0 ] && ok "--balancing 0: kernel.numa_balancing is 0 inside" ||
	not_ok "--balancing 0: numa_balancing is '$(fact "$out" bal value)'"
[ "$(fact "$out" dist value)" = "10 32" ] && ok "--distance 10,32;32,10 is node0's distance row" ||
	not_ok "node0 distance '$(fact "$out" dist value)'"
[ "$(fact "$out" cpus1 value)" = "2-3" ] && ok "--cpus-per-node 2 gives node1 CPUs 2-3" ||
	not_ok "node1 cpulist '$(fact "$out" cpus1 value)'"
check_place "$out" bind01 "N1=$PAGES"
check_place "$out" bind10 "N0=$PAGES"
check_place "$out" il2 "N0=$((PAGES / 2)),N1=$((PAGES / 2))"
echo "# il2 shares: $(shares "$(kv "$(fact "$out" il2 verify)" measured)")"
check_place "$out" local0 "N0=$PAGES"
check_place "$out" local1 "N1=$PAGES"
[ "$(fact "$out" nonode exit)" = 2 ] && ok "nl-place --mem-node 2 on 2 nodes is a usage error" ||
	{ not_ok "nl-place --mem-node 2: exit '$(fact "$out" nonode exit)'"; grep '^nonode' "$out" | diag; }

# first-touch bug, AutoNUMA off: everything stays where init put it.
line=$(fact "$out" ftb line)
echo "# ftb: $line"
echo "# ftb: worker on CPU $(fact "$out" ftb worker_cpu), $(fact "$out" ftb "done"), migrated $(fact "$out" ftb migrated), hint faults $(fact "$out" ftb hint_faults)"
[ "$(kv "$line" placed)" = "N0=$PAGES" ] && ok "ftb: init_weights first-touched all pages on node 0" ||
	not_ok "ftb: placed '$(kv "$line" placed)'"
[ "$(fact "$out" ftb worker_cpu_node)" = 1 ] && ok "ftb: the worker runs on a node 1 CPU" ||
	not_ok "ftb: worker on CPU '$(fact "$out" ftb worker_cpu)' node '$(fact "$out" ftb worker_cpu_node)'"
[ "$(fact "$out" ftb init_comm)/$(fact "$out" ftb worker_comm)" = init/worker ] &&
	ok "ftb: threads are named init and worker" ||
	not_ok "ftb: thread names '$(fact "$out" ftb init_comm)/$(fact "$out" ftb worker_comm)'"
[ "$(node_counts <<< "$(fact "$out" ftb numa_maps)")" = "N0=$PAGES" ] &&
	ok "ftb: numa_maps shows the pages on node 0 while the worker runs" ||
	not_ok "ftb: numa_maps '$(fact "$out" ftb numa_maps)'"
[ "$(kv "$(fact "$out" ftb "done")" resident)" = "N0=$PAGES" ] && [ "$(fact "$out" ftb migrated)" = 0 ] &&
	ok "ftb: with balancing 0 no page moved" ||
	not_ok "ftb: balancing 0 but '$(fact "$out" ftb "done")', migrated '$(fact "$out" ftb migrated)'"
[ "$(fact "$out" ftb exit)" = 0 ] && ok "ftb: exits 0" || not_ok "ftb: exit '$(fact "$out" ftb exit)'"

# ---- 4 nodes (default ring distances), AutoNUMA on ----
out=$logs/four
boot "4 nodes" "$out" --nodes 4 --balancing 1 --add "$GUEST" --add "$GUEST_LIB" -- /usr/local/bin/placement.sh \
	"bal cat /proc/sys/kernel/numa_balancing" \
	"dist0 cat /sys/devices/system/node/node0/distance" \
	"dist1 cat /sys/devices/system/node/node1/distance" \
	"bind03 place bind --cpu-node 0 --mem-node 3" \
	"bind21 place bind --cpu-node 2 --mem-node 1" \
	"il4 place interleave --nodes 0-3" \
	"il13 place interleave --nodes 1,3 --cpu-node 0" \
	"local2 place local --cpu-node 2" \
	"ftb ftb --seconds 4 --init-node 0 --worker-node 3"
rc=$?
[ "$rc" -eq 0 ] && ok "4-node guest ran the checks" || { not_ok "4-node guest exit $rc"; diag < "$out.err"; }
[ "$(fact "$out" bal value)" = 1 ] && ok "--balancing 1: kernel.numa_balancing is 1 inside" ||
	not_ok "--balancing 1: numa_balancing is '$(fact "$out" bal value)'"
[ "$(fact "$out" dist0 value)/$(fact "$out" dist1 value)" = "10 21 31 21/21 10 21 31" ] &&
	ok "4 nodes: default ring distances (1 hop 21, 2 hops 31)" ||
	not_ok "4 nodes: distances '$(fact "$out" dist0 value)' / '$(fact "$out" dist1 value)'"
check_place "$out" bind03 "N3=$PAGES"
check_place "$out" bind21 "N1=$PAGES"
q=$((PAGES / 4))
check_place "$out" il4 "N0=$q,N1=$q,N2=$q,N3=$q"
echo "# il4 shares: $(shares "$(kv "$(fact "$out" il4 verify)" measured)")"
check_place "$out" il13 "N1=$((PAGES / 2)),N3=$((PAGES / 2))"
check_place "$out" local2 "N2=$PAGES"

# first-touch bug, AutoNUMA on: placed on node 0, then migrated toward the worker's node 3.
line=$(fact "$out" ftb line)
resident=$(kv "$(fact "$out" ftb "done")" resident)
on3=$(tr ',' '\n' <<< "$resident" | sed -n 's/^N3=//p')
echo "# ftb: $line"
echo "# ftb: after 4 s of the worker: resident $resident, migrated $(fact "$out" ftb migrated), hint faults $(fact "$out" ftb hint_faults)"
[ "$(kv "$line" placed)" = "N0=$PAGES" ] && ok "ftb 4 nodes: first-touched on node 0" ||
	not_ok "ftb 4 nodes: placed '$(kv "$line" placed)'"
[ "$(fact "$out" ftb worker_cpu_node)" = 3 ] && ok "ftb 4 nodes: the worker runs on node 3" ||
	not_ok "ftb 4 nodes: worker CPU '$(fact "$out" ftb worker_cpu)' node '$(fact "$out" ftb worker_cpu_node)'"
[ "${on3:-0}" -gt $((PAGES / 2)) ] && ok "ftb 4 nodes: AutoNUMA moved most pages to the worker's node (${on3:-0}/$PAGES)" ||
	not_ok "ftb 4 nodes: with balancing 1 only ${on3:-0}/$PAGES pages on node 3"
[ "$(fact "$out" ftb exit)" = 0 ] && ok "ftb 4 nodes: exits 0" || not_ok "ftb 4 nodes: exit '$(fact "$out" ftb exit)'"

# ---- nothing left behind ----
left=$(ls -A "$tmp")
procs=$(pgrep -f "$tmp" || true)
[ -z "$left" ] && [ -z "$procs" ] && ok "vmtest leaves no temp files and no qemu behind" ||
	not_ok "vmtest left files '$left' / processes '$procs'"

finish
