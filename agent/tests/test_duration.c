// SPDX-License-Identifier: GPL-2.0
/*
 * Durations as an operator types them for --ttl and the config's timeouts.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/duration.h"

static uint64_t parse_ok(const char *s)
{
	uint64_t ms = 12345;

	assert_int_equal(duration_parse(s, &ms), 0);
	return ms;
}

static void test_parses_each_unit(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("250ms"), 250);
	assert_int_equal(parse_ok("90s"), 90000);
	assert_int_equal(parse_ok("10m"), 600000);
	assert_int_equal(parse_ok("24h"), 86400000);
	assert_int_equal(parse_ok("7d"), 604800000);
	assert_int_equal(parse_ok("0"), 0);
	assert_int_equal(parse_ok("0s"), 0);
}

static void test_parses_compound_largest_first(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("1h30m"), 5400000);
	assert_int_equal(parse_ok("1d2h3m4s5ms"), 93784005);
}

static void test_rejects_bad_syntax(void **state)
{
	static const char *const bad[] = {
		"", "s", "10", "10x", "-5s", "1.5h", "30m1h", "1h1h", "1h ",
		" 1h", "ms", "1hm",
	};
	uint64_t ms = 7;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(duration_parse(bad[i], &ms), -EINVAL);
		assert_int_equal(ms, 7);	/* untouched on failure */
	}
	assert_int_equal(duration_parse(NULL, &ms), -EINVAL);
}

static void test_rejects_overflow(void **state)
{
	uint64_t ms = 7;

	(void)state;
	assert_int_equal(duration_parse("36501d", &ms), -ERANGE);
	assert_int_equal(duration_parse("99999999999999999999999s", &ms),
			 -ERANGE);
	assert_int_equal(duration_parse("36500d", &ms), 0);
	assert_true(ms == DURATION_MAX_MS);
}

static void test_format_round_trips(void **state)
{
	static const uint64_t values[] = { 0, 1, 999, 1000, 5400000,
					   93784005, DURATION_MAX_MS };
	char buf[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		assert_int_equal(duration_format(values[i], buf, sizeof(buf)),
				 0);
		assert_int_equal(parse_ok(buf), values[i]);
	}
	assert_int_equal(duration_format(5400000, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "1h30m");
	assert_int_equal(duration_format(5400000, buf, 3), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parses_each_unit),
		cmocka_unit_test(test_parses_compound_largest_first),
		cmocka_unit_test(test_rejects_bad_syntax),
		cmocka_unit_test(test_rejects_overflow),
		cmocka_unit_test(test_format_round_trips),
	};

	return cmocka_run_group_tests_name("duration", tests, NULL, NULL);
}
