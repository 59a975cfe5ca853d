/* The collector's memory of every thread it has seen: cumulative counts since the
 * programs attached, kept in user space so that reading them consumes nothing. BPF
 * maps give each thread's running totals; this table outlives the map entries of
 * exited threads until every consumer (view) has read the exit.
 *
 * Identity: a thread is its tid and its start time (task_struct.start_time): the
 * kernel reuses a tid once the thread is gone, possibly within one sample, so an exited
 * thread and its tid's next owner can both be in the maps; each entry also gets a
 * serial no other entry ever gets, which is what snapshots use to match a thread
 * across samples. */
#ifndef NL_COLLECT_THREADS_H
#define NL_COLLECT_THREADS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/model.h"

/* What user space resolved for a thread beyond its BPF counts (collect/mapped.c):
 * faults that allocated no page, their page's node found with move_pages(2).
 * Cumulative; added to the counts after every read of the BPF side. */
struct nl_resolved {
	struct nl_mat faults;                        /* added to faults */
	struct nl_mat mapped;                        /* of them, mapped: faults_mapped */
	uint64_t first_touch_pages[NL_MAX_NODES];    /* private hugetlb pool pages, base pages */
	uint64_t failed;                             /* reported, not resolved: back to
						      * faults_unresolved */
};

/* c += what r resolved (c holds the BPF counts just read). */
void nl_resolved_apply(const struct nl_resolved *r, struct nl_counts *c);
void nl_resolved_free(struct nl_resolved *r);

/* A thread's BPF counts whose node id is NL_DENSE_NODES or more (the wide cells,
 * collect/wide_cells.c), cumulative like the dense ones: the sources add them to the
 * counts whenever they set those from the dense BPF values. NULL until one arrives. */
struct nl_wide_counts {
	struct nl_mat faults;      /* NL_WIDE_FAULTS */
	struct nl_mat hint_faults; /* NL_WIDE_HINT_FAULTS */
	struct nl_mat migrated;    /* NL_WIDE_MIGRATED */
	uint64_t first_touch_pages[NL_MAX_NODES];
	uint64_t cpu_ns[NL_MAX_NODES];
};

void nl_wide_counts_free(struct nl_wide_counts *w);
/* Cell [i][j] of a thread's wide matrix wm becomes v (cumulative), and the counts'
 * matrix cm, built from the old wm in this sample, moves by the change. */
void nl_wide_mat_set(struct nl_mat *wm, struct nl_mat *cm, unsigned i, unsigned j, uint64_t v);
/* Whether thread tid of process tgid still exists (/proc/TGID/task/TID): a wide cell
 * of a thread no entry matches may be newer than the sample's pass over the threads. */
bool nl_thread_alive(uint32_t tgid, uint32_t tid);
/* The dense [NL_DENSE_NODES][NL_DENSE_NODES] BPF matrix d, plus wide (may be NULL),
 * as m's cells: m = d + wide. */
void nl_mat_from_bpf(struct nl_mat *m, const __u64 d[NL_DENSE_NODES][NL_DENSE_NODES],
		     const struct nl_mat *wide);

struct nl_tracked {
	uint32_t tid;         /* 0: the folded exits of tgid that had no room in the maps */
	uint32_t tgid;
	uint64_t start_ns;    /* the thread's start time; 0 until a source says it */
	uint64_t serial;
	char comm[NL_COMM_LEN];
	struct nl_counts c;   /* cumulative since first seen */
	bool exited;
	uint64_t exit_seq;    /* the sample that saw the exit */
	/* The first-touch stack that placed the most pages, once symbolized. */
	bool has_stack;
	uint32_t stackid;
	uint64_t stack_pages;
	struct nl_stack *stack;
	uint32_t stack_of;    /* stackid the stack above was loaded for */
	struct nl_resolved *res; /* NULL until a fault of the thread is resolved */
	struct nl_wide_counts *wide; /* NULL until it counts on a node id >= 8 */
	/* The sample that last read the thread's dense counts of the access source /
	 * the AutoNUMA source, and whether that read was its exit: its wide cells
	 * (collect/wide_cells.h) are added back in that sample only, and deleted with
	 * the exit's read (BPF writes them before the exit record) or, failing that, once
	 * a later sample no longer reads the thread. */
	uint64_t wide_seq;
	uint64_t an_wide_seq;
	bool wide_exit;
	bool an_wide_exit;
	int next;             /* hash chain (index), -1 ends it */
};

struct nl_thread_table {
	struct nl_tracked *v;
	size_t n, cap;
	int *buckets;         /* heads by tid hash, -1 empty */
	size_t nr_buckets;
	uint64_t next_serial;
};

/* start_ns below: the thread's start time, or 0 when the caller does not know it;
 * an entry whose start time is known and differs is another thread on the same tid. */
/* The entry of a live (not exited) thread tid, or NULL. */
struct nl_tracked *nl_tt_live(struct nl_thread_table *t, uint32_t tid, uint64_t start_ns);
/* The entry of tid that is live, or that sample seq or the one before saw exit (the
 * two sources see an exit in either order, a sample apart at most); NULL if none. */
struct nl_tracked *nl_tt_find(struct nl_thread_table *t, uint32_t tid, uint64_t start_ns,
			      uint64_t seq);
/* The folded-exits entry of tgid, or NULL. */
struct nl_tracked *nl_tt_folded(struct nl_thread_table *t, uint32_t tgid);
/* A new entry (zero counts, a new serial). NULL on -ENOMEM. Pointers into the table
 * are valid until the next add or prune. */
struct nl_tracked *nl_tt_add(struct nl_thread_table *t, uint32_t tid, uint32_t tgid);
/* Drops exited entries whose exit every view has read, one sample late (exit_seq <
 * seen_by_all) so that the other source's view of the same exit still finds them. */
void nl_tt_prune(struct nl_thread_table *t, uint64_t seen_by_all);
void nl_tt_free(struct nl_thread_table *t);

#endif
