/* Adding intervals up: the snapshot of a whole recording, or of a window of it
 * (report). Counts are summed per process and thread; residency, names, diagnosis,
 * sources and AutoNUMA state are the latest interval's that had them; lost events
 * add up; the vmstat check is judged again on the summed windows. interval_ns ends
 * as the sum of the intervals' lengths. */
#ifndef NL_MODEL_ACCUM_H
#define NL_MODEL_ACCUM_H

#include <stddef.h>
#include <stdint.h>

#include "model/model.h"

struct nl_accum {
	struct nl_snapshot s;     /* the sum so far; valid once started */
	bool started;
	uint64_t intervals;
	uint64_t first_mono_ns;   /* start of the first interval added */
	/* private */
	struct slot *slots;
	size_t nr_slots, used;
	size_t proc_cap;
	size_t *thread_cap;
};

/* Adds one interval snapshot (the first sets topology, names and sources). 0 or
 * -ENOMEM. Zero-initialize a before the first call. */
int nl_accum_add(struct nl_accum *a, const struct nl_snapshot *interval);
void nl_accum_free(struct nl_accum *a);

#endif
