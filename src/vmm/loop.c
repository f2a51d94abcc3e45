// SPDX-License-Identifier: Apache-2.0
#include "loop.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
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
		log_warn_errno("event loop wake-up");
}

int loop_init(struct loop *l)
{
	memset(l, 0, sizeof(*l));
	pthread_mutex_init(&l->lock, NULL);
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0)
		return -errno;
	l->wake_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (l->wake_efd < 0) {
		int ret = -errno;

		close(l->epfd);
		return ret;
	}
	return loop_watch_fd(l, l->wake_efd, loop_drain, NULL);
}

void loop_free(struct loop *l)
{
	close(l->wake_efd);
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

void loop_timer_arm(struct loop *l, struct dev_timer *t, u64 delay_ns)
{
	struct dev_timer **pp;
	u64 one = 1;

	pthread_mutex_lock(&l->lock);
	loop_timer_unlink(l, t);
	t->deadline_ns = loop_now_ns() + delay_ns;
	/* Keep the list sorted: the head is the loop's next deadline. */
	for (pp = &l->timers; *pp && (*pp)->deadline_ns <= t->deadline_ns;
	     pp = &(*pp)->next)
		;
	t->next = *pp;
	*pp = t;
	pthread_mutex_unlock(&l->lock);
	if (write(l->wake_efd, &one, sizeof(one)) < 0)
		log_warn_errno("event loop wake-up");
}

void loop_timer_cancel(struct loop *l, struct dev_timer *t)
{
	pthread_mutex_lock(&l->lock);
	loop_timer_unlink(l, t);
	pthread_mutex_unlock(&l->lock);
}

/* Fire due timers; returns the epoll timeout in ms until the next one. */
static int loop_fire_timers(struct loop *l)
{
	for (;;) {
		struct dev_timer *t;
		u64 now = loop_now_ns();

		pthread_mutex_lock(&l->lock);
		t = l->timers;
		if (!t || t->deadline_ns > now) {
			u64 wait =
				t ? (t->deadline_ns - now + 999999) / 1000000 :
				    0;

			pthread_mutex_unlock(&l->lock);
			return t ? (int)MIN(wait, (u64)INT32_MAX) : -1;
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
		int timeout = loop_fire_timers(l);

		/* A timer callback may have ended the loop. */
		if (l->done)
			break;
		n = epoll_wait(l->epfd, ev, ARRAY_SIZE(ev), timeout);
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
