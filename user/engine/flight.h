/* The flight recorder: the exporter's last N seconds of intervals (and the AutoNUMA
 * events, finished requests and thread births, renames and exits of those seconds),
 * kept encoded as trace records in a ring bounded by time
 * and by bytes, written to a trace file (the format `numalens record` writes and
 * `numalens report` reads) when a trigger fires. Files are named
 * DIR/numalens-flight-YYYYMMDDTHHMMSS.mmmZ.nlt and rotated: the newest K are kept. */
#ifndef NL_ENGINE_FLIGHT_H
#define NL_ENGINE_FLIGHT_H

#include <stddef.h>
#include <stdint.h>

#include "engine/recorder.h"
#include "engine/session.h"

struct nl_flight_opts {
	const char *dir;
	const char *who;
	uint64_t keep_ns;     /* seconds of intervals kept */
	uint64_t max_bytes;   /* encoded bytes kept at most (oldest dropped first) */
	int keep_files;       /* dumps kept in dir */
	struct nl_recorder_opts rec; /* for the dumps' header (interval, command line) */
};

struct nl_flight;

/* The session's collector must be open (its topology and sources head each dump).
 * 0, or -1 after saying why. */
int nl_flight_open(struct nl_session *s, const struct nl_flight_opts *o, struct nl_flight **out);
/* Adds one interval with the requests that finished in it (rq may be NULL when
 * nr_rq is 0), and drains the collector's events into the ring. 0, or -1 after
 * saying why. */
int nl_flight_add(struct nl_flight *f, const struct nl_snapshot *interval,
		  const struct nl_request *rq, size_t nr_rq);
/* Writes the ring to a new file in dir (path into path) and rotates. 0, or -1 after
 * saying why. */
int nl_flight_dump(struct nl_flight *f, char *path, size_t len);
/* The ring's span and size, for messages. */
void nl_flight_span(const struct nl_flight *f, uint64_t *ns, size_t *intervals, size_t *bytes);
void nl_flight_close(struct nl_flight *f);

#endif
