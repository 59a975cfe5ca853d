/* /proc/vmstat's AutoNUMA counters: the kernel's own system-wide ground truth for
 * hinting faults and NUMA migrations, read each interval and compared with what the
 * BPF programs counted over every task. */
#ifndef NL_VMSTAT_H
#define NL_VMSTAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/model.h"

/* The counters we use; a kernel without CONFIG_NUMA_BALANCING has none of the numa_*
 * lines (have_numa is false then), pgmigrate_* need CONFIG_MIGRATION. */
struct nl_vmstat {
	bool have_numa;
	bool have_pgmigrate;
	uint64_t numa_hint_faults;
	uint64_t numa_hint_faults_local;
	uint64_t numa_pages_migrated;
	uint64_t numa_pte_updates;
	uint64_t pgmigrate_success;
	uint64_t pgmigrate_fail;
};

/* Reads root/proc/vmstat (root "/" or NULL = the real system). 0, or -1 with errno
 * (unreadable, or a counter line that does not parse). */
int nl_vmstat_read(const char *root, struct nl_vmstat *out);

/* after - before, counter by counter; a counter that went backwards (it cannot,
 * unless the two reads come from different boots) gives 0. */
void nl_vmstat_delta(const struct nl_vmstat *before, const struct nl_vmstat *after,
		     struct nl_vmstat *delta);

/* The model's form of the counters (what snapshots carry). */
void nl_vmstat_totals(const struct nl_vmstat *v, struct nl_vm_totals *out);

/* Fills chk's vmstat side from delta and compares it with chk's bpf side (which the
 * caller filled, chk->bpf_valid set): disagree when a pair differs by more than
 * max(slack, pct % of the larger). The reads are not atomic with the BPF maps, so a
 * few events in flight at the window's edges are expected; they even out over two
 * windows. note says which pairs differ and by how much, or that they agree. */
void nl_vmstat_compare(struct nl_vmstat_check *chk, const struct nl_vmstat *delta,
		       uint64_t slack, double pct);

#endif
