/* Drives user/engine/numa_balancing.c for tests/host/nb_guard.sh. Every line it prints
 * is key=value (or "ready ...") for the script to grep; the values it reports are read
 * back from /proc/sys/kernel/numa_balancing, not taken from what it asked for.
 *
 *   nb_guard_probe start-and-set V [--catch] [--spawn]
 *       starts the guard, sets V, prints "ready ...", then waits to be killed. --catch:
 *       SIGINT/SIGTERM restore through nl_nb_guard_restore (as prove does) and exit 0;
 *       without it they kill the probe (SIG_DFL, even when started from a script that
 *       ignores them). --spawn: first runs `sleep 1000` as a child (it must not hold
 *       the guardian's pipe) and prints child=PID.
 *   nb_guard_probe start-set-restore V     the normal path
 *   nb_guard_probe recover                 nl_nb_recover: recover=RC MSG; exit 1 on error
 *   nb_guard_probe others KB [--child MIB] nl_nb_others; --child: a child that touches
 *       MIB MiB first (it must not be listed)
 *   nb_guard_probe hog MIB [CMD ARG...]    touches MIB MiB, prints "ready", then runs
 *       CMD as its child and exits with its status (or waits to be killed) */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util.h"
#include "engine/numa_balancing.h"

static int current(void)
{
	int v;

	return nl_nb_read(&v) ? -1 : v;
}

static int parse_value(const char *s)
{
	int v;

	if (nl_parse_int(s, 0, 3, &v)) {
		fprintf(stderr, "nb_guard_probe: bad value '%s'\n", s);
		exit(2);
	}
	return v;
}

/* Starts the guard and sets v; exits 1 with error= on failure. */
static struct nl_nb_guard *start_and_set(int v)
{
	struct nl_nb_guard *g;
	char err[512];
	int rc;

	rc = nl_nb_guard_start(&g, err, sizeof(err));
	if (rc) {
		printf("error=%s (%s)\n", err, strerror(-rc));
		exit(1);
	}
	rc = nl_nb_guard_set(g, v);
	if (rc) {
		printf("error=set %d: %s\n", v, strerror(-rc));
		nl_nb_guard_restore(g, err, sizeof(err));
		exit(1);
	}
	return g;
}

static pid_t spawn_sleep(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		execlp("sleep", "sleep", "1000", (char *)NULL);
		_exit(127);
	}
	return pid;
}

static int cmd_start_and_set(int argc, char **argv)
{
	int v = parse_value(argv[2]), catch = 0, spawn = 0, sig, rc;
	struct nl_nb_guard *g;
	sigset_t set;
	char err[512];

	for (int i = 3; i < argc; i++) {
		catch |= !strcmp(argv[i], "--catch");
		spawn |= !strcmp(argv[i], "--spawn");
	}
	/* bash starts background commands of a script with SIGINT ignored; numalens in a
	 * terminal has it at SIG_DFL */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (catch)
		sigprocmask(SIG_BLOCK, &set, NULL);
	g = start_and_set(v);
	if (spawn)
		printf("child=%d\n", (int)spawn_sleep());
	printf("ready original=%d value=%d pid=%d\n", nl_nb_guard_original(g), current(), (int)getpid());
	if (!catch)
		for (;;)
			pause();
	sigwait(&set, &sig);
	rc = nl_nb_guard_restore(g, err, sizeof(err));
	printf("restored rc=%d signal=%d value=%d%s%s\n", rc, sig, current(), rc ? " error=" : "",
	       rc ? err : "");
	return rc ? 1 : 0;
}

static int cmd_start_set_restore(const char *value)
{
	struct nl_nb_guard *g = start_and_set(parse_value(value));
	int orig = nl_nb_guard_original(g), rc;
	char err[512];

	printf("original=%d\nset=%d\n", orig, current());
	rc = nl_nb_guard_restore(g, err, sizeof(err));
	printf("restore=%d%s%s\nrestored=%d\n", rc, rc ? " " : "", rc ? err : "", current());
	return rc ? 1 : 0;
}

static int cmd_recover(void)
{
	char msg[512];
	int rc = nl_nb_recover(msg, sizeof(msg));

	printf("recover=%d %s\n", rc, msg);
	return rc < 0 ? 1 : 0;
}

/* Where touch_mib keeps its memory: a global, or the compiler drops malloc and memset
 * of a buffer nobody reads. */
char *volatile nb_hog_mem;

/* Touches mib MiB so that it is resident. */
static void touch_mib(long mib)
{
	size_t len = (size_t)mib << 20;
	char *p = malloc(len);

	if (!p) {
		fprintf(stderr, "nb_guard_probe: out of memory\n");
		exit(2);
	}
	memset(p, 1, len);
	nb_hog_mem = p;
}

/* A child holding mib MiB; returns once it is resident. */
static pid_t spawn_hog(long mib)
{
	int fds[2];
	char c;
	pid_t pid;

	if (pipe(fds))
		exit(2);
	pid = fork();
	if (pid == 0) {
		touch_mib(mib);
		if (write(fds[1], "x", 1) != 1)
			_exit(2);
		for (;;)
			pause();
	}
	close(fds[1]);
	if (read(fds[0], &c, 1) != 1)
		exit(2);
	close(fds[0]);
	return pid;
}

static int cmd_others(int argc, char **argv)
{
	uint64_t kb, mib = 0;
	char buf[1024];
	pid_t child = 0;
	int n;

	if (nl_parse_u64(argv[2], &kb) ||
	    (argc > 4 && (strcmp(argv[3], "--child") || nl_parse_u64(argv[4], &mib))))
		return 2;
	if (mib)
		child = spawn_hog((long)mib);
	n = nl_nb_others(kb, buf, sizeof(buf));
	printf("self=%d parent=%d child=%d\ncount=%d\nlist=%s\n", (int)getpid(), (int)getppid(),
	       (int)child, n, buf);
	if (child) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	return n < 0 ? 1 : 0;
}

static int cmd_hog(int argc, char **argv)
{
	uint64_t mib;
	int status;
	pid_t pid;

	if (nl_parse_u64(argv[2], &mib))
		return 2;
	touch_mib((long)mib);
	printf("ready pid=%d\n", (int)getpid());
	if (argc <= 3)
		for (;;)
			pause();
	pid = fork();
	if (pid == 0) {
		execvp(argv[3], argv + 3);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return 2;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 3 && !strcmp(argv[1], "start-and-set"))
		return cmd_start_and_set(argc, argv);
	if (argc == 3 && !strcmp(argv[1], "start-set-restore"))
		return cmd_start_set_restore(argv[2]);
	if (argc == 2 && !strcmp(argv[1], "recover"))
		return cmd_recover();
	if (argc >= 3 && !strcmp(argv[1], "others"))
		return cmd_others(argc, argv);
	if (argc >= 3 && !strcmp(argv[1], "hog"))
		return cmd_hog(argc, argv);
	fprintf(stderr, "usage: nb_guard_probe start-and-set V [--catch] [--spawn] | start-set-restore V |\n"
			"       recover | others KB [--child MIB] | hog MIB [CMD ARG...]\n");
	return 2;
}
