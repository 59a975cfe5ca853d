/* The live view's process list on fixed data (render/tui_procs.c), no terminal: the
 * default order (remote share x CPU time), the other sort keys, idle processes hidden
 * and shown, the residency x sched estimate when there are no accesses, and the node
 * pair. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "render/tui_int.h"

#define SEC 1000000000ULL

/* Three processes over 1 s: 10 remote (90 % remote, 1 s CPU on n1), 20 busy (10 %
 * remote of 90, 4 s on n0), 30 idle (nothing), 40 without accesses (pages on n0, CPU on n1). */
static void fixture(struct nl_snapshot *s, struct nl_process p[4])
{
	memset(s, 0, sizeof(*s));
	memset(p, 0, 4 * sizeof(*p));
	s->interval_ns = SEC;
	p[0].pid = 10;
	strcpy(p[0].comm, "remote");
	nl_mat_set(&p[0].c.faults, 1, 0, 90);
	nl_mat_set(&p[0].c.faults, 1, 1, 10);
	p[0].c.cpu_ns[1] = SEC;
	p[1].pid = 20;
	strcpy(p[1].comm, "busy");
	nl_mat_set(&p[1].c.faults, 0, 1, 10);
	nl_mat_set(&p[1].c.faults, 0, 0, 80);
	p[1].c.cpu_ns[0] = 4 * SEC;
	p[2].pid = 30;
	strcpy(p[2].comm, "idle");
	p[3].pid = 40;
	strcpy(p[3].comm, "placed");
	p[3].c.cpu_ns[1] = SEC / 2;
	p[3].resident_known = true;
	p[3].resident_pages[0] = 1000;
	s->procs = p;
	s->nr_procs = 4;
}

struct fx {
	struct nl_snapshot s;
	struct nl_process p[4];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	fixture(&f->s, f->p);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

/* The rows t makes of s, checking how many are shown and hidden; free them. */
static struct tui_row *rows_of(const struct nl_tui *t, const struct nl_snapshot *s, int shown,
			       int hidden)
{
	struct tui_row *v;
	int n, h;

	assert_int_equal(tui_rows_make(t, s, &v, &n, &h), 0);
	assert_int_equal(n, shown);
	assert_int_equal(h, hidden);
	return v;
}

static void test_default_order_and_idle(void **state)
{
	struct fx *f = *state;
	struct nl_tui t = { 0 };
	struct tui_row *v = rows_of(&t, &f->s, 3, 1);

	/* scores: 10 -> 0.9 x 1 s, 40 -> 1.0 (estimate) x 0.5 s, 20 -> 0.11 x 4 s */
	assert_int_equal(v[0].p->pid, 10);
	assert_int_equal(v[1].p->pid, 40);
	assert_int_equal(v[2].p->pid, 20);
	assert_float_equal(v[0].remote, 0.9, 1e-9);
	assert_false(v[0].estimate);
	assert_int_equal(v[0].cpu_node, 1);
	assert_int_equal(v[0].mem_node, 0); /* faulted pages: most on n0 */
	free(v);

	t.show_idle = true;
	v = rows_of(&t, &f->s, 4, 0);
	assert_int_equal(v[3].p->pid, 30);
	assert_true(isnan(v[3].remote));
	free(v);
}

static void test_estimate_and_followed(void **state)
{
	struct fx *f = *state;
	struct nl_tui t = { 0 };
	struct tui_row *v;

	f->p[2].followed = true; /* the followed process is never hidden */
	v = rows_of(&t, &f->s, 4, 0);
	for (int i = 0; i < 4; i++) {
		if (v[i].p->pid != 40)
			continue;
		assert_true(v[i].estimate);
		assert_float_equal(v[i].remote, 1.0, 1e-9);
		assert_int_equal(v[i].cpu_node, 1);
		assert_int_equal(v[i].mem_node, 0); /* resident pages */
	}
	free(v);
}

static void test_sort_keys(void **state)
{
	static const struct { enum tui_sort key; uint32_t first; } cases[] = {
		{ SORT_CPU, 20 }, { SORT_REMOTE, 40 }, { SORT_FAULTS, 10 }, { SORT_PID, 10 },
		{ SORT_COMM, 20 }, { SORT_RESIDENT, 40 },
	};
	struct fx *f = *state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct nl_tui t = { .sort = cases[i].key };
		struct tui_row *v = rows_of(&t, &f->s, 3, 1);
		if (v[0].p->pid != cases[i].first)
			fail_msg("sort %s: first pid %u, wanted %u", tui_sort_name(cases[i].key),
				 v[0].p->pid, cases[i].first);
		free(v);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_default_order_and_idle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_estimate_and_followed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sort_keys, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
