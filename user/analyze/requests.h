/* What the requests say: percentiles, the tail's causes against the median request,
 * and the windows in which tail requests cluster with AutoNUMA activity. Pure
 * functions over the data model (tested in tests/unit/test_requests.c). */
#ifndef NL_ANALYZE_REQUESTS_H
#define NL_ANALYZE_REQUESTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/requests.h"

/* struct nl_rq_summary is in model/requests.h (snapshots carry one). */
/* 0, -EINVAL when no request is finished, -ENOMEM. */
int nl_rq_summarize(const struct nl_request *r, size_t n, struct nl_rq_summary *out);

/* struct nl_rq_activity and struct nl_rq_window are in model/requests.h too. */

/* One window per activity entry (acts sorted by start). out has n_acts entries.
 * tail_threshold_ns: the summary's p99. 0 or -ENOMEM. */
int nl_rq_windows(const struct nl_request *r, size_t n, const struct nl_rq_activity *acts,
		  size_t n_acts, uint64_t tail_threshold_ns, struct nl_rq_window *out);

/* Nearest-rank q-quantile of v (n > 0), which it sorts in place. */
uint64_t nl_quantile_sorted_inplace(uint64_t *v, size_t n, double q);

#endif
