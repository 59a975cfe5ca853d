/* nl-migrate: a migration whose ground truth is known by construction. Allocates a
 * buffer bound to node A (mbind MPOL_BIND, then touched), then moves it to node B with
 * move_pages(2) (reason "syscall" in the kernel's migrate tracepoints) or with
 * mbind(MPOL_BIND B, MPOL_MF_MOVE) (reason "mempolicy_mbind"), and prints how many
 * pages were on A before and are on B after, as the kernel reports them (move_pages
 * with a NULL node list). Raw syscalls: no libnuma in the guest.
 *
 * Output: "nl-migrate: mode=M pages=N from=A to=B before_on_from=X moved=Y after_on_to=Z"
 * Exit status: 0 ok, 1 failure, 2 usage error. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MPOL_BIND 2
#define MPOL_MF_STRICT (1 << 0)
#define MPOL_MF_MOVE (1 << 1)
#define MPOL_MF_MOVE_ALL (1 << 2)

static long sys_mbind(void *addr, unsigned long len, int mode, const unsigned long *mask,
		      unsigned long maxnode, unsigned flags)
{
	return syscall(SYS_mbind, addr, len, mode, mask, maxnode, flags);
}

static long sys_move_pages(unsigned long count, void **pages, const int *nodes, int *status,
			   int flags)
{
	return syscall(SYS_move_pages, 0, count, pages, nodes, status, flags);
}

static int parse(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || !*s || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: nl-migrate [--pages N] [--from A] [--to B] [--mode move_pages|mbind]\n"
		   "Binds N pages (default 1024) to node A (default 0), touches them, moves\n"
		   "them to node B (default 1) and prints the kernel's own page counts.\n");
}

/* Pages of buf currently on node, per move_pages(2) with a NULL node list. */
static long count_on(void **pages, int *status, long n, int node)
{
	long c = 0;

	if (sys_move_pages((unsigned long)n, pages, NULL, status, 0))
		return -1;
	for (long i = 0; i < n; i++)
		c += status[i] == node;
	return c;
}

int main(int argc, char **argv)
{
	long npages = 1024, from = 0, to = 1;
	const char *mode = "move_pages";
	long psz = sysconf(_SC_PAGESIZE);
	int rc = 1;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--pages") && i + 1 < argc) {
			if (parse(argv[++i], 1, 1 << 22, &npages))
				goto bad;
		} else if (!strcmp(argv[i], "--from") && i + 1 < argc) {
			if (parse(argv[++i], 0, 63, &from))
				goto bad;
		} else if (!strcmp(argv[i], "--to") && i + 1 < argc) {
			if (parse(argv[++i], 0, 63, &to))
				goto bad;
		} else if (!strcmp(argv[i], "--mode") && i + 1 < argc) {
			mode = argv[++i];
			if (strcmp(mode, "move_pages") && strcmp(mode, "mbind"))
				goto bad;
		} else {
			goto bad;
		}
	}

	size_t len = (size_t)npages * (size_t)psz;
	char *buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	void **pages = calloc((size_t)npages, sizeof(*pages));
	int *nodes = calloc((size_t)npages, sizeof(*nodes));
	int *status = calloc((size_t)npages, sizeof(*status));
	unsigned long mask;

	if (buf == MAP_FAILED || !pages || !nodes || !status) {
		perror("nl-migrate: alloc");
		return 1;
	}
	/* 4 KiB pages only, so page counts are exact per page. */
	madvise(buf, len, MADV_NOHUGEPAGE);
	mask = 1UL << from;
	if (sys_mbind(buf, len, MPOL_BIND, &mask, 64, 0)) {
		perror("nl-migrate: mbind (bind to --from)");
		goto out;
	}
	for (long i = 0; i < npages; i++) {
		buf[i * psz] = (char)i;
		pages[i] = buf + i * psz;
		nodes[i] = (int)to;
	}
	long before = count_on(pages, status, npages, (int)from);
	long moved = 0;

	if (!strcmp(mode, "move_pages")) {
		long r = sys_move_pages((unsigned long)npages, pages, nodes, status, MPOL_MF_MOVE);

		if (r < 0) {
			perror("nl-migrate: move_pages");
			goto out;
		}
		for (long i = 0; i < npages; i++)
			moved += status[i] == to;
	} else {
		mask = 1UL << to;
		if (sys_mbind(buf, len, MPOL_BIND, &mask, 64, MPOL_MF_MOVE | MPOL_MF_STRICT)) {
			perror("nl-migrate: mbind MPOL_MF_MOVE");
			goto out;
		}
		moved = -1; /* mbind reports no per-page result; after_on_to says */
	}
	long after = count_on(pages, status, npages, (int)to);
	if (before < 0 || after < 0) {
		perror("nl-migrate: move_pages query");
		goto out;
	}
	if (moved < 0)
		moved = after;
	printf("nl-migrate: pid=%d mode=%s pages=%ld from=%ld to=%ld before_on_from=%ld "
	       "moved=%ld after_on_to=%ld\n", getpid(), mode, npages, from, to, before, moved, after);
	rc = after == npages && before == npages ? 0 : 1;
out:
	munmap(buf, len);
	free(pages);
	free(nodes);
	free(status);
	return rc;
bad:
	usage(stderr);
	return 2;
}
