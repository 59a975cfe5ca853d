/* Drives user/collect/wide_cells.c for tests/host/wide_cells.sh on a real BPF hash of
 * struct nl_wide_key -> __u64 (as bpf/wide.bpf.h declares it). Prints key=value lines:
 *   walk1_seen     cells the first walk saw (of N inserted)
 *   walk1_sum      the sum of their values (inserted: cell i holds i + 1)
 *   walk1_deleted  cells the callback asked to delete (the odd tids)
 *   left           cells left in the map afterwards, counted by a plain walk
 *   left_odd       of them, with an odd tid (must be 0)
 *   walk2_seen     cells a second walk saw
 *   stop_rc        what a walk returns when the callback stops it with -EIO
 *   stop_deleted_before  cells it still deleted: those asked for before the stop
 * usage: wide_cells_probe N */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "collect/wide_cells.h"

struct walk {
	size_t seen, deleted, stop_after;
	unsigned long long sum;
};

static int on_cell(void *ctx, const struct nl_wide_key *k, __u64 v)
{
	struct walk *w = ctx;

	w->seen++;
	w->sum += v;
	if (w->stop_after && w->seen > w->stop_after)
		return -EIO;
	if (k->tid & 1) {
		w->deleted++;
		return 1;
	}
	return 0;
}

static size_t count(int fd, size_t *odd)
{
	struct nl_wide_key k, next;
	size_t n = 0;
	bool first = true;

	*odd = 0;
	while (bpf_map_get_next_key(fd, first ? NULL : &k, &next) == 0) {
		first = false;
		k = next;
		n++;
		*odd += k.tid & 1;
	}
	return n;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1000;
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = BPF_F_NO_PREALLOC);
	int fd = bpf_map_create(BPF_MAP_TYPE_HASH, "wide_test", sizeof(struct nl_wide_key),
				sizeof(__u64), (unsigned)n, &o);
	struct walk w = { 0 };
	size_t odd;

	if (fd < 0) {
		printf("error=map_create %s\n", strerror(errno));
		return 1;
	}
	for (int i = 0; i < n; i++) {
		struct nl_wide_key k;
		__u64 v = (__u64)i + 1;

		memset(&k, 0, sizeof(k));
		k.tid = (__u32)(i / 3 + 100);
		k.start_ns = 1000 + (__u64)k.tid;
		k.tgid = 100;
		k.kind = NL_WIDE_FAULTS + (i % 3);
		k.cpu = (__u8)(8 + i % 8);
		k.mem = (__u8)(8 + i % 56);
		if (bpf_map_update_elem(fd, &k, &v, BPF_NOEXIST)) {
			printf("error=insert %d %s\n", i, strerror(errno));
			return 1;
		}
	}
	size_t seen;
	int rc = nl_wide_cells_read(fd, on_cell, &w, &seen);
	printf("walk1_rc=%d\nwalk1_seen=%zu\nwalk1_callback_seen=%zu\nwalk1_sum=%llu\nwalk1_deleted=%zu\n",
	       rc, seen, w.seen, w.sum, w.deleted);
	printf("left=%zu\n", count(fd, &odd));
	printf("left_odd=%zu\n", odd);
	memset(&w, 0, sizeof(w));
	rc = nl_wide_cells_read(fd, on_cell, &w, &seen);
	printf("walk2_rc=%d\nwalk2_seen=%zu\n", rc, seen);
	/* refill the odd cells, then stop a walk part way */
	for (int i = 0; i < n; i++) {
		struct nl_wide_key k;
		__u64 v = 1;

		memset(&k, 0, sizeof(k));
		k.tid = (__u32)(i / 3 + 100);
		if (!(k.tid & 1))
			continue;
		k.start_ns = 1000 + (__u64)k.tid;
		k.tgid = 100;
		k.kind = NL_WIDE_FAULTS + (i % 3);
		k.cpu = (__u8)(8 + i % 8);
		k.mem = (__u8)(8 + i % 56);
		bpf_map_update_elem(fd, &k, &v, BPF_NOEXIST);
	}
	size_t before = count(fd, &odd);
	memset(&w, 0, sizeof(w));
	w.stop_after = before / 2;
	rc = nl_wide_cells_read(fd, on_cell, &w, &seen);
	size_t after = count(fd, &odd);
	printf("stop_rc=%d\nstop_deleted=%zu\nstop_removed=%zu\n", rc, w.deleted, before - after);
	return 0;
}
