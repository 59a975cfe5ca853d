/* What the trace library's own files share and its users do not need. */
#ifndef NL_TRACE_INTERNAL_H
#define NL_TRACE_INTERNAL_H

#include "trace/trace.h"

/* dst's CPU lists become copies of src's (dst's other fields are left alone and its
 * old pointers are not freed). 0 or -ENOMEM (the lists copied so far stay in dst). */
int nl_trace_topo_copy_cpus(struct nl_topo_summary *dst, const struct nl_topo_summary *src);
/* What a snapshot read from a trace takes from the header and the SOURCES records:
 * topology, enum names, sources. 0 or -ENOMEM (s is then still safe to free). */
int nl_trace_fill_snapshot(struct nl_snapshot *s, const struct nl_trace_meta *m,
			   const struct nl_source_state *sources);

#endif
