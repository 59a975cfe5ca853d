/* Unit tests for user/collect/thread_maps.c: what --max-threads preallocates, and the
 * bound it is refused above. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/collect.h"
#include "numalens.h"

/* The maps by hand: exited and exited_procs (a quarter as many) hold struct
 * nl_thread_stats, thread_stats too when it is a tid hash, an_threads struct
 * nl_autonuma_thread; every key a __u32 but an_threads' (tid and start time, 16 bytes). */
static void test_bytes(void **state)
{
	uint64_t stats = 4 + sizeof(struct nl_thread_stats), an = 16 + sizeof(struct nl_autonuma_thread);

	(void)state;
	assert_int_equal(nl_access_maps_bytes(16384, false), 16384 * stats + 4096 * stats);
	assert_int_equal(nl_access_maps_bytes(16384, true), 2 * 16384 * stats + 4096 * stats);
	assert_int_equal(nl_autonuma_maps_bytes(16384), 16384 * an);
	assert_int_equal(nl_autonuma_maps_bytes(1u << 22), (uint64_t)(1u << 22) * an);
}

/* "at most N threads" is the largest count the check lets through. */
static void test_bound(void **state)
{
	char err[256], e2[256];
	unsigned long most = 0;
	uint32_t n = 0;

	(void)state;
	assert_int_equal(nl_max_threads_check(NL_DEFAULT_MAX_THREADS, err, sizeof(err)), 0);
	assert_int_equal(nl_max_threads_check(1u << 22, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "--max-threads 4194304 would preallocate up to "));
	assert_non_null(strstr(err, "over the bound of 1024 MiB"));
	const char *at = strstr(err, "at most ");
	assert_non_null(at);
	assert_int_equal(sscanf(at, "at most %lu threads", &most), 1);
	assert_int_equal(nl_max_threads_check((uint32_t)most, e2, sizeof(e2)), 0);
	assert_int_equal(nl_max_threads_check((uint32_t)most + 1, e2, sizeof(e2)), -1);
	uint64_t worst = nl_access_maps_bytes((uint32_t)most + 1, true) +
			 nl_autonuma_maps_bytes((uint32_t)most + 1);
	assert_true(worst > NL_THREAD_MAPS_BOUND);
	/* the parser: range first, then the bound */
	assert_int_equal(nl_max_threads_parse("1000", &n, err, sizeof(err)), 0);
	assert_int_equal(n, 1000);
	assert_int_equal(nl_max_threads_parse("0", &n, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "a number in 1..4194304, not '0'"));
	assert_int_equal(nl_max_threads_parse("4194305", &n, err, sizeof(err)), -1);
	assert_int_equal(nl_max_threads_parse("4000000", &n, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "over the bound"));
}

static void test_help(void **state)
{
	char h[320], want[64];

	(void)state;
	nl_max_threads_help(h, sizeof(h), 4);
	snprintf(want, sizeof(want), "(default %u),\n    up to ", NL_DEFAULT_MAX_THREADS);
	assert_non_null(strstr(h, want));
	assert_non_null(strstr(h, " MiB by default); at most "));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_bound),
		cmocka_unit_test(test_help),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
