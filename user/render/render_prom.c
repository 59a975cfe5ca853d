/* Prometheus text exposition of the exporter's totals. Series of a family are always
 * printed for every online node (pair) and every reason the kernel names, zero or
 * not, so a rate() over them never sees a series appear out of nothing; cgroups are
 * the exception (the top N by accesses, bounded). */
#include "render/render_prom.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define NS_PER_SEC 1e9

static void family(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A family of one unlabelled sample. */
static void scalar(FILE *out, const char *name, const char *type, const char *help, uint64_t v)
{
	family(out, name, type, help);
	fprintf(out, "%s %" PRIu64 "\n", name, v);
}

/* A label value with \, " and newline escaped, as the text format wants. */
static void label_value(FILE *out, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(out, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", out);
		else
			fputc(*v, out);
	}
}

static void node_pairs(FILE *out, const struct nl_fleet *f, const char *name, const char *l1,
		       const char *l2, const struct nl_mat *m)
{
	for (int i = 0; i < f->nr_nodes; i++)
		for (int j = 0; j < f->nr_nodes; j++) {
			int a = f->node_ids[i], b = f->node_ids[j];
			fprintf(out, "%s{%s=\"%d\",%s=\"%d\"} %" PRIu64 "\n", name, l1, a, l2, b,
				nl_mat_at(m, (unsigned)a, (unsigned)b));
		}
}

static void per_node(FILE *out, const struct nl_fleet *f, const char *name, const char *type,
		     const char *help, size_t offset, size_t stride)
{
	family(out, name, type, help);
	for (int i = 0; i < f->nr_nodes; i++) {
		int n = f->node_ids[i];
		uint64_t v;
		memcpy(&v, (const char *)f + offset + (size_t)n * stride, sizeof(v));
		fprintf(out, "%s{node=\"%d\"} %" PRIu64 "\n", name, n, v);
	}
}

/* Reasons the kernel names, and any unnamed slot with a count. */
static void by_reason(FILE *out, const char *name, const char names[][32], int n,
		      const uint64_t *v, int first)
{
	char buf[32];

	for (int r = first; r < n; r++) {
		if (!names[r][0] && !v[r])
			continue;
		fprintf(out, "%s{reason=\"", name);
		label_value(out, nl_reason_key(names[r], r, buf, sizeof(buf)));
		fprintf(out, "\"} %" PRIu64 "\n", v[r]);
	}
}

/* Per CPU node: classified accesses and the remote ones, so a remote ratio per node
 * is one division in PromQL (which cannot compare two labels of a series). */
static void node_accesses(FILE *out, const struct nl_fleet *f)
{
	uint64_t all[NL_MAX_NODES] = { 0 }, remote[NL_MAX_NODES] = { 0 };

	for (int i = 0; i < NL_MAX_NODES; i++)
		for (int j = 0; j < NL_MAX_NODES; j++) {
			uint64_t n = nl_mat_at(&f->c.faults, i, j) + nl_mat_at(&f->c.hint_faults, i, j);
			all[i] += n;
			if (i != j)
				remote[i] += n;
		}
	family(out, "numalens_node_accesses_total", "counter",
	       "Classified accesses (page faults + hint faults) by node of the CPU (sources: faults, hint faults).");
	for (int i = 0; i < f->nr_nodes; i++)
		fprintf(out, "numalens_node_accesses_total{node=\"%d\"} %" PRIu64 "\n", f->node_ids[i],
			all[f->node_ids[i]]);
	family(out, "numalens_node_remote_accesses_total", "counter",
	       "Of those, the accesses to a page on another node.");
	for (int i = 0; i < f->nr_nodes; i++)
		fprintf(out, "numalens_node_remote_accesses_total{node=\"%d\"} %" PRIu64 "\n", f->node_ids[i],
			remote[f->node_ids[i]]);
}

static void stall_histogram(FILE *out, const struct nl_fleet *f)
{
	const char *name = "numalens_migration_stall_seconds";
	uint64_t cum = 0;

	family(out, name, "histogram",
	       "Time a thread spent inside migrate_pages(), per call, every reason (source: migrations; log2 buckets of ns).");
	/* bucket b is [2^b, 2^(b+1)) ns: its upper bound is le; the last is open */
	for (int b = 0; b < NL_HIST_BUCKETS - 1; b++) {
		cum += f->c.migrate_stall_hist[b];
		fprintf(out, "%s_bucket{le=\"%.10g\"} %" PRIu64 "\n", name,
			(double)(1ULL << (b + 1)) / NS_PER_SEC, cum);
	}
	cum += f->c.migrate_stall_hist[NL_HIST_BUCKETS - 1];
	fprintf(out, "%s_bucket{le=\"+Inf\"} %" PRIu64 "\n", name, cum);
	fprintf(out, "%s_sum %.9f\n", name, (double)f->c.migrate_stall_ns / NS_PER_SEC);
	fprintf(out, "%s_count %" PRIu64 "\n", name, cum);
}

/* BPF's log-linear buckets as cumulative le buckets: bucket b holds [lower(b),
 * lower(b+1)), so its le is lower(b+1) - 1 ns (latencies are whole ns). Every bucket is
 * printed, empty or not, so the series set never changes while the exporter runs. */
static void request_histogram(FILE *out, const struct nl_fleet *f)
{
	const char *name = "numalens_request_latency_seconds";
	uint64_t cum = 0;

	family(out, name, "histogram",
	       "Latency of the finished requests (--request, --usdt or --syscalls), those cut by their thread's exit left out (source: requests; BPF's log-linear histogram, 8 buckets per power of two).");
	for (int b = 0; b < NL_RQ_HIST_BUCKETS - 1; b++) {
		cum += f->rq_hist.b[b];
		fprintf(out, "%s_bucket{le=\"%.10g\"} %" PRIu64 "\n", name,
			(double)(nl_rq_hist_lower((__u32)b + 1) - 1) / NS_PER_SEC, cum);
	}
	cum += f->rq_hist.b[NL_RQ_HIST_BUCKETS - 1];
	fprintf(out, "%s_bucket{le=\"+Inf\"} %" PRIu64 "\n", name, cum);
	fprintf(out, "%s_sum %.9f\n", name, (double)f->rq_sum_ns / NS_PER_SEC);
	fprintf(out, "%s_count %" PRIu64 "\n", name, cum);
}

static void requests(FILE *out, const struct nl_fleet *f)
{
	static const char *const drop_names[NL_RQ_DROP_MAX] = {
		[NL_RQ_DROP_THREAD] = "inflight_full",
		[NL_RQ_DROP_EVENT] = "record_lost",
		[NL_RQ_DROP_DEPTH] = "unmatched_return",
	};

	if (!f->rq_valid)
		return;
	request_histogram(out, f);
	scalar(out, "numalens_requests_total", "counter",
	       "Requests measured to their end: the finished ones of the histogram and those cut by their thread's exit (source: requests).",
	       f->rq_hist.count + f->rq_exited);
	scalar(out, "numalens_requests_exited_total", "counter",
	       "Requests cut short by their thread's exit, left out of the histogram (source: requests).",
	       f->rq_exited);
	family(out, "numalens_request_drops_total", "counter",
	       "What the request programs could not record: a request not measured (inflight_full: --max-inflight threads already in one), a finished request's record lost to a full ring buffer (record_lost: in the histogram, not in the causes), a return without its entry (unmatched_return).");
	for (int i = 0; i < NL_RQ_DROP_MAX; i++)
		fprintf(out, "numalens_request_drops_total{reason=\"%s\"} %" PRIu64 "\n", drop_names[i],
			f->rq_drops[i]);
	family(out, "numalens_request_cause_seconds_total", "counter",
	       "Time of the finished requests by cause; the causes partition each request's latency, summed over the requests whose record reached numalens (source: requests). hint_fault only where this kernel lets numalens hook faults (fentry or kprobe; otherwise that time is in on_cpu).");
	for (int c = 0; c < NL_RQ_CAUSES; c++) {
		if (c == NL_RQ_HINT_FAULT && !f->rq_hint_measured)
			continue;
		fprintf(out, "numalens_request_cause_seconds_total{cause=\"%s\"} %.9f\n",
			nl_rq_cause_names[c], (double)f->rq_causes_ns[c] / NS_PER_SEC);
	}
	scalar(out, "numalens_request_records_total", "counter",
	       "Finished requests whose record (with its causes) reached numalens: the population of numalens_request_cause_seconds_total.",
	       f->rq_records);
}

static int cmp_cgroup(const void *a, const void *b)
{
	const struct nl_fleet_cgroup *x = *(const struct nl_fleet_cgroup *const *)a;
	const struct nl_fleet_cgroup *y = *(const struct nl_fleet_cgroup *const *)b;

	if (x->accesses != y->accesses)
		return x->accesses < y->accesses ? 1 : -1;
	return strcmp(x->path, y->path);
}

static void cgroup_line(FILE *out, const char *name, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void cgroup_line(FILE *out, const char *name, const char *path, const char *fmt, ...)
{
	va_list ap;

	fprintf(out, "%s{cgroup=\"", name);
	label_value(out, path);
	fputs("\"} ", out);
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
}

/* The top N cgroups by accesses, and "other" for the rest (so sums stay whole). */
static void cgroups(FILE *out, const struct nl_fleet *f, int top)
{
	const struct nl_fleet_cgroup **v = NULL;
	size_t n = 0;
	uint64_t other_all = f->other_accesses, other_remote = f->other_remote;

	if (top <= 0)
		return;
	if (f->nr_cgroups && !(v = calloc(f->nr_cgroups, sizeof(*v))))
		return; /* out of memory: the families are left out, the rest stands */
	for (size_t i = 0; i < f->nr_cgroups; i++)
		v[n++] = &f->cgroups[i];
	qsort(v, n, sizeof(*v), cmp_cgroup);
	for (size_t i = (size_t)top; i < n; i++) {
		other_all += v[i]->accesses;
		other_remote += v[i]->remote;
	}
	if (n > (size_t)top)
		n = (size_t)top;

	family(out, "numalens_cgroup_accesses_total", "counter",
	       "Classified accesses (page faults + hint faults) of the cgroup's processes; top cgroups by accesses, the rest under cgroup=\"other\" (sources: faults, hint faults).");
	for (size_t i = 0; i < n; i++)
		cgroup_line(out, "numalens_cgroup_accesses_total", v[i]->path, "%" PRIu64, v[i]->accesses);
	cgroup_line(out, "numalens_cgroup_accesses_total", "other", "%" PRIu64, other_all);
	family(out, "numalens_cgroup_remote_accesses_total", "counter",
	       "Of those, the accesses whose page was on another node than the CPU.");
	for (size_t i = 0; i < n; i++)
		cgroup_line(out, "numalens_cgroup_remote_accesses_total", v[i]->path, "%" PRIu64,
			    v[i]->remote);
	cgroup_line(out, "numalens_cgroup_remote_accesses_total", "other", "%" PRIu64, other_remote);
	family(out, "numalens_cgroup_remote_ratio", "gauge",
	       "Remote / classified accesses since the exporter started (rate() the two counters for a window).");
	for (size_t i = 0; i < n; i++)
		cgroup_line(out, "numalens_cgroup_remote_ratio", v[i]->path, "%.6f",
			    (double)v[i]->remote / (double)v[i]->accesses);
	if (other_all)
		cgroup_line(out, "numalens_cgroup_remote_ratio", "other", "%.6f",
			    (double)other_remote / (double)other_all);
	free(v);
}

static void memory(FILE *out, const struct nl_fleet *f)
{
	static const struct {
		const char *name, *help;
		size_t off;
	} m[] = {
		{ "numalens_node_memory_size_bytes", "MemTotal of the node (nodeN/meminfo).",
		  offsetof(struct nl_fleet_mem, total_bytes) },
		{ "numalens_node_memory_free_bytes", "MemFree of the node (nodeN/meminfo).",
		  offsetof(struct nl_fleet_mem, free_bytes) },
		{ "numalens_node_memory_file_bytes", "FilePages of the node (nodeN/meminfo).",
		  offsetof(struct nl_fleet_mem, file_bytes) },
		{ "numalens_node_memory_anon_bytes", "AnonPages of the node (nodeN/meminfo).",
		  offsetof(struct nl_fleet_mem, anon_bytes) },
	};

	for (size_t k = 0; k < sizeof(m) / sizeof(m[0]); k++) {
		family(out, m[k].name, "gauge", m[k].help);
		for (int i = 0; i < f->nr_nodes; i++) {
			const struct nl_fleet_mem *x = &f->mem[f->node_ids[i]];
			uint64_t v;
			if (!x->valid)
				continue;
			memcpy(&v, (const char *)x + m[k].off, sizeof(v));
			fprintf(out, "%s{node=\"%d\"} %" PRIu64 "\n", m[k].name, f->node_ids[i], v);
		}
	}
}

static void numastat(FILE *out, const struct nl_fleet *f)
{
	static const struct {
		const char *name, *help;
		size_t off;
	} m[] = {
#define NS(field, text) { "numalens_node_" #field "_total", text " (nodeN/numastat, pages since boot).", \
			  offsetof(struct nl_numastat, field) }
		NS(numa_hit, "Pages allocated on this node as intended"),
		NS(numa_miss, "Pages allocated here though another node was preferred"),
		NS(numa_foreign, "Pages meant for this node allocated elsewhere"),
		NS(interleave_hit, "Interleaved pages allocated here as intended"),
		NS(local_node, "Pages allocated here by a task running on this node"),
		NS(other_node, "Pages allocated here by a task running on another node"),
#undef NS
	};

	if (!f->numastat_valid)
		return;
	for (size_t k = 0; k < sizeof(m) / sizeof(m[0]); k++)
		per_node(out, f, m[k].name, "counter", m[k].help, offsetof(struct nl_fleet, numastat) + m[k].off,
			 sizeof(struct nl_numastat));
}

static void sources(FILE *out, const struct nl_fleet *f)
{
	family(out, "numalens_source_up", "gauge",
	       "1 when the source runs, 0 when it does not (numalens top and doctor say why).");
	for (int i = 0; i < NL_SRC_MAX; i++)
		if (f->sources[i].known)
			fprintf(out, "numalens_source_up{source=\"%s\"} %d\n", nl_source_name(i),
				f->sources[i].active ? 1 : 0);
}

void nl_render_prom(const struct nl_fleet *f, const struct nl_prom_opts *o, FILE *out)
{
	family(out, "numalens_page_faults_total", "counter",
	       "User page faults by node of the CPU and node of the page (source: faults).");
	node_pairs(out, f, "numalens_page_faults_total", "cpu_node", "mem_node", &f->c.faults);
	scalar(out, "numalens_page_faults_unresolved_total", "counter",
	       "User page faults whose page node was not known (source: faults).",
	       f->c.faults_unresolved);
	family(out, "numalens_hint_faults_total", "counter",
	       "NUMA hinting faults by node of the CPU and node of the page (source: hint faults; AutoNUMA's sampling).");
	node_pairs(out, f, "numalens_hint_faults_total", "cpu_node", "mem_node", &f->c.hint_faults);
	node_accesses(out, f);
	family(out, "numalens_pages_migrated_total", "counter",
	       "Base pages migrated by source and destination node, every reason (source: migrations; the split by reason is numalens_pages_migrated_by_reason_total).");
	node_pairs(out, f, "numalens_pages_migrated_total", "src_node", "dst_node", &f->c.migrated_pages);
	family(out, "numalens_pages_migrated_by_reason_total", "counter",
	       "Base pages migrated, by the kernel's enum migrate_reason (source: migrations).");
	by_reason(out, "numalens_pages_migrated_by_reason_total", f->names.migrate_reason,
		  NL_MIGRATE_REASONS, f->c.migrate_pages_by_reason, 0);
	family(out, "numalens_pages_migrate_failed_total", "counter",
	       "Base pages the kernel failed to migrate, by reason (source: migrations).");
	by_reason(out, "numalens_pages_migrate_failed_total", f->names.migrate_reason,
		  NL_MIGRATE_REASONS, f->c.migrate_fail_by_reason, 0);
	stall_histogram(out, f);
	scalar(out, "numalens_numa_task_moves_total", "counter",
	       "Tasks AutoNUMA moved or swapped to another node (source: sched_move_numa + sched_swap_numa).",
	       f->c.numa_task_moves);
	scalar(out, "numalens_numa_task_swaps_total", "counter",
	       "Of the moves, the swaps of two tasks (source: sched_swap_numa).",
	       f->c.numa_task_swaps);
	family(out, "numalens_tlb_shootdowns_total", "counter",
	       "TLB flushes by the kernel's enum tlb_flush_reason, task switches left out (source: tlb).");
	by_reason(out, "numalens_tlb_shootdowns_total", f->names.tlb_reason, NL_TLB_REASONS,
		  f->c.tlb_shootdowns, 1);
	family(out, "numalens_cpu_seconds_total", "counter",
	       "CPU time of every task by node of the CPU (source: sched).");
	for (int i = 0; i < f->nr_nodes; i++)
		fprintf(out, "numalens_cpu_seconds_total{node=\"%d\"} %.9f\n", f->node_ids[i],
			(double)f->c.cpu_ns[f->node_ids[i]] / NS_PER_SEC);
	requests(out, f);
	cgroups(out, f, o ? o->top_cgroups : 0);
	memory(out, f);
	numastat(out, f);
	family(out, "numalens_numa_balancing", "gauge",
	       "kernel.numa_balancing (0 off, 1 normal, 2 memory tiering, 3 both; -1 unknown).");
	fprintf(out, "numalens_numa_balancing %d\n", f->numa_balancing);
	sources(out, f);
	scalar(out, "numalens_lost_events_total", "counter",
	       "Everything numalens's BPF programs dropped (map full, ring buffer full): counts above are short by these.",
	       f->lost_events);
	family(out, "numalens_bpf_stats_enabled", "gauge",
	       "1 when kernel.bpf_stats_enabled is on (or --bpf-stats turned it on), so the run time below exists.");
	fprintf(out, "numalens_bpf_stats_enabled %d\n", f->bpf_stats_enabled ? 1 : 0);
	if (f->bpf_stats_enabled) {
		family(out, "numalens_bpf_run_seconds_total", "counter",
		       "Time numalens's own BPF programs ran, since they loaded (fdinfo run_time_ns).");
		fprintf(out, "numalens_bpf_run_seconds_total %.9f\n", (double)f->bpf_run_ns / NS_PER_SEC);
		scalar(out, "numalens_bpf_runs_total", "counter",
		       "Runs of numalens's own BPF programs, since they loaded (fdinfo run_cnt).",
		       f->bpf_run_cnt);
	}
	scalar(out, "numalens_bpf_programs", "gauge", "BPF programs numalens has loaded.",
	       (uint64_t)f->bpf_progs);
	scalar(out, "numalens_intervals_total", "counter", "Intervals added up since the exporter started.",
	       f->intervals);
	family(out, "numalens_start_time_seconds", "gauge", "When the exporter's counters started (Unix time).");
	fprintf(out, "numalens_start_time_seconds %.3f\n", (double)f->start_realtime_ns / NS_PER_SEC);
	family(out, "numalens_last_interval_timestamp_seconds", "gauge",
	       "The end of the interval these values include (Unix time).");
	fprintf(out, "numalens_last_interval_timestamp_seconds %.3f\n", (double)f->last_realtime_ns / NS_PER_SEC);
}
