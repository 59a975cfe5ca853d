/* Helpers shared by the request workloads (nl-server, nl-reqinject): the USDT probes that
 * delimit a request, the per-request record each workload logs, and the log's percentiles.
 *
 * The probes are defined once here so that both workloads expose the same provider and
 * probe names to `numalens --usdt BIN:nlserver:request_start:request_end`. They come from
 * <sys/sdt.h> (Debian: systemtap-sdt-dev): each is a nop plus an ELF note (.note.stapsdt)
 * naming the probe and where its arguments live, so an unattached probe costs one nop.
 *
 * Records are kept in memory and written after the run: no I/O between or inside requests.
 */
#ifndef NUMALENS_REQUEST_H
#define NUMALENS_REQUEST_H

#include <sys/sdt.h>

#include "workload.h"

/* request_start(id) at the first instruction of interest in nl_request, request_end(id,
 * latency_ns) at its last; latency_ns is nl_request's own CLOCK_MONOTONIC timing. */
#define WL_REQUEST_START(id)          DTRACE_PROBE1(nlserver, request_start, (id))
#define WL_REQUEST_END(id, latency)   DTRACE_PROBE2(nlserver, request_end, (id), (latency))

/* A probe id unique in the process: the worker's index in the high 32 bits, its own
 * 1-based request sequence number in the low 32. */
static inline uint64_t wl_request_id(unsigned worker, uint32_t seq)
{
	return (uint64_t)worker << 32 | seq;
}

/* One request as the workload itself saw it. kind and inject_ns are nl-reqinject's. */
struct wl_req {
	uint64_t start_ns;       /* CLOCK_MONOTONIC just before the call to nl_request */
	uint64_t latency_ns;     /* CLOCK_MONOTONIC just after it, minus start_ns */
	uint64_t inject_ns;      /* time in the injected mbind/nanosleep, 0 if none */
	uint32_t seq;            /* the worker's 1-based request number */
	pid_t tid;
	int kind;
};

/* A growable array of records, one per worker: appended to between requests only. */
struct wl_reqlog {
	struct wl_req *v;
	size_t n, cap;
};

/* Room for at least want records; 0 or -1 (ENOMEM). */
static inline int wl_reqlog_reserve(struct wl_reqlog *log, size_t want)
{
	struct wl_req *v;
	size_t cap = log->cap ? log->cap : 1024;

	if (want <= log->cap)
		return 0;
	while (cap < want)
		cap *= 2;
	v = realloc(log->v, cap * sizeof(*v));
	if (!v)
		return -1;
	log->v = v;
	log->cap = cap;
	return 0;
}

static inline int wl_reqlog_push(struct wl_reqlog *log, const struct wl_req *r)
{
	if (wl_reqlog_reserve(log, log->n + 1) < 0)
		return -1;
	log->v[log->n++] = *r;
	return 0;
}

static inline int wl_req_cmp_start(const void *a, const void *b)
{
	const struct wl_req *x = a, *y = b;

	if (x->start_ns != y->start_ns)
		return x->start_ns < y->start_ns ? -1 : 1;
	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

/* The workers' logs in one array ordered by start time (the order the log file uses, so
 * it reads like a timeline and joins against a profiler's per-request output by tid and
 * start). Returns NULL on ENOMEM; *total is the record count. */
static inline struct wl_req *wl_reqlog_merge(const struct wl_reqlog *logs, unsigned nlogs,
					     size_t *total)
{
	struct wl_req *all;
	size_t n = 0, at = 0;

	for (unsigned i = 0; i < nlogs; i++)
		n += logs[i].n;
	all = malloc((n ? n : 1) * sizeof(*all));
	if (!all)
		return NULL;
	for (unsigned i = 0; i < nlogs; i++) {
		if (logs[i].n)
			memcpy(all + at, logs[i].v, logs[i].n * sizeof(*all));
		at += logs[i].n;
	}
	qsort(all, n, sizeof(*all), wl_req_cmp_start);
	*total = n;
	return all;
}

static inline int wl_u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile (pct in 1..100) of n sorted values: the smallest value with at
 * least pct% of the values at or below it. No interpolation, so it is always a measured
 * latency. Integer arithmetic: the workloads link without libm. */
static inline uint64_t wl_percentile(const uint64_t *sorted, size_t n, unsigned pct)
{
	size_t rank;

	if (!n)
		return 0;
	rank = (pct * n + 99) / 100;
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return sorted[rank - 1];
}

/* Opens FILE for the per-request log, or prints why not. */
static inline FILE *wl_open_log(const char *prog, const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f)
		fprintf(stderr, "%s: cannot write %s: %s\n", prog, path, strerror(errno));
	return f;
}

/* Closes the log, reporting a late write error (a full disk shows up at fclose). */
static inline int wl_close_log(const char *prog, const char *path, FILE *f)
{
	int bad = ferror(f);

	if (fclose(f) != 0 || bad) {
		fprintf(stderr, "%s: writing %s failed: %s\n", prog, path,
			errno ? strerror(errno) : "write error");
		return -1;
	}
	return 0;
}

/* Nodes that have both CPUs and memory, in increasing order: where a thread can run and
 * first-touch its own memory locally. Returns the count (0 if none), -1 if sysfs cannot
 * be read. */
static inline int wl_full_nodes(int *nodes, int max)
{
	wl_nodemask cpu, mem;
	int n = 0;

	if (wl_sysfs_nodes("has_cpu", &cpu) < 0 || wl_sysfs_nodes("has_memory", &mem) < 0)
		return -1;
	for (int i = 0; i < WL_MAX_NODES && n < max; i++)
		if (wl_mask_isset(&cpu, i) && wl_mask_isset(&mem, i))
			nodes[n++] = i;
	return n;
}

#endif
