/* The AutoNUMA programs as one of the collector's sources: a source of its own, so
 * when they cannot start the access profile still can, and the sources say why
 * AutoNUMA is not seen. */
#include "collect/internal.h"

#include <errno.h>
#include <stdio.h>

static bool autonuma_probe(struct nl_collector *c, char *why, size_t len)
{
	if (c->opts.no_autonuma) {
		snprintf(why, len, "left out (--no-autonuma)");
		return false;
	}
	return true;
}

static int autonuma_open(struct nl_collector *c, char *err, size_t len)
{
	struct nl_autonuma_opts ao = {
		.target_pid = c->opts.target_pid,
		.followed_fd = nl_access_followed_fd(c),
		.cgroup_id = c->opts.cgroup_id,
		.path = (enum nl_autonuma_path)c->opts.autonuma_path,
		.max_threads = c->opts.max_threads,
		.verbose = c->opts.verbose,
		.events = c->opts.events,
		.page_nodes_shift = c->nodes_shift,
	};
	char aerr[256];
	int rc = nl_autonuma_open(&ao, &c->autonuma, aerr, sizeof(aerr));

	if (rc) {
		c->autonuma = NULL;
		/* a forced path fails the run rather than quietly fall back */
		if (c->opts.autonuma_path != NL_AUTONUMA_PATH_AUTO) {
			snprintf(err, len, "%s", aerr); /* "AutoNUMA programs: fentry: ..." */
			return rc < 0 ? rc : -EINVAL;
		}
		snprintf(err, len, "failed: %s", aerr);
		return -ENOTSUP; /* marked off with err */
	}
	return nl_autonuma_describe(c->autonuma, c->sources);
}

static int autonuma_sample(struct nl_collector *c, struct nl_snapshot *cum)
{
	return nl_autonuma_sample(c->autonuma, &c->threads, c->seq, c->sources, cum);
}

static void autonuma_close(struct nl_collector *c)
{
	nl_autonuma_close(c->autonuma);
	c->autonuma = NULL;
}

const struct nl_source_ops nl_autonuma_source = {
	.what = "AutoNUMA",
	.probe = autonuma_probe,
	.open = autonuma_open,
	.sample = autonuma_sample,
	.close = autonuma_close,
};

int nl_collector_drain_events(struct nl_collector *c,
			      int (*fn)(void *ctx, const struct nl_event *ev), void *ctx)
{
	if (!c->autonuma || !c->opts.events)
		return 0;
	return nl_autonuma_drain(c->autonuma, fn, ctx);
}

int nl_collector_autonuma(const struct nl_collector *c, const char **path, const char **why,
			  char *err, size_t errlen)
{
	if (!c->autonuma) {
		const struct nl_source_state *h = &c->sources[NL_SRC_HINT_FAULTS];
		snprintf(err, errlen, "%s", h->detail ? h->detail : "AutoNUMA programs not running");
		return -1;
	}
	*path = nl_autonuma_path_name(nl_autonuma_path(c->autonuma));
	*why = nl_autonuma_path_why(c->autonuma);
	return 0;
}
