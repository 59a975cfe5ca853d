/* The requests of a trace, for report: gathered while the trace is walked (the
 * requests of the window, and the AutoNUMA activity of each interval), then analysed
 * (percentiles, the tail's causes, the windows where the tail clusters with AutoNUMA
 * activity) and rendered (JSON Lines, a table, HTML). */
#ifndef NL_CLI_REQUEST_REPORT_H
#define NL_CLI_REQUEST_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "analyze/requests.h"
#include "model/model.h"

struct nl_request_report {
	struct nl_request_set rq;
	struct nl_rq_activity *acts;
	size_t nr_acts, cap_acts;
	struct nl_rq_summary sum;
	bool have_sum;
	struct nl_rq_window *windows;
	struct nl_rq_hist hist;
	/* what BPF itself counted over the window's intervals (no ring buffer can lose it) */
	uint64_t bpf_finished;
	uint64_t drops[NL_RQ_DROP_MAX];
};

/* trace input's on_requests (ctx: the nl_request_report). */
int nl_request_report_add(void *ctx, const struct nl_request *r, size_t n);
/* An interval's AutoNUMA activity (its processes as the window and -p left them). */
int nl_request_report_interval(struct nl_request_report *rr, const struct nl_snapshot *s);
/* Analyses what was gathered. 0, or -ENOMEM. No finished request is not an error
 * (have_sum stays false). */
int nl_request_report_finish(struct nl_request_report *rr);
/* Puts the requests into s (rq, rq_summary, rq_windows) for the snapshot renderers. */
void nl_request_report_attach(struct nl_request_report *rr, struct nl_snapshot *s);
/* The table part: count, percentiles, the tail's causes against the median request. */
void nl_request_report_table(const struct nl_request_report *rr, const char *spec, FILE *out);
void nl_request_report_free(struct nl_request_report *rr);

#endif
