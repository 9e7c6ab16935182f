// SPDX-License-Identifier: GPL-2.0
/*
 * The TLV codec: what is written reads back, nests included; a writer
 * never exceeds its bound; every truncation of a valid message is
 * refused, never read past.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "util/tlv.h"

enum { A_U32 = 1, A_U64, A_STR, A_NEST, A_EMPTY };

static void write_sample(struct tlv_writer *w)
{
	size_t nest;

	tlv_put_u32(w, A_U32, 0xdeadbeef);
	tlv_put_u64(w, A_U64, 0x0102030405060708ULL);
	nest = tlv_nest_begin(w, A_NEST);
	tlv_put_str(w, A_STR, "node-1");
	tlv_put_u32(w, A_U32, 7);
	tlv_nest_end(w, nest);
	tlv_put(w, A_EMPTY, NULL, 0);
}

static void test_round_trip_with_nest(void **state)
{
	struct tlv_reader r, n;
	struct tlv_writer w;
	struct tlv a;
	uint32_t u32;
	uint64_t u64;
	char s[16];

	(void)state;
	tlv_writer_init(&w, 4096);
	write_sample(&w);
	assert_int_equal(tlv_writer_error(&w), 0);
	tlv_reader_init(&r, w.buf, w.len);
	assert_int_equal(tlv_next(&r, &a), 1);
	assert_int_equal(a.type, A_U32);
	assert_int_equal(tlv_u32(&a, &u32), 0);
	assert_int_equal(u32, 0xdeadbeef);
	assert_int_equal(tlv_u64(&a, &u64), -EPROTO);
	assert_int_equal(tlv_next(&r, &a), 1);
	assert_int_equal(tlv_u64(&a, &u64), 0);
	assert_true(u64 == 0x0102030405060708ULL);
	assert_int_equal(tlv_next(&r, &a), 1);
	assert_int_equal(a.type, A_NEST);
	tlv_reader_nest(&n, &a);
	assert_int_equal(tlv_next(&n, &a), 1);
	assert_int_equal(tlv_str(&a, s, sizeof(s)), 0);
	assert_string_equal(s, "node-1");
	assert_int_equal(tlv_str(&a, s, 6), -E2BIG);
	assert_int_equal(tlv_next(&n, &a), 1);
	assert_int_equal(tlv_u32(&a, &u32), 0);
	assert_int_equal(u32, 7);
	assert_int_equal(tlv_next(&n, &a), 0);
	assert_int_equal(tlv_next(&r, &a), 1);
	assert_int_equal(a.type, A_EMPTY);
	assert_int_equal(a.len, 0);
	assert_int_equal(tlv_next(&r, &a), 0);
	tlv_writer_release(&w);
}

static void test_writer_never_exceeds_its_bound(void **state)
{
	struct tlv_writer w;
	char big[100];

	(void)state;
	memset(big, 'x', sizeof(big));
	tlv_writer_init(&w, 64);
	tlv_put(&w, A_STR, big, 50);
	assert_int_equal(tlv_writer_error(&w), 0);
	tlv_put(&w, A_STR, big, 50);
	assert_int_equal(tlv_writer_error(&w), -EMSGSIZE);
	assert_true(w.len <= 64);
	/* Sticky: later puts do nothing. */
	tlv_put_u32(&w, A_U32, 1);
	assert_int_equal(tlv_writer_error(&w), -EMSGSIZE);
	assert_int_equal(w.len, TLV_HDR_LEN + 50);
	tlv_writer_release(&w);
}

static void test_every_truncation_is_refused(void **state)
{
	struct tlv_writer w;
	size_t cut;

	(void)state;
	tlv_writer_init(&w, 4096);
	write_sample(&w);
	for (cut = 0; cut < w.len; cut++) {
		/* A copy of exactly cut bytes, so ASan sees any overread. */
		uint8_t *b = malloc(cut ? cut : 1);
		struct tlv_reader r;
		struct tlv a;
		int ret, seen = 0;

		memcpy(b, w.buf, cut);
		tlv_reader_init(&r, b, cut);
		while ((ret = tlv_next(&r, &a)) == 1)
			seen++;
		/* Either a clean end at an attribute boundary or an error. */
		if (ret == 0)
			assert_true(seen < 4);
		else
			assert_int_equal(ret, -EPROTO);
		free(b);
	}
	tlv_writer_release(&w);
}

static void test_string_with_nul_is_refused(void **state)
{
	struct tlv_writer w;
	struct tlv_reader r;
	struct tlv a;
	char s[16];

	(void)state;
	tlv_writer_init(&w, 64);
	tlv_put(&w, A_STR, "ab\0c", 4);
	tlv_reader_init(&r, w.buf, w.len);
	assert_int_equal(tlv_next(&r, &a), 1);
	assert_int_equal(tlv_str(&a, s, sizeof(s)), -EPROTO);
	tlv_writer_release(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_with_nest),
		cmocka_unit_test(test_writer_never_exceeds_its_bound),
		cmocka_unit_test(test_every_truncation_is_refused),
		cmocka_unit_test(test_string_with_nul_is_refused),
	};

	return cmocka_run_group_tests_name("tlv", tests, NULL, NULL);
}
