/* The live view's process list: one row per process of the interval, idle ones hidden
 * unless asked for, sorted by remote share x CPU time (or the column the keys chose).
 * REMOTE is the observed share of remote accesses (faults + hint faults) or, when the
 * interval has none, the residency x sched ESTIMATE, marked '~'. NODES is where most
 * of the CPU time ran and where most of the pages are (resident, else faulted). */
#include "render/tui_int.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IDLE_CPU_NS 1000000ULL /* under 1 ms of CPU and nothing else: idle */

static const char *const sort_names[SORT_MAX] = {
	"remote x CPU", "remote share", "CPU", "faults", "hint faults",
	"migrated pages", "resident pages", "pid", "command",
};

const char *tui_sort_name(enum tui_sort s)
{
	return s < SORT_MAX ? sort_names[s] : "?";
}

static int argmax(const uint64_t v[NL_MAX_NODES])
{
	int best = -1;
	for (int i = 0; i < NL_MAX_NODES; i++)
		if (v[i] && (best < 0 || v[i] > v[best]))
			best = i;
	return best;
}

static void row_fill(struct tui_row *r, const struct nl_process *p, uint64_t interval_ns)
{
	const struct nl_counts *c = &p->c;
	uint64_t by_page[NL_MAX_NODES], cpu = nl_node_sum(c->cpu_ns);

	memset(r, 0, sizeof(*r));
	r->p = p;
	r->cpu = interval_ns ? (double)cpu / (double)interval_ns : NAN;
	r->remote = nl_remote_ratio(c);
	/* a ratio over under half the faults is no measurement: the residency estimate,
	 * marked as one, says more (an mmapped file's pages are all remote, its faults map
	 * them from the page cache and classify nothing) */
	if (isnan(r->remote) || nl_classified_share(c) < NL_CLASSIFIED_ENOUGH) {
		r->remote = nl_resident_remote_ratio(c, p->resident_known ? p->resident_pages : NULL);
		r->estimate = !isnan(r->remote);
	}
	r->score = (isnan(r->remote) ? 0 : r->remote) * (double)cpu / 1e9;
	nl_mat_columns(&c->faults, by_page);
	r->faults = nl_mat_sum(&c->faults) + c->faults_unresolved;
	r->hint = nl_mat_sum(&c->hint_faults);
	r->migrated = nl_mat_sum(&c->migrated_pages);
	r->resident = p->resident_known ? nl_node_sum(p->resident_pages) : 0;
	r->cpu_node = argmax(c->cpu_ns);
	r->mem_node = p->resident_known && r->resident ? argmax(p->resident_pages) : argmax(by_page);
	r->idle = !p->followed && cpu < IDLE_CPU_NS && !r->faults && !r->hint && !r->migrated;
}

static int cmp_double(double a, double b)
{
	a = isnan(a) ? -1 : a;
	b = isnan(b) ? -1 : b;
	return a > b ? -1 : a < b;
}

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a > b ? -1 : a < b;
}

static int cmp_rows(const void *x, const void *y, void *arg)
{
	const struct tui_row *a = x, *b = y;
	int c = 0;

	switch (*(const enum tui_sort *)arg) {
	case SORT_WEIGHTED: c = cmp_double(a->score, b->score); break;
	case SORT_REMOTE: c = cmp_double(a->remote, b->remote); break;
	case SORT_CPU: c = cmp_double(a->cpu, b->cpu); break;
	case SORT_FAULTS: c = cmp_u64(a->faults, b->faults); break;
	case SORT_HINT: c = cmp_u64(a->hint, b->hint); break;
	case SORT_MIGRATED: c = cmp_u64(a->migrated, b->migrated); break;
	case SORT_RESIDENT: c = cmp_u64(a->resident, b->resident); break;
	case SORT_COMM: c = strncmp(a->p->comm, b->p->comm, NL_COMM_LEN); break;
	default: break; /* SORT_PID: the pid below decides */
	}
	if (!c && *(const enum tui_sort *)arg != SORT_PID)
		c = cmp_double(a->cpu, b->cpu);
	return c ? c : (a->p->pid > b->p->pid) - (a->p->pid < b->p->pid);
}

int tui_rows_make(const struct nl_tui *t, const struct nl_snapshot *s, struct tui_row **rows, int *n,
		  int *hidden)
{
	struct tui_row *v = calloc((size_t)s->nr_procs + 1, sizeof(*v));
	enum tui_sort key = t->sort;

	*rows = NULL;
	*n = *hidden = 0;
	if (!v)
		return -ENOMEM;
	for (int i = 0; i < s->nr_procs; i++) {
		row_fill(&v[*n], &s->procs[i], s->interval_ns);
		if (v[*n].idle && !t->show_idle)
			(*hidden)++;
		else
			(*n)++;
	}
	qsort_r(v, (size_t)*n, sizeof(*v), cmp_rows, &key);
	*rows = v;
	return 0;
}
