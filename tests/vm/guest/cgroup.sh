# Guest side of tests/vm/cgroup.sh: numalens top --cgroup follows a cgroup; once it has
# printed its first interval (attached), a workload starts inside the cgroup and another
# outside it. Prints facts; the host judges them.
mkdir /sys/fs/cgroup/nl || exit 1
numalens top --cgroup nl --json -i 1 -d 8 > /tmp/cg.json 2> /tmp/cg.err &
top=$!
i=0
while [ ! -s /tmp/cg.json ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
sh -c 'echo $$ > /sys/fs/cgroup/nl/cgroup.procs; exec nl-place bind --cpu-node 0 --mem-node 1 --mib 32 --seconds 3' > /tmp/in.out 2>&1 &
nl-place local --cpu-node 1 --mib 32 --seconds 3 > /tmp/out.out 2>&1 &
wait $top
echo "top_rc=$?"
wait
sed -n 's/^nl-place: pid=\([0-9]*\).*/inside_pid=\1/p' /tmp/in.out
sed -n 's/^nl-place: pid=\([0-9]*\).*/outside_pid=\1/p' /tmp/out.out
sed 's/^/top_err: /' /tmp/cg.err
grep '^{' /tmp/cg.json
