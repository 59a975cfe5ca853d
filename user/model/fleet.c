/* Interval snapshots added into the exporter's system-wide counters. Only interval
 * deltas are added (nl_snapshot_delta never gives a negative count), so every counter
 * is monotonic by construction: a thread the collector forgets, a reused tid or a
 * process that exits between two samples can lower nothing here. */
#include "model/fleet.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

static struct nl_fleet_cgroup *find_cgroup(struct nl_fleet *f, const char *path)
{
	for (size_t i = 0; i < f->nr_cgroups; i++)
		if (!strcmp(f->cgroups[i].path, path))
			return &f->cgroups[i];
	return NULL;
}

/* The row of path, made when there is room; NULL: count it under "other". */
static struct nl_fleet_cgroup *cgroup_row(struct nl_fleet *f, const char *path, int *err)
{
	struct nl_fleet_cgroup *g = find_cgroup(f, path);

	if (g || f->nr_cgroups >= NL_FLEET_MAX_CGROUPS)
		return g;
	char *copy = strdup(path);
	if (!copy || nl_grow(&f->cgroups, &f->cap_cgroups, f->nr_cgroups, sizeof(*f->cgroups))) {
		free(copy);
		*err = -ENOMEM;
		return NULL;
	}
	g = &f->cgroups[f->nr_cgroups++];
	*g = (struct nl_fleet_cgroup){ .path = copy };
	return g;
}

/* The interval's request histogram (a delta, like the counts) into the totals. */
static void add_rq_stats(struct nl_fleet *f, const struct nl_rq_stats *rq)
{
	if (!rq->valid)
		return;
	f->rq_valid = true;
	for (int b = 0; b < NL_RQ_HIST_BUCKETS; b++)
		f->rq_hist.b[b] += rq->hist.b[b];
	f->rq_hist.count += rq->hist.count;
	f->rq_sum_ns += rq->sum_ns;
	f->rq_exited += rq->exited;
	for (int i = 0; i < NL_RQ_DROP_MAX; i++)
		f->rq_drops[i] += rq->drops[i];
}

void nl_fleet_add_requests(struct nl_fleet *f, const struct nl_request *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (r[i].flags & NL_RQ_F_EXITED)
			continue;
		f->rq_records++;
		if (!(r[i].flags & NL_RQ_F_NO_FAULT))
			f->rq_hint_measured = true;
		for (int c = 0; c < NL_RQ_CAUSES; c++)
			f->rq_causes_ns[c] += r[i].causes_ns[c];
	}
}

int nl_fleet_add(struct nl_fleet *f, const struct nl_snapshot *s, const char *const *cgroup_of)
{
	int err = 0;

	if (!f->started) {
		f->started = true;
		f->nr_nodes = s->topo.nr_nodes;
		memcpy(f->node_ids, s->topo.node_ids, sizeof(f->node_ids));
		f->names = s->names;
		f->start_realtime_ns = s->timestamp_ns - s->interval_ns;
	}
	if (nl_sources_copy(f->sources, s->sources))
		err = -ENOMEM; /* the previous interval's states stay */
	f->intervals++;
	f->last_mono_ns = s->mono_ns;
	f->last_realtime_ns = s->timestamp_ns;
	f->last_interval_ns = s->interval_ns;
	f->last_accesses = f->last_remote = f->last_migrated = 0;
	f->lost_events += s->lost_events;
	add_rq_stats(f, &s->rq);
	f->numa_balancing = s->numa_balancing;
	if (s->numastat_valid) {
		f->numastat_valid = true;
		memcpy(f->numastat, s->numastat, sizeof(f->numastat));
	}
	for (int p = 0; p < s->nr_procs; p++) {
		const struct nl_process *pr = &s->procs[p];
		uint64_t all, remote;

		nl_counts_add(&f->c, &pr->c);
		f->last_migrated += nl_mat_sum(&pr->c.migrated_pages);
		nl_counts_accesses(&pr->c, &all, &remote);
		f->last_accesses += all;
		f->last_remote += remote;
		if (!all)
			continue;
		struct nl_fleet_cgroup *g = NULL;
		if (cgroup_of && cgroup_of[p])
			g = cgroup_row(f, cgroup_of[p], &err);
		if (g) {
			g->accesses += all;
			g->remote += remote;
		} else {
			f->other_accesses += all;
			f->other_remote += remote;
		}
	}
	return err;
}

void nl_fleet_free(struct nl_fleet *f)
{
	for (size_t i = 0; i < f->nr_cgroups; i++)
		free(f->cgroups[i].path);
	free(f->cgroups);
	nl_sources_free(f->sources);
	nl_counts_free(&f->c);
	memset(f, 0, sizeof(*f));
}
