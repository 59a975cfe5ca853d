#!/bin/sh
# Runs INSIDE a vmtest guest (busybox sh): numalens prove on nl-server, and prove killed
# while numa_balancing is flipped. Prints "NAME: KEY: VALUE" facts for tests/vm/prove.sh.
. "$(dirname "$0")/lib.sh"
d=/sys/kernel/debug/sched/numa_balancing
echo 16 > $d/scan_size_mb; echo 100 > $d/scan_delay_ms; echo 100 > $d/scan_period_min_ms
echo 0 > /proc/sys/kernel/numa_balancing

# prove_json NAME MODE MIB: prove's JSON over nl-server in MODE on MIB of weights
prove_json() {
	numalens prove --json --runs "$RUNS" --seed 7 -o "/tmp/$1" --request nl-server:nl_request \
		-- nl-server --mode "$2" --threads 1 --mb "$3" --duration 5 > "/tmp/$1.json" 2> "/tmp/$1.err"
	echo "$1: exit: $?"
	echo "$1: json: $(cat "/tmp/$1.json")"
	echo "$1: balancing_after: $(cat /proc/sys/kernel/numa_balancing)"
	sed "s/^/$1: err: /" "/tmp/$1.err" | tail -5
}

# killed NAME SIGNAL: prove killed with SIGNAL once numa_balancing is 1; the value after
killed() {
	numalens prove --runs 4 --seed 3 -o "/tmp/$1" --request nl-server:nl_request \
		-- nl-server --mode good --threads 1 --mb 16 --duration 30 > "/tmp/$1.out" 2>&1 &
	pid=$!
	i=0
	while [ "$(cat /proc/sys/kernel/numa_balancing)" != 1 ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
	echo "$1: flipped: $(cat /proc/sys/kernel/numa_balancing)"
	kill "-$2" "$pid"
	i=0
	while [ "$(cat /proc/sys/kernel/numa_balancing)" != 0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	echo "$1: balancing_after: $(cat /proc/sys/kernel/numa_balancing)"
	echo "$1: state_file_left: $(ls /run/numalens/numa_balancing.state 2>/dev/null | wc -l)"
	pkill nl-server 2>/dev/null
	wait "$pid" 2>/dev/null
}

# 7 runs per arm: with 5 the smallest p a permutation test can give is 0.048, so one ON
# run that happened to miss the migrations (a CI run's p99 ratio was 1.12, the next
# run's 1.80, the demo's 5.82) turned an effect into "no effect".
RUNS=${RUNS:-14}
for step in "$@"; do
	case $step in
	ftbug) prove_json pa ftbug 64 ;;
	# the kernel's own scanning pace (kernel/sched/fair.c: 1 s delay, 1 s minimum period,
	# 256 MiB a pass), as a production server runs it
	defaults) echo 256 > $d/scan_size_mb; echo 1000 > $d/scan_delay_ms; echo 1000 > $d/scan_period_min_ms ;;
	good)  prove_json pb good 2 ;;
	kill9) killed pk KILL ;;
	term)  killed pt TERM ;;
	esac
done
# The facts above are the result; the status of the last kill's wait is not.
exit 0
