/* Intervals added up into one snapshot: a report of a whole recording or of a window
 * of it. Counts add; residency, names, sources and state are the latest. Threads are
 * matched by (pid, serial, tid) through a hash, so a recording of 50 000 short threads
 * adds up in linear time. */
#include "model/accum.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct slot {
	uint32_t pid, tid;  /* tid UINT32_MAX: the process itself */
	uint64_t serial;
	int proc, thread;   /* indexes; -1 = empty slot */
};

static uint64_t hash_key(uint32_t pid, uint32_t tid, uint64_t serial)
{
	uint64_t h = (uint64_t)pid * 0x9E3779B97F4A7C15ull;
	h ^= ((uint64_t)tid + 0x632BE59BD9B4E019ull) * 0xC2B2AE3D27D4EB4Full;
	h ^= serial * 0x165667B19E3779F9ull;
	return h ^ (h >> 31);
}

static int grow_index(struct nl_accum *a);

/* The slot of a key: its own, or the empty one where it goes. */
static struct slot *lookup(struct nl_accum *a, uint32_t pid, uint32_t tid, uint64_t serial)
{
	size_t mask = a->nr_slots - 1, i = hash_key(pid, tid, serial) & mask;

	for (;; i = (i + 1) & mask) {
		struct slot *s = &a->slots[i];
		if (s->proc < 0 || (s->pid == pid && s->tid == tid && s->serial == serial))
			return s;
	}
}

static int grow_index(struct nl_accum *a)
{
	size_t n = a->nr_slots ? a->nr_slots * 2 : 1024;
	struct slot *old = a->slots;
	size_t old_n = a->nr_slots;

	a->slots = malloc(n * sizeof(*a->slots));
	if (!a->slots) {
		a->slots = old;
		return -ENOMEM;
	}
	a->nr_slots = n;
	for (size_t i = 0; i < n; i++)
		a->slots[i].proc = -1;
	for (size_t i = 0; i < old_n; i++)
		if (old[i].proc >= 0)
			*lookup(a, old[i].pid, old[i].tid, old[i].serial) = old[i];
	free(old);
	return 0;
}

static struct slot *claim(struct nl_accum *a, uint32_t pid, uint32_t tid, uint64_t serial)
{
	if ((a->used + 1) * 2 > a->nr_slots && grow_index(a))
		return NULL;
	struct slot *s = lookup(a, pid, tid, serial);
	if (s->proc < 0) {
		*s = (struct slot){ pid, tid, serial, -1, -1 };
		a->used++;
	}
	return s;
}

static int replace_vmas(struct nl_process *dst, const struct nl_process *src)
{
	struct nl_vma *v = NULL;

	if (src->nr_vmas && !(v = calloc((size_t)src->nr_vmas, sizeof(*v))))
		return -ENOMEM;
	for (int i = 0; i < src->nr_vmas; i++) {
		v[i] = src->vmas[i];
		v[i].name = NULL;
		if (src->vmas[i].name && !(v[i].name = strdup(src->vmas[i].name))) {
			for (int k = 0; k < i; k++)
				free(v[k].name);
			free(v);
			return -ENOMEM;
		}
	}
	for (int i = 0; i < dst->nr_vmas; i++)
		free(dst->vmas[i].name);
	free(dst->vmas);
	dst->vmas = v;
	dst->nr_vmas = src->nr_vmas;
	memcpy(dst->resident_pages, src->resident_pages, sizeof(dst->resident_pages));
	memcpy(dst->resident_huge_pages, src->resident_huge_pages, sizeof(dst->resident_huge_pages));
	memcpy(dst->resident_huge_kb, src->resident_huge_kb, sizeof(dst->resident_huge_kb));
	dst->resident_known = true;
	return 0;
}

static struct nl_process *get_proc(struct nl_accum *a, const struct nl_process *src)
{
	struct slot *s = claim(a, src->pid, UINT32_MAX, 0);

	if (!s)
		return NULL;
	if (s->proc >= 0)
		return &a->s.procs[s->proc];
	if ((size_t)a->s.nr_procs == a->proc_cap) {
		size_t ncap = a->proc_cap ? a->proc_cap * 2 : 16;
		struct nl_process *nv = realloc(a->s.procs, ncap * sizeof(*nv));
		size_t *nc = realloc(a->thread_cap, ncap * sizeof(*nc));
		if (nv)
			a->s.procs = nv;
		if (nc)
			a->thread_cap = nc;
		if (!nv || !nc)
			return NULL;
		a->proc_cap = ncap;
	}
	s->proc = a->s.nr_procs++;
	struct nl_process *p = &a->s.procs[s->proc];
	memset(p, 0, sizeof(*p));
	p->pid = src->pid;
	a->thread_cap[s->proc] = 0;
	return p;
}

static struct nl_thread *get_thread(struct nl_accum *a, int pi, const struct nl_thread *src)
{
	struct nl_process *p = &a->s.procs[pi];
	struct slot *s = claim(a, p->pid, src->tid, src->serial);

	if (!s)
		return NULL;
	if (s->thread >= 0)
		return &p->threads[s->thread];
	if ((size_t)p->nr_threads == a->thread_cap[pi]) {
		size_t ncap = a->thread_cap[pi] ? a->thread_cap[pi] * 2 : 8;
		struct nl_thread *nv = realloc(p->threads, ncap * sizeof(*nv));
		if (!nv)
			return NULL;
		p->threads = nv;
		a->thread_cap[pi] = ncap;
	}
	s->proc = pi;
	s->thread = p->nr_threads++;
	struct nl_thread *t = &p->threads[s->thread];
	memset(t, 0, sizeof(*t));
	t->tid = src->tid;
	t->serial = src->serial;
	return t;
}

static int add_thread(struct nl_accum *a, int pi, const struct nl_thread *src)
{
	struct nl_thread *t = get_thread(a, pi, src);

	if (!t)
		return -ENOMEM;
	nl_counts_add(&t->c, &src->c);
	memcpy(t->comm, src->comm, sizeof(t->comm));
	t->exited |= src->exited;
	if (src->first_touch_stack) {
		struct nl_stack *st = nl_stack_dup(src->first_touch_stack);
		if (!st)
			return -ENOMEM;
		nl_stack_free(t->first_touch_stack);
		t->first_touch_stack = st;
		t->first_touch_stack_pages = src->first_touch_stack_pages;
	}
	return 0;
}

static int add_process(struct nl_accum *a, const struct nl_process *src)
{
	struct nl_process *p = get_proc(a, src);

	if (!p)
		return -ENOMEM;
	int pi = (int)(p - a->s.procs);
	nl_counts_add(&p->c, &src->c);
	if (src->comm[0])
		memcpy(p->comm, src->comm, sizeof(p->comm));
	p->followed |= src->followed;
	if (src->diag.kind != NL_DIAG_NONE || src->diag.text[0])
		p->diag = src->diag;
	if (src->resident_known && replace_vmas(&a->s.procs[pi], src))
		return -ENOMEM;
	for (int t = 0; t < src->nr_threads; t++)
		if (add_thread(a, pi, &src->threads[t]))
			return -ENOMEM;
	return 0;
}

/* The window's checks added up, and judged again on the sums. */
static void add_vmstat(struct nl_vmstat_check *acc, const struct nl_vmstat_check *s)
{
	struct nl_vm_totals vm;
	struct nl_bpf_totals bpf;

	if (!s->valid && !s->bpf_valid)
		return;
	vm = (struct nl_vm_totals){
		.have_numa = true, .have_pgmigrate = true,
		.hint_faults = acc->hint_faults + s->hint_faults,
		.hint_faults_local = acc->hint_faults_local + s->hint_faults_local,
		.pages_migrated = acc->pages_migrated + s->pages_migrated,
		.pgmigrate_success = acc->pgmigrate_success + s->pgmigrate_success,
		.pgmigrate_fail = acc->pgmigrate_fail + s->pgmigrate_fail,
	};
	vm.have_numa = vm.have_pgmigrate = s->valid || acc->valid;
	bpf = (struct nl_bpf_totals){
		.valid = s->bpf_valid || acc->bpf_valid, .local_exact = s->bpf_local_exact,
		.hint_faults = acc->bpf_hint_faults + s->bpf_hint_faults,
		.hint_faults_local = acc->bpf_hint_faults_local + s->bpf_hint_faults_local,
		.pages_migrated = acc->bpf_pages_migrated + s->bpf_pages_migrated,
		.pgmigrate_success = acc->bpf_pgmigrate_success + s->bpf_pgmigrate_success,
		.pgmigrate_fail = acc->bpf_pgmigrate_fail + s->bpf_pgmigrate_fail,
	};
	nl_vmstat_check_make(acc, &vm, &bpf, 2, 2.0);
}

static int start(struct nl_accum *a, const struct nl_snapshot *s)
{
	if (nl_snapshot_copy(&a->s, s))
		return -ENOMEM;
	/* keep the header, drop the processes: they are added like every later interval */
	struct nl_snapshot empty = a->s;
	empty.procs = NULL;
	empty.nr_procs = 0;
	for (int p = 0; p < a->s.nr_procs; p++)
		nl_process_free(&a->s.procs[p]);
	free(a->s.procs);
	a->s = empty;
	a->s.interval_ns = 0;
	a->s.lost_events = 0;
	memset(&a->s.vmstat, 0, sizeof(a->s.vmstat));
	a->first_mono_ns = s->mono_ns - s->interval_ns;
	a->started = true;
	return 0;
}

int nl_accum_add(struct nl_accum *a, const struct nl_snapshot *s)
{
	if (!a->started && start(a, s))
		return -ENOMEM;
	a->s.interval_ns += s->interval_ns;
	a->s.lost_events += s->lost_events;
	a->s.mono_ns = s->mono_ns;
	a->s.timestamp_ns = s->timestamp_ns;
	a->s.numa_balancing = s->numa_balancing;
	memcpy(a->s.autonuma_state, s->autonuma_state, sizeof(a->s.autonuma_state));
	if (s->numastat_valid) {
		a->s.numastat_valid = true;
		memcpy(a->s.numastat, s->numastat, sizeof(a->s.numastat));
	}
	add_vmstat(&a->s.vmstat, &s->vmstat);
	if (nl_sources_copy(a->s.sources, s->sources))
		return -ENOMEM;
	a->intervals++;
	for (int p = 0; p < s->nr_procs; p++)
		if (add_process(a, &s->procs[p]))
			return -ENOMEM;
	return 0;
}

void nl_accum_free(struct nl_accum *a)
{
	nl_snapshot_free(&a->s);
	free(a->slots);
	free(a->thread_cap);
	memset(a, 0, sizeof(*a));
}
