/* The first-touch diagnosis for `top`'s intervals. An interval shows what happened
 * in it, but the pages a process lives on were usually placed long before, in the
 * interval where its initializer ran. So top remembers, per thread, the pages it
 * first-touched and the stack that placed the most of them since top started, and
 * judges each interval's process (current residency and CPU time, nl_diagnose) with
 * that whole-run placement evidence.
 *
 * When the diagnosis names an initializer that is absent from the interval (it did
 * nothing in it, or exited), that thread is added to the process's threads with zero
 * counts, its exited flag and its remembered stack, so renderers can show the stack;
 * a thread in the interval without a stack of its own gets its remembered one. */
#ifndef NL_TOP_DIAG_H
#define NL_TOP_DIAG_H

#include "model/model.h"

struct nl_touch_history;

struct nl_touch_history *nl_touch_history_new(void);
void nl_touch_history_free(struct nl_touch_history *h);

/* Adds the interval's first touches to the history, then diagnoses every process of
 * s into its diag (overwriting it). proc_root is "/" or NULL for the real /proc
 * (tests pass a fixture tree): it is used for command lines and for whether a
 * remembered thread still exists. 0 or -ENOMEM. */
int nl_top_diagnose(struct nl_touch_history *h, struct nl_snapshot *s, const char *proc_root);

#endif
