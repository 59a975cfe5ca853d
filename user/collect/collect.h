/* Collection: the sources (BPF programs, /proc) behind one table, and the collector
 * that samples them into cumulative snapshots. Several consumers share one collector:
 * each reads through its own view, at its own pace, and a read changes nothing for
 * the others. Rendering never sees BPF. */
#ifndef NL_COLLECT_H
#define NL_COLLECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/model.h"

struct nl_request_spec;

struct nl_collect_opts {
	uint32_t target_pid;   /* follow this process (all its threads); 0 = every process */
	bool children;         /* and every process it forks, and theirs (bpf/follow.bpf.h) */
	uint64_t cgroup_id;    /* only tasks in this cgroup (v2 id); 0 = no cgroup filter */
	uint32_t max_threads;  /* size of per-thread maps; 0 = default */
	uint32_t max_stacks;   /* size of the stack map; 0 = default */
	bool stacks;           /* take user stacks of first-touching code */
	int call_graph;        /* enum nl_call_graph: how those stacks are unwound */
	bool verbose;          /* libbpf messages on stderr */
	bool no_autonuma;      /* leave the AutoNUMA programs (collect/autonuma.c) out */
	int autonuma_path;     /* enum nl_autonuma_path: AUTO, or force one (tests) */
	bool events;           /* per-event records (record): the AutoNUMA ring buffer */
	/* Requests (--request/--usdt; collect/request.h); NULL: none. */
	const struct nl_request_spec *request;
	uint32_t max_inflight; /* threads with a request in flight at once; 0 = default */
	bool request_records;  /* keep each finished request, not only the histogram */
};

/* --call-graph (collect/dwarf_stacks.c). AUTO: DWARF where the kernel lets BPF read
 * the user registers (5.15, x86-64), else frame pointers, said in the faults source. */
enum nl_call_graph {
	NL_CALL_GRAPH_AUTO = 0,
	NL_CALL_GRAPH_FP,      /* frame pointers walked in BPF: cheapest, needs -fno-omit-frame-pointer */
	NL_CALL_GRAPH_DWARF,   /* registers + stack copy unwound in user space with DWARF CFI */
};
/* "auto", "fp", "dwarf" into *out: 0, or -1 (unknown word). */
int nl_call_graph_parse(const char *arg, int *out);

struct nl_collector;

/* --max-threads (collect/thread_maps.c): the per-thread hash maps it sizes are
 * preallocated. Bytes = entries × (key + value), the kernel's per-element overhead not
 * counted. by_tid: the tid-hash layout of kernels without task storage for tracing
 * programs (collect/access.c). */
#define NL_DEFAULT_MAX_THREADS 16384
#define NL_THREAD_MAPS_BOUND (1ULL << 30) /* what one profiler may ask for */
uint64_t nl_access_maps_bytes(uint32_t max_threads, bool by_tid);
uint64_t nl_autonuma_maps_bytes(uint32_t max_threads);
/* 0 when the most max_threads can take (tid hash, AutoNUMA loaded) is within
 * NL_THREAD_MAPS_BOUND; else -1 with err saying the figure, the bound and the largest
 * count that fits. */
int nl_max_threads_check(uint32_t max_threads, char *err, size_t errlen);
/* The option's argument: a number in 1..NL_MAX_THREADS_ARG (pid_max's ceiling) that
 * passes nl_max_threads_check. 0, or -1 with err saying why. */
#define NL_MAX_THREADS_ARG (1 << 22)
int nl_max_threads_parse(const char *arg, uint32_t *out, char *err, size_t errlen);
/* The default's figure and the largest count, for -h: two lines, the second indented. */
void nl_max_threads_help(char *buf, size_t len, int indent);

/* Probes every source, decides which run and records why the others do not, opens,
 * configures (rodata, map sizes, autoload), loads and attaches. On failure returns
 * non-zero with a one-line reason in err (e.g. "not root", "kernel has no BTF"). */
int nl_collector_open(const struct nl_collect_opts *opts, struct nl_collector **out,
		      char *err, size_t errlen);

/* A consumer's handle on the collector: up to 8 at once. Returns its id, or -ENOSPC. */
int nl_collector_add_view(struct nl_collector *c);

enum {
	/* nl_view_interval: read the interval's processes' /proc/PID/numa_maps (it takes
	 * each one's mmap lock, so a recorder does it at a coarser interval) */
	NL_SAMPLE_RESIDENCY = 1 << 0,
	NL_SAMPLE_NUMASTAT = 1 << 1,  /* read each node's numastat */
};

/* A cumulative snapshot (every count since attach; see model.h) for view, which has
 * now read everything up to it. Caller frees with nl_snapshot_free. 0 or -errno. */
int nl_collector_sample(struct nl_collector *c, int view, unsigned flags,
			struct nl_snapshot *cum);

/* Per-event records (opts.events): calls fn for each event the ring buffer holds.
 * Returns the number handled or -errno; 0 when events are off. */
int nl_collector_drain_events(struct nl_collector *c,
			      int (*fn)(void *ctx, const struct nl_event *ev), void *ctx);

/* Finished requests (opts.request): fn is called with each one whenever any consumer
 * drains, so every consumer sees every request. Up to 4 consumers; 0 or -ENOSPC. */
int nl_collector_on_requests(struct nl_collector *c,
			     int (*fn)(void *ctx, const struct nl_request *r), void *ctx);
/* Drains the finished requests to every consumer: the number, or -errno. */
int nl_collector_drain_requests(struct nl_collector *c);

/* DWARF-mode stacks (collect/dwarf_stacks.c) are unwound in user space while their
 * process still exists (its mappings and files are what the unwinder reads), so the
 * session calls nl_collector_poll at least every nl_collector_poll_ns between samples.
 * 0: nothing to poll. nl_collector_poll returns 0 or -errno. */
uint64_t nl_collector_poll_ns(const struct nl_collector *c);
int nl_collector_poll(struct nl_collector *c);

/* The sources as decided at open (deep copy; free with nl_sources_free). */
int nl_collector_sources(const struct nl_collector *c, struct nl_source_state *out);
const struct nl_enum_names *nl_collector_names(const struct nl_collector *c);
/* The machine's topology as the snapshots carry it (free with nl_topo_summary_free). */
int nl_collector_topology(const struct nl_collector *c, struct nl_topo_summary *out);

/* The AutoNUMA programs' hook path ("fentry", "kprobe", "fallback") and why the better
 * ones were not taken. 0, or -1 with why AutoNUMA is not running in err. */
int nl_collector_autonuma(const struct nl_collector *c, const char **path, const char **why,
			  char *err, size_t errlen);

/* Detaches and frees everything; safe on NULL. */
void nl_collector_close(struct nl_collector *c);

/* A consumer's intervals: the cumulative snapshot it read last is its baseline. */
struct nl_view {
	struct nl_collector *c;
	int id;
	struct nl_snapshot prev;
	bool have_prev;
};

int nl_view_init(struct nl_view *v, struct nl_collector *c);
/* The interval since the previous call (the first: since attach), into out (free it
 * with nl_snapshot_free). 0 or -errno. */
int nl_view_interval(struct nl_view *v, unsigned flags, struct nl_snapshot *out);
void nl_view_free(struct nl_view *v);

#endif
