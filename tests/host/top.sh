#!/usr/bin/env bash
# Host tier: `numalens top` on this kernel (one NUMA node): JSON Lines from a command
# it starts, exit statuses and messages for bad input, not root, a pid that exits,
# Ctrl-C leaving no BPF program or link behind, running the command as the sudo
# user, and the live view under tmux (keys, sorting, drill-down, Esc, help, 60
# columns, no colours), its screens printed as TAP comments.
source "$(dirname "$0")/../lib.sh"
OUT=$(mktemp -d)
TMUX_SOCK="nl-top-test-$$"
cleanup() {
  tmux -L "$TMUX_SOCK" kill-server 2>/dev/null
  rm -rf "$OUT"
}
trap cleanup EXIT

if [ "$(id -u)" -ne 0 ]; then
  not_ok "top: needs root"
  finish
fi


# 1. JSON Lines from a command that faults 200000 pages.
"$NUMALENS" top --json -d 10 -- "$WORKLOADS/nl-faultstorm" -n 200000 > "$OUT/storm" 2> "$OUT/storm.err"
rc=$?
check "top -- nl-faultstorm exits 0" [ "$rc" -eq 0 ]
grep '^{' "$OUT/storm" > "$OUT/storm.json"
grep -v '^{' "$OUT/storm" | diag
lines=$(wc -l < "$OUT/storm.json")
check "at least one JSON line ($lines)" [ "$lines" -ge 1 ]
check "every line parses as JSON" json_parses "$OUT/storm.json"
jq -s '.' "$OUT/storm.json" > "$OUT/all.json"
jq_check "version 1, one node, the followed process only" \
  'all(.[]; .version == 1 and .topology.nodes == [0] and (.processes | length) <= 1)' "$OUT/all.json"
jq_check "the process is the command (nl-faultstorm)" \
  'all(.[].processes[]; .comm == "nl-faultstorm")' "$OUT/all.json"
jq_check "faults are a 1x1 matrix [[n]] with n > 0 in total" \
  'all(.[].processes[]; (.faults | length) == 1 and (.faults[0] | length) == 1) and
   ([.[].processes[].faults[0][0]] | add) > 0' "$OUT/all.json"
faults=$(jq '[.[].processes[].faults[0][0]] | add' "$OUT/all.json")
check "faults ($faults) within 5% of the 200000 pages touched" \
  awk -v f="$faults" 'BEGIN { exit !(f >= 190000 && f <= 210000) }'
jq_check "remote_ratio is 0 or null" 'all(.[].processes[]; .remote_ratio == 0 or .remote_ratio == null)' "$OUT/all.json"
jq_check "cpu_ns > 0" '([.[].processes[].cpu_ns[0]] | add) > 0' "$OUT/all.json"
jq_check "per-thread entries with tid, faults, cpu_ns" \
  '[.[].processes[].threads[]] | length > 0 and all(.[]; (.tid | type) == "number" and (.faults | length) == 1 and (.cpu_ns | length) == 1)' \
  "$OUT/all.json"
jq_check "sources say where faults and cpu time come from" \
  'all(.[]; .sources.faults.active == true and (.sources.faults.via | length) > 0 and .sources.sched.active == true)' \
  "$OUT/all.json"
jq_check "lost_events counted (a number), interval_ns > 0" \
  'all(.[]; (.lost_events | type) == "number" and .interval_ns > 0)' "$OUT/all.json"
jq_check "one node: no diagnosis, with a note saying why" \
  'all(.[].processes[]; .diagnosis == null and (.diagnosis_note | test("One NUMA node")))' "$OUT/all.json"
check_output "the command's exit status is reported" "command '[^']*nl-faultstorm' \\(pid [0-9]+\\) exited with status 0" \
  cat "$OUT/storm.err"

# 2. Bad input.
check_status "-p 999999 exits 1" 1 "$NUMALENS" top --json -d 1 -p 999999
check_output "-p 999999 says no such process" "no such process 999999" "$NUMALENS" top --json -d 1 -p 999999
check_status "--bogus exits 2" 2 "$NUMALENS" top --bogus
check_status "-i 0 exits 2" 2 "$NUMALENS" top --json -i 0 -d 1
check_status "-d abc exits 2" 2 "$NUMALENS" top --json -d abc
check_status "-p and a command together exit 2" 2 "$NUMALENS" top -p 1 -- true
check_status "a command that does not exist exits 1" 1 "$NUMALENS" top --json -d 1 -- /nonexistent/cmd
check_status "--help exits 0" 0 "$NUMALENS" top --help

# 3. Not root.
check_status "not root exits 1" 1 setpriv --reuid=65534 --regid=65534 --clear-groups "$NUMALENS" top --json -d 1
check_output "not root says it needs root" "needs root" \
  setpriv --reuid=65534 --regid=65534 --clear-groups "$NUMALENS" top --json -d 1

# 4. Ctrl-C detaches everything: our programs (and their links) are gone afterwards.
"$NUMALENS" top --json -p $$ > "$OUT/int" 2> "$OUT/int.err" &
top_pid=$!
sleep 2
ours=$(ids_of "$top_pid" prog_id)
our_links=$(ids_of "$top_pid" link_id)
check "while running, numalens programs are loaded" [ -n "$ours" ]
check "while running, numalens links are attached" [ -n "$our_links" ]
kill -INT "$top_pid"
wait "$top_pid"; rc=$?
check "SIGINT: exit 0" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || diag < "$OUT/int.err"
check "SIGINT: the final interval is printed as JSON" json_parses "$OUT/int"
# The kernel frees programs after an RCU grace period once the last fd is closed: give
# it a moment before calling one left behind.
for _ in $(seq 50); do
  [ -z "$(comm -12 <(echo "$ours") <(live_prog_ids))" ] && break
  sleep 0.1
done
left=$(comm -12 <(echo "$ours") <(live_prog_ids))
check "SIGINT: no numalens program left (bpftool prog show)" [ -z "$left" ]
left=$(comm -12 <(echo "$our_links") <(live_link_ids))
check "SIGINT: no numalens link left (bpftool link show)" [ -z "$left" ]

# SIGTERM works alike.
"$NUMALENS" top --json -p $$ > "$OUT/term" 2>&1 &
top_pid=$!
sleep 1.5
kill -TERM "$top_pid"
wait "$top_pid"; rc=$?
check "SIGTERM: exit 0" [ "$rc" -eq 0 ]

# A reader that goes away (`| head`) ends the run normally, detached.
"$NUMALENS" top --json -i 0.3 -p $$ 2> "$OUT/pipe.err" | head -c 10 > /dev/null
rc=${PIPESTATUS[0]}
check "stdout reader gone: exit 0 ($rc)" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || diag < "$OUT/pipe.err"

# 5. The followed pid exits mid-run: message, final interval, exit 0.
sleep 2 &
victim=$!
start=$SECONDS
"$NUMALENS" top --json -d 20 -p "$victim" > "$OUT/exit" 2> "$OUT/exit.err"
rc=$?
check "pid exits mid-run: exit 0" [ "$rc" -eq 0 ]
check "pid exits mid-run: stops well before -d 20 ($((SECONDS - start)) s)" [ $((SECONDS - start)) -lt 10 ]
check_output "pid exits mid-run: says so" "process $victim exited" cat "$OUT/exit.err"
check "pid exits mid-run: JSON lines were printed" json_parses "$OUT/exit"
wait "$victim" 2>/dev/null

# 6. Under sudo the command runs as the invoking user.
SUDO_UID=65534 SUDO_GID=65534 "$NUMALENS" top --json -d 5 -- id -u > "$OUT/id" 2> "$OUT/id.err"
check "SUDO_UID=65534: the command runs as uid 65534" grep -qx 65534 "$OUT/id"
SUDO_UID=65534 SUDO_GID=65534 "$NUMALENS" top --json -d 5 -- id -g > "$OUT/gid" 2>&1
check "SUDO_GID=65534: the command runs as gid 65534" grep -qx 65534 "$OUT/gid"
"$NUMALENS" top --json -d 5 -- id -u > "$OUT/id0" 2>&1
check "without SUDO_UID the command keeps our uid (0)" grep -qx 0 "$OUT/id0"
check_output "a malformed SUDO_UID is refused, not run as root" "invalid SUDO_UID" \
  env SUDO_UID=abc SUDO_GID=1 "$NUMALENS" top --json -d 5 -- id -u
check_output "a command's non-zero status is reported" "exited with status 3" \
  "$NUMALENS" top --json -d 5 -- sh -c 'exit 3'

# wait_exited SESSION FILE: up to 5 s for the pane to print exited=; its text in FILE
wait_exited() {
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    sleep 0.5
    tmux -L "$TMUX_SOCK" capture-pane -p -S -60 -t "$1" > "$2"
    grep -q '^exited=' "$2" && return
  done
}

# 7. The live view, in a detached tmux pane. Each screen is printed into the test's
# output as TAP comments, so a failure shows what was on the terminal. The machine may
# be busy: a screen is waited for (up to 20 s) by a line that says it is there, and
# the checks then look at that one capture.
# shot SESSION FILE NAME [REGEX]: captures the pane into FILE (FILE.esc with its
# attributes) once REGEX is on it (or after 20 s), and prints it under NAME
shot() {
  local i
  for i in $(seq 40); do
    tmux -L "$TMUX_SOCK" capture-pane -p -t "$1" > "$2"
    { [ -z "${4:-}" ] || grep -Eq -- "$4" "$2"; } && break
    sleep 0.5
  done
  tmux -L "$TMUX_SOCK" capture-pane -e -p -t "$1" > "$2.esc"
  { echo "--- screen: $3"; sed 's/[[:space:]]*$//' "$2"; echo "--- end"; } | diag
}
# keys SESSION KEY...: sends the keys
keys() { local s=$1; shift; tmux -L "$TMUX_SOCK" send-keys -t "$s" "$@"; sleep 0.3; }
# selected FILE: the pid on the list's row in reverse video (the selection) in FILE.esc
# (a line that starts in reverse video, as "\e[0;7m" or "\e[7m", with a pid in front)
selected() { grep -aE $'^\e\\[(0;)?7m' "$1.esc" | sed 's/\x1b\[[0-9;]*m//g' | awk '$1 ~ /^[0-9]+$/ { print $1; exit }'; }
LIST_HEAD="^PID +COMM +REMOTE +NODES +CPU%"
DETAIL="^process [0-9]+ "
tmux -L "$TMUX_SOCK" new-session -d -x 150 -y 40 -s top \
  "$NUMALENS top -- $WORKLOADS/nl-faultstorm -n 100000000; echo exited=\$?; sleep 60"
shot top "$OUT/screen" "first screen, 150x40" "^[0-9]+ +nl-faultstorm "
check_output "tui: title line" "numalens top .*pid [0-9]+ \\(nl-faultstorm\\)" cat "$OUT/screen"
check_output "tui: lost events in the title" "lost events:? [0-9]+" cat "$OUT/screen"
check_output "tui: header titles" "^node +remote +CPU +mem used +hint/s +migr in/out +hit/s +miss/s" cat "$OUT/screen"
# one node here: remote share, CPU bar and share, memory bar and used/total, rates
check_output "tui: node 0's header line" "^n0 +~?[0-9]+% +\\[[#.]+\\] +[0-9]+% +\\[[#.]+\\] [0-9.]+[KMGT]/[0-9.]+[KMGT] +[0-9.]+k? +[0-9.k]+/[0-9.k]+ +(-|[0-9.]+[kM]?) +(-|[0-9.]+[kM]?)" cat "$OUT/screen"
check_output "tui: AutoNUMA's state under the nodes" "^AutoNUMA (off|on)" cat "$OUT/screen"
check_output "tui: sorted by remote x CPU by default" "sorted by remote x CPU" cat "$OUT/screen"
check_output "tui: the list's columns" "$LIST_HEAD +FAULT/s +HINT/s +MIGR/s +RES-MiB +NOTE" cat "$OUT/screen"
check_output "tui: the process row with its remote share and node pair" "^[0-9]+ +nl-faultstorm +~?[0-9]+% +cpu0>mem0 +[0-9]+ +[0-9]+" cat "$OUT/screen"
storm_pid=$(sed -n 's/.*pid \([0-9]*\) (nl-faultstorm).*/\1/p' "$OUT/screen" | head -1)
check "tui: the only row is selected ($(selected "$OUT/screen"))" [ "$(selected "$OUT/screen")" = "$storm_pid" ]

keys top Enter
shot top "$OUT/detail" "Enter: the drill-down" "$DETAIL"
check_output "tui: Enter drills into the process" "^process $storm_pid \\(nl-faultstorm\\)" cat "$OUT/detail"
check_output "tui: the drill-down has its thread rows" "^  [0-9]+ +nl-faultstorm" cat "$OUT/detail"
check_output "tui: the drill-down has its access matrix" "^access matrix of $storm_pid \\(nl-faultstorm\\)" cat "$OUT/detail"
check_output "tui: the drill-down has its AutoNUMA rows" "^AutoNUMA, this interval" cat "$OUT/detail"
check_not_output "tui: the drill-down replaces the list" "$LIST_HEAD" cat "$OUT/detail"
keys top Escape
shot top "$OUT/back" "Esc: back to the list" "$LIST_HEAD"
check_output "tui: Esc goes back to the list" "$LIST_HEAD" cat "$OUT/back"
keys top '?'
shot top "$OUT/help" "?: help and sources" "^keys: "
check_output "tui: ? shows the keys" "^keys: .*Enter" cat "$OUT/help"
check_output "tui: ? says where the header's numbers come from" "nodeN/numastat" cat "$OUT/help"
check_output "tui: ? shows the sources" "^sources: sched: " cat "$OUT/help"
check_not_output "tui: ? leaves the main screen" "$LIST_HEAD|^node +remote" cat "$OUT/help"
keys top Escape
shot top "$OUT/back2" "Esc after ?" "$LIST_HEAD"
check_output "tui: Esc leaves the help" "$LIST_HEAD" cat "$OUT/back2"
tmux -L "$TMUX_SOCK" send-keys -t top q
wait_exited top "$OUT/after"
check_output "tui: q quits with status 0" "^exited=0" cat "$OUT/after"
check_output "tui: the last table stays on the terminal" "^access matrix of [0-9]+ \\(nl-faultstorm\\)" cat "$OUT/after"
check "tui: the started command ($storm_pid) was stopped" gone "$storm_pid"
# its output file (named in the header) is the user's to keep; the test's to remove
rm -f "$(grep -o 'output: /[^ ]*' "$OUT/screen" | head -1 | cut -c9-)"

# 7b. Every process, sorted by the keys: the sorted column must be in order on the
# screen (idle processes shown, so there are many rows).
# column_sorted FILE TITLE ORDER: the list's column under TITLE is sorted (sort flags);
# cut by the title's position, since a COMM may hold spaces ("tmux: server")
column_sorted() {
  awk -v t="$2" 'f && /^[0-9]+ / { print substr($0, c, 5) + 0 }
    /^PID +COMM/ { f = 1; c = index($0, t) }' "$1" > "$1.col"
  [ "$(wc -l < "$1.col")" -ge 3 ] && sort -c $3 "$1.col"
}
# (-i 2: keys redraw the same interval, so Home, Down and Enter mostly see one list)
tmux -L "$TMUX_SOCK" new-session -d -x 120 -y 40 -s all "$NUMALENS top -i 2; echo exited=\$?; sleep 60"
shot all "$OUT/all" "every process" "$LIST_HEAD"
keys all i
shot all "$OUT/idle" "i: idle processes shown" "idle shown \\(i\\)"
check_output "tui: i shows the idle processes" "idle shown \\(i\\)" cat "$OUT/idle"
keys all p
shot all "$OUT/bypid" "p: sorted by pid" "sorted by pid"
check_output "tui: p sorts by pid" "sorted by pid" cat "$OUT/bypid"
check "tui: the pids are in ascending order" column_sorted "$OUT/bypid" PID -n
# arrows: Home selects the first row, Down the next; Enter opens the selected pid
# (the selection stays on its pid while rows come and go)
keys all Home
shot all "$OUT/home" "Home: the first row selected" "$LIST_HEAD"
keys all Down
shot all "$OUT/down" "Down: the next row selected" "$LIST_HEAD"
first=$(selected "$OUT/home") second=$(selected "$OUT/down")
top_row=$(awk 'f && /^[0-9]+ / { print $1; exit } /^PID +COMM/ { f = 1 }' "$OUT/home")
check "tui: Home selects the first row (${top_row:-none})" eval '[ -n "$first" ] && [ "$first" = "$top_row" ]'
check "tui: Down moves the selection (${first:-none} -> ${second:-none})" eval '[ -n "$first" ] && [ -n "$second" ] && [ "$first" != "$second" ]'
keys all Enter
shot all "$OUT/down-enter" "Enter on the selected row" "$DETAIL"
check_output "tui: Enter drills into the selected pid (${second:-none})" "^process ${second:-none} " cat "$OUT/down-enter"
keys all Escape
keys all c
shot all "$OUT/bycpu" "c: sorted by CPU" "sorted by CPU"
check "tui: CPU% is in descending order" column_sorted "$OUT/bycpu" CPU% -nr
keys all i
shot all "$OUT/noidle" "i again: idle hidden" "idle hidden \\(i\\)"
check_output "tui: i hides them again" "[0-9]+ idle hidden \\(i\\)" cat "$OUT/noidle"
keys all q
wait_exited all "$OUT/all-after"
check_output "tui: system-wide view quits with status 0" "^exited=0" cat "$OUT/all-after"
tmux -L "$TMUX_SOCK" kill-session -t all 2>/dev/null

# 7c. 60 columns and no colours: the same answers fit; NO_COLOR and a colourless
# TERM draw no colour, and a colour terminal does (so the check can fail).
not() { ! "$@"; }
# colours FILE: the pane capture with escapes has a foreground colour
colours() { grep -qE $'\e\\[([0-9;]*;)?(3[0-7]|9[0-7]|38;5;[0-9]+)(;[0-9;]*)?m' "$1"; }
for term in colour nocolor vt100; do
  case $term in
    colour) env="" ;;
    nocolor) env="NO_COLOR=1" ;;
    vt100) env="TERM=vt100" ;;
  esac
  tmux -L "$TMUX_SOCK" new-session -d -x 60 -y 24 -s "n$term" \
    "env $env $NUMALENS top --cmd-output $OUT/cmd-$term -- $WORKLOADS/nl-faultstorm -n 100000000; echo exited=\$?; sleep 60"
  shot "n$term" "$OUT/narrow-$term" "60x24, $term" "^[0-9]+ +nl-faultstorm "
  check_output "tui 60 cols ($term): lost events in the title" "^ numalens top +[0-9:]+ +lost events [0-9]+" cat "$OUT/narrow-$term"
  check_output "tui 60 cols ($term): the node line" "^n0 +~?[0-9]+% +[0-9]+% +[0-9.]+[KMGT]/" cat "$OUT/narrow-$term"
  check_output "tui 60 cols ($term): the list's first columns" "$LIST_HEAD" cat "$OUT/narrow-$term"
  check_output "tui 60 cols ($term): the process, its remote share and nodes" "^[0-9]+ +nl-faultstorm +~?[0-9]+% +cpu0>mem0" cat "$OUT/narrow-$term"
  if [ "$term" = colour ]; then
    check "tui: a colour terminal gets colours" colours "$OUT/narrow-$term.esc"
  else
    check "tui ($term): no colour at all" not colours "$OUT/narrow-$term.esc"
  fi
  keys "n$term" Enter
  shot "n$term" "$OUT/narrow-$term-detail" "60x24, $term, Enter" "$DETAIL"
  check_output "tui 60 cols ($term): drill-down" "^process [0-9]+ \\(nl-faultstorm\\)" cat "$OUT/narrow-$term-detail"
  keys "n$term" q
  wait_exited "n$term" "$OUT/narrow-$term-after"
  check_output "tui 60 cols ($term): q quits with status 0" "^exited=0" cat "$OUT/narrow-$term-after"
  tmux -L "$TMUX_SOCK" kill-session -t "n$term" 2>/dev/null
done

# 8. A started command's output never draws over the view: it goes to a file the
# header names, and the path is repeated at exit.
tmux -L "$TMUX_SOCK" new-session -d -x 200 -y 40 -s out \
  "$NUMALENS top -d 3 -- sh -c 'echo scribble-from-the-command; echo to-stderr >&2; sleep 30'; echo exited=\$?; sleep 60"
shot out "$OUT/out-screen" "a command's output file" "output: /"
check_output "tui: the header names the command's output file" "output: /[^ ]*/numalens-cmd\\.[A-Za-z0-9]{6}" cat "$OUT/out-screen"
check_not_output "tui: the command's output is not on the screen" "scribble-from-the-command" cat "$OUT/out-screen"
wait_exited out "$OUT/out-after"
cmd_out=$(sed -n "s/.*the output of 'sh' is in \([^ ]*\).*/\1/p" "$OUT/out-after" | head -1)
check "tui: the path is said at exit ('$cmd_out')" [ -n "$cmd_out" ]
has_both() { grep -qx scribble-from-the-command "$1" && grep -qx to-stderr "$1"; }
check "tui: the file has the command's stdout and stderr" has_both "${cmd_out:-/nonexistent}"
[ -n "$cmd_out" ] && rm -f "$cmd_out"
tmux -L "$TMUX_SOCK" kill-session -t out 2>/dev/null

# --cmd-output FILE, in any mode; under sudo the file is the invoking user's.
"$NUMALENS" top --json -d 5 --cmd-output "$OUT/cmdout" -- sh -c 'echo only-in-the-file' > "$OUT/cmdout-json" 2> "$OUT/cmdout-err"
check "--cmd-output: the command's line is in the file" grep -qx only-in-the-file "$OUT/cmdout"
check_not_output "--cmd-output: and not on our stdout" "only-in-the-file" cat "$OUT/cmdout-json"
check_output "--cmd-output: the path is said at exit" "the output of 'sh' is in $OUT/cmdout" cat "$OUT/cmdout-err"
SUDO_UID=65534 SUDO_GID=65534 "$NUMALENS" top --json -d 5 --cmd-output "$OUT/cmdout-sudo" -- id -u > /dev/null 2>&1
check "--cmd-output under sudo: written by uid 65534" grep -qx 65534 "$OUT/cmdout-sudo"
check "--cmd-output under sudo: the file belongs to uid 65534" [ "$(stat -c %u "$OUT/cmdout-sudo")" = 65534 ]
check_output "--cmd-output without a command is a usage error" "is for a started command" \
  "$NUMALENS" top --cmd-output "$OUT/x"

finish
