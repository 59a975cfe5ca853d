/* nl-server: a latency workload whose requests a profiler can delimit, well or badly placed.
 *
 * --threads workers each run a request loop. A request is nl_request(): it streams (reads
 * one word per cache line) over a --slice-kb slice of the worker's own part of a shared
 * --mb MiB "weight" buffer, then mixes the sum a little, and returns it as a checksum.
 * Successive requests of a worker walk its part slice by slice, wrapping around.
 *
 * nl_request is an external, never inlined or cloned symbol (noipa), so a profiler can
 * delimit requests with a uprobe/uretprobe pair on it; its body also fires the USDT probes
 * nlserver:request_start(id) and nlserver:request_end(id, latency_ns) (see request.h).
 *
 * Placement (--mode):
 *   good   worker i is pinned to node i mod N (N = nodes with CPUs and memory) and
 *          first-touches its own part there (touch_part): every read is local.
 *   ftbug  the first-touch bug. The main thread pins itself to the first node and writes
 *          the whole buffer in init_weights(), so every page lands there; then all workers
 *          run pinned to the LAST node, so every read is remote. All on the last node
 *          (rather than spread) because then every worker's part is misplaced, and
 *          pinned because AutoNUMA cannot then fix placement by moving the tasks: with
 *          kernel.numa_balancing=1 its only remedy is migrating pages toward the workers,
 *          which it does from the workers' own hinting faults, i.e. inside requests.
 * On a machine with one node both modes put everything on it (and say so).
 *
 * Buffers use 4 KiB pages (MADV_NOHUGEPAGE): AutoNUMA then migrates the buffer page by
 * page over the run instead of in a few 2 MiB steps, and page counts are exact.
 *
 * Output: the layout on stdout once the workers are placed, the buffer's residency on
 * stdout at the end, and one summary line on stderr:
 *   nl-server: requests=N p50_ns=.. p99_ns=.. max_ns=.. seconds=.. checksum=0x..
 * computed from the workload's own CLOCK_MONOTONIC timings around each call. --out FILE
 * logs every request, ordered by start: "tid start_ns latency_ns" (CLOCK_MONOTONIC ns).
 * Exit status: 0 ok, 1 failure, 2 usage error.
 */
#include <getopt.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/prctl.h>

#include "request.h"

#define MAX_THREADS   256
#define MIX_ROUNDS    256     /* the request's "small compute": about a microsecond */

static const char *prog = "nl-server";

enum mode { MODE_GOOD, MODE_FTBUG };

struct server {
	enum mode mode;
	unsigned threads;
	uint64_t mib;
	size_t slice;              /* bytes per request; 0 = the worker's whole part */
	double duration;           /* seconds; used when requests == 0 */
	uint64_t requests;         /* per worker; 0 = run for duration */
	uint64_t rate;             /* requests/s per worker; 0 = back to back */
	const char *out;
	FILE *log;                 /* --out, opened before the run so a bad path fails early */
	unsigned char *buf;
	size_t len;
	int nodes[WL_MAX_NODES];   /* nodes with CPUs and memory */
	int nnodes;
	int init_node;             /* ftbug: where init_weights ran; -1 in good mode */
	pthread_barrier_t ready;   /* workers placed (and, in good mode, touched) */
	pthread_barrier_t go;      /* main has printed the layout: requests may start */
	uint64_t go_ns;            /* when main released the workers */
	uint64_t deadline_ns;      /* set by main before go */
	uint64_t end_ns;           /* when the last worker was joined */
	int abort;                 /* set by main before go if a worker failed to place */
};

struct worker {
	struct server *s;
	unsigned index;
	int node;
	pthread_t thread;
	pid_t tid;
	int err;                   /* errno of the failed step named by what, 0 if none */
	const char *what;
	unsigned char *part;
	size_t part_len;
	struct wl_reqlog log;
	uint64_t checksum;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: nl-server [--mode good|ftbug] [--threads N] [--mb M] [--slice-kb K]\n"
		"                 [--duration SEC | --requests N] [--rate R] [--out FILE]\n"
		"\n"
		"Worker threads run requests (nl_request: stream a slice of a shared buffer, mix,\n"
		"return a checksum), delimited by USDT probes nlserver:request_start/request_end.\n"
		"\n"
		"  --mode good|ftbug  good: each worker first-touches its part on its own node;\n"
		"                     ftbug: main initialises the buffer on the first node\n"
		"                     (init_weights), workers run on the last node (default good)\n"
		"  --threads N        worker threads, 1..%d (default 2)\n"
		"  --mb M             shared buffer in MiB, 1..65536 (default 64)\n"
		"  --slice-kb K       KiB read per request, 0 = the worker's whole part (default 1024)\n"
		"  --duration SEC     run this long (default 5)\n"
		"  --requests N       instead: N requests per worker\n"
		"  --rate R           requests/s per worker, sleeping between requests (never\n"
		"                     inside one); 0 = back to back (default 0)\n"
		"  --out FILE         per-request log: \"tid start_ns latency_ns\" per line\n"
		"  -h, --help         this text\n"
		"Exit status: 0 ok, 1 failure, 2 usage error.\n", MAX_THREADS);
}

/* One word per cache line: the request is memory-bound, so where the pages live shows in
 * its latency. */
static inline uint64_t stream_sum(const unsigned char *p, size_t len)
{
	uint64_t sum = 0;

	for (size_t off = 0; off < len; off += 64)
		sum += *(const uint64_t *)(p + off) ^ off;
	return sum;
}

static inline uint64_t mix(uint64_t x)
{
	for (int i = 0; i < MIX_ROUNDS; i++) {
		x ^= x >> 31;
		x *= 0x9e3779b97f4a7c15ULL;
	}
	return x;
}

/* The request. noipa: a real, external symbol for --request BIN:nl_request (no inlining,
 * no constprop clone under another name). The probes sit outside the timed span, so
 * latency_ns excludes their cost when a profiler attaches to them. */
__attribute__((noipa)) uint64_t nl_request(uint64_t id, const unsigned char *w, size_t len)
{
	uint64_t t0, sum, latency;

	WL_REQUEST_START(id);
	t0 = wl_now_ns();
	sum = mix(stream_sum(w, len) ^ id);
	latency = wl_now_ns() - t0;
	WL_REQUEST_END(id, latency);
	return sum;
}

/* ftbug: the main thread writes every page from this function's own loop (not memset, a
 * leaf without a frame of its own), so its first touches carry init_weights in their
 * stacks. noipa for the same reason as nl_request. */
__attribute__((noipa)) void init_weights(unsigned char *w, size_t len)
{
	for (size_t off = 0; off < len; off += WL_PAGE)
		*(volatile uint64_t *)(w + off) = off >> 12;
}

/* good: each worker writes every page of its own part, from its own node. */
__attribute__((noipa)) void touch_part(unsigned char *w, size_t len)
{
	for (size_t off = 0; off < len; off += WL_PAGE)
		*(volatile uint64_t *)(w + off) = off >> 12;
}

/* Paced mode: sleeps until *next, then schedules the one after. A worker that fell behind
 * restarts its schedule from now instead of bursting to catch up. */
static void pace(uint64_t *next, uint64_t interval)
{
	struct timespec ts = { .tv_sec = (time_t)(*next / 1000000000ULL),
			       .tv_nsec = (long)(*next % 1000000000ULL) };
	uint64_t now;

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
	now = wl_now_ns();
	*next += interval;
	if (*next < now)
		*next = now;
}

/* The worker's seq-th slice of its part (seq from 1); the last slice may be shorter. */
static size_t slice_of(const struct worker *w, uint64_t seq, size_t *len)
{
	size_t slice = w->s->slice && w->s->slice < w->part_len ? w->s->slice : w->part_len;
	size_t nslices = (w->part_len + slice - 1) / slice;
	size_t off = (size_t)((seq - 1) % nslices) * slice;

	*len = w->part_len - off < slice ? w->part_len - off : slice;
	return off;
}

static int worker_requests(struct worker *w)
{
	const struct server *s = w->s;
	uint64_t interval = s->rate ? 1000000000ULL / s->rate : 0, next = wl_now_ns();

	if (s->requests && wl_reqlog_reserve(&w->log, s->requests) < 0)
		return -1;
	for (uint64_t seq = 1; !s->requests || seq <= s->requests; seq++) {
		struct wl_req r = { .seq = (uint32_t)seq, .tid = w->tid };
		size_t len, off;
		uint64_t sum;

		if (interval)
			pace(&next, interval);
		if (!s->requests && wl_now_ns() >= s->deadline_ns)
			break;
		off = slice_of(w, seq, &len);
		r.start_ns = wl_now_ns();
		sum = nl_request(wl_request_id(w->index, (uint32_t)seq), w->part + off, len);
		r.latency_ns = wl_now_ns() - r.start_ns;
		w->checksum += sum;
		if (wl_reqlog_push(&w->log, &r) < 0)
			return -1;
	}
	return 0;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct server *s = w->s;

	prctl(PR_SET_NAME, "worker", 0, 0, 0);
	w->tid = wl_gettid();
	if (wl_pin_to_node(w->node) < 0) {
		w->err = errno ? errno : ENOENT;
		w->what = "pin to its node's CPUs";
	} else if (s->mode == MODE_GOOD) {
		touch_part(w->part, w->part_len);
	}
	pthread_barrier_wait(&s->ready);
	pthread_barrier_wait(&s->go);
	if (s->abort || w->err)
		return NULL;
	if (worker_requests(w) < 0) {
		w->err = ENOMEM;
		w->what = "keep its request log";
	}
	return NULL;
}

static int parse_args(int argc, char **argv, struct server *s)
{
	enum { OPT_MODE = 256, OPT_THREADS, OPT_MB, OPT_SLICE, OPT_DURATION, OPT_REQUESTS,
	       OPT_RATE, OPT_OUT };
	static const struct option longopts[] = {
		{ "mode",     required_argument, NULL, OPT_MODE },
		{ "threads",  required_argument, NULL, OPT_THREADS },
		{ "mb",       required_argument, NULL, OPT_MB },
		{ "slice-kb", required_argument, NULL, OPT_SLICE },
		{ "duration", required_argument, NULL, OPT_DURATION },
		{ "requests", required_argument, NULL, OPT_REQUESTS },
		{ "rate",     required_argument, NULL, OPT_RATE },
		{ "out",      required_argument, NULL, OPT_OUT },
		{ "help",     no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int c, have_duration = 0;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_MODE:
			if (!strcmp(optarg, "good"))
				s->mode = MODE_GOOD;
			else if (!strcmp(optarg, "ftbug"))
				s->mode = MODE_FTBUG;
			else
				return fprintf(stderr, "%s: --mode wants good or ftbug, got '%s'\n",
					       prog, optarg), -1;
			break;
		case OPT_THREADS:
			if (wl_parse_u64(optarg, 1, MAX_THREADS, &v) < 0)
				return fprintf(stderr, "%s: --threads wants 1..%d, got '%s'\n", prog,
					       MAX_THREADS, optarg), -1;
			s->threads = (unsigned)v;
			break;
		case OPT_MB:
			if (wl_parse_u64(optarg, 1, 65536, &s->mib) < 0)
				return fprintf(stderr, "%s: --mb wants 1..65536, got '%s'\n", prog,
					       optarg), -1;
			break;
		case OPT_SLICE:
			if (wl_parse_u64(optarg, 0, 65536ULL * 1024, &v) < 0)
				return fprintf(stderr, "%s: --slice-kb wants 0..67108864, got '%s'\n",
					       prog, optarg), -1;
			s->slice = (size_t)v * 1024;
			break;
		case OPT_DURATION:
			if (wl_parse_seconds(optarg, &s->duration) < 0)
				return fprintf(stderr, "%s: --duration wants 0..86400 seconds, got '%s'\n",
					       prog, optarg), -1;
			have_duration = 1;
			break;
		case OPT_REQUESTS:
			if (wl_parse_u64(optarg, 1, UINT32_MAX, &s->requests) < 0)
				return fprintf(stderr, "%s: --requests wants 1..%u, got '%s'\n", prog,
					       UINT32_MAX, optarg), -1;
			break;
		case OPT_RATE:
			if (wl_parse_u64(optarg, 0, 1000000000, &s->rate) < 0)
				return fprintf(stderr, "%s: --rate wants 0..1000000000, got '%s'\n", prog,
					       optarg), -1;
			break;
		case OPT_OUT:
			s->out = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			return -1;
		}
	}
	if (optind < argc)
		return fprintf(stderr, "%s: unexpected argument '%s'\n", prog, argv[optind]), -1;
	if (have_duration && s->requests)
		return fprintf(stderr, "%s: give --duration or --requests, not both\n", prog), -1;
	return 0;
}

/* Nodes to use; on failure prints why. */
static int find_nodes(struct server *s)
{
	s->nnodes = wl_full_nodes(s->nodes, WL_MAX_NODES);
	if (s->nnodes < 0) {
		fprintf(stderr, "%s: cannot read /sys/devices/system/node: %s\n", prog,
			strerror(errno));
		return -1;
	}
	if (s->nnodes == 0) {
		fprintf(stderr, "%s: no node has both CPUs and memory (has_cpu, has_memory)\n",
			prog);
		return -1;
	}
	return 0;
}

/* Maps the buffer; in ftbug mode also pins main to the first node and runs init_weights. */
static int setup_buffer(struct server *s)
{
	s->len = (size_t)s->mib << 20;
	s->buf = mmap(NULL, s->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (s->buf == MAP_FAILED) {
		fprintf(stderr, "%s: mmap %zu bytes: %s\n", prog, s->len, strerror(errno));
		return -1;
	}
	madvise(s->buf, s->len, MADV_NOHUGEPAGE);
	s->init_node = -1;
	if (s->mode != MODE_FTBUG)
		return 0;
	s->init_node = s->nodes[0];
	if (wl_pin_to_node(s->init_node) < 0) {
		fprintf(stderr, "%s: cannot run on node %d's CPUs: %s\n", prog, s->init_node,
			strerror(errno));
		return -1;
	}
	init_weights(s->buf, s->len);
	return 0;
}

/* Splits the buffer into page-aligned parts (the last takes the remainder) and picks each
 * worker's node. */
static int plan_workers(struct server *s, struct worker *ws)
{
	size_t part = s->len / s->threads / WL_PAGE * WL_PAGE;

	if (!part) {
		fprintf(stderr, "%s: --mb %llu is too small for %u threads (a page each)\n", prog,
			(unsigned long long)s->mib, s->threads);
		return -1;
	}
	for (unsigned i = 0; i < s->threads; i++) {
		ws[i].s = s;
		ws[i].index = i;
		ws[i].node = s->mode == MODE_FTBUG ? s->nodes[s->nnodes - 1]
						   : s->nodes[i % (unsigned)s->nnodes];
		ws[i].part = s->buf + (size_t)i * part;
		ws[i].part_len = i + 1 < s->threads ? part : s->len - (size_t)i * part;
	}
	return 0;
}

static void print_layout(const struct server *s, const struct worker *ws)
{
	static long placed[WL_MAX_NODES];
	char counts[8192], nodes[4096];
	size_t used = 0;
	long missing = 0;

	nodes[0] = '\0';
	for (int i = 0; i < s->nnodes && used < sizeof(nodes); i++)
		used += snprintf(nodes + used, sizeof(nodes) - used, "%s%d", i ? "," : "",
				 s->nodes[i]);
	if (wl_count_pages(s->buf, s->len / WL_PAGE, placed, &missing) < 0)
		snprintf(counts, sizeof(counts), "unknown(move_pages: %s)", strerror(errno));
	else
		wl_format_counts(placed, counts, sizeof(counts));
	printf("nl-server: pid=%d mode=%s threads=%u mb=%llu slice_kb=%zu rate=%llu nodes=%s "
	       "init_node=%d placed=%s\n", (int)getpid(),
	       s->mode == MODE_FTBUG ? "ftbug" : "good", s->threads,
	       (unsigned long long)s->mib, s->slice / 1024, (unsigned long long)s->rate, nodes,
	       s->init_node, counts);
	if (s->nnodes == 1)
		printf("nl-server: one node with CPUs and memory: everything runs on node %d, "
		       "so ftbug has no remote node\n", s->nodes[0]);
	for (unsigned i = 0; i < s->threads; i++)
		printf("nl-server: worker %u tid=%d node=%d part=%p+%zu\n", i, (int)ws[i].tid,
		       ws[i].node, (void *)ws[i].part, ws[i].part_len);
	fflush(stdout);
}

/* Starts the workers, releases them once all are placed, waits for them. */
static int run_workers(struct server *s, struct worker *ws)
{
	unsigned started;
	int rc = 0, err;

	if (pthread_barrier_init(&s->ready, NULL, s->threads + 1) ||
	    pthread_barrier_init(&s->go, NULL, s->threads + 1)) {
		fprintf(stderr, "%s: pthread_barrier_init failed\n", prog);
		return -1;
	}
	for (started = 0; started < s->threads; started++) {
		err = pthread_create(&ws[started].thread, NULL, worker_main, &ws[started]);
		if (err) {
			/* The barriers count every thread: with one missing, none could pass. */
			fprintf(stderr, "%s: pthread_create: %s\n", prog, strerror(err));
			exit(1);
		}
	}
	pthread_barrier_wait(&s->ready);
	for (unsigned i = 0; i < s->threads; i++)
		if (ws[i].err)
			s->abort = 1;
	if (!s->abort)
		print_layout(s, ws);
	s->go_ns = wl_now_ns();
	s->deadline_ns = s->go_ns + (uint64_t)(s->duration * 1e9);
	pthread_barrier_wait(&s->go);
	for (unsigned i = 0; i < s->threads; i++) {
		pthread_join(ws[i].thread, NULL);
		if (ws[i].err) {
			fprintf(stderr, "%s: worker %u (node %d) could not %s: %s\n", prog, i,
				ws[i].node, ws[i].what, strerror(ws[i].err));
			rc = -1;
		}
	}
	s->end_ns = wl_now_ns();
	return rc;
}

static int write_log(const struct server *s, const struct wl_req *all, size_t n)
{
	FILE *f = s->log;

	for (size_t i = 0; i < n; i++)
		fprintf(f, "%d %llu %llu\n", (int)all[i].tid, (unsigned long long)all[i].start_ns,
			(unsigned long long)all[i].latency_ns);
	return wl_close_log(prog, s->out, f);
}

/* The residency line on stdout and the summary line on stderr. */
static int report(const struct server *s, const struct worker *ws, const struct wl_req *all,
		  size_t n)
{
	static long resident[WL_MAX_NODES];
	char counts[8192];
	uint64_t *lat = malloc((n ? n : 1) * sizeof(*lat)), checksum = 0;
	long missing = 0;

	if (!lat) {
		fprintf(stderr, "%s: out of memory sorting %zu latencies\n", prog, n);
		return -1;
	}
	if (wl_count_pages(s->buf, s->len / WL_PAGE, resident, &missing) < 0)
		snprintf(counts, sizeof(counts), "unknown(move_pages: %s)", strerror(errno));
	else
		wl_format_counts(resident, counts, sizeof(counts));
	printf("nl-server: done resident=%s\n", counts);
	fflush(stdout);
	for (size_t i = 0; i < n; i++)
		lat[i] = all[i].latency_ns;
	qsort(lat, n, sizeof(*lat), wl_u64_cmp);
	for (unsigned i = 0; i < s->threads; i++)
		checksum += ws[i].checksum;
	fprintf(stderr, "nl-server: requests=%zu p50_ns=%llu p99_ns=%llu max_ns=%llu "
		"seconds=%.3f checksum=0x%016llx\n", n,
		(unsigned long long)wl_percentile(lat, n, 50),
		(unsigned long long)wl_percentile(lat, n, 99),
		(unsigned long long)(n ? lat[n - 1] : 0),
		(double)(s->end_ns - s->go_ns) / 1e9, (unsigned long long)checksum);
	free(lat);
	return 0;
}

int main(int argc, char **argv)
{
	static struct server s = { .mode = MODE_GOOD, .threads = 2, .mib = 64,
				   .slice = 1024 * 1024, .duration = 5 };
	static struct worker ws[MAX_THREADS];
	struct wl_reqlog logs[MAX_THREADS];
	struct wl_req *all;
	size_t n;
	int rc;

	if (parse_args(argc, argv, &s) < 0) {
		fprintf(stderr, "try '%s --help'\n", prog);
		return 2;
	}
	if (s.out && !(s.log = wl_open_log(prog, s.out)))
		return 1;
	if (find_nodes(&s) < 0 || setup_buffer(&s) < 0 || plan_workers(&s, ws) < 0)
		return 1;
	if (run_workers(&s, ws) < 0)
		return 1;
	for (unsigned i = 0; i < s.threads; i++)
		logs[i] = ws[i].log;
	all = wl_reqlog_merge(logs, s.threads, &n);
	if (!all) {
		fprintf(stderr, "%s: out of memory merging the request logs\n", prog);
		return 1;
	}
	rc = s.out && write_log(&s, all, n) < 0 ? 1 : 0;
	if (report(&s, ws, all, n) < 0)
		rc = 1;
	free(all);
	return rc;
}
