/* AutoNUMA module: path selection (fentry -> kprobe -> fallback), loading, and the
 * per-interval fold of bpf/autonuma.bpf.c's counters into nl_snapshot. */
#include "collect/autonuma.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "autonuma.skel.h"
#include "collect/pfn_nodes.h"
#include "common/util.h"
#include "collect/vmstat.h"

#define DEFAULT_MAX_THREADS 4096
#define MAX_LINKS 48

struct prev_thread {
	uint32_t tid;
	struct nl_autonuma_thread v;
};

struct nl_autonuma {
	struct autonuma_bpf *skel;
	struct bpf_link *links[MAX_LINKS];
	int nr_links;
	struct bpf_link *iter; /* fallback: the task iterator's link (also in links) */
	/* fallback: the page_fault_user sampler, attached only while AutoNUMA can act (more
	 * than one online node and kernel.numa_balancing != 0): otherwise no hinting fault
	 * can happen and it would cost every user fault of the system for nothing. Not in
	 * links[]; attached and detached by nl_autonuma_fill. */
	struct bpf_link *fb_fault;
	char fb_note[160];      /* why it is not attached, or "" */
	enum nl_autonuma_path path;
	uint32_t target_pid;
	int nr_cpus;
	char why[512];          /* why better paths were not taken */
	char missing[256];      /* optional programs that did not attach, and why */
	char pfn_note[128];     /* how pages map to nodes, or why they do not */
	bool pfn_ok;
	struct prev_thread *prev;
	size_t nr_prev;
	struct nl_autonuma_sys prev_sys;
	struct nl_autonuma_sys open_sys; /* BPF totals when open_vm was read */
	uint64_t prev_drops;
	struct nl_vmstat prev_vm;
	bool prev_vm_ok;
	struct nl_vmstat open_vm; /* at attach: the cumulative comparison's baseline */
	bool open_vm_ok;
};

/* ---- names ---- */

static char reason_names[NL_MIGRATE_REASONS][32] = {
	"compaction", "memory_failure", "memory_hotplug", "syscall", "mempolicy_mbind",
	"numa_misplaced", "contig_range", "longterm_pin", "demotion", "damon", "", "", "",
	"", "other",
};

/* 6.18 adds TLB_REMOTE_WRONG_CPU = 5; names come from BTF when a module is opened. */
static char tlb_names[NL_TLB_REASONS][32] = {
	"task_switch", "remote_shootdown", "local_shootdown", "local_mm_shootdown",
	"remote_ipi_send", "reason_5", "reason_6", "other",
};

const char *nl_migrate_reason_name(int r)
{
	if (r < 0 || r >= NL_MIGRATE_REASONS)
		return NULL;
	return reason_names[r];
}

const char *nl_tlb_reason_name(int r)
{
	if (r < 0 || r >= NL_TLB_REASONS)
		return NULL;
	return tlb_names[r];
}

static const char *path_names[] = { "auto", "fentry", "kprobe", "fallback" };

const char *nl_autonuma_path_name(enum nl_autonuma_path p)
{
	return (unsigned)p < NL_ARRAY_SIZE(path_names) ? path_names[p] : "?";
}

int nl_autonuma_path_parse(const char *s, enum nl_autonuma_path *out)
{
	for (size_t i = 0; i < NL_ARRAY_SIZE(path_names); i++)
		if (s && !strcmp(s, path_names[i])) {
			*out = (enum nl_autonuma_path)i;
			return 0;
		}
	return -1;
}

enum nl_autonuma_path nl_autonuma_path(const struct nl_autonuma *a)
{
	return a->path;
}

const char *nl_autonuma_path_why(const struct nl_autonuma *a)
{
	return a->why;
}

static void appendf(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	if (used + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

/* ---- what the running kernel has (BTF) ---- */

static bool btf_has(const struct btf *btf, const char *name, int kind)
{
	return btf && btf__find_by_name_kind(btf, name, kind) > 0;
}

static bool has_tracepoint(const struct btf *btf, const char *tp)
{
	char name[96];

	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	return btf_has(btf, name, BTF_KIND_TYPEDEF);
}

/* Arguments of a tracepoint (without the context pointer), or -1. */
static int tracepoint_nargs(const struct btf *btf, const char *tp)
{
	char name[96];
	int id;
	const struct btf_type *t;

	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	id = btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF);
	if (id <= 0)
		return -1;
	t = btf__type_by_id(btf, btf__type_by_id(btf, id)->type); /* PTR */
	if (!t || !btf_is_ptr(t))
		return -1;
	t = btf__type_by_id(btf, t->type);
	if (!t || !btf_is_func_proto(t))
		return -1;
	return btf_vlen(t) - 1;
}

/* Copies enum NAME's constants into names[], lower-cased without PREFIX; values past
 * max - 1 (the "other" slot) and the NR_/MR_TYPES sentinels are left alone. */
static void load_enum_names(const struct btf *btf, const char *name, const char *prefix,
			    char (*names)[32], int max)
{
	int id = btf ? btf__find_by_name_kind(btf, name, BTF_KIND_ENUM) : -1;
	const struct btf_type *t;

	if (id <= 0)
		return;
	t = btf__type_by_id(btf, id);
	const struct btf_enum *e = btf_enum(t);
	for (int i = 0; i < btf_vlen(t); i++, e++) {
		const char *n = btf__name_by_offset(btf, e->name_off);
		long v = e->val;

		if (!n || v < 0 || v >= max - 1 || !strncmp(n, "NR_", 3) || !strcmp(n, "MR_TYPES"))
			continue;
		if (!strncmp(n, prefix, strlen(prefix)))
			n += strlen(prefix);
		size_t j = 0;
		for (; n[j] && j + 1 < sizeof(names[v]); j++)
			names[v][j] = (char)tolower((unsigned char)n[j]);
		names[v][j] = '\0';
	}
}

/* enum migrate_reason names from this kernel's BTF ("MR_NUMA_MISPLACED" ->
 * "numa_misplaced"), so a reordered enum cannot mislabel anything. */
static void load_reason_names(const struct btf *btf)
{
	load_enum_names(btf, "migrate_reason", "MR_", reason_names, NL_MIGRATE_REASONS);
	load_enum_names(btf, "tlb_flush_reason", "TLB_", tlb_names, NL_TLB_REASONS);
}

static bool in_kallsyms(const char *sym)
{
	FILE *f = fopen("/proc/kallsyms", "re");
	char line[512];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *name = strrchr(line, ' ');

		if (!name)
			continue;
		name++;
		name[strcspn(name, "\t\n")] = '\0';
		found = !strcmp(name, sym);
	}
	fclose(f);
	return found;
}

/* nr_node_ids: the kernel sizes task_struct.numa_faults by it (highest possible node
 * + 1, /sys/devices/system/node/possible). */
static int read_nr_node_ids(void)
{
	char *s = nl_read_file(NULL, "/sys/devices/system/node/possible");
	int *v = NULL, n, max = 0;

	if (!s)
		return 1;
	n = nl_parse_cpulist(s, &v);
	for (int i = 0; i < n; i++)
		if (v[i] > max)
			max = v[i];
	free(v);
	free(s);
	return max + 1;
}

/* ---- open ---- */

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

static int libbpf_loud(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static void detach_all(struct nl_autonuma *a)
{
	for (int i = 0; i < a->nr_links; i++)
		bpf_link__destroy(a->links[i]);
	a->nr_links = 0;
	bpf_link__destroy(a->fb_fault);
	a->fb_fault = NULL;
	a->iter = NULL;
	autonuma_bpf__destroy(a->skel);
	a->skel = NULL;
}

enum role { R_OFF, R_REQUIRED, R_OPTIONAL };

struct prog_plan {
	const char *prog;
	enum role role;
	const char *why_off; /* shown in `missing` when an optional program is off */
};

/* Which programs a path runs. Required ones failing fail the path. */
static enum role role_of(const char *name, enum nl_autonuma_path path, const struct btf *btf,
			 int migrate_nargs, const char **why)
{
	*why = NULL;
	if (!strncmp(name, "an_fentry_", 10) || !strncmp(name, "an_fexit_", 9)) {
		if (path != NL_AUTONUMA_PATH_FENTRY)
			return R_OFF;
		return strstr(name, "numa_fault") || strstr(name, "migrate_prep") ? R_REQUIRED
										   : R_OPTIONAL;
	}
	if (!strncmp(name, "an_kprobe_", 10) || !strncmp(name, "an_kretprobe_", 13)) {
		if (path != NL_AUTONUMA_PATH_KPROBE)
			return R_OFF;
		return strstr(name, "numa_fault") || strstr(name, "migrate_prep") ? R_REQUIRED
										   : R_OPTIONAL;
	}
	if (!strncmp(name, "an_fb_", 6))
		return path == NL_AUTONUMA_PATH_FALLBACK ? R_REQUIRED : R_OFF;
	if (!strcmp(name, "an_migrate_end7"))
		return migrate_nargs == 7 ? R_REQUIRED : R_OFF;
	if (!strcmp(name, "an_migrate_end8"))
		return migrate_nargs == 8 ? R_REQUIRED : R_OFF;

	static const struct {
		const char *prog, *tp;
	} tps[] = {
		{ "an_set_pte", "set_migration_pte" },
		{ "an_remove_pte", "remove_migration_pte" },
		{ "an_set_pmd", "set_migration_pmd" },
		{ "an_remove_pmd", "remove_migration_pmd" },
		{ "an_migrate_start", "mm_migrate_pages_start" },
		{ "an_move_numa", "sched_move_numa" },
		{ "an_swap_numa", "sched_swap_numa" },
		{ "an_stick_numa", "sched_stick_numa" },
		{ "an_tlb_flush", "tlb_flush" },
		{ "an_ipi_entry", "call_function_entry" },
		{ "an_ipi_exit", "call_function_exit" },
		{ "an_ipi1_entry", "call_function_single_entry" },
		{ "an_ipi1_exit", "call_function_single_exit" },
		{ "an_exit", "sched_process_exit" },
	};
	for (size_t i = 0; i < NL_ARRAY_SIZE(tps); i++) {
		if (strcmp(name, tps[i].prog))
			continue;
		if (!has_tracepoint(btf, tps[i].tp)) {
			*why = tps[i].tp;
			return R_OFF;
		}
		/* Migration start/end and exit are what every path's counts rest on. */
		if (!strcmp(name, "an_migrate_start") || !strcmp(name, "an_exit"))
			return R_REQUIRED;
		return R_OPTIONAL;
	}
	return R_OPTIONAL;
}

/* Can AutoNUMA take hinting faults now? Not with one online node (task_numa_work
 * bails out, the sched_numa_balancing static key stays off) nor with
 * kernel.numa_balancing=0; then task_struct.numa_faults stays NULL and the fallback's
 * per-fault sampler would find nothing. Returns true when it can (or when unsure), else
 * false with the reason in why. */
static bool autonuma_can_act(char *why, size_t len)
{
	uint64_t bal = 0;
	char *s = nl_read_file(NULL, "/sys/devices/system/node/online");
	int *v = NULL, nodes = s ? nl_parse_cpulist(s, &v) : -1;
	bool have_bal = nl_read_u64(NULL, "/proc/sys/kernel/numa_balancing", &bal) == 0;

	free(v);
	free(s);
	if (nodes == 1 || (have_bal && bal == 0)) {
		snprintf(why, len, "%s%s%s", nodes == 1 ? "1 node" : "",
			 nodes == 1 && have_bal && bal == 0 ? ", " : "",
			 have_bal && bal == 0 ? "numa_balancing=0" : "");
		return false;
	}
	return true;
}

/* Attaches the fallback's per-fault sampler when AutoNUMA can act, detaches it when it
 * cannot (it takes deltas from a per-task baseline, so it can start at any point; the
 * task iterator keeps sampling every interval either way). */
static void fb_fault_update(struct nl_autonuma *a)
{
	char why[64];

	if (a->path != NL_AUTONUMA_PATH_FALLBACK || !a->skel)
		return;
	if (!autonuma_can_act(why, sizeof(why))) {
		if (a->fb_fault) {
			bpf_link__destroy(a->fb_fault);
			a->fb_fault = NULL;
		}
		snprintf(a->fb_note, sizeof(a->fb_note),
			 "fallback sampler not attached: AutoNUMA inactive (%s); attached when it "
			 "turns on", why);
		return;
	}
	if (a->fb_fault)
		return;
	a->fb_fault = bpf_program__attach(a->skel->progs.an_fb_fault);
	if (!a->fb_fault)
		snprintf(a->fb_note, sizeof(a->fb_note),
			 "fallback sampler failed to attach (%s): hint faults from iter/task only",
			 strerror(errno));
	else
		a->fb_note[0] = '\0';
}

static int try_path(struct nl_autonuma *a, enum nl_autonuma_path path,
		    const struct nl_autonuma_opts *o, const struct btf *btf,
		    const struct nl_pfn_range *ranges, int nr_ranges, char *err, size_t errlen)
{
	struct bpf_program *prog;
	int migrate_nargs = tracepoint_nargs(btf, "mm_migrate_pages");
	int rc;

	a->missing[0] = '\0';
	if (path == NL_AUTONUMA_PATH_FENTRY) {
		if (!btf_has(btf, "task_numa_fault", BTF_KIND_FUNC) ||
		    !btf_has(btf, "numa_migrate_prep", BTF_KIND_FUNC)) {
			snprintf(err, errlen, "no task_numa_fault/numa_migrate_prep in kernel BTF");
			return -ENOENT;
		}
	}
	if (path == NL_AUTONUMA_PATH_KPROBE) {
		if (access("/sys/kernel/tracing/kprobe_events", F_OK) &&
		    access("/sys/kernel/debug/tracing/kprobe_events", F_OK) &&
		    !in_kallsyms("register_kprobe")) {
			snprintf(err, errlen, "kernel has no kprobes");
			return -ENOTSUP;
		}
		if (!in_kallsyms("task_numa_fault") || !in_kallsyms("numa_migrate_prep")) {
			snprintf(err, errlen, "task_numa_fault/numa_migrate_prep not in kallsyms");
			return -ENOENT;
		}
	}
	if (migrate_nargs != 7 && migrate_nargs != 8) {
		snprintf(err, errlen, "mm_migrate_pages tracepoint: %d arguments, expected 7 or 8",
			 migrate_nargs);
		return -ENOTSUP;
	}

	a->skel = autonuma_bpf__open();
	if (!a->skel) {
		rc = -errno;
		snprintf(err, errlen, "open BPF object: %s", strerror(errno));
		return rc;
	}
	a->skel->rodata->target_tgid = o->target_pid;
	a->skel->rodata->target_cgroup = o->cgroup_id;
	a->skel->rodata->mode_fallback = path == NL_AUTONUMA_PATH_FALLBACK;
	a->skel->rodata->nr_node_ids = (uint32_t)read_nr_node_ids();
	a->skel->rodata->nr_pfn_ranges = (uint32_t)nr_ranges;
	memcpy((void *)a->skel->rodata->pfn_ranges, ranges, (size_t)nr_ranges * sizeof(*ranges));
	bpf_map__set_max_entries(a->skel->maps.an_threads,
				 o->max_threads ? o->max_threads : DEFAULT_MAX_THREADS);

	bpf_object__for_each_program(prog, a->skel->obj) {
		const char *why;
		enum role r = role_of(bpf_program__name(prog), path, btf, migrate_nargs, &why);

		bpf_program__set_autoload(prog, r != R_OFF);
		if (why)
			appendf(a->missing, sizeof(a->missing), "%sno tracepoint %s",
				a->missing[0] ? ", " : "", why);
	}
	rc = autonuma_bpf__load(a->skel);
	if (rc) {
		snprintf(err, errlen, "load: %s", strerror(-rc));
		goto fail;
	}
	bpf_object__for_each_program(prog, a->skel->obj) {
		const char *why, *name = bpf_program__name(prog);
		enum role r = role_of(name, path, btf, migrate_nargs, &why);
		struct bpf_link *l;

		if (r == R_OFF)
			continue;
		if (!strcmp(name, "an_fb_fault"))
			continue; /* fb_fault_update(), below and at every fill */
		l = bpf_program__attach(prog);
		if (!l) {
			rc = -errno;
			if (r == R_REQUIRED) {
				snprintf(err, errlen, "attach %s: %s", name, strerror(errno));
				goto fail;
			}
			appendf(a->missing, sizeof(a->missing), "%s%s: %s",
				a->missing[0] ? ", " : "", name, strerror(errno));
			continue;
		}
		if (a->nr_links >= MAX_LINKS) {
			bpf_link__destroy(l);
			rc = -E2BIG;
			snprintf(err, errlen, "more than %d programs", MAX_LINKS);
			goto fail;
		}
		a->links[a->nr_links++] = l;
		if (!strcmp(name, "an_fb_iter"))
			a->iter = l;
	}
	a->path = path;
	fb_fault_update(a);
	return 0;
fail:
	detach_all(a);
	return rc ? rc : -EINVAL;
}

static void sum_sys(struct nl_autonuma *a, struct nl_autonuma_sys *out, uint64_t *drops);

int nl_autonuma_open(const struct nl_autonuma_opts *o, struct nl_autonuma **out, char *err,
		     size_t errlen)
{
	static const enum nl_autonuma_path order[] = {
		NL_AUTONUMA_PATH_FENTRY, NL_AUTONUMA_PATH_KPROBE, NL_AUTONUMA_PATH_FALLBACK,
	};
	struct nl_autonuma *a = calloc(1, sizeof(*a));
	struct nl_pfn_range *ranges = calloc(NL_MAX_PFN_RANGES, sizeof(*ranges));
	struct btf *btf = NULL;
	int nr_ranges = 0, rc = -EINVAL;
	const char *pfn_src = NULL;
	char perr[160] = "";

	*out = NULL;
	if (!a || !ranges) {
		snprintf(err, errlen, "out of memory");
		rc = -ENOMEM;
		goto cleanup;
	}
	libbpf_set_print(o->verbose ? libbpf_loud : libbpf_quiet);
	a->target_pid = o->target_pid;
	a->nr_cpus = libbpf_num_possible_cpus();
	if (a->nr_cpus <= 0) {
		snprintf(err, errlen, "cannot count possible CPUs");
		rc = -EINVAL;
		goto cleanup;
	}
	btf = btf__load_vmlinux_btf();
	if (!btf) {
		rc = -errno;
		snprintf(err, errlen, "kernel has no BTF (%s)", strerror(errno));
		goto cleanup;
	}
	load_reason_names(btf);

	long page_size = sysconf(_SC_PAGESIZE);
	if (nl_pfn_nodes_read(NULL, page_size > 0 ? (uint64_t)page_size : 4096, ranges,
			      NL_MAX_PFN_RANGES, &nr_ranges, &pfn_src, perr, sizeof(perr))) {
		nr_ranges = 0;
		snprintf(a->pfn_note, sizeof(a->pfn_note), "from/to nodes unknown: %s", perr);
	} else {
		a->pfn_ok = true;
		snprintf(a->pfn_note, sizeof(a->pfn_note), "page nodes from %s", pfn_src);
	}

	for (size_t i = 0; i < NL_ARRAY_SIZE(order); i++) {
		char why[200];

		if (o->path != NL_AUTONUMA_PATH_AUTO && o->path != order[i])
			continue;
		rc = try_path(a, order[i], o, btf, ranges, nr_ranges, why, sizeof(why));
		if (rc == 0)
			break;
		appendf(a->why, sizeof(a->why), "%s%s: %s", a->why[0] ? "; " : "",
			nl_autonuma_path_name(order[i]), why);
	}
	if (rc) {
		snprintf(err, errlen, "AutoNUMA programs: %s", a->why);
		goto cleanup;
	}
	/* Baselines: the first fill reports what happened since now. The BPF totals are
	 * read right after /proc/vmstat, so the two sides of the vmstat check start at the
	 * same instant: attaching a dozen programs (fentry trampolines) can take a while,
	 * and what the first ones counted meanwhile is not in vmstat's baseline. */
	a->prev_vm_ok = nl_vmstat_read(NULL, &a->prev_vm) == 0;
	a->open_vm = a->prev_vm;
	a->open_vm_ok = a->prev_vm_ok;
	{
		uint64_t drops_so_far; /* not a baseline: every drop is reported */
		sum_sys(a, &a->prev_sys, &drops_so_far);
		a->open_sys = a->prev_sys;
	}
	*out = a;
	a = NULL;
	rc = 0;
cleanup:
	btf__free(btf);
	free(ranges);
	nl_autonuma_close(a);
	return rc;
}

void nl_autonuma_close(struct nl_autonuma *a)
{
	if (!a)
		return;
	detach_all(a);
	free(a->prev);
	free(a);
}

/* ---- fill ---- */

/* Runs the fallback's task iterator: it samples every task's fault buffers (so a
 * thread that stopped faulting is still charged its last fault). It writes nothing. */
static int run_iter(struct nl_autonuma *a)
{
	char buf[256];
	int fd, rc = 0;
	ssize_t n;

	if (!a->iter)
		return 0;
	fd = bpf_iter_create(bpf_link__fd(a->iter));
	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	if (n < 0)
		rc = -errno;
	close(fd);
	return rc;
}

static int cmp_prev(const void *x, const void *y)
{
	const struct prev_thread *a = x, *b = y;

	return a->tid < b->tid ? -1 : a->tid > b->tid;
}

static struct prev_thread *find_prev(struct nl_autonuma *a, uint32_t tid)
{
	struct prev_thread key = { .tid = tid };

	if (!a->nr_prev)
		return NULL;
	return bsearch(&key, a->prev, a->nr_prev, sizeof(*a->prev), cmp_prev);
}

/* cur - prev, field by field; a counter that went backwards means the entry was
 * recreated (tid reuse), and then the whole current value is new. */
static uint64_t d64(uint64_t cur, uint64_t prev)
{
	return cur >= prev ? cur - prev : cur;
}

static bool thread_delta(const struct nl_autonuma_thread *cur,
			 const struct nl_autonuma_thread *prev, struct nl_counts *c)
{
	static const struct nl_autonuma_thread zero;
	uint64_t any = 0;

	if (!prev)
		prev = &zero;
	for (int i = 0; i < NL_MAX_NODES; i++)
		for (int j = 0; j < NL_MAX_NODES; j++) {
			c->hint_faults[i][j] = d64(cur->hint_faults[i][j], prev->hint_faults[i][j]);
			c->migrated_pages[i][j] = d64(cur->migrated[i][j], prev->migrated[i][j]);
			any |= c->hint_faults[i][j] | c->migrated_pages[i][j];
		}
	c->hint_pages = d64(cur->hint_pages, prev->hint_pages);
	c->hint_local = d64(cur->hint_local, prev->hint_local);
	c->hint_migrated_pages = d64(cur->hint_migrated_pages, prev->hint_migrated_pages);
	c->hint_migrate_fail = d64(cur->hint_migrate_fail, prev->hint_migrate_fail);
	for (int r = 0; r < NL_MIGRATE_REASONS; r++) {
		c->migrate_pages_by_reason[r] = d64(cur->migrate_pages[r], prev->migrate_pages[r]);
		c->migrate_fail_by_reason[r] = d64(cur->migrate_fail[r], prev->migrate_fail[r]);
		c->migrate_stall_ns_by_reason[r] =
			d64(cur->migrate_stall_ns[r], prev->migrate_stall_ns[r]);
		c->migrate_fail += c->migrate_fail_by_reason[r];
		c->migrate_stall_ns += c->migrate_stall_ns_by_reason[r];
		any |= c->migrate_pages_by_reason[r] | c->migrate_fail_by_reason[r] |
		       d64(cur->migrate_calls[r], prev->migrate_calls[r]);
	}
	for (int b = 0; b < NL_HIST_BUCKETS; b++)
		c->migrate_stall_hist[b] = d64(cur->migrate_stall_hist[b], prev->migrate_stall_hist[b]);
	uint64_t moves = d64(cur->task_moves, prev->task_moves);
	c->numa_task_swaps = d64(cur->task_swaps, prev->task_swaps);
	c->numa_task_moves = moves + c->numa_task_swaps;
	c->numa_task_sticks = d64(cur->task_sticks, prev->task_sticks);
	for (int r = 0; r < NL_TLB_REASONS; r++) {
		c->tlb_shootdowns[r] = d64(cur->tlb[r], prev->tlb[r]);
		any |= c->tlb_shootdowns[r];
	}
	c->tlb_autonuma_sent = d64(cur->tlb_autonuma_sent, prev->tlb_autonuma_sent);
	c->tlb_autonuma_recv = d64(cur->tlb_autonuma_recv, prev->tlb_autonuma_recv);
	c->ipi_count = d64(cur->ipi_count, prev->ipi_count);
	c->ipi_ns = d64(cur->ipi_ns, prev->ipi_ns);
	c->ipi_autonuma_ns = d64(cur->ipi_autonuma_ns, prev->ipi_autonuma_ns);
	c->numa_scan_count = d64(cur->scan_count, prev->scan_count);
	c->numa_scan_ns = d64(cur->scan_ns, prev->scan_ns);
	any |= c->hint_pages | c->hint_migrated_pages | c->numa_task_moves |
	       c->numa_task_sticks | c->ipi_count | c->numa_scan_count;
	return any != 0;
}

/* Adds a's fields of src into dst: the AutoNUMA part plus the three pre-existing
 * fields it owns (hint_faults, migrated_pages, migrate_stall_ns, numa_task_moves). */
static void add_counts(struct nl_counts *d, const struct nl_counts *s)
{
	for (int i = 0; i < NL_MAX_NODES; i++)
		for (int j = 0; j < NL_MAX_NODES; j++) {
			d->hint_faults[i][j] += s->hint_faults[i][j];
			d->migrated_pages[i][j] += s->migrated_pages[i][j];
		}
	d->migrate_stall_ns += s->migrate_stall_ns;
	d->numa_task_moves += s->numa_task_moves;
	nl_counts_add_autonuma(d, s);
}

static void read_comm(char *dst, uint32_t pid, uint32_t tid)
{
	if (nl_read_comm(pid, tid, dst, NL_COMM_LEN))
		snprintf(dst, NL_COMM_LEN, "?");
}

static struct nl_process *get_proc(struct nl_snapshot *snap, uint32_t pid)
{
	for (int i = 0; i < snap->nr_procs; i++)
		if (snap->procs[i].pid == pid)
			return &snap->procs[i];
	struct nl_process *v = realloc(snap->procs, (size_t)(snap->nr_procs + 1) * sizeof(*v));
	if (!v)
		return NULL;
	snap->procs = v;
	struct nl_process *p = &v[snap->nr_procs++];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	read_comm(p->comm, pid, 0);
	return p;
}

static struct nl_thread *get_thread(struct nl_process *p, uint32_t tid, bool exited)
{
	for (int i = 0; i < p->nr_threads; i++)
		if (p->threads[i].tid == tid)
			return &p->threads[i];
	struct nl_thread *v = realloc(p->threads, (size_t)(p->nr_threads + 1) * sizeof(*v));
	if (!v)
		return NULL;
	p->threads = v;
	struct nl_thread *t = &v[p->nr_threads++];
	memset(t, 0, sizeof(*t));
	t->tid = tid;
	t->exited = exited;
	read_comm(t->comm, p->pid, tid);
	return t;
}

static void set_source(struct nl_snapshot *snap, const char *name, bool active,
		       const char *fmt, ...)
{
	struct nl_source_state *s = NULL;
	va_list ap;

	for (int i = 0; i < snap->nr_sources; i++)
		if (snap->sources[i].name && !strcmp(snap->sources[i].name, name))
			s = &snap->sources[i];
	if (!s) {
		if (snap->nr_sources >= NL_MAX_SOURCES)
			return;
		s = &snap->sources[snap->nr_sources++];
	}
	s->name = name;
	s->active = active;
	va_start(ap, fmt);
	vsnprintf(s->detail, sizeof(s->detail), fmt, ap);
	va_end(ap);
}

/* d = cur - old, field by field (all __u64 counters). */
static void sys_sub(struct nl_autonuma_sys *d, const struct nl_autonuma_sys *cur,
		    const struct nl_autonuma_sys *old)
{
	const uint64_t *c = (const uint64_t *)cur, *o = (const uint64_t *)old;
	uint64_t *out = (uint64_t *)d;

	for (size_t k = 0; k < sizeof(*d) / sizeof(uint64_t); k++)
		out[k] = d64(c[k], o[k]);
}

static void sum_sys(struct nl_autonuma *a, struct nl_autonuma_sys *out, uint64_t *drops)
{
	struct nl_autonuma_sys *per = calloc((size_t)a->nr_cpus, sizeof(*per));
	uint64_t *d = calloc((size_t)a->nr_cpus, sizeof(*d));
	uint32_t zero = 0;

	memset(out, 0, sizeof(*out));
	*drops = 0;
	if (per && !bpf_map_lookup_elem(bpf_map__fd(a->skel->maps.an_sys), &zero, per)) {
		for (int c = 0; c < a->nr_cpus; c++) {
			uint64_t *src = (uint64_t *)&per[c], *dst = (uint64_t *)out;

			for (size_t k = 0; k < sizeof(*out) / sizeof(uint64_t); k++)
				dst[k] += src[k];
		}
	}
	for (uint32_t k = 0; d && k < NL_AN_DROP_MAX; k++) {
		if (bpf_map_lookup_elem(bpf_map__fd(a->skel->maps.an_drops), &k, d))
			continue;
		for (int c = 0; c < a->nr_cpus; c++)
			*drops += d[c];
	}
	free(per);
	free(d);
}

/* The BPF side of a vmstat check, from system totals (a window's or cumulative). */
static void bpf_fill_check(const struct nl_autonuma *a, struct nl_vmstat_check *chk,
			   const struct nl_autonuma_sys *t)
{
	memset(chk, 0, sizeof(*chk));
	chk->bpf_valid = !strcmp(reason_names[5], "numa_misplaced"); /* else: unknown enum */
	chk->bpf_local_exact = a->path != NL_AUTONUMA_PATH_FALLBACK;
	chk->bpf_hint_faults = t->hint_faults;
	chk->bpf_hint_faults_local = t->hint_local;
	chk->bpf_pages_migrated = t->migrate_pages[5 /* numa_misplaced */];
	for (int r = 0; r < NL_MIGRATE_REASONS; r++) {
		chk->bpf_pgmigrate_success += t->migrate_pages[r];
		chk->bpf_pgmigrate_fail += t->migrate_fail[r];
	}
}

static void autonuma_state(struct nl_snapshot *snap)
{
	uint64_t bal = 0;
	int nodes = snap->topo.nr_nodes;
	bool have = nl_read_u64(NULL, "/proc/sys/kernel/numa_balancing", &bal) == 0;

	if (nodes <= 0) {
		char *s = nl_read_file(NULL, "/sys/devices/system/node/online");
		int *v = NULL;

		nodes = s ? nl_parse_cpulist(s, &v) : -1;
		free(v);
		free(s);
	}
	if (!have)
		snprintf(snap->autonuma_state, sizeof(snap->autonuma_state),
			 "AutoNUMA unavailable (no kernel.numa_balancing: kernel without "
			 "CONFIG_NUMA_BALANCING)");
	else if (bal == 0)
		snprintf(snap->autonuma_state, sizeof(snap->autonuma_state),
			 "AutoNUMA off (kernel.numa_balancing=0)%s",
			 nodes == 1 ? "; 1 NUMA node, nothing to balance" : "");
	else if (nodes == 1)
		snprintf(snap->autonuma_state, sizeof(snap->autonuma_state),
			 "AutoNUMA inactive: 1 NUMA node (kernel.numa_balancing=%" PRIu64 ")", bal);
	else
		snprintf(snap->autonuma_state, sizeof(snap->autonuma_state),
			 "AutoNUMA on (kernel.numa_balancing=%" PRIu64 "%s)", bal,
			 bal & 2 ? ", memory tiering" : "");
	if (snap->numa_balancing < 0 && have)
		snap->numa_balancing = (int)bal;
}

int nl_autonuma_fill(struct nl_autonuma *a, struct nl_snapshot *snap)
{
	int map = bpf_map__fd(a->skel->maps.an_threads);
	struct prev_thread *next = NULL;
	size_t nr_next = 0, cap = 0;
	uint32_t key, *prev_key = NULL;
	struct nl_autonuma_thread v;
	uint32_t *dead = NULL;
	size_t nr_dead = 0;
	int rc;

	fb_fault_update(a);
	rc = run_iter(a);
	if (rc)
		return rc;

	/* Per thread: walk the hash, diff against the previous walk. Entries are never
	 * deleted while BPF writes them, only after their thread exited and its final
	 * values were read. */
	while (bpf_map_get_next_key(map, prev_key, &key) == 0) {
		prev_key = &key;
		if (bpf_map_lookup_elem(map, &key, &v))
			continue; /* deleted meanwhile */
		struct nl_counts c;
		memset(&c, 0, sizeof(c));
		struct prev_thread *pv = find_prev(a, key);

		if (thread_delta(&v, pv ? &pv->v : NULL, &c)) {
			struct nl_process *p = get_proc(snap, v.tgid);
			struct nl_thread *t = p ? get_thread(p, v.tid, v.exited) : NULL;

			if (!t) {
				rc = -ENOMEM;
				goto cleanup;
			}
			add_counts(&t->c, &c);
			add_counts(&p->c, &c);
			if (v.exited)
				t->exited = true;
		}
		if (v.exited) {
			uint32_t *nd = realloc(dead, (nr_dead + 1) * sizeof(*nd));
			if (!nd) {
				rc = -ENOMEM;
				goto cleanup;
			}
			dead = nd;
			dead[nr_dead++] = key;
			continue;
		}
		if (nr_next == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct prev_thread *nn = realloc(next, ncap * sizeof(*nn));
			if (!nn) {
				rc = -ENOMEM;
				goto cleanup;
			}
			next = nn;
			cap = ncap;
		}
		next[nr_next].tid = key;
		next[nr_next].v = v;
		nr_next++;
	}
	for (size_t i = 0; i < nr_dead; i++)
		bpf_map_delete_elem(map, &dead[i]);
	if (nr_next)
		qsort(next, nr_next, sizeof(*next), cmp_prev);
	free(a->prev);
	a->prev = next;
	a->nr_prev = nr_next;
	next = NULL;

	/* System-wide totals and drops. */
	struct nl_autonuma_sys sys, ds;
	uint64_t drops;
	sum_sys(a, &sys, &drops);
	sys_sub(&ds, &sys, &a->prev_sys);
	a->prev_sys = sys;
	snap->lost_events += d64(drops, a->prev_drops);
	a->prev_drops = drops;

	/* The kernel's own counts for the same window. */
	struct nl_vmstat now, delta;
	struct nl_vmstat_check *chk = &snap->vmstat;
	bool vm_ok = nl_vmstat_read(NULL, &now) == 0;

	struct nl_vmstat_check cum;
	struct nl_autonuma_sys since_open;
	sys_sub(&since_open, &sys, &a->open_sys);
	/* The interval's figures are what is shown. Whether they disagree is decided on
	 * the totals since attach: the maps and /proc/vmstat are not read at the same
	 * instant, so a busy interval can lend a few hundred events to the next one; over
	 * the whole run that skew stays a few events while a real miss keeps growing. */
	bpf_fill_check(a, chk, &ds);
	bpf_fill_check(a, &cum, &since_open);
	if (vm_ok && a->prev_vm_ok && a->open_vm_ok) {
		nl_vmstat_delta(&a->prev_vm, &now, &delta);
		nl_vmstat_compare(chk, &delta, 2, 2.0);
		nl_vmstat_delta(&a->open_vm, &now, &delta);
		nl_vmstat_compare(&cum, &delta, 2, 2.0);
		chk->disagree = cum.disagree;
		if (cum.disagree)
			snprintf(chk->note, sizeof(chk->note), "since start: %.300s", cum.note);
		else if (strncmp(chk->note, "agree", 5) && strncmp(chk->note, "not compared", 12))
			appendf(chk->note, sizeof(chk->note), " (window-edge skew: totals since start agree)");
	} else {
		snprintf(chk->note, sizeof(chk->note), "not compared: /proc/vmstat unreadable");
	}
	a->prev_vm = now;
	a->prev_vm_ok = vm_ok;

	/* Sources and state. */
	autonuma_state(snap);
	switch (a->path) {
	case NL_AUTONUMA_PATH_FENTRY:
		set_source(snap, "hint_faults", true, "fentry/task_numa_fault+numa_migrate_prep");
		set_source(snap, "numa_scan", true, "fentry/fexit task_numa_work");
		break;
	case NL_AUTONUMA_PATH_KPROBE:
		set_source(snap, "hint_faults", true, "kprobe/task_numa_fault+numa_migrate_prep");
		set_source(snap, "numa_scan", true, "kprobe/kretprobe task_numa_work");
		break;
	default:
		/* detail[] is 128 bytes: the note says it all (the iterator still runs). */
		if (a->fb_note[0])
			set_source(snap, "hint_faults", true, "%s", a->fb_note);
		else
			set_source(snap, "hint_faults", true,
				   "fallback: task_struct numa_faults buffers at page_fault_user + "
				   "iter/task");
		set_source(snap, "numa_scan", false,
			   "not measured: needs fentry or kprobe on task_numa_work");
		break;
	}
	set_source(snap, "migrations", true, "tp_btf mm_migrate_pages*, *_migration_pte/pmd; %s",
		   a->pfn_note);
	set_source(snap, "numa_sched", true, "tp_btf sched_move_numa/swap_numa/stick_numa");
	set_source(snap, "tlb", true, "tp_btf tlb_flush, call_function IPIs%s",
		   a->path == NL_AUTONUMA_PATH_FALLBACK ?
			   "; victims' AutoNUMA attribution needs fentry/kprobe" : "");
	rc = 0;
cleanup:
	free(next);
	free(dead);
	return rc;
}
