/* struct nl_trace_meta's ownership (free, deep copy), and what a snapshot read from a
 * trace takes from it. */
#include "trace/internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void nl_trace_meta_free(struct nl_trace_meta *m)
{
	if (!m)
		return;
	for (int n = 0; n < NL_MAX_NODES; n++)
		free(m->topo.cpus[n]);
	free(m->cmdline);
	free(m->target);
	free(m->version);
	free(m->request);
	nl_sources_free(m->sources);
	memset(m, 0, sizeof(*m));
}

static int dup_str(char **dst, const char *src)
{
	*dst = NULL;
	return src && !(*dst = strdup(src)) ? -ENOMEM : 0;
}

int nl_trace_meta_copy(struct nl_trace_meta *dst, const struct nl_trace_meta *src)
{
	int rc;

	*dst = *src;
	/* Nothing in dst is owned yet: clear every pointer before the first allocation so
	 * that a failure frees only what was copied. */
	dst->cmdline = dst->target = dst->version = dst->request = NULL;
	for (int i = 0; i < NL_SRC_MAX; i++)
		dst->sources[i].detail = NULL;
	rc = nl_topo_summary_copy(&dst->topo, &src->topo);
	if (!rc)
		rc = dup_str(&dst->cmdline, src->cmdline);
	if (!rc)
		rc = dup_str(&dst->target, src->target);
	if (!rc)
		rc = dup_str(&dst->version, src->version);
	if (!rc)
		rc = dup_str(&dst->request, src->request);
	if (!rc)
		rc = nl_sources_copy(dst->sources, src->sources);
	if (rc)
		nl_trace_meta_free(dst);
	return rc;
}

int nl_trace_fill_snapshot(struct nl_snapshot *s, const struct nl_trace_meta *m,
			   const struct nl_source_state *sources)
{
	s->names = m->names;
	for (int i = 0; i < NL_SRC_MAX; i++)
		s->sources[i] = (struct nl_source_state){ 0 };
	int rc = nl_topo_summary_copy(&s->topo, &m->topo);
	return rc ? rc : nl_sources_copy(s->sources, sources);
}
