// SPDX-License-Identifier: GPL-2.0
/*
 * The CLI's JSON output is valid JSON whatever a name contains.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "json.h"

static char *render(void (*fn)(struct json *j))
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct json j;

	assert_non_null(f);
	json_init(&j, f);
	fn(&j);
	fclose(f);
	return buf;
}

static void nodes(struct json *j)
{
	json_array_begin(j, NULL);
	json_object_begin(j, NULL);
	json_str(j, "name", "a\"b\\c\n\x01");
	json_u64(j, "n", 18446744073709551615ULL);
	json_bool(j, "self", true);
	json_null(j, "last_handshake");
	json_object_end(j);
	json_object_begin(j, NULL);
	json_array_begin(j, "list");
	json_u64(j, NULL, 1);
	json_u64(j, NULL, 2);
	json_array_end(j);
	json_object_end(j);
	json_array_end(j);
}

static void test_nesting_commas_and_escapes(void **state)
{
	static const char want[] =
		"[{\"name\":\"a\\\"b\\\\c\\n\\u0001\",\"n\":18446744073709551615,"
		"\"self\":true,\"last_handshake\":null},{\"list\":[1,2]}]";
	char *s = render(nodes);

	(void)state;
	assert_string_equal(s, want);
	free(s);
}

static void empty(struct json *j)
{
	json_array_begin(j, NULL);
	json_array_end(j);
}

static void test_empty_array(void **state)
{
	char *s = render(empty);

	(void)state;
	assert_string_equal(s, "[]");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nesting_commas_and_escapes),
		cmocka_unit_test(test_empty_array),
	};

	return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
