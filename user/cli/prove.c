/* numalens prove: does AutoNUMA change this command's p99? Runs CMD with
 * kernel.numa_balancing off and on in a randomized alternating order, records each run
 * (requests, AutoNUMA events) to DIR/run-NN-{off,on}.nlt, and compares the arms with the
 * run as the unit (analyze/prove.c): the ratio of the arms' median per-run p99 with a
 * bootstrap interval, an exact permutation test, and the ON runs' attribution.
 *
 * numa_balancing is put back however prove ends: at the end, on an error or a signal
 * (here), when numalens is SIGKILLed (the guardian of engine/numa_balancing.c), and if
 * even that died, at the next start (the state file).
 *
 * Exit status: 0 the comparison was made (whatever it says), 1 it could not be made, 2
 * bad usage. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "analyze/prove.h"
#include "analyze/requests.h"
#include "cli/commands.h"
#include "cli/request_opts.h"
#include "collect/kfeatures.h"
#include "common/util.h"
#include "engine/numa_balancing.h"
#include "engine/recorder.h"
#include "engine/session.h"
#include "render/json.h"
#include "render/render_html.h"

#define MAX_RUNS 200

struct prove_opts {
	unsigned runs;
	bool yes, json;
	const char *html, *dir;
	double timeout;          /* per run, seconds; 0 = none */
	struct nl_cli_request rq;
	char **cmd;
	uint64_t seed;
};

/* A run keeps only its finished requests' latencies: the statistics need no more, and a
 * whole request is 320 bytes (a 10-run prove of a fast server is millions of them). */
struct run {
	enum nl_prove_arm arm;
	uint64_t *lat;
	size_t n_lat, cap_lat;
	char path[512];
	char out[520];           /* CMD's stdout and stderr */
	int exit_status;
};

struct prove {
	struct prove_opts o;
	struct run runs[MAX_RUNS];
	struct nl_nb_guard *guard;
	int argc;
	char **argv;
	struct run *cur;
	/* Whole requests per arm, for the attribution (ON) and the HTML page (both): the
	 * OFF arm's are kept only with --html. */
	struct nl_request_set arm[2];
	bool oom;
	struct nl_recorder *rec;
	bool stopped;            /* a signal ended a run: no more runs */
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: numalens prove [--runs N] [--yes] [--json] [--html OUT] [-o DIR]\n"
		"                      (--request BIN:FUNC | --usdt BIN:PROVIDER:START[:END] |\n"
		"                       --syscalls BEGIN:END) -- CMD [ARGS...]\n"
		"\n"
		"Does AutoNUMA change CMD's request latency? Runs CMD N times, with\n"
		"kernel.numa_balancing=0 and =1 in a randomized alternating order (pairs of one of\n"
		"each), measures every request of every run (as record --request does), and compares\n"
		"the arms with the run as the unit: the ratio of the arms' median per-run p99 with a\n"
		"95%% bootstrap interval (runs resampled, then requests within runs), an exact\n"
		"permutation test on per-run p99, and where the ON runs' tail time went. It says\n"
		"plainly when the runs cannot decide.\n"
		"\n"
		"  -- CMD [ARGS...]   the command to measure, started anew for every run\n"
		"      --runs N       runs in all, half per arm (default 12, 4..200; 5 per arm is\n"
		"                     the fewest that can reach p < 0.05)\n"
		"      --yes          flip numa_balancing even though other processes run (it is\n"
		"                     system-wide; without --yes prove refuses and names them)\n"
		"      --json         one JSON object: runs, effect, attribution\n"
		"      --html OUT     a self-contained HTML page: both arms' latency histograms, the\n"
		"                     verdict, the attribution table\n"
		"  -o, --output DIR   where each run's trace goes (default prove-YYYYmmdd-HHMMSS)\n"
		"      --timeout SEC  stop a run (SIGTERM to CMD) after SEC seconds\n"
		"      --seed N       the order's and the bootstrap's seed (default: the time)\n"
		NL_REQUEST_OPTS_HELP
		"  -h, --help         this text\n"
		"\n"
		"kernel.numa_balancing is restored however prove ends: normally, on an error, on\n"
		"Ctrl-C or SIGTERM, and when numalens itself is killed (a guardian process restores\n"
		"it; failing that, the next numalens start does). Exit status: 0 compared, 1 could\n"
		"not compare (not root, no NUMA balancing in this kernel, a run failed), 2 bad usage.\n");
}

static int parse_option(int c, struct prove_opts *o)
{
	int v = nl_cli_request_option("prove", c, optarg, &o->rq);

	if (v)
		return v > 0 ? 0 : -1;
	switch (c) {
	case 'R':
		if (nl_parse_int(optarg, 4, MAX_RUNS, &v)) {
			nl_err("prove: --runs wants 4..%d, not '%s'", MAX_RUNS, optarg);
			return -1;
		}
		o->runs = (unsigned)v;
		return 0;
	case 'Y': o->yes = true; return 0;
	case 'J': o->json = true; return 0;
	case 'H': o->html = optarg; return 0;
	case 'o': o->dir = optarg; return 0;
	case 'T':
		if (nl_parse_seconds(optarg, &o->timeout)) {
			nl_err("prove: --timeout wants seconds > 0, not '%s'", optarg);
			return -1;
		}
		return 0;
	case 'S':
		if (nl_parse_u64(optarg, &o->seed)) {
			nl_err("prove: --seed wants a number, not '%s'", optarg);
			return -1;
		}
		return 0;
	case 'h': usage(stdout); return 1;
	default: usage(stderr); return -1;
	}
}

static int parse_args(int argc, char **argv, struct prove_opts *o)
{
	static const struct option longopts[] = {
		{ "runs", required_argument, NULL, 'R' },
		{ "yes", no_argument, NULL, 'Y' },
		{ "json", no_argument, NULL, 'J' },
		{ "html", required_argument, NULL, 'H' },
		{ "output", required_argument, NULL, 'o' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "seed", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		NL_REQUEST_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	int c, rc;

	*o = (struct prove_opts){ .runs = 12, .seed = (uint64_t)time(NULL) };
	optind = 1;
	while ((c = getopt_long(argc, argv, "+o:h", longopts, NULL)) != -1)
		if ((rc = parse_option(c, o)))
			return rc;
	if (optind < argc)
		o->cmd = &argv[optind];
	if (!o->cmd) {
		nl_err("prove: a command to run is required (-- CMD ARGS)");
		return -1;
	}
	if (!o->rq.set) {
		nl_err("prove: --request, --usdt or --syscalls is required (what a request of CMD is)");
		return -1;
	}
	return 0;
}

/* ---- one run ---- */

static int keep_request(void *ctx, const struct nl_request *r)
{
	struct prove *p = ctx;
	struct run *run = p->cur;

	if (!(r->flags & NL_RQ_F_EXITED)) {
		if (nl_grow(&run->lat, &run->cap_lat, run->n_lat, sizeof(*run->lat)))
			goto oom;
		run->lat[run->n_lat++] = r->latency_ns;
	}
	if ((run->arm == NL_ARM_ON || p->o.html) && nl_request_set_add(&p->arm[run->arm], r, 1))
		goto oom;
	return 0;
oom:
	p->oom = true;
	return -ENOMEM;
}

static int on_attached(void *ctx, struct nl_session *s)
{
	struct prove *p = ctx;
	struct nl_recorder_opts ro = {
		.path = p->cur->path, .who = "prove", .interval_ms = 200, .residency_ms = 1000,
		.request = p->o.rq.spec.text, .argc = p->argc, .argv = p->argv,
	};

	if (nl_collector_on_requests(s->coll, keep_request, p)) {
		nl_err("prove: no room for a request consumer");
		return -1;
	}
	return nl_recorder_open(s, &ro, &p->rec);
}

static int run_tick(void *ctx, enum nl_stop_reason why)
{
	return nl_recorder_tick(((struct prove *)ctx)->rec, why);
}

static int run_once(struct prove *p, struct run *r)
{
	struct nl_session sess;
	struct nl_session_loop loop = { .tick = run_tick, .ctx = p, .input_fd = -1 };
	struct nl_session_opts so = {
		.who = "prove", .cmd = p->o.cmd, .cmd_output = r->out,
		.duration = p->o.timeout, .interval = 0.2, .attached = on_attached, .ctx = p,
		.collect = { .stacks = false, .events = true, .request = &p->o.rq.spec,
			     .max_inflight = p->o.rq.max_inflight, .request_records = true },
	};
	enum nl_stop_reason why = NL_RUNNING;
	int failed = 1;

	memset(&sess, 0, sizeof(sess));
	sess.child.go_fd = -1;
	p->cur = r;
	p->rec = NULL;
	if (!nl_session_init(&sess, &so) && !nl_session_start(&sess))
		why = nl_session_run(&sess, &loop, &failed);
	nl_session_detach(&sess);
	if (nl_recorder_close(p->rec, true))
		failed = 1;
	r->exit_status = sess.child_status;
	nl_session_finish(&sess, why);
	if (why == NL_STOP_SIGNAL)
		p->stopped = true;
	return failed || why == NL_STOP_SIGNAL ? -1 : 0;
}

/* ---- the comparison ---- */

static const char *verdict_name(enum nl_prove_verdict v)
{
	return v == NL_PROVE_EFFECT ? "effect" : v == NL_PROVE_NO_EFFECT ? "no_effect" : "undecided";
}

static void print_text(const struct prove *p, const struct nl_prove_run *pr,
		       const struct nl_prove_result *res, const struct nl_rq_summary *on)
{
	printf("%-4s %-4s %9s %12s %12s  %s\n", "RUN", "ARM", "REQUESTS", "P99", "P99.9", "TRACE");
	for (unsigned i = 0; i < p->o.runs; i++) {
		char p999[24] = "-";
		if (pr[i].p999_ns)
			snprintf(p999, sizeof(p999), "%.3fms", (double)pr[i].p999_ns / 1e6);
		printf("%-4u %-4s %9zu %10.3fms %12s  %s\n", i + 1, pr[i].arm ? "on" : "off", pr[i].n,
		       (double)pr[i].p99_ns / 1e6, p999, p->runs[i].path);
	}
	printf("\nmedian p99: off %.3f ms, on %.3f ms; ratio on/off %.2f (95%% CI %.2f-%.2f)\n",
	       res->median_p99_ns[0] / 1e6, res->median_p99_ns[1] / 1e6, res->ratio, res->ci_lo,
	       res->ci_hi);
	printf("permutation test: p = %.4f over %" PRIu64 " arrangements (smallest possible %.4f)\n",
	       res->p_value, res->permutations, res->min_p_value);
	printf("verdict: %s: %s\n", verdict_name(res->verdict), res->why);
	if (on && on->tail.count) {
		printf("\nwhere the ON runs' tail (%" PRIu64 " requests above p99 %.3f ms) spent its excess "
		       "over the median request:\n", on->tail.count, (double)on->tail.threshold_ns / 1e6);
		for (int c = 0; c < NL_RQ_CAUSES; c++)
			if (isfinite(on->tail.share[c]) && fabs(on->tail.share[c]) >= 0.005)
				printf("  %-14s %5.1f%%\n", nl_rq_cause_names[c], 100.0 * on->tail.share[c]);
	}
}

static void print_json(const struct prove *p, const struct nl_prove_run *pr,
		       const struct nl_prove_result *res, const struct nl_rq_summary *on)
{
	struct nl_json j;

	nl_json_init(&j, stdout, false);
	nl_json_obj_begin(&j);
	nl_json_ku64(&j, "version", 1);
	nl_json_kstr(&j, "request", p->o.rq.spec.text);
	nl_json_ku64(&j, "seed", p->o.seed);
	nl_json_key(&j, "runs");
	nl_json_arr_begin(&j);
	for (unsigned i = 0; i < p->o.runs; i++) {
		nl_json_obj_begin(&j);
		nl_json_ku64(&j, "numa_balancing", pr[i].arm == NL_ARM_ON);
		nl_json_ku64(&j, "requests", pr[i].n);
		nl_json_ku64(&j, "p99_ns", pr[i].p99_ns);
		nl_json_ku64(&j, "p999_ns", pr[i].p999_ns);
		nl_json_kstr(&j, "trace", p->runs[i].path);
		nl_json_obj_end(&j);
	}
	nl_json_arr_end(&j);
	nl_json_key(&j, "effect");
	nl_json_obj_begin(&j);
	nl_json_kdouble(&j, "median_p99_off_ns", res->median_p99_ns[0]);
	nl_json_kdouble(&j, "median_p99_on_ns", res->median_p99_ns[1]);
	nl_json_kdouble(&j, "ratio", res->ratio);
	nl_json_kdouble(&j, "ci_lo", res->ci_lo);
	nl_json_kdouble(&j, "ci_hi", res->ci_hi);
	nl_json_kdouble(&j, "p_value", res->p_value);
	nl_json_ku64(&j, "permutations", res->permutations);
	nl_json_kdouble(&j, "min_p_value", res->min_p_value);
	nl_json_kstr(&j, "verdict", verdict_name(res->verdict));
	nl_json_kstr(&j, "why", res->why);
	nl_json_obj_end(&j);
	nl_json_key(&j, "attribution_on");
	nl_json_obj_begin(&j);
	for (int c = 0; on && c < NL_RQ_CAUSES; c++)
		nl_json_kdouble(&j, nl_rq_cause_names[c], on->tail.share[c]);
	nl_json_obj_end(&j);
	nl_json_obj_end(&j);
	nl_json_end(&j);
}

static int write_html(const struct prove *p, const struct nl_prove_result *res,
		      struct nl_request_set *arm, struct nl_rq_summary *sum, bool *have)
{
	struct nl_html_input hi = { .title = "numalens prove", .subtitle = p->o.rq.spec.text,
				    .nr_arms = 2, .prove = res };
	FILE *f = fopen(p->o.html, "we");
	int rc;

	for (int a = 0; a < 2; a++)
		hi.arms[a] = (struct nl_html_arm){ .name = a ? "numa_balancing=1" : "numa_balancing=0",
						   .r = arm[a].v, .n = arm[a].n,
						   .sum = have[a] ? &sum[a] : NULL };
	if (!f) {
		nl_err("prove: cannot write %s: %s", p->o.html, strerror(errno));
		return -1;
	}
	rc = nl_render_html(f, &hi);
	if (fclose(f) || rc) {
		nl_err("prove: writing %s failed", p->o.html);
		return -1;
	}
	return 0;
}

static int compare(struct prove *p)
{
	struct nl_prove_run pr[MAX_RUNS];
	struct nl_prove_result res;
	struct nl_prove_opts po = { .seed = p->o.seed };
	struct nl_rq_summary sum[2];
	bool have[2] = { false, false };

	memset(pr, 0, sizeof(pr));
	if (p->oom) {
		nl_err("prove: out of memory keeping the requests");
		return -1;
	}
	for (unsigned i = 0; i < p->o.runs; i++) {
		pr[i].arm = p->runs[i].arm;
		pr[i].latency_ns = p->runs[i].lat;
		pr[i].n = p->runs[i].n_lat;
	}
	if (nl_prove_analyze(pr, p->o.runs, &po, &res)) {
		nl_err("prove: the runs could not be compared (an arm without runs)");
		return -1;
	}
	for (int a = 0; a < 2; a++)
		have[a] = nl_rq_summarize(p->arm[a].v, p->arm[a].n, &sum[a]) == 0;
	if (p->o.json)
		print_json(p, pr, &res, have[1] ? &sum[1] : NULL);
	else
		print_text(p, pr, &res, have[1] ? &sum[1] : NULL);
	return p->o.html ? write_html(p, &res, p->arm, sum, have) : 0;
}

/* ---- the whole ---- */

/* numa_balancing is system-wide: who else would feel it. */
static int check_others(const struct prove *p)
{
	char list[512] = "";
	int n = nl_nb_others(16 * 1024, list, sizeof(list));

	if (n <= 0 || p->o.yes)
		return 0;
	nl_err("prove: kernel.numa_balancing is system-wide, and %d other process%s with 16 MiB or "
	       "more would run under both settings too: %s. Run prove on a machine with nothing "
	       "else on it, or say --yes to go on", n, n == 1 ? "" : "es", list);
	return -1;
}

static int make_dir(struct prove *p, char *buf, size_t len)
{
	if (!p->o.dir) {
		time_t t = time(NULL);
		struct tm tm;
		strftime(buf, len, "prove-%Y%m%d-%H%M%S", localtime_r(&t, &tm));
		p->o.dir = buf;
	}
	if (mkdir(p->o.dir, 0700) && errno != EEXIST) {
		nl_err("prove: cannot create %s: %s", p->o.dir, strerror(errno));
		return -1;
	}
	return 0;
}

static int run_all(struct prove *p)
{
	enum nl_prove_arm order[MAX_RUNS];

	nl_prove_order(order, p->o.runs, p->o.seed);
	for (unsigned i = 0; i < p->o.runs; i++) {
		struct run *r = &p->runs[i];

		r->arm = order[i];
		snprintf(r->path, sizeof(r->path), "%s/run-%02u-%s.nlt", p->o.dir, i + 1,
			 r->arm ? "on" : "off");
		snprintf(r->out, sizeof(r->out), "%s/run-%02u-%s.out", p->o.dir, i + 1,
			 r->arm ? "on" : "off");
		if (nl_nb_guard_set(p->guard, r->arm == NL_ARM_ON)) {
			nl_err("prove: cannot set kernel.numa_balancing=%d", r->arm == NL_ARM_ON);
			return -1;
		}
		if (!p->o.json)
			nl_err("prove: run %u of %u, numa_balancing=%d", i + 1, p->o.runs, r->arm);
		if (run_once(p, r)) {
			nl_err("prove: run %u %s; numa_balancing goes back to %d", i + 1,
			       p->stopped ? "interrupted" : "failed", nl_nb_guard_original(p->guard));
			return -1;
		}
	}
	return 0;
}

int cmd_prove(int argc, char **argv)
{
	struct prove *p = calloc(1, sizeof(*p));
	char dir[64], err[512];
	int value, rc = NL_EXIT_FAIL;

	if (!p) {
		nl_err("prove: out of memory");
		return NL_EXIT_FAIL;
	}
	switch (parse_args(argc, argv, &p->o)) {
	case 0: break;
	case 1: free(p); return NL_EXIT_OK;
	default: free(p); return NL_EXIT_USAGE;
	}
	p->argc = argc;
	p->argv = argv;
	if (!nl_have_bpf_privileges()) {
		nl_err("prove: needs root (BPF programs, and it sets kernel.numa_balancing)");
		goto out;
	}
	if (nl_nb_read(&value)) {
		nl_err("prove: this kernel has no kernel.numa_balancing (CONFIG_NUMA_BALANCING off): "
		       "nothing to compare");
		goto out;
	}
	if (check_others(p) || make_dir(p, dir, sizeof(dir)))
		goto out;
	/* before any BPF is loaded: the guardian forks from a small process */
	if (nl_nb_guard_start(&p->guard, err, sizeof(err))) {
		nl_err("prove: %s", err);
		goto out;
	}
	if (!run_all(p) && !compare(p))
		rc = NL_EXIT_OK;
	if (nl_nb_guard_restore(p->guard, err, sizeof(err))) {
		nl_err("prove: %s", err);
		rc = NL_EXIT_FAIL;
	}
out:
	for (unsigned i = 0; i < MAX_RUNS; i++)
		free(p->runs[i].lat);
	nl_request_set_free(&p->arm[0]);
	nl_request_set_free(&p->arm[1]);
	free(p);
	return rc;
}
