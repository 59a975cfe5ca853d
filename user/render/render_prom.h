/* Prometheus text exposition (format 0.0.4) of the exporter's cumulative model
 * (model/fleet.h): what `numalens exporter` serves at /metrics and writes as a
 * node_exporter textfile. Conventions of Prometheus and of cloudflare's ebpf_exporter:
 * the numalens_ prefix, base units (seconds, bytes, pages are counted as pages),
 * _total counters, one HELP and TYPE per family, and labels by node, reason, cgroup
 * and source only, never pid or tid. docs/metrics.md lists every family and its
 * source. */
#ifndef NL_RENDER_PROM_H
#define NL_RENDER_PROM_H

#include <stdio.h>

#include "model/fleet.h"

struct nl_prom_opts {
	int top_cgroups; /* cgroups listed, by accesses (the rest are left out); 0: none */
};

void nl_render_prom(const struct nl_fleet *f, const struct nl_prom_opts *o, FILE *out);

#endif
