/* SPDX-License-Identifier: GPL-2.0 */
/* Counts whose node id is NL_DENSE_NODES or more (numalens.h, struct nl_wide_key): one
 * __u64 cell per (thread, kind, cpu node, mem node) in a hash the including object
 * declares with NL_WIDE_MAP(). The dense per-thread arrays keep every node id below
 * NL_DENSE_NODES; a caller reaches this only after its dense check failed, so the fast
 * path costs nothing more. Cells are cumulative since the thread was first seen, like
 * the dense counts; user space (user/collect/wide_cells.c) reads them with the dense
 * counts and deletes a thread's cells once it has reported the thread's exit.
 *
 * Memory follows use (BPF_F_NO_PREALLOC): a thread that stays below NL_DENSE_NODES
 * never has a cell (the hash's bucket array, 16 bytes an entry, is still allocated with
 * the map; a cell is 88 bytes on 6.18). Run-time allocation in tracing programs is safe only with the BPF
 * memory allocator (6.1, commit 7c8199e24fa0 "bpf: Introduce any context BPF specific
 * memory allocator", which also let tracing programs use such maps: commit
 * 96da3f7d489d "bpf: Remove tracing program restriction on map types"); before it the
 * verifier warns (WARN_ONCE in the kernel log) for kprobe and classic tracepoint
 * programs, so user space clears the flag there and the map is preallocated
 * (user/collect/wide_cells.c, nl_wide_prealloc_needed). On a machine whose node ids
 * are all below NL_DENSE_NODES user space sizes the map at one entry. */
#ifndef NL_WIDE_BPF_H
#define NL_WIDE_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "numalens.h"

/* include/uapi/asm-generic/errno-base.h (not in BTF) */
#define NL_WIDE_EEXIST 17

/* Whether node ids above the dense ones exist at all in this build: with NL_MAX_NODES
 * equal to NL_DENSE_NODES every wide branch is dead code and clang drops it. */
#define NL_HAVE_WIDE (NL_MAX_NODES > NL_DENSE_NODES)

#define NL_WIDE_MAP(name)                                      \
	struct {                                               \
		__uint(type, BPF_MAP_TYPE_HASH);               \
		__uint(map_flags, BPF_F_NO_PREALLOC);          \
		__uint(max_entries, 1); /* user space sizes it */ \
		__type(key, struct nl_wide_key);               \
		__type(value, __u64);                          \
	} name SEC(".maps")

/* Adds v to the cell (tid, start_ns, tgid, kind, cpu, mem), creating it. Returns false
 * when the map is full (the caller counts its drop). Another CPU may create the same
 * cell between the lookup and the insert (a task swap, an IPI): BPF_NOEXIST then fails
 * with -EEXIST and the add is retried once on the cell it made. */
static __always_inline bool wide_add(void *map, __u32 tid, __u64 start_ns, __u32 tgid,
				     __u32 kind, __u32 cpu, __u32 mem, __u64 v)
{
	struct nl_wide_key k;
	__u64 *c;

	__builtin_memset(&k, 0, sizeof(k)); /* the padding is part of the key */
	k.start_ns = start_ns;
	k.tid = tid;
	k.tgid = tgid;
	k.kind = (__u8)kind;
	k.cpu = (__u8)cpu;
	k.mem = (__u8)mem;
	c = bpf_map_lookup_elem(map, &k);
	if (c) {
		__sync_fetch_and_add(c, v);
		return true;
	}
	long err = bpf_map_update_elem(map, &k, &v, BPF_NOEXIST);
	if (!err)
		return true;
	if (err != -NL_WIDE_EEXIST)
		return false;
	c = bpf_map_lookup_elem(map, &k);
	if (!c)
		return false;
	__sync_fetch_and_add(c, v);
	return true;
}

#endif
