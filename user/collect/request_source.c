/* The request programs as one of the collector's sources, and the fan-out of finished
 * requests to every consumer (top's live view and a recorder can run together). */
#include "collect/internal.h"

#include <errno.h>
#include <stdio.h>

#include "collect/request.h"
#include "common/util.h"

static bool request_probe(struct nl_collector *c, char *why, size_t len)
{
	/* not asked for: nothing is said of the source, so it is not listed */
	return c->opts.request != NULL;
}

static int request_open(struct nl_collector *c, char *err, size_t len)
{
	struct nl_request_opts ro = {
		.spec = c->opts.request,
		.target_pid = c->opts.target_pid,
		.followed_fd = nl_access_followed_fd(c),
		.cgroup_id = c->opts.cgroup_id,
		.max_inflight = c->opts.max_inflight,
		.records = c->opts.request_records,
		.verbose = c->opts.verbose,
	};
	int rc = nl_requests_open(&ro, &c->requests, err, len);

	/* asked for and impossible: the run fails (never -ENOTSUP, which would go on) */
	if (rc)
		return rc == -ENOTSUP ? -EINVAL : rc;
	return nl_requests_describe(c->requests, c->sources);
}

static int request_sample(struct nl_collector *c, struct nl_snapshot *cum)
{
	return nl_requests_sample(c->requests, cum);
}

static void request_close(struct nl_collector *c)
{
	nl_requests_close(c->requests);
	c->requests = NULL;
}

const struct nl_source_ops nl_request_source = {
	.what = "requests",
	.probe = request_probe,
	.open = request_open,
	.sample = request_sample,
	.close = request_close,
};

int nl_collector_on_requests(struct nl_collector *c,
			     int (*fn)(void *ctx, const struct nl_request *r), void *ctx)
{
	if (c->nr_rq_consumers >= (int)NL_ARRAY_SIZE(c->rq_consumers))
		return -ENOSPC;
	c->rq_consumers[c->nr_rq_consumers].fn = fn;
	c->rq_consumers[c->nr_rq_consumers].ctx = ctx;
	c->nr_rq_consumers++;
	return 0;
}

static int fan_out(void *ctx, const struct nl_request *r)
{
	struct nl_collector *c = ctx;

	for (int i = 0; i < c->nr_rq_consumers; i++) {
		int rc = c->rq_consumers[i].fn(c->rq_consumers[i].ctx, r);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int nl_collector_drain_requests(struct nl_collector *c)
{
	if (!c->requests)
		return 0;
	return nl_requests_drain(c->requests, fan_out, c);
}
