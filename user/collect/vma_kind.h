/* The kind of mapping (enum nl_vma_kind) an address of a process is in, from
 * /proc/PID/smaps: user space's side of what bpf/mapped.bpf.h asks bpf_find_vma when the
 * mmap lock cannot be taken in BPF. */
#ifndef NL_COLLECT_VMA_KIND_H
#define NL_COLLECT_VMA_KIND_H

#include <stddef.h>
#include <stdint.h>

struct nl_vma_span {
	uint64_t start, end;
	uint16_t kind;   /* enum nl_vma_kind; 0: private anonymous */
	uint16_t order;  /* hugetlb page order (KernelPageSize / 4 KiB, log2) */
};

/* The mappings of pid, sorted, into *out (malloc'd, *n entries). 0 or -errno (-ENOENT
 * or -ESRCH: the process is gone). */
int nl_vma_spans_read(const char *root, uint32_t pid, struct nl_vma_span **out, size_t *n);
/* The span holding addr, or NULL. */
const struct nl_vma_span *nl_vma_span_find(const struct nl_vma_span *v, size_t n, uint64_t addr);

#endif
