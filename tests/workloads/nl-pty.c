/* nl-pty: runs a command on a pseudo-terminal of a given size, types keys into it at
 * given times and records what it draws, for testing the live view where there is no
 * tmux (the busybox guest). The recording is split at each key: PREFIX.0 holds the
 * output before the first key, PREFIX.N the output after the N-th; replaying
 * PREFIX.0..N into a terminal of the same size (tests/vm/top_tui.sh does it in tmux)
 * shows the screen as it was just before key N+1.
 *
 * usage: nl-pty -c COLS -r ROWS -o PREFIX [-t SECONDS] [-s TEXT] [-k MS:KEYS]... -- CMD [ARGS...]
 *   -k MS:KEYS  at MS milliseconds after the start, write KEYS (C escapes: \r \n \e
 *               \\ \xHH) to the terminal; keys are sent in the order given
 *   -s TEXT     count the keys' MS from when TEXT first appears in the output instead
 *               (a busy machine may take long to draw the first screen)
 *   -t SECONDS  SIGTERM the command after this long (default 120)
 * Exit status: the command's, 124 when it was stopped at -t, 2 usage, 1 failure. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_KEYS 32

struct key {
	long ms;
	char bytes[64];
	size_t len;
};

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* "1500:\r" -> at 1500 ms, a carriage return. 0 or -1. */
static int parse_key(const char *arg, struct key *k)
{
	char *end;
	const char *p;

	k->ms = strtol(arg, &end, 10);
	if (end == arg || *end != ':' || k->ms < 0)
		return -1;
	k->len = 0;
	for (p = end + 1; *p && k->len < sizeof(k->bytes); p++) {
		char c = *p;
		if (c == '\\' && p[1]) {
			switch (*++p) {
			case 'r': c = '\r'; break;
			case 'n': c = '\n'; break;
			case 'e': c = 27; break;
			case 'x': c = (char)strtol(p + 1, &end, 16); p = end - 1; break;
			default: c = *p; break;
			}
		}
		k->bytes[k->len++] = c;
	}
	return 0;
}

static FILE *segment(const char *prefix, int n)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s.%d", prefix, n);
	return fopen(path, "w");
}

/* -s: whether TEXT has appeared, across reads (tail keeps the last bytes seen). */
struct waiter {
	const char *text;
	char tail[512];
	size_t len;
};

static bool seen(struct waiter *w, const char *buf, size_t n)
{
	size_t tl = strlen(w->text), keep = tl > 1 ? tl - 1 : 0;
	char joined[sizeof(w->tail) + 4096];

	if (!w->text[0] || tl > sizeof(w->tail))
		return true;
	memcpy(joined, w->tail, w->len);
	memcpy(joined + w->len, buf, n);
	n += w->len;
	if (memmem(joined, n, w->text, tl))
		return true;
	w->len = n < keep ? n : keep;
	memcpy(w->tail, joined + n - w->len, w->len);
	return false;
}

/* Copies the terminal's output into the segments and sends the keys on time until
 * the command has exited and its terminal is drained, or until the deadline. */
static int pump(int master, pid_t child, const char *prefix, const struct key *keys, int nr,
		long deadline, struct waiter *w)
{
	long start = w->text[0] ? -1 : now_ms();
	int next = 0, status = 0;
	bool exited = false;
	FILE *out = segment(prefix, 0);

	if (!out)
		return -1;
	for (;;) {
		struct pollfd pfd = { .fd = master, .events = POLLIN };
		long wait = 100;
		char buf[4096];

		if (start >= 0 && next < nr && keys[next].ms - (now_ms() - start) < wait)
			wait = keys[next].ms - (now_ms() - start);
		if (poll(&pfd, 1, wait > 0 ? (int)wait : 0) > 0) {
			ssize_t n = read(master, buf, sizeof(buf));
			if (n > 0) {
				fwrite(buf, 1, (size_t)n, out);
				if (start < 0 && seen(w, buf, (size_t)n))
					start = now_ms();
			} else if (exited)
				break; /* EIO: every writer of the terminal is gone */
		} else if (exited) {
			break;
		}
		if (start >= 0 && next < nr && now_ms() - start >= keys[next].ms) {
			fclose(out);
			if (!(out = segment(prefix, ++next)))
				return -1;
			if (write(master, keys[next - 1].bytes, keys[next - 1].len) < 0)
				perror("nl-pty: write");
		}
		if (!exited && waitpid(child, &status, WNOHANG) == child)
			exited = true;
		if (!exited && now_ms() > deadline) {
			kill(child, SIGTERM);
			waitpid(child, &status, 0);
			fclose(out);
			return 124;
		}
	}
	fclose(out);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(int argc, char **argv)
{
	struct winsize ws = { .ws_col = 80, .ws_row = 24 };
	struct key keys[MAX_KEYS];
	struct waiter w = { .text = "" };
	const char *prefix = NULL;
	int nr = 0, c, master;
	long seconds = 120;
	pid_t child;

	while ((c = getopt(argc, argv, "+c:r:o:t:s:k:")) != -1) {
		switch (c) {
		case 'c': ws.ws_col = (unsigned short)atoi(optarg); break;
		case 'r': ws.ws_row = (unsigned short)atoi(optarg); break;
		case 'o': prefix = optarg; break;
		case 't': seconds = atol(optarg); break;
		case 's': w.text = optarg; break;
		case 'k':
			if (nr == MAX_KEYS || parse_key(optarg, &keys[nr++])) {
				fprintf(stderr, "nl-pty: bad -k '%s' (MS:KEYS, at most %d)\n", optarg, MAX_KEYS);
				return 2;
			}
			break;
		default: return 2;
		}
	}
	if (!prefix || optind >= argc || !ws.ws_col || !ws.ws_row) {
		fprintf(stderr, "usage: nl-pty -c COLS -r ROWS -o PREFIX [-t S] [-s TEXT] [-k MS:KEYS]... -- CMD...\n");
		return 2;
	}
	child = forkpty(&master, NULL, NULL, &ws);
	if (child < 0) {
		perror("nl-pty: forkpty");
		return 1;
	}
	if (child == 0) {
		execvp(argv[optind], &argv[optind]);
		perror("nl-pty: exec");
		_exit(127);
	}
	c = pump(master, child, prefix, keys, nr, now_ms() + seconds * 1000, &w);
	return c < 0 ? 1 : c;
}
