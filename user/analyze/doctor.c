/* Runs doctor's rules and orders their findings (doctor.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/doctor.h"

const struct nl_doctor_rule nl_doctor_rules[] = {
	{ "single_node", nl_rule_single_node },
	{ "first_touch_bug", nl_rule_first_touch_bug },
	{ "remote_bind", nl_rule_remote_bind },
	{ "policy_mismatch", nl_rule_policy_mismatch },
	{ "numa_miss", nl_rule_numa_miss },
	{ "autonuma_latency", nl_rule_autonuma_latency },
	{ "unpinned_threads", nl_rule_unpinned_threads },
	{ "device_remote", nl_rule_device_remote },
	{ "hugepages_placement", nl_rule_hugepages_placement },
	{ NULL, NULL },
};

nl_doctor_rule_fn nl_doctor_rule(const char *id)
{
	for (const struct nl_doctor_rule *r = nl_doctor_rules; r->id; r++)
		if (!strcmp(r->id, id))
			return r->fn;
	return NULL;
}

const char *nl_severity_name(enum nl_severity s)
{
	switch (s) {
	case NL_SEV_CRITICAL: return "critical";
	case NL_SEV_WARNING: return "warning";
	default: return "info";
	}
}

/* Most severe first; insertion sort keeps the rules' order within a severity. */
static void sort_findings(struct nl_findings *f)
{
	for (size_t i = 1; i < f->n; i++) {
		struct nl_finding x = f->v[i];
		size_t j = i;

		for (; j > 0 && f->v[j - 1].sev < x.sev; j--)
			f->v[j] = f->v[j - 1];
		f->v[j] = x;
	}
}

int nl_doctor_run(const struct nl_doctor_in *in, struct nl_findings *out)
{
	int rc = 0;

	for (const struct nl_doctor_rule *r = nl_doctor_rules; r->id && !rc; r++) {
		/* one node: only single_node says anything (the others need a second node) */
		if (in->topo->nr_nodes < 2 && r->fn != nl_rule_single_node)
			continue;
		rc = r->fn(in, out);
	}
	sort_findings(out);
	return rc;
}

void nl_findings_free(struct nl_findings *f)
{
	free(f->v);
	memset(f, 0, sizeof(*f));
}
