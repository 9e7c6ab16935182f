// SPDX-License-Identifier: GPL-2.0
/*
 * Frame headers: what is encoded decodes the same; every malformed
 * header (short length, oversize, unknown version or type, flags set)
 * is an error.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "frame.h"

static void test_header_round_trip(void **state)
{
	struct frame_header h;
	uint8_t buf[FRAME_HEADER_LEN];

	(void)state;
	assert_int_equal(frame_header_encode(buf, FRAME_RAFT, 1234), 0);
	assert_int_equal(frame_header_decode(buf, FRAME_MAX_PAYLOAD, &h), 0);
	assert_int_equal(h.type, FRAME_RAFT);
	assert_int_equal(h.version, FRAME_VERSION);
	assert_int_equal(h.payload_len, 1234);
	assert_int_equal(frame_header_encode(buf, FRAME_HELLO, 0), 0);
	assert_int_equal(frame_header_decode(buf, 0, &h), 0);
	assert_int_equal(h.payload_len, 0);
}

static void test_encode_refuses_bad_type_and_size(void **state)
{
	uint8_t buf[FRAME_HEADER_LEN];

	(void)state;
	assert_int_equal(frame_header_encode(buf, 0, 1), -EINVAL);
	assert_int_equal(frame_header_encode(buf, __FRAME_TYPE_MAX, 1),
			 -EINVAL);
	assert_int_equal(frame_header_encode(buf, FRAME_RAFT,
					     FRAME_MAX_PAYLOAD + 1),
			 -EMSGSIZE);
}

static void test_decode_rejects_malformed(void **state)
{
	struct frame_header h;
	uint8_t good[FRAME_HEADER_LEN], bad[FRAME_HEADER_LEN];

	(void)state;
	assert_int_equal(frame_header_encode(good, FRAME_RPC, 100), 0);

	memcpy(bad, good, sizeof(bad));
	memset(bad, 0, 3);
	bad[3] = 3;			/* shorter than the header's tail */
	assert_int_equal(frame_header_decode(bad, 1000, &h), -EPROTO);

	assert_int_equal(frame_header_decode(good, 99, &h), -EMSGSIZE);

	memcpy(bad, good, sizeof(bad));
	bad[4] = FRAME_VERSION + 1;
	assert_int_equal(frame_header_decode(bad, 1000, &h), -EPROTO);

	memcpy(bad, good, sizeof(bad));
	bad[5] = 0;
	assert_int_equal(frame_header_decode(bad, 1000, &h), -EPROTO);
	bad[5] = __FRAME_TYPE_MAX;
	assert_int_equal(frame_header_decode(bad, 1000, &h), -EPROTO);

	memcpy(bad, good, sizeof(bad));
	bad[7] = 1;
	assert_int_equal(frame_header_decode(bad, 1000, &h), -EPROTO);

	memset(bad, 0xff, sizeof(bad));
	assert_int_equal(frame_header_decode(bad, FRAME_MAX_PAYLOAD, &h),
			 -EMSGSIZE);
}

static void test_hello(void **state)
{
	uint8_t buf[FRAME_HELLO_LEN];
	uint64_t id, cluster;

	(void)state;
	frame_hello_encode(buf, 0x0102030405060708ULL, 42);
	assert_int_equal(frame_hello_decode(buf, sizeof(buf), &id, &cluster),
			 0);
	assert_true(id == 0x0102030405060708ULL);
	assert_true(cluster == 42);
	assert_int_equal(frame_hello_decode(buf, sizeof(buf) - 1, &id,
					    &cluster), -EPROTO);
	frame_hello_encode(buf, 0, 42);
	assert_int_equal(frame_hello_decode(buf, sizeof(buf), &id, &cluster),
			 -EPROTO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_round_trip),
		cmocka_unit_test(test_encode_refuses_bad_type_and_size),
		cmocka_unit_test(test_decode_rejects_malformed),
		cmocka_unit_test(test_hello),
	};

	return cmocka_run_group_tests_name("frame", tests, NULL, NULL);
}
