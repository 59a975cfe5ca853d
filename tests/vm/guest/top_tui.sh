#!/bin/sh
# Runs INSIDE a vmtest guest (busybox sh, no tmux): the live view of `numalens top`
# over nl-firsttouch-bug on a 100x30 pseudo-terminal (nl-pty), with keys typed at set
# times: Enter (drill into the selected, first, process), ?, Esc, q. Prints, for the
# host side (tests/vm/top_tui.sh) to replay and judge (times in ms from the first
# screen with the process list):
#   ftb: <nl-firsttouch-bug's own lines>   (its pid, init and worker tids)
#   tui_exit: STATUS                        (nl-pty's: numalens top's exit status)
#   segment: N: BASE64                      (the terminal output after the N-th key)
# usage: top_tui.sh ENTER_MS HELP_MS ESC_MS QUIT_MS SECONDS
enter=$1 help=$2 esc=$3 quit=$4 secs=$5

# pseudo-terminals: the initramfs mounts devtmpfs (with /dev/ptmx) but not devpts
if ! grep -q ' /dev/pts devpts ' /proc/mounts; then
	mkdir -p /dev/pts && mount -t devpts -o ptmxmode=0666 devpts /dev/pts
fi
[ -c /dev/ptmx ] || ln -sf pts/ptmx /dev/ptmx

# the terminal's description: the host's terminfo entry for screen, added to the guest
mkdir -p /tmp/terminfo/s && cp /usr/local/bin/screen /tmp/terminfo/s/screen
export TERMINFO=/tmp/terminfo TERM=screen

# key times count from the first drawn list ("sorted by"): a busy host's TCG guest
# may take long to load the BPF programs
nl-pty -c 100 -r 30 -o /tmp/tui -t $((quit / 1000 + 150)) -s "sorted by" \
	-k "$enter:\\r" -k "$help:?" -k "$esc:\\e" -k "$quit:q" -- \
	numalens top -i 1 --cmd-output /tmp/ftb.out -- nl-firsttouch-bug --seconds "$secs"
echo "tui_exit: $?"
sed 's/^/ftb: /' /tmp/ftb.out
for f in /tmp/tui.*; do
	echo "segment: ${f##*.}: $(base64 -w 0 "$f")"
done
