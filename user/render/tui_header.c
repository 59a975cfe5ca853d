/* The live view's header: one line per node. Every figure is of this interval and
 * names its source in the help screen (README "numalens top"):
 *   remote   remote / all classified accesses (faults + hint faults) of the traced
 *            threads that ran on the node's CPUs; without any, '~' and the residency
 *            x sched ESTIMATE (resident pages off the node, weighted by CPU time there)
 *   CPU      on-CPU time of the traced tasks on the node / (interval x its CPUs)  (sched)
 *   mem used MemTotal - MemFree of nodeN/meminfo, now
 *   hint/s   AutoNUMA hint faults taken on the node's CPUs          (hint faults)
 *   migr     pages migrated to / from the node                      (migrations)
 *   alloc    numastat numa_hit / numa_miss per second (nodeN/numastat, differenced
 *            between the last two intervals) */
#include "render/tui_int.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

struct node_figs {
	double remote, cpu, mem_used;   /* shares; NAN unknown */
	bool remote_estimate;           /* remote is the residency x sched estimate */
	char mem[24], hint[12], migr[24], hit[12], miss[12];
};

/* 999, 12.3k, 4.5M: a rate or a count in at most 6 characters. */
static void fmt_short(char *buf, size_t len, double v)
{
	if (isnan(v))
		snprintf(buf, len, "-");
	else if (v < 999.5)
		snprintf(buf, len, "%.0f", v);
	else if (v < 999.5e3)
		snprintf(buf, len, "%.1fk", v / 1e3);
	else if (v < 999.5e6)
		snprintf(buf, len, "%.1fM", v / 1e6);
	else
		snprintf(buf, len, "%.1fG", v / 1e9);
}

static void fmt_kib(char *buf, size_t len, uint64_t kb)
{
	static const char unit[] = "KMGTP";
	double v = (double)kb;
	int u = 0;

	while (v >= 999.5 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, v < 9.95 ? "%.1f%c" : "%.0f%c", v, unit[u]);
}

/* Keeps the last two numastat readings, so each interval's rates can be shown. */
static void numastat_update(struct nl_tui *t, const struct nl_snapshot *s)
{
	if (!s->numastat_valid || (t->ns_cur.valid && t->ns_cur.mono_ns == s->mono_ns))
		return;
	t->ns_prev = t->ns_cur;
	t->ns_cur.valid = true;
	t->ns_cur.mono_ns = s->mono_ns;
	memcpy(t->ns_cur.v, s->numastat, sizeof(t->ns_cur.v));
}

static void numastat_rates(const struct nl_tui *t, int id, struct node_figs *g)
{
	const struct nl_numastat *a = &t->ns_prev.v[id], *b = &t->ns_cur.v[id];
	double secs = (double)(t->ns_cur.mono_ns - t->ns_prev.mono_ns) / 1e9;

	if (!t->ns_prev.valid || secs <= 0) {
		snprintf(g->hit, sizeof(g->hit), "-");
		snprintf(g->miss, sizeof(g->miss), "-");
		return;
	}
	fmt_short(g->hit, sizeof(g->hit), b->numa_hit >= a->numa_hit ? (b->numa_hit - a->numa_hit) / secs : NAN);
	fmt_short(g->miss, sizeof(g->miss),
		  b->numa_miss >= a->numa_miss ? (b->numa_miss - a->numa_miss) / secs : NAN);
}

/* Without accesses in the interval (placed pages, AutoNUMA off), the ESTIMATE the
 * list uses too: each process's share of resident pages off node id, weighted by its
 * CPU time on node id. NAN when no process with known residency ran there. */
static double resident_estimate(const struct nl_snapshot *s, int id)
{
	double w = 0, sum = 0;

	for (int p = 0; p < s->nr_procs; p++) {
		const struct nl_process *pr = &s->procs[p];
		uint64_t res = nl_node_sum(pr->resident_pages);
		if (!pr->resident_known || !res || !pr->c.cpu_ns[id])
			continue;
		w += (double)pr->c.cpu_ns[id];
		sum += (double)pr->c.cpu_ns[id] * (double)(res - pr->resident_pages[id]) / (double)res;
	}
	return w > 0 ? sum / w : NAN;
}

/* The traced threads' accesses from node id's CPUs, CPU time and migrations there. */
static void access_figs(const struct nl_snapshot *s, int id, struct node_figs *g)
{
	uint64_t all = 0, remote = 0, hint = 0, cpu = 0, in = 0, out = 0;
	double secs = (double)s->interval_ns / 1e9;

	for (int p = 0; p < s->nr_procs; p++) {
		const struct nl_counts *c = &s->procs[p].c;
		cpu += c->cpu_ns[id];
		for (int m = 0; m < NL_MAX_NODES; m++) {
			uint64_t v = nl_mat_at(&c->faults, id, m) + nl_mat_at(&c->hint_faults, id, m);
			all += v;
			remote += m == id ? 0 : v;
			hint += nl_mat_at(&c->hint_faults, id, m);
			in += nl_mat_at(&c->migrated_pages, m, id);
			out += nl_mat_at(&c->migrated_pages, id, m);
		}
	}
	g->remote = all ? (double)remote / (double)all : resident_estimate(s, id);
	g->remote_estimate = !all && !isnan(g->remote);
	g->cpu = s->interval_ns && s->topo.nr_cpus[id] ?
			 (double)cpu / ((double)s->interval_ns * s->topo.nr_cpus[id]) : NAN;
	fmt_short(g->hint, sizeof(g->hint), secs > 0 ? hint / secs : NAN);
	char a[12], b[12];
	fmt_short(a, sizeof(a), secs > 0 ? in / secs : NAN);
	fmt_short(b, sizeof(b), secs > 0 ? out / secs : NAN);
	snprintf(g->migr, sizeof(g->migr), "%s/%s", a, b);
}

static void mem_figs(const struct nl_tui_frame *f, int id, struct node_figs *g)
{
	char used[12], total[12];

	g->mem_used = NAN;
	snprintf(g->mem, sizeof(g->mem), "?");
	if (!f->mem || !f->mem->known[id] || !f->mem->total_kb[id])
		return;
	uint64_t u = f->mem->total_kb[id] - (f->mem->free_kb[id] < f->mem->total_kb[id] ?
					     f->mem->free_kb[id] : f->mem->total_kb[id]);
	g->mem_used = (double)u / (double)f->mem->total_kb[id];
	fmt_kib(used, sizeof(used), u);
	fmt_kib(total, sizeof(total), f->mem->total_kb[id]);
	snprintf(g->mem, sizeof(g->mem), "%s/%s", used, total);
}

/* Column x positions: bars only when the terminal is 80 columns or more. */
struct cols {
	bool bars;
	int remote, cpu, mem, hint, migr, hit, miss;
};

static void cols_init(struct cols *c)
{
	c->bars = tui_cols() >= 80;
	c->remote = 5;
	c->cpu = c->remote + 7;
	c->mem = c->cpu + (c->bars ? 14 : 5);
	c->hint = c->mem + (c->bars ? 19 : 11);
	c->migr = c->hint + 7;
	c->hit = c->migr + 12;
	c->miss = c->hit + 7;
}

static void pct(char *buf, size_t len, double v)
{
	if (isnan(v))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.0f%%", v * 100);
}

static void node_line(struct nl_tui *t, const struct cols *c, int y, int id, const struct node_figs *g)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "n%d", id);
	tui_put(y, 0, A_BOLD, buf, 5);
	pct(buf + 1, sizeof(buf) - 1, g->remote);
	buf[0] = '~';
	tui_put(y, c->remote, tui_severity(t, g->remote), buf + !g->remote_estimate, 6);
	if (c->bars)
		tui_bar(t, y, c->cpu, 8, g->cpu, 0);
	pct(buf, sizeof(buf), g->cpu);
	tui_put(y, c->cpu + (c->bars ? 9 : 0), A_NORMAL, buf, 4);
	if (c->bars)
		tui_bar(t, y, c->mem, 8, g->mem_used, 0);
	tui_put(y, c->mem + (c->bars ? 9 : 0), A_NORMAL, g->mem, 9);
	tui_put(y, c->hint, A_NORMAL, g->hint, 6);
	tui_put(y, c->migr, A_NORMAL, g->migr, 11);
	tui_put(y, c->hit, A_NORMAL, g->hit, 6);
	tui_put(y, c->miss, A_NORMAL, g->miss, 6);
}

static void titles(const struct cols *c, int y)
{
	attr_t a = A_BOLD;

	tui_put(y, 0, a, "node", 4);
	tui_put(y, c->remote, a, "remote", 6);
	tui_put(y, c->cpu, a, "CPU", 3);
	tui_put(y, c->mem, a, "mem used", 8);
	tui_put(y, c->hint, a, "hint/s", 6);
	tui_put(y, c->migr, a, "migr in/out", 11);
	tui_put(y, c->hit, a, "hit/s", 6);
	tui_put(y, c->miss, a, "miss/s", 6);
}

/* AutoNUMA's state and the system-wide /proc/vmstat rates of the interval. */
static void system_line(const struct nl_snapshot *s, int y)
{
	char line[256], h[12], m[12];
	double secs = (double)s->interval_ns / 1e9;
	const struct nl_vmstat_check *v = &s->vmstat;
	int off = snprintf(line, sizeof(line), "%s", s->autonuma_state[0] ? s->autonuma_state :
						  s->numa_balancing > 0 ? "AutoNUMA on" :
						  s->numa_balancing == 0 ? "AutoNUMA off" : "AutoNUMA unknown");

	if (v->valid && secs > 0) {
		fmt_short(h, sizeof(h), v->hint_faults / secs);
		fmt_short(m, sizeof(m), v->pages_migrated / secs);
		snprintf(line + off, sizeof(line) - (size_t)off,
			 "   system (/proc/vmstat): hint faults %s/s, %.0f%% local; NUMA migrations %s pages/s",
			 h, v->hint_faults ? 100.0 * v->hint_faults_local / v->hint_faults : 0.0, m);
	}
	tui_put(y, 0, A_DIM, line, tui_cols());
}

int tui_header_draw(struct nl_tui *t, const struct nl_tui_frame *f, int y)
{
	const struct nl_snapshot *s = f->s;
	struct cols c;
	int rows = 0;

	numastat_update(t, s);
	cols_init(&c);
	titles(&c, y + rows++);
	for (int i = 0; i < s->topo.nr_nodes; i++) {
		int id = s->topo.node_ids[i];
		struct node_figs g;

		if (id < 0 || id >= NL_MAX_NODES)
			continue;
		access_figs(s, id, &g);
		mem_figs(f, id, &g);
		numastat_rates(t, id, &g);
		node_line(t, &c, y + rows++, id, &g);
	}
	system_line(s, y + rows++);
	return rows;
}
