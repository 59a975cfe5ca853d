#include "render/tui.h"

#include <curses.h>
#include <locale.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct nl_tui {
	SCREEN *screen;
	int scroll;     /* first body line shown */
	int nr_lines;   /* body lines at the last draw, for clamping the scroll */
};

enum { PAIR_WARN = 1, PAIR_DIAG, PAIR_DIM };

/* The one view that is open, so the exit hook can restore the terminal. */
static struct nl_tui *open_view;
static bool exit_hook_set;

static void restore_terminal_at_exit(void)
{
	nl_tui_close(open_view);
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
	cbreak();             /* keys unbuffered; Ctrl-C still raises SIGINT */
	noecho();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE); /* the caller polls; getch never blocks */
	curs_set(0);
	if (has_colors() && start_color() == OK) {
		use_default_colors();
		init_pair(PAIR_WARN, COLOR_RED, -1);
		init_pair(PAIR_DIAG, COLOR_YELLOW, -1);
		init_pair(PAIR_DIM, COLOR_CYAN, -1);
	}
	*out = t;
	return 0;
}

int nl_tui_fd(const struct nl_tui *t)
{
	(void)t;
	/* stdin from /dev/null or a file is always "readable": polling it would spin */
	return isatty(STDIN_FILENO) ? STDIN_FILENO : -1;
}

int nl_tui_width(const struct nl_tui *t)
{
	(void)t;
	return COLS > 0 ? COLS : 80;
}

static int body_rows(void)
{
	return LINES > 2 ? LINES - 2 : 1; /* header and status line */
}

static void clamp_scroll(struct nl_tui *t)
{
	int max = t->nr_lines - body_rows();
	if (t->scroll > max)
		t->scroll = max;
	if (t->scroll < 0)
		t->scroll = 0;
}

enum nl_tui_event nl_tui_keys(struct nl_tui *t)
{
	enum nl_tui_event ev = NL_TUI_NONE;
	int ch;

	while ((ch = getch()) != ERR) {
		int before = t->scroll;
		switch (ch) {
		case 'q':
		case 'Q':
			return NL_TUI_QUIT;
		case KEY_RESIZE:
			ev = NL_TUI_RESIZE;
			break;
		case KEY_UP: case 'k': t->scroll--; break;
		case KEY_DOWN: case 'j': t->scroll++; break;
		case KEY_PPAGE: case 'b': t->scroll -= body_rows(); break;
		case KEY_NPAGE: case ' ': t->scroll += body_rows(); break;
		case KEY_HOME: case 'g': t->scroll = 0; break;
		case KEY_END: case 'G': t->scroll = t->nr_lines; break;
		default: break;
		}
		clamp_scroll(t);
		if (t->scroll != before && ev == NL_TUI_NONE)
			ev = NL_TUI_REDRAW;
	}
	return ev;
}

static attr_t style_attr(enum nl_line_style s)
{
	bool color = has_colors();

	switch (s) {
	case NL_LINE_TITLE: return A_BOLD;
	case NL_LINE_DIM: return color ? COLOR_PAIR(PAIR_DIM) : A_DIM;
	case NL_LINE_WARN: return A_BOLD | (color ? COLOR_PAIR(PAIR_WARN) : A_STANDOUT);
	case NL_LINE_DIAG: return A_BOLD | (color ? COLOR_PAIR(PAIR_DIAG) : 0);
	default: return A_NORMAL;
	}
}

void nl_tui_draw(struct nl_tui *t, const char *header, const struct nl_lines *lines)
{
	int rows = body_rows();
	char status[128];

	t->nr_lines = lines ? lines->nr : 0;
	clamp_scroll(t);
	erase();
	attron(A_REVERSE);
	mvprintw(0, 0, "%-*.*s", COLS, COLS, header ? header : "");
	attroff(A_REVERSE);
	for (int i = 0; i < rows && t->scroll + i < t->nr_lines; i++) {
		const struct nl_line *l = &lines->v[t->scroll + i];
		attr_t a = style_attr(l->style);
		attron(a);
		mvaddnstr(1 + i, 0, l->text, COLS);
		attroff(a);
	}
	snprintf(status, sizeof(status), "q quit  up/down/PgUp/PgDn scroll  lines %d-%d of %d",
		 t->nr_lines ? t->scroll + 1 : 0,
		 t->scroll + rows < t->nr_lines ? t->scroll + rows : t->nr_lines, t->nr_lines);
	attron(A_DIM);
	mvaddnstr(LINES - 1, 0, status, COLS);
	attroff(A_DIM);
	refresh();
}

void nl_tui_close(struct nl_tui *t)
{
	if (!t)
		return;
	endwin();
	delscreen(t->screen);
	if (open_view == t)
		open_view = NULL;
	free(t);
}
