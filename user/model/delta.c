/* Copies and intervals of snapshots. A consumer keeps the cumulative snapshot it read
 * last and asks for the interval since: nothing the collector holds is reset by it, so
 * consumers at different intervals share one collector. */
#include "model/model.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* Every field before the matrices is a uint64_t counter, subtracted as an array. */
#define NL_COUNTERS_END offsetof(struct nl_counts, faults)
_Static_assert(NL_COUNTERS_END % sizeof(uint64_t) == 0,
	       "nl_counts starts with uint64_t counters only");

bool nl_counts_sub(struct nl_counts *d, const struct nl_counts *now, const struct nl_counts *before)
{
	const uint64_t *n = (const uint64_t *)now, *b = (const uint64_t *)before;
	uint64_t *o = (uint64_t *)d, any = 0;

	for (size_t k = 0; k < NL_COUNTERS_END / sizeof(uint64_t); k++) {
		o[k] = n[k] > b[k] ? n[k] - b[k] : 0;
		any |= o[k];
	}
	any |= nl_mat_sub(&d->faults, &now->faults, &before->faults);
	any |= nl_mat_sub(&d->hint_faults, &now->hint_faults, &before->hint_faults);
	any |= nl_mat_sub(&d->migrated_pages, &now->migrated_pages, &before->migrated_pages);
	any |= nl_mat_sub(&d->faults_mapped, &now->faults_mapped, &before->faults_mapped);
	return any != 0;
}

int nl_topo_summary_copy(struct nl_topo_summary *dst, const struct nl_topo_summary *src)
{
	*dst = *src;
	for (int n = 0; n < NL_MAX_NODES; n++)
		dst->cpus[n] = NULL;
	for (int n = 0; n < NL_MAX_NODES; n++) {
		if (!src->cpus[n] || src->nr_cpus[n] <= 0)
			continue;
		dst->cpus[n] = malloc((size_t)src->nr_cpus[n] * sizeof(int));
		if (!dst->cpus[n])
			return -ENOMEM;
		memcpy(dst->cpus[n], src->cpus[n], (size_t)src->nr_cpus[n] * sizeof(int));
	}
	return 0;
}

bool nl_topo_memory_only(const struct nl_topo_summary *t, int node)
{
	return node >= 0 && node < NL_MAX_NODES && t->nr_cpus[node] == 0 &&
	       t->mem_total_kb[node] > 0;
}

int nl_topo_nearest_cpu_node(const struct nl_topo_summary *t, int node)
{
	int best = -1;

	if (node < 0 || node >= NL_MAX_NODES)
		return -1;
	if (t->nr_cpus[node] > 0)
		return node;
	for (int i = 0; i < t->nr_nodes; i++) {
		int n = t->node_ids[i];

		if (n < 0 || n >= NL_MAX_NODES || t->nr_cpus[n] <= 0)
			continue;
		if (best < 0 || t->distance[node][n] < t->distance[node][best] ||
		    (t->distance[node][n] == t->distance[node][best] && n < best))
			best = n;
	}
	return best;
}

/* Everything but the processes. */
static int header_copy(struct nl_snapshot *dst, const struct nl_snapshot *src)
{
	*dst = *src;
	dst->procs = NULL;
	dst->nr_procs = 0;
	dst->rq_summary = NULL; /* not owned: the copy outlives what it points to */
	dst->rq_windows = NULL;
	dst->nr_rq_windows = 0;
	memset(dst->sources, 0, sizeof(dst->sources));
	memset(dst->topo.cpus, 0, sizeof(dst->topo.cpus));
	if (nl_topo_summary_copy(&dst->topo, &src->topo) || nl_sources_copy(dst->sources, src->sources))
		return -ENOMEM;
	return 0;
}

static int vmas_copy(struct nl_process *dst, const struct nl_process *src)
{
	dst->vmas = NULL;
	dst->nr_vmas = 0;
	if (!src->nr_vmas)
		return 0;
	dst->vmas = calloc((size_t)src->nr_vmas, sizeof(*dst->vmas));
	if (!dst->vmas)
		return -ENOMEM;
	for (int v = 0; v < src->nr_vmas; v++) {
		dst->vmas[v] = src->vmas[v];
		dst->vmas[v].name = NULL;
		dst->nr_vmas = v + 1;
		if (src->vmas[v].name && !(dst->vmas[v].name = strdup(src->vmas[v].name)))
			return -ENOMEM;
	}
	return 0;
}

/* A process without its threads: residency, names, diagnosis. */
static int process_shell(struct nl_process *dst, const struct nl_process *src)
{
	*dst = *src;
	dst->threads = NULL;
	dst->nr_threads = 0;
	memset(&dst->c, 0, sizeof(dst->c));
	return vmas_copy(dst, src);
}

static int thread_copy(struct nl_thread *dst, const struct nl_thread *src)
{
	*dst = *src;
	dst->first_touch_stack = NULL;
	memset(&dst->c, 0, sizeof(dst->c));
	nl_counts_copy(&dst->c, &src->c);
	if (src->first_touch_stack && !(dst->first_touch_stack = nl_stack_dup(src->first_touch_stack)))
		return -ENOMEM;
	return 0;
}

int nl_snapshot_copy(struct nl_snapshot *dst, const struct nl_snapshot *src)
{
	if (header_copy(dst, src))
		goto fail;
	if (src->nr_procs && !(dst->procs = calloc((size_t)src->nr_procs, sizeof(*dst->procs))))
		goto fail;
	for (int p = 0; p < src->nr_procs; p++) {
		const struct nl_process *sp = &src->procs[p];
		struct nl_process *dp = &dst->procs[p];

		dst->nr_procs = p + 1;
		if (process_shell(dp, sp))
			goto fail;
		nl_counts_copy(&dp->c, &sp->c);
		if (sp->nr_threads && !(dp->threads = calloc((size_t)sp->nr_threads, sizeof(*dp->threads))))
			goto fail;
		for (int t = 0; t < sp->nr_threads; t++) {
			dp->nr_threads = t + 1;
			if (thread_copy(&dp->threads[t], &sp->threads[t]))
				goto fail;
		}
	}
	return 0;
fail:
	nl_snapshot_free(dst);
	return -ENOMEM;
}

/* ---- delta ---- */

struct thread_ref {
	uint32_t pid, tid;
	uint64_t serial;
	const struct nl_thread *t;
};

static int cmp_ref(const void *x, const void *y)
{
	const struct thread_ref *a = x, *b = y;

	if (a->serial != b->serial)
		return a->serial < b->serial ? -1 : 1;
	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	return a->tid < b->tid ? -1 : a->tid > b->tid;
}

/* Every thread of a snapshot, sorted for lookups by (serial, pid, tid). */
static struct thread_ref *index_threads(const struct nl_snapshot *s, size_t *nr)
{
	size_t n = 0, k = 0;
	struct thread_ref *v;

	for (int p = 0; p < s->nr_procs; p++)
		n += (size_t)s->procs[p].nr_threads;
	*nr = n;
	v = malloc((n ? n : 1) * sizeof(*v));
	if (!v)
		return NULL;
	for (int p = 0; p < s->nr_procs; p++)
		for (int t = 0; t < s->procs[p].nr_threads; t++) {
			const struct nl_thread *th = &s->procs[p].threads[t];
			v[k++] = (struct thread_ref){ s->procs[p].pid, th->tid, th->serial, th };
		}
	qsort(v, n, sizeof(*v), cmp_ref);
	return v;
}

static const struct nl_thread *find_thread(const struct thread_ref *v, size_t n, uint32_t pid,
					   const struct nl_thread *t)
{
	struct thread_ref key = { pid, t->tid, t->serial, NULL };
	const struct thread_ref *hit = v ? bsearch(&key, v, n, sizeof(*v), cmp_ref) : NULL;

	return hit ? hit->t : NULL;
}

/* The threads of process sp that changed since prev, into dp. */
static int delta_threads(struct nl_process *dp, const struct nl_process *sp,
			 const struct thread_ref *prev, size_t nr_prev)
{
	static const struct nl_counts zero;

	if (sp->nr_threads && !(dp->threads = calloc((size_t)sp->nr_threads, sizeof(*dp->threads))))
		return -ENOMEM;
	for (int t = 0; t < sp->nr_threads; t++) {
		const struct nl_thread *now = &sp->threads[t];
		const struct nl_thread *was = find_thread(prev, nr_prev, sp->pid, now);
		struct nl_counts d = { 0 };
		bool changed = nl_counts_sub(&d, &now->c, was ? &was->c : &zero);
		bool exited_now = now->exited && !(was && was->exited);

		if (!changed && !exited_now) {
			nl_counts_free(&d);
			continue;
		}
		struct nl_thread *out = &dp->threads[dp->nr_threads];
		if (thread_copy(out, now)) {
			nl_counts_free(&d);
			return -ENOMEM;
		}
		dp->nr_threads++;
		nl_counts_free(&out->c);
		out->c = d; /* moved: out owns d's matrices */
		nl_counts_add(&dp->c, &out->c);
	}
	return 0;
}

static void rq_stats_sub(struct nl_rq_stats *d, const struct nl_rq_stats *now,
			 const struct nl_rq_stats *prev)
{
	nl_rq_hist_sub(&d->hist, &now->hist, &prev->hist);
	d->exited = now->exited > prev->exited ? now->exited - prev->exited : 0;
	d->sum_ns = now->sum_ns > prev->sum_ns ? now->sum_ns - prev->sum_ns : 0;
	for (int i = 0; i < NL_RQ_DROP_MAX; i++)
		d->drops[i] = now->drops[i] > prev->drops[i] ? now->drops[i] - prev->drops[i] : 0;
}

int nl_snapshot_delta(const struct nl_snapshot *now, const struct nl_snapshot *prev,
		      struct nl_snapshot *out)
{
	struct thread_ref *idx = NULL;
	size_t nr_idx = 0;

	memset(out, 0, sizeof(*out));
	if (prev && !(idx = index_threads(prev, &nr_idx)))
		return -ENOMEM;
	if (header_copy(out, now))
		goto fail;
	out->cumulative = false;
	if (prev) {
		out->interval_ns = now->mono_ns > prev->mono_ns ? now->mono_ns - prev->mono_ns : 0;
		out->lost_events = now->lost_events > prev->lost_events ?
					   now->lost_events - prev->lost_events : 0;
		if (now->rq.valid && prev->rq.valid)
			rq_stats_sub(&out->rq, &now->rq, &prev->rq);
	}
	nl_vmstat_check_window(&out->vmstat, now, prev);
	if (now->nr_procs && !(out->procs = calloc((size_t)now->nr_procs, sizeof(*out->procs))))
		goto fail;
	for (int p = 0; p < now->nr_procs; p++) {
		struct nl_process *dp = &out->procs[out->nr_procs];

		if (process_shell(dp, &now->procs[p])) {
			out->nr_procs++; /* so its vmas are freed */
			goto fail;
		}
		out->nr_procs++;
		if (delta_threads(dp, &now->procs[p], idx, nr_idx))
			goto fail;
		if (!dp->nr_threads && !dp->followed) {
			/* nothing happened in it: drop the shell again */
			out->nr_procs--;
			nl_process_free(dp);
		}
	}
	free(idx);
	return 0;
fail:
	free(idx);
	nl_snapshot_free(out);
	return -ENOMEM;
}
