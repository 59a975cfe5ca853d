#include "engine/threadlog.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

/* A live thread's name as last told; serial UINT64_MAX marks one gone. */
struct nl_thread_log_known {
	uint64_t serial;
	char comm[NL_COMM_LEN];
};

static int cmp_known(const void *a, const void *b)
{
	uint64_t x = ((const struct nl_thread_log_known *)a)->serial;
	uint64_t y = ((const struct nl_thread_log_known *)b)->serial;

	return x < y ? -1 : x > y;
}

/* Sorted again after an interval's births (appended) and exits (moved to the end). */
static void settle(struct nl_thread_log *l)
{
	qsort(l->known, l->nr_known, sizeof(*l->known), cmp_known);
	while (l->nr_known && l->known[l->nr_known - 1].serial == UINT64_MAX)
		l->nr_known--;
}

/* One thread of the interval (all serials after max_serial are new). */
static int one(struct nl_thread_log *l, const struct nl_thread *th, uint32_t pid,
	       uint64_t mono_ns, nl_thread_log_fn fn, void *arg)
{
	struct nl_thread_log_known key = { .serial = th->serial }, *k = NULL;
	int rc = 0;

	if (th->serial > l->max_serial) {
		if (nl_grow(&l->known, &l->cap_known, l->nr_known, sizeof(*l->known)))
			return -ENOMEM;
		k = &l->known[l->nr_known++];
		k->serial = th->serial;
		memcpy(k->comm, th->comm, NL_COMM_LEN);
		rc = fn(arg, NL_TRACE_THREAD_NEW, mono_ns, th->tid, pid, th->comm);
	} else if ((k = bsearch(&key, l->known, l->nr_known, sizeof(*k), cmp_known)) &&
		   strncmp(k->comm, th->comm, NL_COMM_LEN)) {
		memcpy(k->comm, th->comm, NL_COMM_LEN);
		rc = fn(arg, NL_TRACE_THREAD_NAME, mono_ns, th->tid, pid, th->comm);
	}
	if (!rc && th->exited) {
		if (k)
			k->serial = UINT64_MAX;
		rc = fn(arg, NL_TRACE_THREAD_EXIT, mono_ns, th->tid, pid, th->comm);
	}
	return rc;
}

int nl_thread_log_interval(struct nl_thread_log *l, const struct nl_snapshot *s,
			   nl_thread_log_fn fn, void *arg)
{
	uint64_t max = l->max_serial;
	int rc = 0;

	for (int p = 0; p < s->nr_procs && !rc; p++)
		for (int t = 0; t < s->procs[p].nr_threads && !rc; t++) {
			const struct nl_thread *th = &s->procs[p].threads[t];
			if (!th->tid)
				continue; /* the folded exits of a process, not a thread */
			rc = one(l, th, s->procs[p].pid, s->mono_ns, fn, arg);
			if (th->serial > max)
				max = th->serial;
		}
	l->max_serial = max;
	settle(l);
	return rc;
}

void nl_thread_log_free(struct nl_thread_log *l)
{
	free(l->known);
	memset(l, 0, sizeof(*l));
}
