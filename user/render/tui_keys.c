/* Keys of the live view: on the list they move the selection, sort, show idle
 * processes and open the drill-down; on the drill-down and help screens they scroll;
 * Esc goes back; ? opens and closes the help; q quits everywhere. */
#include "render/tui_int.h"

#include <string.h>

#define KEY_ESC 27

static const struct { int key; enum tui_sort sort; } sort_keys[] = {
	{ 'w', SORT_WEIGHTED }, { 'r', SORT_REMOTE }, { 'c', SORT_CPU }, { 'f', SORT_FAULTS },
	{ 'h', SORT_HINT }, { 'm', SORT_MIGRATED }, { 's', SORT_RESIDENT }, { 'p', SORT_PID },
	{ 'n', SORT_COMM },
};

static bool list_key(struct nl_tui *t, int ch)
{
	for (size_t i = 0; i < sizeof(sort_keys) / sizeof(sort_keys[0]); i++)
		if (ch == sort_keys[i].key) {
			t->sort = sort_keys[i].sort;
			return true;
		}
	switch (ch) {
	case '<': t->sort = (t->sort + SORT_MAX - 1) % SORT_MAX; return true;
	case '>': t->sort = (t->sort + 1) % SORT_MAX; return true;
	case 'i': t->show_idle = !t->show_idle; return true;
	case KEY_UP: case 'k': t->sel--; break;
	case KEY_DOWN: case 'j': t->sel++; break;
	case KEY_PPAGE: t->sel -= t->list_rows; break;
	case KEY_NPAGE: t->sel += t->list_rows; break;
	case KEY_HOME: case 'g': t->sel = 0; break;
	case KEY_END: case 'G': t->sel = t->nr_pids - 1; break;
	case '\n': case '\r': case KEY_ENTER: case KEY_RIGHT:
		if (!t->nr_pids)
			return false;
		t->screen_mode = TUI_DETAIL;
		t->scroll = 0;
		return true;
	default: return false;
	}
	if (t->sel >= t->nr_pids)
		t->sel = t->nr_pids - 1;
	if (t->sel < 0)
		t->sel = 0;
	if (t->nr_pids)
		t->sel_pid = t->pids[t->sel];
	return true;
}

static int page_rows(void)
{
	return LINES > 4 ? LINES - 3 : 1;
}

/* Drill-down and help: scrolling; the draw clamps to the lines there are. */
static bool scroll_key(struct nl_tui *t, int ch)
{
	switch (ch) {
	case KEY_UP: case 'k': t->scroll--; break;
	case KEY_DOWN: case 'j': t->scroll++; break;
	case KEY_PPAGE: case 'b': t->scroll -= page_rows(); break;
	case KEY_NPAGE: case ' ': t->scroll += page_rows(); break;
	case KEY_HOME: case 'g': t->scroll = 0; break;
	case KEY_END: case 'G': t->scroll = t->nr_lines; break;
	case KEY_ESC: case KEY_LEFT: case KEY_BACKSPACE: case 127:
		t->screen_mode = t->screen_mode == TUI_HELP ? t->help_from : TUI_LIST;
		t->scroll = 0;
		break;
	default: return false;
	}
	if (t->scroll < 0)
		t->scroll = 0;
	return true;
}

static bool help_key(struct nl_tui *t, int ch)
{
	if (ch != '?')
		return false;
	if (t->screen_mode == TUI_HELP) {
		t->screen_mode = t->help_from;
	} else {
		t->help_from = t->screen_mode;
		t->screen_mode = TUI_HELP;
	}
	t->scroll = 0;
	return true;
}

enum nl_tui_event nl_tui_keys(struct nl_tui *t)
{
	enum nl_tui_event ev = NL_TUI_NONE;
	int ch;

	while ((ch = getch()) != ERR) {
		bool changed;
		if (ch == 'q' || ch == 'Q')
			return NL_TUI_QUIT;
		if (ch == KEY_RESIZE) {
			ev = NL_TUI_RESIZE;
			continue;
		}
		changed = help_key(t, ch) ||
			  (t->screen_mode == TUI_LIST ? list_key(t, ch) : scroll_key(t, ch));
		if (changed && ev == NL_TUI_NONE)
			ev = NL_TUI_REDRAW;
	}
	return ev;
}
