/* Residency: where a process's pages are right now, from /proc/PID/numa_maps.
 *
 * The format is the kernel's show_numa_map() (fs/proc/task_mmu.c):
 *   ADDR POLICY [file=PATH | heap | stack] [huge] [anon=N] [dirty=N] [mapped=N]
 *        [mapmax=N] [swapcache=N] [active=N] [writeback=N] [N<node>=N]... kernelpagesize_kB=N
 * POLICY is mpol_to_str(): "default", "local", "bind:0-1", "prefer:1", "interleave:0-3",
 * "weighted interleave:0-1", "prefer (many):0-1", with "=static", "=relative" or
 * "=balancing" flags before the node list (e.g. "bind=static:1"). Note the two modes
 * with a space in their name. PATH is escaped by seq_path (space, tab, newline, '='
 * as \ooo). Everything after the name is printed only when the VMA has pages.
 *
 * UNITS. The kernel counts N<node>= in pages of kernelpagesize_kB:
 *   - normal and THP-backed VMAs print kernelpagesize_kB=4 and count a 2 MiB THP
 *     as 512 (gather_stats(..., HPAGE_PMD_SIZE/PAGE_SIZE));
 *   - hugetlb VMAs ("huge") print kernelpagesize_kB=2048 (or 1048576) and count one
 *     per huge page.
 * Totals from this module (resident[], nl_process.resident_pages) are always in
 * 4 KiB base pages: N * kernelpagesize_kB / 4, so hugetlb N0=3 at 2048 kB is 1536.
 * That is the unit first_touch_pages uses (page allocations, 1 << order each), so the
 * two can be compared directly. Per-VMA nl_vma.pages[] keep the kernel's own count in
 * units of nl_vma.page_size bytes; use nl_vma_base_pages() to convert. */
#ifndef NL_NUMA_MAPS_H
#define NL_NUMA_MAPS_H

#include <stdbool.h>
#include <stdint.h>

#include "model/model.h"

#define NL_BASE_PAGE_KB 4

/* Every field of one numa_maps line. */
struct nl_numa_maps_entry {
	uint64_t start;
	char policy[32];            /* as printed; longer policies are truncated */
	char *name;                 /* malloc'd: unescaped file path, "heap", "stack"; NULL = anonymous */
	bool file, heap, stack, huge;
	uint64_t anon, dirty, mapped, mapmax, swapcache, active, writeback;
	bool has_active;            /* "active=" is printed only when active < pages */
	uint64_t node_pages[NL_MAX_NODES]; /* N<node>= in kernel units (kernelpagesize_kB) */
	uint64_t pages_beyond;      /* N<node>= for node >= NL_MAX_NODES, kernel units */
	bool has_nodes;             /* at least one N<node>= field */
	uint64_t kernelpagesize_kB; /* 0 when not printed (the VMA has no pages) */
};

/* Parses one line (no trailing newline needed). Unknown key=value fields are skipped
 * (newer kernels may add some); a malformed address, number, node id or page size is
 * an error. Returns 0 or -EINVAL (-ENOMEM); on error e holds nothing to free. */
int nl_numa_maps_parse_line(const char *line, struct nl_numa_maps_entry *e);
void nl_numa_maps_entry_clear(struct nl_numa_maps_entry *e);

/* Reads <root>/proc/PID/numa_maps (root NULL or "/" = the real system).
 * On success returns 0, *vmas is a malloc'd array of *nr entries (free with
 * nl_vmas_free; NULL when *nr is 0, e.g. a zombie or kernel thread), resident[] holds
 * 4 KiB base pages per node and *resident_beyond the base pages on nodes
 * >= NL_MAX_NODES (counted, never dropped). On failure nothing is allocated and:
 *   -ESRCH   the process does not exist (no <root>/proc/PID),
 *   -ENOENT  the process exists but has no numa_maps (kernel without CONFIG_NUMA),
 *   -EACCES/-EPERM  not allowed to read it,
 *   -EINVAL  a line did not parse (a warning names the line),
 *   -ENOMEM, or another -errno from reading. */
int nl_numa_maps_read(const char *root, uint32_t pid, struct nl_vma **vmas, int *nr,
		      uint64_t resident[NL_MAX_NODES], uint64_t *resident_beyond);

/* Reads p->pid's numa_maps and replaces p->vmas/nr_vmas/resident_pages, setting
 * resident_known. On failure returns the nl_numa_maps_read error and leaves p with no
 * vmas, zero resident_pages and resident_known = false. resident_beyond may be NULL
 * only if the caller does not report pages on nodes >= NL_MAX_NODES (it is the count
 * of such base pages). */
int nl_numa_maps_fill_process(const char *root, struct nl_process *p,
			      uint64_t *resident_beyond);


void nl_vmas_free(struct nl_vma *v, int nr);

#endif
