/* Unit tests for model/fleet.c and render/render_prom.c on fixed snapshots: counters
 * add up across intervals and never go down, the stall histogram's buckets are
 * cumulative seconds with _sum and _count, cgroups are bounded to the top N with the
 * rest under "other", label values are escaped, and no pid or tid label appears;
 * request families: BPF's log-linear buckets as cumulative le seconds, _sum from BPF,
 * causes summed over the records (exited requests left out), hint_fault only when a
 * record says it was measured, nothing of requests when none were asked for; the
 * exporter's --trigger expressions, p99 with its units. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/exporter.h"
#include "model/fleet.h"
#include "render/render_prom.h"

/* A two-node interval with one process per entry of faults[] (its [0][1] faults). */
static void make_interval(struct nl_snapshot *s, int nprocs, const uint64_t *remote_faults)
{
	memset(s, 0, sizeof(*s));
	s->topo.nr_nodes = 2;
	s->topo.node_ids[0] = 0;
	s->topo.node_ids[1] = 1;
	nl_enum_names_default(&s->names);
	s->interval_ns = 1000000000ULL;
	s->timestamp_ns = 2000000000ULL;
	s->procs = calloc((size_t)nprocs, sizeof(*s->procs));
	s->nr_procs = nprocs;
	for (int i = 0; i < nprocs; i++) {
		s->procs[i].pid = (uint32_t)(100 + i);
		nl_mat_set(&s->procs[i].c.faults, 0, 0, 10);
		nl_mat_set(&s->procs[i].c.faults, 0, 1, remote_faults[i]);
		nl_mat_set(&s->procs[i].c.migrated_pages, 0, 1, 3);
		s->procs[i].c.migrate_stall_hist[10] = 1; /* [1024, 2048) ns */
		s->procs[i].c.migrate_stall_hist[20] = 1; /* [~1 ms, ~2 ms) */
		s->procs[i].c.migrate_stall_ns = 1500 + 1500000;
	}
}

static char *render(const struct nl_fleet *f, int top)
{
	struct nl_prom_opts o = { .top_cgroups = top };
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);

	assert_non_null(m);
	nl_render_prom(f, &o, m);
	assert_int_equal(fclose(m), 0);
	return text;
}

static uint64_t sample(const char *text, const char *series)
{
	char key[256], line[256];
	const char *p;

	snprintf(key, sizeof(key), "\n%s", series); /* a sample line, not its HELP */
	p = strstr(text, key);
	if (!p)
		fail_msg("no series %s", series);
	snprintf(line, sizeof(line), "%s", p + strlen(key));
	return strtoull(line, NULL, 10);
}

static void test_counters_add_up(void **state)
{
	struct nl_fleet f = { 0 };
	struct nl_snapshot s;
	uint64_t r[2] = { 5, 7 };
	const char *cg[2] = { "/a", "/b" };
	char *t;

	(void)state;
	make_interval(&s, 2, r);
	assert_int_equal(nl_fleet_add(&f, &s, cg), 0);
	assert_int_equal(nl_fleet_add(&f, &s, cg), 0);
	nl_snapshot_free(&s);
	t = render(&f, 10);
	assert_int_equal(sample(t, "numalens_page_faults_total{cpu_node=\"0\",mem_node=\"0\"} "), 40);
	assert_int_equal(sample(t, "numalens_page_faults_total{cpu_node=\"0\",mem_node=\"1\"} "), 24);
	assert_int_equal(sample(t, "numalens_page_faults_total{cpu_node=\"1\",mem_node=\"0\"} "), 0);
	assert_int_equal(sample(t, "numalens_pages_migrated_total{src_node=\"0\",dst_node=\"1\"} "), 12);
	assert_int_equal(sample(t, "numalens_cgroup_accesses_total{cgroup=\"/b\"} "), 34);
	assert_int_equal(sample(t, "numalens_cgroup_remote_accesses_total{cgroup=\"/b\"} "), 14);
	assert_int_equal(sample(t, "numalens_intervals_total "), 2);
	assert_null(strstr(t, "pid=\""));
	assert_null(strstr(t, "tid=\""));
	free(t);
	nl_fleet_free(&f);
}

static void test_histogram(void **state)
{
	struct nl_fleet f = { 0 };
	struct nl_snapshot s;
	uint64_t r[1] = { 0 };
	char *t;

	(void)state;
	make_interval(&s, 1, r);
	assert_int_equal(nl_fleet_add(&f, &s, NULL), 0);
	nl_snapshot_free(&s);
	t = render(&f, 0);
	/* bucket 10 is [1024, 2048) ns: counted from le=2.048e-06 on, not before */
	assert_int_equal(sample(t, "numalens_migration_stall_seconds_bucket{le=\"1.024e-06\"} "), 0);
	assert_int_equal(sample(t, "numalens_migration_stall_seconds_bucket{le=\"2.048e-06\"} "), 1);
	assert_int_equal(sample(t, "numalens_migration_stall_seconds_bucket{le=\"0.001048576\"} "), 1);
	assert_int_equal(sample(t, "numalens_migration_stall_seconds_bucket{le=\"0.002097152\"} "), 2);
	assert_int_equal(sample(t, "numalens_migration_stall_seconds_bucket{le=\"+Inf\"} "), 2);
	assert_int_equal(sample(t, "numalens_migration_stall_seconds_count "), 2);
	assert_non_null(strstr(t, "numalens_migration_stall_seconds_sum 0.001501500\n"));
	assert_null(strstr(t, "numalens_cgroup_")); /* top 0: no cgroup families */
	free(t);
	nl_fleet_free(&f);
}

static void test_cgroups_bounded_and_escaped(void **state)
{
	struct nl_fleet f = { 0 };
	struct nl_snapshot s;
	uint64_t r[3] = { 1, 2, 100 };
	const char *cg[3] = { "/small", "/we\"ird\\", "/big" };
	char *t;

	(void)state;
	make_interval(&s, 3, r);
	assert_int_equal(nl_fleet_add(&f, &s, cg), 0);
	nl_snapshot_free(&s);
	t = render(&f, 2);
	assert_int_equal(sample(t, "numalens_cgroup_accesses_total{cgroup=\"/big\"} "), 110);
	assert_int_equal(sample(t, "numalens_cgroup_accesses_total{cgroup=\"/we\\\"ird\\\\\"} "), 12);
	assert_null(strstr(t, "cgroup=\"/small\""));
	/* the third cgroup is not lost: it is in "other" */
	assert_int_equal(sample(t, "numalens_cgroup_accesses_total{cgroup=\"other\"} "), 11);
	free(t);
	nl_fleet_free(&f);
}

static void test_requests(void **state)
{
	struct nl_fleet f = { 0 };
	struct nl_snapshot s;
	struct nl_request r[3] = {
		{ .latency_ns = 1000, .causes_ns = { [NL_RQ_ON_CPU] = 400, [NL_RQ_OFF_CPU] = 600 },
		  .flags = NL_RQ_F_NO_FAULT },
		{ .latency_ns = 3000000, .causes_ns = { [NL_RQ_ON_CPU] = 1000000, [NL_RQ_RUNQ_WAIT] = 2000000 },
		  .flags = NL_RQ_F_NO_FAULT },
		{ .latency_ns = 9, .causes_ns = { [NL_RQ_ON_CPU] = 9 },
		  .flags = NL_RQ_F_NO_FAULT | NL_RQ_F_EXITED },
	};
	uint64_t rf[1] = { 0 };
	char *t;

	(void)state;
	make_interval(&s, 1, rf);
	t = render(&f, 0);
	assert_null(strstr(t, "numalens_request")); /* not asked for: no family */
	free(t);
	s.rq.valid = true;
	nl_rq_hist_add(&s.rq.hist, 1000);
	nl_rq_hist_add(&s.rq.hist, 3000000);
	s.rq.sum_ns = 3001000;
	s.rq.exited = 1;
	s.rq.drops[NL_RQ_DROP_EVENT] = 2;
	assert_int_equal(nl_fleet_add(&f, &s, NULL), 0);
	nl_fleet_add_requests(&f, r, 3);
	nl_snapshot_free(&s);
	t = render(&f, 0);
	/* 1000 ns is in [960, 1024): from le=1023 ns on, not at le=959 ns */
	assert_int_equal(sample(t, "numalens_request_latency_seconds_bucket{le=\"9.59e-07\"} "), 0);
	assert_int_equal(sample(t, "numalens_request_latency_seconds_bucket{le=\"1.023e-06\"} "), 1);
	assert_int_equal(sample(t, "numalens_request_latency_seconds_bucket{le=\"+Inf\"} "), 2);
	assert_int_equal(sample(t, "numalens_request_latency_seconds_count "), 2);
	assert_non_null(strstr(t, "numalens_request_latency_seconds_sum 0.003001000\n"));
	assert_int_equal(sample(t, "numalens_requests_total "), 3);
	assert_int_equal(sample(t, "numalens_requests_exited_total "), 1);
	assert_int_equal(sample(t, "numalens_request_drops_total{reason=\"record_lost\"} "), 2);
	assert_int_equal(sample(t, "numalens_request_records_total "), 2);
	/* the exited request's 9 ns are not in on_cpu */
	assert_non_null(strstr(t, "numalens_request_cause_seconds_total{cause=\"on_cpu\"} 0.001000400\n"));
	assert_non_null(strstr(t, "numalens_request_cause_seconds_total{cause=\"runq_wait\"} 0.002000000\n"));
	assert_null(strstr(t, "cause=\"hint_fault\"")); /* not measured: not exported */
	free(t);
	r[0].flags = 0;
	nl_fleet_add_requests(&f, r, 1);
	t = render(&f, 0);
	assert_non_null(strstr(t, "numalens_request_cause_seconds_total{cause=\"hint_fault\"} 0.000000000\n"));
	free(t);
	nl_fleet_free(&f);
}

static void test_trigger_parse(void **state)
{
	static const struct {
		const char *text;
		enum nl_trigger_kind kind;
		double threshold;
	} good[] = {
		{ "p99>5ms", NL_TRIGGER_P99, 5e6 },
		{ "p99>250us", NL_TRIGGER_P99, 250e3 },
		{ "p99>1.5s", NL_TRIGGER_P99, 1.5e9 },
		{ "p99>800ns", NL_TRIGGER_P99, 800 },
		{ "remote>0.5", NL_TRIGGER_REMOTE, 0.5 },
		{ "migrate>1000/s", NL_TRIGGER_MIGRATE, 1000 },
	};
	static const char *const bad[] = { "p99>5", "p99>5xs", "p99>5 ms", "p99>0ms", "p99>-1ms",
					   "p99>ms", "p99>infs", "p99>nanms", "p99<5ms", "p90>5ms",
					   "p99>5msx", "" };
	struct nl_trigger t;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(nl_trigger_parse(good[i].text, &t), 0);
		assert_int_equal(t.kind, good[i].kind);
		assert_true(t.threshold == good[i].threshold);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (nl_trigger_parse(bad[i], &t) == 0)
			fail_msg("'%s' accepted", bad[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counters_add_up),
		cmocka_unit_test(test_histogram),
		cmocka_unit_test(test_cgroups_bounded_and_escaped),
		cmocka_unit_test(test_requests),
		cmocka_unit_test(test_trigger_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
