/* Rendering of `numalens topo`: the topology as a table for people and as one JSON
 * object for programs. Separate from reading (topology.c) so both are tested on
 * fixture trees without a kernel. */
#ifndef NL_TOPO_H
#define NL_TOPO_H

#include <stdbool.h>
#include <stdio.h>

#include "sysinfo/topology.h"

struct nl_topo_opts {
	bool all;    /* list every PCI device, not only GPUs, accelerators, NICs and NVMe */
	bool pretty; /* JSON: indented over several lines instead of one line */
};

/* One JSON object followed by a newline; field meanings are documented at the writer. */
void nl_topo_write_json(const struct nl_topology *t, const struct nl_topo_opts *o, FILE *out);
void nl_topo_write_text(const struct nl_topology *t, const struct nl_topo_opts *o, FILE *out);

#endif
