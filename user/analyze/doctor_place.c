/* Doctor's placement rules: where a process's pages are against where its threads
 * run (first_touch_bug, remote_bind, policy_mismatch, unpinned_threads). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "analyze/doctor.h"
#include "common/util.h"

static int pct(double share)
{
	return (int)(share * 100.0 + 0.5);
}

/* The node holding the most of v (by node id) and its share of the total. */
static int top_node(const uint64_t v[NL_MAX_NODES], double *share)
{
	uint64_t total = 0;
	int best = 0;

	for (int n = 0; n < NL_MAX_NODES; n++) {
		total += v[n];
		if (v[n] > v[best])
			best = n;
	}
	*share = total ? (double)v[best] / (double)total : 0.0;
	return best;
}

/* The initializer's stack, innermost first: "init_weights+0x59 <- main+0x2c". */
static void init_stack(const struct nl_process *p, uint32_t tid, char *buf, size_t len)
{
	buf[0] = '\0';
	for (int i = 0; i < p->nr_threads; i++) {
		const struct nl_stack *st = p->threads[i].first_touch_stack;

		if (p->threads[i].tid != tid || !st)
			continue;
		for (int f = 0; f < st->nr && f < 4; f++)
			nl_appendf(buf, len, "%s%s", f ? " <- " : "",
				   st->frames[f].symbol ? st->frames[f].symbol : "[unknown]");
		return;
	}
}

int nl_rule_first_touch_bug(const struct nl_doctor_in *in, struct nl_findings *out)
{
	if (!in->snap)
		return 0;
	for (int i = 0; i < in->snap->nr_procs; i++) {
		const struct nl_process *p = &in->snap->procs[i];
		const struct nl_diagnosis *d = &p->diag;
		char stack[256], cost[256];
		struct nl_finding *f;

		int from;

		if (p->pid == in->self_pid || d->kind != NL_DIAG_FIRST_TOUCH_BUG)
			continue;
		/* touched from the CPU node but placed elsewhere: numa_miss says why */
		if (nl_doctor_spilled(p, d->mem_node, &from))
			continue;
		f = nl_finding_add(out, "first_touch_bug", NL_SEV_CRITICAL, p->pid);
		if (!f)
			return -ENOMEM;
		init_stack(p, d->init_tid, stack, sizeof(stack));
		nl_doctor_cost(in->topo, d->cpu_node, d->mem_node, cost, sizeof(cost));
		nl_doctor_set(f->title, sizeof(f->title),
			 "pid %u (%s): first-touch bug: pages on node %d, threads on node %d",
			 p->pid, p->comm, d->mem_node, d->cpu_node);
		nl_doctor_set(f->evidence, sizeof(f->evidence),
			 "%s (sources: residency = /proc/%u/numa_maps, CPU time = sched, first touch = "
			 "faults)%s%s%s%s.",
			 d->text, p->pid, stack[0] ? "; initializer's stack: " : "", stack,
			 cost[0] ? "; " : "", cost);
		nl_doctor_set(f->fix, sizeof(f->fix), "%s", d->fix);
	}
	return 0;
}

/* Pages of p under a bind or prefer policy that names none of the nodes in cpu. */
static uint64_t bound_elsewhere(const struct nl_process *p, uint64_t cpu, uint64_t *bound_to,
				char *policy, size_t len)
{
	uint64_t pages = 0;

	*bound_to = 0;
	for (int v = 0; v < p->nr_vmas; v++) {
		const struct nl_vma *vma = &p->vmas[v];
		char mode[32];
		uint64_t nodes;

		nl_doctor_policy(vma->policy, mode, sizeof(mode), &nodes);
		if ((strcmp(mode, "bind") && strcmp(mode, "prefer")) || !nodes || (nodes & cpu))
			continue;
		*bound_to |= nodes;
		if (!policy[0])
			snprintf(policy, len, "%s", vma->policy);
		for (int n = 0; n < NL_MAX_NODES; n++)
			pages += nl_vma_base_pages(vma, n);
	}
	return pages;
}

static int lowest(uint64_t mask)
{
	for (int n = 0; n < 64; n++)
		if (mask & (1ULL << n))
			return n;
	return -1;
}

int nl_rule_remote_bind(const struct nl_doctor_in *in, struct nl_findings *out)
{
	if (!in->snap || in->topo->nr_nodes < 2)
		return 0;
	for (int i = 0; i < in->snap->nr_procs; i++) {
		const struct nl_process *p = &in->snap->procs[i];
		uint64_t resident = nl_doctor_resident_total(p), bound_to, pages, cpu;
		char policy[32] = "", cpus[64], mems[64], cost[256];
		bool from_allowed;
		struct nl_finding *f;

		if (!nl_doctor_judged(in, p))
			continue;
		cpu = nl_doctor_cpu_nodes(in, p, &from_allowed);
		if (!cpu)
			continue;
		pages = bound_elsewhere(p, cpu, &bound_to, policy, sizeof(policy));
		if (pages < NL_DOCTOR_MIN_PAGES)
			continue;
		f = nl_finding_add(out, "remote_bind",
				   2 * pages >= resident ? NL_SEV_CRITICAL : NL_SEV_WARNING, p->pid);
		if (!f)
			return -ENOMEM;
		nl_doctor_nodes_str(cpu, cpus, sizeof(cpus));
		nl_doctor_nodes_str(bound_to, mems, sizeof(mems));
		nl_doctor_cost(in->topo, lowest(cpu), lowest(bound_to), cost, sizeof(cost));
		nl_doctor_set(f->title, sizeof(f->title),
			 "pid %u (%s): memory bound to node %s, threads run on node %s", p->pid, p->comm,
			 mems, cpus);
		nl_doctor_set(f->evidence, sizeof(f->evidence),
			 "%" PRIu64 " of %" PRIu64 " resident pages (%d%%) are in mappings with policy "
			 "%s (/proc/%u/numa_maps); the threads run on node %s (%s)%s%s.",
			 pages, resident, pct((double)pages / (double)resident), policy, p->pid, cpus,
			 from_allowed ? "allowed CPUs, /proc/PID/status Cpus_allowed_list: the process "
					"was idle in the window"
				      : "CPU time, source sched",
			 cost[0] ? "; " : "", cost);
		nl_doctor_set(f->fix, sizeof(f->fix),
			 "bind CPUs and memory to the same node: numactl --cpunodebind=%d --membind=%d %s "
			 "(or move the pages now: migratepages %u %s %d)",
			 lowest(cpu), lowest(cpu), nl_doctor_cmd(in, p->pid), p->pid, mems, lowest(cpu));
	}
	return 0;
}

/* Resident pages of p in mappings whose policy mode is mode. */
static uint64_t pages_with_mode(const struct nl_process *p, const char *want)
{
	uint64_t pages = 0;

	for (int v = 0; v < p->nr_vmas; v++) {
		char mode[32];
		uint64_t nodes;

		nl_doctor_policy(p->vmas[v].policy, mode, sizeof(mode), &nodes);
		if (strcmp(mode, want))
			continue;
		for (int n = 0; n < NL_MAX_NODES; n++)
			pages += nl_vma_base_pages(&p->vmas[v], n);
	}
	return pages;
}

/* A latency-sensitive process whose memory is interleaved or spread over nodes: every
 * access from its node to the other nodes' share is remote. */
static int latency_spread(const struct nl_doctor_in *in, const struct nl_process *p,
			  struct nl_findings *out)
{
	uint64_t cpu_ns[NL_MAX_NODES], resident = nl_doctor_resident_total(p);
	uint64_t inter = pages_with_mode(p, "interleave");
	double mem_share, cpu_share;
	int mem = top_node(p->resident_pages, &mem_share);
	int cpu;
	char cost[256];
	struct nl_finding *f;

	if (nl_doctor_cpu_total(p, cpu_ns) < NL_DOCTOR_MIN_CPU_NS)
		return 0;
	cpu = top_node(cpu_ns, &cpu_share);
	if (cpu_share < 0.70 || (2 * inter < resident && mem_share >= 0.70))
		return 0;
	f = nl_finding_add(out, "policy_mismatch", NL_SEV_WARNING, p->pid);
	if (!f)
		return -ENOMEM;
	nl_doctor_cost(in->topo, cpu, cpu == mem ? (mem + 1) % in->topo->nr_nodes : mem, cost,
		       sizeof(cost));
	nl_doctor_set(f->title, sizeof(f->title),
		 "pid %u (%s): latency-sensitive but its memory is %s over nodes", p->pid, p->comm,
		 2 * inter >= resident ? "interleaved" : "spread");
	nl_doctor_set(f->evidence, sizeof(f->evidence),
		 "%d%% of CPU time on node %d (sched) but only %d%% of its %" PRIu64
		 " resident pages on node %d; %" PRIu64 " pages in interleaved mappings "
		 "(/proc/%u/numa_maps)%s%s.",
		 pct(cpu_share), cpu, pct((double)p->resident_pages[cpu] / (double)resident), resident,
		 cpu, inter, p->pid, cost[0] ? "; for the remote share, " : "", cost);
	nl_doctor_set(f->fix, sizeof(f->fix),
		 "keep it on one node: numactl --cpunodebind=%d --membind=%d %s (or move the pages "
		 "now: migratepages %u all %d)",
		 cpu, cpu, nl_doctor_cmd(in, p->pid), p->pid, cpu);
	return 0;
}

/* A busy process running on several nodes with every page bound to one of them: the
 * other nodes' memory bandwidth sits idle. Info: doctor cannot see bandwidth. */
static int bandwidth_bound(const struct nl_doctor_in *in, const struct nl_process *p,
			   struct nl_findings *out)
{
	uint64_t cpu_ns[NL_MAX_NODES], resident = nl_doctor_resident_total(p);
	uint64_t bound = pages_with_mode(p, "bind");
	double mem_share;
	int mem = top_node(p->resident_pages, &mem_share), running = 0;
	uint64_t total = nl_doctor_cpu_total(p, cpu_ns);
	struct nl_finding *f;

	if (total < NL_DOCTOR_MIN_CPU_NS || 10 * bound < 9 * resident || mem_share < 0.90)
		return 0;
	for (int n = 0; n < NL_MAX_NODES; n++)
		if ((double)cpu_ns[n] >= 0.20 * (double)total)
			running++;
	if (running < 2)
		return 0;
	f = nl_finding_add(out, "policy_mismatch", NL_SEV_INFO, p->pid);
	if (!f)
		return -ENOMEM;
	nl_doctor_set(f->title, sizeof(f->title),
		 "pid %u (%s): runs on %d nodes with all its memory bound to node %d", p->pid,
		 p->comm, running, mem);
	nl_doctor_set(f->evidence, sizeof(f->evidence),
		 "%d%% of %" PRIu64 " resident pages on node %d under a bind policy "
		 "(/proc/%u/numa_maps); CPU time on %d nodes with 20%% or more each (sched). If it "
		 "is bandwidth-bound, the other nodes' memory controllers sit idle.",
		 pct(mem_share), resident, mem, p->pid, running);
	nl_doctor_set(f->fix, sizeof(f->fix), "for a bandwidth-bound job: numactl --interleave=all %s",
		 nl_doctor_cmd(in, p->pid));
	return 0;
}

int nl_rule_policy_mismatch(const struct nl_doctor_in *in, struct nl_findings *out)
{
	if (!in->snap || in->topo->nr_nodes < 2)
		return 0;
	for (int i = 0; i < in->snap->nr_procs; i++) {
		const struct nl_process *p = &in->snap->procs[i];
		int rc;

		if (!nl_doctor_judged(in, p))
			continue;
		rc = in->latency_sensitive ? latency_spread(in, p, out) : bandwidth_bound(in, p, out);
		if (rc)
			return rc;
	}
	return 0;
}

/* Threads that keep changing nodes while the memory stays on one. */
int nl_rule_unpinned_threads(const struct nl_doctor_in *in, struct nl_findings *out)
{
	if (!in->snap || in->topo->nr_nodes < 2)
		return 0;
	for (int i = 0; i < in->snap->nr_procs; i++) {
		const struct nl_process *p = &in->snap->procs[i];
		uint64_t cpu_ns[NL_MAX_NODES], total;
		double mem_share;
		int mem = top_node(p->resident_pages, &mem_share);
		char cpus[64];
		struct nl_finding *f;

		if (!nl_doctor_judged(in, p))
			continue;
		total = nl_doctor_cpu_total(p, cpu_ns);
		if (total < NL_DOCTOR_MIN_CPU_NS || mem_share < 0.70 ||
		    (double)(total - cpu_ns[mem]) < 0.25 * (double)total)
			continue;
		/* CPU time off the memory node alone is the first-touch bug's or a bind's
		 * shape; moving threads need moves. */
		if (p->c.node_migrations < 4 && p->c.numa_task_moves == 0)
			continue;
		/* threads cannot be pinned to a memory-only node: the nearest with CPUs */
		int pin = nl_topo_nearest_cpu_node(in->topo, mem);
		if (pin < 0)
			continue;
		f = nl_finding_add(out, "unpinned_threads", NL_SEV_WARNING, p->pid);
		if (!f)
			return -ENOMEM;
		nl_format_cpulist(in->topo->cpus[pin], in->topo->nr_cpus[pin], cpus, sizeof(cpus));
		nl_doctor_set(f->title, sizeof(f->title),
			 "pid %u (%s): threads move across nodes while memory sits on node %d", p->pid,
			 p->comm, mem);
		nl_doctor_set(f->evidence, sizeof(f->evidence),
			 "%d%% of resident pages on node %d (numa_maps); %d%% of CPU time on other "
			 "nodes, %" PRIu64 " cross-node CPU migrations and %" PRIu64
			 " NUMA task moves in %.1f s (sched).",
			 pct(mem_share), mem, pct((double)(total - cpu_ns[mem]) / (double)total),
			 p->c.node_migrations, p->c.numa_task_moves, in->snap->interval_ns / 1e9);
		if (pin != mem)
			nl_doctor_set(f->fix, sizeof(f->fix),
				 "pin it to node %d, the nearest with CPUs (node %d is memory-only): "
				 "taskset -a -cp %s %u (running), or numactl --cpunodebind=%d "
				 "--membind=%d %s",
				 pin, mem, cpus, p->pid, pin, mem, nl_doctor_cmd(in, p->pid));
		else
			nl_doctor_set(f->fix, sizeof(f->fix),
				 "pin it to node %d: taskset -a -cp %s %u (running), or numactl "
				 "--cpunodebind=%d --membind=%d %s",
				 mem, cpus, p->pid, mem, mem, nl_doctor_cmd(in, p->pid));
	}
	return 0;
}
