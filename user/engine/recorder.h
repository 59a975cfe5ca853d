/* The trace recorder: a consumer of a running session that writes what its collector
 * sees into a trace file (trace/trace.h). `record` runs it alone; `top --record` runs
 * it beside the live view, on the same collector, each at its own interval.
 *
 * Every tick: one INTERVAL record (each thread's counts of the interval), the AutoNUMA
 * events the ring buffer holds, thread births and exits; every residency interval the
 * interval's processes' numa_maps and the nodes' numastat; a chunk cut at least every
 * half second, so a killed recorder loses at most that much. */
#ifndef NL_ENGINE_RECORDER_H
#define NL_ENGINE_RECORDER_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/session.h"
#include "trace/trace.h"

struct nl_recorder_opts {
	const char *path;
	const char *who;            /* message prefix */
	uint32_t interval_ms;       /* what the session ticks at (the header says it) */
	uint32_t residency_ms;
	uint64_t max_bytes;         /* rotation; 0 = one file */
	enum nl_trace_compression comp;
	const char *request;        /* --request/--usdt as given, NULL: none (the header) */
	int argc;                   /* numalens's own command line, for the header */
	char **argv;
};

struct nl_recorder;

/* The header of a trace of s as o describes it (the flight recorder writes its dumps
 * with it too): topology, sources and names of s's collector, this machine, the
 * command line, the start as now. 0 or -ENOMEM (m then holds what to free). */
int nl_recorder_meta(struct nl_session *s, const struct nl_recorder_opts *o,
		     struct nl_trace_meta *m);
/* Creates the file and writes its header (the session's collector must be open).
 * 0, or -1 after saying why. */
int nl_recorder_open(struct nl_session *s, const struct nl_recorder_opts *o,
		     struct nl_recorder **out);
/* One interval; why != NL_RUNNING for the last. 0, or -1 after saying why. */
int nl_recorder_tick(struct nl_recorder *r, enum nl_stop_reason why);
/* Finishes the file (summary on stderr unless quiet). 0, or -1 after saying why. */
int nl_recorder_close(struct nl_recorder *r, bool quiet);

#endif
