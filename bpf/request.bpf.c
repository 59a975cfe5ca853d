// SPDX-License-Identifier: GPL-2.0
/* Per-request attribution (`--request BIN:FUNC`, `--usdt BIN:PROVIDER:START[:END]`).
 *
 * While a thread is inside a request, it has an entry in rq_inflight and a "clock":
 * the cause its time is charged to now (cat) and when that started (last_ns). Every
 * hook below that changes what the thread is doing first charges the time since
 * last_ns to the current cause, then switches cause. So each nanosecond of the
 * request lands in exactly one cause and the causes sum to the latency.
 *
 *   uprobe/uretprobe FUNC, or usdt START/END      request boundaries (nesting counted)
 *   or tp_btf/sys_exit of BEGIN, sys_enter of END  (--syscalls: from a receive's return
 *                                                  to the next send; no nesting)
 *   tp_btf/sched_switch(preempt, prev, next)       off the CPU: runq_wait (preempted or
 *                                                  yielded), off_cpu (blocked),
 *                                                  numa_move (after a NUMA move/swap);
 *                                                  on again: the on-CPU cause
 *   tp_btf/sched_wakeup(p)                         off_cpu -> runq_wait
 *   tp_btf/sched_move_numa, sched_swap_numa        numa_move until it runs again
 *   tp_btf/mm_migrate_pages_start/mm_migrate_pages migrate_stall (by reason)
 *   tp_btf/call_function[_single]_entry/exit       tlb_ipi (x86 call-function IPIs)
 *   tp_btf/mm_vmscan_direct_reclaim_begin/end,
 *   tp_btf/mm_compaction_begin/end                 reclaim
 *   fentry/fexit handle_mm_fault + fentry task_numa_fault, or the kprobe pair: a
 *                                                  fault's time is hint_fault when
 *                                                  task_numa_fault ran inside it, else
 *                                                  on_cpu (no fault hooks: on_cpu, and
 *                                                  the request says NL_RQ_F_NO_FAULT)
 *   fentry/fexit task_numa_work, or the kprobe pair  numa_scan (with the fault pair)
 *   tp_btf/sched_process_exit                      a request cut by its thread's exit
 *
 * On-CPU causes nest, innermost first: tlb_ipi > migrate_stall > reclaim > numa_scan >
 * fault. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/usdt.bpf.h>
#include "numalens.h"
#include "compat.bpf.h"
#include "follow.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Settings, written by user space before load. */
const volatile __u64 target_cgroup = 0; /* cgroup v2 id; 0 = every cgroup */
const volatile __u32 usdt_start_only = 0; /* --usdt without END: START ends the last */
const volatile __u32 have_fault_hooks = 0;
const volatile __s32 sys_begin_nr = -1;   /* --syscalls: a request begins when this returns > 0 */
const volatile __s32 sys_end_nr = -1;     /* and ends when the thread enters this one */

/* A fault in progress whose kind is not known yet: the pseudo-cause its time gathers
 * in until the fault returns (then hint_fault or on_cpu). */
#define CAT_FAULT NL_RQ_CAUSES

/* A thread's entry stays after its request (active = 0) and is reused by its next
 * one: an insert and a delete per request cost more than the rest of the boundary
 * programs together. The entry goes with the thread (sched_process_exit), so a reused
 * tid starts clean. */
struct rq_thread {
	struct nl_request r;   /* the request being measured */
	__u32 active;          /* a request is in flight */
	__u32 pad0;
	__u64 last_ns;         /* charged up to here */
	__u64 fault_ns;        /* time of the fault in progress, kind not decided yet */
	__u32 cat;             /* enum nl_rq_cause or CAT_FAULT: charged now */
	__u32 depth;           /* nested calls of FUNC */
	__u32 in_fault;
	__u32 fault_hint;      /* task_numa_fault ran inside the fault in progress */
	__u32 in_migrate;
	__u32 migrate_slot;    /* reason of the migrate_pages() call in progress */
	__u32 in_reclaim;      /* reclaim and compaction nest */
	__u32 in_ipi;
	__u32 moving;          /* NUMA-moved, not yet running again */
	__u32 in_scan;         /* inside task_numa_work */
	__u32 fault_from_tp;   /* the open fault began at page_fault_user, before
				* handle_mm_fault */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096); /* user space sizes it (threads with a request in flight) */
	__type(key, __u32);
	__type(value, struct rq_thread);
} rq_inflight SEC(".maps");

struct rq_hist {
	__u64 b[NL_RQ_HIST_SLOTS]; /* the first NL_RQ_HIST_BUCKETS used */
	__u64 finished;  /* requests that returned */
	__u64 exited;    /* requests cut by the thread's exit (not in b) */
	__u64 latency_ns;/* the latencies of b summed: a Prometheus histogram's _sum, exact
			  * even when the ring buffer drops a finished request's record */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rq_hist);
} rq_hist SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NL_RQ_DROP_MAX);
	__type(key, __u32);
	__type(value, __u64);
} rq_drops SEC(".maps");

/* Finished requests (struct nl_request); user space sizes it and reads it on a timer. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rq_events SEC(".maps");

/* Zeroed template for new entries (too big for the BPF stack with everything else):
 * a map nothing writes, not a const global, so user space needs no copy of the type. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rq_thread);
} rq_zero SEC(".maps");

static __always_inline void drop(__u32 what)
{
	__u64 *d = bpf_map_lookup_elem(&rq_drops, &what);

	if (d)
		(*d)++;
}

static __always_inline bool wanted_current(void)
{
	if (target_tgid && !tgid_followed(bpf_get_current_pid_tgid() >> 32))
		return false;
	return !target_cgroup || bpf_get_current_cgroup_id() == target_cgroup;
}

/* The thread's entry, whether or not a request is in flight. */
static __always_inline struct rq_thread *entry_of(__u32 tid)
{
	if (!tid)
		return NULL;
	return bpf_map_lookup_elem(&rq_inflight, &tid);
}

/* The thread's entry while a request is in flight, else NULL. */
static __always_inline struct rq_thread *inflight(__u32 tid)
{
	struct rq_thread *t = entry_of(tid);

	return t && t->active ? t : NULL;
}

static __always_inline struct rq_thread *inflight_cur(void)
{
	return inflight((__u32)bpf_get_current_pid_tgid());
}

/* The cause a running thread's time goes to now. */
static __always_inline __u32 oncpu_cat(const struct rq_thread *t)
{
	if (t->in_ipi)
		return NL_RQ_TLB_IPI;
	if (t->in_migrate)
		return NL_RQ_MIGRATE_STALL;
	if (t->in_reclaim)
		return NL_RQ_RECLAIM;
	if (t->in_scan)
		return NL_RQ_NUMA_SCAN;
	if (t->in_fault)
		return CAT_FAULT;
	return NL_RQ_ON_CPU;
}

/* Charges the time since last_ns to the current cause. Another CPU can charge a
 * thread that is off its CPU (wakeup, swap), never one that runs, so two charges of
 * one thread do not overlap in practice; a clock read behind last_ns charges 0. */
static __always_inline void charge(struct rq_thread *t, __u64 now)
{
	__u64 d = now > t->last_ns ? now - t->last_ns : 0;
	__u32 cat = t->cat;

	t->last_ns = now;
	if (cat == CAT_FAULT) {
		t->fault_ns += d;
		return;
	}
	t->r.causes_ns[cat & (NL_RQ_CAUSE_SLOTS - 1)] += d;
	if (cat == NL_RQ_MIGRATE_STALL)
		t->r.migrate_stall_by_reason[t->migrate_slot & (NL_MIGRATE_REASONS - 1)] += d;
}

/* Charges, then moves to the on-CPU cause its flags give. */
static __always_inline void recat(struct rq_thread *t)
{
	charge(t, bpf_ktime_get_ns());
	t->cat = oncpu_cat(t);
}

/* ---- request boundaries ---- */

/* nest: another begin inside a request is a nested call (uprobe, USDT); else it is
 * ignored (--syscalls: a second receive before the reply belongs to the same request). */
static __always_inline void request_begin(bool nest)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct rq_thread *t;

	if (!wanted_current())
		return;
	t = entry_of(tid);
	if (t && t->active) { /* nested or recursive call: the outermost is the request */
		if (!nest)
			return;
		t->depth++;
		if (t->depth > t->r.depth_max)
			t->r.depth_max = t->depth;
		return;
	}
	if (!t) { /* the thread's first request */
		__u32 zero = 0;
		struct rq_thread *tmpl = bpf_map_lookup_elem(&rq_zero, &zero);
		if (!tmpl)
			return;
		bpf_map_update_elem(&rq_inflight, &tid, tmpl, BPF_NOEXIST);
		t = entry_of(tid);
		if (!t) {
			drop(NL_RQ_DROP_THREAD);
			return;
		}
	}
	__u64 now = bpf_ktime_get_ns();
	__builtin_memset(t, 0, sizeof(*t));
	t->r.start_ns = now;
	t->r.tid = tid;
	t->r.tgid = id >> 32;
	t->r.cpu_start = bpf_get_smp_processor_id();
	t->r.depth_max = 1;
	t->r.flags = have_fault_hooks ? 0 : NL_RQ_F_NO_FAULT;
	t->last_ns = now;
	t->depth = 1;
	t->cat = NL_RQ_ON_CPU;
	t->active = 1;
}

static __always_inline void hist_add(__u64 latency, bool exited)
{
	__u32 zero = 0;
	struct rq_hist *h = bpf_map_lookup_elem(&rq_hist, &zero);

	if (!h)
		return;
	if (exited) {
		h->exited++;
		return;
	}
	h->b[nl_rq_hist_bucket(latency) & (NL_RQ_HIST_SLOTS - 1)]++;
	h->finished++;
	h->latency_ns += latency;
}

static __always_inline void wire_fill(struct nl_request_wire *w, const struct nl_request *r)
{
	w->start_ns = r->start_ns;
	w->latency_ns = r->latency_ns;
	for (int c = 0; c < NL_RQ_CAUSES; c++)
		w->causes_ns[c] = r->causes_ns[c];
	w->tid = r->tid;
	w->tgid = r->tgid;
	w->hint_faults = r->hint_faults;
	w->migrate_calls = r->migrate_calls;
	w->migrated_pages = r->migrated_pages;
	w->numa_moves = r->numa_moves;
	w->ipis = r->ipis;
	w->reclaims = r->reclaims;
	w->cpu_start = r->cpu_start;
	w->cpu_end = r->cpu_end;
	w->flags = r->flags;
	w->depth_max = r->depth_max;
}

struct wire_with_reasons {
	struct nl_request_wire w;
	__u64 reasons[NL_MIGRATE_REASONS];
};

/* The finished request into the ring buffer, the reason split only when it migrated. */
static __always_inline void emit_request(const struct nl_request *r)
{
	if (r->migrate_calls) {
		struct wire_with_reasons *x = bpf_ringbuf_reserve(&rq_events, sizeof(*x), 0);
		if (!x) {
			drop(NL_RQ_DROP_EVENT);
			return;
		}
		wire_fill(&x->w, r);
		for (int i = 0; i < NL_MIGRATE_REASONS; i++)
			x->reasons[i] = r->migrate_stall_by_reason[i];
		bpf_ringbuf_submit(x, BPF_RB_NO_WAKEUP);
		return;
	}
	struct nl_request_wire *w = bpf_ringbuf_reserve(&rq_events, sizeof(*w), 0);
	if (!w) {
		drop(NL_RQ_DROP_EVENT);
		return;
	}
	wire_fill(w, r);
	bpf_ringbuf_submit(w, BPF_RB_NO_WAKEUP);
}

/* Closes t's request now: latency, histogram, the record; the entry waits for the
 * thread's next request. */
static __always_inline void request_finish(__u32 tid, struct rq_thread *t, __u32 flags)
{
	__u64 now = bpf_ktime_get_ns();

	charge(t, now);
	/* A fault still open (exit inside one) is the request's own time. */
	t->r.causes_ns[NL_RQ_ON_CPU] += t->fault_ns;
	t->r.latency_ns = now - t->r.start_ns;
	t->r.cpu_end = bpf_get_smp_processor_id();
	t->r.flags |= flags;
	hist_add(t->r.latency_ns, flags & NL_RQ_F_EXITED);
	emit_request(&t->r);
	t->active = 0;
}

static __always_inline void request_end(void)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct rq_thread *t = inflight(tid);

	if (!t) {
		/* began before the probes attached, or its entry was refused (counted) */
		if (wanted_current())
			drop(NL_RQ_DROP_DEPTH);
		return;
	}
	if (t->depth > 1) {
		t->depth--;
		return;
	}
	request_finish(tid, t, 0);
}

SEC("uprobe")
int BPF_KPROBE(rq_enter)
{
	request_begin(true);
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(rq_return)
{
	request_end();
	return 0;
}

SEC("usdt")
int BPF_USDT(rq_usdt_start)
{
	if (usdt_start_only) { /* one probe per iteration: it ends the last request */
		__u32 tid = (__u32)bpf_get_current_pid_tgid();
		struct rq_thread *t = inflight(tid);

		if (t)
			request_finish(tid, t, 0);
	}
	request_begin(true);
	return 0;
}

SEC("usdt")
int BPF_USDT(rq_usdt_end)
{
	request_end();
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(rq_sys_exit, struct pt_regs *regs, long ret)
{
	if (ret > 0 && nl_syscall_nr(regs) == sys_begin_nr)
		request_begin(false);
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(rq_sys_enter, struct pt_regs *regs, long id)
{
	if (id == sys_end_nr)
		request_end();
	return 0;
}

/* ---- scheduling ---- */

SEC("tp_btf/sched_switch")
int BPF_PROG(rq_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	struct rq_thread *t = inflight(prev->pid);
	__u64 now = 0;

	if (t) {
		now = bpf_ktime_get_ns();
		charge(t, now);
		if (t->moving)
			t->cat = NL_RQ_NUMA_MOVE;
		else if (preempt || nl_task_state(prev) == 0)
			t->cat = NL_RQ_RUNQ_WAIT; /* still runnable: preempted or yielded */
		else
			t->cat = NL_RQ_OFF_CPU;
	}
	t = inflight(next->pid);
	if (t) {
		charge(t, now ? now : bpf_ktime_get_ns());
		t->moving = 0;
		t->cat = oncpu_cat(t);
	}
	return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(rq_wakeup, struct task_struct *p)
{
	struct rq_thread *t = inflight(p->pid);

	if (t && t->cat == NL_RQ_OFF_CPU) {
		charge(t, bpf_ktime_get_ns());
		t->cat = NL_RQ_RUNQ_WAIT;
	}
	return 0;
}

/* A NUMA move or swap of p: from now until it runs again is numa_move. p may be
 * running (it is switched out by the migration stopper next) or queued. */
static __always_inline void numa_moved(struct task_struct *p)
{
	struct rq_thread *t = inflight(BPF_CORE_READ(p, pid));

	if (!t)
		return;
	t->r.numa_moves++;
	t->moving = 1;
	/* queued, not blocked: only a runnable task is moved or swapped */
	if (t->cat == NL_RQ_RUNQ_WAIT) {
		charge(t, bpf_ktime_get_ns());
		t->cat = NL_RQ_NUMA_MOVE;
	}
}

SEC("tp_btf/sched_move_numa")
int BPF_PROG(rq_move_numa, struct task_struct *p, int src_cpu, int dst_cpu)
{
	numa_moved(p);
	return 0;
}

SEC("tp_btf/sched_swap_numa")
int BPF_PROG(rq_swap_numa, struct task_struct *src, int src_cpu, struct task_struct *dst,
	     int dst_cpu)
{
	/* the verifier types dst as maybe-NULL */
	if (src)
		numa_moved(src);
	if (dst)
		numa_moved(dst);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(rq_exit, struct task_struct *p)
{
	__u32 tid = BPF_CORE_READ(p, pid);
	struct rq_thread *t = entry_of(tid);

	if (!t)
		return 0;
	if (t->active)
		request_finish(tid, t, NL_RQ_F_EXITED);
	bpf_map_delete_elem(&rq_inflight, &tid);
	return 0;
}

/* ---- kernel work on the thread's CPU ---- */

SEC("tp_btf/mm_migrate_pages_start")
int BPF_PROG(rq_migrate_start, enum migrate_mode mode, int reason)
{
	struct rq_thread *t = inflight_cur();

	if (!t)
		return 0;
	charge(t, bpf_ktime_get_ns());
	t->in_migrate = 1;
	t->migrate_slot = reason < 0 || reason >= NL_MIGRATE_REASONS ? NL_MIGRATE_REASONS - 1
								      : reason;
	t->r.migrate_calls++;
	t->cat = oncpu_cat(t);
	return 0;
}

/* Both layouts of mm_migrate_pages (7 and 8 arguments) start with succeeded. */
SEC("tp_btf/mm_migrate_pages")
int BPF_PROG(rq_migrate_end, unsigned long succeeded)
{
	struct rq_thread *t = inflight_cur();

	if (!t || !t->in_migrate)
		return 0;
	charge(t, bpf_ktime_get_ns());
	t->in_migrate = 0;
	t->r.migrated_pages += succeeded;
	t->cat = oncpu_cat(t);
	return 0;
}

static __always_inline void ipi_begin(void)
{
	struct rq_thread *t = inflight_cur();

	if (!t)
		return;
	charge(t, bpf_ktime_get_ns());
	t->in_ipi = 1;
	t->r.ipis++;
	t->cat = NL_RQ_TLB_IPI;
}

static __always_inline void ipi_end(void)
{
	struct rq_thread *t = inflight_cur();

	if (!t || !t->in_ipi)
		return;
	t->in_ipi = 0;
	recat(t);
}

SEC("tp_btf/call_function_entry")
int BPF_PROG(rq_ipi_entry, int vector)
{
	ipi_begin();
	return 0;
}

SEC("tp_btf/call_function_exit")
int BPF_PROG(rq_ipi_exit, int vector)
{
	ipi_end();
	return 0;
}

SEC("tp_btf/call_function_single_entry")
int BPF_PROG(rq_ipi1_entry, int vector)
{
	ipi_begin();
	return 0;
}

SEC("tp_btf/call_function_single_exit")
int BPF_PROG(rq_ipi1_exit, int vector)
{
	ipi_end();
	return 0;
}

static __always_inline void reclaim_begin(void)
{
	struct rq_thread *t = inflight_cur();

	if (!t)
		return;
	charge(t, bpf_ktime_get_ns());
	if (t->in_reclaim++ == 0)
		t->r.reclaims++;
	t->cat = oncpu_cat(t);
}

static __always_inline void reclaim_end(void)
{
	struct rq_thread *t = inflight_cur();

	if (!t || !t->in_reclaim)
		return;
	charge(t, bpf_ktime_get_ns());
	t->in_reclaim--;
	t->cat = oncpu_cat(t);
}

SEC("tp_btf/mm_vmscan_direct_reclaim_begin")
int BPF_PROG(rq_reclaim_begin)
{
	reclaim_begin();
	return 0;
}

SEC("tp_btf/mm_vmscan_direct_reclaim_end")
int BPF_PROG(rq_reclaim_end)
{
	reclaim_end();
	return 0;
}

SEC("tp_btf/mm_compaction_begin")
int BPF_PROG(rq_compact_begin)
{
	reclaim_begin();
	return 0;
}

SEC("tp_btf/mm_compaction_end")
int BPF_PROG(rq_compact_end)
{
	reclaim_end();
	return 0;
}

/* ---- faults: hint_fault when task_numa_fault ran inside ---- */

static __always_inline void fault_begin(bool from_tp)
{
	struct rq_thread *t;

	if (!wanted_current())
		return;
	t = inflight_cur();
	if (!t)
		return;
	if (!from_tp && t->in_fault && t->fault_from_tp) {
		t->fault_from_tp = 0; /* the same fault reaching handle_mm_fault */
		return;
	}
	charge(t, bpf_ktime_get_ns());
	t->fault_from_tp = from_tp;
	/* A fault entry while one is open means its return was missed (kretprobe
	 * instances run out): its time so far stays the request's own. */
	t->r.causes_ns[NL_RQ_ON_CPU] += t->fault_ns;
	t->fault_ns = 0;
	t->in_fault = 1;
	t->fault_hint = 0;
	t->cat = oncpu_cat(t);
}

static __always_inline void fault_end(void)
{
	struct rq_thread *t;

	if (!wanted_current())
		return;
	t = inflight_cur();
	if (!t || !t->in_fault)
		return;
	charge(t, bpf_ktime_get_ns());
	t->r.causes_ns[t->fault_hint ? NL_RQ_HINT_FAULT : NL_RQ_ON_CPU] += t->fault_ns;
	t->fault_ns = 0;
	t->in_fault = 0;
	t->fault_from_tp = 0;
	t->cat = oncpu_cat(t);
}

static __always_inline void numa_fault(void)
{
	struct rq_thread *t = inflight_cur();

	if (!t || !t->in_fault)
		return;
	t->fault_hint = 1;
	t->r.hint_faults++;
}

/* x86: a user fault begins here, before the mmap lock and the VMA lookup, which are
 * part of a hinting fault's cost too (loaded with the fault pair when it exists). */
SEC("tp_btf/page_fault_user")
int BPF_PROG(rq_fault_user)
{
	fault_begin(true);
	return 0;
}

SEC("fentry/handle_mm_fault")
int BPF_PROG(rq_fentry_fault)
{
	fault_begin(false);
	return 0;
}

SEC("fexit/handle_mm_fault")
int BPF_PROG(rq_fexit_fault)
{
	fault_end();
	return 0;
}

SEC("fentry/task_numa_fault")
int BPF_PROG(rq_fentry_numa_fault)
{
	numa_fault();
	return 0;
}

SEC("kprobe/handle_mm_fault")
int BPF_KPROBE(rq_kprobe_fault)
{
	fault_begin(false);
	return 0;
}

SEC("kretprobe/handle_mm_fault")
int BPF_KRETPROBE(rq_kretprobe_fault)
{
	fault_end();
	return 0;
}

SEC("kprobe/task_numa_fault")
int BPF_KPROBE(rq_kprobe_numa_fault)
{
	numa_fault();
	return 0;
}

/* ---- AutoNUMA's scanner, run by the thread itself (task_work before user mode) ---- */

static __always_inline void scan_edge(__u32 inside)
{
	struct rq_thread *t;

	if (!wanted_current())
		return;
	t = inflight_cur();
	if (!t || t->in_scan == inside)
		return;
	charge(t, bpf_ktime_get_ns());
	t->in_scan = inside;
	t->cat = oncpu_cat(t);
}

SEC("fentry/task_numa_work")
int BPF_PROG(rq_fentry_scan)
{
	scan_edge(1);
	return 0;
}

SEC("fexit/task_numa_work")
int BPF_PROG(rq_fexit_scan)
{
	scan_edge(0);
	return 0;
}

SEC("kprobe/task_numa_work")
int BPF_KPROBE(rq_kprobe_scan)
{
	scan_edge(1);
	return 0;
}

SEC("kretprobe/task_numa_work")
int BPF_KRETPROBE(rq_kretprobe_scan)
{
	scan_edge(0);
	return 0;
}
