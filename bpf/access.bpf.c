// SPDX-License-Identifier: GPL-2.0
/* Per-thread NUMA access profile, aggregated in the kernel (user space reads the
 * counters with a task iterator; nothing is sent per event):
 *   - every user page fault, classified [node of the CPU][node of the page];
 *   - first-touch placement: pages allocated by the thread's faults, by page node,
 *     with sampled user stacks of the touching code;
 *   - on-CPU time by node and cross-node task migrations.
 *
 * Hooks (arguments checked in the BTF of 6.1 and 6.18):
 *   tp_btf/page_fault_user(address, regs, error_code)   fault entry, x86 (tracepoint
 *                                                        mode; either mode with mapped
 *                                                        faults, mapped.bpf.h)
 *   fentry/handle_mm_fault(vma, address, flags, regs)   the tracepoint mode's fault
 *                                                        entry where that tracepoint is
 *                                                        missing (arm64)
 *   tp_btf/mm_page_alloc(page, order, gfp_flags, migratetype)   the page, or:
 *   tracepoint/kmem/mm_page_alloc                        the page, as a pfn (fallback)
 *   tp_btf/sched_switch(preempt, prev, next[, prev_state])
 *   tp_btf/sched_migrate_task(p, dest_cpu)
 *   tp_btf/sched_process_exit(p[, group_dead])          group_dead is 6.18 only
 *   tp_btf/mm_migrate_pages_start, tp_btf/mm_migrate_pages (no arguments used)
 *   iter/task                                            the snapshot; nl_judge: mapped
 *                                                        faults of sleeping threads
 * tp_btf takes the arguments directly, so the x86 exceptions tracepoint's context
 * struct being renamed between 6.1 and 6.18 does not matter.
 *
 * The page's node, two ways; user space loads exactly one (user/collect.c):
 *   page->flags (nl_page_alloc_btf): page_to_nid() itself. With
 *     CONFIG_SPARSEMEM_VMEMMAP=y there is no section field in page->flags
 *     (SECTIONS_WIDTH 0, include/linux/page-flags-layout.h) and the node field must fit
 *     (#error "Vmemmap: No space for nodes field in page flags" otherwise), so
 *     NODES_WIDTH = NODES_SHIFT, NODES_PGOFF = BITS_PER_LONG - NODES_WIDTH
 *     (include/linux/mm.h in 6.1, mmzone.h later), i.e. the node id is the top
 *     CONFIG_NODES_SHIFT bits: nid = flags >> (64 - NODES_SHIFT). The same in 6.1 and
 *     6.18 (KASAN tags, LAST_CPUPID and LRU_GEN fields sit below ZONES). The two
 *     CONFIG values come from __kconfig externs; user space hands libbpf the values it
 *     read from the kernel's config (and loads this program only when they give this
 *     layout), so without a config file the object still loads. No classic tracepoint
 *     record is built for it either.
 *   pfn ranges (nl_page_alloc): the classic tracepoint's pfn (page_to_pfn in
 *     TP_fast_assign; a struct page * alone cannot give a pfn here: vmemmap_base is
 *     not in kallsyms), mapped to a node through ranges user space builds from the
 *     memory blocks in sysfs. Its record layout (pfn, order, gfp_flags, migratetype) is
 *     the same in 6.1 and 6.18 (CO-RE relocates it anyway). Used when the kernel
 *     config is unreadable or has another layout, or with NUMALENS_FORCE_PFN_RANGES=1.
 * Either way a node >= NL_MAX_NODES, or not online, is never charged: the fault is
 * unresolved and NL_DROP_PAGE_NODE counts it. A fault, first-touch or CPU-time count
 * with a node id from NL_DENSE_NODES up goes to the wide cells (bpf/wide.bpf.h)
 * instead of the thread's dense arrays.
 *
 * Resolving the page's node: a fault that allocates a page is resolved at that
 * allocation: a movable one (__GFP_MOVABLE: user data pages are GFP_HIGHUSER_MOVABLE or
 * GFP_TRANSHUGE*, page tables are GFP_PGTABLE_USER and slab is unmovable) made while
 * current->in_user_fault is set (only inside handle_mm_fault() of a user-mode fault).
 * Only the first such allocation of a fault is charged (readahead may add more), and
 * none inside migrate_pages() (AutoNUMA migrating on a hinting fault: not first touch).
 * A fault that allocates nothing (page already present: page cache hit, zero page on
 * a read, protection or AutoNUMA hinting fault, spurious fault) is counted in
 * faults_unresolved, never guessed. Two ways to know which fault an allocation is in:
 *   counter mode (fault_counter_mode, whenever the kernel has in_user_fault, i.e.
 *     CONFIG_MEMCG): one program per fault, the allocation. The kernel counts each
 *     finished fault in current->min_flt or maj_flt at the end of handle_mm_fault()
 *     (mm_account_fault(), 6.1 and 6.18; a retried fault once, when it finishes), so
 *     during a fault their sum is the count of the faults before it: an allocation
 *     seeing the same sum as the last charge is in the same fault. faults_total is
 *     that sum since the thread was first seen (what getrusage and /proc/PID/stat
 *     count: it includes faults taken in kernel mode on user memory and by
 *     get_user_pages, which never charge an allocation and so count as unresolved);
 *     a fault that allocated but then failed (SIGBUS, OOM) is not counted by the
 *     kernel, and the next fault's allocation is then missed once.
 *   tracepoint mode (no in_user_fault, or NUMALENS_FAULT_TRACEPOINT=1): page_fault_user
 *     marks a fault pending and counts it; the first allocation consumes it. Two
 *     programs per fault, about twice the cost (README, Benchmarks). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "numalens.h"
#include "compat.bpf.h"
#include "follow.bpf.h"
#include "wide.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* include/linux/sched.h; the same values in 6.1 and 6.18. */
#define PF_EXITING 0x00000004
#define PF_KTHREAD 0x00200000
/* ___GFP_MOVABLE: 0x08u in 6.1 (a #define), ___GFP_MOVABLE_BIT = 3 in 6.18. */
#define NL_GFP_MOVABLE 0x08
/* ___GFP_THISNODE in 5.10's include/linux/gfp.h (a #define, not in BTF). Used only
 * where migrations_by_gfp is set (see fault_alloc_owner()). */
#define NL_GFP_THISNODE_5_10 0x200000
/* Orders above MAX_ORDER (10 in 6.1) cannot happen; the mask keeps the shift defined. */
#define NL_ORDER_MASK 0x1f

/* Which way faults are tied to allocations (see the top of this file), and the
 * CLOCK_MONOTONIC time the object was loaded: a thread started after it has had all its
 * faults seen, so its count starts at 0 rather than at first sight. */
const volatile __u32 fault_counter_mode = 0;
/* No mm_migrate_pages_start tracepoint to bracket migrate_pages() (5.10): tell a
 * migration's copy by its gfp instead (fault_alloc_owner()). */
const volatile bool migrations_by_gfp = false;
const volatile __u64 load_ns = 0;

/* Filters, set before load. 0 = no filter. (The process filter is follow.bpf.h's.) */
const volatile __u64 target_cgroup = 0;

/* First-touch stacks: off unless asked. User stacks are the most expensive thing on
 * this path (bpf_get_stackid walks the user frame pointers), so the period grows with
 * the thread's allocations: the first stack_first_n allocations of each thread, then
 * one in stack_every until stack_taper_at, then one in stack_every_late. Each sample is
 * weighted by the period it stands for, so pages_est stays an estimate of the pages that
 * stack first-touched at every phase (exact for a thread's first stack_first_n; off by
 * less than one period, 1.6 % of a 64 MiB buffer), while a fault storm of 1 M pages in
 * two threads takes ~4 k stacks instead of ~16 k. The counts themselves
 * (faults, first_touch_pages) are exact and not sampled. stack_taper_at - stack_first_n
 * is a multiple of stack_every, so the phases tile the allocations without a gap. */
const volatile __u32 stacks_enabled = 0;
const volatile __u32 stack_first_n = 8;
const volatile __u32 stack_every = 64;
const volatile __u32 stack_taper_at = 8 + 64 * 64;
const volatile __u32 stack_every_late = 256;
/* enum nl_stack_mode: frame pointers walked here, or registers and a copy of the user
 * stack sent to user space to unwind with DWARF CFI (collect/unwind.c). */
const volatile __u32 stack_mode = NL_STACK_FP;

/* Topology, filled by user space before load. */
const volatile __u64 node_online_mask = 0; /* bit n: node n is online */
const volatile __u32 nr_pfn_ranges = 0;
const volatile struct nl_pfn_range pfn_ranges[NL_MAX_PFN_RANGES] = {};
const volatile __u8 cpu_node[NL_MAX_CPUS] = {};

/* page->flags layout (see the top of this file). Set by libbpf from the values user
 * space passes as kconfig (bpf_object_open_opts.kconfig). */
extern int CONFIG_NODES_SHIFT __kconfig __weak;
extern bool CONFIG_SPARSEMEM_VMEMMAP __kconfig __weak;

/* Per-thread counters. Task local storage rather than a tid-keyed hash: no hash
 * lookup on the fault path, no size to exhaust, and the kernel frees it with the task.
 * User space reads it through the iter/task program below. Kernels whose tracing
 * programs cannot use task storage (before 5.12, compat.bpf.h nl_task_state_*) get
 * the same map as a tid-keyed hash sized from --max-threads, and by_tid set. */
const volatile bool by_tid = false;
const struct nl_thread_stats zero_stats = {};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct nl_thread_stats);
} thread_stats SEC(".maps");

/* Final counts of exited threads, keyed by tid, until user space has reported them
 * (it deletes what it read; the entries no longer change, so that is race-free). Size
 * set from nl_collect_opts.max_threads. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct nl_thread_stats);
} exited SEC(".maps");

/* When exited is full (or a tid repeats before user space drained it), the thread's
 * counts are folded into its process here, cumulative, so they are still counted. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32); /* tgid */
	__type(value, struct nl_thread_stats);
} exited_procs SEC(".maps");

/* Counts with a node id >= NL_DENSE_NODES (bpf/wide.bpf.h). Size set from
 * nl_collect_opts.max_threads, or 1 when every node id is below NL_DENSE_NODES. */
NL_WIDE_MAP(wide_cells);

/* Which task went on each CPU and when. Indexed by CPU; only that CPU writes it. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NL_MAX_CPUS);
	__type(key, __u32);
	__type(value, struct nl_oncpu);
} oncpu SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NL_DROP_MAX);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 4096);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, NL_STACK_DEPTH * sizeof(__u64));
} stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct nl_stack_key);
	__type(value, struct nl_stack_count);
} stack_counts SEC(".maps");

/* DWARF-mode samples: assembled in the per-CPU scratch (28 KiB does not fit the BPF
 * stack), sent with only the stack bytes read. No wake-ups: user space drains the ring
 * at each sample (a wake-up per event costs ~2x on a fault storm: DESIGN.md). Sized by
 * user space; the minimum when stacks are not DWARF. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} stack_ring SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct nl_stack_sample);
} sample_scratch SEC(".maps");

/* The iterator assembles one record here (too big for the BPF stack). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct nl_thread_record);
} iter_scratch SEC(".maps");

static __always_inline void count_drop(__u32 why)
{
	__u64 *n = bpf_map_lookup_elem(&drops, &why);

	if (n)
		(*n)++;
}

/* The filters, applied to the current task. Cheap checks first: the tgid compare
 * rejects everything else on the hot paths before any helper that walks the task. */
static __always_inline bool current_is_target(void)
{
	/* The helper call only when filtering: with target_tgid 0 the verifier drops
	 * the whole branch (rodata is frozen), call included. */
	if (target_tgid && !tgid_followed(bpf_get_current_pid_tgid() >> 32))
		return false;
	if (target_cgroup && bpf_get_current_cgroup_id() != target_cgroup)
		return false;
	return true;
}

/* The faults the kernel has finished for t (mm_account_fault()). Direct loads: every
 * caller holds a trusted BTF task pointer, and this is on the fault path. By tid the
 * current task is a plain address (nl_task_current()): probe reads. */
static __always_inline __u64 task_faults(struct task_struct *t)
{
	if (by_tid)
		return BPF_CORE_READ(t, min_flt) + BPF_CORE_READ(t, maj_flt);
	return t->min_flt + t->maj_flt;
}

/* The thread's counters, created on first sight. Kernel threads never fault in user
 * mode and are not followed; exiting threads are not re-created after their exit
 * handler has folded and deleted them. */
static __always_inline struct nl_thread_stats *stats_of(struct task_struct *t)
{
	struct nl_thread_stats *s = nl_task_state_get(&thread_stats, by_tid, t);

	if (s)
		return s;
	if (BPF_CORE_READ(t, flags) & (PF_EXITING | PF_KTHREAD))
		return NULL;
	s = nl_task_state_create(&thread_stats, by_tid, t, &zero_stats);
	if (!s) {
		count_drop(NL_LOST_STORAGE);
		return NULL;
	}
	s->tid = BPF_CORE_READ(t, pid);
	s->tgid = BPF_CORE_READ(t, tgid);
	s->start_ns = BPF_CORE_READ(t, start_time);
	BPF_CORE_READ_STR_INTO(&s->comm, t, comm);
	s->charged_flt = ~0ULL;
	if (fault_counter_mode && BPF_CORE_READ(t, start_time) < load_ns)
		s->flt_base = task_faults(t);
	return s;
}

/* Counter mode: the thread's counts as of now, into out (a copy of s, or s itself at
 * exit). Both stay monotonic between reads: a charged fault still in progress is in
 * faults_total already, and unresolved counts only finished faults. */
static __always_inline void settle_fault_counts(struct nl_thread_stats *out,
						const struct nl_thread_stats *s,
						struct task_struct *t)
{
	if (!fault_counter_mode)
		return;
	__u64 flt = task_faults(t);
	__u64 done = flt > s->flt_base ? flt - s->flt_base : 0;
	__u64 in_progress = s->charged && s->charged_flt == flt ? 1 : 0;
	__u64 charged_done = s->charged - in_progress;
	/* A finished fault that allocated nothing and waits to be judged (mapped.bpf.h) is
	 * in no count yet: it moves to faults_reported or stays unresolved when judged, so
	 * neither count ever goes back. */
	__u64 judging = s->last_armed && s->charged_flt != s->last_flt && flt > s->last_flt;
	__u64 unresolved = done > charged_done ? done - charged_done : 0;

	out->faults_total = done + in_progress;
	out->faults_unresolved = s->faults_unresolved + unresolved - (unresolved ? judging : 0);
}

/* The mask (NL_MAX_CPUS is a power of two) is the verifier's bound; a range check
 * in the caller is not enough: clang merges "a >= N || b >= N" into one test on a | b,
 * which the verifier cannot split back. */
static __always_inline __u32 cpu_node_of(__u32 cpu)
{
	barrier_var(cpu);
	return cpu_node[cpu & (NL_MAX_CPUS - 1)];
}

/* pfn -> node: binary search over sorted, disjoint ranges. 9 steps cover 256 ranges. */
static __always_inline int pfn_node(__u64 pfn)
{
	__u32 lo = 0, hi = nr_pfn_ranges;

	if (hi > NL_MAX_PFN_RANGES)
		hi = NL_MAX_PFN_RANGES;
	for (int i = 0; i < 9 && lo < hi; i++) {
		__u32 mid = (lo + hi) / 2;

		if (mid >= NL_MAX_PFN_RANGES)
			break;
		if (pfn < pfn_ranges[mid].start)
			hi = mid;
		else if (pfn >= pfn_ranges[mid].end)
			lo = mid + 1;
		else
			return pfn_ranges[mid].node;
	}
	return -1;
}

#include "mapped.bpf.h"

/* Judges the thread's last recorded fault, once: the thread at its next fault or
 * the judging iterator (nl_judge), whichever takes last_armed. unresolved: it
 * allocated no page. */
static __always_inline void judge_last(struct task_struct *task, struct nl_thread_stats *s,
				       bool unresolved)
{
	if (__sync_val_compare_and_swap(&s->last_armed, 1, 0) != 1 || !unresolved)
		return;
	__u32 why = mapped_report(task, s, s->last_addr, s->last_node);
	if (why != NL_DROP_MAX)
		count_drop(why);
}

/* A user fault starts. Tracepoint mode: the fault is counted and marked pending for
 * its allocation. report (nl_fault_vma): the thread's previous fault, if it allocated
 * no page, goes to user space to be resolved (mapped.bpf.h); this one is kept to be
 * judged at the next. */
static __always_inline void fault_entry(unsigned long address, bool report)
{
	if (!current_is_target())
		return;
	struct task_struct *task = nl_task_current(by_tid);
	struct nl_thread_stats *s = stats_of(task);
	if (!s)
		return;

	__u32 node = bpf_get_numa_node_id();
	if (node >= NL_MAX_NODES) {
		count_drop(NL_LOST_NODE);
		return;
	}
	if (report) {
		/* Counter mode: the previous fault allocated if its count was charged. */
		judge_last(task, s, fault_counter_mode ? s->charged_flt != s->last_flt : s->pending);
		s->last_addr = address;
		s->last_flt = fault_counter_mode ? task_faults(task) : 0;
		s->last_node = node;
		barrier(); /* the judging iterator reads these once it sees last_armed */
		s->last_armed = 1;
	}
	if (fault_counter_mode)
		return;
	s->faults_total++;
	/* The previous fault never allocated: its page node stays unknown. */
	if (s->pending)
		s->faults_unresolved++;
	s->pending = 1;
	s->pending_node = node;
	/* A migration is always inside one fault; a new fault ends any stale one. */
	s->migrating = 0;
}

/* Tracepoint mode without mapped faults (kernels before bpf_find_vma, 5.17). */
SEC("tp_btf/page_fault_user")
int BPF_PROG(nl_fault, unsigned long address, struct pt_regs *regs, unsigned long error_code)
{
	fault_entry(address, false);
	return 0;
}

/* Either mode, with mapped faults: a separate program because bpf_find_vma's callback
 * (a BPF_PSEUDO_FUNC reference, 5.13) would stop the object loading on older kernels
 * even in a branch the verifier removes. */
SEC("tp_btf/page_fault_user")
int BPF_PROG(nl_fault_vma, unsigned long address, struct pt_regs *regs,
	     unsigned long error_code)
{
	fault_entry(address, true);
	return 0;
}

/* The user stack from sp up (numalens.h, struct nl_stack_sample): the rest of sp's
 * page, then whole pages, each read on its own (a nofault read fails on a page not
 * present: one the thread never touched, or past the stack's end). smp->stack_len ends
 * at the last page read; 0 when not even sp's page could be read. */
static __always_inline void read_user_stack(struct nl_stack_sample *smp, __u64 sp)
{
	__u32 first = 4096 - (__u32)(sp & 4095), off = first, end = NL_UNWIND_STACK_MAX;
	/* A main thread's frames all lie below mm->start_stack (argc; argv, envp and auxv
	 * are above it, and the stack's VMA ends soon after): its pages past that are not
	 * read, since a read past the VMA fails only after a page-fault exception each
	 * (the system-wide fault storm's BPF time per fault: README, Benchmarks). */
	__u64 top = BPF_CORE_READ(bpf_get_current_task_btf(), mm, start_stack);

	if (top >= sp && top - sp < NL_UNWIND_STACK_MAX)
		end = (__u32)((top | 4095) + 1 - sp);

	smp->stack_len = 0;
	smp->page_mask = 0;
	if (bpf_probe_read_user(smp->stack, first, (void *)sp))
		return;
	smp->stack_len = first;
	smp->page_mask = 1;
	for (int i = 0; i < NL_UNWIND_PAGES; i++, off += 4096) {
		if (off > NL_UNWIND_STACK_MAX - 4096 || off >= end)
			break;
		if (bpf_probe_read_user(smp->stack + off, 4096, (void *)(sp + off)))
			continue; /* a hole: bpf_probe_read_user zeroed it */
		smp->page_mask |= 2U << i;
		smp->stack_len = off + 4096;
	}
}

/* A DWARF-mode sample: registers and stack to user space, weighted pages with it. */
static __always_inline void sample_dwarf(struct nl_thread_stats *s, __u64 pages_est)
{
	__u32 zero = 0;
	struct nl_stack_sample *smp = bpf_map_lookup_elem(&sample_scratch, &zero);

	if (!smp)
		return;
	if (!nl_user_regs_dwarf(smp->regs)) {
		count_drop(NL_DROP_STACK_READ);
		return;
	}
	smp->tid = s->tid;
	smp->tgid = s->tgid;
	smp->pages_est = pages_est;
	smp->exe_ino = BPF_CORE_READ(bpf_get_current_task_btf(), mm, exe_file, f_inode, i_ino);
	read_user_stack(smp, smp->regs[NL_UNWIND_REG_SP]);
	if (!smp->stack_len) {
		count_drop(NL_DROP_STACK_READ);
		return;
	}
	__u64 size = __builtin_offsetof(struct nl_stack_sample, stack) + smp->stack_len;
	if (size > sizeof(*smp)) /* the verifier's bound; cannot happen */
		return;
	if (bpf_ringbuf_output(&stack_ring, smp, size, BPF_RB_NO_WAKEUP))
		count_drop(NL_DROP_STACK_RING);
}

/* The tracepoint mode where page_fault_user is missing (it is x86's: arm64 has none):
 * the fault's entry into handle_mm_fault(vma, address, flags, regs), for a user-mode
 * fault (FAULT_FLAG_USER, which the arch fault handler sets exactly when
 * user_mode(regs): arch/arm64/mm/fault.c as arch/x86/mm/fault.c; get_user_pages never
 * sets it) on its first attempt (a retry after VM_FAULT_RETRY comes back with
 * FAULT_FLAG_TRIED). One difference with the tracepoint: where a fault first tried under
 * the per-VMA lock (FAULT_FLAG_VMA_LOCK, arm64 since 6.4) has to be retried under the
 * mmap lock, the retry enters without FAULT_FLAG_TRIED and counts a second fault;
 * anonymous first touches, which are what charges pages, complete under the VMA lock. */
SEC("fentry/handle_mm_fault")
int BPF_PROG(nl_fault_mm, struct vm_area_struct *vma, unsigned long address, unsigned int flags,
	     struct pt_regs *regs)
{
	if (!(flags & bpf_core_enum_value(enum fault_flag, FAULT_FLAG_USER)) ||
	    (flags & bpf_core_enum_value(enum fault_flag, FAULT_FLAG_TRIED)))
		return 0;
	fault_entry(address, false);
	return 0;
}

static __always_inline void sample_stack(void *ctx, struct nl_thread_stats *s, __u64 allocs,
					 __u64 pages)
{
	__u64 weight = 0;

	if (allocs < stack_first_n)
		weight = 1;
	else if (allocs < stack_taper_at) {
		if (stack_every && (allocs - stack_first_n) % stack_every == 0)
			weight = stack_every;
	} else if (stack_every_late && (allocs - stack_taper_at) % stack_every_late == 0)
		weight = stack_every_late;
	if (!weight)
		return;
	if (stack_mode == NL_STACK_DWARF) {
		sample_dwarf(s, pages * weight);
		return;
	}

	long id = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
	if (id < 0) {
		count_drop(NL_DROP_STACK);
		return;
	}
	struct nl_stack_key key = { .tid = s->tid, .stackid = (__u32)id };
	struct nl_stack_count *c = bpf_map_lookup_elem(&stack_counts, &key);
	if (!c) {
		struct nl_stack_count zero = {};

		bpf_map_update_elem(&stack_counts, &key, &zero, BPF_NOEXIST);
		c = bpf_map_lookup_elem(&stack_counts, &key);
		if (!c) {
			count_drop(NL_DROP_STACK);
			return;
		}
	}
	c->pages_est += pages * weight;
	c->samples++;
}

/* The thread whose user fault this allocation is the first of, that fault now
 * charged, and the node of the CPU it runs on in *cpu; NULL when the allocation is not
 * one (every page allocation in the system comes here: reject on the arguments first). */
static __always_inline struct nl_thread_stats *fault_alloc_owner(__u32 gfp, __u32 order,
								   __u32 *cpu)
{
	if (!(gfp & NL_GFP_MOVABLE))
		return NULL;
	/* Without the migrate_pages() bracket: in 5.10 an order-0 __GFP_THISNODE
	 * allocation inside a user fault is the copy a hinting fault migrates to
	 * (alloc_misplaced_dst_page, mm/migrate.c); a fault's own order-0 pages never ask
	 * for it (alloc_pages_vma uses the policy's nodemask). A THP's hinting copy
	 * (order 9, like a THP fault's) is not told apart. */
	if (migrations_by_gfp && order == 0 && (gfp & NL_GFP_THISNODE_5_10))
		return NULL;
	if (target_tgid && !tgid_followed(bpf_get_current_pid_tgid() >> 32))
		return NULL;

	struct task_struct *task = nl_task_current(by_tid);
	if (nl_task_in_user_fault(task, by_tid) == 0)
		return NULL;
	if (fault_counter_mode) {
		if (target_cgroup && bpf_get_current_cgroup_id() != target_cgroup)
			return NULL;
		struct nl_thread_stats *s = stats_of(task);
		if (!s)
			return NULL;
		__u64 flt = task_faults(task);
		if (s->charged_flt == flt || (s->migrating && s->migrating_flt == flt))
			return NULL;
		s->charged_flt = flt;
		s->charged++;
		*cpu = bpf_get_numa_node_id();
		return s;
	}
	struct nl_thread_stats *s = nl_task_state_get(&thread_stats, by_tid, task);
	if (!s || !s->pending || s->migrating)
		return NULL;
	s->pending = 0;
	*cpu = s->pending_node;
	return s;
}

/* A count of thread s with a node id >= NL_DENSE_NODES, into the wide cells; false
 * (counted in NL_DROP_WIDE) when the hash is full. */
static __always_inline bool wide_count(struct nl_thread_stats *s, __u32 kind, __u32 cpu,
				       __u32 mem, __u64 v)
{
	if (wide_add(&wide_cells, s->tid, s->start_ns, s->tgid, kind, cpu, mem, v))
		return true;
	count_drop(NL_DROP_WIDE);
	return false;
}

/* charge_alloc()'s slow path, off the dense fast path: a node id from NL_DENSE_NODES
 * up (either side), or a page node that is unknown or not online. Returns the pages
 * charged to the wide cells, 0 when the fault stays unresolved. */
static __always_inline __u64 charge_alloc_other(struct nl_thread_stats *s, __u32 cpu, int mem,
						__u32 order)
{
#if NL_HAVE_WIDE
	if (mem >= 0 && mem < NL_MAX_NODES && cpu < NL_MAX_NODES &&
	    (node_online_mask & (1ULL << (mem & 63)))) {
		__u64 pages = 1ULL << (order & NL_ORDER_MASK);

		if (!wide_count(s, NL_WIDE_FAULTS, cpu, (__u32)mem, 1)) {
			s->faults_unresolved++;
			return 0;
		}
		wide_count(s, NL_WIDE_FIRST_TOUCH, 0, (__u32)mem, pages);
		return pages;
	}
#endif
	s->faults_unresolved++;
	if (mem != -2) /* -2: allocation failed, nothing to resolve */
		count_drop(NL_DROP_PAGE_NODE);
	return 0;
}

/* Charges the fault to [cpu node][mem]. mem < 0: the page's node is unknown. The dense
 * path (both node ids below NL_DENSE_NODES) does the same tests as before wide cells. */
static __always_inline void charge_alloc(void *ctx, struct nl_thread_stats *s, __u32 cpu,
					 int mem, __u32 order)
{
	__u64 pages;

	if (mem < 0 || mem >= NL_DENSE_NODES || !(node_online_mask & (1ULL << mem)) ||
	    cpu >= NL_DENSE_NODES) {
		pages = charge_alloc_other(s, cpu, mem, order);
		if (!pages)
			return;
	} else {
		pages = 1ULL << (order & NL_ORDER_MASK);
		/* The masks are the verifier's bounds: clang may index with the unchecked
		 * copy. */
		__u32 m = (__u32)mem & (NL_DENSE_NODES - 1);

		barrier_var(cpu); /* or clang drops the mask, knowing the check above */
		cpu &= NL_DENSE_NODES - 1;
		s->faults[cpu][m]++;
		s->first_touch_pages[m] += pages;
	}
	__u64 allocs = s->first_touch_allocs++;
	if (stacks_enabled)
		sample_stack(ctx, s, allocs, pages);
}

SEC("tp_btf/mm_page_alloc")
int BPF_PROG(nl_page_alloc_btf, struct page *page, unsigned int order, gfp_t gfp_flags,
	     int migratetype)
{
	__u32 cpu = NL_DENSE_NODES;
	struct nl_thread_stats *s = fault_alloc_owner(gfp_flags, order, &cpu);
	if (!s)
		return 0;

	int mem = -2;
	if (page) {
		__u32 shift = CONFIG_NODES_SHIFT;

		/* User space loads this program only for 1 <= NODES_SHIFT <= 16 with
		 * SPARSEMEM_VMEMMAP; the check keeps the shift defined regardless. */
		if (shift >= 1 && shift <= 16 && CONFIG_SPARSEMEM_VMEMMAP)
			mem = (int)(nl_page_flags(page) >> (64 - shift));
		else
			mem = -1;
	}
	charge_alloc(ctx, s, cpu, mem, order);
	return 0;
}

SEC("tracepoint/kmem/mm_page_alloc")
int nl_page_alloc(struct trace_event_raw_mm_page_alloc *ctx)
{
	__u32 cpu = NL_DENSE_NODES;
	struct nl_thread_stats *s =
		fault_alloc_owner(BPF_CORE_READ(ctx, gfp_flags), BPF_CORE_READ(ctx, order), &cpu);
	if (!s)
		return 0;

	/* The kernel records -1UL for a failed allocation. */
	__u64 pfn = BPF_CORE_READ(ctx, pfn);
	charge_alloc(ctx, s, cpu, pfn == ~0ULL ? -2 : pfn_node(pfn), BPF_CORE_READ(ctx, order));
	return 0;
}

/* migrate_pages() brackets: pages it allocates are copies of existing pages. */
SEC("tp_btf/mm_migrate_pages_start")
int nl_migrate_start(u64 *ctx)
{
	struct task_struct *task = nl_task_current(by_tid);
	struct nl_thread_stats *s = nl_task_state_get(&thread_stats, by_tid, task);

	if (s) {
		s->migrating = 1;
		/* a later fault never takes a missed end for its own migration */
		if (fault_counter_mode)
			s->migrating_flt = task_faults(task);
	}
	return 0;
}

SEC("tp_btf/mm_migrate_pages")
int nl_migrate_end(u64 *ctx)
{
	struct nl_thread_stats *s =
		nl_task_state_get(&thread_stats, by_tid, nl_task_current(by_tid));

	if (s)
		s->migrating = 0;
	return 0;
}

/* prev is the current task here (the switch has not happened yet), so the filters
 * and bpf_get_numa_node_id() apply to it. */
SEC("tp_btf/sched_switch")
int BPF_PROG(nl_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct nl_oncpu *slot = bpf_map_lookup_elem(&oncpu, &cpu);
	if (!slot)
		return 0;

	__u64 now = bpf_ktime_get_ns();
	__u64 start = slot->since_ns;
	__u32 ran = slot->tid;
	/* Direct loads: tp_btf arguments are trusted BTF pointers (CO-RE-relocated, no
	 * bpf_probe_read_kernel call); this runs on every context switch. */
	__u32 prev_tid = prev->pid;

	slot->since_ns = now;
	slot->tid = next->pid;
	/* The first switch after attach has no start; idle (tid 0) is not a thread. */
	if (!start || ran != prev_tid || !prev_tid)
		return 0;
	if (!current_is_target())
		return 0;
	struct nl_thread_stats *s = stats_of(prev);
	if (!s)
		return 0;
	__u32 node = bpf_get_numa_node_id();
	if (node >= NL_DENSE_NODES) {
		if (NL_HAVE_WIDE && node < NL_MAX_NODES)
			wide_count(s, NL_WIDE_CPU_NS, node, 0, now - start);
		else
			count_drop(NL_LOST_NODE);
		return 0;
	}
	s->cpu_ns[node] += now - start;
	return 0;
}

SEC("tp_btf/sched_migrate_task")
int BPF_PROG(nl_migrate_task, struct task_struct *p, int dest_cpu)
{
	struct nl_thread_stats *s = nl_task_state_get(&thread_stats, by_tid, p);
	if (!s)
		return 0;
	__u32 from = nl_task_cpu(p), to = dest_cpu;

	/* User space refuses machines with more than NL_MAX_CPUS possible CPUs. */
	if (cpu_node_of(from) != cpu_node_of(to))
		__sync_fetch_and_add(&s->node_migrations, 1);
	return 0;
}

static __always_inline void fold_into_process(const struct nl_thread_stats *s)
{
	__u32 tgid = s->tgid;
	struct nl_thread_stats *p = bpf_map_lookup_elem(&exited_procs, &tgid);

	if (!p) {
		struct nl_thread_stats *scratch;
		__u32 zero = 0;

		/* A zeroed value with the tgid: the stack cannot hold one. */
		scratch = bpf_map_lookup_elem(&iter_scratch, &zero);
		if (!scratch) {
			count_drop(NL_LOST_EXITED);
			return;
		}
		__builtin_memset(scratch, 0, sizeof(*scratch));
		scratch->tgid = tgid;
		scratch->tid = tgid;
		/* a name for the process once it is gone (/proc has none then) */
		__builtin_memcpy(scratch->comm, s->comm, sizeof(scratch->comm));
		bpf_map_update_elem(&exited_procs, &tgid, scratch, BPF_NOEXIST);
		p = bpf_map_lookup_elem(&exited_procs, &tgid);
		if (!p) {
			count_drop(NL_LOST_EXITED);
			return;
		}
	}
	for (int i = 0; i < NL_DENSE_NODES; i++) {
		for (int j = 0; j < NL_DENSE_NODES; j++)
			if (s->faults[i][j])
				__sync_fetch_and_add(&p->faults[i][j], s->faults[i][j]);
		__sync_fetch_and_add(&p->first_touch_pages[i], s->first_touch_pages[i]);
		__sync_fetch_and_add(&p->cpu_ns[i], s->cpu_ns[i]);
	}
	__sync_fetch_and_add(&p->faults_total, s->faults_total);
	__sync_fetch_and_add(&p->faults_unresolved, s->faults_unresolved);
	__sync_fetch_and_add(&p->first_touch_allocs, s->first_touch_allocs);
	__sync_fetch_and_add(&p->node_migrations, s->node_migrations);
}

/* A thread's final counts to user space through the exited map (folded into its
 * process when that map is full), and its storage freed so short-lived threads never
 * accumulate. */
static __always_inline void hand_over_exit(struct nl_thread_stats *s, struct task_struct *p)
{
	if (s->pending) {
		s->faults_unresolved++;
		s->pending = 0;
	}
	/* Its last fault is not judged: the mapping is gone (exit_mm() ran). */
	s->last_armed = 0;
	settle_fault_counts(s, s, p);

	__u32 tid = s->tid;
	if (bpf_map_update_elem(&exited, &tid, s, BPF_NOEXIST))
		fold_into_process(s);
	nl_task_state_delete(&thread_stats, by_tid, p);
}

/* A thread exits: charge its last slice on the CPU and hand its counts over. p is the
 * current task (do_exit). */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(nl_exit, struct task_struct *p)
{
	struct nl_thread_stats *s = nl_task_state_get(&thread_stats, by_tid, p);
	if (!s)
		return 0;

	__u32 cpu = bpf_get_smp_processor_id();
	struct nl_oncpu *slot = bpf_map_lookup_elem(&oncpu, &cpu);
	__u32 node = bpf_get_numa_node_id();
	if (slot && slot->since_ns && slot->tid == s->tid && node < NL_MAX_NODES) {
		__u64 now = bpf_ktime_get_ns();

		/* the mask is the verifier's bound: clang merges the two tests */
		barrier_var(node);
		if (node < NL_DENSE_NODES)
			s->cpu_ns[node & (NL_DENSE_NODES - 1)] += now - slot->since_ns;
		else
			wide_count(s, NL_WIDE_CPU_NS, node, 0, now - slot->since_ns);
		slot->since_ns = now;
	}
	bpf_get_current_comm(&s->comm, sizeof(s->comm));
	hand_over_exit(s, p);
	return 0;
}

/* The exit handler's second chance, task storage only (user space loads it then): where
 * tracepoint programs run preemptibly (collect/prog_misses.h), a task preempted inside
 * nl_exit makes the kernel skip nl_exit for the next task exiting on that CPU. That
 * task's storage still exists when it is freed (the RCU callback
 * delayed_put_task_struct() fires sched_process_free before the last put_task_struct()
 * frees the storage), so its counts are handed over here; only its last slice on a CPU
 * is missing. After a normal exit the storage is gone and this does nothing. */
SEC("tp_btf/sched_process_free")
int BPF_PROG(nl_free, struct task_struct *p)
{
	struct nl_thread_stats *s = nl_task_state_get(&thread_stats, by_tid, p);
	if (!s)
		return 0;
	hand_over_exit(s, p);
	return 0;
}

/* The followed set (follow.bpf.h): children of followed processes join it at fork and
 * leave it when freed. User space loads these with follow_children only. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(nl_fork, struct task_struct *parent, struct task_struct *child)
{
	if (follow_fork(parent, child))
		count_drop(NL_LOST_FOLLOW);
	return 0;
}

SEC("tp_btf/sched_process_free")
int BPF_PROG(nl_follow_free, struct task_struct *p)
{
	follow_free(p);
	return 0;
}

/* By tid only (user space loads it then): a thread other than the leader that execs
 * takes the leader's tid in de_thread() (exchange_tids()), after the leader's exit
 * deleted that key. Its entry moves to the new key, as task storage would stay with
 * the task (s->tid keeps the tid it was first seen with, as there). A switch between
 * de_thread() and here may have created the new key: it is overwritten (a slice at
 * most). A full map loses the thread's counts, counted. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(nl_exec, struct task_struct *p, pid_t old_pid)
{
	__u32 old = (__u32)old_pid, tid = p->pid;

	if (!by_tid || old == tid)
		return 0;
	struct nl_thread_stats *s = bpf_map_lookup_elem(&thread_stats, &old);
	if (!s)
		return 0;
	if (bpf_map_update_elem(&thread_stats, &tid, s, BPF_ANY))
		count_drop(NL_LOST_STORAGE);
	bpf_map_delete_elem(&thread_stats, &old);
	return 0;
}

/* The snapshot: one nl_thread_record per live followed thread. */
SEC("iter/task")
int nl_dump(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	if (!task)
		return 0;
	struct nl_thread_stats *s = nl_task_state_get(&thread_stats, by_tid, task);
	if (!s)
		return 0;
	__u32 zero = 0;
	struct nl_thread_record *r = bpf_map_lookup_elem(&iter_scratch, &zero);
	if (!r)
		return 0;

	BPF_CORE_READ_STR_INTO(&s->comm, task, comm);
	__builtin_memcpy(&r->s, s, sizeof(r->s));
	settle_fault_counts(&r->s, s, task);
	r->inflight.oncpu_ns = 0;
	r->inflight.node = NL_MAX_NODES; /* not running */
	if (BPF_CORE_READ(task, on_cpu)) {
		__u32 cpu = nl_task_cpu(task);
		struct nl_oncpu *slot = bpf_map_lookup_elem(&oncpu, &cpu);
		__u64 now = bpf_ktime_get_ns();

		if (slot && cpu < NL_MAX_CPUS && slot->tid == s->tid && slot->since_ns &&
		    now > slot->since_ns) {
			r->inflight.oncpu_ns = now - slot->since_ns;
			r->inflight.node = cpu_node_of(cpu);
		}
	}
	bpf_seq_write(ctx->meta->seq, r, sizeof(*r));
	return 0;
}

/* Mapped faults, counter mode: judges the last fault of every followed thread that is
 * off the CPU and has finished it (its count moved past it), so a thread that stopped
 * faulting is not left with one fault unjudged. User space runs it just before it
 * takes the ring (collect/mapped.c). Tracepoint mode cannot tell a finished fault from
 * one asleep in I/O: its last fault waits for the next. */
SEC("iter/task")
int nl_judge(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	if (!task || !fault_counter_mode)
		return 0;
	struct nl_thread_stats *s = nl_task_state_get(&thread_stats, by_tid, task);
	if (!s || !s->last_armed || BPF_CORE_READ(task, on_cpu))
		return 0;
	if (task_faults(task) <= s->last_flt)
		return 0; /* still inside it */
	judge_last(task, s, s->charged_flt != s->last_flt);
	return 0;
}
