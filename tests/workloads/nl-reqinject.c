/* nl-reqinject: requests whose extra cost is injected by construction, to test per-request
 * latency attribution against a known answer.
 *
 * --threads workers each run requests through nl_request() (the same external noipa symbol
 * and nlserver:request_start/request_end USDT probes as nl-server, see request.h). Every
 * request streams its worker's own --local-kb buffer (first-touched on the worker's node,
 * one word per cache line): a small fixed compute. A request is of exactly one kind, by
 * its 1-based per-worker sequence number seq:
 *
 *   move   seq % K == 0 (--move-every K): inside the request, mbind(MPOL_BIND,
 *          MPOL_MF_MOVE | MPOL_MF_STRICT) moves the worker's --move-mb buffer to the other
 *          of the first two memory nodes (alternating, so every call really moves every
 *          page). The mbind call is timed. After the request returns (outside it),
 *          move_pages(2) checks that every page is on the target node.
 *   sleep  otherwise, seq % J == 0 (--sleep-every J): nanosleep of --sleep-us inside the
 *          request, timed.
 *   plain  otherwise.
 *
 * Where both K and J divide seq (every 35th request with the defaults 5 and 7) the request
 * is a move: kinds never overlap, so each request's extra time has one known cause.
 * With fewer than two nodes with memory no move can happen; the program says so and the
 * requests that would have been moves follow the sleep/plain rule instead.
 *
 * Output: the layout on stdout, one summary line on stderr:
 *   nl-reqinject: requests=N plain=.. move=.. sleep=.. mbind_ns=.. sleep_ns=.. pages_moved=..
 * and with --out FILE one line per request, ordered by start:
 *   seq tid kind start_ns latency_ns inject_ns
 * (kind plain|move|sleep; start_ns CLOCK_MONOTONIC; latency_ns timed around the call;
 * inject_ns the time inside mbind or nanosleep, 0 for plain). The USDT probe id of a
 * request is worker_index << 32 | seq.
 * Exit status: 0 ok, 1 failure (including an mbind that failed or left pages behind),
 * 2 usage error.
 */
#include <getopt.h>
#include <stdarg.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/prctl.h>

#include "request.h"

#define MAX_THREADS 64

static const char *prog = "nl-reqinject";

enum kind { KIND_PLAIN, KIND_MOVE, KIND_SLEEP };
static const char *const kind_names[] = { "plain", "move", "sleep" };

struct config {
	unsigned threads;
	uint64_t requests;          /* per worker; 0 = run for duration */
	double duration;
	uint64_t move_every, sleep_every, sleep_us, move_mb, local_kb;
	const char *out;
	FILE *log;                  /* opened before the run so a bad path fails early */
	int nodes[WL_MAX_NODES];    /* nodes with CPUs and memory: where workers run */
	int nnodes;
	int can_move;               /* two nodes with memory */
	int move_node[2];           /* the first two nodes with memory */
	pthread_barrier_t ready, go;
	uint64_t deadline_ns;
	int abort;                  /* set by main before go if a worker failed to set up */
	int stop;                   /* set (atomically) by a worker whose mbind failed */
};

/* What nl_request needs, and what it measured. */
struct nl_req_args {
	const unsigned char *local;
	size_t local_len;
	enum kind kind;
	unsigned char *mbuf;
	size_t mbuf_len;
	const wl_nodemask *target;
	uint64_t sleep_ns;
	uint64_t inject_ns;         /* out: time in mbind or nanosleep */
	int err;                    /* out: mbind's errno, 0 if it succeeded */
};

struct worker {
	struct config *c;
	unsigned index;
	int node;
	pthread_t thread;
	pid_t tid;
	int err;                    /* errno of the failed step named by what, 0 if none */
	char what[160];
	unsigned char *local, *mbuf;
	size_t local_len, mbuf_len;
	uint64_t moves;             /* move requests done: their parity picks the next target */
	uint64_t pages_moved;       /* pages found on the target node after each move */
	uint64_t pages_left;        /* pages found elsewhere after a move */
	uint64_t checksum;
	struct wl_reqlog log;
};

/* Records why the worker stops: main prints "could not <what>: <strerror(err)>". */
__attribute__((format(printf, 3, 4)))
static void fail(struct worker *w, int err, const char *fmt, ...)
{
	va_list ap;

	w->err = err ? err : EIO;
	va_start(ap, fmt);
	vsnprintf(w->what, sizeof(w->what), fmt, ap);
	va_end(ap);
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: nl-reqinject [--threads N] [--requests N | --duration SEC] [--move-every K]\n"
		"                    [--sleep-every J] [--sleep-us S] [--move-mb M] [--local-kb L]\n"
		"                    [--out FILE]\n"
		"\n"
		"Requests (nl_request, USDT nlserver:request_start/request_end) with injected causes:\n"
		"every K-th request moves a buffer to the other node with mbind(MPOL_MF_MOVE), every\n"
		"J-th (that is not a move) sleeps S microseconds, the rest are plain.\n"
		"\n"
		"  --threads N      worker threads, 1..%d (default 1)\n"
		"  --requests N     requests per worker (default 200)\n"
		"  --duration SEC   instead: run this long\n"
		"  --move-every K   every K-th request is a move, 0 = none (default 5)\n"
		"  --sleep-every J  every J-th request that is not a move sleeps, 0 = none (default 7)\n"
		"  --sleep-us S     the sleep, 1..10000000 microseconds (default 2000)\n"
		"  --move-mb M      each worker's buffer moved by mbind, 1..1024 MiB (default 8)\n"
		"  --local-kb L     the buffer every request streams, 4..1048576 KiB (default 256)\n"
		"  --out FILE       per-request log: \"seq tid kind start_ns latency_ns inject_ns\"\n"
		"  -h, --help       this text\n"
		"Exit status: 0 ok, 1 failure (an mbind failed or left pages behind), 2 usage error.\n",
		MAX_THREADS);
}

static inline uint64_t stream_sum(const unsigned char *p, size_t len)
{
	uint64_t sum = 0;

	for (size_t off = 0; off < len; off += 64)
		sum += *(const uint64_t *)(p + off) ^ off;
	return sum;
}

/* nanosleep, resumed after a signal so the request sleeps the full time. */
static void sleep_ns(uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000ULL),
			       .tv_nsec = (long)(ns % 1000000000ULL) };

	while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR)
		;
}

/* The request. noipa: a real, external symbol for --request BIN:nl_request. The injected
 * call is timed on its own so the log can say how much of the request it took. */
__attribute__((noipa)) uint64_t nl_request(uint64_t id, struct nl_req_args *a)
{
	uint64_t t0, t1, sum, latency;

	WL_REQUEST_START(id);
	t0 = wl_now_ns();
	sum = stream_sum(a->local, a->local_len);
	a->inject_ns = 0;
	a->err = 0;
	if (a->kind == KIND_MOVE) {
		t1 = wl_now_ns();
		if (wl_mbind_flags(a->mbuf, a->mbuf_len, MPOL_BIND, a->target,
				   MPOL_MF_MOVE | MPOL_MF_STRICT) < 0)
			a->err = errno;
		a->inject_ns = wl_now_ns() - t1;
	} else if (a->kind == KIND_SLEEP) {
		t1 = wl_now_ns();
		sleep_ns(a->sleep_ns);
		a->inject_ns = wl_now_ns() - t1;
	}
	latency = wl_now_ns() - t0;
	WL_REQUEST_END(id, latency);
	return sum;
}

/* Kinds are disjoint; a move wins over a sleep (see the top). */
static enum kind kind_of(const struct config *c, uint64_t seq)
{
	if (c->can_move && c->move_every && seq % c->move_every == 0)
		return KIND_MOVE;
	if (c->sleep_every && seq % c->sleep_every == 0)
		return KIND_SLEEP;
	return KIND_PLAIN;
}

/* Pages of [buf, buf + len) on node now, per move_pages(2); -1 if it failed. */
static long pages_on(void *buf, size_t len, int node)
{
	long per_node[WL_MAX_NODES] = { 0 }, missing = 0;

	if (wl_count_pages(buf, len / WL_PAGE, per_node, &missing) < 0)
		return -1;
	return per_node[node];
}

/* Maps len bytes of 4 KiB pages (exact page counts), bound to node if node >= 0, and
 * writes every page so they all exist before the first request. */
static unsigned char *map_touched(size_t len, int node)
{
	unsigned char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	wl_nodemask m = { { 0 } };

	if (p == MAP_FAILED)
		return NULL;
	madvise(p, len, MADV_NOHUGEPAGE);
	if (node >= 0) {
		wl_mask_set(&m, node);
		if (wl_mbind(p, len, MPOL_BIND, &m) < 0) {
			munmap(p, len);
			return NULL;
		}
	}
	for (size_t off = 0; off < len; off += WL_PAGE)
		*(volatile uint64_t *)(p + off) = off >> 12;
	return p;
}

/* Pins the worker and builds its buffers; on failure sets err and what. */
static void worker_setup(struct worker *w)
{
	const struct config *c = w->c;
	long on;

	w->tid = wl_gettid();
	if (wl_pin_to_node(w->node) < 0) {
		fail(w, errno ? errno : ENOENT, "pin to node %d's CPUs", w->node);
		return;
	}
	w->local_len = (size_t)c->local_kb * 1024;
	w->local = map_touched(w->local_len, -1);
	if (!w->local) {
		fail(w, errno, "map its %zu-byte local buffer", w->local_len);
		return;
	}
	if (!c->can_move)
		return;
	w->mbuf_len = (size_t)c->move_mb << 20;
	w->mbuf = map_touched(w->mbuf_len, c->move_node[0]);
	if (!w->mbuf) {
		fail(w, errno, "map its move buffer bound to node %d", c->move_node[0]);
		return;
	}
	on = pages_on(w->mbuf, w->mbuf_len, c->move_node[0]);
	if (on < 0)
		fail(w, errno, "query its move buffer with move_pages");
	else if (on != (long)(w->mbuf_len / WL_PAGE))
		fail(w, EIO, "place its move buffer: %ld of %zu pages on node %d after binding",
		     on, w->mbuf_len / WL_PAGE, c->move_node[0]);
}

/* After a move request: counts where the pages went (outside the request). */
static int check_move(struct worker *w, int target)
{
	long on = pages_on(w->mbuf, w->mbuf_len, target);

	if (on < 0)
		return -1;
	w->pages_moved += (uint64_t)on;
	w->pages_left += w->mbuf_len / WL_PAGE - (uint64_t)on;
	w->moves++;
	return 0;
}

/* The worker's seq-th request; logs it. Returns -1 with err/what set on failure. */
static int worker_request(struct worker *w, uint64_t seq)
{
	const struct config *c = w->c;
	wl_nodemask target = { { 0 } };
	int node = c->move_node[w->moves % 2 ? 0 : 1];
	struct nl_req_args a = { .local = w->local, .local_len = w->local_len,
				 .kind = kind_of(c, seq), .mbuf = w->mbuf,
				 .mbuf_len = w->mbuf_len, .target = &target,
				 .sleep_ns = c->sleep_us * 1000 };
	struct wl_req r = { .seq = (uint32_t)seq, .tid = w->tid };

	wl_mask_set(&target, node);
	r.kind = a.kind;
	r.start_ns = wl_now_ns();
	w->checksum += nl_request(wl_request_id(w->index, (uint32_t)seq), &a);
	r.latency_ns = wl_now_ns() - r.start_ns;
	r.inject_ns = a.inject_ns;
	if (wl_reqlog_push(&w->log, &r) < 0) {
		fail(w, ENOMEM, "keep its request log");
		return -1;
	}
	if (a.kind != KIND_MOVE)
		return 0;
	if (a.err) {
		fail(w, a.err, "move its buffer to node %d in request %llu (mbind MPOL_BIND, "
		     "MPOL_MF_MOVE|MPOL_MF_STRICT)", node, (unsigned long long)seq);
		return -1;
	}
	if (check_move(w, node) < 0) {
		fail(w, errno, "query its move buffer with move_pages after request %llu",
		     (unsigned long long)seq);
		return -1;
	}
	return 0;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct config *c = w->c;

	prctl(PR_SET_NAME, "reqinject", 0, 0, 0);
	worker_setup(w);
	pthread_barrier_wait(&c->ready);
	pthread_barrier_wait(&c->go);
	if (c->abort || w->err)
		return NULL;
	if (c->requests && wl_reqlog_reserve(&w->log, c->requests) < 0) {
		fail(w, ENOMEM, "keep its request log");
		return NULL;
	}
	for (uint64_t seq = 1; !c->requests || seq <= c->requests; seq++) {
		if (__atomic_load_n(&c->stop, __ATOMIC_RELAXED) ||
		    (!c->requests && wl_now_ns() >= c->deadline_ns))
			break;
		if (worker_request(w, seq) < 0) {
			__atomic_store_n(&c->stop, 1, __ATOMIC_RELAXED);
			break;
		}
	}
	return NULL;
}

/* An option's number in [min, max], or a message and -1. */
static int opt_u64(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *v)
{
	if (wl_parse_u64(s, min, max, v) == 0)
		return 0;
	fprintf(stderr, "%s: %s wants %llu..%llu, got '%s'\n", prog, opt,
		(unsigned long long)min, (unsigned long long)max, s);
	return -1;
}

static int parse_args(int argc, char **argv, struct config *c)
{
	enum { OPT_THREADS = 256, OPT_REQUESTS, OPT_DURATION, OPT_MOVE_EVERY, OPT_SLEEP_EVERY,
	       OPT_SLEEP_US, OPT_MOVE_MB, OPT_LOCAL_KB, OPT_OUT };
	static const struct option longopts[] = {
		{ "threads",     required_argument, NULL, OPT_THREADS },
		{ "requests",    required_argument, NULL, OPT_REQUESTS },
		{ "duration",    required_argument, NULL, OPT_DURATION },
		{ "move-every",  required_argument, NULL, OPT_MOVE_EVERY },
		{ "sleep-every", required_argument, NULL, OPT_SLEEP_EVERY },
		{ "sleep-us",    required_argument, NULL, OPT_SLEEP_US },
		{ "move-mb",     required_argument, NULL, OPT_MOVE_MB },
		{ "local-kb",    required_argument, NULL, OPT_LOCAL_KB },
		{ "out",         required_argument, NULL, OPT_OUT },
		{ "help",        no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int o, have_requests = 0, have_duration = 0;

	while ((o = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		int bad = 0;

		switch (o) {
		case OPT_THREADS:
			bad = opt_u64("--threads", optarg, 1, MAX_THREADS, &v);
			c->threads = (unsigned)v;
			break;
		case OPT_REQUESTS:
			bad = opt_u64("--requests", optarg, 1, UINT32_MAX, &c->requests);
			have_requests = 1;
			break;
		case OPT_DURATION:
			if (wl_parse_seconds(optarg, &c->duration) < 0) {
				fprintf(stderr, "%s: --duration wants 0..86400 seconds, got '%s'\n",
					prog, optarg);
				bad = -1;
			}
			have_duration = 1;
			break;
		case OPT_MOVE_EVERY:
			bad = opt_u64("--move-every", optarg, 0, UINT32_MAX, &c->move_every);
			break;
		case OPT_SLEEP_EVERY:
			bad = opt_u64("--sleep-every", optarg, 0, UINT32_MAX, &c->sleep_every);
			break;
		case OPT_SLEEP_US:
			bad = opt_u64("--sleep-us", optarg, 1, 10000000, &c->sleep_us);
			break;
		case OPT_MOVE_MB:
			bad = opt_u64("--move-mb", optarg, 1, 1024, &c->move_mb);
			break;
		case OPT_LOCAL_KB:
			bad = opt_u64("--local-kb", optarg, 4, 1048576, &c->local_kb);
			break;
		case OPT_OUT:
			c->out = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			return -1;
		}
		if (bad)
			return -1;
	}
	if (optind < argc)
		return fprintf(stderr, "%s: unexpected argument '%s'\n", prog, argv[optind]), -1;
	if (have_requests && have_duration)
		return fprintf(stderr, "%s: give --requests or --duration, not both\n", prog), -1;
	if (have_duration)
		c->requests = 0;
	return 0;
}

/* Where workers run, and whether (and between which nodes) moves can happen. */
static int find_nodes(struct config *c)
{
	wl_nodemask mem;
	int n = 0;

	c->nnodes = wl_full_nodes(c->nodes, WL_MAX_NODES);
	if (c->nnodes < 0 || wl_sysfs_nodes("has_memory", &mem) < 0) {
		fprintf(stderr, "%s: cannot read /sys/devices/system/node: %s\n", prog,
			strerror(errno));
		return -1;
	}
	if (c->nnodes == 0) {
		fprintf(stderr, "%s: no node has both CPUs and memory (has_cpu, has_memory)\n",
			prog);
		return -1;
	}
	for (int i = 0; i < WL_MAX_NODES && n < 2; i++)
		if (wl_mask_isset(&mem, i))
			c->move_node[n++] = i;
	c->can_move = n == 2;
	if (!c->can_move && c->move_every)
		fprintf(stderr, "%s: only one node has memory: no 'move' requests (mbind has no "
			"other node to move pages to); plain and sleep requests as usual\n", prog);
	return 0;
}

static void print_layout(const struct config *c, const struct worker *ws)
{
	char moves[64];

	if (c->can_move && c->move_every)
		snprintf(moves, sizeof(moves), "%d<->%d", c->move_node[0], c->move_node[1]);
	else
		snprintf(moves, sizeof(moves), "none");
	printf("nl-reqinject: pid=%d threads=%u move_every=%llu sleep_every=%llu sleep_us=%llu "
	       "move_mb=%llu local_kb=%llu move_nodes=%s\n", (int)getpid(), c->threads,
	       (unsigned long long)c->move_every, (unsigned long long)c->sleep_every,
	       (unsigned long long)c->sleep_us, (unsigned long long)c->move_mb,
	       (unsigned long long)c->local_kb, moves);
	for (unsigned i = 0; i < c->threads; i++)
		printf("nl-reqinject: worker %u tid=%d node=%d\n", i, (int)ws[i].tid, ws[i].node);
	fflush(stdout);
}

/* Starts the workers, releases them once all are set up, waits for them; reports each
 * worker's failure. */
static int run_workers(struct config *c, struct worker *ws)
{
	int rc = 0, err;

	if (pthread_barrier_init(&c->ready, NULL, c->threads + 1) ||
	    pthread_barrier_init(&c->go, NULL, c->threads + 1)) {
		fprintf(stderr, "%s: pthread_barrier_init failed\n", prog);
		return -1;
	}
	for (unsigned i = 0; i < c->threads; i++) {
		ws[i].c = c;
		ws[i].index = i;
		ws[i].node = c->nodes[i % (unsigned)c->nnodes];
		err = pthread_create(&ws[i].thread, NULL, worker_main, &ws[i]);
		if (err) {
			/* The barriers count every thread: with one missing, none could pass. */
			fprintf(stderr, "%s: pthread_create: %s\n", prog, strerror(err));
			exit(1);
		}
	}
	pthread_barrier_wait(&c->ready);
	for (unsigned i = 0; i < c->threads; i++)
		if (ws[i].err)
			c->abort = 1;
	if (!c->abort)
		print_layout(c, ws);
	c->deadline_ns = wl_now_ns() + (uint64_t)(c->duration * 1e9);
	pthread_barrier_wait(&c->go);
	for (unsigned i = 0; i < c->threads; i++) {
		pthread_join(ws[i].thread, NULL);
		if (ws[i].err) {
			fprintf(stderr, "%s: worker %u (node %d) could not %s: %s\n", prog, i,
				ws[i].node, ws[i].what, strerror(ws[i].err));
			rc = -1;
		}
	}
	return rc;
}

static int write_log(const struct config *c, const struct wl_req *all, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(c->log, "%u %d %s %llu %llu %llu\n", all[i].seq, (int)all[i].tid,
			kind_names[all[i].kind], (unsigned long long)all[i].start_ns,
			(unsigned long long)all[i].latency_ns,
			(unsigned long long)all[i].inject_ns);
	return wl_close_log(prog, c->out, c->log);
}

/* The summary line; non-zero if any move left pages off its target node. */
static int report(const struct config *c, const struct worker *ws, const struct wl_req *all,
		  size_t n)
{
	uint64_t count[3] = { 0 }, inject[3] = { 0 }, moved = 0, left = 0;

	for (size_t i = 0; i < n; i++) {
		count[all[i].kind]++;
		inject[all[i].kind] += all[i].inject_ns;
	}
	for (unsigned i = 0; i < c->threads; i++) {
		moved += ws[i].pages_moved;
		left += ws[i].pages_left;
	}
	fprintf(stderr, "nl-reqinject: requests=%zu plain=%llu move=%llu sleep=%llu mbind_ns=%llu "
		"sleep_ns=%llu pages_moved=%llu pages_per_move=%zu\n", n,
		(unsigned long long)count[KIND_PLAIN], (unsigned long long)count[KIND_MOVE],
		(unsigned long long)count[KIND_SLEEP], (unsigned long long)inject[KIND_MOVE],
		(unsigned long long)inject[KIND_SLEEP], (unsigned long long)moved,
		c->can_move ? (size_t)(c->move_mb << 20) / WL_PAGE : 0);
	if (left) {
		fprintf(stderr, "%s: %llu pages were not on their target node after mbind "
			"MPOL_MF_MOVE returned success\n", prog, (unsigned long long)left);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct config c = { .threads = 1, .requests = 200, .duration = 0,
				   .move_every = 5, .sleep_every = 7, .sleep_us = 2000,
				   .move_mb = 8, .local_kb = 256 };
	static struct worker ws[MAX_THREADS];
	struct wl_reqlog logs[MAX_THREADS];
	struct wl_req *all;
	size_t n;
	int rc = 0;

	if (parse_args(argc, argv, &c) < 0) {
		fprintf(stderr, "try '%s --help'\n", prog);
		return 2;
	}
	if (c.out && !(c.log = wl_open_log(prog, c.out)))
		return 1;
	if (find_nodes(&c) < 0)
		return 1;
	if (run_workers(&c, ws) < 0)
		rc = 1;
	if (c.abort)
		return 1;
	/* A failed mbind still leaves a log worth keeping: it shows the failing request. */
	for (unsigned i = 0; i < c.threads; i++)
		logs[i] = ws[i].log;
	all = wl_reqlog_merge(logs, c.threads, &n);
	if (!all) {
		fprintf(stderr, "%s: out of memory merging the request logs\n", prog);
		return 1;
	}
	if (c.out && write_log(&c, all, n) < 0)
		rc = 1;
	if (report(&c, ws, all, n) < 0)
		rc = 1;
	free(all);
	return rc;
}
