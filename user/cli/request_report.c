/* Gathering and analysing a trace's requests for report. */
#include "cli/request_report.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

int nl_request_report_add(void *ctx, const struct nl_request *r, size_t n)
{
	struct nl_request_report *rr = ctx;

	for (size_t i = 0; i < n; i++)
		if (!(r[i].flags & NL_RQ_F_EXITED))
			nl_rq_hist_add(&rr->hist, r[i].latency_ns);
	return nl_request_set_add(&rr->rq, r, n);
}

int nl_request_report_interval(struct nl_request_report *rr, const struct nl_snapshot *s)
{
	struct nl_rq_activity a = {
		.start_ns = s->mono_ns > s->interval_ns ? s->mono_ns - s->interval_ns : 0,
		.end_ns = s->mono_ns,
	};

	for (int p = 0; p < s->nr_procs; p++) {
		const struct nl_counts *c = &s->procs[p].c;

		for (int i = 0; i < NL_MAX_NODES; i++)
			for (int k = 0; k < NL_MAX_NODES; k++) {
				a.migrated_pages += nl_mat_at(&c->migrated_pages, i, k);
				a.hint_faults += nl_mat_at(&c->hint_faults, i, k);
			}
		a.migrate_stall_ns += c->migrate_stall_ns;
	}
	if (s->rq.valid) {
		rr->bpf_finished += s->rq.hist.count;
		for (int i = 0; i < NL_RQ_DROP_MAX; i++)
			rr->drops[i] += s->rq.drops[i];
	}
	if (nl_grow(&rr->acts, &rr->cap_acts, rr->nr_acts, sizeof(*rr->acts)))
		return -ENOMEM;
	rr->acts[rr->nr_acts++] = a;
	return 0;
}

int nl_request_report_finish(struct nl_request_report *rr)
{
	int rc = nl_rq_summarize(rr->rq.v, rr->rq.n, &rr->sum);

	if (rc == -EINVAL)
		return 0; /* nothing finished */
	if (rc)
		return rc;
	rr->have_sum = true;
	if (!rr->nr_acts)
		return 0;
	rr->windows = calloc(rr->nr_acts, sizeof(*rr->windows));
	if (!rr->windows)
		return -ENOMEM;
	return nl_rq_windows(rr->rq.v, rr->rq.n, rr->acts, rr->nr_acts, rr->sum.tail.threshold_ns,
			     rr->windows);
}

void nl_request_report_attach(struct nl_request_report *rr, struct nl_snapshot *s)
{
	memset(&s->rq, 0, sizeof(s->rq));
	s->rq.valid = true;
	s->rq.hist = rr->hist;
	memcpy(s->rq.drops, rr->drops, sizeof(s->rq.drops));
	for (size_t i = 0; i < rr->rq.n; i++)
		s->rq.exited += !!(rr->rq.v[i].flags & NL_RQ_F_EXITED);
	s->rq_summary = rr->have_sum ? &rr->sum : NULL;
	s->rq_windows = rr->windows;
	s->nr_rq_windows = rr->windows ? rr->nr_acts : 0;
}

static void fmt_ns(char *buf, size_t len, double ns)
{
	if (ns >= 1e9)
		snprintf(buf, len, "%.2fs", ns / 1e9);
	else if (ns >= 1e6)
		snprintf(buf, len, "%.2fms", ns / 1e6);
	else if (ns >= 1e3)
		snprintf(buf, len, "%.1fus", ns / 1e3);
	else
		snprintf(buf, len, "%.0fns", ns);
}

static void tail_table(const struct nl_rq_summary *m, FILE *out)
{
	char a[24], b[24];

	fprintf(out, "  tail: %" PRIu64 " requests above p99; explained by the causes other than "
		"on_cpu: %.0f%%\n", m->tail.count, 100.0 * m->tail.explained_share);
	fprintf(out, "    %-14s %12s %12s %8s\n", "CAUSE", "TAIL-MEAN", "MEDIAN-REQ", "SHARE");
	for (int c = 0; c < NL_RQ_CAUSES; c++) {
		fmt_ns(a, sizeof(a), m->tail.count ? (double)m->tail.causes_ns[c] / (double)m->tail.count : 0);
		fmt_ns(b, sizeof(b), (double)m->tail.median_causes_ns[c]);
		if (isfinite(m->tail.share[c]))
			fprintf(out, "    %-14s %12s %12s %7.0f%%\n", nl_rq_cause_names[c], a, b,
				100.0 * m->tail.share[c]);
		else
			fprintf(out, "    %-14s %12s %12s %8s\n", nl_rq_cause_names[c], a, b, "-");
	}
}

void nl_request_report_table(const struct nl_request_report *rr, const char *spec, FILE *out)
{
	const struct nl_rq_summary *m = &rr->sum;
	char p50[24], p90[24], p99[24], p999[24];
	size_t clusters = 0;

	fprintf(out, "\nRequests (%s)\n", spec ? spec : "?");
	if (!rr->have_sum) {
		fprintf(out, "  no finished request in the window\n");
		return;
	}
	fmt_ns(p50, sizeof(p50), (double)m->p50_ns);
	fmt_ns(p90, sizeof(p90), (double)m->p90_ns);
	fmt_ns(p99, sizeof(p99), (double)m->p99_ns);
	fmt_ns(p999, sizeof(p999), (double)m->p999_ns);
	fprintf(out, "  %" PRIu64 " requests (%" PRIu64 " cut by their thread's exit, left out): "
		"p50 %s  p90 %s  p99 %s  p99.9 %s\n", m->count, m->exited, p50, p90, p99,
		m->have_p999 ? p999 : "- (fewer than 1000)");
	if (rr->drops[NL_RQ_DROP_EVENT] || rr->drops[NL_RQ_DROP_THREAD])
		fprintf(out, "  LOST: %" PRIu64 " finished requests had no room in the ring buffer "
			"(BPF counted %" PRIu64 " in these intervals), %" PRIu64 " were not measured "
			"(in-flight table full: --max-inflight)\n", rr->drops[NL_RQ_DROP_EVENT],
			rr->bpf_finished, rr->drops[NL_RQ_DROP_THREAD]);
	tail_table(m, out);
	for (size_t i = 0; rr->windows && i < rr->nr_acts; i++)
		clusters += rr->windows[i].cluster;
	fprintf(out, "  windows where tail requests cluster with AutoNUMA activity: %zu of %zu "
		"(report --json lists them)\n", clusters, rr->nr_acts);
}

void nl_request_report_free(struct nl_request_report *rr)
{
	nl_request_set_free(&rr->rq);
	free(rr->acts);
	free(rr->windows);
	memset(rr, 0, sizeof(*rr));
}
