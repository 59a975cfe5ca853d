/* The data model between collection (BPF maps, /proc) and rendering (table, JSON,
 * trace files). Renderers take only these structs, so they are tested on fixed data
 * without a kernel. Matrices are [cpu_node][mem_node] and vectors are indexed by node
 * id, as in the JSON contract (DESIGN.md); node ids must be < NL_MAX_NODES. */
#ifndef NL_MODEL_H
#define NL_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "numalens.h" /* NL_MAX_NODES */
#include "model/matrix.h"
#include "model/requests.h"

#define NL_COMM_LEN 16
#define NL_MAX_FRAMES 32

/* Counters shared by processes (sum of their threads) and threads. Every figure
 * has one source, named in the JSON "sources" object and the table's legend. */
struct nl_counts {
	uint64_t faults_unresolved;                       /* faults whose page node is unknown */
	uint64_t first_touch_pages[NL_MAX_NODES];         /* source: faults (page allocations) */
	uint64_t cpu_ns[NL_MAX_NODES];                    /* source: sched */
	uint64_t node_migrations;                         /* sched_migrate_task across nodes */
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
	/* The matrices, [cpu node][page node] ([from][to] for migrated_pages), sized by
	 * the nodes in use (model/matrix.h); they own memory: copy with nl_counts_copy(),
	 * free with nl_counts_free(). Every field above them is a uint64_t (delta.c). */
	struct nl_mat faults;         /* source: faults */
	struct nl_mat hint_faults;    /* source: hint faults */
	struct nl_mat migrated_pages; /* source: migrations */
	/* source: mapped_faults (collect/mapped.c). The faults of `faults` that mapped a
	 * page already there (page cache, shared memory, shared hugetlb), resolved to that
	 * page's node: a subset of `faults`, never of first touch. */
	struct nl_mat faults_mapped;
};

struct nl_frame {
	uint64_t ip;
	char *symbol;   /* "init_weights+0x1c" or NULL when unknown */
	char *module;   /* "/usr/bin/app" or "[unknown]" / "[jit]" */
	char *build_id; /* the module's GNU build-id in hex, NULL when unknown */
	uint64_t file_offset; /* ip's offset in the module's file (valid with has_offset) */
	bool has_offset;
};

struct nl_stack {
	int nr;
	struct nl_frame frames[NL_MAX_FRAMES];
	/* The frame chain went on to an address in no mapping of the process (a stale
	 * frame pointer, code without frame pointers): never shown as a frame, and what
	 * called the last frame shown is unknown. */
	bool cut;
};

struct nl_thread {
	uint32_t tid;
	/* Which thread this is across snapshots: tids are reused, serials are not (the
	 * collector gives each thread it sees a new one). 0 in hand-made snapshots:
	 * then the tid is the identity. */
	uint64_t serial;
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
	/* Of resident_pages, the hugetlb pool's pages (numa_maps "huge" mappings), counted
	 * in huge pages and in KiB (2 MiB and 1 GiB pages can share a process). */
	uint64_t resident_huge_pages[NL_MAX_NODES];
	uint64_t resident_huge_kb[NL_MAX_NODES];
	struct nl_vma *vmas;
	int nr_vmas;
	struct nl_thread *threads;
	int nr_threads;
	struct nl_diagnosis diag;
	bool followed;  /* the target process: reported every interval, busy or not */
};

struct nl_topo_summary {
	int nr_nodes;                 /* online nodes */
	int node_ids[NL_MAX_NODES];
	int distance[NL_MAX_NODES][NL_MAX_NODES]; /* indexed by node id */
	int *cpus[NL_MAX_NODES];      /* per node id, sorted CPU numbers */
	int nr_cpus[NL_MAX_NODES];
	uint64_t mem_total_kb[NL_MAX_NODES]; /* per node id; 0 unknown or memory-less */
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

/* Every source numalens knows. The order is the order sources are listed in. */
enum nl_source_id {
	NL_SRC_SCHED = 0,
	NL_SRC_FAULTS,
	NL_SRC_RESIDENCY,
	NL_SRC_PMU,
	NL_SRC_HINT_FAULTS,
	NL_SRC_NUMA_SCAN,
	NL_SRC_MIGRATIONS,
	NL_SRC_NUMA_SCHED,
	NL_SRC_TLB,
	NL_SRC_REQUESTS,  /* --request / --usdt: per-request attribution */
	NL_SRC_MAPPED,    /* faults that allocated no page, resolved with move_pages(2) */
	NL_SRC_MAX,
};

/* Which sources produced this snapshot, and why the others did not. A source nothing
 * was said of (known false) is not listed. */
struct nl_source_state {
	bool known;
	bool active;
	char *detail;       /* malloc'd: "tp_btf/sched_switch" or why it is off; never cut */
};

/* "sched", "faults", ... ("hint_faults"); NULL past the end. */
const char *nl_source_name(enum nl_source_id id);
/* The id of a source name, or -1 (trace files name sources). */
int nl_source_id(const char *name);
/* Sets known/active and a formatted detail (replacing the old one). 0 or -ENOMEM. */
int nl_source_set(struct nl_source_state *s, bool active, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Appends formatted text to the detail. 0 or -ENOMEM. */
int nl_source_append(struct nl_source_state *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Deep copy of every source; dst's old details are freed. 0 or -ENOMEM. */
int nl_sources_copy(struct nl_source_state *dst, const struct nl_source_state *src);
void nl_sources_free(struct nl_source_state *s);

/* The recording kernel's enum names (from its BTF): a snapshot read on another machine
 * or from a trace is labelled by the kernel that produced it. "" for an unknown slot. */
struct nl_enum_names {
	char migrate_reason[NL_MIGRATE_REASONS][32]; /* enum migrate_reason, "numa_misplaced" */
	char tlb_reason[NL_TLB_REASONS][32];         /* enum tlb_flush_reason, "remote_shootdown" */
};

/* A reason slot's name: the kernel's spelling, "reason_N" for a slot it left unnamed
 * (written into buf then). */
const char *nl_reason_key(const char *name, int r, char *buf, size_t len);
/* Fills the 6.18 names (what a snapshot without a kernel behind it uses). */
void nl_enum_names_default(struct nl_enum_names *n);
/* The index of enum migrate_reason's MR_NUMA_MISPLACED in n, or -1. */
int nl_migrate_reason_index(const struct nl_enum_names *n, const char *name);

/* /proc/vmstat's AutoNUMA counters as read (cumulative since boot). */
struct nl_vm_totals {
	bool have_numa;        /* numa_* lines (CONFIG_NUMA_BALANCING) */
	bool have_pgmigrate;   /* pgmigrate_* lines (CONFIG_MIGRATION) */
	uint64_t hint_faults, hint_faults_local, pages_migrated;
	uint64_t pgmigrate_success, pgmigrate_fail;
};

/* What the BPF programs counted over every task, cumulative since they attached. */
struct nl_bpf_totals {
	bool valid;            /* the AutoNUMA programs ran and the reason enum is known */
	bool local_exact;      /* the local count is the kernel's own verdict (not fallback) */
	uint64_t hint_faults, hint_faults_local, pages_migrated;
	uint64_t pgmigrate_success, pgmigrate_fail;
};

struct nl_numastat {
	uint64_t numa_hit, numa_miss, numa_foreign, interleave_hit, local_node, other_node;
};

/* What a report covers of a recording; borrowed by the snapshot, never owned or
 * copied. Renderers add it to what they show when it is set. */
struct nl_recording {
	const char *file, *hostname, *kernel_release, *machine, *target, *cmdline, *version;
	uint64_t start_realtime_ns; /* when the recording started */
	uint64_t start_mono_ns;     /* the same instant, CLOCK_MONOTONIC of the recorder */
	uint64_t from_ns, to_ns;    /* the window reported, from the recording's start */
	uint64_t intervals;         /* intervals added up */
	uint64_t chunks;            /* chunks read */
	bool truncated;             /* the file ends before the recording's END record */
	uint64_t bytes_lost;        /* bytes after the last complete chunk */
	const char *problem;        /* what the reader stopped at, or NULL */
};

/* A snapshot is either cumulative (what the collector samples: every count since the
 * programs attached, exited threads kept until every consumer saw them) or an
 * interval (nl_snapshot_delta of two cumulative ones: what renderers show). Reading a
 * cumulative snapshot changes nothing for anyone else. */
struct nl_snapshot {
	struct nl_topo_summary topo;
	bool cumulative;
	uint64_t seq;           /* the collector's sample number (cumulative snapshots) */
	uint64_t mono_ns;       /* CLOCK_MONOTONIC at the end of the window */
	uint64_t interval_ns;   /* the window's length; 0 for a whole recording */
	uint64_t timestamp_ns;  /* CLOCK_REALTIME at the end of the window */
	uint64_t lost_events;   /* everything BPF dropped (map full, ring buffer full) */
	int numa_balancing;     /* kernel.numa_balancing, -1 unknown */
	struct nl_source_state sources[NL_SRC_MAX];
	struct nl_enum_names names;
	struct nl_process *procs;
	int nr_procs;
	/* AutoNUMA (collect/autonuma.c). */
	char autonuma_state[128];     /* "AutoNUMA off (kernel.numa_balancing=0)", "on", ... */
	struct nl_vmstat_check vmstat; /* system-wide BPF totals vs /proc/vmstat, this window */
	/* Cumulative snapshots only: the raw totals the interval's vmstat check is made of. */
	struct nl_vm_totals vm_now;   /* /proc/vmstat at this sample */
	/* /proc/vmstat read just before bpf_sys (vm_now just after): the two bracket the
	 * instant the BPF totals were read. have_* false when not read (older traces). */
	struct nl_vm_totals vm_pre;
	struct nl_vm_totals vm_open;  /* /proc/vmstat when the programs attached */
	struct nl_bpf_totals bpf_sys; /* BPF's system-wide totals since attach */
	/* Per-node numastat (/sys/devices/system/node/nodeN/numastat), as read at the end
	 * of the window (cumulative since boot, like numastat(8) shows); not always read. */
	bool numastat_valid;
	struct nl_numastat numastat[NL_MAX_NODES]; /* by node id */
	const struct nl_recording *recording; /* a report's; NULL live */
	struct nl_rq_stats rq;        /* requests (--request/--usdt) */
	/* The window's finished requests analysed (top --request); not owned, NULL
	 * when there is none. */
	const struct nl_rq_summary *rq_summary;
	/* report: the recording's windows (tail requests against AutoNUMA activity); not
	 * owned. */
	const struct nl_rq_window *rq_windows;
	size_t nr_rq_windows;
};

/* The sum of a per-node vector (matrices: nl_mat_sum, nl_mat_columns). */
uint64_t nl_node_sum(const uint64_t v[NL_MAX_NODES]);

/* remote / all classified accesses (faults + hint faults); NAN when there are none. */
double nl_remote_ratio(const struct nl_counts *c);
/* What remote_ratio rests on: the faults whose page node is known (the faults matrix,
 * and hinting faults, which the hint-fault source classifies) as a share of all faults
 * (the matrix + faults_unresolved: faults that mapped a page already there, such as an
 * mmapped file's page cache, or allocated none; hinting faults are among them); at most
 * 1, NAN without faults. */
double nl_classified_share(const struct nl_counts *c);
/* Below this classified share the remote ratio is not shown as a measurement. */
#define NL_CLASSIFIED_ENOUGH 0.5
/* The classified accesses (faults + hint faults whose nodes are known) and, of them,
 * the remote ones (cpu node != page node). */
void nl_counts_accesses(const struct nl_counts *c, uint64_t *all, uint64_t *remote);
void nl_counts_add(struct nl_counts *dst, const struct nl_counts *src);
/* d = now - before, field by field (0 where before is larger); whether any is non-zero.
 * d's old matrices are freed: it must be zeroed or hold counts. */
bool nl_counts_sub(struct nl_counts *d, const struct nl_counts *now, const struct nl_counts *before);
/* d = a deep copy of s (d's old matrices freed: d must be zeroed or hold counts). */
void nl_counts_copy(struct nl_counts *d, const struct nl_counts *s);
/* Frees the matrices and zeroes every count. */
void nl_counts_free(struct nl_counts *c);
/* The AutoNUMA fields only (nl_counts_add calls it). */
void nl_counts_add_autonuma(struct nl_counts *dst, const struct nl_counts *src);
void nl_snapshot_free(struct nl_snapshot *s);

/* Events gathered from nl_collector_drain_events by nl_event_set_keep, the consumer
 * the recorder and the flight recorder give it (ctx = the set). */
struct nl_event_set {
	struct nl_event *v;
	size_t n, cap;
	int err; /* -ENOMEM once an event could not be kept: the drain stopped there */
};
int nl_event_set_keep(void *ctx, const struct nl_event *ev);
void nl_event_set_free(struct nl_event_set *s);

/* The interval between two cumulative snapshots of one collector (prev NULL: since
 * the start): counts are now - prev per thread (matched by serial, else tid), threads
 * without a change left out unless they exited in the window; residency, names,
 * sources and state are now's; the vmstat check is made for the window. out is a
 * new, independent snapshot (free it). 0 or -ENOMEM. */
int nl_snapshot_delta(const struct nl_snapshot *now, const struct nl_snapshot *prev,
		      struct nl_snapshot *out);
/* Frees what one process owns (threads, stacks, vmas) and empties it. */
void nl_process_free(struct nl_process *p);
/* dst = src with its own copies of the CPU lists (dst's own are not freed first).
 * 0 or -ENOMEM (dst's lists then NULL). */
int nl_topo_summary_copy(struct nl_topo_summary *dst, const struct nl_topo_summary *src);
/* A node with memory and no CPUs (CXL, GPU memory): pages live there, threads never
 * run there. A summary without the node's memory (0: unknown) does not say so. */
bool nl_topo_memory_only(const struct nl_topo_summary *t, int node);
/* node itself when it has CPUs, else the online node with CPUs nearest to it by
 * distance (ties: the lowest id); -1 when there is none. */
int nl_topo_nearest_cpu_node(const struct nl_topo_summary *t, int node);
/* Deep copy. 0 or -ENOMEM (dst then holds nothing to free). */
int nl_snapshot_copy(struct nl_snapshot *dst, const struct nl_snapshot *src);
struct nl_stack *nl_stack_dup(const struct nl_stack *st);
void nl_stack_free(struct nl_stack *st);
/* The vmstat check of a window (model/vmstat_check.c): vm and bpf are the window's
 * deltas; pairs off by more than slack and pct percent disagree. */
void nl_vmstat_check_make(struct nl_vmstat_check *c, const struct nl_vm_totals *vm,
			  const struct nl_bpf_totals *bpf, uint64_t slack, double pct);
/* The check of the window between two cumulative snapshots (prev NULL: since attach). */
void nl_vmstat_check_window(struct nl_vmstat_check *chk, const struct nl_snapshot *now,
			    const struct nl_snapshot *prev);
void nl_vm_totals_sub(struct nl_vm_totals *d, const struct nl_vm_totals *now,
		      const struct nl_vm_totals *before);
void nl_bpf_totals_sub(struct nl_bpf_totals *d, const struct nl_bpf_totals *now,
		       const struct nl_bpf_totals *before);
/* A VMA's pages on node in 4 KiB base pages. */
uint64_t nl_vma_base_pages(const struct nl_vma *v, int node);

/* ESTIMATE, not a measurement (sources: residency x sched): the share of accesses that
 * would be remote if the CPU time c spent on each node touched resident pages
 * uniformly: sum over CPU nodes n of cpu_ns[n]/all_cpu * (resident pages not on n /
 * all resident). For a thread, pass its process's residency. NAN when there is no
 * CPU time or no resident page (resident NULL = unknown). */
double nl_resident_remote_ratio(const struct nl_counts *c, const uint64_t resident[NL_MAX_NODES]);

#endif
