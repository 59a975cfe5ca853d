/* Thread births, renames and exits across intervals, as trace THREAD records: what
 * `numalens record` writes into a trace and the flight recorder keeps in its ring. A
 * thread is NEW the first time its serial is seen, NAME when its name changed since it
 * was last told, EXIT in the interval it exited (and then forgotten, so the table holds
 * only live threads). */
#ifndef NL_ENGINE_THREADLOG_H
#define NL_ENGINE_THREADLOG_H

#include <stddef.h>
#include <stdint.h>

#include "model/model.h"
#include "trace/trace.h"

struct nl_thread_log {
	uint64_t max_serial;                 /* threads with a larger serial are new */
	struct nl_thread_log_known *known;   /* live threads' last told names, by serial */
	size_t nr_known, cap_known;
};

/* Receives one record; non-zero stops the interval and is returned. */
typedef int (*nl_thread_log_fn)(void *arg, enum nl_trace_thread_kind k, uint64_t mono_ns,
				uint32_t tid, uint32_t pid, const char *comm);

/* Calls fn for the interval's births, renames and exits, in the snapshot's order (a
 * born thread that exited in the same interval gets NEW then EXIT). 0, -ENOMEM, or
 * what fn returned. */
int nl_thread_log_interval(struct nl_thread_log *l, const struct nl_snapshot *s,
			   nl_thread_log_fn fn, void *arg);
void nl_thread_log_free(struct nl_thread_log *l);

#endif
