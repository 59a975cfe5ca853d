/* The exporter: a consumer of a running session (system-wide or -G CGROUP) that adds
 * every interval into the cumulative model (model/fleet.h), reads the gauges beside
 * it (node meminfo, each process's cgroup, numalens's own BPF run time), and
 * publishes the Prometheus text of the last completed interval: to the HTTP server
 * (engine/httpd.h) and/or atomically to a node_exporter textfile. With a flight
 * recorder (engine/flight.h) it feeds the ring and fires the triggers. */
#ifndef NL_ENGINE_EXPORTER_H
#define NL_ENGINE_EXPORTER_H

#include <stdbool.h>

#include "engine/flight.h"
#include "engine/httpd.h"
#include "engine/session.h"

enum nl_trigger_kind { NL_TRIGGER_NONE = 0, NL_TRIGGER_REMOTE, NL_TRIGGER_MIGRATE, NL_TRIGGER_P99 };

struct nl_trigger {
	enum nl_trigger_kind kind;
	double threshold;     /* remote: a ratio in (0,1]; migrate: pages per second;
			       * p99: nanoseconds */
	const char *text;     /* as given */
};

/* "remote>0.5", "migrate>1000/s" or "p99>5ms" (ns, us, ms or s): 0, or -1 (not one
 * of them). */
int nl_trigger_parse(const char *s, struct nl_trigger *t);

/* Below this many classified accesses in an interval the remote trigger does not
 * judge it: the ratio of a handful of faults says nothing. */
#define NL_TRIGGER_MIN_ACCESSES 100

struct nl_exporter_opts {
	const char *who;
	struct nl_httpd *httpd;  /* owned by the caller; NULL: no server */
	const char *textfile_dir; /* NULL: none */
	int top_cgroups;
	bool bpf_stats;          /* turn kernel.bpf_stats on while we run (BPF_ENABLE_STATS) */
	bool quiet;
	bool requests;           /* the collector measures requests (with their records) */
	/* flight recorder: flight.dir NULL = none */
	struct nl_flight_opts flight;
	struct nl_trigger trigger;
	uint64_t flight_after_ns; /* a trigger's dump waits this long: the seconds after it */
};

struct nl_exporter;

/* The session's attached hook: the view, the flight recorder and the first (empty)
 * publication, before any command runs. 0, or -1 after saying why. */
int nl_exporter_open(struct nl_session *s, const struct nl_exporter_opts *o,
		     struct nl_exporter **out);
/* One interval. 0, or -1 after saying why (a failed textfile write or dump is said
 * and the run goes on: the daemon does not die of a full disk). */
int nl_exporter_tick(struct nl_exporter *e, enum nl_stop_reason why);
void nl_exporter_close(struct nl_exporter *e);

#endif
