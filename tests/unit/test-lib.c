/* Unit tests of lib/: the u64 map against a plain-array model under random
 * puts and deletes (key 0 and tombstone reuse included), string interning,
 * JSON escaping and the arena. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/arena.h"
#include "../../lib/hashmap.h"
#include "../../lib/strbuf.h"

static void test_u64map_model(void **state)
{
	(void)state;
	enum { KEYS = 4096 };
	static uint64_t model[KEYS];
	static bool present[KEYS];
	struct u64map m;
	u64map_init(&m, 4);
	uint32_t x = 12345;
	size_t live = 0;
	for (int step = 0; step < 400000; step++) {
		x = x * 1103515245u + 12345u;
		uint64_t k = (x >> 8) % KEYS;    /* includes key 0 */
		uint64_t key = k * 0x9e3779b97f4a7c15ull * (k != 0);
		if ((x >> 4) & 1) {
			bool isnew;
			uint64_t *v = u64map_put(&m, key, &isnew);
			assert_int_equal(isnew, !present[k]);
			if (isnew)
				live++;
			*v = step;
			model[k] = (uint64_t)step;
			present[k] = true;
		} else {
			uint64_t old = 0;
			bool had = u64map_del(&m, key, &old);
			assert_int_equal(had, present[k]);
			if (had) {
				assert_int_equal(old, model[k]);
				live--;
			}
			present[k] = false;
		}
		assert_int_equal(m.len, live);
	}
	for (uint64_t k = 0; k < KEYS; k++) {
		uint64_t key = k * 0x9e3779b97f4a7c15ull * (k != 0);
		uint64_t *v = u64map_get(&m, key);
		if (present[k]) {
			assert_non_null(v);
			assert_int_equal(*v, model[k]);
		} else {
			assert_null(v);
		}
	}
	u64map_release(&m);
}

static void test_strmap(void **state)
{
	(void)state;
	struct strmap m;
	strmap_init(&m);
	char buf[32];
	for (uint32_t i = 0; i < 5000; i++) {
		snprintf(buf, sizeof(buf), "name-%u", i);
		bool isnew;
		assert_int_equal(strmap_intern(&m, buf, i, &isnew), i);
		assert_true(isnew);
	}
	for (uint32_t i = 0; i < 5000; i += 7) {
		snprintf(buf, sizeof(buf), "name-%u", i);
		bool isnew;
		assert_int_equal(strmap_intern(&m, buf, 99999, &isnew), i);
		assert_false(isnew);
	}
	uint32_t v;
	assert_false(strmap_get(&m, "absent", &v));
	assert_true(strmap_get(&m, "name-4999", &v));
	assert_int_equal(v, 4999);
	strmap_release(&m);
}

static void test_strbuf_json(void **state)
{
	(void)state;
	struct strbuf sb = STRBUF_INIT;
	sb_add_json_str(&sb, "a\"b\\c\n\t\x01<&>é");
	assert_string_equal(sb.buf, "\"a\\\"b\\\\c\\n\\t\\u0001<&>é\"");
	sb_reset(&sb);
	/* always well-formed UTF-8: U+FFFD for each byte that starts no UTF-8
	 * sequence; C1 controls escaped; valid multibyte text as it is */
	sb_add_json_str(&sb, "a\xff\xfe" "b\xc0\xaf" "c\xed\xa0\x80" "d\xe2\x82" "e\xc2\x9b\x1b[31m\xe2\x82\xac\xf0\x9f\x94\xa5");
	assert_string_equal(sb.buf, "\"a\\ufffd\\ufffdb\\ufffd\\ufffdc\\ufffd\\ufffd\\ufffdd\\ufffd\\ufffd"
			    "e\\u009b\\u001b[31m\xe2\x82\xac\xf0\x9f\x94\xa5\"");
	sb_reset(&sb);
	sb_add_json_strx(&sb, "</script>&", SB_JSON_HTML);
	assert_string_equal(sb.buf, "\"\\u003c/script\\u003e\\u0026\"");
	sb_reset(&sb);
	sb_addf(&sb, "%d-%s", 42, "x");
	assert_string_equal(sb_str(&sb), "42-x");
	char *d = sb_detach(&sb);
	assert_string_equal(d, "42-x");
	free(d);
	assert_string_equal(sb_str(&sb), "");
}

static void test_arena(void **state)
{
	(void)state;
	struct arena a = { 0 };
	char *big = arena_alloc(&a, 1 << 20);
	memset(big, 1, 1 << 20);
	for (int i = 0; i < 10000; i++) {
		uint64_t *p = arena_alloc(&a, 24);
		assert_int_equal((uintptr_t)p % 16, 0);
		assert_int_equal(p[0] | p[1] | p[2], 0);
		p[0] = 7;
	}
	assert_string_equal(arena_strdup(&a, "hello"), "hello");
	assert_string_equal(arena_strndup(&a, "hello", 2), "he");
	arena_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_u64map_model),
		cmocka_unit_test(test_strmap),
		cmocka_unit_test(test_strbuf_json),
		cmocka_unit_test(test_arena),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
