/* nl-echo: a request/reply server on a socket pair, for request boundaries taken from
 * system calls (`--syscalls recvfrom:sendto`). A client thread writes --requests N
 * messages with write(2) and reads each reply with read(2); the server thread takes each
 * with recv(2) (the recvfrom system call), handles it in nl_request() and answers with
 * send(2) (sendto). So recvfrom -> sendto delimits exactly the server's N requests, and
 * nl_request is the same work seen by a uprobe.
 *
 * Prints "nl-echo: requests=N server_tid=T" at the end. Exit 0, 1 on a socket error,
 * 2 for bad usage. */
#include <pthread.h>
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

static int client(void)
{
	char msg[MSG];

	memset(msg, 'x', sizeof(msg));
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
	return 0;
}

int main(int argc, char **argv)
{
	pthread_t th;
	void *res = NULL;

	if (argc == 3 && !strcmp(argv[1], "--requests")) {
		if (wl_parse_u64(argv[2], 1, 100000000, &g_requests)) {
			fprintf(stderr, "nl-echo: --requests wants 1..100000000\n");
			return 2;
		}
	} else if (argc != 1) {
		fprintf(stderr, "usage: nl-echo [--requests N]\n");
		return 2;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, g_fd) || pthread_create(&th, NULL, server, NULL)) {
		perror("nl-echo");
		return 1;
	}
	if (client()) {
		perror("nl-echo: client");
		return 1;
	}
	pthread_join(th, &res);
	if (res) {
		fprintf(stderr, "nl-echo: the server failed\n");
		return 1;
	}
	printf("nl-echo: requests=%llu server_tid=%d\n", (unsigned long long)g_requests, (int)g_server_tid);
	return 0;
}
