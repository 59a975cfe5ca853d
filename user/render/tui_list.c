/* Draws the process list: a title saying what is shown and how it is sorted, the
 * first-touch diagnosis in one line when there is one, column titles (the sorted one
 * underlined), and the rows around the selection. Columns that do not fit the
 * terminal are left out from the right, so a narrow terminal keeps PID, COMM, REMOTE
 * and NODES. */
#include "render/tui_int.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct column {
	const char *title;
	int width;
	enum tui_sort sort;  /* the key that sorts by it; SORT_MAX: none */
	void (*fmt)(char *buf, size_t len, const struct tui_row *r, const struct nl_snapshot *s);
};

static void rate(char *buf, size_t len, uint64_t v, const struct nl_snapshot *s)
{
	double r = s->interval_ns ? (double)v * 1e9 / (double)s->interval_ns : NAN;

	if (isnan(r))
		snprintf(buf, len, "-");
	else if (r < 99999.5)
		snprintf(buf, len, "%.0f", r);
	else
		snprintf(buf, len, "%.1fk", r / 1e3);
}

static void f_pid(char *b, size_t l, const struct tui_row *r, const struct nl_snapshot *s)
{
	(void)s;
	snprintf(b, l, "%" PRIu32, r->p->pid);
}

/* A comm is whatever the program set: control characters would drive the terminal. */
static void f_comm(char *b, size_t l, const struct tui_row *r, const struct nl_snapshot *s)
{
	size_t n = 0;

	(void)s;
	for (; n < NL_COMM_LEN && n + 1 < l && r->p->comm[n]; n++)
		b[n] = (unsigned char)r->p->comm[n] < 0x20 || r->p->comm[n] == 0x7f ? '?' : r->p->comm[n];
	b[n] = '\0';
}

static void f_remote(char *b, size_t l, const struct tui_row *r, const struct nl_snapshot *s)
{
	(void)s;
	if (isnan(r->remote))
		snprintf(b, l, "-");
	else
		snprintf(b, l, "%s%.0f%%", r->estimate ? "~" : "", r->remote * 100);
}

static void f_nodes(char *b, size_t l, const struct tui_row *r, const struct nl_snapshot *s)
{
	char c[16] = "?", m[16] = "?";

	(void)s;
	if (r->cpu_node >= 0)
		snprintf(c, sizeof(c), "%d", r->cpu_node);
	if (r->mem_node >= 0)
		snprintf(m, sizeof(m), "%d", r->mem_node);
	snprintf(b, l, "cpu%s>mem%s", c, m);
}

static void f_cpu(char *b, size_t l, const struct tui_row *r, const struct nl_snapshot *s)
{
	(void)s;
	if (isnan(r->cpu))
		snprintf(b, l, "-");
	else
		snprintf(b, l, "%.0f", r->cpu * 100);
}

static void f_faults(char *b, size_t l, const struct tui_row *r, const struct nl_snapshot *s)
{
	rate(b, l, r->faults, s);
}

static void f_hint(char *b, size_t l, const struct tui_row *r, const struct nl_snapshot *s)
{
	rate(b, l, r->hint, s);
}

static void f_migr(char *b, size_t l, const struct tui_row *r, const struct nl_snapshot *s)
{
	rate(b, l, r->migrated, s);
}

static void f_res(char *b, size_t l, const struct tui_row *r, const struct nl_snapshot *s)
{
	(void)s;
	if (!r->p->resident_known)
		snprintf(b, l, "?");
	else
		snprintf(b, l, "%.0f", (double)r->resident * 4096 / (1 << 20));
}

static const struct column columns[] = {
	{ "PID", 7, SORT_PID, f_pid },
	{ "COMM", 16, SORT_COMM, f_comm },
	{ "REMOTE", 7, SORT_REMOTE, f_remote },
	{ "NODES", 12, SORT_MAX, f_nodes },
	{ "CPU%", 5, SORT_CPU, f_cpu },
	{ "FAULT/s", 8, SORT_FAULTS, f_faults },
	{ "HINT/s", 8, SORT_HINT, f_hint },
	{ "MIGR/s", 8, SORT_MIGRATED, f_migr },
	{ "RES-MiB", 8, SORT_RESIDENT, f_res },
};
#define NR_COLUMNS ((int)(sizeof(columns) / sizeof(columns[0])))

/* How many columns fit; the rest of the line is the NOTE column. */
static int columns_fit(int *note_x)
{
	int x = 0, n = 0;

	while (n < NR_COLUMNS && x + columns[n].width <= tui_cols())
		x += columns[n++].width;
	*note_x = x;
	return n;
}

static void titles(const struct nl_tui *t, int y, int nr, int note_x)
{
	for (int c = 0, x = 0; c < nr; x += columns[c++].width) {
		attr_t a = A_BOLD | (columns[c].sort == t->sort ? A_UNDERLINE : 0);
		tui_put(y, x, a, columns[c].title, columns[c].width - 1);
	}
	tui_put(y, note_x, A_BOLD, "NOTE", tui_cols() - note_x);
}

static void row_line(const struct nl_tui *t, const struct nl_snapshot *s, const struct tui_row *r,
		     int y, int nr, int note_x, bool selected)
{
	attr_t base = selected ? A_REVERSE : A_NORMAL;

	if (selected)
		mvchgat(y, 0, -1, A_REVERSE, 0, NULL);
	for (int c = 0, x = 0; c < nr; x += columns[c++].width) {
		char buf[40];
		attr_t a = base;
		columns[c].fmt(buf, sizeof(buf), r, s);
		if (columns[c].fmt == f_remote)
			a |= tui_severity(t, r->remote);
		tui_put(y, x, a, buf, columns[c].width - 1);
	}
	if (r->p->diag.kind == NL_DIAG_FIRST_TOUCH_BUG)
		tui_put(y, note_x, base | tui_severity(t, 1.0), "first-touch bug", tui_cols() - note_x);
}

/* The first diagnosed process, said in one line: what the list's colours are about. */
static int diag_line(const struct nl_tui *t, const struct tui_row *v, int n, int y)
{
	char line[256];

	for (int i = 0; i < n; i++) {
		const struct nl_diagnosis *d = &v[i].p->diag;
		if (d->kind != NL_DIAG_FIRST_TOUCH_BUG)
			continue;
		snprintf(line, sizeof(line),
			 "! %" PRIu32 " (%.*s): first-touch bug: %.0f%% of its pages on node %d, %.0f%% of "
			 "its CPU time on node %d; Enter shows the initializer's stack",
			 v[i].p->pid, NL_COMM_LEN, v[i].p->comm, d->resident_share * 100, d->mem_node,
			 d->cpu_share * 100, d->cpu_node);
		tui_put(y, 0, tui_severity(t, 1.0), line, tui_cols());
		return 1;
	}
	return 0;
}

/* Keeps the selection on the same process when the order changes, and in view. */
static int select_rows(struct nl_tui *t, const struct tui_row *v, int n, int rows)
{
	if (n > t->cap_pids) {
		uint32_t *p = realloc(t->pids, (size_t)n * sizeof(*p));
		if (!p)
			return -ENOMEM;
		t->pids = p;
		t->cap_pids = n;
	}
	t->nr_pids = n;
	for (int i = 0; i < n; i++) {
		t->pids[i] = v[i].p->pid;
		if (t->pids[i] == t->sel_pid)
			t->sel = i;
	}
	if (t->sel >= n)
		t->sel = n - 1;
	if (t->sel < 0)
		t->sel = 0;
	t->sel_pid = n ? t->pids[t->sel] : 0;
	t->list_rows = rows > 0 ? rows : 1;
	if (t->sel < t->list_top)
		t->list_top = t->sel;
	if (t->sel >= t->list_top + t->list_rows)
		t->list_top = t->sel - t->list_rows + 1;
	if (t->list_top > n - t->list_rows)
		t->list_top = n > t->list_rows ? n - t->list_rows : 0;
	return 0;
}

int tui_procs_draw(struct nl_tui *t, const struct nl_tui_frame *f, int y, int bottom)
{
	struct tui_row *v;
	int n, hidden, note_x, nr = columns_fit(&note_x);
	char line[160];

	if (tui_rows_make(t, f->s, &v, &n, &hidden))
		return -ENOMEM;
	snprintf(line, sizeof(line), "%d process%s, %d idle %s (i), sorted by %s", n, n == 1 ? "" : "es",
		 hidden, t->show_idle ? "shown" : "hidden", tui_sort_name(t->sort));
	tui_put(y++, 0, A_DIM, line, tui_cols());
	y += diag_line(t, v, n, y);
	titles(t, y++, nr, note_x);
	if (select_rows(t, v, n, bottom - y)) {
		free(v);
		return -ENOMEM;
	}
	if (!n)
		tui_put(y, 0, A_DIM, "no activity from the followed processes in this interval", tui_cols());
	for (int i = t->list_top; i < n && y < bottom; i++)
		row_line(t, f->s, &v[i], y++, nr, note_x, i == t->sel);
	free(v);
	return 0;
}
