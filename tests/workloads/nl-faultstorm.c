/* nl-faultstorm: a page-fault storm for benchmarks and tests.
 *
 * THREADS threads each loop: mmap an anonymous private region, disable transparent huge
 * pages on it (MADV_NOHUGEPAGE, so every 4 KiB page takes its own fault), write one byte
 * per page, munmap; until together they have touched PAGES pages. Prints one
 * machine-readable line:
 *
 *   faultstorm: pages=1000000 threads=2 region_kib=4096 elapsed_ns=... minflt=...
 *
 * elapsed_ns covers the touching only (from the moment all threads are released until
 * the last one finishes), not process start-up. minflt is getrusage()'s minor-fault count
 * for the whole process over the same span: it should be close to pages.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "workload.h"

#define PAGE 4096UL

struct worker {
	pthread_t thread;
	uint64_t pages;      /* pages this thread must touch */
	uint64_t done;       /* pages it touched */
	int err;             /* errno of a failed mmap/madvise/munmap, 0 if none */
};

static pthread_barrier_t start_barrier;
static uint64_t region_pages;

static void usage(FILE *out)
{
	fprintf(out,
		"usage: nl-faultstorm [-t THREADS] [-n PAGES] [-r KIB]\n"
		"\n"
		"Threads mmap an anonymous region, write one byte per 4 KiB page (THP disabled),\n"
		"munmap, and repeat until PAGES pages have been touched in total. Prints\n"
		"'faultstorm: pages=N threads=T region_kib=R elapsed_ns=NS minflt=F'.\n"
		"\n"
		"  -t, --threads N      worker threads (default 2, 1..1024)\n"
		"  -n, --pages N        pages to touch in total (default 1000000)\n"
		"  -r, --region-kib N   size of each mapping in KiB, a multiple of 4 (default 4096)\n"
		"  -h, --help           this text\n");
}

static void *work(void *arg)
{
	struct worker *w = arg;

	pthread_barrier_wait(&start_barrier);
	while (w->done < w->pages) {
		uint64_t n = w->pages - w->done;
		size_t len;
		volatile char *p;

		if (n > region_pages)
			n = region_pages;
		len = n * PAGE;
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			w->err = errno;
			break;
		}
		/* Best effort: kernels without THP return EINVAL, and then every page faults anyway. */
		if (madvise((void *)p, len, MADV_NOHUGEPAGE) && errno != EINVAL) {
			w->err = errno;
			munmap((void *)p, len);
			break;
		}
		for (size_t off = 0; off < len; off += PAGE)
			p[off] = 1;
		if (munmap((void *)p, len)) {
			w->err = errno;
			break;
		}
		w->done += n;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "threads", required_argument, NULL, 't' },
		{ "pages", required_argument, NULL, 'n' },
		{ "region-kib", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t threads = 2, pages = 1000000, region_kib = 4096;
	struct worker *w;
	struct rusage ru0, ru1;
	uint64_t t0, t1, done = 0;
	int c, rc = 0;

	while ((c = getopt_long(argc, argv, "t:n:r:h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (wl_parse_u64(optarg, 1, 1024, &threads)) {
				fprintf(stderr, "nl-faultstorm: --threads wants 1..1024, got '%s'\n", optarg);
				return 2;
			}
			break;
		case 'n':
			if (wl_parse_u64(optarg, 1, UINT64_MAX / PAGE, &pages)) {
				fprintf(stderr, "nl-faultstorm: --pages wants a positive integer, got '%s'\n", optarg);
				return 2;
			}
			break;
		case 'r':
			if (wl_parse_u64(optarg, 4, 64ULL << 20, &region_kib) || region_kib % 4) {
				fprintf(stderr, "nl-faultstorm: --region-kib wants a multiple of 4 in 4..%llu, got '%s'\n",
					64ULL << 20, optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "nl-faultstorm: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	region_pages = region_kib * 1024 / PAGE;

	w = calloc(threads, sizeof(*w));
	if (!w) {
		perror("nl-faultstorm: calloc");
		return 1;
	}
	for (uint64_t i = 0; i < threads; i++)
		w[i].pages = pages / threads + (i < pages % threads ? 1 : 0);
	if ((errno = pthread_barrier_init(&start_barrier, NULL, (unsigned)threads + 1))) {
		perror("nl-faultstorm: pthread_barrier_init");
		return 1;
	}
	for (uint64_t i = 0; i < threads; i++) {
		if ((errno = pthread_create(&w[i].thread, NULL, work, &w[i]))) {
			perror("nl-faultstorm: pthread_create");
			return 1;
		}
	}
	getrusage(RUSAGE_SELF, &ru0);
	t0 = wl_now_ns();
	pthread_barrier_wait(&start_barrier);
	for (uint64_t i = 0; i < threads; i++)
		pthread_join(w[i].thread, NULL);
	t1 = wl_now_ns();
	getrusage(RUSAGE_SELF, &ru1);

	for (uint64_t i = 0; i < threads; i++) {
		done += w[i].done;
		if (w[i].err) {
			fprintf(stderr, "nl-faultstorm: thread %llu: %s\n", (unsigned long long)i,
				strerror(w[i].err));
			rc = 1;
		}
	}
	printf("faultstorm: pages=%llu threads=%llu region_kib=%llu elapsed_ns=%llu minflt=%ld\n",
	       (unsigned long long)done, (unsigned long long)threads, (unsigned long long)region_kib,
	       (unsigned long long)(t1 - t0), ru1.ru_minflt - ru0.ru_minflt);
	free(w);
	return rc;
}
