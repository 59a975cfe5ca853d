#include "model/trend.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void nl_trend_point_of(const struct nl_process *p, uint64_t interval_ns, struct nl_trend_point *out)
{
	uint64_t migrated = 0, hint = 0, hint_remote = 0;

	for (int a = 0; a < NL_MAX_NODES; a++)
		for (int b = 0; b < NL_MAX_NODES; b++) {
			migrated += nl_mat_at(&p->c.migrated_pages, a, b);
			hint += nl_mat_at(&p->c.hint_faults, a, b);
			if (a != b)
				hint_remote += nl_mat_at(&p->c.hint_faults, a, b);
		}
	out->present = true;
	out->resident_remote = p->resident_known ? nl_resident_remote_ratio(&p->c, p->resident_pages) : NAN;
	out->remote_ratio = nl_remote_ratio(&p->c);
	out->migrated_per_s = interval_ns ? (double)migrated * 1e9 / (double)interval_ns : NAN;
	out->hint_remote = hint ? (double)hint_remote / (double)hint : NAN;
	out->migrate_stall_ns = p->c.migrate_stall_ns;
}

static void push(struct nl_trend_series *s, const struct nl_trend_point *pt)
{
	if (s->nr < NL_TREND_LEN) {
		s->pts[(s->head + s->nr) % NL_TREND_LEN] = *pt;
		s->nr++;
	} else {
		s->pts[s->head] = *pt;
		s->head = (s->head + 1) % NL_TREND_LEN;
	}
}

static struct nl_trend_series *find(struct nl_trend *t, uint32_t pid)
{
	for (int i = 0; i < t->nr; i++)
		if (t->v[i].pid == pid)
			return &t->v[i];
	return NULL;
}

const struct nl_trend_series *nl_trend_find(const struct nl_trend *t, uint32_t pid)
{
	return t ? find((struct nl_trend *)t, pid) : NULL;
}

const struct nl_trend_point *nl_trend_point(const struct nl_trend_series *s, int i)
{
	return &s->pts[(s->head + i) % NL_TREND_LEN];
}

static bool all_gaps(const struct nl_trend_series *s)
{
	for (int i = 0; i < s->nr; i++)
		if (nl_trend_point(s, i)->present)
			return false;
	return true;
}

int nl_trend_update(struct nl_trend *t, const struct nl_snapshot *s)
{
	const struct nl_trend_point gap = { .present = false, .resident_remote = NAN,
					    .remote_ratio = NAN, .migrated_per_s = NAN,
					    .hint_remote = NAN };
	int err = 0, old_nr = t->nr;
	bool *seen = old_nr ? calloc((size_t)old_nr, sizeof(*seen)) : NULL;

	if (old_nr && !seen)
		return -ENOMEM;
	for (int i = 0; i < s->nr_procs; i++) {
		const struct nl_process *p = &s->procs[i];
		struct nl_trend_series *ser = find(t, p->pid);
		struct nl_trend_point pt;

		if (ser && ser - t->v < old_nr) {
			if (seen[ser - t->v])
				continue; /* a pid twice in one snapshot: keep the first */
			seen[ser - t->v] = true;
		} else if (ser) {
			continue;
		} else {
			if (t->nr == t->cap) {
				int cap = t->cap ? t->cap * 2 : 8;
				struct nl_trend_series *v = realloc(t->v, (size_t)cap * sizeof(*v));
				if (!v) {
					err = -ENOMEM;
					continue;
				}
				t->v = v;
				t->cap = cap;
			}
			ser = &t->v[t->nr++];
			memset(ser, 0, sizeof(*ser));
			ser->pid = p->pid;
			/* a process new in this interval: earlier intervals are gaps, so
			 * its points line up with everybody else's */
			uint64_t before = t->intervals < NL_TREND_LEN - 1 ? t->intervals : NL_TREND_LEN - 1;
			for (uint64_t k = 0; k < before; k++)
				push(ser, &gap);
		}
		nl_trend_point_of(p, s->interval_ns, &pt);
		push(ser, &pt);
	}
	for (int i = 0; i < old_nr; i++)
		if (!seen[i])
			push(&t->v[i], &gap);
	free(seen);
	/* forget processes gone for the whole window */
	for (int i = 0; i < t->nr;) {
		if (all_gaps(&t->v[i]))
			t->v[i] = t->v[--t->nr];
		else
			i++;
	}
	t->intervals++;
	return err;
}

void nl_trend_free(struct nl_trend *t)
{
	free(t->v);
	memset(t, 0, sizeof(*t));
}
