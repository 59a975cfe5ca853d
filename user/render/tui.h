/* The refreshing terminal view of `top`: an ncurses screen that draws the table's
 * lines (render_table.h) under a one-line header, scrolls, and reports keys. The
 * caller owns timing: it polls nl_tui_fd() and calls nl_tui_keys() when readable.
 *
 * The terminal is always restored: nl_tui_close() restores it, and an atexit hook
 * does the same for a view still open, so no exit path leaves it in raw mode.
 * Signals stay the caller's: install SIGINT/SIGTERM handlers before nl_tui_open()
 * (ncurses then leaves them alone) and close the view when they fire. */
#ifndef NL_TUI_H
#define NL_TUI_H

#include "render/render_table.h"

struct nl_tui;

enum nl_tui_event {
	NL_TUI_NONE = 0,
	NL_TUI_QUIT,    /* 'q' or 'Q' */
	NL_TUI_RESIZE,  /* the terminal changed size: re-render for nl_tui_width() */
	NL_TUI_REDRAW,  /* scrolled: draw the same lines again */
};

/* Takes over the terminal on stdout (input from stdin). 0, or -1 with a reason in
 * err (no terminal, unknown TERM). */
int nl_tui_open(struct nl_tui **out, char *err, size_t errlen);
/* Readable when keys are waiting; -1 when stdin is not a terminal (no keys). */
int nl_tui_fd(const struct nl_tui *t);
int nl_tui_width(const struct nl_tui *t);
/* Reads every pending key without blocking; returns the most important event. */
enum nl_tui_event nl_tui_keys(struct nl_tui *t);
/* header: the top line (reverse video); lines: the body, scrolled by the user. */
void nl_tui_draw(struct nl_tui *t, const char *header, const struct nl_lines *lines);
/* Restores the terminal and frees; safe on NULL. */
void nl_tui_close(struct nl_tui *t);

#endif
