/* Unit tests for user/json.c: nesting, commas, escaping, numbers, pretty output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "render/json.h"

struct buf {
	char *data;
	size_t len;
	FILE *f;
};

static void buf_open(struct buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->f = open_memstream(&b->data, &b->len);
	assert_non_null(b->f);
}

/* Closes the stream and returns the text (caller frees). */
static char *buf_close(struct buf *b)
{
	assert_int_equal(fclose(b->f), 0);
	return b->data;
}

static void test_nesting_and_commas(void **state)
{
	struct nl_json j;
	struct buf b;
	char *s;

	buf_open(&b);
	nl_json_init(&j, b.f, false);
	nl_json_obj_begin(&j);
	nl_json_key(&j, "a");
	nl_json_arr_begin(&j);
	nl_json_u64(&j, 1);
	nl_json_i64(&j, -2);
	nl_json_obj_begin(&j);
	nl_json_key(&j, "b");
	nl_json_null(&j);
	nl_json_kbool(&j, "t", true);
	nl_json_obj_end(&j);
	nl_json_arr_begin(&j);
	nl_json_arr_end(&j);
	nl_json_arr_end(&j);
	nl_json_key(&j, "e");
	nl_json_obj_begin(&j);
	nl_json_obj_end(&j);
	nl_json_kstr(&j, "c", "x");
	nl_json_ku64(&j, "max", UINT64_MAX);
	nl_json_ki64(&j, "min", INT64_MIN);
	nl_json_obj_end(&j);
	nl_json_end(&j);
	s = buf_close(&b);
	assert_string_equal(s, "{\"a\":[1,-2,{\"b\":null,\"t\":true},[]],\"e\":{},\"c\":\"x\","
			       "\"max\":18446744073709551615,\"min\":-9223372036854775808}\n");
	free(s);
}

static void test_escaping(void **state)
{
	struct nl_json j;
	struct buf b;
	char *s;

	buf_open(&b);
	nl_json_init(&j, b.f, false);
	nl_json_arr_begin(&j);
	nl_json_str(&j, "q\"b\\s/");
	nl_json_str(&j, "nl\n cr\r tab\t");
	nl_json_str(&j, "\x01\x1f\x7f");
	nl_json_str(&j, "caf\xc3\xa9"); /* UTF-8 passes through */
	nl_json_str(&j, NULL);
	nl_json_arr_end(&j);
	nl_json_end(&j);
	s = buf_close(&b);
	assert_string_equal(s, "[\"q\\\"b\\\\s/\",\"nl\\n cr\\r tab\\t\",\"\\u0001\\u001f\x7f\","
			       "\"caf\xc3\xa9\",\"\"]\n");
	free(s);
}

static void test_doubles(void **state)
{
	struct nl_json j;
	struct buf b;
	char *s;

	buf_open(&b);
	nl_json_init(&j, b.f, false);
	nl_json_obj_begin(&j);
	nl_json_kdouble(&j, "half", 0.5);
	nl_json_kdouble(&j, "nan", NAN);
	nl_json_kdouble(&j, "inf", INFINITY);
	nl_json_kdouble(&j, "ninf", -INFINITY);
	nl_json_kdouble(&j, "zero", 0.0);
	nl_json_kdouble(&j, "ratio", 0.97);
	nl_json_obj_end(&j);
	nl_json_end(&j);
	s = buf_close(&b);
	assert_string_equal(s, "{\"half\":0.5,\"nan\":null,\"inf\":null,\"ninf\":null,\"zero\":0,\"ratio\":0.97}\n");
	free(s);
}

static void test_pretty(void **state)
{
	struct nl_json j;
	struct buf b;
	char *s;

	buf_open(&b);
	nl_json_init(&j, b.f, true);
	nl_json_obj_begin(&j);
	nl_json_ku64(&j, "a", 1);
	nl_json_key(&j, "b");
	nl_json_arr_begin(&j);
	nl_json_u64(&j, 2);
	nl_json_arr_end(&j);
	nl_json_key(&j, "c");
	nl_json_arr_begin(&j);
	nl_json_arr_end(&j);
	nl_json_obj_end(&j);
	nl_json_end(&j);
	s = buf_close(&b);
	assert_string_equal(s, "{\n  \"a\": 1,\n  \"b\": [\n    2\n  ],\n  \"c\": []\n}\n");
	free(s);
}

/* JSON Lines: one document per line, no comma between documents. */
static void test_two_documents(void **state)
{
	struct nl_json j;
	struct buf b;
	char *s;

	buf_open(&b);
	nl_json_init(&j, b.f, false);
	for (int i = 0; i < 2; i++) {
		nl_json_obj_begin(&j);
		nl_json_ku64(&j, "i", i);
		nl_json_obj_end(&j);
		nl_json_end(&j);
	}
	s = buf_close(&b);
	assert_string_equal(s, "{\"i\":0}\n{\"i\":1}\n");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nesting_and_commas),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_doubles),
		cmocka_unit_test(test_pretty),
		cmocka_unit_test(test_two_documents),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
