/* nl-firsttouch-bug: the lecture's first-touch bug, on purpose.
 *
 * The main thread ("init"), pinned to --init-node, runs init_weights(): it maps a buffer
 * and writes every page in its own loop, so the default first-touch policy puts every page
 * on the init node. Then a worker thread ("worker"), pinned to --worker-node, streams over
 * the buffer (reads and writes) for --seconds: all its accesses are remote. With
 * kernel.numa_balancing=1, AutoNUMA's hinting faults migrate the pages toward the worker's
 * node over time; with 0 they stay where init put them. Prints, once the worker runs:
 *
 *   nl-firsttouch-bug: pid=.. init_tid=.. worker_tid=.. addr=0x.. pages=.. init_node=0 worker_node=1 placed=N0=16384
 *
 * (placed= is move_pages(2)'s view right after init_weights) and when the worker is done:
 *
 *   nl-firsttouch-bug: done passes=.. resident=N0=..,N1=..
 *
 * The page-touching loop is in init_weights() itself, not in memset: profilers walk frame
 * pointers, and a leaf libc memset (no frame of its own) would hide init_weights from the
 * stack. noipa keeps gcc from inlining or cloning it (a clone would be renamed
 * init_weights.constprop.0).
 *
 * Built with NL_FT_MEMSET (tests/workloads/nl-firsttouch-nofp.c), init_weights() calls
 * memset instead, and the binary has no frame pointers: the stack a profiler must
 * unwind with DWARF CFI to find init_weights.
 */
#include <getopt.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/prctl.h>

#include "workload.h"

#ifndef NL_FT_PROG
#define NL_FT_PROG "nl-firsttouch-bug"
#endif
static const char *prog = NL_FT_PROG;

struct worker {
	unsigned char *buf;
	size_t len;
	int node;
	double seconds;
	pid_t tid;               /* set by the worker once pinned */
	int err;                 /* errno of a failed pin, 0 if none */
	uint64_t passes;
	pthread_mutex_t lock;
	pthread_cond_t started;
	int ready;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: nl-firsttouch-bug [--mib N] [--seconds S] [--init-node A] [--worker-node B] [--thp]\n"
		"\n"
		"The first-touch bug: thread 'init' on node A first-touches a buffer in\n"
		"init_weights(), then thread 'worker' on node B streams over it (reads and writes).\n"
		"\n"
		"  --mib N          buffer size in MiB (default 64, 1..65536)\n"
		"  --seconds S      how long the worker streams (default 5, 0..86400)\n"
		"  --init-node A    node of the initializing main thread (default 0)\n"
		"  --worker-node B  node of the worker thread (default 1)\n"
		"  --thp            allow transparent huge pages (default: 4 KiB pages only)\n"
		"  -h, --help       this text\n"
		"Exit status: 0 ok, 1 failure, 2 usage error.\n");
}

/* Maps len bytes and writes every page from this function's own loop (see the top). */
__attribute__((noipa)) unsigned char *init_weights(size_t len, int thp)
{
	unsigned char *w;

	w = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (w == MAP_FAILED)
		return NULL;
	if (!thp)
		madvise(w, len, MADV_NOHUGEPAGE);
#ifdef NL_FT_MEMSET
	memset(w, 1, len);
	/* a use after the call, so memset is called, not tail-jumped to (a tail call
	 * would leave no init_weights frame for anyone to find) */
	if (*(volatile unsigned char *)w != 1)
		return NULL;
#else
	for (size_t off = 0; off < len; off += WL_PAGE)
		*(volatile unsigned char *)(w + off) = (unsigned char)(off >> 12);
#endif
	return w;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	uint64_t deadline;
	int err = 0;

	prctl(PR_SET_NAME, "worker", 0, 0, 0);
	if (wl_pin_to_node(w->node) < 0)
		err = errno;
	pthread_mutex_lock(&w->lock);
	w->tid = wl_gettid();
	w->err = err;
	w->ready = 1;
	pthread_cond_signal(&w->started);
	pthread_mutex_unlock(&w->lock);
	if (err)
		return NULL;

	/* Read-modify-write one word per cache line, pass after pass. */
	deadline = wl_now_ns() + (uint64_t)(w->seconds * 1e9);
	while (wl_now_ns() < deadline) {
		for (size_t off = 0; off < w->len; off += 64) {
			(*(volatile uint64_t *)(w->buf + off))++;
			if ((off & ((1UL << 20) - 1)) == 0 && wl_now_ns() >= deadline)
				break;
		}
		w->passes++;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	enum { OPT_MIB = 256, OPT_SECONDS, OPT_INIT, OPT_WORKER, OPT_THP };
	static const struct option longopts[] = {
		{ "mib",         required_argument, NULL, OPT_MIB },
		{ "seconds",     required_argument, NULL, OPT_SECONDS },
		{ "init-node",   required_argument, NULL, OPT_INIT },
		{ "worker-node", required_argument, NULL, OPT_WORKER },
		{ "thp",         no_argument,       NULL, OPT_THP },
		{ "help",        no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static long placed[WL_MAX_NODES], resident[WL_MAX_NODES];
	const char *init_arg = "0", *worker_arg = "1";
	struct worker w = { .seconds = 5, .lock = PTHREAD_MUTEX_INITIALIZER,
			    .started = PTHREAD_COND_INITIALIZER };
	char placed_buf[8192], resident_buf[8192];
	uint64_t mib = 64;
	pthread_t thread;
	long missing = 0;
	int c, init_node, thp = 0, rc;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_MIB:
			if (wl_parse_u64(optarg, 1, 65536, &mib) < 0) {
				fprintf(stderr, "%s: --mib wants 1..65536, got '%s'\n", prog, optarg);
				goto usage_error;
			}
			break;
		case OPT_SECONDS:
			if (wl_parse_seconds(optarg, &w.seconds) < 0) {
				fprintf(stderr, "%s: --seconds wants 0..86400, got '%s'\n", prog, optarg);
				goto usage_error;
			}
			break;
		case OPT_INIT:   init_arg = optarg; break;
		case OPT_WORKER: worker_arg = optarg; break;
		case OPT_THP:    thp = 1; break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			goto usage_error;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", prog, argv[optind]);
		goto usage_error;
	}
	/* Checked after the loop so the defaults (0 and 1) are validated too: on a one-node
	 * machine the default worker node does not exist. */
	if (wl_parse_node(prog, "--init-node", init_arg, "has_cpu", &init_node) < 0 ||
	    wl_parse_node(prog, "--worker-node", worker_arg, "has_cpu", &w.node) < 0)
		goto usage_error;

	prctl(PR_SET_NAME, "init", 0, 0, 0);
	if (wl_pin_to_node(init_node) < 0) {
		fprintf(stderr, "%s: cannot run on node %d's CPUs: %s\n", prog, init_node, strerror(errno));
		return 1;
	}
	w.len = (size_t)mib << 20;
	w.buf = init_weights(w.len, thp);
	if (!w.buf) {
		fprintf(stderr, "%s: mmap %zu bytes: %s\n", prog, w.len, strerror(errno));
		return 1;
	}
	if (wl_count_pages(w.buf, w.len / WL_PAGE, placed, &missing) < 0) {
		fprintf(stderr, "%s: move_pages: %s\n", prog, strerror(errno));
		rc = 1;
		goto cleanup;
	}

	rc = pthread_create(&thread, NULL, worker_main, &w);
	if (rc) {
		fprintf(stderr, "%s: pthread_create: %s\n", prog, strerror(rc));
		rc = 1;
		goto cleanup;
	}
	pthread_mutex_lock(&w.lock);
	while (!w.ready)
		pthread_cond_wait(&w.started, &w.lock);
	pthread_mutex_unlock(&w.lock);
	if (w.err) {
		fprintf(stderr, "%s: worker cannot run on node %d's CPUs: %s\n", prog, w.node,
			strerror(w.err));
		pthread_join(thread, NULL);
		rc = 1;
		goto cleanup;
	}
	wl_format_counts(placed, placed_buf, sizeof(placed_buf));
	printf("nl-firsttouch-bug: pid=%d init_tid=%d worker_tid=%d addr=%p pages=%zu "
	       "init_node=%d worker_node=%d placed=%s\n", (int)getpid(), (int)wl_gettid(),
	       (int)w.tid, (void *)w.buf, w.len / WL_PAGE, init_node, w.node, placed_buf);
	fflush(stdout);

	pthread_join(thread, NULL);
	missing = 0;
	if (wl_count_pages(w.buf, w.len / WL_PAGE, resident, &missing) < 0) {
		fprintf(stderr, "%s: move_pages: %s\n", prog, strerror(errno));
		rc = 1;
		goto cleanup;
	}
	wl_format_counts(resident, resident_buf, sizeof(resident_buf));
	printf("nl-firsttouch-bug: done passes=%llu resident=%s\n",
	       (unsigned long long)w.passes, resident_buf);
	rc = 0;
cleanup:
	munmap(w.buf, w.len);
	return rc;

usage_error:
	fprintf(stderr, "try '%s --help'\n", prog);
	return 2;
}
