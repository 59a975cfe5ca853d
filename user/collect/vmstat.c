#include "collect/vmstat.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

int nl_vmstat_read(const char *root, struct nl_vmstat *out)
{
	static const struct {
		const char *name;
		size_t off;
		bool numa;
	} keys[] = {
		{ "numa_hint_faults", offsetof(struct nl_vmstat, numa_hint_faults), true },
		{ "numa_hint_faults_local", offsetof(struct nl_vmstat, numa_hint_faults_local), true },
		{ "numa_pages_migrated", offsetof(struct nl_vmstat, numa_pages_migrated), true },
		{ "numa_pte_updates", offsetof(struct nl_vmstat, numa_pte_updates), true },
		{ "pgmigrate_success", offsetof(struct nl_vmstat, pgmigrate_success), false },
		{ "pgmigrate_fail", offsetof(struct nl_vmstat, pgmigrate_fail), false },
	};
	char *text = nl_read_file(root, "/proc/vmstat");
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (!text)
		return -1;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		char *sp = strchr(line, ' ');

		if (!sp)
			continue;
		*sp = '\0';
		for (size_t k = 0; k < NL_ARRAY_SIZE(keys); k++) {
			uint64_t v;

			if (strcmp(line, keys[k].name))
				continue;
			if (nl_parse_u64(sp + 1, &v)) {
				errno = EINVAL;
				goto cleanup;
			}
			*(uint64_t *)((char *)out + keys[k].off) = v;
			if (keys[k].numa)
				out->have_numa = true;
			else
				out->have_pgmigrate = true;
		}
	}
	rc = 0;
cleanup:
	free(text);
	return rc;
}

static uint64_t sub(uint64_t a, uint64_t b)
{
	return b >= a ? b - a : 0;
}

void nl_vmstat_delta(const struct nl_vmstat *a, const struct nl_vmstat *b, struct nl_vmstat *d)
{
	d->have_numa = a->have_numa && b->have_numa;
	d->have_pgmigrate = a->have_pgmigrate && b->have_pgmigrate;
	d->numa_hint_faults = sub(a->numa_hint_faults, b->numa_hint_faults);
	d->numa_hint_faults_local = sub(a->numa_hint_faults_local, b->numa_hint_faults_local);
	d->numa_pages_migrated = sub(a->numa_pages_migrated, b->numa_pages_migrated);
	d->numa_pte_updates = sub(a->numa_pte_updates, b->numa_pte_updates);
	d->pgmigrate_success = sub(a->pgmigrate_success, b->pgmigrate_success);
	d->pgmigrate_fail = sub(a->pgmigrate_fail, b->pgmigrate_fail);
}

/* Appends "name vmstat V vs bpf B" to note when the pair is off; returns whether. */
static bool check_pair(char *note, size_t len, const char *name, uint64_t vm, uint64_t bpf,
		       uint64_t slack, double pct)
{
	uint64_t diff = vm > bpf ? vm - bpf : bpf - vm;
	uint64_t big = vm > bpf ? vm : bpf;
	size_t used = strlen(note);

	if (diff <= slack || (double)diff <= (double)big * pct / 100.0)
		return false;
	snprintf(note + used, len - used, "%s%s: vmstat %" PRIu64 " vs bpf %" PRIu64,
		 used ? "; " : "", name, vm, bpf);
	return true;
}

void nl_vmstat_compare(struct nl_vmstat_check *c, const struct nl_vmstat *d, uint64_t slack,
		       double pct)
{
	c->valid = d->have_numa || d->have_pgmigrate;
	c->hint_faults = d->numa_hint_faults;
	c->hint_faults_local = d->numa_hint_faults_local;
	c->pages_migrated = d->numa_pages_migrated;
	c->pgmigrate_success = d->pgmigrate_success;
	c->pgmigrate_fail = d->pgmigrate_fail;
	c->disagree = false;
	c->note[0] = '\0';
	if (!c->valid || !c->bpf_valid) {
		snprintf(c->note, sizeof(c->note), "%s", !c->valid ?
			 "not compared: /proc/vmstat has no NUMA counters" :
			 "not compared: no BPF totals");
		return;
	}
	char *n = c->note;
	size_t len = sizeof(c->note);
	if (d->have_numa) {
		c->disagree |= check_pair(n, len, "numa_hint_faults", c->hint_faults,
					  c->bpf_hint_faults, slack, pct);
		c->disagree |= check_pair(n, len, "numa_hint_faults_local", c->hint_faults_local,
					  c->bpf_hint_faults_local, slack, pct);
		c->disagree |= check_pair(n, len, "numa_pages_migrated", c->pages_migrated,
					  c->bpf_pages_migrated, slack, pct);
	}
	if (d->have_pgmigrate) {
		c->disagree |= check_pair(n, len, "pgmigrate_success", c->pgmigrate_success,
					  c->bpf_pgmigrate_success, slack, pct);
		c->disagree |= check_pair(n, len, "pgmigrate_fail", c->pgmigrate_fail,
					  c->bpf_pgmigrate_fail, slack, pct);
	}
	if (!c->disagree)
		snprintf(n, len, "agree (hint faults %" PRIu64 ", local %" PRIu64
			 ", numa pages migrated %" PRIu64 ")",
			 c->hint_faults, c->hint_faults_local, c->pages_migrated);
}
