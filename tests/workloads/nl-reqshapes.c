/* nl-reqshapes: request shapes that attribution must count right, with known totals.
 * --threads T workers run --requests N requests each through nl_request(), which calls
 * itself --depth D - 1 times (a recursive request: numalens counts the outermost call
 * once); --exit-inside K more threads each enter nl_request() and exit inside it (their
 * requests never return: numalens reports them cut short by the thread's exit). Every
 * outermost call also fires the USDT probes nlserver:request_start / request_end.
 *
 * Prints on stdout: "nl-reqshapes: threads=T requests=N depth=D exit_inside=K
 * finished=T*N" once every thread is done. Exit status 0, or 2 for bad usage. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "request.h"

static unsigned g_depth = 1;
static volatile uint64_t g_sink;

/* noipa: a real external symbol, and the recursion is not folded into a loop. */
__attribute__((noipa)) uint64_t nl_request(uint64_t id, unsigned depth, int exit_inside)
{
	uint64_t sum = 0;

	if (depth == g_depth)
		WL_REQUEST_START(id);
	for (unsigned i = 0; i < 20000; i++)
		sum += i ^ id;
	if (exit_inside)
		pthread_exit(NULL);
	if (depth > 1)
		sum += nl_request(id, depth - 1, 0);
	if (depth == g_depth)
		WL_REQUEST_END(id, sum);
	return sum;
}

struct worker {
	pthread_t th;
	unsigned index;
	uint64_t requests;
	int exit_inside;
};

static void *work(void *arg)
{
	struct worker *w = arg;

	for (uint64_t i = 1; i <= w->requests; i++)
		g_sink += nl_request(wl_request_id(w->index, (uint32_t)i), g_depth, w->exit_inside);
	return NULL;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: nl-reqshapes [--threads T] [--requests N] [--depth D] [--exit-inside K]\n"
		"  T workers x N requests of nl_request(), each recursing to depth D (default\n"
		"  4 x 100, depth 3), and K threads that exit inside their request (default 2).\n");
}

static int parse(int argc, char **argv, uint64_t *t, uint64_t *n, uint64_t *d, uint64_t *k)
{
	for (int i = 1; i < argc; i++) {
		uint64_t *dst = !strcmp(argv[i], "--threads") ? t : !strcmp(argv[i], "--requests") ? n :
				!strcmp(argv[i], "--depth") ? d : !strcmp(argv[i], "--exit-inside") ? k : NULL;
		uint64_t max = dst == t || dst == k ? 256 : dst == d ? 64 : 100000000;

		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			exit(0);
		}
		if (!dst || i + 1 >= argc || wl_parse_u64(argv[++i], dst == d ? 1 : 0, max, dst)) {
			usage(stderr);
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t threads = 4, requests = 100, depth = 3, exits = 2;
	struct worker *w;

	if (parse(argc, argv, &threads, &requests, &depth, &exits))
		return 2;
	g_depth = (unsigned)depth;
	w = calloc(threads + exits, sizeof(*w));
	if (!w) {
		perror("nl-reqshapes");
		return 1;
	}
	for (uint64_t i = 0; i < threads + exits; i++) {
		w[i] = (struct worker){ .index = (unsigned)i, .requests = i < threads ? requests : 1,
					.exit_inside = i >= threads };
		if (pthread_create(&w[i].th, NULL, work, &w[i])) {
			perror("nl-reqshapes: pthread_create");
			return 1;
		}
	}
	for (uint64_t i = 0; i < threads + exits; i++)
		pthread_join(w[i].th, NULL);
	printf("nl-reqshapes: threads=%llu requests=%llu depth=%llu exit_inside=%llu finished=%llu\n",
	       (unsigned long long)threads, (unsigned long long)requests, (unsigned long long)depth,
	       (unsigned long long)exits, (unsigned long long)(threads * requests));
	free(w);
	return 0;
}
