/* AutoNUMA module: path selection (fentry -> kprobe -> fallback), loading, and the
 * per-interval fold of bpf/autonuma.bpf.c's counters into nl_snapshot. */
#include "collect/autonuma.h"
#include "collect/collect.h"

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
#include "collect/threads.h"
#include "collect/kfeatures.h"
#include "collect/pfn_nodes.h"
#include "collect/prog_misses.h"
#include "collect/wide_cells.h"
#include "common/util.h"
#include "collect/vmstat.h"

#define DEFAULT_MAX_THREADS 4096
#define MAX_LINKS 48
/* 4 MiB: 87k events of 48 bytes; `record` drains it every interval (100 ms) */
#define EVENT_RING_BYTES (4u << 20)

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
	bool flush_off;         /* no IPI-victim attribution (flush_hook_ok()) */
	bool tlb_off;           /* no call_function IPI tracepoints: the tlb source is off (choose()) */
	bool skip_half_hints;   /* NUMALENS_SKIP_HINT_FAULTS: a test switch (configure()) */
	uint32_t max_threads;   /* an_threads' entries (preallocated) */
	char wide_note[192];    /* the wide-cell map's size (collect/wide_cells.h), or "" */
	uint64_t wide_drops;    /* NL_AN_DROP_WIDE since load (sum_sys()) */
	uint64_t wide_orphans;  /* wide cells of threads gone untracked (read_wide()) */
	const char *hint_fn;    /* numa_migrate_prep, _check or migrate_misplaced_page (migrate_hook()) */
	bool pfn_ok;
	struct nl_autonuma_sys open_sys; /* BPF totals when open_vm was read */
	struct nl_vmstat open_vm; /* at attach: the vmstat check's baseline */
	bool open_vm_ok;
	struct ring_buffer *rb;   /* per-event records, when recording */
	struct drain_ctx { int (*fn)(void *ctx, const struct nl_event *ev); void *ctx; } drain;
};

/* ---- names ---- */

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

enum { ON_FENTRY = 1 << NL_AUTONUMA_PATH_FENTRY, ON_KPROBE = 1 << NL_AUTONUMA_PATH_KPROBE,
       ON_FALLBACK = 1 << NL_AUTONUMA_PATH_FALLBACK,
       ON_ALL = ON_FENTRY | ON_KPROBE | ON_FALLBACK };

/* Every program of bpf/autonuma.bpf.c: on which paths it runs, whether the path fails
 * without it, the tracepoint it needs (NULL: none), and for the two variants of
 * mm_migrate_pages the argument count it is written for. */
struct prog_rule {
	struct bpf_program *prog;
	unsigned paths;
	bool required;
	const char *tp;
	int nargs;
	enum role role;  /* on the path being tried, on this kernel (choose()) */
};

#define NR_RULES 38

static int prog_rules(const struct autonuma_bpf *k, struct prog_rule *r)
{
	const struct prog_rule rules[] = {
		{ k->progs.an_fentry_migrate_prep, ON_FENTRY, true, NULL, 0, R_OFF },
		{ k->progs.an_fentry_migrate_check, ON_FENTRY, true, NULL, 0, R_OFF },
		{ k->progs.an_fentry_numa_fault, ON_FENTRY, true, NULL, 0, R_OFF },
		{ k->progs.an_fentry_scan, ON_FENTRY, false, NULL, 0, R_OFF },
		{ k->progs.an_fexit_scan, ON_FENTRY, false, NULL, 0, R_OFF },
		{ k->progs.an_fentry_flush, ON_FENTRY, false, NULL, 0, R_OFF },
		{ k->progs.an_kprobe_migrate_prep, ON_KPROBE, true, NULL, 0, R_OFF },
		{ k->progs.an_kprobe_migrate_check, ON_KPROBE, true, NULL, 0, R_OFF },
		{ k->progs.an_kprobe_numa_fault, ON_KPROBE, true, NULL, 0, R_OFF },
		{ k->progs.an_kprobe_scan, ON_KPROBE, false, NULL, 0, R_OFF },
		{ k->progs.an_kretprobe_scan, ON_KPROBE, false, NULL, 0, R_OFF },
		{ k->progs.an_kprobe_flush, ON_KPROBE, false, NULL, 0, R_OFF },
		{ k->progs.an_fb_fault, ON_FALLBACK, true, NULL, 0, R_OFF },
		{ k->progs.an_fb_iter, ON_FALLBACK, true, NULL, 0, R_OFF },
		{ k->progs.an_fb_exit, ON_FALLBACK, true, "sched_process_exit", 0, R_OFF },
		/* kernels before 5.13 (is_hint_hook()) */
		{ k->progs.an_fentry_misplaced, ON_FENTRY, true, NULL, 0, R_OFF },
		{ k->progs.an_fexit_misplaced, ON_FENTRY, true, NULL, 0, R_OFF },
		{ k->progs.an_kprobe_misplaced, ON_KPROBE, true, NULL, 0, R_OFF },
		{ k->progs.an_kretprobe_misplaced, ON_KPROBE, true, NULL, 0, R_OFF },
		/* kernels before 6.0 (choose()) */
		{ k->progs.an_fexit_move_mapping, ON_FENTRY, false, NULL, 0, R_OFF },
		{ k->progs.an_migrate_end7, ON_ALL, true, "mm_migrate_pages", 7, R_OFF },
		{ k->progs.an_migrate_end8, ON_ALL, true, "mm_migrate_pages", 8, R_OFF },
		/* migration start/end and exit are what every path's counts rest on */
		{ k->progs.an_migrate_start, ON_ALL, true, "mm_migrate_pages_start", 0, R_OFF },
		{ k->progs.an_exit, ON_ALL, true, "sched_process_exit", 0, R_OFF },
		{ k->progs.an_free, ON_ALL, false, "sched_process_free", 0, R_OFF },
		{ k->progs.an_set_pte, ON_ALL, false, "set_migration_pte", 0, R_OFF },
		{ k->progs.an_remove_pte, ON_ALL, false, "remove_migration_pte", 0, R_OFF },
		{ k->progs.an_set_pmd, ON_ALL, false, "set_migration_pmd", 0, R_OFF },
		{ k->progs.an_remove_pmd, ON_ALL, false, "remove_migration_pmd", 0, R_OFF },
		{ k->progs.an_move_numa, ON_ALL, false, "sched_move_numa", 0, R_OFF },
		{ k->progs.an_swap_numa, ON_ALL, false, "sched_swap_numa", 0, R_OFF },
		{ k->progs.an_stick_numa, ON_ALL, false, "sched_stick_numa", 0, R_OFF },
		{ k->progs.an_tlb_flush, ON_ALL, false, "tlb_flush", 0, R_OFF },
		{ k->progs.an_ipi_entry, ON_ALL, false, "call_function_entry", 0, R_OFF },
		{ k->progs.an_ipi_exit, ON_ALL, false, "call_function_exit", 0, R_OFF },
		{ k->progs.an_ipi1_entry, ON_ALL, false, "call_function_single_entry", 0, R_OFF },
		{ k->progs.an_ipi1_exit, ON_ALL, false, "call_function_single_exit", 0, R_OFF },
	};
	int n = (int)NL_ARRAY_SIZE(rules);

	_Static_assert(NL_ARRAY_SIZE(rules) <= NR_RULES, "NR_RULES too small");
	memcpy(r, rules, sizeof(rules));
	return n;
}

/* Which role a rule's program has on a path, on this kernel; *why names a missing
 * tracepoint. */
static enum role role_of(const struct prog_rule *r, enum nl_autonuma_path path,
			 const struct btf *btf, int migrate_nargs, const char **why)
{
	*why = NULL;
	if (!(r->paths & (1u << path)))
		return R_OFF;
	if (r->nargs)
		return migrate_nargs == r->nargs ? R_REQUIRED : R_OFF;
	if (r->tp && !has_tracepoint(btf, r->tp)) {
		*why = r->tp;
		return R_OFF;
	}
	return r->required ? R_REQUIRED : R_OPTIONAL;
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

/* The function where this kernel counts a hinting fault (compat.bpf.h,
 * NL_MIGRATE_CHECK), as fentry (BTF) or kprobe (kallsyms) would see it; NULL if none.
 * Before 5.13 numa_migrate_prep is static and inlined: migrate_misplaced_page, which
 * it leads to when the page moves, gives the page's node then (bpf/autonuma.bpf.c). */
static const char *migrate_hook(enum nl_autonuma_path path, const struct btf *btf)
{
	static const char *const names[] = { "numa_migrate_prep", "numa_migrate_check",
					     "migrate_misplaced_page" };

	for (size_t i = 0; i < NL_ARRAY_SIZE(names); i++)
		if (path == NL_AUTONUMA_PATH_FENTRY ? btf_has(btf, names[i], BTF_KIND_FUNC)
						    : nl_in_kallsyms(names[i]))
			return names[i];
	return NULL;
}

/* Whether this kernel can run path at all; why not in err. The hinting-fault function
 * found is in a->hint_fn. */
static int path_available(struct nl_autonuma *a, enum nl_autonuma_path path,
			  const struct btf *btf, int migrate_nargs, char *err, size_t errlen)
{
	a->hint_fn = NULL;
	if (path == NL_AUTONUMA_PATH_KPROBE && !nl_have_kprobes()) {
		snprintf(err, errlen, "kernel has no kprobes");
		return -ENOTSUP;
	}
	if (path == NL_AUTONUMA_PATH_FENTRY || path == NL_AUTONUMA_PATH_KPROBE) {
		const char *where = path == NL_AUTONUMA_PATH_FENTRY ? "kernel BTF" : "kallsyms";
		bool fault = path == NL_AUTONUMA_PATH_FENTRY
				     ? btf_has(btf, "task_numa_fault", BTF_KIND_FUNC)
				     : nl_in_kallsyms("task_numa_fault");

		a->hint_fn = migrate_hook(path, btf);
		if (!fault || !a->hint_fn) {
			snprintf(err, errlen, "no %s in %s",
				 !fault ? "task_numa_fault"
					: "numa_migrate_prep/numa_migrate_check/migrate_misplaced_page",
				 where);
			return -ENOENT;
		}
	}
	if (path == NL_AUTONUMA_PATH_FALLBACK && !has_tracepoint(btf, "page_fault_user")) {
		/* an_fb_fault samples at every user fault's entry: x86's tracepoint
		 * (arch/x86/include/asm/trace/exceptions.h); arm64 has none */
		snprintf(err, errlen, "needs the exceptions:page_fault_user tracepoint (x86 only)");
		return -ENOTSUP;
	}
	if (path == NL_AUTONUMA_PATH_FALLBACK && !nl_have_bpf_cmpxchg()) {
		/* fb_sample()'s busy flag (bpf/autonuma.bpf.c, an_fb_exit) */
		snprintf(err, errlen, "needs BPF cmpxchg (5.12)");
		return -ENOTSUP;
	}
	if (migrate_nargs != 7 && migrate_nargs != 8) {
		snprintf(err, errlen, "mm_migrate_pages tracepoint: %d arguments, expected 7 or 8",
			 migrate_nargs);
		return -ENOTSUP;
	}
	return 0;
}

/* .rodata and map sizes, before load. */
static int configure(struct nl_autonuma *a, enum nl_autonuma_path path,
		     const struct nl_autonuma_opts *o, const struct nl_pfn_range *ranges,
		     int nr_ranges)
{
	a->skel->rodata->target_tgid = o->target_pid;
	a->skel->rodata->follow_children = o->target_pid && o->followed_fd >= 0;
	if (!a->skel->rodata->follow_children)
		bpf_map__set_max_entries(a->skel->maps.followed, 1);
	a->skel->rodata->target_cgroup = o->cgroup_id;
	a->skel->rodata->mode_fallback = path == NL_AUTONUMA_PATH_FALLBACK;
	a->skel->rodata->nr_node_ids = (uint32_t)read_nr_node_ids();
	a->skel->rodata->nr_pfn_ranges = (uint32_t)nr_ranges;
	a->skel->rodata->emit_events = o->events;
	a->skel->rodata->page_nodes_shift = (uint32_t)o->page_nodes_shift;
	/* so a test can make BPF miss half the hinting faults and see the vmstat check
	 * say so (tests/vm/vmstat_check.sh) */
	const char *skip = getenv("NUMALENS_SKIP_HINT_FAULTS");
	a->skip_half_hints = skip && strcmp(skip, "") && strcmp(skip, "0");
	a->skel->rodata->skip_half_hints = a->skip_half_hints;
	memcpy((void *)a->skel->rodata->pfn_ranges, ranges, (size_t)nr_ranges * sizeof(*ranges));
	a->max_threads = o->max_threads ? o->max_threads : DEFAULT_MAX_THREADS;
	bpf_map__set_max_entries(a->skel->maps.an_threads, a->max_threads);
	/* a page when nothing is recorded; else room for a busy interval's events */
	bpf_map__set_max_entries(a->skel->maps.an_events, o->events ? EVENT_RING_BYTES : 4096);
	/* hint_faults and migrated cells with a node id >= NL_DENSE_NODES */
	return nl_wide_cells_configure(a->skel->maps.wide_cells, a->max_threads,
				       (int)a->skel->rodata->nr_node_ids, a->wide_note,
				       sizeof(a->wide_note));
}

/* Sets each program's autoload from the rules; every program must have a rule. */
/* false for the hinting-fault program written for the other function than a->hint_fn */
static bool is_hint_hook(const struct nl_autonuma *a, const struct bpf_program *prog)
{
	const struct autonuma_bpf *k = a->skel;
	const char *fn = a->hint_fn ? a->hint_fn : "";

	if (prog == k->progs.an_fentry_migrate_prep || prog == k->progs.an_kprobe_migrate_prep)
		return !strcmp(fn, "numa_migrate_prep");
	if (prog == k->progs.an_fentry_migrate_check || prog == k->progs.an_kprobe_migrate_check)
		return !strcmp(fn, "numa_migrate_check");
	if (prog == k->progs.an_fentry_misplaced || prog == k->progs.an_fexit_misplaced ||
	    prog == k->progs.an_kprobe_misplaced || prog == k->progs.an_kretprobe_misplaced)
		return !strcmp(fn, "migrate_misplaced_page");
	return true;
}

/* The shootdown victims' program reads flush_tlb_info.initiating_cpu in
 * flush_tlb_func, both from commit 4ce94eabac16 ("x86/mm/tlb: Flush remote and local
 * TLBs concurrently", 5.12; flush_tlb_func_remote and no sender before). */
static bool flush_hook_ok(enum nl_autonuma_path path, const struct btf *btf)
{
	if (!nl_btf_has_member(btf, "flush_tlb_info", "initiating_cpu"))
		return false;
	return path == NL_AUTONUMA_PATH_FENTRY ? btf_has(btf, "flush_tlb_func", BTF_KIND_FUNC)
					       : nl_in_kallsyms("flush_tlb_func");
}

static bool is_tlb_prog(const struct autonuma_bpf *k, const struct bpf_program *p)
{
	return p == k->progs.an_tlb_flush || p == k->progs.an_ipi_entry ||
	       p == k->progs.an_ipi_exit || p == k->progs.an_ipi1_entry ||
	       p == k->progs.an_ipi1_exit || p == k->progs.an_fentry_flush ||
	       p == k->progs.an_kprobe_flush;
}

static int choose(struct nl_autonuma *a, enum nl_autonuma_path path, const struct btf *btf,
		  int migrate_nargs, struct prog_rule *rules, int *nr, char *err, size_t errlen)
{
	struct bpf_program *prog;
	int progs = 0;

	*nr = prog_rules(a->skel, rules);
	bpf_object__for_each_program(prog, a->skel->obj)
		progs++;
	if (progs != *nr) { /* a program added to the BPF side without a rule here */
		snprintf(err, errlen, "%d programs but %d rules in collect/autonuma.c", progs, *nr);
		return -EINVAL;
	}
	a->flush_off = false;
	/* The tlb source counts x86's shootdowns: trace_tlb_flush() is called from
	 * arch/x86/mm/tlb.c only, and the IPIs are x86's call_function vectors. Where those
	 * tracepoints are missing (arm64, which shoots TLB entries down with broadcast TLBI
	 * instructions and no IPI) it is off, and none of its programs load. */
	a->tlb_off = !has_tracepoint(btf, "call_function_entry");
	for (int i = 0; i < *nr; i++) {
		const char *why;
		enum role r = role_of(&rules[i], path, btf, migrate_nargs, &why);

		if (!is_hint_hook(a, rules[i].prog))
			r = R_OFF;
		if (a->tlb_off && is_tlb_prog(a->skel, rules[i].prog)) {
			r = R_OFF;
			why = NULL;
		}
		/* every migration's from -> to where the migration-pte tracepoints are
		 * missing (bpf/autonuma.bpf.c an_fexit_move_mapping) */
		if (rules[i].prog == a->skel->progs.an_fexit_move_mapping &&
		    (has_tracepoint(btf, "set_migration_pte") ||
		     !btf_has(btf, "migrate_page_move_mapping", BTF_KIND_FUNC)))
			r = R_OFF;
		if (rules[i].prog == a->skel->progs.an_fexit_move_mapping)
			a->skel->rodata->from_to_by_mapping = r != R_OFF;
		if ((rules[i].prog == a->skel->progs.an_fentry_flush ||
		     rules[i].prog == a->skel->progs.an_kprobe_flush) &&
		    r != R_OFF && !flush_hook_ok(path, btf)) {
			r = R_OFF;
			a->flush_off = true;
		}
		rules[i].role = r;
		bpf_program__set_autoload(rules[i].prog, r != R_OFF);
		if (why)
			nl_appendf(a->missing, sizeof(a->missing), "%sno tracepoint %s",
				a->missing[0] ? ", " : "", why);
	}
	return 0;
}

static int attach_all(struct nl_autonuma *a, const struct prog_rule *rules, int nr, char *err,
		      size_t errlen)
{
	for (int i = 0; i < nr; i++) {
		const char *name = bpf_program__name(rules[i].prog);
		enum role r = rules[i].role;
		struct bpf_link *l;

		if (r == R_OFF || rules[i].prog == a->skel->progs.an_fb_fault)
			continue; /* the fallback sampler: fb_fault_update(), at every sample */
		l = bpf_program__attach(rules[i].prog);
		if (!l) {
			int rc = -errno;
			if (r == R_REQUIRED) {
				/* 524, the kernel's ENOTSUPP: fentry/fexit cannot attach here
				 * (Debian's arm64 6.1: no ftrace direct calls for BPF trampolines) */
				snprintf(err, errlen, "attach %s: %s", name,
					 rc == -524 ? "not supported by this kernel (ENOTSUPP: no BPF "
						      "trampoline)"
						    : strerror(errno));
				return rc;
			}
			nl_appendf(a->missing, sizeof(a->missing), "%s%s: %s",
				a->missing[0] ? ", " : "", name, strerror(errno));
			continue;
		}
		if (a->nr_links >= MAX_LINKS) {
			bpf_link__destroy(l);
			snprintf(err, errlen, "more than %d programs", MAX_LINKS);
			return -E2BIG;
		}
		a->links[a->nr_links++] = l;
		if (rules[i].prog == a->skel->progs.an_fb_iter)
			a->iter = l;
	}
	return 0;
}

/* The kernel's BTF is read here and freed before the object loads: libbpf reads its
 * own copy to load, and two at once (several MB each) are what record's peak RSS was. */
static int try_path(struct nl_autonuma *a, enum nl_autonuma_path path,
		    const struct nl_autonuma_opts *o, const struct nl_pfn_range *ranges,
		    int nr_ranges, char *err, size_t errlen)
{
	struct prog_rule rules[NR_RULES];
	struct btf *btf = btf__load_vmlinux_btf();
	int migrate_nargs, rc, nr;

	a->missing[0] = '\0';
	if (!btf) {
		rc = -errno;
		snprintf(err, errlen, "kernel has no BTF (%s)", strerror(errno));
		return rc;
	}
	migrate_nargs = tracepoint_nargs(btf, "mm_migrate_pages");
	rc = path_available(a, path, btf, migrate_nargs, err, errlen);
	if (rc)
		goto fail;
	a->skel = autonuma_bpf__open();
	if (!a->skel) {
		rc = -errno;
		snprintf(err, errlen, "open BPF object: %s", strerror(errno));
		goto fail;
	}
	rc = configure(a, path, o, ranges, nr_ranges);
	if (rc) {
		snprintf(err, errlen, "size the wide-cell map: %s", strerror(-rc));
		goto fail;
	}
	/* the followed children: access.bpf.c's set, shared (bpf/follow.bpf.h) */
	if (a->skel->rodata->follow_children &&
	    (rc = bpf_map__reuse_fd(a->skel->maps.followed, o->followed_fd))) {
		snprintf(err, errlen, "share the followed processes' map: %s", strerror(-rc));
		goto fail;
	}
	rc = choose(a, path, btf, migrate_nargs, rules, &nr, err, errlen);
	btf__free(btf);
	btf = NULL;
	if (rc)
		goto fail;
	rc = autonuma_bpf__load(a->skel);
	if (rc) {
		snprintf(err, errlen, "load: %s", strerror(-rc));
		goto fail;
	}
	rc = attach_all(a, rules, nr, err, errlen);
	if (rc)
		goto fail;
	a->path = path;
	fb_fault_update(a);
	return 0;
fail:
	btf__free(btf);
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
		rc = try_path(a, order[i], o, ranges, nr_ranges, why, sizeof(why));
		if (rc == 0)
			break;
		nl_appendf(a->why, sizeof(a->why), "%s%s: %s", a->why[0] ? "; " : "",
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
	a->open_vm_ok = nl_vmstat_read(NULL, &a->open_vm) == 0;
	{
		uint64_t drops_so_far; /* not a baseline: every drop is reported */
		sum_sys(a, &a->open_sys, &drops_so_far);
	}
	*out = a;
	a = NULL;
	rc = 0;
cleanup:
	free(ranges);
	nl_autonuma_close(a);
	return rc;
}

void nl_autonuma_close(struct nl_autonuma *a)
{
	if (!a)
		return;
	ring_buffer__free(a->rb);
	detach_all(a);
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

/* The fields of nl_counts this source owns, from a thread's cumulative map entry:
 * hint faults, migrations (every reason, with stall), NUMA task moves, TLB and IPIs,
 * scanner runs. */
static void thread_counts(const struct nl_autonuma_thread *v, const struct nl_wide_counts *w,
			  struct nl_counts *c)
{
	nl_mat_from_bpf(&c->hint_faults, v->hint_faults, w ? &w->hint_faults : NULL);
	nl_mat_from_bpf(&c->migrated_pages, v->migrated, w ? &w->migrated : NULL);
	c->hint_pages = v->hint_pages;
	c->hint_local = v->hint_local;
	c->hint_migrated_pages = v->hint_migrated_pages;
	c->hint_migrate_fail = v->hint_migrate_fail;
	c->migrate_fail = 0;
	c->migrate_stall_ns = 0;
	for (int r = 0; r < NL_MIGRATE_REASONS; r++) {
		c->migrate_pages_by_reason[r] = v->migrate_pages[r];
		c->migrate_fail_by_reason[r] = v->migrate_fail[r];
		c->migrate_stall_ns_by_reason[r] = v->migrate_stall_ns[r];
		c->migrate_fail += v->migrate_fail[r];
		c->migrate_stall_ns += v->migrate_stall_ns[r];
	}
	memcpy(c->migrate_stall_hist, v->migrate_stall_hist, sizeof(c->migrate_stall_hist));
	c->numa_task_swaps = v->task_swaps;
	c->numa_task_moves = v->task_moves + v->task_swaps;
	c->numa_task_sticks = v->task_sticks;
	memcpy(c->tlb_shootdowns, v->tlb, sizeof(c->tlb_shootdowns));
	c->tlb_autonuma_sent = v->tlb_autonuma_sent;
	c->tlb_autonuma_recv = v->tlb_autonuma_recv;
	c->ipi_count = v->ipi_count;
	c->ipi_ns = v->ipi_ns;
	c->ipi_autonuma_ns = v->ipi_autonuma_ns;
	c->numa_scan_count = v->scan_count;
	c->numa_scan_ns = v->scan_ns;
}

/* Per thread: each map entry's cumulative values into the thread table. Entries are
 * never deleted while BPF writes them, only after their thread exited and the table
 * took their final values. */
/* ---- wide cells: hint_faults and migrated with a node id >= NL_DENSE_NODES ---- */

struct wide_read {
	struct nl_thread_table *tt;
	uint64_t seq;
	uint64_t orphans;
};

/* One cell, after read_threads() read the thread: its cumulative value goes to the
 * thread's wide counts (struct nl_wide_counts, added to the dense ones at every read)
 * and the counts built in this sample move by the change. Deleted with the read of the
 * thread's exited entry (an_exit runs after exit_mm(): no hinting fault or migration of
 * the thread follows, so its cells are final), or once the thread is no longer read
 * and has exited or is gone (the entry keeps what it had). A cell of a thread nobody
 * tracks is lost once the thread is gone; one newer than this sample's pass over
 * an_threads waits. */
static int wide_cell(void *ctx, const struct nl_wide_key *k, __u64 v)
{
	struct wide_read *w = ctx;
	struct nl_tracked *e = nl_tt_find(w->tt, k->tid, k->start_ns, w->seq);

	if (!e) {
		if (nl_thread_alive(k->tgid, k->tid))
			return 0;
		w->orphans++;
		return 1;
	}
	if (e->an_wide_seq != w->seq)
		return e->exited || !nl_thread_alive(k->tgid, k->tid) ? 1 : 0;
	int del = e->an_wide_exit ? 1 : 0;
	if (k->cpu >= NL_MAX_NODES || k->mem >= NL_MAX_NODES)
		return del; /* BPF never makes one */
	if (!e->wide && !(e->wide = calloc(1, sizeof(*e->wide))))
		return -ENOMEM;
	if (k->kind == NL_WIDE_HINT_FAULTS)
		nl_wide_mat_set(&e->wide->hint_faults, &e->c.hint_faults, k->cpu, k->mem, v);
	else if (k->kind == NL_WIDE_MIGRATED)
		nl_wide_mat_set(&e->wide->migrated, &e->c.migrated_pages, k->cpu, k->mem, v);
	return del;
}

static int read_wide(struct nl_autonuma *a, struct nl_thread_table *tt, uint64_t seq)
{
	struct wide_read w = { tt, seq, 0 };
	int rc = nl_wide_cells_read(bpf_map__fd(a->skel->maps.wide_cells), wide_cell, &w, NULL);

	a->wide_orphans += w.orphans;
	return rc;
}

static int read_threads(struct nl_autonuma *a, struct nl_thread_table *tt, uint64_t seq)
{
	int map = bpf_map__fd(a->skel->maps.an_threads);
	struct nl_an_key key, *prev_key = NULL, *dead = NULL;
	size_t nr_dead = 0, cap = 0;
	struct nl_autonuma_thread v;
	int rc = 0;

	while (bpf_map_get_next_key(map, prev_key, &key) == 0) {
		prev_key = &key;
		if (bpf_map_lookup_elem(map, &key, &v))
			continue; /* deleted meanwhile */
		struct nl_tracked *e = nl_tt_find(tt, v.tid, v.start_ns, seq);
		if (!e) {
			if (!(e = nl_tt_add(tt, v.tid, v.tgid))) {
				rc = -ENOMEM;
				break;
			}
			e->start_ns = v.start_ns;
			if (nl_read_comm(v.tgid, v.tid, e->comm, NL_COMM_LEN))
				snprintf(e->comm, NL_COMM_LEN, "?");
		}
		thread_counts(&v, e->wide, &e->c);
		e->an_wide_seq = seq;
		e->an_wide_exit = v.exited;
		if (!v.exited)
			continue;
		if (!e->exited) {
			e->exited = true;
			e->exit_seq = seq;
		}
		if ((rc = nl_grow(&dead, &cap, nr_dead, sizeof(*dead))))
			break;
		dead[nr_dead++] = key;
	}
	for (size_t i = 0; i < nr_dead; i++)
		bpf_map_delete_elem(map, &dead[i]);
	free(dead);
	return rc ? rc : read_wide(a, tt, seq);
}

/* d = cur - old, field by field (all __u64 counters). */
static void sys_sub(struct nl_autonuma_sys *d, const struct nl_autonuma_sys *cur,
		    const struct nl_autonuma_sys *old)
{
	const uint64_t *c = (const uint64_t *)cur, *o = (const uint64_t *)old;
	uint64_t *out = (uint64_t *)d;

	for (size_t k = 0; k < sizeof(*d) / sizeof(uint64_t); k++)
		out[k] = c[k] >= o[k] ? c[k] - o[k] : 0;
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
		uint64_t sum = 0;
		for (int c = 0; c < a->nr_cpus; c++)
			sum += d[c];
		*drops += sum;
		if (k == NL_AN_DROP_WIDE)
			a->wide_drops = sum;
	}
	free(per);
	free(d);
}

/* BPF's system-wide totals since attach, for the vmstat check. numa_pages_migrated is
 * mm_migrate_pages of reason numa_misplaced, found by name in the kernel's enum. */
static void bpf_totals(const struct nl_autonuma *a, const struct nl_autonuma_sys *t,
		       const struct nl_enum_names *names, struct nl_bpf_totals *out)
{
	int misplaced = nl_migrate_reason_index(names, "numa_misplaced");

	memset(out, 0, sizeof(*out));
	out->valid = misplaced >= 0;
	out->local_exact = a->path != NL_AUTONUMA_PATH_FALLBACK;
	out->hint_faults = t->hint_faults;
	out->hint_faults_local = t->hint_local;
	out->pages_migrated = misplaced >= 0 ? t->migrate_pages[misplaced] : 0;
	for (int r = 0; r < NL_MIGRATE_REASONS; r++) {
		out->pgmigrate_success += t->migrate_pages[r];
		out->pgmigrate_fail += t->migrate_fail[r];
	}
}

static void autonuma_state(struct nl_snapshot *snap)
{
	uint64_t bal = 0;
	int nodes = snap->topo.nr_nodes;
	bool have = nl_read_u64(NULL, "/proc/sys/kernel/numa_balancing", &bal) == 0;

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

int nl_autonuma_describe(const struct nl_autonuma *a, struct nl_source_state *src)
{
	int rc = 0;

	switch (a->path) {
	case NL_AUTONUMA_PATH_FENTRY:
		rc |= nl_source_set(&src[NL_SRC_HINT_FAULTS], true, "fentry/task_numa_fault+%s",
				    a->hint_fn);
		rc |= nl_source_set(&src[NL_SRC_NUMA_SCAN], true, "fentry/fexit task_numa_work");
		break;
	case NL_AUTONUMA_PATH_KPROBE:
		rc |= nl_source_set(&src[NL_SRC_HINT_FAULTS], true, "kprobe/task_numa_fault+%s",
				    a->hint_fn);
		rc |= nl_source_set(&src[NL_SRC_NUMA_SCAN], true, "kprobe/kretprobe task_numa_work");
		break;
	default:
		rc |= nl_source_set(&src[NL_SRC_HINT_FAULTS], true,
				    "fallback: task_struct numa_faults buffers at page_fault_user + "
				    "iter/task%s%s", a->fb_note[0] ? "; " : "", a->fb_note);
		rc |= nl_source_set(&src[NL_SRC_NUMA_SCAN], false,
				    "not measured: needs fentry or kprobe on task_numa_work");
		break;
	}
	rc |= nl_source_append(&src[NL_SRC_HINT_FAULTS], "; per-thread map: %u threads, %.1f "
			       "MiB preallocated", a->max_threads,
			       (double)nl_autonuma_maps_bytes(a->max_threads) / (1 << 20));
	if (a->wide_note[0])
		rc |= nl_source_append(&src[NL_SRC_HINT_FAULTS], "; %s", a->wide_note);
	/* bpf/autonuma.bpf.c fb_sample(): the buffers are read for NL_DENSE_NODES nodes */
	if (a->path == NL_AUTONUMA_PATH_FALLBACK && a->skel &&
	    a->skel->rodata->nr_node_ids > NL_DENSE_NODES)
		rc |= nl_source_append(&src[NL_SRC_HINT_FAULTS], "; the fallback reads task_struct "
				       "numa_faults for up to %d nodes and this machine has %u "
				       "(nr_node_ids): no per-thread hinting faults", NL_DENSE_NODES,
				       a->skel->rodata->nr_node_ids);
	if (a->wide_orphans)
		rc |= nl_source_append(&src[NL_SRC_HINT_FAULTS], "; %llu wide cells of threads "
				       "gone untracked lost", (unsigned long long)a->wide_orphans);
	if (a->wide_drops)
		rc |= nl_source_append(&src[NL_SRC_HINT_FAULTS], "; %llu hinting faults or "
				       "migrations with a node id >= %d lost: the wide-cell map was "
				       "full", (unsigned long long)a->wide_drops, NL_DENSE_NODES);
	if (a->skip_half_hints)
		rc |= nl_source_append(&src[NL_SRC_HINT_FAULTS], "; every other hinting fault "
				       "not counted (NUMALENS_SKIP_HINT_FAULTS, a test switch)");
	/* From -> to per page: the migration-pte tracepoints (6.0+), or before them
	 * AutoNUMA's own moves through migrate_misplaced_page (bpf/autonuma.bpf.c). */
	const char *from_to = "*_migration_pte/pmd";
	if (bpf_program__autoload(a->skel->progs.an_fexit_move_mapping))
		from_to = "from/to from fexit/migrate_page_move_mapping (no migration-pte "
			  "tracepoints before 6.0)";
	else if (!bpf_program__autoload(a->skel->progs.an_set_pte))
		from_to = bpf_program__autoload(a->skel->progs.an_fexit_misplaced) ||
				  bpf_program__autoload(a->skel->progs.an_kretprobe_misplaced)
			  ? "from/to of hinting migrations only (migrate_misplaced_page; "
			    "no migration-pte tracepoints before 6.0)"
			  : "from/to unknown (no migration-pte tracepoints before 6.0)";
	rc |= nl_source_set(&src[NL_SRC_MIGRATIONS], true, "tp_btf mm_migrate_pages*, %s; %s%s%s",
			    from_to, a->pfn_note, a->missing[0] ? "; missing: " : "", a->missing);
	rc |= nl_source_set(&src[NL_SRC_NUMA_SCHED], true,
			    "tp_btf sched_move_numa/swap_numa/stick_numa");
	if (a->tlb_off)
		rc |= nl_source_set(&src[NL_SRC_TLB], false,
				    "no call_function IPI tracepoints: TLB shootdowns are counted "
				    "on x86 only (arm64 broadcasts TLBI instructions, no IPI, and "
				    "never calls tlb_flush)");
	else
		rc |= nl_source_set(&src[NL_SRC_TLB], true, "tp_btf tlb_flush, call_function IPIs%s",
				    a->path == NL_AUTONUMA_PATH_FALLBACK ?
					    "; victims' AutoNUMA attribution needs fentry/kprobe" :
				    a->flush_off ? "; victims' AutoNUMA attribution needs flush_tlb_func "
						   "with flush_tlb_info.initiating_cpu (5.12)" : "");
	return rc ? -ENOMEM : 0;
}

/* Runs of these programs the kernel skipped (collect/prog_misses.h): each one is a hint
 * fault, migration, move or flush not counted, so they are lost events, but two:
 * a skipped an_exit is made up for by an_free where that is attached, and a skipped
 * an_tlb_flush is a flush IPI that nested in another flush on that CPU, said on the
 * tlb source (the flushes are counted, not every event stream depends on them). */
static int account_skipped_runs(struct nl_autonuma *a, struct nl_snapshot *cum)
{
	struct autonuma_bpf *k = a->skel;
	bool late_exits = bpf_program__fd(k->progs.an_free) >= 0;
	const struct bpf_program *except[] = { late_exits ? k->progs.an_exit : NULL,
					       k->progs.an_tlb_flush };
	struct nl_source_state *h = &cum->sources[NL_SRC_HINT_FAULTS];
	struct nl_source_state *tlb = &cum->sources[NL_SRC_TLB];
	uint64_t flushes = nl_prog_misses_of(k->progs.an_tlb_flush);

	if (nl_prog_misses_account(k->obj, except, NL_ARRAY_SIZE(except), &cum->lost_events, h))
		return -ENOMEM;
	if (tlb->known && flushes &&
	    nl_source_append(tlb, "; %" PRIu64 " flushes not counted (one nested in another on "
			     "that CPU)", flushes))
		return -ENOMEM;
	return 0;
}

int nl_autonuma_sample(struct nl_autonuma *a, struct nl_thread_table *tt, uint64_t seq,
		       struct nl_source_state *sources, struct nl_snapshot *cum)
{
	struct nl_autonuma_sys sys, since_open;
	struct nl_vmstat now, pre;
	bool pre_ok;
	uint64_t drops;
	int rc;

	fb_fault_update(a);
	/* /proc/vmstat on both sides of the BPF read: the maps and vmstat cannot be read
	 * at one instant, and a busy guest may run thousands of hinting faults between two
	 * reads; the check compares BPF with the vmstat values around it. The fallback
	 * charges a thread's hinting fault at its next sample, so its "before" is read
	 * before the iterator samples every task: read after it, a fault in between
	 * would be in vmstat's "before" but in no BPF count yet. */
	bool early = a->iter != NULL;
	pre_ok = early && nl_vmstat_read(NULL, &pre) == 0;
	rc = run_iter(a);
	if (!rc)
		rc = read_threads(a, tt, seq);
	if (rc)
		return rc;
	if (!early)
		pre_ok = nl_vmstat_read(NULL, &pre) == 0;
	sum_sys(a, &sys, &drops);
	sys_sub(&since_open, &sys, &a->open_sys);
	bpf_totals(a, &since_open, &cum->names, &cum->bpf_sys);
	cum->lost_events += drops + a->wide_orphans;
	if (nl_vmstat_read(NULL, &now) == 0 && a->open_vm_ok) {
		nl_vmstat_totals(&now, &cum->vm_now);
		nl_vmstat_totals(&a->open_vm, &cum->vm_open);
		if (pre_ok)
			nl_vmstat_totals(&pre, &cum->vm_pre);
	}
	autonuma_state(cum);
	/* the fallback sampler's note changes as AutoNUMA turns on and off */
	rc = nl_autonuma_describe(a, sources);
	if (!rc)
		rc = nl_autonuma_describe(a, cum->sources);
	if (!rc)
		rc = account_skipped_runs(a, cum);
	return rc;
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct drain_ctx *d = ctx;

	if (size < sizeof(struct nl_event))
		return 0; /* a record of another layout: cannot happen with our own object */
	return d->fn(d->ctx, data);
}

int nl_autonuma_drain(struct nl_autonuma *a, int (*fn)(void *ctx, const struct nl_event *ev),
		      void *ctx)
{
	struct drain_ctx d = { fn, ctx };

	if (!a->rb) {
		a->rb = ring_buffer__new(bpf_map__fd(a->skel->maps.an_events), on_event, &a->drain,
					 NULL);
		if (!a->rb)
			return -errno;
	}
	a->drain = d;
	return ring_buffer__consume(a->rb);
}
