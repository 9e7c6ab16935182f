// SPDX-License-Identifier: GPL-2.0
/*
 * The mesh command codec: every command type reads back as written and
 * re-encodes to the same bytes; every truncation, a trailing byte, an
 * unknown version or type and every out-of-range field are refused; the
 * encoder refuses what the decoder would.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mesh_test.h"

#define N_SAMPLES 9

static void sample(struct mesh_cmd *c, int i)
{
	switch (i) {
	case 0:
		t_bootstrap(c, 1, 24);
		break;
	case 1:
		t_token(c, 2, 1, 3, 60000, MESH_ROLE_MEMBER);
		break;
	case 2:
		t_head(c, MESH_CMD_TOKEN_REVOKE, 3);
		t_token_id(c->token_revoke.id, 1);
		break;
	case 3:
		t_join(c, 4, 1, 5);
		break;
	case 4:
		t_join(c, 5, 1, 6);	/* IPv6 endpoint */
		c->join.node.endpoint.family = AF_INET6;
		memset(c->join.node.endpoint.addr, 0x20, 16);
		c->join.node.voter = MESH_VOTER_NEVER;
		break;
	case 5:
		t_named(c, MESH_CMD_NODE_EVICT, 6, 5);
		break;
	case 6:
		t_named(c, MESH_CMD_NODE_REMOVE, 7, 5);
		break;
	case 7:
		t_named(c, MESH_CMD_NODE_UPDATE, 8, 5);
		c->update.endpoint.family = 0;	/* none known */
		break;
	default:
		t_head(c, MESH_CMD_FEATURE_BUMP, 9);
		c->bump.feature = 2;
		break;
	}
}

static void test_round_trip_every_type(void **state)
{
	uint8_t buf[MESH_CMD_MAX], again[MESH_CMD_MAX];
	struct mesh_cmd c, d;
	size_t len, len2;
	int i;

	(void)state;
	for (i = 0; i < N_SAMPLES; i++) {
		sample(&c, i);
		assert_int_equal(mesh_cmd_encode(&c, buf, sizeof(buf), &len),
				 0);
		assert_int_equal(mesh_cmd_decode(buf, len, &d), 0);
		assert_int_equal(d.type, c.type);
		assert_true(d.client == c.client && d.seq == c.seq);
		assert_true(d.ts_ms == c.ts_ms);
		/* the union as written, byte for byte */
		assert_memory_equal(&d.bootstrap, &c.bootstrap,
				    sizeof(c.bootstrap));
		assert_int_equal(mesh_cmd_encode(&d, again, sizeof(again),
						 &len2), 0);
		assert_int_equal(len2, len);
		assert_memory_equal(again, buf, len);
	}
}

static void test_every_truncation_and_trailer_refused(void **state)
{
	uint8_t buf[MESH_CMD_MAX + 1];
	struct mesh_cmd c, d;
	size_t len, cut;
	int i;

	(void)state;
	for (i = 0; i < N_SAMPLES; i++) {
		sample(&c, i);
		assert_int_equal(mesh_cmd_encode(&c, buf, sizeof(buf), &len),
				 0);
		for (cut = 0; cut < len; cut++)
			assert_int_equal(mesh_cmd_decode(buf, cut, &d),
					 MESH_E_MALFORMED);
		buf[len] = 0;
		assert_int_equal(mesh_cmd_decode(buf, len + 1, &d),
				 MESH_E_MALFORMED);
	}
}

static void test_version_type_and_size_refused(void **state)
{
	uint8_t buf[MESH_CMD_MAX + 16] = { 0 };
	struct mesh_cmd c, d;
	size_t len;

	(void)state;
	sample(&c, 2);
	assert_int_equal(mesh_cmd_encode(&c, buf, sizeof(buf), &len), 0);
	buf[0] = MESH_CMD_VERSION + 1;
	assert_int_equal(mesh_cmd_decode(buf, len, &d), MESH_E_VERSION);
	buf[0] = MESH_CMD_VERSION;
	buf[1] = 0;
	assert_int_equal(mesh_cmd_decode(buf, len, &d), MESH_E_MALFORMED);
	buf[1] = MESH_CMD_TYPE_MAX + 1;
	assert_int_equal(mesh_cmd_decode(buf, len, &d), MESH_E_MALFORMED);
	assert_int_equal(mesh_cmd_decode(buf, sizeof(buf), &d),
			 MESH_E_MALFORMED);
	/* a negative leader timestamp */
	buf[1] = MESH_CMD_TOKEN_REVOKE;
	buf[18] = 0x80;
	assert_int_equal(mesh_cmd_decode(buf, len, &d), MESH_E_MALFORMED);
}

/* Each mutation makes a field invalid: encode and decode both refuse. */
static void mutate(struct mesh_cmd *c, int i)
{
	switch (i) {
	case 0:
		t_join(c, 1, 1, 1);
		strcpy(c->join.node.name, "bad name");
		break;
	case 1:
		t_join(c, 1, 1, 1);
		c->join.node.name[0] = 0;
		break;
	case 2:
		t_join(c, 1, 1, 1);
		memset(c->join.node.name, 'a', MESH_NAME_MAX + 1);
		break;
	case 3:
		t_join(c, 1, 1, 1);
		c->join.node.endpoint.port = 0;
		break;
	case 4:
		t_join(c, 1, 1, 1);
		c->join.node.endpoint.family = AF_UNIX;
		break;
	case 5:
		t_join(c, 1, 1, 1);
		c->join.node.wg_port = 0;
		break;
	case 6:
		t_join(c, 1, 1, 1);
		c->join.node.voter = 3;
		break;
	case 7:
		t_bootstrap(c, 1, MESH_PREFIX_MAX + 1);
		break;
	case 8:
		t_bootstrap(c, 1, MESH_PREFIX_MIN - 1);
		break;
	case 9:
		t_bootstrap(c, 1, 24);
		c->bootstrap.network |= 1;	/* host bits set */
		break;
	case 10:
		t_token(c, 1, 1, 0, 1000, MESH_ROLE_ADMIN);
		break;
	case 11:
		t_token(c, 1, 1, MESH_TOKEN_USES_MAX + 1, 1000,
			MESH_ROLE_ADMIN);
		break;
	case 12:
		t_token(c, 1, 1, 1, 1000, 0);
		break;
	case 13:
		t_head(c, MESH_CMD_FEATURE_BUMP, 1);
		break;
	case 14:
		t_head(c, MESH_CMD_TYPE_MAX + 1, 1);
		break;
	default:
		t_named(c, MESH_CMD_NODE_EVICT, 1, 1);
		c->evict.name[2] = '/';
		break;
	}
}

static void test_invalid_fields_refused(void **state)
{
	uint8_t buf[MESH_CMD_MAX];
	struct mesh_cmd c, d;
	size_t len;
	int i;

	(void)state;
	for (i = 0; i < 16; i++) {
		mutate(&c, i);
		assert_int_equal(mesh_cmd_encode(&c, buf, sizeof(buf), &len),
				 -EINVAL);
	}
	/* the decoder on its own: a name with a byte outside the set */
	t_join(&c, 1, 1, 1);
	assert_int_equal(mesh_cmd_encode(&c, buf, sizeof(buf), &len), 0);
	buf[1 + 1 + 24 + 16 + 1] = ' ';
	assert_int_equal(mesh_cmd_decode(buf, len, &d), MESH_E_MALFORMED);
}

static void test_encode_respects_capacity(void **state)
{
	uint8_t buf[MESH_CMD_MAX];
	struct mesh_cmd c;
	size_t len, cap;

	(void)state;
	t_bootstrap(&c, 1, 24);
	assert_int_equal(mesh_cmd_encode(&c, buf, sizeof(buf), &len), 0);
	for (cap = 0; cap < len; cap++)
		assert_int_equal(mesh_cmd_encode(&c, buf, cap, &len),
				 -EMSGSIZE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_every_type),
		cmocka_unit_test(test_every_truncation_and_trailer_refused),
		cmocka_unit_test(test_version_type_and_size_refused),
		cmocka_unit_test(test_invalid_fields_refused),
		cmocka_unit_test(test_encode_respects_capacity),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
