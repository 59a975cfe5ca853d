/* Requests (`--request`, `--usdt`) in the data model: the finished requests BPF
 * reported (struct nl_request of numalens.h, kept as is) and the log-linear latency
 * histogram. Used by the collector, the trace format, the analyses and renderers. */
#ifndef NL_MODEL_REQUESTS_H
#define NL_MODEL_REQUESTS_H

#include <stddef.h>
#include <stdint.h>

#include "numalens.h"

/* The causes' names as the JSON contract spells them ("on_cpu", "hint_fault",
 * "migrate_stall", "tlb_ipi", "numa_move", "runq_wait", "off_cpu", "reclaim"). */
extern const char *const nl_rq_cause_names[NL_RQ_CAUSES];

/* A growable array of requests. */
struct nl_request_set {
	struct nl_request *v;
	size_t n, cap;
};

/* Appends n requests: 0 or -ENOMEM (the set unchanged then). */
int nl_request_set_add(struct nl_request_set *s, const struct nl_request *r, size_t n);
void nl_request_set_free(struct nl_request_set *s);

/* A latency histogram in the buckets of nl_rq_hist_bucket() (numalens.h). */
struct nl_rq_hist {
	uint64_t b[NL_RQ_HIST_BUCKETS];
	uint64_t count;
};

void nl_rq_hist_add(struct nl_rq_hist *h, uint64_t latency_ns);
/* d = now - before, bucket by bucket (0 where before is larger). */
void nl_rq_hist_sub(struct nl_rq_hist *d, const struct nl_rq_hist *now,
		    const struct nl_rq_hist *before);
/* The q-quantile (0 < q < 1) as the upper edge of the bucket holding it (an
 * over-estimate by at most 12.5 %); 0 when the histogram is empty. */
uint64_t nl_rq_hist_quantile(const struct nl_rq_hist *h, double q);

#endif
