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
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "collect/autonuma.h"
#include "engine/cgroup.h"
#include "collect/collect.h"
#include "cli/commands.h"
#include "collect/kfeatures.h"
#include "engine/launch.h"
#include "render/render_json.h"
#include "render/render_table.h"
#include "analyze/top_diag.h"
#include "analyze/trend.h"
#include "render/tui.h"
#include "common/util.h"

#define NS_PER_SEC 1000000000ULL
#define CHILD_TERM_GRACE_NS (2 * NS_PER_SEC)

struct top_opts {
	uint32_t pid;
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
	uint32_t max_threads;
	char **cmd;       /* -- CMD ARGS, NULL-terminated; NULL when none */
	const char *cmd_output; /* --cmd-output FILE */
};

/* Why the loop ended. */
enum stop_reason {
	RUNNING = 0,
	STOP_DURATION,
	STOP_SIGNAL,
	STOP_QUIT,
	STOP_TARGET_EXIT,
	STOP_READER_GONE, /* stdout is a pipe whose reader exited */
};

static volatile sig_atomic_t got_stop_signal;

static void on_stop_signal(int sig)
{
	got_stop_signal = sig;
}

/* Only there to interrupt ppoll() when the command exits. */
static void on_sigchld(int sig)
{
	(void)sig;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: numalens top [-p PID | -G CGROUP] [-d SEC] [-i SEC] [--threads] [--json|--text] [-- CMD [ARGS...]]\n"
		"\n"
		"Per-node CPU time, page faults by CPU node x page node, remote ratio, first-touch\n"
		"and resident pages for each process, refreshed every interval; diagnoses the\n"
		"first-touch bug with the initializing thread's stack and the fix.\n"
		"\n"
		"  -p, --pid PID        follow this process (all its threads)\n"
		"  -G, --cgroup PATH    follow the tasks of this cgroup v2 directory (absolute,\n"
		"                       or relative to /sys/fs/cgroup)\n"
		"  -- CMD [ARGS...]     start CMD and follow it; under sudo it runs as the invoking\n"
		"                       user (SUDO_UID/SUDO_GID); the run ends when it exits\n"
		"      --cmd-output FILE  CMD's stdout and stderr go to FILE (created or\n"
		"                       truncated) instead of ours. In the refreshing view they\n"
		"                       always go to a file, so they cannot draw over it: FILE,\n"
		"                       or a new $TMPDIR/numalens-cmd.XXXXXX named in the header\n"
		"                       and at exit; CMD's stdin is then /dev/null\n"
		"  -d, --duration SEC   stop after SEC seconds (a started CMD is sent SIGTERM)\n"
		"  -i, --interval SEC   refresh interval (default 1; fractions allowed)\n"
		"      --threads        thread rows under each process in the table (the JSON\n"
		"                       always carries per-thread entries)\n"
		"      --json           JSON Lines, one object per interval (the default when\n"
		"                       stdout is not a terminal)\n"
		"      --text           plain tables, one per interval, instead of the refreshing\n"
		"                       view (for logs and serial consoles)\n"
		"      --max-threads N  size of the per-thread maps (default: the collector's)\n"
		"      --no-stacks      do not take user stacks of first-touching code\n"
		"      --no-autonuma    leave out the AutoNUMA programs (hint faults, migrations,\n"
		"                       NUMA task moves, TLB shootdowns, scanner time)\n"
		"      --autonuma-path P  how hint faults are hooked: auto (default: fentry, then\n"
		"                       kprobe, then the tracepoint/task_struct fallback), or force\n"
		"                       fentry, kprobe or fallback (fails if it cannot load)\n"
		"  -v, --verbose        libbpf messages on stderr\n"
		"  -h, --help           this text\n"
		"\n"
		"Without -p, --cgroup or CMD every process is followed. Keys: q quits,\n"
		"arrows/PgUp/PgDn scroll. Exit status: 0 when the run ends (duration, Ctrl-C, q,\n"
		"or the followed process exits; a CMD's own status is reported on stderr), 1 when\n"
		"profiling cannot start or fails, 2 for bad usage. Needs root (or CAP_BPF and\n"
		"CAP_PERFMON).\n");
}

static int parse_args(int argc, char **argv, struct top_opts *o)
{
	enum { OPT_THREADS = 256, OPT_JSON, OPT_TEXT, OPT_MAX_THREADS, OPT_NO_STACKS, OPT_NO_AUTONUMA,
	       OPT_AUTONUMA_PATH, OPT_CMD_OUTPUT };
	static const struct option longopts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "cgroup", required_argument, NULL, 'G' },
		{ "duration", required_argument, NULL, 'd' },
		{ "interval", required_argument, NULL, 'i' },
		{ "threads", no_argument, NULL, OPT_THREADS },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "text", no_argument, NULL, OPT_TEXT },
		{ "max-threads", required_argument, NULL, OPT_MAX_THREADS },
		{ "no-stacks", no_argument, NULL, OPT_NO_STACKS },
		{ "no-autonuma", no_argument, NULL, OPT_NO_AUTONUMA },
		{ "autonuma-path", required_argument, NULL, OPT_AUTONUMA_PATH },
		{ "cmd-output", required_argument, NULL, OPT_CMD_OUTPUT },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, v;

	*o = (struct top_opts){ .interval = 1.0, .stacks = true };
	optind = 1;
	/* '+': options end at the first non-option, so CMD's own options stay its own */
	while ((c = getopt_long(argc, argv, "+p:G:d:i:vh", longopts, NULL)) != -1) {
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
		case OPT_JSON: o->json = true; break;
		case OPT_TEXT: o->text = true; break;
		case OPT_NO_STACKS: o->stacks = false; break;
		case OPT_NO_AUTONUMA: o->no_autonuma = true; break;
		case OPT_CMD_OUTPUT: o->cmd_output = optarg; break;
		case OPT_AUTONUMA_PATH:
			if (nl_autonuma_path_parse(optarg, &o->autonuma_path)) {
				nl_err("top: --autonuma-path wants auto, fentry, kprobe or fallback, not '%s'",
				       optarg);
				return -1;
			}
			break;
		case OPT_MAX_THREADS:
			if (nl_parse_int(optarg, 1, 1 << 22, &v)) {
				nl_err("top: --max-threads wants a number in 1..%d, not '%s'", 1 << 22, optarg);
				return -1;
			}
			o->max_threads = (uint32_t)v;
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
	return 0;
}

enum proc_state { PROC_GONE, PROC_ZOMBIE, PROC_ALIVE };

/* The value of "Key:\tvalue" in a /proc status text, NUL-terminated in place. */
static char *status_field(char *status, const char *key)
{
	size_t klen = strlen(key);
	char *line = status;

	while (line && *line) {
		char *eol = strchr(line, '\n');
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			char *v = line + klen + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			if (eol)
				*eol = '\0';
			return v;
		}
		line = eol ? eol + 1 : NULL;
	}
	return NULL;
}

/* From /proc/PID/status: whether it runs, and its thread group (a TID resolves to
 * its process). A zombie has exited: its memory and threads are gone. */
static enum proc_state proc_state(uint32_t pid, uint32_t *tgid)
{
	char path[64], *status, *state, *tg;
	enum proc_state st = PROC_ALIVE;
	uint64_t v;

	snprintf(path, sizeof(path), "/proc/%" PRIu32 "/status", pid);
	status = nl_read_file(NULL, path);
	if (!status)
		return PROC_GONE;
	/* Tgid comes after State: read it first, as status_field cuts the text */
	tg = status_field(status, "Tgid");
	if (tgid)
		*tgid = tg && !nl_parse_u64(tg, &v) && v > 0 && v <= UINT32_MAX ? (uint32_t)v : pid;
	free(status);

	status = nl_read_file(NULL, path);
	if (!status)
		return PROC_GONE;
	state = status_field(status, "State");
	if (state && (*state == 'Z' || *state == 'X'))
		st = PROC_ZOMBIE;
	free(status);
	return st;
}

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

/* Everything the loop shares. */
struct top {
	struct top_opts o;
	uint32_t target;           /* followed tgid; 0 = every process */
	char target_comm[NL_COMM_LEN];
	struct nl_launch child;
	char child_output[PATH_MAX]; /* where CMD's output goes; "" = our stdout/stderr */
	bool child_reaped;
	bool child_terminated;     /* we sent it SIGTERM at the end of the run */
	int child_status;
	struct nl_collector *coll;
	struct nl_touch_history *touches; /* whole-run first touches, for the diagnosis */
	struct nl_tui *tui;
	bool text;                 /* plain tables: --text, or a terminal we could not drive */
	unsigned tables_printed;   /* plain tables so far (the legend goes with the first) */
	struct nl_snapshot last;   /* kept for redraws on resize/scroll */
	bool have_last;
	struct nl_lines lines;
	uint64_t last_snap_mono;
	struct nl_trend trend;     /* last intervals per process, for the table's trend lines */
};

static int render_tui(struct top *t)
{
	char header[256 + PATH_MAX], clock[16], target[64];
	time_t now = time(NULL);
	struct tm tm;
	struct nl_table_opts to = { .threads = t->o.threads, .width = nl_tui_width(t->tui),
				    .trend = &t->trend };

	nl_lines_free(&t->lines);
	if (t->have_last && nl_table_render(&t->last, &to, &t->lines)) {
		nl_err("top: out of memory rendering the table");
		return -1;
	}
	strftime(clock, sizeof(clock), "%H:%M:%S", localtime_r(&now, &tm));
	if (t->target)
		snprintf(target, sizeof(target), "pid %" PRIu32 " (%s)", t->target, t->target_comm);
	else
		snprintf(target, sizeof(target), "all processes");
	snprintf(header, sizeof(header),
		 " numalens top   %s   %s   every %.2g s   lost events %" PRIu64 "%s%s%s",
		 clock, target, t->o.interval, t->have_last ? t->last.lost_events : 0,
		 t->have_last ? "" : "   (collecting...)",
		 t->child_output[0] ? "   output: " : "", t->child_output);
	nl_tui_draw(t->tui, header, &t->lines);
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
static int take_and_show(struct top *t)
{
	struct nl_snapshot s;
	uint64_t mono = now_ns(CLOCK_MONOTONIC);
	int err;

	memset(&s, 0, sizeof(s));
	err = nl_collector_snapshot(t->coll, &s);
	if (err) {
		nl_snapshot_free(&s);
		nl_err("top: reading the collected data failed: %s", strerror(-err));
		return -1;
	}
	/* The interval we actually waited, when the collector does not say. */
	if (!s.interval_ns)
		s.interval_ns = mono - t->last_snap_mono;
	if (!s.timestamp_ns)
		s.timestamp_ns = now_ns(CLOCK_REALTIME);
	t->last_snap_mono = mono;
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

/* Non-blocking check of the followed process. */
static bool target_gone(struct top *t)
{
	if (t->child.pid > 0) {
		if (t->child_reaped)
			return true;
		pid_t r = waitpid(t->child.pid, &t->child_status, WNOHANG);
		if (r == t->child.pid) {
			t->child_reaped = true;
			return true;
		}
		return false;
	}
	return t->target && proc_state(t->target, NULL) != PROC_ALIVE;
}

/* Ends a started command still running: SIGTERM, a grace period, then SIGKILL. */
static void stop_child(struct top *t)
{
	if (t->child.pid <= 0 || t->child_reaped)
		return;
	if (waitpid(t->child.pid, &t->child_status, WNOHANG) == t->child.pid) {
		t->child_reaped = true; /* it ended on its own (e.g. Ctrl-C hit it too) */
		return;
	}
	t->child_terminated = kill(t->child.pid, SIGTERM) == 0;
	uint64_t until = now_ns(CLOCK_MONOTONIC) + CHILD_TERM_GRACE_NS;
	while (!t->child_reaped) {
		pid_t r = waitpid(t->child.pid, &t->child_status, WNOHANG);
		if (r == t->child.pid || (r < 0 && errno == ECHILD)) {
			t->child_reaped = r == t->child.pid;
			break;
		}
		if (now_ns(CLOCK_MONOTONIC) > until) {
			kill(t->child.pid, SIGKILL);
			if (waitpid(t->child.pid, &t->child_status, 0) == t->child.pid)
				t->child_reaped = true;
			break;
		}
		struct timespec ts = { 0, 20000000 };
		nanosleep(&ts, NULL);
	}
}

static enum stop_reason run_loop(struct top *t, const sigset_t *wait_mask, int *failed)
{
	uint64_t interval_ns = (uint64_t)(t->o.interval * 1e9);
	uint64_t start = now_ns(CLOCK_MONOTONIC);
	uint64_t end = t->o.duration > 0 ? start + (uint64_t)(t->o.duration * 1e9) : UINT64_MAX;
	uint64_t next = start + interval_ns;

	t->last_snap_mono = start;
	for (;;) {
		enum stop_reason why = RUNNING;
		uint64_t now = now_ns(CLOCK_MONOTONIC);
		uint64_t wake = next < end ? next : end;

		if (now < wake) {
			uint64_t left = wake - now;
			struct timespec ts = { (time_t)(left / NS_PER_SEC), (long)(left % NS_PER_SEC) };
			/* poll ignores fd -1: then only the timeout and signals wake us */
			struct pollfd pfd = { .fd = t->tui ? nl_tui_fd(t->tui) : -1, .events = POLLIN };
			int rc = ppoll(&pfd, 1, &ts, wait_mask);
			if (rc < 0 && errno != EINTR) {
				nl_err("top: waiting failed: %s", strerror(errno));
				*failed = 1;
				return STOP_SIGNAL;
			}
			if (t->tui) {
				enum nl_tui_event ev = nl_tui_keys(t->tui);
				if (ev == NL_TUI_QUIT)
					return STOP_QUIT; /* the user left: no further interval */
				if ((ev == NL_TUI_RESIZE || ev == NL_TUI_REDRAW) && render_tui(t)) {
					*failed = 1;
					return STOP_SIGNAL;
				}
			}
			now = now_ns(CLOCK_MONOTONIC);
		}
		if (got_stop_signal)
			why = STOP_SIGNAL;
		else if (target_gone(t))
			why = STOP_TARGET_EXIT;
		else if (now >= end)
			why = STOP_DURATION;
		if (why == RUNNING && now < wake)
			continue;

		/* An interval ended, or the run did: the final (partial) interval counts. */
		int shown = take_and_show(t);
		if (shown > 0)
			return STOP_READER_GONE;
		if (shown < 0) {
			*failed = 1;
			return why ? why : STOP_SIGNAL;
		}
		if (why)
			return why;
		while (next <= now)
			next += interval_ns;
	}
}

/* execvp's PATH lookup, done before anything is loaded, so that a mistyped command
 * is an error of ours (exit 1) rather than a command that "exited with status 127". */
static bool command_exists(const char *cmd)
{
	const char *path = getenv("PATH");
	char full[PATH_MAX];

	if (strchr(cmd, '/'))
		return access(cmd, X_OK) == 0;
	if (!path || !*path)
		path = "/bin:/usr/bin";
	while (*path) {
		size_t len = strcspn(path, ":");
		/* an empty PATH element means the current directory */
		if (snprintf(full, sizeof(full), "%.*s%s%s", (int)len, len ? path : ".", "/", cmd) <
			    (int)sizeof(full) &&
		    access(full, X_OK) == 0)
			return true;
		path += len;
		if (*path)
			path++;
	}
	return false;
}

static int start(struct top *t)
{
	struct nl_collect_opts co = {
		.max_threads = t->o.max_threads,
		.stacks = t->o.stacks,
		.verbose = t->o.verbose,
		.no_autonuma = t->o.no_autonuma,
		.autonuma_path = (int)t->o.autonuma_path,
	};
	char err[256] = "";
	int rc;

	if (t->o.cmd) {
		if (!command_exists(t->o.cmd[0])) {
			nl_err("top: no such command '%s'", t->o.cmd[0]);
			return -1;
		}
		int out_fd = -1;
		/* the refreshing view owns the terminal: the command's output goes to a file */
		if (t->o.cmd_output || (!t->o.json && !t->text)) {
			out_fd = nl_launch_output_file(t->o.cmd_output, t->child_output,
						       sizeof(t->child_output), err, sizeof(err));
			if (out_fd < 0) {
				nl_err("top: the command's output file: %s", err);
				t->child_output[0] = '\0';
				return -1;
			}
		}
		rc = nl_launch_start(t->o.cmd, out_fd, &t->child);
		if (out_fd >= 0)
			close(out_fd); /* the child has its own copy */
		if (rc) {
			nl_err("top: cannot start '%s': %s", t->o.cmd[0], strerror(-rc));
			return -1;
		}
		t->target = (uint32_t)t->child.pid;
		const char *base = strrchr(t->o.cmd[0], '/');
		snprintf(t->target_comm, sizeof(t->target_comm), "%s", base ? base + 1 : t->o.cmd[0]);
	}
	co.target_pid = t->target;
	if (t->o.cgroup && nl_cgroup_id(t->o.cgroup, &co.cgroup_id, err, sizeof(err))) {
		nl_err("top: --cgroup: %s", err);
		return -1;
	}
	rc = nl_collector_open(&co, &t->coll, err, sizeof(err));
	if (rc) {
		nl_err("top: cannot start collecting: %s", err[0] ? err : strerror(-rc));
		t->coll = NULL;
		if (t->o.cmd) { /* the command never ran: it exits 127 at its gate */
			nl_launch_abort(&t->child);
			if (t->child_output[0] && !t->o.cmd_output)
				unlink(t->child_output); /* our empty temp file */
			t->child_output[0] = '\0';
		}
		return -1;
	}
	if (t->o.cmd && (rc = nl_launch_go(&t->child))) {
		nl_err("top: cannot release '%s': %s", t->o.cmd[0], strerror(-rc));
		return -1;
	}
	return 0;
}

int cmd_top(int argc, char **argv)
{
	struct top t;
	struct sigaction sa, old_int, old_term, old_chld, old_pipe;
	sigset_t block, orig;
	enum stop_reason why = RUNNING;
	int failed = 0, rc = NL_EXIT_FAIL;
	bool signals_set = false;

	memset(&t, 0, sizeof(t));
	t.child.go_fd = -1;
	switch (parse_args(argc, argv, &t.o)) {
	case 0: break;
	case 1: return NL_EXIT_OK; /* --help */
	default: return NL_EXIT_USAGE;
	}
	if (!nl_have_bpf_privileges()) {
		nl_err("top: loading BPF programs needs root (or CAP_BPF and CAP_PERFMON): run it with sudo");
		return NL_EXIT_FAIL;
	}
	if (t.o.pid) {
		uint32_t tgid;
		switch (proc_state(t.o.pid, &tgid)) {
		case PROC_GONE:
			nl_err("top: no such process %" PRIu32, t.o.pid);
			return NL_EXIT_FAIL;
		case PROC_ZOMBIE:
			nl_err("top: process %" PRIu32 " has already exited", t.o.pid);
			return NL_EXIT_FAIL;
		case PROC_ALIVE:
			break;
		}
		if (tgid != t.o.pid)
			nl_warn("top: %" PRIu32 " is a thread of process %" PRIu32 "; following the process",
				t.o.pid, tgid);
		t.target = tgid;
		/* for the header; "" when unknown */
		nl_read_comm(t.target, 0, t.target_comm, sizeof(t.target_comm));
	}
	if (t.o.text)
		t.text = true;
	else if (!isatty(STDOUT_FILENO))
		t.o.json = true;
	t.touches = nl_touch_history_new();
	if (!t.touches) {
		nl_err("top: out of memory");
		return NL_EXIT_FAIL;
	}

	/* Handlers before the fork would be inherited only until exec; the child starts
	 * with default dispositions and an empty mask because both are set after it. */
	if (start(&t))
		goto cleanup;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop_signal; /* no SA_RESTART: waits return EINTR */
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sa.sa_handler = on_sigchld;
	sa.sa_flags = SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, &old_chld);
	/* A closed stdout pipe is an EPIPE we handle (and detach cleanly), not death. */
	sa.sa_handler = SIG_IGN;
	sa.sa_flags = 0;
	sigaction(SIGPIPE, &sa, &old_pipe);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &orig);
	signals_set = true;

	if (!t.o.json && !t.text) {
		char err[128];
		if (nl_tui_open(&t.tui, err, sizeof(err))) {
			nl_warn("top: %s; printing plain tables instead", err);
			t.text = true;
		} else if (render_tui(&t)) {
			goto cleanup;
		}
	}

	sigset_t wait_mask = orig;
	sigdelset(&wait_mask, SIGINT);
	sigdelset(&wait_mask, SIGTERM);
	sigdelset(&wait_mask, SIGCHLD);
	why = run_loop(&t, &wait_mask, &failed);
	rc = failed ? NL_EXIT_FAIL : NL_EXIT_OK;

cleanup:
	nl_tui_close(t.tui);
	t.tui = NULL;
	/* Detach before anything else can fail: no BPF program or link outlives us. */
	nl_collector_close(t.coll);
	t.coll = NULL;

	/* The view is gone: leave the last table on the terminal, diagnosis included. */
	if (!t.o.json && !t.text && t.have_last && !failed) {
		struct nl_table_opts to = { .threads = t.o.threads, .trend = &t.trend };
		nl_render_table_opts(&t.last, &to, stdout);
	}

	if (why == STOP_TARGET_EXIT && !t.child.pid)
		nl_err("top: process %" PRIu32 " exited", t.target);
	if (t.child.pid > 0) {
		char desc[96];
		if (t.child.go_fd >= 0)
			nl_launch_abort(&t.child);
		else
			stop_child(&t);
		if (t.child_reaped) {
			nl_describe_wait_status(t.child_status, desc, sizeof(desc));
			nl_err("top: command '%s' (pid %d) %s%s", t.o.cmd[0], (int)t.child.pid, desc,
			       t.child_terminated ? " (stopped by numalens when the run ended)" : "");
		}
		if (t.child_output[0])
			nl_err("top: the output of '%s' is in %s", t.o.cmd[0], t.child_output);
	}
	if (signals_set) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGTERM, &old_term, NULL);
		sigaction(SIGCHLD, &old_chld, NULL);
		sigaction(SIGPIPE, &old_pipe, NULL);
		sigprocmask(SIG_SETMASK, &orig, NULL);
	}
	if (t.have_last)
		nl_snapshot_free(&t.last);
	nl_lines_free(&t.lines);
	nl_trend_free(&t.trend);
	nl_touch_history_free(t.touches);
	return rc;
}
