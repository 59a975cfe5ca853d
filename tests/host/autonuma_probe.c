/* Drives user/autonuma.c on its own (before `top` calls it): opens the module on a
 * path, optionally runs a command as the target, fills one snapshot per interval and
 * prints key=value lines the host and vm tests grep. Nothing here is a measurement of
 * its own: every number comes from the module or from /proc/vmstat.
 *
 *   autonuma_probe [--path auto|fentry|kprobe|fallback] [--pid PID] [--interval SEC]
 *                  [--count N] [-- CMD ARG...]
 * Per interval: "interval=I hint_faults=.. hint_local=.. remote_ratio=.. migrated=..
 * ..." (target process totals). At the end: the whole run's totals per thread and per
 * process, vmstat deltas over the run, and the module's state strings. */
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

#include "collect/autonuma.h"
#include "collect/collect.h"
#include "model/model.h"
#include "common/util.h"
#include "collect/vmstat.h"

/* The recording kernel's reason names (from the collector). */
static struct nl_enum_names names;

static uint64_t sum_hint(const struct nl_counts *c)
{
	uint64_t n = 0;

	for (int i = 0; i < NL_MAX_NODES; i++)
		for (int j = 0; j < NL_MAX_NODES; j++)
			n += nl_mat_at(&c->hint_faults, i, j);
	return n;
}

static double hint_remote_ratio(const struct nl_counts *c)
{
	uint64_t all = 0, remote = 0;

	for (int i = 0; i < NL_MAX_NODES; i++)
		for (int j = 0; j < NL_MAX_NODES; j++) {
			all += nl_mat_at(&c->hint_faults, i, j);
			if (i != j)
				remote += nl_mat_at(&c->hint_faults, i, j);
		}
	return all ? (double)remote / (double)all : NAN;
}

static void print_matrix(const char *prefix, const char *name, const struct nl_mat *m)
{
	for (unsigned i = 0; i < m->n; i++)
		for (unsigned j = 0; j < m->n; j++)
			if (nl_mat_at(m, i, j))
				printf("%s%s_%u_%u=%" PRIu64 "\n", prefix, name, i, j, nl_mat_at(m, i, j));
}

static void print_counts(const char *prefix, const struct nl_counts *c)
{
	uint64_t migrated = 0, mig_by_reason = 0, tlb = 0;

	for (int i = 0; i < NL_MAX_NODES; i++)
		for (int j = 0; j < NL_MAX_NODES; j++)
			migrated += nl_mat_at(&c->migrated_pages, i, j);
	printf("%shint_faults=%" PRIu64 "\n", prefix, sum_hint(c));
	print_matrix(prefix, "hint", &c->hint_faults);
	printf("%shint_pages=%" PRIu64 "\n", prefix, c->hint_pages);
	printf("%shint_local=%" PRIu64 "\n", prefix, c->hint_local);
	printf("%shint_migrated_pages=%" PRIu64 "\n", prefix, c->hint_migrated_pages);
	printf("%shint_migrate_fail=%" PRIu64 "\n", prefix, c->hint_migrate_fail);
	printf("%smigrated_pages=%" PRIu64 "\n", prefix, migrated);
	print_matrix(prefix, "migrated", &c->migrated_pages);
	for (int r = 0; r < NL_MIGRATE_REASONS; r++) {
		mig_by_reason += c->migrate_pages_by_reason[r];
		if (c->migrate_pages_by_reason[r] || c->migrate_fail_by_reason[r])
			printf("%smigrate_reason_%s=%" PRIu64 " fail=%" PRIu64 " stall_ns=%" PRIu64 "\n",
			       prefix, names.migrate_reason[r], c->migrate_pages_by_reason[r],
			       c->migrate_fail_by_reason[r], c->migrate_stall_ns_by_reason[r]);
	}
	printf("%smigrate_succeeded=%" PRIu64 "\n", prefix, mig_by_reason);
	printf("%smigrate_fail=%" PRIu64 "\n", prefix, c->migrate_fail);
	printf("%smigrate_stall_ns=%" PRIu64 "\n", prefix, c->migrate_stall_ns);
	for (int b = 0; b < NL_HIST_BUCKETS; b++)
		if (c->migrate_stall_hist[b])
			printf("%sstall_hist_%d=%" PRIu64 "\n", prefix, b, c->migrate_stall_hist[b]);
	printf("%snuma_task_moves=%" PRIu64 " swaps=%" PRIu64 " sticks=%" PRIu64 "\n", prefix,
	       c->numa_task_moves, c->numa_task_swaps, c->numa_task_sticks);
	for (int r = 1; r < NL_TLB_REASONS; r++) {
		tlb += c->tlb_shootdowns[r];
		if (c->tlb_shootdowns[r])
			printf("%stlb_%s=%" PRIu64 "\n", prefix, names.tlb_reason[r],
			       c->tlb_shootdowns[r]);
	}
	printf("%stlb_shootdowns=%" PRIu64 " autonuma_sent=%" PRIu64 " autonuma_recv=%" PRIu64 "\n",
	       prefix, tlb, c->tlb_autonuma_sent, c->tlb_autonuma_recv);
	printf("%sipi_count=%" PRIu64 " ipi_ns=%" PRIu64 " ipi_autonuma_ns=%" PRIu64 "\n", prefix,
	       c->ipi_count, c->ipi_ns, c->ipi_autonuma_ns);
	printf("%snuma_scan_count=%" PRIu64 " numa_scan_ns=%" PRIu64 "\n", prefix,
	       c->numa_scan_count, c->numa_scan_ns);
}

/* Whole-run totals: per process and thread, summed over the intervals. */
static int merge(struct nl_snapshot *tot, const struct nl_snapshot *s)
{
	for (int p = 0; p < s->nr_procs; p++) {
		const struct nl_process *sp = &s->procs[p];
		struct nl_process *tp = NULL;

		for (int i = 0; i < tot->nr_procs; i++)
			if (tot->procs[i].pid == sp->pid)
				tp = &tot->procs[i];
		if (!tp) {
			struct nl_process *v = realloc(tot->procs, (size_t)(tot->nr_procs + 1) * sizeof(*v));
			if (!v)
				return -1;
			tot->procs = v;
			tp = &v[tot->nr_procs++];
			memset(tp, 0, sizeof(*tp));
			tp->pid = sp->pid;
			memcpy(tp->comm, sp->comm, sizeof(tp->comm));
		}
		nl_counts_add(&tp->c, &sp->c);
		for (int t = 0; t < sp->nr_threads; t++) {
			const struct nl_thread *st = &sp->threads[t];
			struct nl_thread *tt = NULL;

			for (int i = 0; i < tp->nr_threads; i++)
				if (tp->threads[i].tid == st->tid)
					tt = &tp->threads[i];
			if (!tt) {
				struct nl_thread *v = realloc(tp->threads, (size_t)(tp->nr_threads + 1) * sizeof(*v));
				if (!v)
					return -1;
				tp->threads = v;
				tt = &v[tp->nr_threads++];
				memset(tt, 0, sizeof(*tt));
				tt->tid = st->tid;
			}
			if (st->comm[0] && strcmp(st->comm, "?"))
				memcpy(tt->comm, st->comm, sizeof(tt->comm));
			nl_counts_add(&tt->c, &st->c);
		}
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: autonuma_probe [--path auto|fentry|kprobe|fallback] [--pid PID] "
			"[--interval SEC] [--count N] [-- CMD ARG...]\n");
}

int main(int argc, char **argv)
{
	struct nl_autonuma_opts o = { .path = NL_AUTONUMA_PATH_AUTO, .verbose = getenv("NL_VERBOSE") != NULL };
	struct nl_collector *a = NULL;
	struct nl_view view = { 0 };
	const char *path_name, *path_why;
	struct nl_snapshot total = { .numa_balancing = -1 };
	struct nl_vmstat vm0, vm1, vmd;
	double interval = 1.0;
	int count = 1, go[2] = { -1, -1 }, rc = 1, status = 0;
	pid_t child = -1;
	char err[512];
	char **cmd = NULL;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--") && i + 1 < argc) {
			cmd = &argv[i + 1];
			break;
		} else if (!strcmp(argv[i], "--path") && i + 1 < argc) {
			if (nl_autonuma_path_parse(argv[++i], &o.path)) {
				usage();
				return 2;
			}
		} else if (!strcmp(argv[i], "--pid") && i + 1 < argc) {
			int pid;

			if (nl_parse_int(argv[++i], 1, 1 << 30, &pid)) {
				usage();
				return 2;
			}
			o.target_pid = (uint32_t)pid;
		} else if (!strcmp(argv[i], "--interval") && i + 1 < argc) {
			if (nl_parse_seconds(argv[++i], &interval)) {
				usage();
				return 2;
			}
		} else if (!strcmp(argv[i], "--count") && i + 1 < argc) {
			if (nl_parse_int(argv[++i], 1, 1000000, &count)) {
				usage();
				return 2;
			}
		} else {
			usage();
			return 2;
		}
	}

	/* The command waits on a pipe until the programs are attached, so its first
	 * page is seen, and is the target when no --pid was given. */
	if (cmd) {
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
			if (read(go[0], &b, 1) != 1)
				_exit(127);
			close(go[0]);
			execvp(cmd[0], cmd);
			perror(cmd[0]);
			_exit(127);
		}
		close(go[0]);
		go[0] = -1;
		if (!o.target_pid)
			o.target_pid = (uint32_t)child;
	}

	/* The AutoNUMA source through the whole collector, as top runs it (no stacks). */
	struct nl_collect_opts co = { .target_pid = o.target_pid, .verbose = o.verbose,
				      .autonuma_path = (int)o.path };
	if (nl_collector_open(&co, &a, err, sizeof(err)) ||
	    nl_collector_autonuma(a, &path_name, &path_why, err, sizeof(err)) ||
	    nl_view_init(&view, a)) {
		printf("open=failed\nerror=%s\n", err);
		goto cleanup;
	}
	names = *nl_collector_names(a);
	printf("open=ok\npath=%s\n", path_name);
	printf("path_why=%s\n", path_why);
	fflush(stdout);
	if (nl_vmstat_read(NULL, &vm0))
		memset(&vm0, 0, sizeof(vm0));

	if (cmd) {
		if (write(go[1], "g", 1) != 1) {
			perror("write");
			goto cleanup;
		}
		close(go[1]);
		go[1] = -1;
	}

	for (int i = 1; ; i++) {
		struct nl_snapshot s = { .numa_balancing = -1 };
		struct timespec ts = { (time_t)interval, (long)((interval - (time_t)interval) * 1e9) };
		bool done = false;

		if (cmd) {
			/* Sleep in small steps so the last interval ends when the command does. */
			double left = interval;
			while (left > 0 && !done) {
				struct timespec st = { 0, 100000000 };
				if (waitpid(child, &status, WNOHANG) == child)
					done = true;
				else
					nanosleep(&st, NULL);
				left -= 0.1;
			}
		} else {
			nanosleep(&ts, NULL);
			done = i >= count;
		}
		if (nl_view_interval(&view, 0, &s)) {
			printf("fill=failed\n");
			nl_snapshot_free(&s);
			goto cleanup;
		}
		struct nl_process *tp = NULL;
		for (int p = 0; p < s.nr_procs; p++)
			if (s.procs[p].pid == o.target_pid)
				tp = &s.procs[p];
		struct nl_counts zero;
		memset(&zero, 0, sizeof(zero));
		const struct nl_counts *c = tp ? &tp->c : &zero;
		uint64_t mig = 0;
		for (int x = 0; x < NL_MAX_NODES; x++)
			for (int y = 0; y < NL_MAX_NODES; y++)
				mig += nl_mat_at(&c->migrated_pages, x, y);
		printf("interval=%d hint_faults=%" PRIu64 " hint_local=%" PRIu64
		       " remote_ratio=%.3f migrated=%" PRIu64 " stall_ns=%" PRIu64
		       " vmstat_hint=%" PRIu64 " bpf_hint=%" PRIu64 " vmstat_migrated=%" PRIu64
		       " bpf_migrated=%" PRIu64 " disagree=%d lost=%" PRIu64 "\n",
		       i, sum_hint(c), c->hint_local, hint_remote_ratio(c), mig, c->migrate_stall_ns,
		       s.vmstat.hint_faults, s.vmstat.bpf_hint_faults, s.vmstat.pages_migrated,
		       s.vmstat.bpf_pages_migrated, s.vmstat.disagree, s.lost_events);
		if (s.vmstat.disagree)
			printf("interval=%d vmstat_note=%s\n", i, s.vmstat.note);
		fflush(stdout);
		if (merge(&total, &s)) {
			nl_snapshot_free(&s);
			goto cleanup;
		}
		total.lost_events += s.lost_events;
		if (i == 1 || done) {
			nl_sources_copy(total.sources, s.sources);
			memcpy(total.autonuma_state, s.autonuma_state, sizeof(s.autonuma_state));
		}
		nl_snapshot_free(&s);
		if (done)
			break;
	}

	if (nl_vmstat_read(NULL, &vm1))
		memset(&vm1, 0, sizeof(vm1));
	nl_vmstat_delta(&vm0, &vm1, &vmd);
	printf("state=%s\n", total.autonuma_state);
	for (int i = 0; i < NL_SRC_MAX; i++)
		if (total.sources[i].known)
			printf("source_%s=%s %s\n", nl_source_name(i),
			       total.sources[i].active ? "active" : "inactive", total.sources[i].detail);
	printf("vmstat_numa_hint_faults=%" PRIu64 "\n", vmd.numa_hint_faults);
	printf("vmstat_numa_hint_faults_local=%" PRIu64 "\n", vmd.numa_hint_faults_local);
	printf("vmstat_numa_pages_migrated=%" PRIu64 "\n", vmd.numa_pages_migrated);
	printf("vmstat_pgmigrate_success=%" PRIu64 "\n", vmd.pgmigrate_success);
	printf("lost_events=%" PRIu64 "\n", total.lost_events);
	for (int p = 0; p < total.nr_procs; p++) {
		struct nl_process *pr = &total.procs[p];
		char prefix[64];

		if (o.target_pid && pr->pid != o.target_pid)
			continue;
		printf("process pid=%u comm=%s\n", pr->pid, pr->comm);
		snprintf(prefix, sizeof(prefix), "proc_");
		print_counts(prefix, &pr->c);
		for (int t = 0; t < pr->nr_threads; t++) {
			struct nl_thread *th = &pr->threads[t];

			printf("thread tid=%u comm=%s hint_faults=%" PRIu64 " migrated=%" PRIu64 "\n",
			       th->tid, th->comm, sum_hint(&th->c), th->c.hint_migrated_pages);
			snprintf(prefix, sizeof(prefix), "tid_%u_", th->tid);
			print_counts(prefix, &th->c);
		}
	}
	rc = 0;
	if (cmd) {
		printf("cmd_status=%d\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			rc = 1;
	}
cleanup:
	if (go[1] >= 0)
		close(go[1]);
	if (child > 0 && rc && !WIFEXITED(status)) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	nl_view_free(&view);
	nl_collector_close(a);
	printf("closed=1\n");
	nl_snapshot_free(&total);
	return rc;
}
