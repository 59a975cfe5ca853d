/* numalens export: a trace file in the formats other tools read.
 *   chrome  Chrome trace-event JSON (loads in the Perfetto UI and chrome://tracing): a
 *           track per process and thread; migrate_pages() calls, AutoNUMA scanner runs
 *           and call-function IPIs (TLB shootdowns) as slices on the thread that
 *           stalled in them; NUMA task moves, swaps and sticks, and shootdowns sent,
 *           as instant events; per-node counter tracks per process (faults
 *           by page node, CPU time by node, resident pages by node) and system-wide
 *           (pages migrated to each node, lost events).
 *   csv     the timeline, one row per interval: faults local/remote, hint faults,
 *           migrations, stall, moves, and per node CPU time, faults by page node and
 *           resident pages.
 *   folded  first-touch stacks for flame graphs (flamegraph.pl, speedscope, Perfetto):
 *           "comm;outer;...;inner PAGES", the stack of each thread that placed the
 *           most pages, weighted by those pages. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/trace_input.h"
#include "common/util.h"
#include "model/accum.h"
#include "render/json.h"

enum format { FMT_NONE, FMT_CHROME, FMT_CSV, FMT_FOLDED };

struct export {
	struct nl_trace_window win;
	enum format fmt;
	const char *out_path;
	FILE *out;
	struct nl_trace_input in;
	struct nl_json j;
	struct nl_accum acc;       /* folded: the window's stacks */
	uint32_t *named;           /* chrome: pids and tids given a name already */
	size_t nr_named, cap_named;
	int cpu_node[4096];        /* chrome: CPU -> node of the recording machine */
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: numalens export -i FILE --format chrome|csv|folded [-o OUT] [--from SEC]\n"
		"                       [--to SEC] [-p PID]\n"
		"\n"
		"Writes a trace recorded by `numalens record` in another tool's format.\n"
		"\n"
		"  -i, --input FILE     the trace file\n"
		"  -f, --format FMT     chrome: Chrome trace-event JSON for the Perfetto UI (a track\n"
		"                       per thread, migrations and scanner runs as slices, NUMA\n"
		"                       moves as instants, per-node counter tracks); csv: one row\n"
		"                       per interval; folded: first-touch stacks for flame graphs\n"
		"  -o, --output OUT     where to write (default: stdout)\n"
		"      --from SEC       start of the window, seconds from the recording's start\n"
		"      --to SEC         end of the window\n"
		"  -p, --pid PID        only this process\n"
		"  -h, --help           this text\n"
		"\n"
		"Exit status: 0 written, 1 not a trace or cannot write OUT, 2 bad usage.\n");
}

static int parse_args(int argc, char **argv, struct export *e)
{
	enum { OPT_FROM = 256, OPT_TO };
	static const struct option longopts[] = {
		{ "input", required_argument, NULL, 'i' },
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "from", required_argument, NULL, OPT_FROM },
		{ "to", required_argument, NULL, OPT_TO },
		{ "pid", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, rc;

	nl_trace_window_init(&e->win);
	optind = 1;
	while ((c = getopt_long(argc, argv, "i:f:o:p:h", longopts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 1;
		}
		if (c == 'o') {
			e->out_path = optarg;
			continue;
		}
		if (c == 'f') {
			e->fmt = !strcmp(optarg, "chrome") ? FMT_CHROME : !strcmp(optarg, "csv") ? FMT_CSV :
				 !strcmp(optarg, "folded") ? FMT_FOLDED : FMT_NONE;
			if (e->fmt == FMT_NONE) {
				nl_err("export: --format wants chrome, csv or folded, not '%s'", optarg);
				return -1;
			}
			continue;
		}
		rc = nl_trace_window_option(&e->win, "export", c == OPT_FROM ? 'F' : c == OPT_TO ? 'T' : c,
					    optarg);
		if (rc) {
			if (rc > 0)
				usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		nl_err("export: unexpected argument '%s'", argv[optind]);
		return -1;
	}
	if (e->fmt == FMT_NONE) {
		nl_err("export: --format chrome|csv|folded is required");
		return -1;
	}
	return nl_trace_window_check(&e->win, "export");
}

/* ---- chrome ---- */

static double usec(const struct export *e, uint64_t mono_ns)
{
	uint64_t start = e->in.meta->start_mono_ns;
	return mono_ns > start ? (double)(mono_ns - start) / 1e3 : 0.0;
}

static bool named(struct export *e, uint32_t pid, uint32_t tid)
{
	uint32_t key = tid ? tid : pid | 0x80000000u;

	for (size_t i = 0; i < e->nr_named; i++)
		if (e->named[i] == key)
			return true;
	if (nl_grow(&e->named, &e->cap_named, e->nr_named, sizeof(*e->named)))
		return true; /* unnamed tracks still show their ids */
	e->named[e->nr_named++] = key;
	return false;
}

static void chrome_name(struct export *e, uint32_t pid, uint32_t tid, const char *name)
{
	if (named(e, pid, tid))
		return;
	nl_json_obj_begin(&e->j);
	nl_json_kstr(&e->j, "ph", "M");
	nl_json_kstr(&e->j, "name", tid ? "thread_name" : "process_name");
	nl_json_ku64(&e->j, "pid", pid);
	nl_json_ku64(&e->j, "tid", tid ? tid : pid);
	nl_json_key(&e->j, "args");
	nl_json_obj_begin(&e->j);
	nl_json_kstr(&e->j, "name", name);
	nl_json_obj_end(&e->j);
	nl_json_obj_end(&e->j);
}

/* A counter event: one value per node id present ("n0", "n1", ...). */
static void chrome_counter(struct export *e, const struct nl_snapshot *s, uint32_t pid,
			   const char *name, const uint64_t v[NL_MAX_NODES], double scale)
{
	char key[16];

	nl_json_obj_begin(&e->j);
	nl_json_kstr(&e->j, "ph", "C");
	nl_json_kstr(&e->j, "name", name);
	nl_json_ku64(&e->j, "pid", pid);
	nl_json_kdouble(&e->j, "ts", usec(e, s->mono_ns));
	nl_json_key(&e->j, "args");
	nl_json_obj_begin(&e->j);
	for (int i = 0; i < s->topo.nr_nodes; i++) {
		int n = s->topo.node_ids[i];
		snprintf(key, sizeof(key), "n%d", n);
		nl_json_kdouble(&e->j, key, (double)v[n] * scale);
	}
	nl_json_obj_end(&e->j);
	nl_json_obj_end(&e->j);
}

static int chrome_interval(void *ctx, struct nl_snapshot *s)
{
	struct export *e = ctx;
	uint64_t v[NL_MAX_NODES], to[NL_MAX_NODES] = { 0 }, lost[NL_MAX_NODES] = { 0 };

	for (int p = 0; p < s->nr_procs; p++) {
		const struct nl_process *pr = &s->procs[p];

		chrome_name(e, pr->pid, 0, pr->comm);
		for (int t = 0; t < pr->nr_threads; t++)
			if (pr->threads[t].tid)
				chrome_name(e, pr->pid, pr->threads[t].tid, pr->threads[t].comm);
		nl_mat_columns(&pr->c.faults, v);
		chrome_counter(e, s, pr->pid, "faults by page node", v, 1.0);
		chrome_counter(e, s, pr->pid, "CPU ms by node", pr->c.cpu_ns, 1e-6);
		if (pr->resident_known)
			chrome_counter(e, s, pr->pid, "resident pages by node", pr->resident_pages, 1.0);
		nl_mat_columns(&pr->c.migrated_pages, v);
		for (int n = 0; n < NL_MAX_NODES; n++)
			to[n] += v[n];
	}
	chrome_name(e, 0, 0, "numalens: system");
	chrome_counter(e, s, 0, "pages migrated to node", to, 1.0);
	lost[s->topo.nr_nodes ? s->topo.node_ids[0] : 0] = s->lost_events;
	chrome_counter(e, s, 0, "lost events (all nodes, in n0's column)", lost, 1.0);
	return ferror(e->out) ? -EIO : 0;
}

static int cpu_to_node(const struct export *e, uint32_t cpu)
{
	return cpu < NL_ARRAY_SIZE(e->cpu_node) ? e->cpu_node[cpu] : -1;
}

static void chrome_slice(struct export *e, const struct nl_event *ev, const char *name)
{
	uint64_t begin = ev->ts_ns > ev->v2 ? ev->ts_ns - ev->v2 : ev->ts_ns;

	nl_json_obj_begin(&e->j);
	nl_json_kstr(&e->j, "ph", "X");
	nl_json_kstr(&e->j, "name", name);
	nl_json_ku64(&e->j, "pid", ev->tgid);
	nl_json_ku64(&e->j, "tid", ev->tid);
	nl_json_kdouble(&e->j, "ts", usec(e, begin));
	nl_json_kdouble(&e->j, "dur", (double)ev->v2 / 1e3);
	nl_json_key(&e->j, "args");
	nl_json_obj_begin(&e->j);
	if (ev->type == NL_EV_MIGRATE) {
		nl_json_ku64(&e->j, "pages", ev->v0);
		nl_json_ku64(&e->j, "failed", ev->v1);
		/* from/to of the call's first cross-node page; -1 when unknown */
		nl_json_ki64(&e->j, "from_node", (int64_t)(ev->b >> 16) - 1);
		nl_json_ki64(&e->j, "to_node", (int64_t)(ev->b & 0xffff) - 1);
	}
	nl_json_ku64(&e->j, ev->type == NL_EV_IPI ? "handler_ns" : "stall_ns", ev->v2);
	nl_json_obj_end(&e->j);
	nl_json_obj_end(&e->j);
}

static void chrome_instant(struct export *e, const struct nl_event *ev, const char *name)
{
	nl_json_obj_begin(&e->j);
	nl_json_kstr(&e->j, "ph", "i");
	nl_json_kstr(&e->j, "s", "t");
	nl_json_kstr(&e->j, "name", name);
	nl_json_ku64(&e->j, "pid", ev->tgid);
	nl_json_ku64(&e->j, "tid", ev->tid);
	nl_json_kdouble(&e->j, "ts", usec(e, ev->ts_ns));
	nl_json_key(&e->j, "args");
	nl_json_obj_begin(&e->j);
	nl_json_ku64(&e->j, "from_cpu", ev->a);
	nl_json_ku64(&e->j, "to_cpu", ev->b);
	nl_json_ki64(&e->j, "from_node", cpu_to_node(e, ev->a));
	nl_json_ki64(&e->j, "to_node", cpu_to_node(e, ev->b));
	nl_json_obj_end(&e->j);
	nl_json_obj_end(&e->j);
}

/* The sender's side of a shootdown: an instant on its thread. */
static void chrome_tlb_send(struct export *e, const struct nl_event *ev)
{
	const char *r = ev->a < NL_TLB_REASONS ? e->in.meta->names.tlb_reason[ev->a] : "";

	nl_json_obj_begin(&e->j);
	nl_json_kstr(&e->j, "ph", "i");
	nl_json_kstr(&e->j, "s", "t");
	nl_json_kstr(&e->j, "name", ev->b ? "TLB shootdown sent (AutoNUMA)" : "TLB shootdown sent");
	nl_json_ku64(&e->j, "pid", ev->tgid);
	nl_json_ku64(&e->j, "tid", ev->tid);
	nl_json_kdouble(&e->j, "ts", usec(e, ev->ts_ns));
	nl_json_key(&e->j, "args");
	nl_json_obj_begin(&e->j);
	nl_json_kstr(&e->j, "reason", r[0] ? r : "?");
	if (ev->v0 == UINT64_MAX)
		nl_json_kstr(&e->j, "pages", "all");
	else
		nl_json_ku64(&e->j, "pages", ev->v0);
	nl_json_obj_end(&e->j);
	nl_json_obj_end(&e->j);
}

static int chrome_events(void *ctx, const struct nl_event *ev, size_t n)
{
	struct export *e = ctx;
	char name[64];

	for (size_t i = 0; i < n; i++) {
		switch (ev[i].type) {
		case NL_EV_MIGRATE: {
			const char *r = ev[i].a < NL_MIGRATE_REASONS ?
						e->in.meta->names.migrate_reason[ev[i].a] : "";
			snprintf(name, sizeof(name), "migrate_pages (%s)", r[0] ? r : "?");
			chrome_slice(e, &ev[i], name);
			break;
		}
		case NL_EV_NUMA_SCAN: chrome_slice(e, &ev[i], "task_numa_work (AutoNUMA scan)"); break;
		case NL_EV_IPI:
			chrome_slice(e, &ev[i], ev[i].a ? "IPI (AutoNUMA TLB shootdown)" : "call-function IPI");
			break;
		case NL_EV_TLB_SEND: chrome_tlb_send(e, &ev[i]); break;
		case NL_EV_NUMA_MOVE: chrome_instant(e, &ev[i], "NUMA task move"); break;
		case NL_EV_NUMA_SWAP: chrome_instant(e, &ev[i], "NUMA task swap"); break;
		case NL_EV_NUMA_STICK: chrome_instant(e, &ev[i], "NUMA move refused (stick)"); break;
		default: break; /* a newer recorder's event: skipped */
		}
	}
	return ferror(e->out) ? -EIO : 0;
}

static int export_chrome(struct export *e)
{
	const struct nl_topo_summary *t = &e->in.meta->topo;

	for (size_t c = 0; c < NL_ARRAY_SIZE(e->cpu_node); c++)
		e->cpu_node[c] = -1;
	for (int n = 0; n < NL_MAX_NODES; n++)
		for (int k = 0; t->cpus[n] && k < t->nr_cpus[n]; k++)
			if (t->cpus[n][k] >= 0 && (size_t)t->cpus[n][k] < NL_ARRAY_SIZE(e->cpu_node))
				e->cpu_node[t->cpus[n][k]] = n;
	nl_json_init(&e->j, e->out, false);
	nl_json_obj_begin(&e->j);
	nl_json_kstr(&e->j, "displayTimeUnit", "ms");
	nl_json_key(&e->j, "otherData");
	nl_json_obj_begin(&e->j);
	nl_json_kstr(&e->j, "recorded_on", e->in.meta->hostname);
	nl_json_kstr(&e->j, "kernel", e->in.meta->kernel_release);
	nl_json_kstr(&e->j, "target", e->in.meta->target ? e->in.meta->target : "");
	nl_json_kstr(&e->j, "timestamps", "microseconds from the recording's start");
	nl_json_obj_end(&e->j);
	nl_json_key(&e->j, "traceEvents");
	nl_json_arr_begin(&e->j);
	int rc = nl_trace_input_each(&e->in, chrome_interval, chrome_events, e);
	nl_json_arr_end(&e->j);
	nl_json_obj_end(&e->j);
	nl_json_end(&e->j);
	return rc;
}

/* ---- csv ---- */

static void csv_header(struct export *e)
{
	const struct nl_topo_summary *t = &e->in.meta->topo;
	const char *per_node[] = { "cpu_ns", "faults_to", "resident_pages", "migrated_to" };

	fprintf(e->out, "end_s,len_s,processes,faults_local,faults_remote,faults_unresolved,"
			"hint_local,hint_remote,migrated_pages,migrate_stall_ns,numa_task_moves,"
			"lost_events");
	for (size_t k = 0; k < NL_ARRAY_SIZE(per_node); k++)
		for (int i = 0; i < t->nr_nodes; i++)
			fprintf(e->out, ",%s_n%d", per_node[k], t->node_ids[i]);
	fputc('\n', e->out);
}

static int csv_interval(void *ctx, struct nl_snapshot *s)
{
	struct export *e = ctx;
	uint64_t loc = 0, rem = 0, unres = 0, hloc = 0, hrem = 0, mig = 0, stall = 0, moves = 0;
	uint64_t cpu[NL_MAX_NODES] = { 0 }, to[NL_MAX_NODES] = { 0 }, res[NL_MAX_NODES] = { 0 };
	uint64_t mto[NL_MAX_NODES] = { 0 };

	for (int p = 0; p < s->nr_procs; p++) {
		const struct nl_counts *c = &s->procs[p].c;
		for (int i = 0; i < NL_MAX_NODES; i++) {
			for (int j = 0; j < NL_MAX_NODES; j++) {
				*(i == j ? &loc : &rem) += nl_mat_at(&c->faults, i, j);
				*(i == j ? &hloc : &hrem) += nl_mat_at(&c->hint_faults, i, j);
				mig += nl_mat_at(&c->migrated_pages, i, j);
				to[j] += nl_mat_at(&c->faults, i, j);
				mto[j] += nl_mat_at(&c->migrated_pages, i, j);
			}
			cpu[i] += c->cpu_ns[i];
			if (s->procs[p].resident_known)
				res[i] += s->procs[p].resident_pages[i];
		}
		unres += c->faults_unresolved;
		stall += c->migrate_stall_ns;
		moves += c->numa_task_moves;
	}
	fprintf(e->out, "%.3f,%.3f,%d,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
		",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64,
		usec(e, s->mono_ns) / 1e6, (double)s->interval_ns / 1e9, s->nr_procs, loc, rem, unres,
		hloc, hrem, mig, stall, moves, s->lost_events);
	const uint64_t *cols[] = { cpu, to, res, mto };
	for (size_t k = 0; k < NL_ARRAY_SIZE(cols); k++)
		for (int i = 0; i < s->topo.nr_nodes; i++)
			fprintf(e->out, ",%" PRIu64, cols[k][s->topo.node_ids[i]]);
	fputc('\n', e->out);
	return ferror(e->out) ? -EIO : 0;
}

/* ---- folded ---- */

static int folded_interval(void *ctx, struct nl_snapshot *s)
{
	return nl_accum_add(&((struct export *)ctx)->acc, s);
}

/* "sym" without its "+0x..", else "[module+0xoff]", else the address. */
static void frame_label(const struct nl_frame *f, char *buf, size_t len)
{
	if (f->symbol) {
		size_t n = strcspn(f->symbol, "+");
		snprintf(buf, len, "%.*s", (int)n, f->symbol);
	} else if (f->module && f->has_offset) {
		const char *base = strrchr(f->module, '/');
		snprintf(buf, len, "[%s+0x%" PRIx64 "]", base ? base + 1 : f->module, f->file_offset);
	} else {
		snprintf(buf, len, "0x%" PRIx64, f->ip);
	}
	for (char *c = buf; *c; c++)
		if (*c == ';' || *c == ' ')
			*c = '_'; /* the folded format's separators */
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int push_line(char ***v, size_t *n, size_t *cap, char *line)
{
	if (nl_grow(v, cap, *n, sizeof(**v)))
		return -ENOMEM;
	(*v)[(*n)++] = line;
	return 0;
}

static int export_folded(struct export *e)
{
	char **lines = NULL, frame[256];
	size_t n = 0, cap = 0;
	int rc = nl_trace_input_each(&e->in, folded_interval, NULL, e);

	for (int p = 0; !rc && p < e->acc.s.nr_procs; p++) {
		const struct nl_process *pr = &e->acc.s.procs[p];
		for (int t = 0; !rc && t < pr->nr_threads; t++) {
			const struct nl_thread *th = &pr->threads[t];
			const struct nl_stack *st = th->first_touch_stack;
			char *line = NULL;
			size_t len = 0;
			FILE *m;

			if (!st || !st->nr || !th->first_touch_stack_pages)
				continue;
			if (!(m = open_memstream(&line, &len))) {
				rc = -ENOMEM;
				break;
			}
			fprintf(m, "%s", pr->comm[0] ? pr->comm : "?");
			for (int f = st->nr - 1; f >= 0; f--) {
				frame_label(&st->frames[f], frame, sizeof(frame));
				fprintf(m, ";%s", frame);
			}
			fprintf(m, " %" PRIu64, th->first_touch_stack_pages);
			if (fclose(m) || push_line(&lines, &n, &cap, line)) {
				free(line);
				rc = -ENOMEM;
				break;
			}
		}
	}
	if (!rc && n)
		qsort(lines, n, sizeof(*lines), cmp_str);
	for (size_t i = 0; i < n; i++) {
		if (!rc)
			fprintf(e->out, "%s\n", lines[i]);
		free(lines[i]);
	}
	free(lines);
	return rc;
}

static int open_out(struct export *e)
{
	if (!e->out_path) {
		e->out = stdout;
		return 0;
	}
	e->out = fopen(e->out_path, "we");
	if (!e->out) {
		nl_err("export: cannot write %s: %s", e->out_path, strerror(errno));
		return -1;
	}
	return 0;
}

int cmd_export(int argc, char **argv)
{
	struct export *e = calloc(1, sizeof(*e));
	int rc = NL_EXIT_FAIL, err = 0;

	if (!e) {
		nl_err("export: out of memory");
		return NL_EXIT_FAIL;
	}
	switch (parse_args(argc, argv, e)) {
	case 0: break;
	case 1: free(e); return NL_EXIT_OK;
	default: free(e); return NL_EXIT_USAGE;
	}
	if (nl_trace_input_open(&e->in, &e->win, "export")) {
		free(e);
		return NL_EXIT_FAIL;
	}
	if (open_out(e))
		goto cleanup;
	if (e->fmt == FMT_CHROME)
		err = export_chrome(e);
	else if (e->fmt == FMT_FOLDED)
		err = export_folded(e);
	else {
		csv_header(e);
		err = nl_trace_input_each(&e->in, csv_interval, NULL, e);
	}
	if (fflush(e->out) || ferror(e->out) || err) {
		nl_err("export: writing %s failed", e->out_path ? e->out_path : "stdout");
		goto cleanup;
	}
	nl_trace_input_say_losses(&e->in, "export");
	if (nl_trace_input_say_empty(&e->in, "export"))
		goto cleanup;
	rc = NL_EXIT_OK;
cleanup:
	if (e->out && e->out != stdout && fclose(e->out))
		rc = NL_EXIT_FAIL;
	nl_accum_free(&e->acc);
	free(e->named);
	nl_trace_input_close(&e->in);
	free(e);
	return rc;
}
