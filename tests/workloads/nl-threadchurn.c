/* nl-threadchurn: many short-lived threads, for tests of per-thread state cleanup (BPF
 * maps keyed by tid must not keep dead threads forever) and for benchmarks.
 *
 * Creates THREADS threads in total, CONCURRENCY at a time (a batch is created, then
 * joined, then the next batch). Each thread maps PAGES private anonymous pages, writes
 * one byte to each (one page fault per page), unmaps them and exits. Prints one
 * machine-readable line:
 *
 *   threadchurn: threads=5000 concurrency=8 pages_per_thread=4 elapsed_ns=... minflt=...
 *
 * elapsed_ns covers creating and joining all threads, not process start-up.
 */
#include <errno.h>
#include <getopt.h>
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

static uint64_t pages_per_thread = 4;

static void usage(FILE *out)
{
	fprintf(out,
		"usage: nl-threadchurn [-n THREADS] [-k CONCURRENCY] [-p PAGES]\n"
		"\n"
		"Creates THREADS short-lived threads, CONCURRENCY at a time; each touches PAGES\n"
		"fresh pages and exits. Prints 'threadchurn: threads=N concurrency=K\n"
		"pages_per_thread=P elapsed_ns=NS minflt=F'.\n"
		"\n"
		"  -n, --threads N      threads in total (default 5000)\n"
		"  -k, --concurrency K  threads alive at a time (default 8, 1..1024)\n"
		"  -p, --pages P        pages each thread touches (default 4, 0..65536)\n"
		"  -h, --help           this text\n");
}

/* Returns NULL on success, or (void *)(intptr_t)errno. */
static void *churn(void *arg)
{
	size_t len = pages_per_thread * PAGE;
	volatile char *p;

	(void)arg;
	if (!len)
		return NULL;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return (void *)(intptr_t)errno;
	for (size_t off = 0; off < len; off += PAGE)
		p[off] = 1;
	if (munmap((void *)p, len))
		return (void *)(intptr_t)errno;
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "threads", required_argument, NULL, 'n' },
		{ "concurrency", required_argument, NULL, 'k' },
		{ "pages", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t threads = 5000, concurrency = 8, created = 0;
	pthread_t *t;
	pthread_attr_t attr;
	struct rusage ru0, ru1;
	uint64_t t0, t1;
	int c, err = 0;

	while ((c = getopt_long(argc, argv, "n:k:p:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (wl_parse_u64(optarg, 1, UINT64_MAX, &threads)) {
				fprintf(stderr, "nl-threadchurn: --threads wants a positive integer, got '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'k':
			if (wl_parse_u64(optarg, 1, 1024, &concurrency)) {
				fprintf(stderr, "nl-threadchurn: --concurrency wants 1..1024, got '%s'\n", optarg);
				return 2;
			}
			break;
		case 'p':
			if (wl_parse_u64(optarg, 0, 65536, &pages_per_thread)) {
				fprintf(stderr, "nl-threadchurn: --pages wants 0..65536, got '%s'\n", optarg);
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
		fprintf(stderr, "nl-threadchurn: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}

	t = calloc(concurrency, sizeof(*t));
	if (!t) {
		perror("nl-threadchurn: calloc");
		return 1;
	}
	/* Small stacks: thousands of threads, each needing a few KiB. */
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);

	getrusage(RUSAGE_SELF, &ru0);
	t0 = wl_now_ns();
	while (created < threads && !err) {
		uint64_t batch = threads - created, started = 0;

		if (batch > concurrency)
			batch = concurrency;
		for (; started < batch; started++) {
			if ((errno = pthread_create(&t[started], &attr, churn, NULL))) {
				err = errno;
				break;
			}
		}
		for (uint64_t i = 0; i < started; i++) {
			void *ret;

			pthread_join(t[i], &ret);
			if (ret && !err)
				err = (int)(intptr_t)ret;
		}
		created += started;
	}
	t1 = wl_now_ns();
	getrusage(RUSAGE_SELF, &ru1);
	pthread_attr_destroy(&attr);
	free(t);

	if (err)
		fprintf(stderr, "nl-threadchurn: %s\n", strerror(err));
	printf("threadchurn: threads=%llu concurrency=%llu pages_per_thread=%llu elapsed_ns=%llu minflt=%ld\n",
	       (unsigned long long)created, (unsigned long long)concurrency,
	       (unsigned long long)pages_per_thread, (unsigned long long)(t1 - t0),
	       ru1.ru_minflt - ru0.ru_minflt);
	return err ? 1 : 0;
}
