/* Collection: loads and attaches the BPF programs, and turns their maps (plus
 * /proc/PID/numa_maps) into nl_snapshot intervals. Rendering never sees BPF. */
#ifndef NL_COLLECT_H
#define NL_COLLECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/model.h"

struct nl_collect_opts {
	uint32_t target_pid;   /* follow this process (all its threads); 0 = every process */
	uint64_t cgroup_id;    /* only tasks in this cgroup (v2 id); 0 = no cgroup filter */
	uint32_t max_threads;  /* size of per-thread maps; 0 = default */
	uint32_t max_stacks;   /* size of the stack map; 0 = default */
	bool stacks;           /* take user stacks of first-touching code */
	bool verbose;          /* libbpf messages on stderr */
	bool no_autonuma;      /* leave the AutoNUMA programs (user/autonuma.c) out */
	int autonuma_path;     /* enum nl_autonuma_path: AUTO, or force one (tests) */
};

struct nl_collector;

/* Probes features, opens, configures (rodata, map sizes, autoload), loads and attaches.
 * On failure returns non-zero with a one-line reason in err (e.g. "not root",
 * "kernel has no BTF"). */
int nl_collector_open(const struct nl_collect_opts *opts, struct nl_collector **out,
		      char *err, size_t errlen);

/* Fills snap with what happened since the previous call (the first call: since open),
 * including sources, lost events, topology summary and residency. Caller frees with
 * nl_snapshot_free. Returns 0 or a negative errno. */
int nl_collector_snapshot(struct nl_collector *c, struct nl_snapshot *snap);

/* Detaches and frees everything; safe on NULL. */
void nl_collector_close(struct nl_collector *c);

#endif
