// SPDX-License-Identifier: GPL-2.0
/*
 * The Raft message codec: what is encoded decodes to the same message;
 * every truncation, every trailing byte, every bad version, type, flag
 * and bound is refused; conf payloads round-trip and reject duplicates.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "raft/conf.h"
#include "raft/msg.h"

static uint8_t d1[] = "hello", d2[] = "world!";

static struct raft_msg sample(void)
{
	static struct raft_entry ents[2];
	struct raft_msg m = {
		.type = RAFT_MSG_APPEND, .from = 1, .to = 2, .term = 7,
		.index = 10, .log_term = 6, .commit = 9, .seq = 3,
		.sent_ms = 12345, .rtt_ms = 4, .heartbeat = false,
	};

	ents[0] = (struct raft_entry){ .term = 6, .index = 11,
		.type = RAFT_ENTRY_NORMAL, .len = 5, .data = d1 };
	ents[1] = (struct raft_entry){ .term = 7, .index = 12,
		.type = RAFT_ENTRY_CONF, .len = 6, .data = d2 };
	m.ents = ents;
	m.n_ents = 2;
	return m;
}

static void test_round_trip(void **state)
{
	struct raft_msg m = sample(), d;
	uint8_t *buf;
	size_t len;

	(void)state;
	assert_int_equal(raft_msg_encode(&m, &buf, &len), 0);
	assert_int_equal(raft_msg_decode(buf, len, &d), 0);
	assert_int_equal(d.type, m.type);
	assert_int_equal(d.term, 7);
	assert_int_equal(d.index, 10);
	assert_int_equal(d.commit, 9);
	assert_int_equal(d.sent_ms, 12345);
	assert_int_equal(d.n_ents, 2);
	assert_int_equal(d.ents[1].index, 12);
	assert_int_equal(d.ents[1].type, RAFT_ENTRY_CONF);
	assert_memory_equal(d.ents[1].data, "world!", 6);
	assert_false(d.after_persist);
	raft_msg_release(&d);
	free(buf);
}

static void test_snapshot_chunk_round_trip(void **state)
{
	uint8_t chunk[100];
	struct raft_msg m = { .type = RAFT_MSG_SNAPSHOT, .from = 3, .to = 1,
			      .term = 2, .snap_index = 40, .snap_term = 2,
			      .offset = 100, .total = 300, .chunk_len = 100,
			      .chunk = chunk }, d;
	uint8_t *buf;
	size_t len;

	(void)state;
	memset(chunk, 0x5a, sizeof(chunk));
	assert_int_equal(raft_msg_encode(&m, &buf, &len), 0);
	assert_int_equal(raft_msg_decode(buf, len, &d), 0);
	assert_int_equal(d.offset, 100);
	assert_int_equal(d.chunk_len, 100);
	assert_memory_equal(d.chunk, chunk, 100);
	raft_msg_release(&d);
	/* a chunk beyond the total is refused */
	buf[len - 100 - 4 - 8 + 6] = 0;	/* total = 150 < offset + len */
	buf[len - 100 - 4 - 8 + 7] = 150;
	assert_int_equal(raft_msg_decode(buf, len, &d), -EBADMSG);
	free(buf);
}

static void test_every_truncation_and_extension_refused(void **state)
{
	struct raft_msg m = sample(), d;
	uint8_t *buf, *big;
	size_t len;

	(void)state;
	assert_int_equal(raft_msg_encode(&m, &buf, &len), 0);
	for (size_t n = 0; n < len; n++)
		assert_true(raft_msg_decode(buf, n, &d) < 0);
	big = calloc(1, len + 1);
	assert_non_null(big);
	memcpy(big, buf, len);
	assert_int_equal(raft_msg_decode(big, len + 1, &d), -EBADMSG);
	free(big);
	free(buf);
}

static void test_bad_header_fields_refused(void **state)
{
	struct raft_msg m = sample(), d;
	uint8_t *buf;
	size_t len;

	(void)state;
	assert_int_equal(raft_msg_encode(&m, &buf, &len), 0);
	buf[0] = 2;
	assert_int_equal(raft_msg_decode(buf, len, &d), -EPROTONOSUPPORT);
	buf[0] = RAFT_CODEC_VERSION;
	buf[1] = 0;
	assert_int_equal(raft_msg_decode(buf, len, &d), -EBADMSG);
	buf[1] = RAFT_MSG_TYPE_MAX + 1;
	assert_int_equal(raft_msg_decode(buf, len, &d), -EBADMSG);
	buf[1] = RAFT_MSG_VOTE;	/* entries only travel in appends */
	assert_int_equal(raft_msg_decode(buf, len, &d), -EBADMSG);
	buf[1] = RAFT_MSG_APPEND;
	buf[2] = 0x80;
	assert_int_equal(raft_msg_decode(buf, len, &d), -EBADMSG);
	buf[2] = 0;
	buf[3] = 1;
	assert_int_equal(raft_msg_decode(buf, len, &d), -EBADMSG);
	free(buf);
}

static void test_entries_must_follow_index(void **state)
{
	struct raft_msg m = sample(), d;
	uint8_t *buf;
	size_t len;

	(void)state;
	m.ents[1].index = 14;
	assert_int_equal(raft_msg_encode(&m, &buf, &len), 0);
	assert_int_equal(raft_msg_decode(buf, len, &d), -EBADMSG);
	free(buf);
	m = sample();
	m.ents[0].term = 9;	/* newer than the message's term */
	assert_int_equal(raft_msg_encode(&m, &buf, &len), 0);
	assert_int_equal(raft_msg_decode(buf, len, &d), -EBADMSG);
	free(buf);
}

static void test_limits_refused(void **state)
{
	struct raft_msg m = sample();
	uint8_t *buf;
	size_t len;

	(void)state;
	m.n_ents = RAFT_MSG_MAX_ENTRIES + 1;
	assert_int_equal(raft_msg_encode(&m, &buf, &len), -EINVAL);
	m = sample();
	m.ents[0].len = RAFT_MAX_ENTRY + 1;
	assert_int_equal(raft_msg_encode(&m, &buf, &len), -E2BIG);
}

static void test_conf_round_trip_and_duplicates(void **state)
{
	struct raft_member mem[3] = { { 1, RAFT_VOTER }, { 2, RAFT_LEARNER },
				      { 3, RAFT_VOTER } };
	struct raft_conf c = { .n = 3, .members = mem }, d = { 0 };
	uint8_t *buf;
	uint32_t len;

	(void)state;
	assert_int_equal(raft_conf_encode(&c, &buf, &len), 0);
	assert_int_equal(raft_conf_decode(buf, len, &d), 0);
	assert_int_equal(d.n, 3);
	assert_int_equal(d.members[1].role, RAFT_LEARNER);
	raft_conf_free(&d);
	for (uint32_t n = 0; n < len; n++)
		assert_int_equal(raft_conf_decode(buf, n, &d), -EBADMSG);
	free(buf);
	mem[2].id = 1;
	assert_int_equal(raft_conf_encode(&c, &buf, &len), 0);
	assert_int_equal(raft_conf_decode(buf, len, &d), -EBADMSG);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_snapshot_chunk_round_trip),
		cmocka_unit_test(test_every_truncation_and_extension_refused),
		cmocka_unit_test(test_bad_header_fields_refused),
		cmocka_unit_test(test_entries_must_follow_index),
		cmocka_unit_test(test_limits_refused),
		cmocka_unit_test(test_conf_round_trip_and_duplicates),
	};

	return cmocka_run_group_tests_name("raft_codec", tests, NULL, NULL);
}
