#include "engine/recorder.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include "common/util.h"
#include "engine/threadlog.h"

#define FLUSH_EVERY_NS 500000000ULL /* a killed recorder loses at most this */

struct nl_recorder {
	struct nl_recorder_opts o;
	struct nl_session *sess;
	struct nl_view view;
	struct nl_trace_writer *w;
	struct nl_thread_log threads; /* births, renames and exits already written */
	uint64_t next_residency_ns; /* CLOCK_MONOTONIC */
	uint64_t last_flush_ns;
	uint64_t intervals, events, lost;
	struct nl_event_set ev;      /* the interval's events */
	struct nl_request_set rq;   /* finished requests since the last tick */
	uint64_t requests;
};

/* numalens's own command line, for the header. */
static char *join_argv(int argc, char **argv)
{
	size_t len = 1;
	char *s;

	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	s = calloc(1, len + 9);
	if (!s)
		return NULL;
	strcpy(s, "numalens");
	for (int i = 0; i < argc; i++) {
		strcat(s, " ");
		strcat(s, argv[i]);
	}
	return s;
}

int nl_recorder_meta(struct nl_session *sess, const struct nl_recorder_opts *o,
		     struct nl_trace_meta *m)
{
	struct utsname u;

	memset(m, 0, sizeof(*m));
	if (nl_collector_topology(sess->coll, &m->topo) ||
	    nl_collector_sources(sess->coll, m->sources))
		return -ENOMEM;
	m->names = *nl_collector_names(sess->coll);
	if (uname(&u) == 0) {
		snprintf(m->kernel_release, sizeof(m->kernel_release), "%s", u.release);
		snprintf(m->hostname, sizeof(m->hostname), "%s", u.nodename);
		snprintf(m->machine, sizeof(m->machine), "%s", u.machine);
	}
	m->cmdline = join_argv(o->argc, o->argv);
	m->target = strdup(sess->target_desc[0] ? sess->target_desc : "all processes");
	m->version = strdup(NUMALENS_VERSION);
	if (!m->cmdline || !m->target || !m->version)
		return -ENOMEM;
	if (o->request && !(m->request = strdup(o->request)))
		return -ENOMEM;
	m->start_realtime_ns = nl_now_ns(CLOCK_REALTIME);
	m->start_mono_ns = sess->start_mono_ns;
	m->interval_ns = (uint64_t)o->interval_ms * 1000000ULL;
	m->residency_interval_ns = (uint64_t)o->residency_ms * 1000000ULL;
	m->numa_balancing = -1;
	uint64_t nb;
	if (nl_read_u64(NULL, "/proc/sys/kernel/numa_balancing", &nb) == 0)
		m->numa_balancing = (int)nb;
	return 0;
}

/* ---- each interval ---- */

static int write_events(struct nl_recorder *r)
{
	int rc;

	r->ev.n = 0;
	r->ev.err = 0;
	rc = nl_collector_drain_events(r->sess->coll, nl_event_set_keep, &r->ev);
	if (rc < 0 && !r->ev.err)
		return rc;
	if (r->ev.err)
		return r->ev.err;
	r->events += r->ev.n;
	return r->ev.n ? nl_trace_write_events(r->w, r->ev.v, r->ev.n) : 0;
}

static int write_requests(struct nl_recorder *r)
{
	int rc = nl_collector_drain_requests(r->sess->coll);

	if (rc < 0)
		return rc;
	r->requests += r->rq.n;
	rc = r->rq.n ? nl_trace_write_requests(r->w, r->rq.v, r->rq.n) : 0;
	r->rq.n = 0;
	return rc;
}

static int write_thread(void *w, enum nl_trace_thread_kind k, uint64_t mono_ns, uint32_t tid,
			uint32_t pid, const char *comm)
{
	return nl_trace_write_thread(w, k, mono_ns, tid, pid, comm);
}

int nl_recorder_tick(struct nl_recorder *r, enum nl_stop_reason why)
{
	uint64_t now = nl_now_ns(CLOCK_MONOTONIC);
	unsigned flags = 0;
	struct nl_snapshot s;
	int rc;

	/* the last interval always gets them: a report's residency is the end's */
	if (now >= r->next_residency_ns || why != NL_RUNNING) {
		flags = NL_SAMPLE_RESIDENCY | NL_SAMPLE_NUMASTAT;
		r->next_residency_ns = now + (uint64_t)r->o.residency_ms * 1000000ULL;
	}
	rc = nl_view_interval(&r->view, flags, &s);
	if (rc) {
		nl_err("%s: reading the collected data failed: %s", r->o.who, strerror(-rc));
		return -1;
	}
	r->lost += s.lost_events;
	rc = write_events(r);
	if (!rc)
		rc = write_requests(r);
	if (!rc)
		rc = nl_thread_log_interval(&r->threads, &s, write_thread, r->w);
	if (!rc)
		rc = nl_trace_write_interval(r->w, &s);
	nl_snapshot_free(&s);
	r->intervals++;
	if (!rc && now - r->last_flush_ns >= FLUSH_EVERY_NS) {
		rc = nl_trace_flush(r->w);
		r->last_flush_ns = now;
	}
	if (rc) {
		nl_err("%s: writing %s failed: %s", r->o.who, r->o.path, nl_trace_writer_error(r->w)[0] ?
			nl_trace_writer_error(r->w) : strerror(-rc));
		return -1;
	}
	return 0;
}

static int open_writer(struct nl_recorder *r)
{
	struct nl_trace_wopts wo = { .comp = r->o.comp, .max_bytes = r->o.max_bytes };
	struct nl_trace_meta m;
	char err[256] = "";
	int rc = nl_recorder_meta(r->sess, &r->o, &m);

	if (rc) {
		nl_err("%s: out of memory", r->o.who);
		nl_trace_meta_free(&m);
		return -1;
	}
	rc = nl_trace_writer_open(r->o.path, &m, &wo, &r->w, err, sizeof(err));
	nl_trace_meta_free(&m);
	if (rc) {
		nl_err("%s: cannot write %s: %s", r->o.who, r->o.path, err[0] ? err : strerror(-rc));
		r->w = NULL;
		return -1;
	}
	return 0;
}

static void summary(struct nl_recorder *r)
{
	struct nl_trace_wstats st;

	nl_trace_writer_stats(r->w, &st);
	char rq[48] = "";

	if (r->o.request)
		snprintf(rq, sizeof(rq), "%" PRIu64 " requests, ", r->requests);
	nl_err("%s: %" PRIu64 " intervals, %" PRIu64 " events, %s%" PRIu64 " records, %" PRIu64
	       " lost, %" PRIu64 " bytes in %" PRIu64 " chunk%s (%.1fx compressed) in %s%s",
	       r->o.who, r->intervals, r->events, rq, st.records, r->lost, st.bytes_written, st.chunks,
	       st.chunks == 1 ? "" : "s",
	       st.bytes_written ? (double)st.raw_bytes / (double)st.bytes_written : 0.0, r->o.path,
	       st.files > 1 ? " and its numbered continuations" : "");
}


int nl_recorder_open(struct nl_session *s, const struct nl_recorder_opts *o,
		     struct nl_recorder **out)
{
	struct nl_recorder *r = calloc(1, sizeof(*r));

	*out = NULL;
	if (!r) {
		nl_err("%s: out of memory", o->who);
		return -1;
	}
	r->o = *o;
	r->sess = s;
	if (nl_view_init(&r->view, s->coll)) {
		nl_err("%s: the collector has no room for another consumer", o->who);
		free(r);
		return -1;
	}
	if (open_writer(r)) {
		nl_view_free(&r->view);
		free(r);
		return -1;
	}
	if (o->request && nl_collector_on_requests(s->coll, nl_request_set_keep, &r->rq)) {
		nl_err("%s: the collector has no room for another request consumer", o->who);
		nl_trace_writer_close(r->w);
		nl_view_free(&r->view);
		free(r);
		return -1;
	}
	r->last_flush_ns = nl_now_ns(CLOCK_MONOTONIC);
	r->next_residency_ns = r->last_flush_ns;
	*out = r;
	return 0;
}

int nl_recorder_close(struct nl_recorder *r, bool quiet)
{
	int rc = 0;

	if (!r)
		return 0;
	/* the last chunk is written before the summary counts it */
	if (nl_trace_flush(r->w) == 0 && !quiet)
		summary(r);
	if (nl_trace_writer_close(r->w)) {
		nl_err("%s: finishing %s failed", r->o.who, r->o.path);
		rc = -1;
	}
	nl_view_free(&r->view);
	nl_event_set_free(&r->ev);
	nl_request_set_free(&r->rq);
	nl_thread_log_free(&r->threads);
	free(r);
	return rc;
}
