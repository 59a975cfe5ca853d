#include "engine/exporter.h"

#include <bpf/bpf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "analyze/requests.h"
#include "common/util.h"
#include "model/fleet.h"
#include "render/render_prom.h"
#include "sysinfo/topology.h"

#define TEXTFILE_NAME "numalens.prom"

struct nl_exporter {
	struct nl_exporter_opts o;
	struct nl_session *sess;
	struct nl_view view;
	struct nl_fleet fleet;
	struct nl_flight *flight;
	int stats_fd;               /* BPF_ENABLE_STATS; -1 none */
	bool textfile_warned;
	uint64_t next_dump_ok_ns;   /* threshold triggers wait for the ring to refill */
	bool pending;               /* fired; dumped at dump_at (--flight-after) */
	uint64_t dump_at;
	char pending_why[160];
	struct sigaction old_usr1;
	bool usr1_set;
	struct nl_request_set rq;   /* the requests finished since the last tick */
	uint64_t last_rq_count, last_p99_ns; /* the latest interval's (p99 trigger) */
};

static volatile sig_atomic_t got_usr1;

static void on_usr1(int sig)
{
	(void)sig;
	got_usr1 = 1;
}

/* "5ms": a finite duration > 0 and its unit, in ns. 0 or -1. */
static int parse_duration_ns(const char *s, double *ns)
{
	static const struct {
		const char *unit;
		double ns;
	} u[] = { { "ns", 1 }, { "us", 1e3 }, { "ms", 1e6 }, { "s", 1e9 } };
	char *end;
	double v = strtod(s, &end);

	if (end == s || !isfinite(v) || !(v > 0))
		return -1;
	for (size_t i = 0; i < NL_ARRAY_SIZE(u); i++)
		if (!strcmp(end, u[i].unit)) {
			*ns = v * u[i].ns;
			return 0;
		}
	return -1;
}

int nl_trigger_parse(const char *s, struct nl_trigger *t)
{
	char *end;
	double v;

	*t = (struct nl_trigger){ .text = s };
	if (!strncmp(s, "remote>", 7)) {
		v = strtod(s + 7, &end);
		if (end == s + 7 || *end || !(v > 0 && v <= 1))
			return -1;
		t->kind = NL_TRIGGER_REMOTE;
	} else if (!strncmp(s, "p99>", 4)) {
		if (parse_duration_ns(s + 4, &v))
			return -1;
		t->kind = NL_TRIGGER_P99;
	} else if (!strncmp(s, "migrate>", 8)) {
		v = strtod(s + 8, &end);
		if (end == s + 8 || strcmp(end, "/s") || !(v > 0))
			return -1;
		t->kind = NL_TRIGGER_MIGRATE;
	} else {
		return -1;
	}
	t->threshold = v;
	return 0;
}

/* ---- what the engine reads beside the snapshot ---- */

/* The cgroup v2 path of a process ("0::/path"), malloc'd; NULL when unknown. */
static char *proc_cgroup(uint32_t pid)
{
	char path[64], *text, *line, *res = NULL;

	snprintf(path, sizeof(path), "/proc/%" PRIu32 "/cgroup", pid);
	text = nl_read_file(NULL, path);
	for (line = text; line && *line;) {
		char *eol = strchr(line, '\n');
		if (eol)
			*eol = '\0';
		if (!strncmp(line, "0::", 3)) {
			res = strdup(line + 3);
			break;
		}
		line = eol ? eol + 1 : NULL;
	}
	free(text);
	return res;
}

static void read_memory(struct nl_fleet *f)
{
	for (int i = 0; i < f->nr_nodes; i++) {
		int n = f->node_ids[i];
		char path[96];
		struct nl_fleet_mem *m = &f->mem[n];

		snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/meminfo", n);
		char *text = nl_read_file(NULL, path);
		m->valid = text && !nl_meminfo_value(text, "MemTotal", &m->total_bytes) &&
			   !nl_meminfo_value(text, "MemFree", &m->free_bytes) &&
			   !nl_meminfo_value(text, "FilePages", &m->file_bytes) &&
			   !nl_meminfo_value(text, "AnonPages", &m->anon_bytes);
		free(text);
	}
}

/* numalens's own programs: every BPF program fd this process holds, by its fdinfo
 * (prog_id, run_time_ns, run_cnt; the kernel counts only while bpf_stats is on: the
 * sysctl, or our BPF_ENABLE_STATS fd, which the sysctl does not show). */
static void read_bpf_stats(struct nl_fleet *f, bool ours)
{
	uint64_t on = 0, seen[256];
	int nseen = 0;
	DIR *d;
	struct dirent *de;

	f->bpf_stats_enabled = ours || (!nl_read_u64(NULL, "/proc/sys/kernel/bpf_stats_enabled", &on) && on);
	f->bpf_run_ns = f->bpf_run_cnt = 0;
	d = opendir("/proc/self/fdinfo");
	if (!d)
		return;
	while ((de = readdir(d))) {
		char path[300], *text;
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/fdinfo/%s", de->d_name);
		text = nl_read_file(NULL, path);
		if (!text)
			continue;
		char *id = strstr(text, "\nprog_id:"), *rt = strstr(text, "\nrun_time_ns:"),
		     *rc = strstr(text, "\nrun_cnt:");
		uint64_t pid = 0;
		/* a link's fdinfo names its program too: only program fds count */
		if (id && strstr(text, "\nprog_type:") && !strstr(text, "link_type:") &&
		    sscanf(id, "\nprog_id: %" SCNu64, &pid) == 1) {
			bool dup = false;
			for (int i = 0; i < nseen; i++)
				dup |= seen[i] == pid;
			if (!dup && nseen < (int)NL_ARRAY_SIZE(seen)) {
				uint64_t v;
				seen[nseen++] = pid;
				if (rt && sscanf(rt, "\nrun_time_ns: %" SCNu64, &v) == 1)
					f->bpf_run_ns += v;
				if (rc && sscanf(rc, "\nrun_cnt: %" SCNu64, &v) == 1)
					f->bpf_run_cnt += v;
			}
		}
		free(text);
	}
	closedir(d);
	f->bpf_progs = nseen;
}

/* ---- publishing ---- */

/* DIR/numalens.prom replaced atomically: a temp file in DIR (node_exporter reads only
 * *.prom, so it never sees a half-written one), fsync'd, renamed over. */
static int write_textfile(struct nl_exporter *e, const char *text, size_t len)
{
	char tmp[PATH_MAX], dst[PATH_MAX];
	int fd;

	snprintf(dst, sizeof(dst), "%s/" TEXTFILE_NAME, e->o.textfile_dir);
	snprintf(tmp, sizeof(tmp), "%s/." TEXTFILE_NAME ".XXXXXX", e->o.textfile_dir);
	fd = mkstemp(tmp);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, 0644) || nl_write_all(fd, text, len) || fsync(fd)) {
		int err = -errno;
		close(fd);
		unlink(tmp);
		return err;
	}
	if (close(fd) || rename(tmp, dst)) {
		int err = -errno;
		unlink(tmp);
		return err;
	}
	return 0;
}

static int publish(struct nl_exporter *e)
{
	struct nl_prom_opts po = { .top_cgroups = e->o.top_cgroups };
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	int rc = 0;

	if (!mem) {
		nl_err("%s: out of memory", e->o.who);
		return -1;
	}
	nl_render_prom(&e->fleet, &po, mem);
	if (fclose(mem)) {
		free(text);
		nl_err("%s: out of memory", e->o.who);
		return -1;
	}
	if (e->o.httpd && nl_httpd_publish(e->o.httpd, text, len))
		rc = -ENOMEM;
	if (e->o.textfile_dir) {
		int w = write_textfile(e, text, len);
		if (w && !e->textfile_warned) /* said once: a full disk must not flood the log */
			nl_err("%s: writing %s/" TEXTFILE_NAME " failed: %s (the run goes on)", e->o.who,
			       e->o.textfile_dir, strerror(-w));
		e->textfile_warned = w != 0;
	}
	free(text);
	if (rc)
		nl_err("%s: out of memory", e->o.who);
	return rc ? -1 : 0;
}

/* ---- the flight recorder's triggers ---- */

static const char *fired(struct nl_exporter *e, char *why, size_t len)
{
	const struct nl_fleet *f = &e->fleet;
	const struct nl_trigger *t = &e->o.trigger;
	uint64_t now = nl_now_ns(CLOCK_MONOTONIC);

	if (got_usr1) {
		got_usr1 = 0;
		snprintf(why, len, "SIGUSR1");
		return why;
	}
	if (t->kind == NL_TRIGGER_NONE || now < e->next_dump_ok_ns || !f->last_interval_ns)
		return NULL;
	if (t->kind == NL_TRIGGER_REMOTE && f->last_accesses >= NL_TRIGGER_MIN_ACCESSES &&
	    (double)f->last_remote / (double)f->last_accesses > t->threshold) {
		snprintf(why, len, "%s: remote ratio %.3f of %" PRIu64 " accesses", t->text,
			 (double)f->last_remote / (double)f->last_accesses, f->last_accesses);
		return why;
	}
	/* the interval's exact p99 (as top shows it), over the records of its requests */
	if (t->kind == NL_TRIGGER_P99 && e->last_rq_count && (double)e->last_p99_ns > t->threshold) {
		snprintf(why, len, "%s: p99 %.3f ms of %" PRIu64 " requests", t->text,
			 (double)e->last_p99_ns / 1e6, e->last_rq_count);
		return why;
	}
	double rate = (double)f->last_migrated * 1e9 / (double)f->last_interval_ns;
	if (t->kind == NL_TRIGGER_MIGRATE && rate > t->threshold) {
		snprintf(why, len, "%s: %.0f pages/s migrated", t->text, rate);
		return why;
	}
	return NULL;
}

/* A trigger that fires is dumped --flight-after seconds later (at once at the end of
 * the run), so the dump can hold what followed the trigger too. */
static void maybe_dump(struct nl_exporter *e, bool last)
{
	char path[PATH_MAX];
	uint64_t span, now = nl_now_ns(CLOCK_MONOTONIC);
	size_t n, bytes;

	if (!e->pending && !last && fired(e, e->pending_why, sizeof(e->pending_why))) {
		e->pending = true;
		e->dump_at = now + e->o.flight_after_ns;
		/* a condition that holds fires again only once the ring holds new seconds */
		e->next_dump_ok_ns = e->dump_at + e->o.flight.keep_ns;
	}
	if (!e->pending || (now < e->dump_at && !last))
		return;
	e->pending = false;
	nl_flight_span(e->flight, &span, &n, &bytes);
	if (nl_flight_dump(e->flight, path, sizeof(path)) == 0 && !e->o.quiet)
		nl_err("%s: flight recorder (%s): the last %.1f s (%zu intervals) in %s", e->o.who,
		       e->pending_why, (double)span / 1e9, n, path);
}

/* ---- the consumer ---- */

static void fleet_add(struct nl_exporter *e, const struct nl_snapshot *s)
{
	char **cg = s->nr_procs ? calloc((size_t)s->nr_procs, sizeof(*cg)) : NULL;

	/* only processes with accesses are charged to a cgroup: read only theirs */
	for (int p = 0; cg && p < s->nr_procs; p++) {
		uint64_t all, remote;
		nl_counts_accesses(&s->procs[p].c, &all, &remote);
		if (all && s->procs[p].pid)
			cg[p] = proc_cgroup(s->procs[p].pid);
	}
	if (nl_fleet_add(&e->fleet, s, (const char *const *)cg))
		nl_warn("%s: out of memory: some cgroups counted under \"other\"", e->o.who);
	for (int p = 0; cg && p < s->nr_procs; p++)
		free(cg[p]);
	free(cg);
}

/* The requests that finished since the last tick: into the totals (their causes)
 * and the interval's p99 for the trigger. 0, or -1 after saying why. */
static int take_requests(struct nl_exporter *e)
{
	struct nl_rq_summary sum;
	int rc;

	e->rq.n = 0;
	e->last_rq_count = e->last_p99_ns = 0;
	if (!e->o.requests)
		return 0;
	rc = nl_collector_drain_requests(e->sess->coll);
	if (rc < 0) {
		nl_err("%s: reading the finished requests failed: %s", e->o.who, strerror(-rc));
		return -1;
	}
	nl_fleet_add_requests(&e->fleet, e->rq.v, e->rq.n);
	rc = nl_rq_summarize(e->rq.v, e->rq.n, &sum);
	if (rc == -EINVAL) /* none finished in this interval */
		return 0;
	if (rc) {
		nl_err("%s: out of memory analysing the requests", e->o.who);
		return -1;
	}
	e->last_rq_count = sum.count;
	e->last_p99_ns = sum.p99_ns;
	return 0;
}

int nl_exporter_tick(struct nl_exporter *e, enum nl_stop_reason why)
{
	struct nl_snapshot s;
	int rc = nl_view_interval(&e->view, NL_SAMPLE_NUMASTAT, &s);

	if (rc) {
		nl_err("%s: reading the collected data failed: %s", e->o.who, strerror(-rc));
		return -1;
	}
	rc = take_requests(e);
	fleet_add(e, &s);
	read_memory(&e->fleet);
	read_bpf_stats(&e->fleet, e->stats_fd >= 0);
	if (e->flight && nl_flight_add(e->flight, &s, e->rq.v, e->rq.n))
		rc = -1;
	nl_snapshot_free(&s);
	if (e->flight) {
		maybe_dump(e, why != NL_RUNNING);
	} else if (got_usr1) {
		got_usr1 = 0;
		nl_warn("%s: SIGUSR1: there is no flight recorder to dump (--flight DIR)", e->o.who);
	}
	if (publish(e))
		rc = -1;
	return rc;
}

int nl_exporter_open(struct nl_session *s, const struct nl_exporter_opts *o,
		     struct nl_exporter **out)
{
	struct nl_exporter *e = calloc(1, sizeof(*e));

	*out = NULL;
	if (!e) {
		nl_err("%s: out of memory", o->who);
		return -1;
	}
	e->o = *o;
	e->sess = s;
	e->stats_fd = -1;
	if (nl_view_init(&e->view, s->coll)) {
		nl_err("%s: the collector has no room for another consumer", o->who);
		free(e);
		return -1;
	}
	if (o->requests && nl_collector_on_requests(s->coll, nl_request_set_keep, &e->rq)) {
		nl_err("%s: the collector has no room for another request consumer", o->who);
		goto fail;
	}
	if (o->flight.dir && nl_flight_open(s, &o->flight, &e->flight))
		goto fail;
	if (o->bpf_stats) {
		e->stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
		if (e->stats_fd < 0)
			nl_warn("%s: --bpf-stats: cannot turn bpf_stats on: %s (run time not exported)",
				o->who, strerror(-e->stats_fd));
	}
	/* always: SIGUSR1's default action would kill a daemon run without --flight */
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
	sigemptyset(&sa.sa_mask);
	got_usr1 = 0;
	sigaction(SIGUSR1, &sa, &e->old_usr1);
	e->usr1_set = true;
	/* node ids and sources before the first interval ends: a scrape right after the
	 * start gets every family, at zero */
	struct nl_topo_summary topo;
	if (!nl_collector_topology(s->coll, &topo)) {
		e->fleet.nr_nodes = topo.nr_nodes;
		memcpy(e->fleet.node_ids, topo.node_ids, sizeof(topo.node_ids));
		nl_topo_summary_free(&topo);
	}
	e->fleet.names = *nl_collector_names(s->coll);
	e->fleet.numa_balancing = -1;
	e->fleet.rq_valid = o->requests; /* the request families from the first scrape */
	e->fleet.start_realtime_ns = e->fleet.last_realtime_ns = nl_now_ns(CLOCK_REALTIME);
	nl_collector_sources(s->coll, e->fleet.sources);
	read_memory(&e->fleet);
	read_bpf_stats(&e->fleet, e->stats_fd >= 0);
	if (publish(e))
		goto fail;
	*out = e;
	return 0;
fail:
	nl_exporter_close(e);
	return -1;
}

void nl_exporter_close(struct nl_exporter *e)
{
	if (!e)
		return;
	if (e->usr1_set)
		sigaction(SIGUSR1, &e->old_usr1, NULL);
	if (e->stats_fd >= 0)
		close(e->stats_fd);
	nl_flight_close(e->flight);
	nl_view_free(&e->view);
	nl_fleet_free(&e->fleet);
	nl_request_set_free(&e->rq);
	free(e);
}
