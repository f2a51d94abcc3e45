/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VESSELD_ORDER_H
#define VESSELD_ORDER_H

/*
 * Start and stop order from the guests' `after` lines. "a after b" starts
 * a once b is up and stops a before b. Guests fall into levels: every
 * guest of a level may start (or stop) in parallel once the levels before
 * it are done. Indexes are those of config.guests.
 */

#include "../common/types.h"

struct config;

struct order {
	int nr; /* guests */
	/*
	 * Start level: 0 for a guest after nothing, else one more than the
	 * highest start level of the guests it is after.
	 */
	int *start_level;
	/*
	 * Stop level: 0 for a guest no guest is after, else one more than the
	 * highest stop level of the guests after it. Not the start levels
	 * reversed: a guest nothing depends on stops in the first wave.
	 */
	int *stop_level;
	int nr_start_levels, nr_stop_levels;
	int *start_seq; /* every index, by start level, then by name */
	int *stop_seq; /* every index, by stop level, then by name */
};

/*
 * Compute @o from @cfg's resolved `after` references (config_ref.index).
 * A cycle is -ELOOP with the cycle in @err, each step with its file:line:
 * "after cycle: a after b (d/a.conf:2), b after a (d/b.conf:4)". On error
 * @o is left empty. The caller frees @o with order_free().
 */
int order_build(struct order *o, const struct config *cfg, char *err,
		size_t errlen);

/*
 * The guests of one level: returns how many, *@first points at the first
 * in start_seq (@stop false) or stop_seq (@stop true). 0 past the last.
 */
int order_level(const struct order *o, int level, bool stop, const int **first);

void order_free(struct order *o);

#endif
