/* What the requests say (analyze/requests.h): percentiles, the tail's causes against
 * the median request, and the windows where tail requests meet AutoNUMA activity. */
#include "analyze/requests.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/quantile.h"

/* A request whose thread exited inside it ran to the exit, not to its return: its
 * latency is not the request's, so no figure uses it. */
static bool usable(const struct nl_request *r)
{
	return !(r->flags & NL_RQ_F_EXITED);
}

uint64_t nl_quantile_sorted_inplace(uint64_t *v, size_t n, double q)
{
	qsort(v, n, sizeof(*v), nl_cmp_u64);
	return v[nl_nearest_rank(n, q) - 1];
}

static uint64_t sorted_at(const uint64_t *sorted, size_t n, double q)
{
	return sorted[nl_nearest_rank(n, q) - 1];
}

/* Percentiles and mean of the usable latencies; scratch holds n values. */
static void summarize_latency(const struct nl_request *r, size_t n, uint64_t *scratch,
			      struct nl_rq_summary *out)
{
	uint64_t sum = 0;
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		if (!usable(&r[i]))
			continue;
		scratch[k++] = r[i].latency_ns;
		sum += r[i].latency_ns;
	}
	qsort(scratch, k, sizeof(*scratch), nl_cmp_u64);
	out->count = k;
	out->exited = n - k;
	out->p50_ns = sorted_at(scratch, k, 0.50);
	out->p90_ns = sorted_at(scratch, k, 0.90);
	out->p99_ns = sorted_at(scratch, k, 0.99);
	out->have_p999 = k >= 1000;
	out->p999_ns = out->have_p999 ? sorted_at(scratch, k, 0.999) : 0;
	out->mean_ns = sum / k;
}

/* The median request: its latency and, cause by cause, the median over all usable
 * requests (these medians need not sum to the median latency). */
static void summarize_medians(const struct nl_request *r, size_t n, uint64_t *scratch,
			      struct nl_rq_summary *out)
{
	out->tail.median_latency_ns = out->p50_ns;
	for (int c = 0; c < NL_RQ_CAUSES; c++) {
		size_t k = 0;

		for (size_t i = 0; i < n; i++)
			if (usable(&r[i]))
				scratch[k++] = r[i].causes_ns[c];
		out->tail.median_causes_ns[c] = nl_quantile_sorted_inplace(scratch, k, 0.50);
	}
}

/* The requests above p99 and what their excess over the median request is made of. */
static void summarize_tail(const struct nl_request *r, size_t n, struct nl_rq_summary *out)
{
	typeof(out->tail) *t = &out->tail;

	t->threshold_ns = out->p99_ns;
	for (size_t i = 0; i < n; i++) {
		if (!usable(&r[i]) || r[i].latency_ns <= t->threshold_ns)
			continue;
		t->count++;
		t->latency_ns += r[i].latency_ns;
		for (int c = 0; c < NL_RQ_CAUSES; c++)
			t->causes_ns[c] += r[i].causes_ns[c];
	}

	double cnt = (double)t->count;
	double excess = (double)t->latency_ns - cnt * (double)t->median_latency_ns;

	t->explained_share = excess > 0 ? 0 : NAN;
	for (int c = 0; c < NL_RQ_CAUSES; c++) {
		if (!(excess > 0)) {
			t->share[c] = NAN;
			continue;
		}
		t->share[c] = ((double)t->causes_ns[c] - cnt * (double)t->median_causes_ns[c]) /
			      excess;
		if (c != NL_RQ_ON_CPU)
			t->explained_share += t->share[c];
	}
}

int nl_rq_summarize(const struct nl_request *r, size_t n, struct nl_rq_summary *out)
{
	memset(out, 0, sizeof(*out));
	size_t finished = 0;

	for (size_t i = 0; i < n; i++)
		finished += usable(&r[i]);
	if (finished == 0) {
		out->exited = n;
		return -EINVAL;
	}
	uint64_t *scratch = malloc(finished * sizeof(*scratch));
	if (!scratch)
		return -ENOMEM;
	summarize_latency(r, n, scratch, out);
	summarize_medians(r, n, scratch, out);
	summarize_tail(r, n, out);
	free(scratch);
	return 0;
}

/* ---- windows ---- */

struct started {
	uint64_t start_ns, latency_ns;
};

static int cmp_started(const void *a, const void *b)
{
	const struct started *x = a, *y = b;

	return (x->start_ns > y->start_ns) - (x->start_ns < y->start_ns);
}

/* The first of the n (sorted by start) that starts at or after t. */
static size_t first_from(const struct started *s, size_t n, uint64_t t)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s[mid].start_ns < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* One window over the requests s[0..n) that started in it; scratch holds n values. */
static void fill_window(const struct started *s, size_t n, uint64_t tail_threshold_ns,
			uint64_t *scratch, struct nl_rq_window *w)
{
	w->requests = n;
	w->tail_requests = 0;
	for (size_t i = 0; i < n; i++) {
		scratch[i] = s[i].latency_ns;
		w->tail_requests += s[i].latency_ns > tail_threshold_ns;
	}
	w->p99_ns = n ? nl_quantile_sorted_inplace(scratch, n, 0.99) : 0;
	/* 1 % of requests lie above the recording's p99 on average: twice that, and at
	 * least 3 so that one or two slow requests in a quiet window do not count. */
	w->cluster = w->tail_requests >= 3 && w->tail_requests * 50 >= w->requests &&
		     (w->act.migrated_pages > 0 || w->act.hint_faults > 0);
}

int nl_rq_windows(const struct nl_request *r, size_t n, const struct nl_rq_activity *acts,
		  size_t n_acts, uint64_t tail_threshold_ns, struct nl_rq_window *out)
{
	struct started *s = malloc((n ? n : 1) * sizeof(*s));
	uint64_t *scratch = malloc((n ? n : 1) * sizeof(*scratch));
	size_t k = 0;

	if (!s || !scratch) {
		free(s);
		free(scratch);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		if (usable(&r[i]))
			s[k++] = (struct started){ r[i].start_ns, r[i].latency_ns };
	qsort(s, k, sizeof(*s), cmp_started);
	for (size_t a = 0; a < n_acts; a++) {
		size_t from = first_from(s, k, acts[a].start_ns);
		size_t to = first_from(s, k, acts[a].end_ns);

		memset(&out[a], 0, sizeof(out[a]));
		out[a].act = acts[a];
		fill_window(s + from, to > from ? to - from : 0, tail_threshold_ns, scratch,
			    &out[a]);
	}
	free(s);
	free(scratch);
	return 0;
}
