/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSELD_BACKOFF_H
#define VESSELD_BACKOFF_H

/*
 * Restart back-off: a pure state machine, one per guest. vesseld asks it,
 * each time a guest's policy says "restart", how long to wait or whether
 * the guest has restarted too often and is failed. Times are milliseconds
 * on one monotonic clock chosen by the caller. [s6 s6_dtally_*.c,
 * s6-permafailon.c; systemd RestartSec/RestartSteps, StartLimitBurst]
 */

#include "../common/types.h"

/* restart-limit's maximum, and so the restart times one back-off keeps. */
#define BACKOFF_LIMIT_MAX 100

struct backoff_policy {
	u64 delay_ms; /* restart-delay: the first restart's delay */
	u32 factor; /* restart-factor: each further delay is this times longer */
	u64 max_delay_ms; /* restart-max-delay: the delay's cap */
	u64 quiet_ms; /* restart-quiet: a longer run resets the delay */
	u32 limit; /* restart-limit: more restarts within the window fail */
	u64 window_ms; /* restart-window; 0 turns the limit off */
};

/* The defaults of conf_policy.c: 1s, x2, 60s, 60s, 5 in 5m. */
extern const struct backoff_policy backoff_defaults;

/* One guest's tally; all zeroes (backoff_reset) is a fresh start. */
struct backoff {
	u32 step; /* restarts since the delay was last reset */
	u32 nr; /* entries of times[] in use, oldest first */
	u64 times[BACKOFF_LIMIT_MAX]; /* exit times of the counted restarts */
};

enum backoff_verdict {
	BACKOFF_RESTART, /* restart after delay_ms */
	BACKOFF_FAILED, /* too many restarts within the window: stay down */
};

struct backoff_decision {
	enum backoff_verdict verdict;
	u64 delay_ms; /* BACKOFF_RESTART: how long to wait first */
	u32 in_window; /* restarts within the window before this exit */
};

/* Forget every restart: the operator started a failed guest by hand. */
void backoff_reset(struct backoff *b);

/*
 * The guest exited at @exit_ms after running for @run_ms, and its policy
 * says restart. If p->limit restarts already lie within p->window_ms
 * before @exit_ms, the verdict is BACKOFF_FAILED. Otherwise the restart is
 * counted, a run longer than p->quiet_ms first resets the delay, and the
 * delay is p->delay_ms * p->factor^step capped at p->max_delay_ms. Only
 * restarts are counted, so a failed verdict repeats until backoff_reset()
 * or until the window has passed. @exit_ms must not go back between calls.
 */
struct backoff_decision backoff_decide(struct backoff *b,
				       const struct backoff_policy *p,
				       u64 exit_ms, u64 run_ms);

/* The delay of the restart after @step earlier ones, saturating. */
u64 backoff_delay(const struct backoff_policy *p, u32 step);

#endif
