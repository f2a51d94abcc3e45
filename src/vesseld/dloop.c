// SPDX-License-Identifier: Apache-2.0
/*
 * The daemon's loop (dloop.h). Timers are an unsorted list: vesseld has
 * a few per guest, so a scan per wake-up costs less than keeping order.
 */
#include "dloop.h"

#include <errno.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#define DLOOP_EVENTS 32

u64 dloop_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int dloop_init(struct dloop *l)
{
	l->timers = NULL;
	l->done = false;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	return l->epfd < 0 ? -errno : 0;
}

void dloop_free(struct dloop *l)
{
	if (l->epfd >= 0)
		close(l->epfd);
	l->epfd = -1;
	l->timers = NULL;
}

int dloop_watch(struct dloop *l, struct dloop_watch *w, u32 events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	return epoll_ctl(l->epfd, EPOLL_CTL_ADD, w->fd, &ev) ? -errno : 0;
}

int dloop_rewatch(struct dloop *l, struct dloop_watch *w, u32 events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, w->fd, &ev) ? -errno : 0;
}

void dloop_unwatch(struct dloop *l, struct dloop_watch *w)
{
	if (w->fd >= 0)
		epoll_ctl(l->epfd, EPOLL_CTL_DEL, w->fd, NULL);
}

void dloop_timer_cancel(struct dloop *l, struct dloop_timer *t)
{
	struct dloop_timer **p;

	if (!t->armed)
		return;
	for (p = &l->timers; *p; p = &(*p)->next) {
		if (*p == t) {
			*p = t->next;
			break;
		}
	}
	t->armed = false;
	t->next = NULL;
}

void dloop_timer_arm(struct dloop *l, struct dloop_timer *t, u64 delay_ms)
{
	dloop_timer_cancel(l, t);
	t->deadline_ms = dloop_now_ms() + delay_ms;
	t->armed = true;
	t->next = l->timers;
	l->timers = t;
}

/* The epoll timeout: until the nearest deadline, rounded up; -1: none. */
static int dloop_timeout(const struct dloop *l)
{
	const struct dloop_timer *t;
	u64 now = dloop_now_ms(), next = UINT64_MAX;

	for (t = l->timers; t; t = t->next)
		next = MIN(next, t->deadline_ms);
	if (next == UINT64_MAX)
		return -1;
	if (next <= now)
		return 0;
	return (int)MIN(next - now, (u64)INT32_MAX);
}

/*
 * Fire every timer that is due, one at a time: a callback may arm or
 * cancel any timer, so the list is searched again after each.
 */
static void dloop_fire_due(struct dloop *l)
{
	struct dloop_timer *t;
	u64 now = dloop_now_ms();

	for (;;) {
		for (t = l->timers; t; t = t->next)
			if (t->deadline_ms <= now)
				break;
		if (!t)
			return;
		dloop_timer_cancel(l, t);
		t->fire(t);
	}
}

int dloop_run(struct dloop *l)
{
	struct epoll_event ev[DLOOP_EVENTS];
	struct dloop_watch *w;
	int i, n;

	while (!l->done) {
		n = epoll_wait(l->epfd, ev, DLOOP_EVENTS, dloop_timeout(l));
		if (n < 0 && errno != EINTR)
			return -errno;
		for (i = 0; i < n && !l->done; i++) {
			w = ev[i].data.ptr;
			w->ready(w, ev[i].events);
		}
		if (!l->done)
			dloop_fire_due(l);
	}
	return 0;
}

void dloop_quit(struct dloop *l)
{
	l->done = true;
}
