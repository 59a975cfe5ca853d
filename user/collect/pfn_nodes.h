/* Which NUMA node a page frame number belongs to, as sorted disjoint ranges the BPF
 * program binary-searches (the page allocation tracepoint gives a pfn, not a node).
 *
 * Sources, relative to root ("/" or NULL = the real system):
 *   1. sys/devices/system/memory/block_size_bytes (hex) and the memoryM links in
 *      sys/devices/system/node/nodeN/: block M covers pfns
 *      [M * bs / page_size, (M + 1) * bs / page_size). Needs CONFIG_MEMORY_HOTPLUG
 *      (set in Debian's 6.1 cloud kernel and in 6.18 here).
 *   2. Otherwise proc/zoneinfo: each "Node N, zone Z" has start_pfn and spanned.
 *      Zone spans include holes, which is harmless (no page is allocated in a hole),
 *      but spans of different nodes must not overlap; if they do, this fails rather
 *      than guess. */
#ifndef NL_PFN_NODES_H
#define NL_PFN_NODES_H

#include <stddef.h>
#include <stdint.h>

#include "numalens.h"

/* Fills out[0..*nr) sorted by start, neighbours on the same node merged. source is
 * set to "memory blocks" or "zoneinfo". Returns 0, or -1 with a reason in err
 * (no source readable, a node id >= NL_MAX_NODES, more than max ranges, overlap). */
int nl_pfn_nodes_read(const char *root, uint64_t page_size, struct nl_pfn_range *out, int max,
		      int *nr, const char **source, char *err, size_t errlen);

/* Sorts and merges ranges in place; returns the new count, or -1 on overlapping
 * ranges of different nodes. */
int nl_pfn_ranges_normalize(struct nl_pfn_range *r, int n);

/* Node of pfn in normalized ranges, or -1 (the same search the BPF program does). */
int nl_pfn_node(const struct nl_pfn_range *r, int n, uint64_t pfn);

#endif
