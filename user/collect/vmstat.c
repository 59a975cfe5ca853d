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

void nl_vmstat_totals(const struct nl_vmstat *v, struct nl_vm_totals *out)
{
	*out = (struct nl_vm_totals){
		.have_numa = v->have_numa, .have_pgmigrate = v->have_pgmigrate,
		.hint_faults = v->numa_hint_faults, .hint_faults_local = v->numa_hint_faults_local,
		.pages_migrated = v->numa_pages_migrated, .pgmigrate_success = v->pgmigrate_success,
		.pgmigrate_fail = v->pgmigrate_fail,
	};
}

/* The model's check (model/vmstat_check.c), on this window's vmstat deltas and the
 * BPF totals already in c. */
void nl_vmstat_compare(struct nl_vmstat_check *c, const struct nl_vmstat *d, uint64_t slack,
		       double pct)
{
	struct nl_vm_totals vm;
	struct nl_bpf_totals bpf = {
		.valid = c->bpf_valid, .local_exact = c->bpf_local_exact,
		.hint_faults = c->bpf_hint_faults, .hint_faults_local = c->bpf_hint_faults_local,
		.pages_migrated = c->bpf_pages_migrated, .pgmigrate_success = c->bpf_pgmigrate_success,
		.pgmigrate_fail = c->bpf_pgmigrate_fail,
	};

	nl_vmstat_totals(d, &vm);
	nl_vmstat_check_make(c, &vm, &bpf, slack, pct);
}
