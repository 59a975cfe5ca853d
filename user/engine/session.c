#include "engine/session.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "engine/cgroup.h"

#define NS_PER_SEC 1000000000ULL
#define CHILD_TERM_GRACE_NS (2 * NS_PER_SEC)

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

int nl_session_init(struct nl_session *s, const struct nl_session_opts *o)
{
	memset(s, 0, sizeof(*s));
	s->o = *o;
	s->child.go_fd = -1;
	got_stop_signal = 0;
	if (o->children && !o->pid) {
		nl_err("%s: --children is for -p PID (a started command's children are followed "
		       "unless --no-children)", o->who);
		return -1;
	}
	if (o->no_children && !o->cmd) {
		nl_err("%s: --no-children is for a started command (-- CMD ARGS)", o->who);
		return -1;
	}
	if (o->pid) {
		uint32_t tgid;
		switch (proc_state(o->pid, &tgid)) {
		case PROC_GONE:
			nl_err("%s: no such process %" PRIu32, o->who, o->pid);
			return -1;
		case PROC_ZOMBIE:
			nl_err("%s: process %" PRIu32 " has already exited", o->who, o->pid);
			return -1;
		case PROC_ALIVE:
			break;
		}
		if (tgid != o->pid)
			nl_warn("%s: %" PRIu32 " is a thread of process %" PRIu32 "; following the process",
				o->who, o->pid, tgid);
		s->target = tgid;
		/* for the header; "" when unknown */
		nl_read_comm(s->target, 0, s->target_comm, sizeof(s->target_comm));
		snprintf(s->target_desc, sizeof(s->target_desc), "pid %" PRIu32 " (%s)", s->target,
			 s->target_comm);
	} else if (o->cgroup) {
		snprintf(s->target_desc, sizeof(s->target_desc), "cgroup %.80s", o->cgroup);
	} else if (!o->cmd) {
		snprintf(s->target_desc, sizeof(s->target_desc), "all processes");
	}
	return 0;
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

/* Forks CMD held at its gate; its output to a file when asked. */
static int launch(struct nl_session *s)
{
	char err[256] = "";
	int out_fd = -1, rc;

	if (!command_exists(s->o.cmd[0])) {
		nl_err("%s: no such command '%s'", s->o.who, s->o.cmd[0]);
		return -1;
	}
	if (s->o.cmd_output || s->o.cmd_output_file) {
		out_fd = nl_launch_output_file(s->o.cmd_output, s->child_output,
					       sizeof(s->child_output), err, sizeof(err));
		if (out_fd < 0) {
			nl_err("%s: the command's output file: %s", s->o.who, err);
			s->child_output[0] = '\0';
			return -1;
		}
	}
	rc = nl_launch_start(s->o.cmd, out_fd, &s->child);
	if (out_fd >= 0)
		close(out_fd); /* the child has its own copy */
	if (rc) {
		nl_err("%s: cannot start '%s': %s", s->o.who, s->o.cmd[0], strerror(-rc));
		return -1;
	}
	s->target = (uint32_t)s->child.pid;
	const char *base = strrchr(s->o.cmd[0], '/');
	snprintf(s->target_comm, sizeof(s->target_comm), "%s", base ? base + 1 : s->o.cmd[0]);
	snprintf(s->target_desc, sizeof(s->target_desc), "pid %" PRIu32 " (%s)", s->target,
		 s->target_comm);
	return 0;
}

static void install_signals(struct nl_session *s)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop_signal; /* no SA_RESTART: waits return EINTR */
	sigaction(SIGINT, &sa, &s->old_int);
	sigaction(SIGTERM, &sa, &s->old_term);
	sa.sa_handler = on_sigchld;
	sa.sa_flags = SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, &s->old_chld);
	sa.sa_handler = SIG_IGN;
	sa.sa_flags = 0;
	sigaction(SIGPIPE, &sa, &s->old_pipe);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &s->orig_mask);
	s->wait_mask = s->orig_mask;
	sigdelset(&s->wait_mask, SIGINT);
	sigdelset(&s->wait_mask, SIGTERM);
	sigdelset(&s->wait_mask, SIGCHLD);
	s->signals_set = true;
}

int nl_session_start(struct nl_session *s)
{
	char err[256] = "";
	int rc;

	/* Handlers before the fork would be inherited only until exec; the child starts
	 * with default dispositions and an empty mask because both are set after it. */
	if (s->o.cmd && launch(s))
		return -1;
	/* Before attaching, which can take seconds: a Ctrl-C meanwhile stays pending (the
	 * signals are blocked until the loop's ppoll) and ends the run cleanly, instead of
	 * killing us mid-attach or, under a shell that started us with SIGINT ignored (a
	 * background job), being lost. nl_session_finish() puts them back on every path. */
	install_signals(s);
	s->o.collect.target_pid = s->target;
	s->o.collect.children = s->target && (s->o.children || (s->o.cmd && !s->o.no_children));
	if (s->o.collect.children)
		nl_appendf(s->target_desc, sizeof(s->target_desc), " and its children");
	if (s->o.cgroup && nl_cgroup_id(s->o.cgroup, &s->o.collect.cgroup_id, err, sizeof(err))) {
		nl_err("%s: --cgroup: %s", s->o.who, err);
		goto abort_child;
	}
	rc = nl_collector_open(&s->o.collect, &s->coll, err, sizeof(err));
	if (rc) {
		nl_err("%s: cannot start collecting: %s", s->o.who, err[0] ? err : strerror(-rc));
		s->coll = NULL;
		goto abort_child;
	}
	s->start_mono_ns = nl_now_ns(CLOCK_MONOTONIC);
	if (s->o.attached && s->o.attached(s->o.ctx, s))
		goto abort_child;
	if (s->o.cmd && (rc = nl_launch_go(&s->child))) {
		nl_err("%s: cannot release '%s': %s", s->o.who, s->o.cmd[0], strerror(-rc));
		return -1;
	}
	return 0;
abort_child:
	if (s->o.cmd) { /* the command never ran: it exits 127 at its gate */
		nl_launch_abort(&s->child);
		if (s->child_output[0] && !s->o.cmd_output)
			unlink(s->child_output); /* our empty temp file */
		s->child_output[0] = '\0';
	}
	return -1;
}

/* Non-blocking check of the followed process. */
static bool target_gone(struct nl_session *s)
{
	if (s->child.pid > 0) {
		if (s->child_reaped)
			return true;
		pid_t r = waitpid(s->child.pid, &s->child_status, WNOHANG);
		if (r == s->child.pid) {
			s->child_reaped = true;
			return true;
		}
		return false;
	}
	return s->target && proc_state(s->target, NULL) != PROC_ALIVE;
}

/* Waits until wake (or a signal, or input). NL_RUNNING, or why the run must end. */
static int wait_until(struct nl_session *s, const struct nl_session_loop *l, uint64_t wake)
{
	uint64_t now = nl_now_ns(CLOCK_MONOTONIC);

	if (now >= wake)
		return NL_RUNNING;
	uint64_t left = wake - now, poll_ns = nl_collector_poll_ns(s->coll);
	if (poll_ns && left > poll_ns)
		left = poll_ns; /* the caller's loop comes back until wake */
	struct timespec ts = { (time_t)(left / NS_PER_SEC), (long)(left % NS_PER_SEC) };
	/* poll ignores fd -1: then only the timeout and signals wake us */
	struct pollfd pfd = { .fd = l->input ? l->input_fd : -1, .events = POLLIN };
	int rc = ppoll(&pfd, 1, &ts, &s->wait_mask);
	if (rc < 0 && errno != EINTR) {
		nl_err("%s: waiting failed: %s", s->o.who, strerror(errno));
		return -1;
	}
	if (poll_ns && (rc = nl_collector_poll(s->coll)) < 0) {
		nl_err("%s: reading the stack samples failed: %s", s->o.who, strerror(-rc));
		return -1;
	}
	if (l->input && pfd.fd >= 0)
		return l->input(l->ctx);
	return NL_RUNNING;
}

enum nl_stop_reason nl_session_run(struct nl_session *s, const struct nl_session_loop *l,
				   int *failed)
{
	uint64_t interval_ns = (uint64_t)(s->o.interval * 1e9);
	uint64_t start = nl_now_ns(CLOCK_MONOTONIC);
	uint64_t end = s->o.duration > 0 ? start + (uint64_t)(s->o.duration * 1e9) : UINT64_MAX;
	uint64_t next = start + interval_ns;

	*failed = 0;
	for (;;) {
		enum nl_stop_reason why = NL_RUNNING;
		uint64_t wake = next < end ? next : end;
		int in = wait_until(s, l, wake);

		if (in < 0) {
			*failed = 1;
			return NL_STOP_SIGNAL;
		}
		if (in == NL_STOP_QUIT)
			return NL_STOP_QUIT; /* the user left: no further interval */
		uint64_t now = nl_now_ns(CLOCK_MONOTONIC);
		if (got_stop_signal)
			why = NL_STOP_SIGNAL;
		else if (target_gone(s))
			why = NL_STOP_TARGET_EXIT;
		else if (now >= end)
			why = NL_STOP_DURATION;
		if (why == NL_RUNNING && now < wake)
			continue;

		/* An interval ended, or the run did: the final (partial) interval counts. */
		int shown = l->tick(l->ctx, why);
		if (shown > 0)
			return NL_STOP_READER_GONE;
		if (shown < 0) {
			*failed = 1;
			return why ? why : NL_STOP_SIGNAL;
		}
		if (why)
			return why;
		while (next <= now)
			next += interval_ns;
	}
}

/* Ends a started command still running: SIGTERM, a grace period, then SIGKILL. */
static void stop_child(struct nl_session *s)
{
	if (s->child.pid <= 0 || s->child_reaped)
		return;
	if (waitpid(s->child.pid, &s->child_status, WNOHANG) == s->child.pid) {
		s->child_reaped = true; /* it ended on its own (e.g. Ctrl-C hit it too) */
		return;
	}
	s->child_terminated = kill(s->child.pid, SIGTERM) == 0;
	uint64_t until = nl_now_ns(CLOCK_MONOTONIC) + CHILD_TERM_GRACE_NS;
	while (!s->child_reaped) {
		pid_t r = waitpid(s->child.pid, &s->child_status, WNOHANG);
		if (r == s->child.pid || (r < 0 && errno == ECHILD)) {
			s->child_reaped = r == s->child.pid;
			break;
		}
		if (nl_now_ns(CLOCK_MONOTONIC) > until) {
			kill(s->child.pid, SIGKILL);
			if (waitpid(s->child.pid, &s->child_status, 0) == s->child.pid)
				s->child_reaped = true;
			break;
		}
		struct timespec ts = { 0, 20000000 };
		nanosleep(&ts, NULL);
	}
}

void nl_session_detach(struct nl_session *s)
{
	nl_collector_close(s->coll);
	s->coll = NULL;
}

void nl_session_finish(struct nl_session *s, enum nl_stop_reason why)
{
	nl_session_detach(s);
	if (why == NL_STOP_TARGET_EXIT && !s->child.pid)
		nl_err("%s: process %" PRIu32 " exited", s->o.who, s->target);
	if (s->child.pid > 0) {
		char desc[96];
		if (s->child.go_fd >= 0)
			nl_launch_abort(&s->child);
		else
			stop_child(s);
		if (s->child_reaped) {
			nl_describe_wait_status(s->child_status, desc, sizeof(desc));
			nl_err("%s: command '%s' (pid %d) %s%s", s->o.who, s->o.cmd[0],
			       (int)s->child.pid, desc,
			       s->child_terminated ? " (stopped by numalens when the run ended)" : "");
		}
		if (s->child_output[0])
			nl_err("%s: the output of '%s' is in %s", s->o.who, s->o.cmd[0], s->child_output);
	}
	if (s->signals_set) {
		sigaction(SIGINT, &s->old_int, NULL);
		sigaction(SIGTERM, &s->old_term, NULL);
		sigaction(SIGCHLD, &s->old_chld, NULL);
		sigaction(SIGPIPE, &s->old_pipe, NULL);
		sigprocmask(SIG_SETMASK, &s->orig_mask, NULL);
		s->signals_set = false;
	}
}
