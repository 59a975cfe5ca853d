/* Unit tests for user/util.c: strict parsers, cpulists, paths and files under a root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"

static void test_parse_u64(void **state)
{
	uint64_t v = 7;

	assert_int_equal(nl_parse_u64("0", &v), 0);
	assert_true(v == 0);
	assert_int_equal(nl_parse_u64("42", &v), 0);
	assert_true(v == 42);
	assert_int_equal(nl_parse_u64("18446744073709551615", &v), 0);
	assert_true(v == UINT64_MAX);

	v = 7;
	assert_int_equal(nl_parse_u64("18446744073709551616", &v), -1); /* overflow */
	assert_int_equal(nl_parse_u64("", &v), -1);
	assert_int_equal(nl_parse_u64(NULL, &v), -1);
	assert_int_equal(nl_parse_u64("-1", &v), -1);
	assert_int_equal(nl_parse_u64(" -1", &v), -1); /* strtoull would wrap this */
	assert_int_equal(nl_parse_u64("+1", &v), -1);
	assert_int_equal(nl_parse_u64(" 1", &v), -1);
	assert_int_equal(nl_parse_u64("12x", &v), -1);
	assert_int_equal(nl_parse_u64("1 ", &v), -1);
	assert_int_equal(nl_parse_u64("0x10", &v), -1);
	assert_true(v == 7); /* untouched on failure */
}

static void test_parse_int(void **state)
{
	int v = 7;

	assert_int_equal(nl_parse_int("5", 0, 10, &v), 0);
	assert_int_equal(v, 5);
	assert_int_equal(nl_parse_int("-1", -1, 5, &v), 0);
	assert_int_equal(v, -1);
	assert_int_equal(nl_parse_int("10", 0, 10, &v), 0);
	assert_int_equal(v, 10);

	v = 7;
	assert_int_equal(nl_parse_int("11", 0, 10, &v), -1);
	assert_int_equal(nl_parse_int("-1", 0, 10, &v), -1);
	assert_int_equal(nl_parse_int("", 0, 10, &v), -1);
	assert_int_equal(nl_parse_int(NULL, 0, 10, &v), -1);
	assert_int_equal(nl_parse_int("12x", 0, 100, &v), -1);
	assert_int_equal(nl_parse_int(" 5", 0, 10, &v), -1);
	assert_int_equal(nl_parse_int("+5", 0, 10, &v), -1);
	assert_int_equal(nl_parse_int("99999999999999999999", 0, 2147483647, &v), -1);
	assert_int_equal(nl_parse_int("2147483648", 0, 2147483647, &v), -1);
	assert_int_equal(v, 7);
}

static void test_parse_seconds(void **state)
{
	double v = 7;

	assert_int_equal(nl_parse_seconds("2", &v), 0);
	assert_true(v == 2.0);
	assert_int_equal(nl_parse_seconds("0.5", &v), 0);
	assert_true(v == 0.5);
	assert_int_equal(nl_parse_seconds(".25", &v), 0);
	assert_true(v == 0.25);

	v = 7;
	assert_int_equal(nl_parse_seconds("0", &v), -1);
	assert_int_equal(nl_parse_seconds("-1", &v), -1);
	assert_int_equal(nl_parse_seconds("", &v), -1);
	assert_int_equal(nl_parse_seconds("nan", &v), -1);
	assert_int_equal(nl_parse_seconds("inf", &v), -1);
	assert_int_equal(nl_parse_seconds("1e8", &v), -1);
	assert_int_equal(nl_parse_seconds("1s", &v), -1);
	assert_int_equal(nl_parse_seconds(" 1", &v), -1);
	assert_true(v == 7);
}

static void expect_cpulist(const char *s, const int *want, int nwant)
{
	int *v = (int *)1;
	int n = nl_parse_cpulist(s, &v);

	assert_int_equal(n, nwant);
	for (int i = 0; i < n; i++)
		assert_int_equal(v[i], want[i]);
	free(v);
}

static void expect_bad_cpulist(const char *s)
{
	int *v = (int *)1;

	if (nl_parse_cpulist(s, &v) != -1)
		fail_msg("cpulist '%s' was accepted", s);
	assert_null(v);
}

static void test_cpulist(void **state)
{
	static const int a[] = { 0, 1, 2, 3, 8, 10, 11 };
	static const int b[] = { 5 };
	static const int c[] = { 0, 1, 2, 3 };
	static const int d[] = { 1, 2, 7 };
	int *v = (int *)1;

	expect_cpulist("0-3,8,10-11", a, 7);
	expect_cpulist("0-3,8,10-11\n", a, 7);
	expect_cpulist("5", b, 1);
	expect_cpulist("0-3 ", c, 4);
	expect_cpulist("7,1-2", d, 3); /* sorted */
	assert_int_equal(nl_parse_cpulist("", &v), 0);
	assert_null(v);
	assert_int_equal(nl_parse_cpulist("\n", &v), 0);
	assert_null(v);

	expect_bad_cpulist("abc");
	expect_bad_cpulist("3-1");
	expect_bad_cpulist("1-");
	expect_bad_cpulist("-1");
	expect_bad_cpulist("1,");
	expect_bad_cpulist("1,,2");
	expect_bad_cpulist("1;2");
	expect_bad_cpulist("0 garbage");
	expect_bad_cpulist("1,+2");
	expect_bad_cpulist("1-+3");
	expect_bad_cpulist("99999999999999999999");
}

static void test_format_cpulist(void **state)
{
	static const int a[] = { 0, 1, 2, 3, 8, 10, 11 };
	static const int b[] = { 4, 5 };
	char buf[64], tiny[5];

	assert_string_equal(nl_format_cpulist(a, 7, buf, sizeof(buf)), "0-3,8,10-11");
	assert_string_equal(nl_format_cpulist(b, 2, buf, sizeof(buf)), "4-5");
	assert_string_equal(nl_format_cpulist(a, 1, buf, sizeof(buf)), "0");
	assert_string_equal(nl_format_cpulist(NULL, 0, buf, sizeof(buf)), "");
	/* Truncates, stays terminated, never writes past the buffer. */
	memset(tiny, 'X', sizeof(tiny));
	nl_format_cpulist(a, 7, tiny, sizeof(tiny));
	assert_int_equal(tiny[sizeof(tiny) - 1], '\0');
	assert_int_equal(strncmp(tiny, "0-3,", 4), 0);
}

static void test_path(void **state)
{
	char *p;

	p = nl_path(NULL, "/sys/x");
	assert_string_equal(p, "/sys/x");
	free(p);
	p = nl_path("/", "/sys/x");
	assert_string_equal(p, "/sys/x");
	free(p);
	p = nl_path("", "/sys/x");
	assert_string_equal(p, "/sys/x");
	free(p);
	p = nl_path("/tmp/root", "/sys/x");
	assert_string_equal(p, "/tmp/root/sys/x");
	free(p);
	p = nl_path("rel/root", "sys/x");
	assert_string_equal(p, "rel/root/sys/x");
	free(p);
}

static void write_file(const char *path, const char *content, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(content, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void test_read_file(void **state)
{
	char dir[] = "/tmp/nl-test-util-XXXXXX", path[256], *s, *big;
	uint64_t v;
	size_t bign = 20000;

	assert_non_null(mkdtemp(dir));
	assert_int_equal(mkdir((snprintf(path, sizeof(path), "%s/proc", dir), path), 0700), 0);

	snprintf(path, sizeof(path), "%s/proc/a", dir);
	write_file(path, "abc\n\n", 5);
	s = nl_read_file(dir, "/proc/a");
	assert_string_equal(s, "abc"); /* trailing newlines stripped */
	free(s);

	snprintf(path, sizeof(path), "%s/proc/empty", dir);
	write_file(path, "", 0);
	s = nl_read_file(dir, "/proc/empty");
	assert_string_equal(s, "");
	free(s);

	/* Larger than the first buffer: exercises growth. */
	big = malloc(bign);
	assert_non_null(big);
	for (size_t i = 0; i < bign; i++)
		big[i] = 'a' + i % 26;
	snprintf(path, sizeof(path), "%s/proc/big", dir);
	write_file(path, big, bign);
	s = nl_read_file(dir, "/proc/big");
	assert_non_null(s);
	assert_int_equal(strlen(s), bign);
	assert_memory_equal(s, big, bign);
	free(s);
	free(big);

	errno = 0;
	assert_null(nl_read_file(dir, "/proc/missing"));
	assert_int_equal(errno, ENOENT);

	snprintf(path, sizeof(path), "%s/proc/n", dir);
	write_file(path, "42\n", 3);
	assert_int_equal(nl_read_u64(dir, "/proc/n", &v), 0);
	assert_true(v == 42);
	assert_int_equal(nl_read_u64(dir, "/proc/a", &v), -1);   /* "abc" */
	assert_int_equal(nl_read_u64(dir, "/proc/missing", &v), -1);

	/* Real system: root "/" or NULL reads the absolute path. */
	s = nl_read_file(NULL, path);
	assert_string_equal(s, "42");
	free(s);

	unlink(path);
	snprintf(path, sizeof(path), "%s/proc/a", dir); unlink(path);
	snprintf(path, sizeof(path), "%s/proc/empty", dir); unlink(path);
	snprintf(path, sizeof(path), "%s/proc/big", dir); unlink(path);
	snprintf(path, sizeof(path), "%s/proc", dir); rmdir(path);
	assert_int_equal(rmdir(dir), 0);
}

/* nl_grow doubles when full, keeps what was there, and leaves the array alone when
 * the size would overflow. */
static void test_grow(void **state)
{
	uint64_t *v = NULL;
	size_t cap = 0, n;

	(void)state;
	for (n = 0; n < 1000; n++) {
		assert_int_equal(nl_grow(&v, &cap, n, sizeof(*v)), 0);
		assert_true(cap > n);
		v[n] = n * 3;
	}
	assert_int_equal(cap, 1024);
	for (n = 0; n < 1000; n++)
		assert_int_equal(v[n], n * 3);
	/* room already there: nothing changes */
	uint64_t *before = v;
	assert_int_equal(nl_grow(&v, &cap, 5, sizeof(*v)), 0);
	assert_ptr_equal(v, before);
	/* a size that cannot be allocated: -ENOMEM, the array as it was */
	size_t huge = SIZE_MAX / 2;
	assert_int_equal(nl_grow(&v, &huge, huge, 16), -ENOMEM);
	assert_ptr_equal(v, before);
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_u64),
		cmocka_unit_test(test_parse_int),
		cmocka_unit_test(test_parse_seconds),
		cmocka_unit_test(test_cpulist),
		cmocka_unit_test(test_format_cpulist),
		cmocka_unit_test(test_path),
		cmocka_unit_test(test_read_file),
		cmocka_unit_test(test_grow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
