/* The request programs: spec parsing, the choice of programs this kernel can run (the
 * fault pair by fentry, else kprobe, else none), attaching the boundaries, reading the
 * histogram and the finished requests. */
#include "collect/request.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "request.skel.h"
#include "collect/kfeatures.h"
#include "collect/prog_misses.h"
#include "common/util.h"

#define DEFAULT_MAX_INFLIGHT 16384
/* Room for ~28000 finished requests (144 bytes each with the ring's header) between
 * two drains: more than 1 s of a busy
 * server at top's default interval. The kernel maps all of it into our address space
 * twice (the data area wraps), so it is resident memory: 8 MiB here. A full ring loses
 * records (counted), never the histogram. */
#define RING_BYTES (4u << 20)
#define MAX_LINKS 32

enum fault_path { FAULT_FENTRY, FAULT_KPROBE, FAULT_NONE };
static const char *const fault_path_names[] = { "fentry", "kprobe", "none" };

struct nl_requests {
	struct request_bpf *skel;
	struct bpf_link *links[MAX_LINKS];
	int nr_links;
	struct ring_buffer *ring;
	int (*fn)(void *ctx, const struct nl_request *r);
	void *fn_ctx;
	int fn_rc;
	int nr_cpus;
	enum fault_path fault;
	char fault_why[160];  /* why a better fault path was not taken */
	char missing[256];    /* causes off: the tracepoints this kernel lacks */
	char boundary[4600];  /* "uprobe /bin/x:func" */
};

/* ---- the spec ---- */

/* A bare name is searched in PATH, as a shell would. */
static int resolve_bin(const char *name, char *out, size_t len)
{
	char cand[PATH_MAX];
	const char *path = getenv("PATH");

	if (strchr(name, '/') || !path) {
		if (!realpath(name, cand))
			return -errno;
		snprintf(out, len, "%s", cand);
		return access(out, R_OK) ? -errno : 0;
	}
	for (const char *p = path; *p;) {
		size_t n = strcspn(p, ":");

		snprintf(cand, sizeof(cand), "%.*s/%s", (int)n, p, name);
		if (!access(cand, R_OK) && realpath(cand, out))
			return 0;
		p += n + (p[n] == ':');
	}
	return -ENOENT;
}

/* Splits s at ':' into at most max fields; the count. */
static int split_fields(char *s, char **f, int max)
{
	int n = 0;

	f[n++] = s;
	for (char *p = s; *p && n < max + 1; p++)
		if (*p == ':') {
			*p = '\0';
			f[n++] = p + 1;
		}
	return n;
}

int nl_request_spec_parse(const char *spec, bool usdt, struct nl_request_spec *out,
			  char *err, size_t errlen)
{
	const char *opt = usdt ? "--usdt" : "--request";
	const char *form = usdt ? "BIN:PROVIDER:START[:END]" : "BIN:FUNC";
	char buf[4500], *f[6];
	int n, rc;

	memset(out, 0, sizeof(*out));
	out->usdt = usdt;
	if (strlen(spec) >= sizeof(buf)) {
		snprintf(err, errlen, "%s: too long", opt);
		return -EINVAL;
	}
	snprintf(out->text, sizeof(out->text), "%s", spec);
	snprintf(buf, sizeof(buf), "%s", spec);
	n = split_fields(buf, f, 5);
	if ((!usdt && n != 2) || (usdt && n != 3 && n != 4)) {
		snprintf(err, errlen, "%s '%s': expected %s (a path with ':' in it is not "
			 "supported)", opt, spec, form);
		return -EINVAL;
	}
	for (int i = 0; i < n; i++)
		if (!f[i][0]) {
			snprintf(err, errlen, "%s '%s': empty field; expected %s", opt, spec, form);
			return -EINVAL;
		}
	rc = resolve_bin(f[0], out->bin, sizeof(out->bin));
	if (rc) {
		snprintf(err, errlen, "%s: cannot read binary %s: %s", opt, f[0], strerror(-rc));
		return rc;
	}
	if (!usdt) {
		snprintf(out->func, sizeof(out->func), "%s", f[1]);
		return 0;
	}
	snprintf(out->provider, sizeof(out->provider), "%s", f[1]);
	snprintf(out->start, sizeof(out->start), "%s", f[2]);
	if (n == 4)
		snprintf(out->end, sizeof(out->end), "%s", f[3]);
	return 0;
}

/* ---- which programs run ---- */

struct prog_rule {
	struct bpf_program *prog;
	const char *tp;          /* tracepoint it needs, NULL: none */
	const char *cause;       /* the cause it serves (for the "off" list) */
};

static bool is_fault_prog(const struct request_bpf *k, const struct bpf_program *p, int path)
{
	const struct bpf_program *fentry[] = { k->progs.rq_fentry_fault, k->progs.rq_fexit_fault,
					       k->progs.rq_fentry_numa_fault, k->progs.rq_fentry_scan,
					       k->progs.rq_fexit_scan };
	const struct bpf_program *kprobe[] = { k->progs.rq_kprobe_fault, k->progs.rq_kretprobe_fault,
					       k->progs.rq_kprobe_numa_fault, k->progs.rq_kprobe_scan,
					       k->progs.rq_kretprobe_scan };
	for (int i = 0; i < 5; i++)
		if ((path == FAULT_FENTRY && p == fentry[i]) || (path == FAULT_KPROBE && p == kprobe[i]))
			return true;
	return false;
}

/* The tracepoint programs and what they serve; the boundary and fault programs are
 * chosen separately. */
static int tp_rules(const struct request_bpf *k, struct prog_rule *r)
{
	const struct prog_rule rules[] = {
		{ k->progs.rq_switch, "sched_switch", NULL },
		{ k->progs.rq_wakeup, "sched_wakeup", NULL },
		{ k->progs.rq_exit, "sched_process_exit", NULL },
		{ k->progs.rq_move_numa, "sched_move_numa", "numa_move" },
		{ k->progs.rq_swap_numa, "sched_swap_numa", "numa_move" },
		{ k->progs.rq_migrate_start, "mm_migrate_pages_start", "migrate_stall" },
		{ k->progs.rq_migrate_end, "mm_migrate_pages", "migrate_stall" },
		{ k->progs.rq_ipi_entry, "call_function_entry", "tlb_ipi" },
		{ k->progs.rq_ipi_exit, "call_function_exit", "tlb_ipi" },
		{ k->progs.rq_ipi1_entry, "call_function_single_entry", "tlb_ipi" },
		{ k->progs.rq_ipi1_exit, "call_function_single_exit", "tlb_ipi" },
		{ k->progs.rq_reclaim_begin, "mm_vmscan_direct_reclaim_begin", "reclaim" },
		{ k->progs.rq_reclaim_end, "mm_vmscan_direct_reclaim_end", "reclaim" },
		{ k->progs.rq_compact_begin, "mm_compaction_begin", "reclaim" },
		{ k->progs.rq_compact_end, "mm_compaction_end", "reclaim" },
	};
	memcpy(r, rules, sizeof(rules));
	return (int)NL_ARRAY_SIZE(rules);
}

static bool is_boundary_prog(const struct request_bpf *k, const struct bpf_program *p)
{
	return p == k->progs.rq_enter || p == k->progs.rq_return ||
	       p == k->progs.rq_usdt_start || p == k->progs.rq_usdt_end ||
	       p == k->progs.rq_sys_exit || p == k->progs.rq_sys_enter;
}

static void choose_boundary(struct request_bpf *k, const struct nl_request_spec *spec)
{
	if (spec->syscalls) {
		bpf_program__set_autoload(k->progs.rq_sys_exit, true);
		bpf_program__set_autoload(k->progs.rq_sys_enter, true);
		return;
	}
	bpf_program__set_autoload(spec->usdt ? k->progs.rq_usdt_start : k->progs.rq_enter, true);
	if (!spec->usdt || spec->end[0])
		bpf_program__set_autoload(spec->usdt ? k->progs.rq_usdt_end : k->progs.rq_return, true);
}

/* Whether the fault path can run on this kernel; why not in q->fault_why. */
static bool fault_path_possible(struct nl_requests *q, enum fault_path path, const struct btf *btf)
{
	if (path == FAULT_FENTRY) {
		if (btf__find_by_name_kind(btf, "handle_mm_fault", BTF_KIND_FUNC) > 0 &&
		    btf__find_by_name_kind(btf, "task_numa_fault", BTF_KIND_FUNC) > 0 &&
		    btf__find_by_name_kind(btf, "task_numa_work", BTF_KIND_FUNC) > 0)
			return true;
		nl_appendf(q->fault_why, sizeof(q->fault_why),
			   "fentry: no handle_mm_fault/task_numa_fault/task_numa_work in BTF; ");
		return false;
	}
	if (path == FAULT_KPROBE) {
		if (!nl_have_kprobes()) {
			nl_appendf(q->fault_why, sizeof(q->fault_why), "kernel has no kprobes; ");
			return false;
		}
		if (nl_in_kallsyms("handle_mm_fault") && nl_in_kallsyms("task_numa_fault") &&
		    nl_in_kallsyms("task_numa_work"))
			return true;
		nl_appendf(q->fault_why, sizeof(q->fault_why),
			   "kprobe: handle_mm_fault/task_numa_fault/task_numa_work not in kallsyms; ");
		return false;
	}
	return true;
}

/* Autoload: the boundary programs of the spec, the tracepoints this kernel has, the
 * fault programs of path. Names the causes left without their tracepoint. */
static int choose_programs(struct nl_requests *q, const struct nl_request_spec *spec,
			   enum fault_path path, const struct btf *btf)
{
	struct request_bpf *k = q->skel;
	struct prog_rule rules[16];
	struct bpf_program *p;
	int n = tp_rules(k, rules);

	q->missing[0] = '\0';
	bpf_object__for_each_program(p, k->obj)
		bpf_program__set_autoload(p, false);
	choose_boundary(k, spec);
	for (int i = 0; i < n; i++) {
		bool have = nl_have_btf_tracepoint(btf, rules[i].tp);

		if (!have && !rules[i].cause)
			return -ENOENT; /* the scheduler tracepoints every cause rests on */
		if (!have && !strstr(q->missing, rules[i].tp))
			nl_appendf(q->missing, sizeof(q->missing), "%s%s (no tracepoint %s)",
				   q->missing[0] ? ", " : "", rules[i].cause, rules[i].tp);
		bpf_program__set_autoload(rules[i].prog, have);
	}
	bpf_object__for_each_program(p, k->obj)
		if (is_fault_prog(k, p, path))
			bpf_program__set_autoload(p, true);
	/* x86's fault-entry tracepoint widens the fault to its start */
	bpf_program__set_autoload(k->progs.rq_fault_user,
				  path != FAULT_NONE && nl_have_btf_tracepoint(btf, "page_fault_user"));
	return 0;
}

/* ---- load and attach ---- */

static int add_link(struct nl_requests *q, struct bpf_link *l)
{
	if (q->nr_links >= MAX_LINKS) {
		bpf_link__destroy(l);
		return -E2BIG;
	}
	q->links[q->nr_links++] = l;
	return 0;
}

static void detach_all(struct nl_requests *q)
{
	while (q->nr_links > 0)
		bpf_link__destroy(q->links[--q->nr_links]);
}

static int attach_uprobes(struct nl_requests *q, const struct nl_request_spec *s, char *err,
			  size_t errlen)
{
	struct bpf_program *progs[2] = { q->skel->progs.rq_enter, q->skel->progs.rq_return };

	for (int i = 0; i < 2; i++) {
		LIBBPF_OPTS(bpf_uprobe_opts, uo, .func_name = s->func, .retprobe = i == 1);
		struct bpf_link *l = bpf_program__attach_uprobe_opts(progs[i], -1, s->bin, 0, &uo);

		if (!l) {
			int rc = -errno;
			if (rc == -ENOENT || rc == -ESRCH)
				snprintf(err, errlen, "--request: no function %s in %s (a stripped "
					 "binary has no symbols: `nm -D %s` lists what it exports)",
					 s->func, s->bin, s->bin);
			else
				snprintf(err, errlen, "--request: cannot attach %s to %s:%s: %s",
					 i ? "uretprobe" : "uprobe", s->bin, s->func, strerror(-rc));
			return rc;
		}
		if (add_link(q, l))
			return -E2BIG;
	}
	snprintf(q->boundary, sizeof(q->boundary), "uprobe+uretprobe %s:%s", s->bin, s->func);
	return 0;
}

static int attach_usdt(struct nl_requests *q, const struct nl_request_spec *s, char *err,
		       size_t errlen)
{
	const char *names[2] = { s->start, s->end };
	struct bpf_program *progs[2] = { q->skel->progs.rq_usdt_start, q->skel->progs.rq_usdt_end };

	for (int i = 0; i < 2 && names[i][0]; i++) {
		struct bpf_link *l = bpf_program__attach_usdt(progs[i], -1, s->bin, s->provider,
							      names[i], NULL);
		if (!l) {
			int rc = -errno;
			if (rc == -ENOENT)
				snprintf(err, errlen, "--usdt: no USDT probe %s:%s in %s (`readelf -n "
					 "%s` lists its stapsdt notes)", s->provider, names[i],
					 s->bin, s->bin);
			else
				snprintf(err, errlen, "--usdt: cannot attach %s:%s in %s: %s",
					 s->provider, names[i], s->bin, strerror(-rc));
			return rc;
		}
		if (add_link(q, l))
			return -E2BIG;
	}
	snprintf(q->boundary, sizeof(q->boundary), "usdt %s:%s:%s%s%s", s->bin, s->provider,
		 s->start, s->end[0] ? ":" : "", s->end);
	return 0;
}

/* Every loaded program but the boundaries; they go last, so no request begins before
 * the programs that measure it run. */
static int attach_kernel_side(struct nl_requests *q, char *err, size_t errlen)
{
	struct bpf_program *p;

	bpf_object__for_each_program(p, q->skel->obj) {
		if (!bpf_program__autoload(p) || is_boundary_prog(q->skel, p))
			continue;
		struct bpf_link *l = bpf_program__attach(p);
		if (!l) {
			int rc = -errno;
			snprintf(err, errlen, "attach %s: %s", bpf_program__name(p), strerror(-rc));
			return rc;
		}
		if (add_link(q, l))
			return -E2BIG;
	}
	return 0;
}

/* --syscalls: the two raw syscall tracepoints (each a cheap test of one number). */
static int attach_syscalls(struct nl_requests *q, const struct nl_request_spec *s, char *err,
			   size_t errlen)
{
	struct bpf_program *progs[2] = { q->skel->progs.rq_sys_exit, q->skel->progs.rq_sys_enter };

	for (int i = 0; i < 2; i++) {
		struct bpf_link *l = bpf_program__attach(progs[i]);
		if (!l) {
			int rc = -errno;
			snprintf(err, errlen, "--syscalls: cannot attach %s: %s",
				 bpf_program__name(progs[i]), strerror(-rc));
			return rc;
		}
		if (add_link(q, l))
			return -E2BIG;
	}
	snprintf(q->boundary, sizeof(q->boundary), "syscalls: from %s returning > 0 to the "
		 "thread's next %s (tp_btf sys_exit, sys_enter)", s->start, s->end);
	return 0;
}

static void configure(struct nl_requests *q, const struct nl_request_opts *o, enum fault_path path)
{
	q->skel->rodata->target_tgid = o->target_pid;
	q->skel->rodata->follow_children = o->target_pid && o->followed_fd >= 0;
	if (!q->skel->rodata->follow_children)
		bpf_map__set_max_entries(q->skel->maps.followed, 1);
	q->skel->rodata->target_cgroup = o->cgroup_id;
	q->skel->rodata->usdt_start_only = o->spec->usdt && !o->spec->end[0];
	q->skel->rodata->have_fault_hooks = path != FAULT_NONE;
	q->skel->rodata->sys_begin_nr = o->spec->syscalls ? o->spec->sys_begin : -1;
	q->skel->rodata->sys_end_nr = o->spec->syscalls ? o->spec->sys_end : -1;
	bpf_map__set_max_entries(q->skel->maps.rq_inflight,
				 o->max_inflight ? o->max_inflight : DEFAULT_MAX_INFLIGHT);
	bpf_map__set_max_entries(q->skel->maps.rq_events, o->records ? RING_BYTES : 4096);
}

/* One attempt with one fault path: open, choose, load, attach. */
static int try_path(struct nl_requests *q, const struct nl_request_opts *o, enum fault_path path,
		    char *err, size_t errlen)
{
	struct btf *btf = btf__load_vmlinux_btf();
	int rc;

	if (!btf) {
		rc = -errno;
		snprintf(err, errlen, "kernel has no BTF (%s)", strerror(-rc));
		return rc;
	}
	if (!fault_path_possible(q, path, btf)) {
		btf__free(btf);
		return -ENOTSUP;
	}
	q->skel = request_bpf__open();
	if (!q->skel) {
		rc = -errno;
		snprintf(err, errlen, "open the request programs: %s", strerror(-rc));
		goto out;
	}
	configure(q, o, path);
	/* the followed children: access.bpf.c's set, shared (bpf/follow.bpf.h) */
	if (q->skel->rodata->follow_children &&
	    (rc = bpf_map__reuse_fd(q->skel->maps.followed, o->followed_fd))) {
		snprintf(err, errlen, "share the followed processes' map: %s", strerror(-rc));
		goto out;
	}
	rc = choose_programs(q, o->spec, path, btf);
	if (rc) {
		snprintf(err, errlen, "kernel lacks the sched_switch/sched_wakeup/"
			 "sched_process_exit tracepoints");
		goto out;
	}
	btf__free(btf);
	btf = NULL;
	rc = request_bpf__load(q->skel);
	if (rc) {
		snprintf(err, errlen, "load the request programs (%s faults): %s",
			 fault_path_names[path], strerror(-rc));
		goto out;
	}
	rc = attach_kernel_side(q, err, errlen);
	if (!rc)
		q->fault = path;
out:
	btf__free(btf);
	if (rc) {
		detach_all(q);
		request_bpf__destroy(q->skel);
		q->skel = NULL;
	}
	return rc;
}

/* A ring record (struct nl_request_wire, then the reason split when it migrated) as
 * the model's struct nl_request. */
static void from_wire(const void *data, size_t size, struct nl_request *r)
{
	struct nl_request_wire w;

	memcpy(&w, data, sizeof(w)); /* ring records are 8-byte aligned only */
	memset(r, 0, sizeof(*r));
	r->start_ns = w.start_ns;
	r->latency_ns = w.latency_ns;
	memcpy(r->causes_ns, w.causes_ns, sizeof(w.causes_ns));
	if (size >= sizeof(w) + sizeof(r->migrate_stall_by_reason))
		memcpy(r->migrate_stall_by_reason, (const char *)data + sizeof(w),
		       sizeof(r->migrate_stall_by_reason));
	r->tid = w.tid;
	r->tgid = w.tgid;
	r->hint_faults = w.hint_faults;
	r->migrate_calls = w.migrate_calls;
	r->migrated_pages = w.migrated_pages;
	r->numa_moves = w.numa_moves;
	r->ipis = w.ipis;
	r->reclaims = w.reclaims;
	r->cpu_start = w.cpu_start;
	r->cpu_end = w.cpu_end;
	r->flags = w.flags;
	r->depth_max = w.depth_max;
}

static int on_ring(void *ctx, void *data, size_t size)
{
	struct nl_requests *q = ctx;
	struct nl_request r;

	if (size < sizeof(struct nl_request_wire))
		return 0;
	from_wire(data, size, &r);
	q->fn_rc = q->fn(q->fn_ctx, &r);
	return q->fn_rc < 0 ? q->fn_rc : 0;
}

static int open_kernel_side(struct nl_requests *q, const struct nl_request_opts *o, char *err,
			    size_t errlen)
{
	char e[256] = "";
	int rc = -ENOTSUP;

	for (int path = FAULT_FENTRY; path <= FAULT_NONE; path++) {
		rc = try_path(q, o, path, e, sizeof(e));
		if (!rc)
			return 0;
		if (rc != -ENOTSUP && path < FAULT_NONE)
			nl_appendf(q->fault_why, sizeof(q->fault_why), "%s; ", e);
	}
	snprintf(err, errlen, "%s", e);
	return rc;
}

int nl_requests_open(const struct nl_request_opts *o, struct nl_requests **out, char *err,
		     size_t errlen)
{
	struct nl_requests *q = calloc(1, sizeof(*q));
	int rc;

	*out = NULL;
	if (!q) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	q->nr_cpus = libbpf_num_possible_cpus();
	rc = open_kernel_side(q, o, err, errlen);
	if (rc)
		goto fail;
	rc = o->spec->syscalls ? attach_syscalls(q, o->spec, err, errlen) :
	     o->spec->usdt ? attach_usdt(q, o->spec, err, errlen) :
			     attach_uprobes(q, o->spec, err, errlen);
	if (rc)
		goto fail;
	q->ring = ring_buffer__new(bpf_map__fd(q->skel->maps.rq_events), on_ring, q, NULL);
	if (!q->ring) {
		rc = -errno;
		snprintf(err, errlen, "request ring buffer: %s", strerror(-rc));
		goto fail;
	}
	*out = q;
	return 0;
fail:
	nl_requests_close(q);
	return rc;
}

int nl_requests_describe(const struct nl_requests *q, struct nl_source_state *src)
{
	char fault[320];

	if (q->fault == FAULT_NONE)
		snprintf(fault, sizeof(fault), "hint_fault and numa_scan not measured (%sneeds "
			 "fentry or kprobe on handle_mm_fault, task_numa_fault, task_numa_work): their "
			 "time is in on_cpu",
			 q->fault_why);
	else
		snprintf(fault, sizeof(fault), "hint_fault and numa_scan by %s "
			 "handle_mm_fault+task_numa_fault, task_numa_work",
			 fault_path_names[q->fault]);
	return nl_source_set(&src[NL_SRC_REQUESTS], true, "%s; causes by tp_btf sched_switch, "
			     "sched_wakeup, NUMA moves, migrate_pages, call_function IPIs, direct "
			     "reclaim/compaction; %s%s%s", q->boundary, fault,
			     q->missing[0] ? "; off: " : "", q->missing);
}

/* Runs of these programs the kernel skipped (collect/prog_misses.h): a request boundary
 * or a cause not seen, so they are lost events. */
static int account_skipped_runs(struct nl_requests *q, struct nl_snapshot *cum)
{
	return nl_prog_misses_account(q->skel->obj, NULL, 0, &cum->lost_events,
				      &cum->sources[NL_SRC_REQUESTS]);
}

int nl_requests_sample(struct nl_requests *q, struct nl_snapshot *cum)
{
	size_t sz = sizeof(__u64) * (NL_RQ_HIST_SLOTS + 3); /* struct rq_hist */
	__u64 *h = calloc((size_t)q->nr_cpus, sz), *d = calloc((size_t)q->nr_cpus, sizeof(__u64));
	__u32 zero = 0;
	int rc = -ENOMEM;

	if (!h || !d)
		goto out;
	rc = bpf_map_lookup_elem(bpf_map__fd(q->skel->maps.rq_hist), &zero, h);
	if (rc) {
		rc = -errno;
		goto out;
	}
	memset(&cum->rq, 0, sizeof(cum->rq));
	cum->rq.valid = true;
	for (int c = 0; c < q->nr_cpus; c++) {
		const __u64 *v = h + (size_t)c * (NL_RQ_HIST_SLOTS + 3);

		for (int b = 0; b < NL_RQ_HIST_BUCKETS; b++)
			cum->rq.hist.b[b] += v[b];
		cum->rq.hist.count += v[NL_RQ_HIST_SLOTS];
		cum->rq.exited += v[NL_RQ_HIST_SLOTS + 1];
		cum->rq.sum_ns += v[NL_RQ_HIST_SLOTS + 2];
	}
	for (__u32 k = 0; k < NL_RQ_DROP_MAX; k++) {
		if (bpf_map_lookup_elem(bpf_map__fd(q->skel->maps.rq_drops), &k, d))
			continue;
		for (int c = 0; c < q->nr_cpus; c++)
			cum->rq.drops[k] += d[c];
		if (k != NL_RQ_DROP_DEPTH) /* a return without entry loses nothing measured */
			cum->lost_events += cum->rq.drops[k];
	}
	rc = account_skipped_runs(q, cum);
out:
	free(h);
	free(d);
	return rc;
}

int nl_requests_drain(struct nl_requests *q, int (*fn)(void *ctx, const struct nl_request *r),
		      void *ctx)
{
	q->fn = fn;
	q->fn_ctx = ctx;
	q->fn_rc = 0;
	int n = ring_buffer__consume(q->ring);
	if (q->fn_rc < 0)
		return q->fn_rc;
	return n;
}

void nl_requests_close(struct nl_requests *q)
{
	if (!q)
		return;
	ring_buffer__free(q->ring);
	detach_all(q);
	request_bpf__destroy(q->skel);
	free(q);
}
