/* nl-echo: a request/reply server on a socket pair, for request boundaries taken from
 * system calls (`--syscalls recvfrom:sendto`). A client thread writes --requests N
 * messages with write(2) and reads each reply with read(2); the server thread takes each
 * with recv(2) (the recvfrom system call), handles it in nl_request() and answers with
 * send(2) (sendto). So recvfrom -> sendto delimits exactly the server's N requests, and
 * nl_request is the same work seen by a uprobe.
 *
 * Prints "nl-echo: requests=N elapsed_ns=E server_tid=T" at the end (server_tid stays the
 * last field, tests/host/requests.sh reads it so). elapsed_ns is the client's loop, from
 * its first write to the last reply read (CLOCK_MONOTONIC; thread start-up and exit are
 * outside it), the figure scripts/bench reads for its "echo" workload: per request it is
 * one round trip, two wake-ups, the server's recv, nl_request and send.
 * --cpu C pins both threads to CPU C (scripts/bench does, as for nl-pingpong: unpinned, a
 * round trip's cost depends on whether the scheduler keeps the two threads together).
 * Exit 0, 1 on a socket error, 2 for bad usage. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "workload.h"

#define MSG 64

static uint64_t g_requests = 1000;
static int g_fd[2];
static pid_t g_server_tid;

__attribute__((noipa)) uint64_t nl_request(const char *msg)
{
	uint64_t sum = 0;

	for (unsigned i = 0; i < 20000; i++)
		sum += (uint64_t)msg[i % MSG] * i;
	return sum;
}

static void *server(void *arg)
{
	char msg[MSG];

	g_server_tid = wl_gettid();
	for (uint64_t i = 0; i < g_requests; i++) {
		if (recv(g_fd[1], msg, MSG, MSG_WAITALL) != MSG)
			return (void *)1;
		uint64_t sum = nl_request(msg);
		memcpy(msg, &sum, sizeof(sum));
		if (send(g_fd[1], msg, MSG, 0) != MSG)
			return (void *)1;
	}
	return NULL;
}

static int client(uint64_t *elapsed_ns)
{
	char msg[MSG];
	uint64_t t0;

	memset(msg, 'x', sizeof(msg));
	t0 = wl_now_ns();
	for (uint64_t i = 0; i < g_requests; i++) {
		size_t got = 0;

		if (write(g_fd[0], msg, MSG) != MSG)
			return -1;
		while (got < MSG) {
			ssize_t n = read(g_fd[0], msg + got, MSG - got);
			if (n <= 0)
				return -1;
			got += (size_t)n;
		}
	}
	*elapsed_ns = wl_now_ns() - t0;
	return 0;
}

int main(int argc, char **argv)
{
	pthread_t th;
	void *res = NULL;
	uint64_t elapsed_ns = 0, cpu = 0;
	int pin = 0;

	for (int i = 1; i < argc; i += 2) {
		if (i + 1 >= argc) {
			fprintf(stderr, "usage: nl-echo [--requests N] [--cpu C]\n");
			return 2;
		}
		if (!strcmp(argv[i], "--requests")) {
			if (wl_parse_u64(argv[i + 1], 1, 100000000, &g_requests)) {
				fprintf(stderr, "nl-echo: --requests wants 1..100000000\n");
				return 2;
			}
		} else if (!strcmp(argv[i], "--cpu")) {
			if (wl_parse_u64(argv[i + 1], 0, CPU_SETSIZE - 1, &cpu)) {
				fprintf(stderr, "nl-echo: --cpu wants a CPU number, got '%s'\n", argv[i + 1]);
				return 2;
			}
			pin = 1;
		} else {
			fprintf(stderr, "usage: nl-echo [--requests N] [--cpu C]\n");
			return 2;
		}
	}
	if (pin) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		/* Before creating the server thread, which inherits the mask. */
		if (sched_setaffinity(0, sizeof(set), &set)) {
			fprintf(stderr, "nl-echo: cannot pin to CPU %llu: %s\n", (unsigned long long)cpu,
				strerror(errno));
			return 1;
		}
	}
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, g_fd) || pthread_create(&th, NULL, server, NULL)) {
		perror("nl-echo");
		return 1;
	}
	if (client(&elapsed_ns)) {
		perror("nl-echo: client");
		return 1;
	}
	pthread_join(th, &res);
	if (res) {
		fprintf(stderr, "nl-echo: the server failed\n");
		return 1;
	}
	printf("nl-echo: requests=%llu elapsed_ns=%llu server_tid=%d\n", (unsigned long long)g_requests,
	       (unsigned long long)elapsed_ns, (int)g_server_tid);
	return 0;
}
