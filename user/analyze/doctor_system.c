/* Doctor's machine-wide rules and the ones about what surrounds a process: one node,
 * numastat misses, AutoNUMA for latency, devices and huge pages on other nodes. */
#include <errno.h>
#include <math.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "analyze/doctor.h"
#include "common/util.h"

static int pct(double share)
{
	return (int)(share * 100.0 + 0.5);
}

int nl_rule_single_node(const struct nl_doctor_in *in, struct nl_findings *out)
{
	int id;
	struct nl_finding *f;

	if (in->topo->nr_nodes != 1)
		return 0;
	id = in->topo->node_ids[0];
	f = nl_finding_add(out, "single_node", NL_SEV_INFO, 0);
	if (!f)
		return -ENOMEM;
	nl_doctor_set(f->title, sizeof(f->title),
		      "one NUMA node: memory placement and NUMA policies do not apply here");
	nl_doctor_set(f->evidence, sizeof(f->evidence),
		      "topology (sysfs): 1 online node (node %d: %d CPUs, %" PRIu64 " MiB): "
		      "every memory access is local, so first-touch, "
		      "bind, interleave, numa_miss, AutoNUMA migrations, device and huge page "
		      "placement have no other node to go wrong with.",
		      id, in->topo->nr_cpus[id], in->topo->mem_total_kb[id] / 1024);
	nl_doctor_set(f->fix, sizeof(f->fix),
		      "nothing to change for NUMA; no other doctor rule applies on one node. "
		      "CPU time, faults and their stacks are still measured (numalens top).");
	return 0;
}

/* numa_foreign counts the spills onto node id again on the nodes they were meant for:
 * lists them in buf and returns the one that lost the most, or -1. */
static int foreign_nodes(const struct nl_doctor_in *in, int id, char *buf, size_t len)
{
	int wanted = -1;
	uint64_t most = 0;

	for (int j = 0; j < in->topo->nr_nodes; j++) {
		int o = in->topo->node_ids[j];
		uint64_t fo = in->ns_after[o].numa_foreign - in->ns_before[o].numa_foreign;

		if (o == id || in->ns_after[o].numa_foreign <= in->ns_before[o].numa_foreign)
			continue;
		nl_appendf(buf, len, "%snode%d numa_foreign +%" PRIu64 " (MemFree %" PRIu64 " MiB)",
			   buf[0] ? ", " : "", o, fo, in->m->mem_free_kb[o] / 1024);
		if (fo > most) {
			most = fo;
			wanted = o;
		}
	}
	return wanted;
}

/* Per node: allocations that spilled onto it (numa_miss) against those meant for it. */
static int numastat_misses(const struct nl_doctor_in *in, struct nl_findings *out)
{
	for (int i = 0; i < in->topo->nr_nodes; i++) {
		int id = in->topo->node_ids[i];
		const struct nl_numastat *a = &in->ns_after[id], *b = &in->ns_before[id];
		uint64_t miss = a->numa_miss - b->numa_miss, hit = a->numa_hit - b->numa_hit;
		struct nl_finding *f;
		char from[160] = "";

		if (a->numa_miss < b->numa_miss || a->numa_hit < b->numa_hit)
			continue;
		if (miss < NL_DOCTOR_MISS_MIN_PAGES ||
		    (double)miss <= NL_DOCTOR_MISS_SHARE * (double)(miss + hit))
			continue;
		int wanted = foreign_nodes(in, id, from, sizeof(from));

		f = nl_finding_add(out, "numa_miss", NL_SEV_WARNING, 0);
		if (!f)
			return -ENOMEM;
		nl_doctor_set(f->title, sizeof(f->title),
			      "allocations spill onto node %d: numa_miss is %d%% of its allocations",
			      id, pct((double)miss / (double)(miss + hit)));
		nl_doctor_set(f->evidence, sizeof(f->evidence),
			      "node%d/numastat over %.1f s: numa_miss +%" PRIu64 ", numa_hit +%" PRIu64
			      "%s%s. A preferred or default policy fell back to node %d because the node "
			      "it wanted was short of free memory.",
			      id, in->numastat_ns / 1e9, miss, hit, from[0] ? "; " : "", from, id);
		if (wanted >= 0)
			nl_doctor_set(f->fix, sizeof(f->fix),
				      "free memory on node %d, which the allocations wanted (numastat -m "
				      "shows who holds it; numastat -p <pid> who spilled); or bind "
				      "strictly so they fail instead of spilling: numactl --membind=%d "
				      "<command>", wanted, wanted);
		else
			nl_doctor_set(f->fix, sizeof(f->fix),
				      "find who spills: numastat -p <pid> (or numalens doctor -p PID); "
				      "free memory on the node they wanted, or bind strictly so they fail "
				      "instead of spilling: numactl --membind=N <command>");
	}
	return 0;
}

/* A process whose prefer:N mappings hold pages off N (numa_maps). */
static int preferred_spill(const struct nl_doctor_in *in, const struct nl_process *p,
			   struct nl_findings *out)
{
	uint64_t off = 0, all = 0, want = 0;
	struct nl_finding *f;
	char nodes[64];

	for (int v = 0; v < p->nr_vmas; v++) {
		char mode[32];
		uint64_t mask;

		nl_doctor_policy(p->vmas[v].policy, mode, sizeof(mode), &mask);
		if (strcmp(mode, "prefer") || !mask)
			continue;
		want |= mask;
		for (int n = 0; n < NL_MAX_NODES; n++) {
			uint64_t pages = nl_vma_base_pages(&p->vmas[v], n);

			all += pages;
			if (!(mask & (1ULL << n)))
				off += pages;
		}
	}
	if (off < NL_DOCTOR_MISS_MIN_PAGES || (double)off <= NL_DOCTOR_MISS_SHARE * (double)all)
		return 0;
	f = nl_finding_add(out, "numa_miss", NL_SEV_WARNING, p->pid);
	if (!f)
		return -ENOMEM;
	nl_doctor_nodes_str(want, nodes, sizeof(nodes));
	nl_doctor_set(f->title, sizeof(f->title),
		      "pid %u (%s): %d%% of its preferred-node pages are off node %s", p->pid,
		      p->comm, pct((double)off / (double)all), nodes);
	nl_doctor_set(f->evidence, sizeof(f->evidence),
		      "%" PRIu64 " of %" PRIu64 " pages in mappings with policy prefer:%s are on "
		      "other nodes (/proc/%u/numa_maps): the preferred node was full and the "
		      "kernel fell back silently.",
		      off, all, nodes, p->pid);
	nl_doctor_set(f->fix, sizeof(f->fix),
		      "free memory on node %s, then move the pages back: migratepages %u all %s; or "
		      "bind strictly (fails instead of spilling): numactl --membind=%s %s",
		      nodes, p->pid, nodes, nodes, nl_doctor_cmd(in, p->pid));
	return 0;
}

/* A process whose own first touches on one node got pages on another. */
static int default_spill(const struct nl_doctor_in *in, const struct nl_process *p,
			 struct nl_findings *out)
{
	for (int m = 0; m < NL_MAX_NODES; m++) {
		int from;
		uint64_t off = nl_doctor_spilled(p, m, &from);
		struct nl_finding *f;

		if (!off)
			continue;
		f = nl_finding_add(out, "numa_miss", NL_SEV_WARNING, p->pid);
		if (!f)
			return -ENOMEM;
		nl_doctor_set(f->title, sizeof(f->title),
			      "pid %u (%s): %" PRIu64 " pages it touched from node %d were placed on "
			      "node %d", p->pid, p->comm, off, from, m);
		nl_doctor_set(f->evidence, sizeof(f->evidence),
			      "faults by CPU node x page node (source faults, in %.1f s): %" PRIu64
			      " pages touched from other nodes landed on node %d, %" PRIu64 " from node "
			      "%d itself; its memory is under the default policy (/proc/%u/numa_maps), "
			      "so the kernel fell back silently: node %d has %" PRIu64 " MiB free "
			      "(sysfs meminfo).",
			      in->snap->interval_ns / 1e9, off, m, nl_mat_at(&p->c.faults, m, m), m, p->pid, from,
			      in->m->mem_free_kb[from] / 1024);
		if (nl_topo_memory_only(in->topo, m)) /* no thread can follow the pages there */
			nl_doctor_set(f->fix, sizeof(f->fix),
				      "free memory on node %d (numastat -m shows who holds it), then "
				      "move the pages back: migratepages %u %d %d (node %d is "
				      "memory-only: the threads cannot run where the pages went)",
				      from, p->pid, m, from, m);
		else
			nl_doctor_set(f->fix, sizeof(f->fix),
				      "free memory on node %d (numastat -m shows who holds it), then "
				      "move the pages back: migratepages %u %d %d; or run it where its "
				      "memory is: numactl --cpunodebind=%d --membind=%d %s",
				      from, p->pid, m, from, m, m, nl_doctor_cmd(in, p->pid));
	}
	return 0;
}

int nl_rule_numa_miss(const struct nl_doctor_in *in, struct nl_findings *out)
{
	int rc;

	if (in->topo->nr_nodes < 2)
		return 0;
	if (in->numastat_valid && (rc = numastat_misses(in, out)))
		return rc;
	for (int i = 0; in->snap && i < in->snap->nr_procs; i++)
		if (nl_doctor_judged(in, &in->snap->procs[i]) &&
		    ((rc = preferred_spill(in, &in->snap->procs[i], out)) ||
		     (rc = default_spill(in, &in->snap->procs[i], out))))
			return rc;
	return 0;
}

/* The window's requests: p99, and how much of the tail's excess over the median
 * request AutoNUMA's own causes explain (source requests). */
static void rq_evidence(const struct nl_rq_summary *q, char *buf, size_t len)
{
	const double *sh = q->tail.share;
	double an = 0;
	size_t used = strlen(buf);

	for (int c = 0; c < NL_RQ_CAUSES; c++)
		if ((c == NL_RQ_HINT_FAULT || c == NL_RQ_MIGRATE_STALL || c == NL_RQ_NUMA_MOVE ||
		     c == NL_RQ_TLB_IPI || c == NL_RQ_NUMA_SCAN) && isfinite(sh[c]))
			an += sh[c];
	if (used + 1 >= len)
		return;
	snprintf(buf + used, len - used, " Requests in the window (source requests): %" PRIu64
		 ", p50 %.3f ms, p99 %.3f ms; of the excess of the %" PRIu64 " requests above p99 "
		 "over the median request, AutoNUMA's causes explain %.0f%% (hint_fault %.0f%%, "
		 "migrate_stall %.0f%%, numa_scan %.0f%%, numa_move %.0f%%, tlb_ipi %.0f%%).",
		 q->count, q->p50_ns / 1e6, q->p99_ns / 1e6, q->tail.count, 100 * an,
		 100 * (isfinite(sh[NL_RQ_HINT_FAULT]) ? sh[NL_RQ_HINT_FAULT] : 0),
		 100 * (isfinite(sh[NL_RQ_MIGRATE_STALL]) ? sh[NL_RQ_MIGRATE_STALL] : 0),
		 100 * (isfinite(sh[NL_RQ_NUMA_SCAN]) ? sh[NL_RQ_NUMA_SCAN] : 0),
		 100 * (isfinite(sh[NL_RQ_NUMA_MOVE]) ? sh[NL_RQ_NUMA_MOVE] : 0),
		 100 * (isfinite(sh[NL_RQ_TLB_IPI]) ? sh[NL_RQ_TLB_IPI] : 0));
}

static int autonuma_process(const struct nl_doctor_in *in, const struct nl_process *p,
			    struct nl_findings *out)
{
	const struct nl_counts *c = &p->c;
	double sec = in->snap->interval_ns / 1e9;
	uint64_t hints = nl_mat_sum(&c->hint_faults), moved = nl_mat_sum(&c->migrated_pages);
	bool active = hints || moved || c->numa_scan_count || c->numa_task_moves;
	struct nl_finding *f = nl_finding_add(out, "autonuma_latency",
					      active ? NL_SEV_WARNING : NL_SEV_INFO, p->pid);

	if (!f)
		return -ENOMEM;
	if (sec <= 0)
		sec = 1;
	nl_doctor_set(f->title, sizeof(f->title),
		      "pid %u (%s) is latency-sensitive and AutoNUMA is on%s", p->pid, p->comm,
		      active ? ": it took hinting faults and migrations in the window" : "");
	nl_doctor_set(f->evidence, sizeof(f->evidence),
		      "kernel.numa_balancing=%d; in %.1f s: %" PRIu64 " hinting faults (%.0f/s, "
		      "source hint faults), %" PRIu64 " pages migrated (%.0f/s) with %.3f ms stalled "
		      "in migrate_pages() (source migrations), %" PRIu64 " scanner runs taking %.3f ms "
		      "(numa_scan), %" PRIu64 " NUMA task moves (numa_sched). Each hinting fault and "
		      "migration stalls the thread that takes it: tail latency.",
		      in->m->numa_balancing, sec, hints, hints / sec, moved, moved / sec,
		      c->migrate_stall_ns / 1e6, c->numa_scan_count, c->numa_scan_ns / 1e6,
		      c->numa_task_moves);
	if (in->rq)
		rq_evidence(in->rq, f->evidence, sizeof(f->evidence));
	nl_doctor_set(f->fix, sizeof(f->fix),
		      "sysctl -w kernel.numa_balancing=0 (persist: echo kernel.numa_balancing=0 > "
		      "/etc/sysctl.d/90-numa.conf) and place it explicitly: numactl --cpunodebind=N "
		      "--membind=N %s; to measure the effect on p99 first: numalens prove --request "
		      "BIN:FUNC -- %s",
		      nl_doctor_cmd(in, p->pid), nl_doctor_cmd(in, p->pid));
	return 0;
}

int nl_rule_autonuma_latency(const struct nl_doctor_in *in, struct nl_findings *out)
{
	int rc;

	if (!in->latency_sensitive || in->topo->nr_nodes < 2 || in->m->numa_balancing < 1 ||
	    !in->snap)
		return 0;
	for (int i = 0; i < in->snap->nr_procs; i++)
		if (nl_doctor_judged(in, &in->snap->procs[i]) &&
		    (rc = autonuma_process(in, &in->snap->procs[i], out)))
			return rc;
	return 0;
}
