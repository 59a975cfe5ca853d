#include "analyze/diagnose.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"

/* Where, and how concentrated, a per-node quantity is. */
struct concentration {
	int node;
	uint64_t total;
	double share; /* of total on node */
};

static struct concentration concentrate(const uint64_t v[NL_MAX_NODES])
{
	struct concentration c = { .node = 0 };
	uint64_t best = 0;

	for (int n = 0; n < NL_MAX_NODES; n++) {
		c.total += v[n];
		if (v[n] > best) {
			best = v[n];
			c.node = n;
		}
	}
	c.share = c.total ? (double)best / (double)c.total : 0;
	return c;
}

static int pct(double share)
{
	return (int)(share * 100.0 + 0.5);
}

/* Library and runtime code that touches pages on someone else's behalf: the culprit
 * is the first frame above it. Names are matched without their "+0x.." offset. */
static bool is_runtime_symbol(const char *name, size_t len)
{
	static const char *const names[] = {
		"memset", "memcpy", "memmove", "bzero", "explicit_bzero", "calloc", "malloc",
		"realloc", "reallocarray", "posix_memalign", "aligned_alloc", "memalign",
		"valloc", "pvalloc", "mmap", "mmap64", "strcpy", "strncpy", "read", "pread",
		"pread64", "fread", "start_thread", "clone", "clone3", "_start",
	};

	/* glibc internals (__memset_avx2_unaligned_erms, __libc_start_main, _dl_*, _IO_*)
	 * and C++ operator new (_Znwm, _Znam) */
	if ((len >= 2 && name[0] == '_' && name[1] == '_') || strncmp(name, "_dl_", 4) == 0 ||
	    strncmp(name, "_IO_", 4) == 0 || strncmp(name, "_Znw", 4) == 0 ||
	    strncmp(name, "_Zna", 4) == 0)
		return true;
	for (size_t i = 0; i < NL_ARRAY_SIZE(names); i++)
		if (strlen(names[i]) == len && strncmp(name, names[i], len) == 0)
			return true;
	return false;
}

static bool is_runtime_module(const char *module)
{
	static const char *const prefixes[] = { "libc.so", "libc-", "ld-linux", "libpthread",
						"libstdc++", "libgcc_s", "libm.so" };
	const char *base = strrchr(module, '/');

	base = base ? base + 1 : module;
	for (size_t i = 0; i < NL_ARRAY_SIZE(prefixes); i++)
		if (strncmp(base, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return false;
}

/* The first frame naming the application's own function: not libc, not a bare
 * address. Writes "init_weights" into buf; false if there is none. */
static bool culprit_function(const struct nl_stack *st, char *buf, size_t len)
{
	for (int i = 0; st && i < st->nr && i < NL_MAX_FRAMES; i++) {
		const struct nl_frame *f = &st->frames[i];
		const char *plus;
		size_t n;

		if (!f->symbol || f->symbol[0] == '[' || (f->module && is_runtime_module(f->module)))
			continue;
		plus = strstr(f->symbol, "+0x");
		n = plus ? (size_t)(plus - f->symbol) : strlen(f->symbol);
		if (n == 0 || is_runtime_symbol(f->symbol, n))
			continue;
		snprintf(buf, len, "%.*s", (int)n, f->symbol);
		return true;
	}
	return false;
}

static void none(struct nl_diagnosis *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void none(struct nl_diagnosis *out, const char *fmt, ...)
{
	va_list ap;

	out->kind = NL_DIAG_NONE;
	va_start(ap, fmt);
	vsnprintf(out->text, sizeof(out->text), fmt, ap);
	va_end(ap);
	out->fix[0] = '\0';
}

/* The sentence about who placed the pages on mem_node. */
static void describe_initializer(const struct nl_process *p, int mem_node,
				 struct nl_diagnosis *out, char *buf, size_t len)
{
	const struct nl_thread *top = NULL;
	uint64_t placed = 0, resident = p->resident_pages[mem_node];
	char func[128], partial[160] = "";

	for (int i = 0; i < p->nr_threads; i++) {
		const struct nl_thread *t = &p->threads[i];
		placed += t->c.first_touch_pages[mem_node];
		if (!top || t->c.first_touch_pages[mem_node] > top->c.first_touch_pages[mem_node])
			top = t;
	}
	if (placed == 0) {
		snprintf(buf, len, "initializer unknown (pages were placed before numalens attached)");
		return;
	}
	if ((double)placed < NL_DIAG_MIN_COVERAGE * (double)resident)
		snprintf(partial, sizeof(partial),
			 " (numalens saw only %d%% of them being placed; the rest predate it)",
			 pct((double)placed / (double)resident));

	double share = (double)top->c.first_touch_pages[mem_node] / (double)placed;
	if (share < NL_DIAG_INIT_SHARE) {
		snprintf(buf, len,
			 "no single thread placed most of them (the most, %d%%, by thread %u (%s))%s",
			 pct(share), top->tid, top->comm, partial);
		return;
	}
	out->init_tid = top->tid;
	memcpy(out->init_comm, top->comm, sizeof(out->init_comm));
	out->init_comm[sizeof(out->init_comm) - 1] = '\0';

	const char *where;
	char in_func[160];
	if (culprit_function(top->first_touch_stack, func, sizeof(func))) {
		snprintf(in_func, sizeof(in_func), " in %s()", func);
		where = in_func;
	} else if (top->first_touch_stack) {
		where = " (its call stack could not be symbolized)";
	} else {
		where = " (no call stack was captured)";
	}
	snprintf(buf, len, "thread %u (%s%s) first touched %d%% of them%s%s", top->tid, top->comm,
		 top->exited ? ", exited" : "", pct(share), where, partial);
}

/* Base pages on node that sit in mappings with an explicit policy; *policy names the
 * mapping holding most of them (the kernel's spelling, e.g. "bind:1"). */
static uint64_t policy_pages_on(const struct nl_process *p, int node, const char **policy)
{
	uint64_t sum = 0, best = 0;

	for (int i = 0; i < p->nr_vmas; i++) {
		const struct nl_vma *v = &p->vmas[i];
		if (!strncmp(v->policy, "default", 7) || !strncmp(v->policy, "local", 5))
			continue;
		uint64_t n = nl_vma_base_pages(v, node);
		sum += n;
		if (n > best) {
			best = n;
			*policy = v->policy;
		}
	}
	return sum;
}

void nl_diagnose(const struct nl_topo_summary *topo, const struct nl_process *p,
		 const char *cmdline, struct nl_diagnosis *out)
{
	uint64_t cpu_ns[NL_MAX_NODES];
	struct concentration mem, cpu;
	char who[320]; /* sized so the whole text always fits in nl_diagnosis.text */

	memset(out, 0, sizeof(*out));
	out->mem_node = -1;
	out->cpu_node = -1;
	if (!topo || topo->nr_nodes < 2) {
		none(out, "One NUMA node: every access is local, so there is no placement to get wrong.");
		return;
	}
	if (!p->resident_known) {
		none(out, "Residency unknown (numa_maps could not be read): no placement diagnosis.");
		return;
	}

	memcpy(cpu_ns, p->c.cpu_ns, sizeof(cpu_ns));
	mem = concentrate(p->resident_pages);
	cpu = concentrate(cpu_ns);
	if (cpu.total == 0) { /* a collector that filled only the threads */
		for (int i = 0; i < p->nr_threads; i++)
			for (int n = 0; n < NL_MAX_NODES; n++)
				cpu_ns[n] += p->threads[i].c.cpu_ns[n];
		cpu = concentrate(cpu_ns);
	}
	out->mem_node = mem.node;
	out->cpu_node = cpu.node;
	out->resident_share = mem.share;
	out->cpu_share = cpu.share;

	if (mem.total < NL_DIAG_MIN_RESIDENT_PAGES || cpu.total < NL_DIAG_MIN_CPU_NS) {
		none(out,
		     "Too small to judge: %" PRIu64 " resident pages and %" PRIu64 " ms of CPU "
		     "(placement is diagnosed from %d pages and %llu ms).",
		     mem.total, cpu.total / 1000000, NL_DIAG_MIN_RESIDENT_PAGES,
		     NL_DIAG_MIN_CPU_NS / 1000000);
		return;
	}
	if (mem.share < NL_DIAG_MEM_SHARE) {
		none(out,
		     "Memory is spread over nodes (at most %d%% of resident pages on node %d): no "
		     "single node holds the pages, so this is not the first-touch bug.",
		     pct(mem.share), mem.node);
		return;
	}
	if (cpu.share < NL_DIAG_CPU_SHARE) {
		none(out,
		     "CPU time is spread over nodes (at most %d%% on node %d) while %d%% of resident "
		     "pages are on node %d: no single misplaced consumer.",
		     pct(cpu.share), cpu.node, pct(mem.share), mem.node);
		return;
	}
	if (mem.node == cpu.node) {
		none(out, "Placement is local: %d%% of resident pages and %d%% of CPU time are on node %d.",
		     pct(mem.share), pct(cpu.share), mem.node);
		return;
	}

	/* Pages an explicit policy (mbind, set_mempolicy, numactl --membind/--preferred/
	 * --interleave) put on that node were placed on purpose, not by a first touch. */
	const char *policy = NULL;
	uint64_t by_policy = policy_pages_on(p, mem.node, &policy);
	uint64_t on_node = p->resident_pages[mem.node];
	if (on_node && (double)by_policy / (double)on_node >= NL_DIAG_POLICY_SHARE &&
	    nl_topo_memory_only(topo, mem.node)) {
		/* no thread can run there: the only other choice is where the memory goes */
		none(out,
		     "%d%% of resident pages are on node %d, a memory-only node (no CPUs), placed "
		     "by an explicit memory policy (%s, %d%% of the pages on node %d); %d%% of CPU "
		     "time runs on node %d. Every access is remote by design; if that is not "
		     "intended, bind the memory to node %d (numactl --membind=%d).",
		     pct(mem.share), mem.node, policy, pct((double)by_policy / (double)on_node),
		     mem.node, pct(cpu.share), cpu.node, cpu.node, cpu.node);
		return;
	}
	if (on_node && (double)by_policy / (double)on_node >= NL_DIAG_POLICY_SHARE) {
		none(out,
		     "%d%% of resident pages are on node %d but %d%% of CPU time runs on node %d: "
		     "remote, but placed by an explicit memory policy (%s, %d%% of the pages on "
		     "node %d), not by a first touch. If that is not intended, run the threads on "
		     "node %d (numactl --cpunodebind=%d) or change the policy.",
		     pct(mem.share), mem.node, pct(cpu.share), cpu.node, policy,
		     pct((double)by_policy / (double)on_node), mem.node, mem.node, mem.node);
		return;
	}

	out->kind = NL_DIAG_FIRST_TOUCH_BUG;
	describe_initializer(p, mem.node, out, who, sizeof(who));
	snprintf(out->text, sizeof(out->text),
		 "%d%% of resident pages are on node %d but %d%% of CPU time runs on node %d; %s. "
		 "Every access from node %d to them crosses the interconnect.",
		 pct(mem.share), mem.node, pct(cpu.share), cpu.node, who, cpu.node);
	if (snprintf(out->fix, sizeof(out->fix),
		     "pin the initializer: numactl --cpunodebind=%d --membind=%d %s; "
		     "or migrate now: migratepages %u %d %d; "
		     "or first-touch from the worker (initialize the data in the thread that uses it)",
		     cpu.node, cpu.node, cmdline ? cmdline : "<command>", p->pid, mem.node,
		     cpu.node) >= (int)sizeof(out->fix))
		/* a command line too long to show: keep the commands exact, elide the command */
		snprintf(out->fix, sizeof(out->fix),
			 "pin the initializer: numactl --cpunodebind=%d --membind=%d <command>; "
			 "or migrate now: migratepages %u %d %d; "
			 "or first-touch from the worker (initialize the data in the thread that uses it)",
			 cpu.node, cpu.node, p->pid, mem.node, cpu.node);
}

/* Appends one argument, single-quoted unless every character is shell-safe. */
static int append_quoted(char *buf, size_t len, size_t *off, const char *arg)
{
	static const char safe[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				   "0123456789_@%+=:,./-";
	bool plain = *arg && strspn(arg, safe) == strlen(arg);

#define PUT(ch)                           \
	do {                              \
		if (*off + 1 >= len)      \
			return -ENOSPC;   \
		buf[(*off)++] = (ch);     \
	} while (0)

	if (*off)
		PUT(' ');
	if (plain) {
		for (const char *c = arg; *c; c++)
			PUT(*c);
	} else {
		PUT('\'');
		for (const char *c = arg; *c; c++) {
			if (*c == '\'') { /* close, escaped quote, reopen */
				PUT('\'');
				PUT('\\');
				PUT('\'');
			}
			PUT(*c);
		}
		PUT('\'');
	}
#undef PUT
	buf[*off] = '\0';
	return 0;
}

int nl_diag_read_cmdline(const char *root, uint32_t pid, char *buf, size_t len)
{
	char rel[64], *path, raw[4096];
	size_t off = 0, got = 0;
	ssize_t n = 0;
	int fd, err = 0;

	if (len == 0)
		return -ENOSPC;
	buf[0] = '\0';
	snprintf(rel, sizeof(rel), "/proc/%u/cmdline", pid);
	path = nl_path(root, rel);
	if (!path)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	/* one page of arguments is plenty for a command to copy into a fix */
	while (got < sizeof(raw) - 1 && (n = read(fd, raw + got, sizeof(raw) - 1 - got)) > 0)
		got += (size_t)n;
	if (n < 0 && got == 0)
		err = -errno;
	close(fd);
	if (err)
		return err;
	if (got == 0)
		return -ENOENT;
	if (got == sizeof(raw) - 1)
		return -ENOSPC;
	raw[got] = '\0';
	for (size_t i = 0; i < got; i += strlen(raw + i) + 1) {
		err = append_quoted(buf, len, &off, raw + i);
		if (err)
			return err;
	}
	return 0;
}
