/* Unit tests of lib/parse.c, the option values of every command: good values
 * come out exact (1.1ms is 1100000 ns, not 1099999), and NaN, infinities,
 * negatives, overflow, hex, spaces, missing and unknown units are refused
 * with the output left alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "../../lib/parse.h"

/* what every number parser refuses whatever the unit */
static const char *const not_numbers[] = {
	"", " ", " 1ms", "1ms ", "1 ms", "+1ms", "-1ms", "-0ms", "nanms", "NaNms", "nan", "infs",
	"inf", "Infinitys", "0x10ms", "0x1p3s", "ms", ".ms", "1.2.3ms", "1e", "1ems", "1e+ms",
	"1,5ms", "e3ms", "--1ms", "1ms\n",
};

static void test_duration_good(void **state)
{
	(void)state;
	static const struct { const char *s; uint64_t ns; } good[] = {
		{ "0ns", 0 }, { "0s", 0 }, { "1ns", 1 }, { "100ns", 100 }, { "500us", 500000 },
		{ "500\xc2\xb5s", 500000 }, { "2ms", 2000000 }, { "1.5s", 1500000000 },
		{ "1.1ms", 1100000 }, { "0.1ms", 100000 }, { ".5us", 500 }, { "5.us", 5000 },
		{ "1e3us", 1000000 }, { "1E3us", 1000000 }, { "2e-3s", 2000000 }, { "1e+0s", 1000000000 },
		{ "1.5ns", 2 }, { "1.4ns", 1 }, { "0.5ns", 1 }, { "0.49ns", 0 }, { "1e-30s", 0 },
		{ "007ms", 7000000 }, { "18446744073709551615ns", UINT64_MAX },
		{ "18446744073.709551615s", UINT64_MAX },
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++) {
		uint64_t ns = 12345;
		if (parse_duration(good[i].s, &ns) != 0)
			fail_msg("'%s' refused", good[i].s);
		if (ns != good[i].ns)
			fail_msg("'%s' gave %llu ns, not %llu", good[i].s, (unsigned long long)ns,
				 (unsigned long long)good[i].ns);
	}
}

static void test_duration_bad(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"10", "10m", "10sec", "584y", "10 s", "10S", "10Ms", "1h", "10nss", "10s5",
		"18446744073709551616ns", "18446744074s", "1e400s", "1e20s", "99999999999999999999999s",
		"1e100000000000000000000s",
	};
	uint64_t ns = 42;
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		if (parse_duration(bad[i], &ns) != -1)
			fail_msg("'%s' accepted", bad[i]);
	for (size_t i = 0; i < sizeof(not_numbers) / sizeof(*not_numbers); i++)
		if (parse_duration(not_numbers[i], &ns) != -1)
			fail_msg("'%s' accepted", not_numbers[i]);
	assert_int_equal(parse_duration(NULL, &ns), -1);
	assert_int_equal(ns, 42);
}

static void test_count(void **state)
{
	(void)state;
	uint64_t v = 9;
	assert_int_equal(parse_count("0", 0, 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(parse_count("10", 0, 10, &v), 0);
	assert_int_equal(v, 10);
	assert_int_equal(parse_count("0042", 0, 100, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(parse_count("18446744073709551615", 0, UINT64_MAX, &v), 0);
	assert_true(v == UINT64_MAX);
	v = 7;
	static const char *const bad[] = {
		"", "11", "-1", "+1", " 1", "1 ", "1.0", "1e1", "0x1", "nan", "inf", "ten",
		"18446744073709551616", "99999999999999999999999",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		if (parse_count(bad[i], 0, 10, &v) != -1)
			fail_msg("'%s' accepted", bad[i]);
	assert_int_equal(parse_count("0", 1, 10, &v), -1);
	assert_int_equal(parse_count("18446744073709551616", 0, UINT64_MAX, &v), -1);
	assert_int_equal(v, 7);
}

static void test_rate(void **state)
{
	(void)state;
	static const struct { const char *s; uint64_t hz; } good[] = {
		{ "1", 1 }, { "999", 999 }, { "999Hz", 999 }, { "10kHz", 10000 }, { "1.5kHz", 1500 },
		{ "1e3", 1000 }, { "100000", 100000 },
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++) {
		uint64_t hz = 0;
		if (parse_rate(good[i].s, 1, 100000, &hz) != 0 || hz != good[i].hz)
			fail_msg("'%s' gave %llu", good[i].s, (unsigned long long)hz);
	}
	static const char *const bad[] = {
		"0", "100001", "1.5", "999.9Hz", "1.0001kHz", "1hz", "1KHz", "1MHz", "Hz", "1 Hz",
		"1e400", "1e-400", "-5", "nan", "inf", "infHz", "0x10",
	};
	uint64_t hz = 3;
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		if (parse_rate(bad[i], 1, 100000, &hz) != -1)
			fail_msg("'%s' accepted", bad[i]);
	assert_int_equal(hz, 3);
}

static void test_pixels(void **state)
{
	(void)state;
	double px = -1;
	assert_int_equal(parse_pixels("0.5", 1000, &px), 0);
	assert_true(px == 0.5);
	assert_int_equal(parse_pixels("0.5px", 1000, &px), 0);
	assert_true(px == 0.5);
	assert_int_equal(parse_pixels("0", 1000, &px), 0);
	assert_true(px == 0);
	assert_int_equal(parse_pixels("12.25", 1000, &px), 0);
	assert_true(px == 12.25);
	assert_int_equal(parse_pixels("1%", 1180, &px), 0);
	assert_true(px == 11.8);
	assert_int_equal(parse_pixels("0.01%", 1000, &px), 0);
	assert_true(fabs(px - 0.1) < 1e-12);
	assert_int_equal(parse_pixels("1e2px", 1000, &px), 0);
	assert_true(px == 100);
	px = 4;
	static const char *const bad[] = {
		"-1", "-0.5px", "1e400", "1e400px", "1e400%", "nan", "nanpx", "inf", "infpx", "0.5 px",
		"0.5pt", "%", "px", "5%%", "0x1p3",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		if (parse_pixels(bad[i], 1000, &px) != -1)
			fail_msg("'%s' accepted", bad[i]);
	for (size_t i = 0; i < sizeof(not_numbers) / sizeof(*not_numbers); i++)
		if (parse_pixels(not_numbers[i], 1000, &px) != -1)
			fail_msg("'%s' accepted", not_numbers[i]);
	assert_true(px == 4);
}

static void test_color_when(void **state)
{
	(void)state;
	assert_int_equal(parse_color_when("always", 2), 1);
	assert_int_equal(parse_color_when("never", 2), 0);
	assert_int_equal(parse_color_when("auto", 2), 2);
	assert_int_equal(parse_color_when("auto", 0), 0);
	assert_int_equal(parse_color_when("", 2), -1);
	assert_int_equal(parse_color_when("yes", 2), -1);
	assert_int_equal(parse_color_when("Always", 2), -1);
	assert_int_equal(parse_color_when(NULL, 2), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration_good),
		cmocka_unit_test(test_duration_bad),
		cmocka_unit_test(test_count),
		cmocka_unit_test(test_rate),
		cmocka_unit_test(test_pixels),
		cmocka_unit_test(test_color_when),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
