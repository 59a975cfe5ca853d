/* Doctor's rules about what a process runs next to: the PCI devices it holds open and
 * the huge page pools (device_remote, hugepages_placement). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "analyze/doctor.h"
#include "common/util.h"

static int lowest(uint64_t mask)
{
	for (int n = 0; n < 64; n++)
		if (mask & (1ULL << n))
			return n;
	return -1;
}

/* Devices of the same kind on node: "0000:17:00.0, 0000:31:00.0" (the local choice). */
static void same_kind_on(const struct nl_machine *m, const char *kind, int node, char *buf,
			 size_t len)
{
	buf[0] = '\0';
	for (int i = 0; i < m->nr_devs; i++)
		if (m->devs[i].node == node && !strcmp(m->devs[i].kind, kind))
			nl_appendf(buf, len, "%s%s", buf[0] ? ", " : "", m->devs[i].address);
}

static int device_finding(const struct nl_doctor_in *in, const struct nl_process *p,
			  const struct nl_machine_dev *d, uint64_t cpu, bool from_allowed,
			  struct nl_findings *out)
{
	char cpus[64], cost[256], local[256];
	struct nl_finding *f = nl_finding_add(out, "device_remote", NL_SEV_WARNING, p->pid);

	if (!f)
		return -ENOMEM;
	nl_doctor_nodes_str(cpu, cpus, sizeof(cpus));
	nl_doctor_cost(in->topo, lowest(cpu), d->node, cost, sizeof(cost));
	same_kind_on(in->m, d->kind, lowest(cpu), local, sizeof(local));
	nl_doctor_set(f->title, sizeof(f->title),
		      "pid %u (%s) uses %s %s%s%s on node %d but runs on node %s", p->pid, p->comm,
		      d->kind, d->address, d->name[0] ? " " : "", d->name, d->node, cpus);
	nl_doctor_set(f->evidence, sizeof(f->evidence),
		      "an open character device of %s (/proc/%u/fd, /sys/dev/char/*/device); the "
		      "device's numa_node is %d (sysfs /sys/bus/pci/devices/%s/numa_node); the "
		      "process runs on node %s (%s). DMA to and from its buffers crosses the "
		      "interconnect%s%s.",
		      d->address, p->pid, d->node, d->address, cpus,
		      from_allowed ? "allowed CPUs, Cpus_allowed_list" : "CPU time, source sched",
		      cost[0] ? "; " : "", cost);
	nl_doctor_set(f->fix, sizeof(f->fix),
		      "run it on the device's node: numactl --cpunodebind=%d --membind=%d %s",
		      d->node, d->node, nl_doctor_cmd(in, p->pid));
	if (local[0])
		nl_appendf(f->fix, sizeof(f->fix), "; or use a %s on its own node: %s", d->kind,
			   local);
	return 0;
}

int nl_rule_device_remote(const struct nl_doctor_in *in, struct nl_findings *out)
{
	if (!in->snap || in->topo->nr_nodes < 2)
		return 0;
	for (int i = 0; i < in->snap->nr_procs; i++) {
		const struct nl_process *p = &in->snap->procs[i];
		const struct nl_proc_env *env = nl_doctor_env(in, p->pid);
		bool from_allowed;
		uint64_t cpu;
		int rc;

		if (p->pid == in->self_pid || !env || !env->nr_devs)
			continue;
		cpu = nl_doctor_cpu_nodes(in, p, &from_allowed);
		for (int k = 0; cpu && k < env->nr_devs; k++) {
			const struct nl_machine_dev *d = &in->m->devs[env->devs[k]];

			if (d->node < 0 || d->node >= 64 || (cpu & (1ULL << d->node)))
				continue;
			if ((rc = device_finding(in, p, d, cpu, from_allowed, out)))
				return rc;
		}
	}
	return 0;
}

/* A pool spread evenly over every node is what a system-wide reservation
 * (vm.nr_hugepages, hugepages= at boot) makes: the kernel deals the pages out
 * round-robin, so a job bound to one node can use only that node's share. */
static int pool_spread(const struct nl_doctor_in *in, const struct nl_machine_pool *pool,
		       struct nl_findings *out)
{
	const struct nl_topo_summary *t = in->topo;
	uint64_t each = pool->total[t->node_ids[0]];
	struct nl_finding *f;

	if (!each)
		return 0;
	for (int i = 1; i < t->nr_nodes; i++)
		if (pool->total[t->node_ids[i]] != each)
			return 0;
	f = nl_finding_add(out, "hugepages_placement", NL_SEV_INFO, 0);
	if (!f)
		return -ENOMEM;
	nl_doctor_set(f->title, sizeof(f->title),
		      "%" PRIu64 " kB huge pages reserved system-wide: %" PRIu64 " on each of %d nodes",
		      pool->page_kb, each, t->nr_nodes);
	nl_doctor_set(f->evidence, sizeof(f->evidence),
		      "nodeN/hugepages/hugepages-%" PRIu64 "kB/nr_hugepages is %" PRIu64
		      " on every node (sysfs), as a system-wide reservation deals them out; a "
		      "process bound to one node can use %" PRIu64 " of the %" PRIu64 ".",
		      pool->page_kb, each, each, each * (uint64_t)t->nr_nodes);
	nl_doctor_set(f->fix, sizeof(f->fix),
		      "reserve them on the node that uses them: echo 0 > "
		      "/sys/devices/system/node/nodeM/hugepages/hugepages-%" PRIu64 "kB/nr_hugepages "
		      "for the other nodes, then echo %" PRIu64 " > "
		      "/sys/devices/system/node/nodeN/hugepages/hugepages-%" PRIu64 "kB/nr_hugepages "
		      "(N = the consumer's node)",
		      pool->page_kb, each * (uint64_t)t->nr_nodes, pool->page_kb);
	return 0;
}

/* hugetlb pages (numa_maps kernelpagesize_kB > 4) of p on nodes it does not run on. */
static int process_hugepages(const struct nl_doctor_in *in, const struct nl_process *p,
			     struct nl_findings *out)
{
	bool from_allowed;
	uint64_t cpu = nl_doctor_cpu_nodes(in, p, &from_allowed), off = 0, all = 0, kb = 0;
	int node = lowest(cpu);
	const struct nl_machine_pool *pool = NULL;
	struct nl_finding *f;

	if (!cpu)
		return 0;
	for (int v = 0; v < p->nr_vmas; v++) {
		const struct nl_vma *vma = &p->vmas[v];

		if (vma->page_size <= 4096)
			continue;
		kb = vma->page_size / 1024;
		for (int n = 0; n < NL_MAX_NODES; n++) {
			all += vma->pages[n];
			if (!(cpu & (1ULL << n)))
				off += vma->pages[n];
		}
	}
	if (!off)
		return 0;
	f = nl_finding_add(out, "hugepages_placement", NL_SEV_WARNING, p->pid);
	if (!f)
		return -ENOMEM;
	nl_doctor_set(f->title, sizeof(f->title),
		      "pid %u (%s): %" PRIu64 " of its %" PRIu64 " huge pages are on nodes it does "
		      "not run on", p->pid, p->comm, off, all);
	for (int i = 0; i < in->m->nr_pools; i++)
		if (in->m->pools[i].page_kb == kb)
			pool = &in->m->pools[i];
	nl_doctor_set(f->evidence, sizeof(f->evidence),
		      "%" PRIu64 " kB pages in /proc/%u/numa_maps: %" PRIu64 " off node %d, where it "
		      "runs (%s); node %d's pool has %" PRIu64 " free of %" PRIu64 " (sysfs).",
		      kb, p->pid, off, node, from_allowed ? "allowed CPUs" : "CPU time, source sched",
		      node, pool ? pool->free[node] : 0, pool ? pool->total[node] : 0);
	nl_doctor_set(f->fix, sizeof(f->fix),
		      "reserve them on node %d: echo %" PRIu64 " > /sys/devices/system/node/node%d/"
		      "hugepages/hugepages-%" PRIu64 "kB/nr_hugepages, then restart it bound there: "
		      "numactl --cpunodebind=%d --membind=%d %s",
		      node, all, node, kb, node, node, nl_doctor_cmd(in, p->pid));
	return 0;
}

int nl_rule_hugepages_placement(const struct nl_doctor_in *in, struct nl_findings *out)
{
	int rc;

	if (in->topo->nr_nodes < 2)
		return 0;
	for (int i = 0; i < in->m->nr_pools; i++)
		if ((rc = pool_spread(in, &in->m->pools[i], out)))
			return rc;
	for (int i = 0; in->snap && i < in->snap->nr_procs; i++) {
		const struct nl_process *p = &in->snap->procs[i];

		if (p->pid != in->self_pid && p->resident_known && (rc = process_hugepages(in, p, out)))
			return rc;
	}
	return 0;
}
