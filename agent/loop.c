// SPDX-License-Identifier: GPL-2.0
/*
 * The event loop. Timers live in a binary min-heap keyed by deadline; the
 * timerfd is armed for the earliest one, so an idle agent sleeps.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "loop.h"

#define MAX_EVENTS 64

struct loop {
	int epfd;
	int timerfd;
	int sigfd;
	uint64_t now_ms;
	bool stop;
	struct loop_timer **heap;	/* 1-based */
	unsigned int n_timers;
	unsigned int heap_cap;
	loop_signal_fn sig_fn;
	void *sig_arg;
	/* Marks the timerfd and signalfd in epoll data. */
	struct loop_watch timer_watch;
	struct loop_watch sig_watch;
	/* The batch being dispatched: a deleted watch is removed from it. */
	struct epoll_event events[MAX_EVENTS];
	int n_events;
};

uint64_t loop_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t loop_now_ms(struct loop *loop)
{
	return loop->now_ms;
}

static void on_timerfd(struct loop_watch *w, uint32_t events);
static void on_signalfd(struct loop_watch *w, uint32_t events);

int loop_new(struct loop **ret_loop)
{
	struct loop *loop;
	int ret;

	loop = calloc(1, sizeof(*loop));
	if (!loop)
		return -ENOMEM;
	loop->sigfd = -1;
	loop->timerfd = -1;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		ret = -errno;
		goto err_free;
	}
	loop->timerfd = timerfd_create(CLOCK_MONOTONIC,
				       TFD_NONBLOCK | TFD_CLOEXEC);
	if (loop->timerfd < 0) {
		ret = -errno;
		goto err_free;
	}
	loop_watch_init(&loop->timer_watch, loop, loop->timerfd, on_timerfd);
	ret = loop_watch_set(&loop->timer_watch, EPOLLIN);
	if (ret < 0)
		goto err_free;
	loop->now_ms = loop_clock_ms();
	*ret_loop = loop;
	return 0;

err_free:
	loop_free(loop);
	return ret;
}

void loop_free(struct loop *loop)
{
	if (!loop)
		return;
	if (loop->sigfd >= 0)
		close(loop->sigfd);
	if (loop->timerfd >= 0)
		close(loop->timerfd);
	if (loop->epfd >= 0)
		close(loop->epfd);
	free(loop->heap);
	free(loop);
}

void loop_watch_init(struct loop_watch *w, struct loop *loop, int fd,
		     loop_fd_fn fn)
{
	w->loop = loop;
	w->fd = fd;
	w->fn = fn;
	w->events = 0;
	w->added = false;
}

int loop_watch_set(struct loop_watch *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };
	int op;

	if (w->added && w->events == events)
		return 0;
	op = w->added ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
	if (epoll_ctl(w->loop->epfd, op, w->fd, &ev) < 0)
		return -errno;
	w->added = true;
	w->events = events;
	return 0;
}

void loop_watch_del(struct loop_watch *w)
{
	struct loop *loop = w->loop;
	int i;

	if (!w->added)
		return;
	/* Its owner may free it right after: forget any pending event. */
	for (i = 0; i < loop->n_events; i++) {
		if (loop->events[i].data.ptr == w)
			loop->events[i].data.ptr = NULL;
	}
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	w->added = false;
	w->events = 0;
}

/* Heap of timers, ordered by deadline. */

static bool before(const struct loop_timer *a, const struct loop_timer *b)
{
	return a->deadline_ms < b->deadline_ms;
}

static void heap_set(struct loop *loop, unsigned int i, struct loop_timer *t)
{
	loop->heap[i] = t;
	t->heap_index = i;
}

static void sift_up(struct loop *loop, unsigned int i)
{
	struct loop_timer *t = loop->heap[i];

	while (i > 1 && before(t, loop->heap[i / 2])) {
		heap_set(loop, i, loop->heap[i / 2]);
		i /= 2;
	}
	heap_set(loop, i, t);
}

static void sift_down(struct loop *loop, unsigned int i)
{
	struct loop_timer *t = loop->heap[i];
	unsigned int n = loop->n_timers;

	for (;;) {
		unsigned int c = 2 * i;

		if (c > n)
			break;
		if (c + 1 <= n && before(loop->heap[c + 1], loop->heap[c]))
			c++;
		if (!before(loop->heap[c], t))
			break;
		heap_set(loop, i, loop->heap[c]);
		i = c;
	}
	heap_set(loop, i, t);
}

static void heap_remove(struct loop *loop, struct loop_timer *t)
{
	unsigned int i = t->heap_index;
	struct loop_timer *last = loop->heap[loop->n_timers--];

	t->heap_index = 0;
	if (last == t)
		return;
	heap_set(loop, i, last);
	sift_up(loop, i);
	sift_down(loop, last->heap_index);
}

static int rearm_timerfd(struct loop *loop)
{
	struct itimerspec its = { 0 };

	if (loop->n_timers) {
		uint64_t d = loop->heap[1]->deadline_ms;

		/* An absolute time of zero would disarm: never ask for it. */
		its.it_value.tv_sec = (time_t)(d / 1000);
		its.it_value.tv_nsec = (long)(d % 1000) * 1000000;
		if (!d)
			its.it_value.tv_nsec = 1;
	}
	if (timerfd_settime(loop->timerfd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		return -errno;
	return 0;
}

void loop_timer_init(struct loop_timer *t, struct loop *loop,
		     loop_timer_fn fn)
{
	t->loop = loop;
	t->fn = fn;
	t->deadline_ms = 0;
	t->heap_index = 0;
}

bool loop_timer_armed(const struct loop_timer *t)
{
	return t->heap_index != 0;
}

int loop_timer_arm(struct loop_timer *t, uint64_t ms)
{
	struct loop *loop = t->loop;

	if (t->heap_index)
		heap_remove(loop, t);
	if (loop->n_timers + 1 >= loop->heap_cap) {
		unsigned int cap = loop->heap_cap ? loop->heap_cap * 2 : 64;
		struct loop_timer **h;

		if (cap > LOOP_MAX_TIMERS + 1)
			return -ENOSPC;
		h = realloc(loop->heap, cap * sizeof(*h));
		if (!h)
			return -ENOMEM;
		loop->heap = h;
		loop->heap_cap = cap;
	}
	t->deadline_ms = loop->now_ms + ms;
	loop->n_timers++;
	heap_set(loop, loop->n_timers, t);
	sift_up(loop, loop->n_timers);
	if (loop->heap[1] == t)
		return rearm_timerfd(loop);
	return 0;
}

void loop_timer_cancel(struct loop_timer *t)
{
	if (!t->heap_index)
		return;
	heap_remove(t->loop, t);
}

static void run_timers(struct loop *loop)
{
	loop->now_ms = loop_clock_ms();
	while (loop->n_timers && loop->heap[1]->deadline_ms <= loop->now_ms &&
	       !loop->stop) {
		struct loop_timer *t = loop->heap[1];

		heap_remove(loop, t);
		t->fn(t);
	}
	rearm_timerfd(loop);
}

static void on_timerfd(struct loop_watch *w, uint32_t events)
{
	uint64_t expirations;

	(void)events;
	if (read(w->fd, &expirations, sizeof(expirations)) < 0 &&
	    errno != EAGAIN)
		return;
	run_timers(w->loop);
}

static void on_signalfd(struct loop_watch *w, uint32_t events)
{
	struct loop *loop = w->loop;
	struct signalfd_siginfo si;

	(void)events;
	while (read(w->fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		loop->sig_fn(loop, (int)si.ssi_signo, loop->sig_arg);
}

int loop_signals(struct loop *loop, const int *signals, unsigned int n,
		 loop_signal_fn fn, void *arg)
{
	sigset_t set;
	unsigned int i;
	int fd;

	sigemptyset(&set);
	for (i = 0; i < n; i++)
		sigaddset(&set, signals[i]);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	fd = signalfd(loop->sigfd, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	loop->sigfd = fd;
	loop->sig_fn = fn;
	loop->sig_arg = arg;
	loop_watch_init(&loop->sig_watch, loop, fd, on_signalfd);
	return loop_watch_set(&loop->sig_watch, EPOLLIN);
}

int loop_run_once(struct loop *loop, int timeout_ms)
{
	int n, i;

	n = epoll_wait(loop->epfd, loop->events, MAX_EVENTS, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	loop->now_ms = loop_clock_ms();
	loop->n_events = n;
	for (i = 0; i < n && !loop->stop; i++) {
		struct loop_watch *w = loop->events[i].data.ptr;

		if (w)
			w->fn(w, loop->events[i].events);
	}
	loop->n_events = 0;
	/* A busy fd must not starve timers whose deadline has passed. */
	if (!loop->stop)
		run_timers(loop);
	return 0;
}

int loop_run(struct loop *loop)
{
	int ret = 0;

	loop->stop = false;
	while (!loop->stop && !ret)
		ret = loop_run_once(loop, -1);
	return ret;
}

void loop_stop(struct loop *loop)
{
	loop->stop = true;
}
