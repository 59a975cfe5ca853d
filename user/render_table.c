#include "render_table.h"

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
static int add_wrapped(struct nl_lines *l, enum nl_line_style style, const char *lead,
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
static void by_page_node(const uint64_t m[NL_MAX_NODES][NL_MAX_NODES], uint64_t out[NL_MAX_NODES])
{
	for (int c = 0; c < NL_MAX_NODES; c++) {
		out[c] = 0;
		for (int r = 0; r < NL_MAX_NODES; r++)
			out[c] += m[r][c];
	}
}

static uint64_t sum_matrix(const uint64_t m[NL_MAX_NODES][NL_MAX_NODES])
{
	uint64_t s = 0;
	for (int r = 0; r < NL_MAX_NODES; r++)
		for (int c = 0; c < NL_MAX_NODES; c++)
			s += m[r][c];
	return s;
}

static uint64_t sum_vec(const uint64_t v[NL_MAX_NODES])
{
	uint64_t s = 0;
	for (int i = 0; i < NL_MAX_NODES; i++)
		s += v[i];
	return s;
}

static bool source_active(const struct nl_snapshot *s, const char *name)
{
	for (int i = 0; i < s->nr_sources && i < NL_MAX_SOURCES; i++)
		if (s->sources[i].name && !strcmp(s->sources[i].name, name))
			return s->sources[i].active;
	return false;
}

/* ---- ordering: busiest first ---- */

static uint64_t activity(const struct nl_counts *c)
{
	return sum_matrix(c->faults) + sum_matrix(c->hint_faults) + c->faults_unresolved;
}

static int cmp_counts(const struct nl_counts *a, const struct nl_counts *b, uint32_t ida, uint32_t idb)
{
	uint64_t xa = activity(a), xb = activity(b);
	if (xa != xb)
		return xa > xb ? -1 : 1;
	xa = sum_vec(a->cpu_ns);
	xb = sum_vec(b->cpu_ns);
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

enum { COL_ID, COL_COMM, COL_CPU, COL_FAULTS, COL_HINT, COL_REMOTE, COL_FIRST, COL_RES, NCOLS };

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

static void fill_counts(struct row *r, const struct nl_counts *c, const struct nodes *n,
			uint64_t interval_ns)
{
	uint64_t v[NL_MAX_NODES];

	join_nodes(r->cell[COL_CPU], n, c->cpu_ns, fmt_cpu_cell, interval_ns);
	by_page_node(c->faults, v);
	join_nodes(r->cell[COL_FAULTS], n, v, fmt_count_cell, 0);
	by_page_node(c->hint_faults, v);
	join_nodes(r->cell[COL_HINT], n, v, fmt_count_cell, 0);
	fmt_ratio(r->cell[COL_REMOTE], CELL, nl_remote_ratio(c));
	join_nodes(r->cell[COL_FIRST], n, c->first_touch_pages, fmt_count_cell, 0);
}

static int grid_lines(const struct grid *g, struct nl_lines *out)
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
			if (!g->shown[c])
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

static int process_table(const struct nl_snapshot *s, const struct nodes *n,
			 const struct nl_process *const *order, bool threads, struct nl_lines *out)
{
	struct grid g = { 0 };
	char nl[NL_MAX_NODES * 4 + 1] = "";
	const struct nl_thread **tord = NULL;
	int err = -ENOMEM;

	for (int i = 0; i < n->nr; i++) {
		size_t off = strlen(nl);
		snprintf(nl + off, sizeof(nl) - off, "%sn%d", i ? "/" : "", n->id[i]);
	}
	for (int c = 0; c < NCOLS; c++)
		g.shown[c] = true;
	g.left[COL_ID] = g.left[COL_COMM] = true;
	/* AutoNUMA's hinting faults only exist when it runs: no column of zeros that
	 * would read as "measured, none". The legend says why it is missing. */
	g.shown[COL_HINT] = source_active(s, "hint_faults");

	struct row *r = grid_row(&g, NL_LINE_TITLE);
	if (!r)
		goto cleanup;
	snprintf(r->cell[COL_ID], CELL, threads ? "PID/TID" : "PID");
	snprintf(r->cell[COL_COMM], CELL, "COMM");
	snprintf(r->cell[COL_CPU], CELL, "%s %s", s->interval_ns ? "CPU%" : "CPU-s", nl);
	snprintf(r->cell[COL_FAULTS], CELL, "FAULTS %s", nl);
	snprintf(r->cell[COL_HINT], CELL, "HINT %s", nl);
	snprintf(r->cell[COL_REMOTE], CELL, "REMOTE");
	snprintf(r->cell[COL_FIRST], CELL, "FIRST-TOUCH %s", nl);
	snprintf(r->cell[COL_RES], CELL, "RESIDENT %s", nl);

	for (int i = 0; i < s->nr_procs; i++) {
		const struct nl_process *p = order[i];
		if (!(r = grid_row(&g, NL_LINE_PLAIN)))
			goto cleanup;
		snprintf(r->cell[COL_ID], CELL, "%" PRIu32, p->pid);
		comm_cell(r->cell[COL_COMM], p->comm, "");
		fill_counts(r, &p->c, n, s->interval_ns);
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
			fill_counts(r, &th->c, n, s->interval_ns);
			/* residency is a property of the address space, not of a thread:
			 * the cell stays empty */
		}
		free(tord);
		tord = NULL;
	}
	err = grid_lines(&g, out);
cleanup:
	free(tord);
	free(g.rows);
	return err;
}

/* ---- access matrix ---- */

static int matrix_row(struct nl_lines *out, const char *label, const struct nodes *n,
		      const uint64_t *vals, const uint64_t *hint, int w)
{
	char buf[2 * NL_MAX_NODES * 16 + 64];
	size_t off = (size_t)snprintf(buf, sizeof(buf), "  %-8s", label);

	for (int c = 0; c < n->nr; c++) {
		char v[24];
		fmt_count(v, sizeof(v), vals[n->id[c]]);
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, " %*s", w, v);
	}
	if (hint) {
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "   |");
		for (int c = 0; c < n->nr; c++) {
			char v[24];
			fmt_count(v, sizeof(v), hint[n->id[c]]);
			off += (size_t)snprintf(buf + off, sizeof(buf) - off, " %*s", w, v);
		}
	}
	return addf(out, NL_LINE_PLAIN, "%s", buf);
}

static int access_matrix(const struct nl_snapshot *s, const struct nodes *n,
			 const struct nl_process *p, struct nl_lines *out)
{
	bool hint = source_active(s, "hint_faults");
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
		if (matrix_row(out, lab, n, p->c.faults[n->id[r]], hint ? p->c.hint_faults[n->id[r]] : NULL, w))
			return -ENOMEM;
	}
	if (p->c.faults_unresolved &&
	    addf(out, NL_LINE_PLAIN, "  + %" PRIu64 " faults whose page node is unknown (not in the matrix)",
		 p->c.faults_unresolved))
		return -ENOMEM;

	/* AutoNUMA's page migrations, only when there were any. */
	uint64_t migrated = sum_matrix(p->c.migrated_pages);
	if (migrated || p->c.migrate_stall_ns || p->c.numa_task_moves) {
		char line[512], stall[32];
		off = (size_t)snprintf(line, sizeof(line), "  migrated pages:");
		for (int a = 0; a < n->nr; a++)
			for (int b = 0; b < n->nr; b++) {
				uint64_t v = p->c.migrated_pages[n->id[a]][n->id[b]];
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
	return 0;
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
	if (add_wrapped(out, NL_LINE_DIAG, "  ", buf, width))
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
	if (d->fix[0] && add_wrapped(out, NL_LINE_DIAG, "  fix: ", d->fix, width))
		return -ENOMEM;
	return 0;
}

/* ---- legend ---- */

static int legend(const struct nl_snapshot *s, int width, struct nl_lines *out)
{
	char buf[NL_MAX_SOURCES * 180 + 16];
	size_t off = 0;

	buf[0] = '\0';
	for (int i = 0; i < s->nr_sources && i < NL_MAX_SOURCES; i++) {
		const struct nl_source_state *src = &s->sources[i];
		if (!src->name || off >= sizeof(buf))
			continue;
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s: %s%s%s", off ? "; " : "",
					src->name, src->active ? "" : "off (", src->detail,
					src->active ? "" : ")");
	}
	if (add_wrapped(out, NL_LINE_DIM, "sources: ", off ? buf : "none reported", width))
		return -ENOMEM;
	if (add_wrapped(out, NL_LINE_DIM, "columns: ",
			"n0/n1/... = per node; CPU% of one CPU (CPU-s: seconds); FAULTS, HINT by node of "
			"the page; REMOTE = remote / all classified faults; FIRST-TOUCH = pages placed by a "
			"first touch; RESIDENT = numa_maps now, ? unknown",
			width))
		return -ENOMEM;
	if (s->lost_events)
		return addf(out, NL_LINE_WARN,
			    "lost events: %" PRIu64 " (BPF maps or ring buffer full: counts above are lower bounds)",
			    s->lost_events);
	return addf(out, NL_LINE_DIM, "lost events: 0");
}

/* ---- the whole table ---- */

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
	if (addf(out, NL_LINE_PLAIN, "%s", ""))
		return -ENOMEM;

	if (s->nr_procs > 0) {
		order = malloc((size_t)s->nr_procs * sizeof(*order));
		if (!order)
			return -ENOMEM;
		for (int i = 0; i < s->nr_procs; i++)
			order[i] = &s->procs[i];
		qsort(order, (size_t)s->nr_procs, sizeof(*order), cmp_proc);
		if (process_table(s, &n, order, opts->threads, out))
			goto cleanup;
	} else if (addf(out, NL_LINE_PLAIN, "no activity from the followed processes in this interval")) {
		goto cleanup;
	}

	for (int i = 0, shown = 0; i < s->nr_procs && shown < nmatrix; i++) {
		if (!activity(&order[i]->c))
			break; /* sorted: nobody after this one has accesses either */
		if (addf(out, NL_LINE_PLAIN, "%s", "") || access_matrix(s, &n, order[i], out))
			goto cleanup;
		shown++;
	}
	for (int i = 0; i < s->nr_procs; i++) {
		if (order[i]->diag.kind != NL_DIAG_FIRST_TOUCH_BUG)
			continue;
		if (addf(out, NL_LINE_PLAIN, "%s", "") || diagnosis(order[i], width, out))
			goto cleanup;
	}
	if (addf(out, NL_LINE_PLAIN, "%s", "") || legend(s, width, out))
		goto cleanup;
	err = 0;
cleanup:
	free(order);
	return err;
}

int nl_render_table(const struct nl_snapshot *s, FILE *out, bool threads)
{
	struct nl_lines l = { 0 };
	struct nl_table_opts o = { .threads = threads };
	int err = nl_table_render(s, &o, &l);

	if (!err)
		nl_lines_print(&l, out);
	nl_lines_free(&l);
	return err;
}
