/* nl-pingpong: a context-switch storm for benchmarks and tests.
 *
 * Two threads bounce one byte over two pipes ROUNDS round trips: the pinger writes to
 * pipe A and blocks reading pipe B, the ponger reads A and writes B, so each hand-over
 * blocks one thread and wakes the other (a sched_switch on each side). Nothing is pinned
 * by default; --cpu N pins both threads to CPU N, which makes every hand-over a direct
 * switch between the two threads on one CPU. Unpinned, the scheduler sometimes keeps the
 * threads on different CPUs, where each wake-up also takes the idle CPU out of idle (an
 * IPI, expensive in a VM): on a 2-vCPU VM the same run then takes 1.2 s or 11 s depending
 * on placement, which is why benchmarks pin.
 * Prints one machine-readable line:
 *
 *   pingpong: round_trips=200000 cpu=any elapsed_ns=... nvcsw=... nivcsw=...
 *
 * elapsed_ns covers the round trips only, not process start-up; nvcsw/nivcsw are the
 * voluntary/involuntary context switches of the whole process over the same span.
 */
#include <errno.h>
#include <sched.h>
#include <getopt.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "workload.h"

static int ping[2], pong[2];
static uint64_t rounds = 200000;
static pthread_barrier_t start_barrier;

static void usage(FILE *out)
{
	fprintf(out,
		"usage: nl-pingpong [-n ROUNDS] [-c CPU]\n"
		"\n"
		"Two threads bounce a byte over two pipes ROUNDS times. Prints\n"
		"'pingpong: round_trips=N cpu=C|any elapsed_ns=NS nvcsw=V nivcsw=I'.\n"
		"\n"
		"  -n, --round-trips N  round trips (default 200000)\n"
		"  -c, --cpu N          pin both threads to CPU N (default: no pinning)\n"
		"  -h, --help           this text\n");
}

/* Reads or writes exactly one byte, retrying on EINTR. 0 on success. */
static int xfer(int fd, int is_write)
{
	char b = 'x';
	ssize_t n;

	do
		n = is_write ? write(fd, &b, 1) : read(fd, &b, 1);
	while (n < 0 && errno == EINTR);
	return n == 1 ? 0 : -1;
}

static void *ponger(void *arg)
{
	int *err = arg;

	pthread_barrier_wait(&start_barrier);
	for (uint64_t i = 0; i < rounds; i++) {
		if (xfer(ping[0], 0) || xfer(pong[1], 1)) {
			*err = errno ? errno : EPIPE;
			break;
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "round-trips", required_argument, NULL, 'n' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	pthread_t t;
	struct rusage ru0, ru1;
	uint64_t t0, t1, done = 0;
	uint64_t cpu = 0;
	char cpu_str[24];
	int c, err = 0, perr = 0, pin = 0;

	while ((c = getopt_long(argc, argv, "n:c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (wl_parse_u64(optarg, 1, UINT64_MAX, &rounds)) {
				fprintf(stderr, "nl-pingpong: --round-trips wants a positive integer, got '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'c':
			if (wl_parse_u64(optarg, 0, CPU_SETSIZE - 1, &cpu)) {
				fprintf(stderr, "nl-pingpong: --cpu wants a CPU number, got '%s'\n", optarg);
				return 2;
			}
			pin = 1;
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
		fprintf(stderr, "nl-pingpong: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (pin) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		/* Before creating the ponger, which inherits the mask. */
		if (sched_setaffinity(0, sizeof(set), &set)) {
			fprintf(stderr, "nl-pingpong: cannot pin to CPU %llu: %s\n",
				(unsigned long long)cpu, strerror(errno));
			return 1;
		}
	}
	if (pipe(ping) || pipe(pong)) {
		perror("nl-pingpong: pipe");
		return 1;
	}
	if ((errno = pthread_barrier_init(&start_barrier, NULL, 2)) ||
	    (errno = pthread_create(&t, NULL, ponger, &perr))) {
		perror("nl-pingpong: pthread");
		return 1;
	}
	pthread_barrier_wait(&start_barrier);
	getrusage(RUSAGE_SELF, &ru0);
	t0 = wl_now_ns();
	for (; done < rounds; done++) {
		if (xfer(ping[1], 1) || xfer(pong[0], 0)) {
			err = errno ? errno : EPIPE;
			break;
		}
	}
	t1 = wl_now_ns();
	getrusage(RUSAGE_SELF, &ru1);
	if (err) {
		/* Unblock the ponger if it waits for a byte that will never come. */
		close(ping[1]);
	}
	pthread_join(t, NULL);

	if (err || perr)
		fprintf(stderr, "nl-pingpong: %s\n", strerror(err ? err : perr));
	snprintf(cpu_str, sizeof(cpu_str), "%llu", (unsigned long long)cpu);
	printf("pingpong: round_trips=%llu cpu=%s elapsed_ns=%llu nvcsw=%ld nivcsw=%ld\n",
	       (unsigned long long)done, pin ? cpu_str : "any", (unsigned long long)(t1 - t0),
	       ru1.ru_nvcsw - ru0.ru_nvcsw, ru1.ru_nivcsw - ru0.ru_nivcsw);
	return err || perr ? 1 : 0;
}
