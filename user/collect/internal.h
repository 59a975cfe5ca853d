/* What the collector's sources share (not for consumers: they see collect.h only). */
#ifndef NL_COLLECT_INTERNAL_H
#define NL_COLLECT_INTERNAL_H

#include "collect/autonuma.h"
#include "collect/collect.h"
#include "collect/stack_agg.h"
#include "collect/symbolize.h"
#include "collect/threads.h"
#include "sysinfo/topology.h"

#define NL_MAX_VIEWS 8

struct access_bpf;
struct nl_unwinder;
struct ring_buffer;

struct nl_collector {
	struct nl_collect_opts opts;
	struct nl_topology topo;
	struct nl_enum_names names;   /* the running kernel's, from BTF */
	struct nl_source_state sources[NL_SRC_MAX];
	int nr_cpus;
	struct nl_thread_table threads;
	bool running[8];              /* per source_table entry: opened, so sampled and closed */
	uint64_t seq;                 /* samples taken */
	uint64_t open_mono_ns;
	uint64_t view_seq[NL_MAX_VIEWS]; /* the last sample each view read */
	int nr_views;
	/* the access profile (collect/access.c) */
	struct access_bpf *skel;
	struct nl_symbolizer *sym;
	/* DWARF-mode first-touch stacks (collect/dwarf_stacks.c) */
	int stack_mode;               /* enum nl_stack_mode the programs were loaded with */
	char stack_how[192];          /* how stacks are taken, for the faults source */
	struct nl_unwinder *unw;
	struct nl_stack_agg agg;
	struct ring_buffer *stack_ring;
	uint64_t unwind_failed;       /* samples of processes gone before they were read */
	uint64_t agg_full;            /* samples of new stacks with the table full */
	bool page_flags_ok;           /* the page node is the top NODES_SHIFT bits of flags */
	int nodes_shift;
	char page_flags_why[64];      /* why not, when !page_flags_ok */
	bool fault_counter_mode;      /* one program per fault (see bpf/access.bpf.c) */
	char fault_hook[192];
	bool threads_by_tid;          /* per-thread state in a tid hash, not task storage */
	char thread_state[192];        /* which of the two, and why, for the source texts */
	char kconfig[96];             /* handed to libbpf for the __kconfig externs */
	struct nl_mapped *mapped;     /* mapped faults (collect/mapped.c); NULL when off */
	/* AutoNUMA (collect/autonuma.c); NULL when left out or it could not start */
	struct nl_autonuma *autonuma;
	/* requests (collect/request.c); NULL when not asked for */
	struct nl_requests *requests;
	struct {
		int (*fn)(void *ctx, const struct nl_request *r);
		void *ctx;
	} rq_consumers[4];
	int nr_rq_consumers;
	/* wide cells (collect/access.c read_wide()) of threads gone untracked, lost */
	uint64_t wide_orphans;
};

/* One source of the table in collect.c: probe says whether it can run here (and why
 * not), open loads it, sample adds its part to the thread table and the cumulative
 * snapshot, close undoes open. */
struct nl_source_ops {
	const char *what;
	bool required;   /* the collector cannot start without it */
	bool (*probe)(struct nl_collector *c, char *why, size_t len);
	int (*open)(struct nl_collector *c, char *err, size_t len);
	int (*sample)(struct nl_collector *c, struct nl_snapshot *cum);
	void (*close)(struct nl_collector *c);
};

extern const struct nl_source_ops nl_access_source;
/* The access object's map of followed children (bpf/follow.bpf.h), for the other
 * objects to share; -1 when children are not followed. */
int nl_access_followed_fd(const struct nl_collector *c);
extern const struct nl_source_ops nl_residency_source;
extern const struct nl_source_ops nl_autonuma_source;
extern const struct nl_source_ops nl_pmu_source;
extern const struct nl_source_ops nl_request_source;

#endif
