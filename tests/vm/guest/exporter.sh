#!/bin/sh
# Runs INSIDE a vmtest guest (busybox sh): `numalens exporter` over workloads whose
# placement is known, scraped with busybox wget before and after each, and prints what
# it saw one fact per line as "NAME: KEY: VALUE" for tests/vm/exporter.sh to judge.
#
#   start: exporter --listen 127.0.0.1:9747 -i 0.5 --flight /tmp/fl --trigger remote>0.5
#          --request nl-reqinject:nl_request
#   s0:    metrics before anything ran (each line "s0: m: SAMPLE")
#   b01:   nl-place bind --cpu-node 0 --mem-node 1: its line ("b01: line: ..."),
#          then the metrics ("b01: m: ...")
#   usr1:  SIGUSR1 to the exporter once b01 has ended (its dump: the seconds before)
#   b10:   the same as b01, cpu node 1, memory node 0
#   flight: the dumps ("flight: file: NAME", oldest first: the remote trigger's during
#          b01, SIGUSR1's), each in base64 ("flight1: b64: ...", "flight2: b64: ...")
#   rq:    nl-reqinject, every 5th of its requests moving 8 MiB to the other node with
#          mbind: its summary line ("rq: line: ..."), then the metrics ("rq: m: ...")
#   stop:  the exporter's exit status after SIGTERM, its stderr
. "$(dirname "$0")/lib.sh"

URL=http://127.0.0.1:9747/metrics
scrape() { wget -q -O - "$URL" | sed "s/^/$1: m: /"; }

# the initramfs leaves the loopback interface down
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up
mkdir -p /tmp/fl
numalens exporter --listen 127.0.0.1:9747 -i 0.5 --flight /tmp/fl --flight-seconds 30 \
	--trigger 'remote>0.5' --request nl-reqinject:nl_request > /tmp/exp.out 2> /tmp/exp.err &
exp=$!
i=0
until wget -q -O /dev/null "$URL" 2>/dev/null; do
	i=$((i + 1))
	if [ "$i" -gt 600 ] || ! kill -0 "$exp" 2>/dev/null; then
		echo "start: error: the exporter did not answer"
		sed 's/^/start: err: /' /tmp/exp.err
		exit 1
	fi
	sleep 0.1
done
echo "start: value: up"
sleep 1
scrape s0

place() {
	name=$1
	shift
	nl-place bind "$@" --seconds 0 > "/tmp/$name.cmd" 2>&1
	echo "$name: exit: $?"
	sed "s/^/$name: line: /" "/tmp/$name.cmd"
	# two intervals for the faults to reach a published total
	sleep 1.5
	scrape "$name"
}
place b01 --cpu-node 0 --mem-node 1
kill -USR1 "$exp"
sleep 1.5
place b10 --cpu-node 1 --mem-node 0

sleep 1
k=0
for f in /tmp/fl/*.nlt; do
	[ -e "$f" ] || continue
	k=$((k + 1))
	echo "flight: file: $(basename "$f")"
	base64 "$f" | sed "s/^/flight$k: b64: /"
done

# after the dumps are listed: the requests' moves cannot add one to them
nl-reqinject --threads 1 --requests 40 --move-every 5 --sleep-every 0 > /dev/null 2> /tmp/rq.err
echo "rq: exit: $?"
sed "s/^/rq: line: /" /tmp/rq.err
sleep 1.5
scrape rq

kill -TERM "$exp"
wait "$exp"
echo "stop: exit: $?"
sed 's/^/stop: err: /' /tmp/exp.err
