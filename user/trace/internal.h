/* What the trace library's own files share and its users do not need. */
#ifndef NL_TRACE_INTERNAL_H
#define NL_TRACE_INTERNAL_H

#include "trace/trace.h"

/* What a snapshot read from a trace takes from the header and the SOURCES records:
 * topology, enum names, sources. 0 or -ENOMEM (s is then still safe to free). */
int nl_trace_fill_snapshot(struct nl_snapshot *s, const struct nl_trace_meta *m,
			   const struct nl_source_state *sources);

#endif
