/* The model's own logic on hand-made snapshots: intervals from cumulative snapshots
 * (threads matched by serial, exits, reused tids, the followed process, lost events,
 * the vmstat window), deep copies, adding intervals up (report), and source states. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "model/accum.h"
#include "model/model.h"

/* A cumulative snapshot of one process with n threads. */
static void cum(struct nl_snapshot *s, uint64_t seq, uint64_t mono, int n, const uint32_t *tids,
		const uint64_t *serials, const uint64_t *faults, const bool *exited)
{
	memset(s, 0, sizeof(*s));
	s->cumulative = true;
	s->seq = seq;
	s->mono_ns = mono;
	s->topo.nr_nodes = 2;
	s->topo.node_ids[1] = 1;
	s->procs = calloc(1, sizeof(*s->procs));
	assert_non_null(s->procs);
	s->nr_procs = 1;
	s->procs[0].pid = 100;
	strcpy(s->procs[0].comm, "app");
	s->procs[0].threads = calloc((size_t)n, sizeof(struct nl_thread));
	s->procs[0].nr_threads = n;
	for (int i = 0; i < n; i++) {
		struct nl_thread *t = &s->procs[0].threads[i];
		t->tid = tids[i];
		t->serial = serials[i];
		snprintf(t->comm, sizeof(t->comm), "t%u", tids[i]);
		nl_mat_set(&t->c.faults, 0, 1, faults[i]);
		t->c.cpu_ns[0] = faults[i] * 10;
		t->exited = exited ? exited[i] : false;
		nl_counts_add(&s->procs[0].c, &t->c);
	}
}

static const struct nl_thread *thread_of(const struct nl_snapshot *s, uint32_t tid, uint64_t serial)
{
	for (int p = 0; p < s->nr_procs; p++)
		for (int t = 0; t < s->procs[p].nr_threads; t++)
			if (s->procs[p].threads[t].tid == tid && s->procs[p].threads[t].serial == serial)
				return &s->procs[p].threads[t];
	return NULL;
}

static void test_delta_basic(void **state)
{
	struct nl_snapshot a, b, d;
	uint32_t tids[] = { 100, 101 };
	uint64_t ser[] = { 1, 2 }, f1[] = { 10, 5 }, f2[] = { 25, 5 };

	(void)state;
	cum(&a, 1, 1000, 2, tids, ser, f1, NULL);
	cum(&b, 2, 3000, 2, tids, ser, f2, NULL);
	a.lost_events = 3;
	b.lost_events = 7;
	assert_int_equal(nl_snapshot_delta(&b, &a, &d), 0);
	assert_false(d.cumulative);
	assert_int_equal(d.interval_ns, 2000);
	assert_int_equal(d.lost_events, 4);
	assert_int_equal(d.nr_procs, 1);
	/* thread 101 did nothing: left out; 100 gained 15 */
	assert_int_equal(d.procs[0].nr_threads, 1);
	assert_int_equal(d.procs[0].threads[0].tid, 100);
	assert_int_equal(nl_mat_at(&d.procs[0].threads[0].c.faults, 0, 1), 15);
	assert_int_equal(nl_mat_at(&d.procs[0].c.faults, 0, 1), 15);
	assert_int_equal(d.procs[0].c.cpu_ns[0], 150);
	/* the first interval (no previous) is everything since the start */
	nl_snapshot_free(&d);
	assert_int_equal(nl_snapshot_delta(&a, NULL, &d), 0);
	assert_int_equal(nl_mat_at(&d.procs[0].c.faults, 0, 1), 15);
	assert_int_equal(d.lost_events, 3);
	nl_snapshot_free(&d);
	/* reading does not consume: the same pair gives the same interval again */
	assert_int_equal(nl_snapshot_delta(&b, &a, &d), 0);
	assert_int_equal(nl_mat_at(&d.procs[0].c.faults, 0, 1), 15);
	nl_snapshot_free(&d);
	nl_snapshot_free(&a);
	nl_snapshot_free(&b);
}

/* A thread that exits is shown once, in the interval it exited in, even without new
 * counts; a reused tid with a new serial is a new thread, not a continuation. */
static void test_delta_exit_and_reuse(void **state)
{
	struct nl_snapshot a, b, c, d;
	uint32_t t1[] = { 100, 101 }, t2[] = { 100, 101 }, t3[] = { 100, 101, 101 };
	uint64_t s1[] = { 1, 2 }, s3[] = { 1, 2, 3 };
	uint64_t f1[] = { 10, 5 }, f2[] = { 10, 5 }, f3[] = { 10, 5, 2 };
	bool e2[] = { false, true }, e3[] = { false, true, false };

	(void)state;
	cum(&a, 1, 1000, 2, t1, s1, f1, NULL);
	cum(&b, 2, 2000, 2, t2, s1, f2, e2);
	assert_int_equal(nl_snapshot_delta(&b, &a, &d), 0);
	assert_int_equal(d.procs[0].nr_threads, 1);
	assert_true(d.procs[0].threads[0].exited);
	assert_int_equal(nl_mat_at(&d.procs[0].threads[0].c.faults, 0, 1), 0);
	nl_snapshot_free(&d);
	/* still held (not pruned) and a new 101: only the new one shows, with all it has */
	cum(&c, 3, 3000, 3, t3, s3, f3, e3);
	assert_int_equal(nl_snapshot_delta(&c, &b, &d), 0);
	assert_int_equal(d.procs[0].nr_threads, 1);
	const struct nl_thread *t = thread_of(&d, 101, 3);
	assert_non_null(t);
	assert_int_equal(nl_mat_at(&t->c.faults, 0, 1), 2);
	assert_false(t->exited);
	nl_snapshot_free(&d);
	nl_snapshot_free(&a);
	nl_snapshot_free(&b);
	nl_snapshot_free(&c);
}

/* The followed process is in every interval, idle or not; others only when busy. */
static void test_delta_followed(void **state)
{
	struct nl_snapshot a, b, d;
	uint32_t tids[] = { 100 };
	uint64_t ser[] = { 1 }, f[] = { 10 };

	(void)state;
	cum(&a, 1, 1000, 1, tids, ser, f, NULL);
	cum(&b, 2, 2000, 1, tids, ser, f, NULL);
	assert_int_equal(nl_snapshot_delta(&b, &a, &d), 0);
	assert_int_equal(d.nr_procs, 0);
	nl_snapshot_free(&d);
	b.procs[0].followed = true;
	assert_int_equal(nl_snapshot_delta(&b, &a, &d), 0);
	assert_int_equal(d.nr_procs, 1);
	assert_int_equal(d.procs[0].nr_threads, 0);
	nl_snapshot_free(&d);
	nl_snapshot_free(&a);
	nl_snapshot_free(&b);
}

/* The window's vmstat check is made of the two samples' raw totals; whether it
 * disagrees is judged since the start. */
static void test_delta_vmstat_window(void **state)
{
	struct nl_snapshot a, b, d;
	uint32_t tids[] = { 100 };
	uint64_t ser[] = { 1 }, f[] = { 1 };

	(void)state;
	cum(&a, 1, 1000, 1, tids, ser, f, NULL);
	cum(&b, 2, 2000, 1, tids, ser, f, NULL);
	a.vm_open = (struct nl_vm_totals){ .have_numa = true, .have_pgmigrate = true, .hint_faults = 1000 };
	a.vm_now = a.vm_open;
	a.vm_now.hint_faults = 1100;
	b.vm_open = a.vm_open;
	b.vm_now = a.vm_open;
	b.vm_now.hint_faults = 1400;
	a.bpf_sys = (struct nl_bpf_totals){ .valid = true, .local_exact = true, .hint_faults = 100 };
	b.bpf_sys = a.bpf_sys;
	b.bpf_sys.hint_faults = 400;
	assert_int_equal(nl_snapshot_delta(&b, &a, &d), 0);
	assert_true(d.vmstat.valid);
	assert_int_equal(d.vmstat.hint_faults, 300);
	assert_int_equal(d.vmstat.bpf_hint_faults, 300);
	assert_false(d.vmstat.disagree);
	nl_snapshot_free(&d);
	b.bpf_sys.hint_faults = 200; /* BPF missed 200 since the start */
	assert_int_equal(nl_snapshot_delta(&b, &a, &d), 0);
	assert_true(d.vmstat.disagree);
	assert_non_null(strstr(d.vmstat.note, "since start"));
	nl_snapshot_free(&d);
	nl_snapshot_free(&a);
	nl_snapshot_free(&b);
}

static void test_copy_is_deep(void **state)
{
	struct nl_snapshot a, b;
	uint32_t tids[] = { 100 };
	uint64_t ser[] = { 1 }, f[] = { 7 };
	struct nl_stack *st = calloc(1, sizeof(*st));

	(void)state;
	cum(&a, 1, 1000, 1, tids, ser, f, NULL);
	assert_non_null(st);
	st->nr = 1;
	st->frames[0].ip = 0x1234;
	st->frames[0].symbol = strdup("init+0x1");
	st->frames[0].build_id = strdup("abcd");
	a.procs[0].threads[0].first_touch_stack = st;
	assert_int_equal(nl_source_set(&a.sources[NL_SRC_FAULTS], true, "via %s", "tp"), 0);
	assert_int_equal(nl_snapshot_copy(&b, &a), 0);
	nl_snapshot_free(&a);
	assert_int_equal(nl_mat_at(&b.procs[0].threads[0].c.faults, 0, 1), 7);
	assert_string_equal(b.procs[0].threads[0].first_touch_stack->frames[0].symbol, "init+0x1");
	assert_string_equal(b.procs[0].threads[0].first_touch_stack->frames[0].build_id, "abcd");
	assert_string_equal(b.sources[NL_SRC_FAULTS].detail, "via tp");
	nl_snapshot_free(&b);
	nl_snapshot_free(&b); /* freeing twice is safe */
}

static void test_accum(void **state)
{
	struct nl_snapshot i1, i2;
	struct nl_accum acc = { 0 };
	uint32_t t1[] = { 100, 101 }, t2[] = { 100 };
	uint64_t s1[] = { 1, 2 }, s2[] = { 1 }, f1[] = { 10, 5 }, f2[] = { 7 };

	(void)state;
	cum(&i1, 0, 1000, 2, t1, s1, f1, NULL);
	cum(&i2, 0, 2000, 1, t2, s2, f2, NULL);
	i1.cumulative = i2.cumulative = false;
	i1.interval_ns = i2.interval_ns = 1000;
	i1.lost_events = 1;
	i2.lost_events = 2;
	i2.procs[0].resident_known = true;
	i2.procs[0].resident_pages[1] = 99;
	assert_int_equal(nl_accum_add(&acc, &i1), 0);
	assert_int_equal(nl_accum_add(&acc, &i2), 0);
	assert_int_equal(acc.intervals, 2);
	assert_int_equal(acc.s.interval_ns, 2000);
	assert_int_equal(acc.s.lost_events, 3);
	assert_int_equal(acc.s.nr_procs, 1);
	assert_int_equal(nl_mat_at(&acc.s.procs[0].c.faults, 0, 1), 22);
	assert_int_equal(acc.s.procs[0].nr_threads, 2);
	assert_int_equal(nl_mat_at(&thread_of(&acc.s, 100, 1)->c.faults, 0, 1), 17);
	assert_int_equal(nl_mat_at(&thread_of(&acc.s, 101, 2)->c.faults, 0, 1), 5);
	assert_true(acc.s.procs[0].resident_known);
	assert_int_equal(acc.s.procs[0].resident_pages[1], 99);
	nl_accum_free(&acc);
	nl_snapshot_free(&i1);
	nl_snapshot_free(&i2);
}

/* 20000 threads over 3 intervals add up, each to its own row (the hash index). */
static void test_accum_many_threads(void **state)
{
	enum { N = 20000 };
	uint32_t *tids = calloc(N, sizeof(*tids));
	uint64_t *ser = calloc(N, sizeof(*ser)), *f = calloc(N, sizeof(*f));
	struct nl_accum acc = { 0 };

	(void)state;
	assert_true(tids && ser && f);
	for (int i = 0; i < N; i++) {
		tids[i] = 1000 + (uint32_t)i;
		ser[i] = (uint64_t)i + 1;
		f[i] = 1;
	}
	for (int k = 0; k < 3; k++) {
		struct nl_snapshot s;
		cum(&s, 0, 1000, N, tids, ser, f, NULL);
		s.cumulative = false;
		assert_int_equal(nl_accum_add(&acc, &s), 0);
		nl_snapshot_free(&s);
	}
	assert_int_equal(acc.s.procs[0].nr_threads, N);
	assert_int_equal(nl_mat_at(&acc.s.procs[0].c.faults, 0, 1), 3 * N);
	assert_int_equal(nl_mat_at(&thread_of(&acc.s, 1000 + N - 1, N)->c.faults, 0, 1), 3);
	nl_accum_free(&acc);
	free(tids);
	free(ser);
	free(f);
}

static void test_sources(void **state)
{
	struct nl_source_state s[NL_SRC_MAX] = { 0 }, c[NL_SRC_MAX] = { 0 };
	char big[4000];

	(void)state;
	assert_string_equal(nl_source_name(NL_SRC_HINT_FAULTS), "hint_faults");
	assert_int_equal(nl_source_id("migrations"), NL_SRC_MIGRATIONS);
	assert_int_equal(nl_source_id("nope"), -1);
	assert_null(nl_source_name(NL_SRC_MAX));
	/* no fixed-size truncation: a long text stays whole */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(nl_source_set(&s[NL_SRC_FAULTS], true, "%s", big), 0);
	assert_int_equal(nl_source_append(&s[NL_SRC_FAULTS], "; %d pages", 3), 0);
	assert_int_equal(strlen(s[NL_SRC_FAULTS].detail), sizeof(big) - 1 + strlen("; 3 pages"));
	assert_true(s[NL_SRC_FAULTS].active && s[NL_SRC_FAULTS].known);
	assert_false(s[NL_SRC_PMU].known);
	assert_int_equal(nl_sources_copy(c, s), 0);
	nl_sources_free(s);
	assert_int_equal(strlen(c[NL_SRC_FAULTS].detail), sizeof(big) - 1 + strlen("; 3 pages"));
	nl_sources_free(c);
}

static void test_enum_names(void **state)
{
	struct nl_enum_names n;

	(void)state;
	nl_enum_names_default(&n);
	assert_int_equal(nl_migrate_reason_index(&n, "numa_misplaced"), 5);
	assert_string_equal(n.migrate_reason[NL_MIGRATE_REASONS - 1], "other");
	assert_string_equal(n.tlb_reason[1], "remote_shootdown");
	assert_int_equal(nl_migrate_reason_index(&n, "no_such_reason"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delta_basic),
		cmocka_unit_test(test_delta_exit_and_reuse),
		cmocka_unit_test(test_delta_followed),
		cmocka_unit_test(test_delta_vmstat_window),
		cmocka_unit_test(test_copy_is_deep),
		cmocka_unit_test(test_accum),
		cmocka_unit_test(test_accum_many_threads),
		cmocka_unit_test(test_sources),
		cmocka_unit_test(test_enum_names),
	};
	return cmocka_run_group_tests_name("model", tests, NULL, NULL);
}
