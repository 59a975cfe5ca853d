/* nl_resident_remote_ratio (the residency x sched estimate) and the per-process trend
 * history that top keeps for the table. No kernel involved. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "model/model.h"
#include "model/trend.h"

static void test_ratio_all_remote(void **state)
{
	struct nl_counts c = { 0 };
	uint64_t res[NL_MAX_NODES] = { 0 };

	res[0] = 1000;     /* every page on n0 */
	c.cpu_ns[1] = 5e8; /* every CPU ns on n1 */
	assert_float_equal(nl_resident_remote_ratio(&c, res), 1.0, 1e-12);
	/* and the mirror: CPU where the pages are -> 0 */
	c.cpu_ns[1] = 0;
	c.cpu_ns[0] = 5e8;
	assert_float_equal(nl_resident_remote_ratio(&c, res), 0.0, 1e-12);
}

static void test_ratio_half(void **state)
{
	struct nl_counts c = { 0 };
	uint64_t res[NL_MAX_NODES] = { 0 };

	/* pages 50/50: whatever node the CPU is on, half are remote */
	res[0] = 500;
	res[1] = 500;
	c.cpu_ns[1] = 1000;
	assert_float_equal(nl_resident_remote_ratio(&c, res), 0.5, 1e-12);
	c.cpu_ns[0] = 3000;
	assert_float_equal(nl_resident_remote_ratio(&c, res), 0.5, 1e-12);
}

static void test_ratio_weighted(void **state)
{
	struct nl_counts c = { 0 };
	uint64_t res[NL_MAX_NODES] = { 0 };

	/* 3/4 of the pages on n0; CPU 1/4 on n0, 3/4 on n1:
	 * 1/4 * 1/4 (from n0, pages on n1) + 3/4 * 3/4 (from n1, pages on n0) = 10/16 */
	res[0] = 300;
	res[1] = 100;
	c.cpu_ns[0] = 250;
	c.cpu_ns[1] = 750;
	assert_float_equal(nl_resident_remote_ratio(&c, res), 10.0 / 16.0, 1e-12);

	/* a third node with pages but no CPU counts as remote from everywhere */
	res[3] = 400;
	assert_float_equal(nl_resident_remote_ratio(&c, res), 0.25 * 500 / 800 + 0.75 * 700 / 800, 1e-12);
}

static void test_ratio_unknown(void **state)
{
	struct nl_counts c = { 0 };
	uint64_t res[NL_MAX_NODES] = { 0 };

	res[0] = 10;
	assert_true(isnan(nl_resident_remote_ratio(&c, res)));  /* no CPU time */
	c.cpu_ns[0] = 10;
	assert_true(isnan(nl_resident_remote_ratio(&c, NULL))); /* residency unknown */
	res[0] = 0;
	assert_true(isnan(nl_resident_remote_ratio(&c, res)));  /* nothing resident */
}

/* ---- trend ---- */

static void proc_at(struct nl_process *p, uint32_t pid, uint64_t on_n0, uint64_t on_n1,
		    uint64_t migrated)
{
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->resident_known = true;
	p->resident_pages[0] = on_n0;
	p->resident_pages[1] = on_n1;
	p->c.cpu_ns[1] = 1000000; /* runs on n1 */
	nl_mat_set(&p->c.migrated_pages, 0, 1, migrated);
	nl_mat_set(&p->c.hint_faults, 1, 0, migrated);
	p->c.migrate_stall_ns = migrated * 1000;
}

static void snap_of(struct nl_snapshot *s, struct nl_process *procs, int nr, uint64_t interval_ns)
{
	memset(s, 0, sizeof(*s));
	s->procs = procs;
	s->nr_procs = nr;
	s->interval_ns = interval_ns;
}

static void test_trend_falls_and_wraps(void **state)
{
	struct nl_trend t = { 0 };
	struct nl_snapshot s;
	struct nl_process p;

	/* pages move n0 -> n1 by 100 per half-second interval */
	for (int i = 0; i < NL_TREND_LEN + 5; i++) {
		uint64_t moved = (uint64_t)i * 100 > 1000 ? 1000 : (uint64_t)i * 100;
		proc_at(&p, 42, 1000 - moved, moved, 100);
		snap_of(&s, &p, 1, 500000000ULL);
		assert_int_equal(nl_trend_update(&t, &s), 0);
		const struct nl_trend_series *ser = nl_trend_find(&t, 42);
		assert_non_null(ser);
		assert_int_equal(ser->nr, i + 1 < NL_TREND_LEN ? i + 1 : NL_TREND_LEN);
	}
	const struct nl_trend_series *ser = nl_trend_find(&t, 42);
	/* 25 intervals kept 20: the oldest is interval 5 (500 pages moved: 0.5 remote) */
	assert_float_equal(nl_trend_point(ser, 0)->resident_remote, 0.5, 1e-12);
	assert_float_equal(nl_trend_point(ser, 1)->resident_remote, 0.4, 1e-12);
	assert_float_equal(nl_trend_point(ser, NL_TREND_LEN - 1)->resident_remote, 0.0, 1e-12);
	/* 100 pages in 0.5 s */
	assert_float_equal(nl_trend_point(ser, 0)->migrated_per_s, 200.0, 1e-9);
	assert_float_equal(nl_trend_point(ser, 0)->hint_remote, 1.0, 1e-12);
	assert_true(nl_trend_point(ser, 0)->migrate_stall_ns == 100000);
	assert_null(nl_trend_find(&t, 7));
	nl_trend_free(&t);
	assert_int_equal(t.nr, 0);
}

static void test_trend_gaps_align_and_expire(void **state)
{
	struct nl_trend t = { 0 };
	struct nl_snapshot s;
	struct nl_process p[2];

	proc_at(&p[0], 1, 10, 0, 0);
	snap_of(&s, p, 1, 1000000000ULL);
	assert_int_equal(nl_trend_update(&t, &s), 0);
	assert_int_equal(nl_trend_update(&t, &s), 0);

	/* pid 2 appears in the third interval: two gaps before its first point */
	proc_at(&p[1], 2, 0, 10, 5);
	snap_of(&s, p, 2, 1000000000ULL);
	assert_int_equal(nl_trend_update(&t, &s), 0);
	const struct nl_trend_series *b = nl_trend_find(&t, 2);
	assert_non_null(b);
	assert_int_equal(b->nr, 3);
	assert_false(nl_trend_point(b, 0)->present);
	assert_false(nl_trend_point(b, 1)->present);
	assert_true(isnan(nl_trend_point(b, 1)->resident_remote));
	assert_true(nl_trend_point(b, 2)->present);
	assert_float_equal(nl_trend_point(b, 2)->resident_remote, 0.0, 1e-12);

	/* pid 1 goes quiet: gaps, then forgotten after a whole window of them */
	snap_of(&s, &p[1], 1, 1000000000ULL);
	assert_int_equal(nl_trend_update(&t, &s), 0);
	const struct nl_trend_series *a = nl_trend_find(&t, 1);
	assert_non_null(a);
	assert_int_equal(a->nr, 4);
	assert_false(nl_trend_point(a, 3)->present);
	assert_float_equal(nl_trend_point(a, 2)->resident_remote, 1.0, 1e-12);
	for (int i = 0; i < NL_TREND_LEN; i++)
		assert_int_equal(nl_trend_update(&t, &s), 0);
	assert_null(nl_trend_find(&t, 1));
	assert_non_null(nl_trend_find(&t, 2));
	nl_trend_free(&t);
}

static void test_trend_unknowns(void **state)
{
	struct nl_process p;
	struct nl_trend_point pt;

	proc_at(&p, 9, 10, 10, 0);
	p.resident_known = false;
	nl_trend_point_of(&p, 0, &pt);
	assert_true(pt.present);
	assert_true(isnan(pt.resident_remote)); /* residency unknown */
	assert_true(isnan(pt.migrated_per_s));  /* no interval length */
	assert_true(isnan(pt.hint_remote));     /* no hint faults */
	assert_true(isnan(pt.remote_ratio));    /* no classified accesses */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ratio_all_remote),
		cmocka_unit_test(test_ratio_half),
		cmocka_unit_test(test_ratio_weighted),
		cmocka_unit_test(test_ratio_unknown),
		cmocka_unit_test(test_trend_falls_and_wraps),
		cmocka_unit_test(test_trend_gaps_align_and_expire),
		cmocka_unit_test(test_trend_unknowns),
	};
	return cmocka_run_group_tests_name("trend", tests, NULL, NULL);
}
