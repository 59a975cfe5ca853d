/* /proc/vmstat parsing, interval deltas and the BPF-vs-vmstat comparison, on fixture
 * trees (tests/fixtures/vmstat/<case>/proc/vmstat). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "collect/vmstat.h"
#include "model/model.h"

#define FIX "tests/fixtures/vmstat/"

static void test_read(void **state)
{
	struct nl_vmstat v;

	(void)state;
	assert_int_equal(nl_vmstat_read(FIX "before", &v), 0);
	assert_true(v.have_numa);
	assert_true(v.have_pgmigrate);
	assert_int_equal(v.numa_hint_faults, 100);
	assert_int_equal(v.numa_hint_faults_local, 40);
	assert_int_equal(v.numa_pages_migrated, 60);
	assert_int_equal(v.numa_pte_updates, 16384);
	assert_int_equal(v.pgmigrate_success, 70);
	assert_int_equal(v.pgmigrate_fail, 1);
}

static void test_no_numa_balancing(void **state)
{
	struct nl_vmstat v;

	(void)state;
	assert_int_equal(nl_vmstat_read(FIX "nonuma", &v), 0);
	assert_false(v.have_numa);
	assert_true(v.have_pgmigrate);
	assert_int_equal(v.numa_hint_faults, 0);
	assert_int_equal(v.pgmigrate_success, 5);
}

static void test_errors(void **state)
{
	struct nl_vmstat v;

	(void)state;
	assert_int_equal(nl_vmstat_read(FIX "bad", &v), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(nl_vmstat_read(FIX "does-not-exist", &v), -1);
}

static void test_delta(void **state)
{
	struct nl_vmstat a, b, d;

	(void)state;
	assert_int_equal(nl_vmstat_read(FIX "before", &a), 0);
	assert_int_equal(nl_vmstat_read(FIX "after", &b), 0);
	nl_vmstat_delta(&a, &b, &d);
	assert_int_equal(d.numa_hint_faults, 32792);
	assert_int_equal(d.numa_hint_faults_local, 16405);
	assert_int_equal(d.numa_pages_migrated, 16387);
	assert_int_equal(d.pgmigrate_success, 18435);
	assert_int_equal(d.pgmigrate_fail, 0);
	/* Backwards (after, before): never a wrapped huge number. */
	nl_vmstat_delta(&b, &a, &d);
	assert_int_equal(d.numa_hint_faults, 0);
	assert_int_equal(d.numa_pages_migrated, 0);
}

static void fill_bpf(struct nl_vmstat_check *c, uint64_t hint, uint64_t local, uint64_t mig,
		     uint64_t succ)
{
	memset(c, 0, sizeof(*c));
	c->bpf_valid = true;
	c->bpf_local_exact = true; /* the fentry and kprobe paths */
	c->bpf_hint_faults = hint;
	c->bpf_hint_faults_local = local;
	c->bpf_pages_migrated = mig;
	c->bpf_pgmigrate_success = succ;
}

static void test_compare_agree(void **state)
{
	struct nl_vmstat a, b, d;
	struct nl_vmstat_check c;

	(void)state;
	assert_int_equal(nl_vmstat_read(FIX "before", &a), 0);
	assert_int_equal(nl_vmstat_read(FIX "after", &b), 0);
	nl_vmstat_delta(&a, &b, &d);
	/* Exactly equal. */
	fill_bpf(&c, 32792, 16405, 16387, 18435);
	nl_vmstat_compare(&c, &d, 2, 2.0);
	assert_true(c.valid);
	assert_false(c.disagree);
	assert_non_null(strstr(c.note, "agree"));
	assert_int_equal(c.hint_faults, 32792);
	/* Within 2 %: events in flight at the window's edges. */
	fill_bpf(&c, 32700, 16405, 16300, 18435);
	nl_vmstat_compare(&c, &d, 2, 2.0);
	assert_false(c.disagree);
}

static void test_compare_disagree(void **state)
{
	struct nl_vmstat a, b, d;
	struct nl_vmstat_check c;

	(void)state;
	assert_int_equal(nl_vmstat_read(FIX "before", &a), 0);
	assert_int_equal(nl_vmstat_read(FIX "after", &b), 0);
	nl_vmstat_delta(&a, &b, &d);
	fill_bpf(&c, 30000, 16405, 16387, 18435);
	nl_vmstat_compare(&c, &d, 2, 2.0);
	assert_true(c.disagree);
	assert_non_null(strstr(c.note, "numa_hint_faults: vmstat 32792 vs bpf 30000"));
	assert_null(strstr(c.note, "numa_pages_migrated"));
	/* Small counts: the absolute slack applies, not the percentage. */
	memset(&d, 0, sizeof(d));
	d.have_numa = d.have_pgmigrate = true;
	d.numa_hint_faults = 5;
	fill_bpf(&c, 2, 0, 0, 0);
	nl_vmstat_compare(&c, &d, 2, 2.0);
	assert_true(c.disagree);
	fill_bpf(&c, 3, 0, 0, 0);
	nl_vmstat_compare(&c, &d, 2, 2.0);
	assert_false(c.disagree);
}

/* The local pair is compared where BPF's local count is the kernel's verdict, and only
 * there: the fallback's inferred count is said not compared, its other pairs still are.
 * 12 vs 9 local faults is what a fallback run showed while nothing flagged it. */
static void test_compare_local(void **state)
{
	struct nl_vmstat d;
	struct nl_vmstat_check c;

	(void)state;
	memset(&d, 0, sizeof(d));
	d.have_numa = d.have_pgmigrate = true;
	d.numa_hint_faults = 20;
	d.numa_hint_faults_local = 12;
	fill_bpf(&c, 20, 9, 0, 0);
	nl_vmstat_compare(&c, &d, 2, 2.0);
	assert_true(c.disagree);
	assert_string_equal(c.note, "numa_hint_faults_local: vmstat 12 vs bpf 9");
	fill_bpf(&c, 20, 9, 0, 0);
	c.bpf_local_exact = false; /* the fallback */
	nl_vmstat_compare(&c, &d, 2, 2.0);
	assert_false(c.disagree);
	assert_true(c.valid);
	assert_non_null(strstr(c.note, "agree (hint faults 20, local 12,"));
	assert_non_null(strstr(c.note, "numa_hint_faults_local not compared (fallback"));
	fill_bpf(&c, 15, 9, 0, 0);
	c.bpf_local_exact = false;
	nl_vmstat_compare(&c, &d, 2, 2.0);
	assert_true(c.disagree);
	assert_non_null(strstr(c.note, "numa_hint_faults: vmstat 20 vs bpf 15"));
	assert_null(strstr(c.note, "numa_hint_faults_local:"));
	/* Without vmstat's numa_* lines nothing about local faults is said. */
	d.have_numa = false;
	fill_bpf(&c, 15, 9, 0, 0);
	c.bpf_local_exact = false;
	nl_vmstat_compare(&c, &d, 2, 2.0);
	assert_false(c.disagree);
	assert_null(strstr(c.note, "not compared"));
}

static void test_compare_not_possible(void **state)
{
	struct nl_vmstat d;
	struct nl_vmstat_check c;

	(void)state;
	memset(&d, 0, sizeof(d));
	fill_bpf(&c, 1, 0, 0, 0);
	nl_vmstat_compare(&c, &d, 2, 2.0);
	assert_false(c.valid);
	assert_false(c.disagree);
	assert_non_null(strstr(c.note, "not compared"));
	d.have_numa = true;
	memset(&c, 0, sizeof(c)); /* no BPF side */
	nl_vmstat_compare(&c, &d, 2, 2.0);
	assert_false(c.disagree);
	assert_non_null(strstr(c.note, "no BPF totals"));
}

/* A snapshot whose BPF totals since attach are bpf_hint (the other counters equal
 * between the two sides), with vmstat read at pre (0: not read) and now. */
static void bracket_snap(struct nl_snapshot *s, uint64_t bpf_hint, uint64_t pre, uint64_t now)
{
	memset(s, 0, sizeof(*s));
	s->vm_open = (struct nl_vm_totals){ true, true, 1000, 0, 0, 0, 0 };
	s->vm_now = (struct nl_vm_totals){ true, true, 1000 + now, 0, 0, 0, 0 };
	if (pre)
		s->vm_pre = (struct nl_vm_totals){ true, true, 1000 + pre, 0, 0, 0, 0 };
	s->bpf_sys = (struct nl_bpf_totals){ .valid = true, .local_exact = true,
					     .hint_faults = bpf_hint };
}

/* The disagreement is judged against vmstat at the instant of the BPF read: anything
 * between the reads before and after it agrees, however far apart they were; outside
 * the bracket the usual 2 events / 2 % apply. */
static void test_window_bracket(void **state)
{
	struct nl_snapshot s;
	struct nl_vmstat_check c;

	(void)state;
	bracket_snap(&s, 8498, 8400, 9288); /* a busy guest: 888 faults between the reads */
	nl_vmstat_check_window(&c, &s, NULL);
	assert_false(c.disagree);
	bracket_snap(&s, 7000, 8400, 9288); /* BPF missed faults before its own read */
	nl_vmstat_check_window(&c, &s, NULL);
	assert_true(c.disagree);
	assert_non_null(strstr(c.note, "numa_hint_faults: vmstat 8400 vs bpf 7000"));
	bracket_snap(&s, 9600, 8400, 9288); /* BPF counted more than ever happened */
	nl_vmstat_check_window(&c, &s, NULL);
	assert_true(c.disagree);
	bracket_snap(&s, 8498, 0, 9288); /* no read before (an older trace): vm_now only */
	nl_vmstat_check_window(&c, &s, NULL);
	assert_true(c.disagree);
	bracket_snap(&s, 9287, 0, 9288);
	nl_vmstat_check_window(&c, &s, NULL);
	assert_false(c.disagree);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read),
		cmocka_unit_test(test_no_numa_balancing),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_delta),
		cmocka_unit_test(test_compare_agree),
		cmocka_unit_test(test_compare_disagree),
		cmocka_unit_test(test_compare_local),
		cmocka_unit_test(test_compare_not_possible),
		cmocka_unit_test(test_window_bracket),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
