/* Trace files (user/trace): every field of a snapshot, the header and the small records
 * round-trips under each compression; every prefix of a file reads back its complete
 * chunks and says what was lost; flipped bytes and hostile lengths give errors, never a
 * crash or a large allocation; rotation, file mode, unknown sections, records and
 * fields. No kernel involved. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "trace/codec.h"
#include "trace/format.h"
#include "trace/schema.h"
#include "trace/trace.h"
#include "engine/threadlog.h"

/* ---- the largest single allocation, to prove hostile lengths are refused before
 * memory is taken for them (glibc's own allocator underneath) ---- */

#ifndef __SANITIZE_ADDRESS__
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
static size_t peak_alloc;
static void note_alloc(size_t n)
{
	if (n > peak_alloc)
		peak_alloc = n;
}
void *malloc(size_t n)
{
	note_alloc(n);
	return __libc_malloc(n);
}
void *calloc(size_t n, size_t m)
{
	note_alloc(n && m <= SIZE_MAX / n ? n * m : SIZE_MAX);
	return __libc_calloc(n, m);
}
void *realloc(void *p, size_t n)
{
	note_alloc(n);
	return __libc_realloc(p, n);
}
void free(void *p)
{
	__libc_free(p);
}
#define HAVE_PEAK 1
#else
static size_t peak_alloc;
#define HAVE_PEAK 0
#endif

static char tmpdir[64];

static int setup_dir(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_trace.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_dir(void **state)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd);
}

static char *path_of(const char *name)
{
	static char p[4][128];
	static int i;
	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", tmpdir, name);
	return p[i];
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);
	assert_non_null(d);
	return d;
}

/* Fills dst to its full length (size - 1 characters) so a cut would show. */
static void fill_chars(char *dst, size_t size, const char *prefix)
{
	size_t n = strlen(prefix);
	for (size_t i = 0; i + 1 < size; i++)
		dst[i] = i < n ? prefix[i] : (char)('a' + i % 26);
	dst[size - 1] = '\0';
}

/* ---- a metadata block and a snapshot with a distinct non-zero value everywhere ---- */

static void fill_meta(struct nl_trace_meta *m)
{
	static const int ids[] = { 0, 2, 5 }; /* sparse ids: position != id */

	memset(m, 0, sizeof(*m));
	m->topo.nr_nodes = 3;
	for (int i = 0; i < 3; i++) {
		int id = ids[i], n = 2 + i;
		m->topo.node_ids[i] = id;
		m->topo.cpus[id] = malloc((size_t)n * sizeof(int));
		for (int c = 0; c < n; c++)
			m->topo.cpus[id][c] = id * 100 + c * 3 + (c == n - 1 ? 4000 : 0);
		m->topo.nr_cpus[id] = n;
		m->topo.mem_total_kb[id] = 1000003ull * (uint64_t)(i + 1);
		for (int j = 0; j < 3; j++)
			m->topo.distance[id][ids[j]] = id == ids[j] ? 10 : 20 + id + ids[j];
	}
	m->topo.distance[5][0] = -1; /* zigzag: a negative survives */
	fill_chars(m->kernel_release, sizeof(m->kernel_release), "6.18.0-test ");
	fill_chars(m->hostname, sizeof(m->hostname), "host-");
	fill_chars(m->machine, sizeof(m->machine), "x86_64 ");
	m->cmdline = xstrdup("numalens record -o trace.nl -- ./app --arg 'with space'");
	m->target = xstrdup("pid 42 (server)");
	m->version = xstrdup("v0.9-test");
	m->request = xstrdup("/usr/bin/server:handle_request");
	for (int id = 0; id < NL_SRC_MAX; id++)
		if (id != NL_SRC_PMU) /* one source nothing was said of */
			assert_int_equal(nl_source_set(&m->sources[id], id % 2, "source %d detail", id), 0);
	for (int i = 0; i < NL_MIGRATE_REASONS; i++)
		fill_chars(m->names.migrate_reason[i], sizeof(m->names.migrate_reason[i]),
			   i == 5 ? "numa_misplaced_" : "mr_");
	for (int i = 0; i < NL_TLB_REASONS; i++)
		snprintf(m->names.tlb_reason[i], sizeof(m->names.tlb_reason[i]), "tlb_reason_%d", i);
	m->start_realtime_ns = 1700000000123456789ull;
	m->start_mono_ns = 123456789012ull;
	m->interval_ns = 1000000007ull;
	m->residency_interval_ns = 5000000011ull;
	m->numa_balancing = 2;
}

static void fill_mat(struct nl_mat *m, uint64_t base)
{
	/* every cell of 8 nodes, and node 63's corners: the highest node id a trace holds */
	for (unsigned i = 0; i < 8; i++)
		for (unsigned j = 0; j < 8; j++)
			nl_mat_set(m, i, j, base + i * 8 + j + 1);
	nl_mat_set(m, 63, 0, base + 101);
	nl_mat_set(m, 2, 63, base + 102);
	nl_mat_set(m, 63, 63, base + 103);
}

static void fill_counts(struct nl_counts *c, uint64_t base)
{
	/* nl_counts is uint64_t up to the matrices: filling it as an array reaches fields
	 * added later too */
	uint64_t *v = (uint64_t *)c;
	for (size_t i = 0; i < offsetof(struct nl_counts, faults) / sizeof(uint64_t); i++)
		v[i] = base + i * 7 + 1;
	fill_mat(&c->faults, base + 1000);
	fill_mat(&c->hint_faults, base + 2000);
	fill_mat(&c->migrated_pages, base + 3000);
	fill_mat(&c->faults_mapped, base + 4000);
}

static void assert_mat_equal(const struct nl_mat *a, const struct nl_mat *b)
{
	unsigned n = a->n > b->n ? a->n : b->n;

	for (unsigned i = 0; i < n; i++)
		for (unsigned j = 0; j < n; j++)
			assert_int_equal(nl_mat_at(a, i, j), nl_mat_at(b, i, j));
}

static void assert_counts_equal(const struct nl_counts *a, const struct nl_counts *b)
{
	assert_memory_equal(a, b, offsetof(struct nl_counts, faults));
	assert_mat_equal(&a->faults, &b->faults);
	assert_mat_equal(&a->hint_faults, &b->hint_faults);
	assert_mat_equal(&a->migrated_pages, &b->migrated_pages);
	assert_mat_equal(&a->faults_mapped, &b->faults_mapped);
}

static void fill_frame(struct nl_frame *f, int i)
{
	char buf[64];
	f->ip = 0x400000ull + (uint64_t)i * 0x11;
	snprintf(buf, sizeof(buf), "func_%d+0x%x", i, i);
	f->symbol = i == 1 ? NULL : i == 2 ? xstrdup("") : xstrdup(buf); /* NULL and "" differ */
	snprintf(buf, sizeof(buf), "/usr/lib/lib%d.so", i % 3);
	f->module = xstrdup(buf);
	f->build_id = i == 3 ? NULL : xstrdup("0123456789abcdef0123456789abcdef01234567");
	f->file_offset = 0x1000ull + (uint64_t)i;
	f->has_offset = true;
}

static void fill_thread(struct nl_thread *t, uint64_t base, int frames)
{
	t->tid = (uint32_t)(base % 100000) + 3;
	t->serial = base + 5;
	fill_chars(t->comm, sizeof(t->comm), "thr");
	fill_counts(&t->c, base);
	if (frames >= 0) {
		t->first_touch_stack = calloc(1, sizeof(*t->first_touch_stack));
		t->first_touch_stack->nr = frames;
		t->first_touch_stack->cut = frames % 2;
		for (int i = 0; i < frames; i++)
			fill_frame(&t->first_touch_stack->frames[i], i);
	}
	t->first_touch_stack_pages = base + 9;
	t->exited = true;
}

static void fill_vma(struct nl_vma *v, uint64_t base, bool named)
{
	v->start = 0x7f0000000000ull + base;
	fill_chars(v->policy, sizeof(v->policy), "interleave:0-1,");
	v->name = named ? xstrdup("/usr/lib/libc.so.6") : NULL;
	for (int n = 0; n < NL_MAX_NODES; n++)
		v->pages[n] = base + (uint64_t)n + 1;
	v->page_size = 2097152;
}

static void fill_proc(struct nl_process *p, uint64_t base, int threads, int vmas, bool big)
{
	p->pid = (uint32_t)base + 1;
	fill_chars(p->comm, sizeof(p->comm), "proc");
	fill_counts(&p->c, base * 3);
	for (int n = 0; n < NL_MAX_NODES; n++)
		p->resident_pages[n] = base + 100 + (uint64_t)n;
	for (int n = 0; n < NL_MAX_NODES; n++) {
		p->resident_huge_pages[n] = base + 200 + (uint64_t)n;
		p->resident_huge_kb[n] = (base + 200 + (uint64_t)n) * 2048;
	}
	p->resident_known = true;
	if (vmas) {
		p->vmas = calloc((size_t)vmas, sizeof(*p->vmas));
		p->nr_vmas = vmas;
		for (int v = 0; v < vmas; v++)
			fill_vma(&p->vmas[v], base + (uint64_t)v * 4096, v != 1);
	}
	if (threads) {
		p->threads = calloc((size_t)threads, sizeof(*p->threads));
		p->nr_threads = threads;
		for (int t = 0; t < threads; t++) /* a full stack, an empty one, none */
			fill_thread(&p->threads[t], base + (uint64_t)t * 1000,
				    t == 0 ? (big ? NL_MAX_FRAMES : 4) : t == 1 ? 0 : -1);
	}
	p->diag.kind = NL_DIAG_FIRST_TOUCH_BUG;
	p->diag.mem_node = 5;
	p->diag.cpu_node = -2;
	p->diag.resident_share = 0.987654321;
	p->diag.cpu_share = 1e-300;
	p->diag.init_tid = (uint32_t)base + 17;
	fill_chars(p->diag.init_comm, sizeof(p->diag.init_comm), "init");
	fill_chars(p->diag.text, sizeof(p->diag.text), "The pages were placed by ");
	fill_chars(p->diag.fix, sizeof(p->diag.fix), "numactl --cpunodebind=2 ");
	p->followed = true;
}

static void copy_topo(struct nl_topo_summary *dst, const struct nl_topo_summary *src)
{
	*dst = *src;
	for (int n = 0; n < NL_MAX_NODES; n++) {
		if (!src->cpus[n])
			continue;
		dst->cpus[n] = malloc((size_t)src->nr_cpus[n] * sizeof(int));
		memcpy(dst->cpus[n], src->cpus[n], (size_t)src->nr_cpus[n] * sizeof(int));
	}
}

/* big: three processes with every shape (full stack, vma without name, no threads);
 * otherwise one small process, for files whose every prefix is read. */
static void fill_snapshot(struct nl_snapshot *s, const struct nl_trace_meta *m, uint64_t seq,
			  bool big)
{
	memset(s, 0, sizeof(*s));
	copy_topo(&s->topo, &m->topo);
	s->names = m->names;
	assert_int_equal(nl_sources_copy(s->sources, m->sources), 0);
	s->cumulative = true;
	s->seq = seq;
	s->mono_ns = 1000000000ull * seq + 1;
	s->interval_ns = 999999937ull;
	s->timestamp_ns = 1700000000000000000ull + seq;
	s->lost_events = 77 + seq;
	s->numa_balancing = -1;
	s->nr_procs = big ? 3 : 1;
	s->procs = calloc((size_t)s->nr_procs, sizeof(*s->procs));
	fill_proc(&s->procs[0], seq * 10000 + 100, big ? 3 : 1, big ? 3 : 1, big);
	if (big) {
		fill_proc(&s->procs[1], seq * 10000 + 200, 1, 2, big);
		fill_proc(&s->procs[2], seq * 10000 + 300, 0, 0, big);
	}
	fill_chars(s->autonuma_state, sizeof(s->autonuma_state), "AutoNUMA on ");
	struct nl_vmstat_check *v = &s->vmstat;
	v->valid = v->bpf_valid = v->bpf_local_exact = v->disagree = true;
	v->hint_faults = 11; v->hint_faults_local = 12; v->pages_migrated = 13;
	v->pgmigrate_success = 14; v->pgmigrate_fail = 15; v->bpf_hint_faults = 16;
	v->bpf_hint_faults_local = 17; v->bpf_pages_migrated = 18;
	v->bpf_pgmigrate_success = 19; v->bpf_pgmigrate_fail = 20;
	fill_chars(v->note, sizeof(v->note), "hint faults differ ");
	s->vm_now = (struct nl_vm_totals){ true, true, 21, 22, 23, 24, 25 };
	s->vm_open = (struct nl_vm_totals){ true, true, 26, 27, 28, 29, 30 };
	s->vm_pre = (struct nl_vm_totals){ true, false, 31, 32, 33, 34, 35 };
	s->bpf_sys = (struct nl_bpf_totals){ true, true, 31, 32, 33, 34, 35 };
	s->numastat_valid = true;
	s->rq.valid = true;
	s->rq.hist.b[0] = 1;
	s->rq.hist.b[NL_RQ_HIST_BUCKETS - 1] = 3 + seq;
	s->rq.hist.count = 4 + seq;
	s->rq.exited = 2;
	s->rq.sum_ns = 123456789 + seq;
	s->rq.drops[NL_RQ_DROP_EVENT] = 9;
	for (int n = 0; n < NL_MAX_NODES; n++)
		s->numastat[n] = (struct nl_numastat){ 40u + n, 50u + n, 60u + n, 70u + n, 80u + n,
						       90u + n };
}

/* ---- deep comparison, field by field ---- */

static void assert_str_same(const char *a, const char *b)
{
	if (!a || !b)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

static void assert_topo_equal(const struct nl_topo_summary *a, const struct nl_topo_summary *b)
{
	assert_int_equal(a->nr_nodes, b->nr_nodes);
	assert_memory_equal(a->node_ids, b->node_ids, sizeof(a->node_ids[0]) * (size_t)a->nr_nodes);
	assert_memory_equal(a->distance, b->distance, sizeof(a->distance));
	assert_memory_equal(a->nr_cpus, b->nr_cpus, sizeof(a->nr_cpus));
	assert_memory_equal(a->mem_total_kb, b->mem_total_kb, sizeof(a->mem_total_kb));
	for (int n = 0; n < NL_MAX_NODES; n++) {
		assert_int_equal(!a->cpus[n], !b->cpus[n]);
		if (a->cpus[n])
			assert_memory_equal(a->cpus[n], b->cpus[n], sizeof(int) * (size_t)a->nr_cpus[n]);
	}
}

static void assert_sources_equal(const struct nl_source_state *a, const struct nl_source_state *b)
{
	for (int id = 0; id < NL_SRC_MAX; id++) {
		assert_int_equal(a[id].known, b[id].known);
		assert_int_equal(a[id].active, b[id].active);
		assert_str_same(a[id].detail, b[id].detail);
	}
}

static void assert_stack_equal(const struct nl_stack *a, const struct nl_stack *b)
{
	assert_int_equal(!a, !b);
	if (!a)
		return;
	assert_int_equal(a->nr, b->nr);
	assert_int_equal(a->cut, b->cut);
	for (int i = 0; i < a->nr; i++) {
		const struct nl_frame *x = &a->frames[i], *y = &b->frames[i];
		assert_int_equal(x->ip, y->ip);
		assert_str_same(x->symbol, y->symbol);
		assert_str_same(x->module, y->module);
		assert_str_same(x->build_id, y->build_id);
		assert_int_equal(x->file_offset, y->file_offset);
		assert_int_equal(x->has_offset, y->has_offset);
	}
}

static void assert_thread_equal(const struct nl_thread *a, const struct nl_thread *b)
{
	assert_int_equal(a->tid, b->tid);
	assert_int_equal(a->serial, b->serial);
	assert_string_equal(a->comm, b->comm);
	assert_counts_equal(&a->c, &b->c);
	assert_stack_equal(a->first_touch_stack, b->first_touch_stack);
	assert_int_equal(a->first_touch_stack_pages, b->first_touch_stack_pages);
	assert_int_equal(a->exited, b->exited);
}

static void assert_vma_equal(const struct nl_vma *a, const struct nl_vma *b)
{
	assert_int_equal(a->start, b->start);
	assert_string_equal(a->policy, b->policy);
	assert_str_same(a->name, b->name);
	assert_memory_equal(a->pages, b->pages, sizeof(a->pages));
	assert_int_equal(a->page_size, b->page_size);
}

static void assert_diag_equal(const struct nl_diagnosis *a, const struct nl_diagnosis *b)
{
	assert_int_equal(a->kind, b->kind);
	assert_int_equal(a->mem_node, b->mem_node);
	assert_int_equal(a->cpu_node, b->cpu_node);
	assert_memory_equal(&a->resident_share, &b->resident_share, sizeof(double));
	assert_memory_equal(&a->cpu_share, &b->cpu_share, sizeof(double));
	assert_int_equal(a->init_tid, b->init_tid);
	assert_string_equal(a->init_comm, b->init_comm);
	assert_string_equal(a->text, b->text);
	assert_string_equal(a->fix, b->fix);
}

static void assert_proc_equal(const struct nl_process *a, const struct nl_process *b)
{
	assert_int_equal(a->pid, b->pid);
	assert_string_equal(a->comm, b->comm);
	assert_counts_equal(&a->c, &b->c);
	assert_memory_equal(a->resident_pages, b->resident_pages, sizeof(a->resident_pages));
	assert_int_equal(a->resident_known, b->resident_known);
	assert_memory_equal(a->resident_huge_pages, b->resident_huge_pages,
			    sizeof(a->resident_huge_pages));
	assert_memory_equal(a->resident_huge_kb, b->resident_huge_kb, sizeof(a->resident_huge_kb));
	assert_int_equal(a->nr_vmas, b->nr_vmas);
	for (int v = 0; v < a->nr_vmas; v++)
		assert_vma_equal(&a->vmas[v], &b->vmas[v]);
	assert_int_equal(a->nr_threads, b->nr_threads);
	for (int t = 0; t < a->nr_threads; t++)
		assert_thread_equal(&a->threads[t], &b->threads[t]);
	assert_diag_equal(&a->diag, &b->diag);
	assert_int_equal(a->followed, b->followed);
}

static void assert_vmstat_equal(const struct nl_vmstat_check *a, const struct nl_vmstat_check *b)
{
	assert_int_equal(a->valid, b->valid);
	assert_int_equal(a->hint_faults, b->hint_faults);
	assert_int_equal(a->hint_faults_local, b->hint_faults_local);
	assert_int_equal(a->pages_migrated, b->pages_migrated);
	assert_int_equal(a->pgmigrate_success, b->pgmigrate_success);
	assert_int_equal(a->pgmigrate_fail, b->pgmigrate_fail);
	assert_int_equal(a->bpf_valid, b->bpf_valid);
	assert_int_equal(a->bpf_local_exact, b->bpf_local_exact);
	assert_int_equal(a->bpf_hint_faults, b->bpf_hint_faults);
	assert_int_equal(a->bpf_hint_faults_local, b->bpf_hint_faults_local);
	assert_int_equal(a->bpf_pages_migrated, b->bpf_pages_migrated);
	assert_int_equal(a->bpf_pgmigrate_success, b->bpf_pgmigrate_success);
	assert_int_equal(a->bpf_pgmigrate_fail, b->bpf_pgmigrate_fail);
	assert_int_equal(a->disagree, b->disagree);
	assert_string_equal(a->note, b->note);
}

static void assert_totals_equal(bool f1a, bool f1b, bool f2a, bool f2b, const uint64_t *a,
				const uint64_t *b)
{
	assert_int_equal(f1a, f1b);
	assert_int_equal(f2a, f2b);
	assert_memory_equal(a, b, 5 * sizeof(uint64_t));
}

static void assert_snapshot_equal(const struct nl_snapshot *a, const struct nl_snapshot *b)
{
	assert_topo_equal(&a->topo, &b->topo);
	assert_int_equal(a->cumulative, b->cumulative);
	assert_int_equal(a->seq, b->seq);
	assert_int_equal(a->mono_ns, b->mono_ns);
	assert_int_equal(a->interval_ns, b->interval_ns);
	assert_int_equal(a->timestamp_ns, b->timestamp_ns);
	assert_int_equal(a->lost_events, b->lost_events);
	assert_int_equal(a->numa_balancing, b->numa_balancing);
	assert_sources_equal(a->sources, b->sources);
	assert_memory_equal(&a->names, &b->names, sizeof(a->names));
	assert_int_equal(a->nr_procs, b->nr_procs);
	for (int p = 0; p < a->nr_procs; p++)
		assert_proc_equal(&a->procs[p], &b->procs[p]);
	assert_string_equal(a->autonuma_state, b->autonuma_state);
	assert_vmstat_equal(&a->vmstat, &b->vmstat);
	assert_totals_equal(a->vm_now.have_numa, b->vm_now.have_numa, a->vm_now.have_pgmigrate,
			    b->vm_now.have_pgmigrate, &a->vm_now.hint_faults, &b->vm_now.hint_faults);
	assert_totals_equal(a->vm_open.have_numa, b->vm_open.have_numa, a->vm_open.have_pgmigrate,
			    b->vm_open.have_pgmigrate, &a->vm_open.hint_faults, &b->vm_open.hint_faults);
	assert_totals_equal(a->vm_pre.have_numa, b->vm_pre.have_numa, a->vm_pre.have_pgmigrate,
			    b->vm_pre.have_pgmigrate, &a->vm_pre.hint_faults, &b->vm_pre.hint_faults);
	assert_totals_equal(a->bpf_sys.valid, b->bpf_sys.valid, a->bpf_sys.local_exact,
			    b->bpf_sys.local_exact, &a->bpf_sys.hint_faults, &b->bpf_sys.hint_faults);
	assert_int_equal(a->numastat_valid, b->numastat_valid);
	assert_memory_equal(&a->rq, &b->rq, sizeof(a->rq));
	assert_memory_equal(a->numastat, b->numastat, sizeof(a->numastat));
	assert_null(a->recording); /* a report's own pointer, never in a trace */
}

static void assert_meta_equal(const struct nl_trace_meta *a, const struct nl_trace_meta *b)
{
	assert_topo_equal(&a->topo, &b->topo);
	assert_string_equal(a->kernel_release, b->kernel_release);
	assert_string_equal(a->hostname, b->hostname);
	assert_string_equal(a->machine, b->machine);
	assert_str_same(a->cmdline, b->cmdline);
	assert_str_same(a->target, b->target);
	assert_str_same(a->version, b->version);
	assert_str_same(a->request, b->request);
	assert_sources_equal(a->sources, b->sources);
	assert_memory_equal(&a->names, &b->names, sizeof(a->names));
	assert_int_equal(a->start_realtime_ns, b->start_realtime_ns);
	assert_int_equal(a->start_mono_ns, b->start_mono_ns);
	assert_int_equal(a->interval_ns, b->interval_ns);
	assert_int_equal(a->residency_interval_ns, b->residency_interval_ns);
	assert_int_equal(a->numa_balancing, b->numa_balancing);
}

/* A struct that changed size has a field the trace does not carry yet: add it to
 * user/trace/schema_*.c, format.h, docs/trace-format.md, then to this test's fillers
 * and comparisons, then update the size here. */
static void test_model_sizes_known(void **state)
{
	assert_int_equal(sizeof(struct nl_snapshot), 25296);
	assert_int_equal(sizeof(struct nl_process), 4624);
	assert_int_equal(sizeof(struct nl_thread), 1992);
	assert_int_equal(sizeof(struct nl_vma), 568);
	assert_int_equal(sizeof(struct nl_diagnosis), 1080);
	assert_int_equal(sizeof(struct nl_frame), 48);
	assert_int_equal(sizeof(struct nl_topo_summary), 17928);
	assert_int_equal(sizeof(struct nl_vmstat_check), 424);
	assert_int_equal(sizeof(struct nl_vm_totals), 48);
	assert_int_equal(sizeof(struct nl_bpf_totals), 48);
	assert_int_equal(sizeof(struct nl_numastat), 48);
	assert_int_equal(sizeof(struct nl_source_state), 16);
	assert_int_equal(sizeof(struct nl_event), 56);
	assert_int_equal(sizeof(struct nl_trace_meta), 19168);
}

/* ---- writing and reading whole files ---- */

static struct nl_event make_event(int i)
{
	return (struct nl_event){ .ts_ns = 5000000000ull + (uint64_t)i, .type = NL_EV_MIGRATE,
				  .tid = 100u + (uint32_t)i, .tgid = 42, .cpu = 3 + (uint32_t)i % 5,
				  .a = 5, .b = 7, .v0 = 512, .v1 = 3 + (uint64_t)i,
				  .v2 = 123456789ull * (uint64_t)(i + 1) };
}

static struct nl_trace_writer *open_writer(const char *path, const struct nl_trace_meta *m,
					   enum nl_trace_compression comp, size_t chunk,
					   uint64_t max_bytes)
{
	struct nl_trace_wopts o = { .comp = comp, .chunk_bytes = chunk, .max_bytes = max_bytes };
	struct nl_trace_writer *w = NULL;
	char err[256] = "";
	int rc = nl_trace_writer_open(path, m, &o, &w, err, sizeof(err));
	if (rc)
		fail_msg("writer_open: %s", err);
	return w;
}

static struct nl_trace_reader *open_reader(const char *path)
{
	struct nl_trace_reader *r = NULL;
	char err[256] = "";
	if (nl_trace_reader_open(path, &r, err, sizeof(err)))
		fail_msg("reader_open %s: %s", path, err);
	return r;
}

static void expect_interval(struct nl_trace_reader *r, const struct nl_snapshot *want)
{
	struct nl_trace_item it;
	int rc = nl_trace_next(r, &it);
	if (rc != 1)
		fail_msg("next: %d %s", rc, nl_trace_reader_error(r));
	assert_int_equal(it.kind, NL_TRACE_ITEM_INTERVAL);
	assert_snapshot_equal(&it.snap, want);
	nl_trace_item_free(&it);
}

static void roundtrip(enum nl_trace_compression comp)
{
	struct nl_trace_meta m;
	struct nl_snapshot s1, s2;
	struct nl_event ev[5];
	struct nl_request rq[3];
	const char *path = path_of("roundtrip.nl");

	fill_meta(&m);
	fill_snapshot(&s1, &m, 1, true);
	fill_snapshot(&s2, &m, 2, true);
	/* the second interval's sources differ: a SOURCES record goes before it */
	assert_int_equal(nl_source_set(&s2.sources[NL_SRC_FAULTS], false, "probe failed: %s", "EPERM"), 0);
	free(s2.sources[NL_SRC_TLB].detail); /* and one source is no longer listed */
	s2.sources[NL_SRC_TLB] = (struct nl_source_state){ 0 };
	for (int i = 0; i < 5; i++)
		ev[i] = make_event(i);
	memset(rq, 0, sizeof(rq));
	for (int i = 0; i < 3; i++) { /* every field, and the last slots of both vectors */
		rq[i] = (struct nl_request){ .start_ns = 1000000007ULL * (i + 1), .latency_ns = 5000 + i,
					     .tid = 1001 + i, .tgid = 1000, .hint_faults = 3, .migrate_calls = 4,
					     .migrated_pages = 512, .numa_moves = 1, .ipis = 2, .reclaims = 1,
					     .cpu_start = 1, .cpu_end = 3, .flags = (uint32_t)i, .depth_max = 2 };
		for (int c = 0; c < NL_RQ_CAUSES; c++)
			rq[i].causes_ns[c] = (uint64_t)(c + 1) * 100 + i;
		rq[i].migrate_stall_by_reason[NL_MIGRATE_REASONS - 1] = 77;
	}

	struct nl_trace_writer *w = open_writer(path, &m, comp, 0, 0);
	assert_int_equal(nl_trace_write_interval(w, &s1), 0);
	assert_int_equal(nl_trace_write_events(w, ev, 5), 0);
	assert_int_equal(nl_trace_write_requests(w, rq, 3), 0);
	assert_int_equal(nl_trace_write_thread(w, NL_TRACE_THREAD_NEW, 77, 1001, 1000, "worker-long-name-cut"), 0);
	assert_int_equal(nl_trace_write_thread(w, NL_TRACE_THREAD_NAME, 78, 1001, 1000, "renamed"), 0);
	assert_int_equal(nl_trace_write_thread(w, NL_TRACE_THREAD_EXIT, 79, 1001, 1000, NULL), 0);
	assert_int_equal(nl_trace_write_interval(w, &s2), 0);
	assert_int_equal(nl_trace_writer_close(w), 0);

	struct nl_trace_reader *r = open_reader(path);
	const struct nl_trace_meta *rm = nl_trace_reader_meta(r);
	assert_meta_equal(rm, &m);
	assert_int_equal(rm->part, 0);
	assert_int_equal(rm->first_seq, 0);
	assert_true(rm->recording_id != 0);
	expect_interval(r, &s1);

	struct nl_trace_item it;
	assert_int_equal(nl_trace_next(r, &it), 1);
	assert_int_equal(it.kind, NL_TRACE_ITEM_EVENTS);
	assert_int_equal(it.nr_events, 5);
	assert_memory_equal(it.events, ev, sizeof(ev));
	nl_trace_item_free(&it);
	assert_int_equal(nl_trace_next(r, &it), 1);
	assert_int_equal(it.kind, NL_TRACE_ITEM_REQUESTS);
	assert_int_equal(it.nr_requests, 3);
	assert_memory_equal(it.requests, rq, sizeof(rq));
	nl_trace_item_free(&it);

	static const struct { enum nl_trace_thread_kind k; uint64_t mono; const char *comm; } th[] = {
		{ NL_TRACE_THREAD_NEW, 77, "worker-long-nam" },
		{ NL_TRACE_THREAD_NAME, 78, "renamed" },
		{ NL_TRACE_THREAD_EXIT, 79, "" },
	};
	for (int i = 0; i < 3; i++) {
		assert_int_equal(nl_trace_next(r, &it), 1);
		assert_int_equal(it.kind, NL_TRACE_ITEM_THREAD);
		assert_int_equal(it.thread.kind, th[i].k);
		assert_int_equal(it.thread.mono_ns, th[i].mono);
		assert_int_equal(it.thread.tid, 1001);
		assert_int_equal(it.thread.pid, 1000);
		assert_string_equal(it.thread.comm, th[i].comm);
		nl_trace_item_free(&it);
	}
	expect_interval(r, &s2);
	assert_int_equal(nl_trace_next(r, &it), 0);
	assert_int_equal(nl_trace_next(r, &it), 0); /* stays at the end */

	struct nl_trace_rstats st;
	nl_trace_reader_stats(r, &st);
	assert_true(st.ended);
	assert_false(st.truncated);
	assert_false(st.continued);
	assert_int_equal(st.bytes_lost, 0);
	assert_int_equal(st.skipped_records + st.skipped_sections + st.skipped_fields +
			 st.skipped_values, 0);
	assert_string_equal(nl_trace_reader_error(r), "");
	assert_string_equal(nl_trace_reader_notes(r), "");
	/* the header keeps the sources the recording started with */
	assert_sources_equal(rm->sources, m.sources);
	nl_trace_reader_close(r);
	nl_snapshot_free(&s1);
	nl_snapshot_free(&s2);
	nl_trace_meta_free(&m);
}

static void test_roundtrip_zstd(void **state) { roundtrip(NL_TRACE_ZSTD); }
static void test_roundtrip_zlib(void **state) { roundtrip(NL_TRACE_ZLIB); }
static void test_roundtrip_none(void **state) { roundtrip(NL_TRACE_NONE); }

/* Zero is not written: an all-zero snapshot and meta come back as zero, and a
 * numa_balancing of 0 is not mistaken for "unknown". */
static void test_roundtrip_zero(void **state)
{
	struct nl_trace_meta m = { 0 };
	struct nl_snapshot s = { 0 };
	const char *path = path_of("zero.nl");

	struct nl_trace_writer *w = open_writer(path, &m, NL_TRACE_ZSTD, 0, 0);
	assert_int_equal(nl_trace_write_interval(w, &s), 0);
	assert_int_equal(nl_trace_writer_close(w), 0);
	struct nl_trace_reader *r = open_reader(path);
	assert_meta_equal(nl_trace_reader_meta(r), &m);
	expect_interval(r, &s);
	nl_trace_reader_close(r);

	m.numa_balancing = -1;
	w = open_writer(path, &m, NL_TRACE_ZSTD, 0, 0);
	assert_int_equal(nl_trace_writer_close(w), 0);
	r = open_reader(path);
	assert_int_equal(nl_trace_reader_meta(r)->numa_balancing, -1);
	nl_trace_reader_close(r);
}

/* ---- a small multi-chunk recording, kept in memory for the prefix and flip tests ---- */

struct file {
	uint8_t *p;
	size_t len;
};

static struct file slurp(const char *path)
{
	struct file f = { 0 };
	FILE *in = fopen(path, "rb");
	assert_non_null(in);
	fseek(in, 0, SEEK_END);
	f.len = (size_t)ftell(in);
	rewind(in);
	f.p = malloc(f.len ? f.len : 1);
	assert_int_equal(fread(f.p, 1, f.len, in), f.len);
	fclose(in);
	return f;
}

static void spit(const char *path, const void *p, size_t len)
{
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, len), (ssize_t)len);
	close(fd);
}

/* Intervals, events and thread records in chunks of about 300 bytes. */
static struct file small_recording(enum nl_trace_compression comp, int intervals)
{
	struct nl_trace_meta m;
	const char *path = path_of("small.nl");

	fill_meta(&m);
	struct nl_trace_writer *w = open_writer(path, &m, comp, 300, 0);
	for (int i = 0; i < intervals; i++) {
		struct nl_snapshot s;
		struct nl_event ev[3] = { make_event(i), make_event(i + 1), make_event(i + 2) };
		fill_snapshot(&s, &m, (uint64_t)i + 1, false);
		if (i == 2)
			nl_source_set(&s.sources[NL_SRC_SCHED], false, "stopped");
		assert_int_equal(nl_trace_write_interval(w, &s), 0);
		assert_int_equal(nl_trace_write_events(w, ev, 3), 0);
		assert_int_equal(nl_trace_write_thread(w, NL_TRACE_THREAD_NEW, (uint64_t)i, 9, 8, "t"), 0);
		nl_snapshot_free(&s);
	}
	assert_int_equal(nl_trace_writer_close(w), 0);
	nl_trace_meta_free(&m);
	return slurp(path);
}

/* Reads everything from a buffer: items until the end or an error. Checks what every
 * returned item must satisfy whatever the input was. */
static int read_all(const void *p, size_t len, bool skip_crc, int *items, struct nl_trace_rstats *st)
{
	struct nl_trace_ropts o = { .skip_checksums = skip_crc };
	struct nl_trace_reader *r;
	struct nl_trace_item it;
	char err[256];
	int rc = nl_trace_reader_open_mem(p, len, &o, &r, err, sizeof(err));

	*items = 0;
	if (rc) {
		assert_true(rc < 0);
		assert_true(err[0] != '\0');
		return rc;
	}
	while ((rc = nl_trace_next(r, &it)) == 1) {
		(*items)++;
		if (it.kind == NL_TRACE_ITEM_INTERVAL) {
			assert_true(it.snap.nr_procs >= 0);
			assert_true(it.snap.topo.nr_nodes <= NL_MAX_NODES);
		}
		nl_trace_item_free(&it);
	}
	if (rc < 0)
		assert_true(nl_trace_reader_error(r)[0] != '\0');
	if (st)
		nl_trace_reader_stats(r, st);
	nl_trace_reader_close(r);
	return rc;
}

/* Walks the container: where each chunk ends, and the header's end. */
static int chunk_ends(const struct file *f, size_t *ends, int max, size_t *hdr_end)
{
	uint32_t slen;
	size_t off;
	int n = 0;

	memcpy(&slen, f->p + 12, 4);
	off = NL_TRACE_HDR_LEN + slen;
	*hdr_end = off;
	while (off + NL_TRACE_CHUNK_HDR_LEN <= f->len && n < max) {
		uint32_t stored;
		memcpy(&stored, f->p + off + 20, 4);
		off += NL_TRACE_CHUNK_HDR_LEN + stored;
		ends[n++] = off;
	}
	assert_int_equal(off, f->len);
	return n;
}

/* Items per chunk of the complete file: items_before[k] = items in chunks 0..k-1. */
static void items_per_chunk(const struct file *f, int *items_before, int nr_chunks)
{
	struct nl_trace_reader *r;
	struct nl_trace_item it;
	struct nl_trace_rstats st;
	char err[256];
	int count = 0;

	assert_int_equal(nl_trace_reader_open_mem(f->p, f->len, NULL, &r, err, sizeof(err)), 0);
	for (int k = 0; k <= nr_chunks; k++)
		items_before[k] = -1;
	items_before[0] = 0;
	while (nl_trace_next(r, &it) == 1) {
		nl_trace_reader_stats(r, &st);
		/* the item came from chunk st.chunks - 1: every item so far is before chunk st.chunks */
		count++;
		items_before[st.chunks] = count;
		nl_trace_item_free(&it);
	}
	for (int k = 1; k <= nr_chunks; k++)
		if (items_before[k] < 0)
			items_before[k] = items_before[k - 1];
	nl_trace_reader_close(r);
}

static void every_prefix(enum nl_trace_compression comp)
{
	struct file f = small_recording(comp, 6);
	size_t ends[256], hdr_end;
	int before[257];
	int n = chunk_ends(&f, ends, 256, &hdr_end);

	assert_true(n >= 8); /* several chunks, or the test proves little */
	items_per_chunk(&f, before, n);
	for (size_t len = 0; len <= f.len; len++) {
		struct nl_trace_rstats st;
		int items, complete = 0;
		int rc = read_all(f.p, len, false, &items, &st);
		if (len < hdr_end) {
			assert_true(rc < 0);
			continue;
		}
		while (complete < n && ends[complete] <= len)
			complete++;
		size_t last_end = complete ? ends[complete - 1] : hdr_end;
		if (rc != 0)
			fail_msg("prefix %zu of %zu: %d", len, f.len, rc);
		assert_int_equal(items, before[complete]);
		assert_int_equal(st.chunks, complete);
		if (len == f.len) {
			assert_false(st.truncated);
			assert_true(st.ended);
		} else {
			assert_true(st.truncated);
			assert_int_equal(st.bytes_lost, len - last_end);
		}
	}
	free(f.p);
}

static void test_every_prefix_zstd(void **state) { every_prefix(NL_TRACE_ZSTD); }
static void test_every_prefix_zlib(void **state) { every_prefix(NL_TRACE_ZLIB); }
static void test_every_prefix_none(void **state) { every_prefix(NL_TRACE_NONE); }

/* The same through a file descriptor (its size bounds the lengths), with a stride. */
static void test_prefix_from_files(void **state)
{
	struct file f = small_recording(NL_TRACE_ZSTD, 4);
	const char *path = path_of("prefix.nl");
	size_t ends[256], hdr_end;
	int n = chunk_ends(&f, ends, 256, &hdr_end);

	for (size_t len = hdr_end; len <= f.len; len += 13) {
		struct nl_trace_reader *r = NULL;
		struct nl_trace_item it;
		struct nl_trace_rstats st;
		int complete = 0;
		spit(path, f.p, len);
		r = open_reader(path);
		while (nl_trace_next(r, &it) == 1)
			nl_trace_item_free(&it);
		nl_trace_reader_stats(r, &st);
		while (complete < n && ends[complete] <= len)
			complete++;
		assert_int_equal(st.chunks, complete);
		if (len < f.len && len > (complete ? ends[complete - 1] : hdr_end)) {
			assert_int_equal(st.bytes_lost, len - (complete ? ends[complete - 1] : hdr_end));
			assert_non_null(strstr(nl_trace_reader_error(r), "bytes after the last complete chunk not read"));
		}
		nl_trace_reader_close(r);
	}
	free(f.p);
}

/* A pipe has no size to check lengths against: the reader reads what is there. */
static void test_read_from_pipe(void **state)
{
	struct file f = small_recording(NL_TRACE_ZLIB, 3);
	const char *path = path_of("fifo");
	int items, status;
	pid_t pid;

	for (int cut = 0; cut < 2; cut++) {
		size_t len = cut ? f.len - 40 : f.len;
		unlink(path);
		assert_int_equal(mkfifo(path, 0600), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (!pid) {
			int fd = open(path, O_WRONLY);
			_exit(fd < 0 || write(fd, f.p, len) != (ssize_t)len);
		}
		struct nl_trace_reader *r = open_reader(path);
		struct nl_trace_item it;
		struct nl_trace_rstats st;
		items = 0;
		while (nl_trace_next(r, &it) == 1) {
			items++;
			nl_trace_item_free(&it);
		}
		nl_trace_reader_stats(r, &st);
		assert_int_equal(st.truncated, cut);
		assert_int_equal(st.ended, !cut);
		if (items < (cut ? 6 : 9))
			fail_msg("cut %d: %d items, %s", cut, items, nl_trace_reader_error(r));
		nl_trace_reader_close(r);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_int_equal(status, 0);
	}
	free(f.p);
}

/* A writer that never closed (killed): every flushed chunk reads, the end is flagged. */
static void test_writer_killed(void **state)
{
	struct nl_trace_meta m;
	struct nl_snapshot s;
	const char *path = path_of("killed.nl");
	pid_t pid;
	int status;

	fill_meta(&m);
	fill_snapshot(&s, &m, 1, true);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		struct nl_trace_writer *w = open_writer(path, &m, NL_TRACE_ZSTD, 0, 0);
		for (int i = 0; i < 3; i++)
			if (nl_trace_write_interval(w, &s) || nl_trace_flush(w))
				_exit(1);
		nl_trace_write_interval(w, &s); /* not flushed: lost */
		kill(getpid(), SIGKILL);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));

	struct nl_trace_reader *r = open_reader(path);
	for (int i = 0; i < 3; i++)
		expect_interval(r, &s);
	struct nl_trace_item it;
	struct nl_trace_rstats st;
	assert_int_equal(nl_trace_next(r, &it), 0);
	nl_trace_reader_stats(r, &st);
	assert_true(st.truncated);
	assert_false(st.ended);
	assert_int_equal(st.bytes_lost, 0);
	assert_non_null(strstr(nl_trace_reader_error(r), "without an end record"));
	nl_trace_reader_close(r);
	nl_snapshot_free(&s);
	nl_trace_meta_free(&m);
}

/* ---- corruption ---- */

static void test_checksum_stops_at_the_chunk(void **state)
{
	struct file f = small_recording(NL_TRACE_ZSTD, 6);
	size_t ends[256], hdr_end;
	int before[257], items;
	int n = chunk_ends(&f, ends, 256, &hdr_end);
	struct nl_trace_rstats st;
	char want[64];

	items_per_chunk(&f, before, n);
	f.p[ends[2] + NL_TRACE_CHUNK_HDR_LEN + 1] ^= 0x40; /* the payload of chunk 3 */
	struct nl_trace_reader *r;
	char err[256];
	assert_int_equal(nl_trace_reader_open_mem(f.p, f.len, NULL, &r, err, sizeof(err)), 0);
	struct nl_trace_item it;
	int rc;
	items = 0;
	while ((rc = nl_trace_next(r, &it)) == 1) {
		items++;
		nl_trace_item_free(&it);
	}
	assert_true(rc < 0);
	assert_int_equal(items, before[3]);
	snprintf(want, sizeof(want), "chunk 3 at offset %zu: checksum mismatch", ends[2]);
	assert_non_null(strstr(nl_trace_reader_error(r), want));
	assert_true(nl_trace_next(r, &it) < 0); /* stays failed */
	nl_trace_reader_stats(r, &st);
	assert_int_equal(st.chunks, 3);
	nl_trace_reader_close(r);

	/* A header whose checksum fails is refused at open. */
	f.p[ends[2] + NL_TRACE_CHUNK_HDR_LEN + 1] ^= 0x40;
	f.p[30] ^= 1;
	assert_true(read_all(f.p, f.len, false, &items, NULL) < 0);
	free(f.p);
}

static uint32_t rnd_state = 12345;
static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

/* Random flips, checksums on and off (off, the decoder itself meets the damage). */
static void test_random_flips(void **state)
{
	static const enum nl_trace_compression comps[] = { NL_TRACE_ZSTD, NL_TRACE_ZLIB, NL_TRACE_NONE };

	for (int c = 0; c < 3; c++) {
		struct file f = small_recording(comps[c], 4);
		uint8_t *copy = malloc(f.len);
		for (int iter = 0; iter < 1500; iter++) {
			int items, flips = 1 + (int)(rnd() % 4);
			memcpy(copy, f.p, f.len);
			for (int k = 0; k < flips; k++)
				copy[rnd() % f.len] ^= (uint8_t)(1u << (rnd() % 8));
			int rc = read_all(copy, f.len, iter % 2, &items, NULL);
			assert_true(rc <= 0);
		}
		free(copy);
		free(f.p);
	}
}

/* ---- hostile lengths and counts ---- */

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4); /* x86 and arm64 are little-endian, as the format */
}

/* A header with the given sections area, checksummed. */
static size_t make_header(uint8_t *out, const uint8_t *sections, uint32_t len, uint32_t nr)
{
	memcpy(out, NL_TRACE_MAGIC, 8);
	put32(out + 8, NL_TRACE_VERSION);
	put32(out + 12, len);
	put32(out + 16, nr);
	if (len)
		memmove(out + 24, sections, len);
	put32(out + 20, (uint32_t)crc32(crc32(0, out, 20), out + 24, len));
	return 24 + len;
}

/* A chunk holding raw as is (no compression), checksummed. */
static size_t make_chunk(uint8_t *out, uint64_t seq, const uint8_t *raw, uint32_t len,
			 uint32_t records)
{
	put32(out, NL_TRACE_CHUNK_MAGIC);
	put32(out + 4, 0);
	memcpy(out + 8, &seq, 8);
	put32(out + 16, len);
	put32(out + 20, len);
	put32(out + 24, records);
	put32(out + 28, (uint32_t)crc32(0, raw, len));
	put32(out + 32, (uint32_t)crc32(0, out, 32));
	memcpy(out + 36, raw, len);
	return 36 + len;
}

/* Reads buf expecting an error (or a truncated end) with text, and a small peak. */
static void expect_refused(const uint8_t *buf, size_t len, const char *text)
{
	struct nl_trace_reader *r;
	struct nl_trace_item it;
	char err[256] = "";
	int rc;

	peak_alloc = 0;
	rc = nl_trace_reader_open_mem(buf, len, NULL, &r, err, sizeof(err));
	if (!rc) {
		while ((rc = nl_trace_next(r, &it)) == 1)
			nl_trace_item_free(&it);
		snprintf(err, sizeof(err), "%s", nl_trace_reader_error(r));
		nl_trace_reader_close(r);
	}
	if (!strstr(err, text))
		fail_msg("wanted '%s', got %d '%s'", text, rc, err);
	if (HAVE_PEAK && peak_alloc > (1u << 20))
		fail_msg("'%s': an allocation of %zu bytes", text, peak_alloc);
}

static void test_hostile_header(void **state)
{
	uint8_t buf[4096], sec[64];

	make_header(buf, NULL, 0, 0);
	put32(buf + 12, 0xfffffff0u); /* sections_len */
	expect_refused(buf, 24, "sections");
	make_header(buf, NULL, 0, 0);
	put32(buf + 12, 1000); /* more than the file has */
	expect_refused(buf, 24, "file ends inside its header");
	make_header(buf, NULL, 0, 0);
	put32(buf + 8, 99);
	expect_refused(buf, 24, "version 99");
	/* a section claiming more than the header holds */
	put32(sec, NL_SEC_HOSTNAME);
	put32(sec + 4, 0x7fffffff);
	expect_refused(buf, make_header(buf, sec, 8, 1), "claims");
	/* a string whose length runs past its section */
	put32(sec + 4, 4);
	memcpy(sec + 8, "\x0a\xff\xff\x7f", 4); /* tag 1 LEN, length 2 MiB */
	expect_refused(buf, make_header(buf, sec, 12, 1), "beyond");
	/* a topology list claiming 2^40 nodes */
	put32(sec, NL_SEC_TOPOLOGY);
	put32(sec + 4, 9);
	memcpy(sec + 8, "\x0a\x07\x80\x80\x80\x80\x80\x20\x00", 9);
	expect_refused(buf, make_header(buf, sec, 17, 1), "a list of 1099511627776 node entries, over");
	/* a CPU list of 60000 CPUs in a few bytes */
	static const uint8_t cpus[] = { 0x0a, 0x09, 0x01, 0x07, 0x12, 0x05, 0xe0, 0xd4, 0x03, 0x00, 0x01 };
	put32(sec + 4, sizeof(cpus));
	memcpy(sec + 8, cpus, sizeof(cpus));
	expect_refused(buf, make_header(buf, sec, 8 + sizeof(cpus), 1), "a list of 60000 CPU entries in 2 bytes");
	/* the same section twice */
	put32(sec, NL_SEC_HOSTNAME);
	put32(sec + 4, 0);
	put32(sec + 8, NL_SEC_HOSTNAME);
	put32(sec + 12, 0);
	expect_refused(buf, make_header(buf, sec, 16, 2), "appears twice");
}

static void test_hostile_chunks(void **state)
{
	uint8_t buf[8192], rec[64];
	size_t h = make_header(buf, NULL, 0, 0), n;

	/* raw length over the limit */
	n = make_chunk(buf + h, 0, (const uint8_t *)"", 0, 0);
	put32(buf + h + 16, 0xffffffffu);
	put32(buf + h + 32, (uint32_t)crc32(0, buf + h, 32));
	expect_refused(buf, h + n, "limit");
	/* a compression this build does not know */
	n = make_chunk(buf + h, 0, (const uint8_t *)"", 0, 0);
	put32(buf + h + 4, 7);
	put32(buf + h + 32, (uint32_t)crc32(0, buf + h, 32));
	expect_refused(buf, h + n, "chunk 0 at offset 24: unknown compression 7");
	/* stored length beyond the file: a cut file, nothing allocated for it */
	n = make_chunk(buf + h, 0, (const uint8_t *)"", 0, 0);
	put32(buf + h + 16, 60u << 20);
	put32(buf + h + 20, 60u << 20);
	put32(buf + h + 32, (uint32_t)crc32(0, buf + h, 32));
	expect_refused(buf, h + n, "bytes after the last complete chunk not read");
	/* a zstd chunk claiming 60 MiB from 30 bytes */
	n = make_chunk(buf + h, 0, (const uint8_t *)"\x28\xb5\x2f\xfd\x00\x00\x00\x00", 8, 0);
	put32(buf + h + 4, 2);
	put32(buf + h + 16, 60u << 20);
	put32(buf + h + 32, (uint32_t)crc32(0, buf + h, 32));
	expect_refused(buf, h + n, "zstd frame");
	/* a zlib chunk claiming 60 MiB from 8 bytes */
	put32(buf + h + 4, 1);
	put32(buf + h + 32, (uint32_t)crc32(0, buf + h, 32));
	expect_refused(buf, h + n, "zlib bytes cannot hold");
	/* a chunk out of sequence */
	n = make_chunk(buf + h, 5, (const uint8_t *)"", 0, 0);
	expect_refused(buf, h + n, "has seq 5, 0 expected");
	/* a record claiming more than its chunk */
	memcpy(rec, "\x01\xff\xff\xff\x0f", 5);
	n = make_chunk(buf + h, 0, rec, 5, 1);
	expect_refused(buf, h + n, "beyond");
	/* an interval whose process list claims 2^40 entries */
	memcpy(rec, "\x01\x0a\x42\x08\x80\x80\x80\x80\x80\x20\x00\x00", 12);
	n = make_chunk(buf + h, 0, rec, 12, 1);
	expect_refused(buf, h + n, "over the limit");
	/* 4 processes in 5 bytes: fine, and a fifth claimed in 4 bytes is not */
	memcpy(rec, "\x01\x07\x42\x05\x04\x00\x00\x00\x00", 9);
	n = make_chunk(buf + h, 0, rec, 9, 1);
	expect_refused(buf, h + n, "without an end record");
	memcpy(rec, "\x01\x06\x42\x04\x05\x00\x00\x00", 8);
	n = make_chunk(buf + h, 0, rec, 8, 1);
	expect_refused(buf, h + n, "a list of 5 process entries in 3 bytes");
	/* a stack of 33 frames */
	static const uint8_t deep[] = { 0x01, 0x0d, 0x42, 0x0b, 0x01, 0x09, 0x3a, 0x07, 0x01,
					0x05, 0x2a, 0x03, 0x0a, 0x01, 0x21 };
	n = make_chunk(buf + h, 0, deep, sizeof(deep), 1);
	expect_refused(buf, h + n, "a list of 33 frame entries, over the limit of 32");
	/* a varint longer than 64 bits */
	memcpy(rec, "\x01\x0b\x10\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 13);
	n = make_chunk(buf + h, 0, rec, 13, 1);
	expect_refused(buf, h + n, "longer than 64 bits");
	/* a wire type that cannot be skipped */
	memcpy(rec, "\x01\x01\x0b", 3);
	n = make_chunk(buf + h, 0, rec, 3, 1);
	expect_refused(buf, h + n, "wire type 3");
	/* a record count that does not match */
	memcpy(rec, "\x07\x00", 2);
	n = make_chunk(buf + h, 0, rec, 2, 3);
	expect_refused(buf, h + n, "1 records, its header says 3");
	/* zeros where a chunk should be (a power cut): a cut file */
	memset(buf + h, 0, 100);
	expect_refused(buf, h + 100, "bytes after the last complete chunk not read");
	/* not a trace at all */
	expect_refused((const uint8_t *)"#!/bin/sh\n", 10, "not a numalens trace");
	expect_refused((const uint8_t *)"", 0, "empty file");
}

/* The budget: a list of empty entries costs a struct per byte; past the item's budget
 * the reader refuses instead of allocating. */
static void test_item_budget(void **state)
{
	uint8_t *buf = calloc(1, 1 << 20);
	uint8_t *rec = calloc(1, 1 << 19);
	size_t h = make_header(buf, NULL, 0, 0), r = 0;
	const uint32_t nthreads = 30000; /* 30000 x 3 KiB = 92 MiB of threads */
	struct nl_trace_ropts o = { .max_item_bytes = 32u << 20 };
	struct nl_trace_reader *rd;
	struct nl_trace_item it;
	char err[256];

	/* record INTERVAL { procs: [ { threads: [ {} x nthreads ] } ] }, every length a
	 * 3-byte varint */
	size_t thr_len = 3 + nthreads; /* the count, then one 0-length byte per entry */
	size_t proc_len = 1 + 3 + thr_len, list_len = 1 + 3 + proc_len, snap_len = 1 + 3 + list_len;
	rec[r++] = NL_REC_INTERVAL;
#define V3(x) rec[r++] = (uint8_t)(0x80 | ((x) & 0x7f)), rec[r++] = (uint8_t)(0x80 | (((x) >> 7) & 0x7f)), \
	      rec[r++] = (uint8_t)((x) >> 14)
	V3(snap_len);
	rec[r++] = NL_T_SNAP_PROCS << 3 | 2;
	V3(list_len);
	rec[r++] = 1; /* one process */
	V3(proc_len);
	rec[r++] = NL_T_PROC_THREADS << 3 | 2;
	V3(thr_len);
	V3(nthreads);
	r += nthreads; /* zero-length entries */
	size_t n = make_chunk(buf + h, 0, rec, (uint32_t)r, 1);

	assert_int_equal(nl_trace_reader_open_mem(buf, h + n, &o, &rd, err, sizeof(err)), 0);
	peak_alloc = 0;
	assert_true(nl_trace_next(rd, &it) < 0);
	assert_non_null(strstr(nl_trace_reader_error(rd), "30000 x 1992 bytes exceed the"));
	if (HAVE_PEAK)
		assert_true(peak_alloc < (8u << 20));
	nl_trace_reader_close(rd);

	/* within the default budget it reads, every thread empty */
	assert_int_equal(nl_trace_reader_open_mem(buf, h + n, NULL, &rd, err, sizeof(err)), 0);
	assert_int_equal(nl_trace_next(rd, &it), 1);
	assert_int_equal(it.snap.procs[0].nr_threads, (int)nthreads);
	nl_trace_item_free(&it);
	nl_trace_reader_close(rd);
	free(rec);
	free(buf);
}

/* ---- extension: what an old reader meets in a newer file ---- */

static void test_unknown_records_and_fields(void **state)
{
	struct nl_trace_meta m;
	struct nl_snapshot s;
	struct nl_buf b = { 0 };
	const char *path = path_of("unknown.nl");

	fill_meta(&m);
	fill_snapshot(&s, &m, 1, true);
	struct nl_trace_writer *w = open_writer(path, &m, NL_TRACE_ZSTD, 0, 0);
	assert_int_equal(nl_trace_write_raw(w, 99, "future", 6), 0);
	/* an interval with fields from a newer writer: a varint, a string, a fixed64, a
	 * fixed32, and an unknown tag inside a nested counts message */
	nl_schema_enc_snapshot(&b, &s);
	nl_enc_u64(&b, 200, 5);
	nl_enc_str(&b, 201, "a new string field");
	nl_enc_double(&b, 202, 2.5);
	nl_put_varint(&b, 203u << 3 | NL_WIRE_FIXED32);
	nl_buf_put(&b, "\1\2\3\4", 4);
	size_t mark = nl_enc_begin(&b, NL_T_SNAP_VM_NOW);
	nl_enc_u64(&b, NL_T_VM_HINT_FAULTS, 21);
	nl_enc_u64(&b, 50, 1);
	nl_enc_end(&b, mark);
	/* and a known tag with another wire type (a future change of type) */
	nl_enc_str(&b, NL_T_SNAP_SEQ, "not a varint");
	assert_int_equal(b.err, 0);
	assert_int_equal(nl_trace_write_raw(w, NL_REC_INTERVAL, b.p, b.len), 0);
	assert_int_equal(nl_trace_writer_close(w), 0);

	struct nl_trace_reader *r = open_reader(path);
	expect_interval(r, &s); /* vm_now's hint_faults 21 is what s has */
	struct nl_trace_item it;
	struct nl_trace_rstats st;
	assert_int_equal(nl_trace_next(r, &it), 0);
	nl_trace_reader_stats(r, &st);
	assert_int_equal(st.skipped_records, 1);
	assert_int_equal(st.skipped_fields, 6);
	assert_true(st.ended);
	assert_non_null(strstr(nl_trace_reader_notes(r), "unknown record type 99 skipped"));
	nl_trace_reader_close(r);
	nl_buf_free(&b);
	nl_snapshot_free(&s);
	nl_trace_meta_free(&m);
}

/* A header section this build does not know, inserted before the others. */
static void test_unknown_section(void **state)
{
	struct nl_trace_meta m;
	const char *path = path_of("section.nl");

	fill_meta(&m);
	struct nl_trace_writer *w = open_writer(path, &m, NL_TRACE_ZLIB, 0, 0);
	assert_int_equal(nl_trace_writer_close(w), 0);
	struct file f = slurp(path);
	uint32_t slen, nr;
	memcpy(&slen, f.p + 12, 4);
	memcpy(&nr, f.p + 16, 4);
	uint8_t *g = malloc(f.len + 20);
	static const uint8_t sec[] = { 77, 0, 0, 0, 5, 0, 0, 0, 0x08, 0x01, 0x12, 0x01, 'x' };
	memcpy(g + 24, sec, sizeof(sec));
	memcpy(g + 24 + sizeof(sec), f.p + 24, f.len - 24);
	size_t h = make_header(g, g + 24, slen + (uint32_t)sizeof(sec), nr + 1);
	assert_int_equal(h, 24 + slen + sizeof(sec));
	spit(path, g, f.len + sizeof(sec));

	struct nl_trace_reader *r = open_reader(path);
	struct nl_trace_rstats st;
	assert_meta_equal(nl_trace_reader_meta(r), &m);
	nl_trace_reader_stats(r, &st);
	assert_int_equal(st.skipped_sections, 1);
	assert_non_null(strstr(nl_trace_reader_notes(r), "unknown section 77, skipped"));
	nl_trace_reader_close(r);
	free(g);
	free(f.p);
	nl_trace_meta_free(&m);
}

/* A node id this build cannot hold is left out, and said so. */
static void test_node_beyond_max(void **state)
{
	struct nl_buf b = { 0 };
	uint8_t buf[512], sec[256];

	size_t l = nl_enc_list_begin(&b, NL_T_TOPO_NODES, 2);
	size_t e = nl_enc_begin(&b, 0);
	nl_enc_u64(&b, NL_T_NODE_ID, 1);
	nl_enc_u64(&b, NL_T_NODE_MEM_KB, 1234);
	nl_enc_end(&b, e);
	e = nl_enc_begin(&b, 0);
	nl_enc_u64(&b, NL_T_NODE_ID, NL_MAX_NODES + 3);
	nl_enc_end(&b, e);
	nl_enc_end(&b, l);
	put32(sec, NL_SEC_TOPOLOGY);
	put32(sec + 4, (uint32_t)b.len);
	memcpy(sec + 8, b.p, b.len);
	size_t h = make_header(buf, sec, 8 + (uint32_t)b.len, 1);
	struct nl_trace_reader *r;
	char err[256];
	assert_int_equal(nl_trace_reader_open_mem(buf, h, NULL, &r, err, sizeof(err)), 0);
	const struct nl_trace_meta *m = nl_trace_reader_meta(r);
	assert_int_equal(m->topo.nr_nodes, 1);
	assert_int_equal(m->topo.node_ids[0], 1);
	assert_int_equal(m->topo.mem_total_kb[1], 1234);
	struct nl_trace_rstats st;
	nl_trace_reader_stats(r, &st);
	assert_int_equal(st.skipped_values, 1);
	nl_trace_reader_close(r);
	nl_buf_free(&b);
}

/* ---- rotation, modes, stats, limits ---- */

/* A file fills at every chunk: each record that comes after a rotation lands, whole,
 * in the next file (the END record of the full one is encoded apart from it), and the
 * last file is not an empty continuation. Chunks hold one interval and a bit, so the
 * second interval of each chunk cuts it before it is added. */
static void test_rotation_every_chunk(void **state)
{
	struct nl_trace_meta m;
	struct nl_snapshot s;
	const char *path = path_of("rot1.nl");
	const char *const *files;
	char names[16][128];
	int seen = 0;

	(void)state;
	fill_meta(&m);
	fill_snapshot(&s, &m, 1, true);
	struct nl_trace_writer *probe = open_writer(path_of("size.nl"), &m, NL_TRACE_NONE, 0, 0);
	struct nl_trace_wstats st0, st1;
	nl_trace_writer_stats(probe, &st0);
	assert_int_equal(nl_trace_write_interval(probe, &s), 0);
	assert_int_equal(nl_trace_flush(probe), 0);
	nl_trace_writer_stats(probe, &st1);
	nl_trace_writer_close(probe);
	nl_snapshot_free(&s);
	size_t one = (size_t)(st1.raw_bytes - st0.raw_bytes);

	struct nl_trace_writer *w = open_writer(path, &m, NL_TRACE_ZSTD, one + one / 2, 1);
	for (int i = 0; i < 6; i++) {
		fill_snapshot(&s, &m, (uint64_t)i + 1, true);
		assert_int_equal(nl_trace_write_interval(w, &s), 0);
		nl_snapshot_free(&s);
	}
	size_t nr = nl_trace_writer_files(w, &files);
	for (size_t i = 0; i < nr && i < 16; i++)
		snprintf(names[i], sizeof(names[i]), "%s", files[i]);
	assert_int_equal(nl_trace_writer_close(w), 0);
	assert_true(nr >= 3 && nr <= 16);
	for (size_t i = 0; i < nr; i++) {
		struct nl_trace_reader *r = open_reader(names[i]);
		struct nl_trace_item it;
		int here = 0;
		while (nl_trace_next(r, &it) == 1) {
			assert_int_equal(it.snap.seq, (uint64_t)seen + 1);
			seen++;
			here++;
			nl_trace_item_free(&it);
		}
		assert_string_equal(nl_trace_reader_error(r), "");
		assert_true(here > 0);
		nl_trace_reader_close(r);
	}
	assert_int_equal(seen, 6);
	nl_trace_meta_free(&m);
}

static void test_rotation(void **state)
{
	struct nl_trace_meta m;
	struct nl_snapshot s;
	const char *path = path_of("rot.nl");
	const char *const *files;
	struct nl_trace_wstats ws;

	fill_meta(&m);
	struct nl_trace_writer *w = open_writer(path, &m, NL_TRACE_ZSTD, 2000, 40000);
	for (int i = 0; i < 20; i++) {
		fill_snapshot(&s, &m, (uint64_t)i + 1, true);
		if (i >= 10) /* the files after this start with these sources */
			nl_source_set(&s.sources[NL_SRC_SCHED], false, "changed");
		assert_int_equal(nl_trace_write_interval(w, &s), 0);
		nl_snapshot_free(&s);
	}
	size_t nr = nl_trace_writer_files(w, &files);
	assert_true(nr >= 3);
	assert_string_equal(files[0], path);
	assert_string_equal(files[1], path_of("rot.nl.1"));
	char names[16][128];
	for (size_t i = 0; i < nr && i < 16; i++)
		snprintf(names[i], sizeof(names[i]), "%s", files[i]);
	assert_int_equal(nl_trace_writer_close(w), 0);
	w = NULL;

	uint64_t next_seq = 0, id = 0;
	int intervals = 0;
	for (size_t i = 0; i < nr; i++) {
		struct nl_trace_reader *r = open_reader(names[i]);
		const struct nl_trace_meta *rm = nl_trace_reader_meta(r);
		struct nl_trace_item it;
		struct nl_trace_rstats st;
		struct stat sb;
		assert_int_equal(rm->part, i);
		assert_int_equal(rm->first_seq, next_seq); /* seq continues across files */
		if (i == 0)
			id = rm->recording_id;
		assert_int_equal(rm->recording_id, id);
		assert_string_equal(rm->hostname, m.hostname);
		int before = intervals;
		while (nl_trace_next(r, &it) == 1) {
			assert_int_equal(it.snap.seq, (uint64_t)intervals + 1);
			intervals++;
			nl_trace_item_free(&it);
		}
		/* every file holds intervals: none is opened for nothing at the end */
		assert_true(intervals > before);
		nl_trace_reader_stats(r, &st);
		assert_true(st.ended);
		assert_int_equal(st.continued, i + 1 < nr);
		assert_string_equal(nl_trace_reader_error(r), "");
		next_seq += st.chunks;
		assert_int_equal(stat(names[i], &sb), 0);
		assert_int_equal(sb.st_mode & 07777, 0600);
		if (i + 1 < nr) { /* rotated at the first chunk boundary past max_bytes */
			struct file f = slurp(names[i]);
			size_t ends[64], hdr_end;
			int k = chunk_ends(&f, ends, 64, &hdr_end);
			assert_true(k >= 3);
			assert_true(ends[k - 2] >= 40000); /* ends[k - 1]: the END chunk */
			assert_true(ends[k - 3] < 40000);
			free(f.p);
		}
		if (i + 1 == nr) /* the last file started after the sources changed */
			assert_string_equal(rm->sources[NL_SRC_SCHED].detail, "changed");
		nl_trace_reader_close(r);
	}
	assert_int_equal(intervals, 20);
	nl_trace_meta_free(&m);
	(void)ws;
}

static void test_mode_0600(void **state)
{
	struct nl_trace_meta m = { 0 };
	const char *path = path_of("mode.nl");
	struct stat sb;

	spit(path, "old", 3);
	assert_int_equal(chmod(path, 0666), 0);
	struct nl_trace_writer *w = open_writer(path, &m, NL_TRACE_ZSTD, 0, 0);
	assert_int_equal(nl_trace_writer_close(w), 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	unlink(path);
	w = open_writer(path, &m, NL_TRACE_ZSTD, 0, 0);
	assert_int_equal(nl_trace_writer_close(w), 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
}

static void test_writer_stats_and_events_split(void **state)
{
	struct nl_trace_meta m = { 0 };
	const char *path = path_of("events.nl");
	size_t n = NL_TRACE_MAX_EVENTS + 10;
	struct nl_event *ev = calloc(n, sizeof(*ev));
	struct nl_trace_wstats st;

	for (size_t i = 0; i < n; i++)
		ev[i] = make_event((int)i);
	struct nl_trace_writer *w = open_writer(path, &m, NL_TRACE_ZSTD, 0, 0);
	assert_int_equal(nl_trace_write_events(w, ev, n), 0);
	assert_int_equal(nl_trace_write_sources(w, m.sources), 0); /* unchanged: nothing */
	nl_trace_writer_stats(w, &st);
	assert_int_equal(st.records, 2);
	assert_int_equal(st.files, 1);
	assert_int_equal(nl_trace_writer_close(w), 0);

	struct nl_trace_reader *r = open_reader(path);
	struct nl_trace_item it;
	size_t got = 0;
	while (nl_trace_next(r, &it) == 1) {
		assert_int_equal(it.kind, NL_TRACE_ITEM_EVENTS);
		assert_memory_equal(it.events, ev + got, it.nr_events * sizeof(*ev));
		got += it.nr_events;
		nl_trace_item_free(&it);
	}
	assert_int_equal(got, n);
	struct nl_trace_rstats rs;
	nl_trace_reader_stats(r, &rs);
	assert_int_equal(rs.records, 3); /* two EVENTS and the END */
	nl_trace_reader_close(r);
	free(ev);
}

/* What the reader would refuse, the writer does not write (and says why). */
static void test_writer_refuses_oversize(void **state)
{
	struct nl_trace_meta m = { 0 };
	struct nl_snapshot s = { 0 };
	struct nl_process p = { .pid = 1 };
	struct nl_thread t = { .tid = 2 };
	struct nl_stack st = { .nr = NL_MAX_FRAMES + 1 };

	t.first_touch_stack = &st;
	p.threads = &t;
	p.nr_threads = 1;
	s.procs = &p;
	s.nr_procs = 1;
	struct nl_trace_writer *w = open_writer(path_of("big.nl"), &m, NL_TRACE_ZSTD, 0, 0);
	assert_int_equal(nl_trace_write_interval(w, &s), -E2BIG);
	assert_non_null(strstr(nl_trace_writer_error(w), "a stack of 33 frames"));
	assert_int_equal(nl_trace_write_thread(w, NL_TRACE_THREAD_NEW, 1, 2, 3, "x"), -E2BIG);
	assert_int_equal(nl_trace_writer_close(w), -E2BIG);

	struct nl_trace_wopts o = { .comp = NL_TRACE_ZLIB, .level = 10 };
	char err[128];
	assert_int_equal(nl_trace_writer_open(path_of("bad.nl"), &m, &o, &w, err, sizeof(err)), -EINVAL);
	assert_null(w);
	o = (struct nl_trace_wopts){ .chunk_bytes = NL_TRACE_MAX_CHUNK + 1 };
	assert_int_equal(nl_trace_writer_open(path_of("bad.nl"), &m, &o, &w, err, sizeof(err)), -EINVAL);
	assert_int_equal(nl_trace_writer_open("/nonexistent/dir/x.nl", &m, NULL, &w, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/dir/x.nl"));
}

/* A THREAD blob (the flight recorder's) written raw reads back as nl_trace_write_thread's. */
static void test_encode_thread_blob(void **state)
{
	struct nl_trace_meta m = { 0 };
	const char *path = path_of("blob.nl");
	struct nl_trace_blob b[2];
	struct nl_trace_item it;

	assert_int_equal(nl_trace_encode_thread(NL_TRACE_THREAD_NEW, 5, 11, 10, "worker-long-name-cut", &b[0]), 0);
	assert_int_equal(nl_trace_encode_thread(NL_TRACE_THREAD_EXIT, 6, 11, 10, NULL, &b[1]), 0);
	struct nl_trace_writer *w = open_writer(path, &m, NL_TRACE_ZSTD, 0, 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(b[i].type, NL_REC_THREAD);
		assert_int_equal(nl_trace_write_raw(w, b[i].type, b[i].p, b[i].len), 0);
		nl_trace_blob_free(&b[i]);
	}
	assert_int_equal(nl_trace_writer_close(w), 0);
	struct nl_trace_reader *r = open_reader(path);
	assert_int_equal(nl_trace_next(r, &it), 1);
	assert_int_equal(it.kind, NL_TRACE_ITEM_THREAD);
	assert_int_equal(it.thread.kind, NL_TRACE_THREAD_NEW);
	assert_int_equal(it.thread.mono_ns, 5);
	assert_int_equal(it.thread.tid, 11);
	assert_int_equal(it.thread.pid, 10);
	assert_string_equal(it.thread.comm, "worker-long-nam");
	nl_trace_item_free(&it);
	assert_int_equal(nl_trace_next(r, &it), 1);
	assert_int_equal(it.thread.kind, NL_TRACE_THREAD_EXIT);
	assert_string_equal(it.thread.comm, "");
	nl_trace_item_free(&it);
	assert_int_equal(nl_trace_next(r, &it), 0);
	nl_trace_reader_close(r);
}

struct told {
	char s[256];
};

static int tell(void *arg, enum nl_trace_thread_kind k, uint64_t mono_ns, uint32_t tid,
		uint32_t pid, const char *comm)
{
	struct told *t = arg;
	size_t len = strlen(t->s);

	snprintf(t->s + len, sizeof(t->s) - len, "%c%u/%u:%s@%llu ", "?NXR"[k], tid, pid, comm,
		 (unsigned long long)mono_ns);
	return 0;
}

/* Births once, renames, exits; exited threads leave the table (it stays bounded). */
static void test_thread_log(void **state)
{
	struct nl_thread th[4];
	struct nl_process p = { .pid = 10, .threads = th };
	struct nl_snapshot s = { .procs = &p, .nr_procs = 1 };
	struct nl_thread_log l = { 0 };
	struct told t;

	memset(th, 0, sizeof(th));
	th[0] = (struct nl_thread){ .tid = 11, .serial = 1, .comm = "a" };
	th[1] = (struct nl_thread){ .tid = 12, .serial = 2, .comm = "b" };
	p.nr_threads = 2;
	s.mono_ns = 100;
	t.s[0] = 0;
	assert_int_equal(nl_thread_log_interval(&l, &s, tell, &t), 0);
	assert_string_equal(t.s, "N11/10:a@100 N12/10:b@100 ");
	assert_int_equal(l.nr_known, 2);

	/* again: nothing new */
	t.s[0] = 0;
	assert_int_equal(nl_thread_log_interval(&l, &s, tell, &t), 0);
	assert_string_equal(t.s, "");

	th[0] = (struct nl_thread){ .tid = 11, .serial = 1, .comm = "a2" };
	th[1] = (struct nl_thread){ .tid = 12, .serial = 2, .comm = "b", .exited = true };
	th[2] = (struct nl_thread){ .tid = 13, .serial = 3, .comm = "c", .exited = true };
	th[3] = (struct nl_thread){ .tid = 0, .exited = true }; /* a process's folded exits */
	p.nr_threads = 4;
	s.mono_ns = 200;
	t.s[0] = 0;
	assert_int_equal(nl_thread_log_interval(&l, &s, tell, &t), 0);
	assert_string_equal(t.s, "R11/10:a2@200 X12/10:b@200 N13/10:c@200 X13/10:c@200 ");
	assert_int_equal(l.nr_known, 1);

	/* the last live thread exits: the table is empty */
	th[0] = (struct nl_thread){ .tid = 11, .serial = 1, .comm = "a2", .exited = true };
	p.nr_threads = 1;
	s.mono_ns = 300;
	t.s[0] = 0;
	assert_int_equal(nl_thread_log_interval(&l, &s, tell, &t), 0);
	assert_string_equal(t.s, "X11/10:a2@300 ");
	assert_int_equal(l.nr_known, 0);
	nl_thread_log_free(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model_sizes_known),
		cmocka_unit_test(test_roundtrip_zstd),
		cmocka_unit_test(test_roundtrip_zlib),
		cmocka_unit_test(test_roundtrip_none),
		cmocka_unit_test(test_roundtrip_zero),
		cmocka_unit_test(test_every_prefix_zstd),
		cmocka_unit_test(test_every_prefix_zlib),
		cmocka_unit_test(test_every_prefix_none),
		cmocka_unit_test(test_prefix_from_files),
		cmocka_unit_test(test_read_from_pipe),
		cmocka_unit_test(test_writer_killed),
		cmocka_unit_test(test_checksum_stops_at_the_chunk),
		cmocka_unit_test(test_random_flips),
		cmocka_unit_test(test_hostile_header),
		cmocka_unit_test(test_hostile_chunks),
		cmocka_unit_test(test_item_budget),
		cmocka_unit_test(test_unknown_records_and_fields),
		cmocka_unit_test(test_unknown_section),
		cmocka_unit_test(test_node_beyond_max),
		cmocka_unit_test(test_rotation),
		cmocka_unit_test(test_rotation_every_chunk),
		cmocka_unit_test(test_mode_0600),
		cmocka_unit_test(test_writer_stats_and_events_split),
		cmocka_unit_test(test_writer_refuses_oversize),
		cmocka_unit_test(test_encode_thread_blob),
		cmocka_unit_test(test_thread_log),
	};
	return cmocka_run_group_tests_name("trace", tests, setup_dir, remove_dir);
}
