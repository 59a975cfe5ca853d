/* The collector: probes, configures and loads bpf/access.bpf.c, and turns its
 * cumulative per-thread counters into per-interval nl_snapshots.
 *
 * Intervals without read-then-delete races: BPF only ever adds to cumulative
 * counters; each snapshot reads them all (task iterator for live threads, the exited
 * map for threads that died) and subtracts what the previous snapshot saw, kept here
 * by tid. The only entries deleted are exited threads' final counts, which BPF no
 * longer writes once they are in that map. */
#include "collect/collect.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "access.skel.h"
#include "collect/autonuma.h"
#include "collect/kfeatures.h"
#include "collect/numa_maps.h"
#include "collect/pfn_nodes.h"
#include "collect/symbolize.h"
#include "sysinfo/topology.h"
#include "common/util.h"

#define DEFAULT_MAX_THREADS 16384
#define DEFAULT_MAX_STACKS 4096

/* One thread's cumulative counters as of the previous snapshot. */
struct seen {
	uint32_t tid;
	struct nl_thread_stats s;
};

/* Per-thread state of the snapshot being built. */
struct cur {
	struct nl_thread_stats s; /* cumulative, in-flight CPU time included */
	bool exited;
	uint32_t best_stackid;    /* stack that first-touched most pages, if has_stack */
	uint64_t best_pages;
	bool has_stack;
};

struct nl_collector {
	struct access_bpf *skel;
	struct nl_autonuma *autonuma; /* NULL when left out or when it could not start */
	struct nl_topology topo;
	struct nl_symbolizer *sym;
	struct nl_collect_opts opts;
	struct seen *seen;      /* sorted by tid */
	int nr_seen;
	struct seen *seen_procs; /* exited_procs aggregates, sorted by tgid (in .tid) */
	int nr_seen_procs;
	uint64_t prev_drops[NL_DROP_MAX];
	uint64_t last_mono_ns;
	int nr_cpus;
	struct nl_source_state sources[NL_MAX_SOURCES];
	int nr_sources;
	/* How page nodes are resolved (see page_node_plan) */
	bool page_flags_ok;     /* config says the node is the top NODES_SHIFT bits */
	int nodes_shift;
	char page_flags_why[64]; /* why not, when !page_flags_ok */
	/* Faults tied to allocations by the kernel's fault counter (one program per
	 * fault) rather than by tp_btf/page_fault_user (two); see bpf/access.bpf.c. */
	bool fault_counter_mode;
	char fault_hook[128];    /* how faults are counted, for the sources text */
	char kconfig[96];        /* handed to libbpf for the __kconfig externs */
};

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

static int libbpf_verbose(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return vfprintf(stderr, fmt, ap);
}

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void add_source(struct nl_collector *c, const char *name, bool active, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void add_source(struct nl_collector *c, const char *name, bool active, const char *fmt, ...)
{
	va_list ap;

	if (c->nr_sources >= NL_MAX_SOURCES)
		return;
	struct nl_source_state *s = &c->sources[c->nr_sources++];
	s->name = name;
	s->active = active;
	va_start(ap, fmt);
	vsnprintf(s->detail, sizeof(s->detail), fmt, ap);
	va_end(ap);
}

/* CPU -> node table into .rodata (before load). */
static int configure_cpu_nodes(struct nl_collector *c, char *err, size_t errlen)
{
	for (int n = 0; n < c->topo.nr_nodes; n++) {
		const struct nl_node *node = &c->topo.nodes[n];

		if (node->id >= NL_MAX_NODES) {
			snprintf(err, errlen, "node %d is beyond the %d nodes numalens handles",
				 node->id, NL_MAX_NODES);
			return -E2BIG;
		}
		for (int i = 0; i < node->nr_cpus; i++)
			if (node->cpus[i] >= 0 && node->cpus[i] < NL_MAX_CPUS)
				c->skel->rodata->cpu_node[node->cpus[i]] = (uint8_t)node->id;
	}
	return 0;
}

/* pfn -> node ranges into .rodata (before load); *source names where they came from. */
static int configure_pfn_ranges(struct nl_collector *c, const char **source, int *nr,
				char *err, size_t errlen)
{
	struct nl_pfn_range *ranges = calloc(NL_MAX_PFN_RANGES, sizeof(*ranges));
	long page_size = sysconf(_SC_PAGESIZE);

	if (!ranges) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (nl_pfn_nodes_read(NULL, page_size > 0 ? (uint64_t)page_size : 4096, ranges,
			      NL_MAX_PFN_RANGES, nr, source, err, errlen)) {
		free(ranges);
		return -EINVAL;
	}
	for (int i = 0; i < *nr; i++) {
		c->skel->rodata->pfn_ranges[i].start = ranges[i].start;
		c->skel->rodata->pfn_ranges[i].end = ranges[i].end;
		c->skel->rodata->pfn_ranges[i].node = ranges[i].node;
	}
	c->skel->rodata->nr_pfn_ranges = (uint32_t)*nr;
	free(ranges);
	return 0;
}

/* Page node from page->flags (tp_btf/mm_page_alloc) or from pfn ranges (the classic
 * tracepoint): decided here from the kernel's config, before the object is opened,
 * because the __kconfig externs get exactly these values (bpf_object_open_opts.kconfig,
 * so libbpf never needs a config file of its own: the object loads without one).
 * page->flags holds the node in its top CONFIG_NODES_SHIFT bits when
 * CONFIG_SPARSEMEM_VMEMMAP=y (bpf/access.bpf.c explains why); anything else - no
 * readable config (/boot/config-$(uname -r) or /proc/config.gz), another layout, a
 * 32-bit kernel - takes the pfn ranges.
 *
 * NUMALENS_FORCE_PFN_RANGES=1 in the environment forces the pfn-range path even when
 * page->flags would do: the tests run both and compare (tests/vm/access.sh). */
static void page_node_plan(struct nl_collector *c)
{
	static const char *const names[] = { "CONFIG_NODES_SHIFT", "CONFIG_SPARSEMEM_VMEMMAP",
					     "CONFIG_64BIT" };
	char vals[3][32], src[160];
	const char *force = getenv("NUMALENS_FORCE_PFN_RANGES");
	int shift = 0;
	bool vmemmap = false;

	c->page_flags_ok = false;
	if (nl_kconfig_read(names, 3, vals, src, sizeof(src)) == 0) {
		char *end;
		long v = strtol(vals[0], &end, 10);

		if (vals[0][0] && !*end && v >= 1 && v <= 16)
			shift = (int)v;
		vmemmap = !strcmp(vals[1], "y");
		if (!shift)
			snprintf(c->page_flags_why, sizeof(c->page_flags_why), "NODES_SHIFT=%s",
				 vals[0][0] ? vals[0] : "unset");
		else if (!vmemmap)
			snprintf(c->page_flags_why, sizeof(c->page_flags_why), "no SPARSEMEM_VMEMMAP");
		else if (strcmp(vals[2], "y"))
			snprintf(c->page_flags_why, sizeof(c->page_flags_why), "not 64-bit");
		else
			c->page_flags_ok = true;
	} else {
		snprintf(c->page_flags_why, sizeof(c->page_flags_why), "no kernel config");
	}
	if (c->page_flags_ok && force && strcmp(force, "") && strcmp(force, "0")) {
		c->page_flags_ok = false;
		snprintf(c->page_flags_why, sizeof(c->page_flags_why), "forced by env");
	}
	c->nodes_shift = c->page_flags_ok ? shift : 0;
	snprintf(c->kconfig, sizeof(c->kconfig),
		 "CONFIG_NODES_SHIFT=%d\nCONFIG_SPARSEMEM_VMEMMAP=%c\n", c->nodes_shift,
		 c->page_flags_ok ? 'y' : 'n');
}

/* Turns programs off that this kernel cannot run, and records why. */
static int choose_programs(struct nl_collector *c, char *err, size_t errlen)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	struct access_bpf *skel = c->skel;
	char why[160];
	int ret = 0;

	if (!vmlinux) {
		/* libbpf says ESRCH for "no valid vmlinux BTF found": name the file instead. */
		snprintf(err, errlen, "kernel has no usable BTF (/sys/kernel/btf/vmlinux %s); "
				      "numalens needs CONFIG_DEBUG_INFO_BTF=y",
			 errno == ESRCH || errno == ENOENT ? "missing or empty" : strerror(errno));
		return -ENOENT;
	}
	static const char *const sched_tps[] = { "sched_switch", "sched_process_exit" };
	for (size_t i = 0; i < NL_ARRAY_SIZE(sched_tps); i++)
		if (!nl_have_btf_tracepoint(vmlinux, sched_tps[i])) {
			snprintf(err, errlen, "kernel has no %s tracepoint", sched_tps[i]);
			ret = -ENOENT;
			goto out;
		}
	if (!nl_have_btf_tracepoint(vmlinux, "sched_migrate_task"))
		bpf_program__set_autoload(skel->progs.nl_migrate_task, false);
	/* AutoNUMA migrations only matter for first touch when they can happen. */
	if (!nl_have_btf_tracepoint(vmlinux, "mm_migrate_pages_start") ||
	    !nl_have_btf_tracepoint(vmlinux, "mm_migrate_pages")) {
		bpf_program__set_autoload(skel->progs.nl_migrate_start, false);
		bpf_program__set_autoload(skel->progs.nl_migrate_end, false);
	}
	add_source(c, "sched", true, "tp_btf/sched_switch%s",
		   bpf_program__autoload(skel->progs.nl_migrate_task) ? " + sched_migrate_task" : "");

	if (c->page_flags_ok && !nl_have_btf_tracepoint(vmlinux, "mm_page_alloc")) {
		c->page_flags_ok = false;
		snprintf(c->page_flags_why, sizeof(c->page_flags_why), "no tp_btf mm_page_alloc");
	}
	/* One of the two page allocation programs (page_node_plan). */
	bpf_program__set_autoload(skel->progs.nl_page_alloc_btf, c->page_flags_ok);
	bpf_program__set_autoload(skel->progs.nl_page_alloc, !c->page_flags_ok);
	/* Counter mode needs current->in_user_fault (CONFIG_MEMCG) to know an allocation
	 * is a user fault's; NUMALENS_FAULT_TRACEPOINT=1 forces the tracepoint mode, so
	 * the tests can run both and compare. */
	const char *force_tp = getenv("NUMALENS_FAULT_TRACEPOINT");
	c->fault_counter_mode = false;
	if (force_tp && strcmp(force_tp, "") && strcmp(force_tp, "0"))
		snprintf(c->fault_hook, sizeof(c->fault_hook), "tp_btf/page_fault_user (forced by env)");
	else if (!nl_btf_has_member(vmlinux, "task_struct", "in_user_fault"))
		snprintf(c->fault_hook, sizeof(c->fault_hook),
			 "tp_btf/page_fault_user (no task_struct.in_user_fault: CONFIG_MEMCG off)");
	else {
		c->fault_counter_mode = true;
		snprintf(c->fault_hook, sizeof(c->fault_hook),
			 "the kernel's per-thread fault count (min_flt+maj_flt)");
	}
	skel->rodata->fault_counter_mode = c->fault_counter_mode;
	skel->rodata->load_ns = now_ns(CLOCK_MONOTONIC);
	if (c->fault_counter_mode) {
		bpf_program__set_autoload(skel->progs.nl_fault, false);
	} else if (!nl_have_btf_tracepoint(vmlinux, "page_fault_user")) {
		/* x86 only (arch/x86/include/asm/trace/exceptions.h). */
		bpf_program__set_autoload(skel->progs.nl_fault, false);
		bpf_program__set_autoload(skel->progs.nl_page_alloc, false);
		bpf_program__set_autoload(skel->progs.nl_page_alloc_btf, false);
		add_source(c, "faults", false, "no exceptions:page_fault_user tracepoint (x86 only)");
	} else if (!c->page_flags_ok &&
		   nl_ensure_tracefs_event("kmem", "mm_page_alloc", why, sizeof(why))) {
		bpf_program__set_autoload(skel->progs.nl_page_alloc, false);
		add_source(c, "faults", true, "page nodes unknown (%s): every fault unresolved", why);
	}
out:
	btf__free(vmlinux);
	return ret;
}

static void set_size(struct bpf_map *m, uint32_t n)
{
	bpf_map__set_max_entries(m, n ? n : 1);
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
	if (!nl_have_kernel_btf()) {
		snprintf(err, errlen, "kernel has no BTF (/sys/kernel/btf/vmlinux missing); "
				      "numalens needs CONFIG_DEBUG_INFO_BTF=y");
		return -ENOENT;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	c->opts = *opts;
	if (!c->opts.max_threads)
		c->opts.max_threads = DEFAULT_MAX_THREADS;
	if (!c->opts.max_stacks)
		c->opts.max_stacks = DEFAULT_MAX_STACKS;
	libbpf_set_print(opts->verbose ? libbpf_verbose : libbpf_quiet);

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
	page_node_plan(c);
	LIBBPF_OPTS(bpf_object_open_opts, open_opts, .kconfig = c->kconfig);
	c->skel = access_bpf__open_opts(&open_opts);
	if (!c->skel) {
		ret = -errno;
		snprintf(err, errlen, "cannot open the BPF object: %s", strerror(errno));
		goto fail;
	}
	c->skel->rodata->target_tgid = opts->target_pid;
	c->skel->rodata->target_cgroup = opts->cgroup_id;
	c->skel->rodata->stacks_enabled = opts->stacks;

	ret = choose_programs(c, err, errlen);
	if (!ret)
		ret = configure_cpu_nodes(c, err, errlen);
	if (ret)
		goto fail;
	for (int n = 0; n < c->topo.nr_nodes; n++)
		if (c->topo.nodes[n].id >= 0 && c->topo.nodes[n].id < NL_MAX_NODES)
			c->skel->rodata->node_online_mask |= 1U << c->topo.nodes[n].id;
	if (bpf_program__autoload(c->skel->progs.nl_page_alloc_btf)) {
		add_source(c, "faults", true, "%s + tp_btf/mm_page_alloc; page node from page->flags "
					      "(NODES_SHIFT=%d)", c->fault_hook, c->nodes_shift);
	} else if (bpf_program__autoload(c->skel->progs.nl_page_alloc)) {
		const char *pfn_source;
		int nr_ranges;

		ret = configure_pfn_ranges(c, &pfn_source, &nr_ranges, err, errlen);
		if (ret)
			goto fail;
		add_source(c, "faults", true,
			   "%s + tracepoint/kmem/mm_page_alloc; page node from pfn via %s (%s)",
			   c->fault_hook, pfn_source, c->page_flags_why);
	}

	set_size(c->skel->maps.oncpu, (uint32_t)c->nr_cpus);
	set_size(c->skel->maps.exited, c->opts.max_threads);
	set_size(c->skel->maps.exited_procs, c->opts.max_threads / 4);
	set_size(c->skel->maps.stacks, opts->stacks ? c->opts.max_stacks : 1);
	set_size(c->skel->maps.stack_counts, opts->stacks ? c->opts.max_stacks * 4 : 1);

	ret = access_bpf__load(c->skel);
	if (ret) {
		snprintf(err, errlen, "cannot load the BPF programs: %s%s", strerror(-ret),
			 opts->verbose ? "" : " (--verbose shows the verifier log)");
		goto fail;
	}
	ret = access_bpf__attach(c->skel);
	if (ret) {
		snprintf(err, errlen, "cannot attach the BPF programs: %s", strerror(-ret));
		goto fail;
	}
	add_source(c, "residency", true, "/proc/PID/numa_maps at the end of each interval");
	add_source(c, "pmu", false, "no PMU memory sampling (PEBS/IBS/SPE) in this version");

	/* AutoNUMA's programs are a source of their own: when they cannot start, the
	 * access profile still can, and the sources say why AutoNUMA is not seen. */
	if (opts->no_autonuma) {
		add_source(c, "hint_faults", false, "left out (--no-autonuma)");
		add_source(c, "migrations", false, "left out (--no-autonuma)");
	} else {
		struct nl_autonuma_opts ao = {
			.target_pid = opts->target_pid,
			.cgroup_id = opts->cgroup_id,
			.path = (enum nl_autonuma_path)opts->autonuma_path,
			.max_threads = c->opts.max_threads,
			.verbose = opts->verbose,
		};
		char aerr[256];

		if (nl_autonuma_open(&ao, &c->autonuma, aerr, sizeof(aerr))) {
			if (opts->autonuma_path != NL_AUTONUMA_PATH_AUTO) {
				snprintf(err, errlen, "AutoNUMA programs: %s", aerr);
				ret = -EINVAL;
				goto fail;
			}
			add_source(c, "hint_faults", false, "AutoNUMA programs failed: %s", aerr);
			add_source(c, "migrations", false, "AutoNUMA programs failed: %s", aerr);
		}
	}

	if (opts->stacks) {
		c->sym = nl_symbolizer_new();
		if (!c->sym) {
			snprintf(err, errlen, "out of memory");
			ret = -ENOMEM;
			goto fail;
		}
	}
	c->last_mono_ns = now_ns(CLOCK_MONOTONIC);
	*out = c;
	return 0;
fail:
	nl_collector_close(c);
	return ret < 0 ? ret : -EINVAL;
}

/* ---- reading the maps ---- */

static int cmp_seen(const void *a, const void *b)
{
	const struct seen *x = a, *y = b;

	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

static const struct nl_thread_stats *find_seen(const struct seen *v, int n, uint32_t tid)
{
	struct seen key = { .tid = tid };
	const struct seen *hit = bsearch(&key, v, n, sizeof(*v), cmp_seen);

	return hit ? &hit->s : NULL;
}

/* Growable array of (tid, stats) built per snapshot. */
struct thread_list {
	struct seen *v;
	struct cur *cur;
	int n, cap;
};

static int list_add(struct thread_list *l, const struct nl_thread_stats *s, bool exited)
{
	if (l->n == l->cap) {
		int ncap = l->cap ? l->cap * 2 : 256;
		struct seen *nv = realloc(l->v, (size_t)ncap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		l->v = nv;
		struct cur *nc = realloc(l->cur, (size_t)ncap * sizeof(*nc));
		if (!nc)
			return -ENOMEM;
		l->cur = nc;
		l->cap = ncap;
	}
	l->v[l->n].tid = s->tid;
	l->v[l->n].s = *s;
	memset(&l->cur[l->n], 0, sizeof(l->cur[l->n]));
	l->cur[l->n].s = *s;
	l->cur[l->n].exited = exited;
	l->n++;
	return 0;
}

static void list_free(struct thread_list *l)
{
	free(l->v);
	free(l->cur);
}

/* Live threads from the task iterator, in-flight CPU time added. */
static int read_live(struct nl_collector *c, struct thread_list *l)
{
	struct nl_thread_record rec;
	int fd = bpf_iter_create(bpf_link__fd(c->skel->links.nl_dump));
	size_t have = 0;
	int ret = 0;

	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n = read(fd, (char *)&rec + have, sizeof(rec) - have);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		if (n == 0)
			break;
		have += (size_t)n;
		if (have < sizeof(rec))
			continue;
		have = 0;
		if (rec.inflight.node < NL_MAX_NODES)
			rec.s.cpu_ns[rec.inflight.node] += rec.inflight.oncpu_ns;
		ret = list_add(l, &rec.s, false);
		if (ret)
			break;
	}
	if (!ret && have)
		ret = -EIO; /* a torn record: the iterator and this file disagree on layout */
	close(fd);
	return ret;
}

/* Exited threads' final counts. Their tids go to *keys so they can be deleted after
 * the snapshot is built. A tid both live and exited (it exited after the iterator
 * passed it) keeps the exited, final, counts. */
static int read_exited(struct nl_collector *c, struct thread_list *l, uint32_t **keys, int *nkeys)
{
	int fd = bpf_map__fd(c->skel->maps.exited);
	uint32_t key, next;
	uint32_t *k = NULL;
	int nk = 0, cap = 0, ret = 0;
	void *prev = NULL;
	struct nl_thread_stats s;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &s))
			continue; /* deleted under us: cannot happen, we are the only deleter */
		if (nk == cap) {
			int ncap = cap ? cap * 2 : 256;
			uint32_t *nkv = realloc(k, (size_t)ncap * sizeof(*nkv));
			if (!nkv) {
				ret = -ENOMEM;
				break;
			}
			k = nkv;
			cap = ncap;
		}
		k[nk++] = key;
		bool replaced = false;
		for (int i = 0; i < l->n; i++)
			if (l->v[i].tid == key && !l->cur[i].exited) {
				l->v[i].s = s;
				l->cur[i].s = s;
				l->cur[i].exited = true;
				replaced = true;
				break;
			}
		if (!replaced) {
			ret = list_add(l, &s, true);
			if (ret)
				break;
		}
	}
	*keys = k;
	*nkeys = nk;
	return ret;
}

/* Per-process aggregates of threads whose exit did not fit in the exited map. */
static int read_exited_procs(struct nl_collector *c, struct seen **out, int *nr)
{
	int fd = bpf_map__fd(c->skel->maps.exited_procs);
	uint32_t key, next;
	void *prev = NULL;
	struct seen *v = NULL;
	int n = 0, cap = 0;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (n == cap) {
			int ncap = cap ? cap * 2 : 16;
			struct seen *nv = realloc(v, (size_t)ncap * sizeof(*nv));
			if (!nv) {
				free(v);
				return -ENOMEM;
			}
			v = nv;
			cap = ncap;
		}
		if (bpf_map_lookup_elem(fd, &key, &v[n].s))
			continue;
		v[n].tid = key;
		n++;
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_seen);
	*out = v;
	*nr = n;
	return 0;
}

static uint64_t sub(uint64_t now, uint64_t before)
{
	return now > before ? now - before : 0;
}

/* Interval counts = cumulative now - cumulative at the previous snapshot. */
static bool delta_counts(const struct nl_thread_stats *now, const struct nl_thread_stats *before,
			 struct nl_counts *d)
{
	static const struct nl_thread_stats zero;
	bool any = false;

	if (!before)
		before = &zero;
	memset(d, 0, sizeof(*d));
	for (int i = 0; i < NL_MAX_NODES; i++) {
		for (int j = 0; j < NL_MAX_NODES; j++) {
			d->faults[i][j] = sub(now->faults[i][j], before->faults[i][j]);
			any |= d->faults[i][j] != 0;
		}
		d->first_touch_pages[i] = sub(now->first_touch_pages[i], before->first_touch_pages[i]);
		d->cpu_ns[i] = sub(now->cpu_ns[i], before->cpu_ns[i]);
		any |= d->first_touch_pages[i] || d->cpu_ns[i];
	}
	/* Faults not classified: unresolved ones, plus ones still waiting for their page
	 * (those are counted in a later interval when the allocation comes). */
	d->faults_unresolved = sub(now->faults_unresolved, before->faults_unresolved);
	d->node_migrations = sub(now->node_migrations, before->node_migrations);
	any |= sub(now->faults_total, before->faults_total) != 0 || d->node_migrations;
	return any;
}

/* For each thread, the stack that first-touched the most pages (cumulative). */
static void pick_stacks(struct nl_collector *c, struct thread_list *l)
{
	int fd = bpf_map__fd(c->skel->maps.stack_counts);
	struct nl_stack_key key, next;
	void *prev = NULL;
	struct nl_stack_count cnt;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &cnt))
			continue;
		for (int i = 0; i < l->n; i++) {
			struct cur *t = &l->cur[i];

			if (l->v[i].tid != key.tid)
				continue;
			if (!t->has_stack || cnt.pages_est > t->best_pages) {
				t->has_stack = true;
				t->best_pages = cnt.pages_est;
				t->best_stackid = key.stackid;
			}
			break;
		}
	}
}

static struct nl_stack *load_stack(struct nl_collector *c, uint32_t pid, uint32_t stackid)
{
	uint64_t ips[NL_STACK_DEPTH] = {};
	struct nl_stack *st;

	if (bpf_map_lookup_elem(bpf_map__fd(c->skel->maps.stacks), &stackid, ips))
		return NULL;
	st = calloc(1, sizeof(*st));
	if (!st)
		return NULL;
	if (c->sym && nl_symbolize(c->sym, pid, ips, NL_STACK_DEPTH, st) == 0)
		return st;
	/* The process is gone and was never cached: keep the raw addresses. */
	for (int i = 0; i < NL_STACK_DEPTH && i < NL_MAX_FRAMES && ips[i]; i++)
		st->frames[st->nr++].ip = ips[i];
	return st;
}

/* Deletes map entries that belong to exited threads once they are reported. */
static void forget_exited(struct nl_collector *c, const uint32_t *keys, int nkeys)
{
	int efd = bpf_map__fd(c->skel->maps.exited);
	int sfd = bpf_map__fd(c->skel->maps.stack_counts);

	for (int i = 0; i < nkeys; i++)
		bpf_map_delete_elem(efd, &keys[i]);
	if (!c->opts.stacks || !nkeys)
		return;
	/* Collect first: deleting while walking would restart get_next_key. */
	struct nl_stack_key key, next, *doomed = NULL;
	int nd = 0, cap = 0;
	void *prev = NULL;
	while (bpf_map_get_next_key(sfd, prev, &next) == 0) {
		key = next;
		prev = &key;
		for (int i = 0; i < nkeys; i++) {
			if (keys[i] != key.tid)
				continue;
			if (nd == cap) {
				int ncap = cap ? cap * 2 : 64;
				struct nl_stack_key *nv = realloc(doomed, (size_t)ncap * sizeof(*nv));
				if (!nv)
					goto out;
				doomed = nv;
				cap = ncap;
			}
			doomed[nd++] = key;
			break;
		}
	}
out:
	for (int i = 0; i < nd; i++)
		bpf_map_delete_elem(sfd, &doomed[i]);
	free(doomed);
}

static uint64_t read_drops(struct nl_collector *c, uint64_t out[NL_DROP_MAX])
{
	int fd = bpf_map__fd(c->skel->maps.drops);
	uint64_t *vals = calloc((size_t)c->nr_cpus, sizeof(*vals));

	memset(out, 0, sizeof(uint64_t) * NL_DROP_MAX);
	if (!vals)
		return 0;
	for (uint32_t k = 0; k < NL_DROP_MAX; k++) {
		if (bpf_map_lookup_elem(fd, &k, vals))
			continue;
		for (int i = 0; i < c->nr_cpus; i++)
			out[k] += vals[i];
	}
	free(vals);
	return 0;
}

static struct nl_process *find_or_add_proc(struct nl_snapshot *snap, int *cap, uint32_t pid)
{
	for (int i = 0; i < snap->nr_procs; i++)
		if (snap->procs[i].pid == pid)
			return &snap->procs[i];
	if (snap->nr_procs == *cap) {
		int ncap = *cap ? *cap * 2 : 16;
		struct nl_process *nv = realloc(snap->procs, (size_t)ncap * sizeof(*nv));
		if (!nv)
			return NULL;
		snap->procs = nv;
		*cap = ncap;
	}
	struct nl_process *p = &snap->procs[snap->nr_procs++];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	return p;
}

static int add_thread(struct nl_process *p, const struct nl_thread *t)
{
	struct nl_thread *nv = realloc(p->threads, (size_t)(p->nr_threads + 1) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	p->threads = nv;
	p->threads[p->nr_threads++] = *t;
	nl_counts_add(&p->c, &t->c);
	return 0;
}

int nl_collector_snapshot(struct nl_collector *c, struct nl_snapshot *snap)
{
	struct thread_list l = {};
	struct seen *procs_now = NULL;
	uint32_t *exited_keys = NULL;
	int nr_procs_now = 0, nexited = 0, proc_cap = 0, ret;
	uint64_t drops[NL_DROP_MAX];
	char err[256];

	memset(snap, 0, sizeof(*snap));
	uint64_t mono = now_ns(CLOCK_MONOTONIC);
	snap->interval_ns = mono - c->last_mono_ns;
	snap->timestamp_ns = now_ns(CLOCK_REALTIME);

	/* Live threads first, then the exited map: a thread that exits in between is in
	 * both, and the exited copy (final) wins. */
	ret = read_live(c, &l);
	if (!ret)
		ret = read_exited(c, &l, &exited_keys, &nexited);
	if (!ret)
		ret = read_exited_procs(c, &procs_now, &nr_procs_now);
	if (ret)
		goto fail;
	if (c->opts.stacks)
		pick_stacks(c, &l);

	for (int i = 0; i < l.n; i++) {
		struct cur *t = &l.cur[i];
		struct nl_thread th = {};

		if (!delta_counts(&t->s, find_seen(c->seen, c->nr_seen, l.v[i].tid), &th.c) &&
		    !t->exited)
			continue;
		th.tid = t->s.tid;
		memcpy(th.comm, t->s.comm, NL_COMM_LEN);
		th.comm[NL_COMM_LEN - 1] = '\0';
		th.exited = t->exited;
		if (t->has_stack) {
			th.first_touch_stack = load_stack(c, t->s.tgid, t->best_stackid);
			th.first_touch_stack_pages = t->best_pages;
		}
		struct nl_process *p = find_or_add_proc(snap, &proc_cap, t->s.tgid);
		if (!p || add_thread(p, &th)) {
			free(th.first_touch_stack);
			ret = -ENOMEM;
			goto fail;
		}
	}
	/* Threads folded into their process because the exited map was full. */
	for (int i = 0; i < nr_procs_now; i++) {
		struct nl_thread th = { .tid = 0, .exited = true };

		if (!delta_counts(&procs_now[i].s,
				  find_seen(c->seen_procs, c->nr_seen_procs, procs_now[i].tid), &th.c))
			continue;
		snprintf(th.comm, NL_COMM_LEN, "[exited]");
		struct nl_process *p = find_or_add_proc(snap, &proc_cap, procs_now[i].tid);
		if (!p || add_thread(p, &th)) {
			ret = -ENOMEM;
			goto fail;
		}
		if (!p->comm[0]) { /* the first folded thread's name, if nothing better comes */
			memcpy(p->comm, procs_now[i].s.comm, NL_COMM_LEN);
			p->comm[NL_COMM_LEN - 1] = '\0';
		}
	}
	/* The followed process is always reported, active or not, for its residency. */
	if (c->opts.target_pid && !find_or_add_proc(snap, &proc_cap, c->opts.target_pid)) {
		ret = -ENOMEM;
		goto fail;
	}
	for (int i = 0; i < snap->nr_procs; i++) {
		struct nl_process *p = &snap->procs[i];
		uint64_t beyond = 0;

		char now[NL_COMM_LEN];
		if (nl_read_comm(p->pid, 0, now, sizeof(now)) == 0) {
			memcpy(p->comm, now, NL_COMM_LEN);
		} else {
			/* Gone: name it after its main thread, else any real thread, else the
			 * name its folded threads left (not the "[exited]" row label). */
			const struct nl_thread *name = NULL;
			for (int t = 0; t < p->nr_threads; t++) {
				const struct nl_thread *th = &p->threads[t];
				if (th->tid == p->pid || (th->tid != 0 && !name))
					name = th;
				if (th->tid == p->pid)
					break;
			}
			if (name)
				memcpy(p->comm, name->comm, NL_COMM_LEN);
		}
		/* Gone processes have no numa_maps: resident_known stays false. */
		nl_numa_maps_fill_process(NULL, p, &beyond);
	}

	read_drops(c, drops);
	/* Stack samples and unresolvable page nodes are not lost events: the faults are
	 * counted (unresolved), the detail below says how many. */
	for (int k = 0; k < NL_DROP_MAX; k++)
		if (k != NL_DROP_STACK && k != NL_DROP_PAGE_NODE)
			snap->lost_events += sub(drops[k], c->prev_drops[k]);
	memcpy(snap->sources, c->sources, sizeof(snap->sources));
	snap->nr_sources = c->nr_sources;
	{
		struct nl_source_state *f = NULL;
		for (int i = 0; i < snap->nr_sources; i++)
			if (strcmp(snap->sources[i].name, "faults") == 0)
				f = &snap->sources[i];
		size_t len = f ? strlen(f->detail) : 0;
		if (f && drops[NL_DROP_PAGE_NODE])
			len += (size_t)snprintf(f->detail + len, sizeof(f->detail) - len,
						"; %" PRIu64 " pages on no known node",
						drops[NL_DROP_PAGE_NODE]);
		if (f && len < sizeof(f->detail) && c->opts.stacks && drops[NL_DROP_STACK])
			snprintf(f->detail + len, sizeof(f->detail) - len,
				 "; %" PRIu64 " stack samples not stored", drops[NL_DROP_STACK]);
	}
	snap->numa_balancing = c->topo.numa_balancing;
	{
		uint64_t nb;
		if (nl_read_u64(NULL, "/proc/sys/kernel/numa_balancing", &nb) == 0)
			snap->numa_balancing = (int)nb;
	}
	if (nl_topology_summary(&c->topo, &snap->topo)) {
		ret = -ENOMEM;
		goto fail;
	}
	if (c->autonuma) {
		ret = nl_autonuma_fill(c->autonuma, snap);
		if (ret)
			goto fail;
	}
	(void)err;

	/* Commit: this snapshot's cumulative values are the next one's baseline. Exited
	 * threads leave the baseline (and the maps). */
	int keep = 0;
	for (int i = 0; i < l.n; i++)
		if (!l.cur[i].exited)
			l.v[keep++] = l.v[i];
	qsort(l.v, keep, sizeof(*l.v), cmp_seen);
	free(c->seen);
	c->seen = l.v;
	c->nr_seen = keep;
	l.v = NULL;
	free(c->seen_procs);
	c->seen_procs = procs_now;
	c->nr_seen_procs = nr_procs_now;
	procs_now = NULL;
	forget_exited(c, exited_keys, nexited);
	if (c->sym)
		for (int i = 0; i < l.n; i++)
			if (l.cur[i].exited && l.cur[i].s.tid == l.cur[i].s.tgid)
				nl_symbolizer_forget(c->sym, l.cur[i].s.tgid);
	memcpy(c->prev_drops, drops, sizeof(drops));
	c->last_mono_ns = mono;
	list_free(&l);
	free(exited_keys);
	return 0;
fail:
	nl_snapshot_free(snap);
	list_free(&l);
	free(procs_now);
	free(exited_keys);
	return ret;
}

void nl_collector_close(struct nl_collector *c)
{
	if (!c)
		return;
	nl_autonuma_close(c->autonuma);
	access_bpf__destroy(c->skel);
	nl_topology_free(&c->topo);
	nl_symbolizer_free(c->sym);
	free(c->seen);
	free(c->seen_procs);
	free(c);
}
