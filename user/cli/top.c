/* numalens top: follows a process (-p PID), a command it starts (-- CMD ARGS) or the
 * whole system, and shows each interval's per-node figures: a refreshing ncurses
 * table on a terminal, JSON Lines (DESIGN.md, contract v1) with --json or when
 * stdout is not a terminal.
 *
 * Exit status: 0 when the run ends normally: the duration elapsed, SIGINT/SIGTERM or
 * 'q', the reader of a piped stdout went away, or the followed process/command exited (the command's own exit status goes to
 * stderr, not into ours: ours says whether profiling worked). 1 when profiling could
 * not start or failed (not root, no BTF, no such process, map read errors). 2 for
 * bad usage.
 *
 * Signals: SIGINT, SIGTERM and SIGCHLD are blocked except while waiting in ppoll(),
 * so a signal that arrives between checks is never lost and every wake-up is handled
 * at one place. The collector is always closed (detaching every BPF program and
 * link) on the way out. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "analyze/requests.h"
#include "analyze/top_diag.h"
#include "cli/request_opts.h"
#include "model/trend.h"
#include "cli/commands.h"
#include "collect/autonuma.h"
#include "collect/kfeatures.h"
#include "engine/recorder.h"
#include "engine/session.h"
#include "render/render_json.h"
#include "render/render_table.h"
#include "render/tui.h"
#include "sysinfo/machine.h"
#include "common/util.h"

struct top_opts {
	uint32_t pid;
	bool children;      /* --children: -p's forked processes too */
	bool no_children;   /* --no-children: not a started command's */
	const char *cgroup; /* --cgroup PATH */
	double duration;  /* seconds; 0 = until stopped */
	double interval;  /* seconds */
	bool threads;
	bool json;
	bool text;        /* --text: plain tables even on a terminal */
	bool no_autonuma;
	enum nl_autonuma_path autonuma_path;
	bool verbose;
	bool stacks;
	int call_graph;   /* enum nl_call_graph */
	uint32_t max_threads;
	char **cmd;       /* -- CMD ARGS, NULL-terminated; NULL when none */
	const char *cmd_output; /* --cmd-output FILE */
	const char *record;     /* --record FILE: a trace of the same run, same collector */
	struct nl_cli_request rq; /* --request / --usdt */
	uint32_t record_ms;     /* --record-interval-ms */
};

static void usage(FILE *out)
{
	char mt[320];

	nl_max_threads_help(mt, sizeof(mt), 23);
	fprintf(out,
		"usage: numalens top [-p PID | -G CGROUP] [-d SEC] [-i SEC] [--threads] [--json|--text]\n"
		"                    [--call-graph auto|fp|dwarf] [-- CMD [ARGS...]]\n"
		"\n"
		"Per-node CPU time, page faults by CPU node x page node, remote ratio, first-touch\n"
		"and resident pages for each process, refreshed every interval; diagnoses the\n"
		"first-touch bug with the initializing thread's stack and the fix.\n"
		"\n"
		"  -p, --pid PID        follow this process (all its threads)\n"
		"      --children       with -p: also every process it has forked or forks while\n"
		"                       followed, and theirs (pre-forked workers, pools)\n"
		"  -G, --cgroup PATH    follow the tasks of this cgroup v2 directory (absolute,\n"
		"                       or relative to /sys/fs/cgroup)\n"
		"  -- CMD [ARGS...]     start CMD and follow it and every process it forks (as perf\n"
		"                       record does); under sudo it runs as the invoking user\n"
		"                       (SUDO_UID/SUDO_GID); the run ends when CMD exits\n"
		"      --no-children    follow CMD's own process only\n"
		"      --cmd-output FILE  CMD's stdout and stderr go to FILE (created or\n"
		"                       truncated) instead of ours. In the refreshing view they\n"
		"                       always go to a file, so they cannot draw over it: FILE,\n"
		"                       or a new $TMPDIR/numalens-cmd.XXXXXX named in the header\n"
		"                       and at exit; CMD's stdin is then /dev/null\n"
		"  -d, --duration SEC   stop after SEC seconds (a started CMD is sent SIGTERM)\n"
		"      --record FILE    also write the run to a trace file (numalens record's\n"
		"                       format), from the same collector as the view\n"
		"      --record-interval-ms N  the trace's interval (default 100, 10..60000)\n"
		"  -i, --interval SEC   refresh interval (default 1; fractions allowed)\n"
		NL_REQUEST_OPTS_HELP
		"                        (top shows each interval's p50/p99/p99.9 and the causes of\n"
		"                        its tail; --json adds a \"requests\" object)\n"
		"      --threads        thread rows under each process in the table (the JSON\n"
		"                       always carries per-thread entries)\n"
		"      --json           JSON Lines, one object per interval (the default when\n"
		"                       stdout is not a terminal)\n"
		"      --text           plain tables, one per interval, instead of the refreshing\n"
		"                       view (for logs and serial consoles)\n"
		"      --max-threads N  %s\n",
		mt);
	fprintf(out,
		"      --no-stacks      do not take user stacks of first-touching code\n"
		"      --call-graph M   how those stacks are unwound: auto (default: dwarf where the\n"
		"                       kernel allows, 5.15+), fp (frame pointers, cheapest) or dwarf\n"
		"                       (CFI; code built without frame pointers)\n"
		"      --no-autonuma    leave out the AutoNUMA programs (hint faults, migrations,\n"
		"                       NUMA task moves, TLB shootdowns, scanner time)\n"
		"      --autonuma-path P  how hint faults are hooked: auto (default: fentry, then\n"
		"                       kprobe, then the tracepoint/task_struct fallback), or force\n"
		"                       fentry, kprobe or fallback (fails if it cannot load)\n"
		"  -v, --verbose        libbpf messages on stderr\n"
		"  -h, --help           this text\n"
		"\n"
		"Without -p, --cgroup or CMD every process is followed. Keys: arrows select,\n"
		"Enter drills into a process, Esc goes back, ? shows the keys, the legend and\n"
		"the sources, q quits. Exit status: 0 when the run ends (duration, Ctrl-C, q,\n"
		"or the followed process exits; a CMD's own status is reported on stderr), 1 when\n"
		"profiling cannot start or fails, 2 for bad usage. Needs root (or CAP_BPF and\n"
		"CAP_PERFMON).\n");
}

static int parse_args(int argc, char **argv, struct top_opts *o)
{
	enum { OPT_THREADS = 256, OPT_JSON, OPT_TEXT, OPT_MAX_THREADS, OPT_NO_STACKS, OPT_NO_AUTONUMA,
	       OPT_AUTONUMA_PATH, OPT_CMD_OUTPUT, OPT_RECORD, OPT_RECORD_MS, OPT_CHILDREN,
	       OPT_NO_CHILDREN, OPT_CALL_GRAPH };
	static const struct option longopts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "cgroup", required_argument, NULL, 'G' },
		{ "children", no_argument, NULL, OPT_CHILDREN },
		{ "no-children", no_argument, NULL, OPT_NO_CHILDREN },
		{ "duration", required_argument, NULL, 'd' },
		{ "interval", required_argument, NULL, 'i' },
		{ "threads", no_argument, NULL, OPT_THREADS },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "text", no_argument, NULL, OPT_TEXT },
		{ "max-threads", required_argument, NULL, OPT_MAX_THREADS },
		{ "no-stacks", no_argument, NULL, OPT_NO_STACKS },
		{ "call-graph", required_argument, NULL, OPT_CALL_GRAPH },
		{ "no-autonuma", no_argument, NULL, OPT_NO_AUTONUMA },
		{ "autonuma-path", required_argument, NULL, OPT_AUTONUMA_PATH },
		{ "cmd-output", required_argument, NULL, OPT_CMD_OUTPUT },
		{ "record", required_argument, NULL, OPT_RECORD },
		{ "record-interval-ms", required_argument, NULL, OPT_RECORD_MS },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		NL_REQUEST_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	int c, v;
	char e[256];

	*o = (struct top_opts){ .interval = 1.0, .stacks = true, .record_ms = 100 };
	optind = 1;
	/* '+': options end at the first non-option, so CMD's own options stay its own */
	while ((c = getopt_long(argc, argv, "+p:G:d:i:vh", longopts, NULL)) != -1) {
		v = nl_cli_request_option("top", c, optarg, &o->rq);
		if (v < 0)
			return -1;
		if (v > 0)
			continue;
		switch (c) {
		case 'G':
			o->cgroup = optarg;
			break;
		case 'p':
			if (nl_parse_int(optarg, 1, INT_MAX, &v)) {
				nl_err("top: -p wants a process id, not '%s'", optarg);
				return -1;
			}
			o->pid = (uint32_t)v;
			break;
		case 'd':
			if (nl_parse_seconds(optarg, &o->duration)) {
				nl_err("top: -d wants a duration in seconds > 0, not '%s'", optarg);
				return -1;
			}
			break;
		case 'i':
			if (nl_parse_seconds(optarg, &o->interval) || o->interval < 0.01) {
				nl_err("top: -i wants an interval in seconds >= 0.01, not '%s'", optarg);
				return -1;
			}
			break;
		case OPT_THREADS: o->threads = true; break;
		case OPT_CHILDREN: o->children = true; break;
		case OPT_NO_CHILDREN: o->no_children = true; break;
		case OPT_JSON: o->json = true; break;
		case OPT_TEXT: o->text = true; break;
		case OPT_NO_STACKS: o->stacks = false; break;
		case OPT_CALL_GRAPH:
			if (nl_call_graph_parse(optarg, &o->call_graph)) {
				nl_err("top: --call-graph: '%s' is not auto, fp or dwarf", optarg);
				return -1;
			}
			break;
		case OPT_NO_AUTONUMA: o->no_autonuma = true; break;
		case OPT_CMD_OUTPUT: o->cmd_output = optarg; break;
		case OPT_RECORD: o->record = optarg; break;
		case OPT_RECORD_MS:
			if (nl_parse_int(optarg, 10, 60000, &v)) {
				nl_err("top: --record-interval-ms wants 10..60000, not '%s'", optarg);
				return -1;
			}
			o->record_ms = (uint32_t)v;
			break;
		case OPT_AUTONUMA_PATH:
			if (nl_autonuma_path_parse(optarg, &o->autonuma_path)) {
				nl_err("top: --autonuma-path wants auto, fentry, kprobe or fallback, not '%s'",
				       optarg);
				return -1;
			}
			break;
		case OPT_MAX_THREADS:
			if (nl_max_threads_parse(optarg, &o->max_threads, e, sizeof(e))) {
				nl_err("top: %s", e);
				return -1;
			}
			break;
		case 'v': o->verbose = true; break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc)
		o->cmd = &argv[optind];
	if (o->json && o->text) {
		nl_err("top: --json and --text are exclusive");
		return -1;
	}
	if (o->cmd_output && !o->cmd) {
		nl_err("top: --cmd-output is for a started command (-- CMD ARGS)");
		return -1;
	}
	if (!!o->cmd + !!o->pid + !!o->cgroup > 1) {
		nl_err("top: -p, --cgroup and a command are exclusive: follow one of them");
		return -1;
	}
	if (o->children && !o->pid) {
		nl_err("top: --children is for -p PID (a started command's children are followed "
		       "unless --no-children)");
		return -1;
	}
	if (o->no_children && !o->cmd) {
		nl_err("top: --no-children is for a started command (-- CMD ARGS)");
		return -1;
	}
	return 0;
}

/* Everything the loop shares. */
struct top {
	struct top_opts o;
	int argc;
	char **argv;
	struct nl_session sess;
	struct nl_view view;
	struct nl_recorder *rec;   /* --record */
	uint64_t next_show_ns;     /* with --record the session ticks at the trace's pace */
	struct nl_touch_history *touches; /* whole-run first touches, for the diagnosis */
	struct nl_tui *tui;
	bool text;                 /* plain tables: --text, or a terminal we could not drive */
	unsigned tables_printed;   /* plain tables so far (the legend goes with the first) */
	struct nl_snapshot last;   /* kept for redraws on resize and keys */
	bool have_last;
	struct nl_trend trend;     /* last intervals per process, for the table's trend lines */
	struct nl_request_set rq;  /* --request: the interval's finished requests */
	struct nl_rq_summary rq_sum;
};

/* The interval's requests analysed into s (its summary lives in t until the next). */
static int analyse_requests(struct top *t, struct nl_snapshot *s)
{
	int rc;

	if (!t->o.rq.set)
		return 0;
	rc = nl_collector_drain_requests(t->sess.coll);
	if (rc < 0) {
		nl_err("top: reading the finished requests failed: %s", strerror(-rc));
		return -1;
	}
	rc = nl_rq_summarize(t->rq.v, t->rq.n, &t->rq_sum);
	t->rq.n = 0;
	if (rc && rc != -EINVAL) {
		nl_err("top: out of memory analysing the requests");
		return -1;
	}
	s->rq_summary = rc ? NULL : &t->rq_sum;
	return 0;
}

static int render_tui(struct top *t)
{
	char title[256 + PATH_MAX], clock[16];
	time_t now = time(NULL);
	struct tm tm;
	struct nl_node_mem mem;
	struct nl_tui_frame f = { .s = t->have_last ? &t->last : NULL, .trend = &t->trend,
				  .title = title };

	if (t->have_last) {
		nl_node_mem_read(NULL, &t->last.topo, &mem);
		f.mem = &mem;
	}
	strftime(clock, sizeof(clock), "%H:%M:%S", localtime_r(&now, &tm));
	/* lost events early: a narrow terminal cuts the line's end */
	snprintf(title, sizeof(title),
		 " numalens top   %s   lost events %" PRIu64 "   %s   every %.2g s%s%s%s", clock,
		 t->have_last ? t->last.lost_events : 0, t->sess.target_desc, t->o.interval,
		 t->have_last ? "" : "   (collecting...)",
		 t->sess.child_output[0] ? "   output: " : "", t->sess.child_output);
	if (nl_tui_draw(t->tui, &f)) {
		nl_err("top: out of memory drawing the view");
		return -1;
	}
	return 0;
}

/* One interval as one JSON line, handed to the kernel in one write(2): a started
 * command shares our stdout, and a line written in stdio-buffer pieces could have
 * the command's own output land in its middle (a line of 50000 threads is ~15 MB).
 * The contract's per-thread entries are always in the JSON. */
static int write_json_line(struct top *t)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	int rc = 0;

	if (!mem) {
		nl_err("top: out of memory rendering JSON");
		return -1;
	}
	nl_render_json(&t->last, mem, true);
	if (fclose(mem) || !buf) {
		nl_err("top: out of memory rendering JSON");
		rc = -1;
		goto cleanup;
	}
	fflush(stdout); /* nothing of ours may be left behind in stdio's buffer */
	if (nl_write_all(STDOUT_FILENO, buf, len)) {
		if (errno == EPIPE) { /* the reader is gone (`| head -1`): a normal end */
			rc = 1;
			goto cleanup;
		}
		nl_err("top: writing to stdout failed: %s", strerror(errno));
		rc = -1;
	}
cleanup:
	free(buf);
	return rc;
}

/* Takes one interval's snapshot and shows it. 0, 1 when stdout's reader has gone,
 * -1 on failure (said on stderr). */
static int take_and_show(struct top *t, enum nl_stop_reason why)
{
	struct nl_snapshot s;
	int err;

	/* the live view's header shows numastat rates; JSON and text stay as they are */
	err = nl_view_interval(&t->view, NL_SAMPLE_RESIDENCY | (t->tui ? NL_SAMPLE_NUMASTAT : 0), &s);
	if (err) {
		nl_err("top: reading the collected data failed: %s", strerror(-err));
		return -1;
	}
	if (analyse_requests(t, &s)) {
		nl_snapshot_free(&s);
		return -1;
	}
	/* Pages are usually placed in an earlier interval than the one that runs on
	 * them: judge each interval with the whole run's first touches. */
	err = nl_top_diagnose(t->touches, &s, NULL);
	if (err) {
		nl_snapshot_free(&s);
		nl_err("top: out of memory diagnosing placement");
		return -1;
	}

	if (t->have_last)
		nl_snapshot_free(&t->last);
	t->last = s;
	t->have_last = true;
	if (!t->o.json && nl_trend_update(&t->trend, &t->last)) {
		nl_err("top: out of memory keeping the trend");
		return -1;
	}

	if (t->o.json)
		return write_json_line(t);
	if (t->tui)
		return render_tui(t);
	/* Sources and column meanings once per run; they change only with the sources. */
	struct nl_table_opts to = { .threads = t->o.threads, .trend = &t->trend,
				    .brief_legend = t->tables_printed > 0 };
	t->tables_printed++;
	if (nl_render_table_opts(&t->last, &to, stdout)) {
		nl_err("top: out of memory rendering the table");
		return -1;
	}
	fputc('\n', stdout);
	fflush(stdout);
	return 0;
}


/* Keys of the refreshing view. */
static int on_keys(void *ctx)
{
	struct top *t = ctx;
	enum nl_tui_event ev = nl_tui_keys(t->tui);

	if (ev == NL_TUI_QUIT)
		return NL_STOP_QUIT;
	if ((ev == NL_TUI_RESIZE || ev == NL_TUI_REDRAW) && render_tui(t))
		return -1;
	return NL_RUNNING;
}

/* --record: the trace ticks every session tick; the view every o.interval. */
static int top_tick(void *ctx, enum nl_stop_reason why)
{
	struct top *t = ctx;
	uint64_t now = nl_now_ns(CLOCK_MONOTONIC);

	if (!t->rec)
		return take_and_show(t, why);
	if (nl_recorder_tick(t->rec, why))
		return -1;
	if (why == NL_RUNNING && now < t->next_show_ns)
		return 0;
	t->next_show_ns += (uint64_t)(t->o.interval * 1e9);
	if (t->next_show_ns < now)
		t->next_show_ns = now + (uint64_t)(t->o.interval * 1e9);
	return take_and_show(t, why);
}

/* Before CMD runs: the trace file exists with its header. */
static int on_attached(void *ctx, struct nl_session *s)
{
	struct top *t = ctx;
	struct nl_recorder_opts ro = {
		.path = t->o.record,
		.who = "top",
		.interval_ms = t->o.record_ms,
		.residency_ms = 1000,
		.request = t->o.rq.set ? t->o.rq.spec.text : NULL,
		.argc = t->argc,
		.argv = t->argv,
	};

	if (!t->o.record)
		return 0;
	t->next_show_ns = nl_now_ns(CLOCK_MONOTONIC) + (uint64_t)(t->o.interval * 1e9);
	return nl_recorder_open(s, &ro, &t->rec);
}

static void session_opts(const struct top *t, struct nl_session_opts *so)
{
	*so = (struct nl_session_opts){
		.who = "top",
		.pid = t->o.pid,
		.children = t->o.children,
		.no_children = t->o.no_children,
		.cgroup = t->o.cgroup,
		.cmd = t->o.cmd,
		.cmd_output = t->o.cmd_output,
		/* the refreshing view owns the terminal: the command's output goes to a file */
		.cmd_output_file = !t->o.json && !t->text,
		.duration = t->o.duration,
		.interval = t->o.record ? t->o.record_ms / 1000.0 : t->o.interval,
		.attached = on_attached,
		.ctx = (void *)t,
		.collect = {
			.max_threads = t->o.max_threads,
			.stacks = t->o.stacks,
			.call_graph = t->o.call_graph,
			.verbose = t->o.verbose,
			.no_autonuma = t->o.no_autonuma,
			.autonuma_path = (int)t->o.autonuma_path,
			.request = t->o.rq.set ? &t->o.rq.spec : NULL,
			.max_inflight = t->o.rq.max_inflight,
			.request_records = t->o.rq.set,
		},
	};
}

/* The terminal view, when there is one to drive. 0 or -1. */
static int open_view(struct top *t, struct nl_session_loop *loop)
{
	char err[128];

	if (t->o.json || t->text)
		return 0;
	if (nl_tui_open(&t->tui, err, sizeof(err))) {
		nl_warn("top: %s; printing plain tables instead", err);
		t->text = true;
		return 0;
	}
	loop->input = on_keys;
	loop->input_fd = nl_tui_fd(t->tui);
	return render_tui(t);
}

int cmd_top(int argc, char **argv)
{
	struct top t;
	struct nl_session_opts so;
	struct nl_session_loop loop = { .tick = top_tick, .ctx = &t, .input_fd = -1 };
	enum nl_stop_reason why = NL_RUNNING;
	int failed = 0, rc = NL_EXIT_FAIL;

	memset(&t, 0, sizeof(t));
	t.sess.child.go_fd = -1;
	t.argc = argc;
	t.argv = argv;
	switch (parse_args(argc, argv, &t.o)) {
	case 0: break;
	case 1: return NL_EXIT_OK; /* --help */
	default: return NL_EXIT_USAGE;
	}
	if (!nl_have_bpf_privileges()) {
		nl_err("top: loading BPF programs needs root (or CAP_BPF and CAP_PERFMON): run it with sudo");
		return NL_EXIT_FAIL;
	}
	if (t.o.text)
		t.text = true;
	else if (!isatty(STDOUT_FILENO))
		t.o.json = true;
	session_opts(&t, &so);
	if (nl_session_init(&t.sess, &so))
		return NL_EXIT_FAIL;
	t.touches = nl_touch_history_new();
	if (!t.touches) {
		nl_err("top: out of memory");
		return NL_EXIT_FAIL;
	}
	if (nl_session_start(&t.sess))
		goto cleanup;
	if (t.o.rq.set && nl_collector_on_requests(t.sess.coll, nl_request_set_keep, &t.rq)) {
		nl_err("top: no room for another request consumer");
		goto cleanup;
	}
	if (nl_view_init(&t.view, t.sess.coll)) {
		nl_err("top: out of memory");
		goto cleanup;
	}
	if (open_view(&t, &loop))
		goto cleanup;
	why = nl_session_run(&t.sess, &loop, &failed);
	rc = failed ? NL_EXIT_FAIL : NL_EXIT_OK;

cleanup:
	nl_tui_close(t.tui);
	t.tui = NULL;
	/* Detach before anything else can fail: no BPF program or link outlives us. */
	nl_view_free(&t.view);
	nl_session_detach(&t.sess);
	if (nl_recorder_close(t.rec, failed != 0))
		rc = NL_EXIT_FAIL;
	/* The view is gone: leave the last table on the terminal, diagnosis included. */
	if (!t.o.json && !t.text && t.have_last && !failed) {
		struct nl_table_opts to = { .threads = t.o.threads, .trend = &t.trend };
		nl_render_table_opts(&t.last, &to, stdout);
	}
	nl_session_finish(&t.sess, why);
	if (t.have_last)
		nl_snapshot_free(&t.last);
	nl_trend_free(&t.trend);
	nl_touch_history_free(t.touches);
	nl_request_set_free(&t.rq);
	return rc;
}
