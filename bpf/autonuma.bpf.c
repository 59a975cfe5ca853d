// SPDX-License-Identifier: GPL-2.0
/* AutoNUMA under the microscope: per-thread NUMA hinting faults, page migrations with
 * their from/to nodes and stall time, NUMA task moves, TLB shootdowns with the IPI time
 * of their victims, and the scanner's own cost. Everything is aggregated here; user
 * space reads the per-tid hash and the per-CPU system totals once per interval.
 *
 * Three ways to see hinting faults; user space autoloads exactly one (autonuma.c):
 *   fentry   fentry/task_numa_fault(last_cpupid, mem_node, pages, flags) and
 *            fentry/numa_migrate_prep(page, vma, addr, page_nid, flags) (up to 6.11;
 *            numa_migrate_check(folio, ...) since 6.12, compat.bpf.h): the kernel's
 *            own hinting-fault accounting (kernel/sched/fair.c, mm/memory.c).
 *            numa_migrate_prep is where /proc/vmstat's numa_hint_faults and
 *            numa_hint_faults_local are counted and sets TNF_FAULT_LOCAL; it is
 *            always followed by task_numa_fault for the same fault (do_numa_page and
 *            do_huge_pmd_numa_page: both go to out: -> task_numa_fault once page_nid
 *            is set). Its page_nid is the page's node before any migration, while
 *            task_numa_fault's mem_node is the node after it; we keep page_nid.
 *            fentry+fexit/task_numa_work time the scanner; fentry/flush_tlb_func
 *            reads flush_tlb_info.initiating_cpu so a victim knows who sent a
 *            shootdown. Prototypes checked in the BTF of 6.1.0-cloud and 6.18.
 *   kprobe   the same functions through kprobes/kretprobes (no BTF trampolines).
 *   fallback no function probes at all (this host: no kprobes, fentry EPERM).
 *            task_struct keeps per-task fault buffers, numa_faults[NUMA_MEMBUF]
 *            (by page node) and [NUMA_CPUBUF] (by CPU node), that task_numa_fault
 *            adds `pages` to and task_numa_placement() zeroes when the mm's
 *            numa_scan_seq moved on (at the start of a later task_numa_fault). We
 *            sample them at every user page fault entry (tp_btf/page_fault_user),
 *            at exit and from the interval's task iterator: a reset can only happen
 *            inside a hinting fault that began after our last sample, so the delta
 *            between two samples is exactly one fault's pages (or the buffer itself
 *            after a reset). Each delta is one fault; its CPUBUF delta gives the
 *            row, its MEMBUF delta the column (the node after migration, corrected
 *            with the from-node of a numa_misplaced migration the same thread did
 *            since the last sample). Not measured here: the scanner's time, which
 *            shootdown IPIs AutoNUMA caused on the victims, failed hint migrations.
 *
 * Always (tracepoints, tp_btf so the 6.1/6.18 context-struct differences do not
 * matter): migrate:mm_migrate_pages_start/mm_migrate_pages (stall time, pages and
 * failures by reason), migrate:set/remove_migration_pte/pmd (the old page's pfn is in
 * the migration entry, the new one in the restored pte: from/to node per page),
 * sched:sched_move_numa/swap_numa/stick_numa, tlb:tlb_flush,
 * irq_vectors:call_function[_single]_entry/exit, sched:sched_process_exit. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "numalens.h"
#include "compat.bpf.h"
#include "follow.bpf.h"
#include "wide.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* include/linux/sched/numa_balancing.h, unchanged from 3.x to 6.18. */
#define TNF_MIGRATED 0x01
#define TNF_FAULT_LOCAL 0x08
#define TNF_MIGRATE_FAIL 0x10
/* arch/x86/include/asm/tlbflush.h enum tlb_flush_reason, same in 6.1 and 6.18. */
#define NL_TLB_REMOTE_SEND_IPI 4
/* enum migrate_reason: MR_NUMA_MISPLACED is 5 in 6.1 and 6.18 (relocated anyway). */
#define NL_MR_NUMA_MISPLACED 5
/* HPAGE_PMD_ORDER on x86-64, and on arm64 with 4 KiB pages (Debian's). */
#define NL_PMD_ORDER 9

/* Settings, written by user space before load. */
const volatile __u64 target_cgroup = 0;  /* cgroup v2 id; 0 = every cgroup */
const volatile __u32 mode_fallback = 0;  /* hint faults from task_struct buffers */
/* A test switch (NUMALENS_SKIP_HINT_FAULTS): count only every other hinting fault of
 * each thread, so the tests can see the vmstat check catch a real shortfall. */
const volatile __u32 skip_half_hints = 0;
const volatile __u32 nr_node_ids = 1;    /* layout of task_struct.numa_faults */
const volatile __u32 nr_pfn_ranges = 0;
const volatile __u32 emit_events = 0;    /* per-event records for `record` (an_events) */
const volatile struct nl_pfn_range pfn_ranges[NL_MAX_PFN_RANGES] = {};
/* CONFIG_NODES_SHIFT when page->flags holds the node in its top bits (user space
 * decides, as for bpf/access.bpf.c's nl_page_alloc_btf); 0 = the layout is unknown. */
const volatile __u32 page_nodes_shift = 0;
/* an_fexit_move_mapping gives every migration's from -> to (kernels before 6.0 on the
 * fentry path); the misplaced-page hook then leaves the matrix to it. */
const volatile __u32 from_to_by_mapping = 0;

/* Transient per-task state (not counters): every task, before the target filter,
 * because the system totals need it too. LRU, so it never fills; an eviction in the
 * middle of a fault or a migration loses that one event (counted). */
struct an_state {
	__u64 win_start;      /* inside migrate_pages() since, 0 = not */
	__u32 win_reason;
	__u32 win_from;       /* node + 1 of the first old page in this window, 0 = none */
	__u32 win_to;         /* node + 1 of the first page moved off-node in it, 0 = none */
	__u32 src_node;       /* node + 1 of the page numa_migrate_prep saw, 0 = none */
	__u32 misplaced_from; /* node + 1 a numa_misplaced migration moved a page from */
	__u32 misplaced_to;   /* kprobe/migrate_misplaced_page: its node + 1, for the return */
	__u32 hints_seen;     /* skip_half_hints: this thread's hinting faults so far */
	__u32 pad;
	__u64 scan_start;     /* inside task_numa_work since, 0 = not */
	/* fallback: last values of the task's fault buffers */
	__u64 fb_mem[NL_DENSE_NODES];
	__u64 fb_cpu[NL_DENSE_NODES];
	__u64 fb_migrated;
	__s32 fb_seq;
	__u32 fb_valid;
	/* A sampler holds this state (iterator vs the task itself). 64-bit because
	 * 32-bit cmpxchg needs -mcpu=v3. */
	__u64 busy;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct an_state);
} an_state SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096); /* user space sizes it (max_threads) */
	__type(key, struct nl_an_key);
	__type(value, struct nl_autonuma_thread);
} an_threads SEC(".maps");

/* hint_faults and migrated cells with a node id >= NL_DENSE_NODES (bpf/wide.bpf.h),
 * keyed by the thread as an_threads is. Sized by user space. */
NL_WIDE_MAP(wide_cells);

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct nl_autonuma_sys);
} an_sys SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NL_AN_DROP_MAX);
	__type(key, __u32);
	__type(value, __u64);
} an_drops SEC(".maps");

/* Per-event records (struct nl_event) for `record`; user space sizes it (a page when
 * events are off) and reads it on its own timer: submits never wake it. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} an_events SEC(".maps");

/* Old page of a migration pte, until the pte is restored: (tid, address) -> node. */
struct pte_key {
	__u64 addr;
	__u32 tid;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct pte_key);
	__type(value, __u32);
} an_ptes SEC(".maps");

/* New pages already counted in the matrix in this migrate_pages() call: a page mapped
 * more than once (shared by forked processes, or mapped twice) has its migration pte
 * removed once per mapping (remove_migration_ptes() walks every mapping of the new
 * page), but it is one page moved. Keyed by the new page's pfn and the thread; the
 * value is the call's start, so a pfn reused by a later call counts again. */
struct moved_key {
	__u64 pfn;
	__u32 tid;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct moved_key);
	__type(value, __u64);
} an_moved SEC(".maps");

/* Per CPU: a call-function IPI in progress on it. */
struct ipi_state {
	__u64 start;
	__u32 autonuma; /* it ran a shootdown that an AutoNUMA sender caused */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ipi_state);
} an_ipi SEC(".maps");

/* Per CPU, readable from the others: was the last shootdown this CPU sent caused by
 * AutoNUMA? The sender waits for its IPIs (flush_tlb_multi is synchronous), so the
 * value stays put while the victims read it. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NL_MAX_CPUS);
	__type(key, __u32);
	__type(value, __u32);
} an_ipi_cause SEC(".maps");

/* Scratch for the fallback's copy of task_struct.numa_faults: 4 stats x 2 types x
 * NL_DENSE_NODES unsigned longs. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64[4 * 2 * NL_DENSE_NODES]);
} an_scratch SEC(".maps");

/* Zeroed template for new per-thread entries (they do not fit on the BPF stack). */
const struct nl_autonuma_thread an_zero_thread = {};

static __always_inline void drop(__u32 what)
{
	__u64 *d = bpf_map_lookup_elem(&an_drops, &what);

	if (d)
		(*d)++;
}

/* One event record, when recording. A full ring buffer loses the record, counted. */
static __always_inline void emit(__u32 type, struct task_struct *task, __u32 a, __u32 b,
				 __u64 v0, __u64 v1, __u64 v2)
{
	struct nl_event *e;

	if (!emit_events)
		return;
	e = bpf_ringbuf_reserve(&an_events, sizeof(*e), 0);
	if (!e) {
		drop(NL_AN_DROP_EVENT);
		return;
	}
	e->ts_ns = bpf_ktime_get_ns();
	e->type = type;
	e->tid = BPF_CORE_READ(task, pid);
	e->tgid = BPF_CORE_READ(task, tgid);
	e->cpu = bpf_get_smp_processor_id();
	e->a = a;
	e->b = b;
	e->v0 = v0;
	e->v1 = v1;
	e->v2 = v2;
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
}

static __always_inline struct nl_autonuma_sys *sys(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&an_sys, &zero);
}

/* The filters. The task is not always current (sched_move_numa's, the iterator's), so
 * its cgroup is read from the task rather than bpf_get_current_cgroup_id(). */
static __always_inline bool wanted(__u32 tid, __u32 tgid, struct task_struct *p)
{
	if (tid == 0 || (target_tgid && !tgid_followed(tgid)))
		return false;
	return !target_cgroup || BPF_CORE_READ(p, cgroups, dfl_cgrp, kn, id) == target_cgroup;
}

/* The counters of thread tid (in process tgid), created on first use; NULL if it is
 * not followed or the map is full (counted). */
static __always_inline struct nl_autonuma_thread *thread_of(__u32 tid, __u32 tgid,
							      struct task_struct *p)
{
	struct nl_autonuma_thread *t;

	if (!wanted(tid, tgid, p))
		return NULL;
	struct nl_an_key key = { .tid = tid, .start_ns = BPF_CORE_READ(p, start_time) };
	t = bpf_map_lookup_elem(&an_threads, &key);
	if (t)
		return t;
	/* Too big for the BPF stack: insert the zeroed template, then name it. NOEXIST:
	 * another CPU may have created it meanwhile; the lookup tells. */
	bpf_map_update_elem(&an_threads, &key, &an_zero_thread, BPF_NOEXIST);
	t = bpf_map_lookup_elem(&an_threads, &key);
	if (!t) {
		drop(NL_AN_DROP_THREAD);
		return NULL;
	}
	t->tid = tid;
	t->tgid = tgid;
	t->start_ns = key.start_ns;
	return t;
}

/* A [cpu][mem] cell of thread t with a node id >= NL_DENSE_NODES (both < NL_MAX_NODES,
 * checked by the caller). */
static __always_inline void wide_cell(struct nl_autonuma_thread *t, __u32 kind, __u32 cpu,
				      __u32 mem, __u64 v)
{
	if (!wide_add(&wide_cells, t->tid, t->start_ns, t->tgid, kind, cpu, mem, v))
		drop(NL_AN_DROP_WIDE);
}

/* t->migrated[from][to] += pages, wide or dense; both ids < NL_MAX_NODES. */
static __always_inline void count_migrated(struct nl_autonuma_thread *t, __u32 from, __u32 to,
					   __u64 pages)
{
	if (from >= NL_DENSE_NODES || to >= NL_DENSE_NODES) {
		if (NL_HAVE_WIDE)
			wide_cell(t, NL_WIDE_MIGRATED, from, to, pages);
		return;
	}
	/* the masks are the verifier's bounds: clang would index with the checked copies */
	barrier_var(from);
	barrier_var(to);
	t->migrated[from & (NL_DENSE_NODES - 1)][to & (NL_DENSE_NODES - 1)] += pages;
}

static __always_inline struct nl_autonuma_thread *thread_cur(void)
{
	__u64 id = bpf_get_current_pid_tgid();

	return thread_of((__u32)id, id >> 32, nl_current_task());
}

static __always_inline struct nl_autonuma_thread *thread_task(struct task_struct *p)
{
	return thread_of(BPF_CORE_READ(p, pid), BPF_CORE_READ(p, tgid), p);
}

static __always_inline struct an_state *state_of(__u32 tid, bool create)
{
	struct an_state *st = bpf_map_lookup_elem(&an_state, &tid);

	if (st || !create || tid == 0)
		return st;
	struct an_state init = {};
	bpf_map_update_elem(&an_state, &tid, &init, BPF_NOEXIST);
	st = bpf_map_lookup_elem(&an_state, &tid);
	if (!st)
		drop(NL_AN_DROP_STATE);
	return st;
}

static __always_inline struct an_state *state_cur(bool create)
{
	return state_of((__u32)bpf_get_current_pid_tgid(), create);
}

static __always_inline __u32 reason_slot(int reason)
{
	if (reason < 0 || reason >= NL_MIGRATE_REASONS)
		return NL_MIGRATE_REASONS - 1;
	return reason & (NL_MIGRATE_REASONS - 1);
}

static __always_inline __u32 log2_bucket(__u64 v)
{
	__u32 b = 0;

	for (int i = 0; i < NL_HIST_BUCKETS - 1; i++) {
		if (v < 2)
			break;
		v >>= 1;
		b++;
	}
	return b;
}

/* pfn -> node: binary search over sorted, disjoint ranges (as user/pfn_nodes.c). */
static __always_inline int pfn_node(__u64 pfn)
{
	__u32 lo = 0, hi = nr_pfn_ranges;

	for (int i = 0; i < 9 && lo < hi; i++) {
		__u32 mid = (lo + hi) / 2;

		if (mid >= NL_MAX_PFN_RANGES)
			return -1;
		if (pfn < pfn_ranges[mid].start)
			hi = mid;
		else if (pfn >= pfn_ranges[mid].end)
			lo = mid + 1;
		else
			return pfn_ranges[mid].node < NL_MAX_NODES ? (int)pfn_ranges[mid].node : -1;
	}
	return -1;
}

/* ---- hinting faults: the kernel's accounting (fentry and kprobe paths) ---- */

static __always_inline void on_migrate_prep(int page_nid)
{
	struct an_state *st = state_cur(true);

	if (st)
		st->src_node = page_nid >= 0 && page_nid < NL_MAX_NODES ? page_nid + 1 : 0;
}

/* skip_half_hints: whether to leave this hinting fault uncounted (every other one). */
static __always_inline bool skipped_hint(struct an_state *st)
{
	return skip_half_hints && st && (st->hints_seen++ & 1);
}

static __always_inline void on_task_numa_fault(int mem_node, int pages, int flags)
{
	struct nl_autonuma_sys *s = sys();
	/* skip_half_hints counts in the thread's state: made here where no migrate-prep
	 * hook made it first (migrate_misplaced_page kernels) */
	struct an_state *st = state_cur(skip_half_hints);
	__u32 cpu = bpf_get_numa_node_id();
	__u32 mem = mem_node;

	if (st && st->src_node) {
		mem = st->src_node - 1;
		st->src_node = 0;
	}
	if (skipped_hint(st))
		return;
	if (pages < 0)
		pages = 0;
	if (s) {
		s->hint_faults++;
		s->hint_pages += pages;
		if (flags & TNF_FAULT_LOCAL)
			s->hint_local++;
		if (flags & TNF_MIGRATED)
			s->hint_migrated_pages += pages;
	}
	struct nl_autonuma_thread *t = thread_cur();
	if (!t)
		return;
	if (cpu >= NL_DENSE_NODES || mem >= NL_DENSE_NODES) {
		if (!NL_HAVE_WIDE || cpu >= NL_MAX_NODES || mem >= NL_MAX_NODES) {
			drop(NL_AN_DROP_NODE);
			return;
		}
		wide_cell(t, NL_WIDE_HINT_FAULTS, cpu, mem, 1);
	} else {
		/* Masks: the compiler may reload the unchecked copies. */
		t->hint_faults[cpu & (NL_DENSE_NODES - 1)][mem & (NL_DENSE_NODES - 1)]++;
	}
	t->hint_pages += pages;
	if (flags & TNF_FAULT_LOCAL)
		t->hint_local++;
	if (flags & TNF_MIGRATED)
		t->hint_migrated_pages += pages;
	if (flags & TNF_MIGRATE_FAIL)
		t->hint_migrate_fail += pages;
}

static __always_inline void scan_begin(void)
{
	struct an_state *st = state_cur(true);

	if (st)
		st->scan_start = bpf_ktime_get_ns();
}

static __always_inline void scan_end(void)
{
	struct an_state *st = state_cur(false);

	if (!st || !st->scan_start)
		return;
	__u64 dt = bpf_ktime_get_ns() - st->scan_start;
	st->scan_start = 0;

	struct nl_autonuma_sys *s = sys();
	if (s) {
		s->scan_count++;
		s->scan_ns += dt;
	}
	struct nl_autonuma_thread *t = thread_cur();
	if (t) {
		t->scan_count++;
		t->scan_ns += dt;
		emit(NL_EV_NUMA_SCAN, nl_current_task(), 0, 0, 0, 0, dt);
	}
}

#if !defined(__TARGET_ARCH_x86)
/* x86's (arch/x86/include/asm/tlbflush.h). arm64 has no flush_tlb_info and no
 * flush_tlb_func: it shoots down other CPUs' TLB entries with broadcast TLBI
 * instructions, no IPI, so there is no victim side to hook and flush_hook_ok()
 * (user/collect/autonuma.c) never loads the programs using this. Declared here so the
 * source stays one for both architectures. */
struct flush_tlb_info {
	unsigned int initiating_cpu;
} __attribute__((preserve_access_index));
#endif

/* A shootdown ran on this CPU (IPI victim): was its sender working for AutoNUMA? */
static __always_inline void on_flush_tlb_func(struct flush_tlb_info *info)
{
	__u32 init = BPF_CORE_READ(info, initiating_cpu);
	__u32 self = bpf_get_smp_processor_id();

	if (init == self)
		return; /* the sender's own local flush */
	__u32 *cause = bpf_map_lookup_elem(&an_ipi_cause, &init);
	if (!cause || !*cause)
		return;
	__u32 zero = 0;
	struct ipi_state *ipi = bpf_map_lookup_elem(&an_ipi, &zero);
	if (ipi && ipi->start)
		ipi->autonuma = 1;
	struct nl_autonuma_thread *t = thread_cur();
	if (t)
		__sync_fetch_and_add(&t->tlb_autonuma_recv, 1);
}

SEC("fentry/numa_migrate_prep")
int BPF_PROG(an_fentry_migrate_prep, struct page *page, struct vm_area_struct *vma,
	     unsigned long addr, int page_nid)
{
	on_migrate_prep(page_nid);
	return 0;
}

/* The folio's node before migration, from its flags (folio_nid()); -1 when the
 * page->flags layout is unknown: task_numa_fault's node (after migration) is kept then. */
static __always_inline int folio_node(struct folio *folio)
{
	__u32 shift = page_nodes_shift;

	if (!folio || shift < 1 || shift > 16)
		return -1;
	return (int)(nl_page_flags_read((struct page *)folio) >> (64 - shift));
}

/* numa_migrate_check(folio, vmf, addr, flags, writable, last_cpupid) is
 * numa_migrate_prep's successor (compat.bpf.h, NL_MIGRATE_CHECK): the same place that
 * counts numa_hint_faults, without a page_nid argument. */
SEC("fentry/numa_migrate_check")
int BPF_PROG(an_fentry_migrate_check, struct folio *folio)
{
	on_migrate_prep(folio_node(folio));
	return 0;
}

SEC("fentry/task_numa_fault")
int BPF_PROG(an_fentry_numa_fault, int last_cpupid, int mem_node, int pages, int flags)
{
	on_task_numa_fault(mem_node, pages, flags);
	return 0;
}

SEC("fentry/task_numa_work")
int BPF_PROG(an_fentry_scan)
{
	scan_begin();
	return 0;
}

SEC("fexit/task_numa_work")
int BPF_PROG(an_fexit_scan)
{
	scan_end();
	return 0;
}

SEC("fentry/flush_tlb_func")
int BPF_PROG(an_fentry_flush, void *info)
{
	on_flush_tlb_func(info);
	return 0;
}

SEC("kprobe/numa_migrate_prep")
int BPF_KPROBE(an_kprobe_migrate_prep, void *page, void *vma, unsigned long addr, int page_nid)
{
	on_migrate_prep(page_nid);
	return 0;
}

SEC("kprobe/numa_migrate_check")
int BPF_KPROBE(an_kprobe_migrate_check, struct folio *folio)
{
	on_migrate_prep(folio_node(folio));
	return 0;
}

SEC("kprobe/task_numa_fault")
int BPF_KPROBE(an_kprobe_numa_fault, int last_cpupid, int mem_node, int pages, int flags)
{
	on_task_numa_fault(mem_node, pages, flags);
	return 0;
}

SEC("kprobe/task_numa_work")
int BPF_KPROBE(an_kprobe_scan)
{
	scan_begin();
	return 0;
}

SEC("kretprobe/task_numa_work")
int BPF_KRETPROBE(an_kretprobe_scan)
{
	scan_end();
	return 0;
}

SEC("kprobe/flush_tlb_func")
int BPF_KPROBE(an_kprobe_flush, void *info)
{
	on_flush_tlb_func(info);
	return 0;
}

/* Kernels before 5.13 (Debian 11's 5.10): numa_migrate_prep is static in mm/memory.c,
 * inlined into do_numa_page, neither in BTF nor in kallsyms (Yang Shi's c5b5a3dd2c1f
 * "mm: thp: refactor NUMA fault handling", 5.13, made huge_memory.c call it). There,
 * do_numa_page calls migrate_misplaced_page(page, vma, target_nid) whenever
 * numa_migrate_prep chose to move the page: the page's node at its entry is the node
 * before migration (without the call the page stays, and task_numa_fault's node is
 * already right). It returns 1 when the page moved (numa_pages_migrated in
 * /proc/vmstat counts the same), and these kernels have no migration-pte tracepoints
 * (set/remove_migration_pte arrived in 6.0), so its return gives the hinting
 * migrations' from -> to as well. 4 KiB pages only: a THP's hinting migration is
 * migrate_misplaced_transhuge_page there, not followed (its fault keeps the node after
 * migration). */
static __always_inline void on_misplaced_entry(struct page *page, int node)
{
	on_migrate_prep(folio_node((struct folio *)page));
	struct an_state *st = state_cur(false);
	if (!st)
		return;
	st->misplaced_to = node >= 0 && node < NL_MAX_NODES ? node + 1 : 0;
	/* No mm_migrate_pages_start on these kernels (an_migrate_start is off): the
	 * hinting migration's stall starts here, and on_migrate_end (its migrate_pages()
	 * ends inside this call) takes it. */
	if (!st->win_start) {
		st->win_start = bpf_ktime_get_ns();
		st->win_reason = bpf_core_enum_value(enum migrate_reason, MR_NUMA_MISPLACED);
		st->win_from = 0;
		st->win_to = 0;
	}
}

static __always_inline void on_misplaced_return(int migrated)
{
	struct an_state *st = state_cur(false);

	if (!st)
		return;
	__u32 from = st->src_node, to = st->misplaced_to;
	st->misplaced_to = 0;
	st->win_start = 0; /* isolation failed: migrate_pages() never ran to end it */
	if (from_to_by_mapping || !migrated || !from || !to || from == to)
		return;
	struct nl_autonuma_sys *s = sys();
	if (s)
		s->migrated_offnode++;
	struct nl_autonuma_thread *t = thread_cur();
	if (t)
		count_migrated(t, from - 1, to - 1, 1);
}

/* Every migration's from -> to where the migration-pte tracepoints (6.0) are missing:
 * migrate_page_move_mapping(mapping, newpage, page, extra_count) moves the page's
 * mapping to its copy for every migrated page (anon pages through migrate_page(), file
 * pages through their migratepage op, both in 5.10's mm/migrate.c); after it succeeds
 * only the copy of the contents remains, so a 0 return is a moved page. A THP head
 * counts HPAGE_PMD_NR pages (x86 anon THPs are PMD-sized). Both pages are still held
 * by the caller at its return. */
SEC("fexit/migrate_page_move_mapping")
int BPF_PROG(an_fexit_move_mapping, struct address_space *mapping, struct page *newpage,
	     struct page *page, int extra_count, int ret)
{
	if (ret != 0)
		return 0;
	int from = folio_node((struct folio *)page), to = folio_node((struct folio *)newpage);
	if (from < 0 || to < 0 || from >= NL_MAX_NODES || to >= NL_MAX_NODES) {
		drop(NL_AN_DROP_NODE);
		return 0;
	}
	if (from == to)
		return 0;
	__u64 flags = nl_page_flags_read(page);
	__u64 pages = 1;
	if (flags & (1ULL << (bpf_core_enum_value(enum pageflags, PG_head) & 63)))
		pages = 1ULL << NL_PMD_ORDER;
	struct nl_autonuma_sys *s = sys();
	if (s)
		s->migrated_offnode += pages;
	struct nl_autonuma_thread *t = thread_cur();
	if (t)
		count_migrated(t, (__u32)from, (__u32)to, pages);
	return 0;
}

SEC("fentry/migrate_misplaced_page")
int BPF_PROG(an_fentry_misplaced, struct page *page, struct vm_area_struct *vma, int node)
{
	on_misplaced_entry(page, node);
	return 0;
}

SEC("fexit/migrate_misplaced_page")
int BPF_PROG(an_fexit_misplaced, struct page *page, struct vm_area_struct *vma, int node,
	     int ret)
{
	on_misplaced_return(ret);
	return 0;
}

SEC("kprobe/migrate_misplaced_page")
int BPF_KPROBE(an_kprobe_misplaced, struct page *page, void *vma, int node)
{
	on_misplaced_entry(page, node);
	return 0;
}

SEC("kretprobe/migrate_misplaced_page")
int BPF_KRETPROBE(an_kretprobe_misplaced, int ret)
{
	on_misplaced_return(ret);
	return 0;
}

/* ---- hinting faults: the fallback (task_struct fault buffers) ---- */

/* Samples task p's fault buffers and charges what was added since the last sample.
 * Called by the task itself (fault entry, exit) or by the iterator; `busy` keeps the
 * two from charging the same delta twice. */
static __always_inline void fb_sample(struct task_struct *p, bool create)
{
	unsigned long *nf = nl_task_numa_faults(p);
	__u32 tid = BPF_CORE_READ(p, pid);
	struct an_state *st;

	if (!nf && !create)
		return;
	st = state_of(tid, create && nf);
	if (!st) {
		if (!nf)
			return;
		st = state_of(tid, true);
		if (!st)
			return;
	}
	if (__sync_val_compare_and_swap(&st->busy, 0, 1) != 0)
		return;

	__u32 zero = 0;
	__u64 *buf = bpf_map_lookup_elem(&an_scratch, &zero);
	__u32 n = nr_node_ids;
	__s32 seq = nl_task_numa_scan_seq(p);
	__u64 migrated = nl_task_numa_pages_migrated(p);
	__u64 dmem[NL_DENSE_NODES] = {}, dcpu[NL_DENSE_NODES] = {};
	__u64 pages = 0, dmig = 0;
	bool reset = st->fb_seq != seq;

	if (!buf || n == 0 || n > NL_DENSE_NODES)
		goto out;
	if (nf) {
		__u32 sz = n * 4 * 2 * sizeof(__u64);

		if (sz > 4 * 2 * NL_DENSE_NODES * sizeof(__u64))
			goto out;
		if (bpf_probe_read_kernel(buf, sz, nf))
			goto out;
	}
	for (__u32 i = 0; i < NL_DENSE_NODES; i++) {
		if (i >= n)
			break;
		__u64 mem = 0, cpu = 0;

		if (nf) {
			/* task_faults_idx(s, nid, priv) = 2 * (s * nr_node_ids + nid) + priv,
			 * NUMA_MEMBUF = 2, NUMA_CPUBUF = 3 (kernel/sched/fair.c) */
			__u32 m = (2 * (2 * n + i)) & (4 * 2 * NL_DENSE_NODES - 2);
			__u32 c = (2 * (3 * n + i)) & (4 * 2 * NL_DENSE_NODES - 2);

			mem = buf[m] + buf[m + 1];
			cpu = buf[c] + buf[c + 1];
		}
		dmem[i] = (reset || mem < st->fb_mem[i]) ? mem : mem - st->fb_mem[i];
		dcpu[i] = (reset || cpu < st->fb_cpu[i]) ? cpu : cpu - st->fb_cpu[i];
		st->fb_mem[i] = mem;
		st->fb_cpu[i] = cpu;
		pages += dmem[i];
	}
	dmig = migrated >= st->fb_migrated ? migrated - st->fb_migrated : migrated;
	st->fb_migrated = migrated;
	st->fb_seq = seq;
	if (!st->fb_valid) {
		/* First sight of a task that existed before us: a baseline, not faults. */
		st->fb_valid = 1;
		goto out;
	}
	if (pages == 0 && dmig == 0)
		goto out;

	__u32 row = NL_DENSE_NODES;
	for (__u32 i = 0; i < NL_DENSE_NODES; i++)
		if (i < n && dcpu[i] && (row == NL_DENSE_NODES || dcpu[i] > dcpu[row & (NL_DENSE_NODES - 1)]))
			row = i;
	__u32 from = st->misplaced_from;
	st->misplaced_from = 0;

	struct nl_autonuma_sys *s = sys();
	struct nl_autonuma_thread *t = thread_of(tid, BPF_CORE_READ(p, tgid), p);
	if (s) {
		s->hint_pages += pages;
		s->hint_migrated_pages += dmig;
	}
	if (t) {
		t->hint_pages += pages;
		t->hint_migrated_pages += dmig;
	}
	if (row >= NL_DENSE_NODES) {
		if (pages)
			drop(NL_AN_DROP_NODE);
		goto out;
	}
	/* One fault per node with pages (exactly one when sampled at every fault). */
	for (__u32 i = 0; i < NL_DENSE_NODES; i++) {
		if (i >= n || !dmem[i] || skipped_hint(st))
			continue;
		__u32 col = i;
		/* The buffer has the node after migration; a numa_misplaced migration this
		 * thread did since the last sample moved the page from `from`. */
		/* from - 1 < n <= NL_DENSE_NODES here: node ids are below nr_node_ids */
		if (dmig && from && from - 1 != i)
			col = (from - 1) & (NL_DENSE_NODES - 1);
		if (s) {
			s->hint_faults++;
			if (col == row)
				s->hint_local++;
		}
		if (t) {
			t->hint_faults[row & (NL_DENSE_NODES - 1)][col & (NL_DENSE_NODES - 1)]++;
			if (col == row)
				t->hint_local++;
		}
	}
out:
	st->busy = 0;
}

SEC("tp_btf/page_fault_user")
int BPF_PROG(an_fb_fault, unsigned long address, struct pt_regs *regs, unsigned long error_code)
{
	fb_sample(nl_current_task(), false);
	return 0;
}

/* Run by user space at each interval, so a thread that stopped faulting is still
 * charged its last fault. Writes nothing. */
SEC("iter/task")
int an_fb_iter(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;

	if (task)
		fb_sample(task, false);
	return 0;
}

/* ---- page migrations (every path) ---- */

#if defined(__TARGET_ARCH_arm64)
/* arm64 migration entries (arch/arm64/include/asm/pgtable.h): the swap offset is stored
 * as it is, from bit 8 up to 6.9 and from bit 12 since 6.10 (compat.bpf.h,
 * nl_arm64_swp_offset_shift()); the offset of a migration entry is the pfn, with the
 * young/dirty bits above SWP_PFN_BITS = MAX_PHYSMEM_BITS - PAGE_SHIFT: 48 - 12 = 36
 * (6.1's 48-bit physical addresses) or 52 - 12 = 40 (6.12's 52-bit ones, LPA2); the
 * 36-bit mask drops them in both (4 KiB pages; pfns from 2^36 up are not decoded). */
static __always_inline __u64 swp_pte_pfn(__u64 val)
{
	return (val >> nl_arm64_swp_offset_shift()) & ((1ULL << 36) - 1);
}

/* A present pte's output address: bits 12-47 (bit 51 is DBM, 52-58 software and
 * execute-never bits). A block pmd's: bits 21-47. 4 KiB pages, 48-bit addresses. */
static __always_inline __u64 pte_pfn(__u64 val, bool pmd)
{
	__u64 mask = pmd ? 0x0000ffffffe00000ULL : 0x0000fffffffff000ULL;

	return (val & mask) >> 12;
}
#else
/* x86-64 migration entries (arch/x86/include/asm/pgtable_64.h): the swap offset is
 * stored inverted above bit SWP_OFFSET_FIRST_BIT (9) after SWP_TYPE_BITS (5) type bits,
 * __swp_offset(e) = ~e << 5 >> 14; the offset of a migration entry is the pfn, with
 * the young/dirty bits (6.1+) above SWP_PFN_BITS = MAX_PHYSMEM_BITS - PAGE_SHIFT, at
 * least 34 bits (46-bit physical addresses, 4-level paging), so the mask keeps pfns
 * below 64 TiB and drops those bits in both paging modes. */
static __always_inline __u64 swp_pte_pfn(__u64 val)
{
	return ((~val) << 5 >> 14) & ((1ULL << 34) - 1);
}

/* A present pte's pfn: bits 12-51. A huge pmd's: bits 21-51 (bit 12 is PAT there). */
static __always_inline __u64 pte_pfn(__u64 val, bool pmd)
{
	__u64 mask = pmd ? 0x000fffffffe00000ULL : 0x000ffffffffff000ULL;

	return (val & mask) >> 12;
}
#endif

static __always_inline void on_set_migration(unsigned long addr, __u64 val)
{
	struct pte_key k = { .addr = addr, .tid = (__u32)bpf_get_current_pid_tgid() };
	int node = pfn_node(swp_pte_pfn(val));

	if (node < 0) {
		drop(NL_AN_DROP_NODE);
		return;
	}
	__u32 v = node;
	bpf_map_update_elem(&an_ptes, &k, &v, BPF_ANY);
	struct an_state *st = state_cur(false);
	if (st && st->win_start && !st->win_from)
		st->win_from = node + 1;
}

static __always_inline void on_remove_migration(unsigned long addr, __u64 val, bool pmd, int order)
{
	struct pte_key k = { .addr = addr, .tid = (__u32)bpf_get_current_pid_tgid() };
	__u32 *from = bpf_map_lookup_elem(&an_ptes, &k);

	if (!from) {
		drop(NL_AN_DROP_PTE);
		return;
	}
	__u32 f = *from;
	bpf_map_delete_elem(&an_ptes, &k);
	__u64 pfn = pte_pfn(val, pmd);
	int to = pfn_node(pfn);
	if (to < 0 || f >= NL_MAX_NODES) {
		drop(NL_AN_DROP_NODE);
		return;
	}
	/* Same node: a failed migration restoring the old page, a THP split, or a move
	 * within the node (compaction). Only cross-node moves enter the matrix. */
	if ((__u32)to == f)
		return;
	__u64 pages = 1ULL << (order & 0xf);
	struct an_state *st = state_cur(false);
	if (st && st->win_start) {
		struct moved_key mk = { .pfn = pfn, .tid = k.tid };
		__u64 *seen = bpf_map_lookup_elem(&an_moved, &mk);

		if (seen && *seen == st->win_start)
			return; /* another mapping of a page already counted */
		bpf_map_update_elem(&an_moved, &mk, &st->win_start, BPF_ANY);
	}
	if (st && st->win_start && !st->win_to)
		st->win_to = to + 1;
	struct nl_autonuma_sys *s = sys();
	if (s)
		s->migrated_offnode += pages;
	struct nl_autonuma_thread *t = thread_cur();
	if (t)
		count_migrated(t, f, (__u32)to, pages);
}

SEC("tp_btf/set_migration_pte")
int BPF_PROG(an_set_pte, unsigned long addr, unsigned long pte, int order)
{
	on_set_migration(addr, pte);
	return 0;
}

SEC("tp_btf/remove_migration_pte")
int BPF_PROG(an_remove_pte, unsigned long addr, unsigned long pte, int order)
{
	on_remove_migration(addr, pte, false, order);
	return 0;
}

SEC("tp_btf/set_migration_pmd")
int BPF_PROG(an_set_pmd, unsigned long addr, unsigned long pmd)
{
	on_set_migration(addr, pmd);
	return 0;
}

SEC("tp_btf/remove_migration_pmd")
int BPF_PROG(an_remove_pmd, unsigned long addr, unsigned long pmd)
{
	on_remove_migration(addr, pmd, true, NL_PMD_ORDER);
	return 0;
}

SEC("tp_btf/mm_migrate_pages_start")
int BPF_PROG(an_migrate_start, enum migrate_mode mode, int reason)
{
	struct an_state *st = state_cur(true);

	if (!st)
		return 0;
	st->win_start = bpf_ktime_get_ns();
	st->win_reason = reason;
	st->win_from = 0;
	st->win_to = 0;
	return 0;
}

static __always_inline void on_migrate_end(unsigned long succeeded, unsigned long failed, int reason)
{
	struct an_state *st = state_cur(false);
	__u64 now = bpf_ktime_get_ns(), dt = 0;
	__u32 r = reason_slot(reason) & (NL_MIGRATE_REASONS - 1);
	__u32 nodes = st ? (st->win_from << 16) | (st->win_to & 0xffff) : 0;

	if (st && st->win_start) {
		dt = now - st->win_start;
		st->win_start = 0;
		if (reason == bpf_core_enum_value(enum migrate_reason, MR_NUMA_MISPLACED) &&
		    succeeded)
			st->misplaced_from = st->win_from;
	}
	struct nl_autonuma_sys *s = sys();
	if (s) {
		s->migrate_pages[r] += succeeded;
		s->migrate_fail[r] += failed;
	}
	struct nl_autonuma_thread *t = thread_cur();
	if (!t)
		return;
	t->migrate_pages[r] += succeeded;
	t->migrate_fail[r] += failed;
	t->migrate_calls[r]++;
	if (dt) {
		t->migrate_stall_ns[r] += dt;
		t->migrate_stall_hist[log2_bucket(dt) & (NL_HIST_BUCKETS - 1)]++;
	}
	emit(NL_EV_MIGRATE, nl_current_task(), r, nodes, succeeded, failed, dt);
}

/* 6.1: (succeeded, failed, thp_succeeded, thp_failed, thp_split, mode, reason) */
SEC("tp_btf/mm_migrate_pages")
int BPF_PROG(an_migrate_end7, unsigned long succeeded, unsigned long failed,
	     unsigned long thp_succeeded, unsigned long thp_failed, unsigned long thp_split,
	     enum migrate_mode mode, int reason)
{
	on_migrate_end(succeeded, failed, reason);
	return 0;
}

/* 6.3+: large_folio_split (6.18) / nr_split added before mode. */
SEC("tp_btf/mm_migrate_pages")
int BPF_PROG(an_migrate_end8, unsigned long succeeded, unsigned long failed,
	     unsigned long thp_succeeded, unsigned long thp_failed, unsigned long thp_split,
	     unsigned long split, enum migrate_mode mode, int reason)
{
	on_migrate_end(succeeded, failed, reason);
	return 0;
}

/* ---- NUMA task placement (kernel/sched/fair.c, kernel/sched/core.c) ---- */

SEC("tp_btf/sched_move_numa")
int BPF_PROG(an_move_numa, struct task_struct *p, int src_cpu, int dst_cpu)
{
	struct nl_autonuma_thread *t = thread_task(p);

	if (t) {
		__sync_fetch_and_add(&t->task_moves, 1);
		emit(NL_EV_NUMA_MOVE, p, src_cpu, dst_cpu, 0, 0, 0);
	}
	return 0;
}

SEC("tp_btf/sched_swap_numa")
int BPF_PROG(an_swap_numa, struct task_struct *src, int src_cpu, struct task_struct *dst, int dst_cpu)
{
	struct nl_autonuma_thread *t = thread_task(src);

	if (t) {
		__sync_fetch_and_add(&t->task_swaps, 1);
		emit(NL_EV_NUMA_SWAP, src, src_cpu, dst_cpu, 0, 0, 0);
	}
	if (dst) {
		t = thread_task(dst);
		if (t) {
			__sync_fetch_and_add(&t->task_swaps, 1);
			emit(NL_EV_NUMA_SWAP, dst, dst_cpu, src_cpu, 0, 0, 0);
		}
	}
	return 0;
}

SEC("tp_btf/sched_stick_numa")
int BPF_PROG(an_stick_numa, struct task_struct *src, int src_cpu, struct task_struct *dst, int dst_cpu)
{
	struct nl_autonuma_thread *t = thread_task(src);

	if (t) {
		__sync_fetch_and_add(&t->task_sticks, 1);
		emit(NL_EV_NUMA_STICK, src, src_cpu, dst_cpu, 0, 0, 0);
	}
	return 0;
}

/* ---- TLB shootdowns and their IPIs ---- */

SEC("tp_btf/tlb_flush")
int BPF_PROG(an_tlb_flush, int reason, unsigned long pages)
{
	__u32 r = (reason < 0 || reason >= NL_TLB_REASONS ? NL_TLB_REASONS - 1 : reason) &
		  (NL_TLB_REASONS - 1);

	/* A context switch's flush is not a shootdown and happens constantly: not kept. */
	if (r == 0)
		return 0;
	struct nl_autonuma_sys *s = sys();
	if (s)
		s->tlb[r]++;
	struct nl_autonuma_thread *t = thread_cur();
	if (t)
		t->tlb[r]++;
	if (r != NL_TLB_REMOTE_SEND_IPI)
		return 0;

	/* Fires in native_flush_tlb_multi before the IPIs go out. */
	struct an_state *st = state_cur(false);
	__u32 cause = st && (st->scan_start ||
			     (st->win_start && st->win_reason == NL_MR_NUMA_MISPLACED));
	__u32 cpu = bpf_get_smp_processor_id();
	bpf_map_update_elem(&an_ipi_cause, &cpu, &cause, BPF_ANY);
	if (cause && t)
		t->tlb_autonuma_sent++;
	if (t)
		emit(NL_EV_TLB_SEND, nl_current_task(), r, cause, pages, 0, 0);
	return 0;
}

static __always_inline void ipi_entry(void)
{
	__u32 zero = 0;
	struct ipi_state *ipi = bpf_map_lookup_elem(&an_ipi, &zero);

	if (ipi) {
		ipi->start = bpf_ktime_get_ns();
		ipi->autonuma = 0;
	}
}

static __always_inline void ipi_exit(void)
{
	__u32 zero = 0;
	struct ipi_state *ipi = bpf_map_lookup_elem(&an_ipi, &zero);

	if (!ipi || !ipi->start)
		return;
	__u64 dt = bpf_ktime_get_ns() - ipi->start;
	ipi->start = 0;
	struct nl_autonuma_sys *s = sys();
	if (s) {
		s->ipi_count++;
		s->ipi_ns += dt;
	}
	struct nl_autonuma_thread *t = thread_cur();
	if (!t)
		return;
	__sync_fetch_and_add(&t->ipi_count, 1);
	__sync_fetch_and_add(&t->ipi_ns, dt);
	if (ipi->autonuma)
		__sync_fetch_and_add(&t->ipi_autonuma_ns, dt);
	emit(NL_EV_IPI, nl_current_task(), ipi->autonuma, 0, 0, 0, dt);
}

SEC("tp_btf/call_function_entry")
int BPF_PROG(an_ipi_entry, int vector)
{
	ipi_entry();
	return 0;
}

SEC("tp_btf/call_function_exit")
int BPF_PROG(an_ipi_exit, int vector)
{
	ipi_exit();
	return 0;
}

SEC("tp_btf/call_function_single_entry")
int BPF_PROG(an_ipi1_entry, int vector)
{
	ipi_entry();
	return 0;
}

SEC("tp_btf/call_function_single_exit")
int BPF_PROG(an_ipi1_exit, int vector)
{
	ipi_exit();
	return 0;
}

/* ---- thread exit ---- */

/* The entry of task p, if it has one. */
static __always_inline struct nl_autonuma_thread *thread_entry(struct task_struct *p)
{
	struct nl_an_key key = { .tid = BPF_CORE_READ(p, pid),
				 .start_ns = BPF_CORE_READ(p, start_time) };

	return bpf_map_lookup_elem(&an_threads, &key);
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(an_exit, struct task_struct *p)
{
	__u32 tid = BPF_CORE_READ(p, pid);

	struct nl_autonuma_thread *t = thread_entry(p);
	if (t)
		t->exited = 1;
	if (!mode_fallback)
		bpf_map_delete_elem(&an_state, &tid);
	return 0;
}

/* an_exit's second chance: where tracepoint programs run preemptibly
 * (user/collect/prog_misses.h) the kernel skips an_exit for a task exiting on a CPU
 * where another task was preempted inside it. The task is freed after an RCU grace
 * period (delayed_put_task_struct() fires sched_process_free); its an_threads entry is
 * keyed by its start time too, and an_state's tid is not yet reused, so the same
 * entries are found here; after a normal exit they are already
 * marked or gone and this changes nothing. */
SEC("tp_btf/sched_process_free")
int BPF_PROG(an_free, struct task_struct *p)
{
	__u32 tid = BPF_CORE_READ(p, pid);

	struct nl_autonuma_thread *t = thread_entry(p);
	if (t && !t->exited)
		t->exited = 1;
	bpf_map_delete_elem(&an_state, &tid);
	return 0;
}

/* The fallback's last sample of an exiting thread, then its state goes. A program of
 * its own, loaded on the fallback path only: fb_sample's cmpxchg (BPF_ATOMIC, 5.12,
 * commit 5ffa25502b5a "bpf: Add instructions for atomic_[cmp]xchg") is refused by
 * older kernels in any program that contains it, reachable or not (the instruction
 * check in resolve_pseudo_ldimm64 runs before the verifier prunes dead code), and
 * an_exit runs on every path. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(an_fb_exit, struct task_struct *p)
{
	__u32 tid = BPF_CORE_READ(p, pid);

	fb_sample(p, false);
	bpf_map_delete_elem(&an_state, &tid);
	return 0;
}
