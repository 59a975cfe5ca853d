/* DWARF unwinding of a first-touch sample (struct nl_stack_sample: the user registers
 * and a copy of the user stack taken in BPF), with elfutils' libdwfl, as perf's
 * `--call-graph dwarf` does (tools/perf/util/unwind-libdw.c): the process's modules
 * come from the symbolizer's per-process Dwfl (its /proc/PID/maps and ELF files), the
 * call-frame information from each module's .eh_frame / .debug_frame, the initial
 * registers from the sample, and every memory read from the copied stack. A read
 * outside the copy fails and ends the stack there (it is then "cut"): nothing is read
 * from the live process, whose stack has moved on since the sample. Code without CFI
 * falls back to libdwfl's frame-pointer step (x86-64), so frame-pointer code unwinds
 * too. x86-64 only (the register layout of nl_stack_sample). */
#ifndef NL_COLLECT_UNWIND_H
#define NL_COLLECT_UNWIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collect/symbolize.h"
#include "numalens.h"

struct nl_unwinder;

/* NULL on allocation failure. sym is borrowed and must outlive the unwinder. */
struct nl_unwinder *nl_unwinder_new(struct nl_symbolizer *sym);
void nl_unwinder_free(struct nl_unwinder *u);

/* Unwinds smp (size bytes as received: the header and stack_len bytes of stack) into
 * ips[0..max): the interrupted instruction, then return addresses. *cut is set when
 * the unwinder stopped before the outermost frame (stack copy too short, no CFI and no
 * frame pointer, depth max reached). Returns the number of ips (>= 1), or -EINVAL (a
 * malformed sample), -ESRCH (the process is gone and was never cached), -ESTALE (it
 * exec'd since the sample: its binaries are not the sample's), -EIO. */
int nl_unwind(struct nl_unwinder *u, const struct nl_stack_sample *smp, size_t size,
	      uint64_t *ips, int max, bool *cut);

#endif
