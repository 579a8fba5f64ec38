/* The HTML report's escaping: JSON strings that are safe inside a <script>
 * element, HTML text escaping, both with invalid UTF-8; and a page written
 * from a profile whose names are markup keeps exactly its own two scripts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/die.h"
#include "../../lib/strbuf.h"
#include "../../output/html.h"
#include "../../output/json.h"

/* A string as the page's data writes it: the JSON writer with JSON_HTML,
 * '<', '>', '&', U+2028 and U+2029 as \u escapes, bytes that are not UTF-8
 * as U+FFFD. */
static void json_is(const char *in, const char *want)
{
	struct strbuf sb = STRBUF_INIT;
	struct json j;
	json_init_ex(&j, NULL, &sb, 0, JSON_HTML | JSON_NO_NEWLINE, 0);
	json_str(&j, NULL, in);
	assert_int_equal(json_end(&j), 0);
	assert_string_equal(sb_str(&sb), want);
	sb_release(&sb);
}

static void escape_is(const char *in, const char *want)
{
	struct strbuf sb = STRBUF_INIT;
	html_escape(&sb, in);
	assert_string_equal(sb_str(&sb), want);
	sb_release(&sb);
}

static void test_json_str(void **state)
{
	(void)state;
	json_is("", "\"\"");
	json_is("plain text", "\"plain text\"");
	json_is("</script><script>alert(1)</script>",
		"\"\\u003c/script\\u003e\\u003cscript\\u003ealert(1)\\u003c/script\\u003e\"");
	json_is("<!-- x -->", "\"\\u003c!-- x --\\u003e\"");
	json_is("void f<&g>()", "\"void f\\u003c\\u0026g\\u003e()\"");
	json_is("q\"b\\s/", "\"q\\\"b\\\\s/\"");
	json_is("a\nb\tc\rd\x01\x7f", "\"a\\nb\\tc\\rd\\u0001\\u007f\"");
	/* valid UTF-8 passes, the two JS line terminators do not */
	json_is("\xc3\xa9\xe2\x82\xac\xf0\x9f\x94\xa5", "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x94\xa5\"");
	json_is("a\xe2\x80\xa8" "b\xe2\x80\xa9" "c", "\"a\\u2028b\\u2029c\"");
	/* invalid UTF-8: one U+FFFD per byte that starts no valid sequence */
	json_is("\xff", "\"\\ufffd\"");
	json_is("\xe2\x82x", "\"\\ufffd\\ufffdx\"");
	json_is("\xc0\xaf", "\"\\ufffd\\ufffd\"");                  /* overlong */
	json_is("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");        /* a surrogate */
	json_is("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""); /* past U+10FFFF */
	json_is("end\xe2", "\"end\\ufffd\"");                        /* cut at the NUL */
}

static void test_escape(void **state)
{
	(void)state;
	escape_is("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;");
	escape_is("a&b \"c\" 'd'", "a&amp;b &quot;c&quot; &#39;d&#39;");
	escape_is("\xc3\xa9 ok", "\xc3\xa9 ok");
	escape_is("x\xffy", "x\xef\xbf\xbdy");
	escape_is("tab\there\n", "tab here ");
}

/* Counts the occurrences of needle in hay, case-insensitively. */
static size_t count(const char *hay, const char *needle)
{
	size_t n = 0, k = strlen(needle);
	for (const char *p = hay; *p; p++)
		if (!strncasecmp(p, needle, k))
			n++;
	return n;
}

static void test_page(void **state)
{
	(void)state;
	struct sc_profile *p = profile_new();
	p->flags = PROF_CPU | PROF_HEAP;
	static const char *argv[] = { "/t/<b>prog", "</script><script>alert(1)</script>" };
	p->argc = 2;
	p->argv = argv;
	p->exe = "/t/<b>prog";
	p->cmdline = "/t/<b>prog </script><script>alert(1)</script>";
	p->nthreads = 1;
	p->threads = arena_alloc(&p->arena, sizeof(*p->threads));
	p->threads[0] = (struct sc_thread){ 7, "<i>thread", 0, 0 };
	p->nlocations = 2;
	p->locations = arena_alloc(&p->arena, 2 * sizeof(*p->locations));
	static struct sc_line l0 = { "void f<&g>()", "/t/<b>/a.cc", 3, false };
	static struct sc_line l1 = { "main", "/t/<b>/a.cc", 9, false };
	p->locations[0] = (struct sc_location){ 0x10, -1, 1, &l0 };
	p->locations[1] = (struct sc_location){ 0x20, -1, 1, &l1 };
	p->nstacks = 2;
	p->stacks = arena_alloc(&p->arena, 2 * sizeof(*p->stacks));
	static uint32_t locs[] = { 0, 1 };
	p->stacks[1] = (struct sc_stack){ 2, locs };
	p->nsamples = 3;
	p->samples = xcalloc(3, sizeof(*p->samples));
	for (int i = 0; i < 3; i++)
		p->samples[i] = (struct sc_sample){ (uint64_t)i, 1, 1000, 0, 0, 0 };
	p->nevents = 2;
	p->events = xcalloc(2, sizeof(*p->events));
	p->events[0] = (struct sc_event){ 5, 0x1000, 48, 1, 0, EV_ALLOC, FN_MALLOC };
	p->events[1] = (struct sc_event){ 6, 0x2000, 16, 1, 0, EV_ALLOC, FN_MALLOC };

	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(html_write(f, p, NULL), 0);
	fclose(f);
	assert_int_equal(strlen(buf), len);
	assert_int_equal(count(buf, "<script"), 2);
	assert_int_equal(count(buf, "</script"), 2);
	assert_int_equal(count(buf, "<b>"), 0);
	assert_int_equal(count(buf, "<i>"), 0);
	assert_non_null(strstr(buf, "\"void f\\u003c\\u0026g\\u003e()\""));
	assert_non_null(strstr(buf, "\"\\u003ci\\u003ethread\""));
	assert_non_null(strstr(buf, "<title>scorch: &lt;b&gt;prog &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;</title>"));
	/* 3 samples on one leaf, two allocations of 48 + 16 B, both leaked */
	assert_non_null(strstr(buf, "\"w\":[[3],[3000]]"));
	assert_non_null(strstr(buf, "\"w\":[[64],[2],[64],[64]]"));
	free(buf);
	profile_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_str),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_page),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
