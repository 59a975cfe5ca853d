/* Reading and sizing the wide cells (collect/wide_cells.h, bpf/wide.bpf.h). */
#include "collect/wide_cells.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "common/util.h"

int nl_wide_cells_read(int map_fd, nl_wide_cell_fn cell, void *ctx, size_t *seen)
{
	struct nl_wide_key key, next, *del = NULL;
	size_t ndel = 0, cap = 0, n = 0;
	bool first = true;
	int ret = 0;

	if (seen)
		*seen = 0;
	if (map_fd < 0)
		return 0;
	for (;;) {
		__u64 v;

		if (bpf_map_get_next_key(map_fd, first ? NULL : &key, &next)) {
			if (errno != ENOENT)
				ret = -errno;
			break;
		}
		first = false;
		key = next;
		if (bpf_map_lookup_elem(map_fd, &key, &v))
			continue; /* cannot happen: only user space deletes */
		n++;
		int r = cell(ctx, &key, v);
		if (r < 0) {
			ret = r;
			break;
		}
		if (r != 1)
			continue;
		if (ndel == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct nl_wide_key *d = realloc(del, ncap * sizeof(*d));

			if (!d) {
				ret = -ENOMEM;
				break;
			}
			del = d;
			cap = ncap;
		}
		del[ndel++] = key;
	}
	/* Deleted even after an error: the callback has taken them. */
	for (size_t i = 0; i < ndel; i++)
		bpf_map_delete_elem(map_fd, &del[i]);
	free(del);
	if (seen)
		*seen = n;
	return ret;
}

bool nl_wide_prealloc_needed(void)
{
	static int cached = -1;

	if (cached < 0) {
		struct btf *btf = btf__load_vmlinux_btf();

		/* Without BTF nothing loads anyway; preallocating is the safe side. */
		cached = !btf || btf__find_by_name_kind(btf, "bpf_mem_alloc", BTF_KIND_STRUCT) < 0;
		btf__free(btf);
	}
	return cached;
}

int nl_wide_cells_configure(struct bpf_map *m, uint32_t max_threads, int nr_node_ids,
			    char *text, size_t len)
{
	uint64_t entries = (uint64_t)max_threads * NL_WIDE_CELLS_PER_THREAD;
	int ret;

	if (len)
		text[0] = '\0';
	if (nr_node_ids <= NL_DENSE_NODES || !max_threads) {
		/* nothing is ever wide: one preallocated entry, no allocator needed on any
		 * kernel (bpf/wide.bpf.h) */
		ret = bpf_map__set_max_entries(m, 1);
		return ret ? ret : bpf_map__set_map_flags(m, bpf_map__map_flags(m) &
							 ~(uint32_t)BPF_F_NO_PREALLOC);
	}
	if (entries > UINT32_MAX)
		entries = UINT32_MAX;
	ret = bpf_map__set_max_entries(m, (uint32_t)entries);
	if (ret)
		return ret;
	if (nl_wide_prealloc_needed()) {
		ret = bpf_map__set_map_flags(m, bpf_map__map_flags(m) & ~(uint32_t)BPF_F_NO_PREALLOC);
		if (ret)
			return ret;
		snprintf(text, len, "wide cells (node ids >= %d): %llu, %.1f MiB preallocated "
			 "(no BPF memory allocator before 6.1)", NL_DENSE_NODES,
			 (unsigned long long)entries,
			 (double)(entries * NL_WIDE_CELL_BYTES) / (1 << 20));
		return 0;
	}
	/* The hash's bucket array is allocated at creation whatever the flag (16 bytes
	 * a bucket, as many buckets as entries rounded up to a power of two); only the
	 * elements follow use: 88 bytes a cell on 6.18 (bytes_memlock of 4000 cells). */
	uint64_t buckets = 1;
	while (buckets < entries)
		buckets <<= 1;
	snprintf(text, len, "wide cells (node ids >= %d): up to %llu, %.1f MiB of buckets "
		 "preallocated, each cell allocated as used (%llu bytes of key and value, "
		 "about 88 with the kernel's own on 6.18)", NL_DENSE_NODES,
		 (unsigned long long)entries, (double)(buckets * NL_WIDE_BUCKET_BYTES) / (1 << 20),
		 (unsigned long long)NL_WIDE_CELL_BYTES);
	return 0;
}
