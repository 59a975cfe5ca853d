/* nl-forkserver: a pre-forking server, the shape of nginx's or PostgreSQL's workers and
 * of a multiprocessing pool: the parent listens, forks its workers and then only hands
 * out work; every page that matters is touched by a forked child, never by the process
 * a profiler started.
 *
 * Each worker pins itself to a node (--worker-node, or round robin over the nodes with
 * CPUs), takes its cache with calloc() and fills it with memset() (as real programs
 * initialise, transparent huge pages as the system has them), then serves requests it
 * accept()s on the parent's listening socket: each request streams its cache once. When
 * the parent has had every answer it tells the workers to stop; each worker prints where
 * its cache is, as the kernel reports it (move_pages(2) with a NULL node list), and
 * exits before the parent does, so a profiler sees worker exits inside its run.
 *
 * Output, one line per worker, then the parent's:
 *   "nl-forkserver: worker pid=P node=N pages=K on=N0=..,N1=.. requests=R"
 *   "nl-forkserver: pid=P workers=W requests=R"
 * Exit status: 0 ok, 1 failure, 2 usage error. */
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "workload.h"

#define MAX_WORKERS 64

struct options {
	int workers;
	int worker_node; /* -1: round robin over the nodes with CPUs */
	uint64_t mib;
	uint64_t requests;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: nl-forkserver [--workers N] [--worker-node NODE] [--mib MIB] [--requests R]\n"
		"A pre-forking server: the parent listens and forks N workers (default 3); each\n"
		"pins itself to NODE (default: round robin over the nodes with CPUs), fills a\n"
		"MIB-MiB cache (default 16) with calloc+memset and serves requests that stream it.\n"
		"The parent sends R requests (default 30), stops the workers and reaps them.\n");
}

static int parse_args(int argc, char **argv, struct options *o)
{
	uint64_t v;

	*o = (struct options){ .workers = 3, .worker_node = -1, .mib = 16, .requests = 30 };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			exit(0);
		} else if (!strcmp(a, "--workers") && !wl_parse_u64(val, 1, MAX_WORKERS, &v)) {
			o->workers = (int)v;
		} else if (!strcmp(a, "--worker-node") && val) {
			if (wl_parse_node("nl-forkserver", a, val, "has_cpu", &o->worker_node) < 0)
				return -1;
		} else if (!strcmp(a, "--mib") && !wl_parse_u64(val, 1, 1 << 16, &v)) {
			o->mib = v;
		} else if (!strcmp(a, "--requests") && !wl_parse_u64(val, 1, 1000000, &v)) {
			o->requests = v;
		} else {
			fprintf(stderr, "nl-forkserver: bad option or value: %s%s%s\n", a,
				val ? " " : "", val ? val : "");
			return -1;
		}
		i++;
	}
	return 0;
}

/* The node worker i runs on: the asked one, or the i-th node with CPUs, cyclically. */
static int node_of_worker(const struct options *o, int i)
{
	wl_nodemask m;
	int n, k = 0;

	if (o->worker_node >= 0)
		return o->worker_node;
	if (wl_sysfs_nodes("has_cpu", &m) < 0 || !(n = wl_mask_count(&m)))
		return 0;
	for (int node = 0; node < WL_MAX_NODES; node++)
		if (wl_mask_isset(&m, node) && k++ == i % n)
			return node;
	return 0;
}

/* Not inlined, so a stack shows which function first touched the cache. */
__attribute__((noinline)) static unsigned char *load_cache(size_t bytes)
{
	unsigned char *cache = calloc(1, bytes);

	if (cache)
		memset(cache, 0x5a, bytes);
	return cache;
}

static uint64_t stream(const unsigned char *cache, size_t bytes)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < bytes; i += 64)
		sum += cache[i];
	return sum;
}

/* A worker: serve until the parent's "q", then say where the cache is. */
static int worker(int lfd, int node, size_t bytes)
{
	unsigned char *cache;
	uint64_t served = 0;
	long per_node[WL_MAX_NODES] = { 0 }, missing = 0;
	char on[512];

	if (wl_pin_to_node(node) < 0 || !(cache = load_cache(bytes)))
		return 1;
	for (;;) {
		int c = accept(lfd, NULL, NULL);
		char req;

		if (c < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		if (read(c, &req, 1) != 1 || req == 'q') {
			close(c);
			break;
		}
		uint64_t sum = stream(cache, bytes);
		served++;
		if (write(c, &sum, sizeof(sum)) != sizeof(sum)) {
			close(c);
			return 1;
		}
		close(c);
	}
	if (wl_count_pages(cache, bytes / WL_PAGE, per_node, &missing) < 0)
		return 1;
	wl_format_counts(per_node, on, sizeof(on));
	printf("nl-forkserver: worker pid=%d node=%d pages=%zu on=%s requests=%llu\n",
	       (int)getpid(), node, bytes / WL_PAGE, on, (unsigned long long)served);
	fflush(stdout);
	free(cache);
	return 0;
}

/* One request (or 'q') to whichever worker accepts it. */
static int send_request(const struct sockaddr_un *addr, socklen_t len, char what)
{
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	uint64_t sum;
	int rc = -1;

	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)addr, len) == 0 && write(fd, &what, 1) == 1)
		rc = what == 'q' || read(fd, &sum, sizeof(sum)) == sizeof(sum) ? 0 : -1;
	close(fd);
	return rc;
}

int main(int argc, char **argv)
{
	struct options o;
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	pid_t pids[MAX_WORKERS];
	int lfd, failed = 0;

	if (parse_args(argc, argv, &o) < 0) {
		usage(stderr);
		return 2;
	}
	/* An abstract socket: nothing to clean up, and unique per server. */
	snprintf(addr.sun_path + 1, sizeof(addr.sun_path) - 1, "nl-forkserver-%d", (int)getpid());
	socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
				    strlen(addr.sun_path + 1));
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&addr, len) < 0 || listen(lfd, 128) < 0) {
		perror("nl-forkserver: listen");
		return 1;
	}
	fflush(stdout);
	for (int i = 0; i < o.workers; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			perror("nl-forkserver: fork");
			return 1;
		}
		if (pids[i] == 0)
			_exit(worker(lfd, node_of_worker(&o, i), o.mib << 20));
	}
	for (uint64_t r = 0; r < o.requests && !failed; r++)
		failed = send_request(&addr, len, 'r') < 0;
	for (int i = 0; i < o.workers; i++)
		failed |= send_request(&addr, len, 'q') < 0;
	for (int i = 0; i < o.workers; i++) {
		int st;

		if (waitpid(pids[i], &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
			failed = 1;
	}
	printf("nl-forkserver: pid=%d workers=%d requests=%llu%s\n", (int)getpid(), o.workers,
	       (unsigned long long)o.requests, failed ? " FAILED" : "");
	return failed ? 1 : 0;
}
