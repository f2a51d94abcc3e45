/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSELD_DLOOP_H
#define VESSELD_DLOOP_H

/*
 * vesseld's event loop: one thread, one epoll over the watched fds
 * (signalfd, child pidfds, the control socket and its clients) whose
 * timeout is the nearest timer's deadline. There are no timer fds and
 * no timer threads [s6-supervise.c iopause_g + deadline]. Times are
 * milliseconds of CLOCK_MONOTONIC; a supervisor needs no finer grain.
 */

#include "../common/types.h"

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr)-offsetof(type, member)))

/* An fd to watch; embed it in its owner and find it with container_of. */
struct dloop_watch {
	int fd;
	void (*ready)(struct dloop_watch *w, u32 events); /* EPOLLIN ... */
};

/* A one-shot deadline; embed it in its owner. All zeroes is disarmed. */
struct dloop_timer {
	void (*fire)(struct dloop_timer *t);
	u64 deadline_ms;
	bool armed;
	struct dloop_timer *next; /* the loop's list while armed */
};

struct dloop {
	int epfd;
	struct dloop_timer *timers; /* armed timers, in no order */
	bool done;
};

int dloop_init(struct dloop *l);
void dloop_free(struct dloop *l);

/* Call w->ready whenever w->fd has one of @events; 0 or -errno. */
int dloop_watch(struct dloop *l, struct dloop_watch *w, u32 events);
/* Change the events @w is watched for; 0 or -errno. */
int dloop_rewatch(struct dloop *l, struct dloop_watch *w, u32 events);
/* Stop watching (before closing the fd); a no-op for an fd not watched. */
void dloop_unwatch(struct dloop *l, struct dloop_watch *w);

/* (Re)arm @t to fire @delay_ms from now; t->fire must be set. */
void dloop_timer_arm(struct dloop *l, struct dloop_timer *t, u64 delay_ms);
void dloop_timer_cancel(struct dloop *l, struct dloop_timer *t);

/* Dispatch fds and timers until dloop_quit(); 0 or -errno. */
int dloop_run(struct dloop *l);
void dloop_quit(struct dloop *l);

u64 dloop_now_ms(void);

#endif
