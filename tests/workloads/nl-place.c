/* nl-place: an anonymous buffer whose NUMA placement is known by construction.
 *
 * The process pins itself to a node's CPUs, sets a memory policy on a fresh mmap'd buffer
 * (mbind, so only this buffer is affected), writes every page, and prints ONE line once the
 * buffer is placed:
 *
 *   nl-place: pid=123 mode=bind cpu_node=0 mem_nodes=1 addr=0x7f.. pages=16384 expect=N1=16384
 *
 * expect= is where the kernel must have put the pages, in numa_maps' notation. With
 * --verify it then asks the kernel (move_pages(2) with a NULL node list) and prints
 *
 *   nl-place: verify measured=N1=16384 missing=0 ok        (or MISMATCH, exit 1)
 *
 * Afterwards it streams reads over the buffer for --seconds (so profilers see accesses) and,
 * with --pause, holds the buffer until SIGUSR1, SIGINT or SIGTERM (so a test can read
 * /proc/PID/numa_maps at leisure). Pages are 4 KiB (MADV_NOHUGEPAGE) unless --thp.
 *
 * --hugetlb: the buffer is MAP_HUGETLB|MAP_HUGE_2MB instead (the size rounded up to 2 MiB),
 * taken from the 2 MiB hugetlb pool; pages= and expect= then count 2 MiB pages, as
 * numa_maps does for such a mapping. An empty pool is an error (exit 1), not a SIGBUS.
 *
 * --hop-node B --hop-ms MS: while streaming, the process moves itself between its node's
 * CPUs and node B's every MS ms: a thread the scheduler keeps moving across nodes, made
 * by construction instead of left to chance.
 */
#include <getopt.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MAP_HUGETLB
#define MAP_HUGETLB 0x40000
#endif
#ifndef MAP_HUGE_SHIFT
#define MAP_HUGE_SHIFT 26
#endif
#ifndef MAP_HUGE_2MB
#define MAP_HUGE_2MB (21 << MAP_HUGE_SHIFT)
#endif
#define HUGE_2M (2UL << 20)

#include "workload.h"

static const char *prog = "nl-place";

enum mode { MODE_BIND, MODE_INTERLEAVE, MODE_LOCAL };

struct options {
	enum mode mode;
	int cpu_node;            /* -1: not pinned */
	int mem_node;            /* bind only */
	wl_nodemask nodes;       /* interleave only */
	uint64_t mib;
	double seconds;
	int pause;
	int verify;
	int thp;
	int hugetlb;             /* --hugetlb: 2 MiB hugetlb pages */
	int hop_node;            /* --hop-node; -1: stay */
	uint64_t hop_ms;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: nl-place bind --cpu-node A --mem-node B [OPTIONS]\n"
		"       nl-place interleave [--nodes LIST] [--cpu-node A] [OPTIONS]\n"
		"       nl-place local --cpu-node A [OPTIONS]\n"
		"\n"
		"Places an anonymous buffer: bind = mbind(MPOL_BIND) to node B; interleave =\n"
		"mbind(MPOL_INTERLEAVE) over LIST (default: every node with memory); local = the\n"
		"default first-touch policy. The process runs on node A's CPUs. Prints one line\n"
		"'nl-place: pid=.. mode=.. cpu_node=.. mem_nodes=.. addr=.. pages=.. expect=N1=..'.\n"
		"\n"
		"  --cpu-node A     run on the CPUs of node A (interleave: optional)\n"
		"  --mem-node B     bind: the node to allocate on\n"
		"  --nodes LIST     interleave: nodes, e.g. 0-3 or 0,2\n"
		"  --mib N          buffer size in MiB (default 64, 1..65536)\n"
		"  --seconds S      after placing, stream reads over the buffer for S seconds (default 0)\n"
		"  --pause          then hold the buffer until SIGUSR1, SIGINT or SIGTERM\n"
		"  --verify         check the placement with move_pages(2); exit 1 if it differs\n"
		"  --hop-node B     while streaming, move between node A's and node B's CPUs ...\n"
		"  --hop-ms MS      ... every MS ms (1..60000): a thread that keeps changing nodes\n"
		"  --thp            allow transparent huge pages (default: 4 KiB pages only);\n"
		"                   not with interleave --verify (huge pages interleave differently)\n"
		"  --hugetlb        take the buffer from the 2 MiB hugetlb pool (MAP_HUGETLB,\n"
		"                   size rounded up to 2 MiB; pages= and expect= count 2 MiB\n"
		"                   pages); an empty pool is an error (exit 1)\n"
		"  -h, --help       this text\n"
		"Exit status: 0 ok, 1 failure or verify mismatch, 2 usage error.\n");
}

static int parse_args(int argc, char **argv, struct options *o)
{
	enum { OPT_CPU = 256, OPT_MEM, OPT_NODES, OPT_MIB, OPT_SECONDS, OPT_PAUSE, OPT_VERIFY, OPT_THP,
	       OPT_HOP_NODE, OPT_HOP_MS, OPT_HUGETLB };
	static const struct option longopts[] = {
		{ "cpu-node", required_argument, NULL, OPT_CPU },
		{ "mem-node", required_argument, NULL, OPT_MEM },
		{ "nodes",    required_argument, NULL, OPT_NODES },
		{ "mib",      required_argument, NULL, OPT_MIB },
		{ "seconds",  required_argument, NULL, OPT_SECONDS },
		{ "pause",    no_argument,       NULL, OPT_PAUSE },
		{ "verify",   no_argument,       NULL, OPT_VERIFY },
		{ "thp",      no_argument,       NULL, OPT_THP },
		{ "hugetlb",  no_argument,       NULL, OPT_HUGETLB },
		{ "hop-node", required_argument, NULL, OPT_HOP_NODE },
		{ "hop-ms",   required_argument, NULL, OPT_HOP_MS },
		{ "help",     no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *nodes_arg = NULL;
	int c, have_mem = 0;

	memset(o, 0, sizeof(*o));
	o->cpu_node = -1;
	o->hop_node = -1;
	o->mem_node = -1;
	o->mib = 64;
	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		exit(0);
	}
	if (argc < 2 || argv[1][0] == '-') {
		fprintf(stderr, "%s: missing mode (bind, interleave or local)\n", prog);
		return -1;
	}
	if (!strcmp(argv[1], "bind"))
		o->mode = MODE_BIND;
	else if (!strcmp(argv[1], "interleave"))
		o->mode = MODE_INTERLEAVE;
	else if (!strcmp(argv[1], "local"))
		o->mode = MODE_LOCAL;
	else {
		fprintf(stderr, "%s: unknown mode '%s' (bind, interleave or local)\n", prog, argv[1]);
		return -1;
	}

	optind = 2;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_CPU:
			if (wl_parse_node(prog, "--cpu-node", optarg, "has_cpu", &o->cpu_node) < 0)
				return -1;
			break;
		case OPT_MEM:
			if (wl_parse_node(prog, "--mem-node", optarg, "has_memory", &o->mem_node) < 0)
				return -1;
			have_mem = 1;
			break;
		case OPT_NODES:
			nodes_arg = optarg;
			break;
		case OPT_MIB:
			if (wl_parse_u64(optarg, 1, 65536, &o->mib) < 0) {
				fprintf(stderr, "%s: --mib wants 1..65536, got '%s'\n", prog, optarg);
				return -1;
			}
			break;
		case OPT_SECONDS:
			if (wl_parse_seconds(optarg, &o->seconds) < 0) {
				fprintf(stderr, "%s: --seconds wants 0..86400, got '%s'\n", prog, optarg);
				return -1;
			}
			break;
		case OPT_PAUSE:  o->pause = 1; break;
		case OPT_VERIFY: o->verify = 1; break;
		case OPT_THP:    o->thp = 1; break;
		case OPT_HUGETLB: o->hugetlb = 1; break;
		case OPT_HOP_NODE:
			if (wl_parse_node(prog, "--hop-node", optarg, "has_cpu", &o->hop_node) < 0)
				return -1;
			break;
		case OPT_HOP_MS:
			if (wl_parse_u64(optarg, 1, 60000, &o->hop_ms) < 0) {
				fprintf(stderr, "%s: --hop-ms wants 1..60000, got '%s'\n", prog, optarg);
				return -1;
			}
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", prog, argv[optind]);
		return -1;
	}
	if (o->thp && o->hugetlb) {
		fprintf(stderr, "%s: --thp and --hugetlb do not go together\n", prog);
		return -1;
	}
	if ((o->hop_node >= 0) != (o->hop_ms > 0) || (o->hop_node >= 0 && o->cpu_node < 0)) {
		fprintf(stderr, "%s: --hop-node and --hop-ms go together, with --cpu-node\n", prog);
		return -1;
	}

	switch (o->mode) {
	case MODE_BIND:
		if (o->cpu_node < 0 || !have_mem) {
			fprintf(stderr, "%s: bind needs --cpu-node and --mem-node\n", prog);
			return -1;
		}
		break;
	case MODE_LOCAL:
		if (o->cpu_node < 0) {
			fprintf(stderr, "%s: local needs --cpu-node\n", prog);
			return -1;
		}
		break;
	case MODE_INTERLEAVE:
		break;
	}
	if (o->mode != MODE_BIND && have_mem) {
		fprintf(stderr, "%s: --mem-node is for bind only\n", prog);
		return -1;
	}
	if (o->mode != MODE_INTERLEAVE && nodes_arg) {
		fprintf(stderr, "%s: --nodes is for interleave only\n", prog);
		return -1;
	}
	if (o->mode == MODE_INTERLEAVE) {
		wl_nodemask mem;

		if (wl_sysfs_nodes("has_memory", &mem) < 0) {
			fprintf(stderr, "%s: cannot read /sys/devices/system/node/has_memory\n", prog);
			return -1;
		}
		if (!nodes_arg) {
			o->nodes = mem;
		} else if (wl_parse_nodelist(nodes_arg, &o->nodes) < 0) {
			fprintf(stderr, "%s: --nodes wants a list like 0-3 or 0,2, got '%s'\n", prog, nodes_arg);
			return -1;
		}
		for (int n = 0; n < WL_MAX_NODES; n++) {
			if (wl_mask_isset(&o->nodes, n) && !wl_mask_isset(&mem, n)) {
				fprintf(stderr, "%s: --nodes: node %d has no memory or does not exist\n", prog, n);
				return -1;
			}
		}
		if (o->thp && o->verify) {
			fprintf(stderr, "%s: interleave --verify needs 4 KiB pages (drop --thp)\n", prog);
			return -1;
		}
	}
	return 0;
}

/* Where the kernel must put page i of the buffer. Interleave on a VMA picks, for the page at
 * virtual page number v, the (v mod k)-th of the k policy nodes (mm/mempolicy.c
 * interleave_nid: an anonymous VMA's vm_pgoff is its start address >> PAGE_SHIFT). */
static void expected_counts(const struct options *o, uintptr_t addr, size_t pages, size_t pgsz,
			    long *expect)
{
	int order[WL_MAX_NODES], k = 0;

	switch (o->mode) {
	case MODE_BIND:
		expect[o->mem_node] = (long)pages;
		return;
	case MODE_LOCAL:
		expect[o->cpu_node] = (long)pages;
		return;
	case MODE_INTERLEAVE:
		for (int n = 0; n < WL_MAX_NODES; n++)
			if (wl_mask_isset(&o->nodes, n))
				order[k++] = n;
		for (size_t i = 0; i < pages; i++)
			expect[order[(addr / pgsz + i) % (size_t)k]]++;
		return;
	}
}

static void format_nodes(const struct options *o, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	if (o->mode == MODE_BIND) {
		snprintf(buf, size, "%d", o->mem_node);
	} else if (o->mode == MODE_LOCAL) {
		snprintf(buf, size, "%d", o->cpu_node);
	} else {
		for (int n = 0; n < WL_MAX_NODES && used < size; n++)
			if (wl_mask_isset(&o->nodes, n))
				used += snprintf(buf + used, size - used, "%s%d", used ? "," : "", n);
	}
}

static volatile uint64_t sink;

/* --hugetlb: a fault the pool (on the bound nodes) cannot satisfy is a SIGBUS. */
static void on_sigbus(int sig)
{
	static const char msg[] = "nl-place: SIGBUS touching the hugetlb buffer: no free 2 MiB "
				  "huge page on the buffer's nodes (nr_hugepages)\n";

	(void)sig;
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
		/* nothing more to do */
	}
	_exit(1);
}

/* --hop-node: once the hop interval is over, pins to the other of the two nodes. */
static void maybe_hop(const struct options *o, uint64_t now, uint64_t *next, int *away)
{
	if (o->hop_node < 0 || now < *next)
		return;
	*away = !*away;
	if (wl_pin_to_node(*away ? o->hop_node : o->cpu_node) < 0)
		fprintf(stderr, "%s: cannot move to node %d: %s\n", prog,
			*away ? o->hop_node : o->cpu_node, strerror(errno));
	*next = now + o->hop_ms * 1000000ULL;
}

/* Reads one word per cache line, pass after pass, until the deadline. */
static uint64_t stream_reads(const struct options *o, const unsigned char *buf, size_t len)
{
	uint64_t deadline = wl_now_ns() + (uint64_t)(o->seconds * 1e9), passes = 0, sum = 0;
	uint64_t next_hop = wl_now_ns() + o->hop_ms * 1000000ULL;
	int away = 0;

	while (wl_now_ns() < deadline) {
		for (size_t off = 0; off < len; off += 64) {
			sum += *(const volatile uint64_t *)(buf + off);
			if ((off & ((1UL << 20) - 1)) != 0)
				continue;
			uint64_t now = wl_now_ns();
			if (now >= deadline)
				break;
			maybe_hop(o, now, &next_hop, &away);
		}
		passes++;
	}
	sink = sum;
	return passes;
}

int main(int argc, char **argv)
{
	static long expect[WL_MAX_NODES], measured[WL_MAX_NODES];
	static const char *mode_names[] = { "bind", "interleave", "local" };
	struct options o;
	char cpu_buf[16], nodes_buf[4096], expect_buf[8192], measured_buf[8192];
	sigset_t sigs;
	size_t len, pages, pgsz = WL_PAGE;
	unsigned char *buf;
	long missing = 0;
	int sig, rc = 1;

	if (parse_args(argc, argv, &o) < 0) {
		fprintf(stderr, "try '%s --help'\n", prog);
		return 2;
	}
	len = (size_t)o.mib << 20;
	if (o.hugetlb) {
		pgsz = HUGE_2M;
		len = (len + HUGE_2M - 1) / HUGE_2M * HUGE_2M;
	}
	pages = len / pgsz;

	/* Blocked before anything is printed, so a signal sent right after the line is seen
	 * is kept until sigwait. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGUSR1);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	if (o.pause && sigprocmask(SIG_BLOCK, &sigs, NULL) < 0) {
		fprintf(stderr, "%s: sigprocmask: %s\n", prog, strerror(errno));
		return 1;
	}

	if (o.cpu_node >= 0 && wl_pin_to_node(o.cpu_node) < 0) {
		fprintf(stderr, "%s: cannot run on node %d's CPUs: %s\n", prog, o.cpu_node, strerror(errno));
		return 1;
	}
	buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | (o.hugetlb ? MAP_HUGETLB | MAP_HUGE_2MB : 0), -1, 0);
	if (buf == MAP_FAILED) {
		if (o.hugetlb)
			fprintf(stderr, "%s: mmap %zu bytes of 2 MiB hugetlb pages: %s (is the pool "
				"empty? /proc/sys/vm/nr_hugepages)\n", prog, len, strerror(errno));
		else
			fprintf(stderr, "%s: mmap %zu bytes: %s\n", prog, len, strerror(errno));
		return 1;
	}
	if (o.hugetlb)
		signal(SIGBUS, on_sigbus);
	else if (madvise(buf, len, o.thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE) < 0 && !o.thp) {
		fprintf(stderr, "%s: madvise(MADV_NOHUGEPAGE): %s\n", prog, strerror(errno));
		goto cleanup;
	}

	if (o.mode == MODE_BIND || o.mode == MODE_INTERLEAVE) {
		wl_nodemask m = { { 0 } };
		int mpol = MPOL_INTERLEAVE;

		if (o.mode == MODE_BIND) {
			wl_mask_set(&m, o.mem_node);
			mpol = MPOL_BIND;
		} else {
			m = o.nodes;
		}
		if (wl_mbind(buf, len, mpol, &m) < 0) {
			fprintf(stderr, "%s: mbind: %s\n", prog, strerror(errno));
			goto cleanup;
		}
	}

	/* First touch: one write per page, from the pinned thread. */
	for (size_t i = 0; i < pages; i++)
		buf[i * pgsz] = (unsigned char)i;
	if (o.hugetlb)
		signal(SIGBUS, SIG_DFL);

	expected_counts(&o, (uintptr_t)buf, pages, pgsz, expect);
	wl_format_counts(expect, expect_buf, sizeof(expect_buf));
	format_nodes(&o, nodes_buf, sizeof(nodes_buf));
	if (o.cpu_node >= 0)
		snprintf(cpu_buf, sizeof(cpu_buf), "%d", o.cpu_node);
	else
		snprintf(cpu_buf, sizeof(cpu_buf), "any");
	printf("nl-place: pid=%d mode=%s cpu_node=%s mem_nodes=%s addr=%p pages=%zu expect=%s\n",
	       (int)getpid(), mode_names[o.mode], cpu_buf, nodes_buf, (void *)buf, pages, expect_buf);
	fflush(stdout);

	if (o.verify) {
		int same = 1;

		/* one query per 4 KiB; a 2 MiB page answers for each of its 512 */
		if (wl_count_pages(buf, len / WL_PAGE, measured, &missing) < 0) {
			fprintf(stderr, "%s: move_pages: %s\n", prog, strerror(errno));
			goto cleanup;
		}
		for (int n = 0; n < WL_MAX_NODES; n++)
			measured[n] /= (long)(pgsz / WL_PAGE);
		missing /= (long)(pgsz / WL_PAGE);
		for (int n = 0; n < WL_MAX_NODES; n++)
			same &= measured[n] == expect[n];
		same &= missing == 0;
		wl_format_counts(measured, measured_buf, sizeof(measured_buf));
		printf("nl-place: verify measured=%s missing=%ld %s\n", measured_buf, missing,
		       same ? "ok" : "MISMATCH");
		fflush(stdout);
		if (!same)
			goto cleanup;
	}

	if (o.seconds > 0)
		stream_reads(&o, buf, len);
	if (o.pause && sigwait(&sigs, &sig) != 0) {
		fprintf(stderr, "%s: sigwait failed\n", prog);
		goto cleanup;
	}
	rc = 0;
cleanup:
	munmap(buf, len);
	return rc;
}
