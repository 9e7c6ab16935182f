// SPDX-License-Identifier: GPL-2.0
/*
 * The CLI contract: -c, -s and -j are accepted anywhere after "atom".
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "args.h"

#define ARGV(...) ((char *[]){ "atom", __VA_ARGS__, NULL })

static int argc_of(char **argv)
{
	int n = 0;

	while (argv[n])
		n++;
	return n;
}

static void test_options_before_and_after_command(void **state)
{
	char **a = ARGV("-s", "S", "node", "list", "-j");
	char **b = ARGV("node", "list", "-j", "-c", "FILE");
	struct cli_global g;
	const char *bad;
	int n;

	(void)state;
	assert_int_equal(cli_args_extract(argc_of(a), a, &g, &n, &bad), 0);
	assert_int_equal(n, 3);
	assert_string_equal(a[1], "node");
	assert_string_equal(a[2], "list");
	assert_null(a[3]);
	assert_string_equal(g.socket, "S");
	assert_true(g.json);
	assert_null(g.config);

	assert_int_equal(cli_args_extract(argc_of(b), b, &g, &n, &bad), 0);
	assert_int_equal(n, 3);
	assert_string_equal(g.config, "FILE");
	assert_true(g.json);
	assert_null(g.socket);
}

static void test_long_forms_and_inline_values(void **state)
{
	char **a = ARGV("status", "--json", "--config=/etc/atom/atom.yaml",
			"--socket", "/run/x.sock");
	struct cli_global g;
	const char *bad;
	int n;

	(void)state;
	assert_int_equal(cli_args_extract(argc_of(a), a, &g, &n, &bad), 0);
	assert_int_equal(n, 2);
	assert_string_equal(g.config, "/etc/atom/atom.yaml");
	assert_string_equal(g.socket, "/run/x.sock");
	assert_true(g.json);
}

static void test_subcommand_options_pass_through(void **state)
{
	char **a = ARGV("token", "create", "--uses", "3", "-j");
	struct cli_global g;
	const char *bad;
	int n;

	(void)state;
	assert_int_equal(cli_args_extract(argc_of(a), a, &g, &n, &bad), 0);
	assert_int_equal(n, 5);
	assert_string_equal(a[3], "--uses");
	assert_string_equal(a[4], "3");
}

static void test_double_dash_stops_extraction(void **state)
{
	char **a = ARGV("node", "remove", "--", "-j");
	struct cli_global g;
	const char *bad;
	int n;

	(void)state;
	assert_int_equal(cli_args_extract(argc_of(a), a, &g, &n, &bad), 0);
	assert_false(g.json);
	assert_int_equal(n, 5);
	assert_string_equal(a[4], "-j");
}

static void test_missing_or_repeated_value_is_usage_error(void **state)
{
	char **a = ARGV("status", "-c");
	char **b = ARGV("-c", "A", "status", "-c", "B");
	char **c = ARGV("--config=", "status");
	struct cli_global g;
	const char *bad;
	int n;

	(void)state;
	assert_int_equal(cli_args_extract(argc_of(a), a, &g, &n, &bad), -EINVAL);
	assert_string_equal(bad, "-c");
	assert_int_equal(cli_args_extract(argc_of(b), b, &g, &n, &bad), -EINVAL);
	assert_string_equal(bad, "-c");
	assert_int_equal(cli_args_extract(argc_of(c), c, &g, &n, &bad), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_options_before_and_after_command),
		cmocka_unit_test(test_long_forms_and_inline_values),
		cmocka_unit_test(test_subcommand_options_pass_through),
		cmocka_unit_test(test_double_dash_stops_extraction),
		cmocka_unit_test(test_missing_or_repeated_value_is_usage_error),
	};

	return cmocka_run_group_tests_name("cli_args", tests, NULL, NULL);
}
