// SPDX-License-Identifier: Apache-2.0
#include "loop.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "../common/log.h"

u64 loop_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void loop_drain(void *dev, int fd)
{
	u64 v;

	(void)dev;
	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		log_warn_errno("event loop timer");
}

int loop_init(struct loop *l)
{
	int ret;

	memset(l, 0, sizeof(*l));
	l->timer_fd = -1;
	/*
	 * The loop runs device deadlines (watchdog expiry): let the kernel
	 * wake it within 1 us of one rather than its default 50 us slack.
	 */
	prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
	pthread_mutex_init(&l->lock, NULL);
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0)
		return -errno;
	l->timer_fd =
		timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (l->timer_fd < 0) {
		ret = -errno;
		loop_free(l);
		return ret;
	}
	return loop_watch_fd(l, l->timer_fd, loop_drain, NULL);
}

void loop_free(struct loop *l)
{
	if (l->timer_fd >= 0)
		close(l->timer_fd);
	close(l->epfd);
	pthread_mutex_destroy(&l->lock);
}

int loop_watch_fd(struct loop *l, int fd, void (*ready)(void *dev, int fd),
		  void *dev)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int i, ret = -ENOSPC;

	pthread_mutex_lock(&l->lock);
	for (i = 0; i < LOOP_MAX_WATCH; i++) {
		if (l->watch[i].ready)
			continue;
		ev.data.u32 = i;
		if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			ret = -errno;
			break;
		}
		l->watch[i] = (struct loop_watch){ fd, ready, dev };
		ret = 0;
		break;
	}
	pthread_mutex_unlock(&l->lock);
	return ret;
}

void loop_unwatch_fd(struct loop *l, int fd)
{
	int i;

	pthread_mutex_lock(&l->lock);
	for (i = 0; i < LOOP_MAX_WATCH; i++) {
		if (!l->watch[i].ready || l->watch[i].fd != fd)
			continue;
		epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
		l->watch[i].ready = NULL;
	}
	pthread_mutex_unlock(&l->lock);
}

static void loop_timer_unlink(struct loop *l, struct dev_timer *t)
{
	struct dev_timer **pp;

	for (pp = &l->timers; *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	}
	t->deadline_ns = 0;
}

/*
 * Point the timerfd at the nearest deadline (lock held). An absolute
 * CLOCK_MONOTONIC expiry: the loop wakes at the deadline itself, to the
 * nanosecond the kernel's hrtimer allows, not at a millisecond-rounded
 * epoll timeout.
 */
static void loop_timerfd_set(struct loop *l)
{
	struct itimerspec its = { 0 };
	u64 d = l->timers ? l->timers->deadline_ns : 0;

	if (d == l->timerfd_deadline)
		return;
	its.it_value.tv_sec = d / 1000000000ULL;
	its.it_value.tv_nsec = d % 1000000000ULL;
	/* A zero it_value disarms: a deadline of 0 ns is already past anyway. */
	if (d && !its.it_value.tv_sec && !its.it_value.tv_nsec)
		its.it_value.tv_nsec = 1;
	if (timerfd_settime(l->timer_fd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		log_warn_errno("event loop timer");
	l->timerfd_deadline = d;
}

void loop_timer_arm(struct loop *l, struct dev_timer *t, u64 delay_ns)
{
	loop_timer_arm_at(l, t, loop_now_ns() + delay_ns);
}

void loop_timer_arm_at(struct loop *l, struct dev_timer *t, u64 deadline_ns)
{
	struct dev_timer **pp;

	pthread_mutex_lock(&l->lock);
	loop_timer_unlink(l, t);
	t->deadline_ns = deadline_ns ? deadline_ns : 1;
	/* Keep the list sorted: the head is the loop's next deadline. */
	for (pp = &l->timers; *pp && (*pp)->deadline_ns <= t->deadline_ns;
	     pp = &(*pp)->next)
		;
	t->next = *pp;
	*pp = t;
	loop_timerfd_set(l);
	pthread_mutex_unlock(&l->lock);
}

void loop_timer_cancel(struct loop *l, struct dev_timer *t)
{
	pthread_mutex_lock(&l->lock);
	loop_timer_unlink(l, t);
	pthread_mutex_unlock(&l->lock);
}

/* Fire due timers, then aim the timerfd at the next deadline. */
static void loop_fire_timers(struct loop *l)
{
	for (;;) {
		struct dev_timer *t;

		pthread_mutex_lock(&l->lock);
		t = l->timers;
		if (!t || t->deadline_ns > loop_now_ns()) {
			loop_timerfd_set(l);
			pthread_mutex_unlock(&l->lock);
			return;
		}
		l->timers = t->next;
		t->deadline_ns = 0;
		pthread_mutex_unlock(&l->lock);
		t->fire(t->dev);
	}
}

static void loop_dispatch(struct loop *l, u32 idx)
{
	struct loop_watch w;

	pthread_mutex_lock(&l->lock);
	w = l->watch[idx];
	pthread_mutex_unlock(&l->lock);
	if (w.ready)
		w.ready(w.dev, w.fd);
}

int loop_run(struct loop *l)
{
	struct epoll_event ev[8];
	int i, n;

	while (!l->done) {
		loop_fire_timers(l);
		/* A timer callback may have ended the loop. */
		if (l->done)
			break;
		n = epoll_wait(l->epfd, ev, ARRAY_SIZE(ev), -1);
		if (n < 0 && errno != EINTR)
			return -errno;
		for (i = 0; i < n && !l->done; i++)
			loop_dispatch(l, ev[i].data.u32);
	}
	return 0;
}

void loop_quit(struct loop *l)
{
	l->done = true;
}
