/* Requests (`--request`, `--usdt`) in the data model: the finished requests BPF
 * reported (struct nl_request of numalens.h, kept as is) and the log-linear latency
 * histogram. Used by the collector, the trace format, the analyses and renderers. */
#ifndef NL_MODEL_REQUESTS_H
#define NL_MODEL_REQUESTS_H

#include <stdbool.h>
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
/* A request consumer (nl_collector_on_requests) that appends to the set ctx points to:
 * 0, or -ENOMEM, which stops the drain and is what the drain returns. */
int nl_request_set_keep(void *ctx, const struct nl_request *r);

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

/* Requests as a snapshot carries them: cumulative since attach in cumulative
 * snapshots, the window's in intervals. */
struct nl_rq_stats {
	bool valid;                     /* requests were asked for (--request/--usdt) */
	struct nl_rq_hist hist;         /* finished requests' latencies (BPF's histogram) */
	uint64_t exited;                /* requests cut short by their thread's exit */
	uint64_t sum_ns;                /* hist's latencies summed (BPF's, like hist) */
	uint64_t drops[NL_RQ_DROP_MAX]; /* enum nl_rq_drop */
};

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

#endif
