/* Runs of our BPF programs that the kernel skipped. Each program may run only once at a
 * time on a CPU (bpf_prog->active, kernel/trace/bpf_trace.c); a second entry on the
 * same CPU is not run, only counted in bpf_prog_info.recursion_misses (since 5.12,
 * commit 9ed9e9ba2337 "bpf: Count the number of times recursion was prevented"; 0 on
 * older kernels, which skip without counting). Two ways it happens:
 *   - nesting: a page allocation inside one of our programs (a map element, a stack)
 *     fires mm_page_alloc while nl_page_alloc is running on that CPU: harmless, the
 *     nested allocation is the kernel's own, never a user page;
 *   - preemption: where tracepoint callbacks run preemptibly (SRCU-fast instead of
 *     preempt_disable around the probes, Paul E. McKenney's "tracing: Guard
 *     __DECLARE_TRACE() use of __DO_TRACE_CALL() with SRCU-fast"; measured in Debian's
 *     7.2 cloud kernel; none on the 6.18 host), a task preempted inside nl_exit
 *     lets another task exiting on that CPU go unseen, and its last counts are lost.
 * Neither can be prevented from BPF, so they are counted and shown. */
#ifndef NL_PROG_MISSES_H
#define NL_PROG_MISSES_H

#include <stddef.h>
#include <stdint.h>

struct bpf_object;
struct bpf_program;
struct nl_source_state;

struct nl_prog_misses {
	uint64_t lost;  /* skipped runs of the programs not in the except list */
	char text[192]; /* "nl_exit 16, nl_switch 1": those, by program */
};

/* Sums recursion_misses of every loaded program of obj since it was loaded, but those
 * in except (n of them): the caller knows which skipped runs lose nothing or are made
 * up for elsewhere. Returns 0, or -errno when a loaded program's info cannot be read. */
int nl_prog_misses_read(const struct bpf_object *obj, const struct bpf_program *const *except,
			size_t n, struct nl_prog_misses *out);

/* The same, accounted: the skipped runs are added to *lost and, when there are any and
 * src is known, named in it ("; N program runs skipped by the kernel (already running
 * on that CPU: nl_exit 16), counted as lost"). Unreadable info adds and says nothing.
 * 0, or -ENOMEM. */
int nl_prog_misses_account(const struct bpf_object *obj, const struct bpf_program *const *except,
			   size_t n, uint64_t *lost, struct nl_source_state *src);

/* recursion_misses of one program; 0 when it is not loaded or its info unreadable. */
uint64_t nl_prog_misses_of(const struct bpf_program *p);

#endif
