/* numalens doctor's rules: each turns what was measured in a window (an interval
 * snapshot with residency, numastat before and after) and what the machine is
 * (topology summary, model/machine.h) into findings, each with its evidence (numbers
 * and the source they come from), the expected cost where the distance matrix gives
 * one, and the fix as a command or code change. Pure functions of their input: tested
 * on hand-built snapshots and fixture trees (tests/unit/test_doctor.c).
 *
 * Stable ids (the JSON contract's "id"): single_node, first_touch_bug, remote_bind,
 * policy_mismatch, numa_miss, autonuma_latency, unpinned_threads, device_remote,
 * hugepages_placement. */
#ifndef NL_DOCTOR_H
#define NL_DOCTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/machine.h"
#include "model/model.h"

enum nl_severity { NL_SEV_INFO = 0, NL_SEV_WARNING, NL_SEV_CRITICAL };

struct nl_finding {
	const char *id;        /* a stable id (above), static */
	enum nl_severity sev;
	uint32_t pid;          /* the process it is about; 0 = the machine */
	char title[192];
	char evidence[1024];
	char fix[640];
};

struct nl_findings {
	struct nl_finding *v;
	size_t n, cap;
};

/* Processes smaller or idler than this are not judged by the per-process rules. */
#define NL_DOCTOR_MIN_PAGES 1024          /* 4 MiB of base pages */
#define NL_DOCTOR_MIN_CPU_NS 10000000ULL  /* 10 ms: below, allowed CPUs stand in */
/* A node "runs" a process when it has this share of the process's CPU time. */
#define NL_DOCTOR_CPU_NODE_SHARE 0.10
/* numa_miss: misses above this share of a node's allocations in the window (issue 11). */
#define NL_DOCTOR_MISS_SHARE 0.05
#define NL_DOCTOR_MISS_MIN_PAGES 256

struct nl_doctor_in {
	const struct nl_topo_summary *topo;
	const struct nl_machine *m;
	/* The window (an interval snapshot: counts in the window, residency and VMAs at
	 * its end, diagnosis made); NULL when only the machine is judged (--root). */
	const struct nl_snapshot *snap;
	const struct nl_proc_env *env; /* per process of snap, matched by pid */
	int nr_env;
	/* numastat at the window's start and end (cumulative since boot), by node id */
	bool numastat_valid;
	struct nl_numastat ns_before[NL_MAX_NODES];
	struct nl_numastat ns_after[NL_MAX_NODES];
	uint64_t numastat_ns;          /* how long between the two reads */
	bool latency_sensitive;        /* --latency-sensitive (or requests given) */
	/* The window's requests (--request/--usdt/--syscalls) analysed; NULL: none. */
	const struct nl_rq_summary *rq;
	uint32_t self_pid;             /* numalens itself: never judged */
};

typedef int (*nl_doctor_rule_fn)(const struct nl_doctor_in *in, struct nl_findings *out);

struct nl_doctor_rule {
	const char *id;
	nl_doctor_rule_fn fn;
};

/* Every rule, in a fixed order; NULL-terminated. */
extern const struct nl_doctor_rule nl_doctor_rules[];
/* The rule with this id, or NULL. */
nl_doctor_rule_fn nl_doctor_rule(const char *id);

/* Runs every rule (on one node only single_node) and sorts the findings most severe
 * first (stable within a severity). 0 or -ENOMEM (out then holds what was found). */
int nl_doctor_run(const struct nl_doctor_in *in, struct nl_findings *out);
void nl_findings_free(struct nl_findings *f);
const char *nl_severity_name(enum nl_severity s); /* "info", "warning", "critical" */

/* Rule helpers shared by the rule files (doctor_util.c). */
/* A new zeroed finding appended to out, or NULL (ENOMEM). */
struct nl_finding *nl_finding_add(struct nl_findings *out, const char *id, enum nl_severity sev,
				  uint32_t pid);
/* Nodes whose share of p's CPU time is >= NL_DOCTOR_CPU_NODE_SHARE (bit per node id),
 * or, with less than NL_DOCTOR_MIN_CPU_NS measured, the nodes its allowed CPUs are on
 * (*from_allowed set); 0 when neither is known. */
uint64_t nl_doctor_cpu_nodes(const struct nl_doctor_in *in, const struct nl_process *p,
			     bool *from_allowed);
const struct nl_proc_env *nl_doctor_env(const struct nl_doctor_in *in, uint32_t pid);
/* Sum of p's CPU time (threads' when the process total is empty). */
uint64_t nl_doctor_cpu_total(const struct nl_process *p, uint64_t cpu_ns[NL_MAX_NODES]);
uint64_t nl_doctor_resident_total(const struct nl_process *p);
/* Whether the per-process rules judge p: not numalens, big enough, residency known. */
bool nl_doctor_judged(const struct nl_doctor_in *in, const struct nl_process *p);
/* "the firmware's distance 21 against 10 locally (2.1x the latency of a local miss)",
 * or "" when the distances are unknown. */
void nl_doctor_cost(const struct nl_topo_summary *t, int cpu_node, int mem_node, char *buf,
		    size_t len);
/* "0-1,3" from a node bit mask. */
void nl_doctor_nodes_str(uint64_t mask, char *buf, size_t len);
/* The command for a fix: the process's command line, or "<command>". */
const char *nl_doctor_cmd(const struct nl_doctor_in *in, uint32_t pid);
/* Parses a numa_maps policy ("bind:1", "interleave:0-1", "prefer:1", "prefer
 * (many):0-1", "default", "local") into its mode ("bind", ...) and node mask (0 when it
 * names none). */
void nl_doctor_policy(const char *policy, char *mode, size_t len, uint64_t *nodes);

/* Pages the kernel placed on node mem for faults taken on CPUs of other nodes, in
 * default-policy memory: an allocation that fell back to another node because the
 * toucher's node was short of memory (a spill, not a first-touch bug). The count when
 * they are at least NL_DOCTOR_MISS_MIN_PAGES and outnumber mem's own faults, else 0;
 * *from is the CPU node that touched the most of them. */
uint64_t nl_doctor_spilled(const struct nl_process *p, int mem, int *from);

/* Writes a finding's text (a command line can make it long: it is cut, never overrun). */
void nl_doctor_set(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The rules (doctor_place.c, doctor_system.c). */
int nl_rule_single_node(const struct nl_doctor_in *in, struct nl_findings *out);
int nl_rule_first_touch_bug(const struct nl_doctor_in *in, struct nl_findings *out);
int nl_rule_remote_bind(const struct nl_doctor_in *in, struct nl_findings *out);
int nl_rule_policy_mismatch(const struct nl_doctor_in *in, struct nl_findings *out);
int nl_rule_numa_miss(const struct nl_doctor_in *in, struct nl_findings *out);
int nl_rule_autonuma_latency(const struct nl_doctor_in *in, struct nl_findings *out);
int nl_rule_unpinned_threads(const struct nl_doctor_in *in, struct nl_findings *out);
int nl_rule_device_remote(const struct nl_doctor_in *in, struct nl_findings *out);
int nl_rule_hugepages_placement(const struct nl_doctor_in *in, struct nl_findings *out);

#endif
