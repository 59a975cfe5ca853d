#include "engine/flight.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "engine/threadlog.h"
#include "trace/trace.h"

#define EVENTS_PER_RECORD 4096
#define REQUESTS_PER_RECORD 4096 /* well under the reader's NL_TRACE_MAX_REQUESTS */

#define PREFIX "numalens-flight-"
#define SUFFIX ".nlt"

/* One interval of the ring: its finished requests, the births, renames and exits of
 * its threads, its INTERVAL record, then the events drained with it (the order
 * `numalens record` writes them in). */
struct entry {
	uint64_t mono_ns, interval_ns, realtime_ns; /* the window's end and length */
	struct nl_trace_blob *blobs;
	size_t nr_blobs;
	size_t bytes;
};

struct nl_flight {
	struct nl_flight_opts o;
	struct nl_session *sess;
	struct entry *ring;   /* oldest first */
	size_t n, cap;
	size_t bytes;
	struct nl_event_set ev; /* the events of the interval being added */
	/* Threads told so far: born ones are told once, exited ones leave the table. A
	 * dump may start after a thread's NEW was dropped with its second: readers take a
	 * thread without one as born before the recording. */
	struct nl_thread_log threads;
	uint64_t dumps;
};

static void entry_free(struct entry *e)
{
	for (size_t i = 0; i < e->nr_blobs; i++)
		nl_trace_blob_free(&e->blobs[i]);
	free(e->blobs);
	memset(e, 0, sizeof(*e));
}

/* Drops the oldest intervals past the span or the byte bound (the newest stays). */
static void trim(struct nl_flight *f)
{
	size_t drop = 0;

	if (!f->n)
		return;
	uint64_t newest = f->ring[f->n - 1].mono_ns;
	while (drop + 1 < f->n &&
	       (newest - (f->ring[drop].mono_ns - f->ring[drop].interval_ns) > f->o.keep_ns ||
		f->bytes > f->o.max_bytes)) {
		f->bytes -= f->ring[drop].bytes;
		entry_free(&f->ring[drop]);
		drop++;
	}
	if (drop) {
		memmove(f->ring, f->ring + drop, (f->n - drop) * sizeof(*f->ring));
		f->n -= drop;
	}
}

static int add_blob(struct entry *e, size_t *cap, struct nl_trace_blob *b)
{
	if (nl_grow(&e->blobs, cap, e->nr_blobs, sizeof(*e->blobs))) {
		nl_trace_blob_free(b);
		return -ENOMEM;
	}
	e->blobs[e->nr_blobs++] = *b;
	e->bytes += b->len;
	return 0;
}

/* The interval's finished requests, as the recorder writes them: before its
 * INTERVAL record, so `report --requests` of a dump lists them. */
static int add_requests(struct entry *e, size_t *cap, const struct nl_request *r, size_t n)
{
	struct nl_trace_blob b;
	int rc = 0;

	for (size_t i = 0; !rc && i < n; i += REQUESTS_PER_RECORD) {
		size_t k = n - i < REQUESTS_PER_RECORD ? n - i : REQUESTS_PER_RECORD;
		rc = nl_trace_encode_requests(r + i, k, &b);
		if (!rc)
			rc = add_blob(e, cap, &b);
	}
	return rc;
}

struct thread_sink {
	struct entry *e;
	size_t *cap;
};

static int add_thread(void *arg, enum nl_trace_thread_kind k, uint64_t mono_ns, uint32_t tid,
		      uint32_t pid, const char *comm)
{
	struct thread_sink *ts = arg;
	struct nl_trace_blob b;
	int rc = nl_trace_encode_thread(k, mono_ns, tid, pid, comm, &b);

	return rc ? rc : add_blob(ts->e, ts->cap, &b);
}

int nl_flight_add(struct nl_flight *f, const struct nl_snapshot *s, const struct nl_request *rq,
		  size_t nr_rq)
{
	struct entry e = { .mono_ns = s->mono_ns, .interval_ns = s->interval_ns,
			   .realtime_ns = s->timestamp_ns };
	struct nl_trace_blob b;
	size_t cap = 0;
	int rc;

	f->ev.n = 0;
	f->ev.err = 0;
	rc = nl_collector_drain_events(f->sess->coll, nl_event_set_keep, &f->ev);
	if (rc < 0 && !f->ev.err)
		goto fail;
	rc = add_requests(&e, &cap, rq, nr_rq);
	if (!rc)
		rc = nl_thread_log_interval(&f->threads, s, add_thread,
					    &(struct thread_sink){ .e = &e, .cap = &cap });
	if (!rc)
		rc = nl_trace_encode_interval(s, &b);
	if (!rc)
		rc = add_blob(&e, &cap, &b);
	for (size_t i = 0; !rc && i < f->ev.n; i += EVENTS_PER_RECORD) {
		size_t k = f->ev.n - i < EVENTS_PER_RECORD ? f->ev.n - i : EVENTS_PER_RECORD;
		rc = nl_trace_encode_events(f->ev.v + i, k, &b);
		if (!rc)
			rc = add_blob(&e, &cap, &b);
	}
	if (!rc && nl_grow(&f->ring, &f->cap, f->n, sizeof(*f->ring)))
		rc = -ENOMEM;
	if (rc)
		goto fail;
	f->ring[f->n++] = e;
	f->bytes += e.bytes;
	trim(f);
	return 0;
fail:
	entry_free(&e);
	nl_err("%s: flight recorder: keeping the interval failed: %s", f->o.who, strerror(-rc));
	return -1;
}

void nl_flight_span(const struct nl_flight *f, uint64_t *ns, size_t *intervals, size_t *bytes)
{
	*ns = f->n ? f->ring[f->n - 1].mono_ns - (f->ring[0].mono_ns - f->ring[0].interval_ns) : 0;
	*intervals = f->n;
	*bytes = f->bytes;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Keeps the newest keep_files dumps in dir (names sort by time). */
static void rotate(struct nl_flight *f)
{
	DIR *d = opendir(f->o.dir);
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		if (strncmp(de->d_name, PREFIX, strlen(PREFIX)) || len < strlen(SUFFIX) ||
		    strcmp(de->d_name + len - strlen(SUFFIX), SUFFIX))
			continue;
		char *copy = strdup(de->d_name);
		if (!copy || nl_grow(&names, &cap, n, sizeof(*names))) {
			free(copy);
			break;
		}
		names[n++] = copy;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		if (i + (size_t)f->o.keep_files < n) {
			char path[PATH_MAX];
			snprintf(path, sizeof(path), "%s/%s", f->o.dir, names[i]);
			unlink(path);
		}
		free(names[i]);
	}
	free(names);
}

/* A new file name in dir: the UTC time to the millisecond, so names sort by time
 * (rotation relies on it); -N in the unlikely case that the millisecond is taken. */
static int new_path(struct nl_flight *f, char *path, size_t len)
{
	struct timespec ts;
	struct tm tm;
	char stamp[48];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm);
	for (int i = 0; i < 100; i++) {
		struct stat st;
		if (i)
			snprintf(path, len, "%s/" PREFIX "%s.%03ldZ-%d" SUFFIX, f->o.dir, stamp,
				 ts.tv_nsec / 1000000, i);
		else
			snprintf(path, len, "%s/" PREFIX "%s.%03ldZ" SUFFIX, f->o.dir, stamp,
				 ts.tv_nsec / 1000000);
		if (stat(path, &st) && errno == ENOENT)
			return 0;
	}
	return -EEXIST;
}

int nl_flight_dump(struct nl_flight *f, char *path, size_t len)
{
	struct nl_trace_meta m;
	struct nl_trace_writer *w = NULL;
	char err[256] = "";
	int rc;

	if (!f->n) {
		nl_err("%s: flight recorder: nothing recorded yet", f->o.who);
		return -1;
	}
	rc = new_path(f, path, len);
	if (rc) {
		nl_err("%s: flight recorder: no free file name in %s", f->o.who, f->o.dir);
		return -1;
	}
	rc = nl_recorder_meta(f->sess, &f->o.rec, &m);
	if (rc) {
		nl_trace_meta_free(&m);
		nl_err("%s: flight recorder: out of memory", f->o.who);
		return -1;
	}
	/* the dump's recording starts where its oldest interval does */
	m.start_mono_ns = f->ring[0].mono_ns - f->ring[0].interval_ns;
	m.start_realtime_ns = f->ring[0].realtime_ns - f->ring[0].interval_ns;
	rc = nl_trace_writer_open(path, &m, NULL, &w, err, sizeof(err));
	nl_trace_meta_free(&m);
	if (rc) {
		nl_err("%s: flight recorder: cannot write %s: %s", f->o.who, path, err[0] ? err : strerror(-rc));
		return -1;
	}
	for (size_t i = 0; !rc && i < f->n; i++)
		for (size_t k = 0; !rc && k < f->ring[i].nr_blobs; k++) {
			const struct nl_trace_blob *b = &f->ring[i].blobs[k];
			rc = nl_trace_write_raw(w, b->type, b->p, b->len);
		}
	if (rc)
		nl_err("%s: flight recorder: writing %s failed: %s", f->o.who, path,
		       nl_trace_writer_error(w));
	if (nl_trace_writer_close(w) && !rc) {
		nl_err("%s: flight recorder: finishing %s failed", f->o.who, path);
		rc = -1;
	}
	if (rc) {
		unlink(path);
		return -1;
	}
	f->dumps++;
	rotate(f);
	return 0;
}

int nl_flight_open(struct nl_session *s, const struct nl_flight_opts *o, struct nl_flight **out)
{
	struct nl_flight *f;
	struct stat st;

	*out = NULL;
	if (stat(o->dir, &st) || !S_ISDIR(st.st_mode) || access(o->dir, W_OK | X_OK)) {
		nl_err("%s: --flight %s: not a writable directory", o->who, o->dir);
		return -1;
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		nl_err("%s: out of memory", o->who);
		return -1;
	}
	f->o = *o;
	f->sess = s;
	*out = f;
	return 0;
}

void nl_flight_close(struct nl_flight *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++)
		entry_free(&f->ring[i]);
	free(f->ring);
	nl_event_set_free(&f->ev);
	nl_thread_log_free(&f->threads);
	free(f);
}
