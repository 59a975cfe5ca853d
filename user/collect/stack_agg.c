#include "collect/stack_agg.h"

#include <errno.h>
#include <string.h>
#include <stdlib.h>

#include "common/util.h"

/* FNV-1a over the words: a filter before the exact compare. */
static uint64_t stack_hash(uint32_t tid, bool cut, const uint64_t *ips, int nr)
{
	uint64_t h = 1469598103934665603ULL;

	h = (h ^ tid) * 1099511628211ULL;
	h = (h ^ (uint64_t)cut) * 1099511628211ULL;
	for (int i = 0; i < nr; i++)
		h = (h ^ ips[i]) * 1099511628211ULL;
	return h;
}

static struct nl_stack_agg_entry *find(struct nl_stack_agg *a, uint64_t h, uint32_t tid, bool cut,
				       const uint64_t *ips, int nr)
{
	/* Linear: a few thousand entries at most (the table is bounded), and only
	 * sampled first touches come here. */
	for (size_t i = 0; i < a->n; i++) {
		struct nl_stack_agg_entry *e = &a->v[i];

		if (e->hash == h && e->tid == tid && e->cut == cut && e->nr == nr &&
		    !memcmp(e->ips, ips, (size_t)nr * sizeof(*ips)))
			return e;
	}
	return NULL;
}

long nl_stack_agg_add(struct nl_stack_agg *a, uint32_t tid, uint32_t tgid, const uint64_t *ips,
		      int nr, bool cut, uint64_t pages_est)
{
	struct nl_stack_agg_entry *e;
	uint64_t h;

	if (!a || nr < 0 || (nr > 0 && !ips))
		return -EINVAL;
	if (nr > NL_STACK_DEPTH)
		nr = NL_STACK_DEPTH;
	h = stack_hash(tid, cut, ips, nr);
	e = find(a, h, tid, cut, ips, nr);
	if (!e) {
		if (a->max && a->n >= a->max)
			return 0;
		if (nl_grow(&a->v, &a->cap, a->n, sizeof(*a->v)))
			return -ENOMEM;
		e = &a->v[a->n++];
		memset(e, 0, sizeof(*e));
		e->id = ++a->next_id;
		e->tid = tid;
		e->tgid = tgid;
		e->hash = h;
		e->cut = cut;
		e->nr = nr;
		memcpy(e->ips, ips, (size_t)nr * sizeof(*ips));
	}
	e->pages_est += pages_est;
	e->samples++;
	return e->id;
}

const struct nl_stack_agg_entry *nl_stack_agg_get(const struct nl_stack_agg *a, uint32_t id)
{
	size_t lo = 0, hi = a ? a->n : 0;

	while (lo < hi) { /* ids ascend: appended in order, removals keep the order */
		size_t mid = lo + (hi - lo) / 2;

		if (a->v[mid].id == id)
			return &a->v[mid];
		if (a->v[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void nl_stack_agg_forget_tid(struct nl_stack_agg *a, uint32_t tid)
{
	size_t w = 0;

	for (size_t r = 0; r < a->n; r++)
		if (a->v[r].tid != tid)
			a->v[w++] = a->v[r];
	a->n = w;
}

void nl_stack_agg_free(struct nl_stack_agg *a)
{
	if (!a)
		return;
	free(a->v);
	a->v = NULL;
	a->n = a->cap = 0;
}
