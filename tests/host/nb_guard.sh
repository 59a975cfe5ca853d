#!/usr/bin/env bash
# The numa_balancing guard (user/engine/numa_balancing.c) on this host's real
# kernel.numa_balancing: the value comes back on the normal path, on SIGINT to the
# process group (caught and not), on SIGKILL of numalens (its guardian restores), and,
# when the guardian was killed too, at the next start (recover). Every case starts
# from a value it sets and checks the value read back from /proc; the host's own value
# is put back on exit, whatever happens. The state goes to a temp dir.
source "$(dirname "$0")/../lib.sh"
PROBE=$ROOT/build/tests/host/nb_guard_probe
SYSCTL=/proc/sys/kernel/numa_balancing

if [ ! -w "$SYSCTL" ]; then
  ok "# SKIP no writable $SYSCTL (needs root and a NUMA kernel)"
  finish
fi
orig=$(cat "$SYSCTL")
tmp=$(mktemp -d)
export NUMALENS_STATE_DIR=$tmp/state
STATE=$NUMALENS_STATE_DIR/numa_balancing.state
started=()
cleanup() {
  for p in "${started[@]}"; do kill -9 "$p" 2> /dev/null; done
  echo "$orig" > "$SYSCTL"
  rm -rf "$tmp"
}
trap cleanup EXIT

nb() { cat "$SYSCTL"; }
setnb() { echo "$1" > "$SYSCTL"; }
is() { [ "$(nb)" = "$1" ]; }
# wait_until SECONDS CMD...: polls CMD every 20 ms until it succeeds or time is up
wait_until() {
  local end=$(( $(date +%s%N) + $1 * 1000000000 )); shift
  until "$@"; do [ "$(date +%s%N)" -ge "$end" ] && return 1; sleep 0.02; done
}
# dead PID: gone, or a zombie (it holds nothing any more)
dead() { [ ! -e "/proc/$1" ] || grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2> /dev/null; }
# restored VALUE GUARDIAN: the value is back, the state file and the guardian gone
restored() { is "$1" && [ ! -e "$STATE" ] && dead "$2"; }
field() { sed -n "s/^$1=//p" "$STATE"; }
# start NAME V ARGS...: the probe in a session (and process group) of its own, set to V;
# sets pid and guardian
start() {
  local name=$1 v=$2; shift 2
  out=$tmp/$name.out
  setsid "$PROBE" start-and-set "$v" "$@" > "$out" 2>&1 &
  pid=$!
  started+=("$pid")
  if ! wait_until 10 grep -q '^ready' "$out"; then
    not_ok "$name: probe ready"; diag < "$out"; pid=0; guardian=0; return 1
  fi
  guardian=$(field guardian)
  started+=("$guardian")
}
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
# reap PID: waits for it and sets rc to its exit status (the probe is our child: setsid
# runs it without forking). Not in $(...): a subshell cannot wait for our children.
reap() { wait "$1" 2> /dev/null; rc=$?; }

# ---- the normal path, both ways ----
setnb 0
out=$("$PROBE" start-set-restore 1 2>&1)
check_output "normal: set 0 -> 1" '^set=1$' echo "$out"
check "normal: back at 0 after restore" is 0
check_output "normal: restore reports success" '^restore=0$' echo "$out"
check "normal: state file removed" [ ! -e "$STATE" ]
check "state dir created 0700" [ "$(stat -c %a "$NUMALENS_STATE_DIR")" = 700 ]
setnb 1
out=$("$PROBE" start-set-restore 0 2>&1)
check_output "normal: set 1 -> 0" '^set=0$' echo "$out"
check "normal: back at 1 after restore" is 1

# ---- SIGKILL of the probe: the guardian restores ----
setnb 1
if start kill1 0; then
  check "running: value set to 0" is 0
  check "state file: original=1" [ "$(field original)" = 1 ]
  check "state file: pid is the probe" [ "$(field pid)" = "$pid" ]
  check "state file: start time of the probe" \
    [ "$(field pid_start)" = "$(sed 's/.*) //' "/proc/$pid/stat" | awk '{ print $20 }')" ]
  check "guardian is a child of the probe" \
    [ "$(awk '/^PPid:/ { print $2 }' "/proc/$guardian/status")" = "$pid" ]
  check "guardian is named numalens-guard" [ "$(cat "/proc/$guardian/comm")" = numalens-guard ]
  fds=$(ls "/proc/$guardian/fd" | sort -n | tr '\n' ' ')
  check "guardian holds stderr and its pipe only ($fds)" [ "$fds" = "2 3 " ]
  t0=$(date +%s%N)
  kill -9 "$pid"
  if wait_until 10 restored 1 "$guardian"; then ok "SIGKILL: guardian restored 1 and removed the state file ($(ms_since "$t0") ms)"
  else not_ok "SIGKILL: guardian restored 1 (value $(nb), state file $(ls "$STATE" 2>&1))"; diag < "$out"; fi
  check_output "SIGKILL: guardian says what it did" "restored kernel.numa_balancing=1 after numalens pid $pid" cat "$out"
  reap "$pid"
fi

# A command the probe runs must not keep the guardian's pipe open: it still runs when
# the guardian restores.
setnb 0
if start kill2 1 --spawn; then
  child=$(sed -n 's/^child=//p' "$out")
  started+=("$child")
  check "spawn: value set to 1" is 1
  t0=$(date +%s%N)
  kill -9 "$pid"
  if wait_until 10 restored 0 "$guardian"; then ok "SIGKILL with a running child: guardian restored 0 ($(ms_since "$t0") ms)"
  else not_ok "SIGKILL with a running child: guardian restored 0 (value $(nb))"; fi
  check "the child still runs" [ -e "/proc/$child" ]
  kill -9 "$child"
  reap "$pid"
fi

# ---- SIGKILL of the probe and its guardian: the next start recovers ----
setnb 0
if start killboth 1; then
  kill -9 "$guardian"
  wait_until 10 dead "$guardian"
  kill -9 "$pid"
  reap "$pid"
  wait_until 10 dead "$pid"
  sleep 0.2 # nothing may restore now: give a wrong restorer time to show
  check "both killed: value stays 1" is 1
  check "both killed: state file remains" [ -e "$STATE" ]
  check_output "recover restores and says so" \
    "^recover=1 restored kernel.numa_balancing=0 left at 1 by numalens pid $pid that did not finish$" "$PROBE" recover
  check "recover: value back at 0" is 0
  check "recover: state file removed" [ ! -e "$STATE" ]
  check_output "recover again: nothing to do" '^recover=0 $' "$PROBE" recover
fi

# ---- recover leaves a running numalens alone ----
setnb 1
if start alive 0 --catch; then
  check_output "owner alive: recover does nothing" '^recover=0 .*still runs' "$PROBE" recover
  check "owner alive: value stays 0" is 0
  check "owner alive: state file stays" [ -e "$STATE" ]
  check_status "owner alive: a second guard is refused" 1 "$PROBE" start-set-restore 1
  check_output "second guard says who holds it" "^error=numalens pid $pid is changing kernel.numa_balancing already" \
    "$PROBE" start-set-restore 1
  check "second guard: value stays 0" is 0
  # with its guardian killed the owner still counts, and its restore must not die of
  # SIGPIPE telling the dead guardian
  kill -9 "$guardian"
  wait_until 10 dead "$guardian"
  check_output "guardian killed, owner alive: recover does nothing" '^recover=0 ' "$PROBE" recover
  check "guardian killed, owner alive: value stays 0" is 0
  kill -TERM "$pid"
  reap "$pid"
  check "SIGTERM caught: probe restored and exited 0 (status $rc)" [ "$rc" = 0 ]
  check_output "SIGTERM caught: restore reports 1" '^restored rc=0 signal=15 value=1$' cat "$out"
  check "SIGTERM caught: value back at 1" is 1
  check "SIGTERM caught: state file removed" [ ! -e "$STATE" ]
fi

# The owner is dead but its guardian, stopped, still lives: recover leaves it alone, and
# the guardian restores once it runs again.
setnb 0
if start stopped 1; then
  kill -STOP "$guardian"
  kill -9 "$pid"
  reap "$pid"
  check_output "owner dead, guardian alive: recover does nothing" '^recover=0 .*still runs' "$PROBE" recover
  check "owner dead, guardian alive: value stays 1" is 1
  kill -CONT "$guardian"
  if wait_until 10 restored 0 "$guardian"; then ok "continued guardian restored 0"
  else not_ok "continued guardian restored 0 (value $(nb))"; fi
fi

# ---- SIGINT to the whole process group (Ctrl-C) ----
setnb 0
if start int1 1; then
  t0=$(date +%s%N)
  kill -INT -- "-$pid"
  reap "$pid"
  check "SIGINT to the group: probe died of it (status $rc)" [ "$rc" = 130 ]
  if wait_until 10 restored 0 "$guardian"; then ok "SIGINT to the group: guardian outlived it and restored 0 ($(ms_since "$t0") ms)"
  else not_ok "SIGINT to the group: guardian restored 0 (value $(nb))"; diag < "$out"; fi
fi
setnb 1
if start int2 0 --catch; then
  kill -INT -- "-$pid"
  reap "$pid"
  check "SIGINT to the group, caught: probe exited 0 (status $rc)" [ "$rc" = 0 ]
  check_output "SIGINT caught: restored through nl_nb_guard_restore" '^restored rc=0 signal=2 value=1$' cat "$out"
  if wait_until 10 restored 1 "$guardian"; then ok "SIGINT caught: value 1, state file and guardian gone"
  else not_ok "SIGINT caught: value 1, state file and guardian gone (value $(nb))"; fi
  check_not_output "SIGINT caught: the guardian did not have to restore" 'ended without restoring' cat "$out"
fi

# ---- state files recover must not act on ----
mkdir -p "$NUMALENS_STATE_DIR"
setnb 1
for bad in 'garbage' 'original=0\npid=1' 'original=0\npid=1\npid_start=1\nguardian=0\nguardian_start=0\npid=2' \
           'original=-1\npid=1\npid_start=1\nguardian=0\nguardian_start=0' \
           'original=0\npid=1\npid_start=1\nguardian=0\nguardian_start=0\nextra=1'; do
  printf "$bad\n" > "$STATE"
  cp "$STATE" "$tmp/bad"
  name=$(printf '%s' "$bad" | head -c 40)
  check_status "bad state file ($name): recover fails" 1 "$PROBE" recover
  check_output "bad state file ($name): says so" '^recover=-22 .*is not a numalens state file' "$PROBE" recover
  check "bad state file ($name): value stays 1, file untouched" eval 'is 1 && cmp -s "$STATE" "$tmp/bad"'
done
check_status "bad state file: guard start refuses" 1 "$PROBE" start-set-restore 0
check "bad state file: guard start left the value at 1" is 1
rm -f "$STATE"

# A state file naming a live process that is not its owner (the pid was reused: another
# start time) is stale; with the right start time it is alive.
setnb 1
start_of() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $20 }'; }
printf 'original=0\npid=%d\npid_start=%d\nguardian=0\nguardian_start=0\n' $$ $(( $(start_of $$) + 1 )) > "$STATE"
check_output "reused pid: recover restores" '^recover=1 restored kernel.numa_balancing=0 left at 1' "$PROBE" recover
check "reused pid: value back at 0" is 0
setnb 1
printf 'original=0\npid=%d\npid_start=%d\nguardian=0\nguardian_start=0\n' $$ "$(start_of $$)" > "$STATE"
check_output "live owner by pid and start time: recover does nothing" '^recover=0 ' "$PROBE" recover
check "live owner: value stays 1" is 1
rm -f "$STATE"

# ---- nl_nb_others ----
# A small sibling of our own: a CI container may run nothing but our ancestors, which
# are never counted, so the low-threshold case cannot rely on the machine's processes.
sleep 120 &
small=$!
started+=("$small")
out=$("$PROBE" others 1 2>&1)
check_output "others, low threshold: counts some processes" '^count=[1-9]' echo "$out"
check_output "others, low threshold: lists them" '^list=[0-9]+ .+ \([0-9]+ MiB\)' echo "$out"
echo "$out" | diag
# A big sibling is listed; a big parent shell and a big child of the probe are not.
"$PROBE" hog 128 > "$tmp/sib.out" 2>&1 &
sib=$!
started+=("$sib")
wait_until 10 grep -q '^ready' "$tmp/sib.out"
out=$(bash -c 'x=$(head -c 150000000 /dev/zero | tr "\0" a); grep "^VmRSS:" /proc/$$/status; "$0" others 100000 --child 192; :' "$PROBE" 2>&1)
parent=$(echo "$out" | sed -n 's/.*parent=\([0-9]*\).*/\1/p')
self=$(echo "$out" | sed -n 's/^self=\([0-9]*\).*/\1/p')
child=$(echo "$out" | sed -n 's/.*child=\([0-9]*\).*/\1/p')
prss=$(echo "$out" | awk '/^VmRSS:/ { print $2 }')
list=$(echo "$out" | sed -n 's/^list=//p')
check "others: the parent shell is big enough to be listed (${prss:-?} kB)" [ "${prss:-0}" -ge 100000 ]
check "others: the big sibling $sib is listed" grep -Eq "(^|, )$sib nb_guard_probe \([0-9]+ MiB\)" <<< "$list"
check "others: the parent shell $parent is not listed" bash -c "! grep -Eq '(^|, )$parent ' <<< '$list'"
check "others: the probe's child $child is not listed" bash -c "! grep -Eq '(^|, )$child ' <<< '$list'"
check "others: the probe is not listed" bash -c "! grep -Eq '(^|, )$self ' <<< '$list'"
echo "$out" | grep -v '^VmRSS' | diag
kill -9 "$sib" "$small"

check "host value $orig is restored at the end" bash -c "echo $orig > $SYSCTL && [ \$(cat $SYSCTL) = $orig ]"
finish
