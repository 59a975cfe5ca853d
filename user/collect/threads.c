#include "collect/threads.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static size_t bucket_of(const struct nl_thread_table *t, uint32_t tid)
{
	return (tid * 2654435761u) & (t->nr_buckets - 1);
}

/* Re-links every entry: after growth or pruning moved them. */
static int rehash(struct nl_thread_table *t, size_t want)
{
	size_t nb = 1024;

	while (nb < want * 2)
		nb *= 2;
	if (nb > t->nr_buckets) { /* never shrinks: pruning re-links without allocating */
		int *b = malloc(nb * sizeof(*b));
		if (!b)
			return -ENOMEM;
		free(t->buckets);
		t->buckets = b;
		t->nr_buckets = nb;
	}
	memset(t->buckets, 0xff, t->nr_buckets * sizeof(*t->buckets));
	for (size_t i = 0; i < t->n; i++) {
		size_t b = bucket_of(t, t->v[i].tid);
		t->v[i].next = t->buckets[b];
		t->buckets[b] = (int)i;
	}
	return 0;
}

/* Is e thread tid started at start_ns (0: either start)? */
static bool same_thread(const struct nl_tracked *e, uint32_t tid, uint64_t start_ns)
{
	return e->tid == tid && (!start_ns || !e->start_ns || e->start_ns == start_ns);
}

struct nl_tracked *nl_tt_live(struct nl_thread_table *t, uint32_t tid, uint64_t start_ns)
{
	if (!t->nr_buckets || !tid)
		return NULL;
	for (int i = t->buckets[bucket_of(t, tid)]; i >= 0; i = t->v[i].next)
		if (same_thread(&t->v[i], tid, start_ns) && !t->v[i].exited)
			return &t->v[i];
	return NULL;
}

struct nl_tracked *nl_tt_find(struct nl_thread_table *t, uint32_t tid, uint64_t start_ns,
			      uint64_t seq)
{
	struct nl_tracked *exited = NULL;

	if (!t->nr_buckets || !tid)
		return NULL;
	for (int i = t->buckets[bucket_of(t, tid)]; i >= 0; i = t->v[i].next) {
		struct nl_tracked *e = &t->v[i];
		if (!same_thread(e, tid, start_ns))
			continue;
		if (!e->exited)
			return e;
		if (e->exit_seq == seq || e->exit_seq + 1 == seq)
			exited = e;
	}
	return exited;
}

struct nl_tracked *nl_tt_folded(struct nl_thread_table *t, uint32_t tgid)
{
	if (!t->nr_buckets)
		return NULL;
	for (int i = t->buckets[bucket_of(t, 0)]; i >= 0; i = t->v[i].next)
		if (t->v[i].tid == 0 && t->v[i].tgid == tgid)
			return &t->v[i];
	return NULL;
}

struct nl_tracked *nl_tt_add(struct nl_thread_table *t, uint32_t tid, uint32_t tgid)
{
	if (t->n == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 256;
		struct nl_tracked *nv = realloc(t->v, ncap * sizeof(*nv));
		if (!nv)
			return NULL;
		t->v = nv;
		t->cap = ncap;
	}
	if (t->n + 1 > t->nr_buckets / 2 && rehash(t, t->n + 1))
		return NULL;
	struct nl_tracked *e = &t->v[t->n];
	memset(e, 0, sizeof(*e));
	e->tid = tid;
	e->tgid = tgid;
	e->serial = ++t->next_serial;
	size_t b = bucket_of(t, tid);
	e->next = t->buckets[b];
	t->buckets[b] = (int)t->n;
	t->n++;
	return e;
}

void nl_tt_prune(struct nl_thread_table *t, uint64_t seen_by_all)
{
	size_t keep = 0;

	for (size_t i = 0; i < t->n; i++) {
		struct nl_tracked *e = &t->v[i];
		if (e->exited && e->exit_seq < seen_by_all) {
			nl_stack_free(e->stack);
			nl_resolved_free(e->res);
			nl_wide_counts_free(e->wide);
			nl_counts_free(&e->c);
			continue;
		}
		t->v[keep++] = *e;
	}
	t->n = keep;
	if (t->nr_buckets)
		rehash(t, 0); /* no growth: cannot fail */
}

void nl_tt_free(struct nl_thread_table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		nl_stack_free(t->v[i].stack);
		nl_resolved_free(t->v[i].res);
		nl_wide_counts_free(t->v[i].wide);
		nl_counts_free(&t->v[i].c);
	}
	free(t->v);
	free(t->buckets);
	memset(t, 0, sizeof(*t));
}

void nl_resolved_apply(const struct nl_resolved *r, struct nl_counts *c)
{
	nl_mat_add_all(&c->faults, &r->faults);
	nl_mat_add_all(&c->faults_mapped, &r->mapped);
	for (int i = 0; i < NL_MAX_NODES; i++)
		c->first_touch_pages[i] += r->first_touch_pages[i];
	c->faults_unresolved += r->failed;
}

void nl_resolved_free(struct nl_resolved *r)
{
	if (!r)
		return;
	nl_mat_free(&r->faults);
	nl_mat_free(&r->mapped);
	free(r);
}

void nl_wide_counts_free(struct nl_wide_counts *w)
{
	if (!w)
		return;
	nl_mat_free(&w->faults);
	nl_mat_free(&w->hint_faults);
	nl_mat_free(&w->migrated);
	free(w);
}

void nl_wide_mat_set(struct nl_mat *wm, struct nl_mat *cm, unsigned i, unsigned j, uint64_t v)
{
	uint64_t old = nl_mat_at(wm, i, j);

	nl_mat_set(wm, i, j, v);
	nl_mat_set(cm, i, j, nl_mat_at(cm, i, j) - old + v);
}

bool nl_thread_alive(uint32_t tgid, uint32_t tid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%u/task/%u", tgid, tid);
	return access(path, F_OK) == 0;
}

void nl_mat_from_bpf(struct nl_mat *m, const __u64 d[NL_DENSE_NODES][NL_DENSE_NODES],
		     const struct nl_mat *wide)
{
	nl_mat_zero(m);
	for (unsigned i = 0; i < NL_DENSE_NODES; i++)
		for (unsigned j = 0; j < NL_DENSE_NODES; j++)
			nl_mat_set(m, i, j, d[i][j]);
	if (wide)
		nl_mat_add_all(m, wide);
}
