/* The JSON writer (output/json.h): the layouts every document uses (pretty
 * BLOCK/INLINE/HEAD with spaces, wrap by depth, compact), escaping of keys
 * and strings (the <script>-safe form too), the numbers, a document written
 * apart and inserted whole, indentation from a base, and output to a FILE
 * larger than the writer's buffer, with its write errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/strbuf.h"
#include "../../output/json.h"

/* The text of a document ended by json_end() into sb, then released. */
static void is(struct json *j, struct strbuf *sb, const char *want)
{
	assert_int_equal(json_end(j), 0);
	assert_string_equal(sb_str(sb), want);
	sb_release(sb);
}

/* The pretty style of `scorch report --json`: BLOCK members one a line,
 * INLINE containers on one line with ", ", HEAD items on the opening line
 * with the block containers inside them indented from that line. */
static void test_pretty(void **state)
{
	(void)state;
	struct strbuf sb = STRBUF_INIT;
	struct json j;
	json_init_ex(&j, NULL, &sb, 0, JSON_SPACES, 0);
	json_open_obj_as(&j, NULL, JSON_BLOCK);
	json_u64(&j, "n", 18446744073709551615u);
	json_i64(&j, "neg", -9223372036854775807 - 1);
	json_str(&j, "s", "a\"b\\c\n");
	json_str(&j, "none", NULL);
	json_open_obj_as(&j, "opts", JSON_INLINE);
	json_bool(&j, "t", true);
	json_bool(&j, "f", false);
	json_open_arr_as(&j, "pair", JSON_INLINE);
	json_u64(&j, NULL, 1);
	json_u64(&j, NULL, 2);
	json_close_arr(&j);
	json_close_obj(&j);
	json_open_arr_as(&j, "empty", JSON_BLOCK);
	json_close_arr(&j);
	json_open_obj_as(&j, "nothing", JSON_INLINE);
	json_close_obj(&j);
	json_open_arr_as(&j, "funcs", JSON_BLOCK);
	json_open_obj_as(&j, NULL, JSON_HEAD);
	json_str(&j, "function", "f");
	json_open_arr_as(&j, "lines", JSON_BLOCK);
	json_open_obj_as(&j, NULL, JSON_INLINE);
	json_u64(&j, "line", 3);
	json_close_obj(&j);
	json_open_obj_as(&j, NULL, JSON_INLINE);
	json_u64(&j, "line", 4);
	json_close_obj(&j);
	json_close_arr(&j);
	json_close_obj(&j);
	json_close_arr(&j);
	json_close_obj(&j);
	is(&j, &sb,
	   "{\n"
	   "  \"n\": 18446744073709551615,\n"
	   "  \"neg\": -9223372036854775808,\n"
	   "  \"s\": \"a\\\"b\\\\c\\n\",\n"
	   "  \"none\": null,\n"
	   "  \"opts\": {\"t\": true, \"f\": false, \"pair\": [1, 2]},\n"
	   "  \"empty\": [],\n"
	   "  \"nothing\": {},\n"
	   "  \"funcs\": [\n"
	   "    {\"function\": \"f\", \"lines\": [\n"
	   "      {\"line\": 3},\n"
	   "      {\"line\": 4}\n"
	   "    ]}\n"
	   "  ]\n"
	   "}\n");
}

/* JSON_AUTO: containers at depth <= wrap are BLOCK, deeper ones INLINE;
 * no spaces without JSON_SPACES (the exports' style). */
static void test_wrap(void **state)
{
	(void)state;
	struct strbuf sb = STRBUF_INIT;
	struct json j;
	json_init_ex(&j, NULL, &sb, 2, 0, 0);
	json_open_obj(&j, NULL);
	json_u64(&j, "v", 2);
	json_open_arr(&j, "pps");
	json_open_obj(&j, NULL);
	json_u64(&j, "tb", 10);
	json_open_arr(&j, "fs");
	json_u64(&j, NULL, 1);
	json_u64(&j, NULL, 2);
	json_close_arr(&j);
	json_close_obj(&j);
	json_open_obj(&j, NULL);
	json_close_obj(&j);
	json_close_arr(&j);
	json_close_obj(&j);
	is(&j, &sb,
	   "{\n"
	   "  \"v\":2,\n"
	   "  \"pps\":[\n"
	   "    {\"tb\":10,\"fs\":[1,2]},\n"
	   "    {}\n"
	   "  ]\n"
	   "}\n");
}

/* Compact (wrap 0) with strings safe inside <script>, keys too, and no
 * newline at the end: the HTML page's data. */
static void test_compact_html(void **state)
{
	(void)state;
	struct strbuf sb = STRBUF_INIT;
	struct json j;
	json_init_ex(&j, NULL, &sb, 0, JSON_HTML | JSON_NO_NEWLINE, 0);
	json_open_obj(&j, NULL);
	json_str(&j, "</script>", "<b>&\xe2\x80\xa8");
	json_open_arr(&j, "a");
	json_i64(&j, NULL, -1);
	json_open_arr(&j, NULL);
	json_u64(&j, NULL, 0);
	json_close_arr(&j);
	json_null(&j, NULL);
	json_close_arr(&j);
	json_close_obj(&j);
	is(&j, &sb,
	   "{\"\\u003c/script\\u003e\":\"\\u003cb\\u003e\\u0026\\u2028\",\"a\":[-1,[0],null]}");
	/* without JSON_HTML the same characters stay as they are but U+2028 */
	json_init_ex(&j, NULL, &sb, 0, JSON_NO_NEWLINE, 0);
	json_str(&j, NULL, "<b>&\xe2\x80\xa8\xff");
	is(&j, &sb, "\"<b>&\\u2028\\ufffd\"");
}

static void test_numbers(void **state)
{
	(void)state;
	struct strbuf sb = STRBUF_INIT;
	struct json j;
	json_init_ex(&j, NULL, &sb, 0, JSON_NO_NEWLINE, 0);
	json_open_arr(&j, NULL);
	json_double(&j, NULL, 0.1);
	json_double(&j, NULL, -19999900000.0);
	json_double(&j, NULL, 1.0 / 3.0);
	json_double(&j, NULL, NAN);
	json_double(&j, NULL, INFINITY);
	json_fixed(&j, NULL, 999.96, 1);
	json_fixed(&j, NULL, -INFINITY, 1);
	json_us(&j, NULL, 12000);
	json_us(&j, NULL, 5);
	json_us_short(&j, NULL, 12000);
	json_us_short(&j, NULL, 12300);
	json_us_short(&j, NULL, 12345);
	json_us_short(&j, NULL, 5);
	json_close_arr(&j);
	is(&j, &sb, "[0.1,-19999900000,0.3333333333333333,null,null,1000.0,null,"
		    "12.000,0.005,12,12.3,12.345,0.005]");
}

/* Arrays written apart by a writer of their own and inserted whole (as the
 * speedscope export writes samples and weights), and a document starting
 * at an indentation of two levels. */
static void test_raw_and_base(void **state)
{
	(void)state;
	struct json part;
	json_init_ex(&part, NULL, NULL, 0, JSON_NO_NEWLINE, 0);
	json_open_arr(&part, NULL);
	for (unsigned i = 0; i < 3; i++)
		json_u64(&part, NULL, i);
	json_close_arr(&part);
	assert_int_equal(json_end(&part), 0);

	struct strbuf sb = STRBUF_INIT;
	struct json j;
	json_init_ex(&j, NULL, &sb, 1, 0, 0);
	json_open_obj(&j, NULL);
	json_raw(&j, "samples", part.own.buf, part.own.len);
	json_close_obj(&j);
	is(&j, &sb, "{\n  \"samples\":[0,1,2]\n}\n");
	sb_release(&part.own);

	json_init_ex(&j, NULL, &sb, 0, JSON_SPACES | JSON_NO_NEWLINE, 2);
	json_open_obj_as(&j, NULL, JSON_BLOCK);
	json_u64(&j, "a", 1);
	json_close_obj(&j);
	is(&j, &sb, "{\n      \"a\": 1\n    }");
}

/* To a FILE, a document larger than the writer's buffer comes out whole
 * and the same as in memory; a full disk is the first write error. */
static void big(struct json *j)
{
	json_open_arr(j, NULL);
	for (unsigned i = 0; i < 200000; i++) {
		json_open_obj(j, NULL);
		json_u64(j, "i", i);
		json_str(j, "s", "some text");
		json_close_obj(j);
	}
	json_close_arr(j);
}

static void test_file(void **state)
{
	(void)state;
	struct json j;
	json_init(&j, NULL, 1);
	big(&j);
	assert_int_equal(json_end(&j), 0);
	assert_true(j.own.len > 4u * 1024 * 1024);

	FILE *f = tmpfile();
	assert_non_null(f);
	struct json jf;
	json_init(&jf, f, 1);
	big(&jf);
	assert_int_equal(json_end(&jf), 0);
	assert_int_equal(ftell(f), (long)j.own.len);
	rewind(f);
	char *buf = malloc(j.own.len);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, j.own.len, f), j.own.len);
	assert_memory_equal(buf, j.own.buf, j.own.len);
	free(buf);
	fclose(f);
	sb_release(&j.own);

	f = fopen("/dev/full", "w");
	if (!f)
		skip();
	json_init(&jf, f, 1);
	big(&jf);
	assert_int_equal(json_end(&jf), -ENOSPC);
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pretty),
		cmocka_unit_test(test_wrap),
		cmocka_unit_test(test_compact_html),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_raw_and_base),
		cmocka_unit_test(test_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
