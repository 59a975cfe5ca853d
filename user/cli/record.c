/* numalens record: the same collection as top, written to a trace file for analysis
 * later, elsewhere (report, export): the session engine with the trace recorder
 * (engine/recorder.h) as its only consumer, ticking every --interval-ms (100 ms), so
 * any window can be added up again later.
 *
 * Exit status: 0 when the recording ended normally (duration, Ctrl-C, the target's
 * exit), 1 when it could not start or writing failed, 2 for bad usage. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/request_opts.h"
#include "collect/autonuma.h"
#include "collect/kfeatures.h"
#include "common/util.h"
#include "engine/recorder.h"
#include "engine/session.h"
#include "trace/trace.h"

struct record_opts {
	const char *out;
	uint32_t pid;
	bool children;    /* --children */
	bool no_children; /* --no-children */
	const char *cgroup;
	double duration;
	uint32_t interval_ms;
	uint32_t residency_ms;
	uint64_t max_size;          /* bytes; 0 = one file */
	enum nl_trace_compression comp;
	bool stacks, no_autonuma, verbose, quiet;
	int call_graph;             /* enum nl_call_graph */
	enum nl_autonuma_path autonuma_path;
	uint32_t max_threads;
	char **cmd;
	const char *cmd_output;
	struct nl_cli_request rq;
};

struct recorder {
	struct record_opts o;
	struct nl_session sess;
	struct nl_recorder *rec;
	int argc;
	char **argv;
};

static void usage(FILE *out)
{
	char mt[320];

	nl_max_threads_help(mt, sizeof(mt), 24);
	fprintf(out,
		"usage: numalens record -o FILE [-p PID | -G CGROUP] [-d SEC] [--interval-ms N]\n"
		"                       [--max-size MiB] [--call-graph auto|fp|dwarf] [-- CMD [ARGS...]]\n"
		"\n"
		"Records what `numalens top` shows into FILE for `numalens report` and\n"
		"`numalens export`, on this machine or another: per-thread counters every\n"
		"interval, AutoNUMA events one by one, thread births and exits, residency and\n"
		"numastat, with the machine's topology and the kernel's names.\n"
		"\n"
		"  -o, --output FILE     the trace file (created mode 0600, truncated)\n"
		"  -p, --pid PID         record this process (all its threads)\n"
		"      --children        with -p: also every process it has forked or forks while\n"
		"                        recorded, and theirs\n"
		"  -G, --cgroup PATH     record the tasks of this cgroup v2 directory\n"
		"  -- CMD [ARGS...]      start CMD and record it and every process it forks, until\n"
		"                        CMD exits\n"
		"      --no-children     record CMD's own process only\n"
		"      --cmd-output FILE CMD's stdout and stderr go to FILE\n"
		"  -d, --duration SEC    stop after SEC seconds (a started CMD is sent SIGTERM)\n"
		"      --interval-ms N   counter interval in ms (default 100, 10..60000)\n"
		"      --residency-ms N  numa_maps and numastat every N ms (default 1000; numa_maps\n"
		"                        takes each followed process's mmap lock while it is read)\n"
		"      --max-size MiB    rotate: past MiB the recording goes on in FILE.1, FILE.2,\n"
		"                        ... each readable on its own\n"
		"      --compress KIND   zstd (default), zlib or none\n"
		NL_REQUEST_OPTS_HELP
		"      --no-stacks       do not take user stacks of first-touching code\n"
		"      --call-graph M    how those stacks are unwound: auto (default: dwarf where the\n"
		"                        kernel allows, 5.15+), fp (frame pointers, cheapest) or\n"
		"                        dwarf (CFI; code built without frame pointers)\n"
		"      --no-autonuma     leave out the AutoNUMA programs and events\n"
		"      --autonuma-path P auto (default), fentry, kprobe or fallback\n"
		"      --max-threads N   %s\n",
		mt);
	fprintf(out,
		"  -q, --quiet           no summary on stderr at the end\n"
		"  -v, --verbose         libbpf messages on stderr\n"
		"  -h, --help            this text\n"
		"\n"
		"Without -p, --cgroup or CMD every process is recorded. Ctrl-C ends the recording\n"
		"cleanly. Exit status: 0 recorded, 1 could not record (not root, no BTF, no such\n"
		"process, the file cannot be written), 2 bad usage.\n");
}

static int parse_ms(const char *s, uint32_t lo, uint32_t hi, uint32_t *out)
{
	int v;

	if (nl_parse_int(s, (int)lo, (int)hi, &v))
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int parse_option(int c, struct record_opts *o)
{
	int v = nl_cli_request_option("record", c, optarg, &o->rq);
	char e[256];

	if (v)
		return v > 0 ? 0 : -1;
	switch (c) {
	case 'o': o->out = optarg; return 0;
	case 'K': o->children = true; return 0;
	case 'L': o->no_children = true; return 0;
	case 'G': o->cgroup = optarg; return 0;
	case 'p':
		if (nl_parse_int(optarg, 1, INT_MAX, &v)) {
			nl_err("record: -p wants a process id, not '%s'", optarg);
			return -1;
		}
		o->pid = (uint32_t)v;
		return 0;
	case 'd':
		if (nl_parse_seconds(optarg, &o->duration)) {
			nl_err("record: -d wants a duration in seconds > 0, not '%s'", optarg);
			return -1;
		}
		return 0;
	case 'I':
		if (parse_ms(optarg, 10, 60000, &o->interval_ms)) {
			nl_err("record: --interval-ms wants 10..60000, not '%s'", optarg);
			return -1;
		}
		return 0;
	case 'R':
		if (parse_ms(optarg, 10, 3600000, &o->residency_ms)) {
			nl_err("record: --residency-ms wants 10..3600000, not '%s'", optarg);
			return -1;
		}
		return 0;
	case 'M':
		if (nl_parse_int(optarg, 1, 1 << 20, &v)) {
			nl_err("record: --max-size wants MiB in 1..1048576, not '%s'", optarg);
			return -1;
		}
		o->max_size = (uint64_t)v << 20;
		return 0;
	case 'C':
		if (!strcmp(optarg, "zstd"))
			o->comp = NL_TRACE_ZSTD;
		else if (!strcmp(optarg, "zlib"))
			o->comp = NL_TRACE_ZLIB;
		else if (!strcmp(optarg, "none"))
			o->comp = NL_TRACE_NONE;
		else {
			nl_err("record: --compress wants zstd, zlib or none, not '%s'", optarg);
			return -1;
		}
		return 0;
	case 'A':
		if (nl_autonuma_path_parse(optarg, &o->autonuma_path)) {
			nl_err("record: --autonuma-path wants auto, fentry, kprobe or fallback, not '%s'",
			       optarg);
			return -1;
		}
		return 0;
	case 'T':
		if (nl_max_threads_parse(optarg, &o->max_threads, e, sizeof(e))) {
			nl_err("record: %s", e);
			return -1;
		}
		return 0;
	case 'S': o->stacks = false; return 0;
	case 'g':
		if (nl_call_graph_parse(optarg, &o->call_graph)) {
			nl_err("record: --call-graph: '%s' is not auto, fp or dwarf", optarg);
			return -1;
		}
		return 0;
	case 'N': o->no_autonuma = true; return 0;
	case 'O': o->cmd_output = optarg; return 0;
	case 'q': o->quiet = true; return 0;
	case 'v': o->verbose = true; return 0;
	case 'h': usage(stdout); return 1;
	default: usage(stderr); return -1;
	}
}

static int parse_args(int argc, char **argv, struct record_opts *o)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "pid", required_argument, NULL, 'p' },
		{ "cgroup", required_argument, NULL, 'G' },
		{ "children", no_argument, NULL, 'K' },
		{ "no-children", no_argument, NULL, 'L' },
		{ "duration", required_argument, NULL, 'd' },
		{ "interval-ms", required_argument, NULL, 'I' },
		{ "residency-ms", required_argument, NULL, 'R' },
		{ "max-size", required_argument, NULL, 'M' },
		{ "compress", required_argument, NULL, 'C' },
		{ "autonuma-path", required_argument, NULL, 'A' },
		{ "max-threads", required_argument, NULL, 'T' },
		{ "no-stacks", no_argument, NULL, 'S' },
		{ "call-graph", required_argument, NULL, 'g' },
		{ "no-autonuma", no_argument, NULL, 'N' },
		{ "cmd-output", required_argument, NULL, 'O' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		NL_REQUEST_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	int c, rc;

	*o = (struct record_opts){ .interval_ms = 100, .residency_ms = 1000, .stacks = true };
	optind = 1;
	while ((c = getopt_long(argc, argv, "+o:p:G:d:qvh", longopts, NULL)) != -1)
		if ((rc = parse_option(c, o)))
			return rc;
	if (optind < argc)
		o->cmd = &argv[optind];
	if (!o->out) {
		nl_err("record: -o FILE is required (where the trace goes)");
		return -1;
	}
	if (o->cmd_output && !o->cmd) {
		nl_err("record: --cmd-output is for a started command (-- CMD ARGS)");
		return -1;
	}
	if (!!o->cmd + !!o->pid + !!o->cgroup > 1) {
		nl_err("record: -p, --cgroup and a command are exclusive: record one of them");
		return -1;
	}
	if (o->children && !o->pid) {
		nl_err("record: --children is for -p PID (a started command's children are "
		       "recorded unless --no-children)");
		return -1;
	}
	if (o->no_children && !o->cmd) {
		nl_err("record: --no-children is for a started command (-- CMD ARGS)");
		return -1;
	}
	return 0;
}

static void session_opts(const struct record_opts *o, struct nl_session_opts *so)
{
	*so = (struct nl_session_opts){
		.who = "record",
		.pid = o->pid,
		.children = o->children,
		.no_children = o->no_children,
		.cgroup = o->cgroup,
		.cmd = o->cmd,
		.cmd_output = o->cmd_output,
		.duration = o->duration,
		.interval = o->interval_ms / 1000.0,
		.collect = {
			.max_threads = o->max_threads,
			.stacks = o->stacks,
			.call_graph = o->call_graph,
			.verbose = o->verbose,
			.no_autonuma = o->no_autonuma,
			.autonuma_path = (int)o->autonuma_path,
			.events = true,
			.request = o->rq.set ? &o->rq.spec : NULL,
			.max_inflight = o->rq.max_inflight,
			.request_records = true,
		},
	};
}

static int record_tick(void *ctx, enum nl_stop_reason why)
{
	return nl_recorder_tick(((struct recorder *)ctx)->rec, why);
}

/* The session's attached hook: the file is created before CMD runs. */
static int on_attached(void *ctx, struct nl_session *s)
{
	struct recorder *r = ctx;
	struct nl_recorder_opts ro = {
		.path = r->o.out,
		.who = "record",
		.interval_ms = r->o.interval_ms,
		.residency_ms = r->o.residency_ms,
		.max_bytes = r->o.max_size,
		.comp = r->o.comp,
		.request = r->o.rq.set ? r->o.rq.spec.text : NULL,
		.argc = r->argc,
		.argv = r->argv,
	};

	return nl_recorder_open(s, &ro, &r->rec);
}

int cmd_record(int argc, char **argv)
{
	struct recorder r;
	struct nl_session_opts so;
	struct nl_session_loop loop = { .tick = record_tick, .ctx = &r, .input_fd = -1 };
	enum nl_stop_reason why = NL_RUNNING;
	int failed = 0, rc = NL_EXIT_FAIL;

	memset(&r, 0, sizeof(r));
	r.sess.child.go_fd = -1;
	switch (parse_args(argc, argv, &r.o)) {
	case 0: break;
	case 1: return NL_EXIT_OK;
	default: return NL_EXIT_USAGE;
	}
	if (!nl_have_bpf_privileges()) {
		nl_err("record: loading BPF programs needs root (or CAP_BPF and CAP_PERFMON): run it with sudo");
		return NL_EXIT_FAIL;
	}
	r.argc = argc;
	r.argv = argv;
	session_opts(&r.o, &so);
	so.attached = on_attached;
	so.ctx = &r;
	if (nl_session_init(&r.sess, &so) || nl_session_start(&r.sess))
		goto cleanup;
	why = nl_session_run(&r.sess, &loop, &failed);
	rc = failed ? NL_EXIT_FAIL : NL_EXIT_OK;
cleanup:
	nl_session_detach(&r.sess);
	if (nl_recorder_close(r.rec, r.o.quiet || rc != NL_EXIT_OK))
		rc = NL_EXIT_FAIL;
	nl_session_finish(&r.sess, why);
	return rc;
}
