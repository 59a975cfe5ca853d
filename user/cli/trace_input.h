/* Reading a trace for report and export: the file, a window of it (--from/--to, in
 * seconds from the recording's start), one process (-p), and what was lost. */
#ifndef NL_CLI_TRACE_INPUT_H
#define NL_CLI_TRACE_INPUT_H

#include <stdbool.h>
#include <stdint.h>

#include "model/accum.h"
#include "model/model.h"
#include "trace/trace.h"

struct nl_trace_window {
	const char *path;
	uint64_t from_ns, to_ns;  /* to_ns UINT64_MAX: the end */
	uint32_t pid;             /* 0: every process */
};

void nl_trace_window_init(struct nl_trace_window *w);
/* One of -i FILE ('i'), --from ('F'), --to ('T'), -p ('p'). 0, -1 after saying why
 * a value is wrong, 1 for an option that is not one of these. */
int nl_trace_window_option(struct nl_trace_window *w, const char *who, int opt, const char *arg);
/* -i given, --from before --to. 0 or -1 after saying why. */
int nl_trace_window_check(const struct nl_trace_window *w, const char *who);

struct nl_trace_input {
	const char *path;
	struct nl_trace_window win;
	struct nl_trace_reader *r;
	const struct nl_trace_meta *meta;
	uint64_t intervals;       /* in the window */
	uint64_t pid_intervals;   /* of those, with the -p process in them */
	uint64_t last_end_ns;     /* end of the last interval read, from the start */
	uint64_t first_start_ns;  /* start of the first interval in the window */
	bool failed;              /* the reader stopped at corruption */
	/* Set before nl_trace_input_each to receive the requests that started in the
	 * window (of the -p process); NULL: requests are skipped. */
	int (*on_requests)(void *ctx, const struct nl_request *r, size_t n);
	uint64_t requests;        /* handed to on_requests */
	char problem[512];
};

/* Opens the file and reads its header. 0, or -1 after saying why (not a trace, no such
 * file, corrupt header). */
int nl_trace_input_open(struct nl_trace_input *in, const struct nl_trace_window *w,
			const char *who);

/* Calls on_interval for each interval in the window (the pid filter applied, the
 * snapshot the callee may change and is freed after), and on_events for each batch of
 * events in it (may be NULL). A corrupt chunk ends the walk; that is not an error of
 * this call (nl_trace_input_say_losses reports it) unless nothing could be read.
 * 0, or -1 when a callback failed or nothing at all could be read. */
int nl_trace_input_each(struct nl_trace_input *in,
			int (*on_interval)(void *ctx, struct nl_snapshot *s),
			int (*on_events)(void *ctx, const struct nl_event *ev, size_t n),
			void *ctx);

/* What the report covers, for renderers (borrows in's strings). */
void nl_trace_input_recording(const struct nl_trace_input *in, const struct nl_accum *acc,
			      struct nl_recording *rec);

/* Says on stderr what was lost: a file cut short, a corrupt chunk, skipped sections. */
void nl_trace_input_say_losses(const struct nl_trace_input *in, const char *who);
/* When nothing was read for the window (or the process), says why: 1, else 0. */
int nl_trace_input_say_empty(const struct nl_trace_input *in, const char *who);
void nl_trace_input_close(struct nl_trace_input *in);

#endif
