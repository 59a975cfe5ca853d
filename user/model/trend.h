/* Per-process history of the last NL_TREND_LEN intervals, for the table's trend lines
 * ("the remote ratio falls interval by interval as pages move"). top.c feeds it one
 * snapshot per interval; the table renderer reads it. Each interval adds one point to
 * every series: the process's figures when it is in the snapshot, a gap otherwise, so
 * the points of all series line up with the intervals. A series whose process has
 * been absent for NL_TREND_LEN intervals is dropped. JSON has no trend: its objects
 * are one per interval already. */
#ifndef NL_TREND_H
#define NL_TREND_H

#include <stdbool.h>
#include <stdint.h>

#include "model/model.h"

#define NL_TREND_LEN 20

struct nl_trend_point {
	bool present;            /* the process was in this interval's snapshot */
	double resident_remote;  /* nl_resident_remote_ratio (estimate); NAN unknown */
	double remote_ratio;     /* nl_remote_ratio (observed faults + hint faults); NAN none */
	double migrated_per_s;   /* pages migrated (every reason) per second; NAN for interval 0 */
	double hint_remote;      /* remote / all hint faults; NAN when there were none */
	uint64_t migrate_stall_ns;
};

struct nl_trend_series {
	uint32_t pid;
	int nr;                  /* points held, <= NL_TREND_LEN */
	int head;                /* index of the oldest point */
	struct nl_trend_point pts[NL_TREND_LEN];
};

struct nl_trend {
	struct nl_trend_series *v;
	int nr, cap;
	uint64_t intervals;      /* snapshots seen */
};

/* Adds one interval. 0, or -ENOMEM (the trend is unchanged for new processes). */
int nl_trend_update(struct nl_trend *t, const struct nl_snapshot *s);
/* The series of pid, or NULL. */
const struct nl_trend_series *nl_trend_find(const struct nl_trend *t, uint32_t pid);
/* The i-th point, oldest first (0 <= i < s->nr). */
const struct nl_trend_point *nl_trend_point(const struct nl_trend_series *s, int i);
/* One interval's point for a process (what nl_trend_update stores). */
void nl_trend_point_of(const struct nl_process *p, uint64_t interval_ns, struct nl_trend_point *out);
void nl_trend_free(struct nl_trend *t);

#endif
