/* First-touch stacks unwound in user space (DWARF mode), aggregated as the kernel's
 * stack map and stack_counts do for frame-pointer stacks: one entry per thread and
 * distinct instruction-pointer list, with the sampled pages weighted by their sampling
 * period (pages_est) and the samples. Each entry gets an id no other entry gets, which
 * the thread table keeps as its stackid. Pure logic: no kernel, no libdw. */
#ifndef NL_COLLECT_STACK_AGG_H
#define NL_COLLECT_STACK_AGG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "numalens.h"

struct nl_stack_agg_entry {
	uint32_t id;          /* >= 1, never reused */
	uint32_t tid, tgid;
	uint64_t hash;        /* of tid, cut and ips: compared first */
	int nr;
	bool cut;             /* the unwinder stopped before the outermost frame */
	uint64_t ips[NL_STACK_DEPTH];
	uint64_t pages_est;
	uint64_t samples;
};

struct nl_stack_agg {
	struct nl_stack_agg_entry *v; /* ascending id */
	size_t n, cap;
	size_t max;           /* entries kept at most; 0 = unbounded */
	uint32_t next_id;
};

/* Adds one sample: ips[0..nr) (nr is clamped to NL_STACK_DEPTH), its pages_est. Returns
 * the entry's id, 0 when the table is full (the caller counts the drop), or -ENOMEM /
 * -EINVAL. */
long nl_stack_agg_add(struct nl_stack_agg *a, uint32_t tid, uint32_t tgid, const uint64_t *ips,
		      int nr, bool cut, uint64_t pages_est);
/* The entry with this id, or NULL. Valid until the next add or forget. */
const struct nl_stack_agg_entry *nl_stack_agg_get(const struct nl_stack_agg *a, uint32_t id);
/* Drops every entry of thread tid (it exited and the thread table kept its stack). */
void nl_stack_agg_forget_tid(struct nl_stack_agg *a, uint32_t tid);
void nl_stack_agg_free(struct nl_stack_agg *a);

#endif
