// SPDX-License-Identifier: GPL-2.0
/*
 * The member list an accepted joiner gets: it round-trips every field
 * (IPv4, IPv6 and no endpoint), and decode refuses truncation, trailing
 * bytes, a bad version, a bad name and a count beyond the bytes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "join/members.h"

static void three(struct join_peer p[3])
{
	memset(p, 0, 3 * sizeof(*p));
	for (int i = 0; i < 3; i++) {
		snprintf(p[i].name, sizeof(p[i].name), "node-%d", i);
		p[i].ip = 0x0a000001 + (uint32_t)i;
		memset(p[i].key, 0x11 * (i + 1), sizeof(p[i].key));
		p[i].wg_port = (uint16_t)(51820 + i);
	}
	p[0].endpoint.family = AF_INET;
	inet_pton(AF_INET, "192.0.2.1", p[0].endpoint.addr);
	p[0].endpoint.port = 51820;
	p[1].endpoint.family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::1", p[1].endpoint.addr);
	p[1].endpoint.port = 51821;
}

static void round_trip(void **state)
{
	struct join_peer p[3], *q;
	uint8_t *buf;
	size_t len, n;

	(void)state;
	three(p);
	assert_int_equal(join_members_encode(p, 3, &buf, &len), 0);
	assert_int_equal(join_members_decode(buf, len, &q, &n), 0);
	assert_int_equal(n, 3);
	assert_memory_equal(p, q, sizeof(p));
	/* so the fuzzer starts from a real list */
	if (getenv("WRITE_SEED")) {
		FILE *f = fopen(getenv("WRITE_SEED"), "wb");

		if (f) {
			fwrite(buf, 1, len, f);
			fclose(f);
		}
	}
	free(q);
	free(buf);
}

static void refused(void **state)
{
	struct join_peer p[3], *q;
	uint8_t *buf;
	size_t len, n, i;

	(void)state;
	three(p);
	assert_int_equal(join_members_encode(p, 3, &buf, &len), 0);
	for (i = 0; i < len; i++)	/* every truncation */
		assert_int_equal(join_members_decode(buf, i, &q, &n), -EBADMSG);
	buf = realloc(buf, len + 1);
	buf[len] = 0;
	assert_int_equal(join_members_decode(buf, len + 1, &q, &n), -EBADMSG);
	buf[0] = 9;
	assert_int_equal(join_members_decode(buf, len, &q, &n), -EBADMSG);
	buf[0] = JOIN_MEMBERS_VERSION;
	buf[2] = 200;			/* count beyond the bytes */
	assert_int_equal(join_members_decode(buf, len, &q, &n), -EBADMSG);
	buf[2] = 3;
	buf[4] = ' ';			/* a name with a space */
	assert_int_equal(join_members_decode(buf, len, &q, &n), -EBADMSG);
	free(buf);
	strcpy(p[2].name, "bad name");
	assert_int_equal(join_members_encode(p, 3, &buf, &len), -EINVAL);
}

static void empty(void **state)
{
	struct join_peer *q;
	uint8_t *buf;
	size_t len, n;

	(void)state;
	assert_int_equal(join_members_encode(NULL, 0, &buf, &len), 0);
	assert_int_equal(len, 3);
	assert_int_equal(join_members_decode(buf, len, &q, &n), 0);
	assert_int_equal(n, 0);
	free(q);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),
		cmocka_unit_test(refused),
		cmocka_unit_test(empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
