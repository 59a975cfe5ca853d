/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The one header shared by the BPF programs and user space: plain __u32/__u64 only,
 * no kernel types, so both sides agree on every layout. */
#ifndef NUMALENS_H
#define NUMALENS_H

#ifndef __VMLINUX_H__ /* BPF side gets __u32/__u64 from vmlinux.h */
#include <linux/types.h>
#endif

/* Node ids numalens handles: 0..63 (the kernel's MAX_NUMNODES is 64 on Debian's x86
 * and arm64 kernels; more is refused at start, never wrapped). */
#define NL_MAX_NODES 64
/* The BPF side's per-thread matrices are dense for node ids below NL_DENSE_NODES
 * (every 2- and 4-socket server and the SNC/NPS splits of today's parts); a count with
 * a higher node id goes to a hash of cells (struct nl_wide_key), so a thread's kernel
 * memory follows the nodes it uses, not the maximum. */
#define NL_DENSE_NODES 8

/* CPU -> node table and pfn -> node ranges live in .rodata, filled by user space
 * before load. 4096 CPUs is the x86 NR_CPUS of distribution kernels (Debian: 8192
 * possible is rare; more CPUs are refused at open, never misattributed). */
#define NL_MAX_CPUS 4096
/* Memory-block ranges after merging neighbours on the same node: one or two per node
 * on real machines (a hole below 4 GiB splits node 0). 256 leaves room for
 * memory-hotplug layouts that interleave nodes block by block. */
#define NL_MAX_PFN_RANGES 256
/* Processes followed at once besides the target (bpf/follow.bpf.h: its forked
 * children and theirs); one more is lost, counted in NL_LOST_FOLLOW. */
#define NL_MAX_FOLLOWED 8192

#define NL_TASK_COMM_LEN 16

/* Frames kept per sampled user stack (the stack map's value size). Matches the data
 * model's NL_MAX_FRAMES so nothing is cut between BPF and rendering. */
#define NL_STACK_DEPTH 32

/* Per-thread counters, cumulative since the thread was first seen (user space keeps
 * the previous snapshot and subtracts, so nothing is ever read-then-deleted while
 * BPF still writes it). Lives in task local storage; copied to the exited map when the
 * thread exits. Only the thread itself writes it (its own faults, its own page
 * allocations, its own switch-out, its own exit), so plain adds are race-free;
 * node_migrations is the exception (sched_migrate_task runs on the migrating CPU)
 * and uses an atomic add. */
struct nl_thread_stats {
	__u64 faults[NL_DENSE_NODES][NL_DENSE_NODES]; /* [cpu node][page node] */
	__u64 faults_total;       /* the thread's user faults (see bpf/access.bpf.c) */
	__u64 faults_unresolved;  /* faults whose page node is unknown (allocated none) */
	__u64 first_touch_pages[NL_DENSE_NODES]; /* base pages (1 << order) by page node */
	__u64 first_touch_allocs; /* allocations counted above; drives stack sampling */
	__u64 cpu_ns[NL_DENSE_NODES];
	__u64 node_migrations;    /* sched_migrate_task to a CPU on another node */
	/* Of faults_unresolved, those sent to user space to be resolved (mapped faults,
	 * bpf/mapped.bpf.h): user space takes them out and adds back what it could not
	 * resolve, so each fault is counted once, in one place. */
	__u64 faults_reported;
	__u32 tid;
	__u32 tgid;
	char comm[NL_TASK_COMM_LEN];
	/* task_struct.start_time (ns since boot): with the tid, which thread this is, since
	 * a tid is reused once its thread is gone (user/collect/threads.h). */
	__u64 start_ns;
	/* Bookkeeping of the fault paths, not counters; user space ignores it.
	 * Counter mode: the kernel's own count of the thread's finished faults
	 * (min_flt + maj_flt) at first sight and at the last charged fault. */
	__u64 flt_base;
	__u64 charged_flt;        /* ~0: none charged yet */
	__u64 charged;            /* faults charged to a page allocation */
	/* Tracepoint mode: a fault in progress, set at page_fault_user and consumed by
	 * the first page allocation inside it. */
	__u32 pending;
	__u32 pending_node;       /* node of the CPU the fault was taken on */
	__u32 migrating;          /* inside migrate_pages(): allocations are not first touch */
	__u32 pad;
	__u64 migrating_flt;      /* counter mode: the fault that migration is inside */
	/* Mapped faults (bpf/access.bpf.c, nl_fault_vma): the last user fault taken, so
	 * the next one can tell whether it allocated a page and, if not, report it. */
	__u64 last_addr;
	__u64 last_flt;           /* counter mode: min_flt + maj_flt when it was taken */
	/* A fault is recorded above and not yet judged; taken with a compare-and-swap
	 * (the thread and the judging iterator may both try), 64-bit because 32-bit
	 * cmpxchg needs -mcpu=v3. */
	__u64 last_armed;
	__u32 last_node;          /* node of the CPU it was taken on */
	__u32 pad2;
};

/* What the task iterator writes after each live thread's nl_thread_stats: the time
 * the thread has been on a CPU since its last switch-in (it has not been added to
 * cpu_ns yet), so a thread that never blocks still shows its CPU time. */
struct nl_thread_inflight {
	__u64 oncpu_ns;
	__u32 node;      /* node of that CPU; NL_MAX_NODES when not running */
	__u32 pad;
};

/* A count whose node id is NL_DENSE_NODES or more: a cell of a BPF hash (value: __u64,
 * cumulative since the thread was first seen, like the dense matrices), one hash per
 * BPF object. User space reads the cells with the dense counts and deletes a thread's
 * cells once it has reported the thread's exit. */
enum nl_wide_kind {
	NL_WIDE_FAULTS = 1,  /* nl_thread_stats.faults[cpu][mem] */
	NL_WIDE_FIRST_TOUCH, /* nl_thread_stats.first_touch_pages[mem] (cpu 0) */
	NL_WIDE_CPU_NS,      /* nl_thread_stats.cpu_ns[cpu] (mem 0) */
	NL_WIDE_HINT_FAULTS, /* nl_autonuma_thread.hint_faults[cpu][mem] */
	NL_WIDE_MIGRATED,    /* nl_autonuma_thread.migrated[from = cpu][to = mem] */
};

struct nl_wide_key {
	__u64 start_ns; /* the thread: its tid and start time (as struct nl_an_key) */
	__u32 tid;
	__u32 tgid;     /* for a thread user space no longer tracks: its process */
	__u8 kind;      /* enum nl_wide_kind */
	__u8 cpu;       /* node ids */
	__u8 mem;
	__u8 pad[5];
};

/* The record the task iterator emits per live thread. */
struct nl_thread_record {
	struct nl_thread_stats s;
	struct nl_thread_inflight inflight;
};

/* One CPU's current task and when it went on (sched_switch), for in-flight time. */
struct nl_oncpu {
	__u64 since_ns;
	__u32 tid;
	__u32 pad;
};

/* Key of the first-touch stack counts: which thread, which stack (stack map id). */
struct nl_stack_key {
	__u32 tid;
	__u32 stackid;
};

/* Value of the first-touch stack counts. pages_est is the sampled allocations' pages
 * weighted by their sampling period (1 for the first stack_first_n allocations of a
 * thread, then stack_every, then stack_every_late: bpf/access.bpf.c), an estimate of
 * the pages that stack first-touched. */
struct nl_stack_count {
	__u64 pages_est;
	__u64 samples;
};

/* DWARF-mode first-touch stacks (--call-graph dwarf): what BPF copies at a sampled
 * first touch, for user space to unwind with the binaries' call-frame information
 * (collect/unwind.c), as `perf record --call-graph dwarf` does. The user registers
 * in DWARF numbering (x86-64: rax rdx rcx rbx rsi rdi rbp rsp r8..r15 rip) and the
 * user stack from the stack pointer up: the rest of the stack pointer's page and up to
 * NL_UNWIND_PAGES more whole pages. The read cannot fault pages in (it runs inside the
 * page fault), so it goes page by page: a page never touched (a big local buffer not
 * yet written) or past the stack's end fails alone and is a hole, zeroed, its bit clear
 * in page_mask (bit 0: sp's page, bit i: the i-th whole page after it); the frames
 * above it still unwind. Sent through a ring buffer with stack_len bytes of stack. */
#define NL_UNWIND_REGS 17
#define NL_UNWIND_REG_SP 7
#define NL_UNWIND_REG_IP 16
/* 24-28 KiB: main() of the test workloads alone keeps 16 KiB of buffers; perf's default
 * is 8 KiB. One page less than the 32 KiB a per-CPU map value may hold. */
#define NL_UNWIND_PAGES 6
#define NL_UNWIND_STACK_MAX (4096 * (NL_UNWIND_PAGES + 1))

struct nl_stack_sample {
	__u32 tid;
	__u32 tgid;
	__u64 pages_est;   /* the sample's pages times its sampling period */
	__u64 exe_ino;     /* inode of the process's executable: which image the stack is
			    * of, so a sample read after an exec is not unwound with the new
			    * image's binaries (0: unknown) */
	__u32 stack_len;   /* bytes of stack[] sent: up to the end of the last page read */
	__u32 page_mask;   /* which pages of stack[] were read (see above) */
	__u64 regs[NL_UNWIND_REGS];
	__u8 stack[NL_UNWIND_STACK_MAX];
};

/* Which stacks BPF takes (rodata stack_mode). */
enum nl_stack_mode {
	NL_STACK_FP = 0,   /* bpf_get_stackid: frame pointers, aggregated in the kernel */
	NL_STACK_DWARF,    /* registers + stack copy to user space (struct nl_stack_sample) */
};

struct nl_pfn_range {
	__u64 start;  /* first pfn */
	__u64 end;    /* one past the last pfn */
	__u32 node;
	__u32 pad;
};

/* Counters of what BPF could not record (per-CPU array indexes). */
enum nl_drop {
	NL_LOST_STORAGE = 0, /* task storage could not be created: a thread's events lost */
	NL_LOST_EXITED,      /* exited thread's counts had nowhere to go */
	NL_LOST_NODE,        /* a CPU on a node id >= NL_MAX_NODES */
	NL_DROP_STACK,       /* a sampled stack not stored (stack map or count map full) */
	NL_DROP_PAGE_NODE,   /* a fault's page on a node >= NL_MAX_NODES, offline, or not in
			      * any pfn range: counted unresolved, never misattributed */
	NL_LOST_FOLLOW,      /* a forked child not followed: the followed set was full */
	NL_DROP_STACK_RING,  /* a DWARF stack sample the ring buffer had no room for */
	NL_DROP_STACK_READ,  /* a DWARF stack sample whose user stack could not be read */
	NL_DROP_MAPPED_RING, /* a fault that allocated no page in a file, shared or hugetlb
			      * mapping not reported: the ring buffer was full (it stays
			      * unresolved, counted on the mapped_faults source) */
	NL_DROP_MAPPED_VMA,  /* such a fault whose mapping was gone (or locked) when the next
			      * fault looked it up: unresolved, counted there too */
	NL_DROP_WIDE,        /* a count with a node id >= NL_DENSE_NODES the wide-cell hash
			      * (bpf/wide.bpf.h) had no room for: a fault stays unresolved,
			      * a CPU slice or first-touch count is lost */
	NL_DROP_MAX,
};


/* What kind of mapping a fault that allocated no page was in (bpf/access.bpf.c,
 * classify_vma()). Private anonymous memory is never reported: a fault there that
 * allocates nothing is a zero-page read, a protection or an AutoNUMA hinting fault. */
enum nl_vma_kind {
	NL_VMA_FILE = 1,          /* file-backed (page cache) or shared memory: maps a page
				   * that exists already */
	NL_VMA_HUGETLB_PRIVATE,   /* private hugetlb: takes a fresh page from the pool */
	NL_VMA_HUGETLB_SHARED,    /* shared hugetlb: maps the file's (or segment's) page */
	NL_VMA_UNKNOWN,           /* the mmap lock could not be taken in BPF: user space
				   * tells the kind from /proc/PID/smaps */
};

/* One fault that allocated no page, for user space to resolve with move_pages(2). */
struct nl_mapped_event {
	__u64 addr;
	__u32 tid;
	__u32 tgid;
	__u32 cpu_node;
	__u16 kind;               /* enum nl_vma_kind */
	__u16 order;              /* hugetlb: the page order (9 = 2 MiB); else 0 */
};


/* ---- AutoNUMA (bpf/autonuma.bpf.c, user/autonuma.c) ---- */

/* enum migrate_reason has 9 (6.1) or 10 (6.18) values; bigger indexes are clamped
 * into the last slot, which user space names "other". A power of two so BPF can mask
 * the index (the verifier loses the clamp otherwise). */
#define NL_MIGRATE_REASONS 16
/* enum tlb_flush_reason: 5 values in 6.1 and 6.18. */
#define NL_TLB_REASONS 8
/* log2(ns) buckets: bucket b counts stalls in [2^b, 2^(b+1)) ns; the last bucket
 * takes everything from 2^31 ns (2.1 s) up. */
#define NL_HIST_BUCKETS 32

/* The key of a thread's AutoNUMA counters: the tid and the task's start time
 * (task_struct.start_time, ns since boot). A tid is reused as soon as its thread is
 * gone, possibly before user space read the exited entry; with the start time the new
 * thread gets an entry of its own instead of adding to the dead one's. */
struct nl_an_key {
	__u32 tid;
	__u32 pad;
	__u64 start_ns;
};

/* Per-thread AutoNUMA counters, cumulative since the thread was first seen; user
 * space subtracts the previous snapshot. Keyed by struct nl_an_key in a bounded hash; an entry
 * the map cannot take is counted in NL_AN_DROP_THREAD. Most fields are written by the
 * thread itself; those another CPU can write (task swaps, IPIs received) use atomic
 * adds. Page counts are base pages (a THP is 512). */
struct nl_autonuma_thread {
	__u64 hint_faults[NL_DENSE_NODES][NL_DENSE_NODES]; /* [cpu node][page node at the fault] */
	__u64 hint_pages;          /* pages those faults covered (THP = 512) */
	__u64 hint_local;          /* faults the kernel itself called local */
	__u64 hint_migrated_pages; /* pages the hinting faults migrated (kernel's own count) */
	__u64 hint_migrate_fail;   /* pages a hinting fault failed to migrate (fentry/kprobe) */
	__u64 migrated[NL_DENSE_NODES][NL_DENSE_NODES]; /* [from][to], resolved per page */
	__u64 migrate_pages[NL_MIGRATE_REASONS];    /* succeeded, by reason */
	__u64 migrate_fail[NL_MIGRATE_REASONS];
	__u64 migrate_calls[NL_MIGRATE_REASONS];    /* migrate_pages() calls */
	__u64 migrate_stall_ns[NL_MIGRATE_REASONS]; /* time inside migrate_pages() */
	__u64 migrate_stall_hist[NL_HIST_BUCKETS];  /* all reasons, log2(ns) per call */
	__u64 task_moves;          /* sched_move_numa: moved to its preferred node */
	__u64 task_swaps;          /* sched_swap_numa, either side */
	__u64 task_sticks;         /* sched_stick_numa: a NUMA move that did not happen */
	__u64 tlb[NL_TLB_REASONS]; /* tlb_flush events in this thread's context, by reason */
	__u64 tlb_autonuma_sent;   /* shootdown IPIs sent while scanning/migrating for AutoNUMA */
	__u64 tlb_autonuma_recv;   /* shootdowns received from such a sender (fentry/kprobe) */
	__u64 ipi_count;           /* call-function IPIs handled while this thread was current */
	__u64 ipi_ns;
	__u64 ipi_autonuma_ns;     /* of which an AutoNUMA shootdown was part (fentry/kprobe) */
	__u64 scan_count;          /* task_numa_work runs (fentry/kprobe) */
	__u64 scan_ns;
	__u32 tid;
	__u32 tgid;
	__u32 exited;              /* set at exit; user space deletes the entry after reading */
	__u32 pad;
	__u64 start_ns;            /* the key's start time, for user space */
};

/* System-wide totals (every task, before the target filter), per CPU, for the
 * cross-check against /proc/vmstat. */
struct nl_autonuma_sys {
	__u64 hint_faults;         /* vmstat numa_hint_faults */
	__u64 hint_local;          /* vmstat numa_hint_faults_local */
	__u64 hint_pages;
	__u64 hint_migrated_pages; /* vmstat numa_pages_migrated (task_numa_fault's view) */
	__u64 migrate_pages[NL_MIGRATE_REASONS]; /* [MR_NUMA_MISPLACED] = numa_pages_migrated */
	__u64 migrate_fail[NL_MIGRATE_REASONS];
	__u64 migrated_offnode;    /* pages resolved to a [from][to] with from != to */
	__u64 tlb[NL_TLB_REASONS];
	__u64 ipi_count;
	__u64 ipi_ns;
	__u64 scan_count;
	__u64 scan_ns;
};

/* What the AutoNUMA programs could not record (per-CPU array indexes). */
enum nl_an_drop {
	NL_AN_DROP_THREAD = 0, /* per-thread hash full: that event counted only system-wide */
	NL_AN_DROP_STATE,      /* per-task state (LRU) evicted or not created */
	NL_AN_DROP_PTE,        /* migration pte without its pair (from/to node unknown) */
	NL_AN_DROP_NODE,       /* a node id >= NL_MAX_NODES or a pfn outside every range */
	NL_AN_DROP_EVENT,      /* an event record the ring buffer had no room for */
	NL_AN_DROP_WIDE,       /* a hinting fault or migrated page with a node id >=
				* NL_DENSE_NODES the wide-cell hash had no room for */
	NL_AN_DROP_MAX,
};


/* ---- per-event records (bpf/autonuma.bpf.c -> ring buffer -> `record`) ----
 * Only `numalens record` turns them on (const volatile emit_events): the live view
 * needs the counters alone. A reserve that fails is counted in NL_AN_DROP_EVENT. */
enum nl_event_type {
	NL_EV_MIGRATE = 1,  /* one migrate_pages() call: a = reason, v0 = pages migrated,
			     * v1 = pages failed, v2 = stall ns (time inside the call),
			     * b = (from node + 1) << 16 | (to node + 1) of its first page moved
			     * across nodes (0 = unknown: no cross-node page, or no pfn ranges) */
	NL_EV_NUMA_MOVE,    /* sched_move_numa: a = from CPU, b = to CPU (user space has
			     * the CPU -> node table) */
	NL_EV_NUMA_SWAP,    /* sched_swap_numa, once per thread swapped: a = its CPU,
			     * b = the CPU it is swapped to */
	NL_EV_NUMA_STICK,   /* sched_stick_numa: a = src CPU, b = dst CPU */
	NL_EV_NUMA_SCAN,    /* a task_numa_work run: v2 = ns (fentry/kprobe paths only) */
	NL_EV_TLB_SEND,     /* this thread sent TLB shootdown IPIs (tlb_flush remote_send_ipi):
			     * a = reason slot, b = 1 when AutoNUMA's scanner or a NUMA
			     * migration caused it, v0 = pages (TLB_FLUSH_ALL = ~0) */
	NL_EV_IPI,          /* a call-function IPI (TLB shootdowns among them) handled while
			     * this thread was current: v2 = ns in the handler, a = 1 when it
			     * included an AutoNUMA shootdown (fentry/kprobe paths) */
	NL_EV_MAX,
};

struct nl_event {
	__u64 ts_ns;        /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u32 type;         /* enum nl_event_type */
	__u32 tid;
	__u32 tgid;
	__u32 cpu;
	__u32 a;
	__u32 b;
	__u64 v0;
	__u64 v1;
	__u64 v2;
};

/* ---- requests (bpf/request.bpf.c, user/collect/request.c) ----
 * A request is one call of --request BIN:FUNC on one thread (uprobe to uretprobe), or
 * the span between --usdt START and END probes. While a thread is inside one, every
 * nanosecond of it is charged to exactly one cause, the innermost that applies (an
 * IPI inside a migration inside a hinting fault is tlb_ipi), so the causes are a
 * partition: they sum to the latency. */
enum nl_rq_cause {
	NL_RQ_ON_CPU = 0,    /* running, and none of the kernel work named below */
	NL_RQ_HINT_FAULT,    /* NUMA hinting fault handling, migration excluded */
	NL_RQ_MIGRATE_STALL, /* inside migrate_pages(), any reason (split kept per reason) */
	NL_RQ_TLB_IPI,       /* call-function IPIs (TLB shootdowns) handled while it ran */
	NL_RQ_NUMA_MOVE,     /* from a NUMA task move or swap of it until it ran again */
	NL_RQ_RUNQ_WAIT,     /* runnable but not running */
	NL_RQ_OFF_CPU,       /* blocked or sleeping */
	NL_RQ_RECLAIM,       /* direct reclaim and compaction */
	NL_RQ_NUMA_SCAN,     /* AutoNUMA's scanner (task_numa_work) run by the thread itself
			      * on its way back to user space: it marks the PTEs that the
			      * hinting faults then take */
	NL_RQ_CAUSES,
};
/* causes_ns is this long, a power of two, so BPF can mask the index. */
#define NL_RQ_CAUSE_SLOTS 16

enum nl_rq_flag {
	NL_RQ_F_EXITED = 1,  /* the thread exited inside it: latency runs to the exit */
	NL_RQ_F_NO_FAULT = 2,/* hint_fault not measured (no fentry/kprobe): in on_cpu */
};

/* One finished request (ring buffer -> user space -> REQUESTS trace records). */
struct nl_request {
	__u64 start_ns;      /* bpf_ktime_get_ns() at entry: CLOCK_MONOTONIC */
	__u64 latency_ns;
	__u64 causes_ns[NL_RQ_CAUSE_SLOTS]; /* the first NL_RQ_CAUSES used */
	__u64 migrate_stall_by_reason[NL_MIGRATE_REASONS]; /* of causes_ns[MIGRATE_STALL] */
	__u32 tid;
	__u32 tgid;
	__u32 hint_faults;    /* hinting faults the thread took inside it */
	__u32 migrate_calls;  /* migrate_pages() calls */
	__u32 migrated_pages; /* pages those calls moved */
	__u32 numa_moves;     /* NUMA task moves and swaps of the thread */
	__u32 ipis;           /* call-function IPIs handled while it ran */
	__u32 reclaims;       /* direct reclaim and compaction runs */
	__u32 cpu_start;      /* CPU at entry and at return */
	__u32 cpu_end;
	__u32 flags;          /* enum nl_rq_flag */
	__u32 depth_max;      /* deepest nesting of FUNC seen inside it (1 = none) */
};

/* What BPF writes to the ring buffer per finished request: struct nl_request without
 * its unused cause slots, followed by the migrate stall per reason (NL_MIGRATE_REASONS
 * __u64) only when the request called migrate_pages(). 136 bytes for most requests,
 * against 320: the ring's copy was half the return program's time. */
struct nl_request_wire {
	__u64 start_ns;
	__u64 latency_ns;
	__u64 causes_ns[NL_RQ_CAUSES];
	__u32 tid;
	__u32 tgid;
	__u32 hint_faults;
	__u32 migrate_calls;
	__u32 migrated_pages;
	__u32 numa_moves;
	__u32 ipis;
	__u32 reclaims;
	__u32 cpu_start;
	__u32 cpu_end;
	__u32 flags;
	__u32 depth_max;
};

/* What the request programs could not record (per-CPU array indexes). */
enum nl_rq_drop {
	NL_RQ_DROP_THREAD = 0, /* in-flight table full: that request not measured */
	NL_RQ_DROP_EVENT,      /* a finished request the ring buffer had no room for
				* (still in the histogram) */
	NL_RQ_DROP_DEPTH,      /* a return without its entry (uretprobe lost, longjmp) */
	NL_RQ_DROP_MAX,
};

/* Log-linear (HDR-style) latency histogram: a bucket per ns below 16 ns, then each
 * power of two split into 8 buckets 12.5 % wide up to 2^40 ns (18 minutes); the last
 * bucket takes everything above. */
#define NL_RQ_HIST_SUB_BITS 3
#define NL_RQ_HIST_MAX_LOG2 40
#define NL_RQ_HIST_BUCKETS (16 + (NL_RQ_HIST_MAX_LOG2 - 4) * 8 + 1)
/* BPF's array of buckets is this long, a power of two, so the index can be masked:
 * a range check alone is lost on 6.1's verifier when the compiler checks one copy of
 * the index and uses another. */
#define NL_RQ_HIST_SLOTS 512

static inline __u32 nl_rq_hist_bucket(__u64 v)
{
	__u64 x = v;
	__u32 e = 0;

	if (v < 16)
		return (__u32)v;
	/* floor(log2 v) in six steps: BPF has no count-leading-zeros. */
	if (x >> 32) { x >>= 32; e += 32; }
	if (x >> 16) { x >>= 16; e += 16; }
	if (x >> 8) { x >>= 8; e += 8; }
	if (x >> 4) { x >>= 4; e += 4; }
	if (x >> 2) { x >>= 2; e += 2; }
	if (x >> 1) e += 1;
	if (e >= NL_RQ_HIST_MAX_LOG2)
		return NL_RQ_HIST_BUCKETS - 1;
	return 16 + (e - 4) * 8 + (__u32)((v >> (e - NL_RQ_HIST_SUB_BITS)) & 7);
}

/* The smallest value of bucket b (user space: the inverse of the above). */
static inline __u64 nl_rq_hist_lower(__u32 b)
{
	if (b < 16)
		return b;
	if (b >= NL_RQ_HIST_BUCKETS - 1)
		return (__u64)1 << NL_RQ_HIST_MAX_LOG2;
	__u32 e = 4 + (b - 16) / 8;
	return (__u64)(8 + (b - 16) % 8) << (e - NL_RQ_HIST_SUB_BITS);
}

#endif /* NUMALENS_H */
