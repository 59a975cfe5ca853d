/* Mapped faults (bpf/mapped.bpf.h): faults that allocated no page in a file, shared or
 * hugetlb mapping, reported by address through a ring buffer and resolved here to the
 * node of the page now mapped there, with move_pages(2) in query mode, at each sample. */
#ifndef NL_COLLECT_MAPPED_H
#define NL_COLLECT_MAPPED_H

#include <stddef.h>
#include <stdint.h>

#include "collect/threads.h"
#include "model/model.h"

struct nl_mapped;

/* Reads the ring buffer map ring_fd of ring_bytes bytes. 0, or -errno with err set. */
int nl_mapped_open(struct nl_mapped **out, int ring_fd, uint32_t ring_bytes, char *err,
		   size_t len);
/* Takes every reported fault, resolves them a process at a time (batches of at most
 * NL_MAPPED_BATCH addresses per move_pages call) and adds them to their threads in t
 * (struct nl_resolved). Call before the BPF counts are read, so every resolved fault is
 * already in the faults_unresolved it is taken out of. 0 or -ENOMEM. */
int nl_mapped_drain(struct nl_mapped *m, struct nl_thread_table *t);
/* The source's text: how, and what could not be resolved since the start (ring_full and
 * vma_gone are the BPF side's drop counts). 0 or -ENOMEM. */
int nl_mapped_describe(const struct nl_mapped *m, uint64_t ring_full, uint64_t vma_gone,
		       struct nl_source_state *s);
void nl_mapped_free(struct nl_mapped *m);

#define NL_MAPPED_BATCH 512

#endif
