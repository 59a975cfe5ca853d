#include "cli/trace_input.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

void nl_trace_window_init(struct nl_trace_window *w)
{
	memset(w, 0, sizeof(*w));
	w->to_ns = UINT64_MAX;
}

static int parse_sec(const char *arg, uint64_t *ns)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || !(v >= 0) || v > 1e9)
		return -1;
	*ns = (uint64_t)(v * 1e9);
	return 0;
}

int nl_trace_window_option(struct nl_trace_window *w, const char *who, int opt, const char *arg)
{
	int v;

	switch (opt) {
	case 'i':
		w->path = arg;
		return 0;
	case 'F':
		if (parse_sec(arg, &w->from_ns)) {
			nl_err("%s: --from wants seconds >= 0 from the recording's start, not '%s'", who, arg);
			return -1;
		}
		return 0;
	case 'T':
		if (parse_sec(arg, &w->to_ns)) {
			nl_err("%s: --to wants seconds >= 0 from the recording's start, not '%s'", who, arg);
			return -1;
		}
		return 0;
	case 'p':
		if (nl_parse_int(arg, 1, INT_MAX, &v)) {
			nl_err("%s: -p wants a process id, not '%s'", who, arg);
			return -1;
		}
		w->pid = (uint32_t)v;
		return 0;
	default:
		return 1;
	}
}

int nl_trace_window_check(const struct nl_trace_window *w, const char *who)
{
	if (!w->path) {
		nl_err("%s: -i FILE is required (a trace written by numalens record)", who);
		return -1;
	}
	if (w->to_ns <= w->from_ns) {
		nl_err("%s: --to must be after --from", who);
		return -1;
	}
	return 0;
}

int nl_trace_input_open(struct nl_trace_input *in, const struct nl_trace_window *w,
			const char *who)
{
	char err[512] = "";

	memset(in, 0, sizeof(*in));
	in->win = *w;
	in->path = w->path;
	if (nl_trace_reader_open(w->path, &in->r, err, sizeof(err))) {
		nl_err("%s: %s: %s", who, w->path, err[0] ? err : "cannot read");
		in->r = NULL;
		return -1;
	}
	in->meta = nl_trace_reader_meta(in->r);
	return 0;
}

/* Keeps only the process the window asks for. */
static void keep_pid(struct nl_snapshot *s, uint32_t pid)
{
	int keep = 0;

	for (int i = 0; i < s->nr_procs; i++) {
		if (s->procs[i].pid == pid) {
			struct nl_process tmp = s->procs[keep];
			s->procs[keep] = s->procs[i];
			s->procs[i] = tmp;
			keep++;
		}
	}
	for (int i = keep; i < s->nr_procs; i++)
		nl_process_free(&s->procs[i]);
	s->nr_procs = keep;
}

static bool event_in_window(const struct nl_trace_input *in, const struct nl_event *e)
{
	uint64_t t = e->ts_ns > in->meta->start_mono_ns ? e->ts_ns - in->meta->start_mono_ns : 0;

	return t >= in->win.from_ns && t <= in->win.to_ns &&
	       (!in->win.pid || e->tgid == in->win.pid);
}

static int handle_events(struct nl_trace_input *in, struct nl_trace_item *it,
			 int (*on_events)(void *, const struct nl_event *, size_t), void *ctx)
{
	size_t keep = 0;

	for (size_t i = 0; i < it->nr_events; i++)
		if (event_in_window(in, &it->events[i]))
			it->events[keep++] = it->events[i];
	return keep ? on_events(ctx, it->events, keep) : 0;
}

/* A request belongs to the window when it started inside it. */
static int handle_requests(struct nl_trace_input *in, struct nl_trace_item *it, void *ctx)
{
	uint64_t start = in->meta->start_mono_ns;
	size_t keep = 0;

	for (size_t i = 0; i < it->nr_requests; i++) {
		const struct nl_request *q = &it->requests[i];
		uint64_t at = q->start_ns > start ? q->start_ns - start : 0;

		if (at < in->win.from_ns || at >= in->win.to_ns)
			continue;
		if (in->win.pid && q->tgid != in->win.pid)
			continue;
		it->requests[keep++] = *q;
	}
	in->requests += keep;
	return keep ? in->on_requests(ctx, it->requests, keep) : 0;
}

static int handle_interval(struct nl_trace_input *in, struct nl_snapshot *s,
			   int (*on_interval)(void *, struct nl_snapshot *), void *ctx)
{
	uint64_t start = in->meta->start_mono_ns;
	uint64_t end = s->mono_ns > start ? s->mono_ns - start : 0;

	in->last_end_ns = end;
	if (end <= in->win.from_ns || end > in->win.to_ns)
		return 0;
	if (!in->intervals)
		in->first_start_ns = end > s->interval_ns ? end - s->interval_ns : 0;
	in->intervals++;
	if (in->win.pid) {
		keep_pid(s, in->win.pid);
		if (!s->nr_procs)
			return 0; /* the process did nothing, or was not there yet */
		in->pid_intervals++;
	}
	return on_interval(ctx, s);
}

int nl_trace_input_each(struct nl_trace_input *in,
			int (*on_interval)(void *ctx, struct nl_snapshot *s),
			int (*on_events)(void *ctx, const struct nl_event *ev, size_t n),
			void *ctx)
{
	struct nl_trace_item it;
	int rc;

	while ((rc = nl_trace_next(in->r, &it)) > 0) {
		int cb = 0;

		if (it.kind == NL_TRACE_ITEM_INTERVAL)
			cb = handle_interval(in, &it.snap, on_interval, ctx);
		else if (it.kind == NL_TRACE_ITEM_EVENTS && on_events)
			cb = handle_events(in, &it, on_events, ctx);
		else if (it.kind == NL_TRACE_ITEM_REQUESTS && in->on_requests)
			cb = handle_requests(in, &it, ctx);
		nl_trace_item_free(&it);
		if (cb) {
			nl_err("%s: %s", in->path, cb == -ENOMEM ? "out of memory" : strerror(-cb));
			return -1;
		}
	}
	if (rc < 0) {
		in->failed = true;
		snprintf(in->problem, sizeof(in->problem), "%s", nl_trace_reader_error(in->r));
	}
	return 0;
}

void nl_trace_input_recording(const struct nl_trace_input *in, const struct nl_accum *acc,
			      struct nl_recording *rec)
{
	struct nl_trace_rstats st;

	nl_trace_reader_stats(in->r, &st);
	*rec = (struct nl_recording){
		.file = in->path,
		.hostname = in->meta->hostname,
		.kernel_release = in->meta->kernel_release,
		.machine = in->meta->machine,
		.target = in->meta->target,
		.cmdline = in->meta->cmdline,
		.version = in->meta->version,
		.start_realtime_ns = in->meta->start_realtime_ns,
		.start_mono_ns = in->meta->start_mono_ns,
		.from_ns = in->first_start_ns,
		.to_ns = acc && acc->started ? acc->s.mono_ns - in->meta->start_mono_ns : in->last_end_ns,
		.intervals = in->intervals,
		.chunks = st.chunks,
		.truncated = st.truncated,
		.bytes_lost = st.bytes_lost,
		.problem = in->failed || st.truncated ? nl_trace_reader_error(in->r) : NULL,
	};
	if (rec->problem && !rec->problem[0])
		rec->problem = NULL;
}

void nl_trace_input_say_losses(const struct nl_trace_input *in, const char *who)
{
	struct nl_trace_rstats st;
	const char *notes = nl_trace_reader_notes(in->r);

	nl_trace_reader_stats(in->r, &st);
	if (in->failed)
		nl_err("%s: %s: read up to the damage only: %s", who, in->path, in->problem);
	else if (st.truncated)
		nl_err("%s: %s was cut short (the recorder was stopped before it finished): %s", who,
		       in->path, nl_trace_reader_error(in->r));
	if (st.continued)
		nl_err("%s: the recording goes on in the next numbered file after %s (--max-size rotation)",
		       who, in->path);
	if (notes && notes[0])
		nl_err("%s: %s", who, notes);
}

int nl_trace_input_say_empty(const struct nl_trace_input *in, const char *who)
{
	if (!in->intervals && !in->last_end_ns)
		nl_err("%s: %s holds no interval (the recording stopped before its first one)",
		       who, in->path);
	else if (!in->intervals)
		nl_err("%s: no interval of %s ends between %.3f s and %.3f s (it holds %.3f s)", who,
		       in->path, in->win.from_ns / 1e9,
		       in->win.to_ns == UINT64_MAX ? in->last_end_ns / 1e9 : in->win.to_ns / 1e9,
		       in->last_end_ns / 1e9);
	else if (in->win.pid && !in->pid_intervals)
		nl_err("%s: process %u did nothing %s in %s", who, in->win.pid,
		       in->win.from_ns || in->win.to_ns != UINT64_MAX ? "in the window" : "recorded",
		       in->path);
	else
		return 0;
	return 1;
}

void nl_trace_input_close(struct nl_trace_input *in)
{
	nl_trace_reader_close(in->r);
	in->r = NULL;
}
