/* The live view's two scrolled screens: the drill-down into the selected process
 * (its rows and threads, AutoNUMA row, access matrix, migrations, trend and
 * first-touch diagnosis with the initializer's stack: the table's own sections,
 * render_table.h) and the help screen (keys, what the header and the list show and
 * where each figure comes from, then the table's legend with this run's sources). */
#include "render/tui_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "render/render_table.h"

static attr_t style_attr(const struct nl_tui *t, enum nl_line_style s)
{
	switch (s) {
	case NL_LINE_TITLE: return A_BOLD;
	case NL_LINE_DIM: return tui_pair(t, PAIR_DIM, A_DIM);
	case NL_LINE_WARN: return A_BOLD | tui_pair(t, PAIR_BAD, A_STANDOUT);
	case NL_LINE_DIAG: return A_BOLD | tui_pair(t, PAIR_WARN, 0);
	default: return A_NORMAL;
	}
}

static void lines_draw(struct nl_tui *t, const struct nl_lines *l, int y, int bottom)
{
	int rows = bottom - y > 0 ? bottom - y : 1;

	t->nr_lines = l->nr;
	if (t->scroll > l->nr - rows)
		t->scroll = l->nr - rows;
	if (t->scroll < 0)
		t->scroll = 0;
	for (int i = t->scroll; i < l->nr && y < bottom; i++)
		tui_put(y++, 0, style_attr(t, l->v[i].style), l->v[i].text, tui_cols());
}

static const struct nl_process *find_proc(const struct nl_snapshot *s, uint32_t pid)
{
	for (int i = 0; i < s->nr_procs; i++)
		if (s->procs[i].pid == pid)
			return &s->procs[i];
	return NULL;
}

int tui_detail_draw(struct nl_tui *t, const struct nl_tui_frame *f, int y, int bottom)
{
	const struct nl_process *p = find_proc(f->s, t->sel_pid);
	struct nl_table_opts o = { .width = tui_cols(), .trend = f->trend };
	struct nl_lines l = { 0 };
	char line[128];
	int rc;

	snprintf(line, sizeof(line), "process %" PRIu32 " (%.*s)%s, interval %.2f s", t->sel_pid,
		 NL_COMM_LEN, p ? p->comm : "?", p ? "" : ": nothing in this interval (idle or exited)",
		 (double)f->s->interval_ns / 1e9);
	tui_put(y++, 0, A_BOLD, line, tui_cols());
	if (!p)
		return 0;
	rc = nl_table_render_detail(f->s, p, &o, &l);
	if (!rc)
		lines_draw(t, &l, y, bottom);
	nl_lines_free(&l);
	return rc;
}

static const char *const help_text[][2] = {
	{ "keys: ", "up/down (k/j) select a process, Enter (or right) shows its threads, access "
		    "matrix, AutoNUMA activity, trend and first-touch stack; Esc (or left) goes "
		    "back; i shows or hides idle processes; sort by w remote share x CPU time "
		    "(the default), r remote share, c CPU, f faults, h hint faults, m migrated "
		    "pages, s resident pages, p pid, n command; < and > step through the sorts; "
		    "? this screen; q quits." },
	{ "header: ", "one line per node, this interval. remote = remote / all classified "
		      "accesses (page faults + AutoNUMA hint faults, sources faults and hint "
		      "faults) of the followed threads while on that node's CPUs, or ~ and the "
		      "ESTIMATE from residency x sched when there were none (each process's share "
		      "of resident pages off the node, weighted by its CPU time there); CPU = the "
		      "followed tasks' on-CPU time there / (interval x the node's CPUs) (sched: "
		      "the machine's CPU use only when every process is followed); mem used = "
		      "MemTotal - MemFree of /sys/devices/system/node/nodeN/meminfo, now; hint/s "
		      "= hint faults taken on the node's CPUs (hint faults); migr in/out = pages "
		      "migrated to / from the node per second (migrations); hit/s, miss/s = "
		      "numa_hit / numa_miss of /sys/devices/system/node/nodeN/numastat per second "
		      "between the last two intervals (allocations meant for the node that got "
		      "it / that another node had to serve; - until two were read). The last line "
		      "is AutoNUMA's state and the system-wide /proc/vmstat numa_hint_faults, "
		      "numa_hint_faults_local and numa_pages_migrated of the interval." },
	{ "list: ", "REMOTE = remote / all classified accesses of the process this interval; "
		    "~ marks the ESTIMATE from residency x sched when it had none (the share that "
		    "would be remote if each node's CPU time touched its resident pages "
		    "uniformly); coloured green under 20 %, yellow under 50 %, red above. NODES = "
		    "the node with most of its CPU time > the node with most of its resident "
		    "pages (numa_maps; faulted pages when unknown). CPU% of one CPU; FAULT/s, "
		    "HINT/s, MIGR/s per second; RES-MiB resident (numa_maps). Idle = under 1 ms "
		    "of CPU and no fault, hint fault or migration in the interval; a followed "
		    "process is never hidden. NOTE names a diagnosed first-touch bug." },
};

int tui_help_draw(struct nl_tui *t, const struct nl_tui_frame *f, int y, int bottom)
{
	struct nl_lines l = { 0 };
	int rc = 0;

	for (size_t i = 0; !rc && i < sizeof(help_text) / sizeof(help_text[0]); i++)
		rc = nl_lines_add_wrapped(&l, i ? NL_LINE_PLAIN : NL_LINE_TITLE, help_text[i][0],
					  help_text[i][1], tui_cols());
	if (!rc && f->s)
		rc = nl_table_render_legend(f->s, tui_cols(), &l);
	if (!rc)
		lines_draw(t, &l, y, bottom);
	nl_lines_free(&l);
	return rc;
}
