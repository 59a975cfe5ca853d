/* trace_tool: the trace library's helper for tests and measurements.
 *   trace_tool seed DIR            writes the fuzzer's seed corpus: small recordings that
 *                                  look like real ones (every record type, compression
 *                                  and shape: several chunks, rotation, a cut file)
 *   trace_tool synth FILE N [T]    one larger synthetic recording: N intervals of a
 *                                  process with T threads (default 32), for measuring
 *   trace_tool measure [-f] FILE...  re-writes each recording with zstd, zlib and none at
 *                                  several levels: bytes, ratio, write time (encoding and
 *                                  compressing), read time; the best of three runs. -f
 *                                  flushes after every interval, as numalens record does
 *                                  (one interval a chunk), instead of 1 MiB chunks
 *   trace_tool dump FILE           what the reader sees: header, items, stats, losses
 * Synthetic data comes from a fixed-seed generator, so the same build writes the same
 * bytes (apart from the recording id). */
#include <errno.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "trace/trace.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint64_t below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static void die(const char *what, const char *why)
{
	fprintf(stderr, "trace_tool: %s: %s\n", what, why);
	exit(1);
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);
	if (!d)
		die("strdup", strerror(errno));
	return d;
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);
	if (!p)
		die("calloc", strerror(errno));
	return p;
}

/* ---- a machine and a workload that look like a real recording ---- */

/* nodes: 2 (10/21) or 4 (10/12/32 in two sockets of two SNC halves). */
static void make_meta(struct nl_trace_meta *m, int nodes)
{
	memset(m, 0, sizeof(*m));
	m->topo.nr_nodes = nodes;
	for (int n = 0; n < nodes; n++) {
		int per = 64 / nodes;
		m->topo.node_ids[n] = n;
		m->topo.cpus[n] = xcalloc((size_t)per, sizeof(int));
		for (int c = 0; c < per; c++)
			m->topo.cpus[n][c] = n * per + c;
		m->topo.nr_cpus[n] = per;
		m->topo.mem_total_kb[n] = 65842176ull + (uint64_t)n * 4096;
		for (int o = 0; o < nodes; o++)
			m->topo.distance[n][o] = n == o ? 10 : nodes == 2 ? 21 : n / 2 == o / 2 ? 12 : 32;
	}
	snprintf(m->kernel_release, sizeof(m->kernel_release), "6.1.0-18-amd64");
	snprintf(m->hostname, sizeof(m->hostname), "db-%d", nodes);
	snprintf(m->machine, sizeof(m->machine), "x86_64");
	m->cmdline = xstrdup("numalens record -o server.nl -i 1 -- ./server --threads 8");
	m->target = xstrdup("pid 4242 (server)");
	m->version = xstrdup("v0.3-42-g1234567");
	nl_source_set(&m->sources[NL_SRC_SCHED], true, "tp_btf/sched_switch");
	nl_source_set(&m->sources[NL_SRC_FAULTS], true, "counter mode: tp_btf/mm_page_alloc");
	nl_source_set(&m->sources[NL_SRC_RESIDENCY], true, "numa_maps every 5 s");
	nl_source_set(&m->sources[NL_SRC_PMU], false, "no PEBS/IBS load latency event here");
	nl_source_set(&m->sources[NL_SRC_HINT_FAULTS], true, "tp_btf/task_numa_fault");
	nl_source_set(&m->sources[NL_SRC_MIGRATIONS], true, "tp_btf/mm_migrate_pages");
	nl_source_set(&m->sources[NL_SRC_NUMA_SCHED], true, "tp_btf/sched_move_numa");
	nl_source_set(&m->sources[NL_SRC_TLB], false, "kernel.numa_balancing=0 (nothing to see)");
	nl_enum_names_default(&m->names);
	m->start_realtime_ns = 1735700000000000000ull;
	m->start_mono_ns = 8123456789012ull;
	m->interval_ns = 1000000000ull;
	m->residency_interval_ns = 5000000000ull;
	m->numa_balancing = 1;
}

static void sparse_counts(struct nl_counts *c, int nodes, int home, uint64_t scale)
{
	nl_mat_set(&c->faults, home, home, scale * (50 + below(100)));
	nl_mat_set(&c->faults, home, (home + 1) % nodes, scale * below(40));
	c->first_touch_pages[home] = scale * below(30);
	c->cpu_ns[home] = 900000000ull - below(100000000);
	if (below(3) == 0)
		c->cpu_ns[(home + 1) % nodes] = below(50000000);
	c->node_migrations = below(3);
	if (below(2)) {
		nl_mat_set(&c->hint_faults, home, (home + 1) % nodes, below(300));
		c->hint_pages = nl_mat_at(&c->hint_faults, home, (home + 1) % nodes) * (below(4) ? 1 : 512);
		c->hint_local = below(20);
		nl_mat_set(&c->migrated_pages, (home + 1) % nodes, home, below(200));
		c->migrate_pages_by_reason[5] = nl_mat_at(&c->migrated_pages, (home + 1) % nodes, home);
		c->hint_migrated_pages = c->migrate_pages_by_reason[5];
		c->migrate_stall_ns = below(5000000);
		c->migrate_stall_ns_by_reason[5] = c->migrate_stall_ns;
		c->migrate_stall_hist[14 + below(6)] = 1 + below(10);
		c->numa_task_moves = below(2);
		c->tlb_shootdowns[1] = below(500);
		c->ipi_count = below(400);
		c->ipi_ns = c->ipi_count * 1500;
		c->numa_scan_count = below(3);
		c->numa_scan_ns = c->numa_scan_count * 70000;
	}
}

static struct nl_stack *make_stack(void)
{
	static const char *const syms[] = { "init_weights+0x1c", "load_table+0x88", "main+0x2d1",
					    "__libc_start_call_main+0x7a", NULL };
	struct nl_stack *st = xcalloc(1, sizeof(*st));

	st->nr = 3 + (int)below(4);
	for (int i = 0; i < st->nr; i++) {
		struct nl_frame *f = &st->frames[i];
		const char *sym = syms[i % 5];
		f->ip = 0x55d0c3a01000ull + below(0x4000);
		f->symbol = sym ? xstrdup(sym) : NULL;
		f->module = xstrdup(i < 3 ? "/srv/bin/server" : "/usr/lib/x86_64-linux-gnu/libc.so.6");
		f->build_id = xstrdup(i < 3 ? "5f1c2ad8b9a0e3a1c4d7f00112233445566778899"
					   : "c8f4b2a1d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4");
		f->file_offset = f->ip - 0x55d0c3a00000ull;
		f->has_offset = true;
	}
	return st;
}

static void make_proc(struct nl_process *p, uint32_t pid, const char *comm, int threads,
		      int nodes, uint64_t seq)
{
	static const char *const policies[] = { "default", "bind:1", "interleave:0-1", "prefer:0" };
	static const char *const names[] = { "/srv/bin/server", "heap", NULL, "[stack]" };

	p->pid = pid;
	snprintf(p->comm, sizeof(p->comm), "%s", comm);
	p->nr_threads = threads;
	p->threads = xcalloc((size_t)threads, sizeof(*p->threads));
	for (int t = 0; t < threads; t++) {
		struct nl_thread *th = &p->threads[t];
		th->tid = pid + (uint32_t)t;
		th->serial = 100 + (uint64_t)t;
		if (t)
			snprintf(th->comm, sizeof(th->comm), "worker-%d", t % 100000);
		else
			snprintf(th->comm, sizeof(th->comm), "%s", comm);
		sparse_counts(&th->c, nodes, t % nodes, 1);
		if (t == 0 || below(4) == 0) {
			th->first_touch_stack = make_stack();
			th->first_touch_stack_pages = 1000 + below(100000);
		}
		th->exited = seq > 2 && t == threads - 1 && below(3) == 0;
		nl_counts_add(&p->c, &th->c);
	}
	p->nr_vmas = 4;
	p->vmas = xcalloc(4, sizeof(*p->vmas));
	for (int v = 0; v < 4; v++) {
		p->vmas[v].start = 0x55d0c3a00000ull + (uint64_t)v * 0x10000000ull;
		snprintf(p->vmas[v].policy, sizeof(p->vmas[v].policy), "%s", policies[v]);
		p->vmas[v].name = names[v] ? xstrdup(names[v]) : NULL;
		for (int n = 0; n < nodes; n++)
			p->vmas[v].pages[n] = below(2) ? below(1u << 18) : 0;
		p->vmas[v].page_size = v == 2 ? 2097152 : 4096;
	}
	for (int n = 0; n < nodes; n++)
		p->resident_pages[n] = p->vmas[0].pages[n] + p->vmas[1].pages[n];
	p->resident_known = true;
	p->followed = pid == 4242;
	if (below(3) == 0) {
		p->diag.kind = NL_DIAG_FIRST_TOUCH_BUG;
		p->diag.mem_node = 0;
		p->diag.cpu_node = 1;
		p->diag.resident_share = 0.97;
		p->diag.cpu_share = 0.91;
		p->diag.init_tid = pid;
		snprintf(p->diag.init_comm, sizeof(p->diag.init_comm), "%s", comm);
		snprintf(p->diag.text, sizeof(p->diag.text), "97%% of %s's pages are on node 0 "
			 "but 91%% of its CPU time is on node 1: the main thread first-touched them.",
			 comm);
		snprintf(p->diag.fix, sizeof(p->diag.fix), "numactl --interleave=all ./%s", comm);
	}
}

static void make_interval(struct nl_snapshot *s, const struct nl_trace_meta *m, uint64_t seq,
			  int threads)
{
	int nodes = m->topo.nr_nodes;

	memset(s, 0, sizeof(*s));
	nl_sources_copy(s->sources, m->sources);
	s->seq = seq;
	s->mono_ns = m->start_mono_ns + seq * m->interval_ns;
	s->interval_ns = m->interval_ns;
	s->timestamp_ns = m->start_realtime_ns + seq * m->interval_ns;
	s->lost_events = below(8) == 0 ? below(100) : 0;
	s->numa_balancing = m->numa_balancing;
	s->nr_procs = 2;
	s->procs = xcalloc(2, sizeof(*s->procs));
	make_proc(&s->procs[0], 4242, "server", threads, nodes, seq);
	make_proc(&s->procs[1], 977, "logger", 2, nodes, seq);
	snprintf(s->autonuma_state, sizeof(s->autonuma_state), "AutoNUMA on (kernel.numa_balancing=1)");
	s->vmstat = (struct nl_vmstat_check){ .valid = true, .hint_faults = 1200 + below(50),
		.hint_faults_local = 800, .pages_migrated = 300, .pgmigrate_success = 310,
		.bpf_valid = true, .bpf_local_exact = true, .bpf_hint_faults = 1200,
		.bpf_hint_faults_local = 800, .bpf_pages_migrated = 300, .bpf_pgmigrate_success = 310 };
	snprintf(s->vmstat.note, sizeof(s->vmstat.note), "agree");
	s->vm_now = (struct nl_vm_totals){ true, true, 912345 + seq * 1200, 601234, 220000, 230000, 17 };
	s->vm_open = (struct nl_vm_totals){ true, true, 912345, 601234, 220000, 230000, 17 };
	s->bpf_sys = (struct nl_bpf_totals){ true, true, seq * 1200, seq * 800, seq * 300, seq * 310, 0 };
	s->numastat_valid = true;
	for (int n = 0; n < nodes; n++)
		s->numastat[n] = (struct nl_numastat){ 81234567 + seq * 1000, 1234 + seq, 4321,
						       65536, 81230000 + seq * 900, 4567 };
}

static struct nl_trace_writer *wopen(const char *path, const struct nl_trace_meta *m,
				     const struct nl_trace_wopts *o)
{
	struct nl_trace_writer *w;
	char err[256];

	if (nl_trace_writer_open(path, m, o, &w, err, sizeof(err)))
		die(path, err);
	return w;
}

/* A recording: intervals, each followed by a batch of events and a thread record;
 * the sources change half way. */
static void record(struct nl_trace_writer *w, const struct nl_trace_meta *m, int intervals,
		   int threads, int events)
{
	struct nl_event *ev = xcalloc((size_t)events + 1, sizeof(*ev));

	for (int i = 1; i <= intervals; i++) {
		struct nl_snapshot s;
		make_interval(&s, m, (uint64_t)i, threads);
		if (i > intervals / 2)
			nl_source_set(&s.sources[NL_SRC_TLB], true, "tp_btf/tlb_flush");
		if (nl_trace_write_interval(w, &s))
			die("write", nl_trace_writer_error(w));
		nl_snapshot_free(&s);
		for (int e = 0; e < events; e++)
			ev[e] = (struct nl_event){ .ts_ns = m->start_mono_ns + (uint64_t)i * 1000000000u +
						   below(1000000000), .type = 1 + (uint32_t)below(5),
						   .tid = 4242 + (uint32_t)below(threads), .tgid = 4242,
						   .cpu = (uint32_t)below(64), .a = 5, .b = (uint32_t)below(2),
						   .v0 = below(512), .v1 = below(2), .v2 = below(3000000) };
		if (events && nl_trace_write_events(w, ev, (size_t)events))
			die("write", nl_trace_writer_error(w));
		if (nl_trace_write_thread(w, 1 + (int)below(3), m->start_mono_ns + (uint64_t)i,
					  4242 + (uint32_t)i, 4242, "worker"))
			die("write", nl_trace_writer_error(w));
	}
	free(ev);
}

static void seed_one(const char *dir, const char *name, int nodes, const struct nl_trace_wopts *o,
		     int intervals, int threads, int events)
{
	struct nl_trace_meta m;
	char path[4096];
	struct nl_trace_writer *w;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	make_meta(&m, nodes);
	w = wopen(path, &m, o);
	record(w, &m, intervals, threads, events);
	if (nl_trace_writer_close(w))
		die(path, "close failed");
	nl_trace_meta_free(&m);
}

static int cmd_seed(const char *dir)
{
	struct nl_trace_wopts zstd = { NL_TRACE_ZSTD, 0, 2048, 0 }, zlib = { NL_TRACE_ZLIB, 0, 2048, 0 },
			      none = { NL_TRACE_NONE, 0, 1024, 0 }, one = { NL_TRACE_ZSTD, 0, 0, 0 },
			      rot = { NL_TRACE_ZSTD, 1, 1500, 4000 };
	char path[4096];
	struct stat st;

	seed_one(dir, "zstd-2node.nl", 2, &zstd, 4, 4, 6);
	seed_one(dir, "zlib-4node.nl", 4, &zlib, 3, 3, 4);
	seed_one(dir, "none-2node.nl", 2, &none, 3, 2, 3);
	seed_one(dir, "one-chunk.nl", 2, &one, 2, 2, 2);
	seed_one(dir, "header-only.nl", 4, &one, 0, 0, 0);
	seed_one(dir, "rotated.nl", 2, &rot, 6, 3, 2); /* rotated.nl, rotated.nl.1, ... */
	/* A recording cut in the middle of a chunk, as a killed writer leaves it. */
	seed_one(dir, "cut.nl", 2, &zstd, 4, 3, 3);
	snprintf(path, sizeof(path), "%s/cut.nl", dir);
	if (stat(path, &st) || truncate(path, st.st_size * 2 / 3))
		die(path, strerror(errno));
	return 0;
}

static int cmd_synth(const char *path, int intervals, int threads)
{
	struct nl_trace_meta m;
	struct nl_trace_writer *w;

	make_meta(&m, 2);
	w = wopen(path, &m, NULL);
	record(w, &m, intervals, threads, 20);
	if (nl_trace_writer_close(w))
		die(path, "close failed");
	nl_trace_meta_free(&m);
	return 0;
}

/* ---- reading ---- */

static struct nl_trace_reader *ropen(const char *path)
{
	struct nl_trace_reader *r;
	char err[256];

	if (nl_trace_reader_open(path, &r, err, sizeof(err)))
		die(path, err);
	return r;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Copies every item of in to a new file with options o; returns the seconds taken. */
static double rewrite(const char *in, const char *out, const struct nl_trace_wopts *o,
		      bool flush, struct nl_trace_wstats *ws)
{
	struct nl_trace_reader *r = ropen(in);
	struct nl_trace_writer *w = wopen(out, nl_trace_reader_meta(r), o);
	struct nl_trace_item it;
	struct stat st;
	double spent = 0, t;
	int rc = 0;

	while (!rc && nl_trace_next(r, &it) == 1) {
		t = now_s();
		if (it.kind == NL_TRACE_ITEM_INTERVAL) {
			rc = nl_trace_write_interval(w, &it.snap);
			if (!rc && flush)
				rc = nl_trace_flush(w);
		} else if (it.kind == NL_TRACE_ITEM_EVENTS)
			rc = nl_trace_write_events(w, it.events, it.nr_events);
		else if (it.kind == NL_TRACE_ITEM_REQUESTS)
			rc = nl_trace_write_requests(w, it.requests, it.nr_requests);
		else
			rc = nl_trace_write_thread(w, it.thread.kind, it.thread.mono_ns, it.thread.tid,
						   it.thread.pid, it.thread.comm);
		spent += now_s() - t;
		nl_trace_item_free(&it);
	}
	/* The last chunk is written by the flush (stats count it) and the END by close;
	 * the bytes are the file's, END included. */
	t = now_s();
	if (!rc)
		rc = nl_trace_flush(w);
	nl_trace_writer_stats(w, ws);
	if (nl_trace_writer_close(w) || rc)
		die(out, "write failed");
	spent += now_s() - t;
	if (stat(out, &st))
		die(out, strerror(errno));
	ws->bytes_written = (uint64_t)st.st_size;
	nl_trace_reader_close(r);
	return spent;
}

static double read_time(const char *path, uint64_t *items)
{
	double t = now_s();
	struct nl_trace_reader *r = ropen(path);
	struct nl_trace_item it;

	*items = 0;
	while (nl_trace_next(r, &it) == 1) {
		(*items)++;
		nl_trace_item_free(&it);
	}
	nl_trace_reader_close(r);
	return now_s() - t;
}

static int cmd_measure(int argc, char **argv, bool flush)
{
	static const struct { const char *name; struct nl_trace_wopts o; } cfg[] = {
		{ "none", { NL_TRACE_NONE, 0, 0, 0 } },   { "zlib-1", { NL_TRACE_ZLIB, 1, 0, 0 } },
		{ "zlib-6", { NL_TRACE_ZLIB, 6, 0, 0 } }, { "zlib-9", { NL_TRACE_ZLIB, 9, 0, 0 } },
		{ "zstd-1", { NL_TRACE_ZSTD, 1, 0, 0 } }, { "zstd-3", { NL_TRACE_ZSTD, 3, 0, 0 } },
		{ "zstd-9", { NL_TRACE_ZSTD, 9, 0, 0 } }, { "zstd-19", { NL_TRACE_ZSTD, 19, 0, 0 } },
	};
	char out[4096];

	for (int i = 0; i < argc; i++) {
		snprintf(out, sizeof(out), "%s.measure.tmp", argv[i]);
		printf("%s\n  %-8s %12s %8s %10s %10s %8s\n", argv[i], "kind", "bytes", "ratio",
		       "write s", "MB/s raw", "read s");
		for (size_t c = 0; c < sizeof(cfg) / sizeof(cfg[0]); c++) {
			struct nl_trace_wstats ws;
			uint64_t items;
			double wt = 1e9, rt = 1e9;
			for (int rep = 0; rep < 3; rep++) { /* the best of three: less noise */
				double w1 = rewrite(argv[i], out, &cfg[c].o, flush, &ws);
				double r1 = read_time(out, &items);
				wt = w1 < wt ? w1 : wt;
				rt = r1 < rt ? r1 : rt;
			}
			printf("  %-8s %12" PRIu64 " %7.2fx %10.3f %10.1f %8.3f\n", cfg[c].name,
			       ws.bytes_written, (double)ws.raw_bytes / (double)ws.bytes_written, wt,
			       (double)ws.raw_bytes / 1e6 / wt, rt);
		}
		unlink(out);
	}
	return 0;
}

static int cmd_dump(const char *path)
{
	struct nl_trace_reader *r = ropen(path);
	const struct nl_trace_meta *m = nl_trace_reader_meta(r);
	struct nl_trace_item it;
	struct nl_trace_rstats st;
	int rc;

	printf("host %s, kernel %s, %s; %d nodes; target %s; version %s\n", m->hostname,
	       m->kernel_release, m->machine, m->topo.nr_nodes, m->target ? m->target : "-",
	       m->version ? m->version : "-");
	printf("recording %016" PRIx64 " part %u from chunk %" PRIu64 "; interval %" PRIu64 " ns\n",
	       m->recording_id, m->part, m->first_seq, m->interval_ns);
	while ((rc = nl_trace_next(r, &it)) == 1) {
		if (it.kind == NL_TRACE_ITEM_INTERVAL)
			printf("interval seq %" PRIu64 ": %d processes\n", it.snap.seq, it.snap.nr_procs);
		else if (it.kind == NL_TRACE_ITEM_EVENTS)
			printf("events: %zu\n", it.nr_events);
		else if (it.kind == NL_TRACE_ITEM_REQUESTS)
			printf("requests: %zu\n", it.nr_requests);
		else
			printf("thread %u: kind %d comm %s\n", it.thread.tid, it.thread.kind, it.thread.comm);
		nl_trace_item_free(&it);
	}
	nl_trace_reader_stats(r, &st);
	printf("%s: %" PRIu64 " chunks, %" PRIu64 " records, %" PRIu64 " bytes; ended %d continued %d "
	       "truncated %d lost %" PRIu64 "\n", rc < 0 ? "ERROR" : "end", st.chunks, st.records,
	       st.bytes_read, st.ended, st.continued, st.truncated, st.bytes_lost);
	if (*nl_trace_reader_error(r))
		printf("reader: %s\n", nl_trace_reader_error(r));
	if (*nl_trace_reader_notes(r))
		printf("notes: %s\n", nl_trace_reader_notes(r));
	nl_trace_reader_close(r);
	return rc < 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "seed"))
		return cmd_seed(argv[2]);
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "synth"))
		return cmd_synth(argv[2], atoi(argv[3]), argc == 5 ? atoi(argv[4]) : 32);
	if (argc >= 4 && !strcmp(argv[1], "measure") && !strcmp(argv[2], "-f"))
		return cmd_measure(argc - 3, argv + 3, true);
	if (argc >= 3 && !strcmp(argv[1], "measure"))
		return cmd_measure(argc - 2, argv + 2, false);
	if (argc == 3 && !strcmp(argv[1], "dump"))
		return cmd_dump(argv[2]);
	fprintf(stderr, "usage: trace_tool seed DIR | synth FILE INTERVALS [THREADS] | "
			"measure [-f] FILE... | dump FILE\n");
	return 2;
}
