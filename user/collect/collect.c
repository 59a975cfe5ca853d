/* The collector: one table of sources (collect/internal.h), one place that decides
 * which run and why the others do not, and samples that turn their cumulative kernel
 * counters into cumulative snapshots for any number of views. */
#include "collect/internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "collect/kfeatures.h"
#include "collect/numa_maps.h"
#include "common/util.h"

static const struct nl_source_ops *const source_table[] = {
	&nl_access_source,
	&nl_residency_source,
	&nl_autonuma_source,
	&nl_pmu_source,
	&nl_request_source,
};
_Static_assert(NL_ARRAY_SIZE(source_table) <= NL_ARRAY_SIZE(((struct nl_collector *)0)->running),
	       "one running flag per source");

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

static int libbpf_verbose(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return vfprintf(stderr, fmt, ap);
}

/* ---- residency and pmu: sources without programs ---- */

static bool always(struct nl_collector *c, char *why, size_t len)
{
	return true;
}

static int residency_open(struct nl_collector *c, char *err, size_t len)
{
	return nl_source_set(&c->sources[NL_SRC_RESIDENCY], true,
			     "/proc/PID/numa_maps at the end of each interval");
}

/* Residency is read in the snapshot itself (collector_sample), when asked for. */
static int nothing_to_sample(struct nl_collector *c, struct nl_snapshot *cum)
{
	return 0;
}

static void nothing_to_close(struct nl_collector *c)
{
}

const struct nl_source_ops nl_residency_source = {
	.what = "residency (numa_maps)",
	.probe = always,
	.open = residency_open,
	.sample = nothing_to_sample,
	.close = nothing_to_close,
};

static bool pmu_probe(struct nl_collector *c, char *why, size_t len)
{
	snprintf(why, len, "no PMU memory sampling (PEBS/IBS/SPE) in this version");
	return false;
}

const struct nl_source_ops nl_pmu_source = {
	.what = "pmu",
	.probe = pmu_probe,
};

/* ---- open ---- */

/* The sources an ops entry speaks for, to mark them off when it cannot run. */
static void mark_off(struct nl_collector *c, const struct nl_source_ops *ops, const char *why)
{
	static const struct {
		const struct nl_source_ops *ops;
		enum nl_source_id ids[2];
	} owns[] = {
		{ &nl_residency_source, { NL_SRC_RESIDENCY, NL_SRC_RESIDENCY } },
		{ &nl_autonuma_source, { NL_SRC_HINT_FAULTS, NL_SRC_MIGRATIONS } },
		{ &nl_pmu_source, { NL_SRC_PMU, NL_SRC_PMU } },
	};
	for (size_t i = 0; i < NL_ARRAY_SIZE(owns); i++)
		if (owns[i].ops == ops)
			for (int k = 0; k < 2; k++)
				nl_source_set(&c->sources[owns[i].ids[k]], false, "%s", why);
}

/* Probes and opens each source in table order: a required one that cannot run fails
 * the collector; any other is marked off with the reason. */
static int open_sources(struct nl_collector *c, char *err, size_t errlen)
{
	for (size_t i = 0; i < NL_ARRAY_SIZE(source_table); i++) {
		const struct nl_source_ops *ops = source_table[i];
		char why[256] = "";
		int ret;

		if (!ops->probe(c, why, sizeof(why))) {
			if (ops->required) {
				snprintf(err, errlen, "%s", why);
				return -ENOENT;
			}
			mark_off(c, ops, why);
			continue;
		}
		ret = ops->open(c, why, sizeof(why));
		/* -ENOTSUP: this source is off here, said in why; anything else fails a
		 * required source, and an optional one whose user asked for it (a forced
		 * AutoNUMA path). A failed open cleans up after itself; close runs for
		 * whatever open started, failed or not. */
		c->running[i] = ret == 0;
		if (ret == -ENOTSUP && !ops->required) {
			mark_off(c, ops, why);
		} else if (ret) {
			if (ops->close)
				ops->close(c);
			snprintf(err, errlen, "%s", why);
			return ret;
		}
	}
	return 0;
}

int nl_collector_open(const struct nl_collect_opts *opts, struct nl_collector **out,
		      char *err, size_t errlen)
{
	struct nl_collector *c;
	int ret;

	*out = NULL;
	if (!nl_have_bpf_privileges()) {
		snprintf(err, errlen, "numalens needs root or CAP_BPF+CAP_PERFMON");
		return -EPERM;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	c->opts = *opts;
	if (!c->opts.max_threads)
		c->opts.max_threads = NL_DEFAULT_MAX_THREADS;
	/* the commands refuse this as bad usage first; any other caller is stopped here */
	if (nl_max_threads_check(c->opts.max_threads, err, errlen)) {
		free(c);
		return -E2BIG;
	}
	libbpf_set_print(opts->verbose ? libbpf_verbose : libbpf_quiet);
	{
		struct btf *vmlinux = btf__load_vmlinux_btf();
		nl_kernel_enum_names(vmlinux, &c->names); /* defaults without BTF */
		btf__free(vmlinux);
	}
	if (nl_topology_read(NULL, &c->topo, err, errlen)) {
		ret = -EINVAL;
		goto fail;
	}
	c->nr_cpus = libbpf_num_possible_cpus();
	if (c->nr_cpus <= 0 || c->nr_cpus > NL_MAX_CPUS) {
		snprintf(err, errlen, "%d possible CPUs; numalens handles up to %d", c->nr_cpus,
			 NL_MAX_CPUS);
		ret = -E2BIG;
		goto fail;
	}
	ret = open_sources(c, err, errlen);
	if (ret)
		goto fail;
	c->open_mono_ns = nl_now_ns(CLOCK_MONOTONIC);
	*out = c;
	return 0;
fail:
	nl_collector_close(c);
	return ret < 0 ? ret : -EINVAL;
}

void nl_collector_close(struct nl_collector *c)
{
	if (!c)
		return;
	for (size_t i = NL_ARRAY_SIZE(source_table); i-- > 0;)
		if (c->running[i] && source_table[i]->close)
			source_table[i]->close(c);
	nl_topology_free(&c->topo);
	nl_tt_free(&c->threads);
	nl_sources_free(c->sources);
	free(c);
}

int nl_collector_add_view(struct nl_collector *c)
{
	if (c->nr_views >= NL_MAX_VIEWS)
		return -ENOSPC;
	c->view_seq[c->nr_views] = c->seq;
	return c->nr_views++;
}

int nl_collector_sources(const struct nl_collector *c, struct nl_source_state *out)
{
	memset(out, 0, sizeof(struct nl_source_state) * NL_SRC_MAX);
	return nl_sources_copy(out, c->sources);
}

const struct nl_enum_names *nl_collector_names(const struct nl_collector *c)
{
	return &c->names;
}

int nl_collector_topology(const struct nl_collector *c, struct nl_topo_summary *out)
{
	return nl_topology_summary(&c->topo, out);
}

/* ---- the cumulative snapshot ---- */

static struct nl_process *find_or_add_proc(struct nl_snapshot *s, size_t *cap, uint32_t pid)
{
	/* entries arrive grouped by nothing: look back from the end, then everywhere */
	for (int i = s->nr_procs; i-- > 0;)
		if (s->procs[i].pid == pid)
			return &s->procs[i];
	if ((size_t)s->nr_procs == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct nl_process *nv = realloc(s->procs, ncap * sizeof(*nv));
		if (!nv)
			return NULL;
		s->procs = nv;
		*cap = ncap;
	}
	struct nl_process *p = &s->procs[s->nr_procs++];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	return p;
}

static int cmp_tracked(const void *x, const void *y)
{
	const struct nl_tracked *const *a = x, *const *b = y;

	if ((*a)->tgid != (*b)->tgid)
		return (*a)->tgid < (*b)->tgid ? -1 : 1;
	return (*a)->serial < (*b)->serial ? -1 : (*a)->serial > (*b)->serial;
}

/* One process's threads from a run of table entries of the same tgid. */
static int fill_threads(struct nl_process *p, struct nl_tracked *const *e, size_t n)
{
	p->threads = calloc(n, sizeof(*p->threads));
	if (!p->threads)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct nl_thread *t = &p->threads[p->nr_threads++];

		t->tid = e[i]->tid;
		t->serial = e[i]->serial;
		snprintf(t->comm, NL_COMM_LEN, "%.*s", NL_COMM_LEN - 1,
			 e[i]->tid ? e[i]->comm : "[exited]");
		nl_counts_copy(&t->c, &e[i]->c);
		t->exited = e[i]->exited || e[i]->tid == 0;
		if (e[i]->stack && !(t->first_touch_stack = nl_stack_dup(e[i]->stack)))
			return -ENOMEM;
		t->first_touch_stack_pages = e[i]->stack_pages;
		nl_counts_add(&p->c, &t->c);
	}
	return 0;
}

/* A process's name from its threads: its main thread's, else any real thread's, else
 * what its folded threads left (never the "[exited]" row label). A view renames the
 * processes of its interval from /proc while they live (name_from_proc). */
static void name_process(struct nl_process *p, struct nl_tracked *const *e, size_t n)
{
	const struct nl_tracked *name = NULL;

	for (size_t i = 0; i < n; i++) {
		if (e[i]->tid == p->pid) {
			name = e[i];
			break;
		}
		if (!name || (name->tid == 0 && e[i]->tid != 0))
			name = e[i];
	}
	if (name)
		memcpy(p->comm, name->comm, NL_COMM_LEN);
}

static int build_processes(struct nl_collector *c, struct nl_snapshot *s)
{
	size_t n = c->threads.n, cap = 0;
	struct nl_tracked **order = malloc((n ? n : 1) * sizeof(*order));
	int ret = 0;

	if (!order)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		order[i] = &c->threads.v[i];
	qsort(order, n, sizeof(*order), cmp_tracked);
	for (size_t i = 0; i < n && !ret;) {
		size_t j = i;
		while (j < n && order[j]->tgid == order[i]->tgid)
			j++;
		struct nl_process *p = find_or_add_proc(s, &cap, order[i]->tgid);
		ret = p ? fill_threads(p, order + i, j - i) : -ENOMEM;
		if (p)
			name_process(p, order + i, j - i);
		i = j;
	}
	free(order);
	/* The followed process is always reported, busy or not, for its residency. */
	if (!ret && c->opts.target_pid) {
		struct nl_process *p = find_or_add_proc(s, &cap, c->opts.target_pid);
		if (!p)
			return -ENOMEM;
		p->followed = true;
		if (!p->comm[0])
			nl_read_comm(p->pid, 0, p->comm, sizeof(p->comm));
	}
	return ret;
}

static void read_numastat(struct nl_collector *c, struct nl_snapshot *s)
{
	static const char *const keys[] = { "numa_hit", "numa_miss", "numa_foreign",
					    "interleave_hit", "local_node", "other_node" };

	for (int i = 0; i < c->topo.nr_nodes; i++) {
		int id = c->topo.nodes[i].id;
		char path[96], *text;

		if (id < 0 || id >= NL_MAX_NODES)
			continue;
		snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/numastat", id);
		text = nl_read_file(NULL, path);
		if (!text)
			return;
		uint64_t *dst = &s->numastat[id].numa_hit;
		for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
			char *sp = strchr(line, ' ');
			if (!sp)
				continue;
			*sp = '\0';
			for (size_t k = 0; k < NL_ARRAY_SIZE(keys); k++)
				if (!strcmp(line, keys[k]))
					nl_parse_u64(sp + 1, &dst[k]);
		}
		free(text);
	}
	s->numastat_valid = true;
}

/* What every snapshot says about itself: time, topology, sources, names. */
static int fill_header(struct nl_collector *c, struct nl_snapshot *s)
{
	uint64_t nb;

	s->cumulative = true;
	s->seq = c->seq;
	s->mono_ns = nl_now_ns(CLOCK_MONOTONIC);
	s->interval_ns = s->mono_ns - c->open_mono_ns;
	s->timestamp_ns = nl_now_ns(CLOCK_REALTIME);
	s->names = c->names;
	s->numa_balancing = c->topo.numa_balancing;
	if (nl_read_u64(NULL, "/proc/sys/kernel/numa_balancing", &nb) == 0)
		s->numa_balancing = (int)nb;
	if (nl_sources_copy(s->sources, c->sources) || nl_topology_summary(&c->topo, &s->topo))
		return -ENOMEM;
	return 0;
}

static uint64_t seen_by_all(const struct nl_collector *c)
{
	uint64_t min = c->seq;

	for (int v = 0; v < c->nr_views; v++)
		if (c->view_seq[v] < min)
			min = c->view_seq[v];
	return min;
}

int nl_collector_sample(struct nl_collector *c, int view, unsigned flags,
			struct nl_snapshot *cum)
{
	int ret;

	memset(cum, 0, sizeof(*cum));
	if (view < 0 || view >= c->nr_views)
		return -EINVAL;
	c->seq++;
	ret = fill_header(c, cum);
	for (size_t i = 0; !ret && i < NL_ARRAY_SIZE(source_table); i++)
		if (c->running[i] && source_table[i]->sample)
			ret = source_table[i]->sample(c, cum);
	if (!ret)
		ret = build_processes(c, cum);
	if (ret) {
		nl_snapshot_free(cum);
		return ret;
	}
	if (flags & NL_SAMPLE_NUMASTAT)
		read_numastat(c, cum);
	c->view_seq[view] = c->seq;
	nl_tt_prune(&c->threads, seen_by_all(c));
	return 0;
}

/* ---- views ---- */

int nl_view_init(struct nl_view *v, struct nl_collector *c)
{
	memset(v, 0, sizeof(*v));
	v->c = c;
	v->id = nl_collector_add_view(c);
	return v->id < 0 ? v->id : 0;
}

/* The interval's processes: their current names, and where their pages are now
 * (only theirs: numa_maps takes each process's mmap lock, so idle processes of a
 * system-wide run are not read). */
static void describe_processes(struct nl_snapshot *s, unsigned flags)
{
	for (int i = 0; i < s->nr_procs; i++) {
		struct nl_process *p = &s->procs[i];
		char now[NL_COMM_LEN];
		uint64_t beyond = 0;

		if (nl_read_comm(p->pid, 0, now, sizeof(now)) == 0)
			memcpy(p->comm, now, NL_COMM_LEN);
		/* Gone processes have no numa_maps: resident_known stays false. */
		if (flags & NL_SAMPLE_RESIDENCY)
			nl_numa_maps_fill_process(NULL, p, &beyond);
	}
}

int nl_view_interval(struct nl_view *v, unsigned flags, struct nl_snapshot *out)
{
	struct nl_snapshot now;
	int ret = nl_collector_sample(v->c, v->id, flags, &now);

	memset(out, 0, sizeof(*out));
	if (ret)
		return ret;
	ret = nl_snapshot_delta(&now, v->have_prev ? &v->prev : NULL, out);
	if (ret) {
		nl_snapshot_free(&now);
		return ret;
	}
	describe_processes(out, flags);
	if (v->have_prev)
		nl_snapshot_free(&v->prev);
	v->prev = now;
	v->have_prev = true;
	return 0;
}

void nl_view_free(struct nl_view *v)
{
	if (v->have_prev)
		nl_snapshot_free(&v->prev);
	v->have_prev = false;
}
