// SPDX-License-Identifier: GPL-2.0
/*
 * atom confgen writes a config that parses as it stands and shows every
 * key the parser knows, each with an explanation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "config.h"
#include "confgen.h"

static void test_generated_configs_parse(void **state)
{
	struct config cfg;
	char err[256] = "";
	const char *t;

	(void)state;
	t = confgen_text(false);
	if (config_parse(t, strlen(t), "bootstrapper", &cfg, err,
			 sizeof(err)) < 0)
		fail_msg("%s", err);
	assert_true(cfg.bootstrap);
	t = confgen_text(true);
	if (config_parse(t, strlen(t), "follower", &cfg, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	assert_false(cfg.bootstrap);
	assert_string_equal(cfg.join_token, "atom.<id>.<secret>");
}

/*
 * Find "leaf:" in the section of path, explained by a comment at most
 * three lines above it (keys of one group share one comment).
 */
static bool shows_key(const char *text, const char *path)
{
	const char *leaf = strrchr(path, '.') + 1;
	char section[64], needle[96];
	const char *sec, *at;
	int back;

	snprintf(section, sizeof(section), "\n%.*s:\n",
		 (int)(strchr(path, '.') - path), path);
	sec = strstr(text, section);
	if (!sec)
		return false;
	snprintf(needle, sizeof(needle), " %s:", leaf);
	at = strstr(sec, needle);
	if (!at)
		return false;
	for (back = 0; back < 4; back++) {
		while (at > text && at[-1] != '\n')
			at--;
		if (back) {
			const char *c = at;

			while (*c == ' ')
				c++;
			if (*c == '#')
				return true;
		}
		if (at == text)
			return false;
		at--;
	}
	return false;
}

static void test_every_key_is_shown_and_explained(void **state)
{
	unsigned int i;
	int f;

	(void)state;
	for (f = 0; f < 2; f++) {
		const char *t = confgen_text(f);

		for (i = 0; i < config_key_count(); i++) {
			const char *k = config_key_path(i);

			if (f && strstr(k, "network_layer"))
				continue;	/* followers never set it */
			if (!shows_key(t, k))
				fail_msg("confgen %s does not show %s",
					 f ? "--follower" : "", k);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generated_configs_parse),
		cmocka_unit_test(test_every_key_is_shown_and_explained),
	};

	return cmocka_run_group_tests_name("confgen", tests, NULL, NULL);
}
