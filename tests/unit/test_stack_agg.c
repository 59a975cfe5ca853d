/* DWARF-mode stack aggregation (collect/stack_agg.c): the same ips of the same thread
 * sum into one entry with one id; another thread, another cut flag or another list is
 * another entry; ids are never reused; forgetting a thread drops only its entries; a
 * full table refuses new stacks (0) but still adds to known ones. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "collect/stack_agg.h"

static const uint64_t A[] = { 0x401000, 0x402000, 0x403000 };
static const uint64_t B[] = { 0x401000, 0x402000, 0x404000 };

static void same_stack_sums(void **state)
{
	struct nl_stack_agg a = { 0 };
	long id1, id2;

	(void)state;
	id1 = nl_stack_agg_add(&a, 10, 10, A, 3, false, 64);
	id2 = nl_stack_agg_add(&a, 10, 10, A, 3, false, 1);
	assert_true(id1 >= 1);
	assert_int_equal(id1, id2);
	const struct nl_stack_agg_entry *e = nl_stack_agg_get(&a, (uint32_t)id1);
	assert_non_null(e);
	assert_int_equal(e->pages_est, 65);
	assert_int_equal(e->samples, 2);
	assert_int_equal(e->nr, 3);
	assert_memory_equal(e->ips, A, sizeof(A));
	nl_stack_agg_free(&a);
}

static void distinct_keys(void **state)
{
	struct nl_stack_agg a = { 0 };
	long base, other_ips, other_tid, other_cut, shorter;

	(void)state;
	base = nl_stack_agg_add(&a, 10, 10, A, 3, false, 1);
	other_ips = nl_stack_agg_add(&a, 10, 10, B, 3, false, 1);
	other_tid = nl_stack_agg_add(&a, 11, 10, A, 3, false, 1);
	other_cut = nl_stack_agg_add(&a, 10, 10, A, 3, true, 1);
	shorter = nl_stack_agg_add(&a, 10, 10, A, 2, false, 1);
	assert_true(base != other_ips && base != other_tid && base != other_cut && base != shorter);
	assert_true(other_ips != other_tid && other_tid != other_cut && other_cut != shorter);
	assert_int_equal(a.n, 5);
	assert_true(nl_stack_agg_get(&a, (uint32_t)other_cut)->cut);
	nl_stack_agg_free(&a);
}

static void forget_keeps_others_and_ids(void **state)
{
	struct nl_stack_agg a = { 0 };
	long t10, t11, again;

	(void)state;
	t10 = nl_stack_agg_add(&a, 10, 10, A, 3, false, 1);
	t11 = nl_stack_agg_add(&a, 11, 10, B, 3, false, 7);
	nl_stack_agg_forget_tid(&a, 10);
	assert_null(nl_stack_agg_get(&a, (uint32_t)t10));
	assert_non_null(nl_stack_agg_get(&a, (uint32_t)t11));
	assert_int_equal(nl_stack_agg_get(&a, (uint32_t)t11)->pages_est, 7);
	again = nl_stack_agg_add(&a, 10, 10, A, 3, false, 1); /* a reused tid: a new entry */
	assert_true(again > t11);
	assert_int_equal(nl_stack_agg_get(&a, (uint32_t)again)->samples, 1);
	nl_stack_agg_free(&a);
}

static void full_table(void **state)
{
	struct nl_stack_agg a = { .max = 1 };
	long first;

	(void)state;
	first = nl_stack_agg_add(&a, 10, 10, A, 3, false, 1);
	assert_true(first >= 1);
	assert_int_equal(nl_stack_agg_add(&a, 10, 10, B, 3, false, 1), 0);
	assert_int_equal(nl_stack_agg_add(&a, 10, 10, A, 3, false, 2), first);
	assert_int_equal(nl_stack_agg_get(&a, (uint32_t)first)->pages_est, 3);
	nl_stack_agg_free(&a);
}

static void clamps_and_rejects(void **state)
{
	struct nl_stack_agg a = { 0 };
	uint64_t deep[NL_STACK_DEPTH + 5];

	(void)state;
	for (size_t i = 0; i < sizeof(deep) / sizeof(deep[0]); i++)
		deep[i] = 0x400000 + i;
	long id = nl_stack_agg_add(&a, 1, 1, deep, NL_STACK_DEPTH + 5, false, 1);
	assert_true(id >= 1);
	assert_int_equal(nl_stack_agg_get(&a, (uint32_t)id)->nr, NL_STACK_DEPTH);
	assert_int_equal(nl_stack_agg_add(&a, 1, 1, NULL, 2, false, 1), -EINVAL);
	assert_int_equal(nl_stack_agg_add(&a, 1, 1, A, -1, false, 1), -EINVAL);
	assert_null(nl_stack_agg_get(&a, 9999));
	nl_stack_agg_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(same_stack_sums),
		cmocka_unit_test(distinct_keys),
		cmocka_unit_test(forget_keeps_others_and_ids),
		cmocka_unit_test(full_table),
		cmocka_unit_test(clamps_and_rejects),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
