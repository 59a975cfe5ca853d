/* numalens report: a trace file read back (on any machine), as the tables of top for
 * the whole recording or a window of it, a timeline with one row per interval, or JSON
 * in the v1 contract. Everything shown comes from the file: the recording machine's
 * topology, its kernel's reason names, its sources.
 *
 * A file cut short (the recorder was killed, the disk filled) is reported up to its
 * last complete chunk, and the report says what was lost. A file that is not a trace,
 * or is corrupt before anything could be read, is an error (exit 1). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze/diagnose.h"
#include "cli/commands.h"
#include "cli/request_report.h"
#include "cli/trace_input.h"
#include "common/util.h"
#include "model/accum.h"
#include "render/render_html.h"
#include "render/render_json.h"
#include "render/render_table.h"

struct report_opts {
	struct nl_trace_window win;
	bool json, threads, timeline, requests;
	const char *html;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: numalens report -i FILE [--json] [--threads] [--timeline] [--from SEC]\n"
		"                       [--to SEC] [-p PID]\n"
		"\n"
		"Reads a trace written by `numalens record` (on this machine or another) and shows\n"
		"what `numalens top` showed, for the whole recording or a window of it.\n"
		"\n"
		"  -i, --input FILE   the trace file\n"
		"      --json         one JSON object (contract v1) for the recording or window,\n"
		"                     with a \"recording\" object saying what it covers; with\n"
		"                     --timeline one JSON line per interval, as top --json printed\n"
		"      --threads      thread rows under each process in the tables\n"
		"      --timeline     one row per interval: remote ratio, faults, hint faults,\n"
		"                     migrations, stall time, lost events\n"
		"      --from SEC     start of the window, in seconds from the recording's start\n"
		"      --to SEC       end of the window (default: the end)\n"
		"  -p, --pid PID      only this process\n"
		"      --requests     one line per request (recorded with --request/--usdt):\n"
		"                     latency and the causes it splits into; with --json, JSON\n"
		"                     Lines {\"tid\", \"start_ns\", \"latency_ns\", \"causes_ns\", ...}\n"
		"      --html OUT     a self-contained HTML page of the requests: latency\n"
		"                     histogram, p99 per interval against AutoNUMA activity, the\n"
		"                     tail's causes\n"
		"  -h, --help         this text\n"
		"\n"
		"An interval belongs to the window when it ends inside it. A file cut short is read\n"
		"up to its last complete chunk and the report says how much was lost. Exit status:\n"
		"0 reported (a cut-short file too), 1 not a trace or unreadable, 2 bad usage.\n");
}

static int parse_args(int argc, char **argv, struct report_opts *o)
{
	enum { OPT_JSON = 256, OPT_THREADS, OPT_TIMELINE, OPT_FROM, OPT_TO, OPT_REQUESTS, OPT_HTML };
	static const struct option longopts[] = {
		{ "input", required_argument, NULL, 'i' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "threads", no_argument, NULL, OPT_THREADS },
		{ "timeline", no_argument, NULL, OPT_TIMELINE },
		{ "from", required_argument, NULL, OPT_FROM },
		{ "to", required_argument, NULL, OPT_TO },
		{ "pid", required_argument, NULL, 'p' },
		{ "requests", no_argument, NULL, OPT_REQUESTS },
		{ "html", required_argument, NULL, OPT_HTML },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, rc;

	memset(o, 0, sizeof(*o));
	nl_trace_window_init(&o->win);
	optind = 1;
	while ((c = getopt_long(argc, argv, "i:p:h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_JSON: o->json = true; break;
		case OPT_THREADS: o->threads = true; break;
		case OPT_TIMELINE: o->timeline = true; break;
		case OPT_REQUESTS: o->requests = true; break;
		case OPT_HTML: o->html = optarg; break;
		case 'h': usage(stdout); return 1;
		default:
			rc = nl_trace_window_option(&o->win, "report", c == OPT_FROM ? 'F' :
						    c == OPT_TO ? 'T' : c, optarg);
			if (rc > 0) {
				usage(stderr);
				return -1;
			}
			if (rc < 0)
				return -1;
		}
	}
	if (optind < argc) {
		nl_err("report: unexpected argument '%s'", argv[optind]);
		return -1;
	}
	if (o->requests + o->timeline + !!o->html > 1) {
		nl_err("report: --requests, --timeline and --html are different reports: one at a time");
		return -1;
	}
	return nl_trace_window_check(&o->win, "report");
}

/* ---- the timeline ---- */

struct row {
	uint64_t faults, remote, hint, hint_remote, migrated, stall_ns, moves;
};

static void sum_row(const struct nl_snapshot *s, struct row *r)
{
	memset(r, 0, sizeof(*r));
	for (int p = 0; p < s->nr_procs; p++) {
		const struct nl_counts *c = &s->procs[p].c;
		for (int i = 0; i < NL_MAX_NODES; i++)
			for (int j = 0; j < NL_MAX_NODES; j++) {
				r->faults += nl_mat_at(&c->faults, i, j);
				r->hint += nl_mat_at(&c->hint_faults, i, j);
				r->migrated += nl_mat_at(&c->migrated_pages, i, j);
				if (i != j) {
					r->remote += nl_mat_at(&c->faults, i, j);
					r->hint_remote += nl_mat_at(&c->hint_faults, i, j);
				}
			}
		r->stall_ns += c->migrate_stall_ns;
		r->moves += c->numa_task_moves;
	}
}

/* One interval: its end and length, faults, the remote share of faults and hint faults,
 * hint faults and their remote share, pages migrated, stall, NUMA task moves, lost. */
static void timeline_line(const struct nl_snapshot *s, uint64_t start_mono, FILE *out)
{
	struct row r;
	char remote[16], hint_remote[16];

	sum_row(s, &r);
	if (r.faults + r.hint)
		snprintf(remote, sizeof(remote), "%.3f",
			 (double)(r.remote + r.hint_remote) / (double)(r.faults + r.hint));
	else
		snprintf(remote, sizeof(remote), "-");
	if (r.hint)
		snprintf(hint_remote, sizeof(hint_remote), "%.3f", (double)r.hint_remote / (double)r.hint);
	else
		snprintf(hint_remote, sizeof(hint_remote), "-");
	fprintf(out, "%9.3f %8.3f %10" PRIu64 " %7s %9" PRIu64 " %7s %9" PRIu64 " %10.3f %6" PRIu64
		" %6" PRIu64 "\n", (double)(s->mono_ns - start_mono) / 1e9,
		(double)s->interval_ns / 1e9, r.faults, remote, r.hint, hint_remote, r.migrated,
		(double)r.stall_ns / 1e6, r.moves, s->lost_events);
}

static void timeline_header(FILE *out)
{
	fprintf(out, "%9s %8s %10s %7s %9s %7s %9s %10s %6s %6s\n", "END-S", "LEN-S", "FAULTS",
		"REMOTE", "HINT", "H-REM", "MIGRATED", "STALL-MS", "MOVES", "LOST");
}

/* ---- the whole ---- */

struct report {
	struct report_opts o;
	struct nl_trace_input in;
	struct nl_accum acc;
	struct nl_request_report rr;
	bool header_done;
};

static int on_interval(void *ctx, struct nl_snapshot *s)
{
	struct report *r = ctx;

	if (!r->o.timeline) {
		int rc = nl_request_report_interval(&r->rr, s);
		return rc ? rc : nl_accum_add(&r->acc, s);
	}
	if (r->o.json) {
		nl_render_json(s, stdout, true);
		return ferror(stdout) ? -EIO : 0;
	}
	if (!r->header_done) {
		timeline_header(stdout);
		r->header_done = true;
	}
	timeline_line(s, r->in.meta->start_mono_ns, stdout);
	return 0;
}

/* The accumulated snapshot, diagnosed and rendered. */
static int on_requests(void *ctx, const struct nl_request *q, size_t n)
{
	return nl_request_report_add(&((struct report *)ctx)->rr, q, n);
}

/* --requests: each request of the window, as JSON Lines or one text line each. */
static int render_requests(struct report *r)
{
	const struct nl_enum_names *names = &r->in.meta->names;

	if (!r->in.meta->request) {
		nl_err("report: %s has no requests: record with --request or --usdt", r->in.path);
		return -1;
	}
	if (!r->o.json)
		printf("%10s %7s %14s %12s  %s\n", "AT-S", "TID", "LATENCY-NS", "ON-CPU-NS",
		       "OTHER CAUSES (ns)");
	for (size_t i = 0; i < r->rr.rq.n; i++) {
		const struct nl_request *q = &r->rr.rq.v[i];

		if (r->o.json) {
			nl_render_json_request(stdout, q, names);
			continue;
		}
		printf("%10.4f %7u %14llu %12llu ", (double)(q->start_ns - r->in.meta->start_mono_ns) / 1e9,
		       q->tid, (unsigned long long)q->latency_ns,
		       (unsigned long long)q->causes_ns[NL_RQ_ON_CPU]);
		for (int c = 1; c < NL_RQ_CAUSES; c++)
			if (q->causes_ns[c])
				printf(" %s=%llu", nl_rq_cause_names[c], (unsigned long long)q->causes_ns[c]);
		printf("%s\n", q->flags & NL_RQ_F_EXITED ? " (thread exited)" : "");
	}
	return fflush(stdout) ? -1 : 0;
}

/* --html OUT: the requests of the window as one self-contained page. */
static int render_html_file(struct report *r)
{
	const struct nl_trace_meta *m = r->in.meta;
	char title[256], sub[512];
	struct nl_html_input hi = { .title = title, .subtitle = sub, .nr_arms = 1 };
	FILE *f;
	int rc;

	if (!m->request) {
		nl_err("report: %s has no requests: record with --request or --usdt", r->in.path);
		return -1;
	}
	snprintf(title, sizeof(title), "numalens report: %s", m->request);
	snprintf(sub, sizeof(sub), "%s on %s (%s, kernel %s), numa_balancing=%d; %s",
		 m->target ? m->target : "?", m->hostname, m->machine, m->kernel_release,
		 m->numa_balancing, r->in.path);
	hi.arms[0] = (struct nl_html_arm){ .name = "requests", .r = r->rr.rq.v, .n = r->rr.rq.n,
					   .sum = r->rr.have_sum ? &r->rr.sum : NULL };
	hi.windows = r->rr.windows;
	hi.nr_windows = r->rr.windows ? r->rr.nr_acts : 0;
	f = fopen(r->o.html, "we");
	if (!f) {
		nl_err("report: cannot write %s: %s", r->o.html, strerror(errno));
		return -1;
	}
	rc = nl_render_html(f, &hi);
	if (fclose(f) || rc) {
		nl_err("report: writing %s failed", r->o.html);
		return -1;
	}
	return 0;
}

static int render_whole(struct report *r)
{
	struct nl_snapshot *s = &r->acc.s;
	struct nl_recording rec;

	if (!r->acc.started)
		return -1; /* said by cmd_report */
	nl_trace_input_recording(&r->in, &r->acc, &rec);
	s->recording = &rec;
	if (r->in.meta->request)
		nl_request_report_attach(&r->rr, s);
	s->interval_ns = 0; /* a whole recording or window, not one interval */
	for (int i = 0; i < s->nr_procs; i++)
		nl_diagnose(&s->topo, &s->procs[i], NULL, &s->procs[i].diag);
	if (r->o.json) {
		nl_render_json(s, stdout, true);
	} else {
		struct nl_table_opts to = { .threads = r->o.threads };
		if (nl_render_table_opts(s, &to, stdout))
			return -1;
		if (r->in.meta->request)
			nl_request_report_table(&r->rr, r->in.meta->request, stdout);
	}
	s->recording = NULL;
	return fflush(stdout) ? -1 : 0;
}

int cmd_report(int argc, char **argv)
{
	struct report r;
	int rc = NL_EXIT_FAIL;

	memset(&r, 0, sizeof(r));
	switch (parse_args(argc, argv, &r.o)) {
	case 0: break;
	case 1: return NL_EXIT_OK;
	default: return NL_EXIT_USAGE;
	}
	if (nl_trace_input_open(&r.in, &r.o.win, "report"))
		return NL_EXIT_FAIL;
	r.in.on_requests = on_requests;
	if (nl_trace_input_each(&r.in, on_interval, NULL, &r))
		goto cleanup;
	if (nl_request_report_finish(&r.rr)) {
		nl_err("report: out of memory");
		goto cleanup;
	}
	nl_trace_input_say_losses(&r.in, "report");
	if (nl_trace_input_say_empty(&r.in, "report"))
		goto cleanup;
	if (r.o.html ? render_html_file(&r) :
	    r.o.requests ? render_requests(&r) : !r.o.timeline && render_whole(&r))
		goto cleanup;
	rc = NL_EXIT_OK;
cleanup:
	nl_accum_free(&r.acc);
	nl_request_report_free(&r.rr);
	nl_trace_input_close(&r.in);
	return rc;
}
