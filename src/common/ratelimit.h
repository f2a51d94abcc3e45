/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reports a guest can repeat at will (a watchdog it lets expire every
 * 0.1 s, lifecycle announcements in a loop): the first @burst pass, then
 * at most one each @gap_ns, which counts those held back in between. The
 * caller serialises the calls. [Linux's ___ratelimit, by count and time]
 */
#ifndef VESSEL_RATELIMIT_H
#define VESSEL_RATELIMIT_H

#include <stdbool.h>

#include "types.h"

struct ratelimit {
	u32 passed; /* reports let through */
	u64 last_ns; /* when the last one was */
	u64 held; /* held back since then */
};

/* True when the report at @now_ns may go out; *@held_out = those before. */
static inline bool ratelimit_pass(struct ratelimit *r, u64 now_ns, u32 burst,
				  u64 gap_ns, u64 *held_out)
{
	if (r->passed >= burst && now_ns - r->last_ns < gap_ns) {
		r->held++;
		return false;
	}
	*held_out = r->held;
	r->held = 0;
	r->passed++;
	r->last_ns = now_ns;
	return true;
}

#endif
