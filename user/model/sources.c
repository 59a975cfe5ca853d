/* Source states and the recording kernel's enum names: the parts of a snapshot that say
 * where its numbers come from and how to label them. */
#include "model/model.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const source_names[NL_SRC_MAX] = {
	[NL_SRC_SCHED] = "sched",           [NL_SRC_FAULTS] = "faults",
	[NL_SRC_RESIDENCY] = "residency",   [NL_SRC_PMU] = "pmu",
	[NL_SRC_HINT_FAULTS] = "hint_faults", [NL_SRC_NUMA_SCAN] = "numa_scan",
	[NL_SRC_MIGRATIONS] = "migrations", [NL_SRC_NUMA_SCHED] = "numa_sched",
	[NL_SRC_TLB] = "tlb",               [NL_SRC_REQUESTS] = "requests",
	[NL_SRC_MAPPED] = "mapped_faults",
};

const char *nl_source_name(enum nl_source_id id)
{
	return (unsigned)id < NL_SRC_MAX ? source_names[id] : NULL;
}

int nl_source_id(const char *name)
{
	for (int i = 0; name && i < NL_SRC_MAX; i++)
		if (!strcmp(name, source_names[i]))
			return i;
	return -1;
}

static int vset(struct nl_source_state *s, bool active, bool append, const char *fmt, va_list ap)
{
	char *add = NULL, *joined = NULL;

	if (vasprintf(&add, fmt, ap) < 0)
		return -ENOMEM;
	if (append && s->detail) {
		if (asprintf(&joined, "%s%s", s->detail, add) < 0) {
			free(add);
			return -ENOMEM;
		}
		free(add);
		add = joined;
	}
	free(s->detail);
	s->detail = add;
	s->known = true;
	if (!append)
		s->active = active;
	return 0;
}

int nl_source_set(struct nl_source_state *s, bool active, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vset(s, active, false, fmt, ap);
	va_end(ap);
	return rc;
}

int nl_source_append(struct nl_source_state *s, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vset(s, s->active, true, fmt, ap);
	va_end(ap);
	return rc;
}

void nl_sources_free(struct nl_source_state *s)
{
	for (int i = 0; i < NL_SRC_MAX; i++) {
		free(s[i].detail);
		s[i] = (struct nl_source_state){ 0 };
	}
}

int nl_sources_copy(struct nl_source_state *dst, const struct nl_source_state *src)
{
	struct nl_source_state tmp[NL_SRC_MAX] = { 0 };

	for (int i = 0; i < NL_SRC_MAX; i++) {
		tmp[i] = src[i];
		tmp[i].detail = NULL;
		if (src[i].detail && !(tmp[i].detail = strdup(src[i].detail))) {
			nl_sources_free(tmp);
			return -ENOMEM;
		}
	}
	nl_sources_free(dst);
	memcpy(dst, tmp, sizeof(tmp));
	return 0;
}

/* enum migrate_reason and enum tlb_flush_reason as 6.18 has them (include/linux/
 * migrate_mode.h, include/linux/mm_types.h); a live collector replaces them with the
 * running kernel's, read from its BTF. */
void nl_enum_names_default(struct nl_enum_names *n)
{
	static const char *const mr[] = { "compaction", "memory_failure", "memory_hotplug",
					  "syscall", "mempolicy_mbind", "numa_misplaced",
					  "contig_range", "longterm_pin", "demotion", "damon" };
	static const char *const tlb[] = { "task_switch", "remote_shootdown", "local_shootdown",
					   "local_mm_shootdown", "remote_ipi_send",
					   "remote_wrong_cpu" };

	memset(n, 0, sizeof(*n));
	for (size_t i = 0; i < sizeof(mr) / sizeof(mr[0]); i++)
		snprintf(n->migrate_reason[i], sizeof(n->migrate_reason[i]), "%s", mr[i]);
	snprintf(n->migrate_reason[NL_MIGRATE_REASONS - 1], sizeof(n->migrate_reason[0]), "other");
	for (size_t i = 0; i < sizeof(tlb) / sizeof(tlb[0]); i++)
		snprintf(n->tlb_reason[i], sizeof(n->tlb_reason[i]), "%s", tlb[i]);
	snprintf(n->tlb_reason[NL_TLB_REASONS - 1], sizeof(n->tlb_reason[0]), "other");
}

int nl_migrate_reason_index(const struct nl_enum_names *n, const char *name)
{
	for (int r = 0; r < NL_MIGRATE_REASONS; r++)
		if (!strcmp(n->migrate_reason[r], name))
			return r;
	return -1;
}

const char *nl_reason_key(const char *name, int r, char *buf, size_t len)
{
	if (name && name[0])
		return name;
	snprintf(buf, len, "reason_%d", r);
	return buf;
}
