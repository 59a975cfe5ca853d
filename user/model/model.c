#include "model/model.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

void nl_counts_accesses(const struct nl_counts *c, uint64_t *all, uint64_t *remote)
{
	uint32_t n = c->faults.n > c->hint_faults.n ? c->faults.n : c->hint_faults.n;

	*all = *remote = 0;
	for (uint32_t i = 0; i < n; i++)
		for (uint32_t j = 0; j < n; j++) {
			uint64_t v = nl_mat_at(&c->faults, i, j) + nl_mat_at(&c->hint_faults, i, j);
			*all += v;
			if (i != j)
				*remote += v;
		}
}

double nl_remote_ratio(const struct nl_counts *c)
{
	uint64_t all, remote;

	nl_counts_accesses(c, &all, &remote);
	return all ? (double)remote / (double)all : NAN;
}

double nl_classified_share(const struct nl_counts *c)
{
	uint64_t placed = nl_mat_sum(&c->faults), all = placed + c->faults_unresolved;
	uint64_t known = placed + nl_mat_sum(&c->hint_faults);

	if (!all)
		return NAN;
	return known >= all ? 1.0 : (double)known / (double)all;
}

void nl_counts_add(struct nl_counts *d, const struct nl_counts *s)
{
	nl_mat_add_all(&d->faults, &s->faults);
	nl_mat_add_all(&d->faults_mapped, &s->faults_mapped);
	nl_mat_add_all(&d->hint_faults, &s->hint_faults);
	nl_mat_add_all(&d->migrated_pages, &s->migrated_pages);
	for (int i = 0; i < NL_MAX_NODES; i++) {
		d->first_touch_pages[i] += s->first_touch_pages[i];
		d->cpu_ns[i] += s->cpu_ns[i];
	}
	d->faults_unresolved += s->faults_unresolved;
	d->node_migrations += s->node_migrations;
	d->migrate_stall_ns += s->migrate_stall_ns;
	d->numa_task_moves += s->numa_task_moves;
	nl_counts_add_autonuma(d, s);
}

void nl_counts_add_autonuma(struct nl_counts *d, const struct nl_counts *s)
{
	d->hint_pages += s->hint_pages;
	d->hint_local += s->hint_local;
	d->hint_migrated_pages += s->hint_migrated_pages;
	d->hint_migrate_fail += s->hint_migrate_fail;
	d->migrate_fail += s->migrate_fail;
	for (int r = 0; r < NL_MIGRATE_REASONS; r++) {
		d->migrate_pages_by_reason[r] += s->migrate_pages_by_reason[r];
		d->migrate_fail_by_reason[r] += s->migrate_fail_by_reason[r];
		d->migrate_stall_ns_by_reason[r] += s->migrate_stall_ns_by_reason[r];
	}
	for (int b = 0; b < NL_HIST_BUCKETS; b++)
		d->migrate_stall_hist[b] += s->migrate_stall_hist[b];
	d->numa_task_swaps += s->numa_task_swaps;
	d->numa_task_sticks += s->numa_task_sticks;
	for (int r = 0; r < NL_TLB_REASONS; r++)
		d->tlb_shootdowns[r] += s->tlb_shootdowns[r];
	d->tlb_autonuma_sent += s->tlb_autonuma_sent;
	d->tlb_autonuma_recv += s->tlb_autonuma_recv;
	d->ipi_count += s->ipi_count;
	d->ipi_ns += s->ipi_ns;
	d->ipi_autonuma_ns += s->ipi_autonuma_ns;
	d->numa_scan_count += s->numa_scan_count;
	d->numa_scan_ns += s->numa_scan_ns;
}

void nl_counts_copy(struct nl_counts *d, const struct nl_counts *s)
{
	struct nl_mat m[4] = { d->faults, d->hint_faults, d->migrated_pages, d->faults_mapped };

	*d = *s;
	d->faults = m[0];
	d->hint_faults = m[1];
	d->migrated_pages = m[2];
	d->faults_mapped = m[3];
	nl_mat_copy(&d->faults, &s->faults);
	nl_mat_copy(&d->hint_faults, &s->hint_faults);
	nl_mat_copy(&d->migrated_pages, &s->migrated_pages);
	nl_mat_copy(&d->faults_mapped, &s->faults_mapped);
}

void nl_counts_free(struct nl_counts *c)
{
	nl_mat_free(&c->faults);
	nl_mat_free(&c->hint_faults);
	nl_mat_free(&c->migrated_pages);
	nl_mat_free(&c->faults_mapped);
	memset(c, 0, sizeof(*c));
}

void nl_stack_free(struct nl_stack *st)
{
	if (!st)
		return;
	for (int i = 0; i < st->nr; i++) {
		free(st->frames[i].symbol);
		free(st->frames[i].module);
		free(st->frames[i].build_id);
	}
	free(st);
}

static int dup_str(char **dst, const char *src)
{
	*dst = NULL;
	if (src && !(*dst = strdup(src)))
		return -ENOMEM;
	return 0;
}

struct nl_stack *nl_stack_dup(const struct nl_stack *st)
{
	struct nl_stack *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->cut = st->cut;
	for (int i = 0; i < st->nr && i < NL_MAX_FRAMES; i++) {
		const struct nl_frame *f = &st->frames[i];
		struct nl_frame *g = &d->frames[i];

		*g = *f;
		d->nr = i + 1;
		if (dup_str(&g->symbol, f->symbol) | dup_str(&g->module, f->module) |
		    dup_str(&g->build_id, f->build_id)) {
			nl_stack_free(d);
			return NULL;
		}
	}
	return d;
}

void nl_process_free(struct nl_process *pr)
{
	for (int t = 0; t < pr->nr_threads; t++) {
		nl_stack_free(pr->threads[t].first_touch_stack);
		nl_counts_free(&pr->threads[t].c);
	}
	free(pr->threads);
	nl_counts_free(&pr->c);
	for (int v = 0; v < pr->nr_vmas; v++)
		free(pr->vmas[v].name);
	free(pr->vmas);
	pr->threads = NULL;
	pr->nr_threads = 0;
	pr->vmas = NULL;
	pr->nr_vmas = 0;
}

/* Frees everything a snapshot owns and leaves it empty (safe to free again). */
void nl_snapshot_free(struct nl_snapshot *s)
{
	if (!s)
		return;
	for (int p = 0; p < s->nr_procs; p++)
		nl_process_free(&s->procs[p]);
	free(s->procs);
	for (int n = 0; n < NL_MAX_NODES; n++) {
		free(s->topo.cpus[n]);
		s->topo.cpus[n] = NULL;
	}
	nl_sources_free(s->sources);
	s->procs = NULL;
	s->nr_procs = 0;
}

uint64_t nl_vma_base_pages(const struct nl_vma *v, int node)
{
	if (node < 0 || node >= NL_MAX_NODES)
		return 0;
	/* page_size is 0 only for VMAs with no pages, where pages[] are all 0 */
	return v->pages[node] * (v->page_size / 4096);
}

double nl_resident_remote_ratio(const struct nl_counts *c, const uint64_t resident[NL_MAX_NODES])
{
	uint64_t all_res = 0, all_cpu = 0;
	double r = 0.0;

	if (!c || !resident)
		return NAN;
	for (int n = 0; n < NL_MAX_NODES; n++) {
		all_res += resident[n];
		all_cpu += c->cpu_ns[n];
	}
	if (!all_res || !all_cpu)
		return NAN;
	for (int n = 0; n < NL_MAX_NODES; n++)
		if (c->cpu_ns[n])
			r += (double)c->cpu_ns[n] / (double)all_cpu *
			     ((double)(all_res - resident[n]) / (double)all_res);
	return r;
}

uint64_t nl_node_sum(const uint64_t v[NL_MAX_NODES])
{
	uint64_t s = 0;
	for (int i = 0; i < NL_MAX_NODES; i++)
		s += v[i];
	return s;
}

int nl_event_set_keep(void *ctx, const struct nl_event *ev)
{
	struct nl_event_set *s = ctx;

	if (nl_grow(&s->v, &s->cap, s->n, sizeof(*s->v))) {
		s->err = -ENOMEM;
		return -ENOMEM; /* stops the drain; the rest stays for the next one */
	}
	s->v[s->n++] = *ev;
	return 0;
}

void nl_event_set_free(struct nl_event_set *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}
