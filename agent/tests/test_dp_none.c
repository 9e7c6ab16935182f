// SPDX-License-Identifier: GPL-2.0
/*
 * The none dataplane holds exactly the peer set a device would: removals
 * before additions, replace by difference, an unchanged endpoint kept,
 * and an item that cannot go in reported without stopping the rest.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dataplane.h"

static struct dp_peer peer(uint8_t k, const char *ip)
{
	struct dp_peer p;

	memset(&p, 0, sizeof(p));
	memset(p.key, k, DP_KEY_LEN);
	inet_pton(AF_INET, ip, &p.ip);
	return p;
}

static struct dp_peer_state *find(struct dp_peer_state *s, size_t n,
				  uint8_t k)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i].peer.key[0] == k)
			return &s[i];
	return NULL;
}

static void test_apply_remove_first_then_add(void **state)
{
	struct dataplane dp;
	struct dp_change c[3];
	struct dp_peer_state *s;
	size_t n;

	(void)state;
	assert_int_equal(dp_none_open(&dp), 0);
	c[0] = (struct dp_change){ DP_UPSERT, peer(1, "127.77.0.2") };
	c[1] = (struct dp_change){ DP_UPSERT, peer(2, "127.77.0.3") };
	assert_int_equal(dp.ops->apply(&dp, c, 2, 10), 0);
	/* The freed address is reused in the same batch. */
	c[0] = (struct dp_change){ DP_UPSERT, peer(3, "127.77.0.2") };
	c[1] = (struct dp_change){ DP_REMOVE, peer(1, "0.0.0.0") };
	assert_int_equal(dp.ops->apply(&dp, c, 2, 11), 0);
	assert_int_equal(dp.applied_index, 11);
	assert_int_equal(dp.ops->list(&dp, &s, &n), 0);
	assert_int_equal(n, 2);
	assert_null(find(s, n, 1));
	assert_non_null(find(s, n, 2));
	assert_non_null(find(s, n, 3));
	free(s);
	dp.ops->close(&dp, false);
}

static void test_unchanged_endpoint_keeps_roamed_one(void **state)
{
	struct sockaddr_in *sin;
	struct dataplane dp;
	struct dp_change c;
	struct dp_peer_state *s;
	size_t n;

	(void)state;
	assert_int_equal(dp_none_open(&dp), 0);
	c = (struct dp_change){ DP_UPSERT, peer(1, "127.77.0.2") };
	sin = (struct sockaddr_in *)&c.peer.endpoint;
	sin->sin_family = AF_INET;
	sin->sin_port = htons(51820);
	assert_int_equal(dp.ops->apply(&dp, &c, 1, 1), 0);
	/* Re-applied with no endpoint: the one it had stays. */
	c = (struct dp_change){ DP_UPSERT, peer(1, "127.77.0.2") };
	c.peer.keepalive_s = 25;
	assert_int_equal(dp.ops->apply(&dp, &c, 1, 2), 0);
	assert_int_equal(dp.ops->list(&dp, &s, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(s[0].peer.endpoint.ss_family, AF_INET);
	assert_int_equal(s[0].peer.keepalive_s, 25);
	free(s);
	dp.ops->close(&dp, false);
}

static void test_conflict_reported_rest_applied(void **state)
{
	struct dataplane dp;
	struct dp_change c[3];
	struct dp_peer_state *s;
	size_t n;

	(void)state;
	assert_int_equal(dp_none_open(&dp), 0);
	c[0] = (struct dp_change){ DP_UPSERT, peer(1, "127.77.0.2") };
	c[1] = (struct dp_change){ DP_UPSERT, peer(2, "127.77.0.2") };
	c[2] = (struct dp_change){ DP_UPSERT, peer(3, "127.77.0.4") };
	assert_int_equal(dp.ops->apply(&dp, c, 3, 5), -EEXIST);
	assert_int_equal(dp.applied_index, 5);
	assert_int_equal(dp.ops->list(&dp, &s, &n), 0);
	assert_int_equal(n, 2);
	assert_non_null(find(s, n, 3));
	free(s);
	dp.ops->close(&dp, false);
}

static void test_replace_makes_the_set_exact(void **state)
{
	struct dp_peer want[2] = { peer(2, "127.77.0.3"),
				   peer(4, "127.77.0.5") };
	struct dataplane dp;
	struct dp_change c[3];
	struct dp_peer_state *s;
	size_t n;

	(void)state;
	assert_int_equal(dp_none_open(&dp), 0);
	c[0] = (struct dp_change){ DP_UPSERT, peer(1, "127.77.0.2") };
	c[1] = (struct dp_change){ DP_UPSERT, peer(2, "127.77.0.3") };
	c[2] = (struct dp_change){ DP_UPSERT, peer(3, "127.77.0.4") };
	assert_int_equal(dp.ops->apply(&dp, c, 3, 1), 0);
	assert_int_equal(dp.ops->replace(&dp, want, 2, 9), 0);
	assert_int_equal(dp.ops->list(&dp, &s, &n), 0);
	assert_int_equal(n, 2);
	assert_non_null(find(s, n, 2));
	assert_non_null(find(s, n, 4));
	assert_int_equal(dp.applied_index, 9);
	free(s);
	dp.ops->close(&dp, false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_apply_remove_first_then_add),
		cmocka_unit_test(test_unchanged_endpoint_keeps_roamed_one),
		cmocka_unit_test(test_conflict_reported_rest_applied),
		cmocka_unit_test(test_replace_makes_the_set_exact),
	};

	return cmocka_run_group_tests_name("dp_none", tests, NULL, NULL);
}
