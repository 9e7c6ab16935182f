// SPDX-License-Identifier: GPL-2.0
/*
 * RPC between agents over TCP: a call gets its reply, now or later; the
 * server's accept check turns away addresses it does not know; a server
 * that never answers costs the caller its deadline and nothing more; a
 * reply to a caller that left is dropped without harm.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "loop.h"
#include "mgmt.h"
#include "rpc.h"
#include "rpc_client.h"
#include "util/tlv.h"

enum { OP_ECHO = 100, OP_LATER, OP_NEVER };

struct server {
	struct loop *loop;
	struct mgmt *m;
	struct sockaddr_in addr;
	struct mgmt_call *held;
	struct loop_timer later;
};

struct result {
	bool done;
	int err;
	uint32_t remote_errno;
	char name[32];
};

static bool accept_only_127_0_0_1(void *ctx, const struct sockaddr *addr,
				  socklen_t len)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)addr;

	(void)ctx;
	return len >= sizeof(*sin) &&
	       sin->sin_addr.s_addr == htonl(INADDR_LOOPBACK);
}

static void on_later(struct loop_timer *t)
{
	struct server *s = (struct server *)((char *)t -
					     offsetof(struct server, later));

	tlv_put_str(mgmt_call_writer(s->held), RPC_A_NAME, "later");
	mgmt_reply(s->held, 0, NULL);
	s->held = NULL;
}

static void handler(void *ctx, struct mgmt_call *call, uint32_t op,
		    const uint8_t *attrs, size_t len)
{
	struct server *s = ctx;
	struct tlv_reader r;
	struct tlv a;

	switch (op) {
	case OP_ECHO:
		tlv_reader_init(&r, attrs, len);
		while (tlv_next(&r, &a) == 1)
			if (a.type == RPC_A_NAME)
				tlv_put(mgmt_call_writer(call), RPC_A_NAME,
					a.val, a.len);
		mgmt_reply(call, 0, NULL);
		return;
	case OP_LATER:
		s->held = call;
		loop_timer_arm(&s->later, 50);
		return;
	case OP_NEVER:
		s->held = call;
		return;
	default:
		mgmt_reply(call, -EOPNOTSUPP, "no such op");
	}
}

static void on_done(void *arg, int err, const uint8_t *attrs, size_t len)
{
	struct result *res = arg;
	struct tlv_reader r;
	struct tlv a;

	res->done = true;
	res->err = err;
	if (err)
		return;
	tlv_reader_init(&r, attrs, len);
	while (tlv_next(&r, &a) == 1) {
		if (a.type == RPC_A_ERRNO)
			tlv_u32(&a, &res->remote_errno);
		if (a.type == RPC_A_NAME)
			tlv_str(&a, res->name, sizeof(res->name));
	}
}

static void server_start(struct server *s)
{
	struct sockaddr_storage ss;
	socklen_t len;

	assert_int_equal(loop_new(&s->loop), 0);
	memset(&s->addr, 0, sizeof(s->addr));
	s->addr.sin_family = AF_INET;
	s->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(mgmt_open_tcp(s->loop, (struct sockaddr *)&s->addr,
				       sizeof(s->addr), NULL,
				       accept_only_127_0_0_1, handler, s,
				       &s->m), 0);
	assert_int_equal(mgmt_local_addr(s->m, &ss, &len), 0);
	memcpy(&s->addr, &ss, sizeof(s->addr));
	loop_timer_init(&s->later, s->loop, on_later);
}

static void server_stop(struct server *s)
{
	mgmt_close(s->m);
	loop_free(s->loop);
}

static void call(struct server *s, const char *src, uint32_t op,
		 uint32_t timeout_ms, struct result *res)
{
	struct sockaddr_in from = { .sin_family = AF_INET };
	struct rpc_target t = {
		.addr = (struct sockaddr *)&s->addr,
		.addrlen = sizeof(s->addr),
	};
	struct rpc_pending *p;
	struct tlv_writer w;
	uint64_t end;

	if (src) {
		inet_pton(AF_INET, src, &from.sin_addr);
		t.src = (struct sockaddr *)&from;
		t.srclen = sizeof(from);
	}
	memset(res, 0, sizeof(*res));
	tlv_writer_init(&w, 256);
	tlv_put_str(&w, RPC_A_NAME, "node-7");
	assert_int_equal(rpc_call(s->loop, &t, 42, op, w.buf, w.len,
				  timeout_ms, on_done, res, &p), 0);
	tlv_writer_release(&w);
	assert_false(res->done);	/* never from inside rpc_call */
	end = loop_clock_ms() + 5000;
	while (!res->done && loop_clock_ms() < end)
		assert_int_equal(loop_run_once(s->loop, 10), 0);
	assert_true(res->done);
}

static void test_call_gets_its_reply(void **state)
{
	struct server s;
	struct result res;

	(void)state;
	server_start(&s);
	call(&s, "127.0.0.1", OP_ECHO, 2000, &res);
	assert_int_equal(res.err, 0);
	assert_int_equal(res.remote_errno, 0);
	assert_string_equal(res.name, "node-7");
	call(&s, NULL, 9999, 2000, &res);
	assert_int_equal(res.err, 0);
	assert_int_equal(res.remote_errno, EOPNOTSUPP);
	server_stop(&s);
}

static void test_deferred_reply(void **state)
{
	struct server s;
	struct result res;

	(void)state;
	server_start(&s);
	call(&s, NULL, OP_LATER, 2000, &res);
	assert_int_equal(res.err, 0);
	assert_string_equal(res.name, "later");
	server_stop(&s);
}

static void test_unknown_address_is_turned_away(void **state)
{
	struct server s;
	struct result res;

	(void)state;
	server_start(&s);
	call(&s, "127.0.0.2", OP_ECHO, 2000, &res);
	assert_true(res.err == -ECONNRESET || res.err == -EPIPE);
	server_stop(&s);
}

static void test_silent_server_costs_the_deadline(void **state)
{
	struct server s;
	struct result res;
	uint64_t start = loop_clock_ms();

	(void)state;
	server_start(&s);
	call(&s, NULL, OP_NEVER, 100, &res);
	assert_int_equal(res.err, -ETIMEDOUT);
	assert_true(loop_clock_ms() - start >= 100);
	/* Let the server see the caller go, then answer into the void. */
	loop_run_once(s.loop, 20);
	loop_run_once(s.loop, 20);
	mgmt_reply(s.held, 0, NULL);
	server_stop(&s);
}

static void test_refused_connection(void **state)
{
	struct server s;
	struct result res;

	(void)state;
	server_start(&s);
	mgmt_close(s.m);
	s.m = NULL;
	call(&s, NULL, OP_ECHO, 2000, &res);
	assert_int_equal(res.err, -ECONNREFUSED);
	loop_free(s.loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_call_gets_its_reply),
		cmocka_unit_test(test_deferred_reply),
		cmocka_unit_test(test_unknown_address_is_turned_away),
		cmocka_unit_test(test_silent_server_costs_the_deadline),
		cmocka_unit_test(test_refused_connection),
	};

	return cmocka_run_group_tests_name("rpc", tests, NULL, NULL);
}
