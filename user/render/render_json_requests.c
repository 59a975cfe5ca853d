/* Requests in JSON: the "requests" object of a snapshot (top --json, report --json)
 * and one object per request (report --requests --json, JSON Lines). */
#include "render/render_json.h"

#include <inttypes.h>
#include <math.h>

#include "render/json.h"

static void causes_obj(struct nl_json *j, const char *key, const uint64_t v[NL_RQ_CAUSES])
{
	nl_json_key(j, key);
	nl_json_obj_begin(j);
	for (int c = 0; c < NL_RQ_CAUSES; c++)
		nl_json_ku64(j, nl_rq_cause_names[c], v[c]);
	nl_json_obj_end(j);
}

static void shares_obj(struct nl_json *j, const char *key, const double v[NL_RQ_CAUSES])
{
	nl_json_key(j, key);
	nl_json_obj_begin(j);
	for (int c = 0; c < NL_RQ_CAUSES; c++)
		nl_json_kdouble(j, nl_rq_cause_names[c], v[c]);
	nl_json_obj_end(j);
}

/* Windows where the tail clusters with AutoNUMA activity, seconds from base. */
static void windows(struct nl_json *j, const struct nl_snapshot *s, uint64_t base)
{
	nl_json_key(j, "windows");
	nl_json_arr_begin(j);
	for (size_t i = 0; i < s->nr_rq_windows; i++) {
		const struct nl_rq_window *w = &s->rq_windows[i];

		if (!w->cluster)
			continue;
		nl_json_obj_begin(j);
		nl_json_kdouble(j, "from_s", (double)(w->act.start_ns - base) / 1e9);
		nl_json_kdouble(j, "to_s", (double)(w->act.end_ns - base) / 1e9);
		nl_json_ku64(j, "requests", w->requests);
		nl_json_ku64(j, "tail_requests", w->tail_requests);
		nl_json_ku64(j, "p99_ns", w->p99_ns);
		nl_json_ku64(j, "migrated_pages", w->act.migrated_pages);
		nl_json_ku64(j, "hint_faults", w->act.hint_faults);
		nl_json_ku64(j, "migrate_stall_ns", w->act.migrate_stall_ns);
		nl_json_obj_end(j);
	}
	nl_json_arr_end(j);
}

static void tail(struct nl_json *j, const struct nl_snapshot *s, const struct nl_rq_summary *m)
{
	nl_json_key(j, "tail");
	nl_json_obj_begin(j);
	nl_json_ku64(j, "threshold_ns", m->tail.threshold_ns);
	nl_json_ku64(j, "count", m->tail.count);
	nl_json_ku64(j, "latency_ns", m->tail.latency_ns);
	causes_obj(j, "causes_ns", m->tail.causes_ns);
	nl_json_ku64(j, "median_latency_ns", m->tail.median_latency_ns);
	causes_obj(j, "median_causes_ns", m->tail.median_causes_ns);
	shares_obj(j, "share", m->tail.share);
	nl_json_kdouble(j, "explained_share", m->tail.explained_share);
	if (s->recording)
		windows(j, s, s->recording->start_mono_ns);
	nl_json_obj_end(j);
}

static void drops(struct nl_json *j, const struct nl_rq_stats *q)
{
	nl_json_key(j, "lost");
	nl_json_obj_begin(j);
	nl_json_ku64(j, "inflight_full", q->drops[NL_RQ_DROP_THREAD]);
	nl_json_ku64(j, "records", q->drops[NL_RQ_DROP_EVENT]);
	nl_json_ku64(j, "unmatched_returns", q->drops[NL_RQ_DROP_DEPTH]);
	nl_json_obj_end(j);
}

/* Percentiles from the analysed requests when there are some, else from BPF's
 * histogram (upper bucket edges: at most 12.5 % high), said by "from". */
void nl_render_json_requests(struct nl_json *j, const struct nl_snapshot *s)
{
	const struct nl_rq_summary *m = s->rq_summary;
	const struct nl_rq_hist *h = &s->rq.hist;

	nl_json_key(j, "requests");
	nl_json_obj_begin(j);
	nl_json_kstr(j, "from", m ? "requests" : "histogram");
	nl_json_ku64(j, "count", m ? m->count : h->count);
	nl_json_ku64(j, "exited", s->rq.exited);
	nl_json_ku64(j, "p50_ns", m ? m->p50_ns : nl_rq_hist_quantile(h, 0.50));
	nl_json_ku64(j, "p90_ns", m ? m->p90_ns : nl_rq_hist_quantile(h, 0.90));
	nl_json_ku64(j, "p99_ns", m ? m->p99_ns : nl_rq_hist_quantile(h, 0.99));
	nl_json_key(j, "p999_ns");
	if (m ? m->have_p999 : h->count >= 1000)
		nl_json_u64(j, m ? m->p999_ns : nl_rq_hist_quantile(h, 0.999));
	else
		nl_json_null(j);
	drops(j, &s->rq);
	if (m && m->count)
		tail(j, s, m);
	nl_json_obj_end(j);
}

void nl_render_json_request(FILE *out, const struct nl_request *r, const struct nl_enum_names *names)
{
	struct nl_json j;

	nl_json_init(&j, out, false);
	nl_json_obj_begin(&j);
	nl_json_ku64(&j, "tid", r->tid);
	nl_json_ku64(&j, "pid", r->tgid);
	nl_json_ku64(&j, "start_ns", r->start_ns);
	nl_json_ku64(&j, "latency_ns", r->latency_ns);
	uint64_t causes[NL_RQ_CAUSES]; /* __u64 is another type than uint64_t here */
	for (int c = 0; c < NL_RQ_CAUSES; c++)
		causes[c] = r->causes_ns[c];
	causes_obj(&j, "causes_ns", causes);
	nl_json_key(&j, "migrate_stall_by_reason_ns");
	nl_json_obj_begin(&j);
	for (int i = 0; i < NL_MIGRATE_REASONS; i++)
		if (r->migrate_stall_by_reason[i])
			nl_json_ku64(&j, names->migrate_reason[i][0] ? names->migrate_reason[i] : "other",
				     r->migrate_stall_by_reason[i]);
	nl_json_obj_end(&j);
	nl_json_ku64(&j, "hint_faults", r->hint_faults);
	nl_json_ku64(&j, "migrate_calls", r->migrate_calls);
	nl_json_ku64(&j, "migrated_pages", r->migrated_pages);
	nl_json_ku64(&j, "numa_moves", r->numa_moves);
	nl_json_ku64(&j, "ipis", r->ipis);
	nl_json_ku64(&j, "reclaims", r->reclaims);
	nl_json_ku64(&j, "cpu_start", r->cpu_start);
	nl_json_ku64(&j, "cpu_end", r->cpu_end);
	nl_json_ku64(&j, "depth_max", r->depth_max);
	nl_json_kbool(&j, "exited", r->flags & NL_RQ_F_EXITED);
	nl_json_kbool(&j, "hint_fault_measured", !(r->flags & NL_RQ_F_NO_FAULT));
	nl_json_obj_end(&j);
	nl_json_end(&j);
}
