/* How first-touch stacks are taken (--call-graph), and the DWARF path's user-space
 * half: the ring buffer of samples (struct nl_stack_sample), unwound
 * (collect/unwind.c) and aggregated per thread and stack (collect/stack_agg.c) as the
 * kernel aggregates frame-pointer stacks. For collect/access.c. */
#ifndef NL_COLLECT_DWARF_STACKS_H
#define NL_COLLECT_DWARF_STACKS_H

#include <stddef.h>
#include <stdint.h>

struct nl_collector;
struct nl_snapshot;

/* Before load: picks the stack mode from opts.call_graph and what the kernel offers,
 * sets .rodata and the ring's size, and writes c->stack_how. 0, or -ENOTSUP with err
 * when --call-graph dwarf cannot be had here. */
int nl_dwarf_stacks_plan(struct nl_collector *c, char *err, size_t errlen);
/* After load: the ring buffer reader and the unwinder (DWARF mode only). 0 or -errno. */
int nl_dwarf_stacks_start(struct nl_collector *c, char *err, size_t errlen);
/* Unwinds and aggregates every sample the ring holds. 0 or -errno. */
int nl_dwarf_stacks_drain(struct nl_collector *c);
/* The faults source's notes on samples lost on the way (since the start). */
int nl_dwarf_stacks_account(struct nl_collector *c, struct nl_snapshot *cum,
			    const uint64_t *drops);
void nl_dwarf_stacks_stop(struct nl_collector *c);

#endif
