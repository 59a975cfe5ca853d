/* The wide cells of a BPF object (bpf/wide.bpf.h): counts whose node id is
 * NL_DENSE_NODES or more, one __u64 per (thread, kind, cpu node, mem node), cumulative
 * since the thread was first seen. This file knows only numalens.h's types; the
 * collectors (collect/access.c, collect/autonuma.c) put the cells into their threads. */
#ifndef NL_WIDE_CELLS_H
#define NL_WIDE_CELLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "numalens.h"

struct bpf_map;

/* Cells a thread may have on average: the map holds max_threads times this. A thread
 * running on one wide node and touching a few more has 3 to 6 (faults and first-touch
 * cells per page node, one cpu_ns cell); a full one is refused (counted as a drop). */
#define NL_WIDE_CELLS_PER_THREAD 8

/* What one cell takes in the map: key + value (the kernel's per-element overhead, about
 * 70 bytes on 6.18, comes on top, as for the other per-thread maps). */
#define NL_WIDE_CELL_BYTES ((uint64_t)sizeof(struct nl_wide_key) + sizeof(__u64))
/* A hash bucket (struct bucket in kernel/bpf/hashtab.c: a list head and a spinlock),
 * allocated at map creation even without preallocation. */
#define NL_WIDE_BUCKET_BYTES 16

/* Called for each cell; returns 1 to delete the cell (its thread's exit has been
 * reported), 0 to keep it, a negative errno to stop the walk with that error. */
typedef int (*nl_wide_cell_fn)(void *ctx, const struct nl_wide_key *k, __u64 v);

/* Walks the wide map map_fd (bpf_map_get_next_key + lookup), calling cell for each
 * cell, then deletes the cells it asked to delete (after the walk: deleting during it
 * would restart the walk). A cell created meanwhile is seen now or at the next walk;
 * one deleted meanwhile cannot be (only user space deletes). Returns 0 or a negative
 * errno; *seen (may be NULL) gets the number of cells walked. */
int nl_wide_cells_read(int map_fd, nl_wide_cell_fn cell, void *ctx, size_t *seen);

/* Sizes the wide map of a BPF object before load: max_threads * NL_WIDE_CELLS_PER_THREAD
 * cells when the machine has a node id >= NL_DENSE_NODES (nr_node_ids: the highest
 * possible node id + 1), else one preallocated entry (nothing is ever wide). On kernels
 * without the BPF memory allocator (before 6.1) the map is preallocated (bpf/wide.bpf.h
 * says why).
 * text gets what it costs, for a source's text ("" when the map is one entry).
 * Returns 0, or a negative errno from libbpf. */
int nl_wide_cells_configure(struct bpf_map *m, uint32_t max_threads, int nr_node_ids,
			    char *text, size_t len);

/* The kernel has no BPF memory allocator (6.1, commit 7c8199e24fa0): tracing programs
 * should use preallocated hash maps (checked once in the kernel BTF). */
bool nl_wide_prealloc_needed(void);

#endif
