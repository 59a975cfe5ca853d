/* nl-mapfile: a file written on one node and read through a mapping on another, so
 * every fault of the reader maps a page-cache page that is already there (and remote).
 *
 * The main thread (pinned to --writer-node's CPUs) writes --mib MiB to --file with
 * write(2): the page cache (tmpfs or a disk file system) takes its pages on the writer's
 * node by first touch. A worker thread (pinned to --reader-node's CPUs) then maps the file
 * read-only and reads one byte per 4 KiB page, and prints ONE line:
 *
 *   nl-mapfile: pid=12 tid=13 reader_node=1 pages=16384 faults=1024 file_pages=N0=16384 missing=0
 *
 * faults= is the worker's own count of the faults the reads took (getrusage RUSAGE_THREAD
 * minflt + majflt, before and after; fault-around maps up to 16 pages a fault);
 * file_pages= is where the mapped pages are, asked with move_pages(2) (ground truth).
 * With --pause the process then holds the mapping (the worker has exited) until
 * SIGUSR1, SIGINT or SIGTERM, so a profiler can still ask where its pages are.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "workload.h"

static const char *prog = "nl-mapfile";

struct options {
	const char *file;
	int writer_node;  /* -1: not pinned */
	int reader_node;  /* -1: not pinned */
	uint64_t mib;
	int pause;
	int private_map;  /* MAP_PRIVATE instead of MAP_SHARED */
};

struct reader {
	const struct options *o;
	int fd;
	size_t len;
	unsigned char *map;  /* left mapped for --pause */
	int rc;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: nl-mapfile --file PATH [OPTIONS]\n"
		"\n"
		"Writes PATH from the main thread, then a worker thread maps it and reads every\n"
		"page. Prints 'nl-mapfile: pid=.. tid=.. reader_node=.. pages=.. faults=..\n"
		"file_pages=N0=.. missing=..'. PATH is removed at the end.\n"
		"\n"
		"  --file PATH        the file to write and map (tmpfs or any file system)\n"
		"  --writer-node A    write from the CPUs of node A (default: not pinned)\n"
		"  --reader-node B    map and read from the CPUs of node B (default: not pinned)\n"
		"  --mib N            file size in MiB (default 64, 1..65536)\n"
		"  --private          map MAP_PRIVATE (default MAP_SHARED); both read only\n"
		"  --pause            then hold the mapping until SIGUSR1, SIGINT or SIGTERM\n"
		"  -h, --help         this text\n"
		"Exit status: 0 ok, 1 failure, 2 usage error.\n");
}

static int parse_args(int argc, char **argv, struct options *o)
{
	enum { OPT_FILE = 256, OPT_WRITER, OPT_READER, OPT_MIB, OPT_PRIVATE, OPT_PAUSE };
	static const struct option longopts[] = {
		{ "file",        required_argument, NULL, OPT_FILE },
		{ "writer-node", required_argument, NULL, OPT_WRITER },
		{ "reader-node", required_argument, NULL, OPT_READER },
		{ "mib",         required_argument, NULL, OPT_MIB },
		{ "private",     no_argument,       NULL, OPT_PRIVATE },
		{ "pause",       no_argument,       NULL, OPT_PAUSE },
		{ "help",        no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->writer_node = o->reader_node = -1;
	o->mib = 64;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_FILE: o->file = optarg; break;
		case OPT_WRITER:
			if (wl_parse_node(prog, "--writer-node", optarg, "has_cpu", &o->writer_node) < 0)
				return -1;
			break;
		case OPT_READER:
			if (wl_parse_node(prog, "--reader-node", optarg, "has_cpu", &o->reader_node) < 0)
				return -1;
			break;
		case OPT_MIB:
			if (wl_parse_u64(optarg, 1, 65536, &o->mib) < 0) {
				fprintf(stderr, "%s: --mib wants 1..65536, not '%s'\n", prog, optarg);
				return -1;
			}
			break;
		case OPT_PRIVATE: o->private_map = 1; break;
		case OPT_PAUSE: o->pause = 1; break;
		case 'h': usage(stdout); exit(0);
		default: return -1;
		}
	}
	if (optind < argc || !o->file) {
		fprintf(stderr, "%s: %s\n", prog, o->file ? "unexpected argument" : "--file is required");
		return -1;
	}
	return 0;
}

/* Writes len bytes of a non-zero pattern (a zero page would not be a page-cache page). */
static int write_file(int fd, size_t len)
{
	static unsigned char chunk[1 << 20];

	memset(chunk, 0xa5, sizeof(chunk));
	for (size_t done = 0; done < len;) {
		ssize_t n = write(fd, chunk, len - done < sizeof(chunk) ? len - done : sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

static uint64_t thread_faults(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_THREAD, &ru))
		return 0;
	return (uint64_t)ru.ru_minflt + (uint64_t)ru.ru_majflt;
}

static void *read_mapping(void *arg)
{
	static long per_node[WL_MAX_NODES];
	struct reader *r = arg;
	size_t pages = r->len / WL_PAGE;
	char counts[8192];
	long missing = 0;
	uint64_t sum = 0;

	r->rc = 1;
	if (r->o->reader_node >= 0 && wl_pin_to_node(r->o->reader_node) < 0) {
		fprintf(stderr, "%s: cannot pin to node %d: %s\n", prog, r->o->reader_node,
			strerror(errno));
		return NULL;
	}
	r->map = mmap(NULL, r->len, PROT_READ, r->o->private_map ? MAP_PRIVATE : MAP_SHARED,
		      r->fd, 0);
	if (r->map == MAP_FAILED) {
		fprintf(stderr, "%s: mmap: %s\n", prog, strerror(errno));
		r->map = NULL;
		return NULL;
	}
	uint64_t before = thread_faults();
	for (size_t off = 0; off < r->len; off += WL_PAGE)
		sum += *(const volatile unsigned char *)(r->map + off);
	uint64_t faults = thread_faults() - before;
	if (wl_count_pages(r->map, pages, per_node, &missing) < 0) {
		fprintf(stderr, "%s: move_pages: %s\n", prog, strerror(errno));
		return NULL;
	}
	wl_format_counts(per_node, counts, sizeof(counts));
	printf("nl-mapfile: pid=%d tid=%d reader_node=%d pages=%zu faults=%" PRIu64
	       " file_pages=%s missing=%ld sum=%" PRIu64 "\n", (int)getpid(), (int)wl_gettid(),
	       r->o->reader_node, pages, faults, counts, missing, sum & 1);
	fflush(stdout);
	r->rc = 0;
	return NULL;
}

int main(int argc, char **argv)
{
	struct options o;
	struct reader r = { .o = &o, .fd = -1 };
	pthread_t worker;
	sigset_t sigs;
	int sig, rc = 1;

	if (parse_args(argc, argv, &o) < 0) {
		fprintf(stderr, "try '%s --help'\n", prog);
		return 2;
	}
	r.len = (size_t)o.mib << 20;
	/* Blocked before the worker starts so every thread inherits it; taken by sigwait. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGUSR1);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	if (o.pause && sigprocmask(SIG_BLOCK, &sigs, NULL) < 0) {
		fprintf(stderr, "%s: sigprocmask: %s\n", prog, strerror(errno));
		return 1;
	}
	if (o.writer_node >= 0 && wl_pin_to_node(o.writer_node) < 0) {
		fprintf(stderr, "%s: cannot pin to node %d: %s\n", prog, o.writer_node, strerror(errno));
		return 1;
	}
	r.fd = open(o.file, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (r.fd < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, o.file, strerror(errno));
		return 1;
	}
	if (write_file(r.fd, r.len) < 0) {
		fprintf(stderr, "%s: writing %s: %s\n", prog, o.file, strerror(errno));
		goto out;
	}
	errno = pthread_create(&worker, NULL, read_mapping, &r);
	if (errno) {
		fprintf(stderr, "%s: pthread_create: %s\n", prog, strerror(errno));
		goto out;
	}
	pthread_join(worker, NULL);
	rc = r.rc;
	if (!rc && o.pause && sigwait(&sigs, &sig) != 0) {
		fprintf(stderr, "%s: sigwait failed\n", prog);
		rc = 1;
	}
out:
	if (r.map)
		munmap(r.map, r.len);
	close(r.fd);
	unlink(o.file);
	return rc;
}
