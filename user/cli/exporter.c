/* numalens exporter: the always-on daemon. The session engine over every process (or
 * -G CGROUP) with the exporter (engine/exporter.h) as its consumer: Prometheus text at
 * /metrics and/or a node_exporter textfile, each the totals of the last completed
 * interval; with --flight, a flight recorder of the last seconds that a signal or a
 * threshold writes to a trace file `numalens report` reads.
 *
 * Exit status: 0 when it ran until stopped (SIGINT, SIGTERM, -d), 1 when it could not
 * start (not root, the address cannot be bound, no BTF) or collecting failed, 2 for
 * bad usage. */
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/request_opts.h"
#include "collect/autonuma.h"
#include "collect/kfeatures.h"
#include "common/util.h"
#include "engine/exporter.h"
#include "engine/httpd.h"
#include "engine/session.h"

#define DEFAULT_LISTEN ":9747"

struct exporter_opts {
	const char *listen;       /* NULL: the default, unless only --textfile is asked */
	const char *textfile;
	const char *cgroup;
	double interval, duration;
	int top_cgroups;
	bool bpf_stats, no_autonuma, quiet, verbose;
	uint32_t max_threads;
	const char *flight;
	double flight_seconds, flight_after;
	int flight_mb, flight_keep;
	const char *trigger;
	struct nl_cli_request rq; /* --request / --usdt / --syscalls */
};

struct exporter {
	struct exporter_opts o;
	struct nl_exporter_opts eo;
	struct nl_exporter *exp;
	struct nl_httpd *httpd;
	int argc;
	char **argv;
};

static void usage(FILE *out)
{
	char mt[320];

	nl_max_threads_help(mt, sizeof(mt), 26);
	fprintf(out,
		"usage: numalens exporter [--listen ADDR:PORT] [--textfile DIR] [-i SEC] [-G CGROUP]\n"
		"                         [--request BIN:FUNC | --usdt BIN:PROV:START[:END] | --syscalls B:E]\n"
		"                         [--flight DIR [--flight-seconds N] [--trigger EXPR]]\n"
		"\n"
		"Runs as a daemon over every process and exports what `numalens top` counts as\n"
		"Prometheus metrics: faults and hint faults by CPU node and page node, page\n"
		"migrations by node pair and reason, the migration stall histogram, NUMA task\n"
		"moves, TLB shootdowns, per-node memory and numastat, the remote ratio of the top\n"
		"cgroups, the sources' state and lost events. Counters are cumulative since the\n"
		"exporter started; every scrape sees the last completed interval. Labels are\n"
		"node, reason, cgroup, source and cause, never a pid or tid.\n"
		"\n"
		"With --request, --usdt or --syscalls it measures the requests of every process\n"
		"that runs BIN (or of every thread, for --syscalls; -G narrows both) and exports\n"
		"their latency histogram, counts, drops and time by cause.\n"
		"\n"
		"  -l, --listen ADDR:PORT  serve /metrics there (default " DEFAULT_LISTEN ", every address;\n"
		"                          127.0.0.1:9747 for this machine only)\n"
		"      --textfile DIR      write DIR/numalens.prom every interval, atomically, for\n"
		"                          node_exporter's textfile collector (no server unless\n"
		"                          --listen is given too)\n"
		"  -i, --interval SEC      how often the totals are brought up to date (default 1)\n"
		"  -G, --cgroup PATH       count only the tasks of this cgroup v2 directory\n"
		"      --top-cgroups N     cgroups listed by accesses, the rest as \"other\" (default\n"
		"                          20, 0..1024)\n"
		"      --bpf-stats         turn kernel.bpf_stats on while running, to export numalens's\n"
		"                          own BPF run time (costs every BPF program ~20 ns a run)\n"
		"      --flight DIR        flight recorder: keep the last seconds in memory and write\n"
		"                          them to DIR/numalens-flight-TIME.nlt on SIGUSR1 or --trigger\n"
		"      --flight-seconds N  seconds kept (default 60, 1..3600)\n"
		"      --flight-max-mb N   memory the ring may take (default 64, 1..4096)\n"
		"      --flight-keep K     dumps kept in DIR, the oldest removed (default 10)\n"
		"      --flight-after SEC  write a dump SEC seconds after its trigger, so it holds\n"
		"                          what followed too (default 0; within --flight-seconds)\n"
		"      --trigger EXPR      dump also when an interval has remote>RATIO (e.g.\n"
		"                          remote>0.5, judged from 100 accesses), migrate>N/s\n"
		"                          (pages) or, with requests, p99>DURATION (unit ns, us,\n"
		"                          ms or s, e.g. p99>5ms: the exact p99 of the requests\n"
		"                          that finished in the interval); then not again before\n"
		"                          the ring is new. A dump holds the requests too.\n"
		NL_REQUEST_OPTS_HELP
		"  -d, --duration SEC      stop after SEC seconds (default: until stopped)\n"
		"      --no-autonuma       leave out the AutoNUMA programs\n"
		"      --max-threads N     %s\n",
		mt);
	fprintf(out,
		"  -q, --quiet             no messages but errors\n"
		"  -v, --verbose           libbpf messages on stderr\n"
		"  -h, --help              this text\n"
		"\n"
		"SIGINT or SIGTERM stop it cleanly (every program detached). Exit status: 0 ran\n"
		"until stopped, 1 could not start (not root, the address is taken, no BTF) or\n"
		"collecting failed, 2 bad usage.\n");
}

static int parse_option(int c, struct exporter_opts *o)
{
	int v = nl_cli_request_option("exporter", c, optarg, &o->rq);
	char e[256];

	if (v)
		return v < 0 ? -1 : 0;
	switch (c) {
	case 'l': o->listen = optarg; return 0;
	case 'F': o->textfile = optarg; return 0;
	case 'G': o->cgroup = optarg; return 0;
	case 'i':
		if (nl_parse_seconds(optarg, &o->interval) || o->interval < 0.1 || o->interval > 3600) {
			nl_err("exporter: -i wants seconds in 0.1..3600, not '%s'", optarg);
			return -1;
		}
		return 0;
	case 'd':
		if (nl_parse_seconds(optarg, &o->duration)) {
			nl_err("exporter: -d wants a duration in seconds > 0, not '%s'", optarg);
			return -1;
		}
		return 0;
	case 'C':
		if (nl_parse_int(optarg, 0, 1024, &o->top_cgroups)) {
			nl_err("exporter: --top-cgroups wants 0..1024, not '%s'", optarg);
			return -1;
		}
		return 0;
	case 'R': o->flight = optarg; return 0;
	case 'S':
		if (nl_parse_int(optarg, 1, 3600, &v)) {
			nl_err("exporter: --flight-seconds wants 1..3600, not '%s'", optarg);
			return -1;
		}
		o->flight_seconds = v;
		return 0;
	case 'M':
		if (nl_parse_int(optarg, 1, 4096, &o->flight_mb)) {
			nl_err("exporter: --flight-max-mb wants 1..4096, not '%s'", optarg);
			return -1;
		}
		return 0;
	case 'K':
		if (nl_parse_int(optarg, 1, 100000, &o->flight_keep)) {
			nl_err("exporter: --flight-keep wants 1..100000, not '%s'", optarg);
			return -1;
		}
		return 0;
	case 'T': o->trigger = optarg; return 0;
	case 'A':
		if (nl_parse_seconds(optarg, &o->flight_after) || o->flight_after > 3600) {
			nl_err("exporter: --flight-after wants seconds > 0 and <= 3600, not '%s'", optarg);
			return -1;
		}
		return 0;
	case 'X':
		if (nl_max_threads_parse(optarg, &o->max_threads, e, sizeof(e))) {
			nl_err("exporter: %s", e);
			return -1;
		}
		return 0;
	case 'B': o->bpf_stats = true; return 0;
	case 'N': o->no_autonuma = true; return 0;
	case 'q': o->quiet = true; return 0;
	case 'v': o->verbose = true; return 0;
	case 'h': usage(stdout); return 1;
	default: usage(stderr); return -1;
	}
}

static int parse_args(int argc, char **argv, struct exporter_opts *o, struct nl_trigger *t)
{
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "textfile", required_argument, NULL, 'F' },
		{ "interval", required_argument, NULL, 'i' },
		{ "duration", required_argument, NULL, 'd' },
		{ "cgroup", required_argument, NULL, 'G' },
		{ "top-cgroups", required_argument, NULL, 'C' },
		{ "bpf-stats", no_argument, NULL, 'B' },
		{ "flight", required_argument, NULL, 'R' },
		{ "flight-seconds", required_argument, NULL, 'S' },
		{ "flight-max-mb", required_argument, NULL, 'M' },
		{ "flight-keep", required_argument, NULL, 'K' },
		{ "trigger", required_argument, NULL, 'T' },
		{ "flight-after", required_argument, NULL, 'A' },
		{ "no-autonuma", no_argument, NULL, 'N' },
		{ "max-threads", required_argument, NULL, 'X' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		NL_REQUEST_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	int c, rc;

	*o = (struct exporter_opts){ .interval = 1, .top_cgroups = 20, .flight_seconds = 60,
				     .flight_mb = 64, .flight_keep = 10 };
	optind = 1;
	while ((c = getopt_long(argc, argv, "l:i:d:G:qvh", longopts, NULL)) != -1)
		if ((rc = parse_option(c, o)))
			return rc;
	if (optind < argc) {
		nl_err("exporter: unexpected argument '%s' (the exporter watches every process; -G for a cgroup)",
		       argv[optind]);
		return -1;
	}
	if (!o->listen && !o->textfile)
		o->listen = DEFAULT_LISTEN;
	if (nl_httpd_listen_syntax(o->listen ? o->listen : DEFAULT_LISTEN)) {
		nl_err("exporter: --listen wants ADDR:PORT (e.g. :9747, 127.0.0.1:9747, [::1]:9747), not '%s'",
		       o->listen);
		return -1;
	}
	if (o->trigger && nl_trigger_parse(o->trigger, t)) {
		nl_err("exporter: --trigger wants remote>RATIO (0..1], migrate>N/s or p99>DURATION (> 0 with a unit: ns, us, ms or s), not '%s'",
		       o->trigger);
		return -1;
	}
	if (t->kind == NL_TRIGGER_P99 && !o->rq.set) {
		nl_err("exporter: --trigger %s needs requests to measure: add --request, --usdt or --syscalls",
		       o->trigger);
		return -1;
	}
	if (o->flight_after >= o->flight_seconds) {
		nl_err("exporter: --flight-after must be shorter than --flight-seconds (the ring would lose the trigger)");
		return -1;
	}
	if (o->trigger && !o->flight) {
		nl_err("exporter: --trigger is for the flight recorder: add --flight DIR");
		return -1;
	}
	return 0;
}

static int exporter_tick(void *ctx, enum nl_stop_reason why)
{
	return nl_exporter_tick(((struct exporter *)ctx)->exp, why);
}

static int on_attached(void *ctx, struct nl_session *s)
{
	struct exporter *x = ctx;

	if (nl_exporter_open(s, &x->eo, &x->exp))
		return -1;
	if (x->httpd && nl_httpd_start(x->httpd)) {
		nl_err("exporter: cannot start the HTTP server thread");
		return -1;
	}
	if (!x->o.quiet) {
		if (x->httpd)
			nl_err("exporter: serving http://%s/metrics every %g s", nl_httpd_address(x->httpd),
			       x->o.interval);
		if (x->o.textfile)
			nl_err("exporter: writing %s/numalens.prom every %g s", x->o.textfile, x->o.interval);
		if (x->o.flight)
			nl_err("exporter: flight recorder: last %g s in memory, dumped to %s on SIGUSR1%s%s",
			       x->o.flight_seconds, x->o.flight, x->o.trigger ? " or " : "",
			       x->o.trigger ? x->o.trigger : "");
	}
	return 0;
}

static void exporter_opts_fill(struct exporter *x, const struct nl_trigger *t)
{
	x->eo = (struct nl_exporter_opts){
		.who = "exporter",
		.httpd = x->httpd,
		.textfile_dir = x->o.textfile,
		.top_cgroups = x->o.top_cgroups,
		.bpf_stats = x->o.bpf_stats,
		.quiet = x->o.quiet,
		.requests = x->o.rq.set,
		.trigger = *t,
		.flight_after_ns = (uint64_t)(x->o.flight_after * 1e9),
	};
	if (x->o.flight)
		x->eo.flight = (struct nl_flight_opts){
			.dir = x->o.flight,
			.who = "exporter",
			.keep_ns = (uint64_t)(x->o.flight_seconds * 1e9),
			.max_bytes = (uint64_t)x->o.flight_mb << 20,
			.keep_files = x->o.flight_keep,
			.rec = { .who = "exporter", .interval_ms = (uint32_t)(x->o.interval * 1000),
				 .residency_ms = (uint32_t)(x->o.interval * 1000),
				 .request = x->o.rq.set ? x->o.rq.spec.text : NULL,
				 .argc = x->argc, .argv = x->argv },
		};
}

int cmd_exporter(int argc, char **argv)
{
	struct exporter x;
	struct nl_trigger trig = { 0 };
	struct nl_session sess;
	struct nl_session_opts so;
	struct nl_session_loop loop = { .tick = exporter_tick, .ctx = &x, .input_fd = -1 };
	enum nl_stop_reason why = NL_RUNNING;
	char err[256] = "";
	int failed = 0, rc = NL_EXIT_FAIL;

	memset(&x, 0, sizeof(x));
	memset(&sess, 0, sizeof(sess));
	sess.child.go_fd = -1;
	switch (parse_args(argc, argv, &x.o, &trig)) {
	case 0: break;
	case 1: return NL_EXIT_OK;
	default: return NL_EXIT_USAGE;
	}
	if (!nl_have_bpf_privileges()) {
		nl_err("exporter: loading BPF programs needs root (or CAP_BPF, CAP_PERFMON and CAP_SYS_RESOURCE): run it with sudo or as the systemd unit");
		return NL_EXIT_FAIL;
	}
	/* the address first: a port already taken is said before anything loads */
	if (x.o.listen && nl_httpd_open(x.o.listen, &x.httpd, err, sizeof(err))) {
		nl_err("exporter: --listen: %s", err);
		return NL_EXIT_FAIL;
	}
	x.argc = argc;
	x.argv = argv;
	exporter_opts_fill(&x, &trig);
	so = (struct nl_session_opts){
		.who = "exporter",
		.cgroup = x.o.cgroup,
		.duration = x.o.duration,
		.interval = x.o.interval,
		.collect = {
			.max_threads = x.o.max_threads,
			.verbose = x.o.verbose,
			.no_autonuma = x.o.no_autonuma,
			.autonuma_path = NL_AUTONUMA_PATH_AUTO,
			/* the AutoNUMA events only feed the flight recorder's dumps */
			.events = x.o.flight != NULL,
			.request = x.o.rq.set ? &x.o.rq.spec : NULL,
			.max_inflight = x.o.rq.max_inflight,
			/* each request's causes feed the cause counters and the dumps */
			.request_records = x.o.rq.set,
		},
		.attached = on_attached,
		.ctx = &x,
	};
	if (nl_session_init(&sess, &so) || nl_session_start(&sess))
		goto cleanup;
	why = nl_session_run(&sess, &loop, &failed);
	rc = failed ? NL_EXIT_FAIL : NL_EXIT_OK;
cleanup:
	/* the server first: no scrape is answered from a half-closed exporter */
	nl_httpd_close(x.httpd);
	nl_session_detach(&sess);
	nl_exporter_close(x.exp);
	nl_session_finish(&sess, why);
	return rc;
}
