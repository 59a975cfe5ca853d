/* The first-touch bug, diagnosed from measurements that need no load sampling:
 * most of a process's resident pages sit on node M (source: residency), most of its
 * CPU time runs on node C != M (source: sched), and the pages were first touched
 * mostly by one thread (source: faults, page allocations), whose stack names the
 * function that placed them.
 *
 * Units: resident_pages and first_touch_pages are 4 KiB base pages (numa_maps.h). */
#ifndef NL_DIAGNOSE_H
#define NL_DIAGNOSE_H

#include <stddef.h>
#include <stdint.h>

#include "model/model.h"

/* Share of resident pages on one node, and of CPU time on another, that make the bug. */
#define NL_DIAG_MEM_SHARE 0.70
#define NL_DIAG_CPU_SHARE 0.70
/* One thread placed "most" of the misplaced pages when it first-touched this share. */
#define NL_DIAG_INIT_SHARE 0.50
/* Below this share of the misplaced pages seen being placed, the initializer evidence
 * is called partial (the rest were placed before numalens attached). */
/* Share of the pages on the memory node placed by an explicit policy (bind, prefer,
 * interleave) above which the placement is deliberate, not a first touch. */
#define NL_DIAG_POLICY_SHARE 0.50
#define NL_DIAG_MIN_COVERAGE 0.50
/* Processes smaller or idler than this are not judged: 1024 pages = 4 MiB. */
#define NL_DIAG_MIN_RESIDENT_PAGES 1024
#define NL_DIAG_MIN_CPU_NS 100000000ULL /* 100 ms */

/* Judges p and fills *out (which may be &p->diag). kind is NL_DIAG_FIRST_TOUCH_BUG
 * with text and fix filled, or NL_DIAG_NONE with text saying why not (one node,
 * residency unknown, too small, memory spread, CPU spread, or placement local) and
 * fix empty. cmdline is the command to put in the numactl fix, already shell-quoted
 * (see nl_diag_read_cmdline); NULL writes "<command>". Node ids come from topo. */
void nl_diagnose(const struct nl_topo_summary *topo, const struct nl_process *p,
		 const char *cmdline, struct nl_diagnosis *out);

/* Reads <root>/proc/PID/cmdline into buf as one shell-quoted line ("./train
 * --model 'a b'"). Returns 0, -ESRCH if the process is gone, -ENOENT if it has no
 * command line (kernel thread, zombie), -ENOSPC if it does not fit in len. */
int nl_diag_read_cmdline(const char *root, uint32_t pid, char *buf, size_t len);

#endif
