/* collect_probe: drives the collector (user/collect.h) around one command and prints
 * what it saw as key=value lines, for tests that check the numbers against ground
 * truth. The command is forked first but held before exec until the BPF programs are
 * attached, so its pid can be the load-time filter and nothing it does is missed.
 *
 *   collect_probe [-s] [-i SEC] [-k SEC] [-T N] -- CMD [ARG]...
 *     -s      take first-touch stacks
 *     -i SEC  snapshot interval (default 0.2)
 *     -k SEC  send SIGUSR1 to the command after SEC seconds (after a snapshot, so the
 *             residency of a workload that waits for the signal is recorded)
 *     -T N    max_threads (size of the exited-thread map)
 *
 * Output: totals over all intervals for the command's process; resident_* from the
 * last snapshot taken while it was alive and, with -k, not yet signalled. Exit status: the command's, or 1 if the
 * collector failed. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "collect/collect.h"
#include "common/util.h"

struct totals {
	struct nl_counts c;
	uint64_t resident[NL_MAX_NODES];
	bool resident_known;
	uint64_t lost;
	uint64_t snapshots;
	uint64_t thread_rows;   /* thread entries over all snapshots */
	uint64_t exited_rows;   /* of which marked exited */
	uint32_t *exited_tids;  /* every tid marked exited (a thread can be reported in two
				 * intervals: its access counts, then late AutoNUMA counts) */
	size_t nr_exited_tids, cap_exited_tids;
	uint64_t max_threads_in_snapshot;
	int nr_nodes;
	int numa_balancing;
	char best_stack[512];   /* of the thread that first-touched the most pages */
	uint64_t best_stack_pages;
	uint32_t best_stack_tid;
	char sources[NL_SRC_MAX][400];
	int nr_sources;
};

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

static size_t count_unique(uint32_t *v, size_t n)
{
	size_t u = 0;

	if (n)
		qsort(v, n, sizeof(*v), cmp_u32);
	for (size_t i = 0; i < n; i++)
		u += i == 0 || v[i] != v[i - 1];
	return u;
}

static void fold(struct totals *t, const struct nl_snapshot *s, uint32_t pid, bool alive)
{
	t->snapshots++;
	t->lost += s->lost_events;
	t->nr_nodes = s->topo.nr_nodes;
	t->numa_balancing = s->numa_balancing;
	t->nr_sources = 0;
	for (int i = 0; i < NL_SRC_MAX; i++)
		if (s->sources[i].known)
			snprintf(t->sources[t->nr_sources++], sizeof(t->sources[0]), "%s=%s %s",
				 nl_source_name(i), s->sources[i].active ? "on" : "off",
				 s->sources[i].detail);
	for (int p = 0; p < s->nr_procs; p++) {
		const struct nl_process *pr = &s->procs[p];

		if (pr->pid != pid)
			continue;
		nl_counts_add(&t->c, &pr->c);
		if (alive && pr->resident_known) {
			memcpy(t->resident, pr->resident_pages, sizeof(t->resident));
			t->resident_known = true;
		}
		t->thread_rows += (uint64_t)pr->nr_threads;
		if ((uint64_t)pr->nr_threads > t->max_threads_in_snapshot)
			t->max_threads_in_snapshot = (uint64_t)pr->nr_threads;
		for (int i = 0; i < pr->nr_threads; i++) {
			const struct nl_thread *th = &pr->threads[i];

			t->exited_rows += th->exited;
			if (th->exited) {
				if (t->nr_exited_tids == t->cap_exited_tids) {
					size_t cap = t->cap_exited_tids ? 2 * t->cap_exited_tids : 1024;
					uint32_t *v = realloc(t->exited_tids, cap * sizeof(*v));
					if (!v) {
						fprintf(stderr, "collect_probe: out of memory\n");
						exit(1);
					}
					t->exited_tids = v;
					t->cap_exited_tids = cap;
				}
				t->exited_tids[t->nr_exited_tids++] = th->tid;
			}
			if (!th->first_touch_stack || th->first_touch_stack_pages <= t->best_stack_pages)
				continue;
			t->best_stack_pages = th->first_touch_stack_pages;
			t->best_stack_tid = th->tid;
			size_t len = 0;
			t->best_stack[0] = '\0';
			for (int f = 0; f < th->first_touch_stack->nr && len < sizeof(t->best_stack); f++) {
				const struct nl_frame *fr = &th->first_touch_stack->frames[f];
				int n;
				if (fr->symbol)
					n = snprintf(t->best_stack + len, sizeof(t->best_stack) - len, "%s%s",
						     f ? ";" : "", fr->symbol);
				else
					n = snprintf(t->best_stack + len, sizeof(t->best_stack) - len,
						     "%s0x%" PRIx64, f ? ";" : "", fr->ip);
				if (n < 0)
					break;
				len += (size_t)n;
			}
		}
	}
}

static void print_totals(const struct totals *t, uint32_t pid)
{
	uint64_t faults = 0, ft = 0, cpu = 0, res = 0;

	printf("pid=%u\n", pid);
	printf("nodes=%d\n", t->nr_nodes);
	printf("numa_balancing=%d\n", t->numa_balancing);
	for (int i = 0; i < NL_MAX_NODES; i++)
		for (int j = 0; j < NL_MAX_NODES; j++) {
			faults += nl_mat_at(&t->c.faults, i, j);
			if (nl_mat_at(&t->c.faults, i, j))
				printf("faults[%d][%d]=%" PRIu64 "\n", i, j, nl_mat_at(&t->c.faults, i, j));
		}
	printf("faults=%" PRIu64 "\n", faults);
	printf("faults_unresolved=%" PRIu64 "\n", t->c.faults_unresolved);
	double r = nl_remote_ratio(&t->c);
	printf("remote_ratio=%.4f\n", isnan(r) ? -1.0 : r);
	for (int i = 0; i < t->nr_nodes && i < NL_MAX_NODES; i++) {
		printf("first_touch[%d]=%" PRIu64 "\n", i, t->c.first_touch_pages[i]);
		printf("cpu_ns[%d]=%" PRIu64 "\n", i, t->c.cpu_ns[i]);
		if (t->resident_known)
			printf("resident[%d]=%" PRIu64 "\n", i, t->resident[i]);
		ft += t->c.first_touch_pages[i];
		cpu += t->c.cpu_ns[i];
		res += t->resident[i];
	}
	printf("first_touch=%" PRIu64 "\n", ft);
	printf("cpu_ns=%" PRIu64 "\n", cpu);
	printf("resident=%s\n", t->resident_known ? "known" : "unknown");
	printf("resident_pages=%" PRIu64 "\n", res);
	printf("node_migrations=%" PRIu64 "\n", t->c.node_migrations);
	printf("lost=%" PRIu64 "\n", t->lost);
	printf("snapshots=%" PRIu64 "\n", t->snapshots);
	printf("thread_rows=%" PRIu64 "\n", t->thread_rows);
	printf("exited_rows=%" PRIu64 "\n", t->exited_rows);
	printf("exited_threads=%zu\n", count_unique(t->exited_tids, t->nr_exited_tids));
	printf("max_threads_in_snapshot=%" PRIu64 "\n", t->max_threads_in_snapshot);
	printf("stack_tid=%u\n", t->best_stack_tid);
	printf("stack_pages=%" PRIu64 "\n", t->best_stack_pages);
	printf("stack=%s\n", t->best_stack);
	for (int i = 0; i < t->nr_sources; i++)
		printf("source.%s\n", t->sources[i]);
}

static void sleep_s(double s)
{
	struct timespec ts = { .tv_sec = (time_t)s, .tv_nsec = (long)((s - (double)(time_t)s) * 1e9) };
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static double mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct nl_collect_opts opts = {};
	double interval = 0.2, kill_after = -1;
	int opt, go[2], status = 0, ret = 1;
	struct nl_collector *c = NULL;
	static struct totals t;
	char err[256];
	pid_t child;

	while ((opt = getopt(argc, argv, "Asi:k:T:v")) != -1) {
		switch (opt) {
		case 'A': opts.no_autonuma = true; break; /* the access collector alone */
		case 's': opts.stacks = true; break;
		case 'v': opts.verbose = true; break;
		case 'i':
			if (nl_parse_seconds(optarg, &interval)) {
				fprintf(stderr, "collect_probe: bad -i\n");
				return 2;
			}
			break;
		case 'k':
			if (nl_parse_seconds(optarg, &kill_after)) {
				fprintf(stderr, "collect_probe: bad -k\n");
				return 2;
			}
			break;
		case 'T': {
			uint64_t v;
			if (nl_parse_u64(optarg, &v) || v == 0 || v > UINT32_MAX) {
				fprintf(stderr, "collect_probe: bad -T\n");
				return 2;
			}
			opts.max_threads = (uint32_t)v;
			break;
		}
		default:
			fprintf(stderr, "usage: collect_probe [-A] [-s] [-i SEC] [-k SEC] [-T N] -- CMD...\n");
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: collect_probe [-A] [-s] [-i SEC] [-k SEC] [-T N] -- CMD...\n");
		return 2;
	}
	if (pipe(go)) {
		perror("pipe");
		return 1;
	}
	child = fork();
	if (child < 0) {
		perror("fork");
		return 1;
	}
	if (child == 0) {
		char b;
		close(go[1]);
		/* EOF without a byte: the collector failed, do not run. */
		if (read(go[0], &b, 1) != 1)
			_exit(127);
		execvp(argv[optind], argv + optind);
		perror("exec");
		_exit(127);
	}
	close(go[0]);
	opts.target_pid = (uint32_t)child;
	if (nl_collector_open(&opts, &c, err, sizeof(err))) {
		fprintf(stderr, "collect_probe: %s\n", err);
		close(go[1]);
		waitpid(child, NULL, 0);
		return 1;
	}
	if (write(go[1], "g", 1) != 1) {
		perror("write");
		goto out;
	}
	close(go[1]);

	struct nl_view view;
	if (nl_view_init(&view, c)) {
		fprintf(stderr, "collect_probe: no view\n");
		goto out;
	}
	double start = mono_s();
	bool alive = true, killed = false;
	while (alive) {
		struct nl_snapshot s;

		sleep_s(interval);
		pid_t w = waitpid(child, &status, WNOHANG);
		alive = w == 0;
		if (nl_view_interval(&view, NL_SAMPLE_RESIDENCY, &s)) {
			fprintf(stderr, "collect_probe: snapshot failed\n");
			nl_view_free(&view);
			goto out;
		}
		/* Residency only from snapshots before the signal: a workload that got it
		 * frees its buffer and exits, and a snapshot in between (still alive to
		 * waitpid) saw the buffer gone (0 or 197 pages in a 5.10 guest, where the
		 * exit of a 64 MiB process under TCG leaves that window wide). */
		fold(&t, &s, (uint32_t)child, alive && !killed);
		nl_snapshot_free(&s);
		if (alive && !killed && kill_after >= 0 && mono_s() - start >= kill_after) {
			kill(child, SIGUSR1);
			killed = true;
		}
	}
	nl_view_free(&view);
	print_totals(&t, (uint32_t)child);
	ret = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
out:
	nl_collector_close(c);
	return ret;
}
