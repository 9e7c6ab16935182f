// SPDX-License-Identifier: GPL-2.0
/*
 * The event loop: timers fire in deadline order and only once, cancelled
 * timers never fire, fds are dispatched, a watch deleted by an earlier
 * callback of the same batch is not called, signals arrive as events.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <cmocka.h>

#include "loop.h"

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

struct fired {
	struct loop_timer timer;
	int id;
	int *order;
	int *n;
};

static void on_fire(struct loop_timer *t)
{
	struct fired *f = container_of(t, struct fired, timer);

	f->order[(*f->n)++] = f->id;
}

/* Run until *n reaches want (2 s at most), then settle ms longer. */
static void run_until(struct loop *loop, const int *n, int want, uint64_t ms)
{
	uint64_t end = loop_clock_ms() + 2000;

	while (*n < want && loop_clock_ms() < end)
		assert_int_equal(loop_run_once(loop, 5), 0);
	end = loop_clock_ms() + ms;
	while (loop_clock_ms() < end)
		assert_int_equal(loop_run_once(loop, 5), 0);
}

static void test_timers_fire_in_deadline_order_once(void **state)
{
	static const uint64_t delays[] = { 30, 10, 20, 0, 25 };
	struct fired f[5];
	struct loop *loop;
	int order[10], n = 0, i;

	(void)state;
	assert_int_equal(loop_new(&loop), 0);
	for (i = 0; i < 5; i++) {
		f[i] = (struct fired){ .id = i, .order = order, .n = &n };
		loop_timer_init(&f[i].timer, loop, on_fire);
		assert_int_equal(loop_timer_arm(&f[i].timer, delays[i]), 0);
	}
	loop_timer_cancel(&f[4].timer);
	assert_false(loop_timer_armed(&f[4].timer));
	/* Re-arming moves a timer rather than adding a second one. */
	assert_int_equal(loop_timer_arm(&f[2].timer, 40), 0);
	run_until(loop, &n, 4, 30);
	assert_int_equal(n, 4);
	assert_int_equal(order[0], 3);
	assert_int_equal(order[1], 1);
	assert_int_equal(order[2], 0);
	assert_int_equal(order[3], 2);
	loop_free(loop);
}

static void test_many_timers_stay_ordered(void **state)
{
	enum { N = 500 };
	struct fired *f = calloc(N, sizeof(*f));
	int *order = calloc(N, sizeof(int));
	struct loop *loop;
	int n = 0, i;

	(void)state;
	assert_non_null(f);
	assert_int_equal(loop_new(&loop), 0);
	for (i = 0; i < N; i++) {
		f[i] = (struct fired){ .id = i, .order = order, .n = &n };
		loop_timer_init(&f[i].timer, loop, on_fire);
		/* Deadlines 0..49 ms in a scrambled order. */
		assert_int_equal(loop_timer_arm(&f[i].timer,
						(uint64_t)(i * 37 % 50)), 0);
	}
	for (i = 0; i < N; i += 3)
		loop_timer_cancel(&f[i].timer);
	run_until(loop, &n, N - (N + 2) / 3, 30);
	assert_int_equal(n, N - (N + 2) / 3);
	for (i = 1; i < n; i++)
		assert_true(f[order[i - 1]].timer.deadline_ms <=
			    f[order[i]].timer.deadline_ms);
	for (i = 0; i < n; i++)
		assert_true(order[i] % 3 != 0);
	loop_free(loop);
	free(order);
	free(f);
}

struct pipe_end {
	struct loop_watch watch;
	struct pipe_end *victim;
	int reads;
};

static void on_readable(struct loop_watch *w, uint32_t events)
{
	struct pipe_end *p = container_of(w, struct pipe_end, watch);
	char buf[16];

	assert_true(events & EPOLLIN);
	while (read(w->fd, buf, sizeof(buf)) > 0)
		;
	p->reads++;
	if (p->victim)
		loop_watch_del(&p->victim->watch);
}

static void test_watch_deleted_in_same_batch_is_not_called(void **state)
{
	struct pipe_end a = { 0 }, b = { 0 };
	int pa[2], pb[2];
	struct loop *loop;

	(void)state;
	assert_int_equal(loop_new(&loop), 0);
	assert_int_equal(pipe2(pa, O_NONBLOCK), 0);
	assert_int_equal(pipe2(pb, O_NONBLOCK), 0);
	loop_watch_init(&a.watch, loop, pa[0], on_readable);
	loop_watch_init(&b.watch, loop, pb[0], on_readable);
	assert_int_equal(loop_watch_set(&a.watch, EPOLLIN), 0);
	assert_int_equal(loop_watch_set(&b.watch, EPOLLIN), 0);
	/* Whichever runs first deletes the other. */
	a.victim = &b;
	b.victim = &a;
	assert_int_equal(write(pa[1], "x", 1), 1);
	assert_int_equal(write(pb[1], "y", 1), 1);
	assert_int_equal(loop_run_once(loop, 100), 0);
	assert_int_equal(a.reads + b.reads, 1);
	loop_free(loop);
	close(pa[0]);
	close(pa[1]);
	close(pb[0]);
	close(pb[1]);
}

static void on_signal(struct loop *loop, int signo, void *arg)
{
	*(int *)arg = signo;
	loop_stop(loop);
}

static void test_signal_arrives_through_the_loop(void **state)
{
	static const int sigs[] = { SIGUSR1 };
	struct loop *loop;
	int got = 0;

	(void)state;
	assert_int_equal(loop_new(&loop), 0);
	assert_int_equal(loop_signals(loop, sigs, 1, on_signal, &got), 0);
	assert_int_equal(raise(SIGUSR1), 0);
	assert_int_equal(loop_run(loop), 0);
	assert_int_equal(got, SIGUSR1);
	loop_free(loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timers_fire_in_deadline_order_once),
		cmocka_unit_test(test_many_timers_stay_ordered),
		cmocka_unit_test(test_watch_deleted_in_same_batch_is_not_called),
		cmocka_unit_test(test_signal_arrives_through_the_loop),
	};

	return cmocka_run_group_tests_name("loop", tests, NULL, NULL);
}
