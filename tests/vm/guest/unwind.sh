#!/bin/sh
# Runs INSIDE a vmtest guest for tests/vm/unwind.sh: `numalens top --json` on the
# first-touch bug built without frame pointers (nl-firsttouch-nofp) and with them
# (nl-firsttouch-bug), in the stack modes given as NAME:MODE:WORKLOAD words. Prints
# "NAME: rc: N", "NAME: err: ..." and "NAME: json: {...}" lines for the host to judge.
for spec in "$@"; do
	name=${spec%%:*} rest=${spec#*:}
	mode=${rest%%:*} workload=${rest#*:}
	numalens top --json -d 60 --call-graph "$mode" -- "$workload" --mib 32 --seconds 3 \
		--init-node 0 --worker-node 1 > "/tmp/$name.out" 2> "/tmp/$name.err"
	echo "$name: rc: $?"
	sed "s/^/$name: err: /" "/tmp/$name.err"
	grep '^{' "/tmp/$name.out" | sed "s/^/$name: json: /"
done
