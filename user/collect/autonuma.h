/* AutoNUMA under the microscope: loads bpf/autonuma.bpf.c on the best path this kernel
 * allows and folds its counters into nl_snapshot intervals (per thread and process),
 * with the system-wide totals checked against /proc/vmstat.
 *
 * Paths for the hinting faults (the rest is tracepoints on every path):
 *   fentry   fentry/task_numa_fault + numa_migrate_prep (numa_migrate_check since
 *            6.12), fentry/fexit task_numa_work, fentry/flush_tlb_func: everything,
 *            the page node before migration.
 *   kprobe   the same through kprobes/kretprobes.
 *   fallback task_struct fault buffers sampled at each user fault (tp_btf) and by a
 *            task iterator; scanner time, victim-side AutoNUMA attribution of
 *            shootdowns and failed hint migrations are not measured.
 * AUTO tries them in that order; a forced path fails rather than fall back. */
#ifndef NL_AUTONUMA_H
#define NL_AUTONUMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/model.h"

enum nl_autonuma_path {
	NL_AUTONUMA_PATH_AUTO = 0,
	NL_AUTONUMA_PATH_FENTRY,
	NL_AUTONUMA_PATH_KPROBE,
	NL_AUTONUMA_PATH_FALLBACK,
};

struct nl_autonuma_opts {
	uint32_t target_pid;        /* follow this process; 0 = every process */
	int followed_fd;            /* with target_pid: the map of the processes followed
				     * besides it (its children, bpf/follow.bpf.h), or -1 */
	uint64_t cgroup_id;         /* only tasks of this cgroup v2 id; 0 = every cgroup */
	enum nl_autonuma_path path; /* AUTO, or force one (tests) */
	uint32_t max_threads;       /* per-thread hash size; 0 = 4096 */
	bool verbose;               /* libbpf messages on stderr */
	bool events;                /* per-event records into the ring buffer (record) */
	int page_nodes_shift;       /* page->flags node bits (collector's page_node_plan); 0 unknown */
};

struct nl_autonuma;

/* Opens, configures, loads and attaches. Non-zero with a one-line reason in err. */
int nl_autonuma_open(const struct nl_autonuma_opts *opts, struct nl_autonuma **out,
		     char *err, size_t errlen);

/* The path in use, and why the better ones were not ("fentry: ...; kprobe: ..."). */
enum nl_autonuma_path nl_autonuma_path(const struct nl_autonuma *a);
const char *nl_autonuma_path_name(enum nl_autonuma_path p);
const char *nl_autonuma_path_why(const struct nl_autonuma *a);
/* "fentry"/"kprobe"/"fallback"/"auto" -> path; -1 if none. */
int nl_autonuma_path_parse(const char *s, enum nl_autonuma_path *out);

struct nl_thread_table;

/* Folds the programs' cumulative per-thread counters into the thread table (threads it
 * has not seen are added; exits are marked with sample seq), adds the system-wide
 * totals since attach (bpf_sys, vm_now, vm_open), what BPF dropped (lost_events),
 * autonuma_state, and the AutoNUMA sources' texts to cum and to sources (the
 * collector's own). 0 or negative errno. */
int nl_autonuma_sample(struct nl_autonuma *a, struct nl_thread_table *tt, uint64_t seq,
		       struct nl_source_state *sources, struct nl_snapshot *cum);

/* The AutoNUMA sources' texts (hint_faults, numa_scan, migrations, numa_sched, tlb). */
int nl_autonuma_describe(const struct nl_autonuma *a, struct nl_source_state *src);

/* Calls fn for each event record in the ring buffer (opts.events). Returns the number
 * of records or a negative errno. */
int nl_autonuma_drain(struct nl_autonuma *a, int (*fn)(void *ctx, const struct nl_event *ev),
		      void *ctx);

/* Detaches and frees; safe on NULL. */
void nl_autonuma_close(struct nl_autonuma *a);

#endif
