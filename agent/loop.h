/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The agent's one event loop: epoll over non-blocking fds, one timerfd
 * driving a heap of timers, one signalfd. Single-threaded; callbacks run
 * to completion and must never block.
 */
#ifndef ATOM_LOOP_H
#define ATOM_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct loop;
struct loop_watch;
struct loop_timer;

typedef void (*loop_fd_fn)(struct loop_watch *w, uint32_t events);
typedef void (*loop_timer_fn)(struct loop_timer *t);
typedef void (*loop_signal_fn)(struct loop *loop, int signo, void *arg);

/* Embedded in the owner; the owner finds itself with container_of. */
struct loop_watch {
	struct loop *loop;
	int fd;
	uint32_t events;
	loop_fd_fn fn;
	bool added;
};

struct loop_timer {
	struct loop *loop;
	uint64_t deadline_ms;	/* CLOCK_MONOTONIC */
	loop_timer_fn fn;
	unsigned int heap_index;	/* 0: not armed */
};

/* The most timers armed at once (reconnects, raft ticks, deadlines). */
#define LOOP_MAX_TIMERS 65536

int loop_new(struct loop **ret_loop);
void loop_free(struct loop *loop);

/* Milliseconds on CLOCK_MONOTONIC, as the loop saw them last. */
uint64_t loop_now_ms(struct loop *loop);
/* Read the clock now (outside callbacks, or when time matters). */
uint64_t loop_clock_ms(void);

/* fd watches: EPOLLIN/EPOLLOUT etc. The fd must be non-blocking. */
void loop_watch_init(struct loop_watch *w, struct loop *loop, int fd,
		     loop_fd_fn fn);
int loop_watch_set(struct loop_watch *w, uint32_t events);
/* Stop watching; safe on a watch never added. Does not close the fd. */
void loop_watch_del(struct loop_watch *w);

void loop_timer_init(struct loop_timer *t, struct loop *loop,
		     loop_timer_fn fn);
/* (Re)arm to fire once, ms from now. */
int loop_timer_arm(struct loop_timer *t, uint64_t ms);
void loop_timer_cancel(struct loop_timer *t);
bool loop_timer_armed(const struct loop_timer *t);

/* Block these signals and deliver them through the loop. */
int loop_signals(struct loop *loop, const int *signals, unsigned int n,
		 loop_signal_fn fn, void *arg);

/* Run until loop_stop; returns 0 or the first fatal error. */
int loop_run(struct loop *loop);
/* One round: wait at most timeout_ms (-1: forever) and dispatch. */
int loop_run_once(struct loop *loop, int timeout_ms);
void loop_stop(struct loop *loop);

#endif /* ATOM_LOOP_H */
