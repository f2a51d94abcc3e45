/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSEL_LOOP_H
#define VESSEL_LOOP_H

/*
 * The main thread's event loop: one epoll over watched fds (signalfd,
 * the stop eventfd, console input, ...) and one timerfd that always holds
 * the nearest device deadline (absolute, CLOCK_MONOTONIC). There are no
 * timer threads. Timers may be armed from any thread: arming re-aims the
 * timerfd, which wakes the loop by itself.
 */

#include <pthread.h>

#include "dev/dev.h"

#define LOOP_MAX_WATCH 64

struct loop_watch {
	int fd;
	void (*ready)(void *dev, int fd);
	void *dev;
};

struct loop {
	int epfd;
	int timer_fd;
	u64 timerfd_deadline; /* what timer_fd is set to; 0: disarmed */
	struct loop_watch watch[LOOP_MAX_WATCH];
	pthread_mutex_t lock; /* timers and the watch table */
	struct dev_timer *timers;
	bool done;
};

int loop_init(struct loop *l);
void loop_free(struct loop *l);

/* Call @ready(@dev, @fd) whenever @fd is readable. */
int loop_watch_fd(struct loop *l, int fd, void (*ready)(void *dev, int fd),
		  void *dev);
void loop_unwatch_fd(struct loop *l, int fd);

void loop_timer_arm(struct loop *l, struct dev_timer *t, u64 delay_ns);
/* Arm @t for the absolute CLOCK_MONOTONIC time @deadline_ns. */
void loop_timer_arm_at(struct loop *l, struct dev_timer *t, u64 deadline_ns);
void loop_timer_cancel(struct loop *l, struct dev_timer *t);

/* Dispatch events and timers until loop_quit(); returns 0 or -errno. */
int loop_run(struct loop *l);
/* Make loop_run() return after the current dispatch (main thread). */
void loop_quit(struct loop *l);

u64 loop_now_ns(void);

#endif
