/* The exporter's cumulative model: every interval snapshot of a running daemon added
 * into system-wide totals that only grow (Prometheus counters), plus the latest
 * gauges the engine reads beside them (node memory, numastat, numalens's own BPF run
 * time). Kept apart from the collector's own cumulative snapshots on purpose: those
 * are per thread and shrink when threads are forgotten; these are per node pair,
 * per reason and per cgroup, bounded, and never go backwards whatever threads come
 * and go. Renderers (render/render_prom.c) take only this struct.
 *
 * Labels are node, reason and cgroup only: never a pid or tid (unbounded series). */
#ifndef NL_MODEL_FLEET_H
#define NL_MODEL_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/model.h"

/* Cgroups kept at most; the accesses of any further one add to the "other" row. */
#define NL_FLEET_MAX_CGROUPS 1024

struct nl_fleet_cgroup {
	char *path;           /* "/system.slice/x.service"; malloc'd */
	uint64_t accesses;    /* classified faults + hint faults of its processes */
	uint64_t remote;      /* of those, cpu node != page node */
};

/* Per-node memory, read by the engine from nodeN/meminfo at each interval. */
struct nl_fleet_mem {
	bool valid;
	uint64_t total_bytes, free_bytes, file_bytes, anon_bytes;
};

struct nl_fleet {
	int nr_nodes;                  /* the first interval's online nodes */
	int node_ids[NL_MAX_NODES];
	struct nl_enum_names names;
	struct nl_source_state sources[NL_SRC_MAX]; /* the latest interval's */
	bool started;
	uint64_t intervals;
	uint64_t start_realtime_ns;    /* the start of the first interval */
	uint64_t last_mono_ns, last_realtime_ns; /* end of the latest interval */
	/* counters since start: every process's counts added up (the per-thread and
	 * per-process breakdowns are not kept) */
	struct nl_counts c;
	uint64_t lost_events;
	/* per cgroup (the engine names each process's cgroup) */
	struct nl_fleet_cgroup *cgroups;
	size_t nr_cgroups, cap_cgroups;
	uint64_t other_accesses, other_remote; /* cgroups past NL_FLEET_MAX_CGROUPS, or unknown */
	/* requests (--request/--usdt/--syscalls), since start: rq_valid once asked for.
	 * The histogram, its sum, exits and drops are BPF's counters (every finished
	 * request); the causes are summed over the records that reached user space
	 * (rq_records of them; NL_RQ_DROP_EVENT counts the others). */
	bool rq_valid;
	struct nl_rq_hist rq_hist;
	uint64_t rq_sum_ns, rq_exited;
	uint64_t rq_drops[NL_RQ_DROP_MAX];
	uint64_t rq_records;
	uint64_t rq_causes_ns[NL_RQ_CAUSES];
	bool rq_hint_measured;         /* a record had hint_fault measured (fentry/kprobe) */
	/* the latest interval alone (flight-recorder triggers) */
	uint64_t last_interval_ns;
	uint64_t last_accesses, last_remote, last_migrated;
	/* gauges of the latest interval */
	int numa_balancing;
	bool numastat_valid;
	struct nl_numastat numastat[NL_MAX_NODES];
	struct nl_fleet_mem mem[NL_MAX_NODES];
	/* numalens's own BPF programs (bpf_stats): run time and runs since they loaded */
	bool bpf_stats_enabled;
	uint64_t bpf_run_ns, bpf_run_cnt;
	int bpf_progs;
};

/* Adds one interval snapshot. cgroup_of[i] names procs[i]'s cgroup (NULL: unknown,
 * counted under "other"); cgroup_of may be NULL. 0 or -ENOMEM (the counters that
 * were added stay added; a cgroup that could not be stored goes to "other"). */
int nl_fleet_add(struct nl_fleet *f, const struct nl_snapshot *interval,
		 const char *const *cgroup_of);
/* Adds the causes of n finished request records (those cut by their thread's exit
 * are left out, as the histogram leaves them out). */
void nl_fleet_add_requests(struct nl_fleet *f, const struct nl_request *r, size_t n);
void nl_fleet_free(struct nl_fleet *f);

#endif
