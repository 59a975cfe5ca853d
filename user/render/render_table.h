/* Plain-text table of a snapshot: one row per process (thread rows indented under
 * it with opts.threads), per-node CPU, faults by page node, remote ratio (observed, and
 * the residency x sched estimate), first-touch and resident pages; when AutoNUMA's
 * sources are active, its state, the /proc/vmstat cross-check and a second table of
 * hint faults local/remote, migrations, stall, NUMA moves and IPI time; the access
 * matrix of the busiest process(es) with migrations by reason and the stall
 * histogram; per-interval trend lines when top passes its history; a legend naming
 * each figure's source; lost events; and any diagnosis with its fix.
 *
 * The table is built as a list of styled lines, so the same lines go to a FILE
 * (text output) or to the ncurses view (which colours them by style). */
#ifndef NL_RENDER_TABLE_H
#define NL_RENDER_TABLE_H

#include <stdbool.h>
#include <stdio.h>

#include "model/model.h"
#include "model/trend.h"

enum nl_line_style {
	NL_LINE_PLAIN = 0,
	NL_LINE_TITLE,   /* column headers, section titles */
	NL_LINE_DIM,     /* thread rows, legend */
	NL_LINE_WARN,    /* lost events > 0 */
	NL_LINE_DIAG,    /* diagnosis paragraph */
};

struct nl_line {
	char *text;
	enum nl_line_style style;
};

struct nl_lines {
	struct nl_line *v;
	int nr, cap;
};

struct nl_table_opts {
	bool threads;     /* thread rows under each process */
	int width;        /* wrap prose (legend, diagnosis) at this many columns; 0 = 80 */
	int matrix_procs; /* access matrices for this many busiest processes; 0 = 1 */
	/* The last intervals per process (top keeps it): trend lines under the access
	 * matrices of the same processes; NULL = no trend. */
	const struct nl_trend *trend;
	/* Only the lost-events line of the legend: for the second and later tables of a
	 * plain-text run, which already printed the sources and column meanings once. */
	bool brief_legend;
};

/* Appends the table's lines to out. 0, or -ENOMEM (out keeps what was added; free it). */
int nl_table_render(const struct nl_snapshot *s, const struct nl_table_opts *opts,
		    struct nl_lines *out);
/* One process in depth (the live view's drill-down): its diagnosis with the
 * initializer's stack first, then its row and thread rows, its AutoNUMA row, access
 * matrix and migrations, and its trend (opts->trend). 0, or -ENOMEM. */
int nl_table_render_detail(const struct nl_snapshot *s, const struct nl_process *p,
			   const struct nl_table_opts *opts, struct nl_lines *out);
/* The sources, column meanings and lost events the table ends with. 0, or -ENOMEM. */
int nl_table_render_legend(const struct nl_snapshot *s, int width, struct nl_lines *out);
/* Word-wraps text into lines of at most width columns, the first starting with lead,
 * the others indented as far (a word longer than a line is kept whole). 0 or -ENOMEM. */
int nl_lines_add_wrapped(struct nl_lines *l, enum nl_line_style style, const char *lead,
			 const char *text, int width);
void nl_lines_print(const struct nl_lines *l, FILE *out);
void nl_lines_free(struct nl_lines *l);

/* Renders and prints in one go. 0, or -ENOMEM (nothing printed). */
int nl_render_table(const struct nl_snapshot *s, FILE *out, bool threads);
/* The same with options (width, trend, ...). */
int nl_render_table_opts(const struct nl_snapshot *s, const struct nl_table_opts *opts, FILE *out);

#endif
