// SPDX-License-Identifier: GPL-2.0
/*
 * Planning a dataplane batch against the record: what WireGuard would
 * silently accept is refused before any step; removals come first, routes
 * go in before their peers and out after them; a freed address is reused
 * in the same batch; an unchanged peer or endpoint is left alone; replace
 * is the difference; committing gives the record the batch describes.
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

#include "dp_plan.h"

static struct dp_peer peer(uint8_t k, const char *ip)
{
	struct dp_peer p;

	memset(&p, 0, sizeof(p));
	memset(p.key, k, DP_KEY_LEN);
	inet_pton(AF_INET, ip, &p.ip);
	return p;
}

static struct in_addr ip4(const char *s)
{
	struct in_addr a;

	inet_pton(AF_INET, s, &a);
	return a;
}

static void endpoint(struct dp_peer *p, const char *ip, uint16_t port)
{
	struct sockaddr_in *s = (struct sockaddr_in *)&p->endpoint;

	s->sin_family = AF_INET;
	s->sin_port = htons(port);
	inet_pton(AF_INET, ip, &s->sin_addr);
}

/* A record of peers 1..n at 10.0.0.(k+1), each with its route. */
static void record(struct dp_record *r, size_t n)
{
	size_t i;

	memset(r, 0, sizeof(*r));
	memset(r->own_key, 0xee, DP_KEY_LEN);
	r->peers = calloc(n + 1, sizeof(*r->peers));
	r->routes = calloc(n + 1, sizeof(*r->routes));
	assert_non_null(r->peers);
	assert_non_null(r->routes);
	r->cap = n + 1;
	r->routes_cap = n + 1;
	for (i = 0; i < n; i++) {
		r->peers[i] = peer((uint8_t)(i + 1), "0.0.0.0");
		r->peers[i].ip.s_addr = htonl(0x0a000001 + (uint32_t)i + 1);
		r->routes[i] = r->peers[i].ip;
	}
	r->n = n;
	r->n_routes = n;
}

static struct dp_change up(struct dp_peer p)
{
	return (struct dp_change){ DP_UPSERT, p };
}

static struct dp_change rm(uint8_t k)
{
	return (struct dp_change){ DP_REMOVE, peer(k, "0.0.0.0") };
}

static void assert_refused(struct dp_record *r, const struct dp_change *c,
			   size_t n, int err, const char *text)
{
	struct dp_plan p = { 0 };
	char why[256];
	size_t bad;

	assert_int_equal(dp_plan_batch(r, c, n, &p, why, sizeof(why), &bad),
			 err);
	assert_non_null(strstr(why, text));
	assert_int_equal(bad, 1);	/* the second change is the bad one */
	assert_int_equal(p.n, 0);
	dp_plan_free(&p);
}

static void test_refusals(void **state)
{
	struct dp_change c[2];
	struct dp_record r;

	(void)state;
	record(&r, 2);	/* 1 at 10.0.0.2, 2 at 10.0.0.3 */
	c[0] = up(peer(9, "10.0.0.9"));
	c[1] = up(peer(0xee, "10.0.0.10"));
	assert_refused(&r, c, 2, -EINVAL, "own key");
	c[1] = up(peer(8, "10.0.0.3"));
	assert_refused(&r, c, 2, -EEXIST, "belongs to peer");
	c[1] = rm(7);
	assert_refused(&r, c, 2, -ENOENT, "removal of unknown peer");
	c[1] = up(peer(9, "10.0.0.11"));
	assert_refused(&r, c, 2, -EINVAL, "appears twice");
	c[1] = up(peer(8, "10.0.0.9"));
	assert_refused(&r, c, 2, -EEXIST, "given to two peers");
	c[1] = up(peer(8, "0.0.0.0"));
	assert_refused(&r, c, 2, -EINVAL, "no address");
	dp_record_free(&r);
}

static void test_phase_order(void **state)
{
	static const enum dp_phase want[] = {
		DP_PEER_REMOVE, DP_ROUTE_ADD, DP_ROUTE_ADD, DP_PEER_SET,
		DP_PEER_SET, DP_ROUTE_DEL, DP_ROUTE_DEL,
	};
	struct dp_plan p = { 0 };
	struct dp_change c[3];
	struct dp_record r;
	char why[256];
	size_t i, bad;

	(void)state;
	record(&r, 2);
	c[0] = up(peer(3, "10.0.0.4"));
	c[1] = up(peer(2, "10.0.0.5"));	/* moves from 10.0.0.3 */
	c[2] = rm(1);
	assert_int_equal(dp_plan_batch(&r, c, 3, &p, why, sizeof(why), &bad), 0);
	assert_int_equal(p.n, 7);
	for (i = 0; i < p.n; i++)
		assert_int_equal(p.steps[i].phase, want[i]);
	assert_int_equal(p.steps[0].old.key[0], 1);
	assert_int_equal(p.steps[1].ip.s_addr, ip4("10.0.0.4").s_addr);
	assert_int_equal(p.steps[2].ip.s_addr, ip4("10.0.0.5").s_addr);
	assert_false(p.steps[3].has_old);
	assert_true(p.steps[4].has_old);
	assert_int_equal(p.steps[4].old.ip.s_addr, ip4("10.0.0.3").s_addr);
	assert_int_equal(p.steps[5].ip.s_addr, ip4("10.0.0.2").s_addr);
	assert_int_equal(p.steps[6].ip.s_addr, ip4("10.0.0.3").s_addr);

	assert_int_equal(dp_record_reserve(&r, &p), 0);
	dp_record_commit(&r, &p);
	assert_int_equal(r.n, 2);
	assert_int_equal(dp_record_find(&r, peer(1, "0.0.0.0").key), -1);
	assert_int_equal(r.peers[dp_record_find(&r, peer(2, "0.0.0.0").key)]
			 .ip.s_addr, ip4("10.0.0.5").s_addr);
	assert_int_equal(r.n_routes, 2);
	dp_plan_free(&p);
	dp_record_free(&r);
}

static void test_freed_address_reused_without_route_steps(void **state)
{
	struct dp_plan p = { 0 };
	struct dp_change c[2];
	struct dp_record r;
	char why[256];
	size_t bad;

	(void)state;
	record(&r, 1);
	c[0] = up(peer(5, "10.0.0.2"));
	c[1] = rm(1);
	assert_int_equal(dp_plan_batch(&r, c, 2, &p, why, sizeof(why), &bad), 0);
	assert_int_equal(p.n, 2);
	assert_int_equal(p.steps[0].phase, DP_PEER_REMOVE);
	assert_int_equal(p.steps[1].phase, DP_PEER_SET);
	dp_plan_free(&p);
	dp_record_free(&r);
}

static void test_unchanged_is_left_alone(void **state)
{
	struct dp_plan p = { 0 };
	struct dp_peer q;
	struct dp_record r;
	struct dp_change c;
	char why[256];
	size_t bad;

	(void)state;
	record(&r, 1);
	endpoint(&r.peers[0], "192.0.2.1", 51820);
	q = r.peers[0];
	c = up(q);
	assert_int_equal(dp_plan_batch(&r, &c, 1, &p, why, sizeof(why), &bad), 0);
	assert_int_equal(p.n, 0);

	/* No endpoint given: the one the device has stays. */
	memset(&c.peer.endpoint, 0, sizeof(c.peer.endpoint));
	assert_int_equal(dp_plan_batch(&r, &c, 1, &p, why, sizeof(why), &bad), 0);
	assert_int_equal(p.n, 0);

	/* Keepalive changed: a step that does not send the endpoint. */
	c.peer = q;
	c.peer.keepalive_s = 25;
	assert_int_equal(dp_plan_batch(&r, &c, 1, &p, why, sizeof(why), &bad), 0);
	assert_int_equal(p.n, 1);
	assert_false(p.steps[0].new_endpoint);
	dp_plan_free(&p);

	/* Endpoint changed: sent. */
	c.peer = q;
	endpoint(&c.peer, "192.0.2.1", 51821);
	assert_int_equal(dp_plan_batch(&r, &c, 1, &p, why, sizeof(why), &bad), 0);
	assert_int_equal(p.n, 1);
	assert_true(p.steps[0].new_endpoint);
	dp_plan_free(&p);
	dp_record_free(&r);
}

static void test_missing_route_is_put_back(void **state)
{
	struct dp_plan p = { 0 };
	struct dp_record r;
	struct dp_change c;
	char why[256];
	size_t bad;

	(void)state;
	record(&r, 2);
	r.n_routes = 1;	/* 10.0.0.3's route went away */
	c = up(r.peers[1]);
	assert_int_equal(dp_plan_batch(&r, &c, 1, &p, why, sizeof(why), &bad), 0);
	assert_int_equal(p.n, 1);
	assert_int_equal(p.steps[0].phase, DP_ROUTE_ADD);
	assert_int_equal(p.steps[0].ip.s_addr, ip4("10.0.0.3").s_addr);
	dp_plan_free(&p);
	dp_record_free(&r);
}

static void test_replace_is_the_difference(void **state)
{
	struct dp_plan p = { 0 };
	struct dp_peer set[2];
	struct dp_record r;
	char why[256];

	(void)state;
	record(&r, 2);
	set[0] = r.peers[1];		/* kept as it is */
	set[1] = peer(7, "10.0.0.8");	/* added; peer 1 goes */
	assert_int_equal(dp_plan_replace(&r, set, 2, &p, why, sizeof(why)), 0);
	assert_int_equal(p.n, 4);
	assert_int_equal(p.steps[0].phase, DP_PEER_REMOVE);
	assert_int_equal(p.steps[0].old.key[0], 1);
	assert_int_equal(p.steps[1].phase, DP_ROUTE_ADD);
	assert_int_equal(p.steps[2].phase, DP_PEER_SET);
	assert_int_equal(p.steps[2].new.key[0], 7);
	assert_int_equal(p.steps[3].phase, DP_ROUTE_DEL);
	assert_int_equal(p.steps[3].ip.s_addr, ip4("10.0.0.2").s_addr);
	dp_plan_free(&p);

	assert_int_equal(dp_plan_replace(&r, NULL, 0, &p, why, sizeof(why)), 0);
	assert_int_equal(p.n, 4);	/* 2 peers out, then 2 routes */
	dp_plan_free(&p);
	dp_record_free(&r);
}

/* One peer on a device of a thousand is two steps, as on an empty one. */
static void test_one_peer_on_a_full_record(void **state)
{
	struct dp_plan p = { 0 };
	struct dp_record r;
	struct dp_change c;
	char why[256];
	size_t bad;

	(void)state;
	record(&r, 1000);
	c = up(peer(0xf0, "10.0.9.1"));
	c.peer.key[1] = 0x42;
	assert_int_equal(dp_plan_batch(&r, &c, 1, &p, why, sizeof(why), &bad), 0);
	assert_int_equal(p.n, 2);
	assert_int_equal(p.steps[0].phase, DP_ROUTE_ADD);
	assert_int_equal(p.steps[1].phase, DP_PEER_SET);
	dp_plan_free(&p);
	dp_record_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_phase_order),
		cmocka_unit_test(test_freed_address_reused_without_route_steps),
		cmocka_unit_test(test_unchanged_is_left_alone),
		cmocka_unit_test(test_missing_route_is_put_back),
		cmocka_unit_test(test_replace_is_the_difference),
		cmocka_unit_test(test_one_peer_on_a_full_record),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
