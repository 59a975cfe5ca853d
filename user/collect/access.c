/* The access profile source: bpf/access.bpf.c (faults by CPU node x page node, first
 * touch with sampled stacks, CPU time per node). Probes what this kernel offers,
 * configures .rodata and map sizes, loads, attaches, and at each sample folds the
 * programs' cumulative per-thread counters into the collector's thread table.
 *
 * No read-then-delete races: BPF only ever adds to cumulative counters; the only map
 * entries deleted are exited threads' final counts (and their stack counts), which BPF
 * no longer writes once they are in the exited map, after the table took them. */
#include "collect/internal.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "access.skel.h"
#include "collect/dwarf_stacks.h"
#include "collect/follow.h"
#include "collect/kfeatures.h"
#include "collect/mapped.h"
#include "collect/pfn_nodes.h"
#include "collect/prog_misses.h"
#include "collect/wide_cells.h"
#include "common/util.h"

#define DEFAULT_MAX_STACKS 4096

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

/* Why the kernel has no task_struct.in_user_fault, from its config. The field is the
 * memcg OOM killer's (mem_cgroup_enter_user_fault()); CONFIG_MEMCG_V1 (6.11, Roman
 * Gushchin's "mm: memcg: introduce CONFIG_MEMCG_V1") put it under cgroup v1 memcg,
 * which Debian 13 and later leave out: nothing replaced it. */
static const char *no_user_fault_why(void)
{
	static const char *const names[] = { "CONFIG_MEMCG", "CONFIG_MEMCG_V1" };
	char vals[2][32], src[160];

	if (nl_kconfig_read(names, 2, vals, src, sizeof(src)))
		return "CONFIG_MEMCG or CONFIG_MEMCG_V1 off (no kernel config to tell which)";
	if (strcmp(vals[0], "y"))
		return "CONFIG_MEMCG off";
	if (strcmp(vals[1], "y"))
		return "CONFIG_MEMCG_V1 off, the field is cgroup v1 memcg's since 6.11";
	return "not in this kernel's BTF";
}

/* The mapped-fault ring: 1 MiB holds 26 214 reports a sample (40 bytes each with the
 * ring's header), 26 k faults/s at the default 1 s interval that allocated no page in a
 * file, shared or hugetlb mapping; more are counted as ring full. */
#define MAPPED_RING_BYTES (1U << 20)

/* Why mapped faults cannot be resolved on this kernel, or NULL when they can. */
static const char *mapped_off_why(struct nl_collector *c, const struct btf *vmlinux)
{
	const char *off = getenv("NUMALENS_NO_MAPPED");

	if (off && strcmp(off, "") && strcmp(off, "0"))
		return "off (NUMALENS_NO_MAPPED set)";
	if (!nl_have_btf_tracepoint(vmlinux, "page_fault_user"))
		return "no exceptions:page_fault_user tracepoint (x86 only)";
	/* bpf_find_vma: 5.17, commit 7c7e3d31e785 ("bpf: Introduce helper bpf_find_vma") */
	if (btf__find_by_name_kind(vmlinux, "bpf_find_vma", BTF_KIND_FUNC) < 0)
		return "no bpf_find_vma helper (5.17)";
	if (c->threads_by_tid)
		return "per-thread state in a tid hash (the kernel predates bpf_find_vma too)";
	return NULL;
}

/* Loads nl_fault_vma in place of nl_fault (either mode) when mapped faults can be
 * resolved, and says on the mapped_faults source which path runs or why none. */
static int choose_mapped(struct nl_collector *c, const struct btf *vmlinux)
{
	struct access_bpf *skel = c->skel;
	const char *why = mapped_off_why(c, vmlinux);

	if (c->sources[NL_SRC_FAULTS].known && !c->sources[NL_SRC_FAULTS].active)
		why = "the faults source is off";
	bpf_program__set_autoload(skel->progs.nl_fault_vma, !why);
	bpf_program__set_autoload(skel->progs.nl_judge, !why && c->fault_counter_mode);
	if (why) {
		bpf_map__set_max_entries(skel->maps.mapped_ring, (uint32_t)getpagesize());
		return nl_source_set(&c->sources[NL_SRC_MAPPED], false, "%s: faults that "
				     "allocated no page stay in faults_unresolved", why);
	}
	bpf_program__set_autoload(skel->progs.nl_fault, false);
	bpf_map__set_max_entries(skel->maps.mapped_ring, MAPPED_RING_BYTES);
	return nl_source_set(&c->sources[NL_SRC_MAPPED], true, "tp_btf/page_fault_user judges "
			     "the thread's previous fault: one that allocated no page in a file, "
			     "shared or hugetlb mapping (bpf_find_vma) goes by address to a ring "
			     "buffer, and move_pages(2) at each sample gives the node of the page "
			     "mapped there; mapped pages (page cache, shared memory, shared "
			     "hugetlb) count in faults and faults_mapped, private hugetlb pool "
			     "pages in faults and first_touch_pages (base pages); a thread's last "
			     "fault before it exits is not judged");
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
		skel->rodata->migrations_by_gfp = true;
	}
	/* Per-thread state: task storage, or a tid-keyed hash where tracing programs
	 * cannot use it (bpf/compat.bpf.h, nl_task_state_*). */
	const char *force_tid = getenv("NUMALENS_THREADS_BY_TID");
	if (force_tid && strcmp(force_tid, "") && strcmp(force_tid, "0")) {
		/* so the tests run the older kernels' path here too */
		c->threads_by_tid = true;
		snprintf(why, sizeof(why), "forced by env");
	} else
		c->threads_by_tid = !nl_have_task_storage(why, sizeof(why));
	if (c->threads_by_tid && !nl_have_btf_tracepoint(vmlinux, "sched_process_exec")) {
		snprintf(err, errlen, "kernel has neither task storage for tracing programs (%s) "
				      "nor a sched_process_exec tracepoint", why);
		ret = -ENOENT;
		goto out;
	}
	skel->rodata->by_tid = c->threads_by_tid;
	bpf_program__set_autoload(skel->progs.nl_exec, c->threads_by_tid);
	bpf_program__set_autoload(skel->progs.nl_free, !c->threads_by_tid);
	/* so the tests run nl_free's hand-over for every exit, as a kernel that skipped
	 * every nl_exit would */
	const char *at_free = getenv("NUMALENS_EXIT_AT_FREE");
	bool exit_at_free = !c->threads_by_tid && at_free && strcmp(at_free, "") &&
			    strcmp(at_free, "0");
	bpf_program__set_autoload(skel->progs.nl_exit, !exit_at_free);
	if (c->threads_by_tid) {
		bpf_map__set_type(skel->maps.thread_stats, BPF_MAP_TYPE_HASH);
		/* preallocated: tracing programs run where allocating is not safe */
		bpf_map__set_map_flags(skel->maps.thread_stats, 0);
		snprintf(c->thread_state, sizeof(c->thread_state), "threads in a tid hash (%s)", why);
	} else
		snprintf(c->thread_state, sizeof(c->thread_state), "threads in task storage%s",
			 exit_at_free ? "; exits seen at task free (forced by env)" : "");
	nl_source_set(&c->sources[NL_SRC_SCHED], true, "tp_btf/sched_switch%s; %s",
		      bpf_program__autoload(skel->progs.nl_migrate_task) ? " + sched_migrate_task" : "",
		      c->thread_state);

	if (c->page_flags_ok && !nl_have_btf_tracepoint(vmlinux, "mm_page_alloc")) {
		c->page_flags_ok = false;
		snprintf(c->page_flags_why, sizeof(c->page_flags_why), "no tp_btf mm_page_alloc");
	}
	/* One of the two page allocation programs (page_node_plan). */
	bpf_program__set_autoload(skel->progs.nl_page_alloc_btf, c->page_flags_ok);
	bpf_program__set_autoload(skel->progs.nl_page_alloc, !c->page_flags_ok);
	/* Counter mode needs current->in_user_fault (CONFIG_MEMCG; CONFIG_MEMCG_V1 since
	 * 6.11) to know an allocation
	 * is a user fault's; NUMALENS_FAULT_TRACEPOINT=1 forces the tracepoint mode, so
	 * the tests can run both and compare. */
	const char *force_tp = getenv("NUMALENS_FAULT_TRACEPOINT");
	c->fault_counter_mode = false;
	if (force_tp && strcmp(force_tp, "") && strcmp(force_tp, "0"))
		snprintf(c->fault_hook, sizeof(c->fault_hook), "tp_btf/page_fault_user (forced by env)");
	else if (!nl_btf_has_member(vmlinux, "task_struct", "in_user_fault"))
		snprintf(c->fault_hook, sizeof(c->fault_hook),
			 "tp_btf/page_fault_user (no task_struct.in_user_fault: %s)",
			 no_user_fault_why());
	else {
		c->fault_counter_mode = true;
		snprintf(c->fault_hook, sizeof(c->fault_hook),
			 "the kernel's per-thread fault count (min_flt+maj_flt)");
	}
	skel->rodata->fault_counter_mode = c->fault_counter_mode;
	skel->rodata->load_ns = nl_now_ns(CLOCK_MONOTONIC);
	bpf_program__set_autoload(skel->progs.nl_fault_mm, false);
	if (c->fault_counter_mode) {
		bpf_program__set_autoload(skel->progs.nl_fault, false);
	} else if (!nl_have_btf_tracepoint(vmlinux, "page_fault_user") &&
		   btf__find_by_name_kind(vmlinux, "handle_mm_fault", BTF_KIND_FUNC) >= 0) {
		/* page_fault_user is x86's (arch/x86/include/asm/trace/exceptions.h): on
		 * arm64 the fault's entry into handle_mm_fault instead (bpf/access.bpf.c
		 * nl_fault_mm), attached after the others (access_open()): where fentry
		 * cannot attach, faults are off and say so. */
		char why_tp[sizeof(c->fault_hook)];

		bpf_program__set_autoload(skel->progs.nl_fault, false);
		bpf_program__set_autoload(skel->progs.nl_fault_mm, true);
		bpf_program__set_autoattach(skel->progs.nl_fault_mm, false);
		snprintf(why_tp, sizeof(why_tp), "%s", c->fault_hook);
		const char *paren = strchr(why_tp, '(');
		snprintf(c->fault_hook, sizeof(c->fault_hook),
			 "fentry/handle_mm_fault (page_fault_user is x86's, %s",
			 paren ? paren + 1 : ")");
	} else if (!nl_have_btf_tracepoint(vmlinux, "page_fault_user")) {
		/* x86 only (arch/x86/include/asm/trace/exceptions.h). */
		bpf_program__set_autoload(skel->progs.nl_fault, false);
		bpf_program__set_autoload(skel->progs.nl_page_alloc, false);
		bpf_program__set_autoload(skel->progs.nl_page_alloc_btf, false);
		nl_source_set(&c->sources[NL_SRC_FAULTS], false,
			      "no exceptions:page_fault_user tracepoint (x86 only)");
	} else if (!c->page_flags_ok &&
		   nl_ensure_tracefs_event("kmem", "mm_page_alloc", why, sizeof(why))) {
		bpf_program__set_autoload(skel->progs.nl_page_alloc, false);
		nl_source_set(&c->sources[NL_SRC_FAULTS], true,
			      "page nodes unknown (%s): every fault unresolved", why);
	}
	if (choose_mapped(c, vmlinux))
		ret = -ENOMEM;
out:
	btf__free(vmlinux);
	return ret;
}


static void set_size(struct bpf_map *m, uint32_t n)
{
	bpf_map__set_max_entries(m, n ? n : 1);
}

static bool access_probe(struct nl_collector *c, char *why, size_t len)
{
	if (!nl_have_kernel_btf()) {
		snprintf(why, len, "kernel has no BTF (/sys/kernel/btf/vmlinux missing); "
				   "numalens needs CONFIG_DEBUG_INFO_BTF=y");
		return false;
	}
	return true;
}

/* The faults source's text, once the page-node path is settled. */
static int describe_faults(struct nl_collector *c, char *err, size_t errlen)
{
	const char *pfn_source;
	int nr_ranges, ret;

	if (bpf_program__autoload(c->skel->progs.nl_page_alloc_btf))
		return nl_source_set(&c->sources[NL_SRC_FAULTS], true,
				     "%s + tp_btf/mm_page_alloc; page node from page->flags "
				     "(NODES_SHIFT=%d); %s", c->fault_hook, c->nodes_shift,
				     c->thread_state);
	if (!bpf_program__autoload(c->skel->progs.nl_page_alloc))
		return 0;
	ret = configure_pfn_ranges(c, &pfn_source, &nr_ranges, err, errlen);
	if (ret)
		return ret;
	return nl_source_set(&c->sources[NL_SRC_FAULTS], true,
			     "%s + tracepoint/kmem/mm_page_alloc; page node from pfn via %s (%s); %s",
			     c->fault_hook, pfn_source, c->page_flags_why, c->thread_state);
}

int nl_access_followed_fd(const struct nl_collector *c)
{
	if (!c->skel || !c->skel->rodata->follow_children)
		return -1;
	return bpf_map__fd(c->skel->maps.followed);
}

/* With children: the target's descendants that exist already (the fork hook, attached
 * now, adds every later one). The sched source says how the set is kept. */
static int follow_existing(struct nl_collector *c, char *err, size_t errlen)
{
	size_t added = 0;
	int ret;

	if (!c->skel->rodata->follow_children)
		return 0;
	ret = nl_follow_descendants(NULL, bpf_map__fd(c->skel->maps.followed),
				    c->opts.target_pid, &added);
	if (ret) {
		if (ret == -E2BIG)
			snprintf(err, errlen, "cannot follow the children of process %u: more than "
				 "%d processes", c->opts.target_pid, NL_MAX_FOLLOWED);
		else
			snprintf(err, errlen, "cannot follow the children of process %u: %s",
				 c->opts.target_pid, strerror(-ret));
		return ret;
	}
	if (nl_source_append(&c->sources[NL_SRC_SCHED], "; processes forked by pid %u followed "
			     "too (tp_btf/sched_process_fork; %zu at start)", c->opts.target_pid,
			     added))
		return -ENOMEM;
	return 0;
}

static int access_open(struct nl_collector *c, char *err, size_t errlen)
{
	int ret;

	page_node_plan(c);
	LIBBPF_OPTS(bpf_object_open_opts, open_opts, .kconfig = c->kconfig);
	c->skel = access_bpf__open_opts(&open_opts);
	if (!c->skel) {
		ret = -errno;
		snprintf(err, errlen, "cannot open the BPF object: %s", strerror(errno));
		return ret;
	}
	c->skel->rodata->target_tgid = c->opts.target_pid;
	c->skel->rodata->follow_children = c->opts.target_pid && c->opts.children;
	bpf_program__set_autoload(c->skel->progs.nl_fork, c->skel->rodata->follow_children);
	bpf_program__set_autoload(c->skel->progs.nl_follow_free,
				  c->skel->rodata->follow_children);
	if (!c->skel->rodata->follow_children)
		bpf_map__set_max_entries(c->skel->maps.followed, 1);
	c->skel->rodata->target_cgroup = c->opts.cgroup_id;
	c->skel->rodata->stacks_enabled = c->opts.stacks;
	ret = choose_programs(c, err, errlen);
	if (!ret)
		ret = configure_cpu_nodes(c, err, errlen);
	if (ret)
		return ret;
	for (int n = 0; n < c->topo.nr_nodes; n++)
		if (c->topo.nodes[n].id >= 0 && c->topo.nodes[n].id < NL_MAX_NODES)
			c->skel->rodata->node_online_mask |= 1ULL << c->topo.nodes[n].id;
	ret = describe_faults(c, err, errlen);
	if (!ret && c->skel->rodata->migrations_by_gfp && c->sources[NL_SRC_FAULTS].active &&
	    nl_source_append(&c->sources[NL_SRC_FAULTS], "; hinting migrations' 4 KiB copies "
			     "told by gfp (no mm_migrate_pages_start), THP copies not"))
		ret = -ENOMEM;
	if (!ret)
		ret = nl_dwarf_stacks_plan(c, err, errlen);
	if (!ret && c->stack_how[0] && c->sources[NL_SRC_FAULTS].active &&
	    nl_source_append(&c->sources[NL_SRC_FAULTS], "; %s", c->stack_how))
		ret = -ENOMEM;
	if (ret)
		return ret;
	uint32_t max_stacks = c->opts.max_stacks ? c->opts.max_stacks : DEFAULT_MAX_STACKS;
	bool fp_stacks = c->opts.stacks && c->stack_mode == NL_STACK_FP;
	set_size(c->skel->maps.oncpu, (uint32_t)c->nr_cpus);
	if (c->threads_by_tid)
		set_size(c->skel->maps.thread_stats, c->opts.max_threads);
	set_size(c->skel->maps.exited, c->opts.max_threads);
	set_size(c->skel->maps.exited_procs, c->opts.max_threads / 4);
	/* what --max-threads costs here, said where the thread layout is (the sched text) */
	uint64_t bytes = nl_access_maps_bytes(c->opts.max_threads, c->threads_by_tid);
	if (nl_source_append(&c->sources[NL_SRC_SCHED], "; per-thread maps: %u threads, "
			     "%.1f MiB preallocated", c->opts.max_threads,
			     (double)bytes / (1 << 20)))
		return -ENOMEM;
	/* counts with a node id >= NL_DENSE_NODES (bpf/wide.bpf.h) */
	int nr_node_ids = 1;
	char wide[192];
	for (int n = 0; n < c->topo.nr_nodes; n++)
		if (c->topo.nodes[n].id >= nr_node_ids)
			nr_node_ids = c->topo.nodes[n].id + 1;
	ret = nl_wide_cells_configure(c->skel->maps.wide_cells, c->opts.max_threads, nr_node_ids,
				      wide, sizeof(wide));
	if (ret) {
		snprintf(err, errlen, "cannot size the wide-cell map: %s", strerror(-ret));
		return ret;
	}
	if (wide[0] && nl_source_append(&c->sources[NL_SRC_SCHED], "; %s", wide))
		return -ENOMEM;
	set_size(c->skel->maps.stacks, fp_stacks ? max_stacks : 1);
	set_size(c->skel->maps.stack_counts, fp_stacks ? max_stacks * 4 : 1);
	c->agg.max = (size_t)max_stacks * 4; /* DWARF: as many as stack_counts would keep */

	ret = access_bpf__load(c->skel);
	if (ret) {
		snprintf(err, errlen, "cannot load the BPF programs: %s%s", strerror(-ret),
			 c->opts.verbose ? "" : " (--verbose shows the verifier log)");
		return ret;
	}
	ret = access_bpf__attach(c->skel);
	if (ret) {
		snprintf(err, errlen, "cannot attach the BPF programs: %s", strerror(-ret));
		return ret;
	}
	if (bpf_program__autoload(c->skel->progs.nl_fault_mm)) {
		c->skel->links.nl_fault_mm = bpf_program__attach(c->skel->progs.nl_fault_mm);
		if (!c->skel->links.nl_fault_mm) {
			ret = -errno;
			/* 524, the kernel's ENOTSUPP: no BPF trampoline (Debian's arm64 6.1,
			 * which has the counter mode anyway unless the tracepoint mode is
			 * forced) */
			if (ret != -524) {
				snprintf(err, errlen, "cannot attach fentry/handle_mm_fault: %s",
					 strerror(-ret));
				return ret;
			}
			if (nl_source_set(&c->sources[NL_SRC_FAULTS], false,
					  "no page_fault_user tracepoint (x86 only), and "
					  "fentry/handle_mm_fault is not supported by this kernel "
					  "(ENOTSUPP: no BPF trampoline)"))
				return -ENOMEM;
		}
	}
	ret = follow_existing(c, err, errlen);
	if (ret)
		return ret;
	if (bpf_program__autoload(c->skel->progs.nl_fault_vma)) {
		ret = nl_mapped_open(&c->mapped, bpf_map__fd(c->skel->maps.mapped_ring),
				     MAPPED_RING_BYTES, err, errlen);
		if (ret)
			return ret;
	}
	if (c->opts.stacks && !(c->sym = nl_symbolizer_new())) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return nl_dwarf_stacks_start(c, err, errlen);
}

static void access_close(struct nl_collector *c)
{
	nl_dwarf_stacks_stop(c);
	nl_mapped_free(c->mapped);
	c->mapped = NULL;
	access_bpf__destroy(c->skel);
	c->skel = NULL;
	nl_symbolizer_free(c->sym);
	c->sym = NULL;
}

/* ---- sampling ---- */

/* The fields of nl_counts this source owns, from a thread's cumulative stats and its
 * wide cells (node ids >= NL_DENSE_NODES; NULL: none). */
static void stats_to_counts(const struct nl_thread_stats *s, const struct nl_wide_counts *w,
			    struct nl_counts *c)
{
	nl_mat_from_bpf(&c->faults, s->faults, w ? &w->faults : NULL);
	/* collect/mapped.c's alone: nl_resolved_apply() adds it after every read */
	nl_mat_zero(&c->faults_mapped);
	for (int n = 0; n < NL_MAX_NODES; n++) {
		c->first_touch_pages[n] = w ? w->first_touch_pages[n] : 0;
		c->cpu_ns[n] = w ? w->cpu_ns[n] : 0;
	}
	for (int n = 0; n < NL_DENSE_NODES; n++) {
		c->first_touch_pages[n] += s->first_touch_pages[n];
		c->cpu_ns[n] += s->cpu_ns[n];
	}
	/* the faults reported to be resolved are counted where collect/mapped.c puts them */
	c->faults_unresolved = s->faults_unresolved > s->faults_reported ?
			       s->faults_unresolved - s->faults_reported : 0;
	c->node_migrations = s->node_migrations;
}

/* A thread's counts into the table; inflight (NULL for exits): its time on a CPU
 * since its last switch-in, not yet in its stats. */
static int track(struct nl_collector *c, const struct nl_thread_stats *s, bool exited,
		 const struct nl_thread_inflight *inflight)
{
	struct nl_tracked *e = exited ? nl_tt_find(&c->threads, s->tid, s->start_ns, c->seq) :
					nl_tt_live(&c->threads, s->tid, s->start_ns);

	if (!e && !(e = nl_tt_add(&c->threads, s->tid, s->tgid)))
		return -ENOMEM;
	e->tgid = s->tgid;
	e->start_ns = s->start_ns;
	memcpy(e->comm, s->comm, NL_COMM_LEN);
	e->comm[NL_COMM_LEN - 1] = '\0';
	stats_to_counts(s, e->wide, &e->c);
	if (inflight && inflight->node < NL_MAX_NODES)
		e->c.cpu_ns[inflight->node] += inflight->oncpu_ns;
	if (e->wide_seq != c->seq)
		e->wide_exit = false;
	e->wide_seq = c->seq;
	e->wide_exit |= exited;
	if (e->res)
		nl_resolved_apply(e->res, &e->c);
	if (exited && !e->exited) {
		e->exited = true;
		e->exit_seq = c->seq;
	}
	return 0;
}

/* Runs nl_judge over every task (it writes nothing to read). */
static int judge_sleepers(struct nl_collector *c)
{
	char buf[64];
	int fd = bpf_iter_create(bpf_link__fd(c->skel->links.nl_judge));
	ssize_t n;

	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
		;
	n = n < 0 ? -errno : 0;
	close(fd);
	return (int)n;
}

/* Live threads from the task iterator, in-flight CPU time added. */
static int read_live(struct nl_collector *c)
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
		ret = track(c, &rec.s, false, &rec.inflight);
		if (ret)
			break;
	}
	if (!ret && have)
		ret = -EIO; /* a torn record: the iterator and this file disagree on layout */
	close(fd);
	return ret;
}

/* Exited threads' final counts; a thread that exited after the iterator passed it is
 * in both, and the exited copy (final) wins. Their tids go to *keys: the map entries
 * are deleted once the stacks are read. */
static int read_exited(struct nl_collector *c, uint32_t **keys, size_t *nkeys)
{
	int fd = bpf_map__fd(c->skel->maps.exited);
	uint32_t key, next, *k = NULL;
	size_t nk = 0, cap = 0;
	void *prev = NULL;
	struct nl_thread_stats s;
	int ret = 0;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &s))
			continue; /* deleted under us: cannot happen, we are the only deleter */
		if (nl_grow(&k, &cap, nk, sizeof(*k))) {
			ret = -ENOMEM;
			break;
		}
		k[nk++] = key;
		ret = track(c, &s, true, NULL);
		if (ret)
			break;
	}
	*keys = k;
	*nkeys = nk;
	return ret;
}

/* Per-process aggregates of threads whose exit did not fit in the exited map. */
static int read_exited_procs(struct nl_collector *c)
{
	int fd = bpf_map__fd(c->skel->maps.exited_procs);
	uint32_t key, next;
	void *prev = NULL;
	struct nl_thread_stats s;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &s))
			continue;
		struct nl_tracked *e = nl_tt_folded(&c->threads, key);
		if (!e && !(e = nl_tt_add(&c->threads, 0, key)))
			return -ENOMEM;
		memcpy(e->comm, s.comm, NL_COMM_LEN);
		e->comm[NL_COMM_LEN - 1] = '\0';
		stats_to_counts(&s, e->wide, &e->c);
	}
	return 0;
}

/* Sets a wide cell's cumulative value v in the thread's wide counts, and moves its
 * counts (built from the old wide counts in this sample) by the change. add: v adds
 * to the cell instead (a folded process's, from cells deleted once taken). Returns
 * -ENOMEM only. */
static int wide_put(struct nl_tracked *e, const struct nl_wide_key *k, uint64_t v, bool add)
{
	struct nl_counts *c = &e->c;
	struct nl_wide_counts *w;
	uint64_t old;

	if (k->cpu >= NL_MAX_NODES || k->mem >= NL_MAX_NODES)
		return 0; /* BPF never makes one */
	if (!e->wide && !(e->wide = calloc(1, sizeof(*e->wide))))
		return -ENOMEM;
	w = e->wide;
	switch (k->kind) {
	case NL_WIDE_FAULTS:
		old = add ? nl_mat_at(&w->faults, k->cpu, k->mem) : 0;
		nl_wide_mat_set(&w->faults, &c->faults, k->cpu, k->mem, old + v);
		break;
	case NL_WIDE_FIRST_TOUCH:
		old = w->first_touch_pages[k->mem];
		w->first_touch_pages[k->mem] = v = add ? old + v : v;
		c->first_touch_pages[k->mem] += v - old;
		break;
	case NL_WIDE_CPU_NS:
		old = w->cpu_ns[k->cpu];
		w->cpu_ns[k->cpu] = v = add ? old + v : v;
		c->cpu_ns[k->cpu] += v - old;
		break;
	}
	return 0;
}

/* One wide cell (collect/wide_cells.h), after this sample's reads: its cumulative
 * value goes to its thread's wide counts (struct nl_wide_counts, which the next read
 * adds to the dense ones), and the counts this sample built move by the change.
 * Deleted in the sample that read the thread's exit record: BPF writes the thread's
 * last cells (its last slice on a CPU) before that record (bpf/access.bpf.c nl_exit),
 * and after sched_process_exit the thread has no user memory to fault on and is never
 * charged again (stats_of() refuses PF_EXITING), so the cells are final and the entry
 * keeps them. Waiting a sample longer would need the entry then, and nl_tt_find()
 * stops finding an exit a sample after the other source saw it. Also deleted: cells of
 * a thread not read in this sample that has exited or is gone (the entry keeps what
 * it had). A cell no entry matches waits while the thread exists (newer than the
 * iterator's pass); once it is gone its exit was folded into its process by BPF
 * (exited_procs): the cell goes to that process's entry, or is lost, counted. */
static int wide_cell(void *ctx, const struct nl_wide_key *k, __u64 v)
{
	struct nl_collector *c = ctx;
	struct nl_tracked *e = nl_tt_find(&c->threads, k->tid, k->start_ns, c->seq);
	int ret;

	if (!e) {
		if (nl_thread_alive(k->tgid, k->tid))
			return 0;
		e = nl_tt_folded(&c->threads, k->tgid);
		if (!e) {
			c->wide_orphans++;
			return 1;
		}
		/* read_exited_procs() built its counts in this sample */
		ret = wide_put(e, k, v, true);
		return ret ? ret : 1;
	}
	if (e->wide_seq == c->seq) {
		ret = wide_put(e, k, v, false);
		return ret ? ret : e->wide_exit ? 1 : 0;
	}
	return e->exited || !nl_thread_alive(k->tgid, k->tid) ? 1 : 0;
}

static int read_wide(struct nl_collector *c)
{
	return nl_wide_cells_read(bpf_map__fd(c->skel->maps.wide_cells), wide_cell, c, NULL);
}

/* The ips of a stack: from the kernel's stack map (frame pointers) or the DWARF
 * aggregation. *cut: the unwinder stopped short (DWARF only: a frame-pointer walk's
 * end is told by the symbolizer). */
static int stack_ips(struct nl_collector *c, uint32_t stackid, uint64_t *ips, bool *cut)
{
	*cut = false;
	if (c->stack_mode == NL_STACK_FP)
		return bpf_map_lookup_elem(bpf_map__fd(c->skel->maps.stacks), &stackid, ips);
	const struct nl_stack_agg_entry *e = nl_stack_agg_get(&c->agg, stackid);
	if (!e)
		return -ENOENT;
	memcpy(ips, e->ips, (size_t)e->nr * sizeof(*ips));
	*cut = e->cut;
	return 0;
}

static struct nl_stack *load_stack(struct nl_collector *c, uint32_t pid, uint32_t stackid)
{
	uint64_t ips[NL_STACK_DEPTH] = {};
	struct nl_stack *st;
	bool cut;

	if (stack_ips(c, stackid, ips, &cut))
		return NULL;
	st = calloc(1, sizeof(*st));
	if (!st)
		return NULL;
	if (c->sym && nl_symbolize(c->sym, pid, ips, NL_STACK_DEPTH, st) == 0) {
		/* an unwinder that stopped short of the program's entry: say so */
		if (cut && !st->cut && (st->nr == 0 || !nl_frame_is_process_entry(&st->frames[st->nr - 1])))
			st->cut = true;
		return st;
	}
	/* The process is gone and was never cached: keep the raw addresses. */
	for (int i = 0; i < NL_STACK_DEPTH && i < NL_MAX_FRAMES && ips[i]; i++)
		st->frames[st->nr++].ip = ips[i];
	return st;
}

/* A stack's cumulative pages: the thread's stack becomes the one with the most. */
static void consider_stack(struct nl_collector *c, uint32_t tid, uint32_t stackid,
			   uint64_t pages_est)
{
	struct nl_tracked *e = nl_tt_find(&c->threads, tid, 0, c->seq);

	if (e && (!e->has_stack || pages_est > e->stack_pages || stackid == e->stackid)) {
		e->has_stack = true;
		e->stack_pages = pages_est;
		e->stackid = stackid;
	}
}

/* For each thread, the stack that first-touched the most pages (cumulative), loaded
 * and symbolized when it changed. */
static void pick_stacks(struct nl_collector *c)
{
	int fd = bpf_map__fd(c->skel->maps.stack_counts);
	struct nl_stack_key key, next;
	void *prev = NULL;
	struct nl_stack_count cnt;

	while (c->stack_mode == NL_STACK_FP && bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &cnt))
			continue;
		consider_stack(c, key.tid, key.stackid, cnt.pages_est);
	}
	for (size_t i = 0; c->stack_mode == NL_STACK_DWARF && i < c->agg.n; i++)
		consider_stack(c, c->agg.v[i].tid, c->agg.v[i].id, c->agg.v[i].pages_est);
	for (size_t i = 0; i < c->threads.n; i++) {
		struct nl_tracked *e = &c->threads.v[i];
		if (!e->has_stack || (e->stack && e->stack_of == e->stackid))
			continue;
		nl_stack_free(e->stack);
		e->stack = load_stack(c, e->tgid, e->stackid);
		e->stack_of = e->stackid;
	}
}

/* Deletes the map entries of threads that exited in this sample: the table holds
 * their final counts and stacks now. */
static void forget_exited(struct nl_collector *c, const uint32_t *keys, size_t nkeys)
{
	int efd = bpf_map__fd(c->skel->maps.exited);
	int sfd = bpf_map__fd(c->skel->maps.stack_counts);
	struct nl_stack_key key, next, *doomed = NULL;
	size_t nd = 0, cap = 0;
	void *prev = NULL;

	for (size_t i = 0; i < nkeys; i++)
		bpf_map_delete_elem(efd, &keys[i]);
	if (!c->opts.stacks || !nkeys)
		return;
	for (size_t i = 0; c->stack_mode == NL_STACK_DWARF && i < nkeys; i++)
		nl_stack_agg_forget_tid(&c->agg, keys[i]);
	/* Collect first: deleting while walking would restart get_next_key. */
	while (bpf_map_get_next_key(sfd, prev, &next) == 0) {
		key = next;
		prev = &key;
		struct nl_tracked *e = nl_tt_find(&c->threads, key.tid, 0, c->seq);
		if (!e || !e->exited)
			continue;
		if (nl_grow(&doomed, &cap, nd, sizeof(*doomed)))
			break;
		doomed[nd++] = key;
	}
	for (size_t i = 0; i < nd; i++)
		bpf_map_delete_elem(sfd, &doomed[i]);
	free(doomed);
	for (size_t i = 0; c->sym && i < nkeys; i++) {
		struct nl_tracked *e = nl_tt_find(&c->threads, keys[i], 0, c->seq);
		if (e && e->exited && e->tid == e->tgid)
			nl_symbolizer_forget(c->sym, e->tgid);
	}
}

/* Frees the stack map's buckets no stack count refers to any more (their threads
 * exited and the table keeps their symbolized stacks). The map is a hash by stack
 * without BPF_F_REUSE_STACKID (reuse would silently relabel counts that point at a
 * bucket), so without this a long system-wide run fills it and every new stack whose
 * bucket is taken is lost (NL_DROP_STACK). A stack sampled between the two walks may
 * lose its bucket once; it is stored again at its next sample. */
static void gc_stacks(struct nl_collector *c)
{
	uint32_t max = bpf_map__max_entries(c->skel->maps.stacks), key, next;
	int sfd = bpf_map__fd(c->skel->maps.stack_counts), mfd = bpf_map__fd(c->skel->maps.stacks);
	struct nl_stack_key sk, snext;
	uint32_t *doomed = NULL;
	size_t nd = 0, cap = 0;
	bool *used = calloc(max, sizeof(*used));
	void *prev = NULL;

	if (!used)
		return;
	while (bpf_map_get_next_key(sfd, prev, &snext) == 0) {
		sk = snext;
		prev = &sk;
		if (sk.stackid < max)
			used[sk.stackid] = true;
	}
	prev = NULL;
	while (bpf_map_get_next_key(mfd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (key < max && used[key])
			continue;
		if (nl_grow(&doomed, &cap, nd, sizeof(*doomed)))
			break;
		doomed[nd++] = key;
	}
	for (size_t i = 0; i < nd; i++)
		bpf_map_delete_elem(mfd, &doomed[i]);
	free(doomed);
	free(used);
}

static void read_drops(struct nl_collector *c, uint64_t out[NL_DROP_MAX])
{
	int fd = bpf_map__fd(c->skel->maps.drops);
	uint64_t *vals = calloc((size_t)c->nr_cpus, sizeof(*vals));

	memset(out, 0, sizeof(uint64_t) * NL_DROP_MAX);
	if (!vals)
		return;
	for (uint32_t k = 0; k < NL_DROP_MAX; k++) {
		if (bpf_map_lookup_elem(fd, &k, vals))
			continue;
		for (int i = 0; i < c->nr_cpus; i++)
			out[k] += vals[i];
	}
	free(vals);
}

/* Runs of our programs the kernel skipped (collect/prog_misses.h) are lost events but
 * two kinds: the allocation hook's nest under our own programs' allocations (a user
 * page among them leaves its fault unresolved), and a skipped nl_exit is made up for
 * by nl_free where that is loaded. The faults source says how many of each. */
static int account_skipped_runs(struct nl_collector *c, struct nl_snapshot *cum)
{
	struct access_bpf *skel = c->skel;
	bool late_exits = !c->threads_by_tid;
	const struct bpf_program *except[] = { skel->progs.nl_page_alloc_btf,
					       skel->progs.nl_page_alloc,
					       late_exits ? skel->progs.nl_exit : NULL };
	struct nl_source_state *f = &cum->sources[NL_SRC_FAULTS];
	uint64_t allocs = nl_prog_misses_of(skel->progs.nl_page_alloc_btf) +
			  nl_prog_misses_of(skel->progs.nl_page_alloc);
	uint64_t exits = late_exits ? nl_prog_misses_of(skel->progs.nl_exit) : 0;

	if (nl_prog_misses_account(skel->obj, except, NL_ARRAY_SIZE(except), &cum->lost_events, f))
		return -ENOMEM;
	if (!f->known)
		return 0;
	if (exits && nl_source_append(f, "; %" PRIu64 " thread exits skipped by the kernel, "
				      "handed over at task free (their last slice on a CPU not "
				      "counted)", exits))
		return -ENOMEM;
	if (allocs && nl_source_append(f, "; %" PRIu64 " page allocations skipped while the hook "
				       "ran on that CPU (nested kernel allocations; a user page "
				       "among them would leave its fault unresolved)", allocs))
		return -ENOMEM;
	return 0;
}

/* Stack samples and unresolvable page nodes are not lost events: the faults are
 * counted (unresolved); the faults source says how many, since the start. */
static int account_drops(struct nl_collector *c, struct nl_snapshot *cum)
{
	uint64_t drops[NL_DROP_MAX];
	struct nl_source_state *f = &cum->sources[NL_SRC_FAULTS];

	read_drops(c, drops);
	for (int k = 0; k < NL_DROP_MAX; k++)
		if (k != NL_DROP_STACK && k != NL_DROP_PAGE_NODE && k != NL_DROP_STACK_RING &&
		    k != NL_DROP_STACK_READ && k != NL_DROP_MAPPED_RING && k != NL_DROP_MAPPED_VMA)
			cum->lost_events += drops[k];
	if (c->mapped && nl_mapped_describe(c->mapped, drops[NL_DROP_MAPPED_RING],
					    drops[NL_DROP_MAPPED_VMA],
					    &cum->sources[NL_SRC_MAPPED]))
		return -ENOMEM;
	if (account_skipped_runs(c, cum))
		return -ENOMEM;
	if (f->known && drops[NL_DROP_PAGE_NODE] &&
	    nl_source_append(f, "; %" PRIu64 " pages on no known node", drops[NL_DROP_PAGE_NODE]))
		return -ENOMEM;
	cum->lost_events += c->wide_orphans;
	if (f->known && c->wide_orphans &&
	    nl_source_append(f, "; %" PRIu64 " wide cells (node ids >= %d) of threads gone "
			     "untracked lost (their exits folded into their processes)",
			     c->wide_orphans, NL_DENSE_NODES))
		return -ENOMEM;
	if (f->known && drops[NL_DROP_WIDE] &&
	    nl_source_append(f, "; %" PRIu64 " counts with a node id >= %d lost: the wide-cell "
			     "map was full (faults among them unresolved)", drops[NL_DROP_WIDE],
			     NL_DENSE_NODES))
		return -ENOMEM;
	if (f->known && c->opts.stacks && drops[NL_DROP_STACK] &&
	    nl_source_append(f, "; %" PRIu64 " stack samples not stored", drops[NL_DROP_STACK]))
		return -ENOMEM;
	return nl_dwarf_stacks_account(c, cum, drops);
}

static int access_sample(struct nl_collector *c, struct nl_snapshot *cum)
{
	uint32_t *exited = NULL;
	size_t nexited = 0;
	int ret;

	/* Mapped faults first: the sleeping threads' last faults judged, then every
	 * report taken. A report read here is in the faults_reported read next; one
	 * made after (a running thread's next fault) is in neither and waits for the
	 * next sample, so no fault is counted twice. */
	ret = c->mapped && c->fault_counter_mode ? judge_sleepers(c) : 0;
	if (!ret && c->mapped)
		ret = nl_mapped_drain(c->mapped, &c->threads);
	/* Live threads, then the exited map (final counts win). */
	if (!ret)
		ret = read_live(c);
	if (!ret)
		ret = read_exited(c, &exited, &nexited);
	if (!ret)
		ret = read_exited_procs(c);
	if (!ret)
		ret = read_wide(c);
	if (!ret && c->opts.stacks)
		ret = nl_dwarf_stacks_drain(c);
	if (!ret && c->opts.stacks)
		pick_stacks(c);
	if (!ret)
		forget_exited(c, exited, nexited);
	if (!ret && c->opts.stacks && c->stack_mode == NL_STACK_FP && nexited)
		gc_stacks(c);
	free(exited);
	if (!ret)
		ret = account_drops(c, cum);
	return ret;
}

const struct nl_source_ops nl_access_source = {
	.what = "access profile (faults, first touch, CPU time)",
	.required = true,
	.probe = access_probe,
	.open = access_open,
	.sample = access_sample,
	.close = access_close,
};
