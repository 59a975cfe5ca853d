/* Choosing the stack mode, by what it costs (README, Benchmarks):
 *   fp     bpf_get_stackid walks the frame pointers in the kernel and the stack map
 *          aggregates: cheapest, but code built without frame pointers (gcc's -O2
 *          default, glibc's memset) gives one real frame and then garbage or nothing.
 *   dwarf  BPF copies the user registers and 24-28 KiB of user stack into a ring
 *          buffer (no wake-ups); user space reads it every 50 ms and unwinds with
 *          the binaries' CFI (libdwfl), off the target's path. Unwind tables in BPF
 *          (as some continuous profilers do) would send less per sample but need
 *          every mapped binary's .eh_frame compiled into maps ahead of time and a
 *          bounded CFA interpreter in the verifier's limits; with first touches
 *          sampled (8 per thread, then 1 in 64, then 1 in 256) the copy is rare
 *          enough that perf's way is the simpler one. Measured on a loaded 2-CPU VM
 *          (README, Benchmarks): its BPF time per fault of a system-wide storm was
 *          not distinguishable from fp's once a main thread's read was bounded;
 *          the unwinding costs numalens 0.06-0.1 CPU more when every process is
 *          profiled.
 * auto, the default, takes dwarf wherever the kernel has bpf_task_pt_regs (5.15) on
 * x86-64: the right stack without knowing how the binary was built. */
#include "collect/dwarf_stacks.h"
#include "collect/internal.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "access.skel.h"
#include "collect/kfeatures.h"
#include "collect/unwind.h"

/* Room for ~600 samples of up to 28 KiB between two reads: a thread's first 8
 * samples come at once, then one per 64 or 256 allocations. */
#define STACK_RING_BYTES (16u << 20)

int nl_call_graph_parse(const char *arg, int *out)
{
	static const char *const names[] = { "auto", "fp", "dwarf" };

	for (int i = 0; i < 3; i++)
		if (arg && !strcmp(arg, names[i])) {
			*out = i;
			return 0;
		}
	return -1;
}

/* NULL when DWARF stacks can be taken here, else why not. */
static const char *dwarf_unavailable(void)
{
#if !defined(__x86_64__)
	return "DWARF stacks are x86-64 only";
#else
	if (!nl_have_task_pt_regs())
		return "DWARF stacks need bpf_task_pt_regs, 5.15";
	return NULL;
#endif
}

int nl_dwarf_stacks_plan(struct nl_collector *c, char *err, size_t errlen)
{
	const char *why = NULL;

	c->stack_mode = NL_STACK_FP;
	c->stack_how[0] = '\0';
	if (!c->opts.stacks)
		return 0;
	if (c->opts.call_graph != NL_CALL_GRAPH_FP)
		why = dwarf_unavailable();
	if (why && c->opts.call_graph == NL_CALL_GRAPH_DWARF) {
		snprintf(err, errlen, "--call-graph dwarf: %s on this kernel (use fp or auto)", why);
		return -ENOTSUP;
	}
	if (c->opts.call_graph == NL_CALL_GRAPH_FP || why) {
		snprintf(c->stack_how, sizeof(c->stack_how),
			 "first-touch stacks: frame pointers (bpf_get_stackid)%s%s%s",
			 why ? "; " : "", why ? why : "", why ? "" : ", as asked");
		return 0;
	}
	c->stack_mode = NL_STACK_DWARF;
	c->skel->rodata->stack_mode = NL_STACK_DWARF;
	bpf_map__set_max_entries(c->skel->maps.stack_ring, STACK_RING_BYTES);
	snprintf(c->stack_how, sizeof(c->stack_how),
		 "first-touch stacks: DWARF CFI (libdw), from the user registers "
		 "(bpf_task_pt_regs) and %d-%d KiB of user stack copied at the sample",
		 4 * NL_UNWIND_PAGES, 4 * (NL_UNWIND_PAGES + 1));
	return 0;
}

static int on_sample(void *ctx, void *data, size_t size)
{
	struct nl_collector *c = ctx;
	const struct nl_stack_sample *smp = data;
	uint64_t ips[NL_STACK_DEPTH];
	bool cut = false;
	int nr = nl_unwind(c->unw, smp, size, ips, NL_STACK_DEPTH, &cut);
	long id;

	if (nr == -ENOMEM)
		return nr;
	if (nr < 0) { /* gone or exec'd before we read it: nothing right to unwind with */
		c->unwind_failed++;
		return 0;
	}
	id = nl_stack_agg_add(&c->agg, smp->tid, smp->tgid, ips, nr, cut, smp->pages_est);
	if (id < 0)
		return (int)id;
	if (id == 0)
		c->agg_full++;
	return 0;
}

int nl_dwarf_stacks_start(struct nl_collector *c, char *err, size_t errlen)
{
	if (c->stack_mode != NL_STACK_DWARF)
		return 0;
	c->unw = nl_unwinder_new(c->sym);
	if (!c->unw) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	c->stack_ring = ring_buffer__new(bpf_map__fd(c->skel->maps.stack_ring), on_sample, c, NULL);
	if (!c->stack_ring) {
		int ret = -errno;

		snprintf(err, errlen, "cannot read the stack ring buffer: %s", strerror(errno));
		return ret;
	}
	return 0;
}

int nl_dwarf_stacks_drain(struct nl_collector *c)
{
	int n;

	if (!c->stack_ring)
		return 0;
	n = ring_buffer__consume(c->stack_ring);
	return n < 0 ? n : 0;
}

/* 50 ms: a process that exits quickly still has its mappings when its samples are
 * read, and 20 wake-ups a second cost the profiler next to nothing. */
uint64_t nl_collector_poll_ns(const struct nl_collector *c)
{
	return c && c->stack_ring ? 50000000ULL : 0;
}

int nl_collector_poll(struct nl_collector *c)
{
	return c ? nl_dwarf_stacks_drain(c) : 0;
}

int nl_dwarf_stacks_account(struct nl_collector *c, struct nl_snapshot *cum,
			    const uint64_t *drops)
{
	struct nl_source_state *f = &cum->sources[NL_SRC_FAULTS];
	uint64_t ring = drops[NL_DROP_STACK_RING], rd = drops[NL_DROP_STACK_READ];

	if (c->stack_mode != NL_STACK_DWARF || !f->known)
		return 0;
	if (ring && nl_source_append(f, "; %" PRIu64 " stack samples the ring buffer had no "
				     "room for", ring))
		return -ENOMEM;
	if (rd && nl_source_append(f, "; %" PRIu64 " stack samples whose user stack could not "
				   "be read", rd))
		return -ENOMEM;
	if (c->unwind_failed && nl_source_append(f, "; %" PRIu64 " stack samples not unwound "
						 "(process gone or exec'd before they were read)",
						 c->unwind_failed))
		return -ENOMEM;
	if (c->agg_full && nl_source_append(f, "; %" PRIu64 " stack samples of new stacks not "
					    "kept (table full)", c->agg_full))
		return -ENOMEM;
	return 0;
}

void nl_dwarf_stacks_stop(struct nl_collector *c)
{
	ring_buffer__free(c->stack_ring);
	c->stack_ring = NULL;
	nl_unwinder_free(c->unw);
	c->unw = NULL;
	nl_stack_agg_free(&c->agg);
}
