// SPDX-License-Identifier: Apache-2.0
/*
 * Restart back-off: delay = initial * factor^k, capped; a quiet run resets
 * k; more than `limit` restarts within `window` fail the guest. Pure: no
 * clock, no I/O, so every row of its behaviour is a unit test.
 */
#include "backoff.h"

#include <string.h>

/* Steps beyond this change nothing: factor >= 2 has saturated by then. */
#define BACKOFF_STEP_MAX 64

const struct backoff_policy backoff_defaults = {
	.delay_ms = 1000,
	.factor = 2,
	.max_delay_ms = 60000,
	.quiet_ms = 60000,
	.limit = 5,
	.window_ms = 300000,
};

void backoff_reset(struct backoff *b)
{
	memset(b, 0, sizeof(*b));
}

u64 backoff_delay(const struct backoff_policy *p, u32 step)
{
	u64 d = p->delay_ms;
	u32 i;

	if (p->factor <= 1)
		return MIN(d, p->max_delay_ms);
	for (i = 0; i < step && d < p->max_delay_ms; i++) {
		if (d > p->max_delay_ms / p->factor)
			return p->max_delay_ms;
		d *= p->factor;
	}
	return MIN(d, p->max_delay_ms);
}

/* Drop the restarts that lie @window_ms or more before @now. */
static void backoff_prune(struct backoff *b, u64 now, u64 window_ms)
{
	u32 old = 0;

	while (old < b->nr && now > b->times[old] &&
	       now - b->times[old] >= window_ms)
		old++;
	memmove(b->times, b->times + old, (b->nr - old) * sizeof(b->times[0]));
	b->nr -= old;
}

/* Keep the newest restart times; the oldest falls out when full. */
static void backoff_record(struct backoff *b, u64 now)
{
	if (b->nr == BACKOFF_LIMIT_MAX) {
		memmove(b->times, b->times + 1,
			(b->nr - 1) * sizeof(b->times[0]));
		b->nr--;
	}
	b->times[b->nr++] = now;
}

struct backoff_decision backoff_decide(struct backoff *b,
				       const struct backoff_policy *p,
				       u64 exit_ms, u64 run_ms)
{
	struct backoff_decision d = { BACKOFF_RESTART, 0, 0 };

	if (p->window_ms) {
		backoff_prune(b, exit_ms, p->window_ms);
		d.in_window = b->nr;
		if (b->nr >= MIN(p->limit, BACKOFF_LIMIT_MAX)) {
			d.verdict = BACKOFF_FAILED;
			return d;
		}
	}
	if (run_ms > p->quiet_ms)
		b->step = 0;
	d.delay_ms = backoff_delay(p, b->step);
	if (b->step < BACKOFF_STEP_MAX)
		b->step++;
	backoff_record(b, exit_ms);
	return d;
}
