#!/usr/bin/env bash
# VM tier: the live view of `numalens top` in a 2-node guest (numa_balancing 0) over
# nl-firsttouch-bug (init_weights() on node 0 places the buffer, a worker on node 1
# streams over it). The guest has no tmux: tests/vm/guest/top_tui.sh runs top on a
# 100x30 pseudo-terminal (nl-pty) and types Enter, ?, Esc and q at set times; here the
# recorded output is replayed into tmux panes of the same size and each screen is
# printed as TAP comments. Asserted (issue 13's "done when"):
#   the first screen, before any key, names the process with the first-touch bug, its
#     remote share (>= 50 %, shown red) and its node pair cpu1>mem0 in the list's
#     first row, and says the diagnosis in one line
#   Enter drills into it: the diagnosis and the initializer's stack with init_weights,
#     on the screen without scrolling; the worker's thread row
#   ? leaves the main screen for the legend and the sources; Esc comes back; q exits 0
source "$(dirname "$0")/../lib.sh"
set -u

for f in "$ROOT/build/static/numalens" "$WORKLOADS/nl-firsttouch-bug" "$WORKLOADS/nl-pty"; do
	if [ ! -x "$f" ]; then
		not_ok "prerequisite $f missing (make static workloads)"
		finish
	fi
done
TERMINFO_SCREEN=$(find /lib/terminfo /usr/share/terminfo -name screen -path '*/s/*' 2>/dev/null | head -n 1)
if [ -z "$TERMINFO_SCREEN" ]; then
	not_ok "prerequisite: the terminfo entry for screen (ncurses-base)"
	finish
fi

OUT=$(mktemp -d "${TMPDIR:-/tmp}/numalens-vm-tui.XXXXXX")
SOCK="nl-vm-tui-$$"
trap 'tmux -L "$SOCK" kill-server 2>/dev/null; rm -rf "$OUT"' EXIT

# Keys, in ms from the first screen with the process list: the screen judged as the
# first is what top shows 8 s (8 intervals) later, the buffer placed and the worker
# streaming; no key has been pressed before it.
ENTER=8000 HELP=12000 ESC=16000 QUIT=20000
out=$OUT/guest
vm_boot "2 nodes" "$out" --nodes 2 --balancing 0 --timeout 300 \
	--add "$ROOT/tests/vm/guest/top_tui.sh" --add "$TERMINFO_SCREEN" \
	-- sh /usr/local/bin/top_tui.sh "$ENTER" "$HELP" "$ESC" "$QUIT" 60
rc=$?
check "guest ran (exit $rc)" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || tail -n 30 "$out.err" | diag
check_output "top exits 0 after q" "^tui_exit: 0$" cat "$out"
pid=$(sed -n 's/^ftb: .*: pid=\([0-9]*\) .*/\1/p' "$out" | head -n 1)
init_tid=$(sed -n 's/^ftb: .* init_tid=\([0-9]*\) .*/\1/p' "$out" | head -n 1)
check "the workload said its pid ($pid) and init tid ($init_tid)" eval '[ -n "$pid" ] && [ -n "$init_tid" ]'
pid=${pid:-0}

sed -n 's/^segment: \([0-9]*\): \(.*\)$/\1 \2/p' "$out" | while read -r n b64; do
	base64 -d <<< "$b64" > "$OUT/seg.$n"
done
# screen N NAME: replays the output up to segment N into a 100x30 pane, captures it
# into $OUT/screen.N (and .esc with attributes) and prints it
screen() {
	local n=$1 i
	: > "$OUT/replay.$n"
	for i in $(seq 0 "$n"); do cat "$OUT/seg.$i" >> "$OUT/replay.$n" 2>/dev/null; done
	tmux -L "$SOCK" new-session -d -x 100 -y 30 -s "s$n" "stty raw -echo; cat '$OUT/replay.$n'; sleep 60"
	sleep 1
	tmux -L "$SOCK" capture-pane -p -t "s$n" > "$OUT/screen.$n"
	tmux -L "$SOCK" capture-pane -e -p -t "s$n" > "$OUT/screen.$n.esc"
	{ echo "--- guest screen: $2"; sed 's/[[:space:]]*$//' "$OUT/screen.$n"; echo "--- end"; } | diag
}

screen 0 "first screen (before any key)"
first_row=$(awk '/^PID +COMM +REMOTE/ { getline; print; exit }' "$OUT/screen.0")
echo "# the list's first row: $first_row"
check "first screen: the list's first row is the bug's process $pid" \
	grep -qE "^$pid " <<< "$first_row"
check "first screen: its node pair is cpu1>mem0" grep -qE " cpu1>mem0 " <<< "$first_row"
share=$(sed -n 's/^[0-9]* *[^ ]* *~\{0,1\}\([0-9]*\)%.*/\1/p' <<< "$first_row")
check "first screen: its remote share ($share %) is >= 50 %" [ "${share:-0}" -ge 50 ]
check "first screen: its NOTE says first-touch bug" grep -q "first-touch bug" <<< "$first_row"
check_output "first screen: the one-line diagnosis names pid, page node 0 and CPU node 1" \
	"^! $pid \\(.*\\): first-touch bug: [0-9]+% of its pages on node 0, [0-9]+% of its CPU time on node 1" \
	cat "$OUT/screen.0"
n1=$(sed -n 's/^n1 *~\{0,1\}\([0-9]*\)%.*/\1/p' "$OUT/screen.0")
check "first screen: node 1's remote share in the header (${n1:-none} %) is >= 50 %" [ "${n1:-0}" -ge 50 ]
red() { grep -E "^.*$pid .*" "$OUT/screen.0.esc" | grep -qE $'\e\\[([0-9;]*;)?31(;[0-9;]*)?m'; }
check "first screen: the remote share is red" red

screen 1 "Enter: the drill-down"
check_output "drill-down: process $pid" "^process $pid " cat "$OUT/screen.1"
check_output "drill-down: the diagnosis" "^DIAGNOSIS $pid .*first-touch bug" cat "$OUT/screen.1"
check_output "drill-down: pages first touched by the init thread" "pages first touched by thread $init_tid" cat "$OUT/screen.1"
check_output "drill-down: the initializer's stack has init_weights" "^ +init_weights" cat "$OUT/screen.1"
screen 2 "?: help and sources"
check_output "?: the sources" "^sources: " cat "$OUT/screen.2"
check_not_output "?: the main screen is gone" "^PID +COMM +REMOTE|^DIAGNOSIS" cat "$OUT/screen.2"
screen 3 "Esc: back to the drill-down"
check_output "Esc: back where ? was pressed" "^process $pid " cat "$OUT/screen.3"
finish
