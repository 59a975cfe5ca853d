#include "render/render_table.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>


/* ---- line list ---- */

static int add_line(struct nl_lines *l, enum nl_line_style style, char *text)
{
	if (l->nr == l->cap) {
		int cap = l->cap ? l->cap * 2 : 64;
		struct nl_line *v = realloc(l->v, (size_t)cap * sizeof(*v));
		if (!v) {
			free(text);
			return -ENOMEM;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->nr].text = text;
	l->v[l->nr].style = style;
	l->nr++;
	return 0;
}

static int addf(struct nl_lines *l, enum nl_line_style style, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int addf(struct nl_lines *l, enum nl_line_style style, const char *fmt, ...)
{
	va_list ap;
	char *text;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	return add_line(l, style, text);
}

/* Word-wraps text into lines of at most width columns; the first line starts with
 * lead, the others with as many spaces as lead is long. Words longer than a line
 * are kept whole (a long symbol must stay greppable). */
int nl_lines_add_wrapped(struct nl_lines *l, enum nl_line_style style, const char *lead,
				const char *text, int width)
{
	int indent = (int)strlen(lead);
	int room = width - indent > 20 ? width - indent : 20;
	const char *p = text;
	bool first = true;

	for (;;) {
		while (*p == ' ')
			p++;
		if (!*p && !first)
			return 0;
		int len = (int)strlen(p), take = len;
		if (len > room) {
			take = room;
			while (take > 0 && p[take] != ' ')
				take--;
			if (take == 0) /* one long word: cut after it */
				for (take = room; p[take] && p[take] != ' '; take++)
					;
		}
		if (addf(l, style, "%*s%.*s", indent, first ? lead : "", take, p))
			return -ENOMEM;
		first = false;
		p += take;
		if (!*p)
			return 0;
	}
}

void nl_lines_print(const struct nl_lines *l, FILE *out)
{
	for (int i = 0; i < l->nr; i++)
		fprintf(out, "%s\n", l->v[i].text);
}

void nl_lines_free(struct nl_lines *l)
{
	for (int i = 0; i < l->nr; i++)
		free(l->v[i].text);
	free(l->v);
	l->v = NULL;
	l->nr = l->cap = 0;
}

/* ---- number formatting ---- */

/* Exact below 100000, then three significant-ish digits with k/M/G. */
static void fmt_count(char *buf, size_t len, uint64_t v)
{
	if (v < 100000)
		snprintf(buf, len, "%" PRIu64, v);
	else if (v < 100000000ULL)
		snprintf(buf, len, "%.1fk", (double)v / 1e3);
	else if (v < 100000000000ULL)
		snprintf(buf, len, "%.1fM", (double)v / 1e6);
	else
		snprintf(buf, len, "%.1fG", (double)v / 1e9);
}

static void fmt_ratio(char *buf, size_t len, double r)
{
	if (isnan(r))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.1f%%", r * 100.0);
}

/* REMOTE, in parentheses when it rests on under half of the faults (most mapped pages
 * already there, whose node is not known): a ratio, not a confident measurement. */
static void fmt_remote(char *buf, size_t len, const struct nl_counts *c)
{
	double r = nl_remote_ratio(c), share = nl_classified_share(c);

	if (!isnan(r) && !isnan(share) && share < NL_CLASSIFIED_ENOUGH)
		snprintf(buf, len, "(%.1f%%)", r * 100.0);
	else
		fmt_ratio(buf, len, r);
}

static void fmt_ns(char *buf, size_t len, uint64_t ns)
{
	if (ns < 1000000ULL)
		snprintf(buf, len, "%.1f us", (double)ns / 1e3);
	else if (ns < 10000000000ULL)
		snprintf(buf, len, "%.1f ms", (double)ns / 1e6);
	else
		snprintf(buf, len, "%.2f s", (double)ns / 1e9);
}

/* ---- nodes ---- */

/* Node ids in topology order, online nodes only; every per-node cell follows it. */
struct nodes {
	int nr;
	int id[NL_MAX_NODES];
};

static void nodes_init(struct nodes *n, const struct nl_topo_summary *t)
{
	n->nr = 0;
	for (int i = 0; i < t->nr_nodes && i < NL_MAX_NODES; i++)
		if (t->node_ids[i] >= 0 && t->node_ids[i] < NL_MAX_NODES)
			n->id[n->nr++] = t->node_ids[i];
}

#define CELL 72

/* "v0/v1/..." over the nodes, each value formatted by fmt. */
static void join_nodes(char *buf, const struct nodes *n, const uint64_t v[NL_MAX_NODES],
		       void (*fmt)(char *, size_t, uint64_t, uint64_t), uint64_t arg)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int i = 0; i < n->nr; i++) {
		char one[24];
		fmt(one, sizeof(one), v[n->id[i]], arg);
		off += (size_t)snprintf(buf + off, CELL - off, "%s%s", i ? "/" : "", one);
		if (off >= CELL)
			return;
	}
	if (n->nr == 0)
		snprintf(buf, CELL, "-");
}

static void fmt_count_cell(char *buf, size_t len, uint64_t v, uint64_t unused)
{
	(void)unused;
	fmt_count(buf, len, v);
}

/* CPU time as a percentage of one CPU over the interval, or seconds for a whole
 * recording (interval 0). */
static void fmt_cpu_cell(char *buf, size_t len, uint64_t ns, uint64_t interval_ns)
{
	if (interval_ns == 0) {
		snprintf(buf, len, "%.2f", (double)ns / 1e9);
		return;
	}
	double pct = (double)ns * 100.0 / (double)interval_ns;
	snprintf(buf, len, pct >= 10.0 || pct == 0.0 ? "%.0f" : "%.1f", pct);
}

/* Faults by node of the page: the column sums of the [cpu][mem] matrix. */
static bool source_active(const struct nl_snapshot *s, enum nl_source_id id)
{
	return s->sources[id].known && s->sources[id].active;
}

/* ---- ordering: busiest first ---- */

static uint64_t activity(const struct nl_counts *c)
{
	return nl_mat_sum(&c->faults) + nl_mat_sum(&c->hint_faults) + c->faults_unresolved;
}

static int cmp_counts(const struct nl_counts *a, const struct nl_counts *b, uint32_t ida, uint32_t idb)
{
	uint64_t xa = activity(a), xb = activity(b);
	if (xa != xb)
		return xa > xb ? -1 : 1;
	xa = nl_node_sum(a->cpu_ns);
	xb = nl_node_sum(b->cpu_ns);
	if (xa != xb)
		return xa > xb ? -1 : 1;
	return ida < idb ? -1 : ida > idb;
}

static int cmp_proc(const void *a, const void *b)
{
	const struct nl_process *pa = *(const struct nl_process *const *)a;
	const struct nl_process *pb = *(const struct nl_process *const *)b;
	return cmp_counts(&pa->c, &pb->c, pa->pid, pb->pid);
}

static int cmp_thread(const void *a, const void *b)
{
	const struct nl_thread *ta = *(const struct nl_thread *const *)a;
	const struct nl_thread *tb = *(const struct nl_thread *const *)b;
	return cmp_counts(&ta->c, &tb->c, ta->tid, tb->tid);
}

/* A comm is whatever the program set (prctl PR_SET_NAME): control characters
 * would drive the terminal, so they print as '?'. */
static void comm_cell(char *cell, const char *comm, const char *suffix)
{
	size_t n = 0;

	for (; n < NL_COMM_LEN && comm[n]; n++)
		cell[n] = (unsigned char)comm[n] < 0x20 || comm[n] == 0x7f ? '?' : comm[n];
	snprintf(cell + n, CELL - n, "%s", suffix);
}

/* ---- the process table ---- */

/* One grid holds every column; the process table shows the first set, the AutoNUMA
 * table (same rows, same order) the second. */
enum {
	COL_ID, COL_COMM, COL_CPU, COL_FAULTS, COL_HINT, COL_REMOTE, COL_RESREM, COL_FIRST, COL_RES,
	COL_HINT_LR, COL_MIGRATED, COL_MIGFAIL, COL_STALL, COL_MOVES, COL_IPI, COL_SCAN, NCOLS
};
#define FIRST_AN_COL COL_HINT_LR

struct row {
	char cell[NCOLS][CELL];
	enum nl_line_style style;
};

struct grid {
	struct row *rows;
	int nr, cap;
	bool shown[NCOLS];
	bool left[NCOLS];
};

static struct row *grid_row(struct grid *g, enum nl_line_style style)
{
	if (g->nr == g->cap) {
		int cap = g->cap ? g->cap * 2 : 32;
		struct row *r = realloc(g->rows, (size_t)cap * sizeof(*r));
		if (!r)
			return NULL;
		g->rows = r;
		g->cap = cap;
	}
	struct row *r = &g->rows[g->nr++];
	memset(r, 0, sizeof(*r));
	r->style = style;
	return r;
}

static void fmt_ms(char *buf, size_t len, uint64_t ns)
{
	double ms = (double)ns / 1e6;
	snprintf(buf, len, ns == 0 ? "0" : ms < 100.0 ? "%.1f" : "%.0f", ms);
}

/* An estimate is marked with a leading '~' wherever it is shown. */
static void fmt_estimate(char *buf, size_t len, double r)
{
	if (isnan(r))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "~%.0f%%", r * 100.0);
}

/* "4096 n0->n1": pages migrated (every reason) and the busiest from->to pair, with
 * its share when other pairs moved pages too; "0" when none. */
static void fmt_migrated(char *buf, size_t len, const struct nl_counts *c, const struct nodes *n)
{
	uint64_t all = 0, best = 0;
	int bf = -1, bt = -1;

	for (int a = 0; a < n->nr; a++)
		for (int b = 0; b < n->nr; b++) {
			uint64_t v = nl_mat_at(&c->migrated_pages, n->id[a], n->id[b]);
			all += v;
			if (v > best) {
				best = v;
				bf = n->id[a];
				bt = n->id[b];
			}
		}
	char cnt[24];
	fmt_count(cnt, sizeof(cnt), all);
	if (!all)
		snprintf(buf, len, "0");
	else if (best == all)
		snprintf(buf, len, "%s n%d->n%d", cnt, bf, bt);
	else
		snprintf(buf, len, "%s (%.0f%% n%d->n%d)", cnt, (double)best * 100.0 / (double)all, bf, bt);
}

static void hint_local_remote(const struct nl_counts *c, uint64_t *local, uint64_t *remote)
{
	*local = *remote = 0;
	for (int a = 0; a < NL_MAX_NODES; a++)
		for (int b = 0; b < NL_MAX_NODES; b++) {
			if (a == b)
				*local += nl_mat_at(&c->hint_faults, a, b);
			else
				*remote += nl_mat_at(&c->hint_faults, a, b);
		}
}

static void fill_counts(struct row *r, const struct nl_counts *c, const struct nodes *n,
			uint64_t interval_ns, const uint64_t *resident)
{
	uint64_t v[NL_MAX_NODES], loc, rem;
	char a[24], b[24];

	join_nodes(r->cell[COL_CPU], n, c->cpu_ns, fmt_cpu_cell, interval_ns);
	nl_mat_columns(&c->faults, v);
	join_nodes(r->cell[COL_FAULTS], n, v, fmt_count_cell, 0);
	nl_mat_columns(&c->hint_faults, v);
	join_nodes(r->cell[COL_HINT], n, v, fmt_count_cell, 0);
	fmt_remote(r->cell[COL_REMOTE], CELL, c);
	fmt_estimate(r->cell[COL_RESREM], CELL, nl_resident_remote_ratio(c, resident));
	join_nodes(r->cell[COL_FIRST], n, c->first_touch_pages, fmt_count_cell, 0);

	hint_local_remote(c, &loc, &rem);
	fmt_count(a, sizeof(a), loc);
	fmt_count(b, sizeof(b), rem);
	snprintf(r->cell[COL_HINT_LR], CELL, "%s/%s", a, b);
	fmt_migrated(r->cell[COL_MIGRATED], CELL, c, n);
	fmt_count(r->cell[COL_MIGFAIL], CELL, c->migrate_fail);
	fmt_ms(r->cell[COL_STALL], CELL, c->migrate_stall_ns);
	fmt_count(a, sizeof(a), c->numa_task_moves);
	if (c->numa_task_swaps)
		snprintf(r->cell[COL_MOVES], CELL, "%s (%" PRIu64 " swap%s)", a, c->numa_task_swaps,
			 c->numa_task_swaps == 1 ? "" : "s");
	else
		snprintf(r->cell[COL_MOVES], CELL, "%s", a);
	fmt_ms(r->cell[COL_IPI], CELL, c->ipi_ns);
	fmt_ms(r->cell[COL_SCAN], CELL, c->numa_scan_ns);
}

static int grid_lines(const struct grid *g, const bool shown[NCOLS], struct nl_lines *out)
{
	int w[NCOLS] = { 0 };

	for (int i = 0; i < g->nr; i++)
		for (int c = 0; c < NCOLS; c++) {
			int len = (int)strlen(g->rows[i].cell[c]);
			if (len > w[c])
				w[c] = len;
		}
	for (int i = 0; i < g->nr; i++) {
		char buf[NCOLS * (CELL + 2) + 1];
		size_t off = 0;
		for (int c = 0; c < NCOLS; c++) {
			if (!shown[c])
				continue;
			off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%*s", off ? "  " : "",
						g->left[c] ? -w[c] : w[c], g->rows[i].cell[c]);
		}
		while (off > 0 && buf[off - 1] == ' ') /* left-aligned last column */
			buf[--off] = '\0';
		if (addf(out, g->rows[i].style, "%s", buf))
			return -ENOMEM;
	}
	return 0;
}

/* The AutoNUMA table and its legend appear when its hinting-fault or migration
 * source runs; its other columns each need their own source. */
static bool autonuma_table_shown(const struct nl_snapshot *s)
{
	return source_active(s, NL_SRC_HINT_FAULTS) || source_active(s, NL_SRC_MIGRATIONS);
}

static int process_table(const struct nl_snapshot *s, const struct nodes *n,
			 const struct nl_process *const *order, int nr, bool threads,
			 struct nl_lines *out)
{
	struct grid g = { 0 };
	char nl[NL_MAX_NODES * 4 + 1] = "";
	const struct nl_thread **tord = NULL;
	int err = -ENOMEM;

	for (int i = 0; i < n->nr; i++) {
		size_t off = strlen(nl);
		snprintf(nl + off, sizeof(nl) - off, "%sn%d", i ? "/" : "", n->id[i]);
	}
	for (int c = 0; c < FIRST_AN_COL; c++)
		g.shown[c] = true;
	g.left[COL_ID] = g.left[COL_COMM] = true;
	g.left[COL_MIGRATED] = g.left[COL_MOVES] = true;
	/* AutoNUMA's hinting faults only exist when it runs: no column of zeros that
	 * would read as "measured, none". The legend says why it is missing. */
	g.shown[COL_HINT] = source_active(s, NL_SRC_HINT_FAULTS);

	struct row *r = grid_row(&g, NL_LINE_TITLE);
	if (!r)
		goto cleanup;
	snprintf(r->cell[COL_ID], CELL, threads ? "PID/TID" : "PID");
	snprintf(r->cell[COL_COMM], CELL, "COMM");
	snprintf(r->cell[COL_CPU], CELL, "%s %s", s->interval_ns ? "CPU%" : "CPU-s", nl);
	snprintf(r->cell[COL_FAULTS], CELL, "FAULTS %s", nl);
	snprintf(r->cell[COL_HINT], CELL, "HINT %s", nl);
	snprintf(r->cell[COL_REMOTE], CELL, "REMOTE");
	snprintf(r->cell[COL_RESREM], CELL, "RES-REM");
	snprintf(r->cell[COL_FIRST], CELL, "FIRST-TOUCH %s", nl);
	snprintf(r->cell[COL_RES], CELL, "RESIDENT %s", nl);
	snprintf(r->cell[COL_HINT_LR], CELL, "HINT loc/rem");
	snprintf(r->cell[COL_MIGRATED], CELL, "MIGRATED");
	snprintf(r->cell[COL_MIGFAIL], CELL, "MIG-FAIL");
	snprintf(r->cell[COL_STALL], CELL, "STALL-ms");
	snprintf(r->cell[COL_MOVES], CELL, "NUMA-MOVES");
	snprintf(r->cell[COL_IPI], CELL, "IPI-ms");
	snprintf(r->cell[COL_SCAN], CELL, "SCAN-ms");

	for (int i = 0; i < nr; i++) {
		const struct nl_process *p = order[i];
		if (!(r = grid_row(&g, NL_LINE_PLAIN)))
			goto cleanup;
		snprintf(r->cell[COL_ID], CELL, "%" PRIu32, p->pid);
		comm_cell(r->cell[COL_COMM], p->comm, "");
		const uint64_t *resident = p->resident_known ? p->resident_pages : NULL;
		fill_counts(r, &p->c, n, s->interval_ns, resident);
		if (p->resident_known)
			join_nodes(r->cell[COL_RES], n, p->resident_pages, fmt_count_cell, 0);
		else
			snprintf(r->cell[COL_RES], CELL, "?");
		if (!threads || p->nr_threads == 0)
			continue;

		tord = malloc((size_t)p->nr_threads * sizeof(*tord));
		if (!tord)
			goto cleanup;
		for (int t = 0; t < p->nr_threads; t++)
			tord[t] = &p->threads[t];
		qsort(tord, (size_t)p->nr_threads, sizeof(*tord), cmp_thread);
		for (int t = 0; t < p->nr_threads; t++) {
			const struct nl_thread *th = tord[t];
			if (!(r = grid_row(&g, NL_LINE_DIM)))
				goto cleanup;
			snprintf(r->cell[COL_ID], CELL, "  %" PRIu32, th->tid);
			comm_cell(r->cell[COL_COMM], th->comm, th->exited ? " (exited)" : "");
			fill_counts(r, &th->c, n, s->interval_ns, resident);
			/* residency is a property of the address space, not of a thread:
			 * the cell stays empty */
		}
		free(tord);
		tord = NULL;
	}
	err = grid_lines(&g, g.shown, out);
	if (err || !autonuma_table_shown(s))
		goto cleanup;

	/* The AutoNUMA table: same rows in the same order, its own columns. */
	bool an[NCOLS] = { false };
	an[COL_ID] = an[COL_COMM] = true;
	an[COL_HINT_LR] = source_active(s, NL_SRC_HINT_FAULTS);
	an[COL_MIGRATED] = an[COL_MIGFAIL] = an[COL_STALL] = source_active(s, NL_SRC_MIGRATIONS);
	an[COL_MOVES] = source_active(s, NL_SRC_NUMA_SCHED);
	an[COL_IPI] = source_active(s, NL_SRC_TLB);
	an[COL_SCAN] = source_active(s, NL_SRC_NUMA_SCAN);
	err = -ENOMEM;
	if (addf(out, NL_LINE_PLAIN, "%s", "") ||
	    addf(out, NL_LINE_TITLE, "AutoNUMA, this %s:", s->interval_ns ? "interval" : "recording"))
		goto cleanup;
	err = grid_lines(&g, an, out);
cleanup:
	free(tord);
	free(g.rows);
	return err;
}

/* ---- access matrix ---- */

/* Row `row` of vals (and of hint, unless NULL) over the nodes shown. */
static int matrix_row(struct nl_lines *out, const char *label, const struct nodes *n,
		      const struct nl_mat *vals, const struct nl_mat *hint, int row, int w)
{
	char buf[2 * NL_MAX_NODES * 16 + 64];
	size_t off = (size_t)snprintf(buf, sizeof(buf), "  %-8s", label);

	for (int c = 0; c < n->nr; c++) {
		char v[24];
		fmt_count(v, sizeof(v), nl_mat_at(vals, (unsigned)row, (unsigned)n->id[c]));
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, " %*s", w, v);
	}
	if (hint) {
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "   |");
		for (int c = 0; c < n->nr; c++) {
			char v[24];
			fmt_count(v, sizeof(v), nl_mat_at(hint, (unsigned)row, (unsigned)n->id[c]));
			off += (size_t)snprintf(buf + off, sizeof(buf) - off, " %*s", w, v);
		}
	}
	return addf(out, NL_LINE_PLAIN, "%s", buf);
}

/* Faults the access program could not place in the matrix. A hinting fault allocates
 * no page, so AutoNUMA's hinting faults are among them: with hint counts available
 * say how many (capped: the two programs do not see exactly the same faults). */
static int unresolved_note(const struct nl_counts *c, bool hint, int width, struct nl_lines *out)
{
	uint64_t n = c->faults_unresolved, m = nl_mat_sum(&c->hint_faults);
	char buf[256];

	if (!hint)
		snprintf(buf, sizeof(buf), "%" PRIu64 " faults whose page node is unknown (not in the matrix)", n);
	else if ((m = m > n ? n : m) == 0)
		snprintf(buf, sizeof(buf), "%" PRIu64 " faults that placed no page (none of them AutoNUMA "
			 "hinting faults)", n);
	else if (m == n)
		snprintf(buf, sizeof(buf), "%" PRIu64 " faults that placed no page (all AutoNUMA hinting "
			 "faults, shown in the right-hand matrix)", n);
	else
		snprintf(buf, sizeof(buf), "%" PRIu64 " faults that placed no page (%" PRIu64 " of them AutoNUMA "
			 "hinting faults, shown in the right-hand matrix)", n, m);
	return nl_lines_add_wrapped(out, NL_LINE_PLAIN, "  + ", buf, width);
}

/* "  of them mapped pages already there (mapped_faults): n1->n0 1024": the cells of
 * faults_mapped, which are in the matrix above but are not first touches. */
static int mapped_note(const struct nodes *n, const struct nl_process *p, int width,
		       struct nl_lines *out)
{
	char line[512];
	size_t off = 0;

	for (int a = 0; a < n->nr; a++)
		for (int b = 0; b < n->nr; b++) {
			uint64_t v = nl_mat_at(&p->c.faults_mapped, n->id[a], n->id[b]);
			if (v && off < sizeof(line))
				off += (size_t)snprintf(line + off, sizeof(line) - off, "%scpu n%d -> page n%d %"
							PRIu64, off ? ", " : "", n->id[a], n->id[b], v);
		}
	if (!off)
		return 0;
	return nl_lines_add_wrapped(out, NL_LINE_PLAIN, "  of them mapping pages already there: ",
				    line, width);
}

/* "  hugetlb pages resident: n1 32 (64.0 MiB)": the pool's pages among resident_pages. */
static int huge_note(const struct nodes *n, const struct nl_process *p, int width,
		     struct nl_lines *out)
{
	char line[512];
	size_t off = 0;

	if (!p->resident_known)
		return 0;
	for (int a = 0; a < n->nr; a++) {
		int id = n->id[a];
		if (p->resident_huge_pages[id] && off < sizeof(line))
			off += (size_t)snprintf(line + off, sizeof(line) - off, "%sn%d %" PRIu64 " (%.1f MiB)",
						off ? ", " : "", id, p->resident_huge_pages[id],
						(double)p->resident_huge_kb[id] / 1024.0);
	}
	if (!off)
		return 0;
	return nl_lines_add_wrapped(out, NL_LINE_PLAIN, "  hugetlb pages resident: ", line, width);
}

static const char *reason_label(const char *name, int r, char *buf, size_t len)
{
	if (name && name[0])
		return name;
	snprintf(buf, len, "reason_%d", r);
	return buf;
}

/* "  by reason: numa_misplaced 4096 (stall 138.6 ms); compaction 12 (3 failed, ...)" */
static int migrations_by_reason(const struct nl_counts *c, const struct nl_enum_names *names,
				int width, struct nl_lines *out)
{
	char line[1024], name[24], stall[32];
	size_t off = 0;

	for (int r = 0; r < NL_MIGRATE_REASONS; r++) {
		uint64_t ok = c->migrate_pages_by_reason[r], bad = c->migrate_fail_by_reason[r];
		uint64_t ns = c->migrate_stall_ns_by_reason[r];
		if ((!ok && !bad && !ns) || off >= sizeof(line))
			continue;
		fmt_ns(stall, sizeof(stall), ns);
		off += (size_t)snprintf(line + off, sizeof(line) - off, "%s%s %" PRIu64 " (", off ? "; " : "",
					reason_label(names->migrate_reason[r], r, name, sizeof(name)), ok);
		if (bad && off < sizeof(line))
			off += (size_t)snprintf(line + off, sizeof(line) - off, "%" PRIu64 " failed, ", bad);
		if (off < sizeof(line))
			off += (size_t)snprintf(line + off, sizeof(line) - off, "stall %s)", stall);
	}
	if (!off)
		return 0;
	return nl_lines_add_wrapped(out, NL_LINE_PLAIN, "  migrations by reason: ", line, width);
}

/* Upper bound of log2 bucket b, [2^b, 2^(b+1)) ns. */
static void fmt_bucket_hi(char *buf, size_t len, int b)
{
	if (b >= NL_HIST_BUCKETS - 1)
		snprintf(buf, len, ">=2.1 s");
	else
		fmt_ns(buf, len, (uint64_t)1 << (b + 1));
}

/* The stall histogram in three figures: the log2 buckets holding the median, the 99th
 * percentile and the slowest migrate_pages() call, each given by its upper bound. */
static int stall_summary(const struct nl_counts *c, int width, struct nl_lines *out)
{
	uint64_t calls = 0, acc = 0;
	int p50 = -1, p99 = -1, max = -1;
	char a[32], b[32], m[32];

	for (int i = 0; i < NL_HIST_BUCKETS; i++) {
		calls += c->migrate_stall_hist[i];
		if (c->migrate_stall_hist[i])
			max = i;
	}
	if (!calls)
		return 0;
	for (int i = 0; i < NL_HIST_BUCKETS; i++) {
		acc += c->migrate_stall_hist[i];
		if (p50 < 0 && acc * 2 >= calls)
			p50 = i;
		if (p99 < 0 && acc * 100 >= calls * 99)
			p99 = i;
	}
	fmt_bucket_hi(a, sizeof(a), p50);
	fmt_bucket_hi(b, sizeof(b), p99);
	fmt_bucket_hi(m, sizeof(m), max);
	char buf[256];
	snprintf(buf, sizeof(buf), "%" PRIu64 " call%s, p50 < %s, p99 < %s, max < %s", calls,
		 calls == 1 ? "" : "s", a, b, m);
	return nl_lines_add_wrapped(out, NL_LINE_PLAIN, "  migrate_pages() stall: ", buf, width);
}

/* What AutoNUMA's bookkeeping cost the process: task moves, TLB shootdowns, IPIs and
 * scanner time; only when any of it happened. */
static int autonuma_cost(const struct nl_counts *c, const struct nl_enum_names *names, int width,
			 struct nl_lines *out)
{
	uint64_t tlb = 0;
	char line[512], name[24], t1[32], t2[32];
	size_t off = 0;

	for (int r = 0; r < NL_TLB_REASONS; r++)
		tlb += c->tlb_shootdowns[r];
	if (c->numa_task_swaps || c->numa_task_sticks) /* the moves are on the line above */
		off += (size_t)snprintf(line + off, sizeof(line) - off,
					"NUMA task swaps %" PRIu64 ", sticks %" PRIu64 " (moves that did not happen)",
					c->numa_task_swaps, c->numa_task_sticks);
	if (tlb || c->tlb_autonuma_sent || c->tlb_autonuma_recv) {
		off += (size_t)snprintf(line + off, sizeof(line) - off, "%sTLB shootdowns", off ? "; " : "");
		for (int r = 0; r < NL_TLB_REASONS && off < sizeof(line); r++)
			if (c->tlb_shootdowns[r])
				off += (size_t)snprintf(line + off, sizeof(line) - off, " %s %" PRIu64,
							reason_label(names->tlb_reason[r], r, name, sizeof(name)),
							c->tlb_shootdowns[r]);
		if (off < sizeof(line))
			off += (size_t)snprintf(line + off, sizeof(line) - off,
						" (AutoNUMA sent %" PRIu64 ", received %" PRIu64 ")",
						c->tlb_autonuma_sent, c->tlb_autonuma_recv);
	}
	if (c->ipi_count && off < sizeof(line)) {
		fmt_ns(t1, sizeof(t1), c->ipi_ns);
		fmt_ns(t2, sizeof(t2), c->ipi_autonuma_ns);
		off += (size_t)snprintf(line + off, sizeof(line) - off, "%sIPIs %" PRIu64 " (%s, AutoNUMA %s)",
					off ? "; " : "", c->ipi_count, t1, t2);
	}
	if (c->numa_scan_count && off < sizeof(line)) {
		fmt_ns(t1, sizeof(t1), c->numa_scan_ns);
		off += (size_t)snprintf(line + off, sizeof(line) - off, "%sscanner %" PRIu64 " run%s, %s",
					off ? "; " : "", c->numa_scan_count, c->numa_scan_count == 1 ? "" : "s", t1);
	}
	if (!off)
		return 0;
	return nl_lines_add_wrapped(out, NL_LINE_PLAIN, "  cost: ", line, width);
}

static int access_matrix(const struct nl_snapshot *s, const struct nodes *n,
			 const struct nl_process *p, int width, struct nl_lines *out)
{
	bool hint = source_active(s, NL_SRC_HINT_FAULTS);
	const int w = 9;
	char head[2 * NL_MAX_NODES * 16 + 64];
	size_t off;

	if (addf(out, NL_LINE_TITLE, "access matrix of %" PRIu32 " (%.*s), CPU node x page node: %s",
		 p->pid, NL_COMM_LEN, p->comm, hint ? "page faults | AutoNUMA hint faults" : "page faults"))
		return -ENOMEM;
	off = (size_t)snprintf(head, sizeof(head), "  %-8s", "");
	for (int pass = 0; pass < (hint ? 2 : 1); pass++) {
		if (pass)
			off += (size_t)snprintf(head + off, sizeof(head) - off, "   |");
		for (int c = 0; c < n->nr; c++) {
			char lab[16];
			snprintf(lab, sizeof(lab), "page n%d", n->id[c]);
			off += (size_t)snprintf(head + off, sizeof(head) - off, " %*s", w, lab);
		}
	}
	if (addf(out, NL_LINE_TITLE, "%s", head))
		return -ENOMEM;
	for (int r = 0; r < n->nr; r++) {
		char lab[16];
		snprintf(lab, sizeof(lab), "cpu n%d", n->id[r]);
		if (matrix_row(out, lab, n, &p->c.faults, hint ? &p->c.hint_faults : NULL, n->id[r], w))
			return -ENOMEM;
	}
	if (p->c.faults_unresolved && unresolved_note(&p->c, hint, width, out))
		return -ENOMEM;
	if (mapped_note(n, p, width, out) || huge_note(n, p, width, out))
		return -ENOMEM;

	/* AutoNUMA's page migrations, only when there were any. */
	uint64_t migrated = nl_mat_sum(&p->c.migrated_pages);
	if (migrated || p->c.migrate_stall_ns || p->c.numa_task_moves) {
		char line[512], stall[32];
		off = (size_t)snprintf(line, sizeof(line), "  migrated pages:");
		for (int a = 0; a < n->nr; a++)
			for (int b = 0; b < n->nr; b++) {
				uint64_t v = nl_mat_at(&p->c.migrated_pages, n->id[a], n->id[b]);
				if (v && off < sizeof(line))
					off += (size_t)snprintf(line + off, sizeof(line) - off, " n%d->n%d %" PRIu64,
								n->id[a], n->id[b], v);
			}
		if (!migrated && off < sizeof(line))
			off += (size_t)snprintf(line + off, sizeof(line) - off, " 0");
		fmt_ns(stall, sizeof(stall), p->c.migrate_stall_ns);
		if (off < sizeof(line))
			snprintf(line + off, sizeof(line) - off, "; stalled %s; NUMA task moves %" PRIu64,
				 stall, p->c.numa_task_moves);
		if (addf(out, NL_LINE_PLAIN, "%s", line))
			return -ENOMEM;
	}
	if (migrations_by_reason(&p->c, &s->names, width, out) || stall_summary(&p->c, width, out) ||
	    autonuma_cost(&p->c, &s->names, width, out))
		return -ENOMEM;
	return 0;
}

/* ---- trend ---- */

#define TREND_LABEL 22
#define TREND_CELL 7

static void fmt_trend(char *buf, size_t len, const struct nl_trend_point *pt, int metric)
{
	double v = NAN;

	if (pt->present) {
		switch (metric) {
		case 0: v = pt->resident_remote; break;
		case 1: v = pt->remote_ratio; break;
		case 2: v = pt->hint_remote; break;
		case 3: v = pt->migrated_per_s; break;
		default: v = (double)pt->migrate_stall_ns / 1e6; break;
		}
	}
	if (isnan(v))
		snprintf(buf, len, "-");
	else if (metric <= 2)
		snprintf(buf, len, "%.2f", v);
	else if (metric == 3)
		snprintf(buf, len, v < 99999.5 ? "%.0f" : "%.3g", v);
	else
		snprintf(buf, len, v < 999.95 ? "%.1f" : "%.0f", v);
}

/* One line per figure over the last intervals, oldest first, as many as fit in width:
 *   trend of 107 (init), last 6 intervals, oldest first:
 *     resident remote~        0.62   0.85   0.61 ...   */
static int trend(const struct nl_trend *t, const struct nl_process *p, int width, struct nl_lines *out)
{
	static const char *const label[] = {
		"resident remote (est)", "remote ratio", "hint remote share", "migrated pages/s",
		"migration stall ms",
	};
	const struct nl_trend_series *ser = nl_trend_find(t, p->pid);
	int fit = (width - TREND_LABEL - 2) / TREND_CELL;

	if (!ser || ser->nr < 2)
		return 0; /* one point is no trend */
	if (fit < 2)
		fit = 2;
	int nr = ser->nr < fit ? ser->nr : fit, first = ser->nr - nr;

	if (addf(out, NL_LINE_TITLE, "trend of %" PRIu32 " (%.*s), last %d intervals, oldest first:", p->pid,
		 NL_COMM_LEN, p->comm, nr))
		return -ENOMEM;
	for (int m = 0; m < (int)(sizeof(label) / sizeof(label[0])); m++) {
		char line[TREND_LABEL + 4 + NL_TREND_LEN * (TREND_CELL + 8)];
		size_t off = (size_t)snprintf(line, sizeof(line), "  %-*s", TREND_LABEL, label[m]);
		for (int i = first; i < ser->nr && off < sizeof(line); i++) {
			char v[24];
			fmt_trend(v, sizeof(v), nl_trend_point(ser, i), m);
			off += (size_t)snprintf(line + off, sizeof(line) - off, "%*s", TREND_CELL, v);
		}
		if (addf(out, NL_LINE_PLAIN, "%s", line))
			return -ENOMEM;
	}
	return 0;
}

/* ---- AutoNUMA state and the /proc/vmstat cross-check ---- */

/* "4096 = 4096" or "4000 vs 4096": the /proc/vmstat figure first, then BPF's. */
static void pair(char *buf, size_t len, uint64_t vm, uint64_t bpf)
{
	snprintf(buf, len, "%" PRIu64 " %s %" PRIu64, vm, vm == bpf ? "=" : "vs", bpf);
}

static int autonuma_header(const struct nl_snapshot *s, int width, struct nl_lines *out)
{
	const struct nl_vmstat_check *v = &s->vmstat;
	char h[48], l[48], m[48], buf[sizeof(v->note) + 3 * 48 + 96];

	if (s->autonuma_state[0] && addf(out, NL_LINE_PLAIN, "%s", s->autonuma_state))
		return -ENOMEM;
	if (!v->valid || !v->bpf_valid) {
		if (!v->note[0])
			return 0;
		return nl_lines_add_wrapped(out, NL_LINE_DIM, "vmstat check: ", v->note, width);
	}
	pair(h, sizeof(h), v->hint_faults, v->bpf_hint_faults);
	pair(l, sizeof(l), v->hint_faults_local, v->bpf_hint_faults_local);
	pair(m, sizeof(m), v->pages_migrated, v->bpf_pages_migrated);
	if (v->disagree) {
		snprintf(buf, sizeof(buf), "%s (this interval: hint faults %s, local %s, migrated %s)", v->note,
			 h, l, m);
		return nl_lines_add_wrapped(out, NL_LINE_WARN, "vmstat check: DISAGREE: ", buf, width);
	}
	snprintf(buf, sizeof(buf), "agree (hint faults %s, local %s, migrated %s)%s%s", h, l, m,
		 strncmp(v->note, "agree", 5) ? "; " : "", strncmp(v->note, "agree", 5) ? v->note : "");
	return nl_lines_add_wrapped(out, NL_LINE_PLAIN, "vmstat check: ", buf, width);
}

/* ---- diagnosis ---- */

static const struct nl_thread *find_thread(const struct nl_process *p, uint32_t tid)
{
	for (int i = 0; i < p->nr_threads; i++)
		if (p->threads[i].tid == tid)
			return &p->threads[i];
	return NULL;
}

static int diagnosis(const struct nl_process *p, int width, struct nl_lines *out)
{
	const struct nl_diagnosis *d = &p->diag;
	const struct nl_thread *init = find_thread(p, d->init_tid);
	char buf[512];

	if (addf(out, NL_LINE_DIAG, "DIAGNOSIS %" PRIu32 " (%.*s): first-touch bug", p->pid,
		 NL_COMM_LEN, p->comm))
		return -ENOMEM;
	/* the diagnosis text states the shares; say them ourselves only without one */
	if (d->text[0])
		snprintf(buf, sizeof(buf), "%s", d->text);
	else
		snprintf(buf, sizeof(buf),
			 "%.0f%% of its resident pages are on node %d while %.0f%% of its CPU time is on node %d.",
			 d->resident_share * 100.0, d->mem_node, d->cpu_share * 100.0, d->cpu_node);
	if (nl_lines_add_wrapped(out, NL_LINE_DIAG, "  ", buf, width))
		return -ENOMEM;
	if (addf(out, NL_LINE_DIAG, "  pages first touched by thread %" PRIu32 " (%.*s)%s", d->init_tid,
		 NL_COMM_LEN, d->init_comm,
		 init && init->first_touch_stack && init->first_touch_stack->nr ? " at:" : " (no stack)"))
		return -ENOMEM;
	for (int i = 0; init && init->first_touch_stack && i < init->first_touch_stack->nr &&
			i < NL_MAX_FRAMES; i++) {
		const struct nl_frame *f = &init->first_touch_stack->frames[i];
		int rc = f->symbol ? addf(out, NL_LINE_DIAG, "    %s (%s)", f->symbol, f->module ? f->module : "?")
				   : addf(out, NL_LINE_DIAG, "    0x%" PRIx64 " (%s)", f->ip,
					  f->module ? f->module : "?");
		if (rc)
			return -ENOMEM;
	}
	if (init && init->first_touch_stack && init->first_touch_stack->cut &&
	    addf(out, NL_LINE_DIAG, "    (stack cut: the next frame pointed into no mapping)"))
		return -ENOMEM;
	if (d->fix[0] && nl_lines_add_wrapped(out, NL_LINE_DIAG, "  fix: ", d->fix, width))
		return -ENOMEM;
	return 0;
}

/* ---- legend ---- */

static int lost_line(const struct nl_snapshot *s, struct nl_lines *out)
{
	if (s->lost_events)
		return addf(out, NL_LINE_WARN,
			    "lost events: %" PRIu64 " (BPF maps or ring buffer full: counts above are lower bounds)",
			    s->lost_events);
	return addf(out, NL_LINE_DIM, "lost events: 0");
}

static int legend(const struct nl_snapshot *s, int width, struct nl_lines *out)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	int rc;

	if (!m)
		return -ENOMEM;
	for (int i = 0; i < NL_SRC_MAX; i++) {
		const struct nl_source_state *src = &s->sources[i];
		if (!src->known)
			continue;
		fprintf(m, "%s%s: %s%s%s", ftell(m) ? "; " : "", nl_source_name(i),
			src->active ? "" : "off (", src->detail ? src->detail : "",
			src->active ? "" : ")");
	}
	if (fclose(m) || !buf)
		return -ENOMEM;
	rc = nl_lines_add_wrapped(out, NL_LINE_DIM, "sources: ", len ? buf : "none reported", width);
	free(buf);
	if (rc)
		return -ENOMEM;
	if (nl_lines_add_wrapped(out, NL_LINE_DIM, "columns: ",
			"n0/n1/... = per node; CPU% of one CPU (CPU-s: seconds); FAULTS, HINT by node of "
			"the page; REMOTE = remote / all classified faults, (in parentheses) when under "
			"half of the faults are classified (the rest: page node unknown); FAULTS include "
			"faults that mapped a page already there (mapped_faults); "
			"RES-REM = ESTIMATE from "
			"residency x sched, not measured: the share of accesses that would be remote if "
			"each node's CPU time touched the resident pages uniformly; FIRST-TOUCH = pages "
			"placed by a first touch (hugetlb pool pages in 4 KiB pages); RESIDENT = numa_maps "
			"now, hugetlb pages in 4 KiB pages too (listed by node under the matrix), ? unknown",
			width))
		return -ENOMEM;
	if (autonuma_table_shown(s) &&
	    nl_lines_add_wrapped(out, NL_LINE_DIM, "AutoNUMA: ",
			"HINT loc/rem = hinting faults on a page of the CPU's node / of another node; "
			"MIGRATED = pages moved (every reason) and the main from->to; MIG-FAIL = pages "
			"that failed to move; STALL-ms = time the threads spent in migrate_pages(); "
			"NUMA-MOVES = AutoNUMA task moves (swaps); IPI-ms = time in call-function IPIs; "
			"SCAN-ms = AutoNUMA's scanner (task_numa_work); stall p50/p99/max = upper bounds of "
			"log2 buckets; vmstat check = system-wide /proc/vmstat = BPF totals, this "
			"interval (disagreement is judged on the totals since start)",
			width))
		return -ENOMEM;
	return lost_line(s, out);
}

/* ---- the whole table ---- */

/* Where a report's figures come from: the file, the machine and kernel that recorded
 * it, the window, and what was lost. */
static int recording_header(const struct nl_recording *r, int width, struct nl_lines *out)
{
	char line[1024];

	if (!r)
		return 0;
	snprintf(line, sizeof(line),
		 "%s: recorded on %s (%s, %s) by numalens %s, following %s; %.3f s to %.3f s, "
		 "%" PRIu64 " intervals", r->file ? r->file : "?", r->hostname ? r->hostname : "?",
		 r->kernel_release ? r->kernel_release : "?", r->machine ? r->machine : "?",
		 r->version ? r->version : "?", r->target ? r->target : "?", r->from_ns / 1e9,
		 r->to_ns / 1e9, r->intervals);
	if (nl_lines_add_wrapped(out, NL_LINE_DIM, "recording: ", line, width))
		return -ENOMEM;
	if (!r->truncated && !r->problem)
		return 0;
	snprintf(line, sizeof(line), "%s%s%s", r->truncated ? "the file ends early" : "",
		 r->truncated && r->problem ? ": " : "", r->problem ? r->problem : "");
	return nl_lines_add_wrapped(out, NL_LINE_WARN, "incomplete: ", line, width);
}

/* top --request: the interval's percentiles (exact from the requests when they were
 * read, else from BPF's histogram) and the causes of its tail, largest first. */
static int requests_lines(const struct nl_snapshot *s, struct nl_lines *out)
{
	const struct nl_rq_summary *m = s->rq_summary;
	const struct nl_rq_hist *h = &s->rq.hist;
	char p50[16], p99[16], p999[16], causes[256] = "";
	uint64_t n = m ? m->count : h->count;

	fmt_ns(p50, sizeof(p50), m ? m->p50_ns : nl_rq_hist_quantile(h, 0.5));
	fmt_ns(p99, sizeof(p99), m ? m->p99_ns : nl_rq_hist_quantile(h, 0.99));
	fmt_ns(p999, sizeof(p999), m ? m->p999_ns : nl_rq_hist_quantile(h, 0.999));
	if (addf(out, NL_LINE_PLAIN, "requests %" PRIu64 "   p50 %s   p99 %s   p99.9 %s   lost %" PRIu64,
		 n, n ? p50 : "-", n ? p99 : "-", (m ? m->have_p999 : n >= 1000) ? p999 : "-",
		 s->rq.drops[NL_RQ_DROP_THREAD] + s->rq.drops[NL_RQ_DROP_EVENT]))
		return -ENOMEM;
	if (!m || !m->tail.count)
		return 0;
	bool used[NL_RQ_CAUSES] = { false };
	for (int k = 0; k < 3; k++) { /* the three largest shares */
		int best = -1;
		for (int c = 1; c < NL_RQ_CAUSES; c++)
			if (!used[c] && m->tail.share[c] > 0.005 &&
			    (best < 0 || m->tail.share[c] > m->tail.share[best]))
				best = c;
		if (best < 0)
			break;
		used[best] = true;
		size_t off = strlen(causes);
		snprintf(causes + off, sizeof(causes) - off, "%s %s %.0f%%", k ? "," : "",
			 nl_rq_cause_names[best], 100.0 * m->tail.share[best]);
	}
	return addf(out, NL_LINE_PLAIN, "tail (%" PRIu64 " above p99) over the median request:%s%s",
		    m->tail.count, causes[0] ? causes : " its own on-CPU work",
		    causes[0] ? "" : "");
}

int nl_table_render(const struct nl_snapshot *s, const struct nl_table_opts *opts,
		    struct nl_lines *out)
{
	struct nodes n;
	const struct nl_process **order = NULL;
	int width = opts->width > 0 ? opts->width : 80;
	int nmatrix = opts->matrix_procs > 0 ? opts->matrix_procs : 1;
	char nodes_str[NL_MAX_NODES * 4 + 8] = "", when[32];
	int err = -ENOMEM;

	nodes_init(&n, &s->topo);
	for (int i = 0; i < n.nr; i++) {
		size_t off = strlen(nodes_str);
		snprintf(nodes_str + off, sizeof(nodes_str) - off, "%s%d", i ? "," : "", n.id[i]);
	}
	if (s->interval_ns)
		snprintf(when, sizeof(when), "interval %.2f s", (double)s->interval_ns / 1e9);
	else
		snprintf(when, sizeof(when), "whole recording");
	if (addf(out, NL_LINE_PLAIN, "%s   nodes %s   numa_balancing %s   %d process%s", when,
		 n.nr ? nodes_str : "?",
		 s->numa_balancing < 0 ? "unknown" : s->numa_balancing ? "on" : "off", s->nr_procs,
		 s->nr_procs == 1 ? "" : "es"))
		return -ENOMEM;
	if (recording_header(s->recording, width, out) || autonuma_header(s, width, out))
		return -ENOMEM;
	if (s->rq.valid && !s->recording && requests_lines(s, out))
		return -ENOMEM;
	if (addf(out, NL_LINE_PLAIN, "%s", ""))
		return -ENOMEM;

	if (s->nr_procs > 0) {
		order = malloc((size_t)s->nr_procs * sizeof(*order));
		if (!order)
			return -ENOMEM;
		for (int i = 0; i < s->nr_procs; i++)
			order[i] = &s->procs[i];
		qsort(order, (size_t)s->nr_procs, sizeof(*order), cmp_proc);
		if (process_table(s, &n, order, s->nr_procs, opts->threads, out))
			goto cleanup;
	} else if (addf(out, NL_LINE_PLAIN, "no activity from the followed processes in this interval")) {
		goto cleanup;
	}

	for (int i = 0, shown = 0; i < s->nr_procs && shown < nmatrix; i++) {
		if (!activity(&order[i]->c))
			break; /* sorted: nobody after this one has accesses either */
		if (addf(out, NL_LINE_PLAIN, "%s", "") || access_matrix(s, &n, order[i], width, out))
			goto cleanup;
		shown++;
	}
	/* Trends of the same (busiest) processes, even in an interval without accesses:
	 * a process that went quiet is part of its trend. */
	for (int i = 0; opts->trend && i < s->nr_procs && i < nmatrix; i++) {
		int before = out->nr;
		if (addf(out, NL_LINE_PLAIN, "%s", "") || trend(opts->trend, order[i], width, out))
			goto cleanup;
		if (out->nr == before + 1) { /* no trend: take the blank line back */
			free(out->v[--out->nr].text);
		}
	}
	for (int i = 0; i < s->nr_procs; i++) {
		if (order[i]->diag.kind != NL_DIAG_FIRST_TOUCH_BUG)
			continue;
		if (addf(out, NL_LINE_PLAIN, "%s", "") || diagnosis(order[i], width, out))
			goto cleanup;
	}
	if (addf(out, NL_LINE_PLAIN, "%s", "") ||
	    (opts->brief_legend ? lost_line(s, out) : legend(s, width, out)))
		goto cleanup;
	err = 0;
cleanup:
	free(order);
	return err;
}

int nl_table_render_detail(const struct nl_snapshot *s, const struct nl_process *p,
			   const struct nl_table_opts *opts, struct nl_lines *out)
{
	int width = opts->width > 0 ? opts->width : 80;
	struct nodes n;

	nodes_init(&n, &s->topo);
	/* the diagnosis first: what is wrong and the initializer's stack, without scrolling */
	if (p->diag.kind == NL_DIAG_FIRST_TOUCH_BUG &&
	    (diagnosis(p, width, out) || addf(out, NL_LINE_PLAIN, "%s", "")))
		return -ENOMEM;
	if (process_table(s, &n, &p, 1, true, out) || addf(out, NL_LINE_PLAIN, "%s", "") ||
	    access_matrix(s, &n, p, width, out))
		return -ENOMEM;
	if (opts->trend && (addf(out, NL_LINE_PLAIN, "%s", "") || trend(opts->trend, p, width, out)))
		return -ENOMEM;
	return 0;
}

int nl_table_render_legend(const struct nl_snapshot *s, int width, struct nl_lines *out)
{
	return legend(s, width > 0 ? width : 80, out);
}

int nl_render_table(const struct nl_snapshot *s, FILE *out, bool threads)
{
	struct nl_table_opts o = { .threads = threads };

	return nl_render_table_opts(s, &o, out);
}

int nl_render_table_opts(const struct nl_snapshot *s, const struct nl_table_opts *o, FILE *out)
{
	struct nl_lines l = { 0 };
	int err = nl_table_render(s, o, &l);

	if (!err)
		nl_lines_print(&l, out);
	nl_lines_free(&l);
	return err;
}
