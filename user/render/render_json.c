#include "render/render_json.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "render/json.h"

/* The node ids that JSON positions map to: topology order, online nodes only. Ids
 * outside the model's arrays are skipped everywhere alike (including "nodes"), so
 * every vector stays aligned with "nodes". */
struct node_index {
	int nr;
	int id[NL_MAX_NODES];
	const struct nl_enum_names *names; /* the recording kernel's reason names */
};

static void node_index_init(struct node_index *ni, const struct nl_topo_summary *t)
{
	ni->nr = 0;
	for (int i = 0; i < t->nr_nodes && i < NL_MAX_NODES; i++) {
		int id = t->node_ids[i];
		if (id >= 0 && id < NL_MAX_NODES)
			ni->id[ni->nr++] = id;
	}
}

static void vector_u64(struct nl_json *j, const char *key, const struct node_index *ni,
		       const uint64_t v[NL_MAX_NODES])
{
	nl_json_key(j, key);
	nl_json_arr_begin(j);
	for (int i = 0; i < ni->nr; i++)
		nl_json_u64(j, v[ni->id[i]]);
	nl_json_arr_end(j);
}

static void matrix_u64(struct nl_json *j, const char *key, const struct node_index *ni,
		       const struct nl_mat *m)
{
	nl_json_key(j, key);
	nl_json_arr_begin(j);
	for (int r = 0; r < ni->nr; r++) {
		nl_json_arr_begin(j);
		for (int c = 0; c < ni->nr; c++)
			nl_json_u64(j, nl_mat_at(m, (unsigned)ni->id[r], (unsigned)ni->id[c]));
		nl_json_arr_end(j);
	}
	nl_json_arr_end(j);
}

static void topology(struct nl_json *j, const struct nl_topo_summary *t,
		     const struct node_index *ni)
{
	nl_json_key(j, "topology");
	nl_json_obj_begin(j);

	nl_json_key(j, "nodes");
	nl_json_arr_begin(j);
	for (int i = 0; i < ni->nr; i++)
		nl_json_i64(j, ni->id[i]);
	nl_json_arr_end(j);

	nl_json_key(j, "distance");
	nl_json_arr_begin(j);
	for (int r = 0; r < ni->nr; r++) {
		nl_json_arr_begin(j);
		for (int c = 0; c < ni->nr; c++)
			nl_json_i64(j, t->distance[ni->id[r]][ni->id[c]]);
		nl_json_arr_end(j);
	}
	nl_json_arr_end(j);

	nl_json_key(j, "cpus");
	nl_json_arr_begin(j);
	for (int i = 0; i < ni->nr; i++) {
		int id = ni->id[i];
		nl_json_arr_begin(j);
		for (int k = 0; t->cpus[id] && k < t->nr_cpus[id]; k++)
			nl_json_i64(j, t->cpus[id][k]);
		nl_json_arr_end(j);
	}
	nl_json_arr_end(j);

	/* As topo's: nodes with memory and no CPUs (CXL, GPU memory), page nodes only. */
	nl_json_key(j, "memory_only");
	nl_json_arr_begin(j);
	for (int i = 0; i < ni->nr; i++)
		if (nl_topo_memory_only(t, ni->id[i]))
			nl_json_i64(j, ni->id[i]);
	nl_json_arr_end(j);

	nl_json_obj_end(j);
}

#define RESIDENT_REMOTE_VIA                                                                   \
	"estimate from residency x sched: the share of accesses that would be remote if each "    \
	"node's CPU time touched the resident pages uniformly"

static bool source_active(const struct nl_snapshot *s, enum nl_source_id id)
{
	return s->sources[id].known && s->sources[id].active;
}

/* {"faults":{"active":true,"via":"tp_btf/page_fault_user"},
 *  "hint_faults":{"active":false,"reason":"numa_balancing is 0"}} */
static void sources(struct nl_json *j, const struct nl_snapshot *s)
{
	nl_json_key(j, "sources");
	nl_json_obj_begin(j);
	for (int i = 0; i < NL_SRC_MAX; i++) {
		const struct nl_source_state *src = &s->sources[i];
		if (!src->known)
			continue;
		nl_json_key(j, nl_source_name(i));
		nl_json_obj_begin(j);
		nl_json_kbool(j, "active", src->active);
		nl_json_kstr(j, src->active ? "via" : "reason", src->detail ? src->detail : "");
		nl_json_obj_end(j);
	}
	/* Not a mechanism but a derived figure, listed here so that its provenance is
	 * stated next to the sources it combines. */
	nl_json_key(j, "resident_remote_ratio");
	nl_json_obj_begin(j);
	nl_json_kbool(j, "active", source_active(s, NL_SRC_RESIDENCY) && source_active(s, NL_SRC_SCHED));
	nl_json_kbool(j, "estimate", true);
	nl_json_kstr(j, "via", RESIDENT_REMOTE_VIA);
	nl_json_obj_end(j);
	nl_json_obj_end(j);
}

/* System-wide AutoNUMA totals of the window, /proc/vmstat vs BPF; null (with a
 * "vmstat_check_note" saying why) when /proc/vmstat could not be compared. */
static void vmstat_check(struct nl_json *j, const struct nl_vmstat_check *v)
{
	nl_json_key(j, "vmstat_check");
	if (!v->valid) {
		nl_json_null(j);
		if (v->note[0])
			nl_json_kstr(j, "vmstat_check_note", v->note);
		return;
	}
	nl_json_obj_begin(j);
	nl_json_kbool(j, "valid", v->valid);
	nl_json_ku64(j, "hint_faults", v->hint_faults);
	nl_json_ku64(j, "hint_faults_local", v->hint_faults_local);
	nl_json_ku64(j, "pages_migrated", v->pages_migrated);
	nl_json_ku64(j, "pgmigrate_success", v->pgmigrate_success);
	nl_json_ku64(j, "pgmigrate_fail", v->pgmigrate_fail);
	nl_json_kbool(j, "bpf_valid", v->bpf_valid);
	nl_json_kbool(j, "bpf_local_exact", v->bpf_local_exact);
	nl_json_ku64(j, "bpf_hint_faults", v->bpf_hint_faults);
	nl_json_ku64(j, "bpf_hint_faults_local", v->bpf_hint_faults_local);
	nl_json_ku64(j, "bpf_pages_migrated", v->bpf_pages_migrated);
	nl_json_ku64(j, "bpf_pgmigrate_success", v->bpf_pgmigrate_success);
	nl_json_ku64(j, "bpf_pgmigrate_fail", v->bpf_pgmigrate_fail);
	nl_json_kbool(j, "disagree", v->disagree);
	nl_json_kstr(j, "note", v->note);
	nl_json_obj_end(j);
}

static void stack(struct nl_json *j, const char *key, const struct nl_stack *st)
{
	char ip[24], cut_key[48];

	nl_json_key(j, key);
	nl_json_arr_begin(j);
	for (int i = 0; st && i < st->nr && i < NL_MAX_FRAMES; i++) {
		const struct nl_frame *f = &st->frames[i];
		snprintf(ip, sizeof(ip), "0x%" PRIx64, f->ip);
		nl_json_obj_begin(j);
		nl_json_kstr(j, "ip", ip);
		nl_json_key(j, "symbol");
		if (f->symbol)
			nl_json_str(j, f->symbol);
		else
			nl_json_null(j);
		nl_json_key(j, "module");
		if (f->module)
			nl_json_str(j, f->module);
		else
			nl_json_null(j);
		/* build-id + file offset: what symbolizes the frame again on another machine */
		if (f->build_id)
			nl_json_kstr(j, "build_id", f->build_id);
		if (f->has_offset) {
			snprintf(ip, sizeof(ip), "0x%" PRIx64, f->file_offset);
			nl_json_kstr(j, "file_offset", ip);
		}
		nl_json_obj_end(j);
	}
	nl_json_arr_end(j);
	/* "<key>_cut": true when the chain went on into no mapping (model.h nl_stack.cut) */
	if (st && st->cut) {
		snprintf(cut_key, sizeof(cut_key), "%s_cut", key);
		nl_json_kbool(j, cut_key, true);
	}
}

/* The fields processes and threads share, in contract order around resident_pages
 * (which only processes have; the caller writes it between the two halves). */
static void counts_head(struct nl_json *j, const struct nl_counts *c, const struct node_index *ni)
{
	matrix_u64(j, "faults", ni, &c->faults);
	matrix_u64(j, "faults_mapped", ni, &c->faults_mapped);
	nl_json_ku64(j, "faults_unresolved", c->faults_unresolved);
	matrix_u64(j, "hint_faults", ni, &c->hint_faults);
	nl_json_kdouble(j, "remote_ratio", nl_remote_ratio(c)); /* NAN -> null */
	nl_json_kdouble(j, "classified_share", nl_classified_share(c));
	vector_u64(j, "first_touch_pages", ni, c->first_touch_pages);
}

/* {"numa_misplaced":{"pages":4096,"fail":0,"stall_ns":138000000}}: reasons with any
 * non-zero figure only. */
static void migrations_by_reason(struct nl_json *j, const struct nl_counts *c,
				 const struct nl_enum_names *names)
{
	char buf[24];

	nl_json_key(j, "migrations_by_reason");
	nl_json_obj_begin(j);
	for (int r = 0; r < NL_MIGRATE_REASONS; r++) {
		if (!c->migrate_pages_by_reason[r] && !c->migrate_fail_by_reason[r] &&
		    !c->migrate_stall_ns_by_reason[r])
			continue;
		nl_json_key(j, nl_reason_key(names->migrate_reason[r], r, buf, sizeof(buf)));
		nl_json_obj_begin(j);
		nl_json_ku64(j, "pages", c->migrate_pages_by_reason[r]);
		nl_json_ku64(j, "fail", c->migrate_fail_by_reason[r]);
		nl_json_ku64(j, "stall_ns", c->migrate_stall_ns_by_reason[r]);
		nl_json_obj_end(j);
	}
	nl_json_obj_end(j);
}

/* The stall histogram as an object of its non-zero buckets: key = the bucket's lower
 * bound in ns (decimal string), value = migrate_pages() calls. Bucket b holds stalls
 * in [2^b, 2^(b+1)) ns, so keys are "0" (for [0,2)), "2", "4", ... "1024" ...; the
 * last one, "2147483648", takes everything from 2^31 ns up. {} when none. */
static void stall_hist(struct nl_json *j, const struct nl_counts *c)
{
	char key[24];

	nl_json_key(j, "migrate_stall_hist_log2ns");
	nl_json_obj_begin(j);
	for (int b = 0; b < NL_HIST_BUCKETS; b++) {
		if (!c->migrate_stall_hist[b])
			continue;
		snprintf(key, sizeof(key), "%" PRIu64, b ? (uint64_t)1 << b : 0);
		nl_json_ku64(j, key, c->migrate_stall_hist[b]);
	}
	nl_json_obj_end(j);
}

/* {"remote_shootdown":12}: tlb_flush events by reason, non-zero reasons only
 * (reason 0, task_switch, is not counted: it is no shootdown). */
static void tlb_shootdowns(struct nl_json *j, const struct nl_counts *c,
			   const struct nl_enum_names *names)
{
	char buf[24];

	nl_json_key(j, "tlb_shootdowns");
	nl_json_obj_begin(j);
	for (int r = 0; r < NL_TLB_REASONS; r++)
		if (c->tlb_shootdowns[r])
			nl_json_ku64(j, nl_reason_key(names->tlb_reason[r], r, buf, sizeof(buf)),
				     c->tlb_shootdowns[r]);
	nl_json_obj_end(j);
}

/* resident: the process's resident pages (a thread's too), NULL when unknown. */
static void counts_tail(struct nl_json *j, const struct nl_counts *c, const struct node_index *ni,
			const uint64_t *resident)
{
	vector_u64(j, "cpu_ns", ni, c->cpu_ns);
	matrix_u64(j, "migrated_pages", ni, &c->migrated_pages);
	nl_json_ku64(j, "migrate_stall_ns", c->migrate_stall_ns);
	nl_json_ku64(j, "numa_task_moves", c->numa_task_moves);
	nl_json_ku64(j, "node_migrations", c->node_migrations);
	/* AutoNUMA detail (sources hint_faults, migrations, numa_sched, tlb, numa_scan;
	 * zeros when those are off: "sources" says which are). */
	nl_json_ku64(j, "hint_local", c->hint_local);
	nl_json_ku64(j, "hint_pages", c->hint_pages);
	nl_json_ku64(j, "hint_migrated_pages", c->hint_migrated_pages);
	nl_json_ku64(j, "hint_migrate_fail", c->hint_migrate_fail);
	nl_json_ku64(j, "migrate_fail", c->migrate_fail);
	migrations_by_reason(j, c, ni->names);
	stall_hist(j, c);
	nl_json_ku64(j, "numa_task_swaps", c->numa_task_swaps);
	nl_json_ku64(j, "numa_task_sticks", c->numa_task_sticks);
	tlb_shootdowns(j, c, ni->names);
	nl_json_ku64(j, "tlb_autonuma_sent", c->tlb_autonuma_sent);
	nl_json_ku64(j, "tlb_autonuma_recv", c->tlb_autonuma_recv);
	nl_json_ku64(j, "ipi_count", c->ipi_count);
	nl_json_ku64(j, "ipi_ns", c->ipi_ns);
	nl_json_ku64(j, "ipi_autonuma_ns", c->ipi_autonuma_ns);
	nl_json_ku64(j, "numa_scan_count", c->numa_scan_count);
	nl_json_ku64(j, "numa_scan_ns", c->numa_scan_ns);
	/* An ESTIMATE (residency x sched), not a measurement: see
	 * sources.resident_remote_ratio. null when residency is unknown or there was no
	 * CPU time. */
	nl_json_kdouble(j, "resident_remote_ratio", nl_resident_remote_ratio(c, resident));
}

static const struct nl_thread *find_thread(const struct nl_process *p, uint32_t tid)
{
	for (int i = 0; i < p->nr_threads; i++)
		if (p->threads[i].tid == tid)
			return &p->threads[i];
	return NULL;
}

static void diagnosis(struct nl_json *j, const struct nl_process *p)
{
	const struct nl_diagnosis *d = &p->diag;

	nl_json_key(j, "diagnosis");
	if (d->kind != NL_DIAG_FIRST_TOUCH_BUG) {
		nl_json_null(j);
		/* why not, when it was judged ("One NUMA node: ...", "Too small ...") */
		if (d->text[0])
			nl_json_kstr(j, "diagnosis_note", d->text);
		return;
	}
	const struct nl_thread *init = find_thread(p, d->init_tid);

	nl_json_obj_begin(j);
	nl_json_kstr(j, "kind", "first_touch_bug");
	nl_json_ki64(j, "mem_node", d->mem_node); /* node ids, not positions */
	nl_json_ki64(j, "cpu_node", d->cpu_node);
	nl_json_kdouble(j, "resident_share", d->resident_share);
	nl_json_kdouble(j, "cpu_share", d->cpu_share);
	nl_json_ku64(j, "init_tid", d->init_tid);
	nl_json_kstr(j, "init_comm", d->init_comm);
	stack(j, "init_stack", init ? init->first_touch_stack : NULL);
	nl_json_kstr(j, "text", d->text);
	nl_json_kstr(j, "fix", d->fix);
	nl_json_obj_end(j);
}

static void thread(struct nl_json *j, const struct nl_thread *t, const struct node_index *ni,
		   const uint64_t *resident)
{
	nl_json_obj_begin(j);
	nl_json_ku64(j, "tid", t->tid);
	nl_json_kstr(j, "comm", t->comm);
	counts_head(j, &t->c, ni);
	counts_tail(j, &t->c, ni, resident);
	nl_json_kbool(j, "exited", t->exited);
	if (t->first_touch_stack) {
		stack(j, "first_touch_stack", t->first_touch_stack);
		nl_json_ku64(j, "first_touch_stack_pages", t->first_touch_stack_pages);
	}
	nl_json_obj_end(j);
}

static void process(struct nl_json *j, const struct nl_process *p, const struct node_index *ni,
		    bool threads)
{
	nl_json_obj_begin(j);
	nl_json_ku64(j, "pid", p->pid);
	nl_json_kstr(j, "comm", p->comm);
	counts_head(j, &p->c, ni);
	/* Unknown residency (the process exited before numa_maps was read) is null,
	 * never a vector of zeros that would look measured. */
	if (p->resident_known) {
		vector_u64(j, "resident_pages", ni, p->resident_pages);
		nl_json_kstr(j, "resident_source", "numa_maps");
		vector_u64(j, "resident_huge_pages", ni, p->resident_huge_pages);
		vector_u64(j, "resident_huge_kb", ni, p->resident_huge_kb);
	} else {
		nl_json_key(j, "resident_pages");
		nl_json_null(j);
		nl_json_key(j, "resident_source");
		nl_json_null(j);
		nl_json_key(j, "resident_huge_pages");
		nl_json_null(j);
		nl_json_key(j, "resident_huge_kb");
		nl_json_null(j);
	}
	const uint64_t *resident = p->resident_known ? p->resident_pages : NULL;
	counts_tail(j, &p->c, ni, resident);
	diagnosis(j, p);
	if (threads) {
		nl_json_key(j, "threads");
		nl_json_arr_begin(j);
		for (int i = 0; i < p->nr_threads; i++)
			thread(j, &p->threads[i], ni, resident);
		nl_json_arr_end(j);
	}
	nl_json_obj_end(j);
}

static void kstr_or_null(struct nl_json *j, const char *key, const char *v)
{
	nl_json_key(j, key);
	if (v)
		nl_json_str(j, v);
	else
		nl_json_null(j);
}

/* A report's provenance: which file, machine and window, and what was lost. */
static void recording(struct nl_json *j, const struct nl_recording *r)
{
	nl_json_key(j, "recording");
	nl_json_obj_begin(j);
	kstr_or_null(j, "file", r->file);
	kstr_or_null(j, "hostname", r->hostname);
	kstr_or_null(j, "kernel_release", r->kernel_release);
	kstr_or_null(j, "machine", r->machine);
	kstr_or_null(j, "target", r->target);
	kstr_or_null(j, "cmdline", r->cmdline);
	kstr_or_null(j, "numalens_version", r->version);
	nl_json_ku64(j, "start_realtime_ns", r->start_realtime_ns);
	nl_json_ku64(j, "from_ns", r->from_ns);
	nl_json_ku64(j, "to_ns", r->to_ns);
	nl_json_ku64(j, "intervals", r->intervals);
	nl_json_ku64(j, "chunks", r->chunks);
	nl_json_kbool(j, "truncated", r->truncated);
	nl_json_ku64(j, "bytes_lost", r->bytes_lost);
	kstr_or_null(j, "problem", r->problem);
	nl_json_obj_end(j);
}

void nl_render_json(const struct nl_snapshot *s, FILE *out, bool threads)
{
	struct nl_json j;
	struct node_index ni;

	node_index_init(&ni, &s->topo);
	ni.names = &s->names;
	nl_json_init(&j, out, false);
	nl_json_obj_begin(&j);
	nl_json_ku64(&j, "version", 1);
	topology(&j, &s->topo, &ni);
	nl_json_ku64(&j, "interval_ns", s->interval_ns);
	nl_json_ku64(&j, "timestamp_ns", s->timestamp_ns);
	nl_json_ku64(&j, "lost_events", s->lost_events);
	nl_json_key(&j, "numa_balancing");
	if (s->numa_balancing < 0)
		nl_json_null(&j);
	else
		nl_json_i64(&j, s->numa_balancing);
	sources(&j, s);
	nl_json_key(&j, "autonuma");
	if (s->autonuma_state[0])
		nl_json_str(&j, s->autonuma_state);
	else
		nl_json_null(&j); /* the AutoNUMA programs did not run */
	vmstat_check(&j, &s->vmstat);
	if (s->recording)
		recording(&j, s->recording);
	if (s->rq.valid)
		nl_render_json_requests(&j, s);
	nl_json_key(&j, "processes");
	nl_json_arr_begin(&j);
	for (int i = 0; i < s->nr_procs; i++)
		process(&j, &s->procs[i], &ni, threads);
	nl_json_arr_end(&j);
	nl_json_obj_end(&j);
	nl_json_end(&j);
}
