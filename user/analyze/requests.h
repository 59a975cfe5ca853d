/* What the requests say: percentiles, the tail's causes against the median request,
 * and the windows in which tail requests cluster with AutoNUMA activity. Pure
 * functions over the data model (tested in tests/unit/test_requests.c). */
#ifndef NL_ANALYZE_REQUESTS_H
#define NL_ANALYZE_REQUESTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/requests.h"

/* Exact percentiles (nearest rank over the sorted latencies) of finished requests;
 * requests whose thread exited inside them (NL_RQ_F_EXITED) are counted apart and
 * left out of every figure. */
struct nl_rq_summary {
	uint64_t count;        /* requests used below */
	uint64_t exited;       /* left out: their thread exited inside them */
	uint64_t p50_ns, p90_ns, p99_ns, p999_ns;
	bool have_p999;        /* only from 1000 requests up: fewer cannot place it */
	uint64_t mean_ns;
	/* The tail: requests with latency above p99. */
	struct {
		uint64_t threshold_ns;                  /* = p99_ns */
		uint64_t count;
		uint64_t latency_ns;                    /* their summed latency */
		uint64_t causes_ns[NL_RQ_CAUSES];       /* summed over the tail */
		uint64_t median_latency_ns;             /* of all requests */
		uint64_t median_causes_ns[NL_RQ_CAUSES];/* per cause, median over all requests */
		/* Each cause's share of the tail's excess over the median request:
		 * (sum_tail cause - count * median cause) / (sum_tail latency - count *
		 * median latency); NAN when there is no excess. */
		double share[NL_RQ_CAUSES];
		/* The share the causes other than on_cpu explain together (the rest is
		 * on_cpu's, i.e. the request's own work). */
		double explained_share;
	} tail;
};

/* 0, -EINVAL when no request is finished, -ENOMEM. */
int nl_rq_summarize(const struct nl_request *r, size_t n, struct nl_rq_summary *out);

/* AutoNUMA activity of the followed process in one window of the recording (from its
 * INTERVAL records). */
struct nl_rq_activity {
	uint64_t start_ns, end_ns;  /* CLOCK_MONOTONIC, as nl_request.start_ns */
	uint64_t migrated_pages, hint_faults, migrate_stall_ns;
};

struct nl_rq_window {
	struct nl_rq_activity act;
	uint64_t requests;      /* finished requests that started in the window */
	uint64_t tail_requests; /* of them, above the whole recording's p99 */
	uint64_t p99_ns;        /* of the window's requests; 0 when none */
	/* Tail requests cluster here together with AutoNUMA activity: at least 3 tail
	 * requests, at least twice the 1 % expected of the window's requests, and pages
	 * migrated or hinting faults taken in the window. */
	bool cluster;
};

/* One window per activity entry (acts sorted by start). out has n_acts entries.
 * tail_threshold_ns: the summary's p99. 0 or -ENOMEM. */
int nl_rq_windows(const struct nl_request *r, size_t n, const struct nl_rq_activity *acts,
		  size_t n_acts, uint64_t tail_threshold_ns, struct nl_rq_window *out);

/* Nearest-rank q-quantile of v (n > 0), which it sorts in place. */
uint64_t nl_quantile_sorted_inplace(uint64_t *v, size_t n, double q);

#endif
