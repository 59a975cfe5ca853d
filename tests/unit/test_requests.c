/* The request analyses (analyze/requests.h): exact percentiles, the tail's causes
 * against the median request, and the windows where tail requests cluster with
 * AutoNUMA activity. Constructed data, exact answers. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "analyze/requests.h"

#define MS 1000000ULL

/* A deterministic shuffle so no test relies on sorted input. */
static void shuffle(struct nl_request *r, size_t n)
{
	uint64_t x = 12345;

	for (size_t i = n - 1; i > 0; i--) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		size_t j = (x >> 33) % (i + 1);
		struct nl_request t = r[i];
		r[i] = r[j];
		r[j] = t;
	}
}

/* A request all on CPU. */
static struct nl_request rq(uint64_t start_ns, uint64_t latency_ns)
{
	struct nl_request r = { .start_ns = start_ns, .latency_ns = latency_ns };

	r.causes_ns[NL_RQ_ON_CPU] = latency_ns;
	return r;
}

static void test_quantile_nearest_rank(void **state)
{
	uint64_t v[100];

	for (int i = 0; i < 100; i++)
		v[i] = (uint64_t)((i * 37) % 100) + 1; /* 1..100, shuffled */
	assert_int_equal(nl_quantile_sorted_inplace(v, 100, 0.50), 50);
	assert_int_equal(v[0], 1);  /* sorted in place */
	assert_int_equal(v[99], 100);
	assert_int_equal(nl_quantile_sorted_inplace(v, 100, 0.99), 99);
	assert_int_equal(nl_quantile_sorted_inplace(v, 100, 0.999), 100);
	assert_int_equal(nl_quantile_sorted_inplace(v, 100, 0.01), 1);
	/* 0.07 * 100 is 7.000000000000001 in doubles: still rank 7 */
	assert_int_equal(nl_quantile_sorted_inplace(v, 100, 0.07), 7);
	assert_int_equal(nl_quantile_sorted_inplace(v, 10, 0.90), 9);
	assert_int_equal(nl_quantile_sorted_inplace(v, 10, 0.91), 10);
	assert_int_equal(nl_quantile_sorted_inplace(v, 1, 0.99), 1);
	assert_int_equal(nl_quantile_sorted_inplace(v, 3, 0.0), 1);
	assert_int_equal(nl_quantile_sorted_inplace(v, 3, 1.0), 3);
}

static void test_summary_percentiles(void **state)
{
	struct nl_request r[1000];
	struct nl_rq_summary s;

	for (int i = 0; i < 1000; i++)
		r[i] = rq(i, (uint64_t)(i + 1) * 1000); /* 1..1000 us */
	shuffle(r, 1000);
	assert_int_equal(nl_rq_summarize(r, 1000, &s), 0);
	assert_int_equal(s.count, 1000);
	assert_int_equal(s.exited, 0);
	assert_int_equal(s.p50_ns, 500000);
	assert_int_equal(s.p90_ns, 900000);
	assert_int_equal(s.p99_ns, 990000);
	assert_true(s.have_p999);
	assert_int_equal(s.p999_ns, 999000);
	assert_int_equal(s.mean_ns, 500500);
	/* the tail: the 10 requests above 990 us */
	assert_int_equal(s.tail.threshold_ns, 990000);
	assert_int_equal(s.tail.count, 10);
	assert_int_equal(s.tail.latency_ns, 9955000);

	/* 999 requests cannot place p99.9 */
	assert_int_equal(nl_rq_summarize(r, 999, &s), 0);
	assert_false(s.have_p999);
	assert_int_equal(s.p999_ns, 0);
}

/* 1000 requests of 1 ms on CPU and 10 of 5 ms whose extra 4 ms is split as given. */
static void tail_of(struct nl_request *r, uint64_t stall, uint64_t hint, uint64_t runq)
{
	for (int i = 0; i < 1010; i++)
		r[i] = rq(i, 1 * MS);
	for (int i = 1000; i < 1010; i++) {
		r[i].latency_ns = 5 * MS;
		r[i].causes_ns[NL_RQ_MIGRATE_STALL] = stall;
		r[i].causes_ns[NL_RQ_HINT_FAULT] = hint;
		r[i].causes_ns[NL_RQ_RUNQ_WAIT] = runq;
	}
	shuffle(r, 1010);
}

static void test_summary_tail_all_migrate_stall(void **state)
{
	static struct nl_request r[1010];
	struct nl_rq_summary s;

	tail_of(r, 4 * MS, 0, 0);
	assert_int_equal(nl_rq_summarize(r, 1010, &s), 0);
	assert_int_equal(s.p99_ns, 1 * MS); /* rank 1000 of 1010 */
	assert_int_equal(s.tail.count, 10);
	assert_int_equal(s.tail.latency_ns, 50 * MS);
	assert_int_equal(s.tail.causes_ns[NL_RQ_MIGRATE_STALL], 40 * MS);
	assert_int_equal(s.tail.median_latency_ns, 1 * MS);
	assert_int_equal(s.tail.median_causes_ns[NL_RQ_ON_CPU], 1 * MS);
	assert_int_equal(s.tail.median_causes_ns[NL_RQ_MIGRATE_STALL], 0);
	assert_float_equal(s.tail.share[NL_RQ_MIGRATE_STALL], 1.0, 1e-12);
	assert_float_equal(s.tail.share[NL_RQ_ON_CPU], 0.0, 1e-12);
	assert_float_equal(s.tail.share[NL_RQ_HINT_FAULT], 0.0, 1e-12);
	assert_float_equal(s.tail.explained_share, 1.0, 1e-12);
}

static void test_summary_tail_split(void **state)
{
	static struct nl_request r[1010];
	struct nl_rq_summary s;

	tail_of(r, 2 * MS, 1 * MS, 0);
	/* the last ms of the excess is on CPU: the request's own work */
	for (int i = 0; i < 1010; i++)
		if (r[i].latency_ns == 5 * MS)
			r[i].causes_ns[NL_RQ_ON_CPU] = 2 * MS;
	assert_int_equal(nl_rq_summarize(r, 1010, &s), 0);
	assert_float_equal(s.tail.share[NL_RQ_MIGRATE_STALL], 0.50, 1e-12);
	assert_float_equal(s.tail.share[NL_RQ_HINT_FAULT], 0.25, 1e-12);
	assert_float_equal(s.tail.share[NL_RQ_ON_CPU], 0.25, 1e-12);
	assert_float_equal(s.tail.share[NL_RQ_RUNQ_WAIT], 0.0, 1e-12);
	assert_float_equal(s.tail.explained_share, 0.75, 1e-12);
}

static void test_summary_no_excess(void **state)
{
	struct nl_request r[200];
	struct nl_rq_summary s;

	for (int i = 0; i < 200; i++)
		r[i] = rq(i, 3 * MS);
	assert_int_equal(nl_rq_summarize(r, 200, &s), 0);
	assert_int_equal(s.tail.count, 0);
	assert_true(isnan(s.tail.share[NL_RQ_ON_CPU]));
	assert_true(isnan(s.tail.share[NL_RQ_MIGRATE_STALL]));
	assert_true(isnan(s.tail.explained_share));
}

static void test_summary_exited_left_out(void **state)
{
	struct nl_request r[110];
	struct nl_rq_summary s;

	for (int i = 0; i < 100; i++)
		r[i] = rq(i, (uint64_t)(i + 1) * 1000);
	/* ten threads exited inside their requests: huge latencies that must not count */
	for (int i = 100; i < 110; i++) {
		r[i] = rq(i, 1000 * MS);
		r[i].causes_ns[NL_RQ_MIGRATE_STALL] = 999 * MS;
		r[i].flags = NL_RQ_F_EXITED;
	}
	shuffle(r, 110);
	assert_int_equal(nl_rq_summarize(r, 110, &s), 0);
	assert_int_equal(s.count, 100);
	assert_int_equal(s.exited, 10);
	assert_int_equal(s.p99_ns, 99000);
	assert_int_equal(s.mean_ns, 50500);
	assert_int_equal(s.tail.count, 1);
	assert_int_equal(s.tail.causes_ns[NL_RQ_MIGRATE_STALL], 0);

	/* nothing but exited requests: nothing to say */
	for (int i = 0; i < 110; i++)
		r[i].flags = NL_RQ_F_EXITED;
	assert_int_equal(nl_rq_summarize(r, 110, &s), -EINVAL);
	assert_int_equal(nl_rq_summarize(r, 0, &s), -EINVAL);
}

/* Window w is [w s, (w + 1) s): 100 requests of 1 ms each, tail ones of 10 ms. */
static size_t fill_windows(struct nl_request *r, const int *tails, int n_windows)
{
	size_t n = 0;

	for (int w = 0; w < n_windows; w++)
		for (int i = 0; i < 100; i++)
			r[n++] = rq((uint64_t)w * 1000 * MS + (uint64_t)i * 10 * MS,
				    i < tails[w] ? 10 * MS : 1 * MS);
	return n;
}

static void test_windows_cluster(void **state)
{
	/* tail requests per window, and AutoNUMA activity in it */
	const int tails[5] = { 5, 5, 0, 2, 3 };
	const uint64_t migrated[5] = { 512, 0, 4096, 512, 0 };
	const uint64_t hints[5] = { 0, 0, 100, 10, 40 };
	static struct nl_request r[600];
	struct nl_rq_activity acts[5];
	struct nl_rq_window w[5];
	size_t n = fill_windows(r, tails, 5);

	for (int i = 0; i < 5; i++)
		acts[i] = (struct nl_rq_activity){ .start_ns = (uint64_t)i * 1000 * MS,
						   .end_ns = (uint64_t)(i + 1) * 1000 * MS,
						   .migrated_pages = migrated[i],
						   .hint_faults = hints[i] };
	/* an exited request in window 0 counts nowhere */
	r[n] = rq(1 * MS, 50 * MS);
	r[n++].flags = NL_RQ_F_EXITED;
	shuffle(r, n);
	assert_int_equal(nl_rq_windows(r, n, acts, 5, 1 * MS, w), 0);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(w[i].requests, 100);
		assert_int_equal(w[i].tail_requests, tails[i]);
		assert_int_equal(w[i].act.migrated_pages, migrated[i]);
		/* rank 99 of 100: the tail's when there are 2 or more */
		assert_int_equal(w[i].p99_ns, tails[i] >= 2 ? 10 * MS : 1 * MS);
	}
	assert_true(w[0].cluster);  /* 5 tail requests and migrations */
	assert_false(w[1].cluster); /* 5 tail requests, no activity */
	assert_false(w[2].cluster); /* activity, no tail */
	assert_false(w[3].cluster); /* activity, only 2 tail requests */
	assert_true(w[4].cluster);  /* 3 of 100 (> 2 %) with hint faults only */
}

static void test_windows_edges(void **state)
{
	struct nl_request r[4] = { rq(0, MS), rq(999, MS), rq(1000, 5 * MS), rq(5000, MS) };
	struct nl_rq_activity acts[3] = {
		{ .start_ns = 0, .end_ns = 1000, .hint_faults = 1 },
		{ .start_ns = 1000, .end_ns = 2000, .hint_faults = 1 },
		{ .start_ns = 2000, .end_ns = 3000, .hint_faults = 1 },
	};
	struct nl_rq_window w[3];

	/* half-open windows: the request starting at 1000 is the second window's */
	assert_int_equal(nl_rq_windows(r, 4, acts, 3, MS, w), 0);
	assert_int_equal(w[0].requests, 2);
	assert_int_equal(w[0].p99_ns, MS);
	assert_int_equal(w[1].requests, 1);
	assert_int_equal(w[1].tail_requests, 1);
	assert_int_equal(w[1].p99_ns, 5 * MS);
	assert_false(w[1].cluster); /* one tail request is not a cluster */
	assert_int_equal(w[2].requests, 0);
	assert_int_equal(w[2].p99_ns, 0);
	/* no requests at all: empty windows */
	assert_int_equal(nl_rq_windows(NULL, 0, acts, 3, MS, w), 0);
	assert_int_equal(w[0].requests, 0);
}

static void test_windows_share_rule(void **state)
{
	static struct nl_request r[200];
	struct nl_rq_activity act = { .start_ns = 0, .end_ns = 10000 * MS, .hint_faults = 9 };
	struct nl_rq_window w;

	for (int i = 0; i < 200; i++)
		r[i] = rq((uint64_t)i * MS, i < 3 ? 10 * MS : MS);
	/* 3 tail requests of 200: 1.5 %, not twice the expected 1 % */
	assert_int_equal(nl_rq_windows(r, 200, &act, 1, MS, &w), 0);
	assert_int_equal(w.tail_requests, 3);
	assert_false(w.cluster);
	/* 4 of 200 is exactly 2 %: a cluster */
	r[3].latency_ns = 10 * MS;
	assert_int_equal(nl_rq_windows(r, 200, &act, 1, MS, &w), 0);
	assert_true(w.cluster);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quantile_nearest_rank),
		cmocka_unit_test(test_summary_percentiles),
		cmocka_unit_test(test_summary_tail_all_migrate_stall),
		cmocka_unit_test(test_summary_tail_split),
		cmocka_unit_test(test_summary_no_excess),
		cmocka_unit_test(test_summary_exited_left_out),
		cmocka_unit_test(test_windows_cluster),
		cmocka_unit_test(test_windows_edges),
		cmocka_unit_test(test_windows_share_rule),
	};
	return cmocka_run_group_tests_name("requests", tests, NULL, NULL);
}
