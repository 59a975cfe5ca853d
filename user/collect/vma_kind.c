/* /proc/PID/smaps, read for each mapping's range, sharing, backing and page size: the
 * same classification as bpf/mapped.bpf.h classify_vma() (hugetlb: a KernelPageSize
 * above the base page; file or shared: an inode or 's' in the permissions). */
#include "collect/vma_kind.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "numalens.h"

/* "7f..-7f.. r--s 00000000 00:1a 1234   /path": a mapping's header line. */
static int parse_header(const char *line, struct nl_vma_span *s)
{
	char perms[8];
	unsigned long long start, end, inode;
	unsigned int major, minor;
	unsigned long long off;

	if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu", &start, &end, perms, &off, &major,
		   &minor, &inode) != 7)
		return -1;
	s->start = start;
	s->end = end;
	s->order = 0;
	s->kind = perms[3] == 's' || inode ? NL_VMA_FILE : 0;
	return 0;
}

/* "KernelPageSize:     2048 kB": a hugetlb mapping when above the base page. */
static void parse_page_size(const char *line, struct nl_vma_span *s, bool shared)
{
	unsigned long long kb;

	if (sscanf(line, "KernelPageSize: %llu kB", &kb) != 1 || kb <= 4)
		return;
	s->kind = shared ? NL_VMA_HUGETLB_SHARED : NL_VMA_HUGETLB_PRIVATE;
	s->order = (uint16_t)(63 - __builtin_clzll(kb / 4));
}

int nl_vma_spans_read(const char *root, uint32_t pid, struct nl_vma_span **out, size_t *n)
{
	struct nl_vma_span *v = NULL;
	size_t nv = 0, cap = 0;
	bool shared = false;
	char rel[64], *buf, *line, *save = NULL;

	*out = NULL;
	*n = 0;
	snprintf(rel, sizeof(rel), "/proc/%u/smaps", pid);
	buf = nl_read_file(root, rel);
	if (!buf)
		return -(errno ? errno : EIO);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct nl_vma_span s;

		if (parse_header(line, &s) == 0) {
			if (nl_grow(&v, &cap, nv, sizeof(*v))) {
				free(v);
				free(buf);
				return -ENOMEM;
			}
			shared = strchr(line, ' ') && strchr(line, ' ')[4] == 's';
			v[nv++] = s;
		} else if (nv) {
			parse_page_size(line, &v[nv - 1], shared);
		}
	}
	free(buf);
	*out = v;
	*n = nv;
	return 0;
}

const struct nl_vma_span *nl_vma_span_find(const struct nl_vma_span *v, size_t n, uint64_t addr)
{
	size_t lo = 0, hi = n;

	while (lo < hi) { /* smaps lists mappings in address order */
		size_t mid = lo + (hi - lo) / 2;

		if (addr < v[mid].start)
			hi = mid;
		else if (addr >= v[mid].end)
			lo = mid + 1;
		else
			return &v[mid];
	}
	return NULL;
}
