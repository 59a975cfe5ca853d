/* The session engine every profiling command runs on: the target (-p PID, -G CGROUP,
 * a command it starts and holds until the programs are attached, or every process),
 * the collector, signals, the poll loop with its interval and duration, and stopping
 * the command at the end. Commands (top, record, ...) are the consumers: they give a
 * tick to call at each interval and at the end, and render or write what they read.
 *
 * Signals: SIGINT, SIGTERM and SIGCHLD are blocked except while waiting in ppoll(),
 * so a signal that arrives between checks is never lost and every wake-up is handled
 * at one place. A closed stdout pipe is an EPIPE the consumer handles, not death. */
#ifndef NL_SESSION_H
#define NL_SESSION_H

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "collect/collect.h"
#include "engine/launch.h"
#include "model/model.h"

struct nl_session;

struct nl_session_opts {
	const char *who;        /* "top", "record": the prefix of every message */
	uint32_t pid;           /* -p; 0 = none */
	bool children;          /* --children: -p's forked processes too */
	bool no_children;       /* --no-children: a started CMD's forked processes not */
	const char *cgroup;     /* -G PATH; NULL = none */
	char **cmd;             /* -- CMD ARGS, NULL-terminated; NULL = none */
	const char *cmd_output; /* --cmd-output FILE; NULL = ours */
	bool cmd_output_file;   /* send CMD's output to a file even without cmd_output */
	double duration;        /* seconds; 0 = until stopped */
	double interval;        /* seconds between ticks */
	struct nl_collect_opts collect; /* target_pid and cgroup_id are filled in here */
	/* Called once the programs are attached and before CMD is released (so a failure
	 * here means CMD never runs): 0, or -1 after saying why. */
	int (*attached)(void *ctx, struct nl_session *s);
	void *ctx;
};

enum nl_stop_reason {
	NL_RUNNING = 0,
	NL_STOP_DURATION,
	NL_STOP_SIGNAL,
	NL_STOP_QUIT,        /* the consumer asked (a key) */
	NL_STOP_TARGET_EXIT,
	NL_STOP_READER_GONE, /* stdout is a pipe whose reader exited */
};

struct nl_session {
	struct nl_session_opts o;
	uint32_t target;           /* followed tgid; 0 = every process */
	char target_comm[NL_COMM_LEN];
	char target_desc[128];     /* "pid 42 (server)", "pid 42 (sh) and its children",
				    * "cgroup /x", "all processes" */
	struct nl_launch child;
	char child_output[PATH_MAX]; /* where CMD's output goes; "" = our stdout/stderr */
	bool child_reaped;
	bool child_terminated;     /* we sent it SIGTERM at the end of the run */
	int child_status;
	struct nl_collector *coll;
	uint64_t start_mono_ns;    /* when the programs were attached */
	/* signals */
	bool signals_set;
	struct sigaction old_int, old_term, old_chld, old_pipe;
	sigset_t orig_mask, wait_mask;
};

/* What a consumer does during the run. tick is called at the end of each interval
 * and once more when the run ends (why != NL_RUNNING: the final, partial interval
 * counts); it returns 0, 1 to end the run normally (the reader of stdout is gone), or
 * -1 on failure (said on stderr). input, when input_fd >= 0, is called when that fd is
 * readable; it returns NL_RUNNING, NL_STOP_QUIT, or -1 on failure. */
struct nl_session_loop {
	int (*tick)(void *ctx, enum nl_stop_reason why);
	int (*input)(void *ctx);
	void *ctx;
	int input_fd;
};

/* Resolves the target (a -p TID follows its process; a gone or zombie PID is an
 * error) and fills target_desc. 0, or -1 after saying why on stderr. */
int nl_session_init(struct nl_session *s, const struct nl_session_opts *o);

/* Starts CMD held at its gate, opens the collector, releases CMD, installs the signal
 * handlers. 0, or -1 after saying why on stderr (CMD never ran then). */
int nl_session_start(struct nl_session *s);

/* The loop: ticks every interval until the duration, a signal, the target's exit, the
 * consumer or a failure ends it (*failed = 1 then). */
enum nl_stop_reason nl_session_run(struct nl_session *s, const struct nl_session_loop *l,
				   int *failed);

/* Detaches every program (nothing outlives us), then stops CMD if it still runs and
 * says how it ended; restores the signal handlers. Safe to call after a failed start. */
void nl_session_detach(struct nl_session *s);
void nl_session_finish(struct nl_session *s, enum nl_stop_reason why);


#endif
