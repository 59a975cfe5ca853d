/* The INTERVAL record: struct nl_snapshot and everything it holds, as tables of
 * fields (tags in format.h). Lists and the stack pointer are the custom rows; every
 * other field is one table row, so adding a model field is adding a row and a tag. */
#include "trace/schema.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/format.h"

/* ---- generic lists of table-described structs ---- */

static void enc_list(struct nl_buf *b, uint32_t tag, const void *base, int nr, size_t size,
		     const struct nl_msg_desc *desc)
{
	size_t mark, e;

	if (nr <= 0)
		return;
	mark = nl_enc_list_begin(b, tag, (uint64_t)nr);
	for (int i = 0; i < nr; i++) {
		e = nl_enc_begin(b, 0);
		nl_enc_fields(b, desc, (const char *)base + (size_t)i * size);
		nl_enc_end(b, e);
	}
	nl_enc_end(b, mark);
}

/* Decodes the entries of a list body into n structs at base. */
static int dec_entries(struct nl_dctx *c, struct nl_dec *body, void *base, uint32_t n,
		       size_t size, const struct nl_msg_desc *desc)
{
	struct nl_dec entry;
	int rc = 0;

	for (uint32_t i = 0; !rc && i < n; i++) {
		rc = nl_dec_entry(c, body, &entry);
		if (!rc)
			rc = nl_dec_fields(c, &entry, desc, (char *)base + (size_t)i * size);
	}
	if (!rc && body->p != body->end)
		rc = nl_dec_fail(c, -EBADMSG, "bytes after the last %s", desc->name);
	return rc;
}

/* Opens a list field whose structs go into a new array. A list given twice is refused
 * rather than merged (the writer never does it). 1: not a list, skip it. */
static int list_open(struct nl_dctx *c, struct nl_dec *d, int wire, uint32_t limit, bool again,
		     const struct nl_msg_desc *desc, struct nl_dec *body, uint32_t *n)
{
	if (wire != NL_WIRE_LEN)
		return 1;
	if (again)
		return nl_dec_fail(c, -EBADMSG, "a second list of %s", desc->name);
	return nl_dec_list(c, d, limit, desc->name, body, n);
}

/* ---- counts, frames, stacks ---- */

static const struct nl_field counts_fields[] = {
	NL_FMAT(NL_T_C_FAULTS, struct nl_counts, faults),
	NL_FU64(NL_T_C_FAULTS_UNRESOLVED, struct nl_counts, faults_unresolved),
	NL_FMAT(NL_T_C_HINT_FAULTS, struct nl_counts, hint_faults),
	NL_FVEC(NL_T_C_FIRST_TOUCH_PAGES, struct nl_counts, first_touch_pages),
	NL_FVEC(NL_T_C_CPU_NS, struct nl_counts, cpu_ns),
	NL_FU64(NL_T_C_NODE_MIGRATIONS, struct nl_counts, node_migrations),
	NL_FMAT(NL_T_C_MIGRATED_PAGES, struct nl_counts, migrated_pages),
	NL_FU64(NL_T_C_MIGRATE_STALL_NS, struct nl_counts, migrate_stall_ns),
	NL_FU64(NL_T_C_NUMA_TASK_MOVES, struct nl_counts, numa_task_moves),
	NL_FU64(NL_T_C_HINT_PAGES, struct nl_counts, hint_pages),
	NL_FU64(NL_T_C_HINT_LOCAL, struct nl_counts, hint_local),
	NL_FU64(NL_T_C_HINT_MIGRATED_PAGES, struct nl_counts, hint_migrated_pages),
	NL_FU64(NL_T_C_HINT_MIGRATE_FAIL, struct nl_counts, hint_migrate_fail),
	NL_FU64(NL_T_C_MIGRATE_FAIL, struct nl_counts, migrate_fail),
	NL_FVEC(NL_T_C_MIGRATE_PAGES_BY_REASON, struct nl_counts, migrate_pages_by_reason),
	NL_FVEC(NL_T_C_MIGRATE_FAIL_BY_REASON, struct nl_counts, migrate_fail_by_reason),
	NL_FVEC(NL_T_C_MIGRATE_STALL_BY_REASON, struct nl_counts, migrate_stall_ns_by_reason),
	NL_FVEC(NL_T_C_MIGRATE_STALL_HIST, struct nl_counts, migrate_stall_hist),
	NL_FU64(NL_T_C_NUMA_TASK_SWAPS, struct nl_counts, numa_task_swaps),
	NL_FU64(NL_T_C_NUMA_TASK_STICKS, struct nl_counts, numa_task_sticks),
	NL_FVEC(NL_T_C_TLB_SHOOTDOWNS, struct nl_counts, tlb_shootdowns),
	NL_FU64(NL_T_C_TLB_AUTONUMA_SENT, struct nl_counts, tlb_autonuma_sent),
	NL_FU64(NL_T_C_TLB_AUTONUMA_RECV, struct nl_counts, tlb_autonuma_recv),
	NL_FU64(NL_T_C_IPI_COUNT, struct nl_counts, ipi_count),
	NL_FU64(NL_T_C_IPI_NS, struct nl_counts, ipi_ns),
	NL_FU64(NL_T_C_IPI_AUTONUMA_NS, struct nl_counts, ipi_autonuma_ns),
	NL_FU64(NL_T_C_NUMA_SCAN_COUNT, struct nl_counts, numa_scan_count),
	NL_FU64(NL_T_C_NUMA_SCAN_NS, struct nl_counts, numa_scan_ns),
	NL_FMAT(NL_T_C_FAULTS_MAPPED, struct nl_counts, faults_mapped),
};
static const struct nl_msg_desc counts_desc = NL_DESC("counts", counts_fields);

static const struct nl_field frame_fields[] = {
	NL_FU64(NL_T_FRAME_IP, struct nl_frame, ip),
	NL_FSTR(NL_T_FRAME_SYMBOL, struct nl_frame, symbol),
	NL_FSTR(NL_T_FRAME_MODULE, struct nl_frame, module),
	NL_FSTR(NL_T_FRAME_BUILD_ID, struct nl_frame, build_id),
	NL_FU64(NL_T_FRAME_FILE_OFFSET, struct nl_frame, file_offset),
	NL_FBOOL(NL_T_FRAME_HAS_OFFSET, struct nl_frame, has_offset),
};
static const struct nl_msg_desc frame_desc = NL_DESC("frame", frame_fields);

static void enc_frames(struct nl_buf *b, uint32_t tag, const void *obj)
{
	const struct nl_stack *st = obj;

	enc_list(b, tag, st->frames, st->nr, sizeof(st->frames[0]), &frame_desc);
}

static int dec_frames(struct nl_dctx *c, struct nl_dec *d, int wire, void *obj)
{
	struct nl_stack *st = obj;
	struct nl_dec body;
	uint32_t n;
	int rc;

	rc = list_open(c, d, wire, NL_MAX_FRAMES, st->nr, &frame_desc, &body, &n);
	if (rc)
		return rc;
	st->nr = (int)n;
	return dec_entries(c, &body, st->frames, n, sizeof(st->frames[0]), &frame_desc);
}

static const struct nl_field stack_fields[] = {
	NL_FCUSTOM(NL_T_STACK_FRAMES, enc_frames, dec_frames),
	NL_FBOOL(NL_T_STACK_CUT, struct nl_stack, cut),
};
static const struct nl_msg_desc stack_desc = NL_DESC("stack", stack_fields);

/* The stack is written even when it has no frames: present means non-NULL. */
static void enc_thread_stack(struct nl_buf *b, uint32_t tag, const void *obj)
{
	const struct nl_thread *t = obj;
	size_t mark;

	if (!t->first_touch_stack)
		return;
	mark = nl_enc_begin(b, tag);
	nl_enc_fields(b, &stack_desc, t->first_touch_stack);
	nl_enc_end(b, mark);
}

static int dec_thread_stack(struct nl_dctx *c, struct nl_dec *d, int wire, void *obj)
{
	struct nl_thread *t = obj;
	struct nl_dec sub;
	int rc;

	if (wire != NL_WIRE_LEN)
		return 1;
	if (t->first_touch_stack)
		return nl_dec_fail(c, -EBADMSG, "a second first-touch stack");
	rc = nl_dec_len(c, d, &sub);
	if (rc)
		return rc;
	t->first_touch_stack = nl_dec_alloc(c, 1, sizeof(struct nl_stack));
	if (!t->first_touch_stack)
		return c->err;
	return nl_dec_fields(c, &sub, &stack_desc, t->first_touch_stack);
}

/* ---- threads, vmas, diagnosis, processes ---- */

static const struct nl_field thread_fields[] = {
	NL_FU32(NL_T_THR_TID, struct nl_thread, tid),
	NL_FU64(NL_T_THR_SERIAL, struct nl_thread, serial),
	NL_FCHARS(NL_T_THR_COMM, struct nl_thread, comm),
	NL_FMSG(NL_T_THR_COUNTS, struct nl_thread, c, &counts_desc),
	NL_FCUSTOM(NL_T_THR_STACK, enc_thread_stack, dec_thread_stack),
	NL_FU64(NL_T_THR_STACK_PAGES, struct nl_thread, first_touch_stack_pages),
	NL_FBOOL(NL_T_THR_EXITED, struct nl_thread, exited),
};
static const struct nl_msg_desc thread_desc = NL_DESC("thread", thread_fields);

static const struct nl_field vma_fields[] = {
	NL_FU64(NL_T_VMA_START, struct nl_vma, start),
	NL_FCHARS(NL_T_VMA_POLICY, struct nl_vma, policy),
	NL_FSTR(NL_T_VMA_NAME, struct nl_vma, name),
	NL_FVEC(NL_T_VMA_PAGES, struct nl_vma, pages),
	NL_FU64(NL_T_VMA_PAGE_SIZE, struct nl_vma, page_size),
};
static const struct nl_msg_desc vma_desc = NL_DESC("vma", vma_fields);

static const struct nl_field diag_fields[] = {
	NL_FSINT(NL_T_DIAG_KIND, struct nl_diagnosis, kind),
	NL_FSINT(NL_T_DIAG_MEM_NODE, struct nl_diagnosis, mem_node),
	NL_FSINT(NL_T_DIAG_CPU_NODE, struct nl_diagnosis, cpu_node),
	NL_FDOUBLE(NL_T_DIAG_RESIDENT_SHARE, struct nl_diagnosis, resident_share),
	NL_FDOUBLE(NL_T_DIAG_CPU_SHARE, struct nl_diagnosis, cpu_share),
	NL_FU32(NL_T_DIAG_INIT_TID, struct nl_diagnosis, init_tid),
	NL_FCHARS(NL_T_DIAG_INIT_COMM, struct nl_diagnosis, init_comm),
	NL_FCHARS(NL_T_DIAG_TEXT, struct nl_diagnosis, text),
	NL_FCHARS(NL_T_DIAG_FIX, struct nl_diagnosis, fix),
};
static const struct nl_msg_desc diag_desc = NL_DESC("diagnosis", diag_fields);

static void enc_vmas(struct nl_buf *b, uint32_t tag, const void *obj)
{
	const struct nl_process *p = obj;

	enc_list(b, tag, p->vmas, p->nr_vmas, sizeof(*p->vmas), &vma_desc);
}

/* The array and its count are set before any entry is decoded, so whatever frees the
 * owner frees a partly decoded list too. */
static int dec_vmas(struct nl_dctx *c, struct nl_dec *d, int wire, void *obj)
{
	struct nl_process *p = obj;
	struct nl_dec body;
	uint32_t n;
	int rc = list_open(c, d, wire, NL_TRACE_MAX_VMAS, p->vmas, &vma_desc, &body, &n);

	if (rc)
		return rc;
	p->vmas = nl_dec_alloc(c, n, sizeof(*p->vmas));
	if (!p->vmas)
		return c->err;
	p->nr_vmas = (int)n;
	return dec_entries(c, &body, p->vmas, n, sizeof(*p->vmas), &vma_desc);
}

static void enc_threads(struct nl_buf *b, uint32_t tag, const void *obj)
{
	const struct nl_process *p = obj;

	enc_list(b, tag, p->threads, p->nr_threads, sizeof(*p->threads), &thread_desc);
}

static int dec_threads(struct nl_dctx *c, struct nl_dec *d, int wire, void *obj)
{
	struct nl_process *p = obj;
	struct nl_dec body;
	uint32_t n;
	int rc = list_open(c, d, wire, NL_TRACE_MAX_THREADS, p->threads, &thread_desc, &body, &n);

	if (rc)
		return rc;
	p->threads = nl_dec_alloc(c, n, sizeof(*p->threads));
	if (!p->threads)
		return c->err;
	p->nr_threads = (int)n;
	return dec_entries(c, &body, p->threads, n, sizeof(*p->threads), &thread_desc);
}

static const struct nl_field proc_fields[] = {
	NL_FU32(NL_T_PROC_PID, struct nl_process, pid),
	NL_FCHARS(NL_T_PROC_COMM, struct nl_process, comm),
	NL_FMSG(NL_T_PROC_COUNTS, struct nl_process, c, &counts_desc),
	NL_FVEC(NL_T_PROC_RESIDENT, struct nl_process, resident_pages),
	NL_FBOOL(NL_T_PROC_RESIDENT_KNOWN, struct nl_process, resident_known),
	NL_FCUSTOM(NL_T_PROC_VMAS, enc_vmas, dec_vmas),
	NL_FCUSTOM(NL_T_PROC_THREADS, enc_threads, dec_threads),
	NL_FMSG(NL_T_PROC_DIAG, struct nl_process, diag, &diag_desc),
	NL_FBOOL(NL_T_PROC_FOLLOWED, struct nl_process, followed),
	NL_FVEC(NL_T_PROC_RESIDENT_HUGE, struct nl_process, resident_huge_pages),
	NL_FVEC(NL_T_PROC_RESIDENT_HUGE_KB, struct nl_process, resident_huge_kb),
};
static const struct nl_msg_desc proc_desc = NL_DESC("process", proc_fields);

/* ---- system-wide parts ---- */

static const struct nl_field vmstat_fields[] = {
	NL_FBOOL(NL_T_VC_VALID, struct nl_vmstat_check, valid),
	NL_FU64(NL_T_VC_HINT_FAULTS, struct nl_vmstat_check, hint_faults),
	NL_FU64(NL_T_VC_HINT_FAULTS_LOCAL, struct nl_vmstat_check, hint_faults_local),
	NL_FU64(NL_T_VC_PAGES_MIGRATED, struct nl_vmstat_check, pages_migrated),
	NL_FU64(NL_T_VC_PGMIGRATE_SUCCESS, struct nl_vmstat_check, pgmigrate_success),
	NL_FU64(NL_T_VC_PGMIGRATE_FAIL, struct nl_vmstat_check, pgmigrate_fail),
	NL_FBOOL(NL_T_VC_BPF_VALID, struct nl_vmstat_check, bpf_valid),
	NL_FBOOL(NL_T_VC_BPF_LOCAL_EXACT, struct nl_vmstat_check, bpf_local_exact),
	NL_FU64(NL_T_VC_BPF_HINT_FAULTS, struct nl_vmstat_check, bpf_hint_faults),
	NL_FU64(NL_T_VC_BPF_HINT_FAULTS_LOCAL, struct nl_vmstat_check, bpf_hint_faults_local),
	NL_FU64(NL_T_VC_BPF_PAGES_MIGRATED, struct nl_vmstat_check, bpf_pages_migrated),
	NL_FU64(NL_T_VC_BPF_PGMIGRATE_SUCCESS, struct nl_vmstat_check, bpf_pgmigrate_success),
	NL_FU64(NL_T_VC_BPF_PGMIGRATE_FAIL, struct nl_vmstat_check, bpf_pgmigrate_fail),
	NL_FBOOL(NL_T_VC_DISAGREE, struct nl_vmstat_check, disagree),
	NL_FCHARS(NL_T_VC_NOTE, struct nl_vmstat_check, note),
};
static const struct nl_msg_desc vmstat_desc = NL_DESC("vmstat check", vmstat_fields);

static const struct nl_field vm_fields[] = {
	NL_FBOOL(NL_T_VM_HAVE_NUMA, struct nl_vm_totals, have_numa),
	NL_FBOOL(NL_T_VM_HAVE_PGMIGRATE, struct nl_vm_totals, have_pgmigrate),
	NL_FU64(NL_T_VM_HINT_FAULTS, struct nl_vm_totals, hint_faults),
	NL_FU64(NL_T_VM_HINT_FAULTS_LOCAL, struct nl_vm_totals, hint_faults_local),
	NL_FU64(NL_T_VM_PAGES_MIGRATED, struct nl_vm_totals, pages_migrated),
	NL_FU64(NL_T_VM_PGMIGRATE_SUCCESS, struct nl_vm_totals, pgmigrate_success),
	NL_FU64(NL_T_VM_PGMIGRATE_FAIL, struct nl_vm_totals, pgmigrate_fail),
};
static const struct nl_msg_desc vm_desc = NL_DESC("vm totals", vm_fields);

static const struct nl_field bpf_fields[] = {
	NL_FBOOL(NL_T_BPF_VALID, struct nl_bpf_totals, valid),
	NL_FBOOL(NL_T_BPF_LOCAL_EXACT, struct nl_bpf_totals, local_exact),
	NL_FU64(NL_T_BPF_HINT_FAULTS, struct nl_bpf_totals, hint_faults),
	NL_FU64(NL_T_BPF_HINT_FAULTS_LOCAL, struct nl_bpf_totals, hint_faults_local),
	NL_FU64(NL_T_BPF_PAGES_MIGRATED, struct nl_bpf_totals, pages_migrated),
	NL_FU64(NL_T_BPF_PGMIGRATE_SUCCESS, struct nl_bpf_totals, pgmigrate_success),
	NL_FU64(NL_T_BPF_PGMIGRATE_FAIL, struct nl_bpf_totals, pgmigrate_fail),
};
static const struct nl_msg_desc bpf_desc = NL_DESC("bpf totals", bpf_fields);

/* numastat is by node id in the model; on disk each node with a non-zero counter is
 * an entry that names its node. */
struct numastat_entry {
	uint32_t node;
	struct nl_numastat v;
};

static const struct nl_field numastat_fields[] = {
	NL_FU32(NL_T_NS_NODE, struct numastat_entry, node),
	NL_FU64(NL_T_NS_NUMA_HIT, struct numastat_entry, v.numa_hit),
	NL_FU64(NL_T_NS_NUMA_MISS, struct numastat_entry, v.numa_miss),
	NL_FU64(NL_T_NS_NUMA_FOREIGN, struct numastat_entry, v.numa_foreign),
	NL_FU64(NL_T_NS_INTERLEAVE_HIT, struct numastat_entry, v.interleave_hit),
	NL_FU64(NL_T_NS_LOCAL_NODE, struct numastat_entry, v.local_node),
	NL_FU64(NL_T_NS_OTHER_NODE, struct numastat_entry, v.other_node),
};
static const struct nl_msg_desc numastat_desc = NL_DESC("numastat", numastat_fields);

static void enc_numastat(struct nl_buf *b, uint32_t tag, const void *obj)
{
	const struct nl_snapshot *s = obj;
	static const struct nl_numastat zero;
	struct numastat_entry e[NL_MAX_NODES];
	int n = 0;

	for (int node = 0; node < NL_MAX_NODES; node++)
		if (memcmp(&s->numastat[node], &zero, sizeof(zero)))
			e[n++] = (struct numastat_entry){ (uint32_t)node, s->numastat[node] };
	enc_list(b, tag, e, n, sizeof(e[0]), &numastat_desc);
}

static int dec_numastat(struct nl_dctx *c, struct nl_dec *d, int wire, void *obj)
{
	struct nl_snapshot *s = obj;
	struct nl_dec body, entry;
	uint32_t n;
	int rc;

	if (wire != NL_WIRE_LEN)
		return 1;
	rc = nl_dec_list(c, d, NL_TRACE_MAX_ENTRIES, "numastat", &body, &n);
	for (uint32_t i = 0; !rc && i < n; i++) {
		struct numastat_entry e = { 0 };
		rc = nl_dec_entry(c, &body, &entry);
		if (!rc)
			rc = nl_dec_fields(c, &entry, &numastat_desc, &e);
		if (!rc && e.node < NL_MAX_NODES)
			s->numastat[e.node] = e.v;
		else if (!rc)
			c->skipped_values++;
	}
	if (!rc && body.p != body.end)
		rc = nl_dec_fail(c, -EBADMSG, "bytes after the last numastat");
	return rc;
}

static void enc_procs(struct nl_buf *b, uint32_t tag, const void *obj)
{
	const struct nl_snapshot *s = obj;

	enc_list(b, tag, s->procs, s->nr_procs, sizeof(*s->procs), &proc_desc);
}

static int dec_procs(struct nl_dctx *c, struct nl_dec *d, int wire, void *obj)
{
	struct nl_snapshot *s = obj;
	struct nl_dec body;
	uint32_t n;
	int rc = list_open(c, d, wire, NL_TRACE_MAX_PROCS, s->procs, &proc_desc, &body, &n);

	if (rc)
		return rc;
	s->procs = nl_dec_alloc(c, n, sizeof(*s->procs));
	if (!s->procs)
		return c->err;
	s->nr_procs = (int)n;
	return dec_entries(c, &body, s->procs, n, sizeof(*s->procs), &proc_desc);
}

static const struct nl_field rq_stats_fields[] = {
	NL_FBOOL(NL_T_RQS_VALID, struct nl_rq_stats, valid),
	NL_FVEC(NL_T_RQS_HIST, struct nl_rq_stats, hist.b),
	NL_FU64(NL_T_RQS_COUNT, struct nl_rq_stats, hist.count),
	NL_FU64(NL_T_RQS_EXITED, struct nl_rq_stats, exited),
	NL_FVEC(NL_T_RQS_DROPS, struct nl_rq_stats, drops),
	NL_FU64(NL_T_RQS_SUM_NS, struct nl_rq_stats, sum_ns),
};
static const struct nl_msg_desc rq_stats_desc = NL_DESC("rq_stats", rq_stats_fields);

static const struct nl_field snap_fields[] = {
	NL_FBOOL(NL_T_SNAP_CUMULATIVE, struct nl_snapshot, cumulative),
	NL_FU64(NL_T_SNAP_SEQ, struct nl_snapshot, seq),
	NL_FU64(NL_T_SNAP_MONO_NS, struct nl_snapshot, mono_ns),
	NL_FU64(NL_T_SNAP_INTERVAL_NS, struct nl_snapshot, interval_ns),
	NL_FU64(NL_T_SNAP_TIMESTAMP_NS, struct nl_snapshot, timestamp_ns),
	NL_FU64(NL_T_SNAP_LOST_EVENTS, struct nl_snapshot, lost_events),
	NL_FSINT(NL_T_SNAP_NUMA_BALANCING, struct nl_snapshot, numa_balancing),
	NL_FCUSTOM(NL_T_SNAP_PROCS, enc_procs, dec_procs),
	NL_FCHARS(NL_T_SNAP_AUTONUMA_STATE, struct nl_snapshot, autonuma_state),
	NL_FMSG(NL_T_SNAP_VMSTAT, struct nl_snapshot, vmstat, &vmstat_desc),
	NL_FMSG(NL_T_SNAP_VM_NOW, struct nl_snapshot, vm_now, &vm_desc),
	NL_FMSG(NL_T_SNAP_VM_OPEN, struct nl_snapshot, vm_open, &vm_desc),
	NL_FMSG(NL_T_SNAP_BPF_SYS, struct nl_snapshot, bpf_sys, &bpf_desc),
	NL_FBOOL(NL_T_SNAP_NUMASTAT_VALID, struct nl_snapshot, numastat_valid),
	NL_FCUSTOM(NL_T_SNAP_NUMASTAT, enc_numastat, dec_numastat),
	NL_FMSG(NL_T_SNAP_REQUESTS, struct nl_snapshot, rq, &rq_stats_desc),
	NL_FMSG(NL_T_SNAP_VM_PRE, struct nl_snapshot, vm_pre, &vm_desc),
};
static const struct nl_msg_desc snap_desc = NL_DESC("interval", snap_fields);

void nl_schema_enc_snapshot(struct nl_buf *b, const struct nl_snapshot *s)
{
	nl_enc_fields(b, &snap_desc, s);
}

int nl_schema_dec_snapshot(struct nl_dctx *c, struct nl_dec *d, struct nl_snapshot *s)
{
	return nl_dec_fields(c, d, &snap_desc, s);
}

/* ---- what the writer checks so that the reader never refuses its files ---- */

static int check_str(const char *s, const char *what, char *why, size_t len)
{
	if (s && strlen(s) > NL_TRACE_MAX_STRING) {
		snprintf(why, len, "a %s of %zu bytes (the limit is %u)", what, strlen(s),
			 NL_TRACE_MAX_STRING);
		return -E2BIG;
	}
	return 0;
}

static int check_thread(const struct nl_thread *t, char *why, size_t len)
{
	const struct nl_stack *st = t->first_touch_stack;
	int rc = 0;

	if (!st)
		return 0;
	if (st->nr < 0 || st->nr > NL_MAX_FRAMES) {
		snprintf(why, len, "thread %u: a stack of %d frames", t->tid, st->nr);
		return -E2BIG;
	}
	for (int i = 0; !rc && i < st->nr; i++) {
		rc = check_str(st->frames[i].symbol, "symbol", why, len);
		if (!rc)
			rc = check_str(st->frames[i].module, "module", why, len);
		if (!rc)
			rc = check_str(st->frames[i].build_id, "build id", why, len);
	}
	return rc;
}

static int check_proc(const struct nl_process *p, char *why, size_t len)
{
	int rc = 0;

	if (p->nr_threads < 0 || (uint32_t)p->nr_threads > NL_TRACE_MAX_THREADS ||
	    p->nr_vmas < 0 || (uint32_t)p->nr_vmas > NL_TRACE_MAX_VMAS ||
	    (p->nr_threads && !p->threads) || (p->nr_vmas && !p->vmas)) {
		snprintf(why, len, "process %u: %d threads, %d vmas", p->pid, p->nr_threads,
			 p->nr_vmas);
		return -E2BIG;
	}
	for (int v = 0; !rc && v < p->nr_vmas; v++)
		rc = check_str(p->vmas[v].name, "vma name", why, len);
	for (int t = 0; !rc && t < p->nr_threads; t++)
		rc = check_thread(&p->threads[t], why, len);
	return rc;
}

int nl_schema_check_snapshot(const struct nl_snapshot *s, char *why, size_t len)
{
	int rc = 0;

	if (s->nr_procs < 0 || (uint32_t)s->nr_procs > NL_TRACE_MAX_PROCS ||
	    (s->nr_procs && !s->procs)) {
		snprintf(why, len, "%d processes", s->nr_procs);
		return -E2BIG;
	}
	for (int p = 0; !rc && p < s->nr_procs; p++)
		rc = check_proc(&s->procs[p], why, len);
	return rc;
}
