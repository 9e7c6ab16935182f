// SPDX-License-Identifier: GPL-2.0
/*
 * The private key file: created 0600 (with a 0700 directory) when
 * missing, read back unchanged, refused when others can read it or when
 * it holds no key, wiped on eviction. Public keys match RFC 7748.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <sodium.h>

#include "keyfile.h"

struct dir {
	char path[64];
	char key[96];
};

static int setup(void **state)
{
	struct dir *d = calloc(1, sizeof(*d));

	strcpy(d->path, "/tmp/atom-keyfile-XXXXXX");
	assert_non_null(mkdtemp(d->path));
	snprintf(d->key, sizeof(d->key), "%s/sub/private.key", d->path);
	*state = d;
	return 0;
}

static int teardown(void **state)
{
	struct dir *d = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", d->path);
	assert_int_equal(system(cmd), 0);
	free(d);
	return 0;
}

static void test_created_then_loaded_unchanged(void **state)
{
	struct dir *d = *state;
	uint8_t k1[WG_KEY_LEN], k2[WG_KEY_LEN];
	char err[256], sub[80];
	struct stat st;

	assert_int_equal(keyfile_load_or_create(d->key, k1, err, sizeof(err)),
			 0);
	assert_int_equal(stat(d->key, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	snprintf(sub, sizeof(sub), "%s/sub", d->path);
	assert_int_equal(stat(sub, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(st.st_mode & S_IFMT, S_IFDIR);
	assert_int_equal(keyfile_load_or_create(d->key, k2, err, sizeof(err)),
			 0);
	assert_memory_equal(k1, k2, WG_KEY_LEN);
	/* Clamped as X25519 wants. */
	assert_int_equal(k1[0] & 7, 0);
	assert_int_equal(k1[31] & 0xc0, 0x40);
}

static void test_readable_by_others_is_refused(void **state)
{
	struct dir *d = *state;
	uint8_t k[WG_KEY_LEN];
	char err[256];

	assert_int_equal(keyfile_load_or_create(d->key, k, err, sizeof(err)),
			 0);
	assert_int_equal(chmod(d->key, 0644), 0);
	assert_int_equal(keyfile_load_or_create(d->key, k, err, sizeof(err)),
			 -EACCES);
	assert_non_null(strstr(err, "accessible by others (mode 0644)"));
}

static void test_garbage_is_refused_not_replaced(void **state)
{
	struct dir *d = *state;
	uint8_t k[WG_KEY_LEN];
	char err[256], buf[32] = "";
	FILE *f;

	assert_int_equal(keyfile_load_or_create(d->key, k, err, sizeof(err)),
			 0);
	f = fopen(d->key, "w");
	assert_non_null(f);
	fputs("not a key\n", f);
	fclose(f);
	assert_int_equal(keyfile_load_or_create(d->key, k, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "does not hold a WireGuard key"));
	f = fopen(d->key, "r");
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, "not a key\n");
}

static void test_wipe_removes_the_key(void **state)
{
	struct dir *d = *state;
	uint8_t k[WG_KEY_LEN];
	char err[256];

	assert_int_equal(keyfile_load_or_create(d->key, k, err, sizeof(err)),
			 0);
	assert_int_equal(keyfile_wipe(d->key), 0);
	assert_int_equal(access(d->key, F_OK), -1);
	assert_int_equal(keyfile_wipe(d->key), 0);
}

static void test_public_key_rfc7748(void **state)
{
	static const char priv_hex[] =
		"77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
	static const uint8_t want[WG_KEY_LEN] = {
		0x85, 0x20, 0xf0, 0x09, 0x89, 0x30, 0xa7, 0x54,
		0x74, 0x8b, 0x7d, 0xdc, 0xb4, 0x3e, 0xf7, 0x5a,
		0x0d, 0xbf, 0x3a, 0x0d, 0x26, 0x38, 0x1a, 0xf4,
		0xeb, 0xa4, 0xa9, 0x8e, 0xaa, 0x9b, 0x4e, 0x6a,
	};
	uint8_t priv[WG_KEY_LEN], pub[WG_KEY_LEN], back[WG_KEY_LEN];
	char b64[WG_KEY_B64_LEN + 1];
	size_t n;

	(void)state;
	assert_int_equal(sodium_hex2bin(priv, sizeof(priv), priv_hex,
					sizeof(priv_hex) - 1, NULL, &n, NULL), 0);
	assert_int_equal(n, WG_KEY_LEN);
	wg_key_public(priv, pub);
	assert_memory_equal(pub, want, WG_KEY_LEN);
	wg_key_to_base64(pub, b64);
	assert_int_equal(strlen(b64), WG_KEY_B64_LEN);
	assert_int_equal(wg_key_from_base64(b64, back), 0);
	assert_memory_equal(back, pub, WG_KEY_LEN);
	b64[10] = '!';
	assert_int_equal(wg_key_from_base64(b64, back), -EINVAL);
	assert_int_equal(wg_key_from_base64("short", back), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_created_then_loaded_unchanged,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_readable_by_others_is_refused,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_is_refused_not_replaced,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_wipe_removes_the_key,
						setup, teardown),
		cmocka_unit_test(test_public_key_rfc7748),
	};

	return cmocka_run_group_tests_name("keyfile", tests, NULL, NULL);
}
