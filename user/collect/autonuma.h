/* AutoNUMA under the microscope: loads bpf/autonuma.bpf.c on the best path this kernel
 * allows and folds its counters into nl_snapshot intervals (per thread and process),
 * with the system-wide totals checked against /proc/vmstat.
 *
 * Paths for the hinting faults (the rest is tracepoints on every path):
 *   fentry   fentry/task_numa_fault + numa_migrate_prep, fentry/fexit task_numa_work,
 *            fentry/flush_tlb_func: everything, the page node before migration.
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
	uint64_t cgroup_id;         /* only tasks of this cgroup v2 id; 0 = every cgroup */
	enum nl_autonuma_path path; /* AUTO, or force one (tests) */
	uint32_t max_threads;       /* per-thread hash size; 0 = 4096 */
	bool verbose;               /* libbpf messages on stderr */
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

/* Adds what happened since the previous call (the first: since open) to snap: the
 * AutoNUMA fields of nl_counts for each thread and its process (creating the ones
 * the snapshot does not have yet), snap->lost_events (what BPF dropped), sources
 * "hint_faults", "migrations", "numa_sched", "tlb", "numa_scan", autonuma_state and
 * the vmstat check. Call it after the collector filled snap. 0 or negative errno. */
int nl_autonuma_fill(struct nl_autonuma *a, struct nl_snapshot *snap);

/* Detaches and frees; safe on NULL. */
void nl_autonuma_close(struct nl_autonuma *a);

/* Names of enum migrate_reason / tlb_flush_reason slots, as the kernel spells them in
 * its tracepoints ("numa_misplaced", "syscall_or_cpuset", ...); "other" for the last
 * migrate slot, NULL past the end. From the running kernel's BTF once a module was
 * opened, else the 6.18 table. */
const char *nl_migrate_reason_name(int r);
const char *nl_tlb_reason_name(int r);

#endif
