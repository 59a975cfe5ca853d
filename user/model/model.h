/* The data model between collection (BPF maps, /proc) and rendering (table, JSON,
 * trace files). Renderers take only these structs, so they are tested on fixed data
 * without a kernel. Matrices are [cpu_node][mem_node] and vectors are indexed by node
 * id, as in the JSON contract (DESIGN.md); node ids must be < NL_MAX_NODES. */
#ifndef NL_MODEL_H
#define NL_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "numalens.h" /* NL_MAX_NODES */

#define NL_COMM_LEN 16
#define NL_MAX_FRAMES 32

/* Counters shared by processes (sum of their threads) and threads. Every figure
 * has one source, named in the JSON "sources" object and the table's legend. */
struct nl_counts {
	uint64_t faults[NL_MAX_NODES][NL_MAX_NODES];      /* source: faults */
	uint64_t faults_unresolved;                       /* faults whose page node is unknown */
	uint64_t hint_faults[NL_MAX_NODES][NL_MAX_NODES]; /* source: hint faults */
	uint64_t first_touch_pages[NL_MAX_NODES];         /* source: faults (page allocations) */
	uint64_t cpu_ns[NL_MAX_NODES];                    /* source: sched */
	uint64_t node_migrations;                         /* sched_migrate_task across nodes */
	uint64_t migrated_pages[NL_MAX_NODES][NL_MAX_NODES]; /* source: migrations */
	uint64_t migrate_stall_ns;
	uint64_t numa_task_moves;
	/* AutoNUMA detail, filled by user/autonuma.c (appended; see its header for the
	 * source of each). migrated_pages is every reason; migrate_stall_ns is the time
	 * inside migrate_pages() of every reason; numa_task_moves = sched_move_numa +
	 * sched_swap_numa (node_migrations above includes them too). Pages are base pages. */
	uint64_t hint_pages;          /* pages the hinting faults covered (THP = 512) */
	uint64_t hint_local;          /* hinting faults the kernel itself called local */
	uint64_t hint_migrated_pages; /* pages migrated by those faults (kernel's count) */
	uint64_t hint_migrate_fail;   /* pages a hinting fault failed to migrate */
	uint64_t migrate_fail;        /* pages, every reason */
	uint64_t migrate_pages_by_reason[NL_MIGRATE_REASONS]; /* succeeded pages */
	uint64_t migrate_fail_by_reason[NL_MIGRATE_REASONS];
	uint64_t migrate_stall_ns_by_reason[NL_MIGRATE_REASONS];
	uint64_t migrate_stall_hist[NL_HIST_BUCKETS]; /* migrate_pages() calls, log2(ns) */
	uint64_t numa_task_swaps;     /* of numa_task_moves, the swaps */
	uint64_t numa_task_sticks;    /* sched_stick_numa: a NUMA move that did not happen */
	uint64_t tlb_shootdowns[NL_TLB_REASONS]; /* tlb_flush by reason (0 = task switch, not kept) */
	uint64_t tlb_autonuma_sent;   /* shootdown IPIs sent while scanning/migrating for AutoNUMA */
	uint64_t tlb_autonuma_recv;   /* shootdowns received from such a sender */
	uint64_t ipi_count;           /* call-function IPIs handled while the thread was current */
	uint64_t ipi_ns;
	uint64_t ipi_autonuma_ns;     /* IPI time that included an AutoNUMA-caused shootdown */
	uint64_t numa_scan_count;     /* task_numa_work runs */
	uint64_t numa_scan_ns;
};

struct nl_frame {
	uint64_t ip;
	char *symbol; /* "init_weights+0x1c" or NULL when unknown */
	char *module; /* "/usr/bin/app" or "[unknown]" / "[jit]" */
};

struct nl_stack {
	int nr;
	struct nl_frame frames[NL_MAX_FRAMES];
};

struct nl_thread {
	uint32_t tid;
	char comm[NL_COMM_LEN];
	struct nl_counts c;
	/* The stack that first-touched the most pages of this thread, if any. */
	struct nl_stack *first_touch_stack;
	uint64_t first_touch_stack_pages;
	bool exited;
};

/* One mapping of /proc/PID/numa_maps. */
struct nl_vma {
	uint64_t start;
	char policy[32];  /* "default", "bind:1", "interleave:0-1", "prefer:1", ... */
	char *name;       /* file, "heap", "stack", or NULL for anonymous */
	uint64_t pages[NL_MAX_NODES];
	uint64_t page_size; /* bytes per page for this mapping (kernelpagesize_kB) */
};

enum nl_diag_kind {
	NL_DIAG_NONE = 0,
	NL_DIAG_FIRST_TOUCH_BUG, /* pages live where the threads using them do not run */
};

struct nl_diagnosis {
	enum nl_diag_kind kind;
	int mem_node;          /* where most pages are */
	int cpu_node;          /* where most CPU time is */
	double resident_share; /* of pages on mem_node */
	double cpu_share;      /* of CPU time on cpu_node */
	uint32_t init_tid;     /* the thread that first-touched most pages */
	char init_comm[NL_COMM_LEN];
	char text[512];        /* one-paragraph explanation */
	char fix[512];         /* the exact commands */
};

struct nl_process {
	uint32_t pid;
	char comm[NL_COMM_LEN];
	struct nl_counts c;
	uint64_t resident_pages[NL_MAX_NODES]; /* source: residency (numa_maps), end of window */
	bool resident_known;
	struct nl_vma *vmas;
	int nr_vmas;
	struct nl_thread *threads;
	int nr_threads;
	struct nl_diagnosis diag;
};

struct nl_topo_summary {
	int nr_nodes;                 /* online nodes */
	int node_ids[NL_MAX_NODES];
	int distance[NL_MAX_NODES][NL_MAX_NODES]; /* indexed by node id */
	int *cpus[NL_MAX_NODES];      /* per node id, sorted CPU numbers */
	int nr_cpus[NL_MAX_NODES];
};

/* System-wide AutoNUMA totals of one window: /proc/vmstat deltas and what the BPF
 * programs counted over every task (user/vmstat.c compares them). */
struct nl_vmstat_check {
	bool valid;                   /* /proc/vmstat read at both ends of the window */
	uint64_t hint_faults;         /* vmstat numa_hint_faults */
	uint64_t hint_faults_local;   /* vmstat numa_hint_faults_local */
	uint64_t pages_migrated;      /* vmstat numa_pages_migrated */
	uint64_t pgmigrate_success;   /* vmstat pgmigrate_success (every reason) */
	uint64_t pgmigrate_fail;
	bool bpf_valid;               /* the BPF side below was filled */
	bool bpf_local_exact;         /* BPF's local count is the kernel's own verdict */
	uint64_t bpf_hint_faults;
	uint64_t bpf_hint_faults_local;
	uint64_t bpf_pages_migrated;  /* mm_migrate_pages, reason numa_misplaced */
	uint64_t bpf_pgmigrate_success; /* mm_migrate_pages, every reason */
	uint64_t bpf_pgmigrate_fail;
	bool disagree;                /* some pair differs beyond the tolerance */
	char note[320];               /* what differs, or "agree" */
};

/* Which sources produced this snapshot, and why the others did not. */
struct nl_source_state {
	const char *name;   /* "faults", "hint_faults", "migrations", "sched", "residency", "pmu" */
	bool active;
	char detail[128];   /* "tp_btf/page_fault_user" or why it is off */
};

#define NL_MAX_SOURCES 16 /* 8 + AutoNUMA's hint_faults, migrations, numa_sched, tlb, numa_scan */

struct nl_snapshot {
	struct nl_topo_summary topo;
	uint64_t interval_ns;   /* 0 for a whole recording */
	uint64_t timestamp_ns;  /* CLOCK_REALTIME at the end of the window */
	uint64_t lost_events;   /* everything BPF dropped (map full, ring buffer full) */
	int numa_balancing;     /* kernel.numa_balancing, -1 unknown */
	struct nl_source_state sources[NL_MAX_SOURCES];
	int nr_sources;
	struct nl_process *procs;
	int nr_procs;
	/* AutoNUMA (user/autonuma.c), appended. */
	char autonuma_state[128];     /* "AutoNUMA off (kernel.numa_balancing=0)", "on", ... */
	struct nl_vmstat_check vmstat; /* system-wide BPF totals vs /proc/vmstat, this window */
};

/* remote / all classified accesses (faults + hint faults); NAN when there are none. */
double nl_remote_ratio(const struct nl_counts *c);
void nl_counts_add(struct nl_counts *dst, const struct nl_counts *src);
/* The AutoNUMA fields only (nl_counts_add calls it). */
void nl_counts_add_autonuma(struct nl_counts *dst, const struct nl_counts *src);
void nl_snapshot_free(struct nl_snapshot *s);

/* ESTIMATE, not a measurement (sources: residency x sched): the share of accesses that
 * would be remote if the CPU time c spent on each node touched resident pages
 * uniformly: sum over CPU nodes n of cpu_ns[n]/all_cpu * (resident pages not on n /
 * all resident). For a thread, pass its process's residency. NAN when there is no
 * CPU time or no resident page (resident NULL = unknown). */
double nl_resident_remote_ratio(const struct nl_counts *c, const uint64_t resident[NL_MAX_NODES]);

#endif
