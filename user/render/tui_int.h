/* What the live view's files share (render/tui*.c): the view's state and the drawing
 * helpers. Not for callers outside render/: they use render/tui.h. */
#ifndef NL_TUI_INT_H
#define NL_TUI_INT_H

#include <curses.h>
#include <stdbool.h>
#include <stdint.h>

#include "render/tui.h"

enum tui_screen { TUI_LIST = 0, TUI_DETAIL, TUI_HELP };

/* Sort keys of the process list; the order is the order '<' and '>' cycle through. */
enum tui_sort {
	SORT_WEIGHTED = 0, /* remote share x CPU time: the default */
	SORT_REMOTE,
	SORT_CPU,
	SORT_FAULTS,
	SORT_HINT,
	SORT_MIGRATED,
	SORT_RESIDENT,
	SORT_PID,
	SORT_COMM,
	SORT_MAX,
};

enum { PAIR_OK = 1, PAIR_WARN, PAIR_BAD, PAIR_DIM, PAIR_BAR };

/* numastat is cumulative since boot: the view keeps the two last readings (by the
 * snapshot's CLOCK_MONOTONIC end) to show rates. */
struct tui_numastat {
	bool valid;
	uint64_t mono_ns;
	struct nl_numastat v[NL_MAX_NODES];
};

struct nl_tui {
	SCREEN *screen;
	bool color;             /* colours in use: a colour terminal and no NO_COLOR */
	enum tui_screen screen_mode;
	enum tui_screen help_from; /* where '?' or Esc on the help screen returns to */
	enum tui_sort sort;
	bool show_idle;
	int sel;                /* selected row of the list */
	int list_top;           /* first list row shown */
	uint32_t sel_pid;       /* the process the selection (or drill-down) is on */
	uint32_t *pids;         /* the list's pids in shown order, at the last draw */
	int nr_pids, cap_pids;
	int list_rows;          /* list rows that fit, at the last draw */
	int scroll;             /* first line shown on the detail and help screens */
	int nr_lines;           /* their lines at the last draw */
	struct tui_numastat ns_prev, ns_cur;
};

/* A process's row of the list: figures of the interval, from the snapshot only. */
struct tui_row {
	const struct nl_process *p;
	double cpu;             /* CPU time / interval (1.0 = one CPU) */
	double remote;          /* observed remote share, else the residency estimate; NAN none */
	bool estimate;          /* remote is nl_resident_remote_ratio, not observed */
	double score;           /* remote x CPU seconds: the default order */
	uint64_t faults, hint, migrated, resident;
	int cpu_node, mem_node; /* where most CPU time / pages are; -1 unknown */
	bool idle;
};

/* Draw helpers (tui.c). */
attr_t tui_severity(const struct nl_tui *t, double share);
attr_t tui_pair(const struct nl_tui *t, int pair, attr_t mono);
void tui_put(int y, int x, attr_t a, const char *text, int maxw);
void tui_bar(const struct nl_tui *t, int y, int x, int w, double share, attr_t a);
int tui_cols(void);

/* The header by node (tui_header.c): draws from row y, returns the rows used. */
int tui_header_draw(struct nl_tui *t, const struct nl_tui_frame *f, int y);
/* The process list (tui_procs.c) between rows y and bottom (exclusive). -ENOMEM or 0. */
int tui_procs_draw(struct nl_tui *t, const struct nl_tui_frame *f, int y, int bottom);
/* Rows of s: n of them in *rows (malloc'd), filtered and sorted as t says. */
int tui_rows_make(const struct nl_tui *t, const struct nl_snapshot *s, struct tui_row **rows, int *n,
		  int *hidden);
const char *tui_sort_name(enum tui_sort s);
/* Drill-down and help (tui_detail.c): scrolled lines between y and bottom. */
int tui_detail_draw(struct nl_tui *t, const struct nl_tui_frame *f, int y, int bottom);
int tui_help_draw(struct nl_tui *t, const struct nl_tui_frame *f, int y, int bottom);

#endif
