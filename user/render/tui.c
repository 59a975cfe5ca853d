/* The live view's terminal: open, close, colours, drawing helpers, and which screen
 * a frame draws. The screens are in tui_header.c, tui_procs.c and tui_detail.c; keys
 * in tui_keys.c. */
#include "render/tui_int.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The one view that is open, so the exit hook can restore the terminal. */
static struct nl_tui *open_view;
static bool exit_hook_set;

static void restore_terminal_at_exit(void)
{
	nl_tui_close(open_view);
}

/* https://no-color.org: a NO_COLOR that is set and not empty turns colour off. */
static bool colour_wanted(void)
{
	const char *nc = getenv("NO_COLOR");
	return !(nc && nc[0]);
}

static void colours_init(struct nl_tui *t)
{
	if (!colour_wanted() || !has_colors() || start_color() != OK)
		return;
	use_default_colors();
	init_pair(PAIR_OK, COLOR_GREEN, -1);
	init_pair(PAIR_WARN, COLOR_YELLOW, -1);
	init_pair(PAIR_BAD, COLOR_RED, -1);
	init_pair(PAIR_DIM, COLOR_CYAN, -1);
	init_pair(PAIR_BAR, COLOR_BLUE, -1);
	t->color = true;
}

static void terminal_modes(void)
{
	cbreak();             /* keys unbuffered; Ctrl-C still raises SIGINT */
	noecho();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE); /* the caller polls; getch never blocks */
	set_escdelay(25);     /* Esc means back: do not wait a second for a sequence */
	curs_set(0);
}

int nl_tui_open(struct nl_tui **out, char *err, size_t errlen)
{
	struct nl_tui *t;

	*out = NULL;
	if (open_view) {
		snprintf(err, errlen, "a terminal view is already open");
		return -1;
	}
	if (!isatty(STDOUT_FILENO)) {
		snprintf(err, errlen, "standard output is not a terminal");
		return -1;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* characters only: numbers must keep their '.' whatever the locale */
	setlocale(LC_CTYPE, "");
	t->screen = newterm(NULL, stdout, stdin);
	if (!t->screen) {
		const char *term = getenv("TERM");
		snprintf(err, errlen, "cannot use the terminal (TERM=%s)", term ? term : "unset");
		free(t);
		return -1;
	}
	if (!exit_hook_set && atexit(restore_terminal_at_exit) == 0)
		exit_hook_set = true;
	open_view = t;
	terminal_modes();
	colours_init(t);
	*out = t;
	return 0;
}

int nl_tui_fd(const struct nl_tui *t)
{
	(void)t;
	/* stdin from /dev/null or a file is always "readable": polling it would spin */
	return isatty(STDIN_FILENO) ? STDIN_FILENO : -1;
}

int tui_cols(void)
{
	return COLS > 0 ? COLS : 80;
}

int nl_tui_width(const struct nl_tui *t)
{
	(void)t;
	return tui_cols();
}

attr_t tui_pair(const struct nl_tui *t, int pair, attr_t mono)
{
	return t->color ? COLOR_PAIR(pair) : mono;
}

/* Remote shares: under 20 % fine, under 50 % worth a look, above that the process
 * mostly reads another node's memory. Without colours: plain, bold, reverse. */
attr_t tui_severity(const struct nl_tui *t, double share)
{
	if (isnan(share))
		return A_NORMAL;
	if (share < 0.2)
		return tui_pair(t, PAIR_OK, A_NORMAL);
	if (share < 0.5)
		return A_BOLD | tui_pair(t, PAIR_WARN, 0);
	return A_BOLD | tui_pair(t, PAIR_BAD, A_REVERSE);
}

void tui_put(int y, int x, attr_t a, const char *text, int maxw)
{
	if (y < 0 || y >= LINES || x >= tui_cols() || maxw <= 0)
		return;
	if (x + maxw > tui_cols())
		maxw = tui_cols() - x;
	attron(a);
	mvaddnstr(y, x, text, maxw);
	attroff(a);
}

/* [#####.....]: ASCII, so it reads on any terminal and in a pane capture. */
void tui_bar(const struct nl_tui *t, int y, int x, int w, double share, attr_t a)
{
	char buf[128];
	int inner = w - 2, fill;

	if (inner < 1 || inner > (int)sizeof(buf) - 3)
		return;
	if (isnan(share) || share < 0)
		share = 0;
	fill = (int)lround((share > 1 ? 1 : share) * inner);
	buf[0] = '[';
	for (int i = 0; i < inner; i++)
		buf[1 + i] = i < fill ? '#' : '.';
	buf[inner + 1] = ']';
	buf[inner + 2] = '\0';
	tui_put(y, x, a ? a : tui_pair(t, PAIR_BAR, A_NORMAL), buf, w);
}

static const char *keys_line(const struct nl_tui *t)
{
	bool wide = tui_cols() >= 80;

	switch (t->screen_mode) {
	case TUI_DETAIL: return wide ? "Esc back  up/down/PgUp/PgDn scroll  ? help  q quit" :
				       "Esc back  up/down scroll  ? help  q quit";
	case TUI_HELP: return wide ? "Esc or ? back  up/down/PgUp/PgDn scroll  q quit" :
				     "Esc back  up/down scroll  q quit";
	default: return wide ? "up/down select  Enter details  ? help & sources  i idle  "
			       "sort: w r c f h m s p n  < >  q quit" :
			       "Enter details  ? help  i idle  w r c f h m s p n sort  q quit";
	}
}

int nl_tui_draw(struct nl_tui *t, const struct nl_tui_frame *f)
{
	int bottom = LINES - 1, y = 1, rc = 0;

	erase();
	attron(A_REVERSE);
	mvprintw(0, 0, "%-*.*s", tui_cols(), tui_cols(), f->title ? f->title : "");
	attroff(A_REVERSE);
	if (t->screen_mode == TUI_HELP)
		rc = tui_help_draw(t, f, y, bottom);
	else if (!f->s)
		tui_put(y, 0, A_DIM, "collecting the first interval...", tui_cols());
	else if (t->screen_mode == TUI_DETAIL)
		rc = tui_detail_draw(t, f, y, bottom);
	else
		rc = tui_procs_draw(t, f, y + tui_header_draw(t, f, y), bottom);
	tui_put(LINES - 1, 0, A_DIM, keys_line(t), tui_cols());
	refresh();
	return rc;
}

void nl_tui_close(struct nl_tui *t)
{
	if (!t)
		return;
	endwin();
	delscreen(t->screen);
	if (open_view == t)
		open_view = NULL;
	free(t->pids);
	free(t);
}
