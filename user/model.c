#include "model.h"

#include <math.h>
#include <stdlib.h>

double nl_remote_ratio(const struct nl_counts *c)
{
	uint64_t all = 0, remote = 0;

	for (int i = 0; i < NL_MAX_NODES; i++)
		for (int j = 0; j < NL_MAX_NODES; j++) {
			uint64_t n = c->faults[i][j] + c->hint_faults[i][j];
			all += n;
			if (i != j)
				remote += n;
		}
	return all ? (double)remote / (double)all : NAN;
}

void nl_counts_add(struct nl_counts *d, const struct nl_counts *s)
{
	for (int i = 0; i < NL_MAX_NODES; i++) {
		for (int j = 0; j < NL_MAX_NODES; j++) {
			d->faults[i][j] += s->faults[i][j];
			d->hint_faults[i][j] += s->hint_faults[i][j];
			d->migrated_pages[i][j] += s->migrated_pages[i][j];
		}
		d->first_touch_pages[i] += s->first_touch_pages[i];
		d->cpu_ns[i] += s->cpu_ns[i];
	}
	d->faults_unresolved += s->faults_unresolved;
	d->node_migrations += s->node_migrations;
	d->migrate_stall_ns += s->migrate_stall_ns;
	d->numa_task_moves += s->numa_task_moves;
}

static void free_stack(struct nl_stack *st)
{
	if (!st)
		return;
	for (int i = 0; i < st->nr; i++) {
		free(st->frames[i].symbol);
		free(st->frames[i].module);
	}
	free(st);
}

void nl_snapshot_free(struct nl_snapshot *s)
{
	if (!s)
		return;
	for (int p = 0; p < s->nr_procs; p++) {
		struct nl_process *pr = &s->procs[p];
		for (int t = 0; t < pr->nr_threads; t++)
			free_stack(pr->threads[t].first_touch_stack);
		free(pr->threads);
		for (int v = 0; v < pr->nr_vmas; v++)
			free(pr->vmas[v].name);
		free(pr->vmas);
	}
	free(s->procs);
	for (int n = 0; n < NL_MAX_NODES; n++)
		free(s->topo.cpus[n]);
	s->procs = NULL;
	s->nr_procs = 0;
}
