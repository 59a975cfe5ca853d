/* Requests in the data model: cause names, the growable set, histogram arithmetic. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model/requests.h"

const char *const nl_rq_cause_names[NL_RQ_CAUSES] = {
	[NL_RQ_ON_CPU] = "on_cpu",
	[NL_RQ_HINT_FAULT] = "hint_fault",
	[NL_RQ_MIGRATE_STALL] = "migrate_stall",
	[NL_RQ_TLB_IPI] = "tlb_ipi",
	[NL_RQ_NUMA_MOVE] = "numa_move",
	[NL_RQ_RUNQ_WAIT] = "runq_wait",
	[NL_RQ_OFF_CPU] = "off_cpu",
	[NL_RQ_RECLAIM] = "reclaim",
	[NL_RQ_NUMA_SCAN] = "numa_scan",
};

int nl_request_set_add(struct nl_request_set *s, const struct nl_request *r, size_t n)
{
	if (n == 0)
		return 0;
	if (s->n + n > s->cap) {
		size_t cap = s->cap ? s->cap : 1024;

		while (cap < s->n + n)
			cap *= 2;
		struct nl_request *v = realloc(s->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	memcpy(s->v + s->n, r, n * sizeof(*r));
	s->n += n;
	return 0;
}

int nl_request_set_keep(void *ctx, const struct nl_request *r)
{
	return nl_request_set_add(ctx, r, 1);
}

void nl_request_set_free(struct nl_request_set *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

void nl_rq_hist_add(struct nl_rq_hist *h, uint64_t latency_ns)
{
	h->b[nl_rq_hist_bucket(latency_ns)]++;
	h->count++;
}

void nl_rq_hist_sub(struct nl_rq_hist *d, const struct nl_rq_hist *now,
		    const struct nl_rq_hist *before)
{
	d->count = 0;
	for (int i = 0; i < NL_RQ_HIST_BUCKETS; i++) {
		d->b[i] = now->b[i] > before->b[i] ? now->b[i] - before->b[i] : 0;
		d->count += d->b[i];
	}
}

uint64_t nl_rq_hist_quantile(const struct nl_rq_hist *h, double q)
{
	uint64_t total = 0, seen = 0;

	for (int i = 0; i < NL_RQ_HIST_BUCKETS; i++)
		total += h->b[i];
	if (total == 0)
		return 0;
	/* The rank of the quantile, 1-based, rounded up (the nearest-rank method). */
	uint64_t rank = (uint64_t)(q * (double)total);
	if ((double)rank < q * (double)total)
		rank++;
	if (rank == 0)
		rank = 1;
	for (int i = 0; i < NL_RQ_HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= rank)
			return i + 1 < NL_RQ_HIST_BUCKETS ? nl_rq_hist_lower(i + 1) - 1
							  : nl_rq_hist_lower(i);
	}
	return nl_rq_hist_lower(NL_RQ_HIST_BUCKETS - 1);
}
