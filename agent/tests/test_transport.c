// SPDX-License-Identifier: GPL-2.0
/*
 * The TCP transport on loopback: frames arrive whole, in order and tagged
 * with their sender; a peer that is not up yet gets its frames once it
 * listens; queues to a dead or stalled peer stay bounded and never block
 * the loop; garbage closes only the connection it came on.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>
#include <cmocka.h>

#include "frame.h"
#include "loop.h"
#include "transport.h"

struct node {
	struct transport *t;
	uint64_t id;
	unsigned int frames;
	uint64_t last_from;
	uint32_t next_seq;	/* the payload of frame n is n */
	bool out_of_order;
	size_t last_len;
	bool big_ok;
	struct sockaddr_in addr;
};

static void on_frame(void *ctx, uint64_t from, uint8_t type,
		     const uint8_t *buf, size_t len)
{
	struct node *n = ctx;

	assert_int_equal(type, FRAME_RAFT);
	n->frames++;
	n->last_from = from;
	n->last_len = len;
	if (len == sizeof(uint32_t)) {
		uint32_t seq;

		memcpy(&seq, buf, sizeof(seq));
		if (seq != n->next_seq)
			n->out_of_order = true;
		n->next_seq = seq + 1;
	} else if (len > 4) {
		size_t i;

		n->big_ok = true;
		for (i = 0; i < len; i++)
			if (buf[i] != (uint8_t)(i * 7))
				n->big_ok = false;
	}
}

static const struct transport_ops ops = { .on_frame = on_frame };

static void node_start(struct loop *loop, struct node *n, uint64_t id,
		       bool listen)
{
	struct transport_config cfg;
	struct sockaddr_storage ss;
	socklen_t len;

	transport_config_defaults(&cfg);
	cfg.self_id = id;
	cfg.cluster_id = 7;
	cfg.max_queue_frames = 100;
	cfg.backoff_min_ms = 10;
	cfg.backoff_max_ms = 40;
	n->id = id;
	assert_int_equal(transport_new(loop, &cfg, &ops, n, &n->t), 0);
	if (!listen)
		return;
	memset(&n->addr, 0, sizeof(n->addr));
	n->addr.sin_family = AF_INET;
	n->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(transport_listen(n->t, (struct sockaddr *)&n->addr,
					  sizeof(n->addr)), 0);
	assert_int_equal(transport_local_addr(n->t, &ss, &len), 0);
	memcpy(&n->addr, &ss, sizeof(n->addr));
}

static void run_until(struct loop *loop, const unsigned int *count,
		      unsigned int want)
{
	uint64_t end = loop_clock_ms() + 5000;

	while (*count < want && loop_clock_ms() < end)
		assert_int_equal(loop_run_once(loop, 10), 0);
}

static void test_frames_arrive_in_order_from_sender(void **state)
{
	struct node a = { 0 }, b = { 0 };
	struct loop *loop;
	uint32_t i;

	(void)state;
	assert_int_equal(loop_new(&loop), 0);
	node_start(loop, &a, 1, true);
	node_start(loop, &b, 2, true);
	assert_int_equal(transport_peer_set(a.t, 2, (struct sockaddr *)&b.addr,
					    sizeof(b.addr)), 0);
	for (i = 0; i < 90; i++)
		assert_int_equal(transport_send(a.t, 2, FRAME_RAFT, &i,
						sizeof(i)), 0);
	run_until(loop, &b.frames, 90);
	assert_int_equal(b.frames, 90);
	assert_false(b.out_of_order);
	assert_true(b.last_from == 1);
	assert_int_equal(a.frames, 0);
	assert_int_equal(transport_send(a.t, 3, FRAME_RAFT, &i, sizeof(i)),
			 -ENOENT);
	transport_free(a.t);
	transport_free(b.t);
	loop_free(loop);
}

static void test_large_frame_arrives_whole(void **state)
{
	struct node a = { 0 }, b = { 0 };
	size_t len = 1u << 20, i;
	struct loop *loop;
	uint8_t *big;

	(void)state;
	big = malloc(len);
	assert_non_null(big);
	for (i = 0; i < len; i++)
		big[i] = (uint8_t)(i * 7);
	assert_int_equal(loop_new(&loop), 0);
	node_start(loop, &a, 1, true);
	node_start(loop, &b, 2, true);
	assert_int_equal(transport_peer_set(a.t, 2, (struct sockaddr *)&b.addr,
					    sizeof(b.addr)), 0);
	assert_int_equal(transport_send(a.t, 2, FRAME_RAFT, big, len), 0);
	run_until(loop, &b.frames, 1);
	assert_int_equal(b.last_len, len);
	assert_true(b.big_ok);
	assert_int_equal(transport_send(a.t, 2, FRAME_RAFT, big,
					FRAME_MAX_PAYLOAD + 1), -EMSGSIZE);
	transport_free(a.t);
	transport_free(b.t);
	loop_free(loop);
	free(big);
}

static void test_frames_wait_for_a_peer_that_comes_up_later(void **state)
{
	struct node a = { 0 }, b = { 0 };
	struct loop *loop;
	uint32_t i;

	(void)state;
	assert_int_equal(loop_new(&loop), 0);
	/* Reserve a port nobody listens on yet. */
	node_start(loop, &b, 2, true);
	transport_free(b.t);
	node_start(loop, &a, 1, true);
	assert_int_equal(transport_peer_set(a.t, 2, (struct sockaddr *)&b.addr,
					    sizeof(b.addr)), 0);
	for (i = 0; i < 10; i++)
		assert_int_equal(transport_send(a.t, 2, FRAME_RAFT, &i,
						sizeof(i)), 0);
	/* A few refused dials and backoffs. */
	for (i = 0; i < 10; i++)
		assert_int_equal(loop_run_once(loop, 10), 0);
	{
		struct transport_config cfg;

		transport_config_defaults(&cfg);
		cfg.self_id = 2;
		assert_int_equal(transport_new(loop, &cfg, &ops, &b, &b.t), 0);
		assert_int_equal(transport_listen(b.t,
						  (struct sockaddr *)&b.addr,
						  sizeof(b.addr)), 0);
	}
	run_until(loop, &b.frames, 10);
	assert_int_equal(b.frames, 10);
	assert_false(b.out_of_order);
	transport_free(a.t);
	transport_free(b.t);
	loop_free(loop);
}

static void test_redial_after_the_peer_restarts(void **state)
{
	struct node a = { 0 }, b = { 0 };
	struct transport_config cfg;
	struct transport_peer_stats st;
	struct loop *loop;
	uint32_t i;

	(void)state;
	assert_int_equal(loop_new(&loop), 0);
	node_start(loop, &a, 1, true);
	node_start(loop, &b, 2, true);
	assert_int_equal(transport_peer_set(a.t, 2, (struct sockaddr *)&b.addr,
					    sizeof(b.addr)), 0);
	i = 0;
	assert_int_equal(transport_send(a.t, 2, FRAME_RAFT, &i, sizeof(i)), 0);
	run_until(loop, &b.frames, 1);
	assert_int_equal(b.frames, 1);
	/* b dies (kill -9 closes its sockets) and comes back on its port. */
	transport_free(b.t);
	transport_config_defaults(&cfg);
	cfg.self_id = 2;
	assert_int_equal(transport_new(loop, &cfg, &ops, &b, &b.t), 0);
	assert_int_equal(transport_listen(b.t, (struct sockaddr *)&b.addr,
					  sizeof(b.addr)), 0);
	/* Sends go on; the first may be lost on the dead connection. */
	for (i = 1; i <= 20; i++) {
		assert_int_equal(transport_send(a.t, 2, FRAME_RAFT, &i,
						sizeof(i)), 0);
		assert_int_equal(loop_run_once(loop, 20), 0);
	}
	run_until(loop, &b.frames, 15);
	assert_true(b.frames >= 15);
	assert_int_equal(transport_peer_stats(a.t, 2, &st), 0);
	assert_true(st.connected);
	assert_true(st.connects >= 2);
	transport_free(a.t);
	transport_free(b.t);
	loop_free(loop);
}

static void test_queue_to_stalled_peer_is_bounded(void **state)
{
	struct transport_peer_stats st;
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);
	struct node a = { 0 };
	int lfd, cfd, rcvbuf = 4096;
	unsigned int i, dropped = 0;
	struct loop *loop;
	uint8_t chunk[16384] = { 0 };
	uint64_t start;

	(void)state;
	/* A "peer" that accepts but never reads: a stopped process. */
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(lfd >= 0);
	assert_int_equal(setsockopt(lfd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
				    sizeof(rcvbuf)), 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sin, &slen), 0);

	assert_int_equal(loop_new(&loop), 0);
	node_start(loop, &a, 1, false);
	assert_int_equal(transport_peer_set(a.t, 2, (struct sockaddr *)&sin,
					    sizeof(sin)), 0);
	start = loop_clock_ms();
	for (i = 0; i < 1000; i++) {
		int ret = transport_send(a.t, 2, FRAME_RAFT, chunk,
					 sizeof(chunk));

		assert_true(ret == 0 || ret == -ENOBUFS);
		dropped += ret == -ENOBUFS;
		assert_int_equal(loop_run_once(loop, 0), 0);
	}
	/* Nothing blocked: 1000 sends of 16 KiB took well under a second. */
	assert_true(loop_clock_ms() - start < 5000);
	assert_int_equal(transport_peer_stats(a.t, 2, &st), 0);
	assert_true(st.queued_frames <= 100);
	assert_true(dropped > 0);
	assert_int_equal(st.dropped_frames, dropped);
	cfd = accept(lfd, NULL, NULL);
	if (cfd >= 0)
		close(cfd);
	close(lfd);
	transport_free(a.t);
	loop_free(loop);
}

static void test_garbage_closes_only_its_connection(void **state)
{
	struct node a = { 0 }, b = { 0 };
	struct loop *loop;
	struct timeval tv = { .tv_sec = 5 };
	uint8_t junk[64];
	uint32_t i;
	char c;
	int fd;

	(void)state;
	assert_int_equal(loop_new(&loop), 0);
	node_start(loop, &a, 1, true);
	node_start(loop, &b, 2, true);

	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
				    sizeof(tv)), 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&b.addr,
				 sizeof(b.addr)), 0);
	memset(junk, 0xAB, sizeof(junk));
	assert_int_equal(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
	assert_int_equal(transport_peer_set(a.t, 2, (struct sockaddr *)&b.addr,
					    sizeof(b.addr)), 0);
	for (i = 0; i < 5; i++)
		assert_int_equal(transport_send(a.t, 2, FRAME_RAFT, &i,
						sizeof(i)), 0);
	run_until(loop, &b.frames, 5);
	assert_int_equal(b.frames, 5);
	/* The garbage connection was closed by b. */
	assert_int_equal(read(fd, &c, 1), 0);
	close(fd);
	transport_free(a.t);
	transport_free(b.t);
	loop_free(loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frames_arrive_in_order_from_sender),
		cmocka_unit_test(test_large_frame_arrives_whole),
		cmocka_unit_test(test_frames_wait_for_a_peer_that_comes_up_later),
		cmocka_unit_test(test_redial_after_the_peer_restarts),
		cmocka_unit_test(test_queue_to_stalled_peer_is_bounded),
		cmocka_unit_test(test_garbage_closes_only_its_connection),
	};

	return cmocka_run_group_tests_name("transport", tests, NULL, NULL);
}
