#include "analyze/top_diag.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze/diagnose.h"
#include "common/util.h"

/* What one thread placed since top started. */
struct touch_thread {
	uint32_t tid;
	char comm[NL_COMM_LEN];
	uint64_t pages[NL_MAX_NODES]; /* first-touched pages by node, summed over intervals */
	struct nl_stack *stack;       /* owned copy: the stack that placed the most */
	uint64_t stack_pages;
};

struct touch_proc {
	uint32_t pid;
	struct touch_thread *threads;
	int nr, cap;
};

struct nl_touch_history {
	struct touch_proc *procs;
	int nr, cap;
};

static void free_stack(struct nl_stack *st)
{
	if (!st)
		return;
	for (int i = 0; i < st->nr && i < NL_MAX_FRAMES; i++) {
		free(st->frames[i].symbol);
		free(st->frames[i].module);
	}
	free(st);
}

static struct nl_stack *copy_stack(const struct nl_stack *src)
{
	struct nl_stack *st = calloc(1, sizeof(*st));

	if (!st)
		return NULL;
	for (int i = 0; i < src->nr && i < NL_MAX_FRAMES; i++) {
		const struct nl_frame *f = &src->frames[i];
		st->frames[i].ip = f->ip;
		st->nr = i + 1;
		if ((f->symbol && !(st->frames[i].symbol = strdup(f->symbol))) ||
		    (f->module && !(st->frames[i].module = strdup(f->module)))) {
			free_stack(st);
			return NULL;
		}
	}
	return st;
}

static bool same_stack(const struct nl_stack *a, const struct nl_stack *b)
{
	if (a->nr != b->nr)
		return false;
	for (int i = 0; i < a->nr && i < NL_MAX_FRAMES; i++)
		if (a->frames[i].ip != b->frames[i].ip)
			return false;
	return true;
}

struct nl_touch_history *nl_touch_history_new(void)
{
	return calloc(1, sizeof(struct nl_touch_history));
}

static void free_proc(struct touch_proc *p)
{
	for (int i = 0; i < p->nr; i++)
		free_stack(p->threads[i].stack);
	free(p->threads);
}

void nl_touch_history_free(struct nl_touch_history *h)
{
	if (!h)
		return;
	for (int i = 0; i < h->nr; i++)
		free_proc(&h->procs[i]);
	free(h->procs);
	free(h);
}

static struct touch_proc *find_proc(struct nl_touch_history *h, uint32_t pid)
{
	for (int i = 0; i < h->nr; i++)
		if (h->procs[i].pid == pid)
			return &h->procs[i];
	return NULL;
}

static struct touch_thread *find_touch_thread(struct touch_proc *p, uint32_t tid)
{
	for (int i = 0; p && i < p->nr; i++)
		if (p->threads[i].tid == tid)
			return &p->threads[i];
	return NULL;
}

/* Does /proc/PID (tid 0) or /proc/PID/task/TID exist under root? */
static bool exists(const char *root, uint32_t pid, uint32_t tid)
{
	char rel[64], *path;
	bool yes;

	if (tid)
		snprintf(rel, sizeof(rel), "/proc/%" PRIu32 "/task/%" PRIu32, pid, tid);
	else
		snprintf(rel, sizeof(rel), "/proc/%" PRIu32, pid);
	path = nl_path(root, rel);
	if (!path)
		return true; /* cannot tell: keep it */
	yes = access(path, F_OK) == 0;
	free(path);
	return yes;
}

/* Forgets processes that are gone: their pids may be reused. */
static void prune(struct nl_touch_history *h, const char *root)
{
	for (int i = 0; i < h->nr;) {
		if (exists(root, h->procs[i].pid, 0)) {
			i++;
			continue;
		}
		free_proc(&h->procs[i]);
		h->procs[i] = h->procs[--h->nr];
	}
}

static int add_thread(struct nl_touch_history *h, uint32_t pid, const struct nl_thread *t)
{
	struct touch_proc *p = find_proc(h, pid);
	struct touch_thread *tt;
	uint64_t placed = 0;

	for (int n = 0; n < NL_MAX_NODES; n++)
		placed += t->c.first_touch_pages[n];
	if (!placed && !t->first_touch_stack)
		return 0;
	if (!p) {
		if (h->nr == h->cap) {
			int cap = h->cap ? h->cap * 2 : 16;
			struct touch_proc *v = realloc(h->procs, (size_t)cap * sizeof(*v));
			if (!v)
				return -ENOMEM;
			h->procs = v;
			h->cap = cap;
		}
		p = &h->procs[h->nr++];
		memset(p, 0, sizeof(*p));
		p->pid = pid;
	}
	tt = find_touch_thread(p, t->tid);
	if (!tt) {
		if (p->nr == p->cap) {
			int cap = p->cap ? p->cap * 2 : 8;
			struct touch_thread *v = realloc(p->threads, (size_t)cap * sizeof(*v));
			if (!v)
				return -ENOMEM;
			p->threads = v;
			p->cap = cap;
		}
		tt = &p->threads[p->nr++];
		memset(tt, 0, sizeof(*tt));
		tt->tid = t->tid;
	}
	memcpy(tt->comm, t->comm, sizeof(tt->comm));
	tt->comm[NL_COMM_LEN - 1] = '\0';
	for (int n = 0; n < NL_MAX_NODES; n++)
		tt->pages[n] += t->c.first_touch_pages[n];
	if (!t->first_touch_stack)
		return 0;
	/* Stacks have no identity across intervals beyond their addresses: the same
	 * addresses add up, a different stack replaces ours when it placed more. */
	if (tt->stack && same_stack(tt->stack, t->first_touch_stack)) {
		tt->stack_pages += t->first_touch_stack_pages;
	} else if (!tt->stack || t->first_touch_stack_pages > tt->stack_pages) {
		struct nl_stack *st = copy_stack(t->first_touch_stack);
		if (!st)
			return -ENOMEM;
		free_stack(tt->stack);
		tt->stack = st;
		tt->stack_pages = t->first_touch_stack_pages;
	}
	return 0;
}

/* p's threads with whole-run first touches and stacks, plus remembered threads that
 * are not in this interval: what nl_diagnose judges. Borrowed stacks, not owned. */
static struct nl_thread *whole_run_threads(const struct nl_process *p, struct touch_proc *tp,
					   const char *root, int *nr)
{
	int cap = p->nr_threads + (tp ? tp->nr : 0), n = 0;
	struct nl_thread *v = calloc(cap ? (size_t)cap : 1, sizeof(*v));

	if (!v)
		return NULL;
	for (int i = 0; i < p->nr_threads; i++) {
		struct touch_thread *tt = find_touch_thread(tp, p->threads[i].tid);
		v[n] = p->threads[i];
		if (tt) {
			memcpy(v[n].c.first_touch_pages, tt->pages, sizeof(tt->pages));
			if (!v[n].first_touch_stack)
				v[n].first_touch_stack = tt->stack;
		}
		n++;
	}
	for (int i = 0; tp && i < tp->nr; i++) {
		bool present = false;
		for (int j = 0; j < p->nr_threads && !present; j++)
			present = p->threads[j].tid == tp->threads[i].tid;
		if (present)
			continue;
		struct nl_thread *t = &v[n++];
		t->tid = tp->threads[i].tid;
		memcpy(t->comm, tp->threads[i].comm, sizeof(t->comm));
		memcpy(t->c.first_touch_pages, tp->threads[i].pages, sizeof(tp->threads[i].pages));
		t->first_touch_stack = tp->threads[i].stack;
		t->first_touch_stack_pages = tp->threads[i].stack_pages;
		t->exited = !exists(root, p->pid, t->tid);
	}
	*nr = n;
	return v;
}

/* Makes the named initializer's remembered stack visible in the interval's process. */
static int attach_initializer(struct nl_process *p, struct touch_proc *tp, const char *root)
{
	struct touch_thread *tt = find_touch_thread(tp, p->diag.init_tid);
	struct nl_thread *t = NULL;

	if (!tt || !tt->stack)
		return 0;
	for (int i = 0; i < p->nr_threads; i++)
		if (p->threads[i].tid == tt->tid)
			t = &p->threads[i];
	if (t && t->first_touch_stack)
		return 0;
	struct nl_stack *st = copy_stack(tt->stack);
	if (!st)
		return -ENOMEM;
	if (!t) {
		struct nl_thread *v = realloc(p->threads, (size_t)(p->nr_threads + 1) * sizeof(*v));
		if (!v) {
			free_stack(st);
			return -ENOMEM;
		}
		p->threads = v;
		t = &p->threads[p->nr_threads++];
		memset(t, 0, sizeof(*t));
		t->tid = tt->tid;
		memcpy(t->comm, tt->comm, sizeof(t->comm));
		t->exited = !exists(root, p->pid, t->tid);
	}
	t->first_touch_stack = st;
	t->first_touch_stack_pages = tt->stack_pages;
	return 0;
}

int nl_top_diagnose(struct nl_touch_history *h, struct nl_snapshot *s, const char *proc_root)
{
	char cmdline[384];

	prune(h, proc_root);
	for (int i = 0; i < s->nr_procs; i++)
		for (int t = 0; t < s->procs[i].nr_threads; t++)
			if (add_thread(h, s->procs[i].pid, &s->procs[i].threads[t]))
				return -ENOMEM;

	for (int i = 0; i < s->nr_procs; i++) {
		struct nl_process *p = &s->procs[i];
		struct touch_proc *tp = find_proc(h, p->pid);
		struct nl_process whole = *p;
		int nr = 0;

		whole.threads = whole_run_threads(p, tp, proc_root, &nr);
		if (!whole.threads)
			return -ENOMEM;
		whole.nr_threads = nr;
		nl_diagnose(&s->topo, &whole, NULL, &p->diag);
		/* the command line only matters for the fix; read it only then */
		if (p->diag.kind == NL_DIAG_FIRST_TOUCH_BUG &&
		    nl_diag_read_cmdline(proc_root, p->pid, cmdline, sizeof(cmdline)) == 0)
			nl_diagnose(&s->topo, &whole, cmdline, &p->diag);
		free(whole.threads);
		if (p->diag.kind == NL_DIAG_FIRST_TOUCH_BUG && attach_initializer(p, tp, proc_root))
			return -ENOMEM;
	}
	return 0;
}
