/* The refreshing terminal view of `top` (README "numalens top"): a header of the
 * machine by node, the process list sorted by remote share weighted by CPU time, a
 * drill-down into one process (threads, access matrix, AutoNUMA, trend, first-touch
 * stack), and a help screen with the legend and the sources. It shows only what the
 * snapshot (and each node's meminfo) says. The caller owns timing: it polls
 * nl_tui_fd() and calls nl_tui_keys() when readable, and draws a frame after each
 * interval and after each event that asks for it.
 *
 * The terminal is always restored: nl_tui_close() restores it, and an atexit hook
 * does the same for a view still open, so no exit path leaves it in raw mode.
 * Signals stay the caller's: install SIGINT/SIGTERM handlers before nl_tui_open()
 * (ncurses then leaves them alone) and close the view when they fire. */
#ifndef NL_TUI_H
#define NL_TUI_H

#include <stddef.h>

#include "model/machine.h"
#include "model/model.h"
#include "model/trend.h"

struct nl_tui;

enum nl_tui_event {
	NL_TUI_NONE = 0,
	NL_TUI_QUIT,    /* 'q' or 'Q' */
	NL_TUI_RESIZE,  /* the terminal changed size */
	NL_TUI_REDRAW,  /* a key changed what is shown: draw the same frame again */
};

/* What one frame shows; everything is borrowed for the call. */
struct nl_tui_frame {
	const struct nl_snapshot *s;   /* the last interval; NULL until the first one */
	const struct nl_trend *trend;  /* the last intervals per process, or NULL */
	const struct nl_node_mem *mem; /* each node's memory now, or NULL */
	const char *title;             /* the top line (reverse video) */
};

/* Takes over the terminal on stdout (input from stdin); colours unless the terminal
 * has none or NO_COLOR is set. 0, or -1 with a reason in err (no terminal, unknown
 * TERM). */
int nl_tui_open(struct nl_tui **out, char *err, size_t errlen);
/* Readable when keys are waiting; -1 when stdin is not a terminal (no keys). */
int nl_tui_fd(const struct nl_tui *t);
int nl_tui_width(const struct nl_tui *t);
/* Reads every pending key without blocking; returns the most important event. */
enum nl_tui_event nl_tui_keys(struct nl_tui *t);
/* Draws the screen the keys chose. 0, or -ENOMEM. */
int nl_tui_draw(struct nl_tui *t, const struct nl_tui_frame *f);
/* Restores the terminal and frees; safe on NULL. */
void nl_tui_close(struct nl_tui *t);

#endif
